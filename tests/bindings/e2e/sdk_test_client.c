/*
 * sdk_test_client.c — an end-to-end C client of the `sdk-test` module that touches rows and
 * reducer arguments only through the code stdb-bindings-gen generates (sdk_test.h): no BSATN by
 * hand. Run by bindings-gen/tests/e2e.rs against a live server with STDB_URI / STDB_DATABASE.
 *
 * It registers the embedded schema, looks up the tables at once, subscribes to everything, then
 * calls typed reducers and checks what comes back through typed row callbacks, typed reducer
 * callbacks, unique finds, btree filters and ranges, iteration and counts.
 */
#include "sdk_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int g_checks = 0;

#define CHECK(cond)                                                                                       \
    do {                                                                                                  \
        g_checks++;                                                                                       \
        if (!(cond)) {                                                                                    \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n  generated: %s\n  library: %s\n", __FILE__, __LINE__, \
                    #cond, sdk_test_last_error(), stdb_last_error());                                     \
            exit(1);                                                                                      \
        }                                                                                                 \
    } while (0)
#define CHECK_OK(expr) CHECK((expr) == 0)

/* Everything the callbacks record. */
typedef struct {
    int connected, applied, disconnected;
    stdb_identity identity;
    stdb_connection_id connection_id;
    int pk_inserts, pk_updates, pk_deletes;
    uint32_t last_pk_n;
    int32_t last_pk_data, last_old_data, last_new_data;
    int reducer_insert_pk_calls;
    uint32_t reducer_insert_pk_n;
    int32_t reducer_insert_pk_data;
    int32_t reducer_insert_pk_status;
    int all_types_seen, all_types_args_seen;
    sdk_test_AllTypes expected;
    int scores_inserted;
    int fail_seen;
    int tick_logs;
    int callers;
    int colored, pk_colors, pk_strings;
} app_t;

static app_t app;

static void sleep_ms(long ms) {
    struct timespec t;
    t.tv_sec = ms / 1000;
    t.tv_nsec = (ms % 1000) * 1000000L;
    nanosleep(&t, NULL);
}

/* Ticks until *counter >= n; fails after ~20 s. */
static void tick_until(const stdb_connection *conn, const int *counter, int n) {
    int i;
    for (i = 0; i < 20000 && *counter < n; i++) {
        stdb_result r = stdb_frame_tick(conn);
        CHECK(r == STDB_OK || r == STDB_ERR_DISCONNECTED);
        if (*counter < n) sleep_ms(1);
    }
    CHECK(*counter >= n);
}

/* ---- connection callbacks ----------------------------------------------------------------------- */

static void on_connect(void *ud, const stdb_connection *conn, const stdb_identity *identity, const char *token,
                       size_t token_len, const stdb_connection_id *cid) {
    char hex[80];
    (void)ud; (void)conn; (void)token; (void)token_len;
    app.identity = *identity;
    app.connection_id = *cid;
    sdk_test_identity_format(identity, hex, sizeof hex);
    printf("connected as %s\n", hex);
    app.connected = 1;
}

static void on_connect_error(void *ud, const stdb_connection *conn, int32_t kind, uint16_t status, const char *msg, size_t len) {
    (void)ud; (void)conn;
    fprintf(stderr, "connect error %d (http %u): %.*s\n", (int)kind, (unsigned)status, (int)len, msg);
    exit(1);
}

static void on_disconnect(void *ud, const stdb_connection *conn, const char *msg, size_t len) {
    (void)ud; (void)conn;
    if (msg) {
        fprintf(stderr, "disconnected with error: %.*s\n", (int)len, msg);
        exit(1);
    }
    app.disconnected = 1;
}

static void on_applied(void *ud, const stdb_connection *conn, const stdb_event *event) {
    (void)ud; (void)conn;
    CHECK(stdb_event_kind(event) == STDB_EVENT_SUBSCRIBE_APPLIED);
    app.applied = 1;
}

/* ---- typed row callbacks -------------------------------------------------------------------------- */

static void pk_insert(void *ud, const stdb_connection *conn, const stdb_event *event, const sdk_test_PkU32 *row) {
    (void)conn; (void)event;
    CHECK(ud == &app);
    app.pk_inserts++;
    app.last_pk_n = row->n;
    app.last_pk_data = row->data;
}

static void pk_update(void *ud, const stdb_connection *conn, const stdb_event *event, const sdk_test_PkU32 *old_row,
                      const sdk_test_PkU32 *new_row) {
    (void)ud; (void)conn;
    CHECK(stdb_event_kind(event) == STDB_EVENT_REDUCER);
    CHECK(old_row->n == new_row->n);
    app.pk_updates++;
    app.last_old_data = old_row->data;
    app.last_new_data = new_row->data;
}

static void pk_delete(void *ud, const stdb_connection *conn, const stdb_event *event, const sdk_test_PkU32 *row) {
    (void)ud; (void)conn; (void)event;
    app.pk_deletes++;
    app.last_pk_n = row->n;
}

static int freed_user_data = 0;
static void count_free(void *ud) {
    (void)ud;
    freed_user_data++;
}

static void all_types_insert(void *ud, const stdb_connection *conn, const stdb_event *event, const sdk_test_AllTypes *row) {
    char text[4096];
    sdk_test_buffer buf;
    sdk_test_AllTypes back;
    (void)ud; (void)conn; (void)event;
    app.expected.id = row->id; /* auto_inc */
    CHECK(sdk_test_AllTypes_eq(row, &app.expected));
    /* The row survives an encode/decode round trip through the generated codec. */
    memset(&buf, 0, sizeof buf);
    CHECK_OK(sdk_test_AllTypes_encode(&buf, row));
    CHECK_OK(sdk_test_AllTypes_from_bsatn(buf.data, buf.len, &back));
    CHECK(sdk_test_AllTypes_eq(&back, row));
    sdk_test_AllTypes_free(&back);
    sdk_test_buffer_free(&buf);
    CHECK(sdk_test_AllTypes_format(row, text, sizeof text) < sizeof text);
    printf("all_types row: %s\n", text);
    CHECK(strstr(text, "a_timestamp: 2023-11-14T22:13:20.123456+00:00") != NULL);
    CHECK(strstr(text, "a_duration: -1.500000") != NULL);
    CHECK(strstr(text, "a_i128: -170141183460469231731687303715884105728") != NULL);
    CHECK(strstr(text, "a_shape: Rect(Point { x: 1, y: -2 })") != NULL);
    CHECK(strstr(text, "a_opt_opt_string: some(none)") != NULL);
    app.all_types_seen++;
}

static void scores_insert(void *ud, const stdb_connection *conn, const stdb_event *event, const sdk_test_Scores *row) {
    (void)ud; (void)conn; (void)event; (void)row;
    app.scores_inserted++;
}

static void tick_log_insert(void *ud, const stdb_connection *conn, const stdb_event *event, const sdk_test_TickLog *row) {
    char when[64];
    (void)ud; (void)conn; (void)event;
    CHECK(strcmp(row->note.data, "tock") == 0);
    sdk_test_timestamp_format(&row->ran_at, when, sizeof when);
    printf("tick_log: note %s at %s\n", row->note.data, when);
    CHECK(strncmp(when, "20", 2) == 0 && strstr(when, "+00:00") != NULL);
    app.tick_logs++;
}

static void caller_insert(void *ud, const stdb_connection *conn, const stdb_event *event, const sdk_test_Caller *row) {
    (void)ud; (void)conn; (void)event;
    CHECK(sdk_test_identity_eq(&row->identity, &app.identity));
    CHECK(row->connection_id.has_value);
    CHECK(sdk_test_connection_id_eq(&row->connection_id.value, &app.connection_id));
    app.callers++;
}

static void colored_insert(void *ud, const stdb_connection *conn, const stdb_event *event, const sdk_test_Colored *row) {
    (void)ud; (void)conn; (void)event;
    CHECK(row->color == sdk_test_Color_Green);
    CHECK(strcmp(row->label.data, "grass") == 0);
    app.colored++;
}

static void pk_color_insert(void *ud, const stdb_connection *conn, const stdb_event *event, const sdk_test_PkColor *row) {
    (void)ud; (void)conn; (void)event;
    CHECK(row->color == sdk_test_Color_Blue && row->data == 3);
    app.pk_colors++;
}

static void pk_string_insert(void *ud, const stdb_connection *conn, const stdb_event *event, const sdk_test_PkString *row) {
    (void)ud; (void)conn; (void)event;
    CHECK(row->data == 9);
    app.pk_strings++;
}

/* ---- typed reducer callbacks ------------------------------------------------------------------- */

static void on_insert_pk(void *ud, const stdb_connection *conn, const stdb_event *event, const stdb_reducer_event *reducer,
                         uint32_t n, int32_t data) {
    stdb_reducer_info info;
    (void)ud; (void)conn; (void)event;
    CHECK(stdb_reducer_event_info(reducer, &info));
    app.reducer_insert_pk_calls++;
    app.reducer_insert_pk_n = n;
    app.reducer_insert_pk_data = data;
    app.reducer_insert_pk_status = info.status;
}

static void on_insert_all_types(void *ud, const stdb_connection *conn, const stdb_event *event,
                                const stdb_reducer_event *reducer, bool a_bool, int8_t a_i8, int16_t a_i16, int32_t a_i32,
                                int64_t a_i64, const sdk_test_i128 *a_i128, const sdk_test_i256 *a_i256, uint8_t a_u8,
                                uint16_t a_u16, uint32_t a_u32, uint64_t a_u64, const sdk_test_u128 *a_u128,
                                const sdk_test_u256 *a_u256, float a_f32, double a_f64, const char *a_string,
                                const sdk_test_bytes *a_bytes, const stdb_identity *a_identity,
                                const stdb_connection_id *a_connection_id, const sdk_test_timestamp *a_timestamp,
                                const sdk_test_time_duration *a_duration, const sdk_test_option_i32 *a_opt_i32,
                                const sdk_test_option_option_string *a_opt_opt_string, const sdk_test_Point *a_point,
                                const sdk_test_Shape *a_shape, const sdk_test_vec_i32 *a_vec_i32,
                                const sdk_test_vec_string *a_vec_string) {
    const sdk_test_AllTypes *e = &app.expected;
    (void)ud; (void)conn; (void)event; (void)reducer;
    CHECK(a_bool == e->a_bool && a_i8 == e->a_i8 && a_i16 == e->a_i16 && a_i32 == e->a_i32 && a_i64 == e->a_i64);
    CHECK(sdk_test_i128_eq(a_i128, &e->a_i128) && sdk_test_i256_eq(a_i256, &e->a_i256));
    CHECK(a_u8 == e->a_u8 && a_u16 == e->a_u16 && a_u32 == e->a_u32 && a_u64 == e->a_u64);
    CHECK(sdk_test_u128_eq(a_u128, &e->a_u128) && sdk_test_u256_eq(a_u256, &e->a_u256));
    CHECK(a_f32 == e->a_f32 && a_f64 == e->a_f64);
    CHECK(strcmp(a_string, e->a_string.data) == 0);
    CHECK(sdk_test_bytes_eq(a_bytes, &e->a_bytes));
    CHECK(sdk_test_identity_eq(a_identity, &e->a_identity));
    CHECK(sdk_test_connection_id_eq(a_connection_id, &e->a_connection_id));
    CHECK(sdk_test_timestamp_eq(a_timestamp, &e->a_timestamp) && sdk_test_time_duration_eq(a_duration, &e->a_duration));
    CHECK(sdk_test_option_i32_eq(a_opt_i32, &e->a_opt_i32));
    CHECK(sdk_test_option_option_string_eq(a_opt_opt_string, &e->a_opt_opt_string));
    CHECK(sdk_test_Point_eq(a_point, &e->a_point) && sdk_test_Shape_eq(a_shape, &e->a_shape));
    CHECK(sdk_test_vec_i32_eq(a_vec_i32, &e->a_vec_i32) && sdk_test_vec_string_eq(a_vec_string, &e->a_vec_string));
    app.all_types_args_seen++;
}

static void on_fail(void *ud, const stdb_connection *conn, const stdb_event *event, const stdb_reducer_event *reducer,
                    const char *message) {
    stdb_reducer_info info;
    (void)ud; (void)conn; (void)event;
    CHECK(stdb_reducer_event_info(reducer, &info));
    CHECK(info.status == STDB_STATUS_FAILED);
    CHECK(info.error_message.len == 4 && memcmp(info.error_message.data, "boom", 4) == 0);
    CHECK(strcmp(message, "boom") == 0);
    app.fail_seen++;
}

/* ---- queries ------------------------------------------------------------------------------------- */

static bool count_visitor(void *ud, const sdk_test_PkU32 *row) {
    int *n = (int *)ud;
    (void)row;
    (*n)++;
    return true;
}

static int has_name(const sdk_test_vec_Scores *rows, const char *name) {
    size_t i;
    for (i = 0; i < rows->len; i++)
        if (strcmp(rows->data[i].name.data, name) == 0) return 1;
    return 0;
}

static void check_scores(const sdk_test_db *db) {
    sdk_test_vec_Scores rows;
    sdk_test_bound_u32 lo_level, hi_level;
    sdk_test_bound_i64 lo_points;
    bool found = false;
    sdk_test_Scores one;

    CHECK_OK(sdk_test_scores_level_filter(db, 2, &rows));
    CHECK(rows.len == 2 && has_name(&rows, "b") && has_name(&rows, "c"));
    sdk_test_vec_Scores_free(&rows);

    lo_level.kind = STDB_BOUND_INCLUDED;
    lo_level.value = 2;
    CHECK_OK(sdk_test_scores_level_range(db, &lo_level, NULL, &rows));
    CHECK(rows.len == 3 && has_name(&rows, "d") && !has_name(&rows, "a"));
    sdk_test_vec_Scores_free(&rows);

    CHECK_OK(sdk_test_scores_by_level_points_filter(db, 2, 30, &rows));
    CHECK(rows.len == 1 && strcmp(rows.data[0].name.data, "c") == 0);
    /* Remember its id for find_by_id. */
    {
        uint64_t id = rows.data[0].id;
        sdk_test_vec_Scores_free(&rows);
        CHECK_OK(sdk_test_scores_find_by_id(db, id, &found, &one));
        CHECK(found && one.points == 30 && one.level == 2);
        sdk_test_Scores_free(&one);
    }

    lo_points.kind = STDB_BOUND_EXCLUDED;
    lo_points.value = 20;
    CHECK_OK(sdk_test_scores_by_level_points_range_points(db, 2, &lo_points, NULL, &rows));
    CHECK(rows.len == 1 && strcmp(rows.data[0].name.data, "c") == 0);
    sdk_test_vec_Scores_free(&rows);

    /* Prefix only: both bounds NULL. */
    CHECK_OK(sdk_test_scores_by_level_points_range_points(db, 2, NULL, NULL, &rows));
    CHECK(rows.len == 2);
    /* Index order: points ascending within the level. */
    CHECK(rows.data[0].points == 20 && rows.data[1].points == 30);
    sdk_test_vec_Scores_free(&rows);

    lo_level.kind = STDB_BOUND_INCLUDED;
    lo_level.value = 1;
    hi_level.kind = STDB_BOUND_EXCLUDED;
    hi_level.value = 3;
    CHECK_OK(sdk_test_scores_by_level_points_range_level(db, &lo_level, &hi_level, &rows));
    CHECK(rows.len == 3 && rows.data[0].level == 1 && !has_name(&rows, "d"));
    sdk_test_vec_Scores_free(&rows);

    CHECK_OK(sdk_test_scores_find_by_id(db, 999999, &found, &one));
    CHECK(!found);
    CHECK(sdk_test_scores_count(db) == 4);
}

static void fill_expected(sdk_test_AllTypes *e) {
    static uint8_t bytes[] = {1, 2, 3, 255};
    static int32_t ints[] = {1, -2, 3};
    static sdk_test_string strings[3];
    size_t i;
    memset(e, 0, sizeof *e);
    e->a_bool = true;
    e->a_i8 = -128;
    e->a_i16 = -30000;
    e->a_i32 = -2000000000;
    e->a_i64 = -9000000000000000000LL;
    CHECK_OK(sdk_test_i128_from_string("-170141183460469231731687303715884105728", 40, &e->a_i128));
    e->a_i256 = sdk_test_i256_from_i64(-42);
    e->a_u8 = 255;
    e->a_u16 = 65535;
    e->a_u32 = 4000000000u;
    e->a_u64 = 18000000000000000000ull;
    CHECK_OK(sdk_test_u128_from_string("340282366920938463463374607431768211455", 39, &e->a_u128));
    CHECK_OK(sdk_test_u256_from_string("123456789012345678901234567890123456789012345678901234567890", 60, &e->a_u256));
    e->a_f32 = 1.5f;
    e->a_f64 = -0.25;
    /* "héllo \"wörld\"" in UTF-8; a_string owns nothing here (static storage), so never free e. */
    e->a_string.data = (char *)"h\xc3\xa9llo \"w\xc3\xb6rld\"";
    e->a_string.len = strlen(e->a_string.data);
    e->a_bytes.data = bytes;
    e->a_bytes.len = sizeof bytes;
    for (i = 0; i < 32; i++) e->a_identity.bytes[i] = (uint8_t)(i * 7);
    for (i = 0; i < 16; i++) e->a_connection_id.bytes[i] = (uint8_t)(200 - i);
    e->a_timestamp.micros_since_unix_epoch = 1700000000123456LL;
    e->a_duration.micros = -1500000;
    e->a_opt_i32.has_value = true;
    e->a_opt_i32.value = -5;
    e->a_opt_opt_string.has_value = true; /* some(none) */
    e->a_point.x = 3;
    e->a_point.y = -4;
    e->a_shape.tag = sdk_test_Shape_Rect;
    e->a_shape.value.Rect.x = 1;
    e->a_shape.value.Rect.y = -2;
    e->a_vec_i32.data = ints;
    e->a_vec_i32.len = 3;
    strings[0].data = (char *)"a";
    strings[0].len = 1;
    strings[1].data = (char *)"";
    strings[1].len = 0;
    strings[2].data = (char *)"\xc3\xbc";
    strings[2].len = 2;
    e->a_vec_string.data = strings;
    e->a_vec_string.len = 3;
}

int main(void) {
    const char *uri = getenv("STDB_URI"), *dbname = getenv("STDB_DATABASE");
    stdb_connection_builder *b;
    stdb_connection *conn = NULL;
    stdb_subscription_builder *sb;
    stdb_subscription *sub = NULL;
    sdk_test_db db;
    uint64_t pk_insert_id, pk_update_id, pk_delete_id, reducer_id;
    bool found = false;
    sdk_test_PkU32 pk;
    sdk_test_vec_PkU32 pks;
    sdk_test_bound_u32 lo, hi;
    int visited = 0;
    const sdk_test_AllTypes *e = &app.expected;

    if (!uri || !dbname) {
        fprintf(stderr, "set STDB_URI and STDB_DATABASE\n");
        return 2;
    }

    b = stdb_connection_builder_new();
    CHECK_OK(sdk_test_register(b));
    CHECK_OK(stdb_connection_builder_set_uri(b, uri, strlen(uri)));
    CHECK_OK(stdb_connection_builder_set_module_name(b, dbname, strlen(dbname)));
    CHECK_OK(stdb_connection_builder_on_connect(b, on_connect, NULL, NULL));
    CHECK_OK(stdb_connection_builder_on_connect_error(b, on_connect_error, NULL, NULL));
    CHECK_OK(stdb_connection_builder_on_disconnect(b, on_disconnect, NULL, NULL));
    CHECK_OK(stdb_connection_builder_build(b, &conn));

    /* The embedded schema makes the tables available before the connection is even up. */
    CHECK_OK(sdk_test_db_init(&db, conn));
    CHECK(sdk_test_pk_u32_count(&db) == 0);

    CHECK_OK(sdk_test_pk_u32_on_insert(&db, pk_insert, &app, count_free, &pk_insert_id));
    CHECK_OK(sdk_test_pk_u32_on_update(&db, pk_update, &app, count_free, &pk_update_id));
    CHECK_OK(sdk_test_pk_u32_on_delete(&db, pk_delete, &app, count_free, &pk_delete_id));
    CHECK_OK(sdk_test_all_types_on_insert(&db, all_types_insert, NULL, NULL, NULL));
    CHECK_OK(sdk_test_scores_on_insert(&db, scores_insert, NULL, NULL, NULL));
    CHECK_OK(sdk_test_tick_log_on_insert(&db, tick_log_insert, NULL, NULL, NULL));
    CHECK_OK(sdk_test_caller_on_insert(&db, caller_insert, NULL, NULL, NULL));
    CHECK_OK(sdk_test_colored_on_insert(&db, colored_insert, NULL, NULL, NULL));
    CHECK_OK(sdk_test_pk_color_on_insert(&db, pk_color_insert, NULL, NULL, NULL));
    CHECK_OK(sdk_test_pk_string_on_insert(&db, pk_string_insert, NULL, NULL, NULL));
    CHECK_OK(sdk_test_on_reducer_insert_pk_u32(conn, on_insert_pk, NULL, count_free, &reducer_id));
    CHECK_OK(sdk_test_on_reducer_insert_all_types(conn, on_insert_all_types, NULL, NULL, NULL));
    CHECK_OK(sdk_test_on_reducer_fail(conn, on_fail, NULL, NULL, NULL));
    /* Misuse is an error code, and free_user_data still runs exactly once. */
    CHECK(sdk_test_pk_u32_on_insert(&db, NULL, &app, count_free, NULL) == STDB_ERR_NULL);
    CHECK(freed_user_data == 1);
    /* unique_u32 has no primary key, so no on_update is generated for it (compile-time API). */

    tick_until(conn, &app.connected, 1);

    /* NULL is refused with a last error, never sent as "" nor reported with a stale message. */
    {
        uint32_t v = 0;
        sdk_test_u32_from_bsatn(NULL, 1, &v); /* leaves a last error... */
        CHECK(sdk_test_reducer_fail(conn, NULL, STDB_CALL_FULL_UPDATE) == STDB_ERR_NULL);
        CHECK(strstr(sdk_test_last_error(), "calling fail: NULL argument") != NULL);
        CHECK(sdk_test_u32_from_bsatn(NULL, 4, &v) == STDB_ERR_NULL);
        CHECK(strstr(sdk_test_last_error(), "decoding u32: data is NULL") != NULL);
        CHECK(sdk_test_u32_from_bsatn((const uint8_t *)"\1\0\0\0", 4, NULL) == STDB_ERR_NULL);
        CHECK(strstr(sdk_test_last_error(), "decoding u32: out is NULL") != NULL);
    }
    sb = stdb_subscription_builder_new(conn);
    CHECK_OK(stdb_subscription_builder_on_applied(sb, on_applied, NULL, NULL));
    CHECK_OK(stdb_subscription_builder_subscribe_all_tables(sb, &sub));
    tick_until(conn, &app.applied, 1);

    /* Insert, with a typed reducer callback. */
    CHECK_OK(sdk_test_reducer_insert_pk_u32(conn, 7, -70, STDB_CALL_FULL_UPDATE));
    tick_until(conn, &app.pk_inserts, 1);
    CHECK(app.last_pk_n == 7 && app.last_pk_data == -70);
    tick_until(conn, &app.reducer_insert_pk_calls, 1);
    CHECK(app.reducer_insert_pk_n == 7 && app.reducer_insert_pk_data == -70);
    CHECK(app.reducer_insert_pk_status == STDB_STATUS_COMMITTED);

    CHECK(sdk_test_pk_u32_count(&db) == 1);
    CHECK_OK(sdk_test_pk_u32_find_by_n(&db, 7, &found, &pk));
    CHECK(found && pk.data == -70);
    sdk_test_PkU32_free(&pk);
    CHECK_OK(sdk_test_pk_u32_find_by_n(&db, 8, &found, &pk));
    CHECK(!found);
    CHECK_OK(sdk_test_pk_u32_iter(&db, count_visitor, &visited));
    CHECK(visited == 1);
    CHECK_OK(sdk_test_pk_u32_n_filter(&db, 7, &pks));
    CHECK(pks.len == 1 && pks.data[0].data == -70);
    sdk_test_vec_PkU32_free(&pks);
    lo.kind = STDB_BOUND_INCLUDED;
    lo.value = 5;
    hi.kind = STDB_BOUND_EXCLUDED;
    hi.value = 7;
    CHECK_OK(sdk_test_pk_u32_n_range(&db, &lo, &hi, &pks));
    CHECK(pks.len == 0 && pks.data == NULL);
    hi.value = 8;
    CHECK_OK(sdk_test_pk_u32_n_range(&db, &lo, &hi, &pks));
    CHECK(pks.len == 1);
    sdk_test_vec_PkU32_free(&pks);

    /* Update (same primary key): a typed old/new pair. */
    CHECK_OK(sdk_test_reducer_update_pk_u32(conn, 7, 77, STDB_CALL_FULL_UPDATE));
    tick_until(conn, &app.pk_updates, 1);
    CHECK(app.last_old_data == -70 && app.last_new_data == 77);

    /* Every type, through a reducer and back as a row. */
    fill_expected(&app.expected);
    CHECK_OK(sdk_test_reducer_insert_all_types(conn, e->a_bool, e->a_i8, e->a_i16, e->a_i32, e->a_i64, &e->a_i128,
                                               &e->a_i256, e->a_u8, e->a_u16, e->a_u32, e->a_u64, &e->a_u128, &e->a_u256,
                                               e->a_f32, e->a_f64, e->a_string.data, &e->a_bytes, &e->a_identity,
                                               &e->a_connection_id, &e->a_timestamp, &e->a_duration, &e->a_opt_i32,
                                               &e->a_opt_opt_string, &e->a_point, &e->a_shape, &e->a_vec_i32,
                                               &e->a_vec_string, STDB_CALL_FULL_UPDATE));
    tick_until(conn, &app.all_types_seen, 1);
    tick_until(conn, &app.all_types_args_seen, 1);
    /* A NULL where a value is required is refused before anything is sent. */
    CHECK(sdk_test_reducer_insert_all_types(conn, e->a_bool, e->a_i8, e->a_i16, e->a_i32, e->a_i64, NULL, &e->a_i256,
                                            e->a_u8, e->a_u16, e->a_u32, e->a_u64, &e->a_u128, &e->a_u256, e->a_f32,
                                            e->a_f64, e->a_string.data, &e->a_bytes, &e->a_identity, &e->a_connection_id,
                                            &e->a_timestamp, &e->a_duration, &e->a_opt_i32, &e->a_opt_opt_string,
                                            &e->a_point, &e->a_shape, &e->a_vec_i32, &e->a_vec_string, 0) == STDB_ERR_NULL);

    /* Indexes: single-column and two-column btree, exact and ranges. */
    CHECK_OK(sdk_test_reducer_insert_score(conn, 1, "a", 10, 0));
    CHECK_OK(sdk_test_reducer_insert_score(conn, 2, "b", 20, 0));
    CHECK_OK(sdk_test_reducer_insert_score(conn, 2, "c", 30, 0));
    CHECK_OK(sdk_test_reducer_insert_score(conn, 3, "d", 5, 0));
    tick_until(conn, &app.scores_inserted, 4);
    check_scores(&db);

    /* String primary key, enum index and enum primary key. */
    CHECK_OK(sdk_test_reducer_insert_pk_string(conn, "cl\xc3\xa9", 9, 0));
    CHECK_OK(sdk_test_reducer_insert_colored(conn, sdk_test_Color_Green, "grass", 0));
    CHECK_OK(sdk_test_reducer_insert_pk_color(conn, sdk_test_Color_Blue, 3, 0));
    tick_until(conn, &app.pk_strings, 1);
    tick_until(conn, &app.colored, 1);
    tick_until(conn, &app.pk_colors, 1);
    {
        sdk_test_PkString s;
        sdk_test_PkColor c;
        sdk_test_vec_Colored cs;
        CHECK_OK(sdk_test_pk_string_find_by_s(&db, "cl\xc3\xa9", &found, &s));
        CHECK(found && s.data == 9);
        sdk_test_PkString_free(&s);
        CHECK_OK(sdk_test_pk_color_find_by_color(&db, sdk_test_Color_Blue, &found, &c));
        CHECK(found && c.data == 3);
        CHECK_OK(sdk_test_pk_color_find_by_color(&db, sdk_test_Color_Red, &found, &c));
        CHECK(!found);
        CHECK_OK(sdk_test_colored_color_filter(&db, sdk_test_Color_Green, &cs));
        CHECK(cs.len == 1 && strcmp(cs.data[0].label.data, "grass") == 0);
        sdk_test_vec_Colored_free(&cs);
    }

    /* Identity and Option<ConnectionId> as the module saw the caller. */
    CHECK_OK(sdk_test_reducer_insert_caller(conn, 0));
    tick_until(conn, &app.callers, 1);

    /* A failing reducer: typed callback with the decoded argument and the error. */
    CHECK_OK(sdk_test_reducer_fail(conn, "boom", STDB_CALL_FULL_UPDATE));
    tick_until(conn, &app.fail_seen, 1);

    /* A scheduled reducer writes a Timestamp. */
    CHECK_OK(sdk_test_reducer_schedule_tick(conn, 0, "tock", 0));
    tick_until(conn, &app.tick_logs, 1);

    /* Delete, then removal of callbacks (their user data is released). */
    CHECK_OK(sdk_test_reducer_delete_pk_u32(conn, 7, 0));
    tick_until(conn, &app.pk_deletes, 1);
    CHECK(app.last_pk_n == 7 && sdk_test_pk_u32_count(&db) == 0);
    CHECK_OK(sdk_test_pk_u32_remove_callback(&db, pk_insert_id));
    CHECK_OK(sdk_test_pk_u32_remove_callback(&db, pk_update_id));
    CHECK_OK(sdk_test_pk_u32_remove_callback(&db, pk_delete_id));
    CHECK(sdk_test_pk_u32_remove_callback(&db, pk_delete_id) != 0);
    CHECK_OK(sdk_test_remove_on_reducer(conn, reducer_id));
    tick_until(conn, &freed_user_data, 5);
    CHECK(sdk_test_remove_on_reducer(conn, reducer_id) != 0);
    CHECK(strlen(sdk_test_last_error()) > 0);

    CHECK_OK(stdb_connection_disconnect(conn));
    tick_until(conn, &app.disconnected, 1);
    stdb_subscription_free(sub);
    sdk_test_db_free(&db);
    stdb_connection_free(conn);
    printf("e2e ok: %d checks\n", g_checks);
    return 0;
}
