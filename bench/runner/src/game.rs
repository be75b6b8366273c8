//! (7) A game workload: `game` clients (spread over a few processes), each owning one entity (a
//! `small` row, id = client number) that it moves through a reducer at `hz` calls per second,
//! while every client subscribes to all entities.
//!
//! A move is `update_small(id, 1, t)` with `t` the sender's wall clock in µs (`SystemTime`, one
//! clock for every process on the machine); the row's `c` column carries it to every subscriber,
//! whose `on_update` callback records `now − c` for other clients' entities: the latency from a
//! client's call to each other client's row callback. Each process reports its samples (written
//! to a file the parent merges), the calls it sent, the callbacks it saw and its CPU time over the
//! moving window.
//!
//! Modes: `threaded`, every connection advanced by `run_threaded`; `main60`, the same but the
//! first connection of the first process is ticked with `frame_tick` at 60 Hz on the main thread
//! (its own moves are sent right after a tick), which also records its longest `frame_tick`.
use crate::{Args, Out, Res};
use std::io::Write;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

pub fn unix_us() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_micros() as u64).unwrap_or(0)
}

/// Latency samples per connection, recorded from the row callbacks.
pub struct Recorder {
    per_conn: Vec<Mutex<Vec<u32>>>,
    own_ids: Vec<u64>,
    /// Callbacks before the moving window opened (the initial rows) are not samples.
    open: std::sync::atomic::AtomicBool,
    pub callbacks: AtomicU64,
}

impl Recorder {
    fn new(own_ids: Vec<u64>) -> Recorder {
        Recorder {
            per_conn: own_ids.iter().map(|_| Mutex::new(Vec::with_capacity(1 << 16))).collect(),
            own_ids,
            open: false.into(),
            callbacks: AtomicU64::new(0),
        }
    }

    /// Called from connection `conn`'s on_update with the updated row's id and `c` column.
    pub fn update(&self, conn: usize, id: u64, c: u64) {
        if !self.open.load(Relaxed) || id == self.own_ids[conn] {
            return;
        }
        let now = unix_us();
        self.callbacks.fetch_add(1, Relaxed);
        let lat = now.saturating_sub(c).min(u32::MAX as u64) as u32;
        self.per_conn[conn].lock().unwrap().push(lat);
    }
}

/// What an SDK provides: connections `0..ids.len()`, every one subscribed to `small` with its
/// on_update callback calling `rec.update(conn, row.id, row.c)`; all but (in main60 mode)
/// connection 0 advanced on their own threads.
pub struct Side {
    /// Calls `update_small(id, 1, t)` on connection `conn`.
    pub send: Box<dyn Fn(usize, u64, u64) -> Res<()> + Send + Sync>,
    /// In main60 mode: one `frame_tick` of connection 0.
    pub tick0: Option<Box<dyn FnMut() -> Res<()>>>,
}

fn cpu_us() -> u64 {
    // utime + stime of the whole process, in clock ticks (fields 14 and 15 of /proc/self/stat).
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
    let f: Vec<u64> = after.split_whitespace().map(|x| x.parse().unwrap_or(0)).collect();
    let ticks = f.get(11).copied().unwrap_or(0) + f.get(12).copied().unwrap_or(0);
    extern "C" {
        fn sysconf(name: i32) -> i64;
    }
    let hz = unsafe { sysconf(2) }.max(1) as u64; // _SC_CLK_TCK
    ticks * 1_000_000 / hz
}

/// The child side: `a.conns` connections owning ids `a.first ..`, moving for `a.n` ms from
/// unix time `a.start_ms`, `a.hz` calls per second each.
pub fn run(a: &Args, out: &mut Out, connect: impl FnOnce(&Args, &[u64], bool, Arc<Recorder>) -> Res<Side>) -> Res<()> {
    let ids: Vec<u64> = (0..a.conns as u64).map(|i| a.first + i).collect();
    let main60 = a.mode == "main60" && a.first == 0;
    let rec = Arc::new(Recorder::new(ids.clone()));
    let mut side = connect(a, &ids, main60, rec.clone())?;
    let start_unix_ms = a.start_ms;
    let window = Duration::from_millis(a.n as u64);
    let period = Duration::from_secs_f64(1.0 / a.hz.max(1) as f64);
    // Wait for the common start.
    let now_ms = unix_us() / 1000;
    if start_unix_ms > now_ms {
        std::thread::sleep(Duration::from_millis(start_unix_ms - now_ms));
    } else {
        eprintln!("    game: connected {} ms after the common start", now_ms - start_unix_ms);
    }
    rec.open.store(true, Relaxed);
    let cpu0 = cpu_us();
    let t0 = Instant::now();
    let sent = Arc::new(AtomicU64::new(0));
    let send = Arc::new(side.send);
    // Moves of every connection but a main-thread one, spread evenly over the period.
    let sender = {
        let (send, sent, ids) = (send.clone(), sent.clone(), ids.clone());
        let first = if main60 { 1 } else { 0 };
        std::thread::spawn(move || -> Res<()> {
            let n = ids.len() - first;
            if n == 0 {
                return Ok(());
            }
            let step = period / n as u32;
            let mut k: u32 = 0;
            loop {
                let due = step * k;
                if due >= window {
                    return Ok(());
                }
                let wait = due.saturating_sub(t0.elapsed());
                if !wait.is_zero() {
                    std::thread::sleep(wait);
                }
                let c = first + (k as usize % n);
                send(c, ids[c], unix_us())?;
                sent.fetch_add(1, Relaxed);
                k += 1;
            }
        })
    };
    let (mut max_tick, mut ticks) = (Duration::ZERO, Vec::new());
    if let Some(tick0) = side.tick0.as_mut() {
        let frame = Duration::from_secs_f64(1.0 / 60.0);
        let mut next_move = Duration::ZERO;
        let mut next = Duration::ZERO;
        while t0.elapsed() < window {
            let s = Instant::now();
            tick0()?;
            let d = s.elapsed();
            max_tick = max_tick.max(d);
            ticks.push(d.as_secs_f64() * 1e6);
            if t0.elapsed() >= next_move {
                send(0, ids[0], unix_us())?;
                sent.fetch_add(1, Relaxed);
                next_move += period;
            }
            next += frame;
            std::thread::sleep(next.saturating_sub(t0.elapsed()));
        }
    }
    sender.join().map_err(|_| "sender thread panicked")??;
    let cpu = cpu_us() - cpu0;
    let cpu_window = t0.elapsed();
    // Let the last moves arrive (the main-thread connection keeps ticking meanwhile).
    let settle = Instant::now();
    while settle.elapsed() < Duration::from_millis(1000) {
        if let Some(tick0) = side.tick0.as_mut() {
            tick0()?;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    rec.open.store(false, Relaxed);
    out.put("sent", sent.load(Relaxed) as f64);
    out.put("callbacks", rec.callbacks.load(Relaxed) as f64);
    out.put("cpu_us", cpu as f64);
    out.put("cpu_pct_per_client", cpu as f64 / cpu_window.as_micros() as f64 * 100.0 / a.conns as f64);
    if main60 {
        out.put("max_tick_us", max_tick.as_secs_f64() * 1e6);
        ticks.sort_by(|a, b| a.total_cmp(b));
        if !ticks.is_empty() {
            out.put("p99_tick_us", ticks[((ticks.len() - 1) as f64 * 0.99).round() as usize]);
        }
    }
    // Samples: u32 µs little-endian; connection 0's first (the main-thread one in main60 mode).
    let path = format!("{}/game-{}-{}-{}.bin", std::env::temp_dir().display(), std::process::id(), a.client, a.first);
    let mut f = std::io::BufWriter::new(std::fs::File::create(&path)?);
    let mut first_len = 0;
    for (i, v) in rec.per_conn.iter().enumerate() {
        let v = v.lock().unwrap();
        if i == 0 {
            first_len = v.len();
        }
        for x in v.iter() {
            f.write_all(&x.to_le_bytes())?;
        }
    }
    f.flush()?;
    println!("SAMPLES {path} {first_len}");
    Ok(())
}
