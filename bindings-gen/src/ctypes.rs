//! C declarations of module types (structs, enums, tagged unions, options, arrays) and the
//! prototypes of their functions.

use crate::model::{Kind, Module, Ty, Variant};
use crate::render::display_by_kind;
use askama::Template;
use std::fmt::Write;

/// A C string literal (with quotes) holding `s` byte for byte. Non-printable and non-ASCII bytes
/// become 3-digit octal escapes; `?` is escaped so no trigraph can form.
pub fn c_lit(s: &str) -> String {
    c_lit_bytes(s.as_bytes())
}

/// [`c_lit`] of any bytes (a slice of a string may end inside a UTF-8 sequence).
pub fn c_lit_bytes(bytes: &[u8]) -> String {
    let mut out = String::from("\"");
    for &b in bytes {
        match b {
            b'"' => out.push_str("\\\""),
            b'\\' => out.push_str("\\\\"),
            b'?' => out.push_str("\\?"),
            0x20..=0x7e => out.push(b as char),
            _ => {
                let _ = write!(out, "\\{b:03o}");
            }
        }
    }
    out.push('"');
    out
}

/// Text safe inside a `/* */` comment.
pub fn comment_text(s: &str) -> String {
    s.replace("*/", "* /").replace("/*", "/ *").replace(['\n', '\r'], " ")
}

/// A short description of a type in module terms (`Option<Vec<String>>`), for comments.
pub fn describe(m: &Module, t: &Ty) -> String {
    match t {
        Ty::Named(i) => m.named[*i].display_name.clone(),
        Ty::Array(e) => format!("Vec<{}>", describe(m, e)),
        Ty::Option(e) => format!("Option<{}>", describe(m, e)),
        Ty::Bytes => "Vec<u8>".into(),
        Ty::String => "String".into(),
        Ty::Identity => "Identity".into(),
        Ty::ConnectionId => "ConnectionId".into(),
        Ty::Timestamp => "Timestamp".into(),
        Ty::TimeDuration => "TimeDuration".into(),
        Ty::Uuid => "Uuid".into(),
        Ty::ScheduleAt => "ScheduleAt".into(),
        Ty::Unit => "()".into(),
        other => m.stem_of(other),
    }
}

/// A member of a C struct: `original` is the module's name when the member had to be renamed.
pub struct CField {
    c_type: String,
    member: String,
    original: Option<String>,
}

/// A variant of a C enum or tagged union: `c_type` is its payload's (none for unit variants).
pub struct CVariant {
    enumerator: String,
    member: String,
    c_type: Option<String>,
}

#[derive(Template)]
#[template(path = "c/types/array.h", escape = "none")]
pub struct ArrayDefinition {
    description: String,
    name: String,
    elem: String,
}

#[derive(Template)]
#[template(path = "c/types/option.h", escape = "none")]
pub struct OptionDefinition {
    description: String,
    name: String,
    elem: String,
}

#[derive(Template)]
#[template(path = "c/types/product.h", escape = "none")]
pub struct ProductDefinition {
    description: String,
    name: String,
    fields: Vec<CField>,
}

#[derive(Template)]
#[template(path = "c/types/enum.h", escape = "none")]
pub struct EnumDefinition {
    description: String,
    name: String,
    variants: Vec<CVariant>,
}

#[derive(Template)]
#[template(path = "c/types/sum.h", escape = "none")]
pub struct SumDefinition {
    description: String,
    name: String,
    variants: Vec<CVariant>,
}

/// The typedef of one non-builtin type: one template per kind of type.
pub enum Definition {
    Array(ArrayDefinition),
    Option(OptionDefinition),
    Product(ProductDefinition),
    Enum(EnumDefinition),
    Sum(SumDefinition),
}

impl Definition {
    pub fn new(m: &Module, t: &Ty) -> Definition {
        let name = m.c_type(t);
        let variants = |vs: &[Variant]| -> Vec<CVariant> {
            vs.iter()
                .map(|v| CVariant {
                    enumerator: format!("{}_{}", m.prefix, v.enumerator),
                    member: v.member.clone(),
                    c_type: (v.ty != Ty::Unit).then(|| m.c_type(&v.ty)),
                })
                .collect()
        };
        match t {
            Ty::Array(e) => {
                Definition::Array(ArrayDefinition { description: comment_text(&describe(m, t)), name, elem: m.c_type(e) })
            }
            Ty::Option(e) => {
                Definition::Option(OptionDefinition { description: comment_text(&describe(m, t)), name, elem: m.c_type(e) })
            }
            Ty::Named(i) => {
                let n = &m.named[*i];
                let description = comment_text(&n.display_name);
                match &n.kind {
                    Kind::Product(fields) => Definition::Product(ProductDefinition {
                        description,
                        name,
                        fields: fields
                            .iter()
                            .map(|f| CField {
                                c_type: m.c_type(&f.ty),
                                member: f.member.clone(),
                                original: (f.member != f.name).then(|| comment_text(&f.name)),
                            })
                            .collect(),
                    }),
                    Kind::Enum(vs) => Definition::Enum(EnumDefinition { description, name, variants: variants(vs) }),
                    Kind::Sum(vs) => Definition::Sum(SumDefinition { description, name, variants: variants(vs) }),
                }
            }
            _ => unreachable!("builtins are defined by the runtime"),
        }
    }
}

display_by_kind!(Definition { Array, Option, Product, Enum, Sum });

/// The six prototypes every type has (`templates/c/prototypes.h`).
#[derive(Template)]
#[template(path = "c/prototypes.h", escape = "none")]
pub struct Prototypes {
    p: String,
    /// The prefixed stem of the functions.
    f: String,
    /// The C type.
    c: String,
}

impl Prototypes {
    pub fn new(m: &Module, t: &Ty) -> Prototypes {
        Prototypes { p: m.prefix.clone(), f: m.fstem(t), c: m.c_type(t) }
    }
}

/// A parameter of a table or reducer function: scalars by value, strings as `const char *`
/// (NUL-terminated UTF-8; NULL is ""), everything else by `const T *`.
pub fn api_param(m: &Module, t: &Ty, name: &str) -> String {
    if t.is_scalar(m) {
        format!("{} {name}", m.c_type(t))
    } else if *t == Ty::String {
        format!("const char *{name}")
    } else {
        format!("const {} *{name}", m.c_type(t))
    }
}

/// How an API parameter is passed: scalars by value, strings as NUL-terminated `const char *`,
/// everything else by `const T *` (see [`api_param`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pass {
    Value,
    String,
    Pointer,
}

impl Pass {
    pub fn of(m: &Module, t: &Ty) -> Pass {
        if t.is_scalar(m) {
            Pass::Value
        } else if *t == Ty::String {
            Pass::String
        } else {
            Pass::Pointer
        }
    }
}

/// An API parameter `name` to be stored into the C value `dst` by the `store_arg` macro of
/// `templates/c/macros.c` (borrowing: no copies of heap data; NULL pointers are refused).
pub struct ApiArg {
    pub name: String,
    pub dst: String,
    pub pass: Pass,
}

impl ApiArg {
    pub fn new(m: &Module, t: &Ty, name: &str, dst: &str) -> ApiArg {
        ApiArg { name: name.to_string(), dst: dst.to_string(), pass: Pass::of(m, t) }
    }
}

/// The argument passed to a callback for a decoded value `src` (an lvalue of the C type).
pub fn api_arg(m: &Module, t: &Ty, src: &str) -> String {
    if t.is_scalar(m) {
        src.to_string()
    } else if *t == Ty::String {
        format!("{src}.data")
    } else {
        format!("&{src}")
    }
}

/// The C type of a bound's value: like [`api_param`], but by value (borrowed) for non-scalars.
pub fn bound_value_type(m: &Module, t: &Ty) -> String {
    if *t == Ty::String {
        "const char *".into()
    } else {
        format!("{} ", m.c_type(t))
    }
}
