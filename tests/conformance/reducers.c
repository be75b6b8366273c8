/* reducers.c — reducer callbacks and connection-level cases through the generated shims.
 * on_reducer: typed callback with the arguments, our identity/connection id, timestamp, committed.
 * fail_reducer: a failing call reports FAILED with the message and leaves the cache unchanged.
 * caller_always_notified: the caller hears of its reducer with no subscription at all.
 * caller_alice_receives_reducer_callback_but_not_bob: light mode; Bob sees the row without the
 *   reducer event; NoSuccessNotify silences only the caller's success.
 * reauth: a saved token reconnects as the same identity.
 * reconnect_same_connection_id: a new connection given the old connection id and token keeps both
 *   (on 2.x the server assigns the connection id: the token's identity is kept, the id is new).
 * two_different_compression_algos: Brotli, Gzip and None clients see the same rows.
 * subscribe_all_select_star: subscribing to all tables covers every public table.
 * two_connections (beyond): two connections in one process are independent.
 * connect_errors (beyond): unknown database → HTTP 404; bad token → 401/400; no on_connect.
 */
// conformance-cases: on_reducer fail_reducer caller_always_notified caller_alice_receives_reducer_callback_but_not_bob no_success_notify reauth reconnect_same_connection_id two_different_compression_algos subscribe_all_select_star two_connections connect_errors
#include "conf.h"
#include "ctest.h"

#define S_KEY "conformance-reauth"

/* ---- on_reducer ---- */
typedef struct {
    int calls;
    uint8_t v;
    stdb_reducer_info info;
    int kind;
} red_u8_t;
static void on_insert_one_u8(void *ud, const stdb_connection *c, const stdb_event *e, const stdb_reducer_event *r,
                             uint8_t v) {
    red_u8_t *s = ud;
    (void)c;
    CHECK(stdb_reducer_event_info(r, &s->info));
    CHECK(s->info.reducer_name.len == strlen("insert_one_u8") &&
          memcmp(s->info.reducer_name.data, "insert_one_u8", s->info.reducer_name.len) == 0);
    s->info.reducer_name.data = NULL;
    s->info.args.data = NULL;
    s->info.error_message.data = NULL;
    s->kind = stdb_event_kind(e);
    s->v = v;
    s->calls++;
}

static int u8_rows;
static void one_u8_ins(void *ud, const stdb_connection *c, const stdb_event *e, const conf_OneU8 *row) {
    ct_seen *s = ud;
    (void)c;
    (void)row;
    if (s) ct_record_event(s, e);
    u8_rows++;
}

static void case_on_reducer(void) {
    ct_conn cs = ct_conn_init();
    stdb_connection *conn = ct_connect(conf_register, &cs);
    red_u8_t r;
    uint64_t id;
    int64_t before = ct_now_us();
    memset(&r, 0, sizeof r);
    CHECK_OK(conf_on_reducer_insert_one_u8(conn, on_insert_one_u8, &r, NULL, &id));
    CHECK_OK(conf_reducer_insert_one_u8(conn, 123, 0));
    TICK_UNTIL(conn, r.calls == 1);
    CHECK(r.v == 123 && r.kind == STDB_EVENT_REDUCER);
    CHECK(r.info.status == STDB_STATUS_COMMITTED);
    CHECK(ct_identity_eq(&r.info.caller_identity, &cs.identity));
    CHECK(r.info.has_caller_connection_id && ct_cid_eq(&r.info.caller_connection_id, &cs.cid));
    CHECK(r.info.timestamp_us >= before - 60000000LL && r.info.timestamp_us <= ct_now_us() + 60000000LL);
    /* Removed: no more calls. */
    CHECK_OK(conf_remove_on_reducer(conn, id));
    CHECK_OK(conf_reducer_insert_one_u8(conn, 1, 0));
    ct_tick_for(conn, NULL, 500);
    CHECK(r.calls == 1);
    ct_close(conn, &cs);
}

/* ---- fail_reducer ---- */
typedef struct {
    int calls;
    int32_t status;
    char message[256];
} fail_t;
static void on_insert_pk_u8(void *ud, const stdb_connection *c, const stdb_event *e, const stdb_reducer_event *r,
                            uint8_t k, int32_t data) {
    fail_t *s = ud;
    stdb_reducer_info info;
    (void)c; (void)e; (void)k; (void)data;
    CHECK(stdb_reducer_event_info(r, &info));
    s->status = info.status;
    snprintf(s->message, sizeof s->message, "%.*s", (int)info.error_message.len, (const char *)info.error_message.data);
    s->calls++;
}
static void on_fail_with(void *ud, const stdb_connection *c, const stdb_event *e, const stdb_reducer_event *r,
                         const char *message) {
    fail_t *s = ud;
    stdb_reducer_info info;
    (void)c; (void)e;
    CHECK(stdb_reducer_event_info(r, &info));
    CHECK(strcmp(message, "no \xc3\xa9 good") == 0);
    s->status = info.status;
    snprintf(s->message, sizeof s->message, "%.*s", (int)info.error_message.len, (const char *)info.error_message.data);
    s->calls++;
}
static int pk_u8_changes;
static void pk_u8_any(void *ud, const stdb_connection *c, const stdb_event *e, const conf_PkU8 *row) {
    (void)ud; (void)c; (void)e; (void)row;
    pk_u8_changes++;
}
static void pk_u8_upd(void *ud, const stdb_connection *c, const stdb_event *e, const conf_PkU8 *o, const conf_PkU8 *n) {
    (void)ud; (void)c; (void)e; (void)o; (void)n;
    pk_u8_changes++;
}

static void case_fail_reducer(void) {
    ct_conn cs = ct_conn_init();
    stdb_connection *conn = ct_connect(conf_register, &cs);
    conf_db db;
    ct_sub sub;
    fail_t f, g;
    bool found = false;
    conf_PkU8 row;
    memset(&sub, 0, sizeof sub);
    memset(&f, 0, sizeof f);
    memset(&g, 0, sizeof g);
    CHECK_OK(conf_db_init(&db, conn));
    ct_subscribe1(conn, &sub, "SELECT * FROM pk_u8");
    CHECK_OK(conf_on_reducer_insert_pk_u8(conn, on_insert_pk_u8, &f, NULL, NULL));
    CHECK_OK(conf_reducer_insert_pk_u8(conn, 5, 50, 0));
    TICK_UNTIL(conn, f.calls == 1);
    CHECK(f.status == STDB_STATUS_COMMITTED && conf_pk_u8_count(&db) == 1);
    CHECK_OK(conf_pk_u8_on_insert(&db, pk_u8_any, NULL, NULL, NULL));
    CHECK_OK(conf_pk_u8_on_delete(&db, pk_u8_any, NULL, NULL, NULL));
    CHECK_OK(conf_pk_u8_on_update(&db, pk_u8_upd, NULL, NULL, NULL));
    /* The same primary key again: the module's insert fails. */
    CHECK_OK(conf_reducer_insert_pk_u8(conn, 5, 51, 0));
    TICK_UNTIL(conn, f.calls == 2);
    CHECK(f.status == STDB_STATUS_FAILED);
    CHECK(strlen(f.message) > 0);
    CHECK(conf_pk_u8_count(&db) == 1 && pk_u8_changes == 0);
    CHECK_OK(conf_pk_u8_find_by_k(&db, 5, &found, &row));
    CHECK(found && row.data == 50);
    /* A reducer returning Err: the message is the module's. */
    CHECK_OK(conf_on_reducer_fail_with(conn, on_fail_with, &g, NULL, NULL));
    CHECK_OK(conf_reducer_fail_with(conn, "no \xc3\xa9 good", 0));
    TICK_UNTIL(conn, g.calls == 1);
    CHECK(g.status == STDB_STATUS_FAILED && strcmp(g.message, "no \xc3\xa9 good") == 0);
    CHECK(conf_pk_u8_count(&db) == 1 && pk_u8_changes == 0);
    stdb_subscription_free(sub.handle);
    conf_db_free(&db);
    ct_close(conn, &cs);
}

/* ---- caller_always_notified ---- */
static int noop_calls;
static int32_t noop_status;
static void on_noop(void *ud, const stdb_connection *c, const stdb_event *e, const stdb_reducer_event *r) {
    stdb_reducer_info info;
    (void)ud; (void)c;
    CHECK(stdb_event_kind(e) == STDB_EVENT_REDUCER);
    CHECK(stdb_reducer_event_info(r, &info));
    noop_status = info.status;
    noop_calls++;
}
static void case_caller_always_notified(void) {
    ct_conn cs = ct_conn_init();
    stdb_connection *conn = ct_connect(conf_register, &cs);
    CHECK_OK(conf_on_reducer_no_op_succeeds(conn, on_noop, NULL, NULL, NULL));
    CHECK_OK(conf_reducer_no_op_succeeds(conn, STDB_CALL_FULL_UPDATE));
    TICK_UNTIL(conn, noop_calls == 1);
    CHECK(noop_status == STDB_STATUS_COMMITTED);
    ct_close(conn, &cs);
}

/* ---- light mode: Alice calls, Bob watches ---- */
static void case_alice_bob(void) {
    ct_conn ac = ct_conn_init(), bc = ct_conn_init();
    stdb_connection *alice, *bob;
    conf_db adb, bdb;
    ct_sub as, bs;
    red_u8_t ar, br;
    ct_seen bob_row, alice_row;
    memset(&as, 0, sizeof as); memset(&bs, 0, sizeof bs);
    memset(&ar, 0, sizeof ar); memset(&br, 0, sizeof br);
    memset(&bob_row, 0, sizeof bob_row); memset(&alice_row, 0, sizeof alice_row);
    ac.light = 1;
    bc.light = 1;
    alice = ct_connect(conf_register, &ac);
    bob = ct_connect(conf_register, &bc);
    CHECK(!ct_identity_eq(&ac.identity, &bc.identity));
    CHECK_OK(conf_db_init(&adb, alice));
    CHECK_OK(conf_db_init(&bdb, bob));
    ct_subscribe1(alice, &as, "SELECT * FROM one_u8");
    ct_subscribe1(bob, &bs, "SELECT * FROM one_u8");
    CHECK_OK(conf_on_reducer_insert_one_u8(alice, on_insert_one_u8, &ar, NULL, NULL));
    CHECK_OK(conf_on_reducer_insert_one_u8(bob, on_insert_one_u8, &br, NULL, NULL));
    CHECK_OK(conf_one_u8_on_insert(&adb, one_u8_ins, &alice_row, NULL, NULL));
    CHECK_OK(conf_one_u8_on_insert(&bdb, one_u8_ins, &bob_row, NULL, NULL));
    CHECK_OK(conf_reducer_insert_one_u8(alice, 77, 0));
    TICK_ALL_UNTIL(alice, bob, NULL, NULL, ar.calls == 1 && bob_row.count == 1 && alice_row.count == 1);
    ct_tick_for(alice, bob, 500);
    CHECK(ar.calls == 1 && ar.v == 77);
    CHECK(alice_row.kind == STDB_EVENT_REDUCER && alice_row.has_reducer);
    /* Bob gets the row, not the reducer call. */
    CHECK(br.calls == 0);
    CHECK(bob_row.kind == STDB_EVENT_UNKNOWN_TRANSACTION && !bob_row.has_reducer);
    CHECK(conf_one_u8_count(&bdb) == 1);
    stdb_subscription_free(as.handle);
    stdb_subscription_free(bs.handle);
    conf_db_free(&adb);
    conf_db_free(&bdb);
    ct_close(alice, &ac);
    ct_close(bob, &bc);
}

/* ---- NoSuccessNotify ---- */
static void case_no_success_notify(void) {
    ct_conn cs = ct_conn_init();
    stdb_connection *conn = ct_connect(conf_register, &cs);
    red_u8_t r;
    fail_t g;
    memset(&r, 0, sizeof r);
    memset(&g, 0, sizeof g);
    noop_calls = 0;
    CHECK_OK(conf_on_reducer_insert_one_u8(conn, on_insert_one_u8, &r, NULL, NULL));
    CHECK_OK(conf_on_reducer_no_op_succeeds(conn, on_noop, NULL, NULL, NULL));
    CHECK_OK(conf_on_reducer_fail_with(conn, on_fail_with, &g, NULL, NULL));
    CHECK_OK(conf_reducer_insert_one_u8(conn, 3, STDB_CALL_NO_SUCCESS_NOTIFY));
    /* The 1.2.0 server drops the failures of NoSuccessNotify calls too (protocol notes §4.4). A
     * FULL_UPDATE call after them is the marker that both were answered (or not) by then. */
    CHECK_OK(conf_reducer_fail_with(conn, "no \xc3\xa9 good", STDB_CALL_NO_SUCCESS_NOTIFY));
    CHECK_OK(conf_reducer_no_op_succeeds(conn, STDB_CALL_FULL_UPDATE));
    TICK_UNTIL(conn, noop_calls == 1);
    ct_tick_for(conn, NULL, 300);
    {
        int32_t protocol = 0;
        CHECK_OK(stdb_connection_protocol(conn, &protocol));
        if (protocol == STDB_PROTOCOL_V1) {
            CHECK(r.calls == 0 && g.calls == 0);
        } else {
            /* v2 has no NoSuccessNotify: the caller is told of every call. */
            CHECK(r.calls == 1 && g.calls == 1);
            r.calls = 0;
        }
    }
    /* The same call with FULL_UPDATE is reported. */
    CHECK_OK(conf_reducer_insert_one_u8(conn, 4, STDB_CALL_FULL_UPDATE));
    TICK_UNTIL(conn, r.calls == 1);
    CHECK(r.v == 4);
    /* Subscribed: the rows a NoSuccessNotify call changes still arrive. */
    {
        conf_db db;
        ct_sub sub;
        memset(&sub, 0, sizeof sub);
        CHECK_OK(conf_db_init(&db, conn));
        ct_subscribe1(conn, &sub, "SELECT * FROM one_u8");
        CHECK(conf_one_u8_count(&db) == 2);
        CHECK_OK(conf_reducer_insert_one_u8(conn, 5, STDB_CALL_NO_SUCCESS_NOTIFY));
        TICK_UNTIL(conn, conf_one_u8_count(&db) == 3);
        stdb_subscription_free(sub.handle);
        conf_db_free(&db);
    }
    ct_close(conn, &cs);
}

/* ---- reauth ---- */
static void case_reauth(void) {
    ct_conn first = ct_conn_init(), second = ct_conn_init();
    stdb_connection *conn = ct_connect(conf_register, &first);
    bool found = false;
    stdb_buffer tok;
    char token[4096];
    CHECK(strlen(first.token_out) > 0);
    CHECK_OK(stdb_credentials_save(S_KEY, strlen(S_KEY), first.token_out, strlen(first.token_out)));
    ct_close(conn, &first);
    memset(&tok, 0, sizeof tok);
    CHECK_OK(stdb_credentials_load(S_KEY, strlen(S_KEY), &found, &tok));
    CHECK(found && tok.len < sizeof token);
    memcpy(token, tok.data, tok.len);
    token[tok.len] = 0;
    stdb_buffer_free(&tok);
    second.token = token;
    conn = ct_connect(conf_register, &second);
    CHECK(ct_identity_eq(&first.identity, &second.identity));
    CHECK(!ct_cid_eq(&first.cid, &second.cid));
    ct_close(conn, &second);
    CHECK_OK(stdb_credentials_remove(S_KEY, strlen(S_KEY)));
    CHECK_OK(stdb_credentials_load(S_KEY, strlen(S_KEY), &found, &tok));
    CHECK(!found);
}

/* ---- reconnect with the same connection id ---- */
static void case_reconnect_same_cid(void) {
    ct_conn first = ct_conn_init(), second = ct_conn_init();
    stdb_connection *conn = ct_connect(conf_register, &first);
    stdb_connection_id cid;
    stdb_connection_id got;
    conf_db db;
    ct_sub sub;
    red_u8_t r;
    memset(&sub, 0, sizeof sub);
    memset(&r, 0, sizeof r);
    cid = first.cid;
    ct_close(conn, &first);
    second.token = first.token_out;
    second.connection_id = &cid;
    conn = ct_connect(conf_register, &second);
    CHECK(ct_identity_eq(&first.identity, &second.identity));
    {
        /* A 2.x server assigns connection ids itself: the client does not send the one it was
           given (the server calls the parameter internal), and reports the server's. */
        int32_t protocol = 0;
        CHECK_OK(stdb_connection_protocol(conn, &protocol));
        if (protocol != STDB_PROTOCOL_V1) {
            CHECK(!ct_cid_eq(&second.cid, &cid));
            cid = second.cid;
        }
    }
    CHECK(ct_cid_eq(&second.cid, &cid));
    CHECK_OK(stdb_connection_get_connection_id(conn, &got));
    CHECK(ct_cid_eq(&got, &cid));
    /* The connection works: subscribe, call, and the event names this connection id. */
    CHECK_OK(conf_db_init(&db, conn));
    ct_subscribe1(conn, &sub, "SELECT * FROM one_u8");
    CHECK_OK(conf_on_reducer_insert_one_u8(conn, on_insert_one_u8, &r, NULL, NULL));
    CHECK_OK(conf_reducer_insert_one_u8(conn, 9, 0));
    TICK_UNTIL(conn, r.calls == 1);
    CHECK(r.info.has_caller_connection_id && ct_cid_eq(&r.info.caller_connection_id, &cid));
    CHECK(conf_one_u8_count(&db) == 1);
    stdb_subscription_free(sub.handle);
    conf_db_free(&db);
    ct_close(conn, &second);
}

/* ---- compressions ---- */
static bool collect_u32(void *ud, const conf_VecU32 *row) {
    uint64_t *sum = ud;
    size_t i;
    for (i = 0; i < row->v.len; i++) *sum += row->v.data[i];
    return true;
}
static void case_compressions(void) {
    ct_conn c0 = ct_conn_init(), c1 = ct_conn_init(), c2 = ct_conn_init();
    stdb_connection *none, *brotli, *gzip;
    conf_db d0, d1, d2;
    ct_sub s0, s1, s2;
    static uint32_t big[4096];
    conf_vec_u32_ v;
    size_t i;
    uint64_t want = 0, g0 = 0, g1 = 0, g2 = 0;
    stdb_metrics m0, m1;
    memset(&s0, 0, sizeof s0); memset(&s1, 0, sizeof s1); memset(&s2, 0, sizeof s2);
    c0.compression = 0; c1.compression = 1; c2.compression = 2;
    none = ct_connect(conf_register, &c0);
    brotli = ct_connect(conf_register, &c1);
    gzip = ct_connect(conf_register, &c2);
    CHECK_OK(conf_db_init(&d0, none)); CHECK_OK(conf_db_init(&d1, brotli)); CHECK_OK(conf_db_init(&d2, gzip));
    ct_subscribe1(none, &s0, "SELECT * FROM vec_u32");
    ct_subscribe1(brotli, &s1, "SELECT * FROM vec_u32");
    ct_subscribe1(gzip, &s2, "SELECT * FROM vec_u32");
    /* A compressible row large enough for the server to compress it. */
    for (i = 0; i < 4096; i++) {
        big[i] = (uint32_t)(i % 7);
        want += big[i];
    }
    v.data = big;
    v.len = 4096;
    CHECK_OK(conf_reducer_insert_vec_u32(none, &v, 0));
    TICK_ALL_UNTIL(none, brotli, gzip, NULL,
                   conf_vec_u32_count(&d0) == 1 && conf_vec_u32_count(&d1) == 1 && conf_vec_u32_count(&d2) == 1);
    CHECK_OK(conf_vec_u32_iter(&d0, collect_u32, &g0));
    CHECK_OK(conf_vec_u32_iter(&d1, collect_u32, &g1));
    CHECK_OK(conf_vec_u32_iter(&d2, collect_u32, &g2));
    CHECK(g0 == want && g1 == want && g2 == want);
    /* Compression did happen on the compressed connections (received < decompressed). */
    CHECK_OK(stdb_connection_metrics(brotli, &m1));
    CHECK_OK(stdb_connection_metrics(none, &m0));
    CHECK(m1.bytes_received < m1.bytes_decompressed);
    /* Uncompressed: at most the one-byte compression tag per message differs. */
    CHECK(m0.bytes_received <= m0.bytes_decompressed + m0.messages_received &&
          m0.bytes_decompressed <= m0.bytes_received + m0.messages_received);
    CHECK_OK(stdb_connection_metrics(gzip, &m1));
    CHECK(m1.bytes_received < m1.bytes_decompressed);
    stdb_subscription_free(s0.handle); stdb_subscription_free(s1.handle); stdb_subscription_free(s2.handle);
    conf_db_free(&d0); conf_db_free(&d1); conf_db_free(&d2);
    ct_close(none, &c0); ct_close(brotli, &c1); ct_close(gzip, &c2);
}

/* ---- subscribe to all tables ---- */
static void case_subscribe_all(void) {
    ct_conn cs = ct_conn_init();
    stdb_connection *conn = ct_connect(conf_register, &cs);
    conf_db db;
    ct_sub sub;
    int seen_before = 0;
    memset(&sub, 0, sizeof sub);
    CHECK_OK(conf_db_init(&db, conn));
    /* Rows that exist before subscribing arrive with the subscription. */
    noop_calls = 0;
    CHECK_OK(conf_on_reducer_no_op_succeeds(conn, on_noop, NULL, NULL, NULL));
    CHECK_OK(conf_reducer_insert_one_u8(conn, 1, 0));
    CHECK_OK(conf_reducer_insert_unique_string(conn, "k", 2, 0));
    CHECK_OK(conf_reducer_insert_pk_u256(conn, &(conf_u256){{1, 2, 3, 4}}, 3, 0));
    CHECK_OK(conf_reducer_no_op_succeeds(conn, 0));
    TICK_UNTIL(conn, noop_calls == 1);
    CHECK(conf_one_u8_count(&db) == 0);
    {
        stdb_subscription_builder *b = stdb_subscription_builder_new(conn);
        CHECK_OK(stdb_subscription_builder_on_applied(b, ct_sub_applied, &sub, NULL));
        CHECK_OK(stdb_subscription_builder_on_error(b, ct_sub_error, &sub, NULL));
        CHECK_OK(stdb_subscription_builder_subscribe_all_tables(b, &sub.handle));
    }
    TICK_UNTIL(conn, sub.applied == 1);
    CHECK(conf_one_u8_count(&db) == 1 && conf_unique_string_count(&db) == 1 && conf_pk_u256_count(&db) == 1);
    seen_before = u8_rows;
    CHECK_OK(conf_one_u8_on_insert(&db, one_u8_ins, NULL, NULL, NULL));
    /* Later inserts in any table arrive too. */
    CHECK_OK(conf_reducer_insert_one_string(conn, "later", 0));
    CHECK_OK(conf_reducer_insert_one_u8(conn, 2, 0));
    TICK_UNTIL(conn, u8_rows == seen_before + 1 && conf_one_string_count(&db) == 1);
    CHECK(conf_one_u8_count(&db) == 2);
    stdb_subscription_free(sub.handle);
    conf_db_free(&db);
    ct_close(conn, &cs);
}

/* ---- two connections in one process ---- */
static void case_two_connections(void) {
    ct_conn ac = ct_conn_init(), bc = ct_conn_init();
    stdb_connection *a = ct_connect(conf_register, &ac);
    stdb_connection *b = ct_connect(conf_register, &bc);
    conf_db adb, bdb;
    ct_sub as, bs;
    red_u8_t ar, br;
    memset(&as, 0, sizeof as); memset(&bs, 0, sizeof bs);
    memset(&ar, 0, sizeof ar); memset(&br, 0, sizeof br);
    CHECK(!ct_identity_eq(&ac.identity, &bc.identity) && !ct_cid_eq(&ac.cid, &bc.cid));
    CHECK_OK(conf_db_init(&adb, a));
    CHECK_OK(conf_db_init(&bdb, b));
    /* Different subscriptions: each cache holds only its own tables. */
    ct_subscribe1(a, &as, "SELECT * FROM one_u8");
    ct_subscribe1(b, &bs, "SELECT * FROM one_u16");
    CHECK_OK(conf_on_reducer_insert_one_u8(a, on_insert_one_u8, &ar, NULL, NULL));
    CHECK_OK(conf_on_reducer_insert_one_u8(b, on_insert_one_u8, &br, NULL, NULL));
    CHECK_OK(conf_reducer_insert_one_u8(a, 1, 0));
    CHECK_OK(conf_reducer_insert_one_u16(b, 2, 0));
    TICK_ALL_UNTIL(a, b, NULL, NULL, conf_one_u8_count(&adb) == 1 && conf_one_u16_count(&bdb) == 1 && ar.calls == 1);
    ct_tick_for(a, b, 300);
    CHECK(conf_one_u16_count(&adb) == 0 && conf_one_u8_count(&bdb) == 0);
    /* B is told of A's call (full mode, subscribed? no: B does not subscribe one_u8, so nothing). */
    CHECK(br.calls == 0);
    CHECK(ct_identity_eq(&ar.info.caller_identity, &ac.identity));
    /* Closing A leaves B working. */
    stdb_subscription_free(as.handle);
    conf_db_free(&adb);
    ct_close(a, &ac);
    CHECK_OK(conf_reducer_insert_one_u16(b, 3, 0));
    TICK_UNTIL(b, conf_one_u16_count(&bdb) == 2);
    stdb_subscription_free(bs.handle);
    conf_db_free(&bdb);
    ct_close(b, &bc);
}

/* ---- connect errors ---- */
static void case_connect_errors(void) {
    ct_conn u = ct_conn_init(), t = ct_conn_init();
    stdb_connection *conn;
    char name[128];
    snprintf(name, sizeof name, "no-such-database-%ld", (long)ct_now_us());
    u.database = name;
    conn = ct_build(NULL, &u);
    TICK_UNTIL(conn, u.connect_error || u.connected);
    CHECK(!u.connected && u.connect_error);
    fprintf(stderr, "unknown database: kind %d status %u: %s\n", (int)u.error_kind, (unsigned)u.error_status, u.error_message);
    CHECK(u.error_kind == STDB_CONNECT_ERROR_HTTP_STATUS && u.error_status == 404);
    CHECK(strlen(u.error_message) > 0);
    CHECK(stdb_frame_tick(conn) == STDB_ERR_DISCONNECTED);
    CHECK(!stdb_connection_is_active(conn));
    stdb_connection_free(conn);

    t.token = "this-is-not-a-jwt";
    conn = ct_build(conf_register, &t);
    TICK_UNTIL(conn, t.connect_error || t.connected);
    CHECK(!t.connected && t.connect_error);
    fprintf(stderr, "bad token: kind %d status %u: %s\n", (int)t.error_kind, (unsigned)t.error_status, t.error_message);
    CHECK(t.error_kind == STDB_CONNECT_ERROR_HTTP_STATUS && (t.error_status == 401 || t.error_status == 400));
    CHECK(!t.disconnected);
    stdb_connection_free(conn);
}

int main(int argc, char **argv) {
    const char *c = argc > 1 ? argv[1] : "";
    if (!strcmp(c, "on_reducer")) case_on_reducer();
    else if (!strcmp(c, "fail_reducer")) case_fail_reducer();
    else if (!strcmp(c, "caller_always_notified")) case_caller_always_notified();
    else if (!strcmp(c, "caller_alice_receives_reducer_callback_but_not_bob")) case_alice_bob();
    else if (!strcmp(c, "no_success_notify")) case_no_success_notify();
    else if (!strcmp(c, "reauth")) case_reauth();
    else if (!strcmp(c, "reconnect_same_connection_id")) case_reconnect_same_cid();
    else if (!strcmp(c, "two_different_compression_algos")) case_compressions();
    else if (!strcmp(c, "subscribe_all_select_star")) case_subscribe_all();
    else if (!strcmp(c, "two_connections")) case_two_connections();
    else if (!strcmp(c, "connect_errors")) case_connect_errors();
    else {
        fprintf(stderr, "unknown case %s\n", c);
        return 2;
    }
    ct_pass(c);
    return 0;
}
