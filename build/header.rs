// The header's generation, used by tests/abi.rs (through `include!`): its drift test compares the
// committed header with this, and rewrites it when STDB_REGEN_HEADER=1 (scripts/regen-header).

/// The ABI version: bump on any incompatible change to the C API. Also the SONAME suffix.
pub const ABI_VERSION: u32 = include!("abi_version.txt");

/// Generates the C header for the crate at `crate_dir` with version `version`.
pub fn generate_header(crate_dir: &std::path::Path, version: &str) -> Result<cbindgen::Bindings, cbindgen::Error> {
    let mut parts = version.split('.').map(|p| p.split('-').next().unwrap_or("0").parse::<u32>().unwrap_or(0));
    let (major, minor, patch) = (parts.next().unwrap_or(0), parts.next().unwrap_or(0), parts.next().unwrap_or(0));
    let macros = format!(
        "#define STDB_VERSION_MAJOR {major}\n#define STDB_VERSION_MINOR {minor}\n#define STDB_VERSION_PATCH {patch}\n\
         #define STDB_VERSION_STRING \"{version}\"\n#define STDB_ABI_VERSION {ABI_VERSION}\n"
    );
    let config = cbindgen::Config::from_file(crate_dir.join("cbindgen.toml")).expect("cbindgen.toml is valid");
    let config = cbindgen::Config { after_includes: Some(macros), ..config };
    cbindgen::Builder::new().with_crate(crate_dir).with_config(config).generate()
}
