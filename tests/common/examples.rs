//! Helpers shared by tests/examples.rs and tests/python.rs: the library under its SONAME, shims
//! generated from the live server, compiling, and running programs with a time limit.
// Each of the two test binaries uses part of it.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use stdb_testbed::harness;

pub type R<T> = Result<T, String>;

pub fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// target/<profile> of this test binary.
pub fn target() -> PathBuf {
    std::env::current_exe().unwrap().parent().unwrap().parent().unwrap().to_path_buf()
}

/// A directory holding `libstdb_client.so.1` (the SONAME programs load) and `libstdb_client.so`
/// (for `-lstdb_client`), both links to this build's library.
pub fn lib_dir() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let lib = target().join("libstdb_client.so");
        assert!(lib.exists(), "{} is missing (cargo build -p stdb-client --lib)", lib.display());
        let dir = target().join("examples-lib");
        std::fs::create_dir_all(&dir).unwrap();
        for name in ["libstdb_client.so.1", "libstdb_client.so"] {
            let link = dir.join(name);
            let _ = std::fs::remove_file(&link);
            std::os::unix::fs::symlink(&lib, &link).unwrap();
        }
        dir
    })
}

/// A fresh directory for this test instance: target/examples-work/NAME-VARIANT.
pub fn work_dir(name: &str) -> PathBuf {
    let dir = target().join("examples-work").join(format!("{name}-{}", harness::current().suffix()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Writes PREFIX.h, PREFIX.c and PREFIX.hpp for `db`'s live schema (V10 from a 2.x server, V9 from
/// 1.x, as a user's `stdb-bindings-gen --server` gets it) into `dir`.
pub fn generate(db: &stdb_testbed::Database, prefix: &str, dir: &Path) -> R<()> {
    let version = if harness::current().server_kind() == stdb_testbed::ServerKind::V2_8 { 10 } else { 9 };
    let json = db.schema_json_version(version).map_err(|e| format!("schema of {}: {e}", db.name))?;
    let out = stdb_bindings_gen::generate_from_json(
        &json,
        &stdb_bindings_gen::Options { prefix: prefix.into(), source: format!("the live schema of {prefix}") },
    )?;
    std::fs::write(dir.join(format!("{prefix}.h")), out.header).unwrap();
    std::fs::write(dir.join(format!("{prefix}.c")), out.source).unwrap();
    std::fs::write(dir.join(format!("{prefix}.hpp")), out.cpp).unwrap();
    Ok(())
}

pub const CFLAGS: &[&str] = &["-std=c11", "-Wall", "-Wextra", "-Werror", "-pedantic", "-D_POSIX_C_SOURCE=200809L", "-g"];
pub const CXXFLAGS: &[&str] = &["-std=c++17", "-Wall", "-Wextra", "-Werror", "-g"];

/// Runs a compiler command; Err with its diagnostics if it fails.
pub fn compile(mut cmd: Command, what: &str) -> R<()> {
    let out = cmd.output().map_err(|e| format!("{what}: {e} (install gcc/g++)"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!("{what} failed:\n{}", String::from_utf8_lossy(&out.stderr)))
    }
}

/// `cc`/`c++` with the include paths and the link line for libstdb_client.
pub fn compiler(cxx: bool, gen: &Path) -> Command {
    let mut cmd = Command::new(if cxx { "c++" } else { "cc" });
    cmd.args(if cxx { CXXFLAGS } else { CFLAGS });
    cmd.arg("-I").arg(root().join("include")).arg("-I").arg(gen);
    cmd
}

pub fn link_args(cmd: &mut Command) {
    cmd.arg("-L").arg(lib_dir()).arg("-lstdb_client").arg(format!("-Wl,-rpath,{}", lib_dir().display()));
}

/// Environment for a client of `db`.
pub fn client_env(cmd: &mut Command, db: &stdb_testbed::Database, config: &Path) {
    cmd.env("STDB_URI", &db.http_url).env("STDB_DATABASE", &db.name).env("STDB_CLIENT_CONFIG_DIR", config);
}

pub fn describe(what: &str, out: &Output) -> String {
    format!(
        "{what} exited with {:?}\n--- stdout\n{}\n--- stderr\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// Runs `cmd` (stdin closed) to completion within `limit`; Err if it times out.
pub fn run(mut cmd: Command, limit: Duration, what: &str) -> R<Output> {
    let child =
        cmd.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().map_err(|e| format!("{what}: {e}"))?;
    wait(child, limit, what)
}

/// Waits for `child` with a time limit (killing it on timeout).
pub fn wait(child: Child, limit: Duration, what: &str) -> R<Output> {
    let id = child.id();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    match rx.recv_timeout(limit) {
        Ok(out) => out.map_err(|e| format!("{what}: {e}")),
        Err(_) => {
            let _ = Command::new("kill").arg("-9").arg(id.to_string()).status();
            Err(format!("{what} timed out after {limit:?}"))
        }
    }
}

/// Runs `cmd` and requires success; returns its stdout.
pub fn run_ok(cmd: Command, limit: Duration, what: &str) -> R<String> {
    let out = run(cmd, limit, what)?;
    if !out.status.success() {
        return Err(describe(what, &out));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// A program running in the background whose stdout lines are collected as they come.
pub struct Running {
    child: Option<Child>,
    lines: mpsc::Receiver<String>,
    pub seen: Vec<String>,
    /// `wait_for` looks at lines from here on (after the previous match).
    cursor: usize,
    stdin: Option<std::process::ChildStdin>,
    what: String,
}

impl Running {
    pub fn spawn(mut cmd: Command, what: &str, keep_stdin: bool) -> R<Running> {
        let mut child = cmd
            .stdin(if keep_stdin { Stdio::piped() } else { Stdio::null() })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("{what}: {e}"))?;
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let stdin = child.stdin.take();
        Ok(Running { child: Some(child), lines: rx, seen: Vec::new(), cursor: 0, stdin, what: what.into() })
    }

    /// Waits until a line containing `text` is printed after the line the previous call matched;
    /// Err with everything seen on timeout.
    pub fn wait_for(&mut self, text: &str, limit: Duration) -> R<String> {
        if let Some(i) = self.seen[self.cursor..].iter().position(|l| l.contains(text)) {
            self.cursor += i + 1;
            return Ok(self.seen[self.cursor - 1].clone());
        }
        let end = Instant::now() + limit;
        loop {
            let left = end.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    self.seen.push(line.clone());
                    if line.contains(text) {
                        self.cursor = self.seen.len();
                        return Ok(line);
                    }
                }
                Err(_) => {
                    return Err(format!(
                        "{} did not print a line containing {text:?} within {limit:?}; it printed:\n{}",
                        self.what,
                        self.seen.join("\n")
                    ))
                }
            }
        }
    }

    pub fn write_line(&mut self, line: &str) -> R<()> {
        let stdin = self.stdin.as_mut().ok_or("no stdin")?;
        writeln!(stdin, "{line}").and_then(|_| stdin.flush()).map_err(|e| format!("writing to {}: {e}", self.what))
    }

    /// Waits for the exit (stdin closed first); returns every stdout line and the stderr text.
    pub fn finish(mut self, limit: Duration) -> R<(String, String)> {
        drop(self.stdin.take());
        let out = wait(self.child.take().unwrap(), limit, &self.what)?;
        while let Ok(l) = self.lines.recv_timeout(Duration::from_millis(500)) {
            self.seen.push(l);
        }
        let stdout = self.seen.join("\n");
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        if !out.status.success() {
            return Err(format!("{} exited with {:?}\n--- stdout\n{stdout}\n--- stderr\n{stderr}", self.what, out.status.code()));
        }
        Ok((stdout, stderr))
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}
