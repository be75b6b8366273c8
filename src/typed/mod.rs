//! Support for the typed Rust bindings that `stdb-bindings-gen --lang rust` writes for one module
//! (a `module_bindings` module, shaped like the official SDK's `spacetime generate --lang rust`).
//!
//! The generated code names this module `__sdk` and builds on the dynamic API underneath
//! ([`crate::DbConnection`], [`crate::TableHandle`]): rows stay BSATN bytes in the cache and are
//! decoded into the generated types (through `spacetimedb-sats`' `Serialize`/`Deserialize`
//! derives) when they are read or passed to a callback. What is the same for every module lives
//! here, generic over [`SpacetimeModule`]: the connection and subscription builders, the typed
//! table handle the generated handles wrap, the events, the `DbContext`/`Table` traits.

mod builder;
mod event;
mod table;
mod uuid;

pub use builder::{DbConnectionBuilder, IntoQueries, SubscriptionBuilder, SubscriptionHandle};
pub use event::{Event, ReducerEvent};
pub use table::{key, key_bound, KeyBounds, TableHandle};
pub use uuid::Uuid;

pub use crate::{CallbackId, Compression, ConnectionId, Error, Identity, Result, Status, TimeDuration, Timestamp};
/// The crate the generated types' derives expand against (`#[sats(crate = __lib)]`).
pub use spacetimedb_lib as __lib;
pub use spacetimedb_lib::ScheduleAt;
pub use spacetimedb_sats as __sats;
pub use spacetimedb_sats::{i256, u256};

use crate::CallReducerFlags;

/// What the generated `module_bindings` declare about their module: the concrete context types
/// (which carry the module's `db` and `reducers` fields), the `Reducer` enum and the schema.
pub trait SpacetimeModule: Sized + Send + Sync + 'static {
    type DbConnection: FromDbConnection;
    type EventContext: AbstractEventContext<Event = Event<Self::Reducer>>;
    type ReducerEventContext: AbstractEventContext<Event = ReducerEvent<Self::Reducer>>;
    type SubscriptionEventContext: AbstractEventContext<Event = ()>;
    type ErrorContext: AbstractEventContext<Event = Option<Error>>;
    type Reducer: Reducer;
    /// The schema the bindings were generated from (SATS-JSON, V9 or V10); given to the
    /// connection so every table and reducer is known from `build` on.
    const SCHEMA_JSON: &'static str;
}

/// The generated `DbConnection`: made from the dynamic connection it wraps.
pub trait FromDbConnection: Sized {
    fn new(imp: crate::DbConnection) -> Self;
}

/// A generated context type: the connection plus why a callback runs.
pub trait AbstractEventContext: Sized {
    type Event;
    fn event(&self) -> &Self::Event;
    fn new(imp: crate::DbConnection, event: Self::Event) -> Self;
}

/// The generated `Reducer` enum: one variant per callable reducer, holding its arguments.
pub trait Reducer: Sized + Clone + std::fmt::Debug + Send + 'static {
    /// The reducer's name in the module.
    fn reducer_name(&self) -> &'static str;
    /// The arguments as the server receives them.
    fn args_bsatn(&self) -> std::result::Result<Vec<u8>, __sats::bsatn::EncodeError>;
    /// Decodes a reducer run the server reported; `None` for reducers the bindings do not know
    /// (lifecycle reducers, a newer module) or arguments that do not decode.
    fn try_from_bsatn(reducer_name: &str, args: &[u8]) -> Option<Self>;
}

/// Implemented by the generated `DbConnection` and every context type, as in the official SDK.
pub trait DbContext {
    /// The `db` field's type (`RemoteTables`).
    type DbView;
    /// The `reducers` field's type (`RemoteReducers`).
    type Reducers;
    type SubscriptionBuilder;

    fn db(&self) -> &Self::DbView;
    fn reducers(&self) -> &Self::Reducers;
    /// True from `build` until the disconnection has been reported.
    fn is_active(&self) -> bool;
    /// Closes the connection; an error if it is already closed or closing.
    fn disconnect(&self) -> Result<()>;
    fn subscription_builder(&self) -> Self::SubscriptionBuilder;
    /// Our identity. Panics before the server has sent it (before `on_connect`); see
    /// [`try_identity`](Self::try_identity).
    fn identity(&self) -> Identity {
        self.try_identity().expect("the identity is not known before on_connect")
    }
    fn try_identity(&self) -> Option<Identity>;
    fn connection_id(&self) -> ConnectionId;
    fn try_connection_id(&self) -> Option<ConnectionId> {
        Some(self.connection_id())
    }
}

/// Implemented by every generated table handle.
pub trait Table {
    type Row;
    type EventContext;
    type InsertCallbackId;
    type DeleteCallbackId;

    /// Rows of this table in the client cache.
    fn count(&self) -> u64;
    /// The cached rows, decoded.
    fn iter(&self) -> impl Iterator<Item = Self::Row> + '_;
    /// Runs `callback` for every row inserted into the cache, from a subscription or a transaction.
    fn on_insert(&self, callback: impl FnMut(&Self::EventContext, &Self::Row) + Send + 'static) -> Self::InsertCallbackId;
    fn remove_on_insert(&self, callback: Self::InsertCallbackId);
    /// Runs `callback` for every row leaving the cache.
    fn on_delete(&self, callback: impl FnMut(&Self::EventContext, &Self::Row) + Send + 'static) -> Self::DeleteCallbackId;
    fn remove_on_delete(&self, callback: Self::DeleteCallbackId);
}

/// Implemented by the handles of tables with a primary key.
pub trait TableWithPrimaryKey: Table {
    type UpdateCallbackId;
    /// Runs `callback` with the old and new row when a row is replaced by one with the same
    /// primary key in one transaction.
    fn on_update(
        &self,
        callback: impl FnMut(&Self::EventContext, &Self::Row, &Self::Row) + Send + 'static,
    ) -> Self::UpdateCallbackId;
    fn remove_on_update(&self, callback: Self::UpdateCallbackId);
}

/// Implemented by the handles of event tables (2.x): rows reach insert callbacks and are never
/// cached.
pub trait EventTable {
    type Row;
    type EventContext;
    type InsertCallbackId;
    fn on_insert(&self, callback: impl FnMut(&Self::EventContext, &Self::Row) + Send + 'static) -> Self::InsertCallbackId;
    fn remove_on_insert(&self, callback: Self::InsertCallbackId);
}

/// Sends a reducer call with the arguments `args` (the generated `…Args` struct).
pub fn call_reducer<A: __sats::ser::Serialize>(conn: &crate::DbConnection, reducer: &str, args: &A) -> Result<()> {
    let bytes = encode(args)?;
    conn.call_reducer(reducer, &bytes, CallReducerFlags::FullUpdate).map(|_| ())
}

/// Sends a reducer call; `callback` runs once with its outcome: `Ok(Ok(()))` committed,
/// `Ok(Err(message))` failed, `Err` when no result will come (the connection ended first).
pub fn call_reducer_then<M: SpacetimeModule, A: __sats::ser::Serialize>(
    conn: &crate::DbConnection,
    reducer: &str,
    args: &A,
    call: M::Reducer,
    callback: impl FnOnce(&M::ReducerEventContext, std::result::Result<std::result::Result<(), String>, Error>) + Send + 'static,
) -> Result<()> {
    let bytes = encode(args)?;
    conn.call_reducer_then(reducer, &bytes, CallReducerFlags::FullUpdate, move |ctx, outcome| {
        let (event, result) = match outcome {
            Ok(r) => {
                let result = match &r.status {
                    Status::Committed => Ok(Ok(())),
                    Status::Failed(why) => Ok(Err(why.clone())),
                    Status::OutOfEnergy => Ok(Err("the reducer ran out of energy".to_owned())),
                };
                (event::reducer_event_with(r, call), result)
            }
            Err(why) => (event::lost_call(ctx.conn, call, why), Err(Error::ConnectionLost(why.to_owned()))),
        };
        callback(&M::ReducerEventContext::new(ctx.conn.clone(), event), result);
    })
    .map(|_| ())
}

/// Registers `callback` for every reported run of `reducer` whose arguments decode.
pub fn on_reducer<M: SpacetimeModule>(
    conn: &crate::DbConnection,
    reducer: &str,
    mut callback: impl FnMut(&M::ReducerEventContext) + Send + 'static,
) -> CallbackId {
    conn.on_reducer(reducer, move |ctx, r| {
        if let Some(event) = event::reducer_event::<M::Reducer>(r) {
            callback(&M::ReducerEventContext::new(ctx.conn.clone(), event));
        }
    })
    .expect("the bindings' reducers are in the schema they give the connection")
}

pub fn remove_on_reducer(conn: &crate::DbConnection, id: CallbackId) {
    conn.remove_on_reducer(id);
}

/// A value's BSATN bytes.
pub fn encode<T: __sats::ser::Serialize + ?Sized>(value: &T) -> Result<Vec<u8>> {
    __sats::bsatn::to_vec(value).map_err(|e| Error::InvalidArgument(format!("encoding a value: {e}")))
}

/// The typed event context for a callback of the dynamic API.
pub(crate) fn event_context<M: SpacetimeModule>(ctx: &crate::EventContext) -> M::EventContext {
    M::EventContext::new(ctx.conn.clone(), event::event::<M::Reducer>(ctx.event))
}

/// Ties a generated type to its module (as in the official SDK).
pub trait InModule {
    type Module: SpacetimeModule;
}

/// Decodes a value that must fill `bytes` exactly (reducer arguments); `None` otherwise.
pub fn decode_exact<T: for<'de> __sats::de::Deserialize<'de>>(bytes: &[u8]) -> Option<T> {
    let mut rest = bytes;
    let value = __sats::bsatn::from_reader(&mut rest).ok()?;
    rest.is_empty().then_some(value)
}
