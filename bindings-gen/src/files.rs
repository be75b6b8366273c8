//! The three generated files, each one template over the parts the other modules build:
//! `templates/c/header.h` (`PREFIX.h`), `templates/c/source.c` (`PREFIX.c`); the C++ wrapper is
//! [`crate::cpp`]'s. Every file starts with [`Banner`].

use crate::ctypes::{self, comment_text};
use crate::model::{Module, BUILTINS};
use crate::{codec, fnv1a64, reducers, tables, Options, ABI_VERSION, VERSION};
use askama::Template;

/// The comment at the top of every file: what it is, what it was generated from, the schema's
/// checksum.
#[derive(Template)]
#[template(path = "banner.txt")]
pub struct Banner {
    file: String,
    what: &'static str,
    version: &'static str,
    source: String,
    checksum: String,
    tables: usize,
    reducers: usize,
    abi_version: u32,
}

impl Banner {
    pub fn new(m: &Module, opts: &Options, extension: &str, what: &'static str) -> Banner {
        Banner {
            file: format!("{}.{extension}", m.prefix),
            what,
            version: VERSION,
            source: comment_text(&opts.source),
            checksum: checksum(m),
            tables: m.tables.len(),
            reducers: m.reducers.len(),
            abi_version: ABI_VERSION,
        }
    }
}

/// `PREFIX_SCHEMA_CHECKSUM`: FNV-1a 64 of the embedded schema JSON, as 16 hex digits.
pub fn checksum(m: &Module) -> String {
    format!("{:016x}", fnv1a64(m.schema_json.as_bytes()))
}

/// `PREFIX.h`.
#[derive(Template)]
#[template(path = "c/header.h", escape = "none")]
pub struct CHeader {
    banner: Banner,
    p: String,
    pu: String,
    abi_version: u32,
    checksum: String,
    builtins: Vec<ctypes::Prototypes>,
    definitions: Vec<ctypes::Definition>,
    prototypes: Vec<ctypes::Prototypes>,
    tables: tables::TablesHeader,
    reducers: reducers::ReducersHeader,
}

impl CHeader {
    pub fn new(m: &Module, opts: &Options) -> CHeader {
        CHeader {
            banner: Banner::new(m, opts, "h", "C bindings for a SpacetimeDB module, over libstdb_client's C ABI."),
            p: m.prefix.clone(),
            pu: m.prefix.to_ascii_uppercase(),
            abi_version: ABI_VERSION,
            checksum: checksum(m),
            builtins: BUILTINS.iter().map(|(t, _)| ctypes::Prototypes::new(m, t)).collect(),
            definitions: m.order.iter().map(|t| ctypes::Definition::new(m, t)).collect(),
            prototypes: m.order.iter().map(|t| ctypes::Prototypes::new(m, t)).collect(),
            tables: tables::TablesHeader::new(m),
            reducers: reducers::ReducersHeader::new(m),
        }
    }
}

/// `PREFIX.c`.
#[derive(Template)]
#[template(path = "c/source.c", escape = "none")]
pub struct CSource {
    banner: Banner,
    p: String,
    pu: String,
    functions: Vec<codec::Functions>,
    /// The schema JSON as C string literals, in chunks of at most 4000 bytes (ISO C only promises
    /// 4095 per literal), each chunk in lines of 100 bytes.
    schema_chunks: Vec<Vec<String>>,
    tables: tables::TablesSource,
    reducers: reducers::ReducersSource,
}

impl CSource {
    pub fn new(m: &Module, opts: &Options) -> CSource {
        const CHUNK: usize = 4000;
        const LINE: usize = 100;
        let schema_chunks =
            m.schema_json.as_bytes().chunks(CHUNK).map(|chunk| chunk.chunks(LINE).map(ctypes::c_lit_bytes).collect()).collect();
        CSource {
            banner: Banner::new(m, opts, "c", "C bindings for a SpacetimeDB module (implementation)."),
            p: m.prefix.clone(),
            pu: m.prefix.to_ascii_uppercase(),
            functions: m.order.iter().map(|t| codec::Functions::new(m, t)).collect(),
            schema_chunks,
            tables: tables::TablesSource::new(m),
            reducers: reducers::ReducersSource::new(m),
        }
    }
}
