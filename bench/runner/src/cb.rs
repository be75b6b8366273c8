//! Per-callback cost, through the Rust API and through the C ABI (the `extern "C"` functions of
//! libstdb_client, called here the way a C program calls them, with `extern "C"` callbacks).
//!
//! One connection inserts `n` rows with one reducer call and deletes them with another, `runs`
//! times with 1 on_insert callback and `runs` times with 9; the apply time of each insert
//! message comes from `metrics()`. (apply with 9 − apply with 1) / (8 × n) is the cost of one
//! callback invocation. Every callback does the same thing: a relaxed atomic add.
use crate::{Args, Out, Res, TIMEOUT};
use std::ffi::c_void;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::{Duration, Instant};
use stdb_client::ffi::builder::*;
use stdb_client::ffi::connection::*;
use stdb_client::ffi::event::stdb_event;
use stdb_client::ffi::reducer::*;
use stdb_client::ffi::subscription::*;
use stdb_client::ffi::table::*;
use stdb_client::ffi::types::*;
use stdb_client::ffi::stdb_result;
use stdb_client::{CallReducerFlags, DbConnection, Metrics};

static CALLS: AtomicU64 = AtomicU64::new(0);

/// What the driver needs from a client.
trait Client {
    fn call(&self, reducer: &str, args: &[u8]) -> Res<()>;
    fn metrics(&self) -> Metrics;
    fn add_insert_callback(&self) -> Res<()>;
}

fn args(n: u32) -> Vec<u8> {
    let mut v = 0u64.to_le_bytes().to_vec();
    v.extend_from_slice(&n.to_le_bytes());
    v
}

/// Calls `reducer` and waits until its message has been applied; returns that apply time (µs).
fn call_applied(c: &dyn Client, reducer: &str, n: u32) -> Res<u64> {
    let m0 = c.metrics();
    c.call(reducer, &args(n))?;
    let t0 = Instant::now();
    loop {
        let m = c.metrics();
        if m.messages_applied > m0.messages_applied {
            return Ok(m.apply_total_us - m0.apply_total_us);
        }
        if t0.elapsed() > TIMEOUT {
            return Err(format!("{reducer} never applied").into());
        }
        std::thread::sleep(Duration::from_micros(200));
    }
}

fn drive(c: &dyn Client, a: &Args, out: &mut Out) -> Res<()> {
    let n = a.n as u32;
    let mut per_k = Vec::new();
    let mut have = 0;
    for k in [1usize, 9] {
        while have < k {
            c.add_insert_callback()?;
            have += 1;
        }
        let mut v = Vec::new();
        for _ in 0..a.batches.max(1) + 1 {
            CALLS.store(0, Relaxed);
            v.push(call_applied(c, "insert_small", n)? as f64);
            if CALLS.load(Relaxed) != k as u64 * n as u64 {
                return Err(format!("{} callback calls, expected {}", CALLS.load(Relaxed), k as u64 * n as u64).into());
            }
            call_applied(c, "delete_small", n)?;
        }
        v.remove(0); // warm-up
        v.sort_by(|a, b| a.total_cmp(b));
        let median = v[v.len() / 2];
        out.put(&format!("apply_k{k}_us"), median);
        per_k.push(median);
    }
    out.put("per_callback_ns", (per_k[1] - per_k[0]) * 1000.0 / (8.0 * n as f64));
    out.put("per_row_k1_ns", per_k[0] * 1000.0 / n as f64);
    Ok(())
}

// ---- Rust API ---------------------------------------------------------------------------------

struct Rust(DbConnection, stdb_client::TableHandle);

impl Client for Rust {
    fn call(&self, reducer: &str, args: &[u8]) -> Res<()> {
        self.0.call_reducer(reducer, args, CallReducerFlags::FullUpdate)?;
        Ok(())
    }
    fn metrics(&self) -> Metrics {
        self.0.metrics()
    }
    fn add_insert_callback(&self) -> Res<()> {
        self.1.on_insert(|_, _row| {
            CALLS.fetch_add(1, Relaxed);
        });
        Ok(())
    }
}

pub fn rust(a: &Args, out: &mut Out) -> Res<()> {
    let (tx, rx) = std::sync::mpsc::channel();
    let conn = DbConnection::builder()
        .with_uri(a.url.as_str())
        .with_module_name(a.db.as_str())
        .with_compression(stdb_client::Compression::None)
        .on_connect(move |_, _, _, _| tx.send(()).unwrap())
        .build()?;
    conn.run_threaded()?;
    rx.recv_timeout(TIMEOUT)?;
    let (tx, rx) = std::sync::mpsc::channel();
    let before = conn.metrics().messages_applied;
    conn.subscription_builder().on_applied(move |_| tx.send(()).unwrap()).subscribe(&["SELECT * FROM small"])?;
    rx.recv_timeout(TIMEOUT)?;
    crate::ours::settle(&conn, before + 1);
    let table = conn.table("small")?;
    drive(&Rust(conn, table), a, out)
}

// ---- C ABI ------------------------------------------------------------------------------------

struct C {
    conn: *mut stdb_connection,
    table: *mut stdb_table,
}

fn check(r: stdb_result, what: &str) -> Res<()> {
    if r == stdb_result::STDB_OK {
        Ok(())
    } else {
        let msg = unsafe { std::ffi::CStr::from_ptr(stdb_client::ffi::misc::stdb_last_error()) };
        Err(format!("{what}: {r:?}: {}", msg.to_string_lossy()).into())
    }
}

unsafe extern "C" fn on_row(_ud: *mut c_void, _conn: *const stdb_connection, _ev: *const stdb_event, _row: *const u8, _len: usize) {
    CALLS.fetch_add(1, Relaxed);
}

unsafe extern "C" fn on_connect(
    ud: *mut c_void,
    _conn: *const stdb_connection,
    _id: *const stdb_identity,
    _token: *const std::ffi::c_char,
    _token_len: usize,
    _cid: *const stdb_connection_id,
) {
    (*(ud as *const AtomicU64)).store(1, Relaxed);
}

unsafe extern "C" fn on_applied(ud: *mut c_void, _conn: *const stdb_connection, _ev: *const stdb_event) {
    (*(ud as *const AtomicU64)).store(1, Relaxed);
}

impl Client for C {
    fn call(&self, reducer: &str, args: &[u8]) -> Res<()> {
        let r = stdb_connection_call_reducer(self.conn, reducer.as_ptr().cast(), reducer.len(), args.as_ptr(), args.len(), 0, std::ptr::null_mut());
        check(r, "stdb_connection_call_reducer")
    }
    fn metrics(&self) -> Metrics {
        let mut m = Metrics::default();
        stdb_connection_metrics(self.conn, &mut m);
        m
    }
    fn add_insert_callback(&self) -> Res<()> {
        let r = stdb_table_on_insert(self.table, Some(on_row), std::ptr::null_mut(), None, std::ptr::null_mut());
        check(r, "stdb_table_on_insert")
    }
}

fn wait_flag(flag: &AtomicU64, what: &str) -> Res<()> {
    let t0 = Instant::now();
    while flag.load(Relaxed) == 0 {
        if t0.elapsed() > TIMEOUT {
            return Err(format!("timed out waiting for {what}").into());
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    Ok(())
}

pub fn c(a: &Args, out: &mut Out) -> Res<()> {
    static CONNECTED: AtomicU64 = AtomicU64::new(0);
    static APPLIED: AtomicU64 = AtomicU64::new(0);
    let b = stdb_connection_builder_new();
    check(stdb_connection_builder_set_uri(b, a.url.as_ptr().cast(), a.url.len()), "set_uri")?;
    check(stdb_connection_builder_set_module_name(b, a.db.as_ptr().cast(), a.db.len()), "set_module_name")?;
    check(stdb_connection_builder_set_compression(b, 0), "set_compression")?;
    let ud = &CONNECTED as *const AtomicU64 as *mut c_void;
    check(stdb_connection_builder_on_connect(b, Some(on_connect), ud, None), "on_connect")?;
    let mut conn = std::ptr::null_mut();
    check(stdb_connection_builder_build(b, &mut conn), "build")?;
    check(stdb_run_threaded(conn), "run_threaded")?;
    wait_flag(&CONNECTED, "on_connect")?;
    let sb = stdb_subscription_builder_new(conn);
    let ud = &APPLIED as *const AtomicU64 as *mut c_void;
    check(stdb_subscription_builder_on_applied(sb, Some(on_applied), ud, None), "on_applied")?;
    let q = "SELECT * FROM small";
    let query = stdb_bytes { data: q.as_ptr(), len: q.len() };
    let mut sub = std::ptr::null_mut();
    check(stdb_subscription_builder_subscribe(sb, &query, 1, &mut sub), "subscribe")?;
    wait_flag(&APPLIED, "on_applied")?;
    let mut table = std::ptr::null_mut();
    check(stdb_connection_table(conn, "small".as_ptr().cast(), 5, &mut table), "stdb_connection_table")?;
    let c = C { conn, table };
    // The subscription's message is counted just after on_applied returns.
    let t0 = Instant::now();
    while c.metrics().messages_applied < 1 && t0.elapsed() < TIMEOUT {
        std::thread::sleep(Duration::from_micros(200));
    }
    drive(&c, a, out)
}
