/*
 * uuids.c — the official 2.x SDK's UUID cases (sdk-test: insert/delete/update_uuid,
 * insert_call_uuid_v4/v7), in C, with the generated `conf2_uuid` type, against the 2.8.3 server
 * (module tests/modules-2x/conformance-2x).
 * uuid_text: the canonical text form round-trips, names the version, and orders as the server does.
 * insert_uuid / update_uuid / delete_uuid: a UUID primary key through reducers, finds and callbacks.
 * insert_call_uuid_v4 / insert_call_uuid_v7: UUIDs the module generates arrive with their version.
 */
// conformance-module: conformance-2x
// conformance-servers: v2_8
// conformance-cases: uuid_text insert_uuid update_uuid delete_uuid insert_call_uuid_v4 insert_call_uuid_v7
#include "conf2.h"
#include "ctest.h"

#define V7 "0190a8c4-5e0b-7cc1-8a3e-3f1b2c4d5e6f"

static conf2_uuid parse(const char *s) {
    conf2_uuid u;
    CHECK_OK(conf2_uuid_from_string(s, strlen(s), &u));
    return u;
}

static void case_text(void) {
    char text[64];
    conf2_uuid a = parse(V7), b = parse("0190A8C4-5E0B-7CC1-8A3E-3F1B2C4D5E70"), back, nil;
    /* The wire's little-endian u128: the last text byte is bytes[0]. */
    CHECK(a.bytes[0] == 0x6f && a.bytes[15] == 0x01 && a.bytes[9] == 0x7c);
    CHECK(conf2_uuid_format(&a, text, sizeof text) == 36 && strcmp(text, V7) == 0);
    CHECK(conf2_uuid_version(&a) == 7);
    CHECK(conf2_uuid_cmp(&a, &b) < 0 && conf2_uuid_cmp(&b, &a) > 0 && conf2_uuid_cmp(&a, &a) == 0);
    back = parse(text);
    CHECK(conf2_uuid_eq(&back, &a));
    memset(&nil, 0, sizeof nil);
    CHECK(conf2_uuid_format(&nil, text, sizeof text) == 36 && strcmp(text, "00000000-0000-0000-0000-000000000000") == 0);
    CHECK(conf2_uuid_version(&nil) == 0);
    /* Anything else is refused with a message. */
    CHECK(conf2_uuid_from_string("0190a8c4-5e0b-7cc1-8a3e-3f1b2c4d5e6", 35, &back) == CONF2_ERR_PARSE);
    CHECK(conf2_uuid_from_string("0190a8c45e0b-7cc1-8a3e-3f1b2c4d5e6f0", 36, &back) == CONF2_ERR_PARSE);
    CHECK(conf2_uuid_from_string("0190a8c4-5e0b-7cc1-8a3e-3f1b2c4d5e6g", 36, &back) == CONF2_ERR_PARSE);
    CHECK(strstr(conf2_last_error(), "not of the form") != NULL);
    CHECK(conf2_uuid_from_string(NULL, 36, &back) == STDB_ERR_NULL);
}

typedef struct {
    int inserts, updates, deletes;
    conf2_uuid last;
    int32_t data, old_data;
} pk_t;

static void pk_ins(void *ud, const stdb_connection *c, const stdb_event *e, const conf2_PkUuid *row) {
    pk_t *s = ud;
    (void)c; (void)e;
    s->last = row->u;
    s->data = row->data;
    s->inserts++;
}
static void pk_upd(void *ud, const stdb_connection *c, const stdb_event *e, const conf2_PkUuid *o, const conf2_PkUuid *n) {
    pk_t *s = ud;
    (void)c; (void)e;
    CHECK(conf2_uuid_eq(&o->u, &n->u));
    s->old_data = o->data;
    s->data = n->data;
    s->updates++;
}
static void pk_del(void *ud, const stdb_connection *c, const stdb_event *e, const conf2_PkUuid *row) {
    pk_t *s = ud;
    (void)c; (void)e;
    s->last = row->u;
    s->deletes++;
}

static void case_pk(int what) {
    ct_conn cs = ct_conn_init();
    stdb_connection *conn = ct_connect(conf2_register, &cs);
    conf2_uuid u = parse(V7);
    conf2_PkUuid row;
    conf2_db db;
    ct_sub sub;
    pk_t s;
    bool found = false;
    memset(&sub, 0, sizeof sub);
    memset(&s, 0, sizeof s);
    CHECK_OK(conf2_db_init(&db, conn));
    CHECK_OK(conf2_pk_uuid_on_insert(&db, pk_ins, &s, NULL, NULL));
    CHECK_OK(conf2_pk_uuid_on_update(&db, pk_upd, &s, NULL, NULL));
    CHECK_OK(conf2_pk_uuid_on_delete(&db, pk_del, &s, NULL, NULL));
    ct_subscribe1(conn, &sub, "SELECT * FROM pk_uuid");
    CHECK_OK(conf2_reducer_insert_pk_uuid(conn, &u, 7, 0));
    TICK_UNTIL(conn, s.inserts == 1);
    CHECK(conf2_uuid_eq(&s.last, &u) && s.data == 7);
    CHECK_OK(conf2_pk_uuid_find_by_u(&db, &u, &found, &row));
    CHECK(found && row.data == 7);
    if (what == 1) {
        CHECK_OK(conf2_reducer_update_pk_uuid(conn, &u, 8, 0));
        TICK_UNTIL(conn, s.updates == 1);
        CHECK(s.old_data == 7 && s.data == 8);
        CHECK_OK(conf2_pk_uuid_find_by_u(&db, &u, &found, &row));
        CHECK(found && row.data == 8);
    } else if (what == 2) {
        CHECK_OK(conf2_reducer_delete_pk_uuid(conn, &u, 0));
        TICK_UNTIL(conn, s.deletes == 1);
        CHECK(conf2_uuid_eq(&s.last, &u));
        CHECK_OK(conf2_pk_uuid_find_by_u(&db, &u, &found, &row));
        CHECK(!found && conf2_pk_uuid_count(&db) == 0);
    }
    stdb_subscription_free(sub.handle);
    conf2_db_free(&db);
    ct_close(conn, &cs);
}

static int generated;
static conf2_uuid generated_uuid;
static void one_ins(void *ud, const stdb_connection *c, const stdb_event *e, const conf2_OneUuid *row) {
    (void)ud; (void)c; (void)e;
    generated_uuid = row->u;
    generated++;
}

static void case_generated(int version) {
    ct_conn cs = ct_conn_init();
    stdb_connection *conn = ct_connect(conf2_register, &cs);
    char text[64];
    conf2_db db;
    ct_sub sub;
    memset(&sub, 0, sizeof sub);
    CHECK_OK(conf2_db_init(&db, conn));
    CHECK_OK(conf2_one_uuid_on_insert(&db, one_ins, NULL, NULL, NULL));
    ct_subscribe1(conn, &sub, "SELECT * FROM one_uuid");
    CHECK_OK(version == 4 ? conf2_reducer_insert_call_uuid_v_4(conn, 0) : conf2_reducer_insert_call_uuid_v_7(conn, 0));
    TICK_UNTIL(conn, generated == 1);
    CHECK(conf2_uuid_version(&generated_uuid) == version);
    CHECK(conf2_uuid_format(&generated_uuid, text, sizeof text) == 36 && text[14] == (char)('0' + version));
    printf("generated: %s\n", text);
    stdb_subscription_free(sub.handle);
    conf2_db_free(&db);
    ct_close(conn, &cs);
}

int main(int argc, char **argv) {
    const char *c = argc > 1 ? argv[1] : "";
    if (!strcmp(c, "uuid_text")) case_text();
    else if (!strcmp(c, "insert_uuid")) case_pk(0);
    else if (!strcmp(c, "update_uuid")) case_pk(1);
    else if (!strcmp(c, "delete_uuid")) case_pk(2);
    else if (!strcmp(c, "insert_call_uuid_v4")) case_generated(4);
    else if (!strcmp(c, "insert_call_uuid_v7")) case_generated(7);
    else {
        fprintf(stderr, "unknown case %s\n", c);
        return 2;
    }
    ct_pass(c);
    return 0;
}
