//! C declarations of module types (structs, enums, tagged unions, options, arrays) and the
//! prototypes of their functions.

use crate::model::{Kind, Module, Ty};
use std::fmt::Write;

/// A C string literal (with quotes) holding `s` byte for byte. Non-printable and non-ASCII bytes
/// become 3-digit octal escapes; `?` is escaped so no trigraph can form.
pub fn c_lit(s: &str) -> String {
    let mut out = String::from("\"");
    for &b in s.as_bytes() {
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
        Ty::ScheduleAt => "ScheduleAt".into(),
        Ty::Unit => "()".into(),
        other => m.stem_of(other),
    }
}

/// The typedef of one non-builtin type.
pub fn definition(m: &Module, t: &Ty) -> String {
    let name = m.c_type(t);
    let mut s = String::new();
    match t {
        Ty::Array(e) => {
            let _ = writeln!(s, "/* {} */", comment_text(&describe(m, t)));
            let _ = writeln!(s, "typedef struct {name} {{\n    {} *data;\n    size_t len;\n}} {name};", m.c_type(e));
        }
        Ty::Option(e) => {
            let _ = writeln!(s, "/* {} */", comment_text(&describe(m, t)));
            let _ = writeln!(s, "typedef struct {name} {{\n    bool has_value;\n    {} value;\n}} {name};", m.c_type(e));
        }
        Ty::Named(i) => {
            let n = &m.named[*i];
            match &n.kind {
                Kind::Product(fields) => {
                    let _ = writeln!(s, "/* {} (product) */", comment_text(&n.display_name));
                    let _ = writeln!(s, "typedef struct {name} {{");
                    if fields.is_empty() {
                        s.push_str("    uint8_t unused_; /* C structs cannot be empty */\n");
                    }
                    for f in fields {
                        let note = if f.member != f.name { format!(" /* {} */", comment_text(&f.name)) } else { String::new() };
                        let _ = writeln!(s, "    {} {};{note}", m.c_type(&f.ty), f.member);
                    }
                    let _ = writeln!(s, "}} {name};");
                }
                Kind::Enum(vs) => {
                    let _ = writeln!(s, "/* {} (enum; BSATN: one tag byte) */", comment_text(&n.display_name));
                    let _ = writeln!(s, "typedef enum {name} {{");
                    for (k, v) in vs.iter().enumerate() {
                        let comma = if k + 1 < vs.len() { "," } else { "" };
                        let _ = writeln!(s, "    {}_{} = {k}{comma}", m.prefix, v.enumerator);
                    }
                    let _ = writeln!(s, "}} {name};");
                }
                Kind::Sum(vs) => {
                    let _ =
                        writeln!(s, "/* {} (sum; `tag` says which member of `value` is set) */", comment_text(&n.display_name));
                    let _ = writeln!(s, "typedef enum {name}_tag {{");
                    for (k, v) in vs.iter().enumerate() {
                        let comma = if k + 1 < vs.len() { "," } else { "" };
                        let _ = writeln!(s, "    {}_{} = {k}{comma}", m.prefix, v.enumerator);
                    }
                    let _ = writeln!(s, "}} {name}_tag;");
                    let _ = writeln!(s, "typedef struct {name} {{\n    {name}_tag tag;\n    union {{");
                    for v in vs.iter().filter(|v| v.ty != Ty::Unit) {
                        let _ = writeln!(s, "        {} {};", m.c_type(&v.ty), v.member);
                    }
                    let _ = writeln!(s, "    }} value;\n}} {name};");
                }
            }
        }
        _ => unreachable!("builtins are defined by the runtime"),
    }
    s
}

/// The prototypes every type has.
pub fn prototypes(m: &Module, t: &Ty) -> String {
    let f = m.fstem(t);
    let c = m.c_type(t);
    format!(
        "int32_t {f}_encode({p}_buffer *buf, const {c} *v);\n\
         int32_t {f}_decode({p}_reader *r, {c} *out);\n\
         int32_t {f}_from_bsatn(const uint8_t *data, size_t len, {c} *out);\n\
         void {f}_free({c} *v);\n\
         bool {f}_eq(const {c} *a, const {c} *b);\n\
         size_t {f}_format(const {c} *v, char *buf, size_t cap);\n",
        p = m.prefix
    )
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

/// Statements that store API parameter `name` into the value `dst` (an lvalue of the C type),
/// borrowing (no copies of heap data). Pointer parameters are checked for NULL (`on_null`).
pub fn api_param_store(m: &Module, t: &Ty, name: &str, dst: &str, on_null: &str) -> String {
    if t.is_scalar(m) {
        format!("    {dst} = {name};\n")
    } else if *t == Ty::String {
        // NULL is not the empty string: it is refused, with a last error, like any NULL argument.
        format!("    if (!{name}) {on_null}\n    {dst}.data = (char *){name};\n    {dst}.len = strlen({name});\n")
    } else {
        format!("    if (!{name}) {on_null}\n    {dst} = *{name};\n")
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
