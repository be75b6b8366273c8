//! Builds every C program in tests/c/ against libstdb_client.so and runs it against a live
//! server (a fresh `sdk-test` database each), twice: compiled with AddressSanitizer + UBSan, and
//! plain under valgrind (zero errors, no definite or indirect leaks). Each runs on both servers
//! (`::v1_2`, `::v2_8`; see stdb_testbed::harness). Programs named `dl_*` load the library
//! themselves with `dlopen` (they are not linked with it); `STDB_LIBRARY` names it.
//!
//! Under scripts/tsan (the library built with `-Zsanitizer=thread`, `STDB_TSAN_RT` naming the Rust
//! toolchain's ThreadSanitizer runtime archive) the multi-threaded programs are also listed as
//! `tsan::NAME`: compiled by clang with `-fsanitize=thread` and linked with that one runtime, the
//! one the library's instrumentation was built for.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::Duration;
use stdb_testbed::harness::{self, libtest_mimic::Failed, libtest_mimic::Trial, Live};

const CFLAGS: &[&str] = &["-std=c11", "-Wall", "-Wextra", "-Werror", "-pedantic", "-D_POSIX_C_SOURCE=200809L", "-g"];

/// The repository root (not this crate's manifest dir: scripts/tsan builds this file from tsan/).
fn root() -> &'static Path {
    static ROOT: OnceLock<PathBuf> = OnceLock::new();
    ROOT.get_or_init(stdb_testbed::repo_root)
}

/// A directory holding `libstdb_client.so.1` (the SONAME the programs load) for this build.
fn lib_dir() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let target = std::env::current_exe().unwrap().parent().unwrap().parent().unwrap().to_path_buf();
        // Built as this package's library, or (scripts/tsan's crate) as a dependency's, in deps/.
        let lib = [target.join("libstdb_client.so"), target.join("deps/libstdb_client.so")]
            .into_iter()
            .find(|l| l.exists())
            .unwrap_or_else(|| panic!("{} is missing", target.join("libstdb_client.so").display()));
        let dir = target.join("c-tests");
        std::fs::create_dir_all(&dir).unwrap();
        let link = dir.join("libstdb_client.so.1");
        let _ = std::fs::remove_file(&link);
        std::os::unix::fs::symlink(&lib, &link).unwrap();
        let dev = dir.join("libstdb_client.so");
        let _ = std::fs::remove_file(&dev);
        std::os::unix::fs::symlink(&lib, &dev).unwrap();
        dir
    })
}

/// A `dl_*` program loads the library with `dlopen` instead of being linked with it.
fn loads_itself(source: &Path) -> bool {
    source.file_name().is_some_and(|n| n.to_string_lossy().starts_with("dl_"))
}

/// The C programs with threads of their own or `stdb_run_threaded`, run under ThreadSanitizer.
const TSAN_PROGRAMS: &[&str] = &["threads", "api_coverage"];

/// Builds `source` for ThreadSanitizer: clang instruments the C code, and the program is linked
/// with the Rust toolchain's TSan runtime `rt` (a clang runtime of another LLVM version may lack
/// entry points the library's instrumentation calls); `-rdynamic` lets the library resolve them.
fn build_tsan(source: &Path, rt: &Path) -> Result<PathBuf, Failed> {
    let name = source.file_stem().unwrap().to_string_lossy();
    let exe = lib_dir().join(format!("{name}-tsan-{}", harness::current().suffix()));
    let obj = exe.with_extension("o");
    let mut cc = Command::new("clang");
    cc.args(CFLAGS).args(["-fsanitize=thread", "-fno-omit-frame-pointer", "-c"]);
    cc.arg("-I").arg(root().join("include")).arg("-I").arg(root().join("tests/c")).arg(source).arg("-o").arg(&obj);
    let mut link = Command::new("clang");
    link.arg(&obj).arg("-rdynamic").arg("-Wl,--whole-archive").arg(rt).arg("-Wl,--no-whole-archive");
    link.arg("-L").arg(lib_dir()).arg("-lstdb_client").arg(format!("-Wl,-rpath,{}", lib_dir().display()));
    link.args(["-lpthread", "-ldl", "-lm", "-lrt", "-lstdc++"]).arg("-o").arg(&exe);
    for mut cmd in [cc, link] {
        let out = cmd.output().map_err(|e| format!("clang: {e} (install clang)"))?;
        if !out.status.success() {
            return Err(format!("building {} for TSan:\n{}", source.display(), String::from_utf8_lossy(&out.stderr)).into());
        }
    }
    Ok(exe)
}

fn run_tsan(source: &Path, rt: &Path) -> Result<(), Failed> {
    let exe = build_tsan(source, rt)?;
    let db = harness::try_publish("sdk-test").map_err(|e| e.to_string())?;
    let home = tempfile::tempdir().map_err(|e| e.to_string())?;
    let mut cmd = Command::new(&exe);
    cmd.env("STDB_URI", &db.http_url).env("STDB_DATABASE", &db.name).env("HOME", home.path());
    // scripts/tsan sets TSAN_OPTIONS (suppressions, halt_on_error); a report fails the program.
    let out = run_with_timeout(cmd, Duration::from_secs(300))?;
    let stderr = String::from_utf8_lossy(&out.stderr);
    if out.status.success() && !stderr.contains("WARNING: ThreadSanitizer") {
        Ok(())
    } else {
        Err(format!(
            "{} exited with {:?}\n--- stdout\n{}\n--- stderr\n{stderr}",
            exe.display(),
            out.status.code(),
            String::from_utf8_lossy(&out.stdout)
        )
        .into())
    }
}

fn build(source: &Path, sanitize: bool) -> Result<PathBuf, Failed> {
    let name = source.file_stem().unwrap().to_string_lossy();
    // One executable per variant: the instances of a program run in parallel.
    let variant = harness::current().suffix();
    let exe = lib_dir().join(format!("{name}{}-{variant}", if sanitize { "-asan" } else { "" }));
    let mut cmd = Command::new("cc");
    cmd.args(CFLAGS);
    if sanitize {
        cmd.args(["-fsanitize=address,undefined", "-fno-omit-frame-pointer", "-fno-sanitize-recover=undefined"]);
    }
    cmd.arg("-I").arg(root().join("include")).arg("-I").arg(root().join("tests/c")).arg(source);
    if loads_itself(source) {
        cmd.arg("-ldl").arg("-lpthread");
    } else {
        cmd.arg("-L").arg(lib_dir()).arg("-lstdb_client").arg("-lpthread").arg(format!("-Wl,-rpath,{}", lib_dir().display()));
    }
    cmd.arg("-o").arg(&exe);
    let out = cmd.output().map_err(|e| format!("cc: {e} (install gcc)"))?;
    if !out.status.success() {
        return Err(format!("compiling {}:\n{}", source.display(), String::from_utf8_lossy(&out.stderr)).into());
    }
    Ok(exe)
}

fn run(source: &Path, valgrind: bool) -> Result<(), Failed> {
    let exe = build(source, !valgrind)?;
    let db = harness::try_publish("sdk-test").map_err(|e| e.to_string())?;
    let home = tempfile::tempdir().map_err(|e| e.to_string())?;
    let mut cmd = if valgrind {
        let mut c = Command::new("valgrind");
        c.args(["-q", "--error-exitcode=97", "--leak-check=full", "--errors-for-leak-kinds=definite,indirect"]);
        c.args(["--show-leak-kinds=definite,indirect"]);
        if loads_itself(source) {
            // Reports about a library unloaded by then still name its functions; the one static a
            // dependency never frees is suppressed (see the file).
            c.args(["--keep-debuginfo=yes", "--num-callers=50"])
                .arg(format!("--suppressions={}", root().join("tests/c/unload.supp").display()));
        }
        c.arg(&exe);
        c
    } else {
        Command::new(&exe)
    };
    cmd.env("STDB_URI", &db.http_url).env("STDB_DATABASE", &db.name).env("HOME", home.path());
    cmd.env("STDB_LIBRARY", lib_dir().join("libstdb_client.so.1"));
    // LeakSanitizer cannot name the frames of a library unloaded before the exit, so it could not
    // tell the one known static (tests/c/unload.supp) from a real leak: valgrind checks the leaks
    // of the dl_* programs, ASan their memory errors.
    let leaks = if loads_itself(source) { "detect_leaks=0" } else { "detect_leaks=1" };
    cmd.env("ASAN_OPTIONS", format!("{leaks}:abort_on_error=0")).env("UBSAN_OPTIONS", "print_stacktrace=1:halt_on_error=1");
    let out = run_with_timeout(cmd, Duration::from_secs(if valgrind { 600 } else { 180 }))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{} exited with {:?}\n--- stdout\n{}\n--- stderr\n{}",
            exe.display(),
            out.status.code(),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
        .into())
    }
}

fn run_with_timeout(mut cmd: Command, limit: Duration) -> Result<std::process::Output, Failed> {
    use std::process::Stdio;
    let child = cmd.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().map_err(|e| format!("spawn: {e}"))?;
    let id = child.id();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    match rx.recv_timeout(limit) {
        Ok(out) => out.map_err(|e| e.to_string().into()),
        Err(_) => {
            let _ = Command::new("kill").arg("-9").arg(id.to_string()).status();
            Err(format!("timed out after {limit:?}").into())
        }
    }
}

fn main() {
    let mut sources: Vec<PathBuf> = std::fs::read_dir(root().join("tests/c"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "c"))
        .collect();
    sources.sort();
    let valgrind_present = Command::new("valgrind").arg("--version").output().is_ok_and(|o| o.status.success());
    let mut live = Vec::new();
    for src in sources {
        let name = src.file_stem().unwrap().to_string_lossy().to_string();
        let s = src.clone();
        live.push(Live::with_result(format!("asan_ubsan::{name}"), move || run(&s, false)));
        let s = src.clone();
        live.push(Live::with_result(format!("valgrind::{name}"), move || {
            if !valgrind_present {
                return Err("valgrind is not installed: run scripts/setup (apt-get install valgrind)".into());
            }
            run(&s, true)
        }));
        if let Some(rt) = std::env::var_os("STDB_TSAN_RT").filter(|_| TSAN_PROGRAMS.contains(&name.as_str())) {
            let s = src.clone();
            let rt = PathBuf::from(rt);
            live.push(Live::with_result(format!("tsan::{name}"), move || run_tsan(&s, &rt)));
        }
    }
    let mut trials = harness::trials(env!("CARGO_CRATE_NAME"), live);
    // The API coverage program must mention every function the header declares.
    trials.push(Trial::test("api_coverage_calls_every_header_function", || {
        let header = std::fs::read_to_string(root().join("include/stdb_client.h")).unwrap();
        // The program and the helpers it includes.
        let program = std::fs::read_to_string(root().join("tests/c/api_coverage.c")).unwrap()
            + &std::fs::read_to_string(root().join("tests/c/ctest.h")).unwrap();
        let missing: Vec<String> = header
            .match_indices("stdb_")
            .filter_map(|(i, _)| {
                let ident: String = header[i..].chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
                header[i + ident.len()..].starts_with('(').then_some(ident)
            })
            .filter(|f| !program.contains(&format!("{f}(")))
            .collect();
        if missing.is_empty() {
            Ok(())
        } else {
            Err(format!("tests/c/api_coverage.c does not call: {missing:?}").into())
        }
    }));
    harness::run(trials);
}
