/* ==== Tables ====================================================================================== */

/* A typed callback and its user data, registered with the library as one user_data. */
typedef struct {{ p }}_closure {
    void (*fn)(void);
    void *user_data;
    stdb_free_fn free_user_data;
} {{ p }}_closure;

static void {{ p }}_closure_free(void *ptr) {
    {{ p }}_closure *c = ({{ p }}_closure *)ptr;
    if (c->free_user_data) c->free_user_data(c->user_data);
    free(c);
}

/* NULL (after running free_user_data) when the callback is NULL or memory runs out. */
static {{ p }}_closure *{{ p }}_closure_new(void (*fn)(void), void *user_data, stdb_free_fn free_user_data, int32_t *rc) {
    {{ p }}_closure *c = fn ? ({{ p }}_closure *)malloc(sizeof *c) : NULL;
    if (!c) {
        *rc = fn ? {{ pu }}_ERR_NOMEM : STDB_ERR_NULL;
        {{ p }}_set_error(fn ? "out of memory" : "callback is NULL");
        if (free_user_data) free_user_data(user_data);
        return NULL;
    }
    c->fn = fn;
    c->user_data = user_data;
    c->free_user_data = free_user_data;
    return c;
}

/* Copies the library's error message, with context, into this module's last error. */
static int32_t {{ p }}_lib_error(int32_t rc, const char *what) {
    if (rc != STDB_OK) {{ p }}_set_error("%s: %s", what, stdb_last_error());
    return rc;
}

typedef struct {{ p }}_iter_ctx {
    void (*visitor)(void);
    void *user_data;
    int32_t rc;
} {{ p }}_iter_ctx;

int32_t {{ p }}_db_init({{ p }}_db *db, const stdb_connection *conn) {
    {{ p }}_db tmp;
    int32_t rc = STDB_OK;
    if (!db || !conn) {
        {{ p }}_set_error("db_init: NULL argument");
        return STDB_ERR_NULL;
    }
    memset(&tmp, 0, sizeof tmp);
{%- for t in tables %}
    if (rc == STDB_OK)
        rc = {{ p }}_lib_error(stdb_connection_table(conn, {{ t.name_lit }}, {{ t.name_len }}, &tmp.{{ t.tm }}), "looking up table " {{ t.name_lit }});
{%- endfor %}
    if (rc != STDB_OK) {
        {{ p }}_db_free(&tmp);
        return rc;
    }
    *db = tmp;
    return STDB_OK;
}

void {{ p }}_db_free({{ p }}_db *db) {
    if (!db) return;
{%- for t in tables %}
    stdb_table_free(db->{{ t.tm }});
{%- endfor %}
    memset(db, 0, sizeof *db);
}
{%- for t in tables %}

{{ t }}
{%- endfor %}
