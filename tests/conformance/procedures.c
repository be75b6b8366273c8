/*
 * procedures.c — the official 2.x SDK's procedure cases (sdk-test-procedure), in C, against the
 * 2.8.3 server (module tests/modules-2x/conformance-2x). Arguments are encoded and return values
 * decoded with the generated codecs; calls go through stdb_connection_call_procedure.
 * procedure_return_values: a primitive, a struct and both variants of an enum come back typed.
 * procedure_observe_panic: a panicking procedure reports an error to its callback.
 * insert_with_tx_commit / _rollback: a procedure's committed transaction is in the cache when
 *   its callback runs; a rolled-back one never reaches the client.
 * procedure_http_ok / procedure_http_err: a procedure's HTTP request and its failure (2.8.3
 *   refuses requests to loopback: the refusal is what procedure_http_ok can see here).
 * schedule_procedure: a reducer schedules a procedure 1 s ahead; its row arrives 1-2 s later.
 * sorted_uuids_insert: 1000 v7 UUIDs from one procedure, in increasing order in the cache.
 */
// conformance-module: conformance-2x
// conformance-servers: v2_8
// conformance-cases: procedure_return_values procedure_observe_panic insert_with_tx_commit insert_with_tx_rollback procedure_http_ok procedure_http_err schedule_procedure sorted_uuids_insert
#include "conf2.h"
#include "ctest.h"

/* One procedure call's outcome, copied out of the callback. */
typedef struct {
    int done;
    int failed;
    char error[512];
    conf2_buffer ret;
    /* for the cache check of insert_with_tx_*: rows of my_table when the callback ran */
    const conf2_db *db;
    uint64_t rows_then;
} call_t;

static void on_done(void *ud, const stdb_connection *c, const uint8_t *ret, size_t ret_len, const char *err, size_t err_len,
                    int64_t host_us) {
    call_t *s = ud;
    (void)c;
    CHECK(host_us >= 0);
    if (err) {
        s->failed = 1;
        snprintf(s->error, sizeof s->error, "%.*s", (int)err_len, err);
    } else {
        CHECK_OK(conf2_buffer_append(&s->ret, ret, ret_len));
    }
    if (s->db) s->rows_then = conf2_my_table_count(s->db);
    s->done = 1;
}

/* Calls `name` with `args` and waits for its outcome. */
static void call(stdb_connection *conn, const char *name, const conf2_buffer *args, call_t *out) {
    CHECK_OK(stdb_connection_call_procedure(conn, name, strlen(name), args ? args->data : NULL, args ? args->len : 0, on_done, out,
                                            NULL, NULL));
    TICK_UNTIL(conn, out->done);
}

static void case_return_values(void) {
    ct_conn cs = ct_conn_init();
    stdb_connection *conn = ct_connect(conf2_register, &cs);
    conf2_buffer args;
    call_t r;
    uint32_t a = 1, b = 2, sum = 0;
    conf2_ReturnStruct st;
    conf2_ReturnEnum en;
    conf2_string foo;

    memset(&args, 0, sizeof args);
    memset(&r, 0, sizeof r);
    CHECK_OK(conf2_u32_encode(&args, &a));
    CHECK_OK(conf2_u32_encode(&args, &b));
    call(conn, "return_primitive", &args, &r);
    CHECK(!r.failed);
    CHECK_OK(conf2_u32_from_bsatn(r.ret.data, r.ret.len, &sum));
    CHECK(sum == 3);
    conf2_buffer_free(&r.ret);

    args.len = 0;
    memset(&r, 0, sizeof r);
    a = 1234;
    CHECK_OK(conf2_string_from("foo", 3, &foo));
    CHECK_OK(conf2_u32_encode(&args, &a));
    CHECK_OK(conf2_string_encode(&args, &foo));
    call(conn, "return_struct", &args, &r);
    CHECK_OK(conf2_ReturnStruct_from_bsatn(r.ret.data, r.ret.len, &st));
    CHECK(st.a == 1234 && strcmp(st.b.data, "foo") == 0);
    conf2_ReturnStruct_free(&st);
    conf2_buffer_free(&r.ret);

    args.len = 0;
    memset(&r, 0, sizeof r);
    CHECK_OK(conf2_u32_encode(&args, &a));
    call(conn, "return_enum_a", &args, &r);
    CHECK_OK(conf2_ReturnEnum_from_bsatn(r.ret.data, r.ret.len, &en));
    CHECK(en.tag == conf2_ReturnEnum_a && en.value.a == 1234);
    conf2_ReturnEnum_free(&en);
    conf2_buffer_free(&r.ret);

    args.len = 0;
    memset(&r, 0, sizeof r);
    CHECK_OK(conf2_string_encode(&args, &foo));
    call(conn, "return_enum_b", &args, &r);
    CHECK_OK(conf2_ReturnEnum_from_bsatn(r.ret.data, r.ret.len, &en));
    CHECK(en.tag == conf2_ReturnEnum_b && strcmp(en.value.b.data, "foo") == 0);
    conf2_ReturnEnum_free(&en);
    conf2_buffer_free(&r.ret);

    /* Wrong argument bytes are refused before anything is sent. */
    CHECK(stdb_connection_call_procedure(conn, "return_enum_b", 13, args.data, 2, on_done, &r, NULL, NULL) ==
          STDB_ERR_INVALID_ARGUMENT);
    conf2_string_free(&foo);
    conf2_buffer_free(&args);
    ct_close(conn, &cs);
}

static void case_observe_panic(void) {
    ct_conn cs = ct_conn_init();
    stdb_connection *conn = ct_connect(conf2_register, &cs);
    call_t r;
    memset(&r, 0, sizeof r);
    call(conn, "will_panic", NULL, &r);
    CHECK(r.failed && strlen(r.error) > 0);
    printf("will_panic: %s\n", r.error);
    ct_close(conn, &cs);
}

static int table_inserts;
static void on_my_table(void *ud, const stdb_connection *c, const stdb_event *e, const conf2_MyTable *row) {
    (void)ud; (void)c; (void)e;
    CHECK(row->field.a == 42 && strcmp(row->field.b.data, "magic") == 0);
    table_inserts++;
}

static void case_with_tx(int commit) {
    ct_conn cs = ct_conn_init();
    stdb_connection *conn = ct_connect(conf2_register, &cs);
    conf2_db db;
    ct_sub sub;
    call_t r;
    memset(&sub, 0, sizeof sub);
    memset(&r, 0, sizeof r);
    CHECK_OK(conf2_db_init(&db, conn));
    CHECK_OK(conf2_my_table_on_insert(&db, on_my_table, NULL, NULL, NULL));
    ct_subscribe1(conn, &sub, "SELECT * FROM my_table");
    CHECK(conf2_my_table_count(&db) == 0);
    r.db = &db;
    call(conn, commit ? "insert_with_tx_commit" : "insert_with_tx_rollback", NULL, &r);
    CHECK(!r.failed);
    if (commit) {
        /* The procedure's transaction is applied before its result is delivered. */
        CHECK(r.rows_then == 1 && table_inserts == 1);
    } else {
        ct_tick_for(conn, NULL, 300);
        CHECK(r.rows_then == 0 && table_inserts == 0 && conf2_my_table_count(&db) == 0);
    }
    conf2_buffer_free(&r.ret);
    stdb_subscription_free(sub.handle);
    conf2_db_free(&db);
    ct_close(conn, &cs);
}

static void case_http(int ok) {
    ct_conn cs = ct_conn_init();
    stdb_connection *conn = ct_connect(conf2_register, &cs);
    conf2_buffer args;
    conf2_string text, url;
    call_t r;
    memset(&args, 0, sizeof args);
    memset(&r, 0, sizeof r);
    if (ok) {
        const char *uri = ct_env("STDB_URI");
        CHECK_OK(conf2_string_from(uri, strlen(uri), &url));
        CHECK_OK(conf2_string_encode(&args, &url));
        conf2_string_free(&url);
    }
    call(conn, ok ? "read_my_schema" : "invalid_request", &args, &r);
    if (r.failed) fprintf(stderr, "procedure failed: %s\n", r.error);
    CHECK(!r.failed);
    CHECK_OK(conf2_string_from_bsatn(r.ret.data, r.ret.len, &text));
    if (ok) {
        /* Upstream's case fetches the module's own schema from the local server. The 2.8.3 server
           refuses procedure requests to loopback and private addresses (and this machine has no
           other network), so the request is made and its refusal comes back as the value. */
        printf("read_my_schema: %s\n", text.data);
        CHECK(strstr(text.data, "\"read_my_schema\"") != NULL ||
              strstr(text.data, "refusing to connect to private or special-purpose addresses") != NULL);
    } else {
        printf("invalid_request: %s\n", text.data);
        CHECK(strstr(text.data, "http://foo.invalid/") != NULL);
    }
    conf2_string_free(&text);
    conf2_buffer_free(&r.ret);
    conf2_buffer_free(&args);
    ct_close(conn, &cs);
}

static int proc_rows;
static int64_t proc_elapsed_us;
static void on_proc_insert(void *ud, const stdb_connection *c, const stdb_event *e, const conf2_ProcInsertsInto *row) {
    (void)ud; (void)c; (void)e;
    CHECK(row->x == 42 && row->y == 24);
    proc_elapsed_us = row->procedure_ts.micros_since_unix_epoch - row->reducer_ts.micros_since_unix_epoch;
    proc_rows++;
}

static void case_schedule_procedure(void) {
    ct_conn cs = ct_conn_init();
    stdb_connection *conn = ct_connect(conf2_register, &cs);
    conf2_db db;
    ct_sub sub;
    memset(&sub, 0, sizeof sub);
    CHECK_OK(conf2_db_init(&db, conn));
    CHECK_OK(conf2_proc_inserts_into_on_insert(&db, on_proc_insert, NULL, NULL, NULL));
    ct_subscribe1(conn, &sub, "SELECT * FROM proc_inserts_into");
    CHECK_OK(conf2_reducer_schedule_proc(conn, 0));
    TICK_UNTIL(conn, proc_rows == 1);
    CHECK(proc_elapsed_us >= 1000000 && proc_elapsed_us <= 2000000);
    stdb_subscription_free(sub.handle);
    conf2_db_free(&db);
    ct_close(conn, &cs);
}

/* The UUIDs in the order the server sent them (its insertion order). */
typedef struct {
    int n, sorted, v7;
    conf2_uuid last;
} uuids_t;
static void on_uuid(void *ud, const stdb_connection *c, const stdb_event *e, const conf2_SortedUuid *row) {
    uuids_t *s = ud;
    (void)c; (void)e;
    if (s->n > 0 && conf2_uuid_cmp(&s->last, &row->u) >= 0) s->sorted = 0;
    if (conf2_uuid_version(&row->u) == 7) s->v7++;
    s->last = row->u;
    s->n++;
}

static void case_sorted_uuids(void) {
    ct_conn cs = ct_conn_init();
    stdb_connection *conn = ct_connect(conf2_register, &cs);
    conf2_db db;
    ct_sub sub;
    call_t r;
    uuids_t u;
    memset(&sub, 0, sizeof sub);
    memset(&r, 0, sizeof r);
    memset(&u, 0, sizeof u);
    u.sorted = 1;
    CHECK_OK(conf2_db_init(&db, conn));
    CHECK_OK(conf2_sorted_uuid_on_insert(&db, on_uuid, &u, NULL, NULL));
    ct_subscribe1(conn, &sub, "SELECT * FROM sorted_uuid");
    call(conn, "sorted_uuids_insert", NULL, &r);
    CHECK(!r.failed);
    CHECK(conf2_sorted_uuid_count(&db) == 1000);
    CHECK(u.n == 1000 && u.v7 == 1000 && u.sorted);
    conf2_buffer_free(&r.ret);
    stdb_subscription_free(sub.handle);
    conf2_db_free(&db);
    ct_close(conn, &cs);
}

int main(int argc, char **argv) {
    const char *c = argc > 1 ? argv[1] : "";
    if (!strcmp(c, "procedure_return_values")) case_return_values();
    else if (!strcmp(c, "procedure_observe_panic")) case_observe_panic();
    else if (!strcmp(c, "insert_with_tx_commit")) case_with_tx(1);
    else if (!strcmp(c, "insert_with_tx_rollback")) case_with_tx(0);
    else if (!strcmp(c, "procedure_http_ok")) case_http(1);
    else if (!strcmp(c, "procedure_http_err")) case_http(0);
    else if (!strcmp(c, "schedule_procedure")) case_schedule_procedure();
    else if (!strcmp(c, "sorted_uuids_insert")) case_sorted_uuids();
    else {
        fprintf(stderr, "unknown case %s\n", c);
        return 2;
    }
    ct_pass(c);
    return 0;
}
