//! The schema model: `RawModuleDefV9` reduced to what the generator emits, with every type
//! classified (primitive, special, option, array, or a named product/sum) and every name chosen.
//!
//! Special types are recognised structurally, as SpacetimeDB does (`spacetimedb_sats`'s
//! `is_identity`, `as_option`, …): Identity, ConnectionId, Timestamp, TimeDuration, Option and
//! ScheduleAt never become generated structs; they map to fixed C types.

use crate::names::{self, Locals, Names};
use spacetimedb_lib::db::raw_def::v9::{
    RawConstraintDataV9, RawIndexAlgorithm, RawModuleDefV9, RawReducerDefV9, RawTableDefV9, TableAccess,
};
use spacetimedb_sats::{AlgebraicType, ProductType, SumType};
use std::collections::HashMap;

/// A type as the generated code sees it.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Ty {
    Bool,
    I8,
    U8,
    I16,
    U16,
    I32,
    U32,
    I64,
    U64,
    I128,
    U128,
    I256,
    U256,
    F32,
    F64,
    String,
    /// `Array(U8)`.
    Bytes,
    Identity,
    ConnectionId,
    Timestamp,
    TimeDuration,
    /// SpacetimeDB 2.x's `Uuid` (`{ __uuid__: u128 }`).
    Uuid,
    ScheduleAt,
    /// The empty product `()`.
    Unit,
    Array(Box<Ty>),
    Option(Box<Ty>),
    /// A product or sum type with its own generated definition: index into [`Module::named`].
    Named(usize),
}

/// Builtin types, in the order their fixed code is emitted, with their name stems.
pub const BUILTINS: &[(Ty, &str)] = &[
    (Ty::Bool, "bool"),
    (Ty::I8, "i8"),
    (Ty::U8, "u8"),
    (Ty::I16, "i16"),
    (Ty::U16, "u16"),
    (Ty::I32, "i32"),
    (Ty::U32, "u32"),
    (Ty::I64, "i64"),
    (Ty::U64, "u64"),
    (Ty::I128, "i128"),
    (Ty::U128, "u128"),
    (Ty::I256, "i256"),
    (Ty::U256, "u256"),
    (Ty::F32, "f32"),
    (Ty::F64, "f64"),
    (Ty::String, "string"),
    (Ty::Bytes, "bytes"),
    (Ty::Identity, "identity"),
    (Ty::ConnectionId, "connection_id"),
    (Ty::Timestamp, "timestamp"),
    (Ty::TimeDuration, "time_duration"),
    (Ty::Uuid, "uuid"),
    (Ty::ScheduleAt, "schedule_at"),
    (Ty::Unit, "unit"),
];

impl Ty {
    /// Passed by value in C signatures (everything else by `const T *`, strings as `const char *`).
    pub fn is_scalar(&self, m: &Module) -> bool {
        match self {
            Ty::Bool | Ty::I8 | Ty::U8 | Ty::I16 | Ty::U16 | Ty::I32 | Ty::U32 | Ty::I64 | Ty::U64 | Ty::F32 | Ty::F64 => true,
            Ty::Named(i) => matches!(m.named[*i].kind, Kind::Enum(_)),
            _ => false,
        }
    }

    pub fn is_builtin(&self) -> bool {
        !matches!(self, Ty::Array(_) | Ty::Option(_) | Ty::Named(_))
    }

    /// The fewest bytes a value of this type takes in BSATN (bounds array allocations).
    pub fn min_size(&self, m: &Module) -> usize {
        match self {
            Ty::Bool | Ty::I8 | Ty::U8 => 1,
            Ty::I16 | Ty::U16 => 2,
            Ty::I32 | Ty::U32 | Ty::F32 => 4,
            Ty::I64 | Ty::U64 | Ty::F64 | Ty::Timestamp | Ty::TimeDuration => 8,
            Ty::I128 | Ty::U128 | Ty::ConnectionId | Ty::Uuid => 16,
            Ty::I256 | Ty::U256 | Ty::Identity => 32,
            Ty::String | Ty::Bytes | Ty::Array(_) => 4,
            Ty::ScheduleAt => 9,
            Ty::Unit => 0,
            Ty::Option(_) => 1,
            Ty::Named(i) => match &m.named[*i].kind {
                Kind::Product(fields) => fields.iter().map(|f| f.ty.min_size(m)).sum(),
                Kind::Enum(_) => 1,
                Kind::Sum(vs) => 1 + vs.iter().map(|v| v.ty.min_size(m)).min().unwrap_or(0),
            },
        }
    }

    /// Whether values own heap memory (and so need a real `_free`).
    pub fn has_heap(&self, m: &Module) -> bool {
        match self {
            Ty::String | Ty::Bytes | Ty::Array(_) => true,
            Ty::Option(t) => t.has_heap(m),
            Ty::Named(i) => match &m.named[*i].kind {
                Kind::Product(fields) => fields.iter().any(|f| f.ty.has_heap(m)),
                Kind::Enum(_) => false,
                Kind::Sum(vs) => vs.iter().any(|v| v.ty.has_heap(m)),
            },
            _ => false,
        }
    }

    /// Types this one contains directly (for ordering definitions).
    pub fn children(&self, m: &Module) -> Vec<Ty> {
        match self {
            Ty::Array(t) | Ty::Option(t) => vec![(**t).clone()],
            Ty::Named(i) => match &m.named[*i].kind {
                Kind::Product(fields) => fields.iter().map(|f| f.ty.clone()).collect(),
                Kind::Enum(_) => vec![],
                Kind::Sum(vs) => vs.iter().map(|v| v.ty.clone()).collect(),
            },
            _ => vec![],
        }
    }
}

#[derive(Clone, Debug)]
pub struct Field {
    /// The name in the module.
    pub name: String,
    /// The C/C++ member name (escaped, distinct within the struct).
    pub member: String,
    pub ty: Ty,
}

#[derive(Clone, Debug)]
pub struct Variant {
    pub name: String,
    /// Member / enumerator suffix (escaped, distinct within the type).
    pub member: String,
    /// `Ty::Unit` for variants without payload.
    pub ty: Ty,
    /// The enumerator (without prefix) naming this variant's tag: `Shape_Circle`.
    pub enumerator: String,
}

#[derive(Clone, Debug)]
pub enum Kind {
    Product(Vec<Field>),
    /// A sum whose variants all have no payload: a C enum.
    Enum(Vec<Variant>),
    /// A sum with payloads: a tagged union.
    Sum(Vec<Variant>),
}

/// A product or sum type that gets its own definition.
#[derive(Clone, Debug)]
pub struct Named {
    /// The module's name for it (`Point`, `foo::Bar`), or a made-up one for anonymous types.
    pub display_name: String,
    /// Stem of every C identifier for this type (without the prefix).
    pub stem: String,
    pub kind: Kind,
    /// The type with every `Ref` inlined (what `spacetimedb_sats::bsatn::decode` needs).
    pub algebraic_type: AlgebraicType,
}

#[derive(Clone, Debug)]
pub struct Column {
    pub name: String,
    pub member: String,
    pub ty: Ty,
}

#[derive(Clone, Debug)]
pub struct Index {
    /// The server's name, e.g. `scores_level_idx_btree` (what `stdb_table_btree_index` is given).
    pub name: String,
    /// Stem of its functions: the accessor name, else the server name.
    pub stem: String,
    pub columns: Vec<usize>,
}

#[derive(Clone, Debug)]
pub struct Table {
    pub name: String,
    /// Stem of every C identifier for the table's functions.
    pub stem: String,
    /// Member of the `PREFIX_db` struct.
    pub member: String,
    /// C++ class name of its handle.
    pub cpp_class: String,
    /// C++ accessor method name.
    pub cpp_accessor: String,
    pub row: usize,
    pub columns: Vec<Column>,
    pub primary_key: Option<usize>,
    /// Columns with a single-column unique constraint (the primary key's included), in column order.
    pub unique_columns: Vec<usize>,
    pub indexes: Vec<Index>,
    pub is_public: bool,
    pub scheduled: bool,
    /// An event table (2.x): rows reach insert callbacks and are never cached, so it has no
    /// count, iteration, finds, indexes, deletes or updates.
    pub is_event: bool,
}

#[derive(Clone, Debug)]
pub struct Param {
    pub name: String,
    /// Parameter name in C/C++ signatures (escaped; never `conn`, `flags`, …).
    pub member: String,
    pub ty: Ty,
}

#[derive(Clone, Debug)]
pub struct Reducer {
    pub name: String,
    /// Stem of its identifiers: `PREFIX_reducer_STEM`, `PREFIX_on_reducer_STEM`.
    pub stem: String,
    pub cpp_name: String,
    pub params: Vec<Param>,
    /// The generated args struct (a `Named` product) when there are parameters.
    pub args: Option<usize>,
}

/// Everything the emitters need.
pub struct Module {
    pub prefix: String,
    pub named: Vec<Named>,
    /// Every type that needs codec functions, dependencies first (builtins excluded).
    pub order: Vec<Ty>,
    pub tables: Vec<Table>,
    /// Callable reducers (lifecycle reducers are left out).
    pub reducers: Vec<Reducer>,
    /// Lifecycle reducers that were skipped.
    pub lifecycle_reducers: Vec<String>,
    /// Stems of option/array helper types.
    stems: HashMap<Ty, String>,
    /// Stems of the typed range bounds (`bound_u32`), per column type used in an index.
    pub bound_stems: Vec<(Ty, String)>,
    /// The schema as canonical SATS-JSON (what `PREFIX_register` embeds).
    pub schema_json: String,
    /// C++ class names reserved by the wrapper, so module types avoid them.
    pub cpp_type_names: HashMap<usize, String>,
}

/// Name stems of the generator's own file-scope identifiers (after the prefix).
pub const FIXED_API: &[&str] = &[
    "buffer",
    "buffer_free",
    "buffer_append",
    "reader",
    "reader_init",
    "fmt",
    "last_error",
    "register",
    "schema_json",
    "db",
    "db_init",
    "db_free",
    "remove_on_reducer",
    "closure",
    "closure_new",
    "closure_free",
    "iter_ctx",
    "set_error",
    "lib_error",
    "fail",
    "take",
    "load_le",
    "put_le",
    "read_len",
    "write_len",
    "read_tag",
    "write_tag",
    "decode_error",
    "fmt_n",
    "fmt_s",
    "fmt_u64",
    "fmt_i64",
    "fmt_end",
    "fmt_hex",
    "wide_decode",
    "wide_encode",
    "wide_negate",
    "wide_write",
    "wide_parse",
    "floor_div",
    "write_timestamp_micros",
    "write_duration_micros",
    "write_double",
    "write_quoted",
    "utf8_valid",
    "error_buf",
    "schema_chunks",
    "u128_from_u64",
    "i128_from_i64",
    "u256_from_u64",
    "i256_from_i64",
    "u128_from_string",
    "i128_from_string",
    "u256_from_string",
    "i256_from_string",
    "string_from",
    "uuid_version",
    "uuid_cmp",
    "uuid_from_string",
    "hex_digit",
];

/// C++ names the wrapper defines in the module namespace.
pub const CPP_FIXED: &[&str] = &[
    "Error",
    "Connection",
    "ConnectionBuilder",
    "Db",
    "Reducers",
    "Subscription",
    "EventContext",
    "ReducerEvent",
    "ReducerEventContext",
    "Bound",
    "CallbackId",
    "Identity",
    "ConnectionId",
    "Timestamp",
    "TimeDuration",
    "Uuid",
    "ScheduleAt",
    "I128",
    "U128",
    "I256",
    "U256",
    "Bytes",
    "Unit",
    "detail",
    "encode",
    "decode",
    "to_string",
    "std",
];

/// The model under construction: the named types found so far and the names claimed.
struct Builder<'a> {
    raw: &'a RawModuleDefV9,
    event_tables: &'a [String],
    named: Vec<Named>,
    by_ref: HashMap<u32, usize>,
    anon: HashMap<AlgebraicType, usize>,
    names: Names,
    /// Named types whose kind is not computed yet.
    pending: Vec<usize>,
}

/// Builds the model. `prefix` must already be a valid C identifier.
///
/// Names are claimed in a fixed order — builtins, module types, tables, reducers, helper types —
/// so the same schema always gives the same identifiers.
/// `event_tables`: names of the event tables (V9 cannot say which tables are).
pub fn build(raw: &RawModuleDefV9, prefix: &str, schema_json: String, event_tables: &[String]) -> Result<Module, String> {
    let mut b = Builder::new(raw, event_tables);
    b.intern_typespace()?;
    let tables = b.tables()?;
    let (reducers, lifecycle_reducers) = b.reducers()?;
    let Builder { named, mut names, .. } = b;
    let mut m = Module {
        prefix: prefix.to_string(),
        named,
        order: Vec::new(),
        tables,
        reducers,
        lifecycle_reducers,
        stems: HashMap::new(),
        bound_stems: Vec::new(),
        schema_json,
        cpp_type_names: HashMap::new(),
    };
    // Recursion first (a clear message), then every Ref can be inlined.
    check_recursion(&m)?;
    for n in &mut m.named {
        n.algebraic_type = inline(raw, &n.algebraic_type, 0)?;
    }
    check_sums(&m)?;
    order_types(&mut m, &mut names);
    name_cpp(&mut m);
    Ok(m)
}

impl<'a> Builder<'a> {
    fn new(raw: &'a RawModuleDefV9, event_tables: &'a [String]) -> Builder<'a> {
        let mut names = Names::default();
        names.reserve(FIXED_API);
        for (_, stem) in BUILTINS {
            names.claim(stem, TYPE_SUFFIXES);
        }
        Builder { raw, event_tables, named: Vec::new(), by_ref: HashMap::new(), anon: HashMap::new(), names, pending: Vec::new() }
    }

    /// Every product/sum in the typespace that has a name (or no name) gets a definition, in
    /// typespace order, so names are stable whatever uses them.
    fn intern_typespace(&mut self) -> Result<(), String> {
        let type_names: HashMap<u32, String> = self
            .raw
            .types
            .iter()
            .map(|t| {
                let mut parts: Vec<String> = t.name.scope.iter().map(|s| s.to_string()).collect();
                parts.push(t.name.name.to_string());
                (t.ty.idx() as u32, parts.join("::"))
            })
            .collect();
        for (i, ty) in self.raw.typespace.types.iter().enumerate() {
            let i = i as u32;
            if is_nominal(ty) {
                let name = type_names.get(&i).cloned().unwrap_or_else(|| format!("Type{i}"));
                self.intern_ref(i, &name)?;
            }
        }
        // Fill in the definitions (fields may intern anonymous types, filled in turn).
        self.fill_pending()
    }

    fn tables(&mut self) -> Result<Vec<Table>, String> {
        let mut members = Names::default();
        self.raw.tables.iter().map(|t| self.table(t, &mut members)).collect()
    }

    /// One table: its row type's columns, keys and indexes. `members` are the `PREFIX_db`
    /// members claimed so far.
    fn table(&mut self, t: &RawTableDefV9, members: &mut Names) -> Result<Table, String> {
        let name = t.name.to_string();
        let r = t.product_type_ref.idx() as u32;
        let row = *self
            .by_ref
            .get(&r)
            .ok_or_else(|| format!("table `{name}`: its row type (typespace entry {r}) is not a product type"))?;
        let Kind::Product(fields) = &self.named[row].kind else {
            return Err(format!("table `{name}`: its row type is not a product type"));
        };
        let columns: Vec<Column> =
            fields.iter().map(|f| Column { name: f.name.clone(), member: f.member.clone(), ty: f.ty.clone() }).collect();
        let col = |c: usize| -> Result<usize, String> {
            if c < columns.len() {
                Ok(c)
            } else {
                Err(format!("table `{name}`: column {c} out of range"))
            }
        };
        let is_event = self.event_tables.contains(&name);
        let primary_key = match t.primary_key.as_singleton() {
            _ if is_event => None,
            Some(c) => Some(col(c.idx())?),
            None if t.primary_key.is_empty() => None,
            None => return Err(format!("table `{name}`: multi-column primary keys are not supported")),
        };
        let (unique_columns, indexes) =
            if is_event { (Vec::new(), Vec::new()) } else { (unique_columns(t, primary_key, col)?, indexes(t, &columns, col)?) };
        let stem = self.names.claim(&names::sanitize(&name), &table_suffixes(&columns, &unique_columns, &indexes));
        let member = members.claim(&names::member(&name), &[]);
        Ok(Table {
            cpp_class: String::new(),
            cpp_accessor: member.clone(),
            name,
            stem,
            member,
            row,
            columns,
            primary_key,
            unique_columns,
            indexes,
            is_public: matches!(t.table_access, TableAccess::Public),
            scheduled: t.schedule.is_some(),
            is_event,
        })
    }

    /// Callable reducers, and the names of the lifecycle ones (clients cannot call those).
    fn reducers(&mut self) -> Result<(Vec<Reducer>, Vec<String>), String> {
        let mut reducers = Vec::new();
        let mut lifecycle = Vec::new();
        for r in &self.raw.reducers {
            if r.lifecycle.is_some() {
                lifecycle.push(r.name.to_string());
            } else {
                reducers.push(self.reducer(r)?);
            }
        }
        // Anonymous types met in reducer params.
        self.fill_pending()?;
        Ok((reducers, lifecycle))
    }

    /// One reducer: its parameters (named clear of the generated functions' own) and, when it has
    /// any, a generated args struct.
    fn reducer(&mut self, r: &RawReducerDefV9) -> Result<Reducer, String> {
        let name = r.name.to_string();
        let stem = self.names.claim_reducer(&names::sanitize(&name));
        let members = Locals::C_REDUCER.dedupe(
            r.params
                .elements
                .iter()
                .enumerate()
                .map(|(i, e)| names::member(e.name.as_deref().unwrap_or(&format!("arg{i}"))))
                .collect(),
        );
        let mut params = Vec::new();
        for (i, (e, member)) in r.params.elements.iter().zip(members).enumerate() {
            let pname = e.name.as_deref().map(str::to_owned).unwrap_or_else(|| format!("arg{i}"));
            let ty = self.convert(&e.algebraic_type, &format!("{name}_{pname}"), 0)?;
            params.push(Param { name: pname, member, ty });
        }
        let args = if params.is_empty() {
            None
        } else {
            let fields =
                params.iter().map(|p| Field { name: p.name.clone(), member: p.member.clone(), ty: p.ty.clone() }).collect();
            let stem = self.names.claim(&format!("reducer_{stem}_args"), TYPE_SUFFIXES);
            self.named.push(Named {
                display_name: format!("{name} arguments"),
                stem,
                kind: Kind::Product(fields),
                algebraic_type: AlgebraicType::Product(r.params.clone()),
            });
            Some(self.named.len() - 1)
        };
        Ok(Reducer { cpp_name: names::member(&name), name, stem, params, args })
    }
}

/// Columns with a single-column unique constraint, the primary key's included, in column order.
fn unique_columns(
    t: &RawTableDefV9,
    primary_key: Option<usize>,
    col: impl Fn(usize) -> Result<usize, String>,
) -> Result<Vec<usize>, String> {
    let mut unique = Vec::new();
    for c in &t.constraints {
        if let RawConstraintDataV9::Unique(u) = &c.data {
            if let Some(c) = u.columns.as_singleton() {
                let c = col(c.idx())?;
                if !unique.contains(&c) {
                    unique.push(c);
                }
            }
        }
    }
    if let Some(pk) = primary_key {
        if !unique.contains(&pk) {
            unique.push(pk);
        }
    }
    unique.sort_unstable();
    Ok(unique)
}

/// The table's named btree (and direct) indexes, each with a function stem clear of the table's
/// own functions and of the other indexes'.
fn indexes(t: &RawTableDefV9, columns: &[Column], col: impl Fn(usize) -> Result<usize, String>) -> Result<Vec<Index>, String> {
    let mut indexes = Vec::new();
    let mut stems = Names::default();
    stems.reserve(&["count", "iter", "visitor", "row_fn", "update_fn", "on_insert", "on_delete", "on_update", "remove_callback"]);
    for ix in &t.indexes {
        let cols = match &ix.algorithm {
            RawIndexAlgorithm::BTree { columns } => columns.iter().map(|c| col(c.idx())).collect::<Result<Vec<_>, _>>()?,
            RawIndexAlgorithm::Direct { column } => vec![col(column.idx())?],
            _ => continue,
        };
        let Some(server_name) = ix.name.as_deref() else {
            continue;
        };
        let base = ix.accessor_name.as_deref().unwrap_or(server_name);
        let suffixes = index_suffixes(&cols, columns);
        let suffixes: Vec<&str> = suffixes.iter().map(String::as_str).collect();
        let stem = stems.claim(&names::sanitize(base), &suffixes);
        indexes.push(Index { name: server_name.to_string(), stem, columns: cols });
    }
    Ok(indexes)
}

/// Sum types must have values, and a tag that fits the one byte BSATN gives it.
fn check_sums(m: &Module) -> Result<(), String> {
    for n in &m.named {
        if let Kind::Sum(vs) | Kind::Enum(vs) = &n.kind {
            if vs.is_empty() {
                return Err(format!(
                    "type `{}` is an empty sum type (it has no values); bindings-gen cannot represent it",
                    n.display_name
                ));
            }
            if vs.len() > 256 {
                return Err(format!("type `{}` has more than 256 variants", n.display_name));
            }
        }
    }
    Ok(())
}

/// Suffixes every type stem owns (its functions and helper types).
pub const TYPE_SUFFIXES: &[&str] =
    &["_encode", "_decode", "_from_bsatn", "_to_bsatn", "_free", "_eq", "_format", "_tag", "_write"];

fn table_suffixes(columns: &[Column], unique: &[usize], indexes: &[Index]) -> Vec<&'static str> {
    let mut s: Vec<String> = [
        "_count",
        "_iter",
        "_visitor",
        "_row_fn",
        "_update_fn",
        "_on_insert",
        "_on_delete",
        "_on_update",
        "_remove_callback",
        "_iter_tramp",
        "_row_tramp",
        "_update_tramp",
        "_collect",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    for &c in unique {
        s.push(format!("_find_by_{}", columns[c].member));
    }
    for ix in indexes {
        for suf in index_suffixes(&ix.columns, columns) {
            s.push(format!("_{}{suf}", ix.stem));
        }
    }
    // Leaked once per generation run: tiny, and keeps `Names::claim` simple.
    s.into_iter().map(|s| &*Box::leak(s.into_boxed_str())).collect()
}

/// Function-name suffixes of one index: `_filter`, and `_range` (one column) or
/// `_range_COL` per column (several).
pub fn index_suffixes(cols: &[usize], columns: &[Column]) -> Vec<String> {
    let mut v = vec!["_filter".to_string()];
    if cols.len() == 1 {
        v.push("_range".into());
    } else {
        for &c in cols {
            v.push(format!("_range_{}", columns[c].member));
        }
    }
    v
}

impl Names {
    /// Claims `reducer_X` (with its `_then` and `_encode`), `on_reducer_X` and `on_reducer_X_fn`
    /// together.
    fn claim_reducer(&mut self, base: &str) -> String {
        let mut stem = base.to_string();
        loop {
            let all = [
                format!("reducer_{stem}"),
                format!("reducer_{stem}_then"),
                format!("reducer_{stem}_encode"),
                format!("on_reducer_{stem}"),
                format!("on_reducer_{stem}_fn"),
                format!("on_reducer_{stem}_tramp"),
            ];
            if all.iter().all(|n| !self.is_used(n)) {
                for n in &all {
                    self.reserve(&[n.as_str()]);
                }
                return stem;
            }
            stem.push('_');
        }
    }
}

/// A typespace entry that gets its own generated definition.
fn is_nominal(ty: &AlgebraicType) -> bool {
    match ty {
        AlgebraicType::Product(p) => !p.is_special() && !p.is_unit(),
        AlgebraicType::Sum(s) => !s.is_special(),
        _ => false,
    }
}

impl Builder<'_> {
    fn fill_pending(&mut self) -> Result<(), String> {
        // Oldest first, so names of nested anonymous types follow the schema's order.
        let mut k = 0;
        while k < self.pending.len() {
            let i = self.pending[k];
            self.fill(i)?;
            k += 1;
        }
        self.pending.clear();
        Ok(())
    }

    fn intern_ref(&mut self, r: u32, name: &str) -> Result<usize, String> {
        if let Some(&i) = self.by_ref.get(&r) {
            return Ok(i);
        }
        let stem = self.names.claim(&names::sanitize(&name.replace("::", "_")), TYPE_SUFFIXES);
        let ty = self.raw.typespace.types[r as usize].clone();
        self.named.push(Named { display_name: name.to_string(), stem, kind: Kind::Product(vec![]), algebraic_type: ty });
        let i = self.named.len() - 1;
        self.by_ref.insert(r, i);
        self.pending.push(i);
        Ok(i)
    }

    /// Computes the kind of `named[k]` from its (not yet inlined) algebraic type.
    fn fill(&mut self, k: usize) -> Result<(), String> {
        let ty = self.named[k].algebraic_type.clone();
        let ctx = self.named[k].display_name.clone();
        let kind = match &ty {
            AlgebraicType::Product(p) => Kind::Product(self.fields(p, &ctx)?),
            AlgebraicType::Sum(s) => {
                let stem = self.named[k].stem.clone();
                self.sum_kind(s, &ctx, &stem)?
            }
            _ => unreachable!("only products and sums are named"),
        };
        // `algebraic_type` keeps its Refs until recursion has been ruled out (see `build`).
        self.named[k].kind = kind;
        Ok(())
    }

    fn fields(&mut self, p: &ProductType, ctx: &str) -> Result<Vec<Field>, String> {
        let members = names::dedupe(
            p.elements.iter().enumerate().map(|(i, e)| names::member(e.name.as_deref().unwrap_or(&format!("f{i}")))).collect(),
            &[],
        );
        let mut out = Vec::new();
        for (i, (e, member)) in p.elements.iter().zip(members).enumerate() {
            let name = e.name.as_deref().map(str::to_owned).unwrap_or_else(|| format!("{i}"));
            let ty = self.convert(&e.algebraic_type, &format!("{ctx}_{name}"), 0)?;
            out.push(Field { name, member, ty });
        }
        Ok(out)
    }

    fn sum_kind(&mut self, s: &SumType, ctx: &str, stem: &str) -> Result<Kind, String> {
        let members = names::dedupe(
            s.variants.iter().enumerate().map(|(i, v)| names::member(v.name.as_deref().unwrap_or(&format!("v{i}")))).collect(),
            &[],
        );
        let mut vs = Vec::new();
        for (i, (v, member)) in s.variants.iter().zip(members).enumerate() {
            let name = v.name.as_deref().map(str::to_owned).unwrap_or_else(|| format!("{i}"));
            let ty = self.convert(&v.algebraic_type, &format!("{ctx}_{name}"), 0)?;
            let enumerator = self.names.claim(&format!("{stem}_{member}"), &[]);
            vs.push(Variant { name, member, ty, enumerator });
        }
        if vs.iter().all(|v| v.ty == Ty::Unit) {
            Ok(Kind::Enum(vs))
        } else {
            Ok(Kind::Sum(vs))
        }
    }

    /// Classifies a type appearing in a field, variant or parameter.
    fn convert(&mut self, ty: &AlgebraicType, ctx: &str, depth: u32) -> Result<Ty, String> {
        if depth > 64 {
            return Err(format!("type of `{ctx}` nests too deeply (or its references loop)"));
        }
        Ok(match ty {
            AlgebraicType::Ref(r) => {
                let r32 = r.idx() as u32;
                if let Some(&i) = self.by_ref.get(&r32) {
                    return Ok(Ty::Named(i));
                }
                let target = self
                    .raw
                    .typespace
                    .types
                    .get(r.idx())
                    .ok_or_else(|| format!("`{ctx}` refers to typespace entry {} which does not exist", r.idx()))?
                    .clone();
                // Special types, options, arrays and primitives behind a Ref are used as themselves.
                return self.convert(&target, ctx, depth + 1);
            }
            AlgebraicType::Product(p) => {
                if p.is_identity() {
                    Ty::Identity
                } else if p.is_connection_id() {
                    Ty::ConnectionId
                } else if p.is_timestamp() {
                    Ty::Timestamp
                } else if p.is_time_duration() {
                    Ty::TimeDuration
                } else if is_uuid(p) {
                    Ty::Uuid
                } else if p.is_unit() {
                    Ty::Unit
                } else {
                    self.intern_anon(ty, ctx)?
                }
            }
            AlgebraicType::Sum(s) => {
                if let Some(t) = s.as_option() {
                    Ty::Option(Box::new(self.convert(t, ctx, depth + 1)?))
                } else if s.is_schedule_at() {
                    Ty::ScheduleAt
                } else {
                    self.intern_anon(ty, ctx)?
                }
            }
            AlgebraicType::Array(a) => match &*a.elem_ty {
                AlgebraicType::U8 => Ty::Bytes,
                e => Ty::Array(Box::new(self.convert(e, ctx, depth + 1)?)),
            },
            AlgebraicType::String => Ty::String,
            AlgebraicType::Bool => Ty::Bool,
            AlgebraicType::I8 => Ty::I8,
            AlgebraicType::U8 => Ty::U8,
            AlgebraicType::I16 => Ty::I16,
            AlgebraicType::U16 => Ty::U16,
            AlgebraicType::I32 => Ty::I32,
            AlgebraicType::U32 => Ty::U32,
            AlgebraicType::I64 => Ty::I64,
            AlgebraicType::U64 => Ty::U64,
            AlgebraicType::I128 => Ty::I128,
            AlgebraicType::U128 => Ty::U128,
            AlgebraicType::I256 => Ty::I256,
            AlgebraicType::U256 => Ty::U256,
            AlgebraicType::F32 => Ty::F32,
            AlgebraicType::F64 => Ty::F64,
        })
    }

    /// An inline (unnamed) product or sum: gets a definition named after where it appears.
    fn intern_anon(&mut self, ty: &AlgebraicType, ctx: &str) -> Result<Ty, String> {
        if let Some(&i) = self.anon.get(ty) {
            return Ok(Ty::Named(i));
        }
        let stem = self.names.claim(&names::sanitize(ctx), TYPE_SUFFIXES);
        self.named.push(Named { display_name: ctx.to_string(), stem, kind: Kind::Product(vec![]), algebraic_type: ty.clone() });
        let i = self.named.len() - 1;
        self.anon.insert(ty.clone(), i);
        self.pending.push(i);
        Ok(Ty::Named(i))
    }
}

/// `ty` with every Ref replaced by its target (recursion was ruled out by depth).
fn inline(raw: &RawModuleDefV9, ty: &AlgebraicType, depth: u32) -> Result<AlgebraicType, String> {
    if depth > 64 {
        return Err("a type refers to itself (recursive types are not supported by bindings-gen)".into());
    }
    Ok(match ty {
        AlgebraicType::Ref(r) => {
            let t = raw.typespace.types.get(r.idx()).ok_or_else(|| format!("typespace entry {} does not exist", r.idx()))?;
            inline(raw, t, depth + 1)?
        }
        AlgebraicType::Product(p) => AlgebraicType::Product(ProductType::new(
            p.elements
                .iter()
                .map(|e| {
                    Ok(spacetimedb_sats::ProductTypeElement::new(inline(raw, &e.algebraic_type, depth + 1)?, e.name.clone()))
                })
                .collect::<Result<Vec<_>, String>>()?
                .into(),
        )),
        AlgebraicType::Sum(s) => AlgebraicType::Sum(SumType::new(
            s.variants
                .iter()
                .map(|v| Ok(spacetimedb_sats::SumTypeVariant::new(inline(raw, &v.algebraic_type, depth + 1)?, v.name.clone())))
                .collect::<Result<Vec<_>, String>>()?
                .into(),
        )),
        AlgebraicType::Array(a) => AlgebraicType::array(inline(raw, &a.elem_ty, depth + 1)?),
        other => other.clone(),
    })
}

/// Rejects types that contain themselves (through any path): C structs cannot hold themselves by
/// value, and SpacetimeDB modules cannot declare such types either.
fn check_recursion(m: &Module) -> Result<(), String> {
    fn visit(m: &Module, i: usize, state: &mut Vec<u8>, path: &mut Vec<usize>) -> Result<(), String> {
        match state[i] {
            2 => return Ok(()),
            1 => {
                let start = path.iter().position(|&p| p == i).unwrap_or(0);
                let cycle: Vec<&str> =
                    path[start..].iter().chain(std::iter::once(&i)).map(|&p| m.named[p].display_name.as_str()).collect();
                return Err(format!(
                    "recursive type: {} (bindings-gen does not support types that contain themselves)",
                    cycle.join(" -> ")
                ));
            }
            _ => {}
        }
        state[i] = 1;
        path.push(i);
        let mut stack: Vec<Ty> = Ty::Named(i).children(m);
        while let Some(t) = stack.pop() {
            match t {
                Ty::Named(j) => visit(m, j, state, path)?,
                Ty::Array(t) | Ty::Option(t) => stack.push(*t),
                _ => {}
            }
        }
        path.pop();
        state[i] = 2;
        Ok(())
    }
    let mut state = vec![0u8; m.named.len()];
    for i in 0..m.named.len() {
        visit(m, i, &mut state, &mut Vec::new())?;
    }
    Ok(())
}

/// Orders every non-builtin type used anywhere so dependencies come first, and names the
/// option/array helpers.
fn order_types(m: &mut Module, names: &mut Names) {
    fn visit(m: &Module, t: &Ty, seen: &mut Vec<Ty>, out: &mut Vec<Ty>) {
        if t.is_builtin() || seen.contains(t) {
            return;
        }
        seen.push(t.clone());
        for c in t.children(m) {
            visit(m, &c, seen, out);
        }
        out.push(t.clone());
    }
    let mut seen = Vec::new();
    let mut out = Vec::new();
    let mut roots: Vec<Ty> = (0..m.named.len()).map(Ty::Named).collect();
    // Query results are arrays of rows.
    for t in &m.tables {
        roots.push(Ty::Array(Box::new(Ty::Named(t.row))));
    }
    for r in &m.reducers {
        for p in &r.params {
            roots.push(p.ty.clone());
        }
    }
    for r in &roots {
        visit(m, r, &mut seen, &mut out);
    }
    // Helper stems, in definition order (deterministic).
    for t in &out {
        if let Ty::Array(_) | Ty::Option(_) = t {
            let base = m.stem_of(t);
            let stem = names.claim(&base, TYPE_SUFFIXES);
            m.stems.insert(t.clone(), stem);
        }
    }
    m.order = out;
    for t in &m.tables {
        for ix in &t.indexes {
            for &c in &ix.columns {
                let ty = t.columns[c].ty.clone();
                if !m.bound_stems.iter().any(|(b, _)| *b == ty) {
                    let stem = names.claim(&format!("bound_{}", m.stem_of(&ty)), &[]);
                    m.bound_stems.push((ty, stem));
                }
            }
        }
    }
}

/// Chooses C++ class names for module types and table handles, avoiding the wrapper's own names.
fn name_cpp(m: &mut Module) {
    let mut n = Names::default();
    n.reserve(CPP_FIXED);
    for i in 0..m.named.len() {
        let base = names::member(&m.named[i].stem);
        let c = n.claim(&base, &[]);
        m.cpp_type_names.insert(i, c);
    }
    for t in &mut m.tables {
        t.cpp_class = n.claim(&format!("{}Table", names::camel(&t.name)), &[]);
    }
}

impl Module {
    /// Name stem (without prefix) of a type's identifiers: `i32`, `Point`, `option_i32`, `vec_Point`.
    pub fn stem_of(&self, t: &Ty) -> String {
        if let Some(s) = self.stems.get(t) {
            return s.clone();
        }
        match t {
            Ty::Named(i) => self.named[*i].stem.clone(),
            Ty::Array(e) => format!("vec_{}", self.stem_of(e)),
            Ty::Option(e) => format!("option_{}", self.stem_of(e)),
            b => BUILTINS.iter().find(|(t, _)| t == b).map(|(_, s)| s.to_string()).unwrap(),
        }
    }

    /// Full prefixed stem: `PREFIX_stem`.
    pub fn fstem(&self, t: &Ty) -> String {
        format!("{}_{}", self.prefix, self.stem_of(t))
    }

    /// The C type name.
    pub fn c_type(&self, t: &Ty) -> String {
        match t {
            Ty::Bool => "bool".into(),
            Ty::I8 => "int8_t".into(),
            Ty::U8 => "uint8_t".into(),
            Ty::I16 => "int16_t".into(),
            Ty::U16 => "uint16_t".into(),
            Ty::I32 => "int32_t".into(),
            Ty::U32 => "uint32_t".into(),
            Ty::I64 => "int64_t".into(),
            Ty::U64 => "uint64_t".into(),
            Ty::F32 => "float".into(),
            Ty::F64 => "double".into(),
            Ty::Identity => "stdb_identity".into(),
            Ty::ConnectionId => "stdb_connection_id".into(),
            _ => self.fstem(t),
        }
    }

    /// The stem of the typed range bound for index columns of type `t` (`bound_u32`).
    pub fn bound_stem(&self, t: &Ty) -> &str {
        &self.bound_stems.iter().find(|(b, _)| b == t).expect("a bound stem for every index column type").1
    }

    pub fn cpp_type_name(&self, i: usize) -> &str {
        &self.cpp_type_names[&i]
    }
}

/// SpacetimeDB 2.x's `Uuid` special type: a product of one `__uuid__: u128` (the 1.2.0 crates
/// this generator reads schemas with predate it).
fn is_uuid(p: &spacetimedb_sats::ProductType) -> bool {
    matches!(&*p.elements, [e] if e.name.as_deref() == Some("__uuid__") && e.algebraic_type == AlgebraicType::U128)
}

impl Module {
    /// The SATS type of `t` with every `Ref` inlined (what `spacetimedb_sats::bsatn::decode` takes).
    pub fn algebraic_type(&self, t: &Ty) -> AlgebraicType {
        match t {
            Ty::Bool => AlgebraicType::Bool,
            Ty::I8 => AlgebraicType::I8,
            Ty::U8 => AlgebraicType::U8,
            Ty::I16 => AlgebraicType::I16,
            Ty::U16 => AlgebraicType::U16,
            Ty::I32 => AlgebraicType::I32,
            Ty::U32 => AlgebraicType::U32,
            Ty::I64 => AlgebraicType::I64,
            Ty::U64 => AlgebraicType::U64,
            Ty::I128 => AlgebraicType::I128,
            Ty::U128 => AlgebraicType::U128,
            Ty::I256 => AlgebraicType::I256,
            Ty::U256 => AlgebraicType::U256,
            Ty::F32 => AlgebraicType::F32,
            Ty::F64 => AlgebraicType::F64,
            Ty::String => AlgebraicType::String,
            Ty::Bytes => AlgebraicType::bytes(),
            Ty::Identity => AlgebraicType::identity(),
            Ty::ConnectionId => AlgebraicType::connection_id(),
            Ty::Timestamp => AlgebraicType::timestamp(),
            Ty::TimeDuration => AlgebraicType::time_duration(),
            Ty::Uuid => AlgebraicType::product([("__uuid__", AlgebraicType::U128)]),
            Ty::ScheduleAt => {
                AlgebraicType::sum([("Interval", AlgebraicType::time_duration()), ("Time", AlgebraicType::timestamp())])
            }
            Ty::Unit => AlgebraicType::unit(),
            Ty::Array(e) => AlgebraicType::array(self.algebraic_type(e)),
            Ty::Option(e) => AlgebraicType::option(self.algebraic_type(e)),
            Ty::Named(i) => self.named[*i].algebraic_type.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The fixed C templates define file-scope identifiers of their own (`{{ p }}_buffer`,
    /// `{{ p }}_u128_from_string`, …); each must be reserved before module names are chosen, or
    /// a module type called `buffer` would collide with it.
    #[test]
    fn every_identifier_of_the_fixed_c_code_is_reserved() {
        let templates = [
            ("runtime.h", include_str!("../templates/c/runtime.h")),
            ("runtime.c", include_str!("../templates/c/runtime.c")),
            ("source.c", include_str!("../templates/c/source.c")),
            ("tables.h", include_str!("../templates/c/tables.h")),
            ("tables.c", include_str!("../templates/c/tables.c")),
            ("reducers.c", include_str!("../templates/c/reducers.c")),
        ];
        let reserved = |id: &str| {
            FIXED_API.contains(&id)
                || BUILTINS
                    .iter()
                    .any(|(_, stem)| id == *stem || TYPE_SUFFIXES.iter().any(|suffix| id.strip_suffix(suffix) == Some(stem)))
        };
        let mut missing = Vec::new();
        for (file, text) in templates {
            for (at, _) in text.match_indices("{{ p }}_") {
                let rest = &text[at + "{{ p }}_".len()..];
                let id: String = rest.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
                if !id.is_empty() && !reserved(&id) {
                    missing.push(format!("{file}: {id}"));
                }
            }
        }
        assert!(missing.is_empty(), "identifiers of the fixed C code missing from FIXED_API: {missing:?}");
    }
}
