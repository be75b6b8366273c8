//! The fault suite (issue 14, part 4), against both real servers:
//!
//! - the server killed with SIGKILL and restarted on the same data directory and port, during an
//!   initial subscription, during a stream of updates and while idle; after every cycle the
//!   reconnected cache must equal `SELECT *` over HTTP;
//! - the connection cut in the middle of a WebSocket frame, and a frame truncated (its length
//!   rewritten, its payload cut), by a frame-aware TCP relay between the client and the real server;
//! - the token rejected on reconnect (the server restarted with new JWT keys);
//! - reducer calls around dropped connections, each of which must end delivered or failed with
//!   a clear error, never silently lost.
//!
//! Each cycle count and restart time is printed (`--nocapture`); docs/RELIABILITY.md has the figures.

mod common;

use common::*;
use std::collections::{BTreeMap, HashMap};
use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use stdb_client::{CallReducerFlags, ConnectErrorKind, DbConnection, Error, ReconnectPolicy, Status};
use stdb_testbed::{Database, Server};

const V2_8_ONLY: &[Variant] = &[Variant::V2_8];

/// Kill/restart cycles per server, by case (90 in all per server).
const INITIAL_SUBSCRIPTION_CYCLES: u32 = 30;
const STREAM_CYCLES: u32 = 30;
const IDLE_CYCLES: u32 = 30;

fn main() {
    run_tests(
        env!("CARGO_CRATE_NAME"),
        live_tests![
            kill_and_restart_during_an_initial_subscription,
            kill_and_restart_during_a_stream_of_updates,
            kill_and_restart_while_idle,
            a_connection_cut_mid_frame_is_a_clear_disconnect_and_reconnect_restores_the_cache,
            a_truncated_frame_is_a_clear_protocol_error_and_reconnect_restores_the_cache,
            a_token_rejected_on_reconnect_is_reported_at_once,
            reducer_calls_around_drops_are_delivered_or_failed_never_lost,
            a_call_sent_after_a_reconnect_the_host_did_not_tick_through_is_not_reported_lost,
            a_subscription_made_after_a_reconnect_the_host_did_not_tick_through_applies_once,
            // Procedures exist on 2.x servers only.
            a_procedure_called_after_a_reconnect_the_host_did_not_tick_through_gets_its_result: V2_8_ONLY,
        ],
    )
}

// ---------------------------------------------------------------------------------------------
// Helpers

/// Reconnects quickly and patiently: a 2.8.3 restart takes a few seconds.
fn patient_policy() -> ReconnectPolicy {
    ReconnectPolicy { max_attempts: 600, initial_delay: Duration::from_millis(20), max_delay: Duration::from_millis(100) }
}

/// Long enough for a server restart plus the reconnect.
const RESTART_TIMEOUT: Duration = Duration::from_secs(60);

/// A private server with its data on disk, and one `sdk-test` database on it.
fn persistent_server() -> (Arc<Server>, Database) {
    let v = harness::current();
    let server = Server::start_persistent_of(v.server_kind()).unwrap_or_else(|e| panic!("{e}"));
    let db = server.publish_from(v.modules(), "sdk-test").unwrap_or_else(|e| panic!("publishing sdk-test: {e}"));
    (Arc::new(server), db)
}

/// `pk_u32` as the client caches it; panics on a duplicate key (a row cached twice).
fn cache_rows(conn: &DbConnection) -> BTreeMap<u32, i32> {
    let t = conn.table("pk_u32").unwrap();
    let rows = t.rows();
    let map: BTreeMap<u32, i32> = rows.iter().map(|r| (u32_at(r, 0), i32_at(r, 4))).collect();
    assert_eq!(map.len(), rows.len(), "the cache holds a pk_u32 key twice");
    assert_eq!(t.count(), rows.len());
    map
}

/// `SELECT * FROM pk_u32` over HTTP (retried briefly: a restarted 2.x server may still be loading
/// the database).
fn server_rows(db: &Database) -> BTreeMap<u32, i32> {
    let deadline = Instant::now() + RESTART_TIMEOUT;
    loop {
        match db.sql_rows("SELECT * FROM pk_u32") {
            Ok(rows) => {
                return rows.iter().map(|r| (r[0].as_u64().expect("n") as u32, r[1].as_i64().expect("data") as i32)).collect()
            }
            Err(e) if Instant::now() > deadline => panic!("SELECT * FROM pk_u32: {e}"),
            Err(_) => std::thread::sleep(Duration::from_millis(100)),
        }
    }
}

fn http_call(db: &Database, reducer: &str, args: &str) {
    let deadline = Instant::now() + RESTART_TIMEOUT;
    loop {
        match db.call_reducer_http(reducer, args) {
            Ok(()) => return,
            Err(e) if e.http_status() == Some(530) => panic!("{reducer}({args}) failed: {e}"),
            Err(e) if Instant::now() > deadline => panic!("{reducer}({args}): {e}"),
            Err(_) => std::thread::sleep(Duration::from_millis(50)),
        }
    }
}

/// Inserts a marker row over HTTP and ticks until the client has it: everything the server
/// committed before has then been delivered (updates arrive in commit order).
fn sync_through_marker(conn: &DbConnection, db: &Database, marker: u32) {
    http_call(db, "insert_pk_u32", &format!("[{marker}, -1]"));
    let t = conn.table("pk_u32").unwrap();
    let ok = tick_until_for(conn, RESTART_TIMEOUT, &mut || t.rows().iter().any(|r| u32_at(r, 0) == marker));
    assert!(ok, "marker row {marker} never reached the client");
}

fn assert_cache_equals_server(conn: &DbConnection, db: &Database, what: &str) -> usize {
    let cached = cache_rows(conn);
    let server = server_rows(db);
    if cached != server {
        let only_cache: Vec<_> = cached.iter().filter(|(k, v)| server.get(k) != Some(v)).take(10).collect();
        let only_server: Vec<_> = server.iter().filter(|(k, v)| cached.get(k) != Some(v)).take(10).collect();
        panic!(
            "{what}: the cache ({} rows) differs from SELECT * ({} rows); cache only (first 10): {only_cache:?}; server only: {only_server:?}",
            cached.len(),
            server.len()
        );
    }
    cached.len()
}

/// Counts reconnects and remembers a disconnect (which none of the kill cycles may see).
#[derive(Clone, Default)]
struct Watch {
    reconnects: Arc<AtomicUsize>,
    disconnected: Arc<Mutex<Option<Option<Error>>>>,
}

impl Watch {
    fn builder(&self, b: stdb_client::DbConnectionBuilder) -> stdb_client::DbConnectionBuilder {
        let (r, d) = (self.reconnects.clone(), self.disconnected.clone());
        b.on_reconnect(move |_, _, _| {
            r.fetch_add(1, SeqCst);
        })
        .on_disconnect(move |_, e| *d.lock().unwrap() = Some(e.cloned()))
    }

    fn reconnects(&self) -> usize {
        self.reconnects.load(SeqCst)
    }

    fn disconnect(&self) -> Option<Option<Error>> {
        self.disconnected.lock().unwrap().clone()
    }

    /// Ticks until the `n`th reconnect has completed (the cache reconciled); panics on a disconnect.
    fn wait_reconnects(&self, conn: &DbConnection, n: usize, what: &str) {
        let ok = tick_until_for(conn, RESTART_TIMEOUT, &mut || self.reconnects() >= n || self.disconnect().is_some());
        assert!(self.disconnect().is_none(), "{what}: disconnected instead of reconnecting: {:?}", self.disconnect());
        assert!(ok, "{what}: no reconnect within {RESTART_TIMEOUT:?}");
    }
}

/// Kills the server and starts it again on another thread while `conn` keeps ticking (or not,
/// when `tick` is false: a host that does not tick while the server is away). Returns the restart time.
fn kill_and_restart(server: &Arc<Server>, conn: &DbConnection, tick: bool) -> Duration {
    server.kill();
    let s = server.clone();
    let restarting = std::thread::spawn(move || s.restart().unwrap_or_else(|e| panic!("restarting the server: {e}")));
    if tick {
        while !restarting.is_finished() {
            let _ = conn.frame_tick();
            std::thread::sleep(Duration::from_millis(1));
        }
    }
    restarting.join().expect("restart thread")
}

/// Per cycle: the server's restart (kill to answering HTTP), and the outage the client saw (kill
/// to its cache reconciled on the new connection).
#[derive(Default)]
struct Timings {
    restart: Vec<Duration>,
    recovered: Vec<Duration>,
}

impl Timings {
    fn summary(&self) -> String {
        fn stats(v: &[Duration]) -> String {
            let mut v = v.to_vec();
            v.sort();
            let total: Duration = v.iter().sum();
            format!(
                "median {:.2}s mean {:.2}s max {:.2}s",
                v[v.len() / 2].as_secs_f64(),
                total.as_secs_f64() / v.len() as f64,
                v[v.len() - 1].as_secs_f64()
            )
        }
        format!("restart {}; kill to cache reconciled {}", stats(&self.restart), stats(&self.recovered))
    }
}

fn variant() -> &'static str {
    harness::current().suffix()
}

// ---------------------------------------------------------------------------------------------
// SIGKILL and restart on the same data directory

/// Each cycle: a fresh client subscribes to 20 000 rows and, a few milliseconds later (0–3 ms,
/// without ticking), the server is killed and restarted. The client must come back, renew the
/// subscription that never applied, and hold exactly what `SELECT *` returns.
fn kill_and_restart_during_an_initial_subscription() {
    let started = Instant::now();
    let (server, db) = persistent_server();
    http_call(&db, "insert_many", "[0, 20000]");
    let mut timings = Timings::default();
    let mut applied_after_the_restart = 0;
    let (mut full, mut repopulated) = (0, 0);
    for cycle in 0..INITIAL_SUBSCRIPTION_CYCLES {
        // A SIGKILL may cost the server its latest commits (not yet durable): put the rows back.
        if server_rows(&db).len() < 20_000 {
            http_call(&db, "delete_all_pk_u32", "[]");
            http_call(&db, "insert_many", "[0, 20000]");
            std::thread::sleep(Duration::from_millis(300));
            repopulated += 1;
        }
        // Change the contents a little each cycle.
        http_call(&db, "update_pk_u32", &format!("[{cycle}, {}]", 1000 + cycle));
        http_call(&db, "insert_pk_u32", &format!("[{}, {cycle}]", 100_000 + cycle));
        let watch = Watch::default();
        let conn = connect_with(watch.builder(builder(&db).with_reconnect(patient_policy())));
        let first_cid = conn.connection_id();
        let applied_cid = Arc::new(Mutex::new(None));
        let a = applied_cid.clone();
        let sub = conn
            .subscription_builder()
            .on_applied(move |ctx| *a.lock().unwrap() = Some(ctx.conn.connection_id()))
            .on_error(|_, e| panic!("subscription failed: {e}"))
            .subscribe(&["SELECT * FROM pk_u32"])
            .unwrap();
        std::thread::sleep(Duration::from_millis(u64::from(cycle % 4)));
        // The host does not tick while the server is away on even cycles.
        let killed = Instant::now();
        timings.restart.push(kill_and_restart(&server, &conn, cycle % 2 == 1));
        watch.wait_reconnects(&conn, 1, &format!("cycle {cycle}"));
        timings.recovered.push(killed.elapsed());
        assert!(sub.is_active(), "cycle {cycle}: the subscription is active after the reconnect");
        let cid = applied_cid.lock().unwrap().expect("on_applied ran (the reconnect completes after it)");
        if cid != first_cid {
            applied_after_the_restart += 1;
        }
        let rows = assert_cache_equals_server(&conn, &db, &format!("cycle {cycle}"));
        full += u32::from(rows >= 20_000);
        let _ = conn.disconnect();
        tick_until(&conn, || watch.disconnect().is_some());
    }
    // Most kills must land before the subscription's rows arrived (else this is not the case it claims).
    assert!(
        applied_after_the_restart * 2 >= INITIAL_SUBSCRIPTION_CYCLES,
        "only {applied_after_the_restart} of {INITIAL_SUBSCRIPTION_CYCLES} kills landed before the initial rows arrived"
    );
    assert!(full * 2 >= INITIAL_SUBSCRIPTION_CYCLES, "only {full} cycles subscribed to the full 20 000 rows");
    println!(
        "faults {}: initial subscription: {INITIAL_SUBSCRIPTION_CYCLES} kill/restart cycles survived ({applied_after_the_restart} killed before the rows arrived, {full} with all 20 000 rows there after the restart; rows lost by the server to a kill and put back {repopulated} times), {}, restarts retried {}; {:.1}s",
        variant(),
        timings.summary(),
        server.restart_retries(),
        started.elapsed().as_secs_f64()
    );
}

/// One client; each cycle another thread streams reducer calls over HTTP (inserts, updates,
/// deletes of random keys) while the server is killed mid-stream and restarted; the stream goes on
/// across the restart. After the stream stops, the cache must equal `SELECT *`.
fn kill_and_restart_during_a_stream_of_updates() {
    let started = Instant::now();
    let (server, db) = persistent_server();
    http_call(&db, "insert_many", "[0, 500]");
    let watch = Watch::default();
    let conn = connect_with(watch.builder(builder(&db).with_reconnect(patient_policy())));
    let _sub = subscribe(&conn, &["SELECT * FROM pk_u32"]);
    let mut timings = Timings::default();
    let streamed = Arc::new(AtomicUsize::new(0));
    let mut seen_before_kill = 0;
    for cycle in 0..STREAM_CYCLES {
        let stop = Arc::new(AtomicBool::new(false));
        let (s, d, n) = (stop.clone(), db.clone(), streamed.clone());
        let stream = std::thread::spawn(move || {
            let mut x: u32 = 0x9e37_79b9 ^ cycle;
            while !s.load(SeqCst) {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                let key = x % 700;
                let (reducer, args) = match x % 3 {
                    0 => ("insert_pk_u32", format!("[{key}, {}]", x % 1000)),
                    1 => ("update_pk_u32", format!("[{key}, {}]", x % 1000)),
                    _ => ("delete_pk_u32", format!("[{key}]")),
                };
                // Fails while the server is down, or for a key that is (not) there: both fine.
                match d.call_reducer_http(reducer, &args) {
                    Ok(()) => {
                        n.fetch_add(1, SeqCst);
                    }
                    Err(e) if e.http_status().is_none() => std::thread::sleep(Duration::from_millis(5)),
                    Err(_) => {}
                }
            }
        });
        // Let updates flow, then kill in the middle of them.
        let before = conn.metrics().messages_received;
        tick_for(&conn, Duration::from_millis(150 + 20 * u64::from(cycle % 4)));
        seen_before_kill += conn.metrics().messages_received - before;
        let killed = Instant::now();
        timings.restart.push(kill_and_restart(&server, &conn, cycle % 2 == 0));
        watch.wait_reconnects(&conn, cycle as usize + 1, &format!("cycle {cycle}"));
        timings.recovered.push(killed.elapsed());
        // The stream goes on over the new connection for a while.
        tick_for(&conn, Duration::from_millis(100));
        stop.store(true, SeqCst);
        stream.join().unwrap();
        sync_through_marker(&conn, &db, 1_000_000 + cycle);
        assert_cache_equals_server(&conn, &db, &format!("cycle {cycle}"));
        assert!(watch.disconnect().is_none());
    }
    assert!(seen_before_kill >= u64::from(STREAM_CYCLES), "updates were flowing when the server was killed");
    assert_eq!(watch.reconnects(), STREAM_CYCLES as usize);
    println!(
        "faults {}: update stream: {STREAM_CYCLES} kill/restart cycles survived, {} reducer calls streamed, {} messages received before the kills, {}, restarts retried {}; {:.1}s",
        variant(),
        streamed.load(SeqCst),
        seen_before_kill,
        timings.summary(),
        server.restart_retries(),
        started.elapsed().as_secs_f64()
    );
}

/// One idle client: each cycle changes a few rows, lets them arrive, stays idle, then the server
/// is killed and restarted. Same identity afterwards, cache equal to `SELECT *`.
fn kill_and_restart_while_idle() {
    let started = Instant::now();
    let (server, db) = persistent_server();
    http_call(&db, "insert_many", "[0, 100]");
    let watch = Watch::default();
    let conn = connect_with(watch.builder(builder(&db).with_reconnect(patient_policy())));
    let identity = conn.identity().unwrap();
    let _sub = subscribe(&conn, &["SELECT * FROM pk_u32"]);
    let mut timings = Timings::default();
    for cycle in 0..IDLE_CYCLES {
        http_call(&db, "update_pk_u32", &format!("[{}, {}]", cycle % 100, -(cycle as i32)));
        http_call(&db, "delete_pk_u32", &format!("[{}]", 50 + cycle));
        sync_through_marker(&conn, &db, 2_000_000 + cycle);
        tick_for(&conn, Duration::from_millis(50));
        let killed = Instant::now();
        timings.restart.push(kill_and_restart(&server, &conn, cycle % 2 == 0));
        watch.wait_reconnects(&conn, cycle as usize + 1, &format!("cycle {cycle}"));
        timings.recovered.push(killed.elapsed());
        assert_cache_equals_server(&conn, &db, &format!("cycle {cycle}"));
        assert_eq!(conn.identity().unwrap(), identity, "cycle {cycle}: same identity");
    }
    // Live updates still flow.
    assert_eq!(call(&conn, "insert_pk_u32", Args::new().u32(3_000_000).i32(1)), Status::Committed);
    assert_cache_equals_server(&conn, &db, "after the last cycle");
    println!(
        "faults {}: idle: {IDLE_CYCLES} kill/restart cycles survived, {}, restarts retried {}; {:.1}s",
        variant(),
        timings.summary(),
        server.restart_retries(),
        started.elapsed().as_secs_f64()
    );
}

// ---------------------------------------------------------------------------------------------
// A frame-aware TCP relay

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Fault {
    None,
    /// Forward the header and half the payload of the next large binary frame, then cut both sockets.
    CutMidFrame,
    /// Forward the next large binary frame, marked final, with its length halved and half its
    /// payload (a complete WebSocket message, truncated), then forward nothing more from the
    /// server; the client must end the connection itself.
    Truncate,
}

/// Frames at least this large are eligible for a fault (the row updates the tests cause).
const FAULT_MIN_FRAME: u64 = 1024;

/// Relays loopback TCP connections to the real server; parses the server's WebSocket frames so a
/// fault lands exactly where it says. While `down`, new connections are refused.
struct Relay {
    port: u16,
    live: Arc<Mutex<Vec<TcpStream>>>,
    down: Arc<AtomicBool>,
    armed: Arc<Mutex<Fault>>,
    fired: Arc<AtomicUsize>,
}

impl Relay {
    fn start(db: &Database) -> Relay {
        let target = db.http_url.trim_start_matches("http://").to_owned();
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let relay = Relay {
            port,
            live: Arc::default(),
            down: Arc::default(),
            armed: Arc::new(Mutex::new(Fault::None)),
            fired: Arc::default(),
        };
        let (live, down, armed, fired) = (relay.live.clone(), relay.down.clone(), relay.armed.clone(), relay.fired.clone());
        std::thread::spawn(move || {
            for client in listener.incoming() {
                let Ok(client) = client else { continue };
                if down.load(SeqCst) {
                    let _ = client.shutdown(Shutdown::Both);
                    continue;
                }
                let Ok(server) = TcpStream::connect(&target) else { continue };
                live.lock().unwrap().extend([client.try_clone().unwrap(), server.try_clone().unwrap()]);
                let (c2, s2) = (client.try_clone().unwrap(), server.try_clone().unwrap());
                std::thread::spawn(move || copy_then_close(c2, s2));
                let (armed, fired) = (armed.clone(), fired.clone());
                std::thread::spawn(move || {
                    let _ = forward_from_server(server, client, &armed, &fired);
                });
            }
        });
        relay
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn arm(&self, fault: Fault) {
        *self.armed.lock().unwrap() = fault;
    }

    fn fired(&self) -> usize {
        self.fired.load(SeqCst)
    }

    /// Cuts every live connection.
    fn cut(&self) {
        for s in self.live.lock().unwrap().drain(..) {
            let _ = s.shutdown(Shutdown::Both);
        }
    }
}

fn copy_then_close(mut from: TcpStream, mut to: TcpStream) {
    let mut buf = [0u8; 16384];
    while let Ok(n) = from.read(&mut buf) {
        if n == 0 || to.write_all(&buf[..n]).is_err() {
            break;
        }
    }
    let _ = to.shutdown(Shutdown::Both);
    let _ = from.shutdown(Shutdown::Both);
}

/// Server to client: the HTTP response head as is; then, for a WebSocket upgrade, frame by frame,
/// applying the armed fault to the first eligible frame; any other response is copied as is.
fn forward_from_server(mut from: TcpStream, mut to: TcpStream, armed: &Mutex<Fault>, fired: &AtomicUsize) -> std::io::Result<()> {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        if from.read(&mut byte)? == 0 {
            let _ = to.write_all(&head);
            let _ = to.shutdown(Shutdown::Both);
            return Ok(());
        }
        head.push(byte[0]);
    }
    to.write_all(&head)?;
    if !head.starts_with(b"HTTP/1.1 101") {
        copy_then_close(from, to);
        return Ok(());
    }
    loop {
        let mut h = [0u8; 2];
        if from.read_exact(&mut h).is_err() {
            let _ = to.shutdown(Shutdown::Both);
            return Ok(());
        }
        let mut ext = vec![
            0u8;
            match h[1] & 0x7f {
                126 => 2,
                127 => 8,
                _ => 0,
            }
        ];
        from.read_exact(&mut ext)?;
        let len = match ext.len() {
            2 => u64::from(u16::from_be_bytes([ext[0], ext[1]])),
            8 => u64::from_be_bytes(ext[..].try_into().unwrap()),
            _ => u64::from(h[1] & 0x7f),
        };
        assert_eq!(h[1] & 0x80, 0, "server frames are not masked");
        let mut payload = vec![0u8; len as usize];
        from.read_exact(&mut payload)?;
        let binary = h[0] & 0x0f == 2;
        let fault = if binary && len >= FAULT_MIN_FRAME {
            std::mem::replace(&mut *armed.lock().unwrap(), Fault::None)
        } else {
            Fault::None
        };
        let half = (len / 2) as usize;
        match fault {
            Fault::None => {
                to.write_all(&h)?;
                to.write_all(&ext)?;
                to.write_all(&payload)?;
            }
            Fault::CutMidFrame => {
                to.write_all(&h)?;
                to.write_all(&ext)?;
                to.write_all(&payload[..half])?;
                to.flush()?;
                fired.fetch_add(1, SeqCst);
                std::thread::sleep(Duration::from_millis(20));
                let _ = to.shutdown(Shutdown::Both);
                let _ = from.shutdown(Shutdown::Both);
                return Ok(());
            }
            Fault::Truncate => {
                // Same length encoding, half the length: a well-formed frame, a cut message. The
                // frame may be the first fragment of a message (2.8.3 sends 4 KiB fragments): it
                // is marked final, so the message ends there.
                let ext = match ext.len() {
                    2 => (half as u16).to_be_bytes().to_vec(),
                    _ => (half as u64).to_be_bytes().to_vec(),
                };
                to.write_all(&[h[0] | 0x80, h[1]])?;
                to.write_all(&ext)?;
                to.write_all(&payload[..half])?;
                fired.fetch_add(1, SeqCst);
                // Nothing more from the server; the client socket stays open (the relay's list
                // holds it) until the client closes it.
                return Ok(());
            }
        }
    }
}

/// A client through `relay`, subscribed to `pk_u32`, with a watch on its lifecycle.
fn relayed_client(db: &Database, relay: &Relay, reconnect: bool) -> (DbConnection, Watch) {
    let watch = Watch::default();
    let mut b = builder(db).with_uri(relay.url());
    if reconnect {
        b = b.with_reconnect(ReconnectPolicy {
            max_attempts: 50,
            initial_delay: Duration::from_millis(20),
            max_delay: Duration::from_millis(100),
        });
    }
    let conn = connect_with(watch.builder(b));
    subscribe(&conn, &["SELECT * FROM pk_u32"]);
    (conn, watch)
}

/// Runs one fault: arms it, commits a 2 000-row transaction (whose update frame is the one hit)
/// and ticks until the relay has fired.
fn hit_an_update_frame(conn: &DbConnection, db: &Database, relay: &Relay, fault: Fault, start: u32) {
    let fired = relay.fired();
    relay.arm(fault);
    http_call(db, "insert_many", &format!("[{start}, 2000]"));
    assert!(tick_until(conn, || relay.fired() > fired), "the relay never saw the 2 000-row update frame");
}

fn fault_without_reconnect(fault: Fault) -> Error {
    let db = publish("sdk-test");
    http_call(&db, "insert_many", "[0, 100]");
    let relay = Relay::start(&db);
    let (conn, watch) = relayed_client(&db, &relay, false);
    hit_an_update_frame(&conn, &db, &relay, fault, 1000);
    assert!(tick_until(&conn, || watch.disconnect().is_some()), "{fault:?}: no disconnect reported within {TIMEOUT:?}");
    assert!(!conn.is_active());
    assert_eq!(cache_rows(&conn).len(), 100, "{fault:?}: nothing of the damaged frame was applied");
    watch.disconnect().unwrap().expect("an error, not a requested disconnect")
}

fn fault_with_reconnect(fault: Fault, rounds: u32) {
    let db = publish("sdk-test");
    http_call(&db, "insert_many", "[0, 100]");
    let relay = Relay::start(&db);
    let (conn, watch) = relayed_client(&db, &relay, true);
    for round in 0..rounds {
        hit_an_update_frame(&conn, &db, &relay, fault, 1000 + 10_000 * round);
        watch.wait_reconnects(&conn, round as usize + 1, &format!("{fault:?} round {round}"));
        let rows = assert_cache_equals_server(&conn, &db, &format!("{fault:?} round {round}"));
        assert_eq!(rows, 100 + 2000 * (round as usize + 1), "the damaged frame's rows came back with the reconnect");
    }
    assert!(watch.disconnect().is_none());
    assert_eq!(call(&conn, "insert_pk_u32", Args::new().u32(9_999_999).i32(1)), Status::Committed);
    assert_cache_equals_server(&conn, &db, &format!("{fault:?}: after the last round"));
}

fn a_connection_cut_mid_frame_is_a_clear_disconnect_and_reconnect_restores_the_cache() {
    match fault_without_reconnect(Fault::CutMidFrame) {
        Error::ConnectionLost(m) => assert!(!m.is_empty()),
        other => panic!("a cut mid-frame reported as {other:?}, expected ConnectionLost"),
    }
    fault_with_reconnect(Fault::CutMidFrame, 5);
}

fn a_truncated_frame_is_a_clear_protocol_error_and_reconnect_restores_the_cache() {
    match fault_without_reconnect(Fault::Truncate) {
        Error::Protocol(m) => assert!(!m.is_empty()),
        other => panic!("a truncated frame reported as {other:?}, expected Protocol"),
    }
    fault_with_reconnect(Fault::Truncate, 5);
}

// ---------------------------------------------------------------------------------------------
// The token rejected on reconnect

/// The server comes back with new JWT keys, so the token the client reconnects with no longer
/// verifies. With the default reconnect policy, the client must report that at once as a
/// rejected token — not retry a token that cannot succeed for a minute (which a game sees as a
/// hang) — and end the connection.
fn a_token_rejected_on_reconnect_is_reported_at_once() {
    let (server, db) = persistent_server();
    let watch = Watch::default();
    let conn = connect_with(watch.builder(builder(&db).with_reconnect(ReconnectPolicy::default())));
    let _sub = subscribe(&conn, &["SELECT * FROM pk_u32"]);
    let killed = Instant::now();
    let restart = server.restart_with_new_keys().unwrap_or_else(|e| panic!("restarting with new keys: {e}"));
    let reported = tick_until_for(&conn, Duration::from_secs(90), &mut || watch.disconnect().is_some());
    let took = killed.elapsed().saturating_sub(restart);
    assert!(reported, "no disconnect reported");
    match watch.disconnect().unwrap() {
        Some(Error::Connect { kind: ConnectErrorKind::HttpStatus(401), message }) => {
            assert!(message.contains("token"), "the message says what was rejected: {message}")
        }
        other => panic!("expected a 401 connect error, got {other:?}"),
    }
    assert_eq!(watch.reconnects(), 0);
    assert!(!conn.is_active());
    assert!(took < Duration::from_secs(5), "the rejected token was reported {took:?} after the server came back");
    println!(
        "faults {}: rejected token reported at most {:.2}s after the server came back (restart {:.2}s)",
        variant(),
        took.as_secs_f64(),
        restart.as_secs_f64()
    );
}

// ---------------------------------------------------------------------------------------------
// Reducer calls around a drop

#[derive(Debug)]
enum Outcome {
    /// `call_reducer_then` returned an error: nothing was sent.
    Refused(Error),
    /// The outcome callback got the reducer event.
    Event(Status),
    /// The outcome callback said no result will come.
    NoResult(String),
}

type Outcomes = Arc<Mutex<HashMap<u32, Outcome>>>;

fn record(outcomes: &Outcomes, n: u32, o: Outcome) {
    let old = outcomes.lock().unwrap().insert(n, o);
    assert!(old.is_none(), "call {n} has two outcomes");
}

/// Calls `insert_pk_u32(n, n)` through `call_reducer_then`, recording its outcome.
fn tracked_call(conn: &DbConnection, outcomes: &Outcomes, n: u32) {
    let o = outcomes.clone();
    let r = conn.call_reducer_then("insert_pk_u32", Args::new().u32(n).i32(n as i32).bytes(), CallReducerFlags::FullUpdate, {
        move |_, result| match result {
            Ok(ev) => record(&o, n, Outcome::Event(ev.status.clone())),
            Err(why) => record(&o, n, Outcome::NoResult(why.to_owned())),
        }
    });
    if let Err(e) = r {
        record(outcomes, n, Outcome::Refused(e));
    }
}

/// Checks every call's outcome against the database; returns (committed, refused, no result,
/// no result but committed).
fn check_outcomes(db: &Database, outcomes: &Outcomes, calls: u32) -> (usize, usize, usize, usize) {
    let rows = server_rows(db);
    let outcomes = outcomes.lock().unwrap();
    assert_eq!(outcomes.len(), calls as usize, "every call has an outcome");
    let (mut committed, mut refused, mut no_result, mut no_result_ran) = (0, 0, 0, 0);
    for n in 0..calls {
        match &outcomes[&n] {
            Outcome::Event(Status::Committed) => {
                assert_eq!(rows.get(&n), Some(&(n as i32)), "call {n} was reported committed but its row is not there");
                committed += 1;
            }
            Outcome::Event(other) => panic!("call {n}: {other:?}"),
            Outcome::Refused(e) => {
                assert_eq!(*e, Error::Disconnected, "call {n} refused with an unclear error");
                assert!(!rows.contains_key(&n), "call {n} was refused but ran");
                refused += 1;
            }
            Outcome::NoResult(why) => {
                assert!(why.contains("may or may not have run"), "call {n}: an unclear reason: {why}");
                no_result += 1;
                no_result_ran += usize::from(rows.contains_key(&n));
            }
        }
    }
    (committed, refused, no_result, no_result_ran)
}

/// A thread calls a reducer every 2 ms while the main thread ticks and the relay drops the
/// connection five times (refusing new connections for 150 ms each time). Every call must end in
/// exactly one outcome: refused at once (and never run), committed (and its row there), or told
/// that no result will come — none may be left without an answer.
fn reducer_calls_around_drops_are_delivered_or_failed_never_lost() {
    const CALLS: u32 = 900;
    let db = publish("sdk-test");
    let relay = Relay::start(&db);
    let (conn, watch) = relayed_client(&db, &relay, true);
    let outcomes: Outcomes = Arc::default();
    let made = Arc::new(AtomicU32::new(0));
    let caller = {
        let (conn, outcomes, made) = (conn.clone(), outcomes.clone(), made.clone());
        std::thread::spawn(move || {
            for n in 0..CALLS {
                tracked_call(&conn, &outcomes, n);
                made.store(n + 1, SeqCst);
                std::thread::sleep(Duration::from_millis(2));
            }
        })
    };
    let mut drops = 0;
    while !caller.is_finished() {
        let n = made.load(SeqCst);
        if drops < 5 && n >= 80 + 160 * drops {
            relay.down.store(true, SeqCst);
            relay.cut();
            tick_for(&conn, Duration::from_millis(150));
            relay.down.store(false, SeqCst);
            drops += 1;
            // One outage at a time: the next drop comes once this one is recovered (calls go on).
            watch.wait_reconnects(&conn, drops as usize, &format!("drop {drops}"));
        }
        let _ = conn.frame_tick();
        std::thread::sleep(Duration::from_millis(1));
    }
    caller.join().unwrap();
    assert_eq!(drops, 5);
    let answered = tick_until(&conn, || outcomes.lock().unwrap().len() == CALLS as usize);
    let missing: Vec<u32> = (0..CALLS).filter(|n| !outcomes.lock().unwrap().contains_key(n)).collect();
    assert!(answered, "{} calls never got an outcome (silently lost): {:?}", missing.len(), &missing[..missing.len().min(20)]);
    watch.wait_reconnects(&conn, 5, "after the drops");
    let (committed, refused, no_result, no_result_ran) = check_outcomes(&db, &outcomes, CALLS);
    assert!(committed > 0 && refused + no_result > 0, "calls landed on both sides of the drops");
    // The cache agrees with the server too.
    sync_through_marker(&conn, &db, 8_000_000);
    assert_cache_equals_server(&conn, &db, "after the drops");
    println!(
        "faults {}: {CALLS} reducer calls around 5 drops: {committed} committed, {refused} refused at once, {no_result} told no result will come ({no_result_ran} of them had run)",
        variant()
    );
}

/// The host does not tick while the connection drops and comes back; a call made after the
/// reconnect (sent on the new connection) commits. When the host then ticks, that call must get
/// its real outcome — not "lost with the old connection" — and so must a one-off query.
fn a_call_sent_after_a_reconnect_the_host_did_not_tick_through_is_not_reported_lost() {
    let db = publish("sdk-test");
    let relay = Relay::start(&db);
    let (conn, watch) = relayed_client(&db, &relay, true);
    let outcomes: Outcomes = Arc::default();
    // A call before the drop, answered.
    tracked_call(&conn, &outcomes, 0);
    assert!(tick_until(&conn, || outcomes.lock().unwrap().len() == 1));
    relay.cut();
    // Without ticking: call until a call is accepted again (the transport has reconnected).
    // Calls accepted in the instant before the transport saw the cut are lost with the old
    // socket; the one wanted is the first accepted after a refusal: it went out on the new one.
    let deadline = Instant::now() + TIMEOUT;
    let mut n = 1;
    let mut refusals = 0;
    let accepted = loop {
        tracked_call(&conn, &outcomes, n);
        let refused = matches!(outcomes.lock().unwrap().get(&n), Some(Outcome::Refused(_)));
        n += 1;
        if refused {
            refusals += 1;
        } else if refusals > 0 {
            break n - 1;
        }
        assert!(Instant::now() < deadline, "the transport never reconnected");
        std::thread::sleep(Duration::from_millis(2));
    };
    // A one-off query made now goes out on the new connection too.
    let one_off = Arc::new(Mutex::new(None));
    let o = one_off.clone();
    conn.one_off_query("SELECT * FROM pk_u32", move |_, r| *o.lock().unwrap() = Some(r.map(|_| ())))
        .expect("one-off query on the reconnected transport");
    // Give the server time to answer on the new connection, still without ticking.
    std::thread::sleep(Duration::from_millis(500));
    assert!(tick_until(&conn, || outcomes.lock().unwrap().len() == n as usize), "every call got an outcome");
    watch.wait_reconnects(&conn, 1, "after the cut");
    let outcome = format!("{:?}", outcomes.lock().unwrap()[&accepted]);
    assert!(
        matches!(outcomes.lock().unwrap()[&accepted], Outcome::Event(Status::Committed)),
        "call {accepted}, sent on the new connection, reported {outcome}"
    );
    check_outcomes(&db, &outcomes, n);
    assert!(tick_until(&conn, || one_off.lock().unwrap().is_some()));
    assert_eq!(one_off.lock().unwrap().clone().unwrap(), Ok(()), "the one-off query sent on the new connection");
}

/// Like the call above, for a subscription: made (without ticking) once the transport has
/// reconnected, it went out on the new connection; when the host then ticks the reconnect, the
/// subscription must apply once and stay active, not be sent again under the same query id.
fn a_subscription_made_after_a_reconnect_the_host_did_not_tick_through_applies_once() {
    let db = publish("sdk-test");
    for id in 0..10 {
        http_call(&db, "insert_join_left", &format!("[{id}, {}]", id % 3));
    }
    let relay = Relay::start(&db);
    let (conn, watch) = relayed_client(&db, &relay, true);
    relay.cut();
    let errors = Arc::new(Mutex::new(Vec::<String>::new()));
    let deadline = Instant::now() + TIMEOUT;
    let mut refusals = 0;
    let sub = loop {
        let e = errors.clone();
        let r = conn
            .subscription_builder()
            .on_error(move |_, err| e.lock().unwrap().push(err.to_owned()))
            .subscribe(&["SELECT * FROM join_left"]);
        match r {
            Err(Error::Disconnected) => refusals += 1,
            Err(other) => panic!("subscribe: {other:?}"),
            Ok(sub) if refusals > 0 => break sub,
            Ok(_) => {} // before the transport saw the cut: renewed by the reconnect
        }
        assert!(Instant::now() < deadline, "the transport never reconnected");
        std::thread::sleep(Duration::from_millis(2));
    };
    std::thread::sleep(Duration::from_millis(500));
    watch.wait_reconnects(&conn, 1, "after the cut");
    tick_for(&conn, Duration::from_millis(500));
    assert!(errors.lock().unwrap().is_empty(), "subscription errors: {:?}", errors.lock().unwrap());
    assert!(sub.is_active(), "the subscription made on the new connection is {:?}", sub.state());
    let t = conn.table("join_left").unwrap();
    assert_eq!(t.count(), 10);
    // It keeps following the server.
    http_call(&db, "insert_join_left", "[10, 1]");
    assert!(tick_until(&conn, || t.count() == 11));
    assert_cache_equals_server(&conn, &db, "pk_u32 after the cut");
}

/// Like the call above, for a procedure (2.x only): called once the transport has reconnected,
/// without ticking, it must get its result when the host ticks, not "lost with the old socket".
fn a_procedure_called_after_a_reconnect_the_host_did_not_tick_through_gets_its_result() {
    let db = publish("features-2x");
    let relay = Relay::start(&db);
    let watch = Watch::default();
    let policy =
        ReconnectPolicy { max_attempts: 50, initial_delay: Duration::from_millis(20), max_delay: Duration::from_millis(100) };
    let conn = connect_with(watch.builder(builder(&db).with_uri(relay.url()).with_reconnect(policy)));
    relay.cut();
    let out = Arc::new(Mutex::new(None));
    let deadline = Instant::now() + TIMEOUT;
    let mut refusals = 0;
    loop {
        let o = out.clone();
        match conn
            .call_procedure("add_numbers", Args::new().u32(40).u32(2).bytes(), move |_, r| *o.lock().unwrap() = Some(r.result))
        {
            Err(Error::Disconnected) => refusals += 1,
            Err(other) => panic!("call_procedure: {other:?}"),
            Ok(_) if refusals > 0 => break,
            Ok(_) => {} // before the transport saw the cut: told "lost" later
        }
        assert!(Instant::now() < deadline, "the transport never reconnected");
        std::thread::sleep(Duration::from_millis(2));
    }
    // Only the last call's result is kept (each call overwrites `out` when it ends); wait for it.
    std::thread::sleep(Duration::from_millis(500));
    watch.wait_reconnects(&conn, 1, "after the cut");
    tick_for(&conn, Duration::from_millis(200));
    assert_eq!(out.lock().unwrap().clone().expect("an outcome").as_deref(), Ok(&42u64.to_le_bytes()[..]));
}
