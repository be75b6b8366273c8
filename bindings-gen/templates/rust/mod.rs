{{ banner }}

//! Typed bindings for a SpacetimeDB module, generated from {{ source }}.
//!
//! Shaped like the official SDK's `module_bindings` (`spacetime generate --lang rust`): connect
//! with [`DbConnection::builder`], read tables through `conn.db` (extension traits such as the
//! `…TableAccess` ones), call reducers through `conn.reducers`, and advance the connection with
//! [`DbConnection::frame_tick`] or [`DbConnection::run_threaded`]. Built on stdb-client's dynamic
//! API (`stdb_client::typed`); `raw()` methods give the dynamic handles underneath.
{%- if !lifecycle.is_empty() %}
//!
//! Lifecycle reducers (not callable by clients, so not generated): {{ lifecycle|join(", ") }}.
{%- endif %}

// A client includes these as a private module (`mod module_bindings;`) and uses only part of
// them; the rest is not dead code to warn about.
#![allow(dead_code, unused_imports)]

use stdb_client::typed as __sdk;
{%- for (file, _name) in types %}
pub mod {{ file }};
{%- endfor %}
{%- for t in tables %}
pub mod {{ t.file }};
{%- endfor %}
{%- for r in reducers %}
pub mod {{ r.file }};
{%- endfor %}
{%- for (file, name) in types %}
pub use {{ file }}::{{ name }};
{%- endfor %}
{%- for t in tables %}
pub use {{ t.file }}::*;
{%- endfor %}
{%- for r in reducers %}
pub use {{ r.file }}::{ {{- r.method }}, {{ r.callback_id -}} };
{%- endfor %}

pub use __sdk::{DbContext, Event, EventTable, Identity, ConnectionId, ReducerEvent, Status, Table, TableWithPrimaryKey, Timestamp, TimeDuration};

/// One of the module's reducers with its arguments: which reducer a [`ReducerEvent`] is about.
#[derive(Clone, PartialEq, Debug)]
#[allow(clippy::large_enum_variant)]
pub enum Reducer {
{%- for r in reducers %}
{%- if r.params.is_empty() %}
    /// `{{ r.name }}`
    {{ r.variant }},
{%- else %}
    /// `{{ r.name }}`
    {{ r.variant }} {
{%- for p in r.params %}
        {{ p.ident }}: {{ p.ty }},
{%- endfor %}
    },
{%- endif %}
{%- endfor %}
}

impl __sdk::InModule for Reducer {
    type Module = RemoteModule;
}

impl __sdk::Reducer for Reducer {
    fn reducer_name(&self) -> &'static str {
{%- if reducers.is_empty() %}
        match *self {}
{%- else %}
        match self {
{%- for r in reducers %}
{%- if r.params.is_empty() %}
            Reducer::{{ r.variant }} => {{ r.name_lit }},
{%- else %}
            Reducer::{{ r.variant }} { .. } => {{ r.name_lit }},
{%- endif %}
{%- endfor %}
        }
{%- endif %}
    }

    fn args_bsatn(&self) -> Result<Vec<u8>, __sdk::__sats::bsatn::EncodeError> {
{%- if reducers.is_empty() %}
        match *self {}
{%- else %}
        match self.clone() {
{%- for r in reducers %}
{%- if r.params.is_empty() %}
            Reducer::{{ r.variant }} => __sdk::__sats::bsatn::to_vec(&{{ r.file }}::{{ r.args }} {}),
{%- else %}
            Reducer::{{ r.variant }} { {{ r.names() }} } => __sdk::__sats::bsatn::to_vec(&{{ r.file }}::{{ r.args }} { {{ r.names() }} }),
{%- endif %}
{%- endfor %}
        }
{%- endif %}
    }

    fn try_from_bsatn(reducer_name: &str, args: &[u8]) -> Option<Self> {
{%- if reducers.is_empty() %}
        let _ = (reducer_name, args);
        None
{%- else %}
        match reducer_name {
{%- for r in reducers %}
            {{ r.name_lit }} => __sdk::decode_exact::<{{ r.file }}::{{ r.args }}>(args).map(Into::into),
{%- endfor %}
            _ => None,
        }
{%- endif %}
    }
}

/// The module: ties the generated types to `stdb_client::typed`.
#[doc(hidden)]
pub struct RemoteModule;

impl __sdk::SpacetimeModule for RemoteModule {
    type DbConnection = DbConnection;
    type EventContext = EventContext;
    type ReducerEventContext = ReducerEventContext;
    type SubscriptionEventContext = SubscriptionEventContext;
    type ErrorContext = ErrorContext;
    type Reducer = Reducer;
    const SCHEMA_JSON: &'static str = concat!(
{%- for c in schema_chunks %}
        {{ c }},
{%- endfor %}
    );
}

/// The `db` field of [`DbConnection`] and the contexts: the module's tables, through the
/// extension traits each table's file defines (`ctx.db.TABLE()`).
pub struct RemoteTables {
    imp: stdb_client::DbConnection,
}

/// The `reducers` field of [`DbConnection`] and the contexts: the module's reducers, through the
/// extension traits each reducer's file defines (`ctx.reducers.REDUCER(args…)`).
pub struct RemoteReducers {
    imp: stdb_client::DbConnection,
}

/// Configures a connection: [`DbConnection::builder`].
pub type DbConnectionBuilder = __sdk::DbConnectionBuilder<RemoteModule>;
/// Configures a subscription: `ctx.subscription_builder()`.
pub type SubscriptionBuilder = __sdk::SubscriptionBuilder<RemoteModule>;
/// One subscription.
pub type SubscriptionHandle = __sdk::SubscriptionHandle<RemoteModule>;

/// A connection to the module, with its client cache.
///
/// Connect with [`DbConnection::builder`], then advance the connection with one of
/// [`frame_tick`](Self::frame_tick) (each frame, on your thread), [`run_threaded`](Self::run_threaded)
/// or [`run_async`](Self::run_async): callbacks run only while it is advanced.
pub struct DbConnection {
    /// The module's tables, through the extension traits implemented for [`RemoteTables`].
    pub db: RemoteTables,
    /// The module's reducers, through the extension traits implemented for [`RemoteReducers`].
    pub reducers: RemoteReducers,
    imp: stdb_client::DbConnection,
}

impl __sdk::InModule for DbConnection {
    type Module = RemoteModule;
}

impl __sdk::FromDbConnection for DbConnection {
    fn new(imp: stdb_client::DbConnection) -> Self {
        DbConnection { db: RemoteTables { imp: imp.clone() }, reducers: RemoteReducers { imp: imp.clone() }, imp }
    }
}

impl DbConnection {
    /// Starts configuring a connection: `.with_uri(..).with_module_name(..).on_connect(..).build()`.
    pub fn builder() -> DbConnectionBuilder {
        __sdk::DbConnectionBuilder::new()
    }

    /// Applies every message that has arrived and runs its callbacks, without blocking. An error
    /// once the connection has ended.
    pub fn frame_tick(&self) -> __sdk::Result<()> {
        self.imp.frame_tick()
    }

    /// Applies at most one waiting message; whether one was applied.
    pub fn advance_one_message(&self) -> __sdk::Result<bool> {
        self.imp.advance_one_message()
    }

    /// Waits for a message (up to a second) and applies it.
    pub fn advance_one_message_blocking(&self) -> __sdk::Result<()> {
        self.imp.advance_one_message_blocking(std::time::Duration::from_secs(1)).map(|_| ())
    }

    /// Advances the connection on a new thread until it ends. Panics if called twice.
    pub fn run_threaded(&self) -> std::thread::JoinHandle<()> {
        self.imp.run_threaded().expect("run_threaded: one tick thread per connection")
    }

    /// Advances the connection until it ends, awaiting when idle: `Ok` after `disconnect`.
    pub async fn run_async(&self) -> __sdk::Result<()> {
        self.imp.run_async().await
    }

    /// The dynamic connection underneath (metrics, one-off queries, raw tables and reducers).
    pub fn raw(&self) -> &stdb_client::DbConnection {
        &self.imp
    }
}

{{ connection }}
{%- for c in contexts %}

{{ c }}
{%- endfor %}

/// A [`__sdk::DbContext`] of this module: [`DbConnection`] or any context, for functions that
/// accept either.
pub trait RemoteDbContext:
    __sdk::DbContext<DbView = RemoteTables, Reducers = RemoteReducers, SubscriptionBuilder = SubscriptionBuilder>
{
}

impl<Ctx: __sdk::DbContext<DbView = RemoteTables, Reducers = RemoteReducers, SubscriptionBuilder = SubscriptionBuilder>>
    RemoteDbContext for Ctx
{
}
