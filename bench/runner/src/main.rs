//! stdb-bench: stdb-client against the official SpacetimeDB Rust SDKs of both generations, in one
//! run: `spacetimedb-sdk` 1.2.0 on a local 1.2.0 server, and `spacetimedb-sdk` 2.8.3 on a local
//! 2.8.3 server, each with the bench module built for that server from the same source
//! (tests/modules/bench, tests/modules-2x/bench). Run it through scripts/bench.
//!
//! The parent process starts each server, publishes and fills the databases, and runs every
//! measurement in a fresh child process (`stdb-bench --child WORKLOAD key=value…`), so each
//! client starts from a clean heap, its own thread count and its own peak RSS. Children print one
//! `RESULT key=value…` line; the parent takes medians and prints Markdown tables.
mod cb;
mod game;
mod official;
mod ours;
mod raw;
mod sys;
mod typed;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::process::{Command, Stdio};
use std::sync::Arc;
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
    /// The protocol to speak (`v1`, `v2`, `v3`); empty = the client's default offer.
    pub proto: String,
    /// Game workload: first entity id of this process, moves per second, common start (unix ms).
    pub first: u64,
    pub hz: u32,
    pub start_ms: u64,
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
            proto: String::new(),
            first: 0,
            hz: 20,
            start_ms: 0,
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
            format!("proto={}", self.proto),
            format!("first={}", self.first),
            format!("hz={}", self.hz),
            format!("start_ms={}", self.start_ms),
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
                "proto" => a.proto = v.into(),
                "first" => a.first = v.parse()?,
                "hz" => a.hz = v.parse()?,
                "start_ms" => a.start_ms = v.parse()?,
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

fn official2_params(a: &Args) -> bench_official_2x::Params {
    bench_official_2x::Params {
        url: a.url.clone(),
        db: a.db.clone(),
        table: a.table.clone(),
        comp: a.comp.clone(),
        mode: a.mode.clone(),
        n: a.n,
        warmup: a.warmup,
        batches: a.batches,
        batch: a.batch,
        conns: a.conns,
        run: a.run,
    }
}

/// This process's measurements for the 2.x SDK's workloads (bench/official-2x).
struct Host2;

impl bench_official_2x::Host for Host2 {
    fn observer(&self, p: &bench_official_2x::Params) -> bench_official_2x::Res<std::sync::mpsc::Receiver<Instant>> {
        // The observer speaks what the official 2.x SDK speaks (v2), so both see the same encoding.
        let a = Args { url: p.url.clone(), db: p.db.clone(), comp: p.comp.clone(), proto: "v2".into(), ..Args::default() };
        raw::observer(&a)
    }
    fn trim(&self) {
        sys::trim()
    }
    fn rss(&self) -> u64 {
        sys::rss()
    }
    fn peak_rss(&self) -> u64 {
        sys::peak_rss()
    }
    fn live_bytes(&self) -> Option<i64> {
        sys::alloc_counting().then(sys::live_bytes)
    }
    fn threads(&self) -> usize {
        sys::threads()
    }
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
        ("sub", "typed") => typed::sub(&a, &mut out)?,
        ("upd", "typed") => typed::upd(&a, &mut out)?,
        ("rtt", "typed") => typed::rtt(&a, &mut out)?,
        ("tick", "typed") => typed::tick(&a, &mut out)?,
        ("scale", "typed") => typed::scale(&a, &mut out)?,
        ("game", "typed") => game::run(&a, &mut out, typed::game)?,
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
        ("game", "ours") => game::run(&a, &mut out, ours::game)?,
        ("game", "official") => game::run(&a, &mut out, official::game)?,
        ("game", "official2") => game::run(&a, &mut out, |a, ids, main60, rec| {
            let rec2 = rec.clone();
            let side = bench_official_2x::game(&official2_params(a), ids, main60, Arc::new(move |c: usize, id: u64, v: u64| rec2.update(c, id, v)))?;
            Ok(game::Side { send: side.send, tick0: side.tick0 })
        })?,
        ("sub", "official2") => bench_official_2x::sub(&official2_params(&a), &Host2, &mut out.0)?,
        ("upd", "official2") => bench_official_2x::upd(&official2_params(&a), &Host2, &mut out.0)?,
        ("rtt", "official2") => bench_official_2x::rtt(&official2_params(&a), &mut out.0)?,
        ("tick", "official2") => bench_official_2x::tick(&official2_params(&a), &mut out.0)?,
        ("scale", "official2") => bench_official_2x::scale(&official2_params(&a), &Host2, &mut out.0)?,
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
    /// Server generations to run: "1" (1.2.0) and/or "2" (2.8.3).
    gens: Vec<String>,
    /// Game workload: clients, processes, moves per second per client, seconds of moving.
    game: usize,
    game_procs: usize,
    game_hz: u32,
    game_secs: f64,
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
            gens: vec!["1".into(), "2".into()],
            game: 100,
            game_procs: 4,
            game_hz: 20,
            game_secs: 10.0,
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
                "gens" => o.gens = v.split(',').map(str::to_owned).collect(),
                "game" => o.game = parse_count(v)?,
                "game-procs" => o.game_procs = v.parse()?,
                "game-hz" => o.game_hz = v.parse()?,
                "game-secs" => o.game_secs = v.parse()?,
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
            eprintln!("    {workload} {}{} {}: {:.1}s", a.client, proto_suffix(a), summary(&out), t0.elapsed().as_secs_f64());
            Some(out)
        }
        _ => {
            eprintln!("    {workload} {}{} FAILED ({}): {}", a.client, proto_suffix(a), output.status, stdout.trim());
            None
        }
    }
}

fn proto_suffix(a: &Args) -> String {
    if a.proto.is_empty() {
        String::new()
    } else {
        format!("@{}", a.proto)
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

/// A client label: `ours`, `official`, `official2`, `raw`, `c`, optionally with `@PROTO`
/// (`ours@v1`, `raw@v3`): the child's `client` and `proto` arguments.
fn with_label(base: &Args, label: &str, run: u32) -> Args {
    let (client, proto) = label.split_once('@').unwrap_or((label, ""));
    Args { client: client.to_owned(), proto: proto.to_owned(), run, ..base.clone() }
}

/// Runs `workload` `runs` times for each client label, interleaving clients run by run.
fn runs_of(workload: &str, base: &Args, clients: &[&str], runs: usize) -> BTreeMap<String, Vec<Out>> {
    // One discarded run first, so no client pays for the server's first touch of a table size
    // (page allocation, index growth, query planning).
    if !["scale", "tick", "cb"].contains(&workload) && !base.count_alloc {
        let warm = clients.iter().find(|c| c.starts_with("raw")).or(clients.first()).unwrap();
        eprint!("  warm-up:");
        run_child(workload, &with_label(base, warm, 99));
    }
    let mut res: BTreeMap<String, Vec<Out>> = clients.iter().map(|c| (c.to_string(), Vec::new())).collect();
    for r in 0..runs {
        for c in clients {
            if let Some(o) = run_child(workload, &with_label(base, c, r as u32)) {
                res.get_mut(*c).unwrap().push(o);
            }
        }
    }
    res
}

/// The game workload's result: every process's output and the merged latency samples (µs).
struct GameRun {
    outs: Vec<Out>,
    samples: Vec<u32>,
    /// The main-thread (60 Hz) connection's samples, in main60 mode (not in `samples`).
    samples0: Vec<u32>,
}

/// Runs `clients` game connections spread over `procs` processes at once (see game.rs).
fn run_game(base: &Args, label: &str, mode: &str, clients: usize, procs: usize, hz: u32, secs: f64) -> Res<GameRun> {
    let exe = std::env::current_exe()?;
    let procs = procs.clamp(1, clients.max(1));
    // Everyone starts moving at one wall-clock moment, after every process has connected.
    let start_ms = game::unix_us() / 1000 + 3000 + 20 * clients as u64;
    let t0 = Instant::now();
    let mut children = Vec::new();
    let mut first = 0;
    for p in 0..procs {
        let conns = clients / procs + usize::from(p < clients % procs);
        let a = Args { mode: mode.into(), conns, first, hz, start_ms, n: (secs * 1000.0) as usize, ..with_label(base, label, 0) };
        first += conns as u64;
        children.push(
            Command::new(&exe)
                .arg("--child")
                .arg("game")
                .args(a.to_argv())
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::inherit())
                .spawn()?,
        );
    }
    let mut run = GameRun { outs: Vec::new(), samples: Vec::new(), samples0: Vec::new() };
    for (p, child) in children.into_iter().enumerate() {
        let output = child.wait_with_output()?;
        let stdout = String::from_utf8_lossy(&output.stdout);
        let Some(line) = stdout.lines().find(|l| l.starts_with("RESULT")) else {
            return Err(format!("game {label} {mode}: process {p} failed ({}): {}", output.status, stdout.trim()).into());
        };
        let mut out = Out::default();
        for kv in line.split_whitespace().skip(1) {
            if let Some((k, v)) = kv.split_once('=') {
                out.put(k, v.parse().unwrap_or(f64::NAN));
            }
        }
        if let Some(l) = stdout.lines().find(|l| l.starts_with("SAMPLES")) {
            let mut it = l.split_whitespace().skip(1);
            let (path, n0) = (it.next().unwrap_or(""), it.next().and_then(|x| x.parse::<usize>().ok()).unwrap_or(0));
            let bytes = std::fs::read(path)?;
            let _ = std::fs::remove_file(path);
            let v: Vec<u32> = bytes.chunks_exact(4).map(|c| u32::from_le_bytes(c.try_into().unwrap())).collect();
            // The 60 Hz client's own latency includes its wait for the next tick: kept apart.
            if p == 0 && mode == "main60" {
                let n0 = n0.min(v.len());
                run.samples0.extend_from_slice(&v[..n0]);
                run.samples.extend_from_slice(&v[n0..]);
            } else {
                run.samples.extend(v);
            }
        }
        run.outs.push(out);
    }
    eprintln!("    game {label} {mode}: {} samples, {:.1}s", run.samples.len(), t0.elapsed().as_secs_f64());
    Ok(run)
}

/// p50 / p99 / max of µs samples, as ms.
fn lat(samples: &mut [u32]) -> String {
    if samples.is_empty() {
        return "n/a".into();
    }
    samples.sort_unstable();
    let pick = |q: f64| samples[((samples.len() - 1) as f64 * q).round() as usize] as f64 / 1000.0;
    format!("{:.2} / {:.2} / {:.1}", pick(0.5), pick(0.99), *samples.last().unwrap() as f64 / 1000.0)
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
    format!(
        "{cores} cores ({cpu}), {:.1} GiB RAM, servers spacetimedb-standalone {} and {} (in memory) on loopback",
        mem_kb as f64 / 1048576.0,
        stdb_testbed::SERVER_VERSION,
        stdb_testbed::SERVER_2X_VERSION
    )
}

fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg").unwrap_or_default().split_whitespace().take(3).collect::<Vec<_>>().join(" ")
}

fn mb(v: Option<f64>) -> Option<f64> {
    v.map(|x| x / 1e6)
}

/// A Markdown table built row by row; the first row's cells name the columns.
#[derive(Default)]
struct Table {
    headers: Vec<(String, bool)>,
    rows: Vec<Vec<String>>,
}

/// A cell: header, right-aligned (a number), text.
type Cell = (String, bool, String);

fn num(h: &str, v: String) -> Cell {
    (h.to_owned(), true, v)
}

fn text(h: &str, v: String) -> Cell {
    (h.to_owned(), false, v)
}

impl Table {
    fn row(&mut self, cells: Vec<Cell>) {
        if self.headers.is_empty() {
            self.headers = cells.iter().map(|(h, r, _)| (h.clone(), *r)).collect();
        }
        self.rows.push(cells.into_iter().map(|(_, _, v)| v).collect());
    }

    fn render(&self, md: &mut String) -> Res<()> {
        if self.headers.is_empty() {
            return Ok(());
        }
        writeln!(md, "| {} |", self.headers.iter().map(|(h, _)| h.as_str()).collect::<Vec<_>>().join(" | "))?;
        writeln!(md, "|{}|", self.headers.iter().map(|(_, r)| if *r { "---:" } else { "---" }).collect::<Vec<_>>().join("|"))?;
        for r in &self.rows {
            writeln!(md, "| {} |", r.join(" | "))?;
        }
        writeln!(md)?;
        Ok(())
    }
}

/// One server generation: which server, which official SDK, which floor connections.
struct Gen {
    kind: stdb_testbed::ServerKind,
    heading: &'static str,
    /// The official SDK's client label (`official` = 1.2.0, `official2` = 2.8.3).
    official: &'static str,
    /// The floor for stdb-client's default protocol (v1 on 1.x, v3 on 2.x), and for the
    /// official SDK's (v1 on 1.x, v2 on 2.x).
    floor_ours: &'static str,
    floor_official: &'static str,
    /// On 2.x: stdb-client speaking v1 instead, and the v1 floor, for the protocol choice.
    ours_v1: Option<&'static str>,
    floor_v1: Option<&'static str>,
}

impl Gen {
    fn v1() -> Gen {
        Gen {
            kind: stdb_testbed::ServerKind::V1_2,
            heading: "SpacetimeDB 1.2.0: stdb-client (v1) vs spacetimedb-sdk 1.2.0 (v1), module tests/modules/bench",
            official: "official",
            floor_ours: "raw",
            floor_official: "raw",
            ours_v1: None,
            floor_v1: None,
        }
    }

    fn v2() -> Gen {
        Gen {
            kind: stdb_testbed::ServerKind::V2_8,
            heading: "SpacetimeDB 2.8.3: stdb-client (v3; and v1) vs spacetimedb-sdk 2.8.3 (v2), module tests/modules-2x/bench",
            official: "official2",
            floor_ours: "raw@v3",
            floor_official: "raw@v2",
            ours_v1: Some("ours@v1"),
            floor_v1: Some("raw@v1"),
        }
    }

    /// The floor labels, each once, in the order v1, v2, v3.
    fn floors(&self) -> Vec<&'static str> {
        let mut v: Vec<&'static str> = self.floor_v1.into_iter().collect();
        for f in [self.floor_official, self.floor_ours] {
            if !v.contains(&f) {
                v.push(f);
            }
        }
        v
    }

    fn clients(&self) -> Vec<&'static str> {
        let mut v = self.floors();
        v.push("ours");
        v.push("typed");
        v.extend(self.ours_v1);
        v.push(self.official);
        v
    }

    fn floor_name(label: &str) -> String {
        match label.split_once('@') {
            Some((_, p)) => format!("floor {p}"),
            None => "floor".into(),
        }
    }
}

fn orchestrate(opts: Opts) -> Res<()> {
    let started = Instant::now();
    let mut md = String::new();
    writeln!(md, "Machine: {}. Load average at the start: {}.", machine(), loadavg())?;
    writeln!(md)?;
    writeln!(
        md,
        "Medians of {} runs per cell ({} for 1M rows), after one discarded warm-up run; every run is a fresh process. \
         The *floor* is a bare WebSocket client that sends the same message in the protocol named and only waits for the whole \
         answer to arrive (*server + transfer*); *decompress* is that client's decompression of the answer. *After arrival* is a client's own \
         share, end to end minus the floor of the protocol it speaks (stdb-client: v1 on 1.2.0, v3 on 2.8.3; the official 2.8.3 SDK speaks v2); stdb-client also measures it inside (*inside*: from \
         the frame's arrival through decompression, decoding, the queue and the apply with its callbacks, from \
         `metrics()`); the client speedup divides by the larger of stdb-client's two numbers. Speedups are official / stdb-client. \
         *v1 / v3* is stdb-client speaking v1 over stdb-client speaking v3 on the same 2.8.3 server (above 1 = v3 faster). \
         *stdb-client* is the dynamic API (bench/runner/src/ours.rs); *stdb-client typed* is the official SDK's client code \
         (bench/runner/src/official_client.rs, the official 1.2.0 SDK's run) compiled against the typed bindings \
         `stdb-bindings-gen --lang rust` writes for the bench module, with its default protocol; *typed speedup* is official / typed.",
        opts.runs, opts.runs_large
    )?;
    writeln!(md)?;
    for g in &opts.gens {
        let gen = match g.as_str() {
            "1" => Gen::v1(),
            "2" => Gen::v2(),
            other => return Err(format!("unknown generation {other} (gens=1,2)").into()),
        };
        writeln!(md, "## {}\n", gen.heading)?;
        let t0 = Instant::now();
        generation(&opts, &gen, &mut md)?;
        writeln!(md, "Time for this server: {:.0} s.\n", t0.elapsed().as_secs_f64())?;
    }
    writeln!(md, "Total bench time: {:.0} s; load average at the end: {}.", started.elapsed().as_secs_f64(), loadavg())?;
    println!("{md}");
    Ok(())
}

fn generation(opts: &Opts, gen: &Gen, md: &mut String) -> Res<()> {
    eprintln!("== {}", gen.heading);
    let server = stdb_testbed::Server::start_of(gen.kind)?;
    let url = server.http_url().to_owned();
    let base = |db: &stdb_testbed::Database| Args { url: url.clone(), db: db.name.clone(), ..Args::default() };
    let off = gen.official;
    let ms = |v: Option<f64>| v.map(|x| x / 1000.0);
    let mut memory = Table::default();

    // (1) initial subscription, and (5) memory from the same databases
    if opts.wants("sub") {
        let mut table = Table::default();
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
                    let r = runs_of("sub", &a, &gen.clients(), runs);
                    let recv = |f: &str| median(&r[f], "recv_us");
                    let (us_o, us_f) = (median(&r["ours"], "us"), median(&r[off], "us"));
                    // The official SDK's client code on stdb-client's typed bindings (typed.rs).
                    let us_t = median(&r["typed"], "us");
                    let rate = |v: Option<f64>| v.map(|us| n as f64 / (us / 1e6) / 1e6);
                    // Each client: end to end minus the floor of its own protocol.
                    let after_o = us_o.zip(recv(gen.floor_ours)).map(|(v, f)| (v - f) / 1000.0);
                    let after_f = us_f.zip(recv(gen.floor_official)).map(|(v, f)| (v - f) / 1000.0);
                    // stdb-client also measures it inside (frame arrival → decoded → queued → applied).
                    let inside_o = median(&r["ours"], "after_arrival_us").map(|x| x / 1000.0);
                    for c in gen.clients() {
                        if let Some(rows) = median(&r[c], "rows") {
                            if rows as usize != n {
                                eprintln!("    WARNING: {c} cached {rows} rows, expected {n}");
                            }
                        }
                    }
                    let mut row = vec![
                        text("table", tname.into()),
                        num("rows", si(n)),
                        text("compr.", comp.clone()),
                        num("wire MB", fmt(mb(median(&r[gen.floor_ours], "bytes_received")), 1)),
                    ];
                    for f in gen.floors() {
                        row.push(num(&format!("{} server + transfer ms", Gen::floor_name(f)), fmt(ms(recv(f)), 1)));
                    }
                    row.extend([
                        num("decompress ms", fmt(ms(median(&r[gen.floor_ours], "decompress_us")), 1)),
                        num("stdb-client ms", fmt(ms(us_o), 1)),
                        num("official ms", fmt(ms(us_f), 1)),
                        num("**speedup**", format!("**{}**", ratio(us_f, us_o))),
                        num("stdb-client typed ms", fmt(ms(us_t), 1)),
                        num("typed speedup", ratio(us_f, us_t)),
                    ]);
                    if let Some(v1) = gen.ours_v1 {
                        let us_v1 = median(&r[v1], "us");
                        row.push(num("stdb-client v1 ms", fmt(ms(us_v1), 1)));
                        row.push(num("v1 / v3", ratio(us_v1, us_o)));
                    }
                    row.extend([
                        num("stdb-client rows/s", format!("{}M", fmt(rate(us_o), 2))),
                        num("official rows/s", format!("{}M", fmt(rate(us_f), 2))),
                        num("stdb-client after arrival ms", fmt(after_o, 1)),
                        num("official after arrival ms", fmt(after_f, 1)),
                        num("client speedup", ratio(after_f, conservative(after_o, inside_o))),
                        num(
                            "stdb-client inside: arrival → applied ms (apply)",
                            format!("{} ({})", fmt(inside_o, 1), fmt(ms(median(&r["ours"], "apply_us")), 1)),
                        ),
                    ]);
                    table.row(row);
                }
                // (5) memory: one more run per client with the counting allocator, at the largest
                // size of the small table (and of the big one).
                if n == *sizes.iter().max().unwrap() && opts.wants("mem") {
                    // Compressed and uncompressed: the cache keeps rows inside the received
                    // buffers, so how a buffer was allocated shows in bytes per row.
                    for comp in ["brotli", "none"] {
                        eprintln!("  memory {tname} {} {comp}", si(n));
                        let a = Args { table: tname.into(), comp: comp.into(), count_alloc: true, ..base(&db) };
                        let r = runs_of("sub", &a, &["ours", off], 1);
                        let per = |c: &str, k: &str| median(&r[c], k).map(|v| v / n as f64);
                        memory.row(vec![
                            text("table", tname.into()),
                            num("rows", si(n)),
                            text("compr.", comp.into()),
                            num("stdb-client heap B/row", fmt(per("ours", "alloc_delta"), 0)),
                            num("official heap B/row", fmt(per(off, "alloc_delta"), 0)),
                            num("**ratio**", ratio(per(off, "alloc_delta"), per("ours", "alloc_delta"))),
                            num("stdb-client RSS B/row", fmt(per("ours", "rss_delta"), 0)),
                            num("official RSS B/row", fmt(per(off, "rss_delta"), 0)),
                            num("ratio", ratio(per(off, "rss_delta"), per("ours", "rss_delta"))),
                            num("stdb-client peak RSS MB", fmt(mb(median(&r["ours"], "peak_rss")), 0)),
                            num("official peak RSS MB", fmt(mb(median(&r[off], "peak_rss")), 0)),
                        ]);
                    }
                }
            }
        }
        writeln!(md, "### 1. Initial subscription (subscribe → on_applied, every row cached)\n")?;
        table.render(md)?;
    }

    if !memory.rows.is_empty() {
        writeln!(md, "### 5. Memory per cached row (after on_applied; heap = live bytes from a counting allocator, RSS after malloc_trim)\n")?;
        memory.render(md)?;
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
            "Here *after arrival* is measured against an observer: a bare WebSocket in the same process speaking the client's protocol, subscribed to the same table, \
             receives each transaction when the measured client does; the client's share is its last callback's time minus that arrival.\n"
        )?;
        let mut table = Table::default();
        for comp in &opts.comps {
            eprintln!("  upd {batches} x {batch} {comp}");
            let a = Args { batches, batch, comp: comp.clone(), ..base(&db) };
            let r = runs_of("upd", &a, &gen.clients(), opts.runs);
            let rows = (batches * batch) as f64;
            for op in ["insert", "update", "delete"] {
                let k = format!("{op}_us");
                let (o, s) = (median(&r["ours"], &k), median(&r[off], &k));
                let t = median(&r["typed"], &k);
                // Measured against an observer connection in the same process (see raw::observer).
                let after_o = ms(median(&r["ours"], &format!("{op}_share_us")));
                let after_f = ms(median(&r[off], &format!("{op}_share_us")));
                let inside_o = ms(median(&r["ours"], &format!("{op}_after_arrival_us")));
                let mut row = vec![text("compr.", comp.clone()), text("op", op.into())];
                for f in gen.floors() {
                    row.push(num(&format!("{} server + transfer ms", Gen::floor_name(f)), fmt(ms(median(&r[f], &format!("{op}_recv_us"))), 1)));
                }
                row.extend([
                    num("stdb-client ms", fmt(ms(o), 1)),
                    num("official ms", fmt(ms(s), 1)),
                    num("**speedup**", format!("**{}**", ratio(s, o))),
                    num("stdb-client typed ms", fmt(ms(t), 1)),
                    num("typed speedup", ratio(s, t)),
                ]);
                if let Some(v1) = gen.ours_v1 {
                    let ov1 = median(&r[v1], &k);
                    row.push(num("stdb-client v1 ms", fmt(ms(ov1), 1)));
                    row.push(num("v1 / v3", ratio(ov1, o)));
                }
                row.extend([
                    num("stdb-client rows/s", format!("{}M", fmt(o.map(|us| rows / us), 2))),
                    num("official rows/s", format!("{}M", fmt(s.map(|us| rows / us), 2))),
                    num("stdb-client after arrival ms", fmt(after_o, 1)),
                    num("official after arrival ms", fmt(after_f, 1)),
                    num("client speedup", ratio(after_f, conservative(after_o, inside_o))),
                    num("stdb-client typed after arrival ms", fmt(ms(median(&r["typed"], &format!("{op}_share_us"))), 1)),
                ]);
                if let Some(v1) = gen.ours_v1 {
                    row.push(num("stdb-client v1 after arrival ms", fmt(ms(median(&r[v1], &format!("{op}_share_us"))), 1)));
                }
                row.push(num(
                    "stdb-client inside: arrival → applied ms (apply)",
                    format!("{} ({})", fmt(inside_o, 1), fmt(ms(median(&r["ours"], &format!("{op}_apply_us"))), 1)),
                ));
                table.row(row);
            }
        }
        table.render(md)?;
    }

    // (3) reducer round trip
    if opts.wants("rtt") {
        let db = server.publish("bench")?;
        writeln!(md, "### 3. Reducer round trip (`ping`, no rows; call → reducer callback)\n")?;
        let mut table = Table::default();
        for (mode, n, warmup) in [("threaded", 1000, 50), ("tick60", 240, 10)] {
            eprintln!("  rtt {mode}");
            let a = Args { mode: mode.into(), n, warmup, ..base(&db) };
            let clients: Vec<&str> = if mode == "threaded" {
                gen.clients()
            } else {
                let mut c = vec!["ours", "typed"];
                c.extend(gen.ours_v1);
                c.push(off);
                c
            };
            let runs = if mode == "threaded" { opts.runs } else { 1 };
            let r = runs_of("rtt", &a, &clients, runs);
            let pp = |c: &str| {
                r.get(c).map_or("—".into(), |rs| format!("{} / {}", fmt(median(rs, "p50_us"), 0), fmt(median(rs, "p99_us"), 0)))
            };
            let label = if mode == "threaded" { "run_threaded" } else { "60 Hz frame_tick loop" };
            let mut row = vec![text("mode", label.into())];
            for f in gen.floors() {
                row.push(num(&format!("{} p50 / p99 µs", Gen::floor_name(f)), pp(f)));
            }
            row.push(num("stdb-client p50 / p99 µs", pp("ours")));
            row.push(num("stdb-client typed p50 / p99 µs", pp("typed")));
            if let Some(v1) = gen.ours_v1 {
                row.push(num("stdb-client v1 p50 / p99 µs", pp(v1)));
            }
            row.extend([
                num("official p50 / p99 µs", pp(off)),
                num("p50 ratio", ratio(median(&r[off], "p50_us"), median(&r["ours"], "p50_us"))),
                num("p99 ratio", ratio(median(&r[off], "p99_us"), median(&r["ours"], "p99_us"))),
                num("typed p50 ratio", ratio(median(&r[off], "p50_us"), median(&r["typed"], "p50_us"))),
            ]);
            table.row(row);
        }
        table.render(md)?;
        writeln!(md, "Ratios are official / stdb-client (above 1 = stdb-client faster). In the 60 Hz loop the call is made right after a tick and its result is seen by a later tick: stdb-client sends the call at once from the calling thread, so the result is in by the next frame; the official SDK queues the call until the next `frame_tick`, so its result waits for the frame after.\n")?;
    }

    // (4) idle tick
    if opts.wants("tick") {
        let db = server.publish("bench")?;
        eprintln!("  idle tick");
        let a = Args { n: 2_000_000, ..base(&db) };
        let r = runs_of("tick", &a, &["ours", "typed", off], opts.runs);
        writeln!(md, "### 4. Idle `frame_tick` (subscribed, nothing arriving; 2M calls per run)\n")?;
        let (o, s) = (median(&r["ours"], "ns"), median(&r[off], "ns"));
        let mut table = Table::default();
        let t = median(&r["typed"], "ns");
        table.row(vec![
            num("stdb-client ns/call", fmt(o, 1)),
            num("official ns/call", fmt(s, 1)),
            num("ratio", ratio(s, o)),
            num("stdb-client typed ns/call", fmt(t, 1)),
            num("typed ratio", ratio(s, t)),
        ]);
        table.render(md)?;
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
        let mut table = Table::default();
        for (label, c) in [("Rust (`TableHandle::on_insert`)", "ours"), ("C ABI (`stdb_table_on_insert`, `extern \"C\"` callback)", "c")] {
            table.row(vec![
                text("API", label.into()),
                num("apply, 1 callback/row: ns per row", fmt(median(&r[c], "per_row_k1_ns"), 0)),
                num("ns per extra callback", fmt(median(&r[c], "per_callback_ns"), 1)),
            ]);
        }
        table.render(md)?;
    }

    // (6) scale
    if opts.wants("scale") && !opts.scale.is_empty() {
        let db = server.publish("bench")?;
        writeln!(md, "### 6. Many connections in one process (no subscriptions; one thread ticks them all)\n")?;
        let mut table = Table::default();
        for &conns in &opts.scale {
            eprintln!("  scale {conns}");
            let a = Args { conns, ..base(&db) };
            let runs = if conns >= 1000 { 1 } else { 3.min(opts.runs) };
            let r = runs_of("scale", &a, &["ours", off], runs);
            let (o, s) = (median(&r["ours"], "connect_all_ms"), median(&r[off], "connect_all_ms"));
            table.row(vec![
                num("connections", conns.to_string()),
                num("stdb-client connected", fmt(median(&r["ours"], "connected"), 0)),
                num("official connected", fmt(median(&r[off], "connected"), 0)),
                num("stdb-client threads", fmt(median(&r["ours"], "threads"), 0)),
                num("official threads", fmt(median(&r[off], "threads"), 0)),
                num("stdb-client MB (RSS delta)", fmt(mb(median(&r["ours"], "rss_delta")), 1)),
                num("official MB", fmt(mb(median(&r[off], "rss_delta")), 1)),
                num("stdb-client s to connect all", fmt(o.map(|x| x / 1000.0), 2)),
                num("official s", fmt(s.map(|x| x / 1000.0), 2)),
                num("speedup", ratio(s, o)),
            ]);
        }
        table.render(md)?;
    }

    // (7) game workload
    if opts.wants("game") && opts.game > 1 {
        let db = server.publish("bench")?;
        populate(&db, "insert_small", 0, opts.game)?;
        writeln!(
            md,
            "### 7. Game workload ({} clients in {} processes, each moving its entity with a reducer call at {} Hz for {} s, every client subscribed to all entities)\n",
            opts.game, opts.game_procs, opts.game_hz, opts.game_secs
        )?;
        writeln!(
            md,
            "Latency: from a client's call (its wall clock, carried in the row) to each other client's `on_update` callback. *threaded*: every connection \
             advanced by `run_threaded`; *main60*: the same, except one client ticked with `frame_tick` at 60 Hz on its main thread (its own latency \
             includes waiting for its next tick). CPU: the processes' user + system time over the moving window, per client, in % of one core.\n"
        )?;
        let mut table = Table::default();
        for mode in ["threaded", "main60"] {
            for (label, name) in [("ours", "stdb-client"), (off, "official")] {
                eprintln!("  game {mode} {label}");
                let mut g = run_game(&base(&db), label, mode, opts.game, opts.game_procs, opts.game_hz, opts.game_secs)?;
                let sum = |k: &str| g.outs.iter().filter_map(|o| o.0.get(k)).sum::<f64>();
                let sent = sum("sent");
                let expected = sent * (opts.game - 1) as f64;
                let cpu = sum("cpu_pct_per_client") / g.outs.len() as f64;
                let first = g.outs.first().cloned().unwrap_or_default();
                table.row(vec![
                    text("mode", mode.into()),
                    text("client", name.into()),
                    num("moves sent", format!("{sent:.0}")),
                    num("callbacks seen / expected", format!("{:.1} %", sum("callbacks") / expected.max(1.0) * 100.0)),
                    num("latency p50 / p99 / max ms (threaded clients)", lat(&mut g.samples)),
                    num("60 Hz client: latency p50 / p99 / max ms", if mode == "main60" { lat(&mut g.samples0) } else { "—".into() }),
                    num(
                        "60 Hz client: longest / p99 frame_tick ms",
                        if mode == "main60" {
                            format!("{} / {}", fmt(first.0.get("max_tick_us").map(|x| x / 1000.0), 2), fmt(first.0.get("p99_tick_us").map(|x| x / 1000.0), 2))
                        } else {
                            "—".into()
                        },
                    ),
                    num("CPU % per client", format!("{cpu:.2}")),
                ]);
            }
        }
        table.render(md)?;
    }
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
