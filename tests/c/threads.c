/*
 * threads.c — calls from other threads while the main thread ticks: reducers are sent from a
 * worker thread at once, callbacks still run only on the ticking thread, and a second thread
 * trying to tick gets STDB_ERR_REENTRANT or STDB_OK, never a crash or a deadlock.
 */
#include "ctest.h"

#include <pthread.h>

#define CALLS 200

typedef struct {
    const stdb_connection *conn;
    int inserts;
    int worker_failures;
} shared_t;

static void *worker(void *arg) {
    shared_t *s = arg;
    int i;
    for (i = 0; i < CALLS; i++) {
        args_t a;
        a.len = 0;
        args_u32(&a, (uint32_t)i);
        args_i32(&a, i);
        if (stdb_connection_call_reducer(s->conn, S("insert_pk_u32"), a.data, a.len, STDB_CALL_FULL_UPDATE, NULL) != STDB_OK)
            __atomic_fetch_add(&s->worker_failures, 1, __ATOMIC_SEQ_CST);
        /* Reading the cache and trying to tick from here are allowed too. */
        (void)stdb_connection_is_active(s->conn);
        {
            stdb_result r = stdb_frame_tick(s->conn);
            if (r != STDB_OK && r != STDB_ERR_REENTRANT) __atomic_fetch_add(&s->worker_failures, 1, __ATOMIC_SEQ_CST);
        }
    }
    return NULL;
}

static void on_insert(void *ud, const stdb_connection *c, const stdb_event *e, const uint8_t *row, size_t len) {
    shared_t *s = ud;
    (void)c; (void)e; (void)row; (void)len;
    /* The worker may win the tick sometimes; callbacks then run there, on the ticking thread. */
    __atomic_fetch_add(&s->inserts, 1, __ATOMIC_SEQ_CST);
}

static void on_applied(void *ud, const stdb_connection *c, const stdb_event *e) {
    (void)c; (void)e;
    *(int *)ud = 1;
}

int main(void) {
    const char *db = ct_env("STDB_DATABASE");
    ct_conn cs;
    shared_t s;
    stdb_connection *conn;
    stdb_table *t;
    stdb_subscription *sub;
    stdb_subscription_builder *sb;
    stdb_bytes q = {(const uint8_t *)"SELECT * FROM pk_u32", 20};
    pthread_t th;
    int applied = 0, i;
    cs = ct_conn_init();
    memset(&s, 0, sizeof s);
    conn = ct_connect_to(db, &cs);
    s.conn = conn;
    CHECK_OK(stdb_connection_table(conn, S("pk_u32"), &t));
    CHECK_OK(stdb_table_on_insert(t, on_insert, &s, NULL, NULL));
    sb = stdb_subscription_builder_new(conn);
    CHECK_OK(stdb_subscription_builder_on_applied(sb, on_applied, &applied, NULL));
    CHECK_OK(stdb_subscription_builder_subscribe(sb, &q, 1, &sub));
    ct_tick_until(conn, &applied);

    CHECK(pthread_create(&th, NULL, worker, &s) == 0);
    for (i = 0; i < 30000 && __atomic_load_n(&s.inserts, __ATOMIC_SEQ_CST) < CALLS; i++) {
        stdb_result r = stdb_frame_tick(conn);
        CHECK(r == STDB_OK || r == STDB_ERR_REENTRANT);
        ct_sleep_ms(1);
    }
    CHECK(pthread_join(th, NULL) == 0);
    CHECK(s.worker_failures == 0);
    CHECK(s.inserts == CALLS);
    CHECK(stdb_table_count(t) == CALLS);

    CHECK_OK(stdb_connection_disconnect(conn));
    ct_tick_until(conn, &cs.disconnected);
    stdb_subscription_free(sub);
    stdb_table_free(t);
    stdb_connection_free(conn);
    ct_pass("threads");
    return 0;
}
