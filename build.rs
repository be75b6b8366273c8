//! Gives the shared library a SONAME that carries the ABI version and no exports but the
//! `stdb_*` functions. The C header is not generated here: a build never writes into the source
//! tree. `include/stdb_client.h` is committed, and `tests/abi.rs` fails when it differs from a
//! fresh cbindgen run (`scripts/regen-header` rewrites it).

/// The ABI version: bump on any incompatible change to the C API. Also the SONAME suffix.
const ABI_VERSION: u32 = include!("build/abi_version.txt");

fn main() {
    println!("cargo:rerun-if-changed=build/abi_version.txt");

    // Linux/ELF only: a SONAME carrying the ABI version, and no symbols exported from
    // dependencies (brotli 3, pulled in by spacetimedb-client-api-messages, exports its own C
    // API by default); rustc already limits our crate's exports to the `#[no_mangle]` `stdb_*`.
    if std::env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("linux") {
        println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libstdb_client.so.{ABI_VERSION}");
        println!("cargo:rustc-cdylib-link-arg=-Wl,--exclude-libs,ALL");
    }
}
