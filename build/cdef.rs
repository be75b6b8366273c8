// Generates `include/stdb_client.cdef.h`: the declarations of `stdb_client.h` in the form FFI
// hosts parse themselves (LuaJIT's `ffi.cdef`, Python cffi's `ffi.cdef()`), from the same cbindgen
// run and cbindgen.toml as the header. Included (after build/header.rs) by tests/cdef.rs, whose
// drift test compares a fresh generation with the committed file; no build step writes it.
//
// Those parsers have no preprocessor, so the file has no `#` lines: no include guard, no
// includes (both hosts know the fixed-width types, `size_t` and `bool`), the C branch of every
// `#ifdef __cplusplus`, and every integer `#define` turned into an anonymous enum constant,
// which both hosts expose by name (`ffi.C.STDB_OK`, `lib.STDB_OK`). String macros have no enum
// form and are left out (`stdb_version()` gives the same string at run time).

/// Generates the FFI declarations file's text for the crate at `crate_dir` with version `version`.
pub fn generate_cdef(crate_dir: &std::path::Path, version: &str) -> Result<String, String> {
    let header = generate_header(crate_dir, version).map_err(|e| e.to_string())?;
    let mut config = header.config.clone();
    // The C form, without preprocessor lines or comments; cbindgen then emits repr(i32) enums as
    // `enum name { … }; typedef int32_t name;`, valid C for both parsers.
    config.cpp_compat = false;
    config.include_guard = None;
    config.pragma_once = false;
    config.sys_includes = Vec::new();
    config.includes = Vec::new();
    config.no_includes = true;
    config.documentation = false;
    config.header = None;
    config.trailer = None;
    config.autogen_warning = None;
    config.include_version = false;
    let bindings = cbindgen::Builder::new().with_crate(crate_dir).with_config(config).generate().map_err(|e| e.to_string())?;
    let mut raw = Vec::new();
    bindings.write(&mut raw);
    let raw = String::from_utf8(raw).map_err(|e| e.to_string())?;

    let mut out = String::from(concat!(
        "/* stdb_client.cdef.h: the declarations of stdb_client.h for FFI hosts without a C preprocessor\n",
        " * (LuaJIT ffi.cdef, Python cffi ffi.cdef). GENERATED from the same sources (build/cdef.rs); do\n",
        " * not edit. A test fails when this committed file differs from a fresh generation.\n",
        " * Documentation: stdb_client.h. Threads: a LuaJIT callback must never run on another thread;\n",
        " * see stdb_set_logger and stdb_run_threaded there. */\n",
    ));
    let mut blank = false;
    for line in raw.lines() {
        let trimmed = line.trim();
        if let Some(def) = trimmed.strip_prefix("#define ") {
            let mut parts = def.splitn(2, char::is_whitespace);
            let name = parts.next().unwrap_or("");
            let value = parts.next().unwrap_or("").trim();
            if value.starts_with('"') {
                continue; // a string macro: no enum form
            }
            if value.parse::<i32>().is_err() {
                return Err(format!("#define {name} {value}: not an int32 constant, cannot be an enum"));
            }
            out.push_str(&format!("enum {{ {name} = {value} }};\n"));
            blank = false;
        } else if trimmed.starts_with('#') {
            return Err(format!("unexpected preprocessor line in the C form: {trimmed}"));
        } else if trimmed.is_empty() {
            // One blank line between declarations; none inside a run of constants.
            if !blank && !out.ends_with(" };\n") {
                out.push('\n');
            }
            blank = true;
        } else {
            if out.ends_with(" };\n") {
                out.push('\n'); // after the constants
            }
            out.push_str(line.trim_end());
            out.push('\n');
            blank = false;
        }
    }
    while out.ends_with("\n\n") {
        out.pop();
    }
    Ok(out)
}
