/*
 * event_tables.c — the official 2.x SDK's event-table cases (sdk-test-event-table), in C, against
 * the 2.8.3 server (module tests/modules-2x/conformance-2x):
 * event_table: an event row reaches on_insert with its reducer event and is never cached.
 * multiple_events: three events of one transaction arrive as three inserts.
 * events_dont_persist: a later transaction brings no stale events.
 * v1_rejects_event_table: over protocol v1 the server refuses the subscription, saying why.
 */
// conformance-module: conformance-2x
// conformance-servers: v2_8
// conformance-cases: event_table multiple_events events_dont_persist v1_rejects_event_table
#include "conf2.h"
#include "ctest.h"

typedef struct {
    int inserts;
    uint64_t last_value;
    char last_name[32];
    int32_t kind;
    char reducer[64];
} events_t;

static void on_event(void *ud, const stdb_connection *c, const stdb_event *e, const conf2_TestEvent *row) {
    events_t *s = ud;
    const stdb_reducer_event *r = stdb_event_reducer(e);
    stdb_reducer_info info;
    (void)c;
    s->inserts++;
    s->last_value = row->value;
    snprintf(s->last_name, sizeof s->last_name, "%s", row->name.data);
    s->kind = stdb_event_kind(e);
    if (r && stdb_reducer_event_info(r, &info))
        snprintf(s->reducer, sizeof s->reducer, "%.*s", (int)info.reducer_name.len, (const char *)info.reducer_name.data);
}

static void raw_row(void *ud, const stdb_connection *c, const stdb_event *e, const uint8_t *row, size_t len) {
    (void)ud; (void)c; (void)e; (void)row; (void)len;
}

static stdb_connection *subscribed(ct_conn *cs, conf2_db *db, ct_sub *sub, events_t *ev) {
    stdb_connection *conn = ct_connect(conf2_register, cs);
    CHECK_OK(conf2_db_init(db, conn));
    ct_subscribe1(conn, sub, "SELECT * FROM test_event");
    CHECK(stdb_table_count(db->test_event) == 0);
    CHECK_OK(conf2_test_event_on_insert(db, on_event, ev, NULL, NULL));
    return conn;
}

static void case_event_table(void) {
    ct_conn cs = ct_conn_init();
    conf2_db db;
    ct_sub sub;
    events_t ev;
    stdb_connection *conn;
    memset(&sub, 0, sizeof sub);
    memset(&ev, 0, sizeof ev);
    conn = subscribed(&cs, &db, &sub, &ev);
    CHECK_OK(conf2_reducer_emit_test_event(conn, "hello", 42, 0));
    TICK_UNTIL(conn, ev.inserts == 1);
    CHECK(strcmp(ev.last_name, "hello") == 0 && ev.last_value == 42);
    /* Our own call: the caller is told which reducer it was. */
    CHECK(ev.kind == STDB_EVENT_REDUCER && strcmp(ev.reducer, "emit_test_event") == 0);
    /* Never cached: no rows. The shims have no count, iteration or delete callbacks for an event
       table; the library refuses them too. */
    CHECK(stdb_table_count(db.test_event) == 0);
    CHECK(stdb_table_on_delete(db.test_event, raw_row, NULL, NULL, NULL) == STDB_ERR_INVALID_ARGUMENT);
    CHECK(strstr(stdb_last_error(), "event table") != NULL);
    stdb_subscription_free(sub.handle);
    conf2_db_free(&db);
    ct_close(conn, &cs);
}

static void case_multiple_events(void) {
    ct_conn cs = ct_conn_init();
    conf2_db db;
    ct_sub sub;
    events_t ev;
    stdb_connection *conn;
    memset(&sub, 0, sizeof sub);
    memset(&ev, 0, sizeof ev);
    conn = subscribed(&cs, &db, &sub, &ev);
    CHECK_OK(conf2_reducer_emit_multiple_test_events(conn, 0));
    TICK_UNTIL(conn, ev.inserts == 3);
    CHECK(strcmp(ev.last_name, "c") == 0 && ev.last_value == 3); /* in insertion order */
    ct_tick_for(conn, NULL, 300);
    CHECK(ev.inserts == 3 && stdb_table_count(db.test_event) == 0);
    stdb_subscription_free(sub.handle);
    conf2_db_free(&db);
    ct_close(conn, &cs);
}

static int noops;
static void on_noop(void *ud, const stdb_connection *c, const stdb_event *e, const stdb_reducer_event *r) {
    (void)ud; (void)c; (void)e; (void)r;
    noops++;
}

static void case_events_dont_persist(void) {
    ct_conn cs = ct_conn_init();
    conf2_db db;
    ct_sub sub;
    events_t ev;
    stdb_connection *conn;
    memset(&sub, 0, sizeof sub);
    memset(&ev, 0, sizeof ev);
    conn = subscribed(&cs, &db, &sub, &ev);
    CHECK_OK(conf2_on_reducer_noop(conn, on_noop, NULL, NULL, NULL));
    CHECK_OK(conf2_reducer_emit_test_event(conn, "hello", 42, 0));
    CHECK_OK(conf2_reducer_noop(conn, 0));
    TICK_UNTIL(conn, noops == 1);
    ct_tick_for(conn, NULL, 200);
    CHECK(ev.inserts == 1);
    stdb_subscription_free(sub.handle);
    conf2_db_free(&db);
    ct_close(conn, &cs);
}

static void case_v1_rejects_event_table(void) {
    ct_conn cs = ct_conn_init();
    ct_sub sub;
    stdb_connection *conn;
    memset(&sub, 0, sizeof sub);
    cs.protocol = STDB_PROTOCOL_V1;
    conn = ct_connect(conf2_register, &cs);
    ct_subscribe_start(conn, &sub, (const char *const[]){"SELECT * FROM test_event"}, 1);
    TICK_UNTIL(conn, sub.applied || sub.errors);
    CHECK(sub.errors == 1 && sub.applied == 0);
    CHECK(strstr(sub.error, "v2") != NULL || strstr(sub.error, "upgrade") != NULL || strstr(sub.error, "Upgrade") != NULL);
    stdb_subscription_free(sub.handle);
    ct_close(conn, &cs);
}

int main(int argc, char **argv) {
    const char *c = argc > 1 ? argv[1] : "";
    if (!strcmp(c, "event_table")) case_event_table();
    else if (!strcmp(c, "multiple_events")) case_multiple_events();
    else if (!strcmp(c, "events_dont_persist")) case_events_dont_persist();
    else if (!strcmp(c, "v1_rejects_event_table")) case_v1_rejects_event_table();
    else {
        fprintf(stderr, "unknown case %s\n", c);
        return 2;
    }
    ct_pass(c);
    return 0;
}
