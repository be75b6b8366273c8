//! The examples in examples-c/, built as a user builds them (shims generated from the live
//! server, -Wall -Wextra -Werror) and run briefly against a live server, once per server
//! (`::v1_2`, `::v2_8`), checking what they print:
//! - quickstart.c (raw C ABI) and game.c (typed shims) complete their demo;
//! - chat.c: scripted runs keep the identity between runs (token file), see their own messages and
//!   show another user going online and offline; the interactive mode runs commands from stdin;
//! - game_loop.c: several clients move their entities at 60 Hz, end in sync, and the frame_tick
//!   statistics are printed;
//! - walker.cpp (the C++17 wrapper): walks and finds its own row at its last position.

#[path = "common/examples.rs"]
mod ex;

use ex::*;
use std::path::Path;
use std::process::Command;
use std::time::Duration;
use stdb_testbed::harness::{self, Live};

const SHORT: Duration = Duration::from_secs(120);

/// Generates the shims of `module` for `db` into `dir` and compiles `source` (C or C++) with
/// them into `dir/name`.
fn build_example(db: &stdb_testbed::Database, prefix: &str, source: &str, dir: &Path, extra: &[&str]) -> R<std::path::PathBuf> {
    if !dir.join(format!("{prefix}.h")).exists() {
        generate(db, prefix, dir)?;
    }
    let src = root().join("examples-c").join(source);
    let name = Path::new(source).file_stem().unwrap().to_string_lossy().to_string();
    let exe = dir.join(&name);
    if source.ends_with(".cpp") {
        let obj = dir.join(format!("{prefix}.o"));
        let mut c = compiler(false, dir);
        c.arg("-c").arg(dir.join(format!("{prefix}.c"))).arg("-o").arg(&obj);
        compile(c, &format!("compiling the generated {prefix}.c"))?;
        let mut cxx = compiler(true, dir);
        cxx.arg(&src).arg(&obj);
        link_args(&mut cxx);
        cxx.args(extra).arg("-o").arg(&exe);
        compile(cxx, &format!("compiling {source}"))?;
    } else {
        let mut c = compiler(false, dir);
        c.arg(&src).arg(dir.join(format!("{prefix}.c")));
        link_args(&mut c);
        c.args(extra).arg("-o").arg(&exe);
        compile(c, &format!("compiling {source}"))?;
    }
    Ok(exe)
}

fn expect(out: &str, text: &str, what: &str) -> R<()> {
    if out.contains(text) {
        Ok(())
    } else {
        Err(format!("{what} did not print {text:?}; it printed:\n{out}"))
    }
}

fn quickstart_and_typed_demo_clients_complete() -> R<()> {
    let dir = work_dir("demo");
    let db = harness::try_publish("quickstart").map_err(|e| e.to_string())?;
    // quickstart.c needs no shims.
    let mut c = compiler(false, &dir);
    c.arg(root().join("examples-c/quickstart.c"));
    link_args(&mut c);
    c.arg("-o").arg(dir.join("quickstart"));
    compile(c, "compiling quickstart.c")?;
    let game = build_example(&db, "quickstart", "game.c", &dir, &[])?;
    for (exe, done) in [(dir.join("quickstart"), "demo complete after"), (game, "typed demo complete after")] {
        let mut cmd = Command::new(&exe);
        client_env(&mut cmd, &db, &dir);
        let out = run_ok(cmd, SHORT, &exe.display().to_string())?;
        expect(&out, done, &exe.display().to_string())?;
        expect(&out, "hello from", &exe.display().to_string())?;
    }
    Ok(())
}

/// The identity printed on chat's "* connected as HEX (…)" line.
fn identity_of(out: &str) -> R<String> {
    let rest = out.lines().find_map(|l| l.strip_prefix("* connected as ")).ok_or(format!("no identity line in:\n{out}"))?;
    let hex = rest.split_whitespace().next().unwrap_or("").to_string();
    if hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        Ok(hex)
    } else {
        Err(format!("not an identity: {rest}"))
    }
}

fn chat_keeps_its_identity_and_shows_users() -> R<()> {
    let dir = work_dir("chat");
    let db = harness::try_publish("quickstart").map_err(|e| e.to_string())?;
    let chat = build_example(&db, "quickstart", "chat.c", &dir, &[])?;
    let config = dir.join("config");
    let script = |name: &str, text: &str| {
        let p = dir.join(name);
        std::fs::write(&p, text).unwrap();
        p
    };
    let chat_cmd = |profile: &str, script: Option<&Path>| {
        let mut cmd = Command::new(&chat);
        client_env(&mut cmd, &db, &config);
        cmd.arg("--profile").arg(profile).arg("--timeout").arg("60");
        if let Some(s) = script {
            cmd.arg("--script").arg(s);
        }
        cmd
    };

    // bob watches: alice's first visit, her leaving, her return under the same identity.
    let bob_script = script(
        "bob.txt",
        "/name bob\n/wait is now known as alice\n/wait alice: hello from alice\n/wait alice is offline\n\
         /wait alice is online\n/wait alice: hello again\n/wait alice is offline\nbye alice\n/quit\n",
    );
    let mut bob = Running::spawn(chat_cmd("bob", Some(&bob_script)), "chat (bob)", false)?;
    bob.wait_for("is now known as bob (you)", SHORT)?;

    let first = script("alice1.txt", "# alice's first visit\n/name alice\nhello from alice\n/who\n");
    let out1 = run_ok(chat_cmd("alice", Some(&first)), SHORT, "chat (alice, first run)")?;
    expect(&out1, "(a new identity; its token is saved for next time)", "alice's first run")?;
    expect(&out1, "] alice: hello from alice", "alice's first run")?;
    expect(&out1, "bob", "alice's first run (/who lists bob)")?;
    let id1 = identity_of(&out1)?;
    let host = db.http_url.trim_start_matches("http://").trim_end_matches('/').replace(':', "-");
    let token = config.join(format!("alice-{host}.token"));
    if !token.is_file() {
        return Err(format!("no token file {} after the first run", token.display()));
    }

    let second = script("alice2.txt", "hello again\n/quit\n");
    let out2 = run_ok(chat_cmd("alice", Some(&second)), SHORT, "chat (alice, second run)")?;
    expect(&out2, "(the saved identity)", "alice's second run")?;
    expect(&out2, "* welcome back, alice", "alice's second run")?;
    expect(&out2, "] alice: hello from alice", "alice's second run (history)")?;
    expect(&out2, "] alice: hello again", "alice's second run")?;
    let id2 = identity_of(&out2)?;
    if id1 != id2 {
        return Err(format!("the second run has another identity: {id1} then {id2}"));
    }
    // bob's script waited for every event; it succeeds only if all of them were shown.
    let (bob_out, _) = bob.finish(SHORT)?;
    expect(&bob_out, "] bob: bye alice", "bob")?;

    // Interactive: commands typed on stdin.
    let mut carol = Running::spawn(chat_cmd("carol", None), "chat (carol, interactive)", true)?;
    carol.wait_for("* you have no name yet", SHORT)?;
    carol.write_line("/name carol")?;
    carol.wait_for("is now known as carol (you)", SHORT)?;
    carol.write_line("hi from the keyboard")?;
    carol.wait_for("] carol: hi from the keyboard", SHORT)?;
    carol.write_line("/who")?;
    carol.wait_for("carol (you)", SHORT)?;
    carol.write_line("/quit")?;
    carol.wait_for("* disconnected", SHORT)?;
    carol.finish(SHORT)?;

    // A failing reducer fails a script.
    // (U+3000 is whitespace to the module's trim, not to chat's.)
    let bad = script("bad.txt", "/name \u{3000}\n");
    let out = run(chat_cmd("dave", Some(&bad)), SHORT, "chat (empty name)")?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    if out.status.code() != Some(1) || !stdout.contains("! set_name failed: name must not be empty") {
        return Err(describe("chat with an empty name", &out));
    }
    Ok(())
}

/// `NAME: N frames, frame_tick p50 A ms, p99 B ms, max C ms` -> (N, A, B, C).
fn parse_stats(line: &str) -> Option<(u64, f64, f64, f64)> {
    let (_, rest) = line.rsplit_once(": ")?;
    let nums: Vec<f64> = rest
        .split(|c: char| !(c.is_ascii_digit() || c == '.'))
        .filter(|s| !s.is_empty() && *s != ".")
        .filter_map(|s| s.parse().ok())
        .collect();
    // N, 50, A, 99, B, C
    (nums.len() == 6).then(|| (nums[0] as u64, nums[2], nums[4], nums[5]))
}

fn game_loop_reports_frame_times() -> R<()> {
    let dir = work_dir("game_loop");
    let db = harness::try_publish("bench").map_err(|e| e.to_string())?;
    let exe = build_example(&db, "bench", "game_loop.c", &dir, &["-lpthread", "-lm"])?;
    let (clients, seconds) = (3u64, 3u64);
    let mut cmd = Command::new(&exe);
    client_env(&mut cmd, &db, &dir);
    cmd.args(["--clients", &clients.to_string(), "--entities", "20", "--seconds", &seconds.to_string()]);
    let out = run_ok(cmd, Duration::from_secs(180), "game_loop")?;
    expect(&out, "world in sync: every client cached all 60 entities at their final positions", "game_loop")?;
    let all = out.lines().find(|l| l.starts_with("all clients: ")).ok_or(format!("no statistics line:\n{out}"))?;
    let (frames, p50, p99, max) = parse_stats(all).ok_or(format!("unreadable statistics: {all}"))?;
    if frames != clients * (seconds * 60 + 1) || !(p50 > 0.0 && p50 <= p99 && p99 <= max) {
        return Err(format!("implausible statistics: {all}"));
    }
    for i in 0..clients {
        let prefix = format!("client {i} (");
        let rest = out.lines().find_map(|l| l.strip_prefix(&prefix)).ok_or(format!("no line for client {i}:\n{out}"))?;
        let seen: u64 = rest.split_whitespace().next().unwrap_or("0").parse().unwrap_or(0);
        if seen == 0 {
            return Err(format!("client {i} saw no moves of the others: {rest}"));
        }
    }
    println!("{out}");
    Ok(())
}

fn cpp_walker_finds_its_own_row() -> R<()> {
    let dir = work_dir("walker");
    let db = harness::try_publish("quickstart").map_err(|e| e.to_string())?;
    let exe = build_example(&db, "quickstart", "walker.cpp", &dir, &[])?;
    let walker = |name: &str| {
        let mut cmd = Command::new(&exe);
        client_env(&mut cmd, &db, &dir);
        cmd.args(["--name", name, "--frames", "120"]);
        Running::spawn(cmd, &format!("walker {name}"), false)
    };
    let (a, b) = (walker("ann")?, walker("ben")?);
    let (out_a, _) = a.finish(SHORT)?;
    let (out_b, _) = b.finish(SHORT)?;
    for (out, name) in [(&out_a, "ann"), (&out_b, "ben")] {
        expect(out, "walker done", name)?;
        expect(out, &format!("walked 120 steps; the cache has {name} at ("), name)?;
        expect(out, "online=true", name)?;
    }
    Ok(())
}

fn main() {
    let tests = vec![
        Live::with_result("quickstart_and_typed_demo_clients_complete", || Ok(quickstart_and_typed_demo_clients_complete()?)),
        Live::with_result("chat_keeps_its_identity_and_shows_users", || Ok(chat_keeps_its_identity_and_shows_users()?)),
        Live::with_result("game_loop_reports_frame_times", || Ok(game_loop_reports_frame_times()?)),
        Live::with_result("cpp_walker_finds_its_own_row", || Ok(cpp_walker_finds_its_own_row()?)),
    ];
    harness::main(env!("CARGO_CRATE_NAME"), tests);
}
