//! stdb-bindings-gen: turns a SpacetimeDB module's schema (`RawModuleDefV9`) into C code over
//! stdb-client's C ABI (`PREFIX.h`, `PREFIX.c`) and a header-only C++17 wrapper (`PREFIX.hpp`).
//!
//! One module per concern: [`model`] (schema → types and names), [`names`] (identifiers),
//! [`runtime`] (fixed C code), [`ctypes`] (C declarations), [`codec`] (per-type functions),
//! [`tables`], [`reducers`], [`cpp`] (the wrapper), [`input`] (where schemas come from).

pub mod codec;
pub mod cpp;
pub mod ctypes;
pub mod input;
pub mod model;
pub mod names;
pub mod reducers;
pub mod runtime;
pub mod tables;

use spacetimedb_lib::db::raw_def::v9::RawModuleDefV9;
use std::fmt::Write;

pub use model::Module;

/// The version written into generated files.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// The C ABI version (`STDB_ABI_VERSION`) the generated code is written against.
pub const ABI_VERSION: u32 = 1;

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
    model::build(raw, prefix, canonical_json(raw))
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
    output(model::build(&raw, &opts.prefix, embedded)?, opts)
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
        header: c_header(&m, opts),
        source: c_source(&m, opts),
        cpp: cpp::wrapper(&m, opts),
    })
}

/// The comment at the top of every file.
pub fn banner(m: &Module, opts: &Options, file: &str, what: &str) -> String {
    let checksum = fnv1a64(m.schema_json.as_bytes());
    format!(
        "/*\n * {file} — {what}\n * GENERATED by stdb-bindings-gen {VERSION} from {src}; do not edit.\n * Schema checksum (FNV-1a 64 of the embedded schema JSON): {checksum:016x}.\n * {nt} tables, {nr} callable reducers. Targets stdb_client.h ABI version {ABI_VERSION}.\n */\n",
        src = ctypes::comment_text(&opts.source),
        nt = m.tables.len(),
        nr = m.reducers.len()
    )
}

fn c_header(m: &Module, opts: &Options) -> String {
    let p = &m.prefix;
    let pu = p.to_ascii_uppercase();
    let mut s = banner(m, opts, &format!("{p}.h"), "C bindings for a SpacetimeDB module, over libstdb_client's C ABI.");
    let _ = write!(
        s,
        r#"/*
 * Usage
 *   stdb_connection_builder *b = stdb_connection_builder_new();
 *   {p}_register(b);                          embeds the schema, checks the library's ABI version
 *   ... set uri / module name / callbacks, stdb_connection_builder_build(b, &conn) ...
 *   {p}_db db; {p}_db_init(&db, conn);        table handles; then {p}_TABLE_count(&db), _find_by_COL, …
 *   {p}_reducer_NAME(conn, args..., STDB_CALL_FULL_UPDATE);
 *   {p}_db_free(&db); stdb_connection_free(conn);
 *
 * Conventions (as stdb_client.h): fallible functions return 0 on success, else an error code
 * (`stdb_result` or {pu}_ERR_*), with details in `{p}_last_error()`; outputs are written only on
 * success. Owned values (decoded rows, row lists, strings) are released with their type's `_free`.
 *
 * Define {pu}_CODEC_ONLY before including this header (and when compiling {p}.c) to use only the
 * types and their codecs, without linking libstdb_client.
 */

#ifndef {pu}_H
#define {pu}_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "stdb_client.h"

#if !defined(STDB_ABI_VERSION) || STDB_ABI_VERSION != {ABI_VERSION}
#error "{p}.h was generated for stdb_client.h ABI version {ABI_VERSION}; regenerate it with a stdb-bindings-gen matching your stdb_client.h"
#endif

#define {pu}_SCHEMA_CHECKSUM "{checksum:016x}"

#ifdef __cplusplus
extern "C" {{
#endif
"#,
        checksum = fnv1a64(m.schema_json.as_bytes())
    );
    s.push_str(&runtime::expand(runtime::HEADER, p));
    s.push_str("\n/* Builtin types' functions (see above for what each does). */\n");
    for (t, _) in model::BUILTINS {
        s.push_str(&ctypes::prototypes(m, t));
    }
    s.push_str("\n/* ==== Module types ================================================================================ */\n\n");
    for t in &m.order {
        s.push_str(&ctypes::definition(m, t));
        s.push('\n');
    }
    for t in &m.order {
        s.push_str(&ctypes::prototypes(m, t));
        s.push('\n');
    }
    let _ = writeln!(s, "/* The embedded schema (canonical SATS-JSON of RawModuleDefV9), appended to `out`. */");
    let _ = writeln!(s, "int32_t {p}_schema_json({p}_buffer *out);\n");
    let _ = writeln!(s, "#ifndef {pu}_CODEC_ONLY\n");
    let _ = writeln!(
        s,
        "/* Gives the builder the embedded schema (so none is fetched at connect, and tables can be looked up\n * as soon as the connection is built), after checking that the library's ABI version is the one this\n * code was compiled against ({pu}_ERR_ABI_MISMATCH if not). */\nint32_t {p}_register(stdb_connection_builder *builder);\n"
    );
    s.push_str(&tables::header(m));
    s.push_str(&reducers::header(m));
    let _ = writeln!(s, "#endif /* {pu}_CODEC_ONLY */\n");
    let _ = writeln!(s, "#ifdef __cplusplus\n}} /* extern \"C\" */\n#endif\n\n#endif /* {pu}_H */");
    s
}

/// The schema as C string literals of at most `CHUNK` bytes each (ISO C only promises 4095).
fn schema_chunks(json: &str) -> String {
    const CHUNK: usize = 4000;
    const LINE: usize = 100;
    let bytes = json.as_bytes();
    let mut s = String::new();
    for chunk in bytes.chunks(CHUNK) {
        s.push_str("    ");
        for (k, line) in chunk.chunks(LINE).enumerate() {
            if k > 0 {
                s.push_str("\n    ");
            }
            // SAFETY-free: escape byte-wise (c_lit works on bytes of a str; rebuild from bytes).
            let mut lit = String::from("\"");
            for &b in line {
                match b {
                    b'"' => lit.push_str("\\\""),
                    b'\\' => lit.push_str("\\\\"),
                    b'?' => lit.push_str("\\?"),
                    0x20..=0x7e => lit.push(b as char),
                    _ => {
                        let _ = write!(lit, "\\{b:03o}");
                    }
                }
            }
            lit.push('"');
            s.push_str(&lit);
        }
        s.push_str(",\n");
    }
    s
}

fn c_source(m: &Module, opts: &Options) -> String {
    let p = &m.prefix;
    let pu = p.to_ascii_uppercase();
    let mut s = banner(m, opts, &format!("{p}.c"), "C bindings for a SpacetimeDB module (implementation).");
    let _ = writeln!(
        s,
        "\n#include \"{p}.h\"\n\n#include <float.h>\n#include <stdarg.h>\n#include <stdio.h>\n#include <stdlib.h>\n#include <string.h>\n"
    );
    s.push_str(&runtime::expand(runtime::SOURCE, p));
    s.push_str("\n/* ==== Module types ================================================================================ */\n\n");
    for t in &m.order {
        s.push_str(&codec::functions(m, t));
    }
    let _ =
        writeln!(s, "/* ==== Schema ====================================================================================== */\n");
    let _ = writeln!(s, "static const char *const {p}_schema_chunks[] = {{\n{}}};\n", schema_chunks(&m.schema_json));
    let _ = writeln!(
        s,
        "int32_t {p}_schema_json({p}_buffer *out) {{\n    size_t i;\n    int32_t rc;\n    for (i = 0; i < sizeof {p}_schema_chunks / sizeof {p}_schema_chunks[0]; i++)\n        if ((rc = {p}_buffer_append(out, {p}_schema_chunks[i], strlen({p}_schema_chunks[i]))) != STDB_OK) return rc;\n    return STDB_OK;\n}}\n"
    );
    let _ = writeln!(s, "#ifndef {pu}_CODEC_ONLY\n");
    s.push_str(&tables::source(m));
    let _ = writeln!(
        s,
        "int32_t {p}_register(stdb_connection_builder *builder) {{\n    {p}_buffer json;\n    int32_t rc;\n    if (!builder) {{\n        {p}_set_error(\"register: builder is NULL\");\n        return STDB_ERR_NULL;\n    }}\n    if (stdb_abi_version() != STDB_ABI_VERSION) {{\n        {p}_set_error(\"libstdb_client has ABI version %u, but {p} was compiled against stdb_client.h with ABI version %u: \"\n                      \"rebuild with the header that matches the library\",\n                      (unsigned)stdb_abi_version(), (unsigned)STDB_ABI_VERSION);\n        return {pu}_ERR_ABI_MISMATCH;\n    }}\n    memset(&json, 0, sizeof json);\n    rc = {p}_schema_json(&json);\n    if (rc == STDB_OK)\n        rc = {p}_lib_error(stdb_connection_builder_set_schema_json(builder, (const char *)json.data, json.len), \"registering the schema\");\n    else\n        {p}_set_error(\"out of memory\");\n    {p}_buffer_free(&json);\n    return rc;\n}}\n"
    );
    s.push_str(&reducers::source(m));
    let _ = writeln!(s, "#endif /* {pu}_CODEC_ONLY */");
    s
}
