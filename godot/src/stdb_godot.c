/*
 * stdb_godot.c — a Godot 3 (3.2+) GDNative/NativeScript plugin over stdb-client's C ABI.
 *
 * It registers one NativeScript class, `StdbClient` (base `Reference`), that owns a connection to
 * a SpacetimeDB database and turns the library's callbacks into Godot signals. Rows and reducer
 * arguments are BSATN bytes (PoolByteArray); GDScript decodes them with StreamPeerBuffer (see
 * ../sample/main.gd). godot/README.md lists the methods and signals.
 *
 * Threads: every signal is emitted from inside `tick()`, which calls `stdb_frame_tick`: the
 * library runs connection callbacks only on the thread that ticks (include/stdb_client.h,
 * "Threads"), so calling `tick()` from `_process` means every signal handler runs on Godot's main
 * thread, where scene objects may be touched. `stdb_run_threaded` and `stdb_set_logger` are not
 * used: both would call into Godot from the library's own threads.
 *
 * Built against godot_headers for Godot 3.2 (GDNative core API 1.0 and NativeScript 1.0 only,
 * which every Godot 3.x from 3.1 on provides): godot/build.sh or tests/godot.rs compile it.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gdnative_api_struct.gen.h>

#include "stdb_client.h"

static const godot_gdnative_core_api_struct *api;
static const godot_gdnative_ext_nativescript_api_struct *nsapi;
static godot_method_bind *mb_emit_signal, *mb_reference, *mb_unreference;

/* ---- small helpers over the Godot API ---------------------------------------------------- */

static godot_string gstr(const char *s, size_t len) {
    if (s == NULL || len == 0) {
        godot_string out;
        api->godot_string_new(&out);
        return out;
    }
    return api->godot_string_chars_to_utf8_with_len(s, (godot_int)len);
}

static godot_variant vstr(const char *s, size_t len) {
    godot_string g = gstr(s, len);
    godot_variant v;
    api->godot_variant_new_string(&v, &g);
    api->godot_string_destroy(&g);
    return v;
}

static godot_variant vcstr(const char *s) { return vstr(s, s ? strlen(s) : 0); }

static godot_variant vint(int64_t i) {
    godot_variant v;
    api->godot_variant_new_int(&v, i);
    return v;
}

static godot_variant vbool(bool b) {
    godot_variant v;
    api->godot_variant_new_bool(&v, b);
    return v;
}

static godot_variant vnil(void) {
    godot_variant v;
    api->godot_variant_new_nil(&v);
    return v;
}

static godot_variant vbytes(const uint8_t *data, size_t len) {
    godot_pool_byte_array a;
    api->godot_pool_byte_array_new(&a);
    if (len > 0) {
        api->godot_pool_byte_array_resize(&a, (godot_int)len);
        godot_pool_byte_array_write_access *w = api->godot_pool_byte_array_write(&a);
        /* The write access points at `len` bytes (just resized) until it is destroyed. */
        memcpy(api->godot_pool_byte_array_write_access_ptr(w), data, len);
        api->godot_pool_byte_array_write_access_destroy(w);
    }
    godot_variant v;
    api->godot_variant_new_pool_byte_array(&v, &a);
    api->godot_pool_byte_array_destroy(&a);
    return v;
}

/* A NUL-terminated UTF-8 copy of a String argument (free it); NULL if `v` is not a String. */
static char *utf8_of(const godot_variant *v, size_t *len_out) {
    if (api->godot_variant_get_type(v) != GODOT_VARIANT_TYPE_STRING) return NULL;
    godot_string s = api->godot_variant_as_string(v);
    godot_char_string cs = api->godot_string_utf8(&s);
    godot_int len = api->godot_char_string_length(&cs);
    char *out = malloc((size_t)len + 1);
    if (out != NULL) {
        /* get_data points at `len` bytes plus a NUL while `cs` lives. */
        memcpy(out, api->godot_char_string_get_data(&cs), (size_t)len);
        out[len] = '\0';
        if (len_out) *len_out = (size_t)len;
    }
    api->godot_char_string_destroy(&cs);
    api->godot_string_destroy(&s);
    return out;
}

/* ---- the instance ------------------------------------------------------------------------ */

typedef struct {
    godot_object *owner;
    stdb_connection *conn;
    stdb_subscription **subs; /* index = the subscription id GDScript sees */
    size_t subs_len, subs_cap;
    bool destroying; /* set in the destructor: no signal is emitted after it */
    char last_error[512];
} client;

/* Context of a callback that needs more than the instance; freed by the library's finalizer. */
typedef struct {
    client *c;
    int64_t id; /* subscription id or reducer request id */
    char name[]; /* table or reducer name, NUL-terminated */
} cb_ctx;

static cb_ctx *ctx_new(client *c, int64_t id, const char *name, size_t len) {
    cb_ctx *x = malloc(sizeof *x + len + 1);
    if (x == NULL) return NULL;
    x->c = c;
    x->id = id;
    if (len) memcpy(x->name, name, len);
    x->name[len] = '\0';
    return x;
}

static void ctx_free(void *p) { free(p); }

static void set_error(client *c, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->last_error, sizeof c->last_error, fmt, ap);
    va_end(ap);
}

/* Records an error as "what: why" (last_error()) and reports it to Godot's error log, which
 * prints "ERROR: what: why" and the plugin's source line. */
static void report(client *c, const char *what, const char *why, int line) {
    set_error(c, "%s: %s", what, why);
    api->godot_print_error(why, what, __FILE__, line);
}

static int64_t fail_at(client *c, const char *what, stdb_result r, int line) {
    report(c, what, stdb_last_error(), line);
    return r;
}

static int64_t bad_input_at(client *c, const char *what, const char *why, int line) {
    report(c, what, why, line);
    return STDB_ERR_INVALID_ARGUMENT;
}

/* A failed stdb_ call (with its stdb_last_error), or refused input (STDB_ERR_INVALID_ARGUMENT). */
#define fail(c, what, r) fail_at(c, what, r, __LINE__)
#define bad_input(c, what, why) bad_input_at(c, what, why, __LINE__)

/* Emits `signal` with `argc` arguments, destroying them. Runs on the ticking (main) thread. */
static void emit(client *c, const char *signal, int argc, godot_variant *args) {
    if (!c->destroying) {
        godot_variant name = vcstr(signal);
        const godot_variant *argv[8];
        argv[0] = &name;
        for (int i = 0; i < argc && i < 7; i++) argv[i + 1] = &args[i];
        godot_variant_call_error err;
        godot_variant ret = api->godot_method_bind_call(mb_emit_signal, c->owner, argv, argc + 1, &err);
        api->godot_variant_destroy(&ret);
        api->godot_variant_destroy(&name);
    }
    for (int i = 0; i < argc; i++) api->godot_variant_destroy(&args[i]);
}

/* ---- library callbacks (all run inside stdb_frame_tick, i.e. inside tick()) -------------- */

static void on_connect(void *ud, const stdb_connection *conn, const stdb_identity *id, const char *token,
                       size_t token_len, const stdb_connection_id *cid) {
    (void)conn, (void)cid;
    char hex[65];
    stdb_identity_to_hex(id, hex);
    godot_variant a[2] = {vcstr(hex), vstr(token, token_len)};
    emit(ud, "connected", 2, a);
}

static void on_connect_error(void *ud, const stdb_connection *conn, int32_t kind, uint16_t http_status,
                             const char *msg, size_t len) {
    (void)conn;
    godot_variant a[3] = {vint(kind), vint(http_status), vstr(msg, len)};
    emit(ud, "connect_failed", 3, a);
}

static void on_disconnect(void *ud, const stdb_connection *conn, const char *msg, size_t len) {
    (void)conn;
    godot_variant a[1] = {vstr(msg, len)};
    emit(ud, "disconnected", 1, a);
}

static void on_insert(void *ud, const stdb_connection *conn, const stdb_event *ev, const uint8_t *row, size_t len) {
    (void)conn, (void)ev;
    cb_ctx *x = ud;
    godot_variant a[2] = {vcstr(x->name), vbytes(row, len)};
    emit(x->c, "row_inserted", 2, a);
}

static void on_delete(void *ud, const stdb_connection *conn, const stdb_event *ev, const uint8_t *row, size_t len) {
    (void)conn, (void)ev;
    cb_ctx *x = ud;
    godot_variant a[2] = {vcstr(x->name), vbytes(row, len)};
    emit(x->c, "row_deleted", 2, a);
}

static void on_update(void *ud, const stdb_connection *conn, const stdb_event *ev, const uint8_t *old_row,
                      size_t old_len, const uint8_t *new_row, size_t new_len) {
    (void)conn, (void)ev;
    cb_ctx *x = ud;
    godot_variant a[3] = {vcstr(x->name), vbytes(old_row, old_len), vbytes(new_row, new_len)};
    emit(x->c, "row_updated", 3, a);
}

static void on_applied(void *ud, const stdb_connection *conn, const stdb_event *ev) {
    (void)conn, (void)ev;
    cb_ctx *x = ud;
    godot_variant a[1] = {vint(x->id)};
    emit(x->c, "subscription_applied", 1, a);
}

static void on_sub_error(void *ud, const stdb_connection *conn, const char *msg, size_t len) {
    (void)conn;
    cb_ctx *x = ud;
    godot_variant a[2] = {vint(x->id), vstr(msg, len)};
    emit(x->c, "subscription_failed", 2, a);
}

static void on_sub_ended(void *ud, const stdb_connection *conn, const stdb_event *ev) {
    (void)conn, (void)ev;
    cb_ctx *x = ud;
    godot_variant a[1] = {vint(x->id)};
    emit(x->c, "subscription_ended", 1, a);
}

static void on_reducer_done(void *ud, const stdb_connection *conn, const stdb_event *ev,
                            const stdb_reducer_event *reducer, const char *error, size_t error_len) {
    (void)conn, (void)ev;
    cb_ctx *x = ud;
    stdb_reducer_info info;
    if (reducer != NULL && stdb_reducer_event_info(reducer, &info)) {
        const char *msg = info.status == STDB_STATUS_FAILED ? (const char *)info.error_message.data : NULL;
        size_t msg_len = info.status == STDB_STATUS_FAILED ? info.error_message.len : 0;
        godot_variant a[4] = {vint(x->id), vcstr(x->name), vint(info.status), vstr(msg, msg_len)};
        emit(x->c, "reducer_done", 4, a);
    } else {
        /* No answer will come (the connection ended first): status -1 and why. */
        godot_variant a[4] = {vint(x->id), vcstr(x->name), vint(-1), vstr(error, error_len)};
        emit(x->c, "reducer_done", 4, a);
    }
}

/* ---- methods ----------------------------------------------------------------------------- */

#define METHOD(fn) \
    static godot_variant fn(godot_object *owner, void *method_data, void *user_data, int argc, godot_variant **argv)
#define UNUSED_METHOD_ARGS (void)owner, (void)method_data, (void)argc, (void)argv

/* connect_to(uri: String, database: String, token: String = "") -> int (0 = OK, else stdb_result) */
METHOD(m_connect_to) {
    UNUSED_METHOD_ARGS;
    client *c = user_data;
    if (argc < 2 || argc > 3) return vint(bad_input(c, "connect_to", "expects (uri, database[, token])"));
    if (c->conn != NULL) {
        report(c, "connect_to", "this StdbClient already has a connection (make a new one)", __LINE__);
        return vint(STDB_ERR_INVALID_STATE);
    }
    size_t ulen = 0, dlen = 0, tlen = 0;
    char *uri = utf8_of(argv[0], &ulen), *db = utf8_of(argv[1], &dlen);
    char *token = argc == 3 ? utf8_of(argv[2], &tlen) : NULL;
    int64_t r = STDB_OK;
    if (uri == NULL || db == NULL || (argc == 3 && token == NULL)) {
        r = bad_input(c, "connect_to", "uri, database and token must be Strings");
    } else {
        stdb_connection_builder *b = stdb_connection_builder_new();
        stdb_result e = stdb_connection_builder_set_uri(b, uri, ulen);
        if (e == STDB_OK) e = stdb_connection_builder_set_module_name(b, db, dlen);
        if (e == STDB_OK && tlen > 0) e = stdb_connection_builder_set_token(b, token, tlen);
        /* The instance outlives its connection (the destructor frees it first): no finalizers. */
        if (e == STDB_OK) e = stdb_connection_builder_on_connect(b, on_connect, c, NULL);
        if (e == STDB_OK) e = stdb_connection_builder_on_connect_error(b, on_connect_error, c, NULL);
        if (e == STDB_OK) e = stdb_connection_builder_on_disconnect(b, on_disconnect, c, NULL);
        if (e != STDB_OK) {
            r = fail(c, "connect_to", e);
            stdb_connection_builder_free(b);
        } else if ((e = stdb_connection_builder_build(b, &c->conn)) != STDB_OK) { /* consumes b */
            r = fail(c, "connect_to", e);
        }
    }
    free(uri), free(db), free(token);
    return vint(r);
}

/* tick() -> int: applies what arrived, emitting the signals; 0, or 7 (DISCONNECTED) once ended. */
METHOD(m_tick) {
    UNUSED_METHOD_ARGS;
    client *c = user_data;
    if (c->conn == NULL) return vint(STDB_ERR_DISCONNECTED);
    /* A signal handler may drop the last reference to this object; hold one of our own so the
     * instance (the callbacks' user_data) outlives the tick, and release it afterwards. */
    godot_bool ignored;
    api->godot_method_bind_ptrcall(mb_reference, owner, NULL, &ignored);
    stdb_result r = stdb_frame_tick(c->conn);
    if (r != STDB_OK && r != STDB_ERR_DISCONNECTED) fail(c, "tick", r);
    godot_bool last = false;
    api->godot_method_bind_ptrcall(mb_unreference, owner, NULL, &last);
    if (last) api->godot_object_destroy(owner); /* what Ref<> does; `c` is gone now */
    return vint(r);
}

/* subscribe(queries: PoolStringArray or Array of String) -> int: a subscription id, or -1. */
METHOD(m_subscribe) {
    UNUSED_METHOD_ARGS;
    client *c = user_data;
    godot_variant_type t = argc == 1 ? api->godot_variant_get_type(argv[0]) : GODOT_VARIANT_TYPE_NIL;
    if (t != GODOT_VARIANT_TYPE_POOL_STRING_ARRAY && t != GODOT_VARIANT_TYPE_ARRAY) {
        bad_input(c, "subscribe", "queries must be a PoolStringArray or an Array of Strings");
        return vint(-1);
    }
    if (c->conn == NULL) {
        set_error(c, "subscribe: not connected (call connect_to first)");
        return vint(-1);
    }
    if (c->subs_len == c->subs_cap) {
        size_t cap = c->subs_cap ? c->subs_cap * 2 : 4;
        stdb_subscription **n = realloc(c->subs, cap * sizeof *n);
        if (n == NULL) return vint(-1);
        c->subs = n, c->subs_cap = cap;
    }
    int64_t id = (int64_t)c->subs_len;
    godot_pool_string_array qs = api->godot_variant_as_pool_string_array(argv[0]);
    godot_int n = api->godot_pool_string_array_size(&qs);
    stdb_bytes *views = calloc((size_t)n + 1, sizeof *views);
    godot_char_string *texts = calloc((size_t)n + 1, sizeof *texts);
    int64_t out = -1;
    if (views != NULL && texts != NULL) {
        for (godot_int i = 0; i < n; i++) {
            godot_string s = api->godot_pool_string_array_get(&qs, i);
            texts[i] = api->godot_string_utf8(&s);
            api->godot_string_destroy(&s);
            views[i].data = (const uint8_t *)api->godot_char_string_get_data(&texts[i]);
            views[i].len = (size_t)api->godot_char_string_length(&texts[i]);
        }
        stdb_subscription_builder *b = stdb_subscription_builder_new(c->conn);
        cb_ctx *applied = ctx_new(c, id, "", 0), *failed = ctx_new(c, id, "", 0);
        stdb_result e = (applied && failed) ? STDB_OK : STDB_ERR_INVALID_STATE;
        if (e == STDB_OK) {
            e = stdb_subscription_builder_on_applied(b, on_applied, applied, ctx_free);
            applied = NULL; /* the builder owns it now (its finalizer ran if that failed) */
        }
        if (e == STDB_OK) {
            e = stdb_subscription_builder_on_error(b, on_sub_error, failed, ctx_free);
            failed = NULL;
        }
        free(applied), free(failed);
        if (e != STDB_OK) {
            fail(c, "subscribe", e);
            stdb_subscription_builder_free(b);
        } else if ((e = stdb_subscription_builder_subscribe(b, views, (size_t)n, &c->subs[id])) != STDB_OK) {
            fail(c, "subscribe", e); /* consumed b */
        } else {
            c->subs_len++;
            out = id;
        }
        for (godot_int i = 0; i < n; i++) api->godot_char_string_destroy(&texts[i]);
    }
    free(views), free(texts);
    api->godot_pool_string_array_destroy(&qs);
    return vint(out);
}

/* unsubscribe(id: int) -> int (0 = OK): rows leave the cache (row_deleted), then subscription_ended. */
METHOD(m_unsubscribe) {
    UNUSED_METHOD_ARGS;
    client *c = user_data;
    if (argc != 1 || api->godot_variant_get_type(argv[0]) != GODOT_VARIANT_TYPE_INT)
        return vint(bad_input(c, "unsubscribe", "expects (id: int)"));
    int64_t id = api->godot_variant_as_int(argv[0]);
    if (id < 0 || (size_t)id >= c->subs_len) return vint(bad_input(c, "unsubscribe", "no such subscription id"));
    cb_ctx *x = ctx_new(c, id, "", 0);
    if (x == NULL) return vint(STDB_ERR_INVALID_STATE);
    stdb_result e = stdb_subscription_unsubscribe_then(c->subs[id], on_sub_ended, x, ctx_free);
    return vint(e == STDB_OK ? STDB_OK : fail(c, "unsubscribe", e));
}

/* call_reducer(name: String, args: PoolByteArray) -> int: the request id, or -1; the outcome
 * arrives as reducer_done(request_id, name, status, error). */
METHOD(m_call_reducer) {
    UNUSED_METHOD_ARGS;
    client *c = user_data;
    if (argc != 2 || api->godot_variant_get_type(argv[1]) != GODOT_VARIANT_TYPE_POOL_BYTE_ARRAY) {
        bad_input(c, "call_reducer", "expects (name: String, args: PoolByteArray of BSATN)");
        return vint(-1);
    }
    size_t nlen = 0;
    char *name = utf8_of(argv[0], &nlen);
    if (name == NULL) {
        bad_input(c, "call_reducer", "the reducer name must be a String");
        return vint(-1);
    }
    if (c->conn == NULL) {
        free(name);
        set_error(c, "call_reducer: not connected (call connect_to first)");
        return vint(-1);
    }
    godot_pool_byte_array args = api->godot_variant_as_pool_byte_array(argv[1]);
    godot_int alen = api->godot_pool_byte_array_size(&args);
    godot_pool_byte_array_read_access *rd = api->godot_pool_byte_array_read(&args);
    /* The read access points at the array's `alen` bytes until it is destroyed. */
    const uint8_t *bytes = api->godot_pool_byte_array_read_access_ptr(rd);
    cb_ctx *x = ctx_new(c, 0, name, nlen);
    int64_t out = -1;
    if (x != NULL) {
        uint32_t request_id = 0;
        /* The callback runs on a later tick, so `x->id` is set before it can read it. On failure
         * the library has already run ctx_free on `x`. */
        stdb_result e = stdb_connection_call_reducer_then(c->conn, name, nlen, bytes, (size_t)alen,
                                                          STDB_CALL_FULL_UPDATE, on_reducer_done, x, ctx_free,
                                                          &request_id);
        if (e == STDB_OK) {
            x->id = request_id;
            out = request_id;
        } else {
            fail(c, "call_reducer", e);
        }
    }
    api->godot_pool_byte_array_read_access_destroy(rd);
    api->godot_pool_byte_array_destroy(&args);
    free(name);
    return vint(out);
}

/* The table handle for a String argument (free it with stdb_table_free), or NULL (error set). */
static stdb_table *table_arg(client *c, const char *what, const godot_variant *v, char **name_out, size_t *len_out) {
    size_t len = 0;
    char *name = utf8_of(v, &len);
    if (name == NULL) {
        bad_input(c, what, "the table name must be a String");
        return NULL;
    }
    stdb_table *t = NULL;
    stdb_result e = c->conn ? stdb_connection_table(c->conn, name, len, &t) : STDB_ERR_DISCONNECTED;
    if (e != STDB_OK) {
        if (c->conn) fail(c, what, e);
        else set_error(c, "%s: not connected (call connect_to first)", what);
        free(name);
        return NULL;
    }
    if (name_out) *name_out = name, *len_out = len;
    else free(name);
    return t;
}

/* watch_table(name: String) -> int (0 = OK): emit row_inserted/row_deleted (and row_updated for
 * tables with a primary key) for this table. The schema is known from the `connected` signal on. */
METHOD(m_watch_table) {
    UNUSED_METHOD_ARGS;
    client *c = user_data;
    if (argc != 1) return vint(bad_input(c, "watch_table", "expects (table: String)"));
    char *name = NULL;
    size_t len = 0;
    stdb_table *t = table_arg(c, "watch_table", argv[0], &name, &len);
    if (t == NULL) return vint(STDB_ERR_INVALID_ARGUMENT);
    cb_ctx *ins = ctx_new(c, 0, name, len), *del = ctx_new(c, 0, name, len), *upd = ctx_new(c, 0, name, len);
    free(name);
    stdb_result e = STDB_OK;
    if (ins == NULL || del == NULL || upd == NULL) {
        free(ins), free(del), free(upd);
        stdb_table_free(t);
        set_error(c, "watch_table: out of memory");
        return vint(STDB_ERR_INVALID_STATE);
    }
    /* Each registration owns its context from here (its finalizer frees it, at once on failure). */
    e = stdb_table_on_insert(t, on_insert, ins, ctx_free, NULL);
    stdb_result d = stdb_table_on_delete(t, on_delete, del, ctx_free, NULL);
    if (e == STDB_OK) e = d;
    /* A table without a primary key has no updates (INVALID_ARGUMENT): inserts and deletes only. */
    stdb_result u = stdb_table_on_update(t, on_update, upd, ctx_free, NULL);
    if (e == STDB_OK && u != STDB_ERR_INVALID_ARGUMENT) e = u;
    stdb_table_free(t); /* the callbacks stay registered */
    return vint(e == STDB_OK ? STDB_OK : fail(c, "watch_table", e));
}

/* count(table: String) -> int: rows in the cache, -1 on error. */
METHOD(m_count) {
    UNUSED_METHOD_ARGS;
    client *c = user_data;
    if (argc != 1) {
        bad_input(c, "count", "expects (table: String)");
        return vint(-1);
    }
    stdb_table *t = table_arg(c, "count", argv[0], NULL, NULL);
    if (t == NULL) return vint(-1);
    int64_t n = (int64_t)stdb_table_count(t);
    stdb_table_free(t);
    return vint(n);
}

static bool append_row(void *ud, const uint8_t *row, size_t len) {
    godot_variant v = vbytes(row, len);
    api->godot_array_append(ud, &v);
    api->godot_variant_destroy(&v);
    return true;
}

/* rows(table: String) -> Array of PoolByteArray: the cached rows (BSATN). Empty on error. */
METHOD(m_rows) {
    UNUSED_METHOD_ARGS;
    client *c = user_data;
    godot_array a;
    api->godot_array_new(&a);
    stdb_table *t = argc == 1 ? table_arg(c, "rows", argv[0], NULL, NULL) : NULL;
    if (argc != 1) bad_input(c, "rows", "expects (table: String)");
    if (t != NULL) {
        stdb_result e = stdb_table_iter(t, append_row, &a);
        if (e != STDB_OK) fail(c, "rows", e);
        stdb_table_free(t);
    }
    godot_variant v;
    api->godot_variant_new_array(&v, &a);
    api->godot_array_destroy(&a);
    return v;
}

/* identity_hex() -> String: our identity (64 hex digits), "" before `connected`. */
METHOD(m_identity_hex) {
    UNUSED_METHOD_ARGS;
    client *c = user_data;
    stdb_identity id;
    char hex[65] = "";
    if (c->conn && stdb_connection_identity(c->conn, &id) == STDB_OK) stdb_identity_to_hex(&id, hex);
    return vcstr(hex);
}

/* protocol() -> int: STDB_PROTOCOL_* the server picked (1 on 1.x servers), 0 before `connected`. */
METHOD(m_protocol) {
    UNUSED_METHOD_ARGS;
    client *c = user_data;
    int32_t p = 0;
    if (c->conn == NULL || stdb_connection_protocol(c->conn, &p) != STDB_OK) p = 0;
    return vint(p);
}

/* is_active() -> bool: from connect_to until the connection's end was reported by a tick. */
METHOD(m_is_active) {
    UNUSED_METHOD_ARGS;
    client *c = user_data;
    return vbool(stdb_connection_is_active(c->conn));
}

/* close() -> int (0 = OK): disconnects; `disconnected("")` follows on a later tick. */
METHOD(m_close) {
    UNUSED_METHOD_ARGS;
    client *c = user_data;
    if (c->conn == NULL) return vint(STDB_ERR_DISCONNECTED);
    stdb_result e = stdb_connection_disconnect(c->conn);
    if (e != STDB_OK) set_error(c, "close: %s", stdb_last_error());
    return vint(e);
}

/* last_error() -> String: why the last failed call of this object failed. */
METHOD(m_last_error) {
    UNUSED_METHOD_ARGS;
    client *c = user_data;
    return vcstr(c->last_error);
}

/* library_version() -> String: stdb-client's version. */
METHOD(m_library_version) {
    UNUSED_METHOD_ARGS;
    (void)user_data;
    return vcstr(stdb_version());
}

#undef METHOD

/* ---- class registration ------------------------------------------------------------------ */

static void *client_new(godot_object *owner, void *method_data) {
    (void)method_data;
    client *c = calloc(1, sizeof *c);
    if (c != NULL) c->owner = owner;
    return c;
}

static void client_destroy(godot_object *owner, void *method_data, void *user_data) {
    (void)owner, (void)method_data;
    client *c = user_data;
    if (c == NULL) return;
    c->destroying = true;
    /* Releasing the last handles closes the connection and runs every registration's finalizer
     * here, on this thread; no callback runs after it. */
    for (size_t i = 0; i < c->subs_len; i++) stdb_subscription_free(c->subs[i]);
    free(c->subs);
    stdb_connection_free(c->conn);
    free(c);
}

static void add_method(void *handle, const char *name, godot_variant (*fn)(godot_object *, void *, void *, int,
                                                                                 godot_variant **)) {
    godot_instance_method m = {fn, NULL, NULL};
    godot_method_attributes attr = {GODOT_METHOD_RPC_MODE_DISABLED};
    nsapi->godot_nativescript_register_method(handle, "StdbClient", name, attr, m);
}

typedef struct {
    const char *name;
    godot_int type;
} arg_def;

static void add_signal(void *handle, const char *name, int argc, const arg_def *defs) {
    godot_signal_argument args[4];
    memset(args, 0, sizeof args);
    for (int i = 0; i < argc; i++) {
        args[i].name = gstr(defs[i].name, strlen(defs[i].name));
        args[i].type = defs[i].type;
        args[i].hint = GODOT_PROPERTY_HINT_NONE;
        api->godot_string_new(&args[i].hint_string);
        args[i].usage = GODOT_PROPERTY_USAGE_DEFAULT;
        args[i].default_value = vnil();
    }
    godot_signal s;
    memset(&s, 0, sizeof s);
    s.name = gstr(name, strlen(name));
    s.num_args = argc;
    s.args = args;
    nsapi->godot_nativescript_register_signal(handle, "StdbClient", &s); /* copies what it needs */
    api->godot_string_destroy(&s.name);
    for (int i = 0; i < argc; i++) {
        api->godot_string_destroy(&args[i].name);
        api->godot_string_destroy(&args[i].hint_string);
        api->godot_variant_destroy(&args[i].default_value);
    }
}

void GDN_EXPORT godot_gdnative_init(godot_gdnative_init_options *o) {
    api = o->api_struct;
    nsapi = NULL;
    /* Core API 1.0 (the struct itself) is all this plugin calls; NativeScript 1.0 for the class. */
    for (unsigned i = 0; i < api->num_extensions; i++) {
        const godot_gdnative_api_struct *ext = api->extensions[i];
        if (ext->type == GDNATIVE_EXT_NATIVESCRIPT && ext->version.major == 1)
            nsapi = (const godot_gdnative_ext_nativescript_api_struct *)ext;
    }
    if (nsapi == NULL) o->report_loading_error(o->gd_native_library, "stdb_godot: no NativeScript 1.x API");
    if (stdb_abi_version() != STDB_ABI_VERSION)
        o->report_loading_error(o->gd_native_library, "stdb_godot: libstdb_client's ABI version differs from its header");
}

/* Called when Godot unloads the library (at exit, or an editor hot reload). Every StdbClient is
 * gone by then, so no connection exists and stdb_library_shutdown can join the library's threads
 * (include/stdb_client.h: "Every connection must be gone first"). If one is still alive (an
 * instance leaked), shutdown refuses and changes nothing; libstdb_client is then pinned in memory
 * so that unloading this plugin cannot unmap code its threads still run. */
void GDN_EXPORT godot_gdnative_terminate(godot_gdnative_terminate_options *o) {
    (void)o;
    if (stdb_library_shutdown() == STDB_OK) {
        if (getenv("STDB_GODOT_DEBUG")) {
            godot_string s = gstr("stdb_godot: stdb_library_shutdown OK", 36);
            api->godot_print(&s);
            api->godot_string_destroy(&s);
        }
        return;
    }
    char msg[600];
    snprintf(msg, sizeof msg, "stdb_godot: stdb_library_shutdown refused (%s); keeping libstdb_client loaded",
             stdb_last_error());
    api->godot_print_error(msg, "godot_gdnative_terminate", __FILE__, __LINE__);
    Dl_info info;
    if (dladdr((void *)stdb_version, &info) && info.dli_fname) dlopen(info.dli_fname, RTLD_NOW | RTLD_NODELETE);
}

void GDN_EXPORT godot_nativescript_init(void *handle) {
    if (nsapi == NULL) return;
    mb_emit_signal = api->godot_method_bind_get_method("Object", "emit_signal");
    mb_reference = api->godot_method_bind_get_method("Reference", "reference");
    mb_unreference = api->godot_method_bind_get_method("Reference", "unreference");

    godot_instance_create_func create = {client_new, NULL, NULL};
    godot_instance_destroy_func destroy = {client_destroy, NULL, NULL};
    nsapi->godot_nativescript_register_class(handle, "StdbClient", "Reference", create, destroy);

    add_method(handle, "connect_to", m_connect_to);
    add_method(handle, "tick", m_tick);
    add_method(handle, "subscribe", m_subscribe);
    add_method(handle, "unsubscribe", m_unsubscribe);
    add_method(handle, "call_reducer", m_call_reducer);
    add_method(handle, "watch_table", m_watch_table);
    add_method(handle, "count", m_count);
    add_method(handle, "rows", m_rows);
    add_method(handle, "identity_hex", m_identity_hex);
    add_method(handle, "protocol", m_protocol);
    add_method(handle, "is_active", m_is_active);
    add_method(handle, "close", m_close);
    add_method(handle, "last_error", m_last_error);
    add_method(handle, "library_version", m_library_version);

    const godot_int S = GODOT_VARIANT_TYPE_STRING, I = GODOT_VARIANT_TYPE_INT, B = GODOT_VARIANT_TYPE_POOL_BYTE_ARRAY;
    add_signal(handle, "connected", 2, (arg_def[]){{"identity", S}, {"token", S}});
    add_signal(handle, "connect_failed", 3, (arg_def[]){{"kind", I}, {"http_status", I}, {"message", S}});
    add_signal(handle, "disconnected", 1, (arg_def[]){{"error", S}});
    add_signal(handle, "subscription_applied", 1, (arg_def[]){{"id", I}});
    add_signal(handle, "subscription_failed", 2, (arg_def[]){{"id", I}, {"message", S}});
    add_signal(handle, "subscription_ended", 1, (arg_def[]){{"id", I}});
    add_signal(handle, "row_inserted", 2, (arg_def[]){{"table", S}, {"row", B}});
    add_signal(handle, "row_deleted", 2, (arg_def[]){{"table", S}, {"row", B}});
    add_signal(handle, "row_updated", 3, (arg_def[]){{"table", S}, {"old_row", B}, {"new_row", B}});
    add_signal(handle, "reducer_done", 4, (arg_def[]){{"request_id", I}, {"reducer", S}, {"status", I}, {"error", S}});
}
