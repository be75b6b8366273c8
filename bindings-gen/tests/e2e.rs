//! End to end against live servers (stdb-testbed, each test once per server: `::v1_2`, `::v2_8`,
//! `::v2_8_m1`): C and C++ clients that use only the generated code for rows and reducer
//! arguments (tests/bindings/e2e/), built against the freshly built libstdb_client.so with
//! AddressSanitizer + UBSan; `--server` schema fetching (V9 from 1.x, V10 from 2.x); and a client
//! of a 2.x-only module (procedures, views, an event table, column defaults) on shims generated
//! from its live V10 schema.

mod common;

use common::*;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;
use std::time::Duration;
use stdb_testbed::harness::{self, ALL};

/// Builds libstdb_client (incrementally) and returns a directory holding `libstdb_client.so` and
/// the `libstdb_client.so.1` SONAME link the programs load.
fn lib_dir() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let target = target_dir(); // …/target/debug
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let st = Command::new(cargo)
            .args(["build", "-p", "stdb-client", "--lib", "--manifest-path"])
            .arg(root().join("Cargo.toml"))
            .arg("--target-dir")
            .arg(target.parent().unwrap())
            .status()
            .expect("running cargo build -p stdb-client");
        assert!(st.success(), "cargo build -p stdb-client failed");
        let lib = target.join("libstdb_client.so");
        assert!(lib.is_file(), "{} is missing", lib.display());
        let dir = target.join("bindings-e2e");
        std::fs::create_dir_all(&dir).unwrap();
        for name in ["libstdb_client.so.1", "libstdb_client.so"] {
            let link = dir.join(name);
            let _ = std::fs::remove_file(&link);
            std::os::unix::fs::symlink(&lib, &link).unwrap();
        }
        dir
    })
}

fn run_with_timeout(mut cmd: Command, limit: Duration) -> Output {
    let child = cmd.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("spawning the client");
    let id = child.id();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    match rx.recv_timeout(limit) {
        Ok(out) => out.unwrap(),
        Err(_) => {
            let _ = Command::new("kill").arg("-9").arg(id.to_string()).status();
            panic!("the client timed out after {limit:?}");
        }
    }
}

/// Builds `source` with the generated `out` and runs it against a fresh database of `module` on the
/// current server.
fn run_client(source: &str, cxx: bool, module: &str, out: &stdb_bindings_gen::Output) {
    if skip_without("cc") || (cxx && skip_without("c++")) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    write(out, dir.path());
    let prefix = &out.prefix;
    let src = root().join("tests/bindings/e2e").join(source);
    let exe = dir.path().join("client");
    // The generated C is always compiled as C; the C++ program links it.
    let obj = dir.path().join(format!("{prefix}.o"));
    let mut cc = Command::new("cc");
    cc.args(CFLAGS).args(SANITIZE).arg("-I").arg(dir.path()).arg("-I").arg(root().join("include"));
    cc.arg("-c").arg(dir.path().join(format!("{prefix}.c"))).arg("-o").arg(&obj);
    run_cc(cc, &format!("compiling {prefix}.c"));
    let mut cmd = Command::new(if cxx { "c++" } else { "cc" });
    cmd.args(if cxx { CXXFLAGS } else { CFLAGS }).args(SANITIZE);
    if !cxx {
        cmd.arg("-D_POSIX_C_SOURCE=200809L");
    }
    cmd.arg("-I").arg(dir.path()).arg("-I").arg(root().join("include")).arg(&src).arg(&obj);
    cmd.arg("-L").arg(lib_dir()).arg("-lstdb_client").arg(format!("-Wl,-rpath,{}", lib_dir().display()));
    cmd.arg("-o").arg(&exe);
    run_cc(cmd, &format!("compiling {source}"));

    let db = harness::publish(module);
    let home = tempfile::tempdir().unwrap();
    let mut run = Command::new(&exe);
    run.env("STDB_URI", &db.http_url).env("STDB_DATABASE", &db.name).env("HOME", home.path());
    run.env("ASAN_OPTIONS", "detect_leaks=1:abort_on_error=0").env("UBSAN_OPTIONS", "print_stacktrace=1:halt_on_error=1");
    let out = run_with_timeout(run, Duration::from_secs(180));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{source} failed ({}):\n--- stdout\n{stdout}\n--- stderr\n{stderr}", out.status);
    assert!(stdout.contains("e2e ok"), "{stdout}");
    eprintln!("{}", stdout.lines().last().unwrap_or_default());
}

/// The code generated from the committed sdk-test schema works unchanged on every server, with the
/// module built by either generation.
fn c_client_uses_only_generated_code_against_a_live_server() {
    run_client("sdk_test_client.c", false, "sdk-test", &gen("sdk-test", "sdk_test"));
}

fn cpp_client_uses_the_wrapper_against_a_live_server() {
    run_client("sdk_test_client.cpp", true, "sdk-test", &gen("sdk-test", "sdk_test"));
}

/// Runs the CLI; panics with its stderr on failure.
fn bindings_gen(args: &[&str], out_dir: &Path) -> Output {
    let out = Command::new(env!("CARGO_BIN_EXE_stdb-bindings-gen")).args(args).arg("--out-dir").arg(out_dir).output().unwrap();
    assert!(out.status.success(), "stdb-bindings-gen {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    out
}

fn read_output(dir: &Path, prefix: &str) -> stdb_bindings_gen::Output {
    let read = |ext: &str| std::fs::read_to_string(dir.join(format!("{prefix}.{ext}"))).unwrap();
    stdb_bindings_gen::Output { prefix: prefix.into(), header: read("h"), source: read("c"), cpp: read("hpp") }
}

/// A 2.x module with procedures, views, an event table and column defaults: shims generated from
/// the V10 schema the server serves, used by a C client for its ordinary tables, reducers (one
/// case-converted), a reducer error, a one-off query and a procedure call.
fn c_client_of_a_2x_only_module_on_shims_from_its_v10_schema() {
    let db = harness::publish("features-2x");
    let dir = tempfile::tempdir().unwrap();
    bindings_gen(&["--server", &db.http_url, "--database", &db.name, "--prefix", "f2x"], dir.path());
    let out = read_output(dir.path(), "f2x");
    assert!(out.header.contains("f2x_reducer_level_up("), "the wire name of `levelUp`");
    run_client("features_2x_client.c", false, "features-2x", &out);
}

fn cli_fetches_the_schema_from_a_live_server() {
    let db = harness::publish("quickstart");
    let dir = tempfile::tempdir().unwrap();
    bindings_gen(&["--server", &db.http_url, "--database", &db.name, "--prefix", "quickstart"], dir.path());
    let h = std::fs::read_to_string(dir.path().join("quickstart.h")).unwrap();
    // 1.2.0 serves V9, 2.8.3 serves V10 (for modules of either generation): the same code, but
    // V10 lists the tables in another order.
    let any_order = harness::current().server_kind() == stdb_testbed::ServerKind::V2_8;
    assert_same_code(&h, &gen("quickstart", "quickstart").header, any_order, "the served schema vs the committed golden");
    assert!(h.contains(&format!("from database `{}`", db.name)));
    // An unknown database is a clear error.
    let out = Command::new(env!("CARGO_BIN_EXE_stdb-bindings-gen"))
        .args(["--server", &db.http_url, "--database", "no-such-db-here", "--out-dir"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("404"), "{}", String::from_utf8_lossy(&out.stderr));
}

fn main() {
    harness::main(
        env!("CARGO_CRATE_NAME"),
        stdb_testbed::live_tests![
            c_client_uses_only_generated_code_against_a_live_server: ALL,
            cpp_client_uses_the_wrapper_against_a_live_server: ALL,
            cli_fetches_the_schema_from_a_live_server: ALL,
            // 2.x only: the module does not exist for 1.x.
            c_client_of_a_2x_only_module_on_shims_from_its_v10_schema: &[harness::Variant::V2_8],
        ],
    );
}
