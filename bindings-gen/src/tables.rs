//! Per-table C functions: the `PREFIX_db` handle set, count, iteration, unique finds, btree
//! filters and ranges, and typed row callbacks.

use crate::ctypes::{api_param, api_param_store, bound_value_type, c_lit, comment_text};
use crate::model::{index_suffixes, Index, Module, Table, Ty};
use std::fmt::Write;

/// Names the generated table functions use for their own parameters and locals; column
/// parameters are renamed around them.
const LOCALS: &[&str] = &[
    "db", "found", "out_row", "out", "lower", "upper", "key", "buf", "hit", "f", "rc", "ends", "prefix", "lo", "hi", "lo_value",
    "hi_value", "list", "index", "i", "key0", "key1", "key2", "key3", "key4", "key5", "key6", "key7",
];

/// C parameter names for the given columns (escaped members, clear of [`LOCALS`]).
fn col_params(t: &Table, cols: &[usize]) -> Vec<String> {
    let mut v = crate::names::dedupe(cols.iter().map(|&c| t.columns[c].member.clone()).collect(), LOCALS);
    for (k, n) in v.iter_mut().enumerate() {
        if n.starts_with("key") && n[3..].parse::<usize>().is_ok() {
            *n = format!("{n}_{k}");
        }
    }
    v
}

fn row_c(m: &Module, t: &Table) -> String {
    m.c_type(&Ty::Named(t.row))
}

fn rows_c(m: &Module, t: &Table) -> String {
    m.c_type(&Ty::Array(Box::new(Ty::Named(t.row))))
}

fn bound_c(m: &Module, ty: &Ty) -> String {
    let stem = &m.bound_stems.iter().find(|(b, _)| b == ty).expect("bound stem for every index column").1;
    format!("{}_{stem}", m.prefix)
}

/// Header declarations of the table section.
pub fn header(m: &Module) -> String {
    let p = &m.prefix;
    let mut s = String::new();
    s.push_str("/* ==== Tables ======================================================================================\n");
    s.push_str(" * Rows come decoded. Pointers passed to callbacks are valid during the call only. Row lists returned\n");
    let _ = writeln!(s, " * by filters/ranges are owned: release them with their `_free`. Callbacks run on the thread that ticks\n * the connection; `free_user_data` runs exactly once (also when registering fails). */\n");
    if !m.bound_stems.is_empty() {
        s.push_str("/* Typed ends of a btree range: `kind` is STDB_BOUND_UNBOUNDED / _INCLUDED / _EXCLUDED; `value` is\n * borrowed for the call. A NULL bound pointer is unbounded. */\n");
        for (ty, stem) in &m.bound_stems {
            let _ = writeln!(
                s,
                "typedef struct {p}_{stem} {{\n    int32_t kind;\n    {}value;\n}} {p}_{stem};",
                bound_value_type(m, ty)
            );
        }
        s.push('\n');
    }
    s.push_str("/* Handles of the module's tables, looked up once by `_db_init` (the schema registered with\n * `");
    let _ = writeln!(s, "{p}_register` makes them available as soon as the connection is built). */");
    let _ = writeln!(s, "typedef struct {p}_db {{");
    for t in &m.tables {
        let _ = writeln!(s, "    stdb_table *{};", t.member);
    }
    if m.tables.is_empty() {
        s.push_str("    stdb_table *unused_;\n");
    }
    let _ = writeln!(s, "}} {p}_db;\n");
    let _ = writeln!(s, "int32_t {p}_db_init({p}_db *db, const stdb_connection *conn);");
    let _ = writeln!(s, "/* Releases the table handles (callbacks registered through them stay registered). */");
    let _ = writeln!(s, "void {p}_db_free({p}_db *db);\n");
    for t in &m.tables {
        s.push_str(&table_header(m, t));
    }
    s
}

fn table_header(m: &Module, t: &Table) -> String {
    let (p, ts) = (&m.prefix, format!("{}_{}", m.prefix, t.stem));
    let (row, rows) = (row_c(m, t), rows_c(m, t));
    let mut s = String::new();
    let mut facts = vec![if t.is_public { "public" } else { "private" }.to_string()];
    if let Some(pk) = t.primary_key {
        facts.push(format!("primary key {}", t.columns[pk].name));
    }
    if t.scheduled {
        facts.push("scheduled".into());
    }
    let _ = writeln!(s, "/* ---- table {} ({}); rows are {row} ---- */", comment_text(&t.name), comment_text(&facts.join(", ")));
    let _ = writeln!(s, "typedef bool (*{ts}_visitor)(void *user_data, const {row} *row);");
    let _ = writeln!(
        s,
        "typedef void (*{ts}_row_fn)(void *user_data, const stdb_connection *conn, const stdb_event *event, const {row} *row);"
    );
    if t.primary_key.is_some() {
        let _ = writeln!(
            s,
            "typedef void (*{ts}_update_fn)(void *user_data, const stdb_connection *conn, const stdb_event *event,\n                                 const {row} *old_row, const {row} *new_row);"
        );
    }
    let _ = writeln!(s, "uint64_t {ts}_count(const {p}_db *db);");
    let _ = writeln!(s, "/* Visits each cached row until the visitor returns false. */");
    let _ = writeln!(s, "int32_t {ts}_iter(const {p}_db *db, {ts}_visitor visitor, void *user_data);");
    for &c in &t.unique_columns {
        let col = &t.columns[c];
        let _ = writeln!(s, "/* The row whose unique `{}` equals the key: `*found` says whether there is one; if so it is\n * decoded into `*out_row` (release with `{}_free`). */", comment_text(&col.name), m.fstem(&Ty::Named(t.row)));
        let pn = &col_params(t, &[c])[0];
        let _ = writeln!(
            s,
            "int32_t {ts}_find_by_{}(const {p}_db *db, {}, bool *found, {row} *out_row);",
            col.member,
            api_param(m, &col.ty, pn)
        );
    }
    for ix in &t.indexes {
        s.push_str(&index_header(m, t, ix, &rows));
    }
    let _ = writeln!(s, "int32_t {ts}_on_insert(const {p}_db *db, {ts}_row_fn callback, void *user_data, stdb_free_fn free_user_data,\n                   uint64_t *out_id);");
    let _ = writeln!(s, "int32_t {ts}_on_delete(const {p}_db *db, {ts}_row_fn callback, void *user_data, stdb_free_fn free_user_data,\n                   uint64_t *out_id);");
    if t.primary_key.is_some() {
        let _ = writeln!(s, "int32_t {ts}_on_update(const {p}_db *db, {ts}_update_fn callback, void *user_data, stdb_free_fn free_user_data,\n                   uint64_t *out_id);");
    }
    let _ = writeln!(s, "int32_t {ts}_remove_callback(const {p}_db *db, uint64_t id);\n");
    s
}

fn col_names(t: &Table, cols: &[usize]) -> String {
    cols.iter().map(|&c| t.columns[c].name.as_str()).collect::<Vec<_>>().join(", ")
}

/// One generated function of an index: its name suffix, C parameters, doc, how many leading
/// columns are given exactly, and which column (if any) is ranged.
struct IndexFn {
    suffix: String,
    params: Vec<String>,
    doc: String,
    nprefix: usize,
    ranged: Option<usize>,
}

/// The functions of one index: an exact filter, then a range per column.
fn index_fns(m: &Module, t: &Table, ix: &Index) -> Vec<IndexFn> {
    let suffixes = index_suffixes(&ix.columns, &t.columns);
    let mut v = Vec::new();
    // exact
    let pnames = col_params(t, &ix.columns);
    let params: Vec<String> = ix.columns.iter().zip(&pnames).map(|(&c, n)| api_param(m, &t.columns[c].ty, n)).collect();
    v.push(IndexFn {
        suffix: suffixes[0].clone(),
        params,
        doc: format!("Rows whose ({}) equal the given values", col_names(t, &ix.columns)),
        nprefix: ix.columns.len(),
        ranged: None,
    });
    for (k, suf) in suffixes[1..].iter().enumerate() {
        let mut params: Vec<String> =
            ix.columns[..k].iter().zip(&pnames).map(|(&c, n)| api_param(m, &t.columns[c].ty, n)).collect();
        let ranged = &t.columns[ix.columns[k]];
        let b = bound_c(m, &ranged.ty);
        params.push(format!("const {b} *lower"));
        params.push(format!("const {b} *upper"));
        let doc = if k == 0 {
            format!("Rows whose `{}` lies between the bounds, in index order", ranged.name)
        } else {
            format!(
                "Rows whose ({}) equal the given values and whose `{}` lies between the bounds",
                col_names(t, &ix.columns[..k]),
                ranged.name
            )
        };
        v.push(IndexFn { suffix: suf.clone(), params, doc, nprefix: k, ranged: Some(ix.columns[k]) });
    }
    v
}

fn index_header(m: &Module, t: &Table, ix: &Index, rows: &str) -> String {
    let (p, ts) = (&m.prefix, format!("{}_{}", m.prefix, t.stem));
    let mut s = String::new();
    let _ = writeln!(s, "/* btree index {} on ({}) */", comment_text(&ix.name), comment_text(&col_names(t, &ix.columns)));
    for IndexFn { suffix: suf, params, doc, .. } in index_fns(m, t, ix) {
        let _ = writeln!(s, "/* {}. */", comment_text(&doc));
        let _ = writeln!(s, "int32_t {ts}_{}{suf}(const {p}_db *db, {}, {rows} *out);", ix.stem, params.join(", "));
    }
    s
}

/// Source of the table section.
pub fn source(m: &Module) -> String {
    let (p, pu) = (&m.prefix, m.prefix.to_ascii_uppercase());
    let mut s = String::new();
    s.push_str("/* ==== Tables ====================================================================================== */\n\n");
    let _ = writeln!(s, "/* A typed callback and its user data, registered with the library as one user_data. */");
    let _ = writeln!(s, "typedef struct {p}_closure {{\n    void (*fn)(void);\n    void *user_data;\n    stdb_free_fn free_user_data;\n}} {p}_closure;\n");
    let _ = writeln!(s, "static void {p}_closure_free(void *ptr) {{\n    {p}_closure *c = ({p}_closure *)ptr;\n    if (c->free_user_data) c->free_user_data(c->user_data);\n    free(c);\n}}\n");
    let _ = writeln!(
        s,
        "/* NULL (after running free_user_data) when the callback is NULL or memory runs out. */\nstatic {p}_closure *{p}_closure_new(void (*fn)(void), void *user_data, stdb_free_fn free_user_data, int32_t *rc) {{\n    {p}_closure *c = fn ? ({p}_closure *)malloc(sizeof *c) : NULL;\n    if (!c) {{\n        *rc = fn ? {pu}_ERR_NOMEM : STDB_ERR_NULL;\n        {p}_set_error(fn ? \"out of memory\" : \"callback is NULL\");\n        if (free_user_data) free_user_data(user_data);\n        return NULL;\n    }}\n    c->fn = fn;\n    c->user_data = user_data;\n    c->free_user_data = free_user_data;\n    return c;\n}}\n"
    );
    let _ = writeln!(s, "/* Copies the library's error message, with context, into this module's last error. */\nstatic int32_t {p}_lib_error(int32_t rc, const char *what) {{\n    if (rc != STDB_OK) {p}_set_error(\"%s: %s\", what, stdb_last_error());\n    return rc;\n}}\n");
    let _ = writeln!(
        s,
        "typedef struct {p}_iter_ctx {{\n    void (*visitor)(void);\n    void *user_data;\n    int32_t rc;\n}} {p}_iter_ctx;\n"
    );

    // db
    let _ = writeln!(s, "int32_t {p}_db_init({p}_db *db, const stdb_connection *conn) {{");
    let _ = writeln!(s, "    {p}_db tmp;\n    int32_t rc = STDB_OK;\n    if (!db || !conn) {{\n        {p}_set_error(\"db_init: NULL argument\");\n        return STDB_ERR_NULL;\n    }}\n    memset(&tmp, 0, sizeof tmp);");
    for t in &m.tables {
        let _ = writeln!(
            s,
            "    if (rc == STDB_OK)\n        rc = {p}_lib_error(stdb_connection_table(conn, {lit}, {len}, &tmp.{mem}), \"looking up table \" {lit});",
            lit = c_lit(&t.name),
            len = t.name.len(),
            mem = t.member
        );
    }
    let _ = writeln!(s, "    if (rc != STDB_OK) {{\n        {p}_db_free(&tmp);\n        return rc;\n    }}\n    *db = tmp;\n    return STDB_OK;\n}}\n");
    let _ = writeln!(s, "void {p}_db_free({p}_db *db) {{\n    if (!db) return;");
    for t in &m.tables {
        let _ = writeln!(s, "    stdb_table_free(db->{});", t.member);
    }
    let _ = writeln!(s, "    memset(db, 0, sizeof *db);\n}}\n");

    for t in &m.tables {
        s.push_str(&table_source(m, t));
    }
    s
}

fn table_source(m: &Module, t: &Table) -> String {
    let (p, pu, ts) = (&m.prefix, m.prefix.to_ascii_uppercase(), format!("{}_{}", m.prefix, t.stem));
    let (row, rows) = (row_c(m, t), rows_c(m, t));
    let rf = m.fstem(&Ty::Named(t.row));
    let rowsf = m.fstem(&Ty::Array(Box::new(Ty::Named(t.row))));
    let tm = &t.member;
    let name_lit = c_lit(&t.name);
    let mut s = String::new();
    let _ = writeln!(s, "/* ---- table {} ---- */\n", comment_text(&t.name));

    let _ = writeln!(s, "uint64_t {ts}_count(const {p}_db *db) {{\n    return db ? stdb_table_count(db->{tm}) : 0;\n}}\n");

    let _ = writeln!(
        s,
        "static bool {ts}_iter_tramp(void *user_data, const uint8_t *data, size_t len) {{\n    {p}_iter_ctx *c = ({p}_iter_ctx *)user_data;\n    {row} row;\n    bool more;\n    if ((c->rc = {rf}_from_bsatn(data, len, &row)) != STDB_OK) return false;\n    more = (({ts}_visitor)c->visitor)(c->user_data, &row);\n    {rf}_free(&row);\n    return more;\n}}\n"
    );
    let _ = writeln!(
        s,
        "int32_t {ts}_iter(const {p}_db *db, {ts}_visitor visitor, void *user_data) {{\n    {p}_iter_ctx c;\n    int32_t rc;\n    if (!db || !visitor) {{\n        {p}_set_error(\"iter: NULL argument\");\n        return STDB_ERR_NULL;\n    }}\n    c.visitor = (void (*)(void))visitor;\n    c.user_data = user_data;\n    c.rc = STDB_OK;\n    rc = {p}_lib_error(stdb_table_iter(db->{tm}, {ts}_iter_tramp, &c), \"iterating \" {name_lit});\n    return rc != STDB_OK ? rc : c.rc;\n}}\n"
    );

    // Decoding a row list into an owned array (for index scans).
    if !t.indexes.is_empty() {
        let _ = writeln!(
        s,
        "static int32_t {ts}_collect(stdb_row_list *list, {rows} *out) {{\n    {rows} v;\n    size_t i, n = stdb_row_list_len(list);\n    int32_t rc = STDB_OK;\n    v.data = NULL;\n    v.len = 0;\n    if (n > 0) {{\n        v.data = ({row} *)calloc(n, sizeof *v.data);\n        if (!v.data) {{\n            {p}_set_error(\"out of memory\");\n            return {pu}_ERR_NOMEM;\n        }}\n        v.len = n;\n    }}\n    for (i = 0; i < n && rc == STDB_OK; i++) {{\n        const uint8_t *data;\n        size_t len;\n        rc = {p}_lib_error(stdb_row_list_get(list, i, &data, &len), \"reading a row list\");\n        if (rc == STDB_OK) rc = {rf}_from_bsatn(data, len, &v.data[i]);\n    }}\n    if (rc != STDB_OK) {{\n        {rowsf}_free(&v);\n        return rc;\n    }}\n    *out = v;\n    return STDB_OK;\n}}\n"
        );
    }

    for &c in &t.unique_columns {
        let col = &t.columns[c];
        let key_c = m.c_type(&col.ty);
        let pn = col_params(t, &[c]).remove(0);
        let _ = writeln!(
            s,
            "int32_t {ts}_find_by_{}(const {p}_db *db, {}, bool *found, {row} *out_row) {{",
            col.member,
            api_param(m, &col.ty, &pn)
        );
        let _ = writeln!(s, "    {key_c} key;\n    {p}_buffer buf;\n    stdb_buffer hit;\n    bool f = false;\n    int32_t rc;");
        let _ = writeln!(s, "    if (!db || !found || !out_row) {{\n        {p}_set_error(\"find: NULL argument\");\n        return STDB_ERR_NULL;\n    }}");
        s.push_str(&api_param_store(
            m,
            &col.ty,
            &pn,
            "key",
            &format!("{{\n        {p}_set_error(\"find: NULL key\");\n        return STDB_ERR_NULL;\n    }}"),
        ));
        let _ = writeln!(
            s,
            "    memset(&buf, 0, sizeof buf);\n    memset(&hit, 0, sizeof hit);\n    if ((rc = {kf}_encode(&buf, &key)) != STDB_OK) {{\n        {p}_buffer_free(&buf);\n        {p}_set_error(\"find: cannot encode the key\");\n        return rc;\n    }}\n    rc = {p}_lib_error(stdb_table_find(db->{tm}, {clit}, {clen}, buf.data, buf.len, &f, &hit), \"find in \" {name_lit});\n    {p}_buffer_free(&buf);\n    if (rc != STDB_OK) return rc;\n    if (f) {{\n        rc = {rf}_from_bsatn(hit.data, hit.len, out_row);\n        stdb_buffer_free(&hit);\n        if (rc != STDB_OK) return rc;\n    }}\n    *found = f;\n    return STDB_OK;\n}}\n",
            kf = m.fstem(&col.ty),
            clit = c_lit(&col.name),
            clen = col.name.len()
        );
    }

    for ix in &t.indexes {
        for IndexFn { suffix: suf, params, nprefix, ranged, .. } in index_fns(m, t, ix) {
            let _ = writeln!(s, "int32_t {ts}_{}{suf}(const {p}_db *db, {}, {rows} *out) {{", ix.stem, params.join(", "));
            let nvals = nprefix + if ranged.is_some() { 2 } else { 0 };
            let pnames = col_params(t, &ix.columns);
            let _ = writeln!(s, "    {p}_buffer buf;\n    size_t ends[{}];", nvals + 1);
            if nprefix > 0 {
                let _ = writeln!(s, "    stdb_bytes prefix[{nprefix}];\n    size_t i;");
            }
            for (k, &c) in ix.columns[..nprefix].iter().enumerate() {
                let _ = writeln!(s, "    {} key{k};", m.c_type(&t.columns[c].ty));
            }
            if let Some(rc) = ranged {
                let rty = &t.columns[rc].ty;
                let _ = writeln!(s, "    stdb_bound lo, hi;\n    {rc_} lo_value, hi_value;", rc_ = m.c_type(rty));
            }
            let _ = writeln!(s, "    stdb_row_list *list = NULL;\n    uint32_t index;\n    int32_t rc = STDB_OK;");
            let _ = writeln!(s, "    if (!db || !out) {{\n        {p}_set_error(\"index scan: NULL argument\");\n        return STDB_ERR_NULL;\n    }}");
            let null_key = format!("{{\n        {p}_set_error(\"index scan: NULL key\");\n        return STDB_ERR_NULL;\n    }}");
            for (k, &c) in ix.columns[..nprefix].iter().enumerate() {
                let col = &t.columns[c];
                s.push_str(&api_param_store(m, &col.ty, &pnames[k], &format!("key{k}"), &null_key));
            }
            s.push_str("    memset(&buf, 0, sizeof buf);\n    ends[0] = 0;\n");
            for (k, &c) in ix.columns[..nprefix].iter().enumerate() {
                let _ = writeln!(
                    s,
                    "    if (rc == STDB_OK) rc = {}_encode(&buf, &key{k});\n    ends[{}] = buf.len;",
                    m.fstem(&t.columns[c].ty),
                    k + 1
                );
            }
            if let Some(rc_col) = ranged {
                let rty = &t.columns[rc_col].ty;
                let rf_ = m.fstem(rty);
                for (which, slot) in [("lower", "lo"), ("upper", "hi")] {
                    let idx = if which == "lower" { nprefix + 1 } else { nprefix + 2 };
                    let _ = writeln!(s, "    if (rc == STDB_OK && {which} && {which}->kind != STDB_BOUND_UNBOUNDED) {{");
                    if *rty == Ty::String {
                        let _ = writeln!(s, "        {slot}_value.data = (char *)({which}->value ? {which}->value : \"\");\n        {slot}_value.len = {which}->value ? strlen({which}->value) : 0;");
                    } else {
                        let _ = writeln!(s, "        {slot}_value = {which}->value;");
                    }
                    let _ = writeln!(s, "        rc = {rf_}_encode(&buf, &{slot}_value);\n    }}\n    ends[{idx}] = buf.len;");
                }
            }
            let _ = writeln!(s, "    if (rc != STDB_OK) {{\n        {p}_buffer_free(&buf);\n        {p}_set_error(\"index scan: cannot encode the values\");\n        return rc;\n    }}");
            if nprefix > 0 {
                let _ = writeln!(s, "    for (i = 0; i < {nprefix}; i++) {{\n        prefix[i].data = buf.data + ends[i];\n        prefix[i].len = ends[i + 1] - ends[i];\n    }}");
            }
            if ranged.is_some() {
                for (which, slot, k) in [("lower", "lo", nprefix), ("upper", "hi", nprefix + 1)] {
                    let _ = writeln!(
                        s,
                        "    if ({which}) {{\n        {slot}.kind = {which}->kind;\n        {slot}.value.data = buf.data + ends[{k}];\n        {slot}.value.len = ends[{k1}] - ends[{k}];\n    }}",
                        k1 = k + 1
                    );
                }
            }
            let (lo, hi) = if ranged.is_some() { ("lower ? &lo : NULL", "upper ? &hi : NULL") } else { ("NULL", "NULL") };
            let _ = writeln!(
                s,
                "    rc = {p}_lib_error(stdb_table_btree_index(db->{tm}, {ilit}, {ilen}, &index), \"index \" {ilit});\n    if (rc == STDB_OK)\n        rc = {p}_lib_error(stdb_table_btree_scan(db->{tm}, index, {pre}, {nprefix}, {lo}, {hi}, &list), \"scanning index \" {ilit});\n    {p}_buffer_free(&buf);\n    if (rc == STDB_OK) rc = {ts}_collect(list, out);\n    stdb_row_list_free(list);\n    return rc;\n}}\n",
                ilit = c_lit(&ix.name),
                ilen = ix.name.len(),
                pre = if nprefix > 0 { "prefix" } else { "NULL" }
            );
        }
    }

    // Callbacks.
    let _ = writeln!(
        s,
        "static void {ts}_row_tramp(void *user_data, const stdb_connection *conn, const stdb_event *event, const uint8_t *data,\n                          size_t len) {{\n    {p}_closure *c = ({p}_closure *)user_data;\n    {row} row;\n    if ({rf}_from_bsatn(data, len, &row) != STDB_OK) return; /* cannot happen with a matching schema */\n    (({ts}_row_fn)c->fn)(c->user_data, conn, event, &row);\n    {rf}_free(&row);\n}}\n"
    );
    for (what, lib) in [("insert", "stdb_table_on_insert"), ("delete", "stdb_table_on_delete")] {
        let _ = writeln!(
            s,
            "int32_t {ts}_on_{what}(const {p}_db *db, {ts}_row_fn callback, void *user_data, stdb_free_fn free_user_data,\n                   uint64_t *out_id) {{\n    int32_t rc = STDB_OK;\n    {p}_closure *c = {p}_closure_new((void (*)(void))callback, user_data, free_user_data, &rc);\n    if (!c) return rc;\n    return {p}_lib_error({lib}(db ? db->{tm} : NULL, {ts}_row_tramp, c, {p}_closure_free, out_id), \"on_{what} of \" {name_lit});\n}}\n"
        );
    }
    if t.primary_key.is_some() {
        let _ = writeln!(
            s,
            "static void {ts}_update_tramp(void *user_data, const stdb_connection *conn, const stdb_event *event,\n                             const uint8_t *old_data, size_t old_len, const uint8_t *new_data, size_t new_len) {{\n    {p}_closure *c = ({p}_closure *)user_data;\n    {row} old_row, new_row;\n    if ({rf}_from_bsatn(old_data, old_len, &old_row) != STDB_OK) return;\n    if ({rf}_from_bsatn(new_data, new_len, &new_row) != STDB_OK) {{\n        {rf}_free(&old_row);\n        return;\n    }}\n    (({ts}_update_fn)c->fn)(c->user_data, conn, event, &old_row, &new_row);\n    {rf}_free(&old_row);\n    {rf}_free(&new_row);\n}}\n"
        );
        let _ = writeln!(
            s,
            "int32_t {ts}_on_update(const {p}_db *db, {ts}_update_fn callback, void *user_data, stdb_free_fn free_user_data,\n                   uint64_t *out_id) {{\n    int32_t rc = STDB_OK;\n    {p}_closure *c = {p}_closure_new((void (*)(void))callback, user_data, free_user_data, &rc);\n    if (!c) return rc;\n    return {p}_lib_error(stdb_table_on_update(db ? db->{tm} : NULL, {ts}_update_tramp, c, {p}_closure_free, out_id), \"on_update of \" {name_lit});\n}}\n"
        );
    }
    let _ = writeln!(
        s,
        "int32_t {ts}_remove_callback(const {p}_db *db, uint64_t id) {{\n    return {p}_lib_error(stdb_table_remove_callback(db ? db->{tm} : NULL, id), \"remove_callback of \" {name_lit});\n}}\n"
    );
    s
}
