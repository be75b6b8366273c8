/* primitives.c — insert/delete/update per primitive and special type through the generated shims.
 * insert_*: a one_T row arrives through the typed on_insert with the value sent and a reducer event
 *   naming insert_one_T, committed, called by us.
 * delete_*: a unique_T row is inserted then deleted: typed on_insert, then on_delete with the row.
 * update_*: a pk_T row is inserted, updated (typed on_update old/new, no insert/delete) and deleted.
 */
// conformance-cases: insert_primitive delete_primitive update_primitive insert_identity insert_caller_identity delete_identity update_identity insert_connection_id insert_caller_connection_id delete_connection_id update_connection_id insert_timestamp insert_call_timestamp
#include "conf.h"
#include "ctest.h"

/* `bool` is a macro (stdbool.h) that would expand inside the type lists below: use _Bool. */
#undef bool

static stdb_connection *conn;
static ct_conn cs;
static conf_db db;

/* Checks the event of a row callback: our own committed call of `reducer`. */
static void check_own_event(const stdb_event *e, const char *reducer) {
    ct_seen s;
    memset(&s, 0, sizeof s);
    ct_record_event(&s, e);
    CHECK(s.kind == STDB_EVENT_REDUCER);
    CHECK(s.has_reducer);
    if (strcmp(s.reducer_name, reducer) != 0) fprintf(stderr, "reducer %s, expected %s\n", s.reducer_name, reducer);
    CHECK(strcmp(s.reducer_name, reducer) == 0);
    CHECK(s.info.status == STDB_STATUS_COMMITTED);
    CHECK(ct_identity_eq(&s.info.caller_identity, &cs.identity));
    CHECK(s.info.has_caller_connection_id && ct_cid_eq(&s.info.caller_connection_id, &cs.cid));
}

#define VAL(x) (x)
#define PTR(x) (&(x))
#define STR(x) ((x).data)

/* ---- one_T: insert ---- */
#define DEF_ONE(T, Row, ctype, ARG)                                                                      \
    static ctype one_##T##_want;                                                                         \
    static int one_##T##_seen;                                                                           \
    static void one_##T##_ins(void *ud, const stdb_connection *c, const stdb_event *e, const conf_##Row *row) { \
        (void)ud; (void)c;                                                                               \
        CHECK(conf_##T##_eq(&row->v, &one_##T##_want));                                                  \
        check_own_event(e, "insert_one_" #T);                                                            \
        one_##T##_seen++;                                                                                \
    }                                                                                                    \
    static void one_##T##_run(void) {                                                                    \
        CHECK_OK(conf_one_##T##_on_insert(&db, one_##T##_ins, NULL, NULL, NULL));                        \
        CHECK(conf_one_##T##_count(&db) == 0);                                                           \
        CHECK_OK(conf_reducer_insert_one_##T(conn, ARG(one_##T##_want), STDB_CALL_FULL_UPDATE));          \
        TICK_UNTIL(conn, one_##T##_seen == 1);                                                           \
        CHECK(conf_one_##T##_count(&db) == 1);                                                           \
    }

/* ---- unique_T: insert then delete ---- */
#define DEF_UNIQUE(T, Row, ctype, ARG)                                                                   \
    static ctype unique_##T##_key;                                                                       \
    static int unique_##T##_ins_n, unique_##T##_del_n;                                                   \
    static void unique_##T##_ins(void *ud, const stdb_connection *c, const stdb_event *e, const conf_##Row *row) { \
        (void)ud; (void)c;                                                                               \
        CHECK(conf_##T##_eq(&row->k, &unique_##T##_key) && row->data == 42);                             \
        check_own_event(e, "insert_unique_" #T);                                                         \
        unique_##T##_ins_n++;                                                                            \
    }                                                                                                    \
    static void unique_##T##_del(void *ud, const stdb_connection *c, const stdb_event *e, const conf_##Row *row) { \
        (void)ud; (void)c;                                                                               \
        CHECK(conf_##T##_eq(&row->k, &unique_##T##_key) && row->data == 42);                             \
        check_own_event(e, "delete_unique_" #T);                                                         \
        unique_##T##_del_n++;                                                                            \
    }                                                                                                    \
    static void unique_##T##_run(void) {                                                                 \
        _Bool found = false;                                                                              \
        conf_##Row got;                                                                                  \
        CHECK_OK(conf_unique_##T##_on_insert(&db, unique_##T##_ins, NULL, NULL, NULL));                  \
        CHECK_OK(conf_unique_##T##_on_delete(&db, unique_##T##_del, NULL, NULL, NULL));                  \
        CHECK_OK(conf_reducer_insert_unique_##T(conn, ARG(unique_##T##_key), 42, 0));                     \
        TICK_UNTIL(conn, unique_##T##_ins_n == 1);                                                       \
        CHECK_OK(conf_unique_##T##_find_by_k(&db, ARG(unique_##T##_key), &found, &got));                 \
        CHECK(found && got.data == 42);                                                                  \
        conf_##Row##_free(&got);                                                                         \
        CHECK_OK(conf_reducer_delete_unique_##T(conn, ARG(unique_##T##_key), 0));                         \
        TICK_UNTIL(conn, unique_##T##_del_n == 1);                                                       \
        CHECK(unique_##T##_ins_n == 1 && conf_unique_##T##_count(&db) == 0);                             \
        CHECK_OK(conf_unique_##T##_find_by_k(&db, ARG(unique_##T##_key), &found, &got));                 \
        CHECK(!found);                                                                                   \
    }

/* ---- pk_T: insert, update, delete ---- */
#define DEF_PK(T, Row, ctype, ARG)                                                                       \
    static ctype pk_##T##_key;                                                                           \
    static int pk_##T##_ins_n, pk_##T##_upd_n, pk_##T##_del_n;                                           \
    static void pk_##T##_ins(void *ud, const stdb_connection *c, const stdb_event *e, const conf_##Row *row) { \
        (void)ud; (void)c;                                                                               \
        CHECK(conf_##T##_eq(&row->k, &pk_##T##_key) && row->data == 1);                                  \
        check_own_event(e, "insert_pk_" #T);                                                             \
        pk_##T##_ins_n++;                                                                                \
    }                                                                                                    \
    static void pk_##T##_upd(void *ud, const stdb_connection *c, const stdb_event *e, const conf_##Row *o,  \
                             const conf_##Row *n) {                                                      \
        (void)ud; (void)c;                                                                               \
        CHECK(conf_##T##_eq(&o->k, &pk_##T##_key) && conf_##T##_eq(&n->k, &pk_##T##_key));               \
        CHECK(o->data == 1 && n->data == 2);                                                             \
        check_own_event(e, "update_pk_" #T);                                                             \
        pk_##T##_upd_n++;                                                                                \
    }                                                                                                    \
    static void pk_##T##_del(void *ud, const stdb_connection *c, const stdb_event *e, const conf_##Row *row) { \
        (void)ud; (void)c;                                                                               \
        CHECK(conf_##T##_eq(&row->k, &pk_##T##_key) && row->data == 2);                                  \
        check_own_event(e, "delete_pk_" #T);                                                             \
        pk_##T##_del_n++;                                                                                \
    }                                                                                                    \
    static void pk_##T##_run(void) {                                                                     \
        _Bool found = false;                                                                              \
        conf_##Row got;                                                                                  \
        CHECK_OK(conf_pk_##T##_on_insert(&db, pk_##T##_ins, NULL, NULL, NULL));                          \
        CHECK_OK(conf_pk_##T##_on_update(&db, pk_##T##_upd, NULL, NULL, NULL));                          \
        CHECK_OK(conf_pk_##T##_on_delete(&db, pk_##T##_del, NULL, NULL, NULL));                          \
        CHECK_OK(conf_reducer_insert_pk_##T(conn, ARG(pk_##T##_key), 1, 0));                              \
        TICK_UNTIL(conn, pk_##T##_ins_n == 1);                                                           \
        CHECK_OK(conf_reducer_update_pk_##T(conn, ARG(pk_##T##_key), 2, 0));                              \
        TICK_UNTIL(conn, pk_##T##_upd_n == 1);                                                           \
        CHECK(pk_##T##_ins_n == 1 && pk_##T##_del_n == 0 && conf_pk_##T##_count(&db) == 1);              \
        CHECK_OK(conf_pk_##T##_find_by_k(&db, ARG(pk_##T##_key), &found, &got));                         \
        CHECK(found && got.data == 2);                                                                   \
        conf_##Row##_free(&got);                                                                         \
        CHECK_OK(conf_reducer_delete_pk_##T(conn, ARG(pk_##T##_key), 0));                                 \
        TICK_UNTIL(conn, pk_##T##_del_n == 1);                                                           \
        CHECK(pk_##T##_upd_n == 1 && pk_##T##_ins_n == 1 && conf_pk_##T##_count(&db) == 0);              \
    }

#define KEYED(X)                                                                                         \
    X(u8, U8, uint8_t, VAL) X(u16, U16, uint16_t, VAL) X(u32, U32, uint32_t, VAL) X(u64, U64, uint64_t, VAL) \
    X(u128, U128, conf_u128, PTR) X(u256, U256, conf_u256, PTR) X(i8, I8, int8_t, VAL)                  \
    X(i16, I16, int16_t, VAL) X(i32, I32, int32_t, VAL) X(i64, I64, int64_t, VAL)                        \
    X(i128, I128, conf_i128, PTR) X(i256, I256, conf_i256, PTR) X(bool, Bool, _Bool, VAL)                \
    X(string, String, conf_string, STR)

#define ONE_ONLY(X) X(f32, F32, float, VAL) X(f64, F64, double, VAL)

#define DEF_ONE_R(T, R, c, A) DEF_ONE(T, One##R, c, A)
#define DEF_UNIQUE_R(T, R, c, A) DEF_UNIQUE(T, Unique##R, c, A)
#define DEF_PK_R(T, R, c, A) DEF_PK(T, Pk##R, c, A)
KEYED(DEF_ONE_R)
ONE_ONLY(DEF_ONE_R)
KEYED(DEF_UNIQUE_R)
KEYED(DEF_PK_R)
DEF_ONE(identity, OneIdentity, stdb_identity, PTR)
DEF_UNIQUE(identity, UniqueIdentity, stdb_identity, PTR)
DEF_PK(identity, PkIdentity, stdb_identity, PTR)
DEF_ONE(connection_id, OneConnectionId, stdb_connection_id, PTR)
DEF_UNIQUE(connection_id, UniqueConnectionId, stdb_connection_id, PTR)
DEF_PK(connection_id, PkConnectionId, stdb_connection_id, PTR)
DEF_ONE(timestamp, OneTimestamp, conf_timestamp, PTR)

/* Extreme values: maxima of the unsigned types, minima of the signed ones, odd strings. */
static void set_values(void) {
    static char str[] = "h\xc3\xa9llo \"w\xc3\xb6rld\"\n\t\\";
    conf_string s;
    s.data = str;
    s.len = strlen(str);
    one_u8_want = 0xff; one_u16_want = 0xffff; one_u32_want = 0xffffffffu; one_u64_want = UINT64_MAX;
    CHECK_OK(conf_u128_from_string("340282366920938463463374607431768211455", 39, &one_u128_want));
    CHECK_OK(conf_u256_from_string("115792089237316195423570985008687907853269984665640564039457584007913129639935", 78, &one_u256_want));
    one_i8_want = INT8_MIN; one_i16_want = INT16_MIN; one_i32_want = INT32_MIN; one_i64_want = INT64_MIN;
    CHECK_OK(conf_i128_from_string("-170141183460469231731687303715884105728", 40, &one_i128_want));
    CHECK_OK(conf_i256_from_string("-57896044618658097711785492504343953926634992332820282019728792003956564819968", 78, &one_i256_want));
    one_bool_want = true;
    one_f32_want = 1.5e-7f; one_f64_want = -2.25e300;
    one_string_want = s;
    /* Keys: other values (bool false) */
    unique_u8_key = pk_u8_key = 7; unique_u16_key = pk_u16_key = 700; unique_u32_key = pk_u32_key = 70000;
    unique_u64_key = pk_u64_key = 7000000000ull;
    unique_u128_key = pk_u128_key = one_u128_want;
    unique_u256_key = pk_u256_key = one_u256_want;
    unique_i8_key = pk_i8_key = -7; unique_i16_key = pk_i16_key = -700; unique_i32_key = pk_i32_key = -70000;
    unique_i64_key = pk_i64_key = -7000000000ll;
    unique_i128_key = pk_i128_key = one_i128_want;
    unique_i256_key = pk_i256_key = one_i256_want;
    unique_bool_key = pk_bool_key = false;
    unique_string_key = pk_string_key = s;
}

#define RUN_ONE(T, R, c, A) one_##T##_run();
#define RUN_UNIQUE(T, R, c, A) unique_##T##_run();
#define RUN_PK(T, R, c, A) pk_##T##_run();

/* ---- one_caller: identity, connection id and timestamp as the module saw them ---- */
static int caller_seen;
static conf_OneCaller caller_row;
static int64_t caller_event_ts;
static void caller_ins(void *ud, const stdb_connection *c, const stdb_event *e, const conf_OneCaller *row) {
    ct_seen s;
    (void)ud; (void)c;
    memset(&s, 0, sizeof s);
    ct_record_event(&s, e);
    check_own_event(e, "insert_caller_identity");
    caller_event_ts = s.info.timestamp_us;
    caller_row = *row; /* plain data: no owned pointers */
    caller_seen++;
}

static void run_caller(void) {
    CHECK_OK(conf_one_caller_on_insert(&db, caller_ins, NULL, NULL, NULL));
    CHECK_OK(conf_reducer_insert_caller_identity(conn, 0));
    TICK_UNTIL(conn, caller_seen == 1);
}

int main(int argc, char **argv) {
    const char *c = argc > 1 ? argv[1] : "";
    ct_sub sub;
    memset(&sub, 0, sizeof sub);
    cs = ct_conn_init();
    conn = ct_connect(conf_register, &cs);
    CHECK_OK(conf_db_init(&db, conn));
    set_values();
    one_identity_want = unique_identity_key = pk_identity_key = cs.identity;
    one_connection_id_want = unique_connection_id_key = pk_connection_id_key = cs.cid;
    CHECK_OK(stdb_subscription_builder_subscribe_all_tables(stdb_subscription_builder_new(conn), &sub.handle));
    TICK_UNTIL(conn, stdb_subscription_state(sub.handle) == STDB_SUBSCRIPTION_ACTIVE);

    if (!strcmp(c, "insert_primitive")) {
        KEYED(RUN_ONE)
        ONE_ONLY(RUN_ONE)
    } else if (!strcmp(c, "delete_primitive")) {
        KEYED(RUN_UNIQUE)
    } else if (!strcmp(c, "update_primitive")) {
        KEYED(RUN_PK)
    } else if (!strcmp(c, "insert_identity")) {
        one_identity_run();
    } else if (!strcmp(c, "delete_identity")) {
        unique_identity_run();
    } else if (!strcmp(c, "update_identity")) {
        pk_identity_run();
    } else if (!strcmp(c, "insert_connection_id")) {
        one_connection_id_run();
    } else if (!strcmp(c, "delete_connection_id")) {
        unique_connection_id_run();
    } else if (!strcmp(c, "update_connection_id")) {
        pk_connection_id_run();
    } else if (!strcmp(c, "insert_caller_identity")) {
        run_caller();
        CHECK(conf_identity_eq(&caller_row.identity, &cs.identity));
    } else if (!strcmp(c, "insert_caller_connection_id")) {
        run_caller();
        CHECK(caller_row.connection_id.has_value);
        CHECK(conf_connection_id_eq(&caller_row.connection_id.value, &cs.cid));
    } else if (!strcmp(c, "insert_timestamp")) {
        one_timestamp_want.micros_since_unix_epoch = ct_now_us();
        one_timestamp_run();
        /* And a pre-epoch value. */
        {
            conf_timestamp old;
            old.micros_since_unix_epoch = -123456789012345LL;
            one_timestamp_want = old;
            one_timestamp_seen = 0;
            CHECK_OK(conf_reducer_insert_one_timestamp(conn, &old, 0));
            TICK_UNTIL(conn, one_timestamp_seen == 1);
        }
    } else if (!strcmp(c, "insert_call_timestamp")) {
        int64_t before = ct_now_us();
        run_caller();
        /* The timestamp the reducer saw is the one the event reports. */
        CHECK(caller_row.timestamp.micros_since_unix_epoch == caller_event_ts);
        CHECK(caller_event_ts > before - 60000000LL && caller_event_ts < ct_now_us() + 60000000LL);
    } else {
        fprintf(stderr, "unknown case %s\n", c);
        return 2;
    }
    stdb_subscription_free(sub.handle);
    conf_db_free(&db);
    ct_close(conn, &cs);
    ct_pass(c);
    return 0;
}
