//! A connection to one database: the handle game code holds, the tick that applies what the
//! background task decoded, and the calls that send messages.

mod builder;
mod callbacks;
mod inbox;
mod nosigpipe;
mod pacing;
mod parse;
mod subscription;
mod table;
mod tick;
mod transport;

#[doc(hidden)]
pub use parse::decode_frame_rows;

pub use builder::DbConnectionBuilder;
pub use callbacks::CallbackId;
pub use subscription::{SubscriptionBuilder, SubscriptionHandle, SubscriptionState};
pub use table::TableHandle;
pub use transport::{Compression, ReconnectPolicy};

use crate::cache::ClientCache;
use crate::error::{Error, Result};
use crate::event::{Event, ReducerEvent};
use crate::metrics::Metrics;
use crate::protocol::{CallReducerFlags, ClientRequest, Protocol, RowList};
use crate::schema::Schema;
use crate::sync::{Mutex, RwLock};
use builder::{OnConnect, OnConnectError, OnDisconnect, OnReconnect};
use bytes::Bytes;
use callbacks::Callbacks;
use inbox::Link;
use spacetimedb_lib::{ConnectionId, Identity};
use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU8, Ordering::Relaxed, Ordering::SeqCst};
use std::sync::Arc;
use std::time::Instant;
use subscription::Subscriptions;
use tokio::sync::mpsc::{unbounded_channel, UnboundedReceiver, UnboundedSender};
use transport::Outbound;

/// A connection to a SpacetimeDB database. Cheap to clone; every clone is the same connection.
/// Every method may be called from any thread; callbacks run only on the thread that advances
/// the connection.
#[derive(Clone)]
pub struct DbConnection {
    inner: Arc<Inner>,
}

/// What a callback receives: the connection and why it runs.
pub struct EventContext<'a> {
    pub conn: &'a DbConnection,
    pub event: &'a Event,
}

/// The outcome of one bounded `frame_tick_budget`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TickReport {
    /// Messages applied in this call.
    pub processed: usize,
    /// Messages still waiting because the budget ran out (counting one left partly applied).
    pub remaining: usize,
}

pub type OneOffCallback = dyn FnOnce(&DbConnection, std::result::Result<Vec<(String, RowList)>, String>) + Send;

/// How a procedure call ended: its BSATN return value, or the server's error text.
#[derive(Clone, Debug)]
pub struct ProcedureOutcome {
    pub result: std::result::Result<Bytes, String>,
    pub timestamp: spacetimedb_lib::Timestamp,
    /// Time the host spent running the procedure.
    pub host_duration: spacetimedb_lib::TimeDuration,
}

pub type ProcedureCallback = dyn FnOnce(&DbConnection, ProcedureOutcome) + Send;

/// The per-call callback of [`DbConnection::call_reducer_then`]: the reducer event of this call
/// (committed, failed or out of energy), or `Err` with why no result will come (the connection
/// ended or was lost first, or the server never answered it).
pub type ReducerThen = dyn FnOnce(&EventContext, std::result::Result<&ReducerEvent, &str>) + Send;

/// One of our reducer calls awaiting its result: for the round-trip time, on v2 (whose
/// `ReducerResult` names only the request id) for the reducer's name and arguments, and for its
/// per-call callback.
struct PendingCall {
    request_id: u32,
    sent: Instant,
    reducer: Arc<str>,
    args: Bytes,
    then: Option<Box<ReducerThen>>,
    /// The transport's socket generation when the call was recorded (`Link::generation`).
    generation: u64,
}

/// Calls awaiting a result, at most this many (v1 sends no result for some calls).
const MAX_PENDING_CALLS: usize = 1 << 16;

struct Identityinfo {
    identity: Option<Identity>,
    token: Option<String>,
}

/// One connection's shared state.
///
/// Locks (`crate::sync`: std's, not poisoning). No lock is held while a user callback runs: callbacks
/// are taken out of (or cloned from) their lists first. Only two pairs are ever nested, always
/// in this order: `callbacks` → `cache` (the tick applying rows, which must know which tables
/// have row callbacks), and `pending_calls` → `lost_calls` (matching a result drops the older
/// calls it proves lost). `subscriptions` may be held while a request is queued on `outbound`
/// (a channel, not a lock), so a query id is never seen before its request. Every other lock
/// (`ident`, `connection_id`, `lifecycle`, `one_off`, `procedures`, `tick`, and the inbox's
/// queue inside `link`) is taken alone. The atomics are flags and counters read without locks.
pub(crate) struct Inner {
    link: Arc<Link>,
    outbound: UnboundedSender<Outbound>,
    /// Ours; a reconnect gets a new one.
    connection_id: Mutex<ConnectionId>,
    ident: Mutex<Identityinfo>,
    /// True from build until the disconnection has been reported by a tick.
    active: AtomicBool,
    /// True once a tick has seen the socket end (or the connect fail).
    ended: AtomicBool,
    disconnect_requested: AtomicBool,
    ticking: AtomicBool,
    /// True once `run_threaded` started a tick thread.
    threaded: AtomicBool,
    /// Shared with the background jobs that stage large messages (`pacing.rs`).
    cache: Arc<RwLock<Option<ClientCache>>>,
    callbacks: Mutex<Callbacks>,
    subscriptions: Mutex<Subscriptions>,
    lifecycle: Mutex<Lifecycle>,
    next_request_id: AtomicU32,
    /// The protocol the server picked (`Protocol as u8 + 1`; 0 before the first connect).
    protocol: AtomicU8,
    /// Our reducer calls awaiting their result, oldest first (bounded).
    pending_calls: Mutex<VecDeque<PendingCall>>,
    /// Per-call callbacks whose call can get no result, to be told so by the next tick.
    lost_calls: Mutex<Vec<(Box<ReducerThen>, String)>>,
    /// One-off queries and procedure calls awaiting their answer, with the socket generation they
    /// were recorded on (`Link::generation`), like `PendingCall`.
    one_off: Mutex<HashMap<u32, (u64, Box<OneOffCallback>)>>,
    procedures: Mutex<HashMap<u32, (u64, Box<ProcedureCallback>)>>,
    next_one_off: AtomicU32,
    /// The ticking thread's own state (diff buffers, a message left partly done).
    tick: Mutex<tick::TickState>,
    /// Counts this connection as alive: the library refuses to shut down while any is.
    _live: crate::runtime::LiveConnection,
}

struct Lifecycle {
    on_connect: Option<Box<OnConnect>>,
    on_connect_error: Option<Box<OnConnectError>>,
    on_disconnect: Option<Box<OnDisconnect>>,
    on_reconnect: Option<Box<OnReconnect>>,
}

impl Inner {
    fn new(b: DbConnectionBuilder, connection_id: ConnectionId) -> (Arc<Inner>, UnboundedReceiver<Outbound>) {
        let (tx, rx) = unbounded_channel();
        let inner = Arc::new(Inner {
            link: Arc::new(Link::new(b.max_queued_bytes)),
            outbound: tx,
            connection_id: Mutex::new(connection_id),
            ident: Mutex::new(Identityinfo { identity: None, token: None }),
            active: AtomicBool::new(true),
            ended: AtomicBool::new(false),
            disconnect_requested: AtomicBool::new(false),
            ticking: AtomicBool::new(false),
            threaded: AtomicBool::new(false),
            cache: Arc::new(RwLock::new(None)),
            callbacks: Mutex::new(Callbacks::default()),
            subscriptions: Mutex::new(Subscriptions::default()),
            lifecycle: Mutex::new(Lifecycle {
                on_connect: b.on_connect,
                on_connect_error: b.on_connect_error,
                on_disconnect: b.on_disconnect,
                on_reconnect: b.on_reconnect,
            }),
            next_request_id: AtomicU32::new(1),
            protocol: AtomicU8::new(0),
            pending_calls: Mutex::new(VecDeque::new()),
            lost_calls: Mutex::new(Vec::new()),
            one_off: Mutex::new(HashMap::new()),
            procedures: Mutex::new(HashMap::new()),
            next_one_off: AtomicU32::new(1),
            tick: Mutex::new(tick::TickState::default()),
            _live: crate::runtime::LiveConnection::new(),
        });
        (inner, rx)
    }

    /// Creates the cache once the schema is known.
    fn ensure_cache(&self) {
        let Some(schema) = self.link.schema.get() else { return };
        let mut cache = self.cache.write();
        if cache.is_none() {
            *cache = Some(ClientCache::new(schema.clone()));
        }
    }
}

impl Drop for Inner {
    fn drop(&mut self) {
        // The last handle is gone: close the socket (the background task ends with it).
        let _ = self.outbound.send(Outbound::Close);
    }
}

impl DbConnection {
    pub fn builder() -> DbConnectionBuilder {
        DbConnectionBuilder::default()
    }

    // ---- identity and state -------------------------------------------------------------

    /// Our identity, once the server has sent it (`on_connect` has run or is about to).
    pub fn try_identity(&self) -> Option<Identity> {
        self.inner.ident.lock().identity
    }

    pub fn identity(&self) -> Result<Identity> {
        self.try_identity().ok_or_else(|| Error::InvalidState("the identity is not known yet (before on_connect)".into()))
    }

    /// The token the server issued or accepted, once connected. Never logged by this library.
    pub fn token(&self) -> Option<String> {
        self.inner.ident.lock().token.clone()
    }

    /// This connection's id (random per connection unless the builder set one; a reconnect
    /// gets a new one).
    pub fn connection_id(&self) -> ConnectionId {
        *self.inner.connection_id.lock()
    }

    /// True from `build` until a tick has reported the disconnection.
    pub fn is_active(&self) -> bool {
        self.inner.active.load(SeqCst)
    }

    pub fn schema(&self) -> Option<Arc<Schema>> {
        self.inner.link.schema.get().cloned()
    }

    pub fn metrics(&self) -> Metrics {
        self.inner.link.counters.snapshot()
    }

    /// Closes the connection. `on_disconnect` then runs, with no error, on a later tick.
    pub fn disconnect(&self) -> Result<()> {
        if !self.is_active() || self.inner.disconnect_requested.swap(true, SeqCst) {
            return Err(Error::Disconnected);
        }
        self.inner.outbound.send(Outbound::Close).map_err(|_| Error::Disconnected)
    }

    /// The protocol the server picked, once connected.
    pub fn protocol(&self) -> Option<Protocol> {
        match self.inner.protocol.load(Relaxed) {
            1 => Some(Protocol::V1),
            2 => Some(Protocol::V2),
            3 => Some(Protocol::V3),
            _ => None,
        }
    }

    fn set_protocol(&self, p: Protocol) {
        let code = match p {
            Protocol::V1 => 1,
            Protocol::V2 => 2,
            Protocol::V3 => 3,
        };
        self.inner.protocol.store(code, Relaxed);
    }

    fn send(&self, request: ClientRequest) -> Result<()> {
        if !self.is_active()
            || self.inner.disconnect_requested.load(SeqCst)
            || self.inner.ended.load(SeqCst)
            || self.inner.link.reconnecting.load(Relaxed)
        {
            return Err(Error::Disconnected);
        }
        self.inner.outbound.send(Outbound::Request(request)).map_err(|_| Error::Disconnected)
    }

    fn schema_required(&self) -> Result<Arc<Schema>> {
        self.schema().ok_or_else(|| {
            Error::InvalidState("the module schema is not known yet: wait for on_connect, or give the builder a schema".into())
        })
    }

    // ---- reducers ---------------------------------------------------------------------------

    /// Asks the server to run `reducer` with BSATN-encoded `args` (the parameters concatenated).
    /// The message is sent at once, from this thread. The arguments are checked against the
    /// reducer's parameter types first; on mismatch nothing is sent. Returns the request id.
    pub fn call_reducer(&self, reducer: &str, args: &[u8], flags: CallReducerFlags) -> Result<u32> {
        self.call_reducer_inner(reducer, args, flags, None)
    }

    /// Like [`call_reducer`](Self::call_reducer), and `then` runs once on a later tick with this
    /// call's outcome: its reducer event (after the cache has been updated and the per-reducer
    /// callbacks have run, before the row callbacks), or `Err` with why no result will come.
    /// `NoSuccessNotify` is refused on v1, where a successful call would never be reported.
    pub fn call_reducer_then(
        &self,
        reducer: &str,
        args: &[u8],
        flags: CallReducerFlags,
        then: impl FnOnce(&EventContext, std::result::Result<&ReducerEvent, &str>) + Send + 'static,
    ) -> Result<u32> {
        if flags == CallReducerFlags::NoSuccessNotify && self.protocol() == Some(Protocol::V1) {
            return Err(Error::InvalidArgument(
                "call_reducer_then with NoSuccessNotify: a v1 server would never report a successful call".into(),
            ));
        }
        self.call_reducer_inner(reducer, args, flags, Some(Box::new(then)))
    }

    fn call_reducer_inner(
        &self,
        reducer: &str,
        args: &[u8],
        flags: CallReducerFlags,
        then: Option<Box<ReducerThen>>,
    ) -> Result<u32> {
        let schema = self.schema_required()?;
        let def = schema.reducer(reducer).ok_or_else(|| Error::UnknownReducer(reducer.to_owned()))?;
        if let Some(kind) = def.lifecycle {
            return Err(Error::InvalidArgument(format!(
                "`{reducer}` is the module's {kind} lifecycle reducer; clients cannot call it"
            )));
        }
        if !def.client_callable {
            return Err(Error::InvalidArgument(format!("`{reducer}` is a private reducer; clients cannot call it")));
        }
        schema
            .types
            .validate(&def.params, args)
            .map_err(|e| Error::InvalidArgument(format!("arguments for `{reducer}`({}): {e}", def.param_names.join(", "))))?;
        let args = Bytes::copy_from_slice(args);
        // Recorded as pending before it is sent: the reply may be applied by another thread's
        // tick before `send` returns. Request ids are taken under the same lock, so the queue
        // stays in id order (the order `record_round_trip` relies on).
        let (request_id, evicted) = {
            let mut pending = self.inner.pending_calls.lock();
            let evicted = if pending.len() >= MAX_PENDING_CALLS { pending.pop_front() } else { None };
            let request_id = self.inner.next_request_id.fetch_add(1, Relaxed);
            let reducer: Arc<str> = def.name.as_str().into();
            let generation = self.inner.link.generation.load(SeqCst);
            pending.push_back(PendingCall { request_id, sent: Instant::now(), reducer, args: args.clone(), then, generation });
            (request_id, evicted)
        };
        if let Some(call) = evicted.filter(|c| c.then.is_some()) {
            self.defer_lost_call(call, "more calls awaited a result than the client keeps track of");
        }
        let request = ClientRequest::CallReducer { request_id, reducer: def.name.clone(), args, flags };
        if let Err(e) = self.send(request) {
            // Not sent: the caller gets the error now, never the callback.
            self.inner.pending_calls.lock().retain(|c| c.request_id != request_id);
            return Err(e);
        }
        self.inner.link.counters.reducer_calls.fetch_add(1, Relaxed);
        Ok(request_id)
    }

    /// Asks the server to run the procedure `procedure` with BSATN-encoded `args` (checked against
    /// its parameter types first); `f` receives the outcome on a later tick. Procedures exist on
    /// 2.x servers only (protocol v2/v3). Returns the request id.
    pub fn call_procedure(
        &self,
        procedure: &str,
        args: &[u8],
        f: impl FnOnce(&DbConnection, ProcedureOutcome) + Send + 'static,
    ) -> Result<u32> {
        let schema = self.schema_required()?;
        let def = schema.procedure(procedure).ok_or_else(|| Error::UnknownProcedure(procedure.to_owned()))?;
        if !def.client_callable {
            return Err(Error::InvalidArgument(format!("`{procedure}` is a private procedure; clients cannot call it")));
        }
        if self.protocol() == Some(Protocol::V1) {
            return Err(Error::InvalidState(
                "procedures need protocol v2 (a SpacetimeDB 2.x server); this connection speaks v1".into(),
            ));
        }
        schema.types.validate(&def.params, args).map_err(|e| {
            Error::InvalidArgument(format!("arguments for procedure `{procedure}`({}): {e}", def.param_names.join(", ")))
        })?;
        let request_id = self.inner.next_request_id.fetch_add(1, Relaxed);
        let generation = self.inner.link.generation.load(SeqCst);
        self.inner.procedures.lock().insert(request_id, (generation, Box::new(f)));
        let request =
            ClientRequest::CallProcedure { request_id, procedure: def.name.clone(), args: Bytes::copy_from_slice(args) };
        if let Err(e) = self.send(request) {
            self.inner.procedures.lock().remove(&request_id);
            return Err(e);
        }
        Ok(request_id)
    }

    /// Runs `f` after every run of `reducer` we are told about (our own calls, including failed
    /// ones, and other clients' calls that touched our subscriptions).
    pub fn on_reducer(&self, reducer: &str, f: impl FnMut(&EventContext, &ReducerEvent) + Send + 'static) -> Result<CallbackId> {
        if let Some(schema) = self.schema() {
            if schema.reducer(reducer).is_none() {
                return Err(Error::UnknownReducer(reducer.to_owned()));
            }
        }
        let mut cbs = self.inner.callbacks.lock();
        let id = cbs.next_id();
        cbs.reducers.entry(reducer.to_owned()).or_default().add(id, Box::new(f));
        Ok(id)
    }

    /// Runs `f` after every reducer event of any reducer.
    pub fn on_any_reducer(&self, f: impl FnMut(&EventContext, &ReducerEvent) + Send + 'static) -> CallbackId {
        let mut cbs = self.inner.callbacks.lock();
        let id = cbs.next_id();
        cbs.any_reducer.add(id, Box::new(f));
        id
    }

    /// Removes a reducer callback; returns whether it was registered.
    pub fn remove_on_reducer(&self, id: CallbackId) -> bool {
        let mut cbs = self.inner.callbacks.lock();
        let mut removed = cbs.any_reducer.remove(id);
        for list in cbs.reducers.values_mut() {
            removed |= list.remove(id);
        }
        removed
    }

    // ---- tables -----------------------------------------------------------------------------

    /// A handle to the table named `name` (look it up once, keep the handle).
    pub fn table(&self, name: &str) -> Result<TableHandle> {
        let schema = self.schema_required()?;
        let def = schema.table(name).ok_or_else(|| Error::UnknownTable(name.to_owned()))?;
        Ok(TableHandle::new(self.clone(), def.index))
    }

    // ---- one-off queries --------------------------------------------------------------------

    /// Runs a SQL query once, outside any subscription; the rows (or the error) are passed to `f`
    /// on a later tick. The cache is not touched.
    pub fn one_off_query(
        &self,
        sql: &str,
        f: impl FnOnce(&DbConnection, std::result::Result<Vec<(String, RowList)>, String>) + Send + 'static,
    ) -> Result<()> {
        let id = self.inner.next_one_off.fetch_add(1, Relaxed);
        let generation = self.inner.link.generation.load(SeqCst);
        self.inner.one_off.lock().insert(id, (generation, Box::new(f)));
        if let Err(e) = self.send(ClientRequest::OneOffQuery { request_id: id, query: sql.to_owned() }) {
            self.inner.one_off.lock().remove(&id);
            return Err(e);
        }
        Ok(())
    }

    pub(crate) fn inner(&self) -> &Inner {
        &self.inner
    }
}

/// A row as passed around outside callbacks: shared bytes, no copy.
pub type RowBytes = Bytes;
