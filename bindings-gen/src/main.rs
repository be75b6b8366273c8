//! The `stdb-bindings-gen` command line.

use clap::{ArgGroup, Parser};
use std::path::PathBuf;
use std::process::ExitCode;
use stdb_bindings_gen::{default_prefix, generate_from_json, generate_rust_from_json, input, Options};

/// Generates C bindings (PREFIX.h, PREFIX.c) and a header-only C++17 wrapper (PREFIX.hpp) for one
/// SpacetimeDB module, over libstdb_client's C ABI (include/stdb_client.h).
///
/// The generated code has typed structs for the module's types, BSATN encode/decode/free/eq/format
/// for each, typed table access (count, iteration, find by unique column, btree filters and ranges,
/// insert/delete/update callbacks), typed reducer calls and callbacks, and PREFIX_register(), which
/// embeds the schema in the connection builder after checking the library's ABI version.
///
/// The output is deterministic: the same schema and options give byte-identical files.
#[derive(Parser, Debug)]
#[command(name = "stdb-bindings-gen", version, verbatim_doc_comment)]
#[command(group(ArgGroup::new("input").required(true).args(["schema", "server", "wasm"])))]
#[command(after_help = "Examples:
  stdb-bindings-gen --schema sdk-test.schema.json --out-dir gen/
  stdb-bindings-gen --server http://127.0.0.1:3000 --database quickstart --prefix game --out-dir gen/
  stdb-bindings-gen --wasm target/wasm32-unknown-unknown/release/quickstart.wasm --out-dir gen/

Compile PREFIX.c with -I<dir of stdb_client.h> and link -lstdb_client; include PREFIX.hpp from C++17
(it needs PREFIX.c compiled as C and linked in).")]
struct Cli {
    /// Read the schema from a JSON file: RawModuleDefV9 as `GET /v1/database/NAME/schema?version=9`
    /// serves it (or `{"V9": ...}` as `spacetimedb-standalone extract-schema` prints it).
    #[arg(long, value_name = "FILE.json")]
    schema: Option<PathBuf>,

    /// Fetch the schema from a running server (http(s):// or ws(s)://); needs --database.
    #[arg(long, value_name = "URL", requires = "database")]
    server: Option<String>,

    /// The database name (or identity) to fetch the schema of, with --server.
    #[arg(long, value_name = "NAME", requires = "server")]
    database: Option<String>,

    /// Extract the schema from a compiled module with `spacetimedb-standalone extract-schema`
    /// (found through $STDB_STANDALONE, PATH, or the test bed's cache ~/.cache/stdb-client: the
    /// 2.8.3 binary reads modules of both generations, 1.2.0's only 1.x modules).
    #[arg(long, value_name = "FILE.wasm")]
    wasm: Option<PathBuf>,

    /// Prefix of every generated C identifier and of the file names [default: the module name,
    /// lower-cased, non-alphanumerics as `_`: sdk-test → sdk_test].
    #[arg(long, value_name = "NAME")]
    prefix: Option<String>,

    /// Directory to write PREFIX.h, PREFIX.c and PREFIX.hpp to (created if missing); with
    /// `--lang rust`, the `module_bindings` directory (e.g. src/module_bindings).
    #[arg(long, value_name = "DIR", default_value = ".")]
    out_dir: PathBuf,

    /// What to generate: `c` (PREFIX.h, PREFIX.c and the C++ wrapper PREFIX.hpp), or `rust`
    /// (a `module_bindings` module over the stdb-client crate, shaped like the official SDK's
    /// `spacetime generate --lang rust`: mod.rs, NAME_type.rs, NAME_table.rs, NAME_reducer.rs).
    #[arg(long, value_enum, default_value_t = Lang::C)]
    lang: Lang,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum Lang {
    /// C bindings and the C++17 wrapper.
    C,
    /// Rust `module_bindings`.
    Rust,
}

fn run(cli: Cli) -> Result<(), String> {
    let loaded = if let Some(path) = &cli.schema {
        input::from_file(path)?
    } else if let (Some(url), Some(db)) = (&cli.server, &cli.database) {
        input::from_server(url, db)?
    } else if let Some(path) = &cli.wasm {
        input::from_wasm(path)?
    } else {
        unreachable!("clap requires one input")
    };
    let prefix = cli.prefix.unwrap_or_else(|| default_prefix(&loaded.name));
    let opts = Options { prefix: prefix.clone(), source: loaded.source };
    if cli.lang == Lang::Rust {
        let files = generate_rust_from_json(&loaded.json, &opts)?;
        std::fs::create_dir_all(&cli.out_dir).map_err(|e| format!("creating {}: {e}", cli.out_dir.display()))?;
        for (name, text) in &files {
            let path = cli.out_dir.join(name);
            std::fs::write(&path, text).map_err(|e| format!("writing {}: {e}", path.display()))?;
        }
        eprintln!("wrote {} files to {}", files.len(), cli.out_dir.display());
        return Ok(());
    }
    let out = generate_from_json(&loaded.json, &opts)?;
    std::fs::create_dir_all(&cli.out_dir).map_err(|e| format!("creating {}: {e}", cli.out_dir.display()))?;
    for (ext, text) in [("h", &out.header), ("c", &out.source), ("hpp", &out.cpp)] {
        let path = cli.out_dir.join(format!("{prefix}.{ext}"));
        std::fs::write(&path, text).map_err(|e| format!("writing {}: {e}", path.display()))?;
        eprintln!("wrote {}", path.display());
    }
    Ok(())
}

fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("stdb-bindings-gen: {e}");
            ExitCode::FAILURE
        }
    }
}
