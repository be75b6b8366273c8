/* ==== Reducers ==================================================================================== */

int32_t {{ p }}_remove_on_reducer(const stdb_connection *conn, uint64_t id) {
    return {{ p }}_lib_error(stdb_connection_remove_on_reducer(conn, id), "remove_on_reducer");
}
{%- for r in reducers %}

{{ r }}
{%- endfor %}
