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
mod transport;

#[doc(hidden)]
pub use parse::decode_frame_rows;

pub use builder::DbConnectionBuilder;
pub use callbacks::CallbackId;
pub use subscription::{SubscriptionBuilder, SubscriptionHandle, SubscriptionState};
pub use table::TableHandle;
pub use transport::{Compression, ReconnectPolicy};

use crate::cache::{ClientCache, TableDiff};
use crate::error::{Error, Result};
use crate::event::{Event, ReducerEvent, Status};
use crate::metrics::Metrics;
use crate::protocol::{CallReducerFlags, ClientRequest, Protocol, RowList};
use crate::schema::Schema;
use builder::{OnConnect, OnConnectError, OnDisconnect, OnReconnect};
use bytes::Bytes;
use callbacks::{Callbacks, ReducerCallback};
use inbox::{Inbound, Link};
use parse::Parsed;
use spacetimedb_lib::{ConnectionId, Identity};
use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU8, Ordering::Relaxed, Ordering::SeqCst};
use std::sync::{Arc, Mutex, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::{Duration, Instant};
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
}

/// Calls awaiting a result, at most this many (v1 sends no result for some calls).
const MAX_PENDING_CALLS: usize = 1 << 16;

struct Identityinfo {
    identity: Option<Identity>,
    token: Option<String>,
}

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
    one_off: Mutex<HashMap<u32, Box<OneOffCallback>>>,
    procedures: Mutex<HashMap<u32, Box<ProcedureCallback>>>,
    next_one_off: AtomicU32,
    /// Diff buffers reused from tick to tick, so applying allocates as little as possible.
    diffs: Mutex<Vec<TableDiff>>,
    /// The message a budgeted tick left partly done (being staged, or its callbacks partly run);
    /// the next tick continues it before taking another message.
    pending: Mutex<Option<pacing::Work>>,
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
            diffs: Mutex::new(Vec::new()),
            pending: Mutex::new(None),
            _live: crate::runtime::LiveConnection::new(),
        });
        (inner, rx)
    }

    /// Creates the cache once the schema is known.
    fn ensure_cache(&self) {
        let Some(schema) = self.link.schema.get() else { return };
        let mut cache = write(&self.cache);
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

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}
fn read<T>(m: &RwLock<T>) -> RwLockReadGuard<'_, T> {
    m.read().unwrap_or_else(|p| p.into_inner())
}
fn write<T>(m: &RwLock<T>) -> RwLockWriteGuard<'_, T> {
    m.write().unwrap_or_else(|p| p.into_inner())
}

/// Clears the ticking flag when a tick ends, even by unwinding.
struct TickGuard<'a>(&'a AtomicBool);
impl Drop for TickGuard<'_> {
    fn drop(&mut self) {
        self.0.store(false, SeqCst);
    }
}

impl DbConnection {
    pub fn builder() -> DbConnectionBuilder {
        DbConnectionBuilder::default()
    }

    // ---- identity and state -------------------------------------------------------------

    /// Our identity, once the server has sent it (`on_connect` has run or is about to).
    pub fn try_identity(&self) -> Option<Identity> {
        lock(&self.inner.ident).identity
    }

    pub fn identity(&self) -> Result<Identity> {
        self.try_identity().ok_or_else(|| Error::InvalidState("the identity is not known yet (before on_connect)".into()))
    }

    /// The token the server issued or accepted, once connected. Never logged by this library.
    pub fn token(&self) -> Option<String> {
        lock(&self.inner.ident).token.clone()
    }

    /// This connection's id (random per connection unless the builder set one; a reconnect
    /// gets a new one).
    pub fn connection_id(&self) -> ConnectionId {
        *lock(&self.inner.connection_id)
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
            let mut pending = lock(&self.inner.pending_calls);
            let evicted = if pending.len() >= MAX_PENDING_CALLS { pending.pop_front() } else { None };
            let request_id = self.inner.next_request_id.fetch_add(1, Relaxed);
            let reducer: Arc<str> = def.name.as_str().into();
            pending.push_back(PendingCall { request_id, sent: Instant::now(), reducer, args: args.clone(), then });
            (request_id, evicted)
        };
        if let Some(call) = evicted.filter(|c| c.then.is_some()) {
            self.defer_lost_call(call, "more calls awaited a result than the client keeps track of");
        }
        let request = ClientRequest::CallReducer { request_id, reducer: def.name.clone(), args, flags };
        if let Err(e) = self.send(request) {
            // Not sent: the caller gets the error now, never the callback.
            lock(&self.inner.pending_calls).retain(|c| c.request_id != request_id);
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
        lock(&self.inner.procedures).insert(request_id, Box::new(f));
        let request =
            ClientRequest::CallProcedure { request_id, procedure: def.name.clone(), args: Bytes::copy_from_slice(args) };
        if let Err(e) = self.send(request) {
            lock(&self.inner.procedures).remove(&request_id);
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
        let mut cbs = lock(&self.inner.callbacks);
        let id = cbs.next_id();
        cbs.reducers.entry(reducer.to_owned()).or_default().add(id, Box::new(f));
        Ok(id)
    }

    /// Runs `f` after every reducer event of any reducer.
    pub fn on_any_reducer(&self, f: impl FnMut(&EventContext, &ReducerEvent) + Send + 'static) -> CallbackId {
        let mut cbs = lock(&self.inner.callbacks);
        let id = cbs.next_id();
        cbs.any_reducer.add(id, Box::new(f));
        id
    }

    /// Removes a reducer callback; returns whether it was registered.
    pub fn remove_on_reducer(&self, id: CallbackId) -> bool {
        let mut cbs = lock(&self.inner.callbacks);
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
        lock(&self.inner.one_off).insert(id, Box::new(f));
        if let Err(e) = self.send(ClientRequest::OneOffQuery { request_id: id, query: sql.to_owned() }) {
            lock(&self.inner.one_off).remove(&id);
            return Err(e);
        }
        Ok(())
    }

    // ---- advancing ----------------------------------------------------------------------------

    fn enter_tick(&self) -> Result<TickGuard<'_>> {
        if self.inner.ticking.compare_exchange(false, true, SeqCst, SeqCst).is_err() {
            return Err(Error::Reentrant);
        }
        Ok(TickGuard(&self.inner.ticking))
    }

    /// Applies everything that has arrived and runs its callbacks, without blocking.
    /// Returns an error once the connection has ended (after reporting it through callbacks).
    pub fn frame_tick(&self) -> Result<()> {
        self.frame_tick_budget(usize::MAX, None).map(|_| ())
    }

    /// Like `frame_tick`, but stops after `max_messages` messages or once `max_time` has passed,
    /// so neither a burst nor one huge message takes a whole frame. With `max_time`, the time is
    /// also checked inside a message: a table getting thousands of rows is applied on a copy in
    /// the background and swapped in by a later tick, and row callbacks stop once the time is up
    /// and resume where they stopped on the next tick. The call therefore returns within
    /// `max_time` plus a small bound, besides the time spent in your callbacks (a callback that
    /// runs past the deadline is not interrupted; at least one runs per call). The cache is never
    /// seen half-applied, and a message's callbacks all run, in order, before the next message
    /// is applied: a callback sees the cache exactly as its message left it (see `pacing.rs`).
    pub fn frame_tick_budget(&self, max_messages: usize, max_time: Option<Duration>) -> Result<TickReport> {
        let _guard = self.enter_tick()?;
        let start = Instant::now();
        let deadline = max_time.map(|t| start + t);
        self.run_lost_calls();
        let mut report = TickReport::default();
        let mut unfinished = false;
        loop {
            let pending = lock(&self.inner.pending).take();
            if let Some(work) = pending {
                if !self.continue_work(work, deadline) {
                    unfinished = true;
                    break;
                }
                report.processed += 1;
                continue;
            }
            if report.processed >= max_messages || deadline.is_some_and(|d| Instant::now() >= d) {
                break;
            }
            let Some(item) = self.inner.link.pop() else { break };
            if !self.handle(item, deadline) {
                unfinished = true;
                break;
            }
            report.processed += 1;
        }
        report.remaining = self.inner.link.counters.queue_depth.load(Relaxed) as usize + usize::from(unfinished);
        if self.inner.ended.load(SeqCst) && report.remaining == 0 {
            return Err(Error::Disconnected);
        }
        Ok(report)
    }

    /// Finishes the message a budgeted tick left partly done, if any; true if there was one.
    fn finish_pending(&self) -> bool {
        let pending = lock(&self.inner.pending).take();
        match pending {
            Some(work) => {
                self.continue_work(work, None);
                true
            }
            None => false,
        }
    }

    /// Applies at most one message, without blocking; returns whether one was applied.
    pub fn advance_one_message(&self) -> Result<bool> {
        let _guard = self.enter_tick()?;
        self.run_lost_calls();
        if self.finish_pending() {
            return Ok(true);
        }
        match self.inner.link.pop() {
            Some(item) => {
                self.handle(item, None);
                Ok(true)
            }
            None if self.inner.ended.load(SeqCst) => Err(Error::Disconnected),
            None => Ok(false),
        }
    }

    /// Waits up to `timeout` for a message and applies it; returns whether one was applied.
    pub fn advance_one_message_blocking(&self, timeout: Duration) -> Result<bool> {
        if self.inner.ended.load(SeqCst) && self.inner.link.counters.queue_depth.load(Relaxed) == 0 {
            return Err(Error::Disconnected);
        }
        let _guard = self.enter_tick()?;
        if self.finish_pending() {
            return Ok(true);
        }
        match self.inner.link.pop_blocking(timeout) {
            Some(item) => {
                self.handle(item, None);
                Ok(true)
            }
            None => Ok(false),
        }
    }

    /// Advances the connection on a new thread until it ends. Errors never panic the thread:
    /// they reach `on_disconnect` / `on_connect_error`. One tick thread per connection: a second
    /// call is an `InvalidState` error.
    pub fn run_threaded(&self) -> Result<std::thread::JoinHandle<()>> {
        if self.inner.threaded.swap(true, SeqCst) {
            return Err(Error::InvalidState("run_threaded was already called for this connection".into()));
        }
        let conn = self.clone();
        let handle = std::thread::Builder::new()
            .name("stdb-client-tick".into())
            .spawn(move || loop {
                match conn.advance_one_message_blocking(Duration::from_millis(100)) {
                    Ok(_) => {}
                    Err(Error::Reentrant) => std::thread::sleep(Duration::from_millis(1)),
                    Err(_) => break,
                }
            })
            .map_err(|e| {
                self.inner.threaded.store(false, SeqCst);
                Error::Io(e.to_string())
            })?;
        Ok(handle)
    }

    /// Advances the connection until it ends, awaiting when idle.
    pub async fn run_async(&self) -> Result<()> {
        loop {
            match self.frame_tick() {
                Ok(()) => self.inner.link.wait_async().await,
                Err(Error::Disconnected) => {
                    return match self.inner.disconnect_requested.load(SeqCst) {
                        true => Ok(()),
                        false => Err(Error::ConnectionLost("the connection ended".into())),
                    }
                }
                Err(e) => return Err(e),
            }
        }
    }

    // ---- applying messages (ticking thread only) --------------------------------------------

    /// Handles one item; false if a budgeted tick (`deadline`) left it partly done in `pending`.
    fn handle(&self, item: Inbound, deadline: Option<Instant>) -> bool {
        match item {
            Inbound::Connected { identity, token, connection_id, protocol } => {
                self.set_protocol(protocol);
                if connection_id != self.connection_id() {
                    // 2.x servers assign the id (we do not send ours); a 1.x server echoes ours.
                    if !protocol.is_v2() {
                        log::warn!("the server assigned connection id {} instead of ours", connection_id.to_hex());
                    }
                    *lock(&self.inner.connection_id) = connection_id;
                }
                {
                    let mut ident = lock(&self.inner.ident);
                    ident.identity = Some(identity);
                    ident.token = Some(token.clone());
                }
                self.inner.ensure_cache();
                log::info!("connected as {}", identity.to_hex());
                let cb = lock(&self.inner.lifecycle).on_connect.take();
                if let Some(cb) = cb {
                    cb(self, identity, &token, connection_id);
                }
            }
            Inbound::ConnectFailed(e) => {
                log::warn!("{e}");
                self.mark_ended();
                let cb = lock(&self.inner.lifecycle).on_connect_error.take();
                if let Some(cb) = cb {
                    cb(self, &e);
                }
            }
            Inbound::Disconnected(e) => {
                match &e {
                    Some(e) => log::warn!("disconnected: {e}"),
                    None => log::info!("disconnected"),
                }
                self.mark_ended();
                subscription::end_all(self);
                self.fail_one_off_queries("the connection ended before the answer arrived");
                self.fail_pending_calls("the connection ended before the result arrived");
                let cb = lock(&self.inner.lifecycle).on_disconnect.take();
                if let Some(cb) = cb {
                    cb(self, e.as_ref());
                }
            }
            Inbound::ConnectionLost(e) => {
                log::warn!("connection lost, reconnecting: {e}");
                self.fail_one_off_queries("the connection was lost before the answer arrived");
                self.fail_pending_calls("the connection was lost before the result arrived; the call may or may not have run");
            }
            Inbound::Reconnected { identity, token, connection_id, protocol } => {
                self.set_protocol(protocol);
                log::info!("reconnected as {} (connection id {})", identity.to_hex(), connection_id.to_hex());
                lock(&self.inner.ident).token = Some(token);
                *lock(&self.inner.connection_id) = connection_id;
                if let Some(cache) = write(&self.inner.cache).as_mut() {
                    cache.begin_resync();
                }
                subscription::resubscribe_all(self);
                self.finish_resync_if_done();
            }
            Inbound::Message { parsed, received_at, bytes } => {
                let c = &self.inner.link.counters;
                let start = Instant::now();
                c.queue_wait_total_us.fetch_add(start.duration_since(received_at).as_micros() as u64, Relaxed);
                let work = self.apply(parsed, bytes, deadline.is_some());
                c.apply_total_us.fetch_add(start.elapsed().as_micros() as u64, Relaxed);
                match work {
                    Some(work) => return self.continue_work(work, deadline),
                    None => self.message_done(bytes),
                }
            }
        }
        true
    }

    /// Advances a message's work; parks it in `pending` if the deadline comes first.
    fn continue_work(&self, mut work: pacing::Work, deadline: Option<Instant>) -> bool {
        let start = Instant::now();
        let done = self.advance_work(&mut work, deadline);
        self.inner.link.counters.apply_total_us.fetch_add(start.elapsed().as_micros() as u64, Relaxed);
        if !done {
            *lock(&self.inner.pending) = Some(work);
            return false;
        }
        match work.tail {
            pacing::Tail::None => {}
            pacing::Tail::SubscribeApplied(query_id) => {
                subscription::applied(self, query_id);
                self.finish_resync_if_done();
            }
            pacing::Tail::UnsubscribeApplied(query_id) => subscription::unsubscribed(self, query_id),
        }
        self.message_done(work.bytes);
        true
    }

    fn message_done(&self, bytes: u64) {
        self.inner.link.counters.messages_applied.fetch_add(1, Relaxed);
        self.inner.link.release(bytes);
    }

    fn mark_ended(&self) {
        self.inner.ended.store(true, SeqCst);
        self.inner.active.store(false, SeqCst);
    }

    /// Applies a message. Messages with rows become a `Work` (its rows applied, or being staged
    /// when `staged`), which the caller advances through its callbacks; the rest are handled here.
    fn apply(&self, parsed: Parsed, bytes: u64, staged: bool) -> Option<pacing::Work> {
        use pacing::{ReducerStep, Tail};
        match parsed {
            Parsed::Transaction { tables, event } => {
                let then = event.reducer_event().and_then(|r| self.match_v1_result(r));
                let callbacks =
                    event.reducer_event().is_some_and(|r| matches!(event, Event::Reducer(_)) || r.status != Status::Committed);
                let step = ReducerStep::Reducer { callbacks, then };
                return Some(self.begin_work(event, step, tables, Tail::None, bytes, staged));
            }
            Parsed::SubscribeApplied { query_id, tables } => {
                let tail = Tail::SubscribeApplied(query_id);
                return Some(self.begin_work(Event::SubscribeApplied, ReducerStep::None, tables, tail, bytes, staged));
            }
            Parsed::UnsubscribeApplied { query_id, tables } => {
                let tail = Tail::UnsubscribeApplied(query_id);
                return Some(self.begin_work(Event::UnsubscribeApplied, ReducerStep::None, tables, tail, bytes, staged));
            }
            Parsed::SubscriptionError { query_id, error } => match query_id {
                Some(q) => {
                    subscription::failed(self, q, &error);
                    self.finish_resync_if_done();
                }
                None => {
                    // The server dropped every subscription of ours; the cache no longer follows it.
                    log::error!("subscription error without a query id: {error}");
                    subscription::fail_all(self, &error);
                    let _ = self.inner.outbound.send(Outbound::Close);
                    self.inner.link.push(Inbound::Disconnected(Some(Error::SubscriptionFatal(error))));
                }
            },
            Parsed::OneOffResponse { request_id, result } => {
                let cb = request_id.and_then(|id| lock(&self.inner.one_off).remove(&id));
                match cb {
                    Some(cb) => cb(self, result),
                    None => log::warn!("one-off query response with an unknown message id"),
                }
            }
            Parsed::ReducerResult { request_id, timestamp, outcome, tables } => {
                let (event, then) = self.reducer_result_event(request_id, timestamp, outcome);
                let step = ReducerStep::Reducer { callbacks: true, then };
                return Some(self.begin_work(event, step, tables, Tail::None, bytes, staged));
            }
            Parsed::ProcedureResult { request_id, timestamp, host_duration, result } => {
                let cb = lock(&self.inner.procedures).remove(&request_id);
                match cb {
                    Some(cb) => cb(self, ProcedureOutcome { result, timestamp, host_duration }),
                    None => log::warn!("procedure result for unknown request id {request_id}"),
                }
            }
            Parsed::Ignored(kind) => log::warn!("ignored an unexpected {kind} message"),
        }
        None
    }

    /// Answers one-off queries whose answer can no longer come.
    fn fail_one_off_queries(&self, why: &str) {
        let pending: Vec<_> = lock(&self.inner.one_off).drain().collect();
        for (_, cb) in pending {
            cb(self, Err(why.to_owned()));
        }
    }

    /// After a reconnect, once every renewed subscription has answered: swap in the rebuilt cache,
    /// report what changed while we were away, then run `on_reconnect`.
    fn finish_resync_if_done(&self) {
        if !subscription::resync_done(self) {
            return;
        }
        let diffs = {
            let cbs = lock(&self.inner.callbacks);
            let mut cache = write(&self.inner.cache);
            let Some(cache) = cache.as_mut().filter(|c| c.is_resyncing()) else { return };
            let mut diffs = Vec::new();
            cache.finish_resync(|t| cbs.tables.get(t).is_some_and(|c| c.any()), &mut diffs);
            diffs
        };
        self.run_row_callbacks(&Event::Reconnected, diffs);
        subscription::end_unsubscribed(self);
        let cb = lock(&self.inner.lifecycle).on_reconnect.take();
        if let Some(mut cb) = cb {
            let identity = self.try_identity().expect("reconnects follow a connect");
            cb(self, identity, self.connection_id());
            lock(&self.inner.lifecycle).on_reconnect.get_or_insert(cb);
        }
    }

    /// v1: finds the pending call a `TransactionUpdate` answers (ours, by request id), records its
    /// round trip and returns its per-call callback. Results come back in call order, so older
    /// calls still pending got none (NoSuccessNotify successes): they are dropped, and their
    /// callbacks told so on the next tick.
    fn match_v1_result(&self, r: &ReducerEvent) -> Option<Box<ReducerThen>> {
        if r.caller_connection_id != Some(self.connection_id()) {
            return None;
        }
        let mut pending = lock(&self.inner.pending_calls);
        let call = if r.request_id == 0 {
            // A call the server rejected before running it may carry request id 0: the oldest
            // pending call of the same reducer and arguments is the one.
            let at = pending.iter().position(|c| *c.reducer == *r.reducer_name && c.args == r.args)?;
            pending.remove(at)?
        } else {
            loop {
                let call = pending.front()?;
                if call.request_id > r.request_id {
                    return None;
                }
                let call = pending.pop_front().expect("front exists");
                if call.request_id == r.request_id {
                    break call;
                }
                if let Some(then) = call.then {
                    lock(&self.inner.lost_calls).push((then, "the server sent no result for this call".into()));
                }
            }
        };
        drop(pending);
        self.inner.link.counters.record_rtt(call.sent.elapsed().as_micros() as u64);
        call.then
    }

    /// Tells a per-call callback, on the next tick, that its call will get no result.
    fn defer_lost_call(&self, call: PendingCall, why: &str) {
        if let Some(then) = call.then {
            lock(&self.inner.lost_calls).push((then, why.to_owned()));
        }
    }

    /// Runs the per-call callbacks of calls that will get no result (ticking thread).
    fn run_lost_calls(&self) {
        let lost = std::mem::take(&mut *lock(&self.inner.lost_calls));
        if lost.is_empty() {
            return;
        }
        let event = Event::UnknownTransaction(None);
        let ctx = EventContext { conn: self, event: &event };
        for (then, why) in lost {
            then(&ctx, Err(&why));
        }
    }

    /// The connection ended or was lost: no pending reducer call or procedure gets a result now.
    fn fail_pending_calls(&self, why: &str) {
        let calls: Vec<PendingCall> = lock(&self.inner.pending_calls).drain(..).collect();
        for call in calls {
            self.defer_lost_call(call, why);
        }
        self.run_lost_calls();
        let procedures: Vec<_> = lock(&self.inner.procedures).drain().collect();
        for (_, cb) in procedures {
            let outcome = ProcedureOutcome {
                result: Err(why.to_owned()),
                timestamp: spacetimedb_lib::Timestamp::UNIX_EPOCH,
                host_duration: spacetimedb_lib::TimeDuration::from_micros(0),
            };
            cb(self, outcome);
        }
    }

    /// The event for a v2 `ReducerResult`: the call it answers supplies the reducer and its
    /// arguments; we are the caller.
    fn reducer_result_event(
        &self,
        request_id: u32,
        timestamp: spacetimedb_lib::Timestamp,
        outcome: parse::ReducerOutcome,
    ) -> (Event, Option<Box<ReducerThen>>) {
        let call = {
            let mut pending = lock(&self.inner.pending_calls);
            let at = pending.iter().position(|c| c.request_id == request_id);
            at.and_then(|i| pending.remove(i))
        };
        let Some(call) = call else {
            log::warn!("a reducer result for request id {request_id}, which this connection did not send");
            return (Event::UnknownTransaction(None), None);
        };
        self.inner.link.counters.record_rtt(call.sent.elapsed().as_micros() as u64);
        let schema = self.schema();
        let def = schema.as_ref().and_then(|s| s.reducer(&call.reducer));
        let (status, return_value) = match outcome {
            parse::ReducerOutcome::Committed { ret_value } => (Status::Committed, Some(ret_value)),
            parse::ReducerOutcome::Err(value) => (Status::Failed(reducer_error_text(schema.as_deref(), def, &value)), None),
            parse::ReducerOutcome::InternalError(text) => (Status::Failed(text), None),
        };
        let reducer = ReducerEvent {
            timestamp,
            status,
            caller_identity: self.try_identity().unwrap_or_default(),
            caller_connection_id: Some(self.connection_id()),
            energy_consumed: None,
            reducer_name: call.reducer.to_string(),
            reducer_id: def.map_or(u32::MAX, |d| d.id),
            args: call.args,
            request_id,
            host_duration: spacetimedb_lib::TimeDuration::from_micros(0),
            return_value,
        };
        let event = if def.is_some() { Event::Reducer(reducer) } else { Event::UnknownTransaction(Some(reducer)) };
        (event, call.then)
    }

    /// Applies a message's rows to the cache under the write lock; returns what changed for the
    /// tables that have row callbacks. The lock is released before any callback runs.
    fn apply_rows(&self, tables: &[crate::cache::TableRows]) -> Vec<TableDiff> {
        if tables.is_empty() {
            return Vec::new();
        }
        let mut pool = std::mem::take(&mut *lock(&self.inner.diffs));
        let mut diffs = Vec::new();
        {
            // Lock order on the ticking thread is callbacks, then cache; other threads take one
            // at a time, and no callback runs while these are held.
            let cbs = lock(&self.inner.callbacks);
            let mut cache = write(&self.inner.cache);
            if let Some(cache) = cache.as_mut() {
                let before = cache.stats;
                for rows in tables {
                    let collect = cbs.tables.get(rows.table).is_some_and(|c| c.any());
                    let mut diff = pool.pop().unwrap_or_default();
                    cache.apply(rows, collect, &mut diff);
                    if collect && !diff.is_empty() {
                        diffs.push(diff);
                    } else {
                        pool.push(diff);
                    }
                }
                let after = cache.stats;
                let c = &self.inner.link.counters;
                c.rows_inserted.fetch_add(after.rows_inserted - before.rows_inserted, Relaxed);
                c.rows_deleted.fetch_add(after.rows_deleted - before.rows_deleted, Relaxed);
                c.missing_deletes.fetch_add(after.missing_deletes - before.missing_deletes, Relaxed);
            }
        }
        *lock(&self.inner.diffs) = pool;
        diffs
    }

    fn run_reducer_callbacks(&self, event: &Event, r: &ReducerEvent) {
        let (named, any) = {
            let cbs = lock(&self.inner.callbacks);
            (cbs.reducers.get(&r.reducer_name).cloned(), cbs.any_reducer.clone())
        };
        let ctx = EventContext { conn: self, event };
        if let Some(named) = named {
            named.each(|f: &mut ReducerCallback| f(&ctx, r));
        }
        any.each(|f: &mut ReducerCallback| f(&ctx, r));
    }

    fn run_row_callbacks(&self, event: &Event, diffs: Vec<TableDiff>) {
        if diffs.is_empty() {
            return;
        }
        let ctx = EventContext { conn: self, event };
        let snapshot: Vec<_> = {
            let cbs = lock(&self.inner.callbacks);
            diffs.iter().map(|d| cbs.tables.get(d.table).cloned().unwrap_or_default()).collect()
        };
        for (diff, cbs) in diffs.iter().zip(&snapshot) {
            for row in &diff.deletes {
                cbs.on_delete.each(|f| f(&ctx, row));
            }
            for (old, new) in &diff.updates {
                cbs.on_update.each(|f| f(&ctx, old, new));
            }
            for row in &diff.inserts {
                cbs.on_insert.each(|f| f(&ctx, row));
            }
        }
        let mut pool = lock(&self.inner.diffs);
        for mut d in diffs {
            d.inserts.clear();
            d.deletes.clear();
            d.updates.clear();
            pool.push(d);
        }
    }

    pub(crate) fn inner(&self) -> &Inner {
        &self.inner
    }
}

/// A reducer's error value as text: decoded as the string it is unless the schema declares
/// another error type (then described with its bytes).
fn reducer_error_text(schema: Option<&Schema>, def: Option<&crate::schema::ReducerDef>, value: &[u8]) -> String {
    let declared = def.and_then(|d| d.err_type.as_ref());
    if declared.is_none() {
        if let Some(len) = value.get(..4).map(|b| u32::from_le_bytes(b.try_into().expect("4 bytes")) as usize) {
            if value.len() == 4 + len {
                if let Ok(text) = std::str::from_utf8(&value[4..]) {
                    return text.to_owned();
                }
            }
        }
    }
    let valid = match (schema, declared) {
        (Some(s), Some(t)) => s.types.validate(t, value).is_ok(),
        _ => false,
    };
    let hex: String = value.iter().map(|b| format!("{b:02x}")).collect();
    format!(
        "the reducer failed with an error value of its declared type ({} bytes{}): {hex}",
        value.len(),
        if valid { "" } else { ", malformed" }
    )
}

/// A row as passed around outside callbacks: shared bytes, no copy.
pub type RowBytes = Bytes;
