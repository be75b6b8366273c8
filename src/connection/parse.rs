//! Background half of message handling: decoded server messages are grouped by table and
//! resolved against the schema, so the ticking thread only applies rows and runs callbacks.

use crate::cache::TableRows;
use crate::event::{Event, ReducerEvent, Status};
use crate::metrics::Counters;
use crate::protocol::server_message::{DatabaseUpdate, ServerMessage, UpdateStatus};
use crate::protocol::RowList;
use crate::schema::Schema;
use bytes::Bytes;
use std::sync::atomic::Ordering::Relaxed;

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
        message_id: Bytes,
        result: Result<Vec<(String, RowList)>, String>,
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
            message_id: r.message_id,
            result: match r.error {
                Some(e) => Err(e),
                None => Ok(r.tables),
            },
        },
        other => Parsed::Ignored(other.kind()),
    }
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
