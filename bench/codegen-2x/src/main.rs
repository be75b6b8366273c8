//! The official SDK bindings of the bench module, for both generations, against live servers.
//!
//! `cargo run --release -p bench-codegen-2x` starts a local 2.8.3 server (stdb-testbed), publishes `tests/modules-2x/bench`,
//! saves `GET /v1/database/NAME/schema?version=10` as `bench/official-2x/bindings/schema.json`
//! and runs the official 2.8.3 code generator on it (`spacetimedb-codegen --lang rust`, the command
//! line from `../shared/servers`, unpacked by scripts/bench into the cache dir) into
//! `bench/official-2x/bindings/`.
//!
//! `bench-codegen-2x --check` writes nothing: it generates into a temporary directory and compares
//! the code with the committed files (not the schema text: its typespace order varies between
//! publishes of the same module), and also compares the 1.2.0 server's schema of `tests/modules/bench`
//! (`?version=9`) with `bench/official-bindings/schema.json` (those bindings come from
//! `bench-codegen`, which needs the 1.2.0 code generator crates). When anything is stale it prints
//! `stale official-2x` and/or `stale official` on stdout (scripts/bench regenerates those), a
//! line on stderr saying how to regenerate by hand, and exits with status 3.
use std::path::{Path, PathBuf};
use std::process::Command;
use stdb_testbed::{ModuleSet, Server, ServerKind};

type Res<T> = Result<T, Box<dyn std::error::Error>>;

fn bench_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The code generator: `$STDB_CODEGEN_2X`, else the copy scripts/bench unpacked into the cache.
fn codegen_binary() -> Res<PathBuf> {
    if let Some(p) = std::env::var_os("STDB_CODEGEN_2X") {
        return Ok(p.into());
    }
    let cache = match std::env::var_os("STDB_CACHE_DIR") {
        Some(d) => PathBuf::from(d),
        None => Path::new(&std::env::var_os("HOME").unwrap_or_else(|| "/tmp".into())).join(".cache/stdb-client"),
    };
    let p = cache.join(format!("codegen-{}/spacetimedb-codegen", stdb_testbed::SERVER_2X_VERSION));
    if p.is_file() {
        Ok(p)
    } else {
        Err(format!("{} is missing: scripts/bench unpacks it from ../shared/servers/spacetimedb-codegen-2.8.3.xz (or set STDB_CODEGEN_2X)", p.display()).into())
    }
}

/// Pretty-printed, so that a schema change reads well in a diff.
fn pretty(json: &str) -> Res<String> {
    let v: serde_json::Value = serde_json::from_str(json)?;
    Ok(serde_json::to_string_pretty(&v)? + "\n")
}

/// Runs the generator on `schema` into `out` (which is emptied of `.rs` files first).
fn generate(schema: &Path, out: &Path) -> Res<()> {
    std::fs::create_dir_all(out)?;
    for entry in std::fs::read_dir(out)? {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "rs") {
            std::fs::remove_file(&path)?;
        }
    }
    let status = Command::new(codegen_binary()?)
        .args(["--lang", "rust", "--schema"])
        .arg(schema)
        .arg("--out-dir")
        .arg(out)
        // Its "Writing file …" lines would mix with our stdout, which scripts/bench reads.
        .stdout(std::process::Stdio::null())
        .status()?;
    if !status.success() {
        return Err(format!("spacetimedb-codegen failed ({status})").into());
    }
    Ok(())
}

/// The `.rs` files of a directory and their text, sorted by name.
fn rs_files(dir: &Path) -> Res<Vec<(String, String)>> {
    let mut v = Vec::new();
    if dir.is_dir() {
        for entry in std::fs::read_dir(dir)? {
            let path = entry?.path();
            if path.extension().is_some_and(|e| e == "rs") {
                v.push((path.file_name().unwrap().to_string_lossy().into_owned(), std::fs::read_to_string(&path)?));
            }
        }
    }
    v.sort();
    Ok(v)
}

fn run() -> Res<bool> {
    let check = match std::env::args().nth(1).as_deref() {
        None => false,
        Some("--check") => true,
        Some(other) => return Err(format!("usage: bench-codegen-2x [--check] (got {other})").into()),
    };
    let committed = bench_dir().join("official-2x/bindings");
    let server = Server::start_of(ServerKind::V2_8)?;
    let db = server.publish_from(ModuleSet::V2, "bench")?;
    let schema = pretty(&db.schema_json_version(10)?)?;
    let mut fresh = true;
    if check {
        // Inside the repository, as the committed files are: the generator runs rustfmt, which
        // reads the repository's rustfmt.toml.
        let scratch = bench_dir().join("target");
        std::fs::create_dir_all(&scratch)?;
        let tmp = tempfile::tempdir_in(&scratch)?;
        let schema_path = tmp.path().join("schema.json");
        std::fs::write(&schema_path, &schema)?;
        let out = tmp.path().join("bindings");
        generate(&schema_path, &out)?;
        // The generated code is what matters: the server lists the typespace in no fixed order
        // (two publishes of one module give differently ordered schemas, the same code).
        if rs_files(&out)? != rs_files(&committed)? {
            println!("stale official-2x");
            eprintln!(
                "bench-codegen-2x: bench/official-2x/bindings is stale (the generator's output for the 2.8.3 server's schema of tests/modules-2x/bench differs); regenerate: cd bench && cargo run --release -p bench-codegen-2x"
            );
            fresh = false;
        }
        // The 1.2.0 bindings: the schema they were generated from against the live one.
        let server1 = Server::start_of(ServerKind::V1_2)?;
        let db1 = server1.publish_from(ModuleSet::V1, "bench")?;
        let live1 = pretty(&db1.schema_json_version(9)?)?;
        let old1 = std::fs::read_to_string(bench_dir().join("official-bindings/schema.json")).unwrap_or_default();
        if pretty(&old1).ok().as_deref() != Some(live1.as_str()) {
            println!("stale official");
            eprintln!(
                "bench-codegen-2x: bench/official-bindings is stale (the 1.2.0 server's schema of tests/modules/bench differs from its schema.json); regenerate: cd bench && cargo run --release -p bench-codegen"
            );
            fresh = false;
        }
    } else {
        std::fs::create_dir_all(&committed)?;
        let schema_path = committed.join("schema.json");
        std::fs::write(&schema_path, &schema)?;
        generate(&schema_path, &committed)?;
        eprintln!("bench-codegen-2x: wrote {} files to {}", rs_files(&committed)?.len(), committed.display());
    }
    Ok(fresh)
}

fn main() {
    match run() {
        Ok(true) => {}
        Ok(false) => std::process::exit(3),
        Err(e) => {
            eprintln!("bench-codegen-2x: {e}");
            std::process::exit(1);
        }
    }
}
