//! The C ABI as a library user meets it: the committed header is the generated one, compiles on
//! its own as C and C++, the shared library exports only `stdb_*` with a versioned SONAME, and
//! every version number agrees.

use std::path::{Path, PathBuf};
use std::process::Command;

include!("../build/header.rs");

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// `target/<profile>` of this test binary (…/deps/abi-HASH → …).
fn target_dir() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    exe.parent().unwrap().parent().unwrap().to_path_buf()
}

fn shared_library() -> PathBuf {
    let lib = target_dir().join("libstdb_client.so");
    assert!(lib.exists(), "{} not built (cargo builds it with the tests)", lib.display());
    lib
}

#[test]
fn committed_header_matches_a_fresh_generation() {
    let fresh = generate_header(root(), env!("CARGO_PKG_VERSION")).expect("cbindgen");
    let out = tempfile::tempdir().unwrap();
    let path = out.path().join("stdb_client.h");
    fresh.write_to_file(&path);
    let fresh = std::fs::read_to_string(&path).unwrap();
    let committed_path = root().join("include/stdb_client.h");
    if std::env::var_os("STDB_REGEN_HEADER").is_some() {
        std::fs::write(&committed_path, &fresh).unwrap();
    }
    let committed = std::fs::read_to_string(&committed_path).unwrap();
    if fresh != committed {
        let line = fresh.lines().zip(committed.lines()).position(|(a, b)| a != b).map_or(0, |i| i + 1);
        panic!(
            "include/stdb_client.h differs from a fresh cbindgen run of src/ffi (first at line {line}); \
             run scripts/regen-header and commit the header"
        );
    }
}

fn compile(compiler: &str, args: &[&str], source: &str, ext: &str) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join(format!("t.{ext}"));
    std::fs::write(&file, source).unwrap();
    let out = Command::new(compiler)
        .args(args)
        .arg("-I")
        .arg(root().join("include"))
        .arg("-c")
        .arg(&file)
        .arg("-o")
        .arg(dir.path().join("t.o"))
        .output()
        .unwrap_or_else(|e| panic!("running {compiler}: {e} (install gcc/g++)"));
    assert!(out.status.success(), "{compiler} {args:?} failed:\n{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn header_compiles_alone_as_c11_and_cpp17_even_included_twice() {
    let src = "#include \"stdb_client.h\"\n#include \"stdb_client.h\"\nint f(void);\nint f(void) { return STDB_ABI_VERSION + (int)STDB_OK; }\n";
    compile("cc", &["-std=c11", "-Wall", "-Wextra", "-Werror", "-pedantic"], src, "c");
    compile("c++", &["-std=c++17", "-Wall", "-Wextra", "-Werror", "-pedantic"], src, "cpp");
}

#[test]
fn only_stdb_symbols_are_exported() {
    let out = Command::new("nm").args(["-D", "--defined-only"]).arg(shared_library()).output().expect("nm (binutils)");
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let names: Vec<&str> = text.lines().filter_map(|l| l.split_whitespace().nth(2)).collect();
    assert!(names.len() > 50, "too few exports: {names:?}");
    let foreign: Vec<&&str> = names.iter().filter(|n| !n.starts_with("stdb_")).collect();
    assert!(foreign.is_empty(), "non-stdb_ symbols exported: {foreign:?}");
    // Every function the header declares is exported, and nothing else.
    let header = std::fs::read_to_string(root().join("include/stdb_client.h")).unwrap();
    // A declaration is an identifier `stdb_…` directly followed by `(`.
    let mut declared: Vec<String> = header
        .match_indices("stdb_")
        .filter(|(i, _)| *i == 0 || !header.as_bytes()[i - 1].is_ascii_alphanumeric() && header.as_bytes()[i - 1] != b'_')
        .filter_map(|(i, _)| {
            let ident: String = header[i..].chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
            header[i + ident.len()..].starts_with('(').then_some(ident)
        })
        .collect();
    declared.sort();
    declared.dedup();
    let mut exported: Vec<String> = names.iter().map(|s| s.to_string()).collect();
    exported.sort();
    assert_eq!(declared, exported);
}

#[test]
fn soname_carries_the_abi_version() {
    let out = Command::new("readelf").arg("-d").arg(shared_library()).output().expect("readelf (binutils)");
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains(&format!("Library soname: [libstdb_client.so.{ABI_VERSION}]")), "{text}");
}

#[test]
fn versions_agree_between_cargo_header_and_library() {
    let cargo = std::fs::read_to_string(root().join("Cargo.toml")).unwrap();
    let version = cargo
        .lines()
        .skip_while(|l| *l != "[package]")
        .find_map(|l| l.strip_prefix("version = \""))
        .and_then(|v| v.strip_suffix('"'))
        .expect("package version in Cargo.toml");
    let header = std::fs::read_to_string(root().join("include/stdb_client.h")).unwrap();
    assert!(header.contains(&format!("#define STDB_VERSION_STRING \"{version}\"")));
    assert!(header.contains(&format!("#define STDB_ABI_VERSION {ABI_VERSION}")));
    let runtime = unsafe { std::ffi::CStr::from_ptr(stdb_client::ffi::misc::stdb_version()) };
    assert_eq!(runtime.to_str().unwrap(), version);
    assert_eq!(stdb_client::ffi::misc::stdb_abi_version(), ABI_VERSION);
}
