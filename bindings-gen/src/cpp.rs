//! The header-only C++17 wrapper (`PREFIX.hpp`) over the generated C: value types with
//! `std::string`/`std::vector`/`std::optional`/`std::variant`, an RAII `Connection` with a builder,
//! typed table handles (`conn->db().player().find_by_identity(id)`), typed reducer calls and
//! `std::function` callbacks. Errors throw `PREFIX::Error`.
//!
//! Values cross into C by conversion: C++ → C (`detail::to_c`, into a zeroed C value that a guard
//! frees, so a throw halfway leaks nothing) and C → C++ (`detail::from_c`, deep copies).
//!
//! Templates: `templates/cpp/wrapper.hpp` (the file), the fixed `prelude.hpp`,
//! `builtin_types.hpp`, `builtin_conversions.hpp`, `events.hpp` and `connection.hpp`, and one per
//! generated construct: `types/KIND.hpp`, `conversions/KIND.hpp`, `codec.hpp`, `table.hpp` (with
//! `index_method.hpp`), `db.hpp`, `reducers.hpp`. This module gathers what they need; [`Cx`]
//! maps types and spells the conversions.

use crate::ctypes::{c_lit, comment_text, describe};
use crate::files::Banner;
use crate::model::{index_suffixes, Index, Kind, Module, Table, Ty};
use crate::names::{self, Locals, Names};
use crate::render::display_by_kind;
use crate::Options;
use askama::Template;

struct Cx<'a> {
    m: &'a Module,
    ns: String,
    p: String,
}

impl Cx<'_> {
    /// The C++ type of `t`, fully qualified.
    fn ty(&self, t: &Ty) -> String {
        let ns = &self.ns;
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
            Ty::I128 => format!("::{ns}::I128"),
            Ty::U128 => format!("::{ns}::U128"),
            Ty::I256 => format!("::{ns}::I256"),
            Ty::U256 => format!("::{ns}::U256"),
            Ty::String => "std::string".into(),
            Ty::Bytes => format!("::{ns}::Bytes"),
            Ty::Identity => format!("::{ns}::Identity"),
            Ty::ConnectionId => format!("::{ns}::ConnectionId"),
            Ty::Timestamp => format!("::{ns}::Timestamp"),
            Ty::TimeDuration => format!("::{ns}::TimeDuration"),
            Ty::Uuid => format!("::{ns}::Uuid"),
            Ty::ScheduleAt => format!("::{ns}::ScheduleAt"),
            Ty::Unit => format!("::{ns}::Unit"),
            Ty::Array(e) => format!("std::vector<{}>", self.ty(e)),
            Ty::Option(e) => format!("std::optional<{}>", self.ty(e)),
            Ty::Named(i) => format!("::{ns}::{}", self.m.cpp_type_name(*i)),
        }
    }

    fn c(&self, t: &Ty) -> String {
        let c = self.m.c_type(t);
        if t.is_builtin() && t.is_scalar(self.m) {
            c // int32_t, float, bool: not in the global namespace for sure
        } else {
            format!("::{c}")
        }
    }

    fn is_enum(&self, t: &Ty) -> bool {
        matches!(t, Ty::Named(i) if matches!(self.m.named[*i].kind, Kind::Enum(_)))
    }

    /// Expression converting C value `e` to C++.
    fn expr_from_c(&self, t: &Ty, e: &str) -> String {
        if self.is_enum(t) {
            format!("static_cast<{}>({e})", self.ty(t))
        } else if t.is_scalar(self.m) {
            e.to_string()
        } else {
            format!("::{}::detail::from_c({e})", self.ns)
        }
    }

    /// Statement storing C++ value `src` into the C value at pointer `dst`.
    fn stmt_to_c(&self, t: &Ty, src: &str, dst: &str) -> String {
        if self.is_enum(t) {
            format!("*({dst}) = static_cast<{}>({src});", self.c(t))
        } else if t.is_scalar(self.m) {
            format!("*({dst}) = {src};")
        } else {
            format!("::{}::detail::to_c({src}, {dst});", self.ns)
        }
    }

    /// A parameter: scalars by value, the rest by const reference.
    fn param(&self, t: &Ty, name: &str) -> String {
        if t.is_scalar(self.m) {
            format!("{} {name}", self.ty(t))
        } else {
            format!("const {} &{name}", self.ty(t))
        }
    }

    /// `detail::Owned<CT, free>` guard type for C values of `t`.
    fn owned(&self, t: &Ty) -> String {
        format!("::{}::detail::Owned<{}, &::{}_free>", self.ns, self.c(t), self.m.fstem(t))
    }
}

/// `PREFIX.hpp`.
#[derive(Template)]
#[template(path = "cpp/wrapper.hpp", escape = "none")]
pub struct Wrapper {
    banner: Banner,
    p: String,
    ns: String,
    pu: String,
    types: Vec<CppType>,
    conversions: Vec<Conversion>,
    codecs: Vec<CodecApi>,
    tables: Vec<TableClass>,
    db: DbClass,
    reducers: ReducersClass,
}

impl Wrapper {
    pub fn new(m: &Module, opts: &Options) -> Wrapper {
        let cx = Cx { m, ns: m.prefix.clone(), p: m.prefix.clone() };
        let names: Vec<Ty> = m.order.iter().filter(|t| matches!(t, Ty::Named(_))).cloned().collect();
        Wrapper {
            banner: Banner::new(m, opts, "hpp", "C++17 wrapper over the generated C bindings (header-only)."),
            p: m.prefix.clone(),
            ns: m.prefix.clone(),
            pu: m.prefix.to_ascii_uppercase(),
            types: names.iter().map(|t| CppType::new(&cx, t)).collect(),
            conversions: m.order.iter().filter(|t| !cx.is_enum(t)).map(|t| Conversion::new(&cx, t)).collect(),
            codecs: names.iter().map(|t| CodecApi::new(&cx, t)).collect(),
            tables: m.tables.iter().map(|t| TableClass::new(&cx, t)).collect(),
            db: DbClass {
                p: m.prefix.clone(),
                tables: m
                    .tables
                    .iter()
                    .map(|t| DbMember { class_name: t.cpp_class.clone(), accessor: t.cpp_accessor.clone() })
                    .collect(),
            },
            reducers: ReducersClass::new(&cx),
        }
    }
}

// ---- Module types -------------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "cpp/types/enum.hpp", escape = "none")]
pub struct EnumType {
    description: String,
    name: String,
    variants: Vec<CppVariant>,
}

#[derive(Template)]
#[template(path = "cpp/types/product.hpp", escape = "none")]
pub struct ProductType {
    description: String,
    name: String,
    fields: Vec<CppField>,
}

#[derive(Template)]
#[template(path = "cpp/types/sum.hpp", escape = "none")]
pub struct SumType {
    description: String,
    name: String,
    /// The `std::variant`'s alternatives, in tag order.
    alternatives: Vec<String>,
    variants: Vec<CppVariant>,
}

struct CppField {
    ty: String,
    member: String,
    /// Scalars are value-initialized (`{}`).
    scalar: bool,
}

struct CppVariant {
    member: String,
    /// The static constructor's name (clear of the struct's own members).
    ctor: String,
    /// The payload's C++ type; none for unit variants.
    ty: Option<String>,
}

/// A module type's C++ definition.
pub enum CppType {
    Enum(EnumType),
    Product(ProductType),
    Sum(SumType),
}
display_by_kind!(CppType { Enum, Product, Sum });

impl CppType {
    fn new(cx: &Cx, t: &Ty) -> CppType {
        let Ty::Named(i) = t else { unreachable!("only named types get C++ definitions") };
        let (m, n) = (cx.m, &cx.m.named[*i]);
        let name = m.cpp_type_name(*i).to_string();
        let description = comment_text(&n.display_name);
        match &n.kind {
            Kind::Enum(vs) => CppType::Enum(EnumType {
                description,
                name,
                variants: vs.iter().map(|v| CppVariant { member: v.member.clone(), ctor: String::new(), ty: None }).collect(),
            }),
            Kind::Product(fields) => CppType::Product(ProductType {
                description,
                name,
                fields: fields
                    .iter()
                    .map(|f| CppField { ty: cx.ty(&f.ty), member: f.member.clone(), scalar: f.ty.is_scalar(m) })
                    .collect(),
            }),
            Kind::Sum(vs) => {
                let ctors = names::dedupe(
                    vs.iter().map(|v| v.member.clone()).collect(),
                    &["Tag", "value", "tag", name.as_str(), "Value"],
                );
                CppType::Sum(SumType {
                    description,
                    alternatives: vs
                        .iter()
                        .map(|v| if v.ty == Ty::Unit { "std::monostate".into() } else { cx.ty(&v.ty) })
                        .collect(),
                    variants: vs
                        .iter()
                        .zip(ctors)
                        .map(|(v, ctor)| CppVariant {
                            member: v.member.clone(),
                            ctor,
                            ty: (v.ty != Ty::Unit).then(|| cx.ty(&v.ty)),
                        })
                        .collect(),
                    name,
                })
            }
        }
    }
}

// ---- Conversions --------------------------------------------------------------------------------

/// `detail::from_c` / `detail::to_c` of one non-enum module type: declared first (so definition
/// order never matters), then defined.
pub struct Conversion {
    cpp: String,
    c: String,
    definition: ConversionDefinition,
}

#[derive(Template)]
#[template(path = "cpp/conversions/array.hpp", escape = "none")]
pub struct ArrayConversion {
    cpp: String,
    c: String,
    elem_c: String,
    elem_from_c: String,
    elem_to_c: String,
}

#[derive(Template)]
#[template(path = "cpp/conversions/option.hpp", escape = "none")]
pub struct OptionConversion {
    cpp: String,
    c: String,
    value_from_c: String,
    value_to_c: String,
}

#[derive(Template)]
#[template(path = "cpp/conversions/product.hpp", escape = "none")]
pub struct ProductConversion {
    cpp: String,
    c: String,
    fields: Vec<FieldConversion>,
}

struct FieldConversion {
    member: String,
    from_c: String,
    to_c: String,
}

#[derive(Template)]
#[template(path = "cpp/conversions/sum.hpp", escape = "none")]
pub struct SumConversion {
    cpp: String,
    c: String,
    variants: Vec<VariantConversion>,
}

struct VariantConversion {
    enumerator: String,
    /// None for unit variants.
    from_c: Option<String>,
    to_c: Option<String>,
}

pub enum ConversionDefinition {
    Array(ArrayConversion),
    Option(OptionConversion),
    Product(ProductConversion),
    Sum(SumConversion),
}
display_by_kind!(ConversionDefinition { Array, Option, Product, Sum });

impl Conversion {
    fn new(cx: &Cx, t: &Ty) -> Conversion {
        let (cpp, c) = (cx.ty(t), cx.c(t));
        let definition = match t {
            Ty::Array(e) => ConversionDefinition::Array(ArrayConversion {
                cpp: cpp.clone(),
                c: c.clone(),
                elem_c: cx.c(e),
                elem_from_c: cx.expr_from_c(e, "c.data[i]"),
                elem_to_c: cx.stmt_to_c(e, "v[i]", "&out->data[i]"),
            }),
            Ty::Option(e) => ConversionDefinition::Option(OptionConversion {
                cpp: cpp.clone(),
                c: c.clone(),
                value_from_c: cx.expr_from_c(e, "c.value"),
                value_to_c: cx.stmt_to_c(e, "*v", "&out->value"),
            }),
            Ty::Named(i) => match &cx.m.named[*i].kind {
                Kind::Product(fields) => ConversionDefinition::Product(ProductConversion {
                    cpp: cpp.clone(),
                    c: c.clone(),
                    fields: fields
                        .iter()
                        .map(|f| FieldConversion {
                            member: f.member.clone(),
                            from_c: cx.expr_from_c(&f.ty, &format!("c.{}", f.member)),
                            to_c: cx.stmt_to_c(&f.ty, &format!("v.{}", f.member), &format!("&out->{}", f.member)),
                        })
                        .collect(),
                }),
                Kind::Sum(vs) => ConversionDefinition::Sum(SumConversion {
                    cpp: cpp.clone(),
                    c: c.clone(),
                    variants: vs
                        .iter()
                        .enumerate()
                        .map(|(k, v)| VariantConversion {
                            enumerator: format!("::{}_{}", cx.p, v.enumerator),
                            from_c: (v.ty != Ty::Unit).then(|| cx.expr_from_c(&v.ty, &format!("c.value.{}", v.member))),
                            to_c: (v.ty != Ty::Unit).then(|| {
                                cx.stmt_to_c(&v.ty, &format!("std::get<{k}>(v.value)"), &format!("&out->value.{}", v.member))
                            }),
                        })
                        .collect(),
                }),
                Kind::Enum(_) => unreachable!("enums convert by a cast"),
            },
            _ => unreachable!("builtins' conversions are fixed"),
        };
        Conversion { cpp, c, definition }
    }
}

// ---- BSATN and text -----------------------------------------------------------------------------

/// `to_bsatn`, `from_bsatn<T>` and `to_string` of one module type.
#[derive(Template)]
#[template(path = "cpp/codec.hpp", escape = "none")]
pub struct CodecApi {
    cpp: String,
    c: String,
    fstem: String,
    name: String,
    owned: String,
    to_c: String,
    from_c: String,
}

impl CodecApi {
    fn new(cx: &Cx, t: &Ty) -> CodecApi {
        let Ty::Named(i) = t else { unreachable!("only named types get codec functions") };
        CodecApi {
            cpp: cx.ty(t),
            c: cx.c(t),
            fstem: cx.m.fstem(t),
            name: cx.m.cpp_type_name(*i).to_string(),
            owned: cx.owned(t),
            to_c: cx.stmt_to_c(t, "v", "&c.v"),
            from_c: cx.expr_from_c(t, "c.v"),
        }
    }
}

// ---- Tables -------------------------------------------------------------------------------------

/// A C++ parameter as the C API takes it: `arg` is the C argument; `conversion` is set when it is
/// first converted into an owned C value (see `convert_arg` in templates/cpp/macros.hpp).
struct CppArg {
    arg: String,
    conversion: Option<ArgConversion>,
}

struct ArgConversion {
    owned: String,
    tmp: String,
    store: String,
}

impl CppArg {
    fn new(cx: &Cx, t: &Ty, name: &str, tmp: &str) -> CppArg {
        if t.is_scalar(cx.m) {
            let arg = if cx.is_enum(t) { format!("static_cast<{}>({name})", cx.c(t)) } else { name.to_string() };
            CppArg { arg, conversion: None }
        } else if *t == Ty::String {
            CppArg { arg: format!("{name}.c_str()"), conversion: None }
        } else {
            CppArg {
                arg: format!("&{tmp}.v"),
                conversion: Some(ArgConversion {
                    owned: cx.owned(t),
                    tmp: tmp.to_string(),
                    store: cx.stmt_to_c(t, name, &format!("&{tmp}.v")),
                }),
            }
        }
    }
}

/// One table's handle class.
#[derive(Template)]
#[template(path = "cpp/table.hpp", escape = "none")]
pub struct TableClass {
    p: String,
    class_name: String,
    /// The table's name as written in comments, and raw (in messages).
    comment_name: String,
    name: String,
    /// `::PREFIX_STEM`: the C functions' stem.
    ts: String,
    row: String,
    row_c: String,
    row_owned: String,
    rows_owned: String,
    row_from_c: String,
    rows_from_c: String,
    from_row: String,
    from_old_row: String,
    from_new_row: String,
    has_primary_key: bool,
    is_event: bool,
    finds: Vec<Find>,
    scans: Vec<Scan>,
}

struct Find {
    member: String,
    comment_column: String,
    param: String,
    key: CppArg,
}

/// One method of a btree index (see `tables::Scan` for the C function it calls).
struct Scan {
    /// The index's server name.
    index: String,
    name: String,
    params: Vec<String>,
    keys: Vec<CppArg>,
    range: Option<ScanRange>,
    args: Vec<String>,
}

struct ScanRange {
    comment_column: String,
    /// The C bound type.
    bound_c: String,
    ends: [BoundEnd; 2],
}

/// `lo` from `lower`, `hi` from `upper`.
struct BoundEnd {
    slot: &'static str,
    which: &'static str,
    value: BoundValue,
}

/// How a bound's value reaches the C bound: borrowed as an expression, or converted into an owned
/// C value (the guard's type and the statement storing into `SLOT_c.v`).
enum BoundValue {
    Borrowed(String),
    Converted(String, String),
}

/// C++ parameter names for a table's columns, clear of the methods' locals.
fn col_params(t: &Table, cols: &[usize]) -> Vec<String> {
    Locals::CPP_TABLE.dedupe(cols.iter().map(|&c| t.columns[c].member.clone()).collect())
}

impl TableClass {
    fn new(cx: &Cx, t: &Table) -> TableClass {
        let row_ty = Ty::Named(t.row);
        let rows_ty = Ty::Array(Box::new(row_ty.clone()));
        TableClass {
            p: cx.p.clone(),
            class_name: t.cpp_class.clone(),
            comment_name: comment_text(&t.name),
            name: t.name.clone(),
            ts: format!("::{}_{}", cx.p, t.stem),
            row: cx.ty(&row_ty),
            row_c: cx.c(&row_ty),
            row_owned: cx.owned(&row_ty),
            rows_owned: cx.owned(&rows_ty),
            row_from_c: cx.expr_from_c(&row_ty, "c.v"),
            rows_from_c: cx.expr_from_c(&rows_ty, "c.v"),
            from_row: cx.expr_from_c(&row_ty, "*row"),
            from_old_row: cx.expr_from_c(&row_ty, "*old_row"),
            from_new_row: cx.expr_from_c(&row_ty, "*new_row"),
            has_primary_key: t.primary_key.is_some(),
            is_event: t.is_event,
            finds: t
                .unique_columns
                .iter()
                .map(|&c| {
                    let col = &t.columns[c];
                    let pn = col_params(t, &[c]).remove(0);
                    Find {
                        member: col.member.clone(),
                        comment_column: comment_text(&col.name),
                        param: cx.param(&col.ty, &pn),
                        key: CppArg::new(cx, &col.ty, &pn, "key"),
                    }
                })
                .collect(),
            scans: t.indexes.iter().flat_map(|ix| scans(cx, t, ix)).collect(),
        }
    }
}

/// The methods of one index: an exact filter, then a range per column.
fn scans(cx: &Cx, t: &Table, ix: &Index) -> Vec<Scan> {
    let m = cx.m;
    let suffixes = index_suffixes(&ix.columns, &t.columns);
    let pnames = col_params(t, &ix.columns);
    let keys = |n: usize| -> Vec<CppArg> {
        ix.columns[..n]
            .iter()
            .zip(&pnames)
            .enumerate()
            .map(|(k, (&c, name))| CppArg::new(cx, &t.columns[c].ty, name, &format!("key{k}")))
            .collect()
    };
    let params = |n: usize| -> Vec<String> {
        ix.columns[..n].iter().zip(&pnames).map(|(&c, name)| cx.param(&t.columns[c].ty, name)).collect()
    };
    let exact_keys = keys(ix.columns.len());
    let mut v = vec![Scan {
        index: ix.name.clone(),
        name: format!("{}{}", ix.stem, suffixes[0]),
        params: params(ix.columns.len()),
        args: exact_keys.iter().map(|k| k.arg.clone()).collect(),
        keys: exact_keys,
        range: None,
    }];
    for (k, suffix) in suffixes[1..].iter().enumerate() {
        let ranged = &t.columns[ix.columns[k]];
        let bound = format!("Bound<{}>", cx.ty(&ranged.ty));
        let mut params = params(k);
        params.push(format!("const {bound} &lower"));
        params.push(format!("const {bound} &upper"));
        let end = |slot: &'static str, which: &'static str| -> BoundEnd {
            let value = if ranged.ty == Ty::String {
                BoundValue::Borrowed(format!("{which}.value.c_str()"))
            } else if cx.is_enum(&ranged.ty) {
                BoundValue::Borrowed(format!("static_cast<{}>({which}.value)", cx.c(&ranged.ty)))
            } else if ranged.ty.is_scalar(m) {
                BoundValue::Borrowed(format!("{which}.value"))
            } else {
                BoundValue::Converted(
                    cx.owned(&ranged.ty),
                    cx.stmt_to_c(&ranged.ty, &format!("{which}.value"), &format!("&{slot}_c.v")),
                )
            };
            BoundEnd { slot, which, value }
        };
        let keys = keys(k);
        let mut args: Vec<String> = keys.iter().map(|k| k.arg.clone()).collect();
        args.push("&lo".into());
        args.push("&hi".into());
        v.push(Scan {
            index: ix.name.clone(),
            name: format!("{}{suffix}", ix.stem),
            params,
            keys,
            range: Some(ScanRange {
                comment_column: comment_text(&ranged.name),
                bound_c: format!("::{}_{}", m.prefix, m.bound_stem(&ranged.ty)),
                ends: [end("lo", "lower"), end("hi", "upper")],
            }),
            args,
        });
    }
    v
}

// ---- Db and reducers ----------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "cpp/db.hpp", escape = "none")]
pub struct DbClass {
    p: String,
    tables: Vec<DbMember>,
}

struct DbMember {
    class_name: String,
    accessor: String,
}

#[derive(Template)]
#[template(path = "cpp/reducers.hpp", escape = "none")]
pub struct ReducersClass {
    p: String,
    reducers: Vec<CppReducer>,
}

struct CppReducer {
    /// The reducer's name raw (in messages), as a C literal, and its length.
    name: String,
    name_lit: String,
    name_len: usize,
    /// `name(a: u32)`, as comment text.
    signature: String,
    /// The call method and the callback registration method.
    call: String,
    on: String,
    params: Vec<String>,
    callback_params: Vec<String>,
    args: Option<CppArgs>,
}

struct CppArgs {
    owned: String,
    fstem: String,
    /// Statements storing each parameter into the args struct `c.v`.
    stores: Vec<String>,
    /// Each decoded argument, as passed to a callback.
    callback_args: Vec<String>,
}

impl ReducersClass {
    fn new(cx: &Cx) -> ReducersClass {
        let m = cx.m;
        let reducers = m
            .reducers
            .iter()
            .zip(reducer_names(m))
            .map(|(r, (call, on))| {
                let pn = Locals::CPP_REDUCER.dedupe(r.params.iter().map(|p| p.member.clone()).collect());
                let mut params: Vec<String> = r.params.iter().zip(&pn).map(|(prm, n)| cx.param(&prm.ty, n)).collect();
                params.push("uint32_t flags = STDB_CALL_FULL_UPDATE".into());
                let sig: Vec<String> = r.params.iter().map(|p| format!("{}: {}", p.name, describe(m, &p.ty))).collect();
                let mut callback_params = vec!["const ReducerEventContext &".to_string()];
                callback_params.extend(r.params.iter().map(|prm| cx.param(&prm.ty, "").trim_end().to_string()));
                CppReducer {
                    name: r.name.clone(),
                    name_lit: c_lit(&r.name),
                    name_len: r.name.len(),
                    signature: format!("{}({})", comment_text(&r.name), comment_text(&sig.join(", "))),
                    call,
                    on,
                    params,
                    callback_params,
                    args: r.args.map(|a| CppArgs {
                        owned: cx.owned(&Ty::Named(a)),
                        fstem: m.fstem(&Ty::Named(a)),
                        stores: r
                            .params
                            .iter()
                            .zip(&pn)
                            .map(|(prm, n)| cx.stmt_to_c(&prm.ty, n, &format!("&c.v.{}", prm.member)))
                            .collect(),
                        callback_args: r
                            .params
                            .iter()
                            .map(|prm| cx.expr_from_c(&prm.ty, &format!("c.v.{}", prm.member)))
                            .collect(),
                    }),
                }
            })
            .collect();
        ReducersClass { p: m.prefix.clone(), reducers }
    }
}

fn reducer_names(m: &Module) -> Vec<(String, String)> {
    let mut n = Names::default();
    n.reserve(&["remove_on_reducer", "Reducers", "conn_"]);
    m.reducers
        .iter()
        .map(|r| {
            let stem = claim_pair(&mut n, &r.cpp_name);
            (stem.clone(), format!("on_{stem}"))
        })
        .collect()
}

fn claim_pair(n: &mut Names, base: &str) -> String {
    let mut stem = base.to_string();
    loop {
        let on = format!("on_{stem}");
        let all = [stem.clone(), on.clone(), format!("{on}_fn"), format!("{on}_tramp")];
        if all.iter().all(|x| !n.is_used(x)) {
            n.reserve(&all.iter().map(String::as_str).collect::<Vec<_>>());
            return stem;
        }
        stem.push('_');
    }
}
