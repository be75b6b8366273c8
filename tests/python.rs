//! The Python package (python/stdb_client) and its example: `python3 -m pytest python/tests`
//! against a live server, once per server (`::v1_2`, `::v2_8`), with Debian's /usr/bin/python3
//! (python3-cffi and python3-pytest, which scripts/setup installs). The live tests get a fresh
//! `quickstart` database, the shims generated from its live schema, and this build's library.

#[path = "common/examples.rs"]
mod ex;

use ex::*;
use std::process::Command;
use std::time::Duration;
use stdb_testbed::harness::{self, Live};

/// Debian's interpreter, deliberately: its cffi and pytest come from apt (scripts/lib.sh), while
/// a pyenv or venv python3 earlier on PATH may lack them.
const PYTHON: &str = "/usr/bin/python3";

fn pytest_against_a_live_server() -> R<()> {
    let probe = Command::new(PYTHON).args(["-c", "import cffi, pytest"]).output();
    if !probe.as_ref().is_ok_and(|o| o.status.success()) {
        return Err(format!(
            "{PYTHON} cannot import cffi and pytest: run scripts/setup (apt-get install python3-cffi python3-pytest)"
        ));
    }
    let dir = work_dir("python");
    let db = harness::try_publish("quickstart").map_err(|e| e.to_string())?;
    generate(&db, "quickstart", &dir)?;
    let mut cmd = Command::new(PYTHON);
    cmd.args(["-m", "pytest", "-q", "-p", "no:cacheprovider", "-o", "console_output_style=classic"])
        .arg(root().join("python/tests"))
        .current_dir(root().join("python"))
        .env("PYTHONPATH", root().join("python"))
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .env("STDB_LIBRARY", lib_dir().join("libstdb_client.so.1"))
        .env("STDB_CDEF", root().join("include/stdb_client.cdef.h"))
        .env("STDB_TEST_GEN_DIR", &dir)
        .env("STDB_TEST_LIB_DIR", lib_dir());
    client_env(&mut cmd, &db, &dir.join("config"));
    let out = run(cmd, Duration::from_secs(300), "pytest")?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() || !stdout.contains(" passed") || stdout.contains(" failed") || stdout.contains(" error") {
        return Err(describe("python3 -m pytest python/tests", &out));
    }
    println!("{stdout}");
    Ok(())
}

fn main() {
    let tests = vec![Live::with_result("pytest_against_a_live_server", || Ok(pytest_against_a_live_server()?))];
    harness::main(env!("CARGO_CRATE_NAME"), tests);
}
