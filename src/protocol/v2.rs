//! The v2 binary protocol (`v2.bsatn.spacetimedb`, SpacetimeDB 2.x) and its v3 framing
//! (`v3.bsatn.spacetimedb`: the same messages, several to a frame).
//!
//! The layout follows `crates/client-api-messages/src/websocket/v2.rs` at v2.8.3 field for field.
//! Client messages are small and encoded by hand; server messages go through the same bounded,
//! zero-copy reader as v1 (every length checked before anything is allocated, rows kept as
//! slices of the frame). Differences from v1 worth knowing: table rows list inserts before
//! deletes, one-off queries and every request carry a `u32` request id, and a reducer's caller
//! gets one `ReducerResult` with its rows inside instead of a `TransactionUpdate`.

use super::reader::{DecodeError, DecodeErrorKind, Reader};
use super::rows::RowList;
use super::server_message::{decompress, DecodeLimits};
use bytes::Bytes;
use spacetimedb_lib::{ConnectionId, Identity, TimeDuration, Timestamp};

// ---- client messages ---------------------------------------------------------------------------

/// BSATN writer for the few shapes client messages need.
struct Writer(Vec<u8>);

impl Writer {
    fn new(tag: u8, capacity: usize) -> Writer {
        let mut v = Vec::with_capacity(1 + capacity);
        v.push(tag);
        Writer(v)
    }
    fn u8(&mut self, v: u8) {
        self.0.push(v);
    }
    fn u32(&mut self, v: u32) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    fn bytes(&mut self, b: &[u8]) {
        // A message larger than 4 GiB cannot be sent; the socket's size limit refuses it long
        // before, so the length is saturated rather than checked here.
        self.u32(u32::try_from(b.len()).unwrap_or(u32::MAX));
        self.0.extend_from_slice(b);
    }
}

const CM_SUBSCRIBE: u8 = 0;
const CM_UNSUBSCRIBE: u8 = 1;
const CM_ONE_OFF_QUERY: u8 = 2;
const CM_CALL_REDUCER: u8 = 3;
const CM_CALL_PROCEDURE: u8 = 4;

/// `Unsubscribe.flags`: ask for the rows the unsubscribe drops, so the cache can remove exactly
/// those (the same contract as v1's `UnsubscribeMultiApplied`).
const UNSUBSCRIBE_SEND_DROPPED_ROWS: u8 = 1;

pub fn subscribe(queries: &[String], request_id: u32, query_set_id: u32) -> Vec<u8> {
    let mut w = Writer::new(CM_SUBSCRIBE, 12 + queries.iter().map(|q| q.len() + 4).sum::<usize>());
    w.u32(request_id);
    w.u32(query_set_id);
    w.u32(queries.len() as u32);
    for q in queries {
        w.bytes(q.as_bytes());
    }
    w.0
}

pub fn unsubscribe(request_id: u32, query_set_id: u32) -> Vec<u8> {
    let mut w = Writer::new(CM_UNSUBSCRIBE, 9);
    w.u32(request_id);
    w.u32(query_set_id);
    w.u8(UNSUBSCRIBE_SEND_DROPPED_ROWS);
    w.0
}

pub fn one_off_query(request_id: u32, query: &str) -> Vec<u8> {
    let mut w = Writer::new(CM_ONE_OFF_QUERY, 8 + query.len());
    w.u32(request_id);
    w.bytes(query.as_bytes());
    w.0
}

/// `flags` is always 0: v2 has no `NoSuccessNotify`, the caller is always told.
pub fn call_reducer(reducer: &str, args: &[u8], request_id: u32) -> Vec<u8> {
    let mut w = Writer::new(CM_CALL_REDUCER, 13 + reducer.len() + args.len());
    w.u32(request_id);
    w.u8(0);
    w.bytes(reducer.as_bytes());
    w.bytes(args);
    w.0
}

pub fn call_procedure(procedure: &str, args: &[u8], request_id: u32) -> Vec<u8> {
    let mut w = Writer::new(CM_CALL_PROCEDURE, 13 + procedure.len() + args.len());
    w.u32(request_id);
    w.u8(0);
    w.bytes(procedure.as_bytes());
    w.bytes(args);
    w.0
}

// ---- server messages ---------------------------------------------------------------------------

#[derive(Debug)]
pub enum ServerMessage {
    InitialConnection {
        identity: Identity,
        connection_id: ConnectionId,
        token: String,
    },
    SubscribeApplied {
        request_id: u32,
        query_set_id: u32,
        rows: QueryRows,
    },
    /// `rows` are the rows the unsubscribe dropped (asked for with `SendDroppedRows`).
    UnsubscribeApplied {
        request_id: u32,
        query_set_id: u32,
        rows: Option<QueryRows>,
    },
    SubscriptionError {
        request_id: Option<u32>,
        query_set_id: u32,
        error: String,
    },
    TransactionUpdate(TransactionUpdate),
    OneOffQueryResult {
        request_id: u32,
        result: Result<QueryRows, String>,
    },
    ReducerResult {
        request_id: u32,
        timestamp: Timestamp,
        outcome: ReducerOutcome,
    },
    ProcedureResult {
        request_id: u32,
        timestamp: Timestamp,
        host_duration: TimeDuration,
        status: ProcedureStatus,
    },
}

impl ServerMessage {
    pub fn kind(&self) -> &'static str {
        match self {
            ServerMessage::InitialConnection { .. } => "InitialConnection",
            ServerMessage::SubscribeApplied { .. } => "SubscribeApplied",
            ServerMessage::UnsubscribeApplied { .. } => "UnsubscribeApplied",
            ServerMessage::SubscriptionError { .. } => "SubscriptionError",
            ServerMessage::TransactionUpdate(_) => "TransactionUpdate",
            ServerMessage::OneOffQueryResult { .. } => "OneOffQueryResult",
            ServerMessage::ReducerResult { .. } => "ReducerResult",
            ServerMessage::ProcedureResult { .. } => "ProcedureResult",
        }
    }
}

/// Rows of a subscription or one-off query, one entry per table (a table may repeat).
#[derive(Debug, Default)]
pub struct QueryRows {
    pub tables: Vec<(String, RowList)>,
}

#[derive(Debug, Default)]
pub struct TransactionUpdate {
    pub query_sets: Vec<QuerySetUpdate>,
}

#[derive(Debug)]
pub struct QuerySetUpdate {
    pub query_set_id: u32,
    pub tables: Vec<TableUpdate>,
}

#[derive(Debug)]
pub struct TableUpdate {
    pub table_name: String,
    pub rows: Vec<TableUpdateRows>,
}

#[derive(Debug)]
pub enum TableUpdateRows {
    PersistentTable { inserts: RowList, deletes: RowList },
    EventTable { events: RowList },
}

#[derive(Debug)]
pub enum ReducerOutcome {
    /// Committed, with the BSATN return value and the caller's row changes.
    Ok { ret_value: Bytes, update: TransactionUpdate },
    /// Committed, returning `()` and changing nothing the caller subscribed to.
    OkEmpty,
    /// The reducer returned an error: a BSATN value of its declared error type.
    Err(Bytes),
    /// The reducer panicked, or the host failed to run it.
    InternalError(String),
}

#[derive(Debug)]
pub enum ProcedureStatus {
    /// The BSATN return value.
    Returned(Bytes),
    InternalError(String),
}

/// Decodes one binary frame of v2 (exactly one message) or v3 (one or more, in order). The
/// compression tag covers the whole frame; `sizes` receives the decompressed size.
pub fn decode_frame(frame: Bytes, limits: DecodeLimits, several: bool) -> Result<(Vec<ServerMessage>, usize), DecodeError> {
    let Some(&tag) = frame.first() else {
        return Err(DecodeError {
            context: "frame compression tag",
            offset: 0,
            kind: DecodeErrorKind::Truncated { needed: 1, available: 0 },
        });
    };
    let body = decompress(tag, frame.slice(1..), limits, "frame compression tag")?;
    let len = body.len();
    let mut r = Reader::new(body);
    let mut out = Vec::with_capacity(1);
    loop {
        out.push(decode_message(&mut r)?);
        if !several || r.remaining() == 0 {
            break;
        }
    }
    r.finish("end of server message")?;
    Ok((out, len))
}

/// Decodes one `ServerMessage` at the reader's position.
pub fn decode_message(r: &mut Reader) -> Result<ServerMessage, DecodeError> {
    Ok(match r.u8("server message tag")? {
        0 => ServerMessage::InitialConnection {
            identity: Identity::from_byte_array(r.bytes32("identity")?),
            connection_id: ConnectionId::from_u128(r.u128("connection id")?),
            token: r.string("token")?,
        },
        1 => ServerMessage::SubscribeApplied {
            request_id: r.u32("request id")?,
            query_set_id: r.u32("query set id")?,
            rows: query_rows(r)?,
        },
        2 => ServerMessage::UnsubscribeApplied {
            request_id: r.u32("request id")?,
            query_set_id: r.u32("query set id")?,
            rows: r.option("dropped rows", query_rows)?,
        },
        3 => ServerMessage::SubscriptionError {
            request_id: r.option("request id", |r| r.u32("request id"))?,
            query_set_id: r.u32("query set id")?,
            error: r.string("subscription error message")?,
        },
        4 => ServerMessage::TransactionUpdate(transaction_update(r)?),
        5 => ServerMessage::OneOffQueryResult {
            request_id: r.u32("request id")?,
            result: match r.u8("one-off result")? {
                0 => Ok(query_rows(r)?),
                1 => Err(r.string("one-off error")?),
                tag => return Err(r.error("one-off result", DecodeErrorKind::InvalidTag(tag))),
            },
        },
        6 => ServerMessage::ReducerResult {
            request_id: r.u32("request id")?,
            timestamp: Timestamp::from_micros_since_unix_epoch(r.i64("timestamp")?),
            outcome: match r.u8("reducer outcome")? {
                0 => ReducerOutcome::Ok { ret_value: r.bytes("reducer return value")?, update: transaction_update(r)? },
                1 => ReducerOutcome::OkEmpty,
                2 => ReducerOutcome::Err(r.bytes("reducer error value")?),
                3 => ReducerOutcome::InternalError(r.string("reducer internal error")?),
                tag => return Err(r.error("reducer outcome", DecodeErrorKind::InvalidTag(tag))),
            },
        },
        7 => {
            let status = match r.u8("procedure status")? {
                0 => ProcedureStatus::Returned(r.bytes("procedure return value")?),
                1 => ProcedureStatus::InternalError(r.string("procedure internal error")?),
                tag => return Err(r.error("procedure status", DecodeErrorKind::InvalidTag(tag))),
            };
            ServerMessage::ProcedureResult {
                status,
                timestamp: Timestamp::from_micros_since_unix_epoch(r.i64("timestamp")?),
                host_duration: TimeDuration::from_micros(r.i64("procedure host duration")?),
                request_id: r.u32("request id")?,
            }
        }
        tag => return Err(r.error("server message tag", DecodeErrorKind::InvalidTag(tag))),
    })
}

fn query_rows(r: &mut Reader) -> Result<QueryRows, DecodeError> {
    // Each entry is at least a name length (4) and an empty row list (1 + 2 + 4).
    let n = r.count(11, "query rows")?;
    let mut tables = Vec::with_capacity(n);
    for _ in 0..n {
        let name = r.string("table name")?;
        tables.push((name, RowList::decode(r)?));
    }
    Ok(QueryRows { tables })
}

fn transaction_update(r: &mut Reader) -> Result<TransactionUpdate, DecodeError> {
    // A query set update is at least its id (4) and a table count (4).
    let n = r.count(8, "query set updates")?;
    let mut query_sets = Vec::with_capacity(n);
    for _ in 0..n {
        let query_set_id = r.u32("query set id")?;
        // A table update is at least a name length (4) and a row-update count (4).
        let t = r.count(8, "table updates")?;
        let mut tables = Vec::with_capacity(t);
        for _ in 0..t {
            let table_name = r.string("table name")?;
            // The smallest row update is a tag and one empty row list (1 + 7).
            let k = r.count(8, "table row updates")?;
            let mut rows = Vec::with_capacity(k);
            for _ in 0..k {
                rows.push(match r.u8("table rows kind")? {
                    0 => TableUpdateRows::PersistentTable { inserts: RowList::decode(r)?, deletes: RowList::decode(r)? },
                    1 => TableUpdateRows::EventTable { events: RowList::decode(r)? },
                    tag => return Err(r.error("table rows kind", DecodeErrorKind::InvalidTag(tag))),
                });
            }
            tables.push(TableUpdate { table_name, rows });
        }
        query_sets.push(QuerySetUpdate { query_set_id, tables });
    }
    Ok(TransactionUpdate { query_sets })
}
