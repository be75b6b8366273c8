//! Generates the official SDK's Rust bindings for the bench module into `bench/official-bindings/`.
//!
//! `cargo run --release -p bench-codegen` starts a local 1.2.0 server (stdb-testbed), publishes
//! `tests/modules/bench`, saves its schema (`GET /v1/database/NAME/schema?version=9`) as
//! `official-bindings/schema.json`, and generates the bindings from it.
//! `cargo run --release -p bench-codegen -- --from-schema FILE` generates from a saved schema
//! without a server.
//!
//! The schema is read through `SerdeWrapper<RawModuleDefV9>`, converted with
//! `ModuleDef::try_from`, and turned into Rust by `spacetimedb_codegen::generate(.., &Rust)` —
//! the same path `spacetime generate --lang rust` takes in 1.2.0.
use spacetimedb_codegen::{generate, Rust};
use spacetimedb_lib::db::raw_def::v9::RawModuleDefV9;
use spacetimedb_lib::sats::serde::SerdeWrapper;
use spacetimedb_schema::def::ModuleDef;
use std::path::{Path, PathBuf};

fn main() {
    if let Err(e) = run() {
        eprintln!("bench-codegen: {e}");
        std::process::exit(1);
    }
}

fn out_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../official-bindings")
}

fn run() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let out = out_dir();
    let schema_json = match args.as_slice() {
        [flag, file] if flag == "--from-schema" => std::fs::read_to_string(file)?,
        [] => {
            let server = stdb_testbed::Server::start()?;
            let db = server.publish("bench")?;
            let json = db.schema_json()?;
            // Pretty-printed so that a schema change reads well in a diff.
            let value: serde_json::Value = serde_json::from_str(&json)?;
            std::fs::create_dir_all(&out)?;
            std::fs::write(out.join("schema.json"), serde_json::to_string_pretty(&value)? + "\n")?;
            json
        }
        _ => return Err("usage: bench-codegen [--from-schema SCHEMA.json]".into()),
    };
    let raw: SerdeWrapper<RawModuleDefV9> = serde_json::from_str(&schema_json)?;
    let module_def = ModuleDef::try_from(raw.0).map_err(|e| format!("invalid module schema: {e:?}"))?;
    let files = generate(&module_def, &Rust);
    std::fs::create_dir_all(&out)?;
    // Remove stale generated files (a reducer or table that no longer exists), keep schema.json.
    for entry in std::fs::read_dir(&out)? {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "rs") {
            std::fs::remove_file(&path)?;
        }
    }
    for (name, text) in &files {
        std::fs::write(out.join(name), text)?;
    }
    eprintln!("bench-codegen: wrote {} files to {}", files.len(), out.display());
    Ok(())
}
