//! `include/stdb_client.cdef.h`, the preprocessor-free declarations for FFI hosts: the committed
//! file is a fresh generation, it is valid C, and real LuaJIT (`ffi.cdef` + `ffi.load`) and real
//! Python cffi (`ffi.cdef` + `ffi.dlopen`) accept it as is and call the built library with it.
//!
//! Regenerate the committed file with `STDB_UPDATE_CDEF=1 cargo test --test cdef`.

use std::path::{Path, PathBuf};
use std::process::Command;

include!("../build/header.rs");
include!("../build/cdef.rs");

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn cdef_path() -> PathBuf {
    root().join("include/stdb_client.cdef.h")
}

/// `target/<profile>/libstdb_client.so` of this test binary (…/deps/cdef-HASH → …).
fn shared_library() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let lib = exe.parent().unwrap().parent().unwrap().join("libstdb_client.so");
    assert!(lib.exists(), "{} not built (cargo builds it with the tests)", lib.display());
    lib
}

#[test]
fn committed_cdef_matches_a_fresh_generation() {
    let fresh = generate_cdef(root(), env!("CARGO_PKG_VERSION")).expect("generating the cdef file");
    if std::env::var_os("STDB_UPDATE_CDEF").is_some() {
        std::fs::write(cdef_path(), &fresh).unwrap();
        return;
    }
    let committed = std::fs::read_to_string(cdef_path()).unwrap_or_default();
    assert!(
        fresh == committed,
        "include/stdb_client.cdef.h differs from a fresh generation: run `STDB_UPDATE_CDEF=1 cargo test --test cdef` and commit it"
    );
}

#[test]
fn cdef_has_no_preprocessor_lines_or_cpp_only_syntax_and_declares_the_header_functions() {
    let cdef = std::fs::read_to_string(cdef_path()).unwrap();
    for (n, line) in cdef.lines().enumerate() {
        assert!(!line.trim_start().starts_with('#'), "line {}: preprocessor line: {line}", n + 1);
        assert!(!line.contains("__cplusplus") && !line.contains("extern \"C\""), "line {}: C++-only: {line}", n + 1);
    }
    assert!(cdef.contains("enum { STDB_ABI_VERSION = "), "the ABI version constant is missing");
    let header = std::fs::read_to_string(root().join("include/stdb_client.h")).unwrap();
    let functions = |text: &str| -> Vec<String> {
        text.match_indices("stdb_")
            .filter(|(i, _)| {
                *i == 0 || !text.as_bytes()[i - 1].is_ascii_alphanumeric() && !b"_`".contains(&text.as_bytes()[i - 1])
            })
            .filter_map(|(i, _)| {
                let ident: String = text[i..].chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
                text[i + ident.len()..].starts_with('(').then_some(ident)
            })
            .collect()
    };
    assert_eq!(functions(&header), functions(&cdef), "the cdef file and the header declare different functions");
}

/// Valid C on its own (after the standard headers a preprocessor-free host provides itself).
#[test]
fn cdef_compiles_as_c11() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("t.c");
    let cdef = std::fs::read_to_string(cdef_path()).unwrap();
    std::fs::write(&file, format!("#include <stdbool.h>\n#include <stddef.h>\n#include <stdint.h>\n{cdef}\nint f(void);\nint f(void) {{ return STDB_OK; }}\n"))
        .unwrap();
    let out = Command::new("cc")
        .args(["-std=c11", "-Wall", "-Wextra", "-Werror", "-pedantic", "-c"])
        .arg(&file)
        .arg("-o")
        .arg(dir.path().join("t.o"))
        .output()
        .expect("cc (install gcc)");
    assert!(out.status.success(), "cc failed on the cdef file:\n{}", String::from_utf8_lossy(&out.stderr));
}

/// Runs `program` with `args`; its stdout must end with "ok".
fn run_host(program: &str, args: &[&std::ffi::OsStr], what: &str) {
    let out = Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("running {program}: {e} ({what}; scripts/setup installs it)"));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.trim_end().ends_with("ok"),
        "{program} failed ({:?})\n--- stdout\n{stdout}\n--- stderr\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
}

const LUA: &str = r#"
local ffi = require("ffi")
local cdef_path, lib_path, version = arg[1], arg[2], arg[3]
local f = assert(io.open(cdef_path, "rb"))
ffi.cdef(f:read("*a"))
f:close()
local lib = ffi.load(lib_path)
assert(ffi.string(lib.stdb_version()) == version, "stdb_version")
assert(lib.stdb_abi_version() == lib.STDB_ABI_VERSION, "stdb_abi_version")
assert(lib.STDB_OK == 0 and lib.STDB_ERR_NULL == 1 and lib.STDB_LOG_TRACE == 5, "enum constants")
-- builder round trips: freed unused, and consumed by a build that fails on a bad URI
local b = lib.stdb_connection_builder_new()
assert(b ~= nil, "builder_new")
lib.stdb_connection_builder_free(b)
lib.stdb_connection_builder_free(nil)
b = lib.stdb_connection_builder_new()
local uri = "definitely not a uri"
assert(lib.stdb_connection_builder_set_uri(b, uri, #uri) == lib.STDB_OK, "set_uri")
assert(lib.stdb_connection_builder_set_module_name(b, "m", 1) == lib.STDB_OK, "set_module_name")
local out = ffi.new("stdb_connection *[1]")
local rc = lib.stdb_connection_builder_build(b, out)
assert(rc ~= lib.STDB_OK, "build with a bad URI succeeded")
local err = ffi.string(lib.stdb_last_error())
assert(#err > 0, "empty last error")
assert(lib.stdb_connection_builder_build(nil, out) == lib.STDB_ERR_NULL, "NULL builder")
-- a struct from the declarations
local id = ffi.new("stdb_identity")
assert(ffi.sizeof(id) == 32, "stdb_identity size")
print("bad uri: " .. err)
print("ok")
"#;

#[test]
fn luajit_ffi_cdef_accepts_it_and_calls_the_library() {
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("t.lua");
    std::fs::write(&script, LUA).unwrap();
    let (cdef, lib) = (cdef_path(), shared_library());
    run_host(
        "luajit",
        &[script.as_os_str(), cdef.as_os_str(), lib.as_os_str(), env!("CARGO_PKG_VERSION").as_ref()],
        "apt-get install luajit",
    );
}

const PYTHON: &str = r#"
import sys
import cffi
cdef_path, lib_path, version = sys.argv[1:4]
ffi = cffi.FFI()
with open(cdef_path) as f:
    ffi.cdef(f.read())
lib = ffi.dlopen(lib_path)
assert ffi.string(lib.stdb_version()).decode() == version
assert lib.stdb_abi_version() == lib.STDB_ABI_VERSION
assert (lib.STDB_OK, lib.STDB_ERR_NULL, lib.STDB_LOG_TRACE) == (0, 1, 5)
b = lib.stdb_connection_builder_new()
assert b != ffi.NULL
lib.stdb_connection_builder_free(b)
lib.stdb_connection_builder_free(ffi.NULL)
b = lib.stdb_connection_builder_new()
uri = b"definitely not a uri"
assert lib.stdb_connection_builder_set_uri(b, uri, len(uri)) == lib.STDB_OK
assert lib.stdb_connection_builder_set_module_name(b, b"m", 1) == lib.STDB_OK
out = ffi.new("stdb_connection **")
assert lib.stdb_connection_builder_build(b, out) != lib.STDB_OK
err = ffi.string(lib.stdb_last_error()).decode()
assert err
assert lib.stdb_connection_builder_build(ffi.NULL, out) == lib.STDB_ERR_NULL
assert ffi.sizeof("stdb_identity") == 32
print("bad uri: " + err)
print("ok")
"#;

/// A Python 3 that can import cffi: the one on PATH, else Debian's (python3-cffi).
fn python_with_cffi() -> String {
    for p in ["python3", "/usr/bin/python3"] {
        if Command::new(p).args(["-c", "import cffi"]).output().is_ok_and(|o| o.status.success()) {
            return p.to_string();
        }
    }
    panic!("no python3 with cffi found: apt-get install python3-cffi (scripts/setup does) or pip install cffi");
}

#[test]
fn python_cffi_cdef_accepts_it_and_calls_the_library() {
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("t.py");
    std::fs::write(&script, PYTHON).unwrap();
    let (cdef, lib) = (cdef_path(), shared_library());
    run_host(
        &python_with_cffi(),
        &[script.as_os_str(), cdef.as_os_str(), lib.as_os_str(), env!("CARGO_PKG_VERSION").as_ref()],
        "apt-get install python3-cffi",
    );
}
