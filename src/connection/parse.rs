//! Background half of message handling: decoded server messages are grouped by table and
//! resolved against the schema, so the ticking thread only applies rows and runs callbacks.

use crate::cache::TableRows;
use crate::event::{Event, ReducerEvent, Status};
use crate::metrics::Counters;
use crate::protocol::server_message::{DatabaseUpdate, ServerMessage, UpdateStatus};
use crate::protocol::v2;
use crate::protocol::RowList;
use crate::schema::Schema;
use bytes::Bytes;
use spacetimedb_lib::{TimeDuration, Timestamp};
use std::sync::atomic::Ordering::Relaxed;

// The large variant is the common one (a transaction); boxing it would add an allocation per
// message and save nothing.
#[allow(clippy::large_enum_variant)]
pub(crate) enum Parsed {
    Transaction {
        tables: Vec<TableRows>,
        event: Event,
    },
    SubscribeApplied {
        query_id: u32,
        tables: Vec<TableRows>,
    },
    UnsubscribeApplied {
        query_id: u32,
        tables: Vec<TableRows>,
    },
    SubscriptionError {
        query_id: Option<u32>,
        error: String,
    },
    OneOffResponse {
        /// `None` when the server answered with an id this client never uses.
        request_id: Option<u32>,
        result: Result<Vec<(String, RowList)>, String>,
    },
    /// v2: the outcome of one of our reducer calls, with its rows when it committed. The tick
    /// pairs it with the call (reducer name, arguments) by request id.
    ReducerResult {
        request_id: u32,
        timestamp: Timestamp,
        outcome: ReducerOutcome,
        tables: Vec<TableRows>,
    },
    /// v2: the outcome of one of our procedure calls.
    ProcedureResult {
        request_id: u32,
        timestamp: Timestamp,
        host_duration: TimeDuration,
        result: Result<Bytes, String>,
    },
    /// A message this client never asks for (legacy single-query subscriptions), or a second
    /// IdentityToken; logged and otherwise ignored.
    Ignored(&'static str),
}

pub(crate) fn parse(msg: ServerMessage, schema: &Schema, counters: &Counters) -> Parsed {
    match msg {
        ServerMessage::TransactionUpdate(tu) => {
            let reducer = ReducerEvent {
                timestamp: tu.timestamp,
                status: match &tu.status {
                    UpdateStatus::Committed(_) => Status::Committed,
                    UpdateStatus::Failed(m) => Status::Failed(m.clone()),
                    UpdateStatus::OutOfEnergy => Status::OutOfEnergy,
                },
                caller_identity: tu.caller_identity,
                caller_connection_id: tu.caller_connection_id.none_if_zero(),
                energy_consumed: Some(tu.energy_quanta_used),
                reducer_name: tu.reducer_name,
                reducer_id: tu.reducer_id,
                args: tu.args,
                request_id: tu.request_id,
                host_duration: tu.host_duration,
                return_value: None,
            };
            let known = schema.reducer(&reducer.reducer_name).is_some();
            let event = if known { Event::Reducer(reducer) } else { Event::UnknownTransaction(Some(reducer)) };
            let tables = match tu.status {
                UpdateStatus::Committed(update) => group(update, schema, counters),
                _ => Vec::new(),
            };
            Parsed::Transaction { tables, event }
        }
        ServerMessage::TransactionUpdateLight { update, .. } => {
            Parsed::Transaction { tables: group(update, schema, counters), event: Event::UnknownTransaction(None) }
        }
        ServerMessage::InitialSubscription { .. } => Parsed::Ignored("InitialSubscription"),
        ServerMessage::SubscribeMultiApplied { query_id, update, .. } => {
            Parsed::SubscribeApplied { query_id, tables: group(update, schema, counters) }
        }
        ServerMessage::UnsubscribeMultiApplied { query_id, update, .. } => {
            Parsed::UnsubscribeApplied { query_id, tables: group(update, schema, counters) }
        }
        ServerMessage::SubscriptionError(e) => Parsed::SubscriptionError { query_id: e.query_id, error: e.error },
        ServerMessage::OneOffQueryResponse(r) => Parsed::OneOffResponse {
            request_id: <[u8; 8]>::try_from(&r.message_id[..]).ok().and_then(|b| u32::try_from(u64::from_le_bytes(b)).ok()),
            result: match r.error {
                Some(e) => Err(e),
                None => Ok(r.tables),
            },
        },
        other => Parsed::Ignored(other.kind()),
    }
}

/// How one of our reducer calls ended (v2), before the tick decodes the error by its type.
pub(crate) enum ReducerOutcome {
    Committed {
        ret_value: Bytes,
    },
    /// BSATN of the reducer's error type.
    Err(Bytes),
    InternalError(String),
}

pub(crate) fn parse_v2(msg: v2::ServerMessage, schema: &Schema, counters: &Counters) -> Parsed {
    use v2::ServerMessage as M;
    match msg {
        M::TransactionUpdate(tu) => Parsed::Transaction {
            tables: group_v2(tu, schema, counters),
            // v2 tells other clients nothing about the reducer, only the rows.
            event: Event::UnknownTransaction(None),
        },
        M::ReducerResult { request_id, timestamp, outcome } => {
            let (outcome, tables) = match outcome {
                v2::ReducerOutcome::Ok { ret_value, update } => {
                    (ReducerOutcome::Committed { ret_value }, group_v2(update, schema, counters))
                }
                v2::ReducerOutcome::OkEmpty => (ReducerOutcome::Committed { ret_value: Bytes::new() }, Vec::new()),
                v2::ReducerOutcome::Err(e) => (ReducerOutcome::Err(e), Vec::new()),
                v2::ReducerOutcome::InternalError(e) => (ReducerOutcome::InternalError(e), Vec::new()),
            };
            Parsed::ReducerResult { request_id, timestamp, outcome, tables }
        }
        M::ProcedureResult { request_id, timestamp, host_duration, status } => Parsed::ProcedureResult {
            request_id,
            timestamp,
            host_duration,
            result: match status {
                v2::ProcedureStatus::Returned(b) => Ok(b),
                v2::ProcedureStatus::InternalError(e) => Err(e),
            },
        },
        M::SubscribeApplied { query_set_id, rows, .. } => {
            Parsed::SubscribeApplied { query_id: query_set_id, tables: group_rows(rows.tables, false, schema, counters) }
        }
        M::UnsubscribeApplied { query_set_id, rows, .. } => Parsed::UnsubscribeApplied {
            query_id: query_set_id,
            tables: group_rows(rows.map(|r| r.tables).unwrap_or_default(), true, schema, counters),
        },
        // v2 always names the query set: only that subscription failed.
        M::SubscriptionError { query_set_id, error, .. } => Parsed::SubscriptionError { query_id: Some(query_set_id), error },
        M::OneOffQueryResult { request_id, result } => {
            Parsed::OneOffResponse { request_id: Some(request_id), result: result.map(|rows| rows.tables) }
        }
        M::InitialConnection { .. } => Parsed::Ignored("InitialConnection"),
    }
}

/// The entry for `table` in `out`, added if missing.
fn entry(out: &mut Vec<TableRows>, table: usize) -> &mut TableRows {
    match out.iter().position(|e| e.table == table) {
        Some(i) => &mut out[i],
        None => {
            out.push(TableRows { table, ..Default::default() });
            out.last_mut().unwrap()
        }
    }
}

fn unknown_table(name: &str, rows: usize, counters: &Counters) {
    counters.unknown_table_updates.fetch_add(1, Relaxed);
    log::warn!("update for table `{name}`, which the schema does not have; {rows} rows skipped");
}

/// Rows of a v2 subscribe (inserts) or unsubscribe (deletes), grouped by table.
fn group_rows(tables: Vec<(String, RowList)>, deletes: bool, schema: &Schema, counters: &Counters) -> Vec<TableRows> {
    let mut out: Vec<TableRows> = Vec::with_capacity(tables.len());
    for (name, rows) in tables {
        let Some(def) = schema.table(&name) else {
            unknown_table(&name, rows.len(), counters);
            continue;
        };
        if rows.is_empty() {
            continue;
        }
        let e = entry(&mut out, def.index);
        if deletes {
            e.deletes.push(rows);
        } else {
            e.inserts.push(rows);
        }
    }
    out
}

/// A v2 transaction's rows across query sets, grouped by table. A row matched by several of our
/// query sets comes once per set, as v1 sends it once per query: the cache counts references.
fn group_v2(update: v2::TransactionUpdate, schema: &Schema, counters: &Counters) -> Vec<TableRows> {
    let mut out: Vec<TableRows> = Vec::new();
    // Event rows by table, per query set: an event matched by two of our queries is still one
    // event (there is no cache to count references in), see `union_events`.
    let mut events: Vec<(usize, Vec<RowList>)> = Vec::new();
    for set in update.query_sets {
        for t in set.tables {
            let Some(def) = schema.table(&t.table_name) else {
                let n = t.rows.iter().map(|r| match r {
                    v2::TableUpdateRows::PersistentTable { inserts, deletes } => inserts.len() + deletes.len(),
                    v2::TableUpdateRows::EventTable { events } => events.len(),
                });
                unknown_table(&t.table_name, n.sum(), counters);
                continue;
            };
            let e = entry(&mut out, def.index);
            for rows in t.rows {
                match rows {
                    v2::TableUpdateRows::PersistentTable { inserts, deletes } => {
                        if !inserts.is_empty() {
                            e.inserts.push(inserts);
                        }
                        if !deletes.is_empty() {
                            e.deletes.push(deletes);
                        }
                    }
                    v2::TableUpdateRows::EventTable { events: rows } if !rows.is_empty() => {
                        match events.iter_mut().find(|(t, _)| *t == def.index) {
                            Some((_, sets)) => sets.push(rows),
                            None => events.push((def.index, vec![rows])),
                        }
                    }
                    v2::TableUpdateRows::EventTable { .. } => {}
                }
            }
        }
    }
    for (table, sets) in events {
        entry(&mut out, table).events = union_events(sets);
    }
    out.retain(|t| !(t.inserts.is_empty() && t.deletes.is_empty() && t.events.is_empty()));
    out
}

/// The events of one table seen through several query sets: each set holds a part of the
/// transaction's events, so an event occurs as often as in the set that has it most often.
/// Order follows the sets, first occurrence first.
fn union_events(sets: Vec<RowList>) -> Vec<RowList> {
    if sets.len() == 1 {
        return sets;
    }
    let mut most: std::collections::HashMap<&[u8], usize> = std::collections::HashMap::new();
    for set in &sets {
        let mut here: std::collections::HashMap<&[u8], usize> = std::collections::HashMap::new();
        for row in set.iter() {
            *here.entry(row).or_default() += 1;
        }
        for (row, n) in here {
            let m = most.entry(row).or_default();
            *m = (*m).max(n);
        }
    }
    let mut kept = Vec::new();
    for set in &sets {
        for row in set.iter() {
            if let Some(left) = most.get_mut(row).filter(|n| **n > 0) {
                *left -= 1;
                kept.push(row);
            }
        }
    }
    vec![RowList::from_rows(kept)]
}

/// Groups a database update by table (a table can appear once per query fragment), dropping
/// tables the schema does not know (counted and logged).
fn group(update: DatabaseUpdate, schema: &Schema, counters: &Counters) -> Vec<TableRows> {
    let mut out: Vec<TableRows> = Vec::with_capacity(update.tables.len());
    for t in update.tables {
        let Some(def) = schema.table(&t.table_name) else {
            counters.unknown_table_updates.fetch_add(1, Relaxed);
            log::warn!("update for table `{}`, which the schema does not have; {} rows skipped", t.table_name, t.num_rows());
            continue;
        };
        let entry = match out.iter_mut().position(|e| e.table == def.index) {
            Some(i) => &mut out[i],
            None => {
                out.push(TableRows { table: def.index, ..Default::default() });
                out.last_mut().unwrap()
            }
        };
        for q in t.queries {
            if !q.inserts.is_empty() {
                entry.inserts.push(q.inserts);
            }
            if !q.deletes.is_empty() {
                entry.deletes.push(q.deletes);
            }
        }
    }
    out
}

/// For the fuzz targets (`fuzz/fuzz_targets/decode_apply.rs`), not part of the API: decodes one
/// binary frame in `protocol` as the transport does and resolves its messages against `schema`,
/// returning each message's rows grouped by table, as the tick gets them to apply to the cache.
#[doc(hidden)]
pub fn decode_frame_rows(
    frame: Bytes,
    protocol: crate::protocol::Protocol,
    limits: crate::protocol::DecodeLimits,
    schema: &Schema,
) -> Result<Vec<Vec<TableRows>>, crate::protocol::DecodeError> {
    use crate::protocol::{server_message, Protocol};
    let counters = Counters::default();
    let parsed = if protocol == Protocol::V1 {
        vec![parse(server_message::decode_frame(frame, limits)?, schema, &counters)]
    } else {
        let (messages, _) = v2::decode_frame(frame, limits, protocol == Protocol::V3)?;
        messages.into_iter().map(|m| parse_v2(m, schema, &counters)).collect()
    };
    Ok(parsed
        .into_iter()
        .map(|p| match p {
            Parsed::Transaction { tables, .. }
            | Parsed::SubscribeApplied { tables, .. }
            | Parsed::UnsubscribeApplied { tables, .. }
            | Parsed::ReducerResult { tables, .. } => tables,
            _ => Vec::new(),
        })
        .collect())
}
