//! stdb-bindings-gen: turns a SpacetimeDB module's schema (`RawModuleDefV9`) into C code over
//! stdb-client's C ABI (`PREFIX.h`, `PREFIX.c`) and a header-only C++17 wrapper (`PREFIX.hpp`).
//!
//! This file only orchestrates: parse the schema, build the [`model`], render the templates.
//! The generated code is written as askama templates under `templates/` (one per generated
//! construct); the modules build what each template needs: [`files`] (the C files),
//! [`ctypes`] (C declarations), [`codec`] (per-type functions), [`tables`], [`reducers`],
//! [`cpp`] (the wrapper). [`names`] chooses identifiers, [`input`] finds schemas.

pub mod codec;
pub mod cpp;
pub mod ctypes;
pub mod files;
pub mod input;
pub mod model;
pub mod names;
pub mod reducers;
mod render;
pub mod rust;
pub mod tables;

use render::render;
use spacetimedb_lib::db::raw_def::v9::RawModuleDefV9;

pub use model::Module;

/// The version written into generated files.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// The C ABI version (`STDB_ABI_VERSION`) the generated code is written against: the library's,
/// from its single source.
pub const ABI_VERSION: u32 = include!("../../build/abi_version.txt");

/// How to generate.
#[derive(Clone, Debug)]
pub struct Options {
    /// Prefix of every generated identifier and the output file names; a valid C identifier.
    pub prefix: String,
    /// What the schema came from, for the header comment (no absolute paths or timestamps).
    pub source: String,
}

/// The three generated files.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Output {
    pub prefix: String,
    /// `PREFIX.h`
    pub header: String,
    /// `PREFIX.c`
    pub source: String,
    /// `PREFIX.hpp`
    pub cpp: String,
}

/// Parses a schema of either version: `RawModuleDefV10` as 2.x servers serve it
/// (`GET /v1/database/NAME/schema?version=10`), or `RawModuleDefV9` (`?version=9`, or wrapped as
/// `{"V9": …}` as `spacetimedb-standalone extract-schema` prints it), through the shared model of
/// `stdb-schema`, and gives it the V9 structure the generator is written against. What V9 cannot
/// hold (event flags, procedures, views, accessor names) is not generated yet.
pub fn parse_schema(json: &str) -> Result<RawModuleDefV9, String> {
    let def = stdb_schema::ModuleDef::from_json(json)?;
    Ok(stdb_schema::to_raw_v9(&def))
}

/// The schema as compact SATS-JSON, as the server serves it (what the generated code embeds).
pub fn canonical_json(raw: &RawModuleDefV9) -> String {
    serde_json::to_string(&spacetimedb_sats::serde::SerdeWrapper::new(raw)).expect("a RawModuleDefV9 always serializes")
}

/// A module or file name → a default prefix: lower case, `[a-z0-9_]`, not starting with a digit.
pub fn default_prefix(name: &str) -> String {
    let mut s: String = name.chars().map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '_' }).collect();
    if s.is_empty() || s.starts_with(|c: char| c.is_ascii_digit()) {
        s.insert_str(0, "m_");
    }
    s
}

/// Checks a user-given prefix.
pub fn check_prefix(prefix: &str) -> Result<(), String> {
    let ok = !prefix.is_empty()
        && prefix.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !prefix.starts_with(|c: char| c.is_ascii_digit())
        && !prefix.starts_with('_')
        && !prefix.starts_with("stdb_")
        && prefix != "stdb";
    if !ok {
        return Err(format!(
            "invalid prefix `{prefix}`: use letters, digits and `_`, starting with a letter (and not `stdb`, which the library uses)"
        ));
    }
    if names::is_reserved(prefix) {
        return Err(format!("invalid prefix `{prefix}`: it is a C or C++ keyword"));
    }
    Ok(())
}

/// FNV-1a 64-bit (a stable checksum for the header comment and `PREFIX_SCHEMA_CHECKSUM`).
pub fn fnv1a64(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= b as u64;
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// Builds the model (for tests and tools that want the type list).
pub fn build_model(raw: &RawModuleDefV9, prefix: &str) -> Result<Module, String> {
    check_prefix(prefix)?;
    model::build(raw, prefix, canonical_json(raw), &[])
}

/// Generates the three files from a schema's JSON text, V9 or V10. The code embeds the schema
/// for `PREFIX_register`: the text given when it describes more than V9 can (a V10 schema,
/// procedures, views), so the library learns everything the server said; else the canonical V9.
pub fn generate_from_json(json: &str, opts: &Options) -> Result<Output, String> {
    let def = stdb_schema::ModuleDef::from_json(json)?;
    let raw = stdb_schema::to_raw_v9(&def);
    let beyond_v9 = def.version == stdb_schema::SchemaVersion::V10 || !def.procedures.is_empty() || !def.views.is_empty();
    let embedded = if beyond_v9 { compact_json(json)? } else { canonical_json(&raw) };
    check_prefix(&opts.prefix)?;
    let event_tables: Vec<String> = def.tables.iter().filter(|t| t.is_event).map(|t| t.name.clone()).collect();
    output(model::build(&raw, &opts.prefix, embedded, &event_tables)?, opts)
}

/// Generates the Rust `module_bindings` files (`--lang rust`) from a schema's JSON text, V9 or
/// V10: `(file name, text)`, `mod.rs` first. The bindings embed the schema like the C code does.
pub fn generate_rust_from_json(json: &str, opts: &Options) -> Result<Vec<(String, String)>, String> {
    let def = stdb_schema::ModuleDef::from_json(json)?;
    let raw = stdb_schema::to_raw_v9(&def);
    let beyond_v9 = def.version == stdb_schema::SchemaVersion::V10 || !def.procedures.is_empty() || !def.views.is_empty();
    let embedded = if beyond_v9 { compact_json(json)? } else { canonical_json(&raw) };
    check_prefix(&opts.prefix)?;
    let event_tables: Vec<String> = def.tables.iter().filter(|t| t.is_event).map(|t| t.name.clone()).collect();
    rust::generate(&model::build(&raw, &opts.prefix, embedded, &event_tables)?, opts)
}

/// `json` without insignificant whitespace.
fn compact_json(json: &str) -> Result<String, String> {
    let v: serde_json::Value = serde_json::from_str(json).map_err(|e| format!("the schema is not JSON: {e}"))?;
    Ok(v.to_string())
}

/// Generates the three files.
pub fn generate(raw: &RawModuleDefV9, opts: &Options) -> Result<Output, String> {
    output(build_model(raw, &opts.prefix)?, opts)
}

fn output(m: Module, opts: &Options) -> Result<Output, String> {
    Ok(Output {
        prefix: opts.prefix.clone(),
        header: render(&files::CHeader::new(&m, opts))?,
        source: render(&files::CSource::new(&m, opts))?,
        cpp: render(&cpp::Wrapper::new(&m, opts))?,
    })
}
