//! stdb-bench: stdb-client against the official SpacetimeDB Rust SDK 1.2.0, on one local server
//! and the same module (tests/modules/bench). Run it through scripts/bench.
//!
//! The parent process starts the server, publishes and fills the databases, and runs every
//! measurement in a fresh child process (`stdb-bench --child WORKLOAD key=value…`), so each
//! client starts from a clean heap, its own thread count and its own peak RSS. Children print one
//! `RESULT key=value…` line; the parent takes medians and prints Markdown tables.
mod cb;
mod official;
mod ours;
mod raw;
mod sys;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[global_allocator]
static ALLOC: sys::Counting = sys::Counting;

pub type Res<T> = Result<T, Box<dyn std::error::Error + Send + Sync>>;
pub const TIMEOUT: Duration = Duration::from_secs(600);

// ------------------------------------------------------------------------------------------
// Child side

/// A child's parameters, from `key=value` arguments.
#[derive(Clone, Debug)]
pub struct Args {
    pub client: String,
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
    pub count_alloc: bool,
}

impl Default for Args {
    fn default() -> Self {
        Args {
            client: "ours".into(),
            url: String::new(),
            db: String::new(),
            table: "small".into(),
            comp: "brotli".into(),
            mode: "threaded".into(),
            n: 0,
            warmup: 0,
            batches: 0,
            batch: 0,
            conns: 0,
            run: 0,
            count_alloc: false,
        }
    }
}

impl Args {
    fn to_argv(&self) -> Vec<String> {
        vec![
            format!("client={}", self.client),
            format!("url={}", self.url),
            format!("db={}", self.db),
            format!("table={}", self.table),
            format!("comp={}", self.comp),
            format!("mode={}", self.mode),
            format!("n={}", self.n),
            format!("warmup={}", self.warmup),
            format!("batches={}", self.batches),
            format!("batch={}", self.batch),
            format!("conns={}", self.conns),
            format!("run={}", self.run),
            format!("count_alloc={}", self.count_alloc as u8),
        ]
    }

    fn parse(argv: &[String]) -> Res<Args> {
        let mut a = Args::default();
        for kv in argv {
            let (k, v) = kv.split_once('=').ok_or_else(|| format!("bad argument {kv}"))?;
            match k {
                "client" => a.client = v.into(),
                "url" => a.url = v.into(),
                "db" => a.db = v.into(),
                "table" => a.table = v.into(),
                "comp" => a.comp = v.into(),
                "mode" => a.mode = v.into(),
                "n" => a.n = v.parse()?,
                "warmup" => a.warmup = v.parse()?,
                "batches" => a.batches = v.parse()?,
                "batch" => a.batch = v.parse()?,
                "conns" => a.conns = v.parse()?,
                "run" => a.run = v.parse()?,
                "count_alloc" => a.count_alloc = v == "1",
                _ => return Err(format!("unknown argument {k}").into()),
            }
        }
        Ok(a)
    }
}

/// What a child reports.
#[derive(Default, Debug, Clone)]
pub struct Out(BTreeMap<String, f64>);

impl Out {
    pub fn put(&mut self, k: &str, v: f64) {
        self.0.insert(k.to_owned(), v);
    }
}

pub fn put_percentiles(out: &mut Out, samples: &mut [f64]) {
    samples.sort_by(|a, b| a.total_cmp(b));
    let pick = |q: f64| samples[((samples.len() - 1) as f64 * q).round() as usize];
    out.put("p50_us", pick(0.50));
    out.put("p99_us", pick(0.99));
    out.put("mean_us", samples.iter().sum::<f64>() / samples.len() as f64);
    out.put("samples", samples.len() as f64);
}

fn child(argv: &[String]) -> Res<()> {
    let workload = argv.first().ok_or("missing workload")?.clone();
    let a = Args::parse(&argv[1..])?;
    if a.count_alloc {
        sys::enable_alloc_counting();
    }
    let mut out = Out::default();
    match (workload.as_str(), a.client.as_str()) {
        ("sub", "ours") => ours::sub(&a, &mut out)?,
        ("sub", "official") => official::sub(&a, &mut out)?,
        ("sub", "raw") => raw::sub(&a, &mut out)?,
        ("upd", "ours") => ours::upd(&a, &mut out)?,
        ("upd", "official") => official::upd(&a, &mut out)?,
        ("upd", "raw") => raw::upd(&a, &mut out)?,
        ("rtt", "ours") => ours::rtt(&a, &mut out)?,
        ("rtt", "official") => official::rtt(&a, &mut out)?,
        ("rtt", "raw") => raw::rtt(&a, &mut out)?,
        ("tick", "ours") => ours::tick(&a, &mut out)?,
        ("tick", "official") => official::tick(&a, &mut out)?,
        ("scale", "ours") => ours::scale(&a, &mut out)?,
        ("cb", "ours") => cb::rust(&a, &mut out)?,
        ("cb", "c") => cb::c(&a, &mut out)?,
        ("scale", "official") => official::scale(&a, &mut out)?,
        (w, c) => return Err(format!("no workload {w} for client {c}").into()),
    }
    let line: Vec<String> = out.0.iter().map(|(k, v)| format!("{k}={v}")).collect();
    println!("RESULT {}", line.join(" "));
    // Exit without tearing down connections and caches: their teardown is not measured.
    std::process::exit(0);
}

// ------------------------------------------------------------------------------------------
// Parent side

struct Opts {
    sizes: Vec<usize>,
    big_sizes: Vec<usize>,
    comps: Vec<String>,
    runs: usize,
    runs_large: usize,
    scale: Vec<usize>,
    only: Option<Vec<String>>,
}

impl Opts {
    fn from_env(args: &[String]) -> Res<Opts> {
        let list = |v: &str| -> Res<Vec<usize>> {
            v.split(',').filter(|s| !s.is_empty()).map(|s| Ok(parse_count(s)?)).collect()
        };
        let mut o = Opts {
            sizes: vec![10_000, 100_000, 1_000_000],
            big_sizes: vec![10_000, 100_000, 1_000_000],
            comps: vec!["brotli".into(), "gzip".into(), "none".into()],
            runs: 5,
            runs_large: 3,
            scale: vec![100, 1000],
            only: None,
        };
        for arg in args {
            let (k, v) = arg.split_once('=').ok_or_else(|| format!("bad option {arg} (want key=value)"))?;
            match k.trim_start_matches('-') {
                "sizes" => o.sizes = list(v)?,
                "big-sizes" => o.big_sizes = list(v)?,
                "comps" => o.comps = v.split(',').map(str::to_owned).collect(),
                "runs" => o.runs = v.parse()?,
                "runs-large" => o.runs_large = v.parse()?,
                "scale" => o.scale = list(v)?,
                "only" => o.only = Some(v.split(',').map(str::to_owned).collect()),
                _ => return Err(format!("unknown option {k}").into()),
            }
        }
        Ok(o)
    }

    fn wants(&self, section: &str) -> bool {
        self.only.as_ref().is_none_or(|l| l.iter().any(|s| s == section))
    }
}

fn parse_count(s: &str) -> Res<usize> {
    let s = s.trim().to_ascii_lowercase();
    Ok(if let Some(k) = s.strip_suffix('k') {
        k.parse::<usize>()? * 1_000
    } else if let Some(m) = s.strip_suffix('m') {
        m.parse::<usize>()? * 1_000_000
    } else {
        s.parse()?
    })
}

fn run_child(workload: &str, a: &Args) -> Option<Out> {
    let exe = std::env::current_exe().expect("current exe");
    let t0 = Instant::now();
    let output = Command::new(exe)
        .arg("--child")
        .arg(workload)
        .args(a.to_argv())
        .stdin(Stdio::null())
        .stderr(Stdio::inherit())
        .output()
        .expect("spawning a child");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let line = stdout.lines().find(|l| l.starts_with("RESULT"));
    match (output.status.success(), line) {
        (true, Some(line)) => {
            let mut out = Out::default();
            for kv in line.split_whitespace().skip(1) {
                if let Some((k, v)) = kv.split_once('=') {
                    out.put(k, v.parse().unwrap_or(f64::NAN));
                }
            }
            eprintln!("    {workload} {} {}: {:.1}s", a.client, summary(&out), t0.elapsed().as_secs_f64());
            Some(out)
        }
        _ => {
            eprintln!("    {workload} {} FAILED ({}): {}", a.client, output.status, stdout.trim());
            None
        }
    }
}

fn summary(o: &Out) -> String {
    ["us", "p50_us", "ns", "connect_all_ms", "insert_us"]
        .iter()
        .filter_map(|k| o.0.get(*k).map(|v| format!("{k}={v:.0}")))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Median of `key` over the successful runs.
fn median(runs: &[Out], key: &str) -> Option<f64> {
    let mut v: Vec<f64> = runs.iter().filter_map(|o| o.0.get(key).copied()).filter(|x| x.is_finite()).collect();
    if v.is_empty() {
        return None;
    }
    v.sort_by(|a, b| a.total_cmp(b));
    let m = v.len() / 2;
    Some(if v.len() % 2 == 1 { v[m] } else { (v[m - 1] + v[m]) / 2.0 })
}

/// Runs `workload` `runs` times for each client, interleaving clients run by run.
fn runs_of(workload: &str, base: &Args, clients: &[&str], runs: usize) -> BTreeMap<String, Vec<Out>> {
    // One discarded run first, so no client pays for the server's first touch of a table size
    // (page allocation, index growth, query planning).
    if !["scale", "tick", "cb"].contains(&workload) && !base.count_alloc {
        let warm = clients.iter().find(|c| **c == "raw").or(clients.first()).unwrap();
        eprint!("  warm-up:");
        run_child(workload, &Args { client: warm.to_string(), run: 99, ..base.clone() });
    }
    let mut res: BTreeMap<String, Vec<Out>> = clients.iter().map(|c| (c.to_string(), Vec::new())).collect();
    for r in 0..runs {
        for c in clients {
            let a = Args { client: c.to_string(), run: r as u32, ..base.clone() };
            if let Some(o) = run_child(workload, &a) {
                res.get_mut(*c).unwrap().push(o);
            }
        }
    }
    res
}

fn fmt(v: Option<f64>, digits: usize) -> String {
    match v {
        Some(x) if x.is_finite() => format!("{x:.digits$}"),
        _ => "n/a".into(),
    }
}

fn ratio(num: Option<f64>, den: Option<f64>) -> String {
    match (num, den) {
        (Some(n), Some(d)) if d > 0.0 && n.is_finite() => format!("{:.2}x", n / d),
        _ => "n/a".into(),
    }
}

/// stdb-client's share for the client speedup: the larger of the two measurements (the
/// subtraction is noisy when the share is small; the inside one leaves out the last hop).
fn conservative(estimate: Option<f64>, inside: Option<f64>) -> Option<f64> {
    match (estimate, inside) {
        (Some(e), Some(i)) => Some(e.max(i)),
        (e, i) => e.or(i),
    }
}

fn si(n: usize) -> String {
    match n {
        n if n >= 1_000_000 && n % 1_000_000 == 0 => format!("{}M", n / 1_000_000),
        n if n >= 1_000 && n % 1_000 == 0 => format!("{}k", n / 1_000),
        n => n.to_string(),
    }
}

fn populate(db: &stdb_testbed::Database, reducer: &str, from: usize, to: usize) -> Res<()> {
    let t0 = Instant::now();
    let step = 50_000;
    let mut start = from;
    while start < to {
        let count = step.min(to - start);
        db.call_reducer_http(reducer, &format!("[{start}, {count}]"))?;
        start += count;
    }
    eprintln!("  {reducer}: {} .. {} in {:.1}s", si(from), si(to), t0.elapsed().as_secs_f64());
    Ok(())
}

fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with("model name"))
        .and_then(|l| l.split_once(':'))
        .map(|(_, v)| v.trim().to_owned())
        .unwrap_or_else(|| "unknown".into());
    let mem_kb: u64 = std::fs::read_to_string("/proc/meminfo")
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with("MemTotal:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0);
    format!("{cores} cores ({cpu}), {:.1} GiB RAM, server spacetimedb-standalone {} on loopback", mem_kb as f64 / 1048576.0, stdb_testbed::SERVER_VERSION)
}

fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg").unwrap_or_default().split_whitespace().take(3).collect::<Vec<_>>().join(" ")
}

fn mb(v: Option<f64>) -> Option<f64> {
    v.map(|x| x / 1e6)
}

fn orchestrate(opts: Opts) -> Res<()> {
    let started = Instant::now();
    let server = stdb_testbed::Server::start()?;
    let url = server.http_url().to_owned();
    let base = |db: &stdb_testbed::Database| Args { url: url.clone(), db: db.name.clone(), ..Args::default() };
    let mut md = String::new();
    writeln!(md, "Machine: {}. Load average at the start: {}.", machine(), loadavg())?;
    writeln!(md)?;
    writeln!(
        md,
        "Medians of {} runs per cell ({} for 1M rows), after one discarded warm-up run; every run is a fresh process. \
         *server + transfer* is measured by a bare WebSocket client that sends the same message and only waits for the whole \
         answer to arrive; *decompress* is that client's decompression of the answer. *After arrival* is the client's own \
         share, end to end minus server + transfer, for both clients; stdb-client also measures it inside (*inside*: from \
         the frame's arrival through decompression, decoding, the queue and the apply with its callbacks, from \
         `metrics()`); the client speedup divides by the larger of stdb-client's two numbers. Speedups are official / stdb-client.",
        opts.runs, opts.runs_large
    )?;
    writeln!(md)?;
    let mut memory_rows: Vec<String> = Vec::new();

    // (1) initial subscription, and (5) memory from the same databases
    if opts.wants("sub") {
        let mut table = String::new();
        writeln!(table, "### 1. Initial subscription (subscribe → on_applied, every row cached)\n")?;
        writeln!(
            table,
            "| table | rows | compr. | wire MB | server + transfer ms | decompress ms | stdb-client ms | official ms | **speedup** | stdb-client rows/s | official rows/s | stdb-client after arrival ms | official after arrival ms | client speedup | stdb-client inside: arrival → applied ms (apply) |"
        )?;
        writeln!(table, "|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")?;
        for (tname, sizes, insert) in [("small", &opts.sizes, "insert_small"), ("big", &opts.big_sizes, "insert_big")] {
            if sizes.is_empty() {
                continue;
            }
            let db = server.publish("bench")?;
            let mut have = 0;
            for &n in sizes {
                populate(&db, insert, have, n)?;
                have = n;
                for comp in &opts.comps {
                    eprintln!("  sub {tname} {} {comp}", si(n));
                    let a = Args { table: tname.into(), comp: comp.clone(), ..base(&db) };
                    let runs = if n >= 1_000_000 { opts.runs_large } else { opts.runs };
                    let r = runs_of("sub", &a, &["raw", "ours", "official"], runs);
                    let (recv, us_o, us_f) = (median(&r["raw"], "recv_us"), median(&r["ours"], "us"), median(&r["official"], "us"));
                    let ms = |v: Option<f64>| v.map(|x| x / 1000.0);
                    let rate = |v: Option<f64>| v.map(|us| n as f64 / (us / 1e6));
                    // Both clients: end to end minus the floor's server + transfer time.
                    let after_o = us_o.zip(recv).map(|(v, f)| (v - f) / 1000.0);
                    let after_f = us_f.zip(recv).map(|(v, f)| (v - f) / 1000.0);
                    // stdb-client also measures it inside (frame arrival → decoded → queued → applied).
                    let inside_o = median(&r["ours"], "after_arrival_us").map(|x| x / 1000.0);
                    for (c, rs) in [("ours", &r["ours"]), ("official", &r["official"])] {
                        if let Some(rows) = median(rs, "rows") {
                            if rows as usize != n {
                                eprintln!("    WARNING: {c} cached {rows} rows, expected {n}");
                            }
                        }
                    }
                    writeln!(
                        table,
                        "| {tname} | {} | {comp} | {} | {} | {} | {} | {} | **{}** | {}M | {}M | {} | {} | {} | {} ({}) |",
                        si(n),
                        fmt(mb(median(&r["raw"], "bytes_received")), 1),
                        fmt(ms(recv), 1),
                        fmt(ms(median(&r["raw"], "decompress_us")), 1),
                        fmt(ms(us_o), 1),
                        fmt(ms(us_f), 1),
                        ratio(us_f, us_o),
                        fmt(rate(us_o).map(|x| x / 1e6), 2),
                        fmt(rate(us_f).map(|x| x / 1e6), 2),
                        fmt(after_o, 1),
                        fmt(after_f, 1),
                        ratio(after_f, conservative(after_o, inside_o)),
                        fmt(inside_o, 1),
                        fmt(ms(median(&r["ours"], "apply_us")), 1),
                    )?;
                    eprintln!(
                        "    lib decompress {} ms vs floor decompress {} ms",
                        fmt(ms(median(&r["raw"], "lib_decompress_us")), 1),
                        fmt(ms(median(&r["raw"], "decompress_us")), 1)
                    );
                }
                // (5) memory: one more run per client with the counting allocator, at the largest
                // size of the small table (and of the big one).
                if n == *sizes.iter().max().unwrap() && opts.wants("mem") {
                    // Compressed and uncompressed: the cache keeps rows inside the received
                    // buffers, so how a buffer was allocated shows in bytes per row.
                    for comp in ["brotli", "none"] {
                        eprintln!("  memory {tname} {} {comp}", si(n));
                        let a = Args { table: tname.into(), comp: comp.into(), count_alloc: true, ..base(&db) };
                        let r = runs_of("sub", &a, &["ours", "official"], 1);
                        let per = |c: &str, k: &str| median(&r[c], k).map(|v| v / n as f64);
                        memory_rows.push(format!(
                            "| {tname} | {} | {comp} | {} | {} | {} | {} | {} | {} | {} | {} |",
                            si(n),
                            fmt(per("ours", "alloc_delta"), 0),
                            fmt(per("official", "alloc_delta"), 0),
                            ratio(per("official", "alloc_delta"), per("ours", "alloc_delta")),
                            fmt(per("ours", "rss_delta"), 0),
                            fmt(per("official", "rss_delta"), 0),
                            ratio(per("official", "rss_delta"), per("ours", "rss_delta")),
                            fmt(mb(median(&r["ours"], "peak_rss")), 0),
                            fmt(mb(median(&r["official"], "peak_rss")), 0),
                        ));
                    }
                }
            }
        }
        md.push_str(&table);
        writeln!(md)?;
    }

    if !memory_rows.is_empty() {
        writeln!(md, "### 5. Memory per cached row (after on_applied; heap = live bytes from a counting allocator, RSS after malloc_trim)\n")?;
        writeln!(md, "| table | rows | compr. | stdb-client heap B/row | official heap B/row | **ratio** | stdb-client RSS B/row | official RSS B/row | ratio | stdb-client peak RSS MB | official peak RSS MB |")?;
        writeln!(md, "|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|")?;
        for r in &memory_rows {
            writeln!(md, "{r}")?;
        }
        writeln!(md)?;
    }

    // (2) update throughput
    if opts.wants("upd") {
        let db = server.publish("bench")?;
        let (batches, batch) = (10u32, 10_000u32);
        writeln!(
            md,
            "### 2. Update throughput ({batches} reducer calls × {batch} rows each, per kind; time from the call until every row callback of the transaction ran)\n"
        )?;
        writeln!(
            md,
            "Here *after arrival* is measured against an observer: a bare WebSocket in the same process, subscribed to the same table, \
             receives each transaction when the measured client does; the client's share is its last callback's time minus that arrival.\n"
        )?;
        writeln!(md, "| compr. | op | server + transfer ms | stdb-client ms | official ms | **speedup** | stdb-client rows/s | official rows/s | stdb-client after arrival ms | official after arrival ms | client speedup | stdb-client inside: arrival → applied ms (apply) |")?;
        writeln!(md, "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")?;
        for comp in &opts.comps {
            eprintln!("  upd {batches} x {batch} {comp}");
            let a = Args { batches, batch, comp: comp.clone(), ..base(&db) };
            let r = runs_of("upd", &a, &["raw", "ours", "official"], opts.runs);
            let rows = (batches * batch) as f64;
            for op in ["insert", "update", "delete"] {
                let k = format!("{op}_us");
                let (f, o, s) = (median(&r["raw"], &format!("{op}_recv_us")), median(&r["ours"], &k), median(&r["official"], &k));
                // Measured against an observer connection in the same process (see raw::observer).
                let after_o = median(&r["ours"], &format!("{op}_share_us")).map(|x| x / 1000.0);
                let after_f = median(&r["official"], &format!("{op}_share_us")).map(|x| x / 1000.0);
                let inside_o = median(&r["ours"], &format!("{op}_after_arrival_us")).map(|x| x / 1000.0);
                writeln!(
                    md,
                    "| {comp} | {op} | {} | {} | {} | **{}** | {}M | {}M | {} | {} | {} | {} ({}) |",
                    fmt(f.map(|x| x / 1000.0), 1),
                    fmt(o.map(|x| x / 1000.0), 1),
                    fmt(s.map(|x| x / 1000.0), 1),
                    ratio(s, o),
                    fmt(o.map(|us| rows / us), 2),
                    fmt(s.map(|us| rows / us), 2),
                    fmt(after_o, 1),
                    fmt(after_f, 1),
                    ratio(after_f, conservative(after_o, inside_o)),
                    fmt(inside_o, 1),
                    fmt(median(&r["ours"], &format!("{op}_apply_us")).map(|x| x / 1000.0), 1),
                )?;
            }
        }
        writeln!(md)?;
    }

    // (3) reducer round trip
    if opts.wants("rtt") {
        let db = server.publish("bench")?;
        writeln!(md, "### 3. Reducer round trip (`ping`, no rows; call → reducer callback)\n")?;
        writeln!(md, "| mode | floor p50 / p99 µs | stdb-client p50 / p99 µs | official p50 / p99 µs | p50 ratio | p99 ratio |")?;
        writeln!(md, "|---|---:|---:|---:|---:|---:|")?;
        for (mode, n, warmup) in [("threaded", 1000, 50), ("tick60", 240, 10)] {
            eprintln!("  rtt {mode}");
            let a = Args { mode: mode.into(), n, warmup, ..base(&db) };
            let clients: &[&str] = if mode == "threaded" { &["raw", "ours", "official"] } else { &["ours", "official"] };
            let runs = if mode == "threaded" { opts.runs } else { 1 };
            let r = runs_of("rtt", &a, clients, runs);
            let pp = |c: &str| {
                r.get(c).map_or("—".into(), |rs| format!("{} / {}", fmt(median(rs, "p50_us"), 0), fmt(median(rs, "p99_us"), 0)))
            };
            let label = if mode == "threaded" { "run_threaded" } else { "60 Hz frame_tick loop" };
            writeln!(
                md,
                "| {label} | {} | {} | {} | {} | {} |",
                pp("raw"),
                pp("ours"),
                pp("official"),
                ratio(median(&r["official"], "p50_us"), median(&r["ours"], "p50_us")),
                ratio(median(&r["official"], "p99_us"), median(&r["ours"], "p99_us")),
            )?;
        }
        writeln!(md, "\nRatios are official / stdb-client (above 1 = stdb-client faster). In the 60 Hz loop the call is made right after a tick and its result is seen by a later tick: stdb-client sends the call at once from the calling thread, so the result is in by the next frame; the official SDK queues the call until the next `frame_tick`, so its result waits for the frame after.\n")?;
    }

    // (4) idle tick
    if opts.wants("tick") {
        let db = server.publish("bench")?;
        eprintln!("  idle tick");
        let a = Args { n: 2_000_000, ..base(&db) };
        let r = runs_of("tick", &a, &["ours", "official"], opts.runs);
        writeln!(md, "### 4. Idle `frame_tick` (subscribed, nothing arriving; 2M calls per run)\n")?;
        writeln!(md, "| stdb-client ns/call | official ns/call | ratio |")?;
        writeln!(md, "|---:|---:|---:|")?;
        let (o, s) = (median(&r["ours"], "ns"), median(&r["official"], "ns"));
        writeln!(md, "| {} | {} | {} |\n", fmt(o, 1), fmt(s, 1), ratio(s, o))?;
    }

    // (4) per-callback cost, Rust API and C ABI
    if opts.wants("cb") {
        let db = server.publish("bench")?;
        let n = 100_000;
        eprintln!("  callback cost");
        let a = Args { n, batches: opts.runs as u32, ..base(&db) };
        let r = runs_of("cb", &a, &["ours", "c"], 3);
        writeln!(md, "### 4b. Per-callback cost (stdb-client only: {} rows inserted by one reducer call, apply time with 9 vs 1 on_insert callbacks; median over 3 processes of the median of {} calls each)
", si(n), opts.runs)?;
        writeln!(md, "| API | apply, 1 callback/row: ns per row | ns per extra callback |")?;
        writeln!(md, "|---|---:|---:|")?;
        for (label, c) in [("Rust (`TableHandle::on_insert`)", "ours"), ("C ABI (`stdb_table_on_insert`, `extern \"C\"` callback)", "c")] {
            writeln!(md, "| {label} | {} | {} |", fmt(median(&r[c], "per_row_k1_ns"), 0), fmt(median(&r[c], "per_callback_ns"), 1))?;
        }
        writeln!(md)?;
    }

    // (6) scale
    if opts.wants("scale") && !opts.scale.is_empty() {
        let db = server.publish("bench")?;
        writeln!(md, "### 6. Many connections in one process (no subscriptions; one thread ticks them all)\n")?;
        writeln!(md, "| connections | stdb-client connected | official connected | stdb-client threads | official threads | stdb-client MB (RSS delta) | official MB | stdb-client s to connect all | official s | speedup |")?;
        writeln!(md, "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")?;
        for &conns in &opts.scale {
            eprintln!("  scale {conns}");
            let a = Args { conns, ..base(&db) };
            let runs = if conns >= 1000 { 1 } else { 3.min(opts.runs) };
            let r = runs_of("scale", &a, &["ours", "official"], runs);
            let (o, s) = (median(&r["ours"], "connect_all_ms"), median(&r["official"], "connect_all_ms"));
            writeln!(
                md,
                "| {conns} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
                fmt(median(&r["ours"], "connected"), 0),
                fmt(median(&r["official"], "connected"), 0),
                fmt(median(&r["ours"], "threads"), 0),
                fmt(median(&r["official"], "threads"), 0),
                fmt(mb(median(&r["ours"], "rss_delta")), 1),
                fmt(mb(median(&r["official"], "rss_delta")), 1),
                fmt(o.map(|x| x / 1000.0), 2),
                fmt(s.map(|x| x / 1000.0), 2),
                ratio(s, o),
            )?;
        }
        writeln!(md)?;
    }
    writeln!(md, "Total bench time: {:.0} s; load average at the end: {}.", started.elapsed().as_secs_f64(), loadavg())?;
    println!("{md}");
    Ok(())
}

/// `stdb-bench serve small=N big=N`: a server with one bench database holding N rows of each
/// table, for profiling a single child by hand, e.g.
/// `valgrind --tool=callgrind stdb-bench --child sub client=ours url=URL db=DB table=small`.
/// Prints `url=… db=…` and runs until stdin closes.
fn serve(argv: &[String]) -> Res<()> {
    let (mut small, mut big) = (0, 0);
    for kv in argv {
        match kv.split_once('=') {
            Some(("small", v)) => small = parse_count(v)?,
            Some(("big", v)) => big = parse_count(v)?,
            _ => return Err(format!("usage: stdb-bench serve small=N big=N (got {kv})").into()),
        }
    }
    let server = stdb_testbed::Server::start()?;
    let db = server.publish("bench")?;
    populate(&db, "insert_small", 0, small)?;
    populate(&db, "insert_big", 0, big)?;
    println!("url={} db={}", server.http_url(), db.name);
    let _ = std::io::Read::read_to_end(&mut std::io::stdin(), &mut Vec::new());
    Ok(())
}

fn main() {
    let argv: Vec<String> = std::env::args().skip(1).collect();
    let result = if argv.first().map(String::as_str) == Some("--child") {
        child(&argv[1..])
    } else if argv.first().map(String::as_str) == Some("serve") {
        serve(&argv[1..])
    } else {
        Opts::from_env(&argv).and_then(orchestrate)
    };
    if let Err(e) = result {
        eprintln!("stdb-bench: {e}");
        std::process::exit(1);
    }
}
