//! The longest tick while a large initial subscription and a large transaction arrive, against
//! real servers (1.2.0, and 2.8.3 when present): `cargo bench --bench frame_budget`.
//!
//! A `bench` database is filled with `STDB_BENCH_ROWS` rows (default 1 000 000) of the `small`
//! table. Each run connects, subscribes to the whole table, and once it is applied another client
//! inserts `STDB_BENCH_TX_ROWS` more (default 100 000) in one transaction. The host ticks every
//! millisecond until both are applied, either with plain `frame_tick` or with
//! `frame_tick_budget(usize::MAX, Some(2 ms))`, with no row callback or with one `on_insert`.
//! Per tick we measure its wall time, its CPU time (the ticking thread's, so time the thread was
//! preempted does not count: on a loaded machine a tick can wait tens of milliseconds for a core),
//! and the time spent in the callback (measured in the callback itself); "outside cb" is the wall
//! time minus the callback time. The callback is trivial, so the whole tick is held to the budget.
//! An idle connection ticked the same way gives the machine's noise floor.

use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering::Relaxed};
use std::sync::Arc;
use std::time::{Duration, Instant};
use stdb_client::{CallReducerFlags, DbConnection};
use stdb_testbed::{Database, ServerKind};

const BUDGET: Duration = Duration::from_millis(2);

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn args(start: u64, count: u32) -> Vec<u8> {
    let mut a = start.to_le_bytes().to_vec();
    a.extend_from_slice(&count.to_le_bytes());
    a
}

fn count(db: &Database) -> u64 {
    let rows = db.sql_rows("SELECT COUNT(*) AS n FROM small").expect("count over HTTP");
    rows.first().and_then(|r| r.get(0).or_else(|| r.get("n"))).and_then(|v| v.as_u64()).expect("a count")
}

fn connect(db: &Database) -> DbConnection {
    let done = Arc::new(AtomicBool::new(false));
    let d = done.clone();
    let conn = DbConnection::builder()
        .with_uri(db.http_url.clone())
        .with_module_name(db.name.clone())
        .on_connect(move |_, _, _, _| d.store(true, Relaxed))
        .on_connect_error(|_, e| panic!("connect: {e}"))
        .build()
        .expect("build");
    let deadline = Instant::now() + Duration::from_secs(20);
    while !done.load(Relaxed) {
        conn.frame_tick().expect("tick");
        assert!(Instant::now() < deadline, "no connect");
        std::thread::sleep(Duration::from_millis(1));
    }
    conn
}

/// Calls `reducer` and waits for its result.
fn call(conn: &DbConnection, reducer: &str, a: &[u8]) {
    let done = Arc::new(AtomicBool::new(false));
    let d = done.clone();
    let name = reducer.to_owned();
    conn.call_reducer_then(reducer, a, CallReducerFlags::FullUpdate, move |_, r| {
        assert!(r.is_ok(), "{name}: {:?}", r.err());
        d.store(true, Relaxed);
    })
    .expect("call");
    let deadline = Instant::now() + Duration::from_secs(120);
    while !done.load(Relaxed) {
        conn.frame_tick().expect("tick");
        assert!(Instant::now() < deadline, "no result");
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// The calling thread's CPU time.
fn thread_cpu() -> Duration {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: `ts` is a valid, writable timespec; CLOCK_THREAD_CPUTIME_ID exists on Linux.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

struct Run {
    ticks: usize,
    longest: Duration,
    longest_outside: Duration,
    longest_cpu: Duration,
    p99: Duration,
    p99_cpu: Duration,
    /// Ticks whose wall time exceeded the budget by more than 0.5 ms, and whose CPU time did.
    over: (usize, usize),
    callbacks: usize,
    wall: Duration,
}

/// Ticks an idle connection 2 000 times, 1 ms apart: the longest tick (wall, CPU) is the noise
/// floor of the machine.
fn idle_floor(db: &Database) -> (Duration, Duration) {
    let conn = connect(db);
    let (mut wall, mut cpu) = (Duration::ZERO, Duration::ZERO);
    for _ in 0..2_000 {
        let (t, c) = (Instant::now(), thread_cpu());
        conn.frame_tick_budget(usize::MAX, Some(BUDGET)).expect("tick");
        wall = wall.max(t.elapsed());
        cpu = cpu.max(thread_cpu().saturating_sub(c));
        std::thread::sleep(Duration::from_millis(1));
    }
    (wall, cpu)
}

fn run(db: &Database, writer: &DbConnection, rows: usize, tx_rows: usize, budgeted: bool, callback: bool) -> Run {
    let conn = connect(db);
    let small = conn.table("small").unwrap();
    let in_callbacks = Arc::new(AtomicU64::new(0));
    let calls = Arc::new(AtomicUsize::new(0));
    if callback {
        let (t, n) = (in_callbacks.clone(), calls.clone());
        let mut sum = 0u64;
        small.on_insert(move |_, row| {
            let start = Instant::now();
            sum = sum.wrapping_add(row[0] as u64);
            std::hint::black_box(sum);
            n.fetch_add(1, Relaxed);
            t.fetch_add(start.elapsed().as_nanos() as u64, Relaxed);
        });
    }
    let applied = Arc::new(AtomicBool::new(false));
    let a = applied.clone();
    let start = Instant::now();
    conn.subscription_builder().on_applied(move |_| a.store(true, Relaxed)).subscribe(&["SELECT * FROM small"]).unwrap();
    let (mut walls, mut cpus) = (Vec::new(), Vec::new());
    let (mut longest_outside, mut over) = (Duration::ZERO, (0, 0));
    let mut sent = false;
    let target = rows + tx_rows;
    let deadline = Instant::now() + Duration::from_secs(300);
    loop {
        let before = in_callbacks.load(Relaxed);
        let (t, c) = (Instant::now(), thread_cpu());
        let remaining = if budgeted {
            conn.frame_tick_budget(usize::MAX, Some(BUDGET)).expect("tick").remaining
        } else {
            conn.frame_tick().expect("tick");
            0
        };
        let (took, cpu) = (t.elapsed(), thread_cpu().saturating_sub(c));
        let cb = Duration::from_nanos(in_callbacks.load(Relaxed) - before);
        longest_outside = longest_outside.max(took.saturating_sub(cb));
        let limit = BUDGET + Duration::from_micros(500);
        over.0 += usize::from(took > limit);
        over.1 += usize::from(cpu > limit);
        walls.push(took);
        cpus.push(cpu);
        if applied.load(Relaxed) && !sent {
            // The transaction: one reducer inserting tx_rows rows, from another client.
            let a = args(1_000_000_000, tx_rows as u32);
            writer.call_reducer("insert_small", &a, CallReducerFlags::FullUpdate).unwrap();
            sent = true;
        }
        if sent && small.count() == target && remaining == 0 && (!callback || calls.load(Relaxed) == target) {
            break;
        }
        assert!(Instant::now() < deadline, "run did not finish: {} of {target} rows", small.count());
        std::thread::sleep(Duration::from_millis(1));
    }
    let wall = start.elapsed();
    walls.sort();
    cpus.sort();
    let p99 = |v: &[Duration]| v[v.len() * 99 / 100];
    let _ = conn.disconnect();
    call(writer, "delete_small", &args(1_000_000_000, tx_rows as u32));
    Run {
        ticks: walls.len(),
        longest: *walls.last().unwrap(),
        longest_outside,
        longest_cpu: *cpus.last().unwrap(),
        p99: p99(&walls),
        p99_cpu: p99(&cpus),
        over,
        callbacks: calls.load(Relaxed),
        wall,
    }
}

fn main() {
    // `cargo bench` passes `--bench`; nothing else is taken from the command line.
    let rows = env_usize("STDB_BENCH_ROWS", 1_000_000);
    let tx_rows = env_usize("STDB_BENCH_TX_ROWS", 100_000);
    let mut kinds = vec![ServerKind::V1_2];
    if stdb_testbed::harness::have_2x() {
        kinds.push(ServerKind::V2_8);
    } else {
        println!("no 2.8.3 server found (see README): measuring on 1.2.0 only");
    }
    println!("initial subscription {rows} rows, then a {tx_rows}-row transaction; ticks every 1 ms; budget {BUDGET:?}");
    println!("times in ms; \"over\": ticks longer than the budget + 0.5 ms (wall / CPU)");
    println!(
        "{:<7} {:<10} {:<9} {:>6} {:>9} {:>10} {:>9} {:>8} {:>8} {:>9} {:>9} {:>7}",
        "server",
        "tick",
        "callback",
        "ticks",
        "longest",
        "outside cb",
        "CPU max",
        "p99",
        "p99 CPU",
        "over",
        "callbacks",
        "wall s"
    );
    for kind in kinds {
        let server = stdb_testbed::Server::shared_of(kind);
        let db = server.publish_from(kind.native_modules(), "bench").expect("publish bench");
        let writer = connect(&db);
        let batch = 100_000.min(rows.max(1));
        let mut start = 0;
        while start < rows {
            let n = batch.min(rows - start);
            call(&writer, "insert_small", &args(start as u64, n as u32));
            start += n;
        }
        assert_eq!(count(&db), rows as u64);
        let (floor, floor_cpu) = idle_floor(&db);
        println!(
            "{:<7} idle ticks (noise floor): longest {:.2} ms wall, {:.3} ms CPU",
            format!("{kind:?}"),
            floor.as_secs_f64() * 1e3,
            floor_cpu.as_secs_f64() * 1e3
        );
        for (budgeted, callback) in [(false, false), (true, false), (false, true), (true, true)] {
            let r = run(&db, &writer, rows, tx_rows, budgeted, callback);
            let ms = |d: Duration| d.as_secs_f64() * 1e3;
            println!(
                "{:<7} {:<10} {:<9} {:>6} {:>9.2} {:>10.2} {:>9.2} {:>8.3} {:>8.3} {:>9} {:>9} {:>7.2}",
                format!("{kind:?}"),
                if budgeted { "budget 2ms" } else { "plain" },
                if callback { "on_insert" } else { "none" },
                r.ticks,
                ms(r.longest),
                ms(r.longest_outside),
                ms(r.longest_cpu),
                ms(r.p99),
                ms(r.p99_cpu),
                format!("{}/{}", r.over.0, r.over.1),
                r.callbacks,
                r.wall.as_secs_f64(),
            );
        }
    }
}
