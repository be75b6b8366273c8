//! `--lang rust`: a `module_bindings` module shaped like the official SDK's generated bindings
//! (`spacetime generate --lang rust`), over stdb-client's `typed` support module (`__sdk`).
//!
//! One file per construct, as the official generator writes them: `mod.rs` (the `Reducer` enum,
//! `RemoteTables`, `RemoteReducers`, `DbConnection` and the context types), `NAME_type.rs` per
//! module type, `NAME_table.rs` per table, `NAME_reducer.rs` per reducer. Each has its template
//! under `templates/rust/`; the structs here hold what each prints, already spelled as Rust.
//!
//! Types encode and decode through `spacetimedb-sats`' `Serialize`/`Deserialize` derives (the
//! 1.2.0 crates the core uses, re-exported as `__sdk::__lib`), as the official bindings do: the
//! derives are the reference BSATN codec, so the generated code cannot drift from the format and
//! stays short enough to read.

use crate::files::checksum;
use crate::model::{Kind, Module, Table, Ty};
use crate::names::Names;
use crate::{Options, VERSION};
use askama::Template;

/// Rust keywords (strict, reserved and 2018+ weak ones that cannot be identifiers).
const KEYWORDS: &[&str] = &[
    "as", "async", "await", "break", "const", "continue", "crate", "dyn", "else", "enum", "extern", "false", "fn", "for", "if",
    "impl", "in", "let", "loop", "match", "mod", "move", "mut", "pub", "ref", "return", "self", "Self", "static", "struct",
    "super", "trait", "true", "type", "unsafe", "use", "where", "while", "abstract", "become", "box", "do", "final", "gen",
    "macro", "override", "priv", "try", "typeof", "unsized", "virtual", "yield", "union", "_",
];

/// Type-namespace names the bindings define or use unqualified; module types avoid them.
const FIXED_TYPES: &[&str] = &[
    "DbConnection",
    "DbConnectionBuilder",
    "EventContext",
    "ReducerEventContext",
    "SubscriptionEventContext",
    "ErrorContext",
    "Reducer",
    "RemoteModule",
    "RemoteTables",
    "RemoteReducers",
    "RemoteDbContext",
    "SubscriptionBuilder",
    "SubscriptionHandle",
    "Option",
    "Some",
    "None",
    "Result",
    "Ok",
    "Err",
    "Vec",
    "String",
    "Box",
    "Send",
    "Sync",
    "Clone",
    "Copy",
    "Debug",
    "PartialEq",
    "Default",
    "From",
    "Into",
    "Iterator",
    "FnMut",
    "FnOnce",
    "Fn",
    "Self",
    "std",
    "core",
    "__sdk",
    "__lib",
    "__sats",
    // Re-exported by `mod.rs` from `stdb_client::typed`.
    "DbContext",
    "Event",
    "EventTable",
    "Identity",
    "ConnectionId",
    "ReducerEvent",
    "Status",
    "Table",
    "TableWithPrimaryKey",
    "Timestamp",
    "TimeDuration",
];

/// `camelCase`, `Foo::Bar`, `snake_case` → `snake_case` (a valid Rust identifier).
pub fn snake(name: &str) -> String {
    ident(snake_raw(name))
}

/// [`snake`] without the keyword escape, to compose names from (`do` → `do_reducer`).
fn snake_raw(name: &str) -> String {
    let mut out = String::new();
    let chars: Vec<char> = name.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        if c.is_ascii_uppercase() {
            let prev = i.checked_sub(1).map(|j| chars[j]);
            let next = chars.get(i + 1);
            let boundary = prev.is_some_and(|p| p.is_ascii_lowercase() || p.is_ascii_digit())
                || (prev.is_some_and(|p| p.is_ascii_uppercase()) && next.is_some_and(|n| n.is_ascii_lowercase()));
            if boundary && !out.ends_with('_') {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else if c.is_ascii_alphanumeric() || c == '_' {
            out.push(c);
        } else if !out.ends_with('_') {
            out.push('_');
        }
    }
    if out.is_empty() || out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert(0, '_');
    }
    out
}

/// `snake_case`, `foo::Bar`, `NULL` → `CamelCase` (a valid Rust identifier; an all-capitals
/// word is capitalised only, as Rust style wants: `NULL` → `Null`).
pub fn camel(name: &str) -> String {
    let mut out = String::new();
    for part in name.split(|c: char| !c.is_ascii_alphanumeric()).filter(|p| !p.is_empty()) {
        let shout = part.len() > 1 && !part.chars().any(|c| c.is_ascii_lowercase());
        let mut chars = part.chars();
        if let Some(first) = chars.next() {
            out.push(first.to_ascii_uppercase());
            if shout {
                out.extend(chars.map(|c| c.to_ascii_lowercase()));
            } else {
                out.extend(chars);
            }
        }
    }
    ident(out)
}

/// The snake-case stem of a file name (`do` → `do_reducer.rs`).
fn file_stem(name: &str) -> String {
    let raw = snake_raw(name);
    let t = raw.trim_end_matches('_');
    if t.is_empty() {
        raw
    } else {
        t.to_string()
    }
}

/// Escapes what cannot be an identifier: empty, a leading digit, a keyword.
fn ident(mut s: String) -> String {
    if s.is_empty() || s.starts_with(|c: char| c.is_ascii_digit()) {
        s.insert(0, '_');
    }
    if KEYWORDS.contains(&s.as_str()) {
        s.push('_');
    }
    s
}

/// Distinct names, first come first served, avoiding `taken`: later duplicates get `2`, `3`, …
/// (after `_` when the name is snake case), which keeps them in the case Rust expects.
fn dedupe(names: Vec<String>, taken: &[&str]) -> Vec<String> {
    let mut seen = Names::default();
    seen.reserve(taken);
    names.into_iter().map(|n| claim(&mut seen, &n, &[""], &[])).collect()
}

/// Claims the first of `base`, `base2`/`base_2`, … such that every `prefix + stem + suffix` is
/// free (`suffixes` should include `""` for the stem itself), and marks them taken.
fn claim(n: &mut Names, base: &str, suffixes: &[&str], prefixes: &[&str]) -> String {
    let sep = if base.starts_with(|c: char| c.is_ascii_uppercase()) { "" } else { "_" };
    for k in 1.. {
        let stem = if k == 1 { base.to_string() } else { format!("{base}{sep}{k}") };
        let mut all: Vec<String> = suffixes.iter().map(|s| format!("{stem}{s}")).collect();
        all.extend(prefixes.iter().map(|p| format!("{p}{stem}")));
        if all.iter().all(|s| !n.is_used(s)) {
            for s in &all {
                n.reserve(&[s.as_str()]);
            }
            return stem;
        }
    }
    unreachable!()
}

/// Text safe inside a `//` or `///` comment (no line breaks).
fn comment(s: &str) -> String {
    s.chars().map(|c| if c.is_control() { ' ' } else { c }).collect()
}

/// A Rust string literal.
fn lit(s: &str) -> String {
    format!("{s:?}")
}

/// Rust names of everything the bindings define, chosen once per schema in a fixed order.
struct RustNames {
    /// Per `Module::named` entry: the type's name (`None` for reducer argument structs).
    types: Vec<Option<String>>,
    /// Per named type: its file's module name (`player_type`).
    type_files: Vec<Option<String>>,
}

fn choose_names(m: &Module, tys: &mut Names, files: &mut Names) -> RustNames {
    let args: Vec<usize> = m.reducers.iter().filter_map(|r| r.args).collect();
    let mut types = Vec::new();
    let mut type_files = Vec::new();
    for (i, n) in m.named.iter().enumerate() {
        if args.contains(&i) {
            types.push(None);
            type_files.push(None);
            continue;
        }
        let name = claim(tys, &camel(&n.display_name), &[""], &[]);
        type_files.push(Some(claim(files, &format!("{}_type", file_stem(&name)), &[""], &[])));
        types.push(Some(name));
    }
    RustNames { types, type_files }
}

/// Spells types as the generated files write them (inside a child module of `module_bindings`,
/// with the module's types glob-imported from `super`).
struct Spell<'a> {
    names: &'a RustNames,
}

impl Spell<'_> {
    fn ty(&self, t: &Ty) -> String {
        match t {
            Ty::Bool => "bool".into(),
            Ty::I8 => "i8".into(),
            Ty::U8 => "u8".into(),
            Ty::I16 => "i16".into(),
            Ty::U16 => "u16".into(),
            Ty::I32 => "i32".into(),
            Ty::U32 => "u32".into(),
            Ty::I64 => "i64".into(),
            Ty::U64 => "u64".into(),
            Ty::I128 => "i128".into(),
            Ty::U128 => "u128".into(),
            Ty::I256 => "__sdk::i256".into(),
            Ty::U256 => "__sdk::u256".into(),
            Ty::F32 => "f32".into(),
            Ty::F64 => "f64".into(),
            Ty::String => "String".into(),
            Ty::Bytes => "Vec<u8>".into(),
            Ty::Identity => "__sdk::Identity".into(),
            Ty::ConnectionId => "__sdk::ConnectionId".into(),
            Ty::Timestamp => "__sdk::Timestamp".into(),
            Ty::TimeDuration => "__sdk::TimeDuration".into(),
            Ty::Uuid => "__sdk::Uuid".into(),
            Ty::ScheduleAt => "__sdk::ScheduleAt".into(),
            Ty::Unit => "()".into(),
            Ty::Array(e) => format!("Vec<{}>", self.ty(e)),
            Ty::Option(e) => format!("Option<{}>", self.ty(e)),
            Ty::Named(i) => self.names.types[*i].clone().expect("reducer argument structs are not used as types"),
        }
    }

    /// The type a lookup takes a reference to (`&str` for strings, `&[u8]` for bytes).
    fn borrowed(&self, t: &Ty) -> String {
        match t {
            Ty::String => "str".into(),
            Ty::Bytes => "[u8]".into(),
            _ => self.ty(t),
        }
    }
}

/// The comment at the top of every file.
#[derive(Template)]
#[template(path = "rust/banner.rs", escape = "none")]
pub struct Banner {
    file: String,
    version: &'static str,
    source: String,
    checksum: String,
}

/// One field of a struct or enum variant / one reducer parameter.
pub struct RField {
    /// The name in the module (for docs).
    pub name: String,
    /// The Rust identifier.
    pub ident: String,
    pub ty: String,
}

/// `NAME_type.rs` for a product type.
#[derive(Template)]
#[template(path = "rust/product.rs", escape = "none")]
pub struct ProductFile {
    banner: Banner,
    display: String,
    name: String,
    fields: Vec<RField>,
}

/// A variant of a sum type.
pub struct RVariant {
    pub name: String,
    pub ident: String,
    /// `None` for a variant without payload.
    pub payload: Option<String>,
}

/// `NAME_type.rs` for a sum type (a plain enum when no variant has a payload).
#[derive(Template)]
#[template(path = "rust/sum.rs", escape = "none")]
pub struct SumFile {
    banner: Banner,
    display: String,
    name: String,
    plain: bool,
    variants: Vec<RVariant>,
}

/// A unique-column lookup: `ctx.db.player().identity().find(&id)`.
#[derive(Template)]
#[template(path = "rust/unique_index.rs", escape = "none")]
pub struct UniqueIndex {
    table: String,
    row: String,
    handle: String,
    accessor: String,
    struct_name: String,
    column: String,
    column_lit: String,
    borrowed: String,
}

/// One range method of a btree index: the leading columns equal, `range` on the next.
pub struct RangeMethod {
    pub method: String,
    pub prefix: Vec<RField>,
    pub column: RField,
}

/// A btree index: `ctx.db.player().level().filter(&3)`, `.range(1..5)`.
#[derive(Template)]
#[template(path = "rust/btree_index.rs", escape = "none")]
pub struct BtreeIndex {
    table: String,
    row: String,
    handle: String,
    accessor: String,
    struct_name: String,
    index_lit: String,
    columns: Vec<RField>,
    ranges: Vec<RangeMethod>,
    many_args: bool,
}

/// `NAME_table.rs`.
#[derive(Template)]
#[template(path = "rust/table.rs", escape = "none")]
pub struct TableFile {
    banner: Banner,
    table: String,
    table_lit: String,
    row: String,
    handle: String,
    access: String,
    accessor: String,
    insert_id: String,
    delete_id: String,
    update_id: String,
    has_pk: bool,
    is_event: bool,
    is_public: bool,
    uniques: Vec<UniqueIndex>,
    btrees: Vec<BtreeIndex>,
}

/// `NAME_reducer.rs`.
#[derive(Template)]
#[template(path = "rust/reducer.rs", escape = "none")]
pub struct ReducerFile {
    banner: Banner,
    reducer: RReducer,
}

/// A reducer's names, as `reducer.rs` and `mod.rs` print them.
pub struct RReducer {
    pub name: String,
    pub name_lit: String,
    pub file: String,
    /// The extension trait and the call method (`move_to`).
    pub method: String,
    pub then_method: String,
    pub on_method: String,
    pub remove_method: String,
    pub args: String,
    pub callback_id: String,
    pub variant: String,
    pub params: Vec<RField>,
    pub many_args: bool,
}

impl RReducer {
    /// `x, y` (the parameters as arguments / field shorthands).
    pub fn names(&self) -> String {
        self.params.iter().map(|p| p.ident.clone()).collect::<Vec<_>>().join(", ")
    }
}

/// A context type of `mod.rs` (`EventContext`, `ReducerEventContext`, …).
#[derive(Template)]
#[template(path = "rust/context.rs", escape = "none")]
pub struct Context {
    name: &'static str,
    doc: &'static str,
    /// The type of its `event` field; `None` for a context without one.
    event: Option<&'static str>,
    db_context: DbContextImpl,
}

/// `impl __sdk::DbContext for NAME` (the connection and every context).
#[derive(Template)]
#[template(path = "rust/db_context.rs", escape = "none")]
pub struct DbContextImpl {
    name: &'static str,
}

/// One table's entry in `mod.rs`.
pub struct ModTable {
    pub file: String,
    pub name: String,
}

/// `mod.rs`.
#[derive(Template)]
#[template(path = "rust/mod.rs", escape = "none")]
pub struct ModFile {
    banner: Banner,
    source: String,
    /// `(file, type name)` of every module type.
    types: Vec<(String, String)>,
    tables: Vec<ModTable>,
    reducers: Vec<RReducer>,
    lifecycle: Vec<String>,
    /// The schema as string literals of at most ~100 bytes each.
    schema_chunks: Vec<String>,
    connection: DbContextImpl,
    contexts: Vec<Context>,
}

/// The generated files, `(file name, text)`, `mod.rs` first, the rest by name.
pub fn generate(m: &Module, opts: &Options) -> Result<Vec<(String, String)>, String> {
    let tys = &mut Names::default();
    tys.reserve(FIXED_TYPES);
    let files = &mut Names::default();
    files.reserve(&["mod"]);
    let names = choose_names(m, tys, files);
    let spell = Spell { names: &names };
    let banner =
        |file: &str| Banner { file: file.to_string(), version: VERSION, source: comment(&opts.source), checksum: checksum(m) };
    let mut out: Vec<(String, String)> = Vec::new();

    // Types.
    let mut types = Vec::new();
    for (i, n) in m.named.iter().enumerate() {
        let (Some(name), Some(file)) = (&names.types[i], &names.type_files[i]) else { continue };
        let fname = format!("{file}.rs");
        let text = match &n.kind {
            Kind::Product(fields) => {
                let idents = dedupe(fields.iter().map(|f| snake(&f.name)).collect(), &[]);
                let fields = fields
                    .iter()
                    .zip(idents)
                    .map(|(f, ident)| RField { name: comment(&f.name), ident, ty: spell.ty(&f.ty) })
                    .collect();
                let t = ProductFile { banner: banner(&fname), display: comment(&n.display_name), name: name.clone(), fields };
                crate::render::render(&t)?
            }
            Kind::Enum(vs) | Kind::Sum(vs) => {
                let idents = dedupe(vs.iter().map(|v| camel(&v.name)).collect(), &["Self"]);
                let variants = vs
                    .iter()
                    .zip(idents)
                    .map(|(v, ident)| RVariant {
                        name: comment(&v.name),
                        ident,
                        payload: (v.ty != Ty::Unit).then(|| spell.ty(&v.ty)),
                    })
                    .collect();
                let plain = matches!(n.kind, Kind::Enum(_));
                let t =
                    SumFile { banner: banner(&fname), display: comment(&n.display_name), name: name.clone(), plain, variants };
                crate::render::render(&t)?
            }
        };
        types.push((file.clone(), name.clone()));
        out.push((fname, text));
    }

    // Tables.
    let mut accessors = Names::default();
    let mut mod_tables = Vec::new();
    for t in &m.tables {
        let (file, text) = table_file(t, &spell, tys, files, &mut accessors, &banner)?;
        mod_tables.push(ModTable { file: file.clone(), name: comment(&t.name) });
        out.push((format!("{file}.rs"), text));
    }

    // Reducers.
    let methods = &mut Names::default();
    let variants = &mut Names::default();
    let mut reducers = Vec::new();
    for r in &m.reducers {
        let file = claim(files, &format!("{}_reducer", file_stem(&r.name)), &[""], &[]);
        let stem = claim(methods, &snake_raw(&r.name), &["", "_then"], &["on_", "remove_on_"]);
        let method = ident(stem.clone());
        let camel_name = camel(&r.name);
        let args = claim(tys, &format!("{camel_name}Args"), &[""], &[]);
        let callback_id = claim(tys, &format!("{camel_name}CallbackId"), &[""], &[]);
        // The trait shares the type namespace.
        tys.reserve(&[method.as_str()]);
        let variant = claim(variants, &camel_name, &[""], &[]);
        let idents = dedupe(
            r.params.iter().map(|p| snake(&p.name)).collect(),
            &["callback", "ctx", "args", "call", "imp", "reducer_name"],
        );
        let params: Vec<RField> =
            r.params.iter().zip(idents).map(|(p, ident)| RField { name: comment(&p.name), ident, ty: spell.ty(&p.ty) }).collect();
        let rr = RReducer {
            name: comment(&r.name),
            name_lit: lit(&r.name),
            file: file.clone(),
            then_method: format!("{stem}_then"),
            on_method: format!("on_{stem}"),
            remove_method: format!("remove_on_{stem}"),
            method,
            args,
            callback_id,
            variant,
            many_args: params.len() >= 6,
            params,
        };
        let fname = format!("{file}.rs");
        let text = crate::render::render(&ReducerFile { banner: banner(&fname), reducer: clone_reducer(&rr) })?;
        out.push((fname, text));
        reducers.push(rr);
    }

    let schema_chunks = chunks(&m.schema_json, 100).into_iter().map(|c| lit(&c)).collect();
    let contexts = vec![
        Context {
            name: "EventContext",
            doc: "passed to row callbacks (`on_insert`, `on_delete`, `on_update`)",
            event: Some("__sdk::Event<Reducer>"),
            db_context: DbContextImpl { name: "EventContext" },
        },
        Context {
            name: "ReducerEventContext",
            doc: "passed to reducer callbacks (`on_REDUCER`, `REDUCER_then`)",
            event: Some("__sdk::ReducerEvent<Reducer>"),
            db_context: DbContextImpl { name: "ReducerEventContext" },
        },
        Context {
            name: "SubscriptionEventContext",
            doc: "passed to a subscription's `on_applied` and `unsubscribe_then` callbacks",
            event: None,
            db_context: DbContextImpl { name: "SubscriptionEventContext" },
        },
        Context {
            name: "ErrorContext",
            doc: "passed to `on_connect_error`, `on_disconnect` and a subscription's `on_error`",
            event: Some("Option<__sdk::Error>"),
            db_context: DbContextImpl { name: "ErrorContext" },
        },
    ];
    let module = ModFile {
        banner: banner("mod.rs"),
        source: comment(&opts.source),
        types,
        tables: mod_tables,
        reducers,
        lifecycle: m.lifecycle_reducers.iter().map(|s| comment(s)).collect(),
        schema_chunks,
        connection: DbContextImpl { name: "DbConnection" },
        contexts,
    };
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out.insert(0, ("mod.rs".to_string(), crate::render::render(&module)?));
    Ok(out)
}

fn clone_reducer(r: &RReducer) -> RReducer {
    RReducer {
        name: r.name.clone(),
        name_lit: r.name_lit.clone(),
        file: r.file.clone(),
        method: r.method.clone(),
        then_method: r.then_method.clone(),
        on_method: r.on_method.clone(),
        remove_method: r.remove_method.clone(),
        args: r.args.clone(),
        callback_id: r.callback_id.clone(),
        variant: r.variant.clone(),
        params: r.params.iter().map(|p| RField { name: p.name.clone(), ident: p.ident.clone(), ty: p.ty.clone() }).collect(),
        many_args: r.many_args,
    }
}

/// `s` in pieces of at most `n` bytes, split at character boundaries.
fn chunks(s: &str, n: usize) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    for c in s.chars() {
        if cur.len() + c.len_utf8() > n {
            out.push(std::mem::take(&mut cur));
        }
        cur.push(c);
    }
    if !cur.is_empty() || out.is_empty() {
        out.push(cur);
    }
    out
}

#[allow(clippy::too_many_arguments)]
fn table_file(
    t: &Table,
    spell: &Spell,
    tys: &mut Names,
    files: &mut Names,
    accessors: &mut Names,
    banner: &dyn Fn(&str) -> Banner,
) -> Result<(String, String), String> {
    let base = snake(&t.name);
    let file = claim(files, &format!("{}_table", file_stem(&t.name)), &[""], &[]);
    let c = camel(&t.name);
    let handle = claim(tys, &format!("{c}TableHandle"), &[""], &[]);
    let access = claim(tys, &format!("{c}TableAccess"), &[""], &[]);
    let insert_id = claim(tys, &format!("{c}InsertCallbackId"), &[""], &[]);
    let delete_id = claim(tys, &format!("{c}DeleteCallbackId"), &[""], &[]);
    let update_id = claim(tys, &format!("{c}UpdateCallbackId"), &[""], &[]);
    let accessor = claim(accessors, &base, &[""], &[]);
    let row = spell.ty(&Ty::Named(t.row));
    // Methods of the handle: the trait methods first, then the indexes' accessors.
    let methods = &mut Names::default();
    methods.reserve(&[
        "count",
        "iter",
        "on_insert",
        "remove_on_insert",
        "on_delete",
        "remove_on_delete",
        "on_update",
        "remove_on_update",
        "raw",
    ]);
    let mut uniques = Vec::new();
    for &col in &t.unique_columns {
        let column = &t.columns[col];
        let accessor = claim(methods, &snake(&column.name), &[""], &[]);
        uniques.push(UniqueIndex {
            table: comment(&t.name),
            row: row.clone(),
            handle: handle.clone(),
            struct_name: claim(tys, &format!("{c}{}Unique", camel(&column.name)), &[""], &[]),
            accessor,
            column: comment(&column.name),
            column_lit: lit(&column.name),
            borrowed: spell.borrowed(&column.ty),
        });
    }
    let mut btrees = Vec::new();
    for ix in &t.indexes {
        // A unique column's own index: its `find` covers it (as in the official bindings).
        if let [c] = ix.columns[..] {
            if t.unique_columns.contains(&c) {
                continue;
            }
        }
        let accessor = claim(methods, &snake(&ix.stem), &[""], &[]);
        let idents = dedupe(ix.columns.iter().map(|&c| snake(&t.columns[c].name)).collect(), &["range", "self"]);
        let columns: Vec<RField> = ix
            .columns
            .iter()
            .zip(&idents)
            .map(|(&c, ident)| RField {
                name: comment(&t.columns[c].name),
                ident: ident.clone(),
                ty: spell.borrowed(&t.columns[c].ty),
            })
            .collect();
        let field =
            |k: usize| RField { name: columns[k].name.clone(), ident: columns[k].ident.clone(), ty: columns[k].ty.clone() };
        let ranges = if columns.len() == 1 {
            vec![RangeMethod { method: "range".into(), prefix: vec![], column: range_field(t, ix.columns[0], &idents[0], spell) }]
        } else {
            let names = dedupe(columns.iter().map(|c| format!("range_{}", c.ident)).collect(), &["filter"]);
            (0..columns.len())
                .map(|k| RangeMethod {
                    method: names[k].clone(),
                    prefix: (0..k).map(field).collect(),
                    column: range_field(t, ix.columns[k], &idents[k], spell),
                })
                .collect()
        };
        btrees.push(BtreeIndex {
            table: comment(&t.name),
            row: row.clone(),
            handle: handle.clone(),
            struct_name: claim(tys, &format!("{c}{}Index", camel(&ix.stem)), &[""], &[]),
            accessor,
            index_lit: lit(&ix.name),
            many_args: columns.len() >= 6,
            columns,
            ranges,
        });
    }
    let fname = format!("{file}.rs");
    let tf = TableFile {
        banner: banner(&fname),
        table: comment(&t.name),
        table_lit: lit(&t.name),
        row,
        handle,
        access,
        accessor,
        insert_id,
        delete_id,
        update_id,
        has_pk: t.primary_key.is_some() && !t.is_event,
        is_event: t.is_event,
        is_public: t.is_public,
        uniques,
        btrees,
    };
    Ok((file, crate::render::render(&tf)?))
}

/// The column a range method takes a range of (an owned type: `RangeBounds<String>`).
fn range_field(t: &Table, col: usize, ident: &str, spell: &Spell) -> RField {
    RField { name: comment(&t.columns[col].name), ident: ident.to_string(), ty: spell.ty(&t.columns[col].ty) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rust_names() {
        assert_eq!(snake("levelUp"), "level_up");
        assert_eq!(snake("move_to"), "move_to");
        assert_eq!(snake("HTTPServer"), "http_server");
        assert_eq!(snake("type"), "type_");
        assert_eq!(snake("1st"), "_1st");
        assert_eq!(camel("move_to"), "MoveTo");
        assert_eq!(camel("foo::Bar"), "FooBar");
        assert_eq!(camel("self"), "Self_");
        assert_eq!(camel("NULL"), "Null");
        assert_eq!(camel("HTTPServer"), "HTTPServer");
        assert_eq!(chunks("abcdé", 5), vec!["abcd".to_string(), "é".to_string()]);
    }
}
