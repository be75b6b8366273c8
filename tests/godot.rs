//! The Godot 3 GDNative sample (godot/), headless under `godot3-server` (Debian's Godot 3.2.3):
//! - `plugin_without_server`: godot/sample/tests/no_server.gd — the plugin loads, the state
//!   before connecting, refused input with clear errors, and a connect to a closed port ending
//!   in the `connect_failed` signal;
//! - `godot_sample`: the sample's main scene on a fresh `quickstart` database with a second
//!   player (a Rust client) already there: it connects, subscribes, calls four reducers (one
//!   refused by the module), checks the rows its signals delivered, unsubscribes, disconnects and
//!   quits. Its `stdb-result` lines must show what the rival and it did, and the server's rows
//!   (SQL) must agree; the plugin's `godot_gdnative_terminate` must have shut the library down.
//!
//! The plugin (godot/src/stdb_godot.c) is compiled with `cc -Werror` against the GDNative
//! headers for Godot 3.2, which scripts/godot-headers fetches once into the cache dir. Without
//! `godot3-server` (scripts/setup installs it) every test here is reported ignored, with one line
//! saying why.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use common::{connect, harness, Args};
use stdb_testbed::harness::libtest_mimic::{Arguments, Failed};
use stdb_testbed::harness::Live;

const GODOT: &str = "godot3-server";
const PLAYER_NAME: &str = "godot-player";
const PLAYER_TEXT: &str = "hello from Godot";
const PLAYER_POS: (f32, f32) = (120.25, 80.5);
const RIVAL_NAME: &str = "rival";
const RIVAL_TEXT: &str = "hello from Rust";
const RIVAL_POS: (f32, f32) = (300.0, 200.0);

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Does `godot3-server` run and say it is Godot 3? (`--version` prints e.g.
/// `3.2.3.stable.custom_build` and exits with 255.)
fn have_godot() -> bool {
    Command::new(GODOT).arg("--version").stderr(Stdio::null()).output().is_ok_and(|o| o.stdout.starts_with(b"3."))
}

/// A directory with the built plugin: `libstdb_godot.so` (rpath `$ORIGIN`) and
/// `libstdb_client.so.1` (a link to the library cargo built with this test).
fn plugin_dir() -> Result<&'static Path, Failed> {
    static DIR: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    DIR.get_or_init(build_plugin).as_deref().map_err(|e| e.clone().into())
}

fn build_plugin() -> Result<PathBuf, String> {
    let target = std::env::current_exe().unwrap().parent().unwrap().parent().unwrap().to_path_buf();
    let lib = target.join("libstdb_client.so");
    if !lib.exists() {
        return Err(format!("{} is missing (cargo builds it with the tests)", lib.display()));
    }
    let headers = Command::new("bash")
        .arg(root().join("scripts/godot-headers"))
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| format!("running scripts/godot-headers: {e}"))?;
    if !headers.status.success() {
        return Err("scripts/godot-headers failed (it fetches gdnative-sys from crates.io with cargo)".into());
    }
    let headers = PathBuf::from(String::from_utf8_lossy(&headers.stdout).trim().lines().last().unwrap_or("").to_string());
    if !headers.join("gdnative_api_struct.gen.h").exists() {
        return Err(format!("scripts/godot-headers printed {}, which has no gdnative_api_struct.gen.h", headers.display()));
    }
    let dir = target.join("godot-tests");
    std::fs::create_dir_all(&dir).unwrap();
    let link = dir.join("libstdb_client.so.1");
    let _ = std::fs::remove_file(&link);
    std::os::unix::fs::symlink(&lib, &link).unwrap();
    let cc = Command::new("cc")
        .args(["-std=c11", "-Wall", "-Wextra", "-Werror", "-O1", "-g", "-fPIC", "-shared"])
        .arg("-isystem")
        .arg(&headers)
        .arg("-I")
        .arg(root().join("include"))
        .arg(root().join("godot/src/stdb_godot.c"))
        .arg("-L")
        .arg(&dir)
        .arg("-l:libstdb_client.so.1")
        .arg("-Wl,-rpath,$ORIGIN")
        .arg("-o")
        .arg(dir.join("libstdb_godot.so"))
        .output()
        .map_err(|e| format!("cc: {e} (install gcc)"))?;
    if !cc.status.success() {
        return Err(format!("compiling godot/src/stdb_godot.c:\n{}", String::from_utf8_lossy(&cc.stderr)));
    }
    Ok(dir)
}

/// A fresh copy of godot/sample in `dir` (Godot may write into a project), with the plugin.
fn project_copy(dir: &Path) -> Result<PathBuf, Failed> {
    fn copy(from: &Path, to: &Path) {
        std::fs::create_dir_all(to).unwrap();
        for entry in std::fs::read_dir(from).unwrap() {
            let entry = entry.unwrap();
            let (src, dst) = (entry.path(), to.join(entry.file_name()));
            if entry.file_type().unwrap().is_dir() {
                copy(&src, &dst);
            } else if !src.to_string_lossy().contains("/addons/stdb/bin/") {
                std::fs::copy(&src, &dst).unwrap();
            }
        }
    }
    let plugin = plugin_dir()?;
    let project = dir.join("sample");
    copy(&root().join("godot/sample"), &project);
    let bin = project.join("addons/stdb/bin");
    for name in ["libstdb_godot.so", "libstdb_client.so.1"] {
        std::os::unix::fs::symlink(plugin.join(name), bin.join(name)).unwrap();
    }
    Ok(project)
}

fn run_with_timeout(mut cmd: Command, limit: Duration) -> Result<Output, Failed> {
    let child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("spawning {cmd:?}: {e} (scripts/setup installs godot3-server)"))?;
    let id = child.id();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    match rx.recv_timeout(limit) {
        Ok(out) => out.map_err(|e| e.to_string().into()),
        Err(_) => {
            let _ = Command::new("kill").arg("-9").arg(id.to_string()).status();
            Err(format!("{cmd:?} timed out after {limit:?}").into())
        }
    }
}

fn describe(out: &Output) -> String {
    format!(
        "exit {:?}\n--- stdout\n{}\n--- stderr\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// `godot3-server --path PROJECT ARGS…` with its own HOME (Godot writes user data there).
fn godot(project: &Path, home: &Path, args: &[&str], env: &[(&str, &str)]) -> Result<Output, Failed> {
    std::fs::create_dir_all(home).unwrap();
    let mut cmd = Command::new(GODOT);
    cmd.arg("--path").arg(project).args(args).env("HOME", home).env("STDB_GODOT_DEBUG", "1").env("LANG", "en_US.UTF-8");
    for (k, v) in env {
        cmd.env(k, v);
    }
    run_with_timeout(cmd, Duration::from_secs(120))
}

/// The plugin unloaded cleanly: `godot_gdnative_terminate` ran and stdb_library_shutdown agreed.
fn check_shutdown(out: &Output) -> Result<(), String> {
    let stdout = String::from_utf8_lossy(&out.stdout);
    if !stdout.contains("stdb_godot: stdb_library_shutdown OK") {
        return Err("the plugin's godot_gdnative_terminate did not report a successful stdb_library_shutdown".into());
    }
    Ok(())
}

fn plugin_without_server() -> Result<(), Failed> {
    let dir = tempfile::tempdir().unwrap();
    let project = project_copy(dir.path())?;
    // A loopback port nobody listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let uri = format!("http://127.0.0.1:{port}");
    let out = godot(&project, &dir.path().join("home"), &["-s", "res://tests/no_server.gd"], &[("STDB_URI", &uri)])?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() || !stdout.lines().any(|l| l.trim() == "ok") {
        return Err(format!("tests/no_server.gd failed: {}", describe(&out)).into());
    }
    check_shutdown(&out).map_err(|e| format!("{e}\n{}", describe(&out)))?;
    Ok(())
}

/// SpacetimeDB's SQL prints an identity as `["0x<hex>"]` or `"0x<hex>"`; does it hold `hex`?
fn identity_is(cell: &serde_json::Value, hex: &str) -> bool {
    cell.to_string().to_ascii_lowercase().contains(&hex.to_ascii_lowercase())
}

/// `stdb-result KEY VALUE` lines of the sample's output.
struct Results(Vec<(String, String)>);

impl Results {
    fn parse(stdout: &str) -> Results {
        Results(
            stdout
                .lines()
                .filter_map(|l| l.strip_prefix("stdb-result "))
                .map(|l| match l.split_once(' ') {
                    Some((k, v)) => (k.to_string(), v.to_string()),
                    None => (l.to_string(), String::new()),
                })
                .collect(),
        )
    }
    fn get(&self, key: &str) -> Result<&str, String> {
        self.0.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str()).ok_or_else(|| format!("no `{key}` result"))
    }
    fn all(&self, key: &str) -> Vec<&str> {
        self.0.iter().filter(|(k, _)| k == key).map(|(_, v)| v.as_str()).collect()
    }
}

fn godot_sample() -> Result<(), Failed> {
    let db = harness::publish("quickstart");
    let dir = tempfile::tempdir().unwrap();
    let project = project_copy(dir.path())?;

    // Another player, named, moved and with a message, online while the game runs.
    let rival = connect(&db);
    let rival_me = rival.identity().map_err(|e| e.to_string())?.to_hex().to_string();
    let mut pos = RIVAL_POS.0.to_le_bytes().to_vec();
    pos.extend_from_slice(&RIVAL_POS.1.to_le_bytes());
    for (reducer, args) in
        [("set_name", Args::new().str(RIVAL_NAME)), ("move_to", Args(pos)), ("say", Args::new().str(RIVAL_TEXT))]
    {
        let status = common::call(&rival, reducer, args);
        if !matches!(status, stdb_client::Status::Committed) {
            return Err(format!("the rival's {reducer}: {status:?}").into());
        }
    }

    let (x, y) = (PLAYER_POS.0.to_string(), PLAYER_POS.1.to_string());
    let out = godot(
        &project,
        &dir.path().join("home"),
        &[],
        &[
            ("STDB_URI", &db.http_url),
            ("STDB_DATABASE", &db.name),
            ("STDB_GODOT_NAME", PLAYER_NAME),
            ("STDB_GODOT_TEXT", PLAYER_TEXT),
            ("STDB_GODOT_X", &x),
            ("STDB_GODOT_Y", &y),
            ("STDB_GODOT_TIMEOUT", "60"),
            ("STDB_GODOT_QUIT", "1"),
        ],
    )?;
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let fail = |what: String| -> Failed { format!("{what}\n{}", describe(&out)).into() };
    let res = Results::parse(&stdout);
    if let Ok(e) = res.get("error") {
        return Err(fail(format!("the sample reported an error: {e}")));
    }
    if !out.status.success() {
        return Err(fail("the sample did not exit successfully".into()));
    }
    check_shutdown(&out).map_err(fail)?;
    let check = |cond: bool, what: String| if cond { Ok(()) } else { Err(fail(what)) };
    for key in ["connected", "subscribed", "synced", "done"] {
        check(res.get(key) == Ok("1"), format!("`{key}` is not 1"))?;
    }
    check(res.get("disconnected") == Ok("clean"), "the sample's disconnect was not clean".into())?;
    let me = res.get("identity").map_err(fail)?.to_string();
    check(me.len() == 64 && me.bytes().all(|b| b.is_ascii_hexdigit()), format!("bad identity {me}"))?;
    let want_protocol = if harness::current().server_kind() == stdb_testbed::ServerKind::V1_2 { "1" } else { "3" };
    check(res.get("protocol") == Ok(want_protocol), format!("protocol: expected {want_protocol}"))?;

    // The reducers' outcomes, as `reducer_done` reported them.
    let reducers = res.all("reducer");
    for want in ["set_name set_name committed", "move_to move_to committed", "say say committed"] {
        check(reducers.contains(&want), format!("no reducer line `{want}` in {reducers:?}"))?;
    }
    check(
        reducers.iter().any(|l| l.starts_with("say_empty say failed ") && l.contains("must not be empty")),
        format!("the empty message should have failed with the module's message: {reducers:?}"),
    )?;

    // The rows, as the signals and rows() delivered them.
    check(res.get("players_at_subscribe") == Ok("2"), "two players (the rival and the sample) at subscribe".into())?;
    check(res.get("messages_at_subscribe") == Ok("1"), "one message (the rival's) at subscribe".into())?;
    check(res.get("players") == Ok("2"), "rows(\"player\") should hold two players".into())?;
    let players = res.all("player");
    let want_rival = format!("{rival_me} {:.2} {:.2} True {RIVAL_NAME}", RIVAL_POS.0, RIVAL_POS.1);
    let want_me = format!("{me} {:.2} {:.2} True {PLAYER_NAME}", PLAYER_POS.0, PLAYER_POS.1);
    for want in [&want_rival, &want_me] {
        check(players.contains(&want.as_str()), format!("no player line `{want}` in {players:?}"))?;
    }
    check(res.get("updates_of_me").map(|v| v.parse::<u32>().unwrap_or(0) >= 1) == Ok(true), "no row_updated for itself".into())?;
    let messages = res.all("message");
    let want_msgs = [format!("{rival_me} {RIVAL_TEXT}"), format!("{me} {PLAYER_TEXT}")];
    check(messages.len() == 2, format!("expected two messages, got {messages:?}"))?;
    for want in &want_msgs {
        check(messages.contains(&want.as_str()), format!("no message line `{want}` in {messages:?}"))?;
    }
    check(res.get("messages") == Ok("2"), "count(\"message\") should be 2".into())?;
    check(res.get("messages_deleted") == Ok("2"), "unsubscribing should delete both messages (row_deleted)".into())?;
    check(res.get("messages_cached_after_unsubscribe") == Ok("0"), "messages left in the cache".into())?;

    // The server agrees: the sample's message is there, its player named and moved, and offline
    // once it has quit.
    let rows = db.sql_rows("SELECT * FROM message").map_err(|e| e.to_string())?;
    check(
        rows.iter().any(|r| identity_is(&r[0], &me) && r[2].as_str() == Some(PLAYER_TEXT)),
        format!("the server has no message `{PLAYER_TEXT}` from {me}: {rows:?}"),
    )?;
    check(rows.len() == 2, format!("the server should have two messages (the empty one refused): {rows:?}"))?;
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let rows = db.sql_rows("SELECT * FROM player").map_err(|e| e.to_string())?;
        let mine = rows.iter().find(|r| identity_is(&r[0], &me)).ok_or_else(|| fail(format!("no player {me}: {rows:?}")))?;
        let (name, px, py, online) = (mine[1].as_str(), mine[2].as_f64(), mine[3].as_f64(), mine[4].as_bool());
        check(
            (name, px, py) == (Some(PLAYER_NAME), Some(PLAYER_POS.0 as f64), Some(PLAYER_POS.1 as f64)),
            format!("the server has the sample's player as {mine}"),
        )?;
        if online == Some(false) {
            break;
        }
        check(Instant::now() < deadline, "the sample's player is still online 20 s after it quit".into())?;
        std::thread::sleep(Duration::from_millis(200));
    }
    drop(rival);
    Ok(())
}

fn main() {
    let tests = vec![
        Live::with_result("plugin_without_server", plugin_without_server).plain(),
        Live::with_result("godot_sample", godot_sample),
    ];
    let mut trials = harness::trials(env!("CARGO_CRATE_NAME"), tests);
    let args = Arguments::from_args();
    if !have_godot() {
        if !args.list {
            eprintln!("!!! godot: {GODOT} not found: the Godot tests are skipped; install it with apt-get install godot3-server (scripts/setup does)");
        }
        trials = trials.into_iter().map(|t| t.with_ignored_flag(true)).collect();
    }
    harness::run_with_args(args, trials)
}
