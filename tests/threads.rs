//! The library under concurrent use, against both real servers: one thread ticks while others
//! call reducers, subscribe and unsubscribe, and read tables; `run_threaded`; several connections
//! ticked from their own threads. Run in the normal suite and, by scripts/tsan, under
//! ThreadSanitizer (which must report nothing).

mod common;

use common::*;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Barrier, Mutex};
use std::time::{Duration, Instant};
use stdb_client::{CallReducerFlags, DbConnection};

fn main() {
    run_tests(
        env!("CARGO_CRATE_NAME"),
        live_tests![
            one_thread_ticks_while_others_call_subscribe_and_read: BOTH,
            run_threaded_with_callers_and_readers_on_other_threads: BOTH,
            every_round_trip_is_counted_under_run_threaded: BOTH,
            several_connections_each_ticked_on_its_own_thread: BOTH,
        ],
    )
}

const CALLERS: u32 = 3;
const CALLS: u32 = 60;

fn wait_for(what: &str, limit: Duration, mut cond: impl FnMut() -> bool) {
    let deadline = Instant::now() + limit;
    while !cond() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Rows of pk_u32 (key, data) in the cache.
fn keys(conn: &DbConnection) -> Vec<u32> {
    let mut k: Vec<u32> = conn.table("pk_u32").unwrap().rows().iter().map(|r| u32_at(r, 0)).collect();
    k.sort_unstable();
    k
}

/// `CALLERS` threads each call `insert_pk_u32` `CALLS` times (keys `c * 1000 + i`).
fn spawn_callers(conn: &DbConnection, start: Arc<Barrier>) -> Vec<std::thread::JoinHandle<()>> {
    (0..CALLERS)
        .map(|c| {
            let conn = conn.clone();
            let start = start.clone();
            std::thread::spawn(move || {
                start.wait();
                for i in 0..CALLS {
                    let args = Args::new().u32(c * 1000 + i).i32(i as i32);
                    conn.call_reducer("insert_pk_u32", args.bytes(), CallReducerFlags::FullUpdate).unwrap();
                }
            })
        })
        .collect()
}

fn expected_keys() -> Vec<u32> {
    (0..CALLERS).flat_map(|c| (0..CALLS).map(move |i| c * 1000 + i)).collect()
}

/// A reader thread: counts of pk_u32 only grow (inserts only) and every row it sees is whole.
fn spawn_reader(conn: &DbConnection, stop: Arc<AtomicBool>) -> std::thread::JoinHandle<usize> {
    let conn = conn.clone();
    std::thread::spawn(move || {
        let table = conn.table("pk_u32").unwrap();
        let (mut last, mut reads) = (0, 0);
        while !stop.load(SeqCst) {
            let n = table.count();
            assert!(n >= last, "pk_u32 shrank from {last} to {n} while only inserts happen");
            last = n;
            table.for_each(|row| assert_eq!(row.len(), 8, "a pk_u32 row is two 4-byte columns"));
            if let Some(row) = table.rows().first() {
                let key = &row[..4];
                assert_eq!(table.find("n", key).unwrap().as_deref(), Some(&row[..]), "find by primary key");
            }
            reads += 1;
            std::thread::yield_now();
        }
        reads
    })
}

fn one_thread_ticks_while_others_call_subscribe_and_read() {
    let db = publish("sdk-test");
    let conn = connect(&db);
    subscribe(&conn, &["SELECT * FROM pk_u32"]);
    let inserted = Arc::new(AtomicUsize::new(0));
    let ins = inserted.clone();
    conn.table("pk_u32").unwrap().on_insert(move |_, _| {
        ins.fetch_add(1, SeqCst);
    });
    let stop = Arc::new(AtomicBool::new(false));
    let ticker = {
        let (conn, stop) = (conn.clone(), stop.clone());
        std::thread::spawn(move || {
            while !stop.load(SeqCst) {
                conn.frame_tick().unwrap();
                std::thread::sleep(Duration::from_millis(1));
            }
        })
    };
    // A thread that subscribes and unsubscribes other tables over and over, while the rows of
    // pk_u32 stream in; each subscription is applied and ended by the ticking thread (which
    // therefore keeps ticking until the churner has stopped).
    let stop_churn = Arc::new(AtomicBool::new(false));
    let churner = {
        let (conn, stop) = (conn.clone(), stop_churn.clone());
        std::thread::spawn(move || {
            let mut cycles = 0;
            while !stop.load(SeqCst) {
                let applied = Arc::new(AtomicBool::new(false));
                let a = applied.clone();
                let h = conn
                    .subscription_builder()
                    .on_applied(move |_| a.store(true, SeqCst))
                    .subscribe(&["SELECT * FROM pk_string", "SELECT * FROM scores"])
                    .unwrap();
                wait_for("a churned subscription", TIMEOUT, || applied.load(SeqCst));
                let ended = Arc::new(AtomicBool::new(false));
                let e = ended.clone();
                h.unsubscribe_then(move |_| e.store(true, SeqCst)).unwrap();
                wait_for("a churned unsubscribe", TIMEOUT, || ended.load(SeqCst));
                cycles += 1;
            }
            cycles
        })
    };
    let readers: Vec<_> = (0..2).map(|_| spawn_reader(&conn, stop.clone())).collect();
    let start = Arc::new(Barrier::new(CALLERS as usize));
    for h in spawn_callers(&conn, start) {
        h.join().unwrap();
    }
    let total = (CALLERS * CALLS) as usize;
    wait_for("every insert", TIMEOUT, || inserted.load(SeqCst) == total);
    stop_churn.store(true, SeqCst);
    assert!(churner.join().unwrap() > 0, "the subscribing thread completed no cycle");
    stop.store(true, SeqCst);
    ticker.join().unwrap();
    for r in readers {
        assert!(r.join().unwrap() > 0);
    }
    assert_eq!(keys(&conn), expected_keys());
    assert_eq!(inserted.load(SeqCst), total, "one insert callback per row");
    conn.disconnect().unwrap();
}

fn run_threaded_with_callers_and_readers_on_other_threads() {
    let db = publish("sdk-test");
    let conn = connect(&db);
    subscribe(&conn, &["SELECT * FROM pk_u32"]);
    let tick_thread = Arc::new(Mutex::new(None));
    let inserted = Arc::new(AtomicUsize::new(0));
    let (ins, tt) = (inserted.clone(), tick_thread.clone());
    conn.table("pk_u32").unwrap().on_insert(move |_, _| {
        ins.fetch_add(1, SeqCst);
        let me = std::thread::current().id();
        let mut t = tt.lock().unwrap();
        assert_eq!(*t.get_or_insert(me), me, "callbacks run on one thread");
    });
    let handle = conn.run_threaded().unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let readers: Vec<_> = (0..2).map(|_| spawn_reader(&conn, stop.clone())).collect();
    let start = Arc::new(Barrier::new(CALLERS as usize));
    for h in spawn_callers(&conn, start) {
        h.join().unwrap();
    }
    let total = (CALLERS * CALLS) as usize;
    wait_for("every insert", TIMEOUT, || inserted.load(SeqCst) == total);
    stop.store(true, SeqCst);
    for r in readers {
        r.join().unwrap();
    }
    assert_eq!(keys(&conn), expected_keys());
    assert_ne!(*tick_thread.lock().unwrap(), Some(std::thread::current().id()));
    conn.disconnect().unwrap();
    handle.join().expect("the tick thread ends without panicking");
    assert!(!conn.is_active());
}

/// Every committed call is counted as a round trip even when run_threaded's thread applies the
/// reply before `call_reducer` returns.
fn every_round_trip_is_counted_under_run_threaded() {
    let db = publish("sdk-test");
    let conn = connect(&db);
    let handle = conn.run_threaded().unwrap();
    for _ in 0..150 {
        conn.call_reducer("no_op", &[], CallReducerFlags::FullUpdate).unwrap();
    }
    wait_for("150 round trips", TIMEOUT, || conn.metrics().reducer_round_trips >= 150);
    std::thread::sleep(Duration::from_millis(100));
    let m = conn.metrics();
    assert_eq!((m.reducer_calls, m.reducer_round_trips), (150, 150), "{m:?}");
    conn.disconnect().unwrap();
    handle.join().unwrap();
}

fn several_connections_each_ticked_on_its_own_thread() {
    const CONNS: usize = 6;
    let db = publish("sdk-test");
    let schema = connect(&db).schema().unwrap();
    let start = Arc::new(Barrier::new(CONNS));
    let threads: Vec<_> = (0..CONNS)
        .map(|k| {
            let (db, schema, start) = (db.clone(), schema.clone(), start.clone());
            let variant = harness::current();
            std::thread::spawn(move || {
                harness::with_variant(variant, || {
                    let conn = connect_with(builder(&db).with_schema(schema));
                    subscribe(&conn, &["SELECT * FROM pk_u32"]);
                    start.wait();
                    for i in 0..20u32 {
                        let key = (k as u32) * 100 + i;
                        conn.call_reducer("insert_pk_u32", Args::new().u32(key).i32(0).bytes(), CallReducerFlags::FullUpdate)
                            .unwrap();
                        conn.frame_tick().unwrap();
                    }
                    // Every connection sees every connection's rows.
                    assert!(
                        tick_until(&conn, || conn.table("pk_u32").unwrap().count() == CONNS * 20),
                        "connection {k} saw {} rows",
                        conn.table("pk_u32").unwrap().count()
                    );
                    conn.disconnect().unwrap();
                })
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let rows = db.sql_rows("SELECT * FROM pk_u32").unwrap();
    assert_eq!(rows.len(), CONNS * 20);
}
