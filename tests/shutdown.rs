//! `stdb_client::shutdown`: refused while a connection exists, then every background thread is
//! joined, and the next connection starts the runtime again; callable from inside a tokio runtime
//! of the caller's. One test function: the runtime is process-wide. Connections go to a refused
//! local port (no server needed; a refused connect is a real one).

use std::sync::atomic::{AtomicBool, Ordering::SeqCst};
use std::sync::Arc;
use std::time::{Duration, Instant};
use stdb_client::{DbConnection, Error};

/// Threads of this process named like the library's runtime threads.
fn runtime_threads() -> usize {
    std::fs::read_dir("/proc/self/task")
        .unwrap()
        .filter_map(|e| std::fs::read_to_string(e.unwrap().path().join("comm")).ok())
        .filter(|name| name.trim_end() == "stdb-client-io")
        .count()
}

/// A connection to a port nobody listens on, ticked here until its connect error has run.
fn refused_connection() -> DbConnection {
    let failed = Arc::new(AtomicBool::new(false));
    let flag = failed.clone();
    let conn = DbConnection::builder()
        .with_uri("http://127.0.0.1:1")
        .with_module_name("nobody")
        .on_connect_error(move |_, _| flag.store(true, SeqCst))
        .build()
        .unwrap();
    let start = Instant::now();
    while !failed.load(SeqCst) {
        assert!(start.elapsed() < Duration::from_secs(20), "no connect error after 20 s");
        let _ = conn.advance_one_message_blocking(Duration::from_millis(50));
    }
    conn
}

#[test]
fn shutdown_joins_the_runtime_threads_and_the_library_starts_again() {
    // Nothing runs yet: a no-op.
    stdb_client::shutdown().unwrap();
    assert_eq!(runtime_threads(), 0);

    for round in 0..3 {
        let conn = refused_connection();
        assert!(runtime_threads() >= 1, "round {round}: the runtime did not start");
        let clone = conn.clone();
        drop(conn);
        // A clone is still a live connection: refused, and nothing stops.
        match stdb_client::shutdown() {
            Err(Error::InvalidState(m)) => assert!(m.contains("1 connection"), "{m}"),
            other => panic!("round {round}: shutdown with a live connection gave {other:?}"),
        }
        assert!(runtime_threads() >= 1);
        drop(clone);
        stdb_client::shutdown().unwrap();
        assert_eq!(runtime_threads(), 0, "round {round}: runtime threads left after shutdown");
    }

    // From inside a caller's own tokio runtime (where tokio forbids dropping a runtime).
    let conn = refused_connection();
    drop(conn);
    let outer = tokio::runtime::Builder::new_current_thread().build().unwrap();
    outer.block_on(async { stdb_client::shutdown() }).unwrap();
    assert_eq!(runtime_threads(), 0);
}
