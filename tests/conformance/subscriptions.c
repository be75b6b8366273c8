/* subscriptions.c — subscription lifecycle, row deduplication across overlapping queries and joins
 * (bag multiplicities), parameterized and RLS queries, and the cases beyond the official list:
 * btree range queries checked against the server's SQL (one-off queries), one-off queries (rows
 * and errors), ten subscriptions added and removed in random order with exact counts.
 */
// conformance-cases: subscribe_and_cancel subscribe_and_unsubscribe subscription_error_smoke_test row_deduplication row_deduplication_join_r_and_s row_deduplication_r_join_s_and_r_join_t overlapping_subscriptions test_lhs_join_update test_intra_query_bag_semantics_for_join test_parameterized_subscription test_rls_subscription btree_range_vs_sql one_off_queries ten_subscriptions_random_order
#include "conf.h"
#include "ctest.h"

static stdb_connection *conn;
static ct_conn cs;
static conf_db db;

/* ---- pk_u32 callbacks counting everything ---- */
static int pk_ins, pk_del, pk_upd;
static int32_t pk_last_old, pk_last_new;
static void pk_on_ins(void *ud, const stdb_connection *c, const stdb_event *e, const conf_PkU32 *row) {
    (void)ud; (void)c; (void)e; (void)row;
    pk_ins++;
}
static void pk_on_del(void *ud, const stdb_connection *c, const stdb_event *e, const conf_PkU32 *row) {
    (void)ud; (void)c; (void)e; (void)row;
    pk_del++;
}
static void pk_on_upd(void *ud, const stdb_connection *c, const stdb_event *e, const conf_PkU32 *o, const conf_PkU32 *n) {
    (void)ud; (void)c; (void)e;
    CHECK(o->k == n->k);
    pk_last_old = o->data;
    pk_last_new = n->data;
    pk_upd++;
}
static void watch_pk(void) {
    CHECK_OK(conf_pk_u32_on_insert(&db, pk_on_ins, NULL, NULL, NULL));
    CHECK_OK(conf_pk_u32_on_delete(&db, pk_on_del, NULL, NULL, NULL));
    CHECK_OK(conf_pk_u32_on_update(&db, pk_on_upd, NULL, NULL, NULL));
}

/* A marker round trip: after it, every earlier call's effects have been applied. */
static int marks;
static void on_mark(void *ud, const stdb_connection *c, const stdb_event *e, const stdb_reducer_event *r) {
    (void)ud; (void)c; (void)e; (void)r;
    marks++;
}
static void sync_server(void) {
    int want = marks + 1;
    CHECK_OK(conf_reducer_no_op_succeeds(conn, 0));
    TICK_UNTIL(conn, marks >= want);
}

static void case_subscribe_and_cancel(void) {
    ct_sub s;
    memset(&s, 0, sizeof s);
    CHECK_OK(conf_reducer_insert_one_u8(conn, 1, 0));
    sync_server();
    ct_subscribe_start(conn, &s, (const char *const[]){"SELECT * FROM one_u8"}, 1);
    CHECK(stdb_subscription_state(s.handle) == STDB_SUBSCRIPTION_PENDING);
    CHECK_OK(stdb_subscription_unsubscribe_then(s.handle, ct_sub_ended, &s, NULL));
    TICK_UNTIL(conn, s.ended == 1);
    ct_tick_for(conn, NULL, 500);
    CHECK(s.applied == 0 && s.errors == 0 && s.ended == 1);
    CHECK(stdb_subscription_state(s.handle) == STDB_SUBSCRIPTION_ENDED);
    CHECK(conf_one_u8_count(&db) == 0);
    CHECK(stdb_subscription_unsubscribe(s.handle) == STDB_ERR_INVALID_STATE);
    stdb_subscription_free(s.handle);
}

static int u8_del;
static void u8_on_del(void *ud, const stdb_connection *c, const stdb_event *e, const conf_OneU8 *row) {
    (void)ud; (void)c;
    CHECK(row->v == 1);
    CHECK(stdb_event_kind(e) == STDB_EVENT_UNSUBSCRIBE_APPLIED);
    u8_del++;
}
static void case_subscribe_and_unsubscribe(void) {
    ct_sub s;
    memset(&s, 0, sizeof s);
    CHECK_OK(conf_reducer_insert_one_u8(conn, 1, 0));
    sync_server();
    ct_subscribe1(conn, &s, "SELECT * FROM one_u8");
    CHECK(conf_one_u8_count(&db) == 1);
    CHECK_OK(conf_one_u8_on_delete(&db, u8_on_del, NULL, NULL, NULL));
    CHECK_OK(stdb_subscription_unsubscribe_then(s.handle, ct_sub_ended, &s, NULL));
    CHECK(stdb_subscription_state(s.handle) == STDB_SUBSCRIPTION_UNSUBSCRIBING);
    TICK_UNTIL(conn, s.ended == 1);
    CHECK(stdb_subscription_state(s.handle) == STDB_SUBSCRIPTION_ENDED);
    CHECK(conf_one_u8_count(&db) == 0 && u8_del == 1);
    CHECK(stdb_subscription_unsubscribe(s.handle) == STDB_ERR_INVALID_STATE);
    stdb_subscription_free(s.handle);
}

static void case_subscription_error(void) {
    ct_sub s;
    memset(&s, 0, sizeof s);
    ct_subscribe_start(conn, &s, (const char *const[]){"SELEcCT * FROM one_u8"}, 1);
    TICK_UNTIL(conn, s.errors == 1);
    ct_tick_for(conn, NULL, 300);
    CHECK(s.applied == 0 && strlen(s.error) > 0);
    fprintf(stderr, "subscription error (expected): %s\n", s.error);
    CHECK(stdb_subscription_state(s.handle) == STDB_SUBSCRIPTION_ENDED);
    stdb_subscription_free(s.handle);
    /* An unknown table errors too; the connection stays usable. */
    memset(&s, 0, sizeof s);
    ct_subscribe_start(conn, &s, (const char *const[]){"SELECT * FROM no_such_table"}, 1);
    TICK_UNTIL(conn, s.errors == 1);
    CHECK(s.applied == 0);
    stdb_subscription_free(s.handle);
    CHECK(stdb_connection_is_active(conn));
    sync_server();
}

static void case_row_dedup(void) {
    ct_sub s;
    memset(&s, 0, sizeof s);
    watch_pk();
    ct_subscribe(conn, &s, (const char *const[]){"SELECT * FROM pk_u32 WHERE k < 100", "SELECT * FROM pk_u32 WHERE k > 0"}, 2);
    CHECK_OK(conf_reducer_insert_pk_u32(conn, 42, 1, 0));
    sync_server();
    CHECK(pk_ins == 1 && conf_pk_u32_count(&db) == 1);
    CHECK_OK(conf_reducer_update_pk_u32(conn, 42, 2, 0));
    sync_server();
    CHECK(pk_upd == 1 && pk_ins == 1 && pk_del == 0 && pk_last_old == 1 && pk_last_new == 2);
    CHECK_OK(conf_reducer_delete_pk_u32(conn, 42, 0));
    sync_server();
    CHECK(pk_del == 1 && conf_pk_u32_count(&db) == 0);
    stdb_subscription_free(s.handle);
}

static void case_dedup_join_r_and_s(void) {
    ct_sub s;
    memset(&s, 0, sizeof s);
    watch_pk();
    ct_subscribe(conn, &s, (const char *const[]){"SELECT * FROM pk_u32",
                                                 "SELECT pk_u32.* FROM pk_u32 JOIN unique_u32 ON pk_u32.k = unique_u32.k"}, 2);
    CHECK_OK(conf_reducer_insert_unique_u32(conn, 42, 0, 0));
    CHECK_OK(conf_reducer_insert_pk_u32(conn, 42, 1, 0));
    sync_server();
    CHECK(pk_ins == 1 && conf_pk_u32_count(&db) == 1);
    /* Only the join stops matching: the row stays (the first query still holds it). */
    CHECK_OK(conf_reducer_delete_unique_u32(conn, 42, 0));
    sync_server();
    CHECK(pk_del == 0 && conf_pk_u32_count(&db) == 1);
    CHECK_OK(conf_reducer_delete_pk_u32(conn, 42, 0));
    sync_server();
    CHECK(pk_ins == 1 && pk_del == 1 && conf_pk_u32_count(&db) == 0);
    stdb_subscription_free(s.handle);
}

static void case_dedup_r_join_s_and_r_join_t(void) {
    ct_sub s;
    memset(&s, 0, sizeof s);
    watch_pk();
    ct_subscribe(conn, &s, (const char *const[]){"SELECT pk_u32.* FROM pk_u32 JOIN unique_u32 ON pk_u32.k = unique_u32.k",
                                                 "SELECT pk_u32.* FROM pk_u32 JOIN btree_u32 ON pk_u32.k = btree_u32.n"}, 2);
    CHECK_OK(conf_reducer_insert_pk_u32(conn, 7, 1, 0));
    sync_server();
    CHECK(pk_ins == 0 && conf_pk_u32_count(&db) == 0);
    CHECK_OK(conf_reducer_insert_unique_u32(conn, 7, 0, 0));
    CHECK_OK(conf_reducer_insert_btree_u32(conn, 7, 0, 0));
    sync_server();
    CHECK(pk_ins == 1 && conf_pk_u32_count(&db) == 1);
    CHECK_OK(conf_reducer_delete_unique_u32(conn, 7, 0));
    sync_server();
    CHECK(pk_del == 0 && conf_pk_u32_count(&db) == 1);
    CHECK_OK(conf_reducer_delete_btree_u32(conn, 7, 0, 0));
    sync_server();
    CHECK(pk_ins == 1 && pk_del == 1 && conf_pk_u32_count(&db) == 0);
    stdb_subscription_free(s.handle);
}

static void case_overlapping(void) {
    ct_sub a, b;
    memset(&a, 0, sizeof a);
    memset(&b, 0, sizeof b);
    watch_pk();
    CHECK_OK(conf_reducer_insert_pk_u32(conn, 5, 1, 0));
    CHECK_OK(conf_reducer_insert_pk_u32(conn, 50, 1, 0));
    sync_server();
    ct_subscribe1(conn, &a, "SELECT * FROM pk_u32 WHERE k < 10");
    CHECK(pk_ins == 1 && conf_pk_u32_count(&db) == 1);
    ct_subscribe1(conn, &b, "SELECT * FROM pk_u32");
    CHECK(pk_ins == 2 && conf_pk_u32_count(&db) == 2);
    /* Removing the broad one removes only the row the narrow one does not hold. */
    ct_unsubscribe(conn, &b);
    CHECK(pk_del == 1 && conf_pk_u32_count(&db) == 1);
    {
        bool found = false;
        conf_PkU32 row;
        CHECK_OK(conf_pk_u32_find_by_k(&db, 5, &found, &row));
        CHECK(found);
        CHECK_OK(conf_pk_u32_find_by_k(&db, 50, &found, &row));
        CHECK(!found);
    }
    ct_unsubscribe(conn, &a);
    CHECK(pk_del == 2 && pk_ins == 2 && conf_pk_u32_count(&db) == 0);
    stdb_subscription_free(a.handle);
    stdb_subscription_free(b.handle);
}

static void case_lhs_join_update(void) {
    ct_sub s;
    memset(&s, 0, sizeof s);
    watch_pk();
    ct_subscribe(conn, &s, (const char *const[]){"SELECT * FROM pk_u32 WHERE k = 1",
                                                 "SELECT pk_u32.* FROM pk_u32 JOIN unique_u32 ON pk_u32.k = unique_u32.k WHERE unique_u32.data > 0"}, 2);
    CHECK_OK(conf_reducer_insert_pk_u32(conn, 1, 0, 0));
    CHECK_OK(conf_reducer_insert_pk_u32(conn, 2, 0, 0));
    CHECK_OK(conf_reducer_insert_unique_u32(conn, 1, 3, 0));
    CHECK_OK(conf_reducer_insert_unique_u32(conn, 2, 4, 0));
    sync_server();
    CHECK(pk_ins == 2 && conf_pk_u32_count(&db) == 2);
    /* Updating the left-hand row of the join: one update, whether one or two queries hold it. */
    CHECK_OK(conf_reducer_update_pk_u32(conn, 1, 10, 0));
    sync_server();
    CHECK(pk_upd == 1 && pk_last_old == 0 && pk_last_new == 10 && pk_ins == 2 && pk_del == 0);
    CHECK_OK(conf_reducer_update_pk_u32(conn, 2, 20, 0));
    sync_server();
    CHECK(pk_upd == 2 && pk_last_old == 0 && pk_last_new == 20 && pk_ins == 2 && pk_del == 0);
    CHECK(conf_pk_u32_count(&db) == 2);
    /* The join stops matching row 2 (data no longer > 0): it leaves; row 1 stays (k = 1). */
    CHECK_OK(conf_reducer_update_unique_u32(conn, 2, 0, 0));
    CHECK_OK(conf_reducer_update_unique_u32(conn, 1, 0, 0));
    sync_server();
    CHECK(pk_del == 1 && conf_pk_u32_count(&db) == 1);
    stdb_subscription_free(s.handle);
}

static void case_bag_semantics(void) {
    ct_sub s;
    memset(&s, 0, sizeof s);
    watch_pk();
    ct_subscribe1(conn, &s, "SELECT pk_u32.* FROM pk_u32 JOIN btree_u32 ON pk_u32.k = btree_u32.n");
    CHECK_OK(conf_reducer_insert_pk_u32(conn, 7, 70, 0));
    CHECK_OK(conf_reducer_insert_btree_u32(conn, 7, 1, 0));
    CHECK_OK(conf_reducer_insert_btree_u32(conn, 7, 2, 0));
    sync_server();
    /* The row matches twice (multiplicity 2): one callback, one cached row. */
    CHECK(pk_ins == 1 && conf_pk_u32_count(&db) == 1);
    CHECK_OK(conf_reducer_delete_btree_u32(conn, 7, 1, 0));
    sync_server();
    CHECK(pk_del == 0 && conf_pk_u32_count(&db) == 1);
    CHECK_OK(conf_reducer_insert_btree_u32(conn, 7, 3, 0));
    sync_server();
    CHECK(pk_ins == 1 && conf_pk_u32_count(&db) == 1);
    CHECK_OK(conf_reducer_delete_btree_u32(conn, 7, 2, 0));
    CHECK_OK(conf_reducer_delete_btree_u32(conn, 7, 3, 0));
    sync_server();
    CHECK(pk_del == 1 && pk_ins == 1 && conf_pk_u32_count(&db) == 0);
    stdb_subscription_free(s.handle);
}

/* Two clients; each sees only its own rows. */
static bool users_visit(void *ud, const conf_Users *row) {
    int *n = ud;
    CHECK(ct_identity_eq(&row->identity, &cs.identity));
    (*n)++;
    return true;
}
static void case_param_or_rls(int rls) {
    ct_conn oc = ct_conn_init();
    stdb_connection *other = ct_connect(conf_register, &oc);
    conf_db odb;
    ct_sub s, os;
    int n = 0;
    memset(&s, 0, sizeof s);
    memset(&os, 0, sizeof os);
    CHECK_OK(conf_db_init(&odb, other));
    if (rls) {
        CHECK_OK(conf_reducer_insert_user(conn, "me", 0));
        CHECK_OK(conf_reducer_insert_user(other, "other", 0));
    } else {
        CHECK_OK(conf_reducer_insert_pk_identity(conn, &cs.identity, 1, 0));
        CHECK_OK(conf_reducer_insert_pk_identity(other, &oc.identity, 2, 0));
    }
    /* The other's call has been applied once its reducer event came back; sync ours. */
    {
        int want = marks + 1;
        CHECK_OK(conf_on_reducer_no_op_succeeds(other, on_mark, NULL, NULL, NULL));
        CHECK_OK(conf_reducer_no_op_succeeds(other, 0));
        TICK_ALL_UNTIL(conn, other, NULL, NULL, marks >= want);
    }
    sync_server();
    if (rls) {
        ct_subscribe1(conn, &s, "SELECT * FROM users");
        ct_subscribe1(other, &os, "SELECT * FROM users");
        CHECK(conf_users_count(&db) == 1 && conf_users_count(&odb) == 1);
        CHECK_OK(conf_users_iter(&db, users_visit, &n));
        CHECK(n == 1);
        {
            bool found = false;
            conf_Users u;
            CHECK_OK(conf_users_find_by_identity(&odb, &oc.identity, &found, &u));
            CHECK(found && strcmp(u.name.data, "other") == 0);
            conf_Users_free(&u);
            CHECK_OK(conf_users_find_by_identity(&odb, &cs.identity, &found, &u));
            CHECK(!found);
        }
    } else {
        bool found = false;
        conf_PkIdentity row;
        ct_subscribe1(conn, &s, "SELECT * FROM pk_identity WHERE k = :sender");
        ct_subscribe1(other, &os, "SELECT * FROM pk_identity WHERE k = :sender");
        CHECK(conf_pk_identity_count(&db) == 1 && conf_pk_identity_count(&odb) == 1);
        CHECK_OK(conf_pk_identity_find_by_k(&db, &cs.identity, &found, &row));
        CHECK(found && row.data == 1);
        CHECK_OK(conf_pk_identity_find_by_k(&odb, &oc.identity, &found, &row));
        CHECK(found && row.data == 2);
        CHECK_OK(conf_pk_identity_find_by_k(&odb, &cs.identity, &found, &row));
        CHECK(!found);
        /* A later row for the other identity reaches only the other client. */
        CHECK_OK(conf_reducer_update_pk_identity(other, &oc.identity, 3, 0));
        TICK_ALL_UNTIL(conn, other, NULL, NULL, conf_pk_identity_find_by_k(&odb, &oc.identity, &found, &row) == 0 && found && row.data == 3);
        sync_server();
        CHECK(conf_pk_identity_count(&db) == 1);
    }
    stdb_subscription_free(s.handle);
    stdb_subscription_free(os.handle);
    conf_db_free(&odb);
    ct_close(other, &oc);
}

/* ---- one-off queries ---- */
typedef struct {
    int done;
    char error[512];
    size_t n;
    conf_BtreeU32 rows[512];
    char table[64];
} oneoff_t;
static void on_oneoff(void *ud, const stdb_connection *c, const char *error, size_t error_len, const stdb_row_list *rows) {
    oneoff_t *o = ud;
    size_t i;
    (void)c;
    if (error) {
        CHECK(rows == NULL);
        snprintf(o->error, sizeof o->error, "%.*s", (int)error_len, error);
    } else {
        stdb_bytes t = stdb_row_list_table_name(rows);
        snprintf(o->table, sizeof o->table, "%.*s", (int)t.len, (const char *)t.data);
        o->n = stdb_row_list_len(rows);
        CHECK(o->n <= 512);
        for (i = 0; i < o->n; i++) {
            const uint8_t *d;
            size_t len;
            CHECK_OK(stdb_row_list_get(rows, i, &d, &len));
            CHECK_OK(conf_BtreeU32_from_bsatn(d, len, &o->rows[i]));
        }
    }
    o->done = 1;
}
static void one_off(const char *sql, oneoff_t *o) {
    memset(o, 0, sizeof *o);
    CHECK_OK(stdb_connection_one_off_query(conn, sql, strlen(sql), on_oneoff, o, NULL));
    TICK_UNTIL(conn, o->done);
}

static int cmp_rows(const void *a, const void *b) {
    const conf_BtreeU32 *x = a, *y = b;
    if (x->n != y->n) return x->n < y->n ? -1 : 1;
    return x->data < y->data ? -1 : x->data > y->data;
}

static unsigned rng_state;
static unsigned rnd(unsigned n) {
    rng_state = rng_state * 1103515245u + 12345u;
    return (rng_state >> 8) % n;
}

static void fill_btree(int rows, unsigned max_n) {
    int i;
    for (i = 0; i < rows; i++) CHECK_OK(conf_reducer_insert_btree_u32(conn, rnd(max_n), i, 0));
    sync_server();
}

static void case_btree_range_vs_sql(void) {
    ct_sub s;
    int t;
    memset(&s, 0, sizeof s);
    rng_state = (unsigned)ct_now_us();
    fprintf(stderr, "seed %u\n", rng_state);
    ct_subscribe1(conn, &s, "SELECT * FROM btree_u32");
    fill_btree(200, 40);
    CHECK(conf_btree_u32_count(&db) == 200);
    for (t = 0; t < 40; t++) {
        conf_bound_u32 lo, hi;
        conf_vec_BtreeU32 got;
        oneoff_t want;
        char sql[256], where[160];
        size_t i;
        lo.kind = (int32_t)rnd(3);
        hi.kind = (int32_t)rnd(3);
        lo.value = rnd(45);
        hi.value = rnd(45);
        where[0] = 0;
        if (lo.kind != STDB_BOUND_UNBOUNDED)
            snprintf(where, sizeof where, "n %s %u", lo.kind == STDB_BOUND_INCLUDED ? ">=" : ">", lo.value);
        if (hi.kind != STDB_BOUND_UNBOUNDED) {
            size_t l = strlen(where);
            snprintf(where + l, sizeof where - l, "%sn %s %u", l ? " AND " : "", hi.kind == STDB_BOUND_INCLUDED ? "<=" : "<",
                     hi.value);
        }
        snprintf(sql, sizeof sql, "SELECT * FROM btree_u32%s%s", where[0] ? " WHERE " : "", where);
        one_off(sql, &want);
        if (want.error[0]) fprintf(stderr, "%s: %s\n", sql, want.error);
        CHECK(!want.error[0]);
        CHECK(strcmp(want.table, "btree_u32") == 0);
        CHECK_OK(conf_btree_u32_n_range(&db, &lo, &hi, &got));
        if (got.len != want.n) fprintf(stderr, "%s: cache %zu rows, server %zu\n", sql, got.len, want.n);
        CHECK(got.len == want.n);
        /* Index order: n non-decreasing. */
        for (i = 1; i < got.len; i++) CHECK(got.data[i - 1].n <= got.data[i].n);
        if (got.len) qsort(got.data, got.len, sizeof got.data[0], cmp_rows);
        qsort(want.rows, want.n, sizeof want.rows[0], cmp_rows);
        for (i = 0; i < got.len; i++) CHECK(got.data[i].n == want.rows[i].n && got.data[i].data == want.rows[i].data);
        conf_vec_BtreeU32_free(&got);
        /* Exact match through the index's filter. */
        snprintf(sql, sizeof sql, "SELECT * FROM btree_u32 WHERE n = %u", lo.value);
        one_off(sql, &want);
        CHECK_OK(conf_btree_u32_n_filter(&db, lo.value, &got));
        CHECK(got.len == want.n);
        conf_vec_BtreeU32_free(&got);
    }
    stdb_subscription_free(s.handle);
}

static void case_one_off_queries(void) {
    oneoff_t o;
    int i;
    for (i = 0; i < 5; i++) CHECK_OK(conf_reducer_insert_btree_u32(conn, (uint32_t)i, -i, 0));
    sync_server();
    one_off("SELECT * FROM btree_u32 WHERE n >= 2", &o);
    CHECK(!o.error[0] && o.n == 3);
    qsort(o.rows, o.n, sizeof o.rows[0], cmp_rows);
    CHECK(o.rows[0].n == 2 && o.rows[0].data == -2 && o.rows[2].n == 4 && o.rows[2].data == -4);
    /* The cache is untouched (no subscription). */
    CHECK(conf_btree_u32_count(&db) == 0);
    one_off("SELECT * FROM btree_u32 WHERE n > 100", &o);
    CHECK(!o.error[0] && o.n == 0);
    one_off("SELEKT nonsense", &o);
    CHECK(o.error[0] != 0);
    fprintf(stderr, "one-off error (expected): %s\n", o.error);
    one_off("SELECT * FROM no_such_table", &o);
    CHECK(o.error[0] != 0);
    /* Still connected and answering. */
    one_off("SELECT * FROM btree_u32", &o);
    CHECK(!o.error[0] && o.n == 5);
}

/* ---- ten subscriptions ---- */
static int bt_ins, bt_del;
static void bt_on_ins(void *ud, const stdb_connection *c, const stdb_event *e, const conf_BtreeU32 *row) {
    (void)ud; (void)c; (void)e; (void)row;
    bt_ins++;
}
static void bt_on_del(void *ud, const stdb_connection *c, const stdb_event *e, const conf_BtreeU32 *row) {
    (void)ud; (void)c; (void)e; (void)row;
    bt_del++;
}
static void case_ten_subscriptions(void) {
    enum { N = 10, ROWS = 80 };
    ct_sub subs[N];
    char queries[N][128];
    int active[N], order[2 * N], i, j;
    rng_state = (unsigned)ct_now_us();
    fprintf(stderr, "seed %u\n", rng_state);
    memset(subs, 0, sizeof subs);
    memset(active, 0, sizeof active);
    /* Rows n = 0..79 (one each); query i holds n in [6i, 6i + 15): overlapping windows. */
    for (i = 0; i < ROWS; i++) CHECK_OK(conf_reducer_insert_btree_u32(conn, (uint32_t)i, i, 0));
    sync_server();
    for (i = 0; i < N; i++) snprintf(queries[i], sizeof queries[i], "SELECT * FROM btree_u32 WHERE n >= %d AND n < %d", 6 * i, 6 * i + 15);
    CHECK_OK(conf_btree_u32_on_insert(&db, bt_on_ins, NULL, NULL, NULL));
    CHECK_OK(conf_btree_u32_on_delete(&db, bt_on_del, NULL, NULL, NULL));
    /* A random interleaving: each query added once, then removed once, later. */
    for (i = 0; i < N; i++) {
        order[2 * i] = i;
        order[2 * i + 1] = i + N;
    }
    for (i = 2 * N - 1; i > 0; i--) {
        int k = (int)rnd((unsigned)i + 1), tmp = order[i];
        order[i] = order[k];
        order[k] = tmp;
    }
    /* Make every removal come after its addition: swap pairs that are out of order. */
    for (i = 0; i < 2 * N; i++)
        for (j = i + 1; j < 2 * N; j++)
            if (order[i] >= N && order[j] == order[i] - N) {
                int tmp = order[i];
                order[i] = order[j];
                order[j] = tmp;
            }
    for (i = 0; i < 2 * N; i++) {
        int q = order[i] % N, adding = order[i] < N, before = (int)conf_btree_u32_count(&db);
        int ins0 = bt_ins, del0 = bt_del, expected = 0, n;
        if (adding) {
            const char *qq = queries[q];
            ct_subscribe(conn, &subs[q], &qq, 1);
            active[q] = 1;
        } else {
            ct_unsubscribe(conn, &subs[q]);
            active[q] = 0;
        }
        for (n = 0; n < ROWS; n++) {
            int k, held = 0;
            for (k = 0; k < N; k++)
                if (active[k] && n >= 6 * k && n < 6 * k + 15) held = 1;
            expected += held;
        }
        if ((int)conf_btree_u32_count(&db) != expected)
            fprintf(stderr, "step %d (%s %d): %d rows cached, %d expected\n", i, adding ? "add" : "remove", q,
                    (int)conf_btree_u32_count(&db), expected);
        CHECK((int)conf_btree_u32_count(&db) == expected);
        /* Callbacks report exactly the change. */
        CHECK(bt_ins - ins0 == (adding ? expected - before : 0));
        CHECK(bt_del - del0 == (adding ? 0 : before - expected));
    }
    CHECK(conf_btree_u32_count(&db) == 0 && bt_ins == bt_del);
    for (i = 0; i < N; i++) stdb_subscription_free(subs[i].handle);
}

int main(int argc, char **argv) {
    const char *c = argc > 1 ? argv[1] : "";
    cs = ct_conn_init();
    conn = ct_connect(conf_register, &cs);
    CHECK_OK(conf_db_init(&db, conn));
    CHECK_OK(conf_on_reducer_no_op_succeeds(conn, on_mark, NULL, NULL, NULL));
    if (!strcmp(c, "subscribe_and_cancel")) case_subscribe_and_cancel();
    else if (!strcmp(c, "subscribe_and_unsubscribe")) case_subscribe_and_unsubscribe();
    else if (!strcmp(c, "subscription_error_smoke_test")) case_subscription_error();
    else if (!strcmp(c, "row_deduplication")) case_row_dedup();
    else if (!strcmp(c, "row_deduplication_join_r_and_s")) case_dedup_join_r_and_s();
    else if (!strcmp(c, "row_deduplication_r_join_s_and_r_join_t")) case_dedup_r_join_s_and_r_join_t();
    else if (!strcmp(c, "overlapping_subscriptions")) case_overlapping();
    else if (!strcmp(c, "test_lhs_join_update")) case_lhs_join_update();
    else if (!strcmp(c, "test_intra_query_bag_semantics_for_join")) case_bag_semantics();
    else if (!strcmp(c, "test_parameterized_subscription")) case_param_or_rls(0);
    else if (!strcmp(c, "test_rls_subscription")) case_param_or_rls(1);
    else if (!strcmp(c, "btree_range_vs_sql")) case_btree_range_vs_sql();
    else if (!strcmp(c, "one_off_queries")) case_one_off_queries();
    else if (!strcmp(c, "ten_subscriptions_random_order")) case_ten_subscriptions();
    else {
        fprintf(stderr, "unknown case %s\n", c);
        return 2;
    }
    conf_db_free(&db);
    ct_close(conn, &cs);
    ct_pass(c);
    return 0;
}
