//! The header-only C++17 wrapper (`PREFIX.hpp`) over the generated C: value types with
//! `std::string`/`std::vector`/`std::optional`/`std::variant`, an RAII `Connection` with a builder,
//! typed table handles (`conn->db().player().find_by_identity(id)`), typed reducer calls and
//! `std::function` callbacks. Errors throw `PREFIX::Error`.
//!
//! Values cross into C by conversion: C++ → C (`detail::to_c`, into a zeroed C value that a guard
//! frees, so a throw halfway leaks nothing) and C → C++ (`detail::from_c`, deep copies).

use crate::model::{index_suffixes, Index, Kind, Module, Table, Ty, BUILTINS};
use crate::names::{self, Locals, Names};
use crate::Options;
use std::fmt::Write;

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

pub fn wrapper(m: &Module, opts: &Options) -> String {
    let cx = Cx { m, ns: m.prefix.clone(), p: m.prefix.clone() };
    let (p, ns, pu) = (&cx.p, &cx.ns, m.prefix.to_ascii_uppercase());
    let mut s =
        format!("{}\n", crate::files::Banner::new(m, opts, "hpp", "C++17 wrapper over the generated C bindings (header-only)."));
    let _ = write!(
        s,
        r#"/*
 * Usage
 *   auto conn = {ns}::Connection::builder()
 *                   .with_uri("http://127.0.0.1:3000")
 *                   .with_database_name("my-db")
 *                   .on_connect([](auto &c, const {ns}::Identity &id, const std::string &token) {{ ... }})
 *                   .build();                    // registers the embedded schema
 *   while (conn->frame_tick()) {{ ... }}           // callbacks run here, on this thread
 *   conn->db().TABLE().count(); conn->db().TABLE().find_by_COL(key);  // std::optional<Row>
 *   conn->reducers().NAME(args...);
 *
 * Link {p}.c (compiled as C) and libstdb_client. Failures throw {ns}::Error (code + message).
 * Exceptions thrown by your callbacks are caught and dropped: they cannot cross the C library.
 * Tick the connection only through `frame_tick` (callbacks get a `Connection &`).
 */

#ifndef {pu}_HPP
#define {pu}_HPP

#include "{p}.h"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <functional>
#include <memory>
#include <new>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace {ns} {{

/* A failed call: `code()` is the stdb_result / {pu}_ERR_* code. */
class Error : public std::runtime_error {{
public:
    Error(int32_t code, const std::string &what) : std::runtime_error(what), code_(code) {{}}
    int32_t code() const noexcept {{ return code_; }}

private:
    int32_t code_;
}};

using CallbackId = uint64_t;
using Bytes = std::vector<uint8_t>;

namespace detail {{

[[noreturn]] inline void fail(int32_t code, const char *what) {{
    throw ::{ns}::Error(code, std::string(what) + ": " + ::{p}_last_error());
}}

inline void check(int32_t code, const char *what) {{
    if (code == {pu}_ERR_NOMEM) throw std::bad_alloc();
    if (code != 0) fail(code, what);
}}

/* For calls that go straight to the library (`stdb_*`): its message is `stdb_last_error()`. */
inline void check_lib(int32_t code, const char *what) {{
    if (code != 0) throw ::{ns}::Error(code, std::string(what) + ": " + ::stdb_last_error());
}}

inline std::string str(const void *data, size_t len) {{
    return len ? std::string(static_cast<const char *>(data), len) : std::string();
}}

/* A zeroed C value, deep-freed at scope exit. */
template <class CT, void (*Free)(CT *)>
struct Owned {{
    CT v;
    Owned() {{ std::memset(static_cast<void *>(&v), 0, sizeof v); }}
    ~Owned() {{ Free(&v); }}
    Owned(const Owned &) = delete;
    Owned &operator=(const Owned &) = delete;
}};

struct Buffer {{
    ::{p}_buffer b;
    Buffer() {{ std::memset(&b, 0, sizeof b); }}
    ~Buffer() {{ ::{p}_buffer_free(&b); }}
    Buffer(const Buffer &) = delete;
    Buffer &operator=(const Buffer &) = delete;
    Bytes bytes() const {{ return b.len ? Bytes(b.data, b.data + b.len) : Bytes(); }}
}};

template <class CT>
std::string format_c(size_t (*format)(const CT *, char *, size_t), const CT &v) {{
    size_t n = format(&v, nullptr, 0);
    std::vector<char> text(n + 1);
    format(&v, text.data(), text.size());
    return std::string(text.data(), n);
}}

template <class T>
T *alloc_array(size_t n) {{
    if (n == 0) return nullptr;
    void *p = std::calloc(n, sizeof(T));
    if (!p) throw std::bad_alloc();
    return static_cast<T *>(p);
}}

/* A callback and the connection it belongs to, owned by the C library (freed by `destroy`). */
template <class Conn, class F>
struct Handler {{
    Conn *conn;
    F fn;
    static void destroy(void *p) {{ delete static_cast<Handler *>(p); }}
}};

}} // namespace detail

"#
    );
    s.push_str(&builtin_types(&cx));
    s.push_str(&module_types(&cx));
    s.push_str(&conversions(&cx));
    s.push_str(&codec_api(&cx));
    s.push_str(&runtime_classes(&cx));
    s.push_str(&table_classes(&cx));
    s.push_str(&db_and_reducers(&cx));
    s.push_str(&connection(&cx));
    let _ = writeln!(s, "}} // namespace {ns}\n\n#endif /* {pu}_HPP */");
    s
}

fn builtin_types(cx: &Cx) -> String {
    let (p, ns) = (&cx.p, &cx.ns);
    let mut s = String::from(
        "/* ==== Builtin types ================================================================================ */\n\n",
    );
    for (name, c, ctor, ctor_arg) in [
        ("U128", "u128", "from_u64", "uint64_t"),
        ("I128", "i128", "from_i64", "int64_t"),
        ("U256", "u256", "from_u64", "uint64_t"),
        ("I256", "i256", "from_i64", "int64_t"),
    ] {
        let _ = writeln!(
            s,
            "/* A {bits}-bit integer (little-endian limbs in `raw`); decimal text via to_string/from_string. */\nstruct {name} {{\n    ::{p}_{c} raw{{}};\n    {name}() = default;\n    explicit {name}(const ::{p}_{c} &r) : raw(r) {{}}\n    static {name} {ctor}({ctor_arg} v) {{ return {name}(::{p}_{c}_{ctor}(v)); }}\n    static {name} from_string(const std::string &s) {{\n        {name} r;\n        detail::check(::{p}_{c}_from_string(s.data(), s.size(), &r.raw), \"{name}::from_string\");\n        return r;\n    }}\n    std::string to_string() const {{ return detail::format_c(::{p}_{c}_format, raw); }}\n    bool operator==(const {name} &o) const {{ return ::{p}_{c}_eq(&raw, &o.raw); }}\n    bool operator!=(const {name} &o) const {{ return !(*this == o); }}\n}};\n",
            bits = if c.ends_with("128") { 128 } else { 256 }
        );
    }
    for (name, c, cty, what) in
        [("Identity", "identity", "stdb_identity", "64"), ("ConnectionId", "connection_id", "stdb_connection_id", "32")]
    {
        let _ = writeln!(
            s,
            "/* The library's `{cty}` (little-endian bytes); to_hex gives SpacetimeDB's {what}-digit big-endian hex. */\nstruct {name} {{\n    ::{cty} raw{{}};\n    {name}() = default;\n    explicit {name}(const ::{cty} &r) : raw(r) {{}}\n    std::string to_hex() const {{ return detail::format_c(::{p}_{c}_format, raw); }}\n    std::string to_string() const {{ return to_hex(); }}\n    bool operator==(const {name} &o) const {{ return ::{p}_{c}_eq(&raw, &o.raw); }}\n    bool operator!=(const {name} &o) const {{ return !(*this == o); }}\n}};\n"
        );
    }
    let _ = writeln!(
        s,
        "/* Microseconds since the Unix epoch; to_string gives RFC 3339 like SpacetimeDB. */\nstruct Timestamp {{\n    int64_t micros_since_unix_epoch = 0;\n    std::string to_string() const {{\n        ::{p}_timestamp c;\n        c.micros_since_unix_epoch = micros_since_unix_epoch;\n        return detail::format_c(::{p}_timestamp_format, c);\n    }}\n    bool operator==(const Timestamp &o) const {{ return micros_since_unix_epoch == o.micros_since_unix_epoch; }}\n    bool operator!=(const Timestamp &o) const {{ return !(*this == o); }}\n    bool operator<(const Timestamp &o) const {{ return micros_since_unix_epoch < o.micros_since_unix_epoch; }}\n}};\n\n/* A signed duration in microseconds. */\nstruct TimeDuration {{\n    int64_t micros = 0;\n    std::string to_string() const {{\n        ::{p}_time_duration c;\n        c.micros = micros;\n        return detail::format_c(::{p}_time_duration_format, c);\n    }}\n    bool operator==(const TimeDuration &o) const {{ return micros == o.micros; }}\n    bool operator!=(const TimeDuration &o) const {{ return !(*this == o); }}\n}};\n\n/* When a scheduled reducer runs: index 0 = an interval, 1 = a time. */\nstruct ScheduleAt {{\n    std::variant<TimeDuration, Timestamp> value;\n    static ScheduleAt interval(TimeDuration d) {{ ScheduleAt s; s.value = d; return s; }}\n    static ScheduleAt time(Timestamp t) {{ ScheduleAt s; s.value = t; return s; }}\n    bool is_interval() const {{ return value.index() == 0; }}\n    bool operator==(const ScheduleAt &o) const {{ return value == o.value; }}\n    bool operator!=(const ScheduleAt &o) const {{ return !(*this == o); }}\n}};\n\n/* The empty product `()`. */\nstruct Unit {{\n    bool operator==(const Unit &) const {{ return true; }}\n    bool operator!=(const Unit &) const {{ return false; }}\n}};\n"
    );
    let _ = ns;
    s
}

fn module_types(cx: &Cx) -> String {
    let m = cx.m;
    let mut s = String::from(
        "/* ==== Module types ================================================================================= */\n\n",
    );
    for t in &m.order {
        let Ty::Named(i) = t else { continue };
        let n = &m.named[*i];
        let name = m.cpp_type_name(*i);
        let _ = writeln!(s, "/* {} */", crate::ctypes::comment_text(&n.display_name));
        match &n.kind {
            Kind::Enum(vs) => {
                let _ = writeln!(s, "enum class {name} : uint8_t {{");
                for (k, v) in vs.iter().enumerate() {
                    let _ = writeln!(s, "    {} = {k},", v.member);
                }
                s.push_str("};\n\n");
            }
            Kind::Product(fields) => {
                let _ = writeln!(s, "struct {name} {{");
                for f in fields {
                    let init = if f.ty.is_scalar(m) { "{}" } else { "" };
                    let _ = writeln!(s, "    {} {}{init};", cx.ty(&f.ty), f.member);
                }
                let eq = if fields.is_empty() {
                    "true".to_string()
                } else {
                    fields.iter().map(|f| format!("{m_} == o.{m_}", m_ = f.member)).collect::<Vec<_>>().join(" && ")
                };
                let _ = writeln!(
                    s,
                    "    bool operator==(const {name} &o) const {{ {}return {eq}; }}",
                    if fields.is_empty() { "(void)o;\n        " } else { "" }
                );
                let _ = writeln!(s, "    bool operator!=(const {name} &o) const {{ return !(*this == o); }}\n}};\n");
            }
            Kind::Sum(vs) => {
                let alts: Vec<String> =
                    vs.iter().map(|v| if v.ty == Ty::Unit { "std::monostate".into() } else { cx.ty(&v.ty) }).collect();
                let ctors = names::dedupe(vs.iter().map(|v| v.member.clone()).collect(), &["Tag", "value", "tag", name, "Value"]);
                let _ = writeln!(s, "struct {name} {{\n    enum class Tag : uint8_t {{");
                for (k, v) in vs.iter().enumerate() {
                    let _ = writeln!(s, "        {} = {k},", v.member);
                }
                let _ = writeln!(s, "    }};\n    /* The alternative's index is the tag; unit variants hold std::monostate. */\n    using Value = std::variant<{}>;\n    Value value;\n    Tag tag() const {{ return static_cast<Tag>(value.index()); }}", alts.join(", "));
                for (k, (v, ctor)) in vs.iter().zip(&ctors).enumerate() {
                    if v.ty == Ty::Unit {
                        let _ = writeln!(s, "    static {name} {ctor}() {{\n        {name} r;\n        r.value.template emplace<{k}>();\n        return r;\n    }}");
                    } else {
                        let at = cx.ty(&v.ty);
                        let _ = writeln!(
                            s,
                            "    static {name} {ctor}({at} x) {{\n        {name} r;\n        r.value.template emplace<{k}>(std::move(x));\n        return r;\n    }}\n    bool is_{vm}() const {{ return value.index() == {k}; }}\n    /* Throws std::bad_variant_access if this is another variant. */\n    const {at} &as_{vm}() const {{ return std::get<{k}>(value); }}\n    {at} &as_{vm}() {{ return std::get<{k}>(value); }}",
                            vm = v.member
                        );
                    }
                }
                let _ = writeln!(s, "    bool operator==(const {name} &o) const {{ return value == o.value; }}\n    bool operator!=(const {name} &o) const {{ return !(*this == o); }}\n}};\n");
            }
        }
    }
    s
}

fn conversions(cx: &Cx) -> String {
    let (m, p, ns) = (cx.m, &cx.p, &cx.ns);
    let mut s = String::from("/* ==== Conversions between the C and C++ types ========================================================= */\n\nnamespace detail {\n\n");
    // Builtins.
    let _ = writeln!(
        s,
        "inline std::string from_c(const ::{p}_string &c) {{ return str(c.data, c.len); }}\ninline void to_c(const std::string &v, ::{p}_string *out) {{ check(::{p}_string_from(v.data(), v.size(), out), \"string\"); }}\ninline ::{ns}::Bytes from_c(const ::{p}_bytes &c) {{ return c.len ? ::{ns}::Bytes(c.data, c.data + c.len) : ::{ns}::Bytes(); }}\ninline void to_c(const ::{ns}::Bytes &v, ::{p}_bytes *out) {{\n    out->data = alloc_array<uint8_t>(v.size());\n    out->len = v.size();\n    if (!v.empty()) std::memcpy(out->data, v.data(), v.size());\n}}"
    );
    for (name, c) in [("U128", "u128"), ("I128", "i128"), ("U256", "u256"), ("I256", "i256")] {
        let _ = writeln!(s, "inline ::{ns}::{name} from_c(const ::{p}_{c} &c) {{ return ::{ns}::{name}(c); }}\ninline void to_c(const ::{ns}::{name} &v, ::{p}_{c} *out) {{ *out = v.raw; }}");
    }
    let _ = writeln!(
        s,
        "inline ::{ns}::Identity from_c(const ::stdb_identity &c) {{ return ::{ns}::Identity(c); }}\ninline void to_c(const ::{ns}::Identity &v, ::stdb_identity *out) {{ *out = v.raw; }}\ninline ::{ns}::ConnectionId from_c(const ::stdb_connection_id &c) {{ return ::{ns}::ConnectionId(c); }}\ninline void to_c(const ::{ns}::ConnectionId &v, ::stdb_connection_id *out) {{ *out = v.raw; }}\ninline ::{ns}::Timestamp from_c(const ::{p}_timestamp &c) {{\n    ::{ns}::Timestamp t;\n    t.micros_since_unix_epoch = c.micros_since_unix_epoch;\n    return t;\n}}\ninline void to_c(const ::{ns}::Timestamp &v, ::{p}_timestamp *out) {{ out->micros_since_unix_epoch = v.micros_since_unix_epoch; }}\ninline ::{ns}::TimeDuration from_c(const ::{p}_time_duration &c) {{\n    ::{ns}::TimeDuration d;\n    d.micros = c.micros;\n    return d;\n}}\ninline void to_c(const ::{ns}::TimeDuration &v, ::{p}_time_duration *out) {{ out->micros = v.micros; }}\ninline ::{ns}::ScheduleAt from_c(const ::{p}_schedule_at &c) {{\n    if (c.tag == {pu}_SCHEDULE_AT_INTERVAL) return ::{ns}::ScheduleAt::interval(from_c(c.value.Interval));\n    return ::{ns}::ScheduleAt::time(from_c(c.value.Time));\n}}\ninline void to_c(const ::{ns}::ScheduleAt &v, ::{p}_schedule_at *out) {{\n    if (v.is_interval()) {{\n        out->tag = {pu}_SCHEDULE_AT_INTERVAL;\n        to_c(std::get<0>(v.value), &out->value.Interval);\n    }} else {{\n        out->tag = {pu}_SCHEDULE_AT_TIME;\n        to_c(std::get<1>(v.value), &out->value.Time);\n    }}\n}}\ninline ::{ns}::Unit from_c(const ::{p}_unit &) {{ return ::{ns}::Unit(); }}\ninline void to_c(const ::{ns}::Unit &, ::{p}_unit *out) {{ out->unused_ = 0; }}\n",
        pu = p.to_ascii_uppercase()
    );
    // Module types, dependencies first. Declarations first so mutual order never matters.
    for t in &m.order {
        if cx.is_enum(t) {
            continue;
        }
        let _ = writeln!(
            s,
            "inline {} from_c(const {} &c);\ninline void to_c(const {} &v, {} *out);",
            cx.ty(t),
            cx.c(t),
            cx.ty(t),
            cx.c(t)
        );
    }
    s.push('\n');
    for t in &m.order {
        if cx.is_enum(t) {
            continue;
        }
        let (cpp, c) = (cx.ty(t), cx.c(t));
        match t {
            Ty::Array(e) => {
                let _ = writeln!(
                    s,
                    "inline {cpp} from_c(const {c} &c) {{\n    {cpp} v;\n    v.reserve(c.len);\n    for (size_t i = 0; i < c.len; ++i) v.push_back({});\n    return v;\n}}\ninline void to_c(const {cpp} &v, {c} *out) {{\n    out->data = alloc_array<{}>(v.size());\n    out->len = v.size();\n    for (size_t i = 0; i < v.size(); ++i) {}\n}}",
                    cx.expr_from_c(e, "c.data[i]"),
                    cx.c(e),
                    cx.stmt_to_c(e, "v[i]", "&out->data[i]")
                );
            }
            Ty::Option(e) => {
                let _ = writeln!(
                    s,
                    "inline {cpp} from_c(const {c} &c) {{\n    if (!c.has_value) return std::nullopt;\n    return {cpp}({});\n}}\ninline void to_c(const {cpp} &v, {c} *out) {{\n    if (!v) return;\n    out->has_value = true;\n    {}\n}}",
                    cx.expr_from_c(e, "c.value"),
                    cx.stmt_to_c(e, "*v", "&out->value")
                );
            }
            Ty::Named(i) => match &m.named[*i].kind {
                Kind::Product(fields) => {
                    let mut a = format!("inline {cpp} from_c(const {c} &c) {{\n    {cpp} v;\n");
                    let mut b = format!("inline void to_c(const {cpp} &v, {c} *out) {{\n");
                    if fields.is_empty() {
                        a = format!("inline {cpp} from_c(const {c} &) {{\n    {cpp} v;\n");
                        b = format!("inline void to_c(const {cpp} &, {c} *out) {{\n    out->unused_ = 0;\n");
                    }
                    for f in fields {
                        let _ = writeln!(a, "    v.{m_} = {};", cx.expr_from_c(&f.ty, &format!("c.{}", f.member)), m_ = f.member);
                        let _ = writeln!(
                            b,
                            "    {}",
                            cx.stmt_to_c(&f.ty, &format!("v.{}", f.member), &format!("&out->{}", f.member))
                        );
                    }
                    a.push_str("    return v;\n}\n");
                    b.push_str("}\n");
                    s.push_str(&a);
                    s.push_str(&b);
                }
                Kind::Sum(vs) => {
                    let mut a = format!("inline {cpp} from_c(const {c} &c) {{\n    {cpp} v;\n    switch (c.tag) {{\n");
                    let mut b = format!("inline void to_c(const {cpp} &v, {c} *out) {{\n    switch (v.value.index()) {{\n");
                    for (k, var) in vs.iter().enumerate() {
                        let en = format!("::{p}_{}", var.enumerator);
                        if var.ty == Ty::Unit {
                            let _ = writeln!(a, "    case {en}:\n        v.value.template emplace<{k}>();\n        break;");
                            let _ = writeln!(b, "    case {k}:\n        out->tag = {en};\n        break;");
                        } else {
                            let _ = writeln!(
                                a,
                                "    case {en}:\n        v.value.template emplace<{k}>({});\n        break;",
                                cx.expr_from_c(&var.ty, &format!("c.value.{}", var.member))
                            );
                            let _ = writeln!(
                                b,
                                "    case {k}:\n        out->tag = {en};\n        {}\n        break;",
                                cx.stmt_to_c(&var.ty, &format!("std::get<{k}>(v.value)"), &format!("&out->value.{}", var.member))
                            );
                        }
                    }
                    a.push_str("    default:\n        break;\n    }\n    return v;\n}\n");
                    b.push_str("    default:\n        break;\n    }\n}\n");
                    s.push_str(&a);
                    s.push_str(&b);
                }
                Kind::Enum(_) => unreachable!(),
            },
            _ => unreachable!(),
        }
    }
    s.push_str("\n} // namespace detail\n\n");
    s
}

fn codec_api(cx: &Cx) -> String {
    let m = cx.m;
    let mut s = String::from(
        "/* ==== BSATN and text for module types ============================================================= */\n\n/* Decodes exactly `len` bytes as a T (throws Error on bad input). */\ntemplate <class T>\nT from_bsatn(const uint8_t *data, size_t len);\n\n",
    );
    for t in &m.order {
        let Ty::Named(i) = t else { continue };
        let (cpp, c, f) = (cx.ty(t), cx.c(t), m.fstem(t));
        let name = m.cpp_type_name(*i);
        let owned = cx.owned(t);
        let to_c = cx.stmt_to_c(t, "v", "&c.v");
        let from_c = cx.expr_from_c(t, "c.v");
        let _ = writeln!(
            s,
            "inline Bytes to_bsatn(const {cpp} &v) {{\n    {owned} c;\n    {to_c}\n    detail::Buffer b;\n    detail::check(::{f}_encode(&b.b, &c.v), \"encoding {name}\");\n    return b.bytes();\n}}\ntemplate <>\ninline {cpp} from_bsatn<{cpp}>(const uint8_t *data, size_t len) {{\n    {owned} c;\n    detail::check(::{f}_from_bsatn(data, len, &c.v), \"decoding {name}\");\n    return {from_c};\n}}\n/* Debug text, as the C `_format`. */\ninline std::string to_string(const {cpp} &v) {{\n    {owned} c;\n    {to_c}\n    return detail::format_c<{c}>(::{f}_format, c.v);\n}}\n"
        );
    }
    s
}

fn runtime_classes(cx: &Cx) -> String {
    let (p, ns) = (&cx.p, &cx.ns);
    let mut s = String::new();
    let _ = writeln!(
        s,
        r#"/* ==== Events, bounds, subscriptions ================================================================= */

class Connection;

/* Why a row callback runs. `event` is valid during the callback only. */
struct EventContext {{
    Connection &conn;
    const ::stdb_event *event;
    /* STDB_EVENT_* */
    int32_t kind() const {{ return ::stdb_event_kind(event); }}
}};

/* A reducer run's metadata, copied out of the event. */
struct ReducerEvent {{
    Timestamp timestamp;
    /* STDB_STATUS_COMMITTED / _FAILED / _OUT_OF_ENERGY */
    int32_t status = 0;
    std::string error_message;
    Identity caller_identity;
    std::optional<ConnectionId> caller_connection_id;
    U128 energy_used;
    std::string reducer_name;
    uint32_t reducer_id = 0;
    uint32_t request_id = 0;
    TimeDuration host_duration;
    bool committed() const {{ return status == STDB_STATUS_COMMITTED; }}
}};

struct ReducerEventContext {{
    Connection &conn;
    const ::stdb_event *event;
    const ::stdb_reducer_event *raw;
    ReducerEvent reducer;
}};

namespace detail {{
inline ReducerEvent reducer_event(const ::stdb_reducer_info &i) {{
    ReducerEvent e;
    e.timestamp.micros_since_unix_epoch = i.timestamp_us;
    e.status = i.status;
    e.error_message = str(i.error_message.data, i.error_message.len);
    e.caller_identity = Identity(i.caller_identity);
    if (i.has_caller_connection_id) e.caller_connection_id = ConnectionId(i.caller_connection_id);
    e.energy_used.raw.limbs[0] = i.energy_used_lo;
    e.energy_used.raw.limbs[1] = i.energy_used_hi;
    e.reducer_name = str(i.reducer_name.data, i.reducer_name.len);
    e.reducer_id = i.reducer_id;
    e.request_id = i.request_id;
    e.host_duration.micros = i.host_duration_us;
    return e;
}}
}} // namespace detail

/* One end of a btree range. */
template <class T>
struct Bound {{
    int32_t kind = STDB_BOUND_UNBOUNDED;
    T value{{}};
    static Bound unbounded() {{ return Bound(); }}
    static Bound included(T v) {{
        Bound b;
        b.kind = STDB_BOUND_INCLUDED;
        b.value = std::move(v);
        return b;
    }}
    static Bound excluded(T v) {{
        Bound b;
        b.kind = STDB_BOUND_EXCLUDED;
        b.value = std::move(v);
        return b;
    }}
}};

/* A subscription handle (RAII: releasing it does not unsubscribe). */
class Subscription {{
public:
    Subscription() = default;
    explicit Subscription(::stdb_subscription *s) : s_(s) {{}}
    ~Subscription() {{ ::stdb_subscription_free(s_); }}
    Subscription(Subscription &&o) noexcept : s_(o.s_) {{ o.s_ = nullptr; }}
    Subscription &operator=(Subscription &&o) noexcept {{
        if (this != &o) {{
            ::stdb_subscription_free(s_);
            s_ = o.s_;
            o.s_ = nullptr;
        }}
        return *this;
    }}
    Subscription(const Subscription &) = delete;
    Subscription &operator=(const Subscription &) = delete;
    /* STDB_SUBSCRIPTION_* (-1 for an empty handle). */
    int32_t state() const {{ return ::stdb_subscription_state(s_); }}
    bool is_active() const {{ return state() == STDB_SUBSCRIPTION_ACTIVE; }}
    void unsubscribe() {{ detail::check_lib(::stdb_subscription_unsubscribe(s_), "unsubscribe"); }}
    ::stdb_subscription *c_subscription() const {{ return s_; }}

private:
    ::stdb_subscription *s_ = nullptr;
}};
"#
    );
    let _ = (p, ns);
    s
}

/// C++ parameter names for a table's columns, clear of [`LOCALS`].
fn col_params(t: &Table, cols: &[usize]) -> Vec<String> {
    Locals::CPP_TABLE.dedupe(cols.iter().map(|&c| t.columns[c].member.clone()).collect())
}

/// Statements converting C++ parameter `name` (type `t`) into a C value usable as the C API's
/// argument; returns (statements, argument expression).
fn c_arg(cx: &Cx, t: &Ty, name: &str, tmp: &str) -> (String, String) {
    if t.is_scalar(cx.m) {
        if cx.is_enum(t) {
            (String::new(), format!("static_cast<{}>({name})", cx.c(t)))
        } else {
            (String::new(), name.to_string())
        }
    } else if *t == Ty::String {
        (String::new(), format!("{name}.c_str()"))
    } else {
        (
            format!("        {} {tmp};\n        {}\n", cx.owned(t), cx.stmt_to_c(t, name, &format!("&{tmp}.v"))),
            format!("&{tmp}.v"),
        )
    }
}

fn table_classes(cx: &Cx) -> String {
    let (m, p, ns) = (cx.m, &cx.p, &cx.ns);
    let mut s = String::from(
        "/* ==== Tables ======================================================================================= */\n\n",
    );
    for t in &m.tables {
        let class = &t.cpp_class;
        let ts = format!("::{p}_{}", t.stem);
        let row_ty = Ty::Named(t.row);
        let rows_ty = Ty::Array(Box::new(row_ty.clone()));
        let (row_c, rows_owned) = (cx.c(&row_ty), cx.owned(&rows_ty));
        let row_owned = cx.owned(&row_ty);
        let row_from = cx.expr_from_c(&row_ty, "c.v");
        let _ = writeln!(s, "/* Table `{}`. Handles are owned by the Connection. */", crate::ctypes::comment_text(&t.name));
        let _ = writeln!(
            s,
            "class {class} {{\npublic:\n    using Row = {row};\n    using RowCallback = std::function<void(const EventContext &, const Row &)>;\n    using UpdateCallback = std::function<void(const EventContext &, const Row &old_row, const Row &new_row)>;\n\n    uint64_t count() const {{ return {ts}_count(db_); }}\n\n    /* Calls `f` with each cached row until it returns false. */\n    void for_each(const std::function<bool(const Row &)> &f) const {{\n        IterCtx ctx{{&f, nullptr}};\n        int32_t rc = {ts}_iter(db_, &visit, &ctx);\n        if (ctx.error) std::rethrow_exception(ctx.error);\n        detail::check(rc, \"iterating {tn}\");\n    }}\n\n    /* Every cached row. */\n    std::vector<Row> iter() const {{\n        std::vector<Row> rows;\n        for_each([&rows](const Row &r) {{\n            rows.push_back(r);\n            return true;\n        }});\n        return rows;\n    }}\n",
            row = cx.ty(&row_ty),
            tn = t.name
        );
        for &c in &t.unique_columns {
            let col = &t.columns[c];
            let pn = col_params(t, &[c]).remove(0);
            let (pre, arg) = c_arg(cx, &col.ty, &pn, "key");
            let _ = writeln!(
                s,
                "    /* The row whose unique `{cn}` equals the key, if cached. */\n    std::optional<Row> find_by_{cm}({param}) const {{\n{pre}        bool found = false;\n        {row_owned} c;\n        detail::check({ts}_find_by_{cm}(db_, {arg}, &found, &c.v), \"find in {tn}\");\n        if (!found) return std::nullopt;\n        return {row_from};\n    }}\n",
                cn = crate::ctypes::comment_text(&col.name),
                cm = col.member,
                param = cx.param(&col.ty, &pn),
                tn = t.name
            );
        }
        for ix in &t.indexes {
            s.push_str(&index_methods(cx, t, ix, &ts, &rows_owned));
        }
        for what in ["insert", "delete"] {
            let _ = writeln!(
                s,
                "    CallbackId on_{what}(RowCallback f) {{\n        auto *h = new detail::Handler<Connection, RowCallback>{{conn_, std::move(f)}};\n        CallbackId id = 0;\n        detail::check({ts}_on_{what}(db_, &row_tramp, h, &detail::Handler<Connection, RowCallback>::destroy, &id), \"on_{what} of {tn}\");\n        return id;\n    }}",
                tn = t.name
            );
        }
        if t.primary_key.is_some() {
            let _ = writeln!(
                s,
                "    /* A row replaced by one with the same primary key. */\n    CallbackId on_update(UpdateCallback f) {{\n        auto *h = new detail::Handler<Connection, UpdateCallback>{{conn_, std::move(f)}};\n        CallbackId id = 0;\n        detail::check({ts}_on_update(db_, &update_tramp, h, &detail::Handler<Connection, UpdateCallback>::destroy, &id), \"on_update of {tn}\");\n        return id;\n    }}",
                tn = t.name
            );
        }
        let _ = writeln!(
            s,
            "    void remove_callback(CallbackId id) {{ detail::check({ts}_remove_callback(db_, id), \"remove_callback of {tn}\"); }}\n\nprivate:\n    friend class Db;\n    struct IterCtx {{\n        const std::function<bool(const Row &)> *f;\n        std::exception_ptr error;\n    }};\n    Connection *conn_ = nullptr;\n    const ::{p}_db *db_ = nullptr;\n\n    static bool visit(void *ud, const {row_c} *row) {{\n        IterCtx *c = static_cast<IterCtx *>(ud);\n        try {{\n            return (*c->f)({from_row});\n        }} catch (...) {{\n            c->error = std::current_exception();\n            return false;\n        }}\n    }}\n    static void row_tramp(void *ud, const ::stdb_connection *, const ::stdb_event *ev, const {row_c} *row) {{\n        auto *h = static_cast<detail::Handler<Connection, RowCallback> *>(ud);\n        try {{\n            EventContext ctx{{*h->conn, ev}};\n            h->fn(ctx, {from_row});\n        }} catch (...) {{\n        }}\n    }}",
            tn = t.name,
            from_row = cx.expr_from_c(&row_ty, "*row")
        );
        if t.primary_key.is_some() {
            let _ = writeln!(
                s,
                "    static void update_tramp(void *ud, const ::stdb_connection *, const ::stdb_event *ev, const {row_c} *old_row,\n                             const {row_c} *new_row) {{\n        auto *h = static_cast<detail::Handler<Connection, UpdateCallback> *>(ud);\n        try {{\n            EventContext ctx{{*h->conn, ev}};\n            h->fn(ctx, {}, {});\n        }} catch (...) {{\n        }}\n    }}",
                cx.expr_from_c(&row_ty, "*old_row"),
                cx.expr_from_c(&row_ty, "*new_row")
            );
        }
        s.push_str("};\n\n");
        let _ = row_c;
    }
    let _ = ns;
    s
}

fn index_methods(cx: &Cx, t: &Table, ix: &Index, ts: &str, rows_owned: &str) -> String {
    let m = cx.m;
    let suffixes = index_suffixes(&ix.columns, &t.columns);
    let pnames = col_params(t, &ix.columns);
    let mut s = String::new();
    let rows_from = cx.expr_from_c(&Ty::Array(Box::new(Ty::Named(t.row))), "c.v");
    // exact
    {
        let params: Vec<String> = ix.columns.iter().zip(&pnames).map(|(&c, n)| cx.param(&t.columns[c].ty, n)).collect();
        let mut pre = String::new();
        let mut args = Vec::new();
        for (k, (&c, n)) in ix.columns.iter().zip(&pnames).enumerate() {
            let (p_, a) = c_arg(cx, &t.columns[c].ty, n, &format!("key{k}"));
            pre.push_str(&p_);
            args.push(a);
        }
        let _ = writeln!(
            s,
            "    /* Rows of btree index {ixn} equal to the given values. */\n    std::vector<Row> {st}{suf}({params}) const {{\n{pre}        {rows_owned} c;\n        detail::check({ts}_{st}{suf}(db_, {args}, &c.v), \"index {ixn}\");\n        return {rows_from};\n    }}",
            ixn = ix.name,
            st = ix.stem,
            suf = suffixes[0],
            params = params.join(", "),
            args = args.join(", ")
        );
    }
    for (k, suf) in suffixes[1..].iter().enumerate() {
        let ranged = &t.columns[ix.columns[k]];
        let mut params: Vec<String> = ix.columns[..k].iter().zip(&pnames).map(|(&c, n)| cx.param(&t.columns[c].ty, n)).collect();
        let bt = format!("Bound<{}>", cx.ty(&ranged.ty));
        params.push(format!("const {bt} &lower"));
        params.push(format!("const {bt} &upper"));
        let mut pre = String::new();
        let mut args = Vec::new();
        for (j, (&c, n)) in ix.columns[..k].iter().zip(&pnames).enumerate() {
            let (p_, a) = c_arg(cx, &t.columns[c].ty, n, &format!("key{j}"));
            pre.push_str(&p_);
            args.push(a);
        }
        let bound_c = format!("::{}_{}", m.prefix, m.bound_stem(&ranged.ty));
        for (which, slot) in [("lower", "lo"), ("upper", "hi")] {
            let _ = write!(pre, "        {bound_c} {slot};\n        {slot}.kind = {which}.kind;\n");
            if ranged.ty == Ty::String {
                let _ = writeln!(pre, "        {slot}.value = {which}.value.c_str();");
            } else if ranged.ty.is_scalar(m) {
                let v = if cx.is_enum(&ranged.ty) {
                    format!("static_cast<{}>({which}.value)", cx.c(&ranged.ty))
                } else {
                    format!("{which}.value")
                };
                let _ = writeln!(pre, "        {slot}.value = {v};");
            } else {
                let _ = writeln!(
                    pre,
                    "        {} {slot}_c;\n        {}\n        {slot}.value = {slot}_c.v;",
                    cx.owned(&ranged.ty),
                    cx.stmt_to_c(&ranged.ty, &format!("{which}.value"), &format!("&{slot}_c.v"))
                );
            }
        }
        args.push("&lo".into());
        args.push("&hi".into());
        let _ = writeln!(
            s,
            "    /* Rows of btree index {ixn} whose `{rn}` lies between the bounds (after equal leading columns). */\n    std::vector<Row> {st}{suf}({params}) const {{\n{pre}        {rows_owned} c;\n        detail::check({ts}_{st}{suf}(db_, {args}, &c.v), \"index {ixn}\");\n        return {rows_from};\n    }}",
            ixn = ix.name,
            rn = crate::ctypes::comment_text(&ranged.name),
            st = ix.stem,
            params = params.join(", "),
            args = args.join(", ")
        );
    }
    s
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

fn db_and_reducers(cx: &Cx) -> String {
    let (m, p) = (cx.m, &cx.p);
    let mut s = String::new();
    s.push_str("/* Typed access to the module's tables (`conn->db().TABLE()`). */\nclass Db {\npublic:\n");
    for t in &m.tables {
        let _ = writeln!(
            s,
            "    {c} &{a}() {{ return {a}_; }}\n    const {c} &{a}() const {{ return {a}_; }}",
            c = t.cpp_class,
            a = t.cpp_accessor
        );
    }
    s.push_str("\nprivate:\n    friend class Connection;\n");
    let _ = writeln!(s, "    void init(Connection *conn, const ::{p}_db *db) {{");
    for t in &m.tables {
        let _ = writeln!(s, "        {a}_.conn_ = conn;\n        {a}_.db_ = db;", a = t.cpp_accessor);
    }
    if m.tables.is_empty() {
        s.push_str("        (void)conn;\n        (void)db;\n");
    }
    s.push_str("    }\n");
    for t in &m.tables {
        let _ = writeln!(s, "    {} {}_;", t.cpp_class, t.cpp_accessor);
    }
    s.push_str("};\n\n");

    // Reducers.
    s.push_str("/* Typed reducer calls and callbacks (`conn->reducers().NAME(args...)`). Arguments are encoded with the\n * generated C codecs; callbacks get decoded arguments (runs without decodable arguments are skipped). */\nclass Reducers {\npublic:\n");
    let names = reducer_names(m);
    for (r, (call, on)) in m.reducers.iter().zip(&names) {
        let pn = Locals::CPP_REDUCER.dedupe(r.params.iter().map(|p| p.member.clone()).collect());
        let mut params: Vec<String> = r.params.iter().zip(&pn).map(|(prm, n)| cx.param(&prm.ty, n)).collect();
        params.push("uint32_t flags = STDB_CALL_FULL_UPDATE".into());
        let name_lit = crate::ctypes::c_lit(&r.name);
        let sig: Vec<String> = r.params.iter().map(|p| format!("{}: {}", p.name, crate::ctypes::describe(m, &p.ty))).collect();
        let _ =
            writeln!(s, "    /* {}({}) */", crate::ctypes::comment_text(&r.name), crate::ctypes::comment_text(&sig.join(", ")));
        let _ = writeln!(s, "    void {call}({}) const {{", params.join(", "));
        match r.args {
            None => {
                let _ = writeln!(
                    s,
                    "        detail::check_lib(::stdb_connection_call_reducer(conn_, {name_lit}, {}, nullptr, 0, flags, nullptr), \"calling {}\");\n    }}",
                    r.name.len(),
                    r.name
                );
            }
            Some(a) => {
                let at = Ty::Named(a);
                let _ = writeln!(s, "        {} c;", cx.owned(&at));
                for (prm, n) in r.params.iter().zip(&pn) {
                    let _ = writeln!(s, "        {}", cx.stmt_to_c(&prm.ty, n, &format!("&c.v.{}", prm.member)));
                }
                let _ = writeln!(
                    s,
                    "        detail::Buffer b;\n        detail::check(::{}_encode(&b.b, &c.v), \"encoding the arguments of {rn}\");\n        detail::check_lib(::stdb_connection_call_reducer(conn_, {name_lit}, {}, b.b.data, b.b.len, flags, nullptr), \"calling {rn}\");\n    }}",
                    m.fstem(&at),
                    r.name.len(),
                    rn = r.name
                );
            }
        }
        let cb_params: Vec<String> = std::iter::once("const ReducerEventContext &".to_string())
            .chain(r.params.iter().map(|prm| cx.param(&prm.ty, "")))
            .map(|s| s.trim_end().to_string())
            .collect();
        let cb_t = format!("std::function<void({})>", cb_params.join(", "));
        let _ = writeln!(
            s,
            "    using {on}_fn = {cb_t};\n    CallbackId {on}({on}_fn f) {{\n        auto *h = new detail::Handler<Connection, {on}_fn>{{conn_obj_, std::move(f)}};\n        CallbackId id = 0;\n        detail::check_lib(::stdb_connection_on_reducer(conn_, {name_lit}, {len}, &{on}_tramp, h, &detail::Handler<Connection, {on}_fn>::destroy, &id),\n                      \"on_reducer {rn}\");\n        return id;\n    }}",
            len = r.name.len(),
            rn = r.name
        );
    }
    let _ = writeln!(s, "    void remove_on_reducer(CallbackId id) {{ detail::check(::{p}_remove_on_reducer(conn_, id), \"remove_on_reducer\"); }}\n");
    s.push_str("private:\n    friend class Connection;\n    const ::stdb_connection *conn_ = nullptr;\n    Connection *conn_obj_ = nullptr;\n\n");
    for (r, (_, on)) in m.reducers.iter().zip(&names) {
        let _ = writeln!(
            s,
            "    static void {on}_tramp(void *ud, const ::stdb_connection *, const ::stdb_event *ev, const ::stdb_reducer_event *re) {{\n        auto *h = static_cast<detail::Handler<Connection, {on}_fn> *>(ud);\n        ::stdb_reducer_info info;\n        if (!::stdb_reducer_event_info(re, &info)) return;"
        );
        match r.args {
            None => {
                let _ = writeln!(s, "        try {{\n            ReducerEventContext ctx{{*h->conn, ev, re, detail::reducer_event(info)}};\n            h->fn(ctx);\n        }} catch (...) {{\n        }}\n    }}");
            }
            Some(a) => {
                let at = Ty::Named(a);
                let args: Vec<String> =
                    r.params.iter().map(|prm| cx.expr_from_c(&prm.ty, &format!("c.v.{}", prm.member))).collect();
                let _ = writeln!(
                    s,
                    "        try {{\n            {} c;\n            if (::{}_from_bsatn(info.args.data, info.args.len, &c.v) != 0) return;\n            ReducerEventContext ctx{{*h->conn, ev, re, detail::reducer_event(info)}};\n            h->fn(ctx, {});\n        }} catch (...) {{\n        }}\n    }}",
                    cx.owned(&at),
                    m.fstem(&at),
                    args.join(", ")
                );
            }
        }
    }
    s.push_str("};\n\n");
    s
}

fn connection(cx: &Cx) -> String {
    let (p, ns) = (&cx.p, &cx.ns);
    let mut s = String::new();
    let _ = writeln!(
        s,
        r#"/* ==== Connection =================================================================================== */

/* A connection to a database of this module (RAII: destroying it releases the connection). */
class Connection {{
public:
    class Builder;
    using ConnectCallback = std::function<void(Connection &, const Identity &, const std::string &token)>;
    using ConnectErrorCallback = std::function<void(Connection &, int32_t kind, uint16_t http_status, const std::string &message)>;
    /* `error` is empty after a disconnect the program asked for. */
    using DisconnectCallback = std::function<void(Connection &, const std::optional<std::string> &error)>;
    using AppliedCallback = std::function<void(const EventContext &)>;
    using SubscriptionErrorCallback = std::function<void(Connection &, const std::string &message)>;

    static Builder builder();

    ~Connection() {{
        ::{p}_db_free(&cdb_);
        ::stdb_connection_free(conn_);
    }}
    Connection(const Connection &) = delete;
    Connection &operator=(const Connection &) = delete;

    /* Applies what has arrived and runs callbacks on this thread; never blocks. False once the
     * connection has ended (after on_disconnect / on_connect_error ran). */
    bool frame_tick() {{
        int32_t rc = ::stdb_frame_tick(conn_);
        if (rc == STDB_ERR_DISCONNECTED) return false;
        detail::check(rc, "frame_tick");
        return true;
    }}
    void disconnect() {{ detail::check_lib(::stdb_connection_disconnect(conn_), "disconnect"); }}
    bool is_active() const {{ return ::stdb_connection_is_active(conn_); }}
    Identity identity() const {{
        Identity id;
        detail::check_lib(::stdb_connection_identity(conn_, &id.raw), "identity");
        return id;
    }}
    ConnectionId connection_id() const {{
        ConnectionId id;
        detail::check_lib(::stdb_connection_get_connection_id(conn_, &id.raw), "connection_id");
        return id;
    }}
    std::string token() const {{
        ::stdb_buffer b{{nullptr, 0}};
        detail::check_lib(::stdb_connection_token(conn_, &b), "token");
        std::string t = detail::str(b.data, b.len);
        ::stdb_buffer_free(&b);
        return t;
    }}

    Db &db() {{ return db_; }}
    const Db &db() const {{ return db_; }}
    Reducers &reducers() {{ return reducers_; }}
    const Reducers &reducers() const {{ return reducers_; }}

    /* Subscribes to SQL queries; `on_applied` runs once their rows are cached. */
    Subscription subscribe(const std::vector<std::string> &queries, AppliedCallback on_applied = {{}},
                           SubscriptionErrorCallback on_error = {{}}) {{
        std::vector<::stdb_bytes> views;
        for (const auto &q : queries) views.push_back(::stdb_bytes{{reinterpret_cast<const uint8_t *>(q.data()), q.size()}});
        ::stdb_subscription *sub = nullptr;
        ::stdb_subscription_builder *b = sub_builder(std::move(on_applied), std::move(on_error));
        detail::check_lib(::stdb_subscription_builder_subscribe(b, views.data(), views.size(), &sub), "subscribe");
        return Subscription(sub);
    }}
    /* Subscribes to every public table. */
    Subscription subscribe_to_all_tables(AppliedCallback on_applied = {{}}, SubscriptionErrorCallback on_error = {{}}) {{
        ::stdb_subscription *sub = nullptr;
        ::stdb_subscription_builder *b = sub_builder(std::move(on_applied), std::move(on_error));
        detail::check_lib(::stdb_subscription_builder_subscribe_all_tables(b, &sub), "subscribe_to_all_tables");
        return Subscription(sub);
    }}

    const ::stdb_connection *c_connection() const {{ return conn_; }}
    const ::{p}_db *c_db() const {{ return &cdb_; }}

private:
    Connection() {{ std::memset(static_cast<void *>(&cdb_), 0, sizeof cdb_); }}

    ::stdb_subscription_builder *sub_builder(AppliedCallback on_applied, SubscriptionErrorCallback on_error) {{
        ::stdb_subscription_builder *b = ::stdb_subscription_builder_new(conn_);
        if (!b) throw ::{ns}::Error(STDB_ERR_NULL, std::string("subscription builder: ") + ::stdb_last_error());
        try {{
            if (on_applied) {{
                auto *h = new detail::Handler<Connection, AppliedCallback>{{this, std::move(on_applied)}};
                detail::check_lib(::stdb_subscription_builder_on_applied(b, &applied_tramp, h, &detail::Handler<Connection, AppliedCallback>::destroy),
                              "on_applied");
            }}
            if (on_error) {{
                auto *h = new detail::Handler<Connection, SubscriptionErrorCallback>{{this, std::move(on_error)}};
                detail::check_lib(::stdb_subscription_builder_on_error(b, &sub_error_tramp, h,
                                                                   &detail::Handler<Connection, SubscriptionErrorCallback>::destroy),
                              "on_error");
            }}
        }} catch (...) {{
            ::stdb_subscription_builder_free(b);
            throw;
        }}
        return b;
    }}
    static void applied_tramp(void *ud, const ::stdb_connection *, const ::stdb_event *ev) {{
        auto *h = static_cast<detail::Handler<Connection, AppliedCallback> *>(ud);
        try {{
            EventContext ctx{{*h->conn, ev}};
            h->fn(ctx);
        }} catch (...) {{
        }}
    }}
    static void sub_error_tramp(void *ud, const ::stdb_connection *, const char *msg, size_t len) {{
        auto *h = static_cast<detail::Handler<Connection, SubscriptionErrorCallback> *>(ud);
        try {{
            h->fn(*h->conn, detail::str(msg, len));
        }} catch (...) {{
        }}
    }}

    ::stdb_connection *conn_ = nullptr;
    ::{p}_db cdb_;
    Db db_;
    Reducers reducers_;
}};

/* Connection settings; `build()` registers this module's schema and starts connecting. */
class Connection::Builder {{
public:
    Builder() : b_(::stdb_connection_builder_new()) {{}}
    ~Builder() {{ ::stdb_connection_builder_free(b_); }}
    Builder(Builder &&o) noexcept
        : b_(o.b_), on_connect_(std::move(o.on_connect_)), on_connect_error_(std::move(o.on_connect_error_)),
          on_disconnect_(std::move(o.on_disconnect_)) {{
        o.b_ = nullptr;
    }}
    Builder(const Builder &) = delete;
    Builder &operator=(const Builder &) = delete;
    Builder &operator=(Builder &&) = delete;

    /* http://, https://, ws:// or wss:// */
    Builder &with_uri(const std::string &uri) {{
        detail::check_lib(::stdb_connection_builder_set_uri(live(), uri.data(), uri.size()), "with_uri");
        return *this;
    }}
    Builder &with_database_name(const std::string &name) {{
        detail::check_lib(::stdb_connection_builder_set_module_name(live(), name.data(), name.size()), "with_database_name");
        return *this;
    }}
    Builder &with_token(const std::string &token) {{
        detail::check_lib(::stdb_connection_builder_set_token(live(), token.data(), token.size()), "with_token");
        return *this;
    }}
    Builder &with_light_mode(bool light) {{
        detail::check_lib(::stdb_connection_builder_set_light_mode(live(), light), "with_light_mode");
        return *this;
    }}
    /* 0 none, 1 Brotli (default), 2 Gzip */
    Builder &with_compression(int32_t compression) {{
        detail::check_lib(::stdb_connection_builder_set_compression(live(), compression), "with_compression");
        return *this;
    }}
    Builder &on_connect(ConnectCallback f) {{
        on_connect_ = std::move(f);
        return *this;
    }}
    Builder &on_connect_error(ConnectErrorCallback f) {{
        on_connect_error_ = std::move(f);
        return *this;
    }}
    Builder &on_disconnect(DisconnectCallback f) {{
        on_disconnect_ = std::move(f);
        return *this;
    }}

    /* Registers the schema (checking the library's ABI version) and starts connecting. The builder
     * is used up. */
    std::unique_ptr<Connection> build() {{
        std::unique_ptr<Connection> c(new Connection());
        Connection *raw = c.get();
        detail::check(::{p}_register(live()), "registering the {p} schema");
        if (on_connect_) {{
            auto *h = new detail::Handler<Connection, ConnectCallback>{{raw, std::move(on_connect_)}};
            detail::check_lib(::stdb_connection_builder_on_connect(b_, &connect_tramp, h, &detail::Handler<Connection, ConnectCallback>::destroy),
                          "on_connect");
        }}
        if (on_connect_error_) {{
            auto *h = new detail::Handler<Connection, ConnectErrorCallback>{{raw, std::move(on_connect_error_)}};
            detail::check_lib(::stdb_connection_builder_on_connect_error(b_, &connect_error_tramp, h,
                                                                     &detail::Handler<Connection, ConnectErrorCallback>::destroy),
                          "on_connect_error");
        }}
        if (on_disconnect_) {{
            auto *h = new detail::Handler<Connection, DisconnectCallback>{{raw, std::move(on_disconnect_)}};
            detail::check_lib(::stdb_connection_builder_on_disconnect(b_, &disconnect_tramp, h,
                                                                  &detail::Handler<Connection, DisconnectCallback>::destroy),
                          "on_disconnect");
        }}
        ::stdb_connection_builder *b = b_;
        b_ = nullptr;
        detail::check_lib(::stdb_connection_builder_build(b, &c->conn_), "build");
        detail::check(::{p}_db_init(&c->cdb_, c->conn_), "looking up the tables");
        c->db_.init(raw, &c->cdb_);
        c->reducers_.conn_ = c->conn_;
        c->reducers_.conn_obj_ = raw;
        return c;
    }}

private:
    ::stdb_connection_builder *live() {{
        if (!b_) throw Error(STDB_ERR_INVALID_STATE, "the builder was already built");
        return b_;
    }}
    static void connect_tramp(void *ud, const ::stdb_connection *, const ::stdb_identity *id, const char *token, size_t token_len,
                              const ::stdb_connection_id *) {{
        auto *h = static_cast<detail::Handler<Connection, ConnectCallback> *>(ud);
        try {{
            h->fn(*h->conn, Identity(*id), detail::str(token, token_len));
        }} catch (...) {{
        }}
    }}
    static void connect_error_tramp(void *ud, const ::stdb_connection *, int32_t kind, uint16_t status, const char *msg, size_t len) {{
        auto *h = static_cast<detail::Handler<Connection, ConnectErrorCallback> *>(ud);
        try {{
            h->fn(*h->conn, kind, status, detail::str(msg, len));
        }} catch (...) {{
        }}
    }}
    static void disconnect_tramp(void *ud, const ::stdb_connection *, const char *msg, size_t len) {{
        auto *h = static_cast<detail::Handler<Connection, DisconnectCallback> *>(ud);
        try {{
            std::optional<std::string> err;
            if (msg) err = detail::str(msg, len);
            h->fn(*h->conn, err);
        }} catch (...) {{
        }}
    }}

    ::stdb_connection_builder *b_;
    ConnectCallback on_connect_;
    ConnectErrorCallback on_connect_error_;
    DisconnectCallback on_disconnect_;
}};

inline Connection::Builder Connection::builder() {{ return Builder(); }}
"#
    );
    let _ = ns;
    s
}

/// Keeps `BUILTINS` referenced here so a new builtin reminds whoever adds it to map it above.
#[allow(dead_code)]
const _BUILTIN_COUNT: usize = BUILTINS.len();
