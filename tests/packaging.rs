//! The install step (`scripts/install`) and the installed tree, used the way C and C++ users use
//! it: the layout and symlinks, a static library whose only global symbols are `stdb_*`, and the
//! programs in tests/packaging/ built and run through pkg-config and through CMake's
//! `find_package`, each linked with the shared and with the static library.
//!
//! The tests install the dev-profile libraries this `cargo test` links against (`--from
//! target/debug`; `scripts/test` builds them first) so that no release build is needed here; the
//! install script's default is a release build, with the same steps after it. No server is needed.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

const PREFIX_STAGED: &str = "/opt/stdb-client";

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The cargo output directory of this build (target/debug), holding libstdb_client.{so,a}.
fn artifacts() -> PathBuf {
    let dir = std::env::current_exe().unwrap().parent().unwrap().parent().unwrap().to_path_buf();
    for f in ["libstdb_client.so", "libstdb_client.a"] {
        assert!(dir.join(f).exists(), "{} is missing: build first (cargo build -p stdb-client --lib)", dir.join(f).display());
    }
    dir
}

fn abi() -> String {
    std::fs::read_to_string(root().join("build/abi_version.txt")).unwrap().trim().to_owned()
}

/// The shared library's file name, `libstdb_client.so.ABI.MINOR.PATCH`.
fn real_name() -> String {
    let version = env!("CARGO_PKG_VERSION");
    let mut parts = version.split('.');
    let (_, minor, patch) = (parts.next(), parts.next().unwrap(), parts.next().unwrap());
    format!("libstdb_client.so.{}.{minor}.{patch}", abi())
}

/// Runs `cmd`, returning its stdout; panics with everything it printed if it fails.
fn run(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed ({:?})\n--- stdout\n{}\n--- stderr\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Runs scripts/install into a fresh temporary directory, with `prefix` and `destdir`.
fn install(prefix: Option<&str>, destdir: bool) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = Command::new(root().join("scripts/install"));
    cmd.arg("--from").arg(artifacts());
    let prefix = match prefix {
        Some(p) => PathBuf::from(p),
        None => dir.path().join("prefix"),
    };
    cmd.env("PREFIX", &prefix);
    let tree = if destdir {
        let stage = dir.path().join("stage");
        cmd.env("DESTDIR", &stage);
        stage.join(prefix.strip_prefix("/").unwrap())
    } else {
        cmd.env_remove("DESTDIR");
        prefix
    };
    cmd.env_remove("LIBDIR").env_remove("INCLUDEDIR");
    run(&mut cmd);
    (dir, tree)
}

/// One install with DESTDIR (PREFIX=/opt/stdb-client, staged in a temp dir): layout and CMake.
fn staged() -> &'static Path {
    static TREE: OnceLock<(tempfile::TempDir, PathBuf)> = OnceLock::new();
    &TREE.get_or_init(|| install(Some(PREFIX_STAGED), true)).1
}

/// One install straight into a temporary prefix: pkg-config (whose files name the prefix).
fn prefixed() -> &'static Path {
    static TREE: OnceLock<(tempfile::TempDir, PathBuf)> = OnceLock::new();
    &TREE.get_or_init(|| install(None, false)).1
}

/// Defined symbols with global or weak binding in an ELF object, archive or shared library.
fn defined_globals(file: &Path, dynamic: bool) -> BTreeSet<String> {
    let out = run(Command::new("readelf").arg(if dynamic { "--dyn-syms" } else { "-s" }).arg("-W").arg(file));
    out.lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            // Num: Value Size Type Bind Vis Ndx Name
            (f.len() >= 8 && matches!(f[4], "GLOBAL" | "WEAK" | "UNIQUE") && f[6] != "UND").then(|| f[7].to_owned())
        })
        .collect()
}

fn needed(exe: &Path) -> Vec<String> {
    run(Command::new("readelf").arg("-dW").arg(exe))
        .lines()
        .filter(|l| l.contains("(NEEDED)"))
        .filter_map(|l| l.split('[').nth(1).map(|s| s.trim_end_matches(']').to_owned()))
        .collect()
}

/// Runs a consumer program and checks that it reports success.
fn run_consumer(exe: &Path, language: &str) {
    let out = run(&mut Command::new(exe));
    assert!(out.contains(&format!("from {language}: ok")), "{} printed: {out}", exe.display());
}

/// Checks how `exe` links the library: through its SONAME, or not at all (static).
fn check_linkage(exe: &Path, shared: bool) {
    let needed = needed(exe);
    let soname = format!("libstdb_client.so.{}", abi());
    if shared {
        assert!(needed.contains(&soname), "{} does not load {soname}: NEEDED {needed:?}", exe.display());
    } else {
        assert!(!needed.iter().any(|n| n.starts_with("libstdb_client")), "{} is not static: NEEDED {needed:?}", exe.display());
    }
}

#[test]
fn install_lays_out_libraries_symlinks_headers_and_package_files() {
    let tree = staged();
    let lib = tree.join("lib");
    let real = real_name();
    let soname = format!("libstdb_client.so.{}", abi());
    assert_eq!(std::fs::read_link(lib.join(&soname)).unwrap(), Path::new(&real));
    assert_eq!(std::fs::read_link(lib.join("libstdb_client.so")).unwrap(), Path::new(&soname));
    assert!(lib.join(&real).metadata().unwrap().is_file());
    let dynamic = run(Command::new("readelf").arg("-dW").arg(lib.join(&real)));
    assert!(dynamic.contains(&format!("Library soname: [{soname}]")), "SONAME of {real}:\n{dynamic}");
    // Stripped: no debug sections (the cargo output has them).
    let sections = run(Command::new("readelf").arg("-SW").arg(lib.join(&real)));
    assert!(!sections.contains(".debug_info"), "{real} still has debug info");
    let original = run(Command::new("readelf").arg("-SW").arg(artifacts().join("libstdb_client.so")));
    assert!(original.contains(".debug_info"), "the cargo output has no debug info: the strip check proves nothing");

    for h in ["stdb_client.h", "stdb_client.cdef.h"] {
        let installed = std::fs::read(tree.join("include/stdb_client").join(h)).unwrap();
        assert_eq!(installed, std::fs::read(root().join("include").join(h)).unwrap(), "{h} differs from include/{h}");
    }
    // The .pc files name PREFIX, not the staging directory.
    for pc in ["stdb_client.pc", "stdb_client-static.pc"] {
        let text = std::fs::read_to_string(lib.join("pkgconfig").join(pc)).unwrap();
        assert!(text.starts_with(&format!("prefix={PREFIX_STAGED}\n")), "{pc}:\n{text}");
        assert!(text.contains(&format!("Version: {}", env!("CARGO_PKG_VERSION"))), "{pc}:\n{text}");
    }
    for f in ["stdb_client-config.cmake", "stdb_client-config-version.cmake"] {
        assert!(lib.join("cmake/stdb_client").join(f).is_file(), "{f} missing");
    }
    // Nothing outside PREFIX inside the staging directory.
    let stage_top: Vec<_> =
        std::fs::read_dir(tree.ancestors().nth(2).unwrap()).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(stage_top, vec![std::ffi::OsString::from("opt")]);
}

#[test]
fn static_library_defines_no_global_symbol_but_the_stdb_functions() {
    let installed = defined_globals(&staged().join("lib/libstdb_client.a"), false);
    let foreign: Vec<_> = installed.iter().filter(|s| !s.starts_with("stdb_")).collect();
    assert!(foreign.is_empty(), "the static library defines non-stdb_ globals: {foreign:?}");
    // Exactly the functions the shared library exports.
    let exported = defined_globals(&staged().join("lib").join(real_name()), true);
    assert_eq!(installed, exported);
    assert!(exported.contains("stdb_library_shutdown") && exported.len() > 50, "{exported:?}");
    // The archive cargo writes does define the dependencies' C symbols: what the install removes.
    let cargo_archive = defined_globals(&artifacts().join("libstdb_client.a"), false);
    for prefix in ["Brotli", "ring_core_", "blake3_"] {
        assert!(cargo_archive.iter().any(|s| s.starts_with(prefix)), "cargo's archive has no {prefix}* symbol any more");
    }
}

/// Compiles `sources` with `compiler` and `flags` (split on whitespace) into `exe`.
fn compile(compiler: &str, sources: &[&str], flags: &str, exe: &Path) {
    let mut cmd = Command::new(compiler);
    cmd.args(sources.iter().map(|s| root().join("tests/packaging").join(s)));
    cmd.args(flags.split_whitespace()).arg("-o").arg(exe);
    run(&mut cmd);
}

fn pkg_config(args: &[&str]) -> String {
    let dir = prefixed().join("lib/pkgconfig");
    run(Command::new("pkg-config").args(args).env("PKG_CONFIG_PATH", dir).env_remove("PKG_CONFIG_LIBDIR")).trim().to_owned()
}

#[test]
fn pkg_config_builds_c_and_cpp_programs_shared_and_static() {
    let out = tempfile::tempdir().unwrap();
    assert_eq!(pkg_config(&["--modversion", "stdb_client"]), env!("CARGO_PKG_VERSION"));
    let shared = pkg_config(&["--cflags", "--libs", "stdb_client"]);
    let libdir = pkg_config(&["--variable=libdir", "stdb_client"]);
    let static_ = pkg_config(&["--cflags", "--libs", "stdb_client-static"]);
    for (compiler, source, language) in [("cc", "consumer.c", "C"), ("c++", "consumer.cpp", "C++")] {
        let exe = out.path().join(format!("{source}-shared"));
        compile(compiler, &[source], &format!("{shared} -Wl,-rpath,{libdir}"), &exe);
        check_linkage(&exe, true);
        run_consumer(&exe, language);
        let exe = out.path().join(format!("{source}-static"));
        compile(compiler, &[source], &static_, &exe);
        check_linkage(&exe, false);
        run_consumer(&exe, language);
    }
}

/// Functions defined in an ELF object or archive, whatever their binding.
fn defined_functions(file: &Path) -> BTreeSet<String> {
    run(Command::new("readelf").arg("-sW").arg(file))
        .lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            (f.len() >= 8 && f[3] == "FUNC" && f[6] != "UND").then(|| f[7].to_owned())
        })
        .collect()
}

#[test]
fn static_library_links_beside_a_host_copy_of_ring() {
    // ring's C code, which the library uses (kept, made local): the host has its own copy, in its
    // own archive after ours on the link line. Were the name global in our archive, the link would
    // fail (defined twice) or the host's call would silently reach our copy.
    let installed = staged().join("lib/libstdb_client.a");
    let name = defined_functions(&installed)
        .into_iter()
        .find(|s| s.starts_with("ring_core_") && s.ends_with("__OPENSSL_cpuid_setup"))
        .expect("the static library has no ring_core_*__OPENSSL_cpuid_setup");
    let out = tempfile::tempdir().unwrap();
    let obj = out.path().join("host_symbol.o");
    run(Command::new("cc")
        .arg(format!("-DHOST_SYMBOL={name}"))
        .arg("-c")
        .arg(root().join("tests/packaging/host_symbol.c"))
        .arg("-o")
        .arg(&obj));
    let archive = out.path().join("libhost.a");
    run(Command::new("ar").arg("crs").arg(&archive).arg(&obj));
    let exe = out.path().join("uses_host_symbol");
    let static_ = pkg_config(&["--cflags", "--libs", "stdb_client-static"]);
    compile("cc", &["uses_host_symbol.c"], &format!("-DHOST_SYMBOL={name} {static_} {}", archive.display()), &exe);
    let printed = run(&mut Command::new(&exe));
    assert!(printed.contains(&format!("host {name}: ok")), "{printed}");
}

#[test]
fn cmake_find_package_builds_c_and_cpp_programs_shared_and_static() {
    let build = tempfile::tempdir().unwrap();
    // The staged tree, used where it lies: the CMake package is relocatable.
    run(Command::new("cmake")
        .arg("-S")
        .arg(root().join("tests/packaging"))
        .arg("-B")
        .arg(build.path())
        .arg(format!("-DCMAKE_PREFIX_PATH={}", staged().display()))
        .arg("-DCMAKE_BUILD_TYPE=Debug"));
    run(Command::new("cmake").arg("--build").arg(build.path()));
    for (name, language, shared) in [
        ("consumer_c_shared", "C", true),
        ("consumer_cpp_shared", "C++", true),
        ("consumer_c_static", "C", false),
        ("consumer_cpp_static", "C++", false),
    ] {
        let exe = build.path().join(name);
        check_linkage(&exe, shared);
        run_consumer(&exe, language);
    }
}
