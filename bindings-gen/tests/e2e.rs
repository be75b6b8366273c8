//! End to end against a live SpacetimeDB 1.2.0 server (stdb-testbed): C and C++ clients that use
//! only the generated code for rows and reducer arguments (tests/bindings/e2e/), built against the
//! freshly built libstdb_client.so with AddressSanitizer + UBSan; and `--server` schema fetching.

mod common;

use common::*;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;
use std::time::Duration;

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

/// Generates sdk-test's bindings, builds `source` with them, runs it against a fresh database.
fn run_client(source: &str, cxx: bool) {
    if skip_without("cc") || (cxx && skip_without("c++")) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    write(&gen("sdk-test", "sdk_test"), dir.path());
    let src = root().join("tests/bindings/e2e").join(source);
    let exe = dir.path().join("client");
    // The generated C is always compiled as C; the C++ program links it.
    let obj = dir.path().join("sdk_test.o");
    let mut cc = Command::new("cc");
    cc.args(CFLAGS).args(SANITIZE).arg("-I").arg(dir.path()).arg("-I").arg(root().join("include"));
    cc.arg("-c").arg(dir.path().join("sdk_test.c")).arg("-o").arg(&obj);
    run_cc(cc, "compiling sdk_test.c");
    let mut cmd = Command::new(if cxx { "c++" } else { "cc" });
    cmd.args(if cxx { CXXFLAGS } else { CFLAGS }).args(SANITIZE);
    if !cxx {
        cmd.arg("-D_POSIX_C_SOURCE=200809L");
    }
    cmd.arg("-I").arg(dir.path()).arg("-I").arg(root().join("include")).arg(&src).arg(&obj);
    cmd.arg("-L").arg(lib_dir()).arg("-lstdb_client").arg(format!("-Wl,-rpath,{}", lib_dir().display()));
    cmd.arg("-o").arg(&exe);
    run_cc(cmd, &format!("compiling {source}"));

    let db = stdb_testbed::Server::shared().publish("sdk-test").expect("publishing sdk-test");
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

#[test]
fn c_client_uses_only_generated_code_against_a_live_server() {
    run_client("sdk_test_client.c", false);
}

#[test]
fn cpp_client_uses_the_wrapper_against_a_live_server() {
    run_client("sdk_test_client.cpp", true);
}

#[test]
fn cli_fetches_the_schema_from_a_live_server() {
    let db = stdb_testbed::Server::shared().publish("quickstart").expect("publishing quickstart");
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_stdb-bindings-gen"))
        .args(["--server", &db.http_url, "--database", &db.name, "--prefix", "quickstart", "--out-dir"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let h = std::fs::read_to_string(dir.path().join("quickstart.h")).unwrap();
    let strip = |s: &str| s.lines().filter(|l| !l.contains("GENERATED by")).collect::<Vec<_>>().join("\n");
    assert_eq!(strip(&h), strip(&gen("quickstart", "quickstart").header), "the served schema gives the committed golden code");
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
