//! The one background runtime shared by every connection in the process.
//!
//! A fixed, small pool: sockets, decompression and decoding for all connections run here, so a
//! thousand connections cost a thousand tasks, not a thousand threads.

use std::sync::OnceLock;
use tokio::runtime::{Builder, Runtime};

static RUNTIME: OnceLock<Runtime> = OnceLock::new();

/// Worker threads of the shared runtime: `STDB_CLIENT_THREADS` if set (1..=64), else 2.
fn worker_threads() -> usize {
    std::env::var("STDB_CLIENT_THREADS").ok().and_then(|v| v.parse().ok()).filter(|n| (1..=64).contains(n)).unwrap_or(2)
}

pub fn handle() -> tokio::runtime::Handle {
    RUNTIME
        .get_or_init(|| {
            Builder::new_multi_thread()
                .worker_threads(worker_threads())
                .max_blocking_threads(4)
                .thread_name("stdb-client-io")
                .enable_io()
                .enable_time()
                .build()
                .expect("creating the stdb-client background runtime failed (out of threads?)")
        })
        .handle()
        .clone()
}
