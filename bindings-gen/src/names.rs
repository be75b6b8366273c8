//! Identifiers: turning module names into C/C++ identifiers, escaping keywords, and handing out
//! collision-free names deterministically.
//!
//! Every name the generator emits at file scope goes through [`Names::claim`], in a fixed order
//! (builtins, module types, helper types, tables, reducers), so the same schema always gives the
//! same names, and a module's own names win over the generator's helpers when they clash.

use std::collections::BTreeSet;

/// Words that cannot be used as identifiers in the generated C, in C++ (the header is included
/// from the C++ wrapper), or that standard headers define as macros.
const RESERVED: &[&str] = &[
    // C11
    "auto",
    "break",
    "case",
    "char",
    "const",
    "continue",
    "default",
    "do",
    "double",
    "else",
    "enum",
    "extern",
    "float",
    "for",
    "goto",
    "if",
    "inline",
    "int",
    "long",
    "register",
    "restrict",
    "return",
    "short",
    "signed",
    "sizeof",
    "static",
    "struct",
    "switch",
    "typedef",
    "union",
    "unsigned",
    "void",
    "volatile",
    "while",
    "_Alignas",
    "_Alignof",
    "_Atomic",
    "_Bool",
    "_Complex",
    "_Generic",
    "_Imaginary",
    "_Noreturn",
    "_Static_assert",
    "_Thread_local",
    // C++17 (and C++20 keywords, so the wrapper keeps compiling with newer standards)
    "alignas",
    "alignof",
    "and",
    "and_eq",
    "asm",
    "bitand",
    "bitor",
    "bool",
    "catch",
    "char8_t",
    "char16_t",
    "char32_t",
    "class",
    "compl",
    "concept",
    "consteval",
    "constexpr",
    "constinit",
    "const_cast",
    "co_await",
    "co_return",
    "co_yield",
    "decltype",
    "delete",
    "dynamic_cast",
    "explicit",
    "export",
    "false",
    "friend",
    "mutable",
    "namespace",
    "new",
    "noexcept",
    "not",
    "not_eq",
    "nullptr",
    "operator",
    "or",
    "or_eq",
    "private",
    "protected",
    "public",
    "reinterpret_cast",
    "requires",
    "static_assert",
    "static_cast",
    "template",
    "this",
    "thread_local",
    "throw",
    "true",
    "try",
    "typeid",
    "typename",
    "using",
    "virtual",
    "wchar_t",
    "xor",
    "xor_eq",
    "final",
    "override",
    // macros from the standard headers the generated code includes
    "NULL",
    "EOF",
    "errno",
    "assert",
    "stdin",
    "stdout",
    "stderr",
    "offsetof",
    "noreturn",
    "complex",
    "imaginary",
    "I",
    "SIZE_MAX",
    "INT8_MAX",
    "INT16_MAX",
    "INT32_MAX",
    "INT64_MAX",
    "UINT8_MAX",
    "UINT16_MAX",
    "UINT32_MAX",
    "UINT64_MAX",
    "INT8_MIN",
    "INT16_MIN",
    "INT32_MIN",
    "INT64_MIN",
    "unix",
    "linux",
    "main",
];

/// Where the generated functions' own parameters and locals are: a module's names used as
/// parameters of such a function are renamed around that function's names (see [`LOCALS`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Locals(u8);

const C_TABLE: u8 = 1;
const CPP_TABLE: u8 = 2;
const C_REDUCER: u8 = 4;
const CPP_REDUCER: u8 = 8;

/// The one list of names the generated functions use for their own parameters and locals, each
/// with the kinds of function that use it. A new construct adds its kind and marks its names.
const LOCALS: &[(&str, u8)] = &[
    ("args", C_REDUCER),
    ("b", CPP_REDUCER),
    ("buf", C_TABLE | C_REDUCER),
    ("c", CPP_TABLE | C_REDUCER | CPP_REDUCER),
    ("callback", C_REDUCER),
    ("conn", C_REDUCER),
    ("conn_", CPP_TABLE | CPP_REDUCER),
    ("conn_obj_", CPP_REDUCER),
    ("db", C_TABLE),
    ("db_", CPP_TABLE),
    ("ends", C_TABLE),
    ("event", C_REDUCER),
    ("f", C_TABLE),
    ("flags", C_REDUCER | CPP_REDUCER),
    ("fn", C_REDUCER),
    ("found", C_TABLE | CPP_TABLE),
    ("free_user_data", C_REDUCER),
    ("hi", C_TABLE | CPP_TABLE),
    ("hi_c", CPP_TABLE),
    ("hi_value", C_TABLE),
    ("hit", C_TABLE),
    ("i", C_TABLE),
    ("index", C_TABLE),
    ("info", C_REDUCER),
    ("key", C_TABLE | CPP_TABLE),
    ("key0", C_TABLE | CPP_TABLE),
    ("key1", C_TABLE | CPP_TABLE),
    ("key2", C_TABLE | CPP_TABLE),
    ("key3", C_TABLE | CPP_TABLE),
    ("key4", C_TABLE | CPP_TABLE),
    ("key5", C_TABLE | CPP_TABLE),
    ("key6", C_TABLE | CPP_TABLE),
    ("key7", C_TABLE | CPP_TABLE),
    ("list", C_TABLE),
    ("lo", C_TABLE | CPP_TABLE),
    ("lo_c", CPP_TABLE),
    ("lo_value", C_TABLE),
    ("lower", C_TABLE | CPP_TABLE),
    ("out", C_TABLE),
    ("out_id", C_REDUCER),
    ("out_row", C_TABLE),
    ("prefix", C_TABLE),
    ("rc", C_TABLE | C_REDUCER),
    ("reducer", C_REDUCER),
    ("self", C_REDUCER),
    ("upper", C_TABLE | CPP_TABLE),
    ("user_data", C_REDUCER),
];

impl Locals {
    /// The C table functions (`_find_by_COL`, index scans): column parameters.
    pub const C_TABLE: Locals = Locals(C_TABLE);
    /// The C++ table methods.
    pub const CPP_TABLE: Locals = Locals(CPP_TABLE);
    /// The C reducer calls and callbacks: reducer parameters.
    pub const C_REDUCER: Locals = Locals(C_REDUCER);
    /// The C++ reducer methods.
    pub const CPP_REDUCER: Locals = Locals(CPP_REDUCER);

    /// The names taken in these functions.
    pub fn names(self) -> Vec<&'static str> {
        LOCALS.iter().filter(|(_, kinds)| kinds & self.0 != 0).map(|(name, _)| *name).collect()
    }

    /// [`dedupe`] clear of these functions' names.
    pub fn dedupe(self, names: Vec<String>) -> Vec<String> {
        dedupe(names, &self.names())
    }
}

/// Whether `s` is a C/C++ keyword or a standard macro name.
pub fn is_reserved(s: &str) -> bool {
    RESERVED.contains(&s)
}

/// Any name → a valid C identifier fragment: ASCII letters, digits and `_` are kept, every other
/// character becomes `_uXXXX_`-style escapes (stable, distinct for distinct inputs).
pub fn sanitize(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for c in name.chars() {
        if c.is_ascii_alphanumeric() || c == '_' {
            out.push(c);
        } else {
            out.push_str(&format!("_u{:04x}_", c as u32));
        }
    }
    if out.is_empty() {
        out.push('_');
    }
    out
}

/// A member or parameter name: sanitized, with keywords and reserved spellings escaped by a
/// trailing `_` (`class` → `class_`), a leading digit prefixed (`1x` → `_1x`), and names the C
/// standard reserves (`__x`, `_X`) prefixed with `f`.
pub fn member(name: &str) -> String {
    let mut s = sanitize(name);
    if s.starts_with(|c: char| c.is_ascii_digit()) {
        s.insert(0, '_');
    }
    if s.starts_with("__") || (s.starts_with('_') && s[1..].starts_with(|c: char| c.is_ascii_uppercase())) {
        s.insert(0, 'f');
    }
    if is_reserved(&s) {
        s.push('_');
    }
    s
}

/// Makes names in `names` distinct by appending `_` to later duplicates (first one wins),
/// avoiding also every name in `taken`.
pub fn dedupe(names: Vec<String>, taken: &[&str]) -> Vec<String> {
    let mut seen: BTreeSet<String> = taken.iter().map(|s| s.to_string()).collect();
    names
        .into_iter()
        .map(|mut n| {
            while seen.contains(&n) {
                n.push('_');
            }
            seen.insert(n.clone());
            n
        })
        .collect()
}

/// `snake_case_name` → `SnakeCaseName` (for C++ class names derived from table names).
pub fn camel(name: &str) -> String {
    let mut out = String::new();
    let mut upper = true;
    for c in sanitize(name).chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    if out.is_empty() || out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert(0, 'T');
    }
    out
}

/// A set of claimed identifiers (without the prefix) for one output namespace.
#[derive(Default)]
pub struct Names {
    used: BTreeSet<String>,
}

impl Names {
    /// Marks names as taken without claiming a group (the fixed API).
    pub fn reserve(&mut self, names: &[&str]) {
        for n in names {
            self.used.insert(n.to_string());
        }
    }

    pub fn is_used(&self, n: &str) -> bool {
        self.used.contains(n)
    }

    /// Claims the first of `base`, `base_`, `base__`, … such that `stem + suffix` is free for every
    /// suffix (the empty suffix included), and marks them all taken.
    pub fn claim(&mut self, base: &str, suffixes: &[&str]) -> String {
        let mut stem = base.to_string();
        loop {
            let free = std::iter::once("").chain(suffixes.iter().copied()).all(|s| !self.used.contains(&format!("{stem}{s}")));
            if free {
                for s in std::iter::once("").chain(suffixes.iter().copied()) {
                    self.used.insert(format!("{stem}{s}"));
                }
                return stem;
            }
            stem.push('_');
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn members_escape_keywords_and_odd_characters() {
        assert_eq!(member("class"), "class_");
        assert_eq!(member("int"), "int_");
        assert_eq!(member("x"), "x");
        assert_eq!(member("1st"), "_1st");
        assert_eq!(member("__identity__"), "f__identity__");
        assert_eq!(member("é"), "_u00e9_");
        assert_eq!(member("true"), "true_");
    }

    #[test]
    fn claims_are_distinct_and_stable() {
        let mut n = Names::default();
        n.reserve(&["string"]);
        assert_eq!(n.claim("string", &["_encode"]), "string_");
        assert_eq!(n.claim("Point", &["_encode", "_decode"]), "Point");
        assert_eq!(n.claim("Point", &["_encode"]), "Point_");
        assert_eq!(n.claim("P", &["oint_encode"]), "P_");
    }

    #[test]
    fn camel_case() {
        assert_eq!(camel("pk_u32"), "PkU32");
        assert_eq!(camel("player"), "Player");
    }
}
