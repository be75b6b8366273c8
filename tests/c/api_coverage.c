/*
 * api_coverage.c — calls every function of stdb_client.h against a live server (sdk-test
 * module) and checks what comes back. tests/c_programs.rs checks that every exported function
 * name appears in this file.
 */
#include "ctest.h"

typedef struct {
    int applied, errored, unsubscribed;
    int inserts, deletes, updates;
    int reducer_calls, any_reducer_calls, failed_seen;
    int one_off_done, one_off_rows, one_off_error;
    int freed;
    int log_lines;
    int all_applied;
    int threaded_inserts;
    char fail_message[64];
    int32_t last_event_kind;
    int then_committed, then_failed;
    int32_t protocol;
} state_t;

static void count_free(void *ud) { ((state_t *)ud)->freed++; }

/* Reconnection itself is tested in tests/reconnect.rs (it needs a network fault); here the
 * registration is checked. */
static void on_reconnect(void *ud, const stdb_connection *c, const stdb_identity *id, const stdb_connection_id *cid) {
    (void)ud; (void)c; (void)id; (void)cid;
}

static void on_log(void *ud, int32_t level, const char *target, size_t tlen, const char *msg, size_t mlen) {
    (void)level; (void)target; (void)tlen; (void)msg; (void)mlen;
    ((state_t *)ud)->log_lines++;
}

static void on_applied(void *ud, const stdb_connection *c, const stdb_event *e) {
    (void)c;
    CHECK(stdb_event_kind(e) == STDB_EVENT_SUBSCRIBE_APPLIED);
    CHECK(stdb_event_reducer(e) == NULL);
    CHECK(stdb_event_error(e).len == 0);
    ((state_t *)ud)->applied++;
}
static void on_all_applied(void *ud, const stdb_connection *c, const stdb_event *e) {
    (void)c; (void)e;
    ((state_t *)ud)->all_applied++;
}
static void on_sub_error(void *ud, const stdb_connection *c, const char *m, size_t n) {
    (void)c;
    CHECK(m != NULL && n > 0);
    ((state_t *)ud)->errored++;
}
static void on_unsubscribed(void *ud, const stdb_connection *c, const stdb_event *e) {
    (void)c;
    CHECK(stdb_event_kind(e) == STDB_EVENT_UNSUBSCRIBE_APPLIED);
    ((state_t *)ud)->unsubscribed++;
}
static void on_insert(void *ud, const stdb_connection *c, const stdb_event *e, const uint8_t *row, size_t len) {
    state_t *s = ud;
    (void)c;
    CHECK(len == 8);
    CHECK(row != NULL);
    s->last_event_kind = stdb_event_kind(e);
    s->inserts++;
}
static void on_delete(void *ud, const stdb_connection *c, const stdb_event *e, const uint8_t *row, size_t len) {
    (void)c; (void)e; (void)row;
    CHECK(len == 8);
    ((state_t *)ud)->deletes++;
}
static void on_update(void *ud, const stdb_connection *c, const stdb_event *e, const uint8_t *o, size_t ol, const uint8_t *n, size_t nl) {
    (void)c; (void)e;
    CHECK(ol == 8 && nl == 8);
    CHECK(rd_u32(o) == rd_u32(n));
    CHECK(rd_i32(o) != rd_i32(n + 4) || rd_i32(o + 4) != rd_i32(n + 4));
    ((state_t *)ud)->updates++;
}
static void on_reducer(void *ud, const stdb_connection *c, const stdb_event *e, const stdb_reducer_event *r) {
    state_t *s = ud;
    stdb_reducer_info info;
    stdb_identity me;
    stdb_connection_id my_cid;
    CHECK(stdb_event_kind(e) == STDB_EVENT_REDUCER);
    CHECK(stdb_event_reducer(e) == r);
    CHECK(stdb_reducer_event_info(r, &info));
    CHECK_OK(stdb_connection_identity(c, &me));
    CHECK_OK(stdb_connection_get_connection_id(c, &my_cid));
    CHECK(memcmp(info.caller_identity.bytes, me.bytes, 32) == 0);
    CHECK(info.has_caller_connection_id && memcmp(info.caller_connection_id.bytes, my_cid.bytes, 16) == 0);
    CHECK(info.reducer_name.len == 13 && memcmp(info.reducer_name.data, "insert_pk_u32", 13) == 0);
    CHECK(info.status == STDB_STATUS_COMMITTED);
    CHECK(info.args.len == 8);
    CHECK(info.timestamp_us > 1600000000LL * 1000000LL);
    CHECK(info.request_id > 0);
    s->reducer_calls++;
}
static void on_any_reducer(void *ud, const stdb_connection *c, const stdb_event *e, const stdb_reducer_event *r) {
    state_t *s = ud;
    stdb_reducer_info info;
    (void)c; (void)e;
    CHECK(stdb_reducer_event_info(r, &info));
    if (info.status == STDB_STATUS_FAILED) {
        size_t n = info.error_message.len < 63 ? info.error_message.len : 63;
        memcpy(s->fail_message, info.error_message.data, n);
        s->fail_message[n] = 0;
        s->failed_seen++;
    }
    s->any_reducer_calls++;
}
/* Per-call outcomes (stdb_connection_call_reducer_then). */
static void on_then(void *ud, const stdb_connection *c, const stdb_event *e, const stdb_reducer_event *r, const char *err,
                    size_t err_len) {
    state_t *s = ud;
    stdb_reducer_info info;
    stdb_bytes ret = {0};
    (void)c; (void)err_len;
    CHECK(err == NULL && r != NULL && stdb_event_reducer(e) == r);
    CHECK(stdb_reducer_event_info(r, &info));
    if (s->protocol == STDB_PROTOCOL_V1) {
        CHECK(!stdb_reducer_event_return_value(r, &ret)); /* v1 carries none */
    }
    if (info.status == STDB_STATUS_COMMITTED) {
        if (s->protocol != STDB_PROTOCOL_V1) {
            CHECK(stdb_reducer_event_return_value(r, &ret) && ret.len == 0); /* `()` */
        }
        s->then_committed++;
    } else {
        CHECK(info.status == STDB_STATUS_FAILED);
        CHECK(info.error_message.len == 4 && memcmp(info.error_message.data, "oops", 4) == 0);
        CHECK(!stdb_reducer_event_return_value(r, &ret));
        s->then_failed++;
    }
}
static void on_procedure(void *ud, const stdb_connection *c, const uint8_t *ret, size_t ret_len, const char *err,
                         size_t err_len, int64_t micros) {
    (void)ud; (void)c; (void)ret; (void)ret_len; (void)err; (void)err_len; (void)micros;
    CHECK(!"no procedure call of this test may reach the server");
}

static void on_one_off(void *ud, const stdb_connection *c, const char *err, size_t err_len, const stdb_row_list *rows) {
    state_t *s = ud;
    (void)c;
    if (err) {
        CHECK(rows == NULL && err_len > 0);
        s->one_off_error = 1;
    } else {
        size_t i, n = stdb_row_list_len(rows);
        stdb_bytes name = stdb_row_list_table_name(rows);
        CHECK(name.len == 6 && memcmp(name.data, "pk_u32", 6) == 0);
        for (i = 0; i < n; i++) {
            const uint8_t *d;
            size_t len;
            CHECK_OK(stdb_row_list_get(rows, i, &d, &len));
            CHECK(len == 8 && rd_u32(d) < 3);
        }
        CHECK_RC(stdb_row_list_get(rows, n, &(const uint8_t *){0}, &(size_t){0}), STDB_ERR_INVALID_ARGUMENT);
        s->one_off_rows = (int)n;
    }
    s->one_off_done = 1;
}
static bool visit(void *ud, const uint8_t *row, size_t len) {
    (void)row;
    CHECK(len == 8);
    (*(int *)ud)++;
    return true;
}
static void on_threaded_insert(void *ud, const stdb_connection *c, const stdb_event *e, const uint8_t *row, size_t len) {
    (void)c; (void)e; (void)row; (void)len;
    __atomic_fetch_add(&((state_t *)ud)->threaded_inserts, 1, __ATOMIC_SEQ_CST);
}

int main(void) {
    const char *db = ct_env("STDB_DATABASE");
    const char *uri = ct_env("STDB_URI");
    state_t s;
    ct_conn cs;
    stdb_connection *conn;
    stdb_table *pk, *scores;
    stdb_subscription *sub = NULL, *bad = NULL, *all = NULL;
    stdb_subscription_builder *sb;
    args_t a;
    uint64_t insert_id = 0, delete_id = 0, update_id = 0, reducer_id = 0, any_id = 0;
    char hex[65], cid_hex[33];
    int visited = 0;
    memset(&s, 0, sizeof s);
    cs = ct_conn_init();

    /* Version and logging. */
    CHECK(strcmp(stdb_version(), STDB_VERSION_STRING) == 0);
    CHECK(stdb_abi_version() == STDB_ABI_VERSION);
    CHECK_OK(stdb_set_logger(on_log, &s, count_free, STDB_LOG_INFO));

    /* Builder setters that this test does not otherwise need, on a builder we then free. */
    {
        stdb_connection_builder *b = stdb_connection_builder_new();
        stdb_connection_id id;
        memset(id.bytes, 7, 16);
        CHECK_OK(stdb_connection_builder_set_compression(b, 2));
        CHECK_OK(stdb_connection_builder_set_light_mode(b, true));
        CHECK_OK(stdb_connection_builder_set_connection_id(b, &id));
        CHECK_OK(stdb_connection_builder_set_token(b, NULL, 0));
        CHECK_OK(stdb_connection_builder_set_connect_timeout_ms(b, 5000));
        CHECK_RC(stdb_connection_builder_set_max_queued_bytes(NULL, 1 << 20), STDB_ERR_NULL);
        CHECK_OK(stdb_connection_builder_set_max_queued_bytes(b, 16u << 20));
        CHECK_OK(stdb_connection_builder_set_schema_check(b, true));
        CHECK_OK(stdb_connection_builder_set_reconnect(b, 5, 100, 2000));
        CHECK_OK(stdb_connection_builder_set_reconnect(b, 0, 0, 0));
        CHECK_RC(stdb_connection_builder_on_reconnect(b, NULL, NULL, NULL), STDB_ERR_NULL);
        CHECK_OK(stdb_connection_builder_on_reconnect(b, on_reconnect, NULL, NULL));
        CHECK_RC(stdb_connection_builder_set_schema_json(b, S("{not json")), STDB_ERR_INVALID_ARGUMENT);
        {
            int32_t offer[2] = {STDB_PROTOCOL_V2, STDB_PROTOCOL_V1};
            int32_t bad = 7;
            CHECK_OK(stdb_connection_builder_set_protocols(b, offer, 2));
            CHECK_RC(stdb_connection_builder_set_protocols(b, NULL, 1), STDB_ERR_NULL);
            CHECK_RC(stdb_connection_builder_set_protocols(b, &bad, 1), STDB_ERR_INVALID_ARGUMENT);
            CHECK_RC(stdb_connection_builder_set_protocols(b, offer, 0), STDB_ERR_INVALID_ARGUMENT);
            CHECK_OK(stdb_connection_builder_set_confirmed_reads(b, 1));
            CHECK_OK(stdb_connection_builder_set_confirmed_reads(b, -1));
            CHECK_RC(stdb_connection_builder_set_confirmed_reads(b, 5), STDB_ERR_INVALID_ARGUMENT);
        }
        stdb_connection_builder_free(b);
    }

    conn = ct_connect_to(db, &cs);
    CHECK(stdb_connection_is_active(conn));
    {
        /* The newest protocol both sides speak: v3 on a 2.x server, v1 on a 1.x server. */
        int32_t protocol = 0;
        CHECK_OK(stdb_connection_protocol(conn, &protocol));
        CHECK(protocol == STDB_PROTOCOL_V3 || protocol == STDB_PROTOCOL_V1);
        s.protocol = protocol;
        /* This module has no procedures: a clear error, nothing sent. */
        CHECK_RC(stdb_connection_call_procedure(conn, S("no_such_procedure"), NULL, 0, on_procedure, NULL, NULL, NULL),
                 STDB_ERR_UNKNOWN_REDUCER);
        CHECK(strstr(stdb_last_error(), "no_such_procedure") != NULL);
    }
    CHECK(s.log_lines > 0); /* "connected as …" */

    /* Identity, connection id, token. */
    {
        stdb_identity id;
        stdb_connection_id cid;
        stdb_buffer tok = {0};
        CHECK_OK(stdb_connection_identity(conn, &id));
        CHECK(memcmp(id.bytes, cs.identity.bytes, 32) == 0);
        CHECK(stdb_identity_to_hex(&id, hex));
        CHECK(strlen(hex) == 64 && strncmp(hex, "c200", 4) == 0);
        CHECK_OK(stdb_connection_get_connection_id(conn, &cid));
        CHECK(stdb_connection_id_to_hex(&cid, cid_hex) && strlen(cid_hex) == 32);
        CHECK_OK(stdb_connection_token(conn, &tok));
        CHECK(tok.len > 20 && tok.data != NULL);

        /* Credentials round trip (HOME-relative config dir set by the harness). */
        CHECK_OK(stdb_credentials_save(S("api-coverage"), (const char *)tok.data, tok.len));
        {
            bool found = false;
            stdb_buffer loaded = {0};
            CHECK_OK(stdb_credentials_load(S("api-coverage"), &found, &loaded));
            CHECK(found && loaded.len == tok.len && memcmp(loaded.data, tok.data, tok.len) == 0);
            stdb_buffer_free(&loaded);
            CHECK(loaded.data == NULL);
            CHECK_OK(stdb_credentials_remove(S("api-coverage")));
            CHECK_OK(stdb_credentials_load(S("api-coverage"), &found, &loaded));
            CHECK(!found);
        }
        stdb_buffer_free(&tok);
    }

    /* Tables and callbacks. */
    CHECK_OK(stdb_connection_table(conn, S("pk_u32"), &pk));
    CHECK_OK(stdb_connection_table(conn, S("scores"), &scores));
    CHECK_OK(stdb_table_on_insert(pk, on_insert, &s, count_free, &insert_id));
    CHECK_OK(stdb_table_on_delete(pk, on_delete, &s, count_free, &delete_id));
    CHECK_OK(stdb_table_on_update(pk, on_update, &s, count_free, &update_id));
    CHECK(insert_id != delete_id && delete_id != update_id);
    CHECK_OK(stdb_connection_on_reducer(conn, S("insert_pk_u32"), on_reducer, &s, count_free, &reducer_id));
    CHECK_OK(stdb_connection_on_any_reducer(conn, on_any_reducer, &s, count_free, &any_id));

    /* An unused subscription builder is freed, callbacks and all (valgrind checks for leaks). */
    sb = stdb_subscription_builder_new(conn);
    CHECK_OK(stdb_subscription_builder_on_applied(sb, on_applied, &s, count_free));
    {
        int before = s.freed;
        stdb_subscription_builder_free(sb);
        CHECK(s.freed == before + 1);
    }

    /* Subscriptions: one good, one bad. */
    sb = stdb_subscription_builder_new(conn);
    CHECK_OK(stdb_subscription_builder_on_applied(sb, on_applied, &s, count_free));
    CHECK_OK(stdb_subscription_builder_on_error(sb, on_sub_error, &s, count_free));
    {
        stdb_bytes q[2] = {{(const uint8_t *)"SELECT * FROM pk_u32", 20}, {(const uint8_t *)"SELECT * FROM scores", 20}};
        CHECK_OK(stdb_subscription_builder_subscribe(sb, q, 2, &sub));
    }
    CHECK(stdb_subscription_state(sub) == STDB_SUBSCRIPTION_PENDING);
    ct_tick_until(conn, &s.applied);
    CHECK(stdb_subscription_state(sub) == STDB_SUBSCRIPTION_ACTIVE);

    sb = stdb_subscription_builder_new(conn);
    CHECK_OK(stdb_subscription_builder_on_error(sb, on_sub_error, &s, NULL));
    {
        stdb_bytes q = {(const uint8_t *)"SELECT * FROM nope", 18};
        CHECK_OK(stdb_subscription_builder_subscribe(sb, &q, 1, &bad));
    }
    ct_tick_until(conn, &s.errored);
    CHECK(stdb_subscription_state(bad) == STDB_SUBSCRIPTION_ENDED);
    stdb_subscription_free(bad);

    /* Reducers: insert, update, delete; a failure. */
    a.len = 0; args_u32(&a, 1); args_i32(&a, 10);
    ct_call_reducer(conn, "insert_pk_u32", &a);
    a.len = 0; args_u32(&a, 2); args_i32(&a, 20);
    {
        uint32_t req = 0;
        CHECK_OK(stdb_connection_call_reducer(conn, S("insert_pk_u32"), a.data, a.len, STDB_CALL_FULL_UPDATE, &req));
        CHECK(req > 0);
    }
    ct_tick_until_count(conn, &s.inserts, 2);
    CHECK(s.inserts == 2);
    CHECK(s.last_event_kind == STDB_EVENT_REDUCER);
    CHECK(s.reducer_calls == 2);
    a.len = 0; args_u32(&a, 1); args_i32(&a, 11);
    ct_call_reducer(conn, "update_pk_u32", &a);
    ct_tick_until(conn, &s.updates);
    a.len = 0; args_u32(&a, 2);
    ct_call_reducer(conn, "delete_pk_u32", &a);
    ct_tick_until(conn, &s.deletes);
    CHECK(s.inserts == 2 && s.updates == 1 && s.deletes == 1);
    a.len = 0; args_str(&a, "bad things");
    ct_call_reducer(conn, "fail", &a);
    ct_tick_until(conn, &s.failed_seen);
    CHECK(strcmp(s.fail_message, "bad things") == 0);
    /* Per-call outcomes: a success and a failure, each to its own callback, user data freed once. */
    {
        int freed = s.freed;
        uint32_t req = 0;
        a.len = 0; args_u32(&a, 3); args_i32(&a, 30);
        CHECK_OK(stdb_connection_call_reducer_then(conn, S("insert_pk_u32"), a.data, a.len, STDB_CALL_FULL_UPDATE, on_then, &s,
                                                   count_free, &req));
        CHECK(req > 0);
        a.len = 0; args_str(&a, "oops");
        CHECK_OK(stdb_connection_call_reducer_then(conn, S("fail"), a.data, a.len, STDB_CALL_FULL_UPDATE, on_then, &s,
                                                   count_free, NULL));
        ct_tick_until(conn, &s.then_committed);
        ct_tick_until(conn, &s.then_failed);
        CHECK(s.freed == freed + 2);
        a.len = 0; args_u32(&a, 3);
        ct_call_reducer(conn, "delete_pk_u32", &a);
        ct_tick_until_count(conn, &s.deletes, 2);
    }

    /* Cache reads: count, iterate, find (pk_u32's primary key is unique), btree. */
    CHECK(stdb_table_count(pk) == 1);
    CHECK_OK(stdb_table_iter(pk, visit, &visited));
    CHECK(visited == 1);
    {
        uint32_t key = 1;
        bool found = false;
        stdb_buffer row = {0};
        CHECK_OK(stdb_table_find(pk, S("n"), (const uint8_t *)&key, 4, &found, &row));
        CHECK(found && row.len == 8 && rd_i32(row.data + 4) == 11);
        stdb_buffer_free(&row);
        key = 99;
        CHECK_OK(stdb_table_find(pk, S("n"), (const uint8_t *)&key, 4, &found, &row));
        CHECK(!found);
    }
    {
        uint32_t ix = 99, level;
        int i;
        stdb_row_list *rows = NULL;
        stdb_bound lo, hi;
        for (i = 0; i < 10; i++) {
            a.len = 0; args_u32(&a, (uint32_t)i); args_str(&a, "p"); args_i64(&a, i * 10);
            ct_call_reducer(conn, "insert_score", &a);
        }
        for (i = 0; i < 20000 && stdb_table_count(scores) < 10; i++) { stdb_frame_tick(conn); ct_sleep_ms(1); }
        CHECK(stdb_table_count(scores) == 10);
        CHECK_OK(stdb_table_btree_index(scores, S("by_level_points"), &ix));
        CHECK(ix != 99);
        level = 3;
        {
            stdb_bytes prefix = {(const uint8_t *)&level, 4};
            CHECK_OK(stdb_table_btree_scan(scores, ix, &prefix, 1, NULL, NULL, &rows));
            CHECK(stdb_row_list_len(rows) == 1);
            stdb_row_list_free(rows);
        }
        {
            uint32_t l = 2, h = 5;
            lo.kind = STDB_BOUND_INCLUDED; lo.value.data = (const uint8_t *)&l; lo.value.len = 4;
            hi.kind = STDB_BOUND_EXCLUDED; hi.value.data = (const uint8_t *)&h; hi.value.len = 4;
            CHECK_OK(stdb_table_btree_scan(scores, ix, NULL, 0, &lo, &hi, &rows));
            CHECK(stdb_row_list_len(rows) == 3);
            {
                const uint8_t *d; size_t len; size_t k;
                uint32_t prev = 0;
                for (k = 0; k < 3; k++) {
                    CHECK_OK(stdb_row_list_get(rows, k, &d, &len));
                    CHECK(rd_u32(d + 8) >= prev); /* level, after the u64 id */
                    prev = rd_u32(d + 8);
                }
            }
            stdb_row_list_free(rows);
        }
    }

    /* One-off queries. */
    CHECK_OK(stdb_connection_one_off_query(conn, S("SELECT * FROM pk_u32 WHERE n < 3"), on_one_off, &s, count_free));
    ct_tick_until(conn, &s.one_off_done);
    CHECK(s.one_off_rows == 1);
    s.one_off_done = 0;
    CHECK_OK(stdb_connection_one_off_query(conn, S("SELECT * FROM missing"), on_one_off, &s, NULL));
    ct_tick_until(conn, &s.one_off_done);
    CHECK(s.one_off_error);

    /* Budgeted tick and single-message advance. */
    {
        stdb_tick_report report;
        bool processed = true;
        CHECK_OK(stdb_frame_tick_budget(conn, 1, 1000, &report));
        CHECK(report.processed <= 1);
        CHECK_OK(stdb_advance_one_message(conn, &processed));
    }

    /* Metrics. */
    {
        stdb_metrics m;
        CHECK_OK(stdb_connection_metrics(conn, &m));
        CHECK(m.messages_received > 5 && m.reducer_calls >= 15 && m.rows_inserted >= 12);
        /* Messages were queued and applied; far below the default 64 MiB limit, reading never paused. */
        CHECK(m.queued_bytes <= m.queued_bytes_peak && m.queued_bytes_peak > 0 && m.largest_frame_bytes > 0);
        CHECK(m.queued_bytes_peak < (64u << 20) && m.read_pauses == 0);
    }

    /* Removing callbacks runs their finalizers. */
    {
        int before = s.freed;
        CHECK_OK(stdb_table_remove_callback(pk, insert_id));
        CHECK_RC(stdb_table_remove_callback(pk, insert_id), STDB_ERR_INVALID_ARGUMENT);
        CHECK_OK(stdb_connection_remove_on_reducer(conn, reducer_id));
        CHECK(s.freed == before + 2);
        a.len = 0; args_u32(&a, 5); args_i32(&a, 5);
        ct_call_reducer(conn, "insert_pk_u32", &a);
        ct_tick_for(conn, NULL, 200);
        CHECK(s.inserts == 3 && s.reducer_calls == 3); /* removed callbacks no longer run */
        (void)any_id;
        (void)delete_id;
        (void)update_id;
    }

    /* Subscribe to all tables, then unsubscribe both subscriptions. */
    sb = stdb_subscription_builder_new(conn);
    CHECK_OK(stdb_subscription_builder_on_applied(sb, on_all_applied, &s, NULL));
    CHECK_OK(stdb_subscription_builder_subscribe_all_tables(sb, &all));
    ct_tick_until(conn, &s.all_applied);
    CHECK_OK(stdb_subscription_unsubscribe(all));
    CHECK_RC(stdb_subscription_unsubscribe(all), STDB_ERR_INVALID_STATE);
    CHECK_OK(stdb_subscription_unsubscribe_then(sub, on_unsubscribed, &s, count_free));
    ct_tick_until(conn, &s.unsubscribed);
    {
        int i;
        for (i = 0; i < 5000 && stdb_subscription_state(all) != STDB_SUBSCRIPTION_ENDED; i++) { stdb_frame_tick(conn); ct_sleep_ms(1); }
    }
    CHECK(stdb_subscription_state(sub) == STDB_SUBSCRIPTION_ENDED);
    CHECK(stdb_table_count(pk) == 0);
    stdb_subscription_free(sub);
    stdb_subscription_free(all);

    /* run_threaded on a second connection: callbacks run on its thread. */
    {
        ct_conn cs2;
        stdb_connection *c2;
        stdb_table *pk2;
        stdb_subscription *s2 = NULL;
        stdb_bytes q = {(const uint8_t *)"SELECT * FROM pk_u32", 20};
        int i;
        cs2 = ct_conn_init();
        c2 = ct_connect_to(db, &cs2);
        CHECK_OK(stdb_connection_table(c2, S("pk_u32"), &pk2));
        CHECK_OK(stdb_table_on_insert(pk2, on_threaded_insert, &s, NULL, NULL));
        sb = stdb_subscription_builder_new(c2);
        CHECK_OK(stdb_subscription_builder_subscribe(sb, &q, 1, &s2));
        CHECK_OK(stdb_run_threaded(c2));
        for (i = 0; i < 20000 && __atomic_load_n(&s.threaded_inserts, __ATOMIC_SEQ_CST) < 1; i++) ct_sleep_ms(1);
        CHECK(s.threaded_inserts >= 1); /* the row (5) inserted above */
        CHECK_OK(stdb_connection_disconnect(c2));
        for (i = 0; i < 20000 && stdb_connection_is_active(c2); i++) ct_sleep_ms(1);
        CHECK(!stdb_connection_is_active(c2));
        stdb_subscription_free(s2);
        stdb_table_free(pk2);
        stdb_connection_free(c2);
    }

    /* Disconnect. */
    CHECK_OK(stdb_connection_disconnect(conn));
    ct_tick_until(conn, &cs.disconnected);
    CHECK(!cs.disconnect_had_error);
    CHECK_RC(stdb_frame_tick(conn), STDB_ERR_DISCONNECTED);
    CHECK(!stdb_connection_is_active(conn));

    stdb_table_free(pk);
    stdb_table_free(scores);
    stdb_connection_free(conn);
    CHECK_OK(stdb_set_logger(NULL, NULL, NULL, STDB_LOG_OFF)); /* runs the old logger's finalizer */
    CHECK(s.freed >= 3);
    {
        /* Every connection is freed: the library stops its threads (c2's tick thread may still be
         * leaving its loop for a moment; until then the shutdown is refused). */
        stdb_result r = STDB_ERR_INVALID_STATE;
        int i;
        for (i = 0; i < 5000 && (r = stdb_library_shutdown()) == STDB_ERR_INVALID_STATE; i++) ct_sleep_ms(1);
        CHECK_OK(r);
    }
    (void)uri;
    ct_pass("api_coverage");
    return 0;
}
