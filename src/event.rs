//! What caused a callback: the events passed to row, reducer and subscription callbacks.

use bytes::Bytes;
use spacetimedb_lib::{ConnectionId, Identity, TimeDuration, Timestamp};

/// How a reducer run ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Status {
    Committed,
    Failed(String),
    OutOfEnergy,
}

/// Metadata about a reducer run: from a v1 `TransactionUpdate`, or for our own calls on v2 from
/// the `ReducerResult` and the call itself (v2 tells other clients nothing about reducers; their
/// row changes arrive as `Event::UnknownTransaction(None)`). On v2 `host_duration` is zero and
/// `energy_consumed` is `None`: the protocol carries neither.
#[derive(Clone, Debug)]
pub struct ReducerEvent {
    pub timestamp: Timestamp,
    pub status: Status,
    pub caller_identity: Identity,
    /// `None` when the server sent the all-zero id (scheduled reducers, HTTP calls).
    pub caller_connection_id: Option<ConnectionId>,
    pub energy_consumed: Option<u128>,
    pub reducer_name: String,
    /// Index of the reducer in the module's reducer list (`u32::MAX` for rejected calls).
    pub reducer_id: u32,
    /// The BSATN arguments exactly as the caller sent them.
    pub args: Bytes,
    pub request_id: u32,
    pub host_duration: TimeDuration,
    /// v2: the BSATN value a committed reducer returned (empty for `()`); `None` on v1, which
    /// carries no return values.
    pub return_value: Option<Bytes>,
}

/// Why a callback runs.
#[derive(Clone, Debug)]
pub enum Event {
    /// A reducer known to the schema ran.
    Reducer(ReducerEvent),
    /// A subscription's initial rows were applied.
    SubscribeApplied,
    /// An unsubscribe's rows were removed.
    UnsubscribeApplied,
    /// A subscription failed.
    SubscribeError(String),
    /// A transaction we cannot attribute to a known reducer: a light-mode update, SQL DML, or a
    /// reducer missing from the schema. The reducer metadata is kept when the server sent it.
    UnknownTransaction(Option<ReducerEvent>),
    /// Rows changed while the connection was lost, found when it was re-established (auto-reconnect).
    Reconnected,
}

impl Event {
    pub fn reducer_event(&self) -> Option<&ReducerEvent> {
        match self {
            Event::Reducer(r) | Event::UnknownTransaction(Some(r)) => Some(r),
            _ => None,
        }
    }
}
