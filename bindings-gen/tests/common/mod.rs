//! Helpers shared by the bindings-gen tests: schemas, generation into a directory, compilers.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;
use stdb_bindings_gen::{generate, parse_schema, Options, Output};

/// The repository root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf()
}

pub fn schema_path(name: &str) -> PathBuf {
    root().join("tests/bindings/schemas").join(format!("{name}.schema.json"))
}

pub fn load(name: &str) -> spacetimedb_lib::db::raw_def::v9::RawModuleDefV9 {
    let json = std::fs::read_to_string(schema_path(name)).unwrap();
    parse_schema(&json).unwrap()
}

/// Generates `name`'s bindings as the CLI does by default (source = the schema file's name).
pub fn gen(name: &str, prefix: &str) -> Output {
    generate(&load(name), &Options { prefix: prefix.into(), source: format!("schema file {name}.schema.json") }).unwrap()
}

pub fn write(out: &Output, dir: &Path) {
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(dir.join(format!("{}.h", out.prefix)), &out.header).unwrap();
    std::fs::write(dir.join(format!("{}.c", out.prefix)), &out.source).unwrap();
    std::fs::write(dir.join(format!("{}.hpp", out.prefix)), &out.cpp).unwrap();
}

/// Whether a command runs (`cc --version`).
pub fn have(tool: &str) -> bool {
    Command::new(tool).arg("--version").output().map(|o| o.status.success()).unwrap_or(false)
}

/// Skips the calling test (returns true) with a clear message when `tool` is missing.
pub fn skip_without(tool: &str) -> bool {
    if have(tool) {
        false
    } else {
        eprintln!("SKIPPED: `{tool}` is not installed; install a C/C++ compiler to run this test");
        true
    }
}

pub const CFLAGS: &[&str] = &["-std=c11", "-Wall", "-Wextra", "-Werror", "-pedantic"];
pub const CXXFLAGS: &[&str] = &["-std=c++17", "-Wall", "-Wextra", "-Werror", "-pedantic"];
pub const SANITIZE: &[&str] = &["-fsanitize=address,undefined", "-fno-omit-frame-pointer", "-fno-sanitize-recover=all", "-g"];

/// Runs a compiler command; panics with its output on failure.
pub fn run_cc(mut cmd: Command, what: &str) {
    let out = cmd.output().unwrap_or_else(|e| panic!("{what}: {e}"));
    assert!(
        out.status.success(),
        "{what} failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The target directory (…/target/debug) this test binary lives in.
pub fn target_dir() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    exe.parent().unwrap().parent().unwrap().to_path_buf()
}
