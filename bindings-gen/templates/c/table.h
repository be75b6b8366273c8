/* ---- table {{ comment_name }} ({{ facts }}); rows are {{ row }} ---- */
{%- if !is_event %}
typedef bool (*{{ ts }}_visitor)(void *user_data, const {{ row }} *row);
{%- endif %}
typedef void (*{{ ts }}_row_fn)(void *user_data, const stdb_connection *conn, const stdb_event *event, const {{ row }} *row);
{%- if has_primary_key %}
typedef void (*{{ ts }}_update_fn)(void *user_data, const stdb_connection *conn, const stdb_event *event,
                                 const {{ row }} *old_row, const {{ row }} *new_row);
{%- endif %}
{%- if is_event %}
/* An event table: each row reaches the insert callbacks of the transaction that inserted it and
 * is never cached (no count, iteration, finds, deletes or updates). */
{%- else %}
uint64_t {{ ts }}_count(const {{ p }}_db *db);
/* Visits each cached row until the visitor returns false. */
int32_t {{ ts }}_iter(const {{ p }}_db *db, {{ ts }}_visitor visitor, void *user_data);
{%- endif %}
{%- for find in finds %}
/* The row whose unique `{{ find.comment_column }}` equals the key: `*found` says whether there is one; if so it is
 * decoded into `*out_row` (release with `{{ row_fstem }}_free`). */
int32_t {{ ts }}_find_by_{{ find.member }}(const {{ p }}_db *db, {{ find.param }}, bool *found, {{ row }} *out_row);
{%- endfor %}
{%- for index in indexes %}
/* btree index {{ index.comment_name }} on ({{ index.comment_columns }}) */
{%- for scan in index.scans %}
/* {{ scan.doc }}. */
int32_t {{ ts }}_{{ scan.name }}(const {{ p }}_db *db, {{ scan.params|join(", ") }}, {{ rows }} *out);
{%- endfor %}
{%- endfor %}
int32_t {{ ts }}_on_insert(const {{ p }}_db *db, {{ ts }}_row_fn callback, void *user_data, stdb_free_fn free_user_data,
                   uint64_t *out_id);
{%- if !is_event %}
int32_t {{ ts }}_on_delete(const {{ p }}_db *db, {{ ts }}_row_fn callback, void *user_data, stdb_free_fn free_user_data,
                   uint64_t *out_id);
{%- endif %}
{%- if has_primary_key %}
int32_t {{ ts }}_on_update(const {{ p }}_db *db, {{ ts }}_update_fn callback, void *user_data, stdb_free_fn free_user_data,
                   uint64_t *out_id);
{%- endif %}
int32_t {{ ts }}_remove_callback(const {{ p }}_db *db, uint64_t id);
