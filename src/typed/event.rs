//! Typed events: the dynamic [`crate::Event`] with the reducer and its arguments decoded into
//! the module's `Reducer` enum.

use super::Reducer;
use crate::{ConnectionId, Error, Identity, Status, Timestamp};

/// Why a row callback runs.
#[non_exhaustive]
#[derive(Debug, Clone)]
pub enum Event<R> {
    /// A reducer the bindings know ran (our call; on v1 also other clients' calls).
    Reducer(ReducerEvent<R>),
    /// A subscription's rows were applied.
    SubscribeApplied,
    /// An unsubscribe's rows were removed.
    UnsubscribeApplied,
    /// The connection ended.
    Disconnected,
    /// A subscription failed.
    SubscribeError(Error),
    /// A transaction not attributable to a reducer of the bindings: another client's call on
    /// v2/v3 (which tells others only the rows), light mode, SQL, a lifecycle reducer.
    UnknownTransaction,
    /// Rows that changed while the connection was lost, found on reconnecting (auto-reconnect).
    Reconnected,
}

/// A reducer run: its outcome, caller and the reducer with its arguments.
#[non_exhaustive]
#[derive(Debug, Clone)]
pub struct ReducerEvent<R> {
    /// When the reducer ran (on the server).
    pub timestamp: Timestamp,
    pub status: Status,
    pub caller_identity: Identity,
    /// `None` for scheduled reducers and HTTP calls.
    pub caller_connection_id: Option<ConnectionId>,
    /// v1 only; `None` on v2/v3, which do not carry it.
    pub energy_consumed: Option<u128>,
    /// Which reducer ran, with its arguments.
    pub reducer: R,
    /// v2/v3: the BSATN value the reducer returned (empty for `()`); `None` on v1.
    pub return_value: Option<Vec<u8>>,
}

pub(super) fn event<R: Reducer>(e: &crate::Event) -> Event<R> {
    match e {
        crate::Event::Reducer(r) => reducer_event(r).map_or(Event::UnknownTransaction, Event::Reducer),
        crate::Event::SubscribeApplied => Event::SubscribeApplied,
        crate::Event::UnsubscribeApplied => Event::UnsubscribeApplied,
        crate::Event::SubscribeError(why) => Event::SubscribeError(Error::SubscriptionFatal(why.clone())),
        crate::Event::UnknownTransaction(_) => Event::UnknownTransaction,
        crate::Event::Reconnected => Event::Reconnected,
    }
}

pub(super) fn reducer_event<R: Reducer>(r: &crate::ReducerEvent) -> Option<ReducerEvent<R>> {
    let reducer = R::try_from_bsatn(&r.reducer_name, &r.args)?;
    Some(reducer_event_with(r, reducer))
}

pub(super) fn reducer_event_with<R>(r: &crate::ReducerEvent, reducer: R) -> ReducerEvent<R> {
    ReducerEvent {
        timestamp: r.timestamp,
        status: r.status.clone(),
        caller_identity: r.caller_identity,
        caller_connection_id: r.caller_connection_id,
        energy_consumed: r.energy_consumed,
        reducer,
        return_value: r.return_value.as_ref().map(|b| b.to_vec()),
    }
}

/// The event given to a per-call callback whose call will get no result.
pub(super) fn lost_call<R>(conn: &crate::DbConnection, reducer: R, why: &str) -> ReducerEvent<R> {
    ReducerEvent {
        timestamp: Timestamp::now(),
        status: Status::Failed(why.to_owned()),
        caller_identity: conn.try_identity().unwrap_or_default(),
        caller_connection_id: Some(conn.connection_id()),
        energy_consumed: None,
        reducer,
        return_value: None,
    }
}
