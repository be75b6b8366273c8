//! The one background runtime shared by every connection in the process.
//!
//! A fixed, small pool: sockets, decompression and decoding for all connections run here, so a
//! thousand connections cost a thousand tasks, not a thousand threads.
//!
//! The runtime starts with the first connection. [`shutdown`] stops it and joins its threads (so a
//! host can unload the library); the next connection starts a new one.

use crate::error::{Error, Result};
use crate::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::thread::JoinHandle;
use tokio::runtime::{Builder, Runtime};

static RUNTIME: Mutex<Option<Runtime>> = Mutex::new(None);

/// Connections that exist (one per `connection::Inner`, counted by [`LiveConnection`]).
static LIVE_CONNECTIONS: AtomicUsize = AtomicUsize::new(0);

/// Tick threads started through the C ABI (`stdb_run_threaded`), joined by [`shutdown`].
static TICK_THREADS: Mutex<Vec<JoinHandle<()>>> = Mutex::new(Vec::new());

/// Worker threads of the shared runtime: `STDB_CLIENT_THREADS` if set (1..=64), else 2.
fn worker_threads() -> usize {
    std::env::var("STDB_CLIENT_THREADS").ok().and_then(|v| v.parse().ok()).filter(|n| (1..=64).contains(n)).unwrap_or(2)
}

/// The shared runtime's handle, starting the runtime if it is not running.
pub fn handle() -> tokio::runtime::Handle {
    let mut runtime = RUNTIME.lock();
    if runtime.is_none() {
        let built = Builder::new_multi_thread()
            .worker_threads(worker_threads())
            .max_blocking_threads(4)
            .thread_name(THREAD_NAME)
            .enable_io()
            .enable_time()
            .build()
            .expect("creating the stdb-client background runtime failed (out of threads?)");
        *runtime = Some(built);
    }
    runtime.as_ref().expect("set just above").handle().clone()
}

/// Held by every connection for its whole life; [`shutdown`] refuses while any exists.
pub(crate) struct LiveConnection(());

impl LiveConnection {
    pub(crate) fn new() -> LiveConnection {
        LIVE_CONNECTIONS.fetch_add(1, SeqCst);
        LiveConnection(())
    }
}

impl Drop for LiveConnection {
    fn drop(&mut self) {
        LIVE_CONNECTIONS.fetch_sub(1, SeqCst);
    }
}

/// Keeps a tick thread's handle so that [`shutdown`] can join it (finished ones are dropped here).
pub(crate) fn adopt_tick_thread(thread: JoinHandle<()>) {
    let mut threads = TICK_THREADS.lock();
    threads.retain(|t| !t.is_finished());
    threads.push(thread);
}

/// The name of every thread of the shared runtime (workers and blocking threads).
const THREAD_NAME: &str = "stdb-client-io";

/// Stops the shared runtime and joins its threads, and joins the tick threads started through the
/// C ABI. An `InvalidState` error, doing nothing, while any connection exists or when called on one
/// of the runtime's own threads. Blocks while a schema fetch of an already freed connection is in
/// flight (at most that connection's connect timeout). Nothing happens if the runtime is not
/// running; a later connection starts it again.
pub fn shutdown() -> Result<()> {
    if std::thread::current().name() == Some(THREAD_NAME) {
        return Err(Error::InvalidState(
            "the library cannot be shut down from one of its own background threads (e.g. inside a log callback)".into(),
        ));
    }
    let runtime = {
        let mut runtime = RUNTIME.lock();
        // Checked under the lock: a connection built from now on gets the next runtime.
        let live = LIVE_CONNECTIONS.load(SeqCst);
        if live > 0 {
            return Err(Error::InvalidState(format!(
                "{live} connection(s) still exist; free every handle first (a connection lives while its \
                 stdb_connection, a subscription, subscription builder or table handle of it, or a \
                 stdb_run_threaded thread ticking it remains)"
            )));
        }
        runtime.take()
    };
    // No connection exists, so every tick thread has left its loop: these joins are short.
    let threads = std::mem::take(&mut *TICK_THREADS.lock());
    for thread in threads {
        let _ = thread.join();
    }
    // Dropping the runtime cancels the tasks left by freed connections and joins every worker and
    // blocking thread (tokio waits for running blocking tasks: the bounded schema fetch). Tokio
    // forbids that inside an async context (a Rust caller's own runtime), so it happens on a
    // thread of its own, joined here with `JoinHandle::join` (pthread_join: the thread has fully
    // exited, thread-local destructors included). Not `thread::scope`: it returns once the closure
    // is done, while the thread may still be running the destructors that dropping the runtime
    // registered in this library — which keeps the library loaded past a `dlclose`.
    if let Some(runtime) = runtime {
        let dropper = std::thread::Builder::new().name("stdb-client-stop".into()).spawn(move || drop(runtime));
        match dropper {
            Ok(thread) => {
                let _ = thread.join();
            }
            Err(e) => return Err(Error::Io(format!("cannot start the thread that stops the runtime: {e}"))),
        }
    }
    Ok(())
}
