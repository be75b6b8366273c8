//! The generated C compiles with `-std=c11 -Wall -Wextra -Werror -pedantic` (full and codec-only),
//! its header also as C++ and included twice, and the wrapper with `-std=c++17 -Wall -Wextra
//! -Werror -pedantic`. With clang too when it is installed.

mod common;

use common::*;
use std::path::Path;
use std::process::Command;

const SCHEMAS: &[(&str, &str)] = &[("sdk-test", "sdk_test"), ("quickstart", "quickstart"), ("tricky", "tricky")];

fn compile_c(cc: &str, dir: &Path, prefix: &str, extra: &[&str]) {
    let mut cmd = Command::new(cc);
    cmd.args(CFLAGS).args(extra).arg("-I").arg(dir).arg("-I").arg(root().join("include"));
    cmd.arg("-c").arg(dir.join(format!("{prefix}.c"))).arg("-o").arg(dir.join(format!("{prefix}-{cc}.o")));
    run_cc(cmd, &format!("{cc} {prefix}.c {extra:?}"));
}

fn compile_cxx(cxx: &str, dir: &Path, name: &str, source: &str) {
    let file = dir.join(format!("{name}.cpp"));
    std::fs::write(&file, source).unwrap();
    let mut cmd = Command::new(cxx);
    cmd.args(CXXFLAGS).arg("-I").arg(dir).arg("-I").arg(root().join("include"));
    cmd.arg("-c").arg(&file).arg("-o").arg(dir.join(format!("{name}-{cxx}.o")));
    run_cc(cmd, &format!("{cxx} {name}.cpp"));
}

fn check_with(cc: &str, cxx: &str) {
    for (schema, prefix) in SCHEMAS {
        let dir = tempfile::tempdir().unwrap();
        write(&gen(schema, prefix), dir.path());
        compile_c(cc, dir.path(), prefix, &[]);
        compile_c(cc, dir.path(), prefix, &[&format!("-D{}_CODEC_ONLY", prefix.to_uppercase())]);
        // The C header, twice, from C++.
        compile_cxx(cxx, dir.path(), "header", &format!("#include \"{prefix}.h\"\n#include \"{prefix}.h\"\n"));
        // The wrapper, twice, plus uses that instantiate the templates.
        compile_cxx(
            cxx,
            dir.path(),
            "wrapper",
            &format!(
                "#include \"{prefix}.hpp\"\n#include \"{prefix}.hpp\"\nstd::unique_ptr<{prefix}::Connection> connect() {{\n    return {prefix}::Connection::builder().with_uri(\"http://x\").with_database_name(\"d\").build();\n}}\n"
            ),
        );
    }
}

#[test]
fn generated_code_compiles_with_gcc_or_cc() {
    if skip_without("cc") || skip_without("c++") {
        return;
    }
    check_with("cc", "c++");
}

#[test]
fn generated_code_compiles_with_clang() {
    if !have("clang") || !have("clang++") {
        eprintln!("SKIPPED: clang is not installed (the cc/c++ test covers the default compiler)");
        return;
    }
    check_with("clang", "clang++");
}

/// V10 schemas as the 2.8.3 server serves them (a 2.x module with event tables, procedures, views
/// and a camelCase reducer; and the 2.x port of sdk-test) generate code that compiles.
#[test]
fn code_from_v10_schemas_of_2x_modules_compiles() {
    if skip_without("cc") || skip_without("c++") {
        return;
    }
    for (file, prefix) in [("features-2x.v10.json", "feat"), ("sdk-test-2x.v10.json", "sdk2")] {
        let json = std::fs::read_to_string(root().join("tests/fixtures/schemas").join(file)).unwrap();
        let raw = stdb_bindings_gen::parse_schema(&json).unwrap();
        let out = stdb_bindings_gen::generate(&raw, &stdb_bindings_gen::Options { prefix: prefix.into(), source: file.into() })
            .unwrap();
        if prefix == "feat" {
            // Wire names are the canonical ones: `levelUp` is called `level_up`.
            assert!(out.header.contains("feat_reducer_level_up("), "the reducer is generated under its canonical name");
        }
        let dir = tempfile::tempdir().unwrap();
        write(&out, dir.path());
        compile_c("cc", dir.path(), prefix, &[]);
        compile_cxx("c++", dir.path(), "wrapper", &format!("#include \"{prefix}.hpp\"\n"));
    }
}
