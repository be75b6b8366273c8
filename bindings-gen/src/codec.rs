//! C source of each module type's functions: free, eq, write (for format), encode, decode, and
//! the `_format` wrapper; one template per kind of type (`templates/c/types/KIND.c`).
//!
//! Decoders zero their output first and free it on failure, so a failed decode never leaks and
//! leaves `*out` empty; frees are deep and leave the value zeroed (so freeing twice is harmless).

use crate::ctypes::{c_lit, comment_text, describe};
use crate::model::{Field, Kind, Module, Ty, Variant};
use crate::render::display_by_kind;
use askama::Template;

/// What every type's functions are named after. Each template struct derefs to it, so the
/// templates say `{{ fstem }}`, `{{ p }}` (askama's idiom for fields shared by templates).
pub struct Common {
    p: String,
    pu: String,
    /// `/* ---- … ---- */` above the functions.
    description: String,
    /// The name stem without the prefix (for `PREFIX_FORMAT_FN`).
    stem: String,
    /// The prefixed stem of the functions.
    fstem: String,
    ctype: String,
}

impl Common {
    fn new(m: &Module, t: &Ty) -> Common {
        Common {
            p: m.prefix.clone(),
            pu: m.prefix.to_ascii_uppercase(),
            description: comment_text(&describe(m, t)),
            stem: m.stem_of(t),
            fstem: m.fstem(t),
            ctype: m.c_type(t),
        }
    }
}

#[derive(Template)]
#[template(path = "c/types/array.c", escape = "none")]
pub struct ArrayFunctions {
    common: Common,
    elem_fstem: String,
    elem_ctype: String,
    elem_has_heap: bool,
    /// The fewest bytes an element takes: bounds the count a decoder believes.
    elem_min_size: usize,
}

#[derive(Template)]
#[template(path = "c/types/option.c", escape = "none")]
pub struct OptionFunctions {
    common: Common,
    elem_fstem: String,
    elem_has_heap: bool,
}

/// A field as the product's functions use it.
struct CodecField {
    member: String,
    fstem: String,
    has_heap: bool,
    /// The text written before the field's value (`Point { x: `, `, y: `), as a C literal.
    label: String,
}

#[derive(Template)]
#[template(path = "c/types/product.c", escape = "none")]
pub struct ProductFunctions {
    common: Common,
    fields: Vec<CodecField>,
    /// The text of an empty product (`Empty {}`), as a C literal.
    empty_text: String,
}

/// A variant as the enum's or sum's functions use it.
struct CodecVariant {
    enumerator: String,
    member: String,
    is_unit: bool,
    /// The payload's function stem (empty for unit variants).
    fstem: String,
    has_heap: bool,
    /// The variant's name, and the name with `(`, as C literals.
    name: String,
    open: String,
}

#[derive(Template)]
#[template(path = "c/types/enum.c", escape = "none")]
pub struct EnumFunctions {
    common: Common,
    variants: Vec<CodecVariant>,
    invalid_text: String,
}

#[derive(Template)]
#[template(path = "c/types/sum.c", escape = "none")]
pub struct SumFunctions {
    common: Common,
    variants: Vec<CodecVariant>,
    /// Whether any payload owns heap memory (and so `_free` switches on the tag).
    has_heap: bool,
    invalid_text: String,
}

/// The functions of one non-builtin type.
pub enum Functions {
    Array(ArrayFunctions),
    Option(OptionFunctions),
    Product(ProductFunctions),
    Enum(EnumFunctions),
    Sum(SumFunctions),
}

impl Functions {
    pub fn new(m: &Module, t: &Ty) -> Functions {
        let common = Common::new(m, t);
        match t {
            Ty::Array(e) => Functions::Array(ArrayFunctions {
                common,
                elem_fstem: m.fstem(e),
                elem_ctype: m.c_type(e),
                elem_has_heap: e.has_heap(m),
                elem_min_size: e.min_size(m),
            }),
            Ty::Option(e) => Functions::Option(OptionFunctions { common, elem_fstem: m.fstem(e), elem_has_heap: e.has_heap(m) }),
            Ty::Named(i) => {
                let n = &m.named[*i];
                let invalid_text = c_lit(&format!("<invalid {}>", n.display_name));
                match &n.kind {
                    Kind::Product(fields) => Functions::Product(ProductFunctions {
                        common,
                        fields: fields.iter().enumerate().map(|(k, f)| codec_field(m, &n.display_name, k, f)).collect(),
                        empty_text: c_lit(&format!("{} {{}}", n.display_name)),
                    }),
                    Kind::Enum(vs) => Functions::Enum(EnumFunctions { common, variants: codec_variants(m, vs), invalid_text }),
                    Kind::Sum(vs) => Functions::Sum(SumFunctions {
                        common,
                        variants: codec_variants(m, vs),
                        has_heap: vs.iter().any(|v| v.ty.has_heap(m)),
                        invalid_text,
                    }),
                }
            }
            _ => unreachable!("builtins' functions are in the runtime"),
        }
    }
}

fn codec_field(m: &Module, display_name: &str, k: usize, f: &Field) -> CodecField {
    let lead = if k == 0 { format!("{display_name} {{ ") } else { ", ".to_string() };
    CodecField {
        member: f.member.clone(),
        fstem: m.fstem(&f.ty),
        has_heap: f.ty.has_heap(m),
        label: c_lit(&format!("{lead}{}: ", f.name)),
    }
}

fn codec_variants(m: &Module, vs: &[Variant]) -> Vec<CodecVariant> {
    vs.iter()
        .map(|v| CodecVariant {
            enumerator: format!("{}_{}", m.prefix, v.enumerator),
            member: v.member.clone(),
            is_unit: v.ty == Ty::Unit,
            fstem: if v.ty == Ty::Unit { String::new() } else { m.fstem(&v.ty) },
            has_heap: v.ty.has_heap(m),
            name: c_lit(&v.name),
            open: c_lit(&format!("{}(", v.name)),
        })
        .collect()
}

macro_rules! deref_to_common {
    ($($t:ty),*) => {$(
        impl std::ops::Deref for $t {
            type Target = Common;
            fn deref(&self) -> &Common {
                &self.common
            }
        }
    )*};
}
deref_to_common!(ArrayFunctions, OptionFunctions, ProductFunctions, EnumFunctions, SumFunctions);

display_by_kind!(Functions { Array, Option, Product, Enum, Sum });
