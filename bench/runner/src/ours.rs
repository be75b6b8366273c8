//! The workloads through stdb-client's Rust API.
use crate::{Args, Out, Res, TIMEOUT};
use std::sync::atomic::{AtomicU64, Ordering::SeqCst};
use std::sync::mpsc::channel;
use std::sync::Arc;
use std::time::{Duration, Instant};
use stdb_client::{CallReducerFlags, Compression, DbConnection, Protocol};

fn compression(name: &str) -> Compression {
    match name {
        "none" => Compression::None,
        "gzip" => Compression::Gzip,
        _ => Compression::Brotli,
    }
}

/// A builder offering only the protocol of `proto=` (`v1`, `v2`, `v3`), or the default offer
/// (v3, v2, v1: the server picks) when it is empty.
pub fn builder(a: &Args) -> stdb_client::DbConnectionBuilder {
    let b = DbConnection::builder();
    match a.proto.as_str() {
        "v1" => b.with_protocols(&[Protocol::V1]),
        "v2" => b.with_protocols(&[Protocol::V2]),
        "v3" => b.with_protocols(&[Protocol::V3]),
        _ => b,
    }
}

/// Connects and waits for on_connect; `threaded` advances the connection on its own thread
/// (`run_threaded`), otherwise the caller ticks.
fn connect(a: &Args, threaded: bool) -> Res<DbConnection> {
    let (tx, rx) = channel();
    let err_tx = tx.clone();
    let conn = builder(a)
        .with_uri(a.url.as_str())
        .with_module_name(a.db.as_str())
        .with_compression(compression(&a.comp))
        .with_max_message_size(1 << 30)
        .on_connect(move |_, _, _, _| {
            let _ = tx.send(Ok(()));
        })
        .on_connect_error(move |_, e| {
            let _ = err_tx.send(Err(e.to_string()));
        })
        .build()?;
    if threaded {
        conn.run_threaded()?;
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
    // The protocol asked for is the one spoken (a 1.x server knows only v1).
    let want = match a.proto.as_str() {
        "v1" => Some(Protocol::V1),
        "v2" => Some(Protocol::V2),
        "v3" => Some(Protocol::V3),
        _ => None,
    };
    if want.is_some() && conn.protocol() != want {
        return Err(format!("asked for {want:?}, the server picked {:?}", conn.protocol()).into());
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
        .subscribe(&[query])?;
    Ok(rx.recv_timeout(TIMEOUT)??)
}

/// Waits until `messages_applied` reaches `n`: callbacks such as on_applied run inside the apply,
/// and the counters are updated just after it returns.
pub fn settle(conn: &DbConnection, n: u64) {
    let t0 = Instant::now();
    while conn.metrics().messages_applied < n && t0.elapsed() < TIMEOUT {
        std::thread::sleep(Duration::from_micros(200));
    }
}

fn put_metrics(out: &mut Out, conn: &DbConnection) {
    let m = conn.metrics();
    out.put("bytes_received", m.bytes_received as f64);
    out.put("bytes_decompressed", m.bytes_decompressed as f64);
    out.put("apply_us", m.apply_total_us as f64);
    out.put("queue_wait_us", m.queue_wait_total_us as f64);
    out.put("messages", m.messages_applied as f64);
}

/// (1) + (5): subscribe to a whole table; time until on_applied with every row cached.
pub fn sub(a: &Args, out: &mut Out) -> Res<()> {
    let conn = connect(a, true)?;
    let table = conn.table(&a.table)?;
    crate::sys::trim();
    let (rss0, live0) = (crate::sys::rss(), crate::sys::live_bytes());
    let m0 = conn.metrics();
    let t0 = Instant::now();
    let t1 = subscribe_wait(&conn, &format!("SELECT * FROM {}", a.table))?;
    let rows = table.count();
    out.put("us", (t1 - t0).as_micros() as f64);
    out.put("rows", rows as f64);
    // on_applied runs inside the apply; the counters are updated just after it returns.
    let mut m = conn.metrics();
    while m.messages_applied == m0.messages_applied {
        std::thread::sleep(Duration::from_micros(200));
        m = conn.metrics();
    }
    out.put("bytes_received", (m.bytes_received - m0.bytes_received) as f64);
    out.put("bytes_decompressed", (m.bytes_decompressed - m0.bytes_decompressed) as f64);
    out.put("apply_us", (m.apply_total_us - m0.apply_total_us) as f64);
    out.put("queue_wait_us", (m.queue_wait_total_us - m0.queue_wait_total_us) as f64);
    let after = (m.queue_wait_total_us - m0.queue_wait_total_us) + (m.apply_total_us - m0.apply_total_us);
    out.put("after_arrival_us", after as f64);
    crate::sys::trim();
    out.put("rss_delta", crate::sys::rss() as f64 - rss0 as f64);
    out.put("peak_rss", crate::sys::peak_rss() as f64);
    if crate::sys::alloc_counting() {
        out.put("alloc_delta", (crate::sys::live_bytes() - live0) as f64);
    }
    Ok(())
}

fn small_args(start: u64, count: u32) -> Vec<u8> {
    let mut v = start.to_le_bytes().to_vec();
    v.extend_from_slice(&count.to_le_bytes());
    v
}

/// (2): insert, update and delete batches of `small` rows through our own reducer calls; time
/// from each call until every row callback of its transaction has run.
pub fn upd(a: &Args, out: &mut Out) -> Res<()> {
    let conn = connect(a, true)?;
    let before = conn.metrics().messages_applied;
    subscribe_wait(&conn, "SELECT * FROM small")?;
    settle(&conn, before + 1);
    let table = conn.table("small")?;
    let seen = Arc::new(AtomicU64::new(0));
    let target = Arc::new(AtomicU64::new(u64::MAX));
    let idsum = Arc::new(AtomicU64::new(0));
    let (tx, rx) = channel::<Instant>();
    let note = {
        let (seen, target, tx, idsum) = (seen.clone(), target.clone(), tx.clone(), idsum.clone());
        move |row: &[u8]| {
            // Read one field, as a game would: the id (the first 8 bytes of the BSATN row).
            let id = u64::from_le_bytes(row[..8].try_into().unwrap());
            idsum.fetch_add(id, SeqCst);
            if seen.fetch_add(1, SeqCst) + 1 == target.load(SeqCst) {
                let _ = tx.send(Instant::now());
            }
        }
    };
    let n1 = note.clone();
    table.on_insert(move |_, row| n1(row));
    let n2 = note.clone();
    table.on_update(move |_, _old, new| n2(new))?;
    let n3 = note;
    table.on_delete(move |_, row| n3(row)).unwrap();
    // Failures must not hang the run.
    for r in ["insert_small", "update_small", "delete_small"] {
        let tx = tx.clone();
        conn.on_reducer(r, move |_, ev| {
            if ev.status != stdb_client::Status::Committed {
                eprintln!("reducer failed: {:?}", ev.status);
                let _ = tx.send(Instant::now());
            }
        })?;
    }
    let (batches, batch) = (a.batches, a.batch);
    let generation = a.run as u64 * 10 + 1;
    let arrivals = crate::raw::observer(a)?;
    for (op, name) in [(0, "insert"), (1, "update"), (2, "delete")] {
        let (mut total, mut share) = (Duration::ZERO, 0.0f64);
        let m0 = conn.metrics();
        for b in 0..batches {
            let start = b as u64 * batch as u64;
            let mut args = small_args(start, batch);
            let reducer = match op {
                0 => "insert_small",
                1 => {
                    args.extend_from_slice(&generation.to_le_bytes());
                    "update_small"
                }
                _ => "delete_small",
            };
            seen.store(0, SeqCst);
            target.store(batch as u64, SeqCst);
            let t0 = Instant::now();
            conn.call_reducer(reducer, &args, CallReducerFlags::FullUpdate)?;
            let t1 = rx.recv_timeout(TIMEOUT)?;
            if seen.load(SeqCst) != batch as u64 {
                return Err(format!("{name}: saw {} rows, expected {batch}", seen.load(SeqCst)).into());
            }
            total += t1 - t0;
            // The same transaction's arrival at the observer (the server sent it to both).
            let arrived = arrivals.recv_timeout(TIMEOUT)?;
            share += t1.saturating_duration_since(arrived).as_secs_f64() * 1e6 - arrived.saturating_duration_since(t1).as_secs_f64() * 1e6;
        }
        out.put(&format!("{name}_us"), total.as_micros() as f64);
        out.put(&format!("{name}_share_us"), share);
        // The client's own time: from each frame's arrival to the end of its apply (callbacks
        // included). The counters are updated just after the apply returns.
        let mut m = conn.metrics();
        while m.messages_applied < m0.messages_applied + batches as u64 {
            std::thread::sleep(Duration::from_micros(200));
            m = conn.metrics();
        }
        let after = (m.queue_wait_total_us - m0.queue_wait_total_us) + (m.apply_total_us - m0.apply_total_us);
        out.put(&format!("{name}_after_arrival_us"), after as f64);
        out.put(&format!("{name}_apply_us"), (m.apply_total_us - m0.apply_total_us) as f64);
    }
    out.put("rows", (batches as u64 * batch as u64) as f64);
    out.put("idsum", idsum.load(SeqCst) as f64);
    put_metrics(out, &conn);
    Ok(())
}

/// (3): ping round trips, with run_threaded or a 60 Hz frame_tick loop.
pub fn rtt(a: &Args, out: &mut Out) -> Res<()> {
    let threaded = a.mode == "threaded";
    let conn = connect(a, threaded)?;
    let (tx, rx) = channel::<Instant>();
    conn.on_reducer("ping", move |_, _| {
        let _ = tx.send(Instant::now());
    })?;
    let mut samples = Vec::with_capacity(a.n);
    let frame = Duration::from_secs_f64(1.0 / 60.0);
    for i in 0..a.n + a.warmup {
        let t0 = Instant::now();
        conn.call_reducer("ping", &[], CallReducerFlags::FullUpdate)?;
        let t1 = if threaded {
            rx.recv_timeout(TIMEOUT)?
        } else {
            // A game loop: sleep to the next frame boundary, tick, repeat until the result is in.
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
        if i >= a.warmup {
            samples.push((t1 - t0).as_nanos() as f64 / 1000.0);
        }
    }
    crate::put_percentiles(out, &mut samples);
    Ok(())
}

/// (4): an idle frame_tick (subscribed, nothing arriving), ns per call.
pub fn tick(a: &Args, out: &mut Out) -> Res<()> {
    let conn = connect(a, false)?;
    let (tx, rx) = channel();
    conn.subscription_builder().on_applied(move |_| tx.send(()).unwrap()).subscribe(&["SELECT * FROM small"])?;
    while rx.try_recv().is_err() {
        conn.frame_tick()?;
        std::thread::sleep(Duration::from_millis(1));
    }
    for _ in 0..10_000 {
        conn.frame_tick()?;
    }
    let t0 = Instant::now();
    for _ in 0..a.n {
        conn.frame_tick()?;
    }
    out.put("ns", t0.elapsed().as_nanos() as f64 / a.n as f64);
    Ok(())
}

/// (6): `conns` connections in this process, advanced by one thread with frame_tick.
pub fn scale(a: &Args, out: &mut Out) -> Res<()> {
    let (rss0, threads0) = (crate::sys::rss(), crate::sys::threads());
    let connected = Arc::new(AtomicU64::new(0));
    let failed = Arc::new(AtomicU64::new(0));
    let t0 = Instant::now();
    let mut conns = Vec::with_capacity(a.conns);
    for _ in 0..a.conns {
        let (c, f) = (connected.clone(), failed.clone());
        conns.push(
            builder(a)
                .with_uri(a.url.as_str())
                .with_module_name(a.db.as_str())
                .with_connect_timeout(Duration::from_secs(120))
                .on_connect(move |_, _, _, _| {
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
    let mut max_threads = crate::sys::threads();
    while connected.load(SeqCst) + failed.load(SeqCst) < a.conns as u64 {
        for c in &conns {
            let _ = c.frame_tick();
        }
        max_threads = max_threads.max(crate::sys::threads());
        if t0.elapsed() > TIMEOUT {
            return Err(format!("only {} of {} connected", connected.load(SeqCst), a.conns).into());
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    out.put("connect_all_ms", t0.elapsed().as_secs_f64() * 1000.0);
    out.put("build_ms", built.as_secs_f64() * 1000.0);
    out.put("connected", connected.load(SeqCst) as f64);
    out.put("threads", (max_threads - threads0) as f64);
    out.put("rss_delta", crate::sys::rss() as f64 - rss0 as f64);
    out.put("peak_rss", crate::sys::peak_rss() as f64);
    Ok(())
}

/// (7) the game workload's connections (see game.rs): every one subscribed to all entities,
/// recording other clients' moves from on_update; connection 0 is ticked by the caller when
/// `main60`, the others run threaded.
pub fn game(a: &Args, ids: &[u64], main60: bool, rec: Arc<crate::game::Recorder>) -> Res<crate::game::Side> {
    let mut conns = Vec::with_capacity(ids.len());
    for i in 0..ids.len() {
        let threaded = !(main60 && i == 0);
        let conn = connect(a, threaded)?;
        let rec = rec.clone();
        conn.table("small")?.on_update(move |_, _old, new| {
            // id: bytes 0..8, c (the sender's clock): bytes 24..32 of the BSATN row.
            let id = u64::from_le_bytes(new[..8].try_into().unwrap());
            let c = u64::from_le_bytes(new[24..32].try_into().unwrap());
            rec.update(i, id, c);
        })?;
        if threaded {
            subscribe_wait(&conn, "SELECT * FROM small")?;
        } else {
            let (tx, rx) = channel();
            conn.subscription_builder().on_applied(move |_| tx.send(()).unwrap()).subscribe(&["SELECT * FROM small"])?;
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
        let mut args = small_args(id, 1);
        args.extend_from_slice(&t.to_le_bytes());
        c2[i].call_reducer("update_small", &args, CallReducerFlags::FullUpdate)?;
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
    Ok(crate::game::Side { send, tick0 })
}
