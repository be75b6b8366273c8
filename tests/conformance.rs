//! The conformance suite in C (issue 7): every case of the official Rust SDK's end-to-end list,
//! plus the cases no official SDK passes, as C programs in tests/conformance/ that touch rows and
//! reducer arguments only through the generated shims (`conf.h`, `lifecycle.h`) and the C ABI.
//!
//! Every case runs on both servers (`::v1_2` with the 1.2.0-built modules, `::v2_8` with the
//! 2.8.3-built ones; see stdb_testbed::harness). Per test process and server: the schemas are
//! fetched from the live server (a freshly published database of each module), `stdb-bindings-gen`
//! (the library) generates the shims, and each generated `.c` is compiled once with
//! AddressSanitizer + UBSan at -O0. Per case: the program is linked against that object and
//! libstdb_client.so, a fresh database is published, and the program runs under ASan/UBSan with a
//! timeout. Programs run in parallel (libtest-mimic threads).
//!
//! Header lines in a program select what the runner does:
//! - `// conformance-module: NAME` — the module to publish (default `conformance`);
//! - `// conformance-cases: a b c` — one libtest trial per case, the program gets the case as
//!   argv[1] (default: one trial named after the file, no argument);
//! - `// conformance-servers: v2_8` — only on that server (a module of 2.x-only features);
//! - `// conformance-ignore: CASE reason` — the trial is ignored, with the reason in its name;
//!   `// conformance-ignore(v2_8): CASE reason` ignores it on that server only.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::{Mutex, OnceLock};
use std::time::Duration;
use stdb_testbed::harness::{self, libtest_mimic::Arguments, libtest_mimic::Failed, Live, Variant};

const CFLAGS: &[&str] = &["-std=c11", "-g", "-O0", "-D_POSIX_C_SOURCE=200809L"];
const WARN: &[&str] = &["-Wall", "-Wextra", "-Werror", "-Wno-unused-function"];
const SANITIZE: &[&str] = &["-fsanitize=address,undefined", "-fno-omit-frame-pointer", "-fno-sanitize-recover=undefined"];
const TIMEOUT: Duration = Duration::from_secs(240);

/// Module directory name → prefix of its generated shims.
const SHIMS: &[(&str, &str)] = &[("conformance", "conf"), ("connect-disconnect", "lifecycle"), ("conformance-2x", "conf2")];

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// target/debug (this test binary lives in target/debug/deps).
fn target_dir() -> PathBuf {
    std::env::current_exe().unwrap().parent().unwrap().parent().unwrap().to_path_buf()
}

/// A directory holding `libstdb_client.so.1` (the SONAME the programs load), the generated shims
/// and their objects, and the linked programs.
fn work_dir() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let target = target_dir();
        let lib = target.join("libstdb_client.so");
        assert!(lib.exists(), "{} is missing", lib.display());
        let dir = target.join("conformance");
        std::fs::create_dir_all(&dir).unwrap();
        for name in ["libstdb_client.so.1", "libstdb_client.so"] {
            let link = dir.join(name);
            let _ = std::fs::remove_file(&link);
            std::os::unix::fs::symlink(&lib, &link).unwrap();
        }
        dir
    })
}

fn run_cc(mut cmd: Command, what: &str) -> Result<(), String> {
    let out = cmd.output().map_err(|e| format!("cc: {e} (install gcc)"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!("{what}:\n{}", String::from_utf8_lossy(&out.stderr)))
    }
}

/// The directory of the current server's generated shims (they may differ between servers).
fn gen_dir() -> PathBuf {
    work_dir().join(format!("gen-{}", harness::current().suffix()))
}

/// Generates `module`'s shims from the schema the current server serves and compiles them once
/// per server. Returns the object file.
fn shim_object(module: &'static str) -> Result<PathBuf, String> {
    type Objects = std::collections::HashMap<(Variant, &'static str), Result<PathBuf, String>>;
    static OBJECTS: OnceLock<Mutex<Objects>> = OnceLock::new();
    let objects = OBJECTS.get_or_init(Default::default);
    let mut map = objects.lock().unwrap();
    let key = (harness::current(), module);
    if let Some(r) = map.get(&key) {
        return r.clone();
    }
    let r = (|| {
        let prefix = SHIMS.iter().find(|(m, _)| *m == module).map(|(_, p)| *p).ok_or(format!("no shims for {module}"))?;
        let db = harness::try_publish(module).map_err(|e| format!("publishing {module}: {e}"))?;
        // The schema a user's generator would fetch: V10 from a 2.x server, V9 from 1.x.
        let version = if harness::current().server_kind() == stdb_testbed::ServerKind::V2_8 { 10 } else { 9 };
        let json = db.schema_json_version(version).map_err(|e| format!("schema of {module}: {e}"))?;
        let out = stdb_bindings_gen::generate_from_json(
            &json,
            &stdb_bindings_gen::Options { prefix: prefix.into(), source: format!("the live schema of module {module}") },
        )?;
        let dir = gen_dir();
        std::fs::create_dir_all(&dir).unwrap();
        let header = dir.join(format!("{prefix}.h"));
        let source = dir.join(format!("{prefix}.c"));
        let object = dir.join(format!("{prefix}.o"));
        // Recompile only when the generated source changed (the object survives across runs).
        let unchanged = std::fs::read_to_string(&source).is_ok_and(|s| s == out.source)
            && std::fs::read_to_string(&header).is_ok_and(|s| s == out.header)
            && object.is_file();
        if !unchanged {
            let _ = std::fs::remove_file(&object);
            std::fs::write(&header, &out.header).unwrap();
            std::fs::write(&source, &out.source).unwrap();
            let tmp = dir.join(format!("{prefix}.o.tmp"));
            let mut cc = Command::new("nice");
            cc.arg("cc").args(CFLAGS).args(SANITIZE).arg("-I").arg(root().join("include"));
            cc.arg("-c").arg(&source).arg("-o").arg(&tmp);
            run_cc(cc, &format!("compiling the generated {prefix}.c"))?;
            std::fs::rename(&tmp, &object).unwrap();
        }
        Ok(object)
    })();
    map.insert(key, r.clone());
    r
}

struct Program {
    source: PathBuf,
    name: String,
    module: &'static str,
    cases: Vec<String>,
    /// The servers to run on (default: both).
    variants: &'static [Variant],
    /// (server suffix or None for every server, case, reason).
    ignored: Vec<(Option<String>, String, String)>,
}

fn parse_program(source: PathBuf) -> Program {
    let text = std::fs::read_to_string(&source).unwrap();
    let name = source.file_stem().unwrap().to_string_lossy().to_string();
    let mut module = "conformance";
    let mut cases = Vec::new();
    let mut ignored = Vec::new();
    let mut variants = harness::BOTH;
    for line in text.lines() {
        if let Some(m) = line.strip_prefix("// conformance-module:") {
            module = SHIMS
                .iter()
                .find(|(n, _)| *n == m.trim())
                .map(|(n, _)| *n)
                .unwrap_or_else(|| panic!("{name}: unknown module {m}"));
        } else if let Some(c) = line.strip_prefix("// conformance-cases:") {
            cases.extend(c.split_whitespace().map(String::from));
        } else if let Some(servers) = line.strip_prefix("// conformance-servers:") {
            variants = match servers.trim() {
                "v2_8" => &[Variant::V2_8],
                "v1_2" => &[Variant::V1_2],
                other => panic!("{name}: unknown servers {other}"),
            };
        } else if let Some(rest) = line.strip_prefix("// conformance-ignore") {
            let (server, c) = match rest.strip_prefix('(') {
                Some(r) => {
                    let (server, c) = r.split_once("):").unwrap_or_else(|| panic!("{name}: bad line {line}"));
                    (Some(server.to_string()), c)
                }
                None => (None, rest.strip_prefix(':').unwrap_or_else(|| panic!("{name}: bad line {line}"))),
            };
            let c = c.trim();
            let (case, reason) = c.split_once(' ').unwrap_or((c, ""));
            ignored.push((server, case.to_string(), reason.trim().to_string()));
        }
    }
    Program { source, name, module, cases, variants, ignored }
}

/// Links one program (once per process and server, whatever the number of its cases).
fn build(p: &Program) -> Result<PathBuf, String> {
    type Built = std::collections::HashMap<(Variant, String), Result<PathBuf, String>>;
    static BUILT: OnceLock<Mutex<Built>> = OnceLock::new();
    // Shims first (outside the map lock: generating may take a while and other programs wait on
    // the shims' own lock anyway).
    let obj = shim_object(p.module)?;
    let built = BUILT.get_or_init(Default::default);
    let mut map = built.lock().unwrap();
    let key = (harness::current(), p.name.clone());
    if let Some(r) = map.get(&key) {
        return r.clone();
    }
    let exe = work_dir().join(format!("{}-{}", p.name, harness::current().suffix()));
    let mut cc = Command::new("nice");
    cc.arg("cc").args(CFLAGS).args(WARN).args(SANITIZE);
    cc.arg("-I").arg(gen_dir()).arg("-I").arg(root().join("include")).arg("-I").arg(root().join("tests/c"));
    cc.arg(&p.source).arg(&obj);
    cc.arg("-L").arg(work_dir()).arg("-lstdb_client").arg("-lpthread").arg(format!("-Wl,-rpath,{}", work_dir().display()));
    cc.arg("-o").arg(&exe);
    let r = run_cc(cc, &format!("compiling {}", p.source.display())).map(|_| exe);
    map.insert(key, r.clone());
    r
}

fn run_with_timeout(mut cmd: Command, limit: Duration) -> Result<Output, String> {
    let child = cmd.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().map_err(|e| format!("spawn: {e}"))?;
    let id = child.id();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    match rx.recv_timeout(limit) {
        Ok(out) => out.map_err(|e| e.to_string()),
        Err(_) => {
            let _ = Command::new("kill").arg("-9").arg(id.to_string()).status();
            Err(format!("timed out after {limit:?}"))
        }
    }
}

fn run_case(p: &Program, case: Option<&str>) -> Result<(), Failed> {
    let exe = build(p)?;
    let db = harness::try_publish(p.module).map_err(|e| format!("publishing {}: {e}", p.module))?;
    let home = tempfile::tempdir().map_err(|e| e.to_string())?;
    let mut cmd = Command::new(&exe);
    if let Some(c) = case {
        cmd.arg(c);
    }
    cmd.env("STDB_URI", &db.http_url).env("STDB_DATABASE", &db.name).env("HOME", home.path());
    cmd.env("XDG_CONFIG_HOME", home.path().join(".config"));
    cmd.env("ASAN_OPTIONS", "detect_leaks=1:abort_on_error=0").env("UBSAN_OPTIONS", "print_stacktrace=1:halt_on_error=1");
    let out = run_with_timeout(cmd, TIMEOUT)?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    // Every program ends a passing case with a line "PASS <case>".
    let want = format!("PASS {}", case.unwrap_or(&p.name));
    if out.status.success() && stdout.lines().any(|l| l.starts_with(&want)) {
        Ok(())
    } else {
        Err(format!(
            "{} {} exited with {:?}\n--- stdout\n{stdout}\n--- stderr\n{stderr}",
            exe.display(),
            case.unwrap_or(""),
            out.status.code()
        )
        .into())
    }
}

fn main() {
    let mut args = Arguments::from_args();
    // The programs mostly wait on the server: run more of them than there are cores.
    if args.test_threads.is_none() {
        let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2);
        args.test_threads = Some((cores * 2).clamp(2, 8));
    }
    let mut sources: Vec<PathBuf> = std::fs::read_dir(root().join("tests/conformance"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "c"))
        .collect();
    sources.sort();
    let programs: Vec<&'static Program> = sources.into_iter().map(|s| &*Box::leak(Box::new(parse_program(s)))).collect();
    let mut trials = Vec::new();
    for p in programs {
        let cases: Vec<Option<String>> =
            if p.cases.is_empty() { vec![None] } else { p.cases.iter().cloned().map(Some).collect() };
        for case in cases {
            let label = case.clone().unwrap_or_else(|| p.name.clone());
            let case = case.clone();
            let live =
                Live::with_result(format!("{}::{label}", p.name), move || run_case(p, case.as_deref())).variants(p.variants);
            for mut trial in harness::trials(env!("CARGO_CRATE_NAME"), vec![live]) {
                // An ignore line for every server, or for the one this instance runs on.
                let ignore = p.ignored.iter().find(|(server, c, _)| {
                    *c == label && server.as_ref().is_none_or(|s| trial.name().ends_with(&format!("::{s}")))
                });
                if let Some((_, _, reason)) = ignore {
                    eprintln!("conformance: {} ignored: {reason}", trial.name());
                    trial = trial.with_ignored_flag(true);
                }
                trials.push(trial);
            }
        }
    }
    harness::run_with_args(args, trials);
}
