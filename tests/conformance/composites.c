/* composites.c — vectors, options (nested), structs, enums (plain and with payloads), the 22-argument
 * wide table, a table of tables, an enum primary key and a btree index on an enum, all through the
 * generated shims. Each value sent comes back in a typed on_insert equal (generated _eq) to what
 * was sent, with our own reducer event.
 */
// conformance-cases: insert_vec insert_option_some insert_option_none insert_struct insert_simple_enum insert_enum_with_payload insert_delete_large_table table_holds_table pk_simple_enum indexed_simple_enum
#include "conf.h"
#include "ctest.h"

static stdb_connection *conn;
static ct_conn cs;
static conf_db db;

static void check_own_event(const stdb_event *e, const char *reducer) {
    ct_seen s;
    memset(&s, 0, sizeof s);
    ct_record_event(&s, e);
    CHECK(s.kind == STDB_EVENT_REDUCER && s.has_reducer);
    if (strcmp(s.reducer_name, reducer) != 0) fprintf(stderr, "reducer %s, expected %s\n", s.reducer_name, reducer);
    CHECK(strcmp(s.reducer_name, reducer) == 0);
    CHECK(s.info.status == STDB_STATUS_COMMITTED);
    CHECK(ct_identity_eq(&s.info.caller_identity, &cs.identity));
}

#define VAL(x) (x)
#define PTR(x) (&(x))

#define DEF(tbl, Row, ARG)                                                                               \
    static conf_##Row tbl##_want;                                                                        \
    static int tbl##_seen;                                                                               \
    static void tbl##_ins(void *ud, const stdb_connection *c, const stdb_event *e, const conf_##Row *row) { \
        char text[65536];                                                                                \
        (void)ud; (void)c;                                                                               \
        if (!conf_##Row##_eq(row, &tbl##_want)) {                                                        \
            conf_##Row##_format(row, text, sizeof text);                                                 \
            fprintf(stderr, "got  %s\n", text);                                                          \
            conf_##Row##_format(&tbl##_want, text, sizeof text);                                         \
            fprintf(stderr, "want %s\n", text);                                                          \
        }                                                                                                \
        CHECK(conf_##Row##_eq(row, &tbl##_want));                                                        \
        check_own_event(e, "insert_" #tbl);                                                              \
        tbl##_seen++;                                                                                    \
    }                                                                                                    \
    static void tbl##_run(void) {                                                                        \
        int before = tbl##_seen;                                                                         \
        uint64_t n = conf_##tbl##_count(&db);                                                            \
        if (before == 0) CHECK_OK(conf_##tbl##_on_insert(&db, tbl##_ins, NULL, NULL, NULL));             \
        CHECK_OK(conf_reducer_insert_##tbl(conn, ARG(tbl##_want.v), STDB_CALL_FULL_UPDATE));              \
        TICK_UNTIL(conn, tbl##_seen == before + 1);                                                      \
        CHECK(conf_##tbl##_count(&db) == n + 1);                                                         \
    }

DEF(vec_u8, VecU8, PTR)
DEF(vec_u16, VecU16, PTR)
DEF(vec_u32, VecU32, PTR)
DEF(vec_u64, VecU64, PTR)
DEF(vec_u128, VecU128, PTR)
DEF(vec_u256, VecU256, PTR)
DEF(vec_i8, VecI8, PTR)
DEF(vec_i16, VecI16, PTR)
DEF(vec_i32, VecI32, PTR)
DEF(vec_i64, VecI64, PTR)
DEF(vec_i128, VecI128, PTR)
DEF(vec_i256, VecI256, PTR)
DEF(vec_bool, VecBool, PTR)
DEF(vec_f32, VecF32, PTR)
DEF(vec_f64, VecF64, PTR)
DEF(vec_string, VecString, PTR)
DEF(vec_identity, VecIdentity, PTR)
DEF(vec_connection_id, VecConnectionId, PTR)
DEF(vec_timestamp, VecTimestamp, PTR)
DEF(vec_time_duration, VecTimeDuration, PTR)
DEF(vec_simple_enum, VecSimpleEnum, PTR)
DEF(vec_enum_with_payload, VecEnumWithPayload, PTR)
DEF(vec_unit_struct, VecUnitStruct, PTR)
DEF(vec_byte_struct, VecByteStruct, PTR)
DEF(vec_every_primitive_struct, VecEveryPrimitiveStruct, PTR)
DEF(vec_every_vec_struct, VecEveryVecStruct, PTR)
DEF(option_i32, OptionI32, PTR)
DEF(option_string, OptionString, PTR)
DEF(option_identity, OptionIdentity, PTR)
DEF(option_simple_enum, OptionSimpleEnum, PTR)
DEF(option_every_primitive_struct, OptionEveryPrimitiveStruct, PTR)
DEF(option_vec_option_i32, OptionVecOptionI32, PTR)
DEF(option_option_i32, OptionOptionI32, PTR)
DEF(one_unit_struct, OneUnitStruct, PTR)
DEF(one_byte_struct, OneByteStruct, PTR)
DEF(one_every_primitive_struct, OneEveryPrimitiveStruct, PTR)
DEF(one_every_vec_struct, OneEveryVecStruct, PTR)
DEF(one_simple_enum, OneSimpleEnum, VAL)
DEF(one_enum_with_payload, OneEnumWithPayload, PTR)

/* ---- values (static storage; never freed) ---- */
static uint8_t a_u8[] = {0, 1, 255};
static uint16_t a_u16[] = {0, 65535};
static uint32_t a_u32[] = {1, 4000000000u};
static uint64_t a_u64[] = {UINT64_MAX, 0, 3};
static conf_u128 a_u128[2];
static conf_u256 a_u256[2];
static int8_t a_i8[] = {-128, 127};
static int16_t a_i16[] = {-32768, 1};
static int32_t a_i32[] = {INT32_MIN, 0, INT32_MAX};
static int64_t a_i64[] = {INT64_MIN, -1};
static conf_i128 a_i128[2];
static conf_i256 a_i256[2];
static bool a_bool[] = {true, false, true};
static float a_f32[] = {0.5f, -1e30f};
static double a_f64[] = {3.141592653589793, -0.0};
static conf_string a_string[3];
static stdb_identity a_identity[2];
static stdb_connection_id a_cid[2];
static conf_timestamp a_ts[2];
static conf_time_duration a_dur[2];
static conf_SimpleEnum a_enum[] = {conf_SimpleEnum_Two, conf_SimpleEnum_Zero, conf_SimpleEnum_One};
static conf_EnumWithPayload a_ewp[8];
static conf_unit a_unit[3];
static conf_ByteStruct a_bs[2];
static conf_EveryPrimitiveStruct a_eps[2];
static conf_EveryVecStruct a_evs[2];
static conf_option_i32_ a_opt_i32[3];

#define SET_VEC(dst, arr) ((dst).data = (arr), (dst).len = sizeof(arr) / sizeof((arr)[0]))

static conf_string str_of(const char *s) {
    conf_string r;
    r.data = (char *)s;
    r.len = strlen(s);
    return r;
}

static void fill_eps(conf_EveryPrimitiveStruct *p, int seed) {
    memset(p, 0, sizeof *p);
    p->a = (uint8_t)(200 + seed); p->b = 60000; p->c = 4000000000u; p->d = UINT64_MAX - (uint64_t)seed;
    p->e = a_u128[seed & 1]; p->f = a_u256[seed & 1];
    p->g = -100; p->h = -30000; p->i = -2000000000; p->j = INT64_MIN + seed;
    p->k = a_i128[seed & 1]; p->l = a_i256[seed & 1];
    p->m = seed & 1; p->n = 2.5f; p->o = -1e-300;
    p->p = str_of(seed ? "second" : "f\xc3\xbcrst");
    p->q = a_identity[seed & 1]; p->r = a_cid[seed & 1];
    p->s = a_ts[seed & 1]; p->t = a_dur[seed & 1];
}

static void fill_evs(conf_EveryVecStruct *v, int seed) {
    memset(v, 0, sizeof *v);
    SET_VEC(v->a, a_u8); SET_VEC(v->b, a_u16); SET_VEC(v->c, a_u32); SET_VEC(v->d, a_u64);
    SET_VEC(v->e, a_u128); SET_VEC(v->f, a_u256); SET_VEC(v->g, a_i8); SET_VEC(v->h, a_i16);
    SET_VEC(v->i, a_i32); SET_VEC(v->j, a_i64); SET_VEC(v->k, a_i128); SET_VEC(v->l, a_i256);
    SET_VEC(v->m, a_bool); SET_VEC(v->n, a_f32); SET_VEC(v->o, a_f64);
    if (!seed) SET_VEC(v->p, a_string); /* seed 1: an empty vector */
    SET_VEC(v->q, a_identity); SET_VEC(v->r, a_cid); SET_VEC(v->s, a_ts); SET_VEC(v->t, a_dur);
}

static void fill_values(void) {
    int i;
    a_u128[0] = conf_u128_from_u64(5);
    CHECK_OK(conf_u128_from_string("340282366920938463463374607431768211455", 39, &a_u128[1]));
    a_u256[0] = conf_u256_from_u64(0);
    CHECK_OK(conf_u256_from_string("98765432109876543210987654321098765432109876543210", 50, &a_u256[1]));
    a_i128[0] = conf_i128_from_i64(-1);
    CHECK_OK(conf_i128_from_string("170141183460469231731687303715884105727", 39, &a_i128[1]));
    a_i256[0] = conf_i256_from_i64(INT64_MIN);
    CHECK_OK(conf_i256_from_string("-12345678901234567890123456789012345678901234567890", 51, &a_i256[1]));
    a_string[0] = str_of("");
    a_string[1] = str_of("x");
    a_string[2] = str_of("\xe2\x82\xac \xf0\x9f\x98\x80");
    for (i = 0; i < 32; i++) {
        a_identity[0].bytes[i] = (uint8_t)i;
        a_identity[1].bytes[i] = (uint8_t)(255 - i);
    }
    for (i = 0; i < 16; i++) {
        a_cid[0].bytes[i] = (uint8_t)(i * 3);
        a_cid[1].bytes[i] = (uint8_t)(i + 100);
    }
    a_ts[0].micros_since_unix_epoch = 1700000000123456LL;
    a_ts[1].micros_since_unix_epoch = -1;
    a_dur[0].micros = 1500000;
    a_dur[1].micros = -7;
    a_ewp[0].tag = conf_EnumWithPayload_U8; a_ewp[0].value.U8 = 250;
    a_ewp[1].tag = conf_EnumWithPayload_I32; a_ewp[1].value.I32 = -5;
    a_ewp[2].tag = conf_EnumWithPayload_Str; a_ewp[2].value.Str = str_of("payload");
    a_ewp[3].tag = conf_EnumWithPayload_Identity; a_ewp[3].value.Identity = a_identity[1];
    a_ewp[4].tag = conf_EnumWithPayload_Bytes; a_ewp[4].value.Bytes.data = a_u8; a_ewp[4].value.Bytes.len = 3;
    a_ewp[5].tag = conf_EnumWithPayload_Ints; SET_VEC(a_ewp[5].value.Ints, a_i32);
    a_ewp[6].tag = conf_EnumWithPayload_Simple; a_ewp[6].value.Simple = conf_SimpleEnum_Two;
    a_ewp[7].tag = conf_EnumWithPayload_Unit;
    a_bs[0].b = 0; a_bs[1].b = 255;
    fill_eps(&a_eps[0], 0);
    fill_eps(&a_eps[1], 1);
    fill_evs(&a_evs[0], 0);
    fill_evs(&a_evs[1], 1);
    a_opt_i32[0].has_value = true; a_opt_i32[0].value = 7;
    a_opt_i32[1].has_value = false;
    a_opt_i32[2].has_value = true; a_opt_i32[2].value = INT32_MIN;

    SET_VEC(vec_u8_want.v, a_u8); SET_VEC(vec_u16_want.v, a_u16); SET_VEC(vec_u32_want.v, a_u32);
    SET_VEC(vec_u64_want.v, a_u64); SET_VEC(vec_u128_want.v, a_u128); SET_VEC(vec_u256_want.v, a_u256);
    SET_VEC(vec_i8_want.v, a_i8); SET_VEC(vec_i16_want.v, a_i16); SET_VEC(vec_i32_want.v, a_i32);
    SET_VEC(vec_i64_want.v, a_i64); SET_VEC(vec_i128_want.v, a_i128); SET_VEC(vec_i256_want.v, a_i256);
    SET_VEC(vec_bool_want.v, a_bool); SET_VEC(vec_f32_want.v, a_f32); SET_VEC(vec_f64_want.v, a_f64);
    SET_VEC(vec_string_want.v, a_string); SET_VEC(vec_identity_want.v, a_identity);
    SET_VEC(vec_connection_id_want.v, a_cid); SET_VEC(vec_timestamp_want.v, a_ts);
    SET_VEC(vec_time_duration_want.v, a_dur); SET_VEC(vec_simple_enum_want.v, a_enum);
    SET_VEC(vec_enum_with_payload_want.v, a_ewp); SET_VEC(vec_unit_struct_want.v, a_unit);
    SET_VEC(vec_byte_struct_want.v, a_bs); SET_VEC(vec_every_primitive_struct_want.v, a_eps);
    SET_VEC(vec_every_vec_struct_want.v, a_evs);
}

/* ---- large_table ---- */
static conf_LargeTable large_want;
static int large_ins, large_del;
static void large_on_insert(void *ud, const stdb_connection *c, const stdb_event *e, const conf_LargeTable *row) {
    (void)ud; (void)c;
    CHECK(conf_LargeTable_eq(row, &large_want));
    check_own_event(e, "insert_large_table");
    large_ins++;
}
static void large_on_delete(void *ud, const stdb_connection *c, const stdb_event *e, const conf_LargeTable *row) {
    (void)ud; (void)c;
    CHECK(conf_LargeTable_eq(row, &large_want));
    check_own_event(e, "delete_large_table");
    large_del++;
}
static int large_reducer_seen;
static void large_on_reducer(void *ud, const stdb_connection *c, const stdb_event *e, const stdb_reducer_event *r,
                             uint8_t a, uint16_t b, uint32_t c_, uint64_t d, const conf_u128 *e_, const conf_u256 *f,
                             int8_t g, int16_t h, int32_t i, int64_t j, const conf_i128 *k, const conf_i256 *l, bool m,
                             float n, double o, const char *p, conf_SimpleEnum q, const conf_EnumWithPayload *r_,
                             const conf_unit *s, const conf_ByteStruct *t, const conf_EveryPrimitiveStruct *u,
                             const conf_EveryVecStruct *v) {
    const conf_LargeTable *w = &large_want;
    (void)ud; (void)c; (void)e; (void)r; (void)s;
    /* Every one of the 22 arguments decoded as sent. */
    CHECK(a == w->a && b == w->b && c_ == w->c && d == w->d && conf_u128_eq(e_, &w->e) && conf_u256_eq(f, &w->f));
    CHECK(g == w->g && h == w->h && i == w->i && j == w->j && conf_i128_eq(k, &w->k) && conf_i256_eq(l, &w->l));
    CHECK(m == w->m && n == w->n && o == w->o && strcmp(p, w->p.data) == 0 && q == w->q);
    CHECK(conf_EnumWithPayload_eq(r_, &w->r) && conf_ByteStruct_eq(t, &w->t));
    CHECK(conf_EveryPrimitiveStruct_eq(u, &w->u) && conf_EveryVecStruct_eq(v, &w->v));
    large_reducer_seen++;
}

static void run_large(void) {
    const conf_LargeTable *w = &large_want;
    large_want.a = 1; large_want.b = 2; large_want.c = 3; large_want.d = 4;
    large_want.e = a_u128[1]; large_want.f = a_u256[1];
    large_want.g = -1; large_want.h = -2; large_want.i = -3; large_want.j = -4;
    large_want.k = a_i128[1]; large_want.l = a_i256[1];
    large_want.m = true; large_want.n = 0.25f; large_want.o = 1e100;
    large_want.p = str_of("large \xc3\xa9");
    large_want.q = conf_SimpleEnum_One;
    large_want.r = a_ewp[5];
    large_want.t = a_bs[1];
    large_want.u = a_eps[0];
    large_want.v = a_evs[0];
    CHECK_OK(conf_large_table_on_insert(&db, large_on_insert, NULL, NULL, NULL));
    CHECK_OK(conf_large_table_on_delete(&db, large_on_delete, NULL, NULL, NULL));
    CHECK_OK(conf_on_reducer_insert_large_table(conn, large_on_reducer, NULL, NULL, NULL));
    CHECK_OK(conf_reducer_insert_large_table(conn, w->a, w->b, w->c, w->d, &w->e, &w->f, w->g, w->h, w->i, w->j, &w->k,
                                             &w->l, w->m, w->n, w->o, w->p.data, w->q, &w->r, &w->s, &w->t, &w->u,
                                             &w->v, 0));
    TICK_UNTIL(conn, large_ins == 1 && large_reducer_seen == 1);
    CHECK(conf_large_table_count(&db) == 1);
    CHECK_OK(conf_reducer_delete_large_table(conn, w->a, w->b, w->c, w->d, &w->e, &w->f, w->g, w->h, w->i, w->j, &w->k,
                                             &w->l, w->m, w->n, w->o, w->p.data, w->q, &w->r, &w->s, &w->t, &w->u,
                                             &w->v, 0));
    TICK_UNTIL(conn, large_del == 1);
    CHECK(conf_large_table_count(&db) == 0 && large_ins == 1);
}

/* ---- table_holds_table ---- */
static conf_TableHoldsTable tht_want;
static int tht_seen;
static void tht_ins(void *ud, const stdb_connection *c, const stdb_event *e, const conf_TableHoldsTable *row) {
    (void)ud; (void)c;
    CHECK(conf_TableHoldsTable_eq(row, &tht_want));
    check_own_event(e, "insert_table_holds_table");
    tht_seen++;
}

/* ---- pk_simple_enum ---- */
static int pse_ins, pse_upd, pse_del;
static void pse_on_insert(void *ud, const stdb_connection *c, const stdb_event *e, const conf_PkSimpleEnum *row) {
    (void)ud; (void)c; (void)e;
    CHECK(row->k == conf_SimpleEnum_Two && row->data == 10);
    pse_ins++;
}
static void pse_on_update(void *ud, const stdb_connection *c, const stdb_event *e, const conf_PkSimpleEnum *o,
                          const conf_PkSimpleEnum *n) {
    (void)ud; (void)c;
    check_own_event(e, "update_pk_simple_enum");
    CHECK(o->k == conf_SimpleEnum_Two && n->k == conf_SimpleEnum_Two && o->data == 10 && n->data == 20);
    pse_upd++;
}
static void pse_on_delete(void *ud, const stdb_connection *c, const stdb_event *e, const conf_PkSimpleEnum *row) {
    (void)ud; (void)c; (void)e;
    CHECK(row->k == conf_SimpleEnum_Two && row->data == 20);
    pse_del++;
}

/* ---- indexed_simple_enum ---- */
static int ise_ins, ise_del;
static conf_SimpleEnum ise_last_ins, ise_last_del;
static void ise_on_insert(void *ud, const stdb_connection *c, const stdb_event *e, const conf_IndexedSimpleEnum *row) {
    (void)ud; (void)c; (void)e;
    ise_last_ins = row->n;
    ise_ins++;
}
static void ise_on_delete(void *ud, const stdb_connection *c, const stdb_event *e, const conf_IndexedSimpleEnum *row) {
    (void)ud; (void)c; (void)e;
    ise_last_del = row->n;
    ise_del++;
}

int main(int argc, char **argv) {
    const char *c = argc > 1 ? argv[1] : "";
    ct_sub sub;
    memset(&sub, 0, sizeof sub);
    cs = ct_conn_init();
    conn = ct_connect(conf_register, &cs);
    CHECK_OK(conf_db_init(&db, conn));
    fill_values();
    CHECK_OK(stdb_subscription_builder_subscribe_all_tables(stdb_subscription_builder_new(conn), &sub.handle));
    TICK_UNTIL(conn, stdb_subscription_state(sub.handle) == STDB_SUBSCRIPTION_ACTIVE);

    if (!strcmp(c, "insert_vec")) {
        vec_u8_run(); vec_u16_run(); vec_u32_run(); vec_u64_run(); vec_u128_run(); vec_u256_run();
        vec_i8_run(); vec_i16_run(); vec_i32_run(); vec_i64_run(); vec_i128_run(); vec_i256_run();
        vec_bool_run(); vec_f32_run(); vec_f64_run(); vec_string_run(); vec_identity_run();
        vec_connection_id_run(); vec_timestamp_run(); vec_time_duration_run(); vec_simple_enum_run();
        vec_enum_with_payload_run(); vec_unit_struct_run(); vec_byte_struct_run();
        vec_every_primitive_struct_run(); vec_every_vec_struct_run();
        /* Empty vectors too. */
        vec_i32_want.v.len = 0; vec_i32_want.v.data = NULL; vec_i32_run();
        vec_string_want.v.len = 0; vec_string_want.v.data = NULL; vec_string_run();
    } else if (!strcmp(c, "insert_option_some")) {
        option_i32_want.v.has_value = true; option_i32_want.v.value = -42; option_i32_run();
        option_string_want.v.has_value = true; option_string_want.v.value = str_of("some"); option_string_run();
        option_identity_want.v.has_value = true; option_identity_want.v.value = cs.identity; option_identity_run();
        option_simple_enum_want.v.has_value = true; option_simple_enum_want.v.value = conf_SimpleEnum_Two; option_simple_enum_run();
        option_every_primitive_struct_want.v.has_value = true;
        option_every_primitive_struct_want.v.value = a_eps[1];
        option_every_primitive_struct_run();
        option_vec_option_i32_want.v.has_value = true;
        SET_VEC(option_vec_option_i32_want.v.value, a_opt_i32);
        option_vec_option_i32_run();
        /* Nested: some(some(x)) and some(none) are different values. */
        option_option_i32_want.v.has_value = true; option_option_i32_want.v.value = a_opt_i32[0]; option_option_i32_run();
        option_option_i32_want.v.value = a_opt_i32[1]; option_option_i32_run();
        CHECK(conf_option_option_i32_count(&db) == 2);
    } else if (!strcmp(c, "insert_option_none")) {
        option_i32_run(); option_string_run(); option_identity_run(); option_simple_enum_run();
        option_every_primitive_struct_run(); option_vec_option_i32_run(); option_option_i32_run();
        /* some(empty vector) differs from none. */
        option_vec_option_i32_want.v.has_value = true; option_vec_option_i32_run();
        CHECK(conf_option_vec_option_i32_count(&db) == 2);
    } else if (!strcmp(c, "insert_struct")) {
        one_unit_struct_run();
        one_byte_struct_want.v.b = 77; one_byte_struct_run();
        one_every_primitive_struct_want.v = a_eps[0]; one_every_primitive_struct_run();
        one_every_vec_struct_want.v = a_evs[0]; one_every_vec_struct_run();
        one_every_vec_struct_want.v = a_evs[1]; one_every_vec_struct_run();
    } else if (!strcmp(c, "insert_simple_enum")) {
        one_simple_enum_want.v = conf_SimpleEnum_Zero; one_simple_enum_run();
        one_simple_enum_want.v = conf_SimpleEnum_One; one_simple_enum_run();
        one_simple_enum_want.v = conf_SimpleEnum_Two; one_simple_enum_run();
        CHECK(conf_one_simple_enum_count(&db) == 3);
    } else if (!strcmp(c, "insert_enum_with_payload")) {
        int i;
        for (i = 0; i < 8; i++) {
            one_enum_with_payload_want.v = a_ewp[i];
            one_enum_with_payload_run();
        }
        CHECK(conf_one_enum_with_payload_count(&db) == 8);
    } else if (!strcmp(c, "insert_delete_large_table")) {
        run_large();
    } else if (!strcmp(c, "table_holds_table")) {
        tht_want.a.v = 9;
        tht_want.b.v.data = a_u8;
        tht_want.b.v.len = 3;
        CHECK_OK(conf_table_holds_table_on_insert(&db, tht_ins, NULL, NULL, NULL));
        CHECK_OK(conf_reducer_insert_table_holds_table(conn, &tht_want.a, &tht_want.b, 0));
        TICK_UNTIL(conn, tht_seen == 1);
    } else if (!strcmp(c, "pk_simple_enum")) {
        bool found = false;
        conf_PkSimpleEnum got;
        CHECK_OK(conf_pk_simple_enum_on_insert(&db, pse_on_insert, NULL, NULL, NULL));
        CHECK_OK(conf_pk_simple_enum_on_update(&db, pse_on_update, NULL, NULL, NULL));
        CHECK_OK(conf_pk_simple_enum_on_delete(&db, pse_on_delete, NULL, NULL, NULL));
        CHECK_OK(conf_reducer_insert_pk_simple_enum(conn, conf_SimpleEnum_Two, 10, 0));
        TICK_UNTIL(conn, pse_ins == 1);
        CHECK_OK(conf_reducer_update_pk_simple_enum(conn, conf_SimpleEnum_Two, 20, 0));
        TICK_UNTIL(conn, pse_upd == 1);
        CHECK(pse_ins == 1 && pse_del == 0);
        CHECK_OK(conf_pk_simple_enum_find_by_k(&db, conf_SimpleEnum_Two, &found, &got));
        CHECK(found && got.data == 20);
        CHECK_OK(conf_pk_simple_enum_find_by_k(&db, conf_SimpleEnum_One, &found, &got));
        CHECK(!found);
        CHECK_OK(conf_reducer_delete_pk_simple_enum(conn, conf_SimpleEnum_Two, 0));
        TICK_UNTIL(conn, pse_del == 1);
        CHECK(conf_pk_simple_enum_count(&db) == 0);
    } else if (!strcmp(c, "indexed_simple_enum")) {
        conf_vec_IndexedSimpleEnum rows;
        conf_bound_SimpleEnum lo;
        CHECK_OK(conf_indexed_simple_enum_on_insert(&db, ise_on_insert, NULL, NULL, NULL));
        CHECK_OK(conf_indexed_simple_enum_on_delete(&db, ise_on_delete, NULL, NULL, NULL));
        CHECK_OK(conf_reducer_insert_into_indexed_simple_enum(conn, conf_SimpleEnum_One, 0));
        TICK_UNTIL(conn, ise_ins == 1);
        CHECK(ise_last_ins == conf_SimpleEnum_One);
        CHECK_OK(conf_indexed_simple_enum_n_filter(&db, conf_SimpleEnum_One, &rows));
        CHECK(rows.len == 1 && rows.data[0].n == conf_SimpleEnum_One);
        conf_vec_IndexedSimpleEnum_free(&rows);
        /* The module finds the row through its index, deletes it and inserts Two. */
        CHECK_OK(conf_reducer_update_indexed_simple_enum(conn, conf_SimpleEnum_One, conf_SimpleEnum_Two, 0));
        TICK_UNTIL(conn, ise_ins == 2 && ise_del == 1);
        CHECK(ise_last_del == conf_SimpleEnum_One && ise_last_ins == conf_SimpleEnum_Two);
        CHECK_OK(conf_indexed_simple_enum_n_filter(&db, conf_SimpleEnum_One, &rows));
        CHECK(rows.len == 0);
        conf_vec_IndexedSimpleEnum_free(&rows);
        CHECK_OK(conf_indexed_simple_enum_n_filter(&db, conf_SimpleEnum_Two, &rows));
        CHECK(rows.len == 1);
        conf_vec_IndexedSimpleEnum_free(&rows);
        CHECK_OK(conf_reducer_insert_into_indexed_simple_enum(conn, conf_SimpleEnum_Zero, 0));
        TICK_UNTIL(conn, ise_ins == 3);
        lo.kind = STDB_BOUND_INCLUDED;
        lo.value = conf_SimpleEnum_One;
        CHECK_OK(conf_indexed_simple_enum_n_range(&db, &lo, NULL, &rows));
        CHECK(rows.len == 1 && rows.data[0].n == conf_SimpleEnum_Two);
        conf_vec_IndexedSimpleEnum_free(&rows);
        CHECK_OK(conf_indexed_simple_enum_n_range(&db, NULL, NULL, &rows));
        CHECK(rows.len == 2 && rows.data[0].n == conf_SimpleEnum_Zero && rows.data[1].n == conf_SimpleEnum_Two);
        conf_vec_IndexedSimpleEnum_free(&rows);
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
