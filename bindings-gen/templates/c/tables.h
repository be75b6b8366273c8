/* ==== Tables ======================================================================================
 * Rows come decoded. Pointers passed to callbacks are valid during the call only. Row lists returned
 * by filters/ranges are owned: release them with their `_free`. Callbacks run on the thread that ticks
 * the connection; `free_user_data` runs exactly once (also when registering fails). */
{%- if !bounds.is_empty() %}

/* Typed ends of a btree range: `kind` is STDB_BOUND_UNBOUNDED / _INCLUDED / _EXCLUDED; `value` is
 * borrowed for the call. A NULL bound pointer is unbounded. */
{%- for b in bounds %}
typedef struct {{ b.name }} {
    int32_t kind;
    {{ b.value_type }}value;
} {{ b.name }};
{%- endfor %}
{%- endif %}

/* Handles of the module's tables, looked up once by `_db_init` (the schema registered with
 * `{{ p }}_register` makes them available as soon as the connection is built). */
typedef struct {{ p }}_db {
{%- for t in tables %}
    stdb_table *{{ t.tm }};
{%- endfor %}
{%- if tables.is_empty() %}
    stdb_table *unused_;
{%- endif %}
} {{ p }}_db;

int32_t {{ p }}_db_init({{ p }}_db *db, const stdb_connection *conn);
/* Releases the table handles (callbacks registered through them stay registered). */
void {{ p }}_db_free({{ p }}_db *db);
{%- for t in tables %}

{{ t }}
{%- endfor %}
