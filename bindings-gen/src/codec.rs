//! C source of each module type's functions: encode, decode, free, eq, format, from_bsatn.
//!
//! Decoders zero their output first and free it on failure, so a failed decode never leaks and
//! leaves `*out` empty; frees are deep and leave the value zeroed (so freeing twice is harmless).

use crate::ctypes::{c_lit, describe};
use crate::model::{Kind, Module, Ty};
use std::fmt::Write;

pub fn functions(m: &Module, t: &Ty) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "/* ---- {} ---- */\n", crate::ctypes::comment_text(&describe(m, t)));
    s.push_str(&free_fn(m, t));
    s.push_str(&eq_fn(m, t));
    s.push_str(&write_fn(m, t));
    s.push_str(&encode_fn(m, t));
    s.push_str(&decode_fn(m, t));
    let stem = m.stem_of(t);
    let _ = writeln!(s, "{}_FORMAT_FN({stem}, {})\n", m.prefix.to_ascii_uppercase(), m.c_type(t));
    s
}

fn free_fn(m: &Module, t: &Ty) -> String {
    let (f, c, p) = (m.fstem(t), m.c_type(t), &m.prefix);
    let mut b = String::new();
    match t {
        Ty::Array(e) => {
            if e.has_heap(m) {
                let _ = writeln!(
                    b,
                    "    size_t i;\n    if (!v) return;\n    for (i = 0; i < v->len; i++) {}_free(&v->data[i]);",
                    m.fstem(e)
                );
            } else {
                b.push_str("    if (!v) return;\n");
            }
            b.push_str("    free(v->data);\n    v->data = NULL;\n    v->len = 0;\n");
        }
        Ty::Option(e) => {
            b.push_str("    if (!v) return;\n");
            if e.has_heap(m) {
                let _ = writeln!(b, "    if (v->has_value) {}_free(&v->value);", m.fstem(e));
            }
            b.push_str("    memset(v, 0, sizeof *v);\n");
        }
        Ty::Named(i) => match &m.named[*i].kind {
            Kind::Product(fields) => {
                b.push_str("    if (!v) return;\n");
                for fl in fields.iter().filter(|fl| fl.ty.has_heap(m)) {
                    let _ = writeln!(b, "    {}_free(&v->{});", m.fstem(&fl.ty), fl.member);
                }
                b.push_str("    memset(v, 0, sizeof *v);\n");
            }
            Kind::Enum(_) => b.push_str("    (void)v;\n"),
            Kind::Sum(vs) => {
                b.push_str("    if (!v) return;\n");
                let heap: Vec<_> = vs.iter().filter(|v| v.ty.has_heap(m)).collect();
                if !heap.is_empty() {
                    b.push_str("    switch (v->tag) {\n");
                    for v in heap {
                        let _ = writeln!(
                            b,
                            "    case {p}_{}:\n        {}_free(&v->value.{});\n        break;",
                            v.enumerator,
                            m.fstem(&v.ty),
                            v.member
                        );
                    }
                    b.push_str("    default:\n        break;\n    }\n");
                }
                b.push_str("    memset(v, 0, sizeof *v);\n");
            }
        },
        _ => unreachable!(),
    }
    format!("void {f}_free({c} *v) {{\n{b}}}\n\n")
}

fn eq_fn(m: &Module, t: &Ty) -> String {
    let (f, c, p) = (m.fstem(t), m.c_type(t), &m.prefix);
    let b = match t {
        Ty::Array(e) => format!(
            "    size_t i;\n    if (a->len != b->len) return false;\n    for (i = 0; i < a->len; i++)\n        if (!{}_eq(&a->data[i], &b->data[i])) return false;\n    return true;\n",
            m.fstem(e)
        ),
        Ty::Option(e) => format!(
            "    if (a->has_value != b->has_value) return false;\n    return !a->has_value || {}_eq(&a->value, &b->value);\n",
            m.fstem(e)
        ),
        Ty::Named(i) => match &m.named[*i].kind {
            Kind::Product(fields) if fields.is_empty() => "    (void)a;\n    (void)b;\n    return true;\n".to_string(),
            Kind::Product(fields) => {
                let parts: Vec<String> = fields.iter().map(|fl| format!("{}_eq(&a->{m_}, &b->{m_})", m.fstem(&fl.ty), m_ = fl.member)).collect();
                format!("    return {};\n", parts.join("\n        && "))
            }
            Kind::Enum(_) => "    return *a == *b;\n".to_string(),
            Kind::Sum(vs) => {
                let mut b = String::from("    if (a->tag != b->tag) return false;\n    switch (a->tag) {\n");
                for v in vs.iter().filter(|v| v.ty != Ty::Unit) {
                    let _ = writeln!(b, "    case {p}_{}:\n        return {}_eq(&a->value.{m_}, &b->value.{m_});", v.enumerator, m.fstem(&v.ty), m_ = v.member);
                }
                b.push_str("    default:\n        return true;\n    }\n");
                b
            }
        },
        _ => unreachable!(),
    };
    format!("bool {f}_eq(const {c} *a, const {c} *b) {{\n{b}}}\n\n")
}

fn write_fn(m: &Module, t: &Ty) -> String {
    let (f, c, p) = (m.fstem(t), m.c_type(t), &m.prefix);
    let s_ = |text: &str| format!("    {p}_fmt_s(f, {});\n", c_lit(text));
    let b = match t {
        Ty::Array(e) => format!(
            "    size_t i;\n    {p}_fmt_s(f, \"[\");\n    for (i = 0; i < v->len; i++) {{\n        if (i) {p}_fmt_s(f, \", \");\n        {}_write(f, &v->data[i]);\n    }}\n    {p}_fmt_s(f, \"]\");\n",
            m.fstem(e)
        ),
        Ty::Option(e) => format!(
            "    if (!v->has_value) {{\n        {p}_fmt_s(f, \"none\");\n        return;\n    }}\n    {p}_fmt_s(f, \"some(\");\n    {}_write(f, &v->value);\n    {p}_fmt_s(f, \")\");\n",
            m.fstem(e)
        ),
        Ty::Named(i) => {
            let n = &m.named[*i];
            match &n.kind {
                Kind::Product(fields) if fields.is_empty() => format!("    (void)v;\n{}", s_(&format!("{} {{}}", n.display_name))),
                Kind::Product(fields) => {
                    let mut b = String::new();
                    for (k, fl) in fields.iter().enumerate() {
                        let lead = if k == 0 { format!("{} {{ ", n.display_name) } else { ", ".into() };
                        b.push_str(&s_(&format!("{lead}{}: ", fl.name)));
                        let _ = writeln!(b, "    {}_write(f, &v->{});", m.fstem(&fl.ty), fl.member);
                    }
                    b.push_str(&s_(" }"));
                    b
                }
                Kind::Enum(vs) => {
                    let mut b = String::from("    switch (*v) {\n");
                    for v in vs {
                        let _ = writeln!(b, "    case {p}_{}:\n    {}        break;", v.enumerator, s_(&v.name));
                    }
                    let _ = writeln!(b, "    default:\n    {}    }}", s_(&format!("<invalid {}>", n.display_name)));
                    b
                }
                Kind::Sum(vs) => {
                    let mut b = String::from("    switch (v->tag) {\n");
                    for v in vs {
                        let _ = writeln!(b, "    case {p}_{}:", v.enumerator);
                        if v.ty == Ty::Unit {
                            b.push_str(&format!("    {}", s_(&v.name)));
                        } else {
                            b.push_str(&format!("    {}", s_(&format!("{}(", v.name))));
                            let _ = writeln!(b, "        {}_write(f, &v->value.{});", m.fstem(&v.ty), v.member);
                            b.push_str(&format!("    {}", s_(")")));
                        }
                        b.push_str("        break;\n");
                    }
                    let _ = writeln!(b, "    default:\n    {}    }}", s_(&format!("<invalid {}>", n.display_name)));
                    b
                }
            }
        }
        _ => unreachable!(),
    };
    format!("static void {f}_write({p}_fmt *f, const {c} *v) {{\n{b}}}\n\n")
}

fn encode_fn(m: &Module, t: &Ty) -> String {
    let (f, c, p, pu) = (m.fstem(t), m.c_type(t), &m.prefix, m.prefix.to_ascii_uppercase());
    let b = match t {
        Ty::Array(e) => format!(
            "    int32_t rc;\n    size_t i;\n    if (!buf || !v || (!v->data && v->len)) return STDB_ERR_NULL;\n    if ((rc = {p}_write_len(buf, v->len)) != STDB_OK) return rc;\n    for (i = 0; i < v->len; i++)\n        if ((rc = {}_encode(buf, &v->data[i])) != STDB_OK) return rc;\n    return STDB_OK;\n",
            m.fstem(e)
        ),
        Ty::Option(e) => format!(
            "    int32_t rc;\n    if (!buf || !v) return STDB_ERR_NULL;\n    if (!v->has_value) return {p}_write_tag(buf, 1);\n    if ((rc = {p}_write_tag(buf, 0)) != STDB_OK) return rc;\n    return {}_encode(buf, &v->value);\n",
            m.fstem(e)
        ),
        Ty::Named(i) => match &m.named[*i].kind {
            Kind::Product(fields) if fields.is_empty() => "    if (!buf || !v) return STDB_ERR_NULL;\n    return STDB_OK;\n".to_string(),
            Kind::Product(fields) => {
                let mut b = String::from("    int32_t rc;\n    if (!buf || !v) return STDB_ERR_NULL;\n");
                for fl in fields {
                    let _ = writeln!(b, "    if ((rc = {}_encode(buf, &v->{})) != STDB_OK) return rc;", m.fstem(&fl.ty), fl.member);
                }
                b.push_str("    return STDB_OK;\n");
                b
            }
            Kind::Enum(vs) => format!(
                "    if (!buf || !v) return STDB_ERR_NULL;\n    if ((unsigned)*v >= {n}u) return {pu}_ERR_ENCODE;\n    return {p}_write_tag(buf, (unsigned)*v);\n",
                n = vs.len()
            ),
            Kind::Sum(vs) => {
                let mut b = String::from("    int32_t rc;\n    if (!buf || !v) return STDB_ERR_NULL;\n    switch (v->tag) {\n");
                for (k, v) in vs.iter().enumerate() {
                    let _ = writeln!(b, "    case {p}_{}:", v.enumerator);
                    if v.ty == Ty::Unit {
                        let _ = writeln!(b, "        return {p}_write_tag(buf, {k});");
                    } else {
                        let _ = writeln!(
                            b,
                            "        if ((rc = {p}_write_tag(buf, {k})) != STDB_OK) return rc;\n        return {}_encode(buf, &v->value.{});",
                            m.fstem(&v.ty),
                            v.member
                        );
                    }
                }
                let _ = writeln!(b, "    }}\n    return {pu}_ERR_ENCODE;");
                b
            }
        },
        _ => unreachable!(),
    };
    format!("int32_t {f}_encode({p}_buffer *buf, const {c} *v) {{\n{b}}}\n\n")
}

fn decode_fn(m: &Module, t: &Ty) -> String {
    let (f, c, p, pu) = (m.fstem(t), m.c_type(t), &m.prefix, m.prefix.to_ascii_uppercase());
    let b = match t {
        Ty::Array(e) => format!(
            "    size_t n, i;\n    int32_t rc;\n    {ec} *data;\n    out->data = NULL;\n    out->len = 0;\n    if ({p}_read_len(r, {min}, &n)) return {pu}_ERR_DECODE;\n    if (n == 0) return STDB_OK;\n    data = ({ec} *)calloc(n, sizeof *data);\n    if (!data) return {pu}_ERR_NOMEM;\n    out->data = data;\n    out->len = n;\n    for (i = 0; i < n; i++) {{\n        if ((rc = {ef}_decode(r, &data[i])) != STDB_OK) {{\n            {f}_free(out);\n            return rc;\n        }}\n    }}\n    return STDB_OK;\n",
            ec = m.c_type(e),
            ef = m.fstem(e),
            min = e.min_size(m)
        ),
        Ty::Option(e) => format!(
            "    uint8_t tag;\n    int32_t rc;\n    memset(out, 0, sizeof *out);\n    if ({p}_read_tag(r, 2, &tag)) return {pu}_ERR_DECODE;\n    if (tag == 1) return STDB_OK;\n    if ((rc = {}_decode(r, &out->value)) != STDB_OK) return rc;\n    out->has_value = true;\n    return STDB_OK;\n",
            m.fstem(e)
        ),
        Ty::Named(i) => match &m.named[*i].kind {
            Kind::Product(fields) if fields.is_empty() => "    (void)r;\n    memset(out, 0, sizeof *out);\n    return STDB_OK;\n".to_string(),
            Kind::Product(fields) => {
                let mut b = String::from("    int32_t rc;\n    memset(out, 0, sizeof *out);\n");
                for fl in fields {
                    let _ = writeln!(b, "    if ((rc = {}_decode(r, &out->{})) != STDB_OK) goto fail;", m.fstem(&fl.ty), fl.member);
                }
                let _ = writeln!(b, "    return STDB_OK;\nfail:\n    {f}_free(out);\n    return rc;");
                b
            }
            Kind::Enum(vs) => format!(
                "    uint8_t tag;\n    *out = ({c})0;\n    if ({p}_read_tag(r, {n}, &tag)) return {pu}_ERR_DECODE;\n    *out = ({c})tag;\n    return STDB_OK;\n",
                n = vs.len()
            ),
            Kind::Sum(vs) => {
                let mut b = format!(
                    "    uint8_t tag;\n    int32_t rc = STDB_OK;\n    memset(out, 0, sizeof *out);\n    if ({p}_read_tag(r, {n}, &tag)) return {pu}_ERR_DECODE;\n    switch (tag) {{\n",
                    n = vs.len()
                );
                for (k, v) in vs.iter().enumerate().filter(|(_, v)| v.ty != Ty::Unit) {
                    let _ = writeln!(b, "    case {k}:\n        rc = {}_decode(r, &out->value.{});\n        break;", m.fstem(&v.ty), v.member);
                }
                let _ = writeln!(
                    b,
                    "    default:\n        break;\n    }}\n    if (rc != STDB_OK) {{\n        memset(out, 0, sizeof *out);\n        return rc;\n    }}\n    out->tag = ({c}_tag)tag;\n    return STDB_OK;"
                );
                b
            }
        },
        _ => unreachable!(),
    };
    format!("int32_t {f}_decode({p}_reader *r, {c} *out) {{\n{b}}}\n\n")
}
