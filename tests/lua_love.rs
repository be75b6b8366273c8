//! lua/stdb.lua (LuaJIT FFI) and the LÖVE sample game (lua/love-sample), against real servers:
//! - `lua_module_without_server`: lua/tests/unit.lua under luajit — loading, the generated
//!   shims' header turned into declarations, typed rows against hand-built BSATN, callback
//!   lifetimes (anchored while registered, released by the library's finalizers), errors raised
//!   in callbacks coming out of `tick`;
//! - `raw_lua_client`: lua/tests/raw_client.lua under luajit on a fresh `quickstart` database —
//!   the raw API (BSATN strings), reducer outcomes, checked against the server by SQL;
//! - `love_sample_game`: the LÖVE sample under Xvfb for a few seconds on a fresh `quickstart`
//!   database, with a second player (a Rust client) already there; the game's result file and
//!   the server's rows (SQL) must agree, and its screenshot must be an 800×600 PNG.
//!   `STDB_UPDATE_SCREENSHOT=1` copies the screenshot to docs/love-sample.png.
//!
//! Needs `luajit`, `love` and `xvfb-run` (Debian packages luajit, love, xvfb; scripts/setup
//! installs them).

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use common::{connect, harness, Args};
use stdb_testbed::harness::{libtest_mimic::Failed, Live};
use stdb_testbed::Database;

const PLAYER_NAME: &str = "lua-love";
const RIVAL_NAME: &str = "rival";
const RIVAL_POS: (f32, f32) = (620.0, 140.0);

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// A directory holding `libstdb_client.so.1` and `.so` (the SONAME the shims load) for this build.
fn lib_dir() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let target = std::env::current_exe().unwrap().parent().unwrap().parent().unwrap().to_path_buf();
        let lib = target.join("libstdb_client.so");
        assert!(lib.exists(), "{} is missing (cargo builds it with the tests)", lib.display());
        let dir = target.join("lua-tests");
        std::fs::create_dir_all(&dir).unwrap();
        for name in ["libstdb_client.so.1", "libstdb_client.so"] {
            let link = dir.join(name);
            let _ = std::fs::remove_file(&link);
            std::os::unix::fs::symlink(&lib, &link).unwrap();
        }
        dir
    })
}

fn core_library() -> PathBuf {
    lib_dir().join("libstdb_client.so")
}

/// Generates the quickstart shims from `schema_json` into `dir` and compiles them into
/// `dir/libquickstart.so`, linked with libstdb_client. Returns (header, library).
fn build_shims(dir: &Path, schema_json: &str) -> Result<(PathBuf, PathBuf), Failed> {
    let opts = stdb_bindings_gen::Options { prefix: "quickstart".into(), source: "tests/lua_love.rs".into() };
    let out = stdb_bindings_gen::generate_from_json(schema_json, &opts).map_err(|e| format!("generating the shims: {e}"))?;
    let (header, source, library) = (dir.join("quickstart.h"), dir.join("quickstart.c"), dir.join("libquickstart.so"));
    std::fs::write(&header, out.header).unwrap();
    std::fs::write(&source, out.source).unwrap();
    let cc = Command::new("cc")
        .args(["-std=c11", "-Wall", "-Wextra", "-Werror", "-O1", "-fPIC", "-shared"])
        .arg("-I")
        .arg(root().join("include"))
        .arg(&source)
        .arg("-L")
        .arg(lib_dir())
        .arg("-lstdb_client")
        .arg(format!("-Wl,-rpath,{}", lib_dir().display()))
        .arg("-o")
        .arg(&library)
        .output()
        .map_err(|e| format!("cc: {e} (install gcc)"))?;
    if !cc.status.success() {
        return Err(format!("compiling the shims:\n{}", String::from_utf8_lossy(&cc.stderr)).into());
    }
    Ok((header, library))
}

fn run_with_timeout(mut cmd: Command, limit: Duration) -> Result<Output, Failed> {
    let child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("spawning {cmd:?}: {e} (scripts/setup installs luajit, love and xvfb)"))?;
    let id = child.id();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    match rx.recv_timeout(limit) {
        Ok(out) => out.map_err(|e| e.to_string().into()),
        Err(_) => {
            // xvfb-run's children (Xvfb, love) are in its process group only when run from a
            // shell; kill the direct child, whose exit ends the others.
            let _ = Command::new("kill").arg("-9").arg(id.to_string()).status();
            Err(format!("timed out after {limit:?}").into())
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

/// Runs a luajit script; its stdout must end with "ok".
fn luajit(script: &str, args: &[&std::ffi::OsStr]) -> Result<String, Failed> {
    let mut cmd = Command::new("luajit");
    cmd.arg(root().join("lua/tests").join(script)).args(args);
    let out = run_with_timeout(cmd, Duration::from_secs(120))?;
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    if out.status.success() && stdout.trim_end().ends_with("ok") {
        Ok(stdout)
    } else {
        Err(format!("luajit {script} failed: {}", describe(&out)).into())
    }
}

fn lua_module_without_server() -> Result<(), Failed> {
    let dir = tempfile::tempdir().unwrap();
    let schema = std::fs::read_to_string(root().join("tests/bindings/schemas/quickstart.schema.json")).unwrap();
    let (header, shims) = build_shims(dir.path(), &schema)?;
    let r = root();
    let lib = core_library();
    luajit(
        "unit.lua",
        &[r.as_os_str(), lib.as_os_str(), header.as_os_str(), shims.as_os_str(), env!("CARGO_PKG_VERSION").as_ref()],
    )?;
    Ok(())
}

/// A `player` row as the server's SQL returns it.
#[derive(Debug)]
struct PlayerRow {
    identity: serde_json::Value,
    name: String,
    x: f64,
    y: f64,
    online: bool,
}

/// The `player` rows over SQL.
fn players(db: &Database) -> Result<Vec<PlayerRow>, Failed> {
    let rows = db.sql_rows("SELECT * FROM player").map_err(|e| e.to_string())?;
    rows.iter()
        .map(|r| {
            Ok(PlayerRow {
                identity: r[0].clone(),
                name: r[1].as_str().ok_or_else(|| format!("name in {r}"))?.to_string(),
                x: r[2].as_f64().ok_or_else(|| format!("x in {r}"))?,
                y: r[3].as_f64().ok_or_else(|| format!("y in {r}"))?,
                online: r[4].as_bool().ok_or_else(|| format!("online in {r}"))?,
            })
        })
        .collect()
}

/// SpacetimeDB's SQL prints an identity as `["0x<hex>"]` or `"0x<hex>"`; does it hold `hex`?
fn identity_is(cell: &serde_json::Value, hex: &str) -> bool {
    cell.to_string().to_ascii_lowercase().contains(&hex.to_ascii_lowercase())
}

fn raw_lua_client() -> Result<(), Failed> {
    let db = harness::publish("quickstart");
    let r = root();
    let lib = core_library();
    let stdout = luajit("raw_client.lua", &[r.as_os_str(), lib.as_os_str(), db.http_url.as_ref(), db.name.as_ref()])?;
    let me = stdout.lines().find_map(|l| l.strip_prefix("identity ")).ok_or("no identity line")?.to_string();
    let rows = players(&db)?;
    let mine =
        rows.iter().find(|p| identity_is(&p.identity, &me)).ok_or_else(|| format!("no player {me} on the server: {rows:?}"))?;
    if (mine.name.as_str(), mine.x, mine.y) != ("raw-lua", 5.0, 6.0) {
        return Err(format!("the server has {mine:?}, the Lua client set raw-lua at (5, 6)").into());
    }
    Ok(())
}

/// Lines `KEY rest…` of the game's result file.
struct GameResult(Vec<(String, String)>);

impl GameResult {
    fn get(&self, key: &str) -> Result<&str, Failed> {
        self.0.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str()).ok_or_else(|| format!("result has no `{key}` line").into())
    }
    fn all(&self, key: &str) -> Vec<&str> {
        self.0.iter().filter(|(k, _)| k == key).map(|(_, v)| v.as_str()).collect()
    }
    fn number(&self, key: &str) -> Result<f64, Failed> {
        let v = self.get(key)?;
        v.parse().map_err(|_| format!("`{key} {v}` is not a number").into())
    }
    fn pair(&self, key: &str) -> Result<(f64, f64), Failed> {
        let v: Vec<f64> = self.get(key)?.split_whitespace().take(2).filter_map(|s| s.parse().ok()).collect();
        match v[..] {
            [x, y] => Ok((x, y)),
            _ => Err(format!("`{key}` is not two numbers").into()),
        }
    }
}

/// The PNG's (width, height) from its IHDR chunk.
fn png_size(bytes: &[u8]) -> Option<(u32, u32)> {
    if bytes.len() < 24 || &bytes[..8] != b"\x89PNG\r\n\x1a\n" || &bytes[12..16] != b"IHDR" {
        return None;
    }
    let be = |b: &[u8]| u32::from_be_bytes(b.try_into().unwrap());
    Some((be(&bytes[16..20]), be(&bytes[20..24])))
}

fn love_sample_game() -> Result<(), Failed> {
    let db = harness::publish("quickstart");
    let dir = tempfile::tempdir().unwrap();
    let schema = db.schema_json().map_err(|e| e.to_string())?;
    let (header, shims) = build_shims(dir.path(), &schema)?;

    // Another player, already in place when the game starts (and online while it runs).
    let rival = connect(&db);
    let rival_me = rival.identity().map_err(|e| e.to_string())?.to_hex().to_string();
    let mut pos = RIVAL_POS.0.to_le_bytes().to_vec();
    pos.extend_from_slice(&RIVAL_POS.1.to_le_bytes());
    for (reducer, args) in [("set_name", Args::new().str(RIVAL_NAME)), ("move_to", Args(pos))] {
        let status = common::call(&rival, reducer, args);
        if !matches!(status, stdb_client::Status::Committed) {
            return Err(format!("the rival's {reducer}: {status:?}").into());
        }
    }

    let result_path = dir.path().join("result.txt");
    let shot_path = dir.path().join("love-sample.png");
    let home = dir.path().join("home");
    std::fs::create_dir_all(&home).unwrap();
    let mut cmd = Command::new("xvfb-run");
    cmd.args(["-a", "-s", "-screen 0 1024x768x24", "love"]).arg(root().join("lua/love-sample"));
    cmd.env("STDB_URI", &db.http_url)
        .env("STDB_DATABASE", &db.name)
        .env("STDB_LIBRARY", core_library())
        .env("STDB_SHIMS_HEADER", &header)
        .env("STDB_SHIMS_LIBRARY", &shims)
        .env("STDB_LOVE_NAME", PLAYER_NAME)
        .env("STDB_LOVE_SECONDS", "4")
        .env("STDB_LOVE_RESULT", &result_path)
        .env("STDB_LOVE_SCREENSHOT", &shot_path)
        .env("HOME", &home)
        .env_remove("STDB_CDEF");
    // One game at a time: `xvfb-run -a` picks a free display number, racily.
    static XVFB: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let out = {
        let _one = XVFB.lock().unwrap_or_else(|e| e.into_inner());
        run_with_timeout(cmd, Duration::from_secs(180))?
    };
    let text =
        std::fs::read_to_string(&result_path).map_err(|e| format!("the game wrote no result file ({e}): {}", describe(&out)))?;
    let context = || format!("--- result\n{text}{}", describe(&out));
    let fail = |what: String| -> Failed { format!("{what}\n{}", context()).into() };
    if !out.status.success() {
        return Err(fail("the game did not end successfully".into()));
    }
    let res = GameResult(text.lines().filter_map(|l| l.split_once(' ').map(|(k, v)| (k.to_string(), v.to_string()))).collect());

    // What the game synced.
    for key in ["connected", "subscribed", "synced", "screenshot"] {
        if res.get(key)? != "1" {
            return Err(fail(format!("`{key}` is not 1")));
        }
    }
    let me = res.get("identity")?.to_string();
    if me.len() != 64 || !me.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(fail(format!("bad identity {me}")));
    }
    let protocol = res.number("protocol")?;
    let want_protocol = if harness::current().server_kind() == stdb_testbed::ServerKind::V1_2 { 1.0 } else { 3.0 };
    if protocol != want_protocol {
        return Err(fail(format!("protocol {protocol}, expected {want_protocol}")));
    }
    let sent = res.pair("sent")?;
    let synced = res.pair("me")?;
    if sent != synced || !res.get("me")?.ends_with(&format!("true {PLAYER_NAME}")) {
        return Err(fail(format!(
            "the game's own row {:?} is not what it sent {sent:?} (online, named {PLAYER_NAME})",
            res.get("me")?
        )));
    }
    let (moves, committed) = (res.number("moves_sent")?, res.number("moves_committed")?);
    if moves < 5.0 || committed < 1.0 || committed > moves {
        return Err(fail(format!("{moves} moves sent, {committed} committed: expected at least 5 and 1")));
    }
    let players_seen = res.number("players")?;
    if players_seen != 2.0 || res.number("cached_players")? != 2.0 {
        return Err(fail("the game should see exactly two players (itself and the rival)".into()));
    }
    let rival_line = res
        .all("player")
        .into_iter()
        .find(|l| l.starts_with(&rival_me))
        .ok_or_else(|| fail(format!("the game never saw the rival {rival_me}")))?;
    let want = format!("{rival_me} {:.2} {:.2} true {RIVAL_NAME}", RIVAL_POS.0, RIVAL_POS.1);
    if rival_line != want {
        return Err(fail(format!("rival as the game saw it: `{rival_line}`, expected `{want}`")));
    }

    // The screenshot.
    let png = std::fs::read(&shot_path).map_err(|e| fail(format!("no screenshot: {e}")))?;
    if png_size(&png) != Some((800, 600)) || png.len() < 4000 {
        return Err(fail(format!("the screenshot is not an 800x600 PNG with content ({} bytes)", png.len())));
    }
    if std::env::var_os("STDB_UPDATE_SCREENSHOT").is_some() {
        std::fs::write(root().join("docs/love-sample.png"), &png).unwrap();
    }

    // The server agrees: the game's player is where the game last sent it, named, and offline
    // once the game has quit; the rival is where it moved.
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let rows = players(&db)?;
        let mine =
            rows.iter().find(|p| identity_is(&p.identity, &me)).ok_or_else(|| fail(format!("no row for {me}: {rows:?}")))?;
        let theirs =
            rows.iter().find(|p| identity_is(&p.identity, &rival_me)).ok_or_else(|| fail(format!("no rival row: {rows:?}")))?;
        if (mine.name.as_str(), mine.x, mine.y) != (PLAYER_NAME, sent.0, sent.1) {
            return Err(fail(format!("the server has {mine:?}, the game sent {sent:?}")));
        }
        if (theirs.name.as_str(), theirs.x, theirs.y, theirs.online) != (RIVAL_NAME, RIVAL_POS.0 as f64, RIVAL_POS.1 as f64, true)
        {
            return Err(fail(format!("the server has the rival as {theirs:?}")));
        }
        if !mine.online {
            break;
        }
        if Instant::now() > deadline {
            return Err(fail("the game's player is still online on the server 20 s after the game quit".into()));
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    drop(rival);
    Ok(())
}

fn main() {
    let tests = vec![
        Live::with_result("lua_module_without_server", lua_module_without_server).plain(),
        Live::with_result("raw_lua_client", raw_lua_client),
        Live::with_result("love_sample_game", love_sample_game),
    ];
    harness::main(env!("CARGO_CRATE_NAME"), tests)
}
