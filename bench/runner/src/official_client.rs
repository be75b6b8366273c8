// The benchmark's workloads, written for the official Rust SDK (spacetimedb-sdk 1.2.0) and its
// generated `module_bindings` for the bench module (tests/modules/bench). Not a module: included
// by `official.rs` (the official SDK and bindings) and by `typed.rs` (stdb-client's typed
// bindings, `stdb-bindings-gen --lang rust`), and by the core crate's tests/typed_compile.rs so it
// cannot stop compiling against the typed bindings. The includer brings the `use` lines (the
// harness's `Args`, `Out`, `Res`, `TIMEOUT`, `sys`, `raw`, `game`, `put_percentiles`; the SDK's
// traits; the bindings). Changes the typed bindings force are marked `DIFF:`, and listed in
// bindings-gen/README.md ("Differences from the official SDK's bindings").

fn compression(name: &str) -> Compression {
    match name {
        "none" => Compression::None,
        "gzip" => Compression::Gzip,
        _ => Compression::Brotli,
    }
}

fn connect(a: &Args, threaded: bool) -> Res<DbConnection> {
    let (tx, rx) = channel();
    let err_tx = tx.clone();
    let conn = DbConnection::builder()
        .with_uri(a.url.as_str())
        .with_module_name(a.db.as_str())
        .with_compression(compression(&a.comp))
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

pub fn sub(a: &Args, out: &mut Out) -> Res<()> {
    let conn = connect(a, true)?;
    sys::trim();
    let (rss0, live0) = (sys::rss(), sys::live_bytes());
    let t0 = Instant::now();
    let t1 = subscribe_wait(&conn, &format!("SELECT * FROM {}", a.table))?;
    let rows = match a.table.as_str() {
        "small" => conn.db.small().count(),
        _ => conn.db.big().count(),
    };
    out.put("us", (t1 - t0).as_micros() as f64);
    out.put("rows", rows as f64);
    sys::trim();
    out.put("rss_delta", sys::rss() as f64 - rss0 as f64);
    out.put("peak_rss", sys::peak_rss() as f64);
    if sys::alloc_counting() {
        out.put("alloc_delta", (sys::live_bytes() - live0) as f64);
    }
    Ok(())
}

pub fn upd(a: &Args, out: &mut Out) -> Res<()> {
    let conn = connect(a, true)?;
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
    let fail = |tx: std::sync::mpsc::Sender<Instant>| {
        move |ctx: &ReducerEventContext| {
            if !matches!(ctx.event.status, Status::Committed) {
                eprintln!("reducer failed: {:?}", ctx.event.status);
                let _ = tx.send(Instant::now());
            }
        }
    };
    let f = fail(tx.clone());
    conn.reducers.on_insert_small(move |ctx, _, _| f(ctx));
    let f = fail(tx.clone());
    conn.reducers.on_update_small(move |ctx, _, _, _| f(ctx));
    let f = fail(tx.clone());
    conn.reducers.on_delete_small(move |ctx, _, _| f(ctx));
    let (batches, batch) = (a.batches, a.batch);
    let generation = a.run as u64 * 10 + 2;
    let arrivals = raw::observer(a)?;
    for (op, name) in [(0, "insert"), (1, "update"), (2, "delete")] {
        let (mut total, mut share) = (Duration::ZERO, 0.0f64);
        for b in 0..batches {
            let start = b as u64 * batch as u64;
            seen.store(0, SeqCst);
            target.store(batch as u64, SeqCst);
            let t0 = Instant::now();
            match op {
                0 => conn.reducers.insert_small(start, batch)?,
                1 => conn.reducers.update_small(start, batch, generation)?,
                _ => conn.reducers.delete_small(start, batch)?,
            }
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
    }
    out.put("rows", (batches as u64 * batch as u64) as f64);
    out.put("idsum", idsum.load(SeqCst) as f64);
    Ok(())
}

pub fn rtt(a: &Args, out: &mut Out) -> Res<()> {
    let threaded = a.mode == "threaded";
    let conn = connect(a, threaded)?;
    let (tx, rx) = channel::<Instant>();
    conn.reducers.on_ping(move |_| {
        let _ = tx.send(Instant::now());
    });
    let mut samples = Vec::with_capacity(a.n);
    let frame = Duration::from_secs_f64(1.0 / 60.0);
    for i in 0..a.n + a.warmup {
        let t0 = Instant::now();
        conn.reducers.ping()?;
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
        if i >= a.warmup {
            samples.push((t1 - t0).as_nanos() as f64 / 1000.0);
        }
    }
    put_percentiles(out, &mut samples);
    Ok(())
}

pub fn tick(a: &Args, out: &mut Out) -> Res<()> {
    let conn = connect(a, false)?;
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
    for _ in 0..a.n {
        conn.frame_tick()?;
    }
    out.put("ns", t0.elapsed().as_nanos() as f64 / a.n as f64);
    Ok(())
}

pub fn scale(a: &Args, out: &mut Out) -> Res<()> {
    let (rss0, threads0) = (sys::rss(), sys::threads());
    let connected = Arc::new(AtomicU64::new(0));
    let failed = Arc::new(AtomicU64::new(0));
    let t0 = Instant::now();
    let mut conns = Vec::with_capacity(a.conns);
    for _ in 0..a.conns {
        let (c, f) = (connected.clone(), failed.clone());
        // build() opens the WebSocket before it returns (one at a time).
        conns.push(
            DbConnection::builder()
                .with_uri(a.url.as_str())
                .with_module_name(a.db.as_str())
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
    let mut max_threads = sys::threads();
    while connected.load(SeqCst) + failed.load(SeqCst) < a.conns as u64 {
        for c in &conns {
            let _ = c.frame_tick();
        }
        max_threads = max_threads.max(sys::threads());
        if t0.elapsed() > TIMEOUT {
            return Err(format!("only {} of {} connected", connected.load(SeqCst), a.conns).into());
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    out.put("connect_all_ms", t0.elapsed().as_secs_f64() * 1000.0);
    out.put("build_ms", built.as_secs_f64() * 1000.0);
    out.put("connected", connected.load(SeqCst) as f64);
    out.put("threads", (max_threads - threads0) as f64);
    out.put("rss_delta", sys::rss() as f64 - rss0 as f64);
    out.put("peak_rss", sys::peak_rss() as f64);
    Ok(())
}

/// (7) the game workload's connections (see game.rs), through the official 1.2.0 SDK.
pub fn game(a: &Args, ids: &[u64], main60: bool, rec: Arc<game::Recorder>) -> Res<game::Side> {
    let mut conns = Vec::with_capacity(ids.len());
    for i in 0..ids.len() {
        let threaded = !(main60 && i == 0);
        let conn = connect(a, threaded)?;
        let rec = rec.clone();
        conn.db.small().on_update(move |_, _old, new| rec.update(i, new.id, new.c));
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
    Ok(game::Side { send, tick0 })
}
