//! Per-reducer C functions: a typed call, typed `on_reducer` callbacks, and the removal function.

use crate::ctypes::{api_arg, api_param, api_param_store, c_lit, comment_text, describe};
use crate::model::{Module, Reducer, Ty};
use std::fmt::Write;

fn signature_doc(m: &Module, r: &Reducer) -> String {
    let params: Vec<String> = r.params.iter().map(|p| format!("{}: {}", p.name, describe(m, &p.ty))).collect();
    format!("{}({})", r.name, params.join(", "))
}

fn call_params(m: &Module, r: &Reducer) -> String {
    let mut v = vec!["const stdb_connection *conn".to_string()];
    v.extend(r.params.iter().map(|p| api_param(m, &p.ty, &p.member)));
    v.push("uint32_t flags".into());
    v.join(", ")
}

fn fn_type(m: &Module, r: &Reducer) -> String {
    format!("{}_on_reducer_{}_fn", m.prefix, r.stem)
}

pub fn header(m: &Module) -> String {
    let p = &m.prefix;
    let mut s = String::new();
    s.push_str("/* ==== Reducers ====================================================================================\n");
    s.push_str(" * `PREFIX_reducer_NAME(conn, args..., flags)` sends a call (flags: STDB_CALL_FULL_UPDATE or\n");
    s.push_str(" * STDB_CALL_NO_SUCCESS_NOTIFY). `PREFIX_on_reducer_NAME` runs a callback with the decoded arguments\n");
    s.push_str(" * after each run of the reducer the client hears about (read status, caller, … from `reducer` with\n");
    s.push_str(" * `stdb_reducer_event_info`). Runs whose arguments cannot be decoded — calls the server rejected\n");
    s.push_str(" * before running them carry none — are skipped, as in the official SDKs; use\n");
    s.push_str(
        " * `stdb_connection_on_reducer` to see those. Strings are passed as NUL-terminated `const char *`. */\n"
            .replace("PREFIX", p)
            .as_str(),
    );
    let s = s.replace("PREFIX", p);
    let mut s = s;
    if !m.lifecycle_reducers.is_empty() {
        let _ = writeln!(
            s,
            "/* Lifecycle reducers (not callable by clients, so not generated): {}. */",
            comment_text(&m.lifecycle_reducers.join(", "))
        );
    }
    let _ = writeln!(s, "/* Removes a callback registered by any `{p}_on_reducer_*` function. */");
    let _ = writeln!(s, "int32_t {p}_remove_on_reducer(const stdb_connection *conn, uint64_t id);\n");
    for r in &m.reducers {
        let _ = writeln!(s, "/* {} */", comment_text(&signature_doc(m, r)));
        let _ = writeln!(s, "int32_t {p}_reducer_{}({});", r.stem, call_params(m, r));
        let mut cb = vec![
            "void *user_data".to_string(),
            "const stdb_connection *conn".into(),
            "const stdb_event *event".into(),
            "const stdb_reducer_event *reducer".into(),
        ];
        cb.extend(r.params.iter().map(|p| api_param(m, &p.ty, &p.member)));
        let _ = writeln!(s, "typedef void (*{})({});", fn_type(m, r), cb.join(", "));
        let _ = writeln!(
            s,
            "int32_t {p}_on_reducer_{}(const stdb_connection *conn, {} callback, void *user_data,\n                   stdb_free_fn free_user_data, uint64_t *out_id);\n",
            r.stem,
            fn_type(m, r)
        );
    }
    s
}

pub fn source(m: &Module) -> String {
    let p = &m.prefix;
    let mut s = String::new();
    s.push_str("/* ==== Reducers ==================================================================================== */\n\n");
    let _ = writeln!(
        s,
        "int32_t {p}_remove_on_reducer(const stdb_connection *conn, uint64_t id) {{\n    return {p}_lib_error(stdb_connection_remove_on_reducer(conn, id), \"remove_on_reducer\");\n}}\n"
    );
    for r in &m.reducers {
        let name_lit = c_lit(&r.name);
        let nlen = r.name.len();
        // The call.
        let _ = writeln!(s, "int32_t {p}_reducer_{}({}) {{", r.stem, call_params(m, r));
        match r.args {
            None => {
                let _ = writeln!(
                    s,
                    "    return {p}_lib_error(stdb_connection_call_reducer(conn, {name_lit}, {nlen}, NULL, 0, flags, NULL), \"calling \" {name_lit});\n}}\n"
                );
            }
            Some(a) => {
                let at = m.c_type(&Ty::Named(a));
                let af = m.fstem(&Ty::Named(a));
                let _ = writeln!(s, "    {at} args;\n    {p}_buffer buf;\n    int32_t rc;");
                let on_null = format!("{{\n        {p}_set_error(\"calling %s: NULL argument\", {name_lit});\n        return STDB_ERR_NULL;\n    }}");
                for prm in &r.params {
                    s.push_str(&api_param_store(m, &prm.ty, &prm.member, &format!("args.{}", prm.member), &on_null));
                }
                let _ = writeln!(
                    s,
                    "    memset(&buf, 0, sizeof buf);\n    rc = {af}_encode(&buf, &args);\n    if (rc != STDB_OK)\n        {p}_set_error(\"calling %s: cannot encode the arguments\", {name_lit});\n    else\n        rc = {p}_lib_error(stdb_connection_call_reducer(conn, {name_lit}, {nlen}, buf.data, buf.len, flags, NULL), \"calling \" {name_lit});\n    {p}_buffer_free(&buf);\n    return rc;\n}}\n"
                );
            }
        }
        // The callback trampoline.
        let _ = writeln!(
            s,
            "static void {p}_on_reducer_{st}_tramp(void *user_data, const stdb_connection *conn, const stdb_event *event,\n                                 const stdb_reducer_event *reducer) {{\n    {p}_closure *c = ({p}_closure *)user_data;",
            st = r.stem
        );
        match r.args {
            None => {
                let _ = writeln!(s, "    (({})c->fn)(c->user_data, conn, event, reducer);\n}}\n", fn_type(m, r));
            }
            Some(a) => {
                let at = m.c_type(&Ty::Named(a));
                let af = m.fstem(&Ty::Named(a));
                let args: Vec<String> = r.params.iter().map(|prm| api_arg(m, &prm.ty, &format!("args.{}", prm.member))).collect();
                let _ = writeln!(
                    s,
                    "    stdb_reducer_info info;\n    {at} args;\n    if (!stdb_reducer_event_info(reducer, &info)) return;\n    if ({af}_from_bsatn(info.args.data, info.args.len, &args) != STDB_OK) return;\n    (({})c->fn)(c->user_data, conn, event, reducer, {});\n    {af}_free(&args);\n}}\n",
                    fn_type(m, r),
                    args.join(", ")
                );
            }
        }
        let _ = writeln!(
            s,
            "int32_t {p}_on_reducer_{st}(const stdb_connection *conn, {ft} callback, void *user_data,\n                   stdb_free_fn free_user_data, uint64_t *out_id) {{\n    int32_t rc = STDB_OK;\n    {p}_closure *c = {p}_closure_new((void (*)(void))callback, user_data, free_user_data, &rc);\n    if (!c) return rc;\n    return {p}_lib_error(stdb_connection_on_reducer(conn, {name_lit}, {nlen}, {p}_on_reducer_{st}_tramp, c, {p}_closure_free, out_id),\n                         \"on_reducer \" {name_lit});\n}}\n",
            st = r.stem,
            ft = fn_type(m, r)
        );
    }
    s
}
