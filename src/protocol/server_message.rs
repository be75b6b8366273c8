//! Decoding of `ServerMessage` (v1, BSATN) into owned, validated values.
//!
//! Why not `bsatn::from_slice::<ServerMessage<BsatnFormat>>` from spacetimedb-client-api-messages:
//! in 1.2.0 its array decoding reserves capacity for whatever element count the wire claims
//! (a hostile count aborts the process on allocation failure), and `BsatnRowList::get` slices
//! without checking offsets (a hostile row list panics). This decoder follows the same layout,
//! field for field (see `websocket.rs` in that crate), checks every length first, and keeps row
//! data as slices of the received frame. Unit tests encode messages with the crate's own
//! serializer and decode them here, which pins the two together.

use super::reader::{DecodeError, DecodeErrorKind, Reader};
use super::rows::RowList;
use bytes::Bytes;
use spacetimedb_lib::{ConnectionId, Identity, TimeDuration, Timestamp};

#[derive(Debug)]
pub enum ServerMessage {
    InitialSubscription {
        update: DatabaseUpdate,
        request_id: u32,
        host_duration: TimeDuration,
    },
    TransactionUpdate(TransactionUpdate),
    TransactionUpdateLight {
        request_id: u32,
        update: DatabaseUpdate,
    },
    IdentityToken {
        identity: Identity,
        token: String,
        connection_id: ConnectionId,
    },
    OneOffQueryResponse(OneOffQueryResponse),
    /// Reply to the legacy `SubscribeSingle`, which this client never sends.
    SubscribeApplied {
        request_id: u32,
        query_id: u32,
        table_name: String,
        update: TableUpdate,
    },
    /// Reply to the legacy `Unsubscribe`, which this client never sends.
    UnsubscribeApplied {
        request_id: u32,
        query_id: u32,
        table_name: String,
        update: TableUpdate,
    },
    SubscriptionError(SubscriptionError),
    SubscribeMultiApplied {
        request_id: u32,
        query_id: u32,
        host_duration_micros: u64,
        update: DatabaseUpdate,
    },
    UnsubscribeMultiApplied {
        request_id: u32,
        query_id: u32,
        host_duration_micros: u64,
        update: DatabaseUpdate,
    },
}

impl ServerMessage {
    pub fn kind(&self) -> &'static str {
        match self {
            ServerMessage::InitialSubscription { .. } => "InitialSubscription",
            ServerMessage::TransactionUpdate(_) => "TransactionUpdate",
            ServerMessage::TransactionUpdateLight { .. } => "TransactionUpdateLight",
            ServerMessage::IdentityToken { .. } => "IdentityToken",
            ServerMessage::OneOffQueryResponse(_) => "OneOffQueryResponse",
            ServerMessage::SubscribeApplied { .. } => "SubscribeApplied",
            ServerMessage::UnsubscribeApplied { .. } => "UnsubscribeApplied",
            ServerMessage::SubscriptionError(_) => "SubscriptionError",
            ServerMessage::SubscribeMultiApplied { .. } => "SubscribeMultiApplied",
            ServerMessage::UnsubscribeMultiApplied { .. } => "UnsubscribeMultiApplied",
        }
    }
}

#[derive(Debug)]
pub struct TransactionUpdate {
    pub status: UpdateStatus,
    pub timestamp: Timestamp,
    pub caller_identity: Identity,
    pub caller_connection_id: ConnectionId,
    pub reducer_name: String,
    pub reducer_id: u32,
    pub args: Bytes,
    pub request_id: u32,
    pub energy_quanta_used: u128,
    pub host_duration: TimeDuration,
}

#[derive(Debug)]
pub enum UpdateStatus {
    Committed(DatabaseUpdate),
    Failed(String),
    OutOfEnergy,
}

#[derive(Debug, Default)]
pub struct DatabaseUpdate {
    pub tables: Vec<TableUpdate>,
}

impl DatabaseUpdate {
    pub fn num_rows(&self) -> usize {
        self.tables.iter().map(TableUpdate::num_rows).sum()
    }
}

#[derive(Debug, Default)]
pub struct TableUpdate {
    pub table_id: u32,
    pub table_name: String,
    /// One entry per subscribed query with a non-empty delta (already decompressed).
    pub queries: Vec<QueryUpdate>,
}

impl TableUpdate {
    pub fn num_rows(&self) -> usize {
        self.queries.iter().map(|q| q.deletes.len() + q.inserts.len()).sum()
    }
}

#[derive(Debug, Default)]
pub struct QueryUpdate {
    pub deletes: RowList,
    pub inserts: RowList,
}

#[derive(Debug)]
pub struct OneOffQueryResponse {
    pub message_id: Bytes,
    pub error: Option<String>,
    pub tables: Vec<(String, RowList)>,
    pub host_duration: TimeDuration,
}

#[derive(Debug)]
pub struct SubscriptionError {
    pub host_duration_micros: u64,
    pub request_id: Option<u32>,
    pub query_id: Option<u32>,
    pub table_id: Option<u32>,
    pub error: String,
}

/// Limits applied while decoding, so that a hostile frame cannot grow without bound.
#[derive(Clone, Copy, Debug)]
pub struct DecodeLimits {
    /// Largest decompressed size of one message or one nested query update.
    pub max_decompressed_len: usize,
}

/// Frame-level compression tags (the first byte of every binary frame from the server).
pub const TAG_NONE: u8 = 0;
pub const TAG_BROTLI: u8 = 1;
pub const TAG_GZIP: u8 = 2;

/// Decodes one binary WebSocket frame: compression tag, then the BSATN `ServerMessage`.
pub fn decode_frame(frame: Bytes, limits: DecodeLimits) -> Result<ServerMessage, DecodeError> {
    decode_frame_sized(frame, limits).map(|(msg, _)| msg)
}

/// Like [`decode_frame`], also returning the message's decompressed size.
pub fn decode_frame_sized(frame: Bytes, limits: DecodeLimits) -> Result<(ServerMessage, usize), DecodeError> {
    let Some(&tag) = frame.first() else {
        return Err(DecodeError {
            context: "frame compression tag",
            offset: 0,
            kind: DecodeErrorKind::Truncated { needed: 1, available: 0 },
        });
    };
    // An uncompressed body stays a slice of the frame: copying it measured worse, since the
    // socket's read buffer shares and keeps that allocation anyway (docs/BENCHMARKS.md).
    let body = decompress(tag, frame.slice(1..), limits, "frame compression tag")?;
    let len = body.len();
    Ok((decode_message(body, limits)?, len))
}

/// Decompresses `body` according to `tag`; uncompressed bodies are returned as they are.
pub fn decompress(tag: u8, body: Bytes, limits: DecodeLimits, context: &'static str) -> Result<Bytes, DecodeError> {
    use std::io::Read;
    let fail = |why: String| DecodeError { context, offset: 0, kind: DecodeErrorKind::Decompress(why) };
    let read_limited = |mut reader: Box<dyn Read + '_>| -> Result<Bytes, DecodeError> {
        let mut out = Vec::with_capacity(body.len().saturating_mul(4).min(limits.max_decompressed_len));
        // Read one byte past the limit to tell "exactly at the limit" from "over it".
        let limit = limits.max_decompressed_len as u64 + 1;
        (&mut reader).take(limit).read_to_end(&mut out).map_err(|e| fail(e.to_string()))?;
        if out.len() > limits.max_decompressed_len {
            return Err(fail(format!("decompressed size exceeds the limit of {} bytes", limits.max_decompressed_len)));
        }
        // Cached rows keep this buffer alive: give back the growth slack first.
        out.shrink_to_fit();
        Ok(Bytes::from(out))
    };
    match tag {
        TAG_NONE => Ok(body),
        TAG_BROTLI => read_limited(Box::new(brotli::Decompressor::new(&body[..], 4096))),
        TAG_GZIP => read_limited(Box::new(flate2::read::GzDecoder::new(&body[..]))),
        other => Err(DecodeError { context, offset: 0, kind: DecodeErrorKind::InvalidTag(other) }),
    }
}

/// Decodes an uncompressed BSATN `ServerMessage`.
pub fn decode_message(body: Bytes, limits: DecodeLimits) -> Result<ServerMessage, DecodeError> {
    let mut r = Reader::new(body);
    let msg = match r.u8("server message tag")? {
        0 => ServerMessage::InitialSubscription {
            update: database_update(&mut r, limits)?,
            request_id: r.u32("request id")?,
            host_duration: TimeDuration::from_micros(r.i64("host duration")?),
        },
        1 => ServerMessage::TransactionUpdate(transaction_update(&mut r, limits)?),
        2 => ServerMessage::TransactionUpdateLight { request_id: r.u32("request id")?, update: database_update(&mut r, limits)? },
        3 => ServerMessage::IdentityToken {
            identity: Identity::from_byte_array(r.bytes32("identity")?),
            token: r.string("token")?,
            connection_id: ConnectionId::from_u128(r.u128("connection id")?),
        },
        4 => ServerMessage::OneOffQueryResponse(one_off_response(&mut r)?),
        tag @ (5 | 6) => {
            let request_id = r.u32("request id")?;
            let _host_duration_micros = r.u64("host duration")?;
            let query_id = r.u32("query id")?;
            // `rows: SubscribeRows { table_id, table_name, table_rows: TableUpdate }`, and that
            // `TableUpdate` repeats the id and name and adds `num_rows` before its query updates.
            let table_id = r.u32("table id")?;
            let table_name = r.string("table name")?;
            let _table_id = r.u32("table id")?;
            let _table_name = r.string("table name")?;
            let _num_rows = r.u64("table row count")?;
            let mut update = table_update(&mut r, limits)?;
            update.table_id = table_id;
            if tag == 5 {
                ServerMessage::SubscribeApplied { request_id, query_id, table_name, update }
            } else {
                ServerMessage::UnsubscribeApplied { request_id, query_id, table_name, update }
            }
        }
        7 => ServerMessage::SubscriptionError(SubscriptionError {
            host_duration_micros: r.u64("host duration")?,
            request_id: r.option("request id", |r| r.u32("request id"))?,
            query_id: r.option("query id", |r| r.u32("query id"))?,
            table_id: r.option("table id", |r| r.u32("table id"))?,
            error: r.string("subscription error message")?,
        }),
        tag @ (8 | 9) => {
            let request_id = r.u32("request id")?;
            let host_duration_micros = r.u64("host duration")?;
            let query_id = r.u32("query id")?;
            let update = database_update(&mut r, limits)?;
            if tag == 8 {
                ServerMessage::SubscribeMultiApplied { request_id, query_id, host_duration_micros, update }
            } else {
                ServerMessage::UnsubscribeMultiApplied { request_id, query_id, host_duration_micros, update }
            }
        }
        tag => return Err(r.error("server message tag", DecodeErrorKind::InvalidTag(tag))),
    };
    r.finish("end of server message")?;
    Ok(msg)
}

fn transaction_update(r: &mut Reader, limits: DecodeLimits) -> Result<TransactionUpdate, DecodeError> {
    let status = match r.u8("update status")? {
        0 => UpdateStatus::Committed(database_update(r, limits)?),
        1 => UpdateStatus::Failed(r.string("failure message")?),
        2 => UpdateStatus::OutOfEnergy,
        tag => return Err(r.error("update status", DecodeErrorKind::InvalidTag(tag))),
    };
    Ok(TransactionUpdate {
        status,
        timestamp: Timestamp::from_micros_since_unix_epoch(r.i64("timestamp")?),
        caller_identity: Identity::from_byte_array(r.bytes32("caller identity")?),
        caller_connection_id: ConnectionId::from_u128(r.u128("caller connection id")?),
        reducer_name: r.string("reducer name")?,
        reducer_id: r.u32("reducer id")?,
        args: r.bytes("reducer args")?,
        request_id: r.u32("request id")?,
        energy_quanta_used: r.u128("energy used")?,
        host_duration: TimeDuration::from_micros(r.i64("host duration")?),
    })
}

fn database_update(r: &mut Reader, limits: DecodeLimits) -> Result<DatabaseUpdate, DecodeError> {
    // Each table update takes at least 4 (id) + 4 (name) + 8 (num_rows) + 4 (count) bytes.
    let n = r.count(20, "database update")?;
    let mut tables = Vec::with_capacity(n);
    for _ in 0..n {
        let table_id = r.u32("table id")?;
        let table_name = r.string("table name")?;
        let _num_rows = r.u64("table row count")?;
        let mut update = table_update(r, limits)?;
        update.table_id = table_id;
        update.table_name = table_name;
        tables.push(update);
    }
    Ok(DatabaseUpdate { tables })
}

/// Reads `updates: Vec<CompressableQueryUpdate>`; the caller fills in the table's id and name.
fn table_update(r: &mut Reader, limits: DecodeLimits) -> Result<TableUpdate, DecodeError> {
    // A query update is at least a tag and a length (a compressed one); plain ones are larger.
    let n = r.count(5, "query updates")?;
    let mut queries = Vec::with_capacity(n);
    for _ in 0..n {
        let query = match r.u8("query update compression")? {
            0 => query_update(r)?,
            tag @ (1 | 2) => {
                let packed = r.bytes("compressed query update")?;
                let plain = decompress(tag, packed, limits, "compressed query update")?;
                let mut inner = Reader::new(plain);
                let query = query_update(&mut inner)?;
                inner.finish("end of compressed query update")?;
                query
            }
            tag => return Err(r.error("query update compression", DecodeErrorKind::InvalidTag(tag))),
        };
        queries.push(query);
    }
    Ok(TableUpdate { table_id: 0, table_name: String::new(), queries })
}

fn query_update(r: &mut Reader) -> Result<QueryUpdate, DecodeError> {
    Ok(QueryUpdate { deletes: RowList::decode(r)?, inserts: RowList::decode(r)? })
}

fn one_off_response(r: &mut Reader) -> Result<OneOffQueryResponse, DecodeError> {
    let message_id = r.bytes("one-off message id")?;
    let error = r.option("one-off error", |r| r.string("one-off error"))?;
    let n = r.count(11, "one-off tables")?;
    let mut tables = Vec::with_capacity(n);
    for _ in 0..n {
        let name = r.string("one-off table name")?;
        tables.push((name, RowList::decode(r)?));
    }
    let host_duration = TimeDuration::from_micros(r.i64("host duration")?);
    Ok(OneOffQueryResponse { message_id, error, tables, host_duration })
}
