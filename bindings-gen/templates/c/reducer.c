{%- import "c/macros.c" as c -%}
{%- if let Some(args) = args -%}
/* The arguments of {{ signature }} as BSATN in `buf` (zeroed by the caller, who frees it). */
static int32_t {{ p }}_reducer_{{ stem }}_encode({{ args.params|join(", ") }}, {{ p }}_buffer *buf) {
    {{ args.ctype }} args;
    int32_t rc;
{%- for a in args.stores %}
{{- c::store_arg(a, "\"calling %s: NULL argument\", " ~ name_lit) }}
{%- endfor %}
    rc = {{ args.fstem }}_encode(buf, &args);
    if (rc != STDB_OK) {{ p }}_set_error("calling %s: cannot encode the arguments", {{ name_lit }});
    return rc;
}

{% endif -%}
int32_t {{ p }}_reducer_{{ stem }}({{ call_params|join(", ") }}) {
{%- if let Some(args) = args %}
    {{ p }}_buffer buf;
    int32_t rc;
    memset(&buf, 0, sizeof buf);
    rc = {{ p }}_reducer_{{ stem }}_encode({{ args.names|join(", ") }}, &buf);
    if (rc == STDB_OK)
        rc = {{ p }}_lib_error(stdb_connection_call_reducer(conn, {{ name_lit }}, {{ name_len }}, buf.data, buf.len, flags, NULL), "calling " {{ name_lit }});
    {{ p }}_buffer_free(&buf);
    return rc;
{%- else %}
    return {{ p }}_lib_error(stdb_connection_call_reducer(conn, {{ name_lit }}, {{ name_len }}, NULL, 0, flags, NULL), "calling " {{ name_lit }});
{%- endif %}
}

int32_t {{ p }}_reducer_{{ stem }}_then({{ then_params|join(", ") }}) {
{%- if let Some(args) = args %}
    {{ p }}_buffer buf;
    int32_t rc;
    memset(&buf, 0, sizeof buf);
    rc = {{ p }}_reducer_{{ stem }}_encode({{ args.names|join(", ") }}, &buf);
    if (rc == STDB_OK)
        rc = {{ p }}_lib_error(stdb_connection_call_reducer_then(conn, {{ name_lit }}, {{ name_len }}, buf.data, buf.len, flags, callback, user_data, free_user_data, NULL), "calling " {{ name_lit }});
    else if (free_user_data)
        free_user_data(user_data); /* as the library does when a call fails */
    {{ p }}_buffer_free(&buf);
    return rc;
{%- else %}
    return {{ p }}_lib_error(stdb_connection_call_reducer_then(conn, {{ name_lit }}, {{ name_len }}, NULL, 0, flags, callback, user_data, free_user_data, NULL), "calling " {{ name_lit }});
{%- endif %}
}

static void {{ p }}_on_reducer_{{ stem }}_tramp(void *user_data, const stdb_connection *conn, const stdb_event *event,
                                 const stdb_reducer_event *reducer) {
    {{ p }}_closure *c = ({{ p }}_closure *)user_data;
{%- if let Some(args) = args %}
    stdb_reducer_info info;
    {{ args.ctype }} args;
    if (!stdb_reducer_event_info(reducer, &info)) return;
    if ({{ args.fstem }}_from_bsatn(info.args.data, info.args.len, &args) != STDB_OK) return;
    (({{ fn_type }})c->fn)(c->user_data, conn, event, reducer, {{ args.callback_args|join(", ") }});
    {{ args.fstem }}_free(&args);
{%- else %}
    (({{ fn_type }})c->fn)(c->user_data, conn, event, reducer);
{%- endif %}
}

int32_t {{ p }}_on_reducer_{{ stem }}(const stdb_connection *conn, {{ fn_type }} callback, void *user_data,
                   stdb_free_fn free_user_data, uint64_t *out_id) {
    int32_t rc = STDB_OK;
    {{ p }}_closure *c = {{ p }}_closure_new((void (*)(void))callback, user_data, free_user_data, &rc);
    if (!c) return rc;
    return {{ p }}_lib_error(stdb_connection_on_reducer(conn, {{ name_lit }}, {{ name_len }}, {{ p }}_on_reducer_{{ stem }}_tramp, c, {{ p }}_closure_free, out_id),
                         "on_reducer " {{ name_lit }});
}
