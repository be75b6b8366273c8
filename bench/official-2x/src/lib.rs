//! The bench workloads through the official SDK of the 2.x line (`spacetimedb-sdk` 2.8.3, which
//! speaks v2) and the bindings the official 2.8.3 code generator wrote for
//! `tests/modules-2x/bench` (`bindings/`, regenerated and checked by `bench-codegen-2x`).
//!
//! The same workloads as the runner's 1.2.0 `official.rs`, written against the 2.x API: reducer
//! outcomes arrive through `*_then` callbacks (2.x has no `on_<reducer>` for other callers'
//! calls), the database is named with `with_database_name`. The runner owns the process
//! (allocator, RSS, the observer connection) and hands those in through [`Host`].
use spacetimedb_sdk::{Compression, DbContext, Table, TableWithPrimaryKey};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering::SeqCst};
use std::sync::mpsc::{channel, Receiver};
use std::sync::Arc;
use std::time::{Duration, Instant};

#[allow(clippy::all, unused)]
#[path = "../bindings/mod.rs"]
mod bindings;
use bindings::*;

pub type Res<T> = Result<T, Box<dyn std::error::Error + Send + Sync>>;
pub const TIMEOUT: Duration = Duration::from_secs(600);

/// A child's parameters (the runner's `Args`, minus what only the runner needs).
#[derive(Clone, Debug, Default)]
pub struct Params {
    pub url: String,
    pub db: String,
    pub table: String,
    pub comp: String,
    pub mode: String,
    pub n: usize,
    pub warmup: usize,
    pub batches: u32,
    pub batch: u32,
    pub conns: usize,
    pub run: u32,
}

/// What the runner's process provides.
pub trait Host {
    /// A bare WebSocket subscribed to `small` that sends the arrival time of every transaction.
    fn observer(&self, p: &Params) -> Res<Receiver<Instant>>;
    fn trim(&self);
    fn rss(&self) -> u64;
    fn peak_rss(&self) -> u64;
    /// Live heap bytes, when the counting allocator is on.
    fn live_bytes(&self) -> Option<i64>;
    fn threads(&self) -> usize;
}

pub type Out = BTreeMap<String, f64>;

fn put(out: &mut Out, k: &str, v: f64) {
    out.insert(k.to_owned(), v);
}

fn compression(name: &str) -> Compression {
    match name {
        "none" => Compression::None,
        "gzip" => Compression::Gzip,
        _ => Compression::Brotli,
    }
}

fn connect(p: &Params, threaded: bool) -> Res<DbConnection> {
    let (tx, rx) = channel();
    let err_tx = tx.clone();
    let conn = DbConnection::builder()
        .with_uri(p.url.as_str())
        .with_database_name(p.db.as_str())
        .with_compression(compression(&p.comp))
        .on_connect(move |_, _, _| {
            let _ = tx.send(Ok(()));
        })
        .on_connect_error(move |_, e| {
            let _ = err_tx.send(Err(e.to_string()));
        })
        .build()?;
    if threaded {
        conn.run_threaded();
        rx.recv_timeout(TIMEOUT)??;
    } else {
        let deadline = Instant::now() + TIMEOUT;
        loop {
            conn.frame_tick()?;
            if let Ok(r) = rx.try_recv() {
                r?;
                break;
            }
            if Instant::now() > deadline {
                return Err("timed out connecting".into());
            }
            std::thread::sleep(Duration::from_millis(1));
        }
    }
    Ok(conn)
}

fn subscribe_wait(conn: &DbConnection, query: &str) -> Res<Instant> {
    let (tx, rx) = channel();
    let err_tx = tx.clone();
    conn.subscription_builder()
        .on_applied(move |_| {
            let _ = tx.send(Ok(Instant::now()));
        })
        .on_error(move |_, e| {
            let _ = err_tx.send(Err(e.to_string()));
        })
        .subscribe([query]);
    Ok(rx.recv_timeout(TIMEOUT)??)
}

/// (1) + (5): subscribe to a whole table; time until on_applied with every row cached.
pub fn sub(p: &Params, host: &dyn Host, out: &mut Out) -> Res<()> {
    let conn = connect(p, true)?;
    host.trim();
    let (rss0, live0) = (host.rss(), host.live_bytes());
    let t0 = Instant::now();
    let t1 = subscribe_wait(&conn, &format!("SELECT * FROM {}", p.table))?;
    let rows = match p.table.as_str() {
        "small" => conn.db.small().count(),
        _ => conn.db.big().count(),
    };
    put(out, "us", (t1 - t0).as_micros() as f64);
    put(out, "rows", rows as f64);
    host.trim();
    put(out, "rss_delta", host.rss() as f64 - rss0 as f64);
    put(out, "peak_rss", host.peak_rss() as f64);
    if let (Some(l0), Some(l1)) = (live0, host.live_bytes()) {
        put(out, "alloc_delta", (l1 - l0) as f64);
    }
    Ok(())
}

/// The outcome callback of the `*_then` reducer calls: only failures are reported (so that a
/// failed call does not hang the run); success is seen through the row callbacks.
type Outcome = Result<Result<(), String>, spacetimedb_sdk::__codegen::InternalError>;

/// (2): insert, update and delete batches of `small` rows through our own reducer calls; time
/// from each call until every row callback of its transaction has run.
pub fn upd(p: &Params, host: &dyn Host, out: &mut Out) -> Res<()> {
    let conn = connect(p, true)?;
    subscribe_wait(&conn, "SELECT * FROM small")?;
    let seen = Arc::new(AtomicU64::new(0));
    let target = Arc::new(AtomicU64::new(u64::MAX));
    let idsum = Arc::new(AtomicU64::new(0));
    let (tx, rx) = channel::<Instant>();
    let note = {
        let (seen, target, tx, idsum) = (seen.clone(), target.clone(), tx.clone(), idsum.clone());
        move |row: &Small| {
            idsum.fetch_add(row.id, SeqCst);
            if seen.fetch_add(1, SeqCst) + 1 == target.load(SeqCst) {
                let _ = tx.send(Instant::now());
            }
        }
    };
    let n1 = note.clone();
    conn.db.small().on_insert(move |_, row| n1(row));
    let n2 = note.clone();
    conn.db.small().on_update(move |_, _old, new| n2(new));
    let n3 = note;
    conn.db.small().on_delete(move |_, row| n3(row));
    let failed = |tx: std::sync::mpsc::Sender<Instant>| {
        move |_: &ReducerEventContext, r: Outcome| {
            if !matches!(r, Ok(Ok(()))) {
                eprintln!("reducer failed: {r:?}");
                let _ = tx.send(Instant::now());
            }
        }
    };
    let (batches, batch) = (p.batches, p.batch);
    let generation = p.run as u64 * 10 + 2;
    let arrivals = host.observer(p)?;
    for (op, name) in [(0, "insert"), (1, "update"), (2, "delete")] {
        let (mut total, mut share) = (Duration::ZERO, 0.0f64);
        for b in 0..batches {
            let start = b as u64 * batch as u64;
            seen.store(0, SeqCst);
            target.store(batch as u64, SeqCst);
            let f = failed(tx.clone());
            let t0 = Instant::now();
            match op {
                0 => conn.reducers.insert_small_then(start, batch, f)?,
                1 => conn.reducers.update_small_then(start, batch, generation, f)?,
                _ => conn.reducers.delete_small_then(start, batch, f)?,
            }
            let t1 = rx.recv_timeout(TIMEOUT)?;
            if seen.load(SeqCst) != batch as u64 {
                return Err(format!("{name}: saw {} rows, expected {batch}", seen.load(SeqCst)).into());
            }
            total += t1 - t0;
            // The same transaction's arrival at the observer (the server sent it to both).
            let arrived = arrivals.recv_timeout(TIMEOUT)?;
            share += t1.saturating_duration_since(arrived).as_secs_f64() * 1e6
                - arrived.saturating_duration_since(t1).as_secs_f64() * 1e6;
        }
        put(out, &format!("{name}_us"), total.as_micros() as f64);
        put(out, &format!("{name}_share_us"), share);
    }
    put(out, "rows", (batches as u64 * batch as u64) as f64);
    put(out, "idsum", idsum.load(SeqCst) as f64);
    Ok(())
}

/// (3): ping round trips, with run_threaded or a 60 Hz frame_tick loop.
pub fn rtt(p: &Params, out: &mut Out) -> Res<()> {
    let threaded = p.mode == "threaded";
    let conn = connect(p, threaded)?;
    let (tx, rx) = channel::<Instant>();
    let mut samples = Vec::with_capacity(p.n);
    let frame = Duration::from_secs_f64(1.0 / 60.0);
    for i in 0..p.n + p.warmup {
        let tx = tx.clone();
        let t0 = Instant::now();
        conn.reducers.ping_then(move |_, _| {
            let _ = tx.send(Instant::now());
        })?;
        let t1 = if threaded {
            rx.recv_timeout(TIMEOUT)?
        } else {
            let mut next = t0 + frame;
            loop {
                std::thread::sleep(next.saturating_duration_since(Instant::now()));
                next += frame;
                conn.frame_tick()?;
                if let Ok(t) = rx.try_recv() {
                    break t;
                }
                if t0.elapsed() > TIMEOUT {
                    return Err("ping timed out".into());
                }
            }
        };
        if i >= p.warmup {
            samples.push((t1 - t0).as_nanos() as f64 / 1000.0);
        }
    }
    samples.sort_by(|a, b| a.total_cmp(b));
    let pick = |q: f64| samples[((samples.len() - 1) as f64 * q).round() as usize];
    put(out, "p50_us", pick(0.50));
    put(out, "p99_us", pick(0.99));
    put(out, "mean_us", samples.iter().sum::<f64>() / samples.len() as f64);
    put(out, "samples", samples.len() as f64);
    Ok(())
}

/// (4): an idle frame_tick (subscribed, nothing arriving), ns per call.
pub fn tick(p: &Params, out: &mut Out) -> Res<()> {
    let conn = connect(p, false)?;
    let (tx, rx) = channel();
    conn.subscription_builder().on_applied(move |_| tx.send(()).unwrap()).subscribe(["SELECT * FROM small"]);
    while rx.try_recv().is_err() {
        conn.frame_tick()?;
        std::thread::sleep(Duration::from_millis(1));
    }
    for _ in 0..10_000 {
        conn.frame_tick()?;
    }
    let t0 = Instant::now();
    for _ in 0..p.n {
        conn.frame_tick()?;
    }
    put(out, "ns", t0.elapsed().as_nanos() as f64 / p.n as f64);
    Ok(())
}

/// (6): `conns` connections in this process, advanced by one thread with frame_tick.
pub fn scale(p: &Params, host: &dyn Host, out: &mut Out) -> Res<()> {
    let (rss0, threads0) = (host.rss(), host.threads());
    let connected = Arc::new(AtomicU64::new(0));
    let failed = Arc::new(AtomicU64::new(0));
    let t0 = Instant::now();
    let mut conns = Vec::with_capacity(p.conns);
    for _ in 0..p.conns {
        let (c, f) = (connected.clone(), failed.clone());
        // build() opens the WebSocket before it returns (one at a time).
        conns.push(
            DbConnection::builder()
                .with_uri(p.url.as_str())
                .with_database_name(p.db.as_str())
                .on_connect(move |_, _, _| {
                    c.fetch_add(1, SeqCst);
                })
                .on_connect_error(move |_, e| {
                    eprintln!("connect error: {e}");
                    f.fetch_add(1, SeqCst);
                })
                .build()?,
        );
    }
    let built = t0.elapsed();
    let mut max_threads = host.threads();
    while connected.load(SeqCst) + failed.load(SeqCst) < p.conns as u64 {
        for c in &conns {
            let _ = c.frame_tick();
        }
        max_threads = max_threads.max(host.threads());
        if t0.elapsed() > TIMEOUT {
            return Err(format!("only {} of {} connected", connected.load(SeqCst), p.conns).into());
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    put(out, "connect_all_ms", t0.elapsed().as_secs_f64() * 1000.0);
    put(out, "build_ms", built.as_secs_f64() * 1000.0);
    put(out, "connected", connected.load(SeqCst) as f64);
    put(out, "threads", (max_threads - threads0) as f64);
    put(out, "rss_delta", host.rss() as f64 - rss0 as f64);
    put(out, "peak_rss", host.peak_rss() as f64);
    Ok(())
}

/// (7) the game workload's connections (the runner's game.rs): every one subscribed to all
/// entities, `rec(conn, row.id, row.c)` from on_update; connection 0 is ticked by the caller when
/// `main60`, the others run threaded.
pub struct GameSide {
    pub send: Box<dyn Fn(usize, u64, u64) -> Res<()> + Send + Sync>,
    pub tick0: Option<Box<dyn FnMut() -> Res<()>>>,
}

pub fn game(p: &Params, ids: &[u64], main60: bool, rec: Arc<dyn Fn(usize, u64, u64) + Send + Sync>) -> Res<GameSide> {
    let mut conns = Vec::with_capacity(ids.len());
    for i in 0..ids.len() {
        let threaded = !(main60 && i == 0);
        let conn = connect(p, threaded)?;
        let rec = rec.clone();
        conn.db.small().on_update(move |_, _old, new| rec(i, new.id, new.c));
        if threaded {
            subscribe_wait(&conn, "SELECT * FROM small")?;
        } else {
            let (tx, rx) = channel();
            conn.subscription_builder().on_applied(move |_| tx.send(()).unwrap()).subscribe(["SELECT * FROM small"]);
            while rx.try_recv().is_err() {
                conn.frame_tick()?;
                std::thread::sleep(Duration::from_millis(1));
            }
        }
        conns.push(conn);
    }
    let conns = Arc::new(conns);
    let c2 = conns.clone();
    let send = Box::new(move |i: usize, id: u64, t: u64| -> Res<()> {
        c2[i].reducers.update_small(id, 1, t)?;
        Ok(())
    });
    let tick0: Option<Box<dyn FnMut() -> Res<()>>> = if main60 {
        let c0 = conns.clone();
        Some(Box::new(move || {
            c0[0].frame_tick()?;
            Ok(())
        }))
    } else {
        None
    };
    Ok(GameSide { send, tick0 })
}
