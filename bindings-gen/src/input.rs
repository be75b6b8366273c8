//! Where schemas come from: a JSON file, a live server, or a module's `.wasm` (through
//! `spacetimedb-standalone extract-schema`).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

/// A schema's JSON text and a description of where it came from (for the header comment), plus
/// the name the default prefix derives from.
pub struct Loaded {
    pub json: String,
    pub source: String,
    pub name: String,
}

fn file_name(path: &Path) -> String {
    path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| path.display().to_string())
}

/// `sdk-test.schema.json` → `sdk-test`; `quickstart.wasm` → `quickstart`.
fn stem_name(path: &Path) -> String {
    let name = file_name(path);
    let name = name.strip_suffix(".json").unwrap_or(&name);
    let name = name.strip_suffix(".schema").unwrap_or(name);
    let name = name.strip_suffix(".wasm").unwrap_or(name);
    name.to_string()
}

pub fn from_file(path: &Path) -> Result<Loaded, String> {
    let json = std::fs::read_to_string(path).map_err(|e| format!("reading {}: {e}", path.display()))?;
    Ok(Loaded { json, source: format!("schema file {}", file_name(path)), name: stem_name(path) })
}

pub fn from_server(url: &str, database: &str) -> Result<Loaded, String> {
    let base = url.trim_end_matches('/');
    let base = if let Some(rest) = base.strip_prefix("ws://") {
        format!("http://{rest}")
    } else if let Some(rest) = base.strip_prefix("wss://") {
        format!("https://{rest}")
    } else {
        base.to_string()
    };
    // 2.x servers serve V10; 1.x servers answer 400 to it and serve V9.
    let agent = ureq::AgentBuilder::new().timeout(Duration::from_secs(30)).build();
    let mut last = String::new();
    for version in [10, 9] {
        let full = format!("{base}/v1/database/{database}/schema?version={version}");
        match agent.get(&full).call() {
            Ok(resp) => {
                let json = resp.into_string().map_err(|e| format!("reading the schema from {full}: {e}"))?;
                return Ok(Loaded {
                    json,
                    source: format!("database `{database}` (GET /v1/database/{database}/schema?version={version})"),
                    name: database.to_string(),
                });
            }
            Err(ureq::Error::Status(400, r)) if version == 10 => last = r.into_string().unwrap_or_default(),
            Err(ureq::Error::Status(404, _)) => return Err(format!("GET {full}: 404, no database named `{database}` on {base}")),
            Err(ureq::Error::Status(code, r)) => {
                return Err(format!("GET {full}: HTTP {code}: {}", r.into_string().unwrap_or_default()))
            }
            Err(other) => return Err(format!("GET {full}: {other}")),
        }
    }
    Err(format!("{base} serves neither schema version of `{database}`: {last}"))
}

/// The `spacetimedb-standalone` binaries to try, best first: `STDB_STANDALONE` (which must
/// exist), else `spacetimedb-standalone` on PATH, then the ones the test bed caches — 2.8.3
/// first, whose extractor reads modules of either generation (1.2.0's fails on 2.x modules).
pub fn find_standalones() -> Result<Vec<PathBuf>, String> {
    if let Some(p) = std::env::var_os("STDB_STANDALONE") {
        let p = PathBuf::from(p);
        return if p.is_file() { Ok(vec![p]) } else { Err(format!("STDB_STANDALONE={} does not exist", p.display())) };
    }
    let mut found = Vec::new();
    if let Some(path) = std::env::var_os("PATH") {
        found.extend(std::env::split_paths(&path).map(|d| d.join("spacetimedb-standalone")).filter(|c| c.is_file()).take(1));
    }
    if let Some(home) = std::env::var_os("HOME") {
        let cache = Path::new(&home).join(".cache/stdb-client");
        for c in ["server-2.8.3/spacetimedb-standalone", "server-1.2.0/bin/spacetimedb-standalone"] {
            let c = cache.join(c);
            if c.is_file() {
                found.push(c);
            }
        }
    }
    if found.is_empty() {
        return Err("not found on PATH nor in ~/.cache/stdb-client/server-{2.8.3,1.2.0}".into());
    }
    Ok(found)
}

pub fn from_wasm(path: &Path) -> Result<Loaded, String> {
    let bins = find_standalones().map_err(|why| {
        format!("--wasm needs the `spacetimedb-standalone` binary (its `extract-schema` subcommand), which was not found ({why}): set STDB_STANDALONE=/path/to/spacetimedb-standalone or put it on PATH, or use --schema/--server")
    })?;
    if !path.is_file() {
        return Err(format!("{} does not exist", path.display()));
    }
    let mut failures = Vec::new();
    for bin in &bins {
        match extract_schema(bin, path) {
            Ok(json) => {
                return Ok(Loaded {
                    json,
                    source: format!("module {} (spacetimedb-standalone extract-schema)", file_name(path)),
                    name: stem_name(path),
                })
            }
            Err(e) => failures.push(e),
        }
    }
    Err(failures.join("\n"))
}

/// Runs `bin extract-schema` on the module; its JSON (V9 from 1.x, V10 from 2.x).
fn extract_schema(bin: &Path, path: &Path) -> Result<String, String> {
    let out = Command::new(bin)
        .arg("extract-schema")
        .arg("--host-type")
        .arg("wasm")
        .arg(path)
        .output()
        .map_err(|e| format!("running {} extract-schema: {e}", bin.display()))?;
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        if err.contains("unrecognized subcommand") {
            return Err(format!(
                "{} has no `extract-schema` subcommand (SpacetimeDB 1.2.0 and 2.x have it); use --schema or --server instead",
                bin.display()
            ));
        }
        // The first lines say why; the rest is a backtrace.
        let why: Vec<&str> = err.lines().take(3).collect();
        return Err(format!(
            "{} extract-schema {} failed ({}): {}",
            bin.display(),
            path.display(),
            out.status,
            why.join(" ").trim()
        ));
    }
    String::from_utf8(out.stdout).map_err(|_| "extract-schema printed invalid UTF-8".to_string())
}
