/* primitives_as_strings.c — the generated formatters print each primitive exactly as the server's
 * own `Display` does. The module's `insert_primitives_as_strings` formats every field of an
 * EveryPrimitiveStruct with `to_string()` into a vec_string row; the client formats the same
 * values with conf_T_format and compares, field by field. A few outputs are also pinned to the
 * documented spacetimedb-sats 1.2.0 formats (timestamp RFC 3339 with microseconds and +00:00,
 * duration `{sign}{secs}.{micros:06}`, identity / connection id as lowercase big-endian hex).
 *
 * Floats print positionally, as Rust's Display does (1e30f32 prints 31 digits), including values
 * whose shortest `%g` form would use an exponent.
 */
// conformance-cases: insert_primitives_as_strings
#include "conf.h"
#include "ctest.h"

static stdb_connection *conn;
static ct_conn cs;
static conf_db db;
static int rows_seen;
static conf_vec_string_ got;

static void on_vec_string(void *ud, const stdb_connection *c, const stdb_event *e, const conf_VecString *row) {
    size_t i;
    (void)ud; (void)c; (void)e;
    CHECK(row->v.len == 20);
    got.len = row->v.len;
    got.data = calloc(got.len, sizeof got.data[0]);
    CHECK(got.data != NULL);
    for (i = 0; i < got.len; i++) CHECK_OK(conf_string_from(row->v.data[i].data, row->v.data[i].len, &got.data[i]));
    rows_seen++;
}

static void expect(int field, const char *mine) {
    const conf_string *s = &got.data[field];
    if (strlen(mine) != s->len || memcmp(mine, s->data, s->len) != 0)
        fprintf(stderr, "field %c: server \"%.*s\", client \"%s\"\n", 'a' + field, (int)s->len, s->data, mine);
    CHECK(strlen(mine) == s->len && memcmp(mine, s->data, s->len) == 0);
}

#define FMT(T, field, idx)                                                                              \
    do {                                                                                                \
        char buf_[512];                                                                                 \
        size_t n_ = conf_##T##_format(&v->field, buf_, sizeof buf_);                                    \
        CHECK(n_ < sizeof buf_);                                                                        \
        expect(idx, buf_);                                                                              \
    } while (0)

static void round_trip(const conf_EveryPrimitiveStruct *v) {
    size_t i;
    int want = rows_seen + 1;
    CHECK_OK(conf_reducer_insert_primitives_as_strings(conn, v, 0));
    TICK_UNTIL(conn, rows_seen == want);
    FMT(u8, a, 0); FMT(u16, b, 1); FMT(u32, c, 2); FMT(u64, d, 3); FMT(u128, e, 4); FMT(u256, f, 5);
    FMT(i8, g, 6); FMT(i16, h, 7); FMT(i32, i, 8); FMT(i64, j, 9); FMT(i128, k, 10); FMT(i256, l, 11);
    FMT(bool, m, 12); FMT(f32, n, 13); FMT(f64, o, 14);
    expect(15, v->p.data); /* Display of a String is the string itself */
    FMT(identity, q, 16); FMT(connection_id, r, 17); FMT(timestamp, s, 18); FMT(time_duration, t, 19);
    /* The library's own hex forms agree too. */
    {
        char hex[65];
        CHECK(stdb_identity_to_hex(&v->q, hex));
        expect(16, hex);
        CHECK(stdb_connection_id_to_hex(&v->r, hex));
        expect(17, hex);
    }
    for (i = 0; i < got.len; i++) conf_string_free(&got.data[i]);
    free(got.data);
    got.data = NULL;
}

int main(int argc, char **argv) {
    conf_EveryPrimitiveStruct v;
    ct_sub s;
    int i;
    char buf[128];
    (void)argc; (void)argv;
    memset(&s, 0, sizeof s);
    cs = ct_conn_init();
    conn = ct_connect(conf_register, &cs);
    CHECK_OK(conf_db_init(&db, conn));
    CHECK_OK(conf_vec_string_on_insert(&db, on_vec_string, NULL, NULL, NULL));
    ct_subscribe1(conn, &s, "SELECT * FROM vec_string");

    /* Extremes. */
    memset(&v, 0, sizeof v);
    v.a = 255; v.b = 65535; v.c = UINT32_MAX; v.d = UINT64_MAX;
    CHECK_OK(conf_u128_from_string("340282366920938463463374607431768211455", 39, &v.e));
    CHECK_OK(conf_u256_from_string("115792089237316195423570985008687907853269984665640564039457584007913129639935", 78, &v.f));
    v.g = INT8_MIN; v.h = INT16_MIN; v.i = INT32_MIN; v.j = INT64_MIN;
    CHECK_OK(conf_i128_from_string("-170141183460469231731687303715884105728", 40, &v.k));
    CHECK_OK(conf_i256_from_string("-57896044618658097711785492504343953926634992332820282019728792003956564819968", 78, &v.l));
    v.m = true; v.n = 2.5f; v.o = -0.25;
    v.p.data = (char *)"pl\xc3\xa4in \"text\"";
    v.p.len = strlen(v.p.data);
    v.q = cs.identity; v.r = cs.cid;
    v.s.micros_since_unix_epoch = 1700000000123456LL;
    v.t.micros = -1500000;
    round_trip(&v);

    /* Pinned documented formats for the same values. */
    CHECK(conf_timestamp_format(&v.s, buf, sizeof buf) < sizeof buf);
    CHECK(strcmp(buf, "2023-11-14T22:13:20.123456+00:00") == 0);
    CHECK(conf_time_duration_format(&v.t, buf, sizeof buf) < sizeof buf);
    CHECK(strcmp(buf, "-1.500000") == 0);
    CHECK(conf_u256_format(&v.f, buf, sizeof buf) < sizeof buf);
    CHECK(strcmp(buf, "115792089237316195423570985008687907853269984665640564039457584007913129639935") == 0);

    /* Zeros, small values, pre-epoch time, a positive duration, another identity. */
    memset(&v, 0, sizeof v);
    v.a = 0; v.d = 1; v.e = conf_u128_from_u64(0); v.f = conf_u256_from_u64(1);
    v.g = 127; v.j = -1; v.k = conf_i128_from_i64(-1); v.l = conf_i256_from_i64(0);
    v.m = false; v.n = -1.0f; v.o = 1234.5678;
    v.p.data = (char *)"";
    v.p.len = 0;
    for (i = 0; i < 32; i++) v.q.bytes[i] = (uint8_t)(i * 8 + 1);
    for (i = 0; i < 16; i++) v.r.bytes[i] = (uint8_t)(0xf0 - i);
    v.s.micros_since_unix_epoch = -86400000001LL; /* 1969-12-30T23:59:59.999999 */
    v.t.micros = 3600000007LL;
    round_trip(&v);
    CHECK(conf_timestamp_format(&v.s, buf, sizeof buf) < sizeof buf);
    CHECK(strcmp(buf, "1969-12-30T23:59:59.999999+00:00") == 0);
    CHECK(conf_time_duration_format(&v.t, buf, sizeof buf) < sizeof buf);
    CHECK(strcmp(buf, "+3600.000007") == 0);

    /* Floats far from 1, where a printf-style formatter would switch to exponents. */
    v.n = 1e30f;
    v.o = 1.5e-7;
    round_trip(&v);
    v.n = -3.4028235e38f;
    v.o = 5e-324;
    round_trip(&v);
    v.n = 1.0e-10f;
    v.o = 123456789012345680000.0;
    round_trip(&v);

    stdb_subscription_free(s.handle);
    conf_db_free(&db);
    ct_close(conn, &cs);
    ct_pass("insert_primitives_as_strings");
    return 0;
}
