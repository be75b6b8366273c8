{%- import "c/macros.c" as c -%}
/* ---- table {{ comment_name }} ---- */

{% if !is_event -%}
uint64_t {{ ts }}_count(const {{ p }}_db *db) {
    return db ? stdb_table_count(db->{{ tm }}) : 0;
}

static bool {{ ts }}_iter_tramp(void *user_data, const uint8_t *data, size_t len) {
    {{ p }}_iter_ctx *c = ({{ p }}_iter_ctx *)user_data;
    {{ row }} row;
    bool more;
    if ((c->rc = {{ row_fstem }}_from_bsatn(data, len, &row)) != STDB_OK) return false;
    more = (({{ ts }}_visitor)c->visitor)(c->user_data, &row);
    {{ row_fstem }}_free(&row);
    return more;
}

int32_t {{ ts }}_iter(const {{ p }}_db *db, {{ ts }}_visitor visitor, void *user_data) {
    {{ p }}_iter_ctx c;
    int32_t rc;
    if (!db || !visitor) {
        {{ p }}_set_error("iter: NULL argument");
        return STDB_ERR_NULL;
    }
    c.visitor = (void (*)(void))visitor;
    c.user_data = user_data;
    c.rc = STDB_OK;
    rc = {{ p }}_lib_error(stdb_table_iter(db->{{ tm }}, {{ ts }}_iter_tramp, &c), "iterating " {{ name_lit }});
    return rc != STDB_OK ? rc : c.rc;
}
{%- endif %}
{%- if !indexes.is_empty() %}

static int32_t {{ ts }}_collect(stdb_row_list *list, {{ rows }} *out) {
    {{ rows }} v;
    size_t i, n = stdb_row_list_len(list);
    int32_t rc = STDB_OK;
    v.data = NULL;
    v.len = 0;
    if (n > 0) {
        v.data = ({{ row }} *)calloc(n, sizeof *v.data);
        if (!v.data) {
            {{ p }}_set_error("out of memory");
            return {{ pu }}_ERR_NOMEM;
        }
        v.len = n;
    }
    for (i = 0; i < n && rc == STDB_OK; i++) {
        const uint8_t *data;
        size_t len;
        rc = {{ p }}_lib_error(stdb_row_list_get(list, i, &data, &len), "reading a row list");
        if (rc == STDB_OK) rc = {{ row_fstem }}_from_bsatn(data, len, &v.data[i]);
    }
    if (rc != STDB_OK) {
        {{ rows_fstem }}_free(&v);
        return rc;
    }
    *out = v;
    return STDB_OK;
}
{%- endif %}
{%- for find in finds %}

int32_t {{ ts }}_find_by_{{ find.member }}(const {{ p }}_db *db, {{ find.param }}, bool *found, {{ row }} *out_row) {
    {{ find.key_ctype }} key;
    {{ p }}_buffer buf;
    stdb_buffer hit;
    bool f = false;
    int32_t rc;
    if (!db || !found || !out_row) {
        {{ p }}_set_error("find: NULL argument");
        return STDB_ERR_NULL;
    }
{{- c::store_arg(find.key, "\"find: NULL key\"") }}
    memset(&buf, 0, sizeof buf);
    memset(&hit, 0, sizeof hit);
    if ((rc = {{ find.key_fstem }}_encode(&buf, &key)) != STDB_OK) {
        {{ p }}_buffer_free(&buf);
        {{ p }}_set_error("find: cannot encode the key");
        return rc;
    }
    rc = {{ p }}_lib_error(stdb_table_find(db->{{ tm }}, {{ find.column_lit }}, {{ find.column_len }}, buf.data, buf.len, &f, &hit), "find in " {{ name_lit }});
    {{ p }}_buffer_free(&buf);
    if (rc != STDB_OK) return rc;
    if (f) {
        rc = {{ row_fstem }}_from_bsatn(hit.data, hit.len, out_row);
        stdb_buffer_free(&hit);
        if (rc != STDB_OK) return rc;
    }
    *found = f;
    return STDB_OK;
}
{%- endfor %}
{%- for index in indexes %}{% for scan in index.scans %}

{% include "c/index_scan.c" %}
{%- endfor %}{% endfor %}

static void {{ ts }}_row_tramp(void *user_data, const stdb_connection *conn, const stdb_event *event, const uint8_t *data,
                          size_t len) {
    {{ p }}_closure *c = ({{ p }}_closure *)user_data;
    {{ row }} row;
    if ({{ row_fstem }}_from_bsatn(data, len, &row) != STDB_OK) return; /* cannot happen with a matching schema */
    (({{ ts }}_row_fn)c->fn)(c->user_data, conn, event, &row);
    {{ row_fstem }}_free(&row);
}

int32_t {{ ts }}_on_insert(const {{ p }}_db *db, {{ ts }}_row_fn callback, void *user_data, stdb_free_fn free_user_data,
                   uint64_t *out_id) {
    int32_t rc = STDB_OK;
    {{ p }}_closure *c = {{ p }}_closure_new((void (*)(void))callback, user_data, free_user_data, &rc);
    if (!c) return rc;
    return {{ p }}_lib_error(stdb_table_on_insert(db ? db->{{ tm }} : NULL, {{ ts }}_row_tramp, c, {{ p }}_closure_free, out_id), "on_insert of " {{ name_lit }});
}
{%- if !is_event %}

int32_t {{ ts }}_on_delete(const {{ p }}_db *db, {{ ts }}_row_fn callback, void *user_data, stdb_free_fn free_user_data,
                   uint64_t *out_id) {
    int32_t rc = STDB_OK;
    {{ p }}_closure *c = {{ p }}_closure_new((void (*)(void))callback, user_data, free_user_data, &rc);
    if (!c) return rc;
    return {{ p }}_lib_error(stdb_table_on_delete(db ? db->{{ tm }} : NULL, {{ ts }}_row_tramp, c, {{ p }}_closure_free, out_id), "on_delete of " {{ name_lit }});
}
{%- endif %}
{%- if has_primary_key %}

static void {{ ts }}_update_tramp(void *user_data, const stdb_connection *conn, const stdb_event *event,
                             const uint8_t *old_data, size_t old_len, const uint8_t *new_data, size_t new_len) {
    {{ p }}_closure *c = ({{ p }}_closure *)user_data;
    {{ row }} old_row, new_row;
    if ({{ row_fstem }}_from_bsatn(old_data, old_len, &old_row) != STDB_OK) return;
    if ({{ row_fstem }}_from_bsatn(new_data, new_len, &new_row) != STDB_OK) {
        {{ row_fstem }}_free(&old_row);
        return;
    }
    (({{ ts }}_update_fn)c->fn)(c->user_data, conn, event, &old_row, &new_row);
    {{ row_fstem }}_free(&old_row);
    {{ row_fstem }}_free(&new_row);
}

int32_t {{ ts }}_on_update(const {{ p }}_db *db, {{ ts }}_update_fn callback, void *user_data, stdb_free_fn free_user_data,
                   uint64_t *out_id) {
    int32_t rc = STDB_OK;
    {{ p }}_closure *c = {{ p }}_closure_new((void (*)(void))callback, user_data, free_user_data, &rc);
    if (!c) return rc;
    return {{ p }}_lib_error(stdb_table_on_update(db ? db->{{ tm }} : NULL, {{ ts }}_update_tramp, c, {{ p }}_closure_free, out_id), "on_update of " {{ name_lit }});
}
{%- endif %}

int32_t {{ ts }}_remove_callback(const {{ p }}_db *db, uint64_t id) {
    return {{ p }}_lib_error(stdb_table_remove_callback(db ? db->{{ tm }} : NULL, id), "remove_callback of " {{ name_lit }});
}
