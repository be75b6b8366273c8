//! Generates `include/stdb_client.h` with cbindgen, and gives the shared library a SONAME that
//! carries the ABI version and no exports but the `stdb_*` functions.

include!("build/header.rs");

fn main() {
    let dir = std::path::PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap());
    println!("cargo:rerun-if-changed=src");
    println!("cargo:rerun-if-changed=cbindgen.toml");
    println!("cargo:rerun-if-changed=build/header.rs");

    // Linux/ELF only: a SONAME carrying the ABI version, and no symbols exported from
    // dependencies (brotli 3, pulled in by spacetimedb-client-api-messages, exports its own C
    // API by default); rustc already limits our crate's exports to the `#[no_mangle]` `stdb_*`.
    if std::env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("linux") {
        println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libstdb_client.so.{ABI_VERSION}");
        println!("cargo:rustc-cdylib-link-arg=-Wl,--exclude-libs,ALL");
    }

    let version = std::env::var("CARGO_PKG_VERSION").unwrap();
    match generate_header(&dir, &version) {
        Ok(bindings) => {
            bindings.write_to_file(dir.join("include/stdb_client.h"));
        }
        Err(e) => println!("cargo:warning=cbindgen could not generate the header: {e}"),
    }
}
