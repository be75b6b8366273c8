//! stdb-client: a SpacetimeDB client with a Rust core and a C ABI.
//!
//! Architecture, by module:
//! - [`protocol`]: the v1 binary wire format (encode client messages, decode server messages).
//! - [`schema`]: the module's schema and the type-directed walks over BSATN bytes.
//! - [`cache`]: the client cache (reference-counted rows, unique and btree indexes).
//! - [`connection`]: the connection handle, its background task, the tick, subscriptions.
//! - [`ffi`]: the `extern "C"` layer over all of the above.

pub mod cache;
pub mod connection;
pub mod credentials;
pub mod error;
pub mod event;
pub mod ffi;
pub mod metrics;
pub mod protocol;
mod runtime;
pub mod schema;
mod sync;
pub mod typed;

pub use connection::{
    CallbackId, Compression, DbConnection, DbConnectionBuilder, EventContext, ProcedureOutcome, ReconnectPolicy, ReducerThen,
    SubscriptionBuilder, SubscriptionHandle, SubscriptionState, TableHandle, TickReport,
};
pub use credentials::Credentials;
pub use error::{ConnectErrorKind, Error, Result};
pub use event::{Event, ReducerEvent, Status};
pub use metrics::Metrics;
pub use protocol::{CallReducerFlags, Protocol};
pub use spacetimedb_lib::{ConnectionId, Identity, TimeDuration, Timestamp};

/// Stops the background runtime every connection shares and joins its threads, so that a host
/// can unload the library. An [`Error::InvalidState`], doing nothing, while any [`DbConnection`]
/// exists (clones, subscription and table handles included) or when called on one of the runtime's
/// threads; may be called from inside another tokio runtime. Threads returned by
/// [`DbConnection::run_threaded`] are the caller's to join. The next connection starts a new
/// runtime.
pub fn shutdown() -> Result<()> {
    runtime::shutdown()
}
