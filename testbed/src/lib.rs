//! Test bed for stdb-client: starts a real `spacetimedb-standalone` server on a free
//! loopback port, publishes the wasm modules from `tests/modules` (spacetimedb 1.2.0) or
//! `tests/modules-2x` (2.8.3), and offers the few HTTP calls tests need (identity, SQL,
//! schema, reducer calls). Two servers: 1.2.0 ([`ServerKind::V1_2`]) and 2.8.3
//! ([`ServerKind::V2_8`]); [`harness`] runs each live test once per [`Variant`].
//!
//! The server is a child process that dies with the test process (`PR_SET_PDEATHSIG`),
//! so a crashed or killed test run leaves no server behind.

use std::fmt;
use std::fs;
use std::io::{self, Read};
use std::net::TcpListener;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

pub mod harness;

/// The server version the test bed (and scripts/setup) builds and expects.
pub const SERVER_VERSION: &str = "1.2.0";
/// The 2.x server version (decompressed by scripts/setup from `../shared/servers`).
pub const SERVER_2X_VERSION: &str = "2.8.3";
/// sha256 of the decompressed 2.8.3 binary of `../shared/servers`.
pub const SERVER_2X_SHA256: &str = "67fa5382a12e83d5e1e795655321a1789adcf92fa2a0dcabf17856a9c23fe5e1";

/// Which real server.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ServerKind {
    /// SpacetimeDB 1.2.0 (built by scripts/setup, or `STDB_STANDALONE`).
    V1_2,
    /// SpacetimeDB 2.8.3 (`STDB_STANDALONE_2X`, `../shared/servers`, or the user's 2.x install).
    V2_8,
}

/// Which wasm module workspace a module is taken from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ModuleSet {
    /// `tests/modules`, built against spacetimedb 1.2.0 (runs on both servers).
    V1,
    /// `tests/modules-2x`, built against spacetimedb 2.8.3 (2.x servers only).
    V2,
}

impl ModuleSet {
    fn dir(self) -> &'static str {
        match self {
            ModuleSet::V1 => "tests/modules",
            ModuleSet::V2 => "tests/modules-2x",
        }
    }
}

impl ServerKind {
    /// The modules built for this server.
    pub fn native_modules(self) -> ModuleSet {
        match self {
            ServerKind::V1_2 => ModuleSet::V1,
            ServerKind::V2_8 => ModuleSet::V2,
        }
    }

    /// The binary for this server, or why there is none.
    pub fn binary(self) -> Result<PathBuf, TestbedError> {
        match self {
            ServerKind::V1_2 => standalone_binary(),
            ServerKind::V2_8 => standalone_2x_binary(),
        }
    }
}

const READY_TIMEOUT: Duration = Duration::from_secs(30);

/// Everything that can go wrong; each message says what to do about it where possible.
#[derive(Debug)]
pub enum TestbedError {
    /// The server binary is missing or unusable.
    Binary(String),
    /// `scripts/build-modules` failed or a module's wasm is missing.
    ModuleBuild(String),
    /// The server did not start or did not become ready.
    ServerStart(String),
    /// An HTTP request failed. `status` is None for transport errors (connection refused, timeout).
    Http { what: String, status: Option<u16>, body: String },
    /// Local I/O (temp dirs, files, spawning processes).
    Io(String),
}

impl fmt::Display for TestbedError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TestbedError::Binary(m) => write!(f, "spacetimedb server binary: {m}"),
            TestbedError::ModuleBuild(m) => write!(f, "building test modules: {m}"),
            TestbedError::ServerStart(m) => write!(f, "starting spacetimedb server: {m}"),
            TestbedError::Http { what, status: Some(s), body } => write!(f, "{what}: HTTP {s}: {body}"),
            TestbedError::Http { what, status: None, body } => write!(f, "{what}: {body}"),
            TestbedError::Io(m) => write!(f, "{m}"),
        }
    }
}

impl std::error::Error for TestbedError {}

impl TestbedError {
    /// The HTTP status of a failed request, if the server answered at all.
    pub fn http_status(&self) -> Option<u16> {
        match self {
            TestbedError::Http { status, .. } => *status,
            _ => None,
        }
    }
}

fn io_err(what: impl fmt::Display, e: io::Error) -> TestbedError {
    TestbedError::Io(format!("{what}: {e}"))
}

/// The repository root (the parent of `testbed/`).
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("testbed/ has a parent directory").to_path_buf()
}

fn cache_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("STDB_CACHE_DIR") {
        return PathBuf::from(dir);
    }
    let home = std::env::var_os("HOME").unwrap_or_else(|| "/tmp".into());
    Path::new(&home).join(".cache/stdb-client")
}

/// The 1.2.0 server: `$STDB_STANDALONE` if set, else the binary scripts/setup builds into the cache dir.
pub fn standalone_binary() -> Result<PathBuf, TestbedError> {
    if let Some(path) = std::env::var_os("STDB_STANDALONE") {
        let path = PathBuf::from(path);
        return if path.is_file() {
            Ok(path)
        } else {
            Err(TestbedError::Binary(format!("STDB_STANDALONE={} does not exist", path.display())))
        };
    }
    let path = cache_dir().join(format!("server-{SERVER_VERSION}/bin/spacetimedb-standalone"));
    if path.is_file() {
        Ok(path)
    } else {
        Err(TestbedError::Binary(format!(
            "{} not found; run scripts/setup to build it, or set STDB_STANDALONE=/path/to/spacetimedb-standalone",
            path.display()
        )))
    }
}

/// `../shared/servers/spacetimedb-standalone-2.8.3.xz` next to the repository root; in a git
/// worktree, also next to the main checkout (the directory holding the common `.git`).
pub fn shared_server_2x_xz() -> Option<PathBuf> {
    let file = format!("shared/servers/spacetimedb-standalone-{SERVER_2X_VERSION}.xz");
    let root = repo_root();
    let mut candidates = vec![root.join("..").join(&file)];
    if let Ok(out) = Command::new("git")
        .args(["-C"])
        .arg(&root)
        .args(["rev-parse", "--path-format=absolute", "--git-common-dir"])
        .stderr(Stdio::null())
        .output()
    {
        let common = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
        if out.status.success() {
            if let Some(main) = common.parent() {
                candidates.push(main.join("..").join(&file));
            }
        }
    }
    candidates.into_iter().find(|p| p.is_file())
}

/// True if `binary --version` names a 2.x SpacetimeDB ("… tool version 2.8.3; …").
fn says_2x(binary: &Path) -> bool {
    let Ok(out) = Command::new(binary).arg("--version").stdin(Stdio::null()).stderr(Stdio::null()).output() else {
        return false;
    };
    String::from_utf8_lossy(&out.stdout).split(|c: char| c.is_whitespace() || c == ';').any(|w| {
        let mut parts = w.split('.');
        parts.next() == Some("2")
            && parts.clone().count() == 2
            && parts.all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
    })
}

/// How to provide a 2.x server: the one line printed when none is found.
pub const HOW_TO_GET_2X: &str = "set STDB_STANDALONE_2X=/path/to/spacetimedb-standalone (a SpacetimeDB 2.x server), or put \
     spacetimedb-standalone-2.8.3.xz in ../shared/servers and run scripts/setup";

/// The 2.x server: `$STDB_STANDALONE_2X` if set; else the binary scripts/setup decompressed from
/// `../shared/servers` into the cache dir (`server-2.8.3/spacetimedb-standalone`); else a
/// `spacetimedb-standalone` on PATH or under `~/.local/share/spacetime/bin/*/` whose
/// `--version` says 2.x.
pub fn standalone_2x_binary() -> Result<PathBuf, TestbedError> {
    if let Some(path) = std::env::var_os("STDB_STANDALONE_2X") {
        let path = PathBuf::from(path);
        return if !path.is_file() {
            Err(TestbedError::Binary(format!("STDB_STANDALONE_2X={} does not exist", path.display())))
        } else if !says_2x(&path) {
            Err(TestbedError::Binary(format!("STDB_STANDALONE_2X={}: its --version does not say 2.x", path.display())))
        } else {
            Ok(path)
        };
    }
    let cached = cache_dir().join(format!("server-{SERVER_2X_VERSION}/spacetimedb-standalone"));
    if cached.is_file() {
        return Ok(cached);
    }
    let mut candidates: Vec<PathBuf> = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).map(|d| d.join("spacetimedb-standalone")).collect())
        .unwrap_or_default();
    if let Some(home) = std::env::var_os("HOME") {
        if let Ok(dirs) = fs::read_dir(Path::new(&home).join(".local/share/spacetime/bin")) {
            let mut found: Vec<PathBuf> = dirs.flatten().map(|d| d.path().join("spacetimedb-standalone")).collect();
            found.sort();
            found.reverse(); // newest version directory first
            candidates.extend(found);
        }
    }
    if let Some(path) = candidates.into_iter().find(|p| p.is_file() && says_2x(p)) {
        return Ok(path);
    }
    Err(TestbedError::Binary(match shared_server_2x_xz() {
        Some(xz) => format!("{} is not decompressed yet; run scripts/setup", xz.display()),
        None => format!("no SpacetimeDB 2.x server found; {HOW_TO_GET_2X}"),
    }))
}

/// Path of a module's wasm from `tests/modules` (1.2.0), building first; see [`module_wasm_of`].
pub fn module_wasm(module: &str) -> Result<PathBuf, TestbedError> {
    module_wasm_of(ModuleSet::V1, module)
}

/// Path of a module's wasm, building all modules first (once per process; cargo is incremental).
/// Module names are directory names under tests/modules or tests/modules-2x (`sdk-test`); the
/// wasm file uses `_`. Set STDB_SKIP_MODULE_BUILD=1 to use already built wasm files without
/// invoking cargo.
pub fn module_wasm_of(set: ModuleSet, module: &str) -> Result<PathBuf, TestbedError> {
    static BUILD: OnceLock<Result<(), String>> = OnceLock::new();
    let root = repo_root();
    let dir = set.dir();
    if !root.join(dir).join(module).join("Cargo.toml").is_file() {
        return Err(TestbedError::ModuleBuild(format!("no module named '{module}' in {dir}")));
    }
    if std::env::var_os("STDB_SKIP_MODULE_BUILD").is_none() {
        BUILD.get_or_init(run_build_modules).clone().map_err(TestbedError::ModuleBuild)?;
    }
    let wasm = root.join(dir).join("target/wasm32-unknown-unknown/release").join(format!("{}.wasm", module.replace('-', "_")));
    if wasm.is_file() {
        Ok(wasm)
    } else {
        Err(TestbedError::ModuleBuild(format!("{} is missing; run scripts/build-modules", wasm.display())))
    }
}

fn run_build_modules() -> Result<(), String> {
    let script = repo_root().join("scripts/build-modules");
    let out = Command::new("bash")
        .arg(&script)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run {}: {e}", script.display()))?;
    if out.status.success() {
        return Ok(());
    }
    // cargo writes to stderr; the tail holds the actual compiler error.
    let mut text = String::from_utf8_lossy(&out.stdout).into_owned();
    text.push_str(&String::from_utf8_lossy(&out.stderr));
    let tail: Vec<&str> = text.lines().rev().take(40).collect();
    let tail: Vec<&str> = tail.into_iter().rev().collect();
    Err(format!("{} failed ({}):\n{}", script.display(), out.status, tail.join("\n")))
}

// ---------------------------------------------------------------------------------------------
// HTTP helpers

fn agent() -> &'static ureq::Agent {
    static AGENT: OnceLock<ureq::Agent> = OnceLock::new();
    AGENT.get_or_init(|| {
        ureq::AgentBuilder::new()
            .timeout_connect(Duration::from_secs(5))
            // Publishing compiles the module on the server; allow it time on a loaded 2-core box.
            .timeout(Duration::from_secs(120))
            .build()
    })
}

/// Sends a request and returns the body of a 2xx answer; any other answer becomes `TestbedError::Http`.
fn send(what: &str, req: ureq::Request, body: Option<&[u8]>) -> Result<String, TestbedError> {
    let result = match body {
        Some(bytes) => req.send_bytes(bytes),
        None => req.call(),
    };
    match result {
        Ok(resp) => read_body(what, resp),
        Err(ureq::Error::Status(code, resp)) => Err(TestbedError::Http {
            what: what.to_string(),
            status: Some(code),
            body: read_body(what, resp).unwrap_or_default(),
        }),
        Err(e) => Err(TestbedError::Http { what: what.to_string(), status: None, body: e.to_string() }),
    }
}

fn read_body(what: &str, resp: ureq::Response) -> Result<String, TestbedError> {
    let mut body = String::new();
    resp.into_reader().read_to_string(&mut body).map_err(|e| io_err(format!("{what}: reading response"), e))?;
    Ok(body)
}

fn parse_json(what: &str, body: &str) -> Result<serde_json::Value, TestbedError> {
    serde_json::from_str(body).map_err(|e| TestbedError::Http {
        what: what.to_string(),
        status: Some(200),
        body: format!("invalid JSON ({e}): {body}"),
    })
}

fn json_str(v: &serde_json::Value, pointer: &str, what: &str) -> Result<String, TestbedError> {
    v.pointer(pointer).and_then(|s| s.as_str()).map(str::to_string).ok_or_else(|| TestbedError::Http {
        what: what.to_string(),
        status: Some(200),
        body: format!("response lacks {pointer}: {v}"),
    })
}

/// `POST /v1/identity` on `http_url`: a fresh (identity hex, token).
fn post_identity(http_url: &str) -> Result<(String, String), TestbedError> {
    let what = "POST /v1/identity";
    let body = send(what, agent().post(&format!("{http_url}/v1/identity")), None)?;
    let v = parse_json(what, &body)?;
    Ok((json_str(&v, "/identity", what)?, json_str(&v, "/token", what)?))
}

// ---------------------------------------------------------------------------------------------
// Server

/// A running server: either a child process we own, or an external one (STDB_TEST_SERVER).
pub struct Server {
    kind: ServerKind,
    http_url: String,
    // Declared before `data_dir` so the child is killed before its directory is removed.
    child: Option<Mutex<Child>>,
    data_dir: Option<tempfile::TempDir>,
    log_path: Option<PathBuf>,
    /// Set for a server whose data is on disk ([`Server::start_persistent_of`]): how to start it
    /// again after [`Server::kill`].
    restart: Option<Mutex<Restart>>,
}

/// What [`Server::restart`] needs to bring a killed persistent server back as it was.
struct Restart {
    binary: PathBuf,
    port: u16,
    /// The JWT key directory in use; [`Server::restart_with_new_keys`] switches to a fresh one.
    keys_dir: PathBuf,
    /// Key directories used so far (to name the next one).
    key_generation: u32,
    /// Starts that exited at once (e.g. the port not free yet) and were tried again.
    retries: u32,
}

impl Server {
    /// Starts a fresh in-memory 1.2.0 server on a free loopback port and waits until it answers.
    pub fn start() -> Result<Server, TestbedError> {
        Self::start_of(ServerKind::V1_2)
    }

    /// Starts a fresh in-memory server of `kind` on a free loopback port and waits until it answers.
    pub fn start_of(kind: ServerKind) -> Result<Server, TestbedError> {
        let binary = kind.binary()?;
        // Picking a free port and binding it later is racy; retry if another process grabbed it.
        let mut last_err = None;
        for _ in 0..3 {
            match Self::start_once(kind, &binary) {
                Ok(server) => return Ok(server),
                Err(e) => last_err = Some(e),
            }
        }
        Err(last_err.expect("at least one attempt"))
    }

    fn start_once(kind: ServerKind, binary: &Path) -> Result<Server, TestbedError> {
        Self::start_once_with(kind, binary, false)
    }

    fn start_once_with(kind: ServerKind, binary: &Path, persistent: bool) -> Result<Server, TestbedError> {
        let data_dir =
            tempfile::Builder::new().prefix("stdb-testbed-").tempdir().map_err(|e| io_err("creating a temp data dir", e))?;
        let port = free_port()?;
        let log_path = data_dir.path().join("server.log");
        let keys_dir = data_dir.path().join("keys");
        let child = spawn_server(binary, port, data_dir.path(), &keys_dir, &log_path, persistent)?;
        let restart = persistent
            .then(|| Mutex::new(Restart { binary: binary.to_path_buf(), port, keys_dir, key_generation: 0, retries: 0 }));
        let server = Server {
            kind,
            http_url: format!("http://127.0.0.1:{port}"),
            child: Some(Mutex::new(child)),
            data_dir: Some(data_dir),
            log_path: Some(log_path),
            restart,
        };
        server.wait_ready()?;
        Ok(server)
    }

    /// Starts a private server of `kind` that keeps its data on disk (no `--in-memory`), so it
    /// can be killed ([`Server::kill`]) and started again on the same data directory and port
    /// ([`Server::restart`]) with every database as the last durable commit left it.
    pub fn start_persistent_of(kind: ServerKind) -> Result<Server, TestbedError> {
        let binary = kind.binary()?;
        let mut last_err = None;
        for _ in 0..3 {
            match Self::start_once_with(kind, &binary, true) {
                Ok(server) => return Ok(server),
                Err(e) => last_err = Some(e),
            }
        }
        Err(last_err.expect("at least one attempt"))
    }

    /// Kills the server process with SIGKILL (no shutdown of any kind) and reaps it. Owned
    /// servers only; a no-op for an external one or one already dead.
    pub fn kill(&self) {
        self.stop();
    }

    /// Starts a killed persistent server again: same binary, data directory, JWT keys and port
    /// (`http_url` does not change), and waits until it answers. Returns how long that took.
    ///
    /// The port is free again as soon as the process is dead: the kernel closes its listening
    /// socket, and the TIME_WAIT entries of its old connections do not block a bind with
    /// SO_REUSEADDR (which tokio's listeners set on Unix). A start that exits at once (a failed
    /// bind) is tried again for up to 10 s; [`Server::restart_retries`] counts those.
    pub fn restart(&self) -> Result<Duration, TestbedError> {
        let started = Instant::now();
        let (Some(restart), Some(child), Some(data_dir), Some(log_path)) =
            (&self.restart, &self.child, &self.data_dir, &self.log_path)
        else {
            return Err(TestbedError::ServerStart("restart: not a persistent server of ours (start_persistent_of)".into()));
        };
        self.stop();
        let mut r = restart.lock().unwrap();
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let new = spawn_server(&r.binary, r.port, data_dir.path(), &r.keys_dir, log_path, true)?;
            *child.lock().unwrap() = new;
            match self.wait_ready() {
                Ok(()) => return Ok(started.elapsed()),
                Err(e) => {
                    // An early exit (e.g. the port not yet free) is retried, briefly.
                    let exited = child.lock().unwrap().try_wait().ok().flatten().is_some();
                    if !exited || Instant::now() > deadline {
                        return Err(e);
                    }
                    r.retries += 1;
                    std::thread::sleep(Duration::from_millis(100));
                }
            }
        }
    }

    /// Like [`Server::restart`], with a fresh JWT key pair: every token issued before is then
    /// rejected by the server (its signature no longer verifies).
    pub fn restart_with_new_keys(&self) -> Result<Duration, TestbedError> {
        let (Some(restart), Some(data_dir)) = (&self.restart, &self.data_dir) else {
            return Err(TestbedError::ServerStart("restart: not a persistent server of ours (start_persistent_of)".into()));
        };
        self.stop();
        {
            let mut r = restart.lock().unwrap();
            r.key_generation += 1;
            r.keys_dir = data_dir.path().join(format!("keys-{}", r.key_generation));
        }
        self.restart()
    }

    /// How many restarts of this persistent server exited at once (the port not yet free, say)
    /// and had to be tried again.
    pub fn restart_retries(&self) -> u32 {
        self.restart.as_ref().map_or(0, |r| r.lock().unwrap().retries)
    }

    fn wait_ready(&self) -> Result<(), TestbedError> {
        let deadline = Instant::now() + READY_TIMEOUT;
        loop {
            if let Some(child) = &self.child {
                if let Ok(Some(status)) = child.lock().unwrap().try_wait() {
                    return Err(TestbedError::ServerStart(format!(
                        "server exited early ({status}); log: {}\n{}",
                        self.log_display(),
                        self.log_tail()
                    )));
                }
            }
            if post_identity(&self.http_url).is_ok() {
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err(TestbedError::ServerStart(format!(
                    "no answer to POST /v1/identity on {} within {}s; log: {}\n{}",
                    self.http_url,
                    READY_TIMEOUT.as_secs(),
                    self.log_display(),
                    self.log_tail()
                )));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn log_display(&self) -> String {
        self.log_path.as_ref().map_or("(external server)".into(), |p| p.display().to_string())
    }

    fn log_tail(&self) -> String {
        let text = self.log_path.as_ref().and_then(|p| fs::read_to_string(p).ok()).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(15)..].join("\n")
    }

    /// The shared 1.2.0 server; see [`Server::shared_of`].
    pub fn shared() -> &'static Server {
        Self::shared_of(ServerKind::V1_2)
    }

    /// One server of each kind per process, started on first use. With
    /// STDB_TEST_SERVER=http://host:port (1.2.0) or STDB_TEST_SERVER_2X (2.x) set, that server is
    /// used instead. Panics if the server cannot be started.
    pub fn shared_of(kind: ServerKind) -> &'static Server {
        static SHARED_1: OnceLock<Server> = OnceLock::new();
        static SHARED_2: OnceLock<Server> = OnceLock::new();
        // Statics are never dropped: clean up (kill + remove the temp dir) at exit instead.
        fn cleanup(cell: &OnceLock<Server>) {
            if let Some(server) = cell.get() {
                server.stop();
                if let Some(dir) = &server.data_dir {
                    let _ = fs::remove_dir_all(dir.path());
                }
            }
        }
        extern "C" fn cleanup_1() {
            cleanup(&SHARED_1)
        }
        extern "C" fn cleanup_2() {
            cleanup(&SHARED_2)
        }
        let (cell, env, at_exit): (_, _, extern "C" fn()) = match kind {
            ServerKind::V1_2 => (&SHARED_1, "STDB_TEST_SERVER", cleanup_1),
            ServerKind::V2_8 => (&SHARED_2, "STDB_TEST_SERVER_2X", cleanup_2),
        };
        cell.get_or_init(|| {
            if let Ok(url) = std::env::var(env) {
                let mut server = Server::external(&url);
                server.kind = kind;
                return server;
            }
            let server = Server::start_of(kind).unwrap_or_else(|e| panic!("{e}"));
            unsafe { libc::atexit(at_exit) };
            server
        })
    }

    /// A handle to a 1.2.0 server someone else runs (nothing is killed on drop).
    pub fn external(http_url: &str) -> Server {
        Server {
            kind: ServerKind::V1_2,
            http_url: http_url.trim_end_matches('/').to_string(),
            child: None,
            data_dir: None,
            log_path: None,
            restart: None,
        }
    }

    /// Which server this is.
    pub fn kind(&self) -> ServerKind {
        self.kind
    }

    /// "http://127.0.0.1:PORT"
    pub fn http_url(&self) -> &str {
        &self.http_url
    }

    /// "ws://127.0.0.1:PORT"
    pub fn ws_url(&self) -> String {
        self.http_url.replacen("http", "ws", 1)
    }

    /// The server's stdout/stderr log (owned servers only).
    pub fn log_path(&self) -> Option<&Path> {
        self.log_path.as_deref()
    }

    /// A fresh identity: (64-hex identity, token).
    pub fn new_identity(&self) -> Result<(String, String), TestbedError> {
        post_identity(&self.http_url)
    }

    /// Builds (if needed) and publishes `<module>` from this server's own module set
    /// (tests/modules for 1.2.0, tests/modules-2x for 2.x) under a unique name, owned by a fresh identity.
    pub fn publish(&self, module: &str) -> Result<Database, TestbedError> {
        self.publish_from(self.kind.native_modules(), module)
    }

    /// Like [`Server::publish`], with the module taken from `set` (e.g. a 1.2.0 module on the 2.x server).
    pub fn publish_from(&self, set: ModuleSet, module: &str) -> Result<Database, TestbedError> {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let wasm_path = module_wasm_of(set, module)?;
        let wasm = fs::read(&wasm_path).map_err(|e| io_err(format!("reading {}", wasm_path.display()), e))?;
        let (owner_identity_hex, owner_token) = self.new_identity()?;
        let name = format!("{module}-{}-{}-{}", std::process::id(), COUNTER.fetch_add(1, Ordering::Relaxed), random_hex());
        let what = format!("publishing {module} as {name}");
        let req =
            agent().put(&format!("{}/v1/database/{name}", self.http_url)).set("Authorization", &format!("Bearer {owner_token}"));
        let body = send(&what, req, Some(&wasm))?;
        // Answer: {"Success":{"domain":NAME,"database_identity":HEX,"op":"created"}}
        let v = parse_json(&what, &body)?;
        let identity_hex = json_str(&v, "/Success/database_identity", &what)?;
        Ok(Database { name, identity_hex, owner_identity_hex, owner_token, http_url: self.http_url.clone() })
    }

    /// Kills and reaps the child (owned servers only); idempotent.
    fn stop(&self) {
        if let Some(child) = &self.child {
            if let Ok(mut child) = child.lock() {
                let _ = child.kill();
                let _ = child.wait();
            }
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Spawns `binary start` on 127.0.0.1:`port` with its data under `root` (on disk when
/// `persistent`, else `--in-memory`), its JWT keys in `keys_dir` (created if absent), and its
/// output appended to `log_path`.
fn spawn_server(
    binary: &Path,
    port: u16,
    root: &Path,
    keys_dir: &Path,
    log_path: &Path,
    persistent: bool,
) -> Result<Child, TestbedError> {
    let log = fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log_path)
        .map_err(|e| io_err(format!("opening {}", log_path.display()), e))?;
    let log2 = log.try_clone().map_err(|e| io_err("dup log file", e))?;
    let mut cmd = Command::new(binary);
    cmd.arg("start")
        .arg("--listen-addr")
        .arg(format!("127.0.0.1:{port}"))
        .arg("--data-dir")
        .arg(root.join("data"))
        // Hidden flag in 1.2.0: generates id_ecdsa{,.pub} in this dir if absent.
        .arg("--jwt-key-dir")
        .arg(keys_dir);
    if !persistent {
        cmd.arg("--in-memory");
    }
    // 2.x: a busy port fails instead of prompting. Only passed to binaries that know it.
    if knows_flag(binary, "--non-interactive") {
        cmd.arg("--non-interactive");
    }
    cmd.stdin(Stdio::null()).stdout(log).stderr(log2);
    spawn_tied_to_process(cmd).map_err(|e| io_err(format!("spawning {}", binary.display()), e))
}

/// Whether `binary start --help` lists `flag` (cached per binary).
fn knows_flag(binary: &Path, flag: &str) -> bool {
    static HELP: OnceLock<Mutex<std::collections::HashMap<PathBuf, String>>> = OnceLock::new();
    let mut map = HELP.get_or_init(Default::default).lock().unwrap();
    let help = map.entry(binary.to_path_buf()).or_insert_with(|| {
        Command::new(binary)
            .args(["start", "--help"])
            .stdin(Stdio::null())
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).into_owned() + &String::from_utf8_lossy(&o.stderr))
            .unwrap_or_default()
    });
    help.split(|c: char| c.is_whitespace() || c == ',').any(|w| w == flag)
}

fn free_port() -> Result<u16, TestbedError> {
    let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| io_err("finding a free port", e))?;
    let port = listener.local_addr().map_err(|e| io_err("finding a free port", e))?.port();
    Ok(port)
}

fn random_hex() -> String {
    use std::collections::hash_map::RandomState;
    use std::hash::{BuildHasher, Hasher};
    // RandomState is seeded from the OS; good enough for unique names without a rand dependency.
    let mut h = RandomState::new().build_hasher();
    h.write_u128(Instant::now().elapsed().as_nanos());
    format!("{:08x}", h.finish() as u32)
}

/// Spawns `cmd` so that it is SIGKILLed when this process dies.
///
/// PR_SET_PDEATHSIG fires when the *thread* that forked the child exits, and test
/// harness threads are short-lived, so every child is forked from one dedicated
/// thread that lives as long as the process.
fn spawn_tied_to_process(mut cmd: Command) -> io::Result<Child> {
    type Job = (Command, mpsc::Sender<io::Result<Child>>);
    static SPAWNER: OnceLock<Mutex<mpsc::Sender<Job>>> = OnceLock::new();
    let spawner = SPAWNER.get_or_init(|| {
        let (tx, rx) = mpsc::channel::<Job>();
        std::thread::Builder::new()
            .name("stdb-testbed-spawner".into())
            .spawn(move || {
                for (mut cmd, reply) in rx {
                    let _ = reply.send(cmd.spawn());
                }
            })
            .expect("spawning the spawner thread");
        Mutex::new(tx)
    });

    let parent = std::process::id() as libc::pid_t;
    unsafe {
        cmd.pre_exec(move || {
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL as libc::c_ulong, 0, 0, 0) != 0 {
                return Err(io::Error::last_os_error());
            }
            // The parent may have died between fork and prctl; then nobody would kill us.
            if libc::getppid() != parent {
                libc::_exit(1);
            }
            Ok(())
        });
    }
    let (reply_tx, reply_rx) = mpsc::channel();
    spawner.lock().unwrap().send((cmd, reply_tx)).map_err(|_| io::Error::other("spawner thread is gone"))?;
    reply_rx.recv().map_err(|_| io::Error::other("spawner thread is gone"))?
}

// ---------------------------------------------------------------------------------------------
// Database

/// A published database and the token of its owner.
#[derive(Clone, Debug)]
pub struct Database {
    /// The unique name it was published under, e.g. "sdk-test-1234-0-9f3a11c2".
    pub name: String,
    /// The database identity, 64 hex digits.
    pub identity_hex: String,
    /// The owner's identity, 64 hex digits.
    pub owner_identity_hex: String,
    pub owner_token: String,
    pub http_url: String,
}

impl Database {
    fn url(&self, tail: &str) -> String {
        format!("{}/v1/database/{}/{tail}", self.http_url, self.name)
    }

    /// Runs SQL as the owner; returns the JSON array of statement results
    /// (`[{"schema":…,"rows":[[…]],"total_duration_micros":…,"stats":…}]`).
    pub fn sql(&self, query: &str) -> Result<serde_json::Value, TestbedError> {
        self.sql_as(Some(&self.owner_token), query)
    }

    /// Runs SQL with another token, or anonymously with None (private tables are then hidden).
    pub fn sql_as(&self, token: Option<&str>, query: &str) -> Result<serde_json::Value, TestbedError> {
        let what = format!("SQL `{query}` on {}", self.name);
        let mut req = agent().post(&self.url("sql"));
        if let Some(token) = token {
            req = req.set("Authorization", &format!("Bearer {token}"));
        }
        let body = send(&what, req, Some(query.as_bytes()))?;
        parse_json(&what, &body)
    }

    /// Rows of the first statement of `sql(query)`, each a positional JSON array.
    pub fn sql_rows(&self, query: &str) -> Result<Vec<serde_json::Value>, TestbedError> {
        let v = self.sql(query)?;
        Ok(v.pointer("/0/rows").and_then(|r| r.as_array()).cloned().unwrap_or_default())
    }

    /// The module schema, `GET …/schema?version=9` (RawModuleDefV9 as SATS-JSON text).
    pub fn schema_json(&self) -> Result<String, TestbedError> {
        self.schema_json_version(9)
    }

    /// `GET …/schema?version=N` (9 on every server; 10 on 2.x only).
    pub fn schema_json_version(&self, version: u32) -> Result<String, TestbedError> {
        let what = format!("schema v{version} of {}", self.name);
        send(&what, agent().get(&self.url("schema")).query("version", &version.to_string()), None)
    }

    /// Calls a reducer over HTTP as the owner. `json_args` is a JSON array, e.g. `[1, "x"]`.
    /// A reducer returning Err gives `TestbedError::Http` with status 530 and the message as body.
    pub fn call_reducer_http(&self, reducer: &str, json_args: &str) -> Result<(), TestbedError> {
        self.call_reducer_http_as(&self.owner_token, reducer, json_args)
    }

    /// Like `call_reducer_http`, with another identity's token.
    pub fn call_reducer_http_as(&self, token: &str, reducer: &str, json_args: &str) -> Result<(), TestbedError> {
        let what = format!("calling {reducer}({json_args}) on {}", self.name);
        let req = agent()
            .post(&self.url(&format!("call/{reducer}")))
            .set("Authorization", &format!("Bearer {token}"))
            // Without this header the server answers 415.
            .set("Content-Type", "application/json");
        send(&what, req, Some(json_args.as_bytes())).map(|_| ())
    }
}
