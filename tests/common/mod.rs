//! Helpers shared by the integration tests: connecting, ticking until something happens, and
//! BSATN argument encoding. Live tests run once per server variant (`::v1_2`, `::v2_8`,
//! `::v2_8_m1`): each file's `main` lists its tests with `live_tests!` and calls `run_tests`;
//! `server()` and `publish()` use the variant the test runs under (see stdb_testbed::harness).
#![allow(dead_code)]

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use stdb_client::{DbConnection, DbConnectionBuilder, Error};
#[allow(unused_imports)]
pub use stdb_testbed::harness::{self, Variant, ALL, BOTH, PLAIN, V1_ONLY};
#[allow(unused_imports)] // test binaries with their own runner (features_2x) do not use it
pub use stdb_testbed::live_tests;
use stdb_testbed::{Database, Server};

pub const TIMEOUT: Duration = Duration::from_secs(20);

/// The shared server of the running test's variant.
pub fn server() -> &'static Server {
    harness::server()
}

/// Publishes a fresh copy of `module` (each test gets its own database) from the module set of
/// the running test's variant (tests/modules or tests/modules-2x).
pub fn publish(module: &str) -> Database {
    harness::publish(module)
}

/// Runs the listed tests, each once per variant; `binary` is `env!("CARGO_CRATE_NAME")`.
pub fn run_tests(binary: &str, tests: Vec<harness::Live>) -> ! {
    harness::main(binary, tests)
}

pub fn builder(db: &Database) -> DbConnectionBuilder {
    DbConnection::builder().with_uri(db.http_url.clone()).with_module_name(db.name.clone())
}

/// Builds the connection and ticks until `on_connect` ran; panics on a connect error.
pub fn connect_with(b: DbConnectionBuilder) -> DbConnection {
    let outcome: Arc<Mutex<Option<Result<(), String>>>> = Arc::default();
    let (ok, err) = (outcome.clone(), outcome.clone());
    let conn = b
        .on_connect(move |_, _, _, _| *ok.lock().unwrap() = Some(Ok(())))
        .on_connect_error(move |_, e| *err.lock().unwrap() = Some(Err(e.to_string())))
        .build()
        .expect("build");
    assert!(tick_until(&conn, || outcome.lock().unwrap().is_some()), "no connect outcome within {TIMEOUT:?}");
    if let Some(Err(e)) = outcome.lock().unwrap().take() {
        panic!("connect failed: {e}");
    }
    conn
}

pub fn connect(db: &Database) -> DbConnection {
    connect_with(builder(db))
}

/// Ticks every millisecond until `cond` holds (true) or the timeout passes (false).
pub fn tick_until(conn: &DbConnection, mut cond: impl FnMut() -> bool) -> bool {
    tick_until_for(conn, TIMEOUT, &mut cond)
}

pub fn tick_until_for(conn: &DbConnection, timeout: Duration, cond: &mut dyn FnMut() -> bool) -> bool {
    let deadline = Instant::now() + timeout;
    loop {
        match conn.frame_tick() {
            Ok(()) | Err(Error::Disconnected) => {}
            Err(e) => panic!("frame_tick: {e}"),
        }
        if cond() {
            return true;
        }
        if Instant::now() > deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// Ticks for `d`, to give unwanted callbacks a chance to (wrongly) fire.
pub fn tick_for(conn: &DbConnection, d: Duration) {
    tick_until_for(conn, d, &mut || false);
}

/// Ticks several connections until `cond` holds.
pub fn tick_all_until(conns: &[&DbConnection], mut cond: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + TIMEOUT;
    loop {
        for c in conns {
            let _ = c.frame_tick();
        }
        if cond() {
            return true;
        }
        if Instant::now() > deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// A BSATN argument list (the reducer's parameters concatenated).
#[derive(Default, Clone)]
pub struct Args(pub Vec<u8>);

impl Args {
    pub fn new() -> Args {
        Args::default()
    }
    pub fn u8(mut self, v: u8) -> Self {
        self.0.push(v);
        self
    }
    pub fn u32(mut self, v: u32) -> Self {
        self.0.extend_from_slice(&v.to_le_bytes());
        self
    }
    pub fn i32(mut self, v: i32) -> Self {
        self.0.extend_from_slice(&v.to_le_bytes());
        self
    }
    pub fn i64(mut self, v: i64) -> Self {
        self.0.extend_from_slice(&v.to_le_bytes());
        self
    }
    pub fn str(mut self, s: &str) -> Self {
        self.0.extend_from_slice(&(s.len() as u32).to_le_bytes());
        self.0.extend_from_slice(s.as_bytes());
        self
    }
    pub fn bytes(&self) -> &[u8] {
        &self.0
    }
}

/// Reads little-endian integers out of row bytes.
pub fn u32_at(row: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(row[at..at + 4].try_into().unwrap())
}
pub fn i32_at(row: &[u8], at: usize) -> i32 {
    i32::from_le_bytes(row[at..at + 4].try_into().unwrap())
}
pub fn i64_at(row: &[u8], at: usize) -> i64 {
    i64::from_le_bytes(row[at..at + 8].try_into().unwrap())
}
pub fn u64_at(row: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(row[at..at + 8].try_into().unwrap())
}
/// A BSATN string starting at `at`: (text, end offset).
pub fn str_at(row: &[u8], at: usize) -> (String, usize) {
    let n = u32_at(row, at) as usize;
    (String::from_utf8(row[at + 4..at + 4 + n].to_vec()).unwrap(), at + 4 + n)
}

/// Subscribes and ticks until applied; panics on error.
pub fn subscribe(conn: &DbConnection, queries: &[&str]) -> stdb_client::SubscriptionHandle {
    let applied = Arc::new(Mutex::new(None::<Result<(), String>>));
    let (a, e) = (applied.clone(), applied.clone());
    let handle = conn
        .subscription_builder()
        .on_applied(move |_| *a.lock().unwrap() = Some(Ok(())))
        .on_error(move |_, err| *e.lock().unwrap() = Some(Err(err.to_owned())))
        .subscribe(queries)
        .expect("subscribe");
    assert!(tick_until(conn, || applied.lock().unwrap().is_some()), "subscription {queries:?} not applied in time");
    if let Some(Err(e)) = applied.lock().unwrap().take() {
        panic!("subscription {queries:?} failed: {e}");
    }
    handle
}

/// Calls a reducer and ticks until our own result for it arrives; returns its status.
pub fn call(conn: &DbConnection, reducer: &str, args: Args) -> stdb_client::Status {
    let result = Arc::new(Mutex::new(None));
    let r = result.clone();
    let id = conn
        .on_reducer(reducer, move |ctx, ev| {
            if ev.caller_connection_id == Some(ctx.conn.connection_id()) {
                r.lock().unwrap().get_or_insert(ev.status.clone());
            }
        })
        .expect("on_reducer");
    conn.call_reducer(reducer, args.bytes(), stdb_client::CallReducerFlags::FullUpdate).expect("call_reducer");
    assert!(tick_until(conn, || result.lock().unwrap().is_some()), "no result for {reducer} in time");
    conn.remove_on_reducer(id);
    let status = result.lock().unwrap().take().unwrap();
    status
}
