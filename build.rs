//! Generates `include/stdb_client.h` with cbindgen, and gives the shared library a SONAME that
//! carries the ABI version and an export list of `stdb_*` symbols only.

use std::path::PathBuf;

/// Keep in sync with `STDB_ABI_VERSION` in src/ffi/misc.rs (a test checks both and the header).
const ABI_VERSION: u32 = 1;

fn main() {
    let dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap());
    println!("cargo:rerun-if-changed=src");
    println!("cargo:rerun-if-changed=cbindgen.toml");
    println!("cargo:rerun-if-env-changed=STDB_HEADER_OUT");

    // Linux/ELF only: a SONAME carrying the ABI version, and no symbols exported from
    // dependencies (brotli 3, pulled in by spacetimedb-client-api-messages, exports its own C
    // API by default); rustc already limits our crate's exports to the `#[no_mangle]` `stdb_*`.
    if std::env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("linux") {
        println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libstdb_client.so.{ABI_VERSION}");
        println!("cargo:rustc-cdylib-link-arg=-Wl,--exclude-libs,ALL");
    }

    let version = std::env::var("CARGO_PKG_VERSION").unwrap();
    let mut parts = version.split('.').map(|p| p.split('-').next().unwrap().parse::<u32>().unwrap_or(0));
    let (major, minor, patch) = (parts.next().unwrap_or(0), parts.next().unwrap_or(0), parts.next().unwrap_or(0));
    let macros = format!(
        "#define STDB_VERSION_MAJOR {major}\n#define STDB_VERSION_MINOR {minor}\n#define STDB_VERSION_PATCH {patch}\n\
         #define STDB_VERSION_STRING \"{version}\"\n#define STDB_ABI_VERSION {ABI_VERSION}\n"
    );
    let config = cbindgen::Config::from_file(dir.join("cbindgen.toml")).expect("cbindgen.toml is valid");
    let config = cbindgen::Config { after_includes: Some(macros), ..config };
    // Tests regenerate into STDB_HEADER_OUT to compare with the committed header.
    let out = std::env::var_os("STDB_HEADER_OUT").map(PathBuf::from).unwrap_or_else(|| dir.join("include/stdb_client.h"));
    match cbindgen::Builder::new().with_crate(&dir).with_config(config).generate() {
        Ok(bindings) => {
            bindings.write_to_file(out);
        }
        Err(e) => println!("cargo:warning=cbindgen could not generate the header: {e}"),
    }
}
