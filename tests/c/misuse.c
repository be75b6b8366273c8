/*
 * misuse.c — every kind of wrong call gets a clear result code, never a crash: NULL handles and
 * pointers, invalid UTF-8, unknown names, wrong argument bytes, double disconnect, freeing a
 * handle inside its own callback, calls after disconnect, and a re-entrant tick.
 */
#include "ctest.h"

typedef struct {
    stdb_connection *owned; /* freed inside a callback */
    int freed_in_callback;
    int reentrant_rc;
    int reentrant_done;
    int finalized;
} misuse_t;

static void finalize(void *ud) { ((misuse_t *)ud)->finalized++; }
static void count_frees(void *ud) { (*(int *)ud)++; }
static void never_then(void *ud, const stdb_connection *c, const stdb_event *e, const stdb_reducer_event *r, const char *err,
                       size_t err_len) {
    (void)ud; (void)c; (void)e; (void)r; (void)err; (void)err_len;
    CHECK(!"a refused call never runs its callback");
}

static void free_own_handle(void *ud, const stdb_connection *c, const stdb_event *e, const stdb_reducer_event *r) {
    misuse_t *m = ud;
    (void)e; (void)r;
    /* Freeing the caller's handle from inside a callback is allowed: the tick keeps its own. */
    stdb_connection_free(m->owned);
    m->owned = NULL;
    /* The borrowed pointer passed to the callback is still usable. */
    CHECK(stdb_connection_is_active(c));
    m->freed_in_callback = 1;
}

static void tick_inside(void *ud, const stdb_connection *c, const stdb_event *e, const stdb_reducer_event *r) {
    misuse_t *m = ud;
    (void)e; (void)r;
    m->reentrant_rc = stdb_frame_tick(c);
    CHECK(stdb_advance_one_message(c, NULL) == STDB_ERR_REENTRANT);
    m->reentrant_done = 1;
}

static void noop_row(void *ud, const stdb_connection *c, const stdb_event *e, const uint8_t *r, size_t n) {
    (void)ud; (void)c; (void)e; (void)r; (void)n;
}

int main(void) {
    const char *db = ct_env("STDB_DATABASE");
    const char *bad_utf8 = "\xff\xfe\xfd";
    ct_conn cs;
    misuse_t m;
    stdb_connection *conn;
    stdb_table *t = NULL;
    stdb_buffer buf = {0};
    stdb_identity id;
    bool flag = false;
    cs = ct_conn_init();
    memset(&m, 0, sizeof m);

    /* NULL everywhere: result codes, no crash; outputs untouched. */
    CHECK_RC(stdb_frame_tick(NULL), STDB_ERR_NULL);
    CHECK(strlen(stdb_last_error()) > 0);
    CHECK_RC(stdb_frame_tick_budget(NULL, 1, 1, NULL), STDB_ERR_NULL);
    CHECK_RC(stdb_advance_one_message(NULL, NULL), STDB_ERR_NULL);
    CHECK_RC(stdb_run_threaded(NULL), STDB_ERR_NULL);
    CHECK_RC(stdb_connection_disconnect(NULL), STDB_ERR_NULL);
    CHECK(!stdb_connection_is_active(NULL));
    CHECK_RC(stdb_connection_identity(NULL, &id), STDB_ERR_NULL);
    CHECK_RC(stdb_connection_token(NULL, &buf), STDB_ERR_NULL);
    /* A NULL builder is reported as such, not as a JSON error. */
    CHECK_RC(stdb_connection_builder_set_schema_json(NULL, S("{}")), STDB_ERR_NULL);
    CHECK_RC(stdb_connection_metrics(NULL, NULL), STDB_ERR_NULL);
    CHECK_RC(stdb_connection_call_reducer(NULL, S("x"), NULL, 0, 0, NULL), STDB_ERR_NULL);
    CHECK_RC(stdb_connection_table(NULL, S("x"), &t), STDB_ERR_NULL);
    CHECK(t == NULL);
    CHECK(stdb_table_count(NULL) == 0);
    CHECK_RC(stdb_table_iter(NULL, NULL, NULL), STDB_ERR_NULL);
    CHECK_RC(stdb_table_on_insert(NULL, noop_row, NULL, NULL, NULL), STDB_ERR_NULL);
    CHECK(stdb_subscription_builder_new(NULL) == NULL);
    CHECK_RC(stdb_subscription_builder_subscribe(NULL, NULL, 0, NULL), STDB_ERR_NULL);
    CHECK(stdb_subscription_state(NULL) == -1);
    CHECK_RC(stdb_subscription_unsubscribe(NULL), STDB_ERR_NULL);
    CHECK(stdb_event_kind(NULL) == -1);
    CHECK(stdb_event_reducer(NULL) == NULL);
    CHECK(!stdb_reducer_event_info(NULL, NULL));
    CHECK(stdb_row_list_len(NULL) == 0);
    CHECK(!stdb_identity_to_hex(NULL, NULL));
    CHECK_RC(stdb_connection_builder_set_uri(NULL, S("http://x")), STDB_ERR_NULL);
    CHECK_RC(stdb_connection_builder_build(NULL, NULL), STDB_ERR_NULL);
    CHECK_RC(stdb_credentials_load(NULL, 0, &flag, &buf), STDB_ERR_NULL);
    /* Frees accept NULL. */
    stdb_connection_free(NULL);
    stdb_connection_builder_free(NULL);
    stdb_table_free(NULL);
    stdb_subscription_free(NULL);
    stdb_subscription_builder_free(NULL);
    stdb_row_list_free(NULL);
    stdb_buffer_free(NULL);
    stdb_buffer_free(&buf);

    /* Builder misuse. */
    {
        stdb_connection_builder *b = stdb_connection_builder_new();
        stdb_connection *c = NULL;
        stdb_connection_id zero;
        memset(&zero, 0, sizeof zero);
        CHECK_RC(stdb_connection_builder_set_uri(b, bad_utf8, 3), STDB_ERR_INVALID_UTF8);
        CHECK_RC(stdb_connection_builder_set_uri(b, NULL, 5), STDB_ERR_NULL);
        CHECK_RC(stdb_connection_builder_set_compression(b, 7), STDB_ERR_INVALID_ARGUMENT);
        CHECK_RC(stdb_connection_builder_set_connection_id(b, &zero), STDB_ERR_INVALID_ARGUMENT);
        CHECK_RC(stdb_connection_builder_on_connect(b, NULL, &m, finalize), STDB_ERR_NULL);
        CHECK(m.finalized == 1); /* a rejected registration still finalizes its user data */
        /* No URI: build fails, consumes the builder, writes nothing. */
        CHECK_RC(stdb_connection_builder_build(b, &c), STDB_ERR_INVALID_STATE);
        CHECK(c == NULL);
        b = stdb_connection_builder_new();
        CHECK_OK(stdb_connection_builder_set_uri(b, S("gopher://x")));
        CHECK_OK(stdb_connection_builder_set_module_name(b, S("x")));
        CHECK_RC(stdb_connection_builder_build(b, &c), STDB_ERR_INVALID_ARGUMENT);
    }

    conn = ct_connect_to(db, &cs);
    m.owned = conn;
    /* A NULL output once connected: an error, and the token copy is not leaked (LeakSanitizer). */
    CHECK_RC(stdb_connection_token(conn, NULL), STDB_ERR_NULL);

    /* Unknown names and bad arguments. */
    CHECK_RC(stdb_connection_table(conn, S("no_such_table"), &t), STDB_ERR_UNKNOWN_TABLE);
    CHECK_RC(stdb_connection_table(conn, bad_utf8, 3, &t), STDB_ERR_INVALID_UTF8);
    CHECK_RC(stdb_connection_call_reducer(conn, S("no_such_reducer"), NULL, 0, 0, NULL), STDB_ERR_UNKNOWN_REDUCER);
    {
        uint8_t three[3] = {1, 2, 3};
        uint8_t bad_string[6] = {2, 0, 0, 0, 0xff, 0xfe};
        CHECK_RC(stdb_connection_call_reducer(conn, S("insert_pk_u32"), three, 3, 0, NULL), STDB_ERR_INVALID_ARGUMENT);
        CHECK_RC(stdb_connection_call_reducer(conn, S("insert_pk_u32"), NULL, 8, 0, NULL), STDB_ERR_NULL);
        CHECK_RC(stdb_connection_call_reducer(conn, S("fail"), bad_string, 6, 0, NULL), STDB_ERR_INVALID_ARGUMENT);
        CHECK_RC(stdb_connection_call_reducer(conn, S("no_op"), NULL, 0, 42, NULL), STDB_ERR_INVALID_ARGUMENT);
    }
    CHECK_RC(stdb_connection_on_reducer(conn, S("no_such_reducer"), tick_inside, &m, NULL, NULL), STDB_ERR_UNKNOWN_REDUCER);
    CHECK_RC(stdb_connection_remove_on_reducer(conn, 123456), STDB_ERR_INVALID_ARGUMENT);
    CHECK_OK(stdb_connection_table(conn, S("unique_u32"), &t));
    {
        uint8_t two[2] = {0, 0};
        bool found;
        uint32_t ix;
        CHECK_RC(stdb_table_find(t, S("n"), two, 2, &found, &buf), STDB_ERR_INVALID_ARGUMENT);
        CHECK_RC(stdb_table_find(t, S("data"), two, 2, &found, &buf), STDB_ERR_INVALID_ARGUMENT);
        CHECK_RC(stdb_table_find(t, S("no_column"), two, 2, &found, &buf), STDB_ERR_INVALID_ARGUMENT);
        CHECK_RC(stdb_table_btree_index(t, S("nope"), &ix), STDB_ERR_UNKNOWN_INDEX);
        CHECK_RC(stdb_table_on_update(t, NULL, NULL, NULL, NULL), STDB_ERR_NULL);
        CHECK_RC(stdb_table_remove_callback(t, 99), STDB_ERR_INVALID_ARGUMENT);
    }
    {
        stdb_subscription_builder *sb = stdb_subscription_builder_new(conn);
        stdb_subscription *sub = NULL;
        stdb_bytes q = {(const uint8_t *)bad_utf8, 3};
        CHECK_RC(stdb_subscription_builder_subscribe(sb, &q, 1, &sub), STDB_ERR_INVALID_UTF8);
        CHECK(sub == NULL);
        sb = stdb_subscription_builder_new(conn);
        CHECK_RC(stdb_subscription_builder_subscribe(sb, NULL, 0, &sub), STDB_ERR_INVALID_ARGUMENT);
    }
    CHECK_RC(stdb_credentials_save(S("../escape"), S("t")), STDB_ERR_INVALID_ARGUMENT);

    /* Re-entrant tick from a callback: an error code, not a deadlock. */
    CHECK_OK(stdb_connection_on_reducer(conn, S("no_op"), tick_inside, &m, finalize, NULL));
    ct_call_reducer(conn, "no_op", NULL);
    ct_tick_until(conn, &m.reentrant_done);
    CHECK(m.reentrant_rc == STDB_ERR_REENTRANT);

    /* Free the caller's own handle inside a callback; keep ticking through a borrowed clone. */
    {
        stdb_connection *keep = NULL;
        stdb_table *tt = NULL;
        CHECK_OK(stdb_connection_on_reducer(conn, S("insert_pk_u32"), free_own_handle, &m, NULL, NULL));
        /* A table handle keeps the connection alive too, so we can still tick after the free. */
        CHECK_OK(stdb_connection_table(conn, S("pk_u32"), &tt));
        {
            args_t a;
            a.len = 0; args_u32(&a, 1); args_i32(&a, 1);
            ct_call_reducer(conn, "insert_pk_u32", &a);
        }
        ct_tick_until(conn, &m.freed_in_callback); /* `conn` is freed inside this call */
        CHECK(m.owned == NULL);
        (void)keep;
        stdb_table_free(tt);
    }

    /* A fresh connection for the after-disconnect checks. */
    cs = ct_conn_init();
    conn = ct_connect_to(db, &cs);
    CHECK_OK(stdb_connection_disconnect(conn));
    CHECK_RC(stdb_connection_disconnect(conn), STDB_ERR_DISCONNECTED);
    ct_tick_until(conn, &cs.disconnected);
    CHECK_RC(stdb_frame_tick(conn), STDB_ERR_DISCONNECTED);
    CHECK_RC(stdb_connection_call_reducer(conn, S("no_op"), NULL, 0, 0, NULL), STDB_ERR_DISCONNECTED);
    CHECK_RC(stdb_connection_one_off_query(conn, S("SELECT * FROM pk_u32"), NULL, NULL, NULL), STDB_ERR_NULL);
    {
        stdb_subscription_builder *sb = stdb_subscription_builder_new(conn);
        stdb_subscription *sub = NULL;
        stdb_bytes q = {(const uint8_t *)"SELECT * FROM pk_u32", 20};
        CHECK_RC(stdb_subscription_builder_subscribe(sb, &q, 1, &sub), STDB_ERR_DISCONNECTED);
    }
    CHECK_RC(stdb_run_threaded(conn), STDB_ERR_DISCONNECTED);
    {
        int32_t protocol = 0;
        CHECK_RC(stdb_connection_protocol(NULL, &protocol), STDB_ERR_NULL);
        CHECK_RC(stdb_connection_protocol(conn, NULL), STDB_ERR_NULL);
        CHECK_RC(stdb_connection_call_procedure(conn, S("p"), NULL, 0, NULL, NULL, NULL, NULL), STDB_ERR_NULL);
        CHECK_RC(stdb_connection_call_procedure(NULL, S("p"), NULL, 0, NULL, NULL, NULL, NULL), STDB_ERR_NULL);
        CHECK(!stdb_reducer_event_return_value(NULL, NULL));
        /* call_reducer_then: NULL callback, unknown reducer, bad flags, bad arguments: nothing is
           sent and the user data is freed exactly once each time. */
        {
            int freed = 0;
            CHECK_RC(stdb_connection_call_reducer_then(conn, S("insert_pk_u32"), NULL, 0, 0, NULL, &freed, count_frees, NULL),
                     STDB_ERR_NULL);
            CHECK_RC(stdb_connection_call_reducer_then(NULL, S("insert_pk_u32"), NULL, 0, 0, NULL, &freed, count_frees, NULL),
                     STDB_ERR_NULL);
            CHECK_RC(stdb_connection_call_reducer_then(conn, S("no_such_reducer"), NULL, 0, 0, never_then, &freed, count_frees,
                                                       NULL),
                     STDB_ERR_UNKNOWN_REDUCER);
            CHECK_RC(stdb_connection_call_reducer_then(conn, S("insert_pk_u32"), NULL, 0, 9, never_then, &freed, count_frees,
                                                       NULL),
                     STDB_ERR_INVALID_ARGUMENT);
            CHECK_RC(stdb_connection_call_reducer_then(conn, S("insert_pk_u32"), (const uint8_t *)"x", 1, 0, never_then, &freed,
                                                       count_frees, NULL),
                     STDB_ERR_INVALID_ARGUMENT);
            CHECK(freed == 5);
        }
        CHECK_RC(stdb_connection_builder_set_protocols(NULL, &protocol, 1), STDB_ERR_NULL);
        CHECK_RC(stdb_connection_builder_set_confirmed_reads(NULL, 1), STDB_ERR_NULL);
    }
    /* Registering a callback on an ended connection fails (it could never run); its user data
     * is finalized at once. */
    {
        stdb_table *dead_t = NULL;
        int before = m.finalized;
        CHECK_RC(stdb_connection_on_any_reducer(conn, tick_inside, &m, finalize, NULL), STDB_ERR_DISCONNECTED);
        CHECK(strstr(stdb_last_error(), "ended") != NULL);
        CHECK_RC(stdb_connection_on_reducer(conn, S("no_op"), tick_inside, &m, finalize, NULL), STDB_ERR_DISCONNECTED);
        CHECK_OK(stdb_connection_table(conn, S("pk_u32"), &dead_t));
        CHECK_RC(stdb_table_on_insert(dead_t, noop_row, &m, finalize, NULL), STDB_ERR_DISCONNECTED);
        CHECK_RC(stdb_table_on_delete(dead_t, noop_row, &m, finalize, NULL), STDB_ERR_DISCONNECTED);
        CHECK(m.finalized == before + 4);
        stdb_table_free(dead_t);
    }
    stdb_connection_free(conn);

    /* One tick thread per connection: a second stdb_run_threaded is refused. */
    cs = ct_conn_init();
    conn = ct_connect_to(db, &cs);
    CHECK_OK(stdb_run_threaded(conn));
    CHECK_RC(stdb_run_threaded(conn), STDB_ERR_INVALID_STATE);
    CHECK(strstr(stdb_last_error(), "run_threaded") != NULL);
    CHECK_OK(stdb_connection_disconnect(conn));
    {
        int i;
        for (i = 0; i < 5000 && !cs.disconnected; i++) ct_sleep_ms(1);
        CHECK(cs.disconnected);
    }
    stdb_table_free(t);
    stdb_connection_free(conn);
    ct_pass("misuse");
    return 0;
}
