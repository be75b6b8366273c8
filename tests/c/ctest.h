/* ctest.h — the one helper header of every C test program: the programs in tests/c/ (run by
 * tests/c_programs.rs) and the conformance programs in tests/conformance/ (tests/conformance.rs).
 * Generic over modules: a program passes its generated `PREFIX_register` to `ct_connect`, or NULL
 * to let the library fetch the schema. */
#ifndef CTEST_H
#define CTEST_H

#include "stdb_client.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int g_checks = 0;

#define CHECK(cond)                                                                                    \
    do {                                                                                               \
        g_checks++;                                                                                    \
        if (!(cond)) {                                                                                 \
            fprintf(stderr, "%s:%d: CHECK failed: %s (library: %s)\n", __FILE__, __LINE__, #cond,     \
                    stdb_last_error());                                                                \
            exit(1);                                                                                   \
        }                                                                                              \
    } while (0)
#define CHECK_OK(expr) CHECK((expr) == 0)
#define CHECK_RC(expr, rc) CHECK((expr) == (rc))
/* A string literal as the (pointer, length) pair the API takes. */
#define S(lit) lit, (sizeof(lit) - 1)

static inline void ct_pass(const char *name) {
    printf("PASS %s (%d checks)\n", name, g_checks);
    fflush(stdout);
}

static inline const char *ct_env(const char *name) {
    const char *v = getenv(name);
    if (!v || !*v) {
        fprintf(stderr, "environment variable %s is not set\n", name);
        exit(2);
    }
    return v;
}

static inline void ct_sleep_ms(long ms) {
    struct timespec t;
    t.tv_sec = ms / 1000;
    t.tv_nsec = (ms % 1000) * 1000000L;
    nanosleep(&t, NULL);
}

/* Ticks `conn` until *flag becomes non-zero, each tick succeeding or reporting the end; fails after ~20 s. */
static inline void ct_tick_until(const stdb_connection *conn, volatile int *flag) {
    int i;
    for (i = 0; i < 20000 && !*flag; i++) {
        stdb_result r = stdb_frame_tick(conn);
        CHECK(r == STDB_OK || r == STDB_ERR_DISCONNECTED);
        if (!*flag) ct_sleep_ms(1);
    }
    CHECK(*flag);
}

/* Ticks `conn` until *counter reaches at least `n`; fails after ~20 s. */
static inline void ct_tick_until_count(const stdb_connection *conn, volatile int *counter, int n) {
    int i;
    for (i = 0; i < 20000 && *counter < n; i++) {
        stdb_frame_tick(conn);
        if (*counter < n) ct_sleep_ms(1);
    }
    CHECK(*counter >= n);
}

/* Ticks up to 4 connections (NULLs skipped) once. */
static inline void ct_tick(const stdb_connection *a, const stdb_connection *b, const stdb_connection *c,
                           const stdb_connection *d) {
    if (a) stdb_frame_tick(a);
    if (b) stdb_frame_tick(b);
    if (c) stdb_frame_tick(c);
    if (d) stdb_frame_tick(d);
}

/* Ticks `conn` until *counter >= n; fails after ~30 s. */
#define TICK_UNTIL(conn, cond)                                                                         \
    do {                                                                                               \
        int ct_i_;                                                                                     \
        for (ct_i_ = 0; ct_i_ < 30000 && !(cond); ct_i_++) {                                           \
            stdb_frame_tick(conn);                                                                     \
            if (!(cond)) ct_sleep_ms(1);                                                               \
        }                                                                                              \
        if (!(cond)) {                                                                                 \
            fprintf(stderr, "%s:%d: timed out waiting for %s\n", __FILE__, __LINE__, #cond);          \
            exit(1);                                                                                   \
        }                                                                                              \
        g_checks++;                                                                                    \
    } while (0)

/* Ticks several connections until cond; fails after ~30 s. */
#define TICK_ALL_UNTIL(a, b, c, d, cond)                                                               \
    do {                                                                                               \
        int ct_i_;                                                                                     \
        for (ct_i_ = 0; ct_i_ < 30000 && !(cond); ct_i_++) {                                           \
            ct_tick(a, b, c, d);                                                                       \
            if (!(cond)) ct_sleep_ms(1);                                                               \
        }                                                                                              \
        if (!(cond)) {                                                                                 \
            fprintf(stderr, "%s:%d: timed out waiting for %s\n", __FILE__, __LINE__, #cond);          \
            exit(1);                                                                                   \
        }                                                                                              \
        g_checks++;                                                                                    \
    } while (0)

/* Ticks for about `ms` milliseconds (to let things that must NOT happen have a chance to). */
static inline void ct_tick_for(const stdb_connection *a, const stdb_connection *b, long ms) {
    long i;
    for (i = 0; i < ms; i++) {
        ct_tick(a, b, NULL, NULL);
        ct_sleep_ms(1);
    }
}

/* ---- connecting ---- */

typedef int32_t (*ct_register_fn)(stdb_connection_builder *b);

typedef struct {
    /* inputs */
    const char *token; /* NULL: anonymous */
    int compression;   /* -1: default */
    int light;
    const stdb_connection_id *connection_id;
    const char *database; /* NULL: $STDB_DATABASE */
    int32_t protocol;     /* 0: the default offer; else only this STDB_PROTOCOL_* */
    /* outputs */
    int connected, connect_error, disconnected, disconnect_had_error;
    int32_t error_kind;
    uint16_t error_status;
    char error_message[512];
    stdb_identity identity;
    stdb_connection_id cid;
    char token_out[4096];
} ct_conn;

static inline void ct_on_connect(void *ud, const stdb_connection *c, const stdb_identity *id, const char *tok,
                                 size_t tok_len, const stdb_connection_id *cid) {
    ct_conn *s = ud;
    (void)c;
    s->identity = *id;
    s->cid = *cid;
    CHECK(tok_len < sizeof s->token_out);
    memcpy(s->token_out, tok, tok_len);
    s->token_out[tok_len] = 0;
    s->connected = 1;
}
static inline void ct_on_connect_error(void *ud, const stdb_connection *c, int32_t kind, uint16_t status,
                                       const char *m, size_t n) {
    ct_conn *s = ud;
    (void)c;
    s->error_kind = kind;
    s->error_status = status;
    snprintf(s->error_message, sizeof s->error_message, "%.*s", (int)n, m);
    s->connect_error = 1;
}
static inline void ct_on_disconnect(void *ud, const stdb_connection *c, const char *m, size_t n) {
    ct_conn *s = ud;
    (void)c;
    s->disconnected = 1;
    s->disconnect_had_error = m != NULL;
    if (m) fprintf(stderr, "disconnected: %.*s\n", (int)n, m);
}

/* Builds a connection with the generated schema registered; does not wait. */
static inline stdb_connection *ct_build(ct_register_fn reg, ct_conn *s) {
    const char *uri = ct_env("STDB_URI");
    const char *db = s->database ? s->database : ct_env("STDB_DATABASE");
    stdb_connection_builder *b = stdb_connection_builder_new();
    stdb_connection *conn = NULL;
    CHECK(b != NULL);
    if (reg) CHECK_OK(reg(b));
    CHECK_OK(stdb_connection_builder_set_uri(b, uri, strlen(uri)));
    CHECK_OK(stdb_connection_builder_set_module_name(b, db, strlen(db)));
    if (s->token) CHECK_OK(stdb_connection_builder_set_token(b, s->token, strlen(s->token)));
    if (s->compression > 0) CHECK_OK(stdb_connection_builder_set_compression(b, s->compression));
    if (s->compression == 0) CHECK_OK(stdb_connection_builder_set_compression(b, 0));
    if (s->light) CHECK_OK(stdb_connection_builder_set_light_mode(b, true));
    if (s->connection_id) CHECK_OK(stdb_connection_builder_set_connection_id(b, s->connection_id));
    if (s->protocol) CHECK_OK(stdb_connection_builder_set_protocols(b, &s->protocol, 1));
    CHECK_OK(stdb_connection_builder_on_connect(b, ct_on_connect, s, NULL));
    CHECK_OK(stdb_connection_builder_on_connect_error(b, ct_on_connect_error, s, NULL));
    CHECK_OK(stdb_connection_builder_on_disconnect(b, ct_on_disconnect, s, NULL));
    CHECK_OK(stdb_connection_builder_build(b, &conn));
    CHECK(conn != NULL);
    return conn;
}

/* Connects and ticks until on_connect (fails on a connect error). */
static inline stdb_connection *ct_connect(ct_register_fn reg, ct_conn *s) {
    stdb_connection *conn = ct_build(reg, s);
    TICK_UNTIL(conn, s->connected || s->connect_error);
    if (s->connect_error)
        fprintf(stderr, "connect error kind %d http %u: %s\n", (int)s->error_kind, (unsigned)s->error_status,
                s->error_message);
    CHECK(s->connected);
    return conn;
}

/* Connects to database `db` with the schema fetched by the library. */
static inline stdb_connection *ct_connect_to(const char *db, ct_conn *s) {
    s->database = db;
    return ct_connect(NULL, s);
}

/* A default-initialised ct_conn (compression default). */
static inline ct_conn ct_conn_init(void) {
    ct_conn s;
    memset(&s, 0, sizeof s);
    s.compression = -1;
    return s;
}

/* Disconnects cleanly and frees. */
static inline void ct_close(stdb_connection *conn, ct_conn *s) {
    CHECK_OK(stdb_connection_disconnect(conn));
    TICK_UNTIL(conn, s->disconnected);
    CHECK(!s->disconnect_had_error);
    stdb_connection_free(conn);
}

/* ---- subscribing ---- */

typedef struct {
    int applied, errors, ended;
    char error[512];
    stdb_subscription *handle;
} ct_sub;

static inline void ct_sub_applied(void *ud, const stdb_connection *c, const stdb_event *e) {
    ct_sub *s = ud;
    (void)c;
    CHECK(stdb_event_kind(e) == STDB_EVENT_SUBSCRIBE_APPLIED);
    s->applied++;
}
static inline void ct_sub_error(void *ud, const stdb_connection *c, const char *m, size_t n) {
    ct_sub *s = ud;
    (void)c;
    snprintf(s->error, sizeof s->error, "%.*s", (int)n, m);
    s->errors++;
}
static inline void ct_sub_ended(void *ud, const stdb_connection *c, const stdb_event *e) {
    ct_sub *s = ud;
    (void)c;
    (void)e;
    s->ended++;
}

/* Starts a subscription to `n` queries; does not wait. */
static inline void ct_subscribe_start(const stdb_connection *conn, ct_sub *s, const char *const *queries, size_t n) {
    stdb_bytes q[32];
    size_t i;
    stdb_subscription_builder *b = stdb_subscription_builder_new(conn);
    CHECK(b != NULL && n <= 32);
    for (i = 0; i < n; i++) {
        q[i].data = (const uint8_t *)queries[i];
        q[i].len = strlen(queries[i]);
    }
    CHECK_OK(stdb_subscription_builder_on_applied(b, ct_sub_applied, s, NULL));
    CHECK_OK(stdb_subscription_builder_on_error(b, ct_sub_error, s, NULL));
    CHECK_OK(stdb_subscription_builder_subscribe(b, q, n, &s->handle));
}

/* Subscribes and waits for on_applied (fails on on_error). */
static inline void ct_subscribe(const stdb_connection *conn, ct_sub *s, const char *const *queries, size_t n) {
    ct_subscribe_start(conn, s, queries, n);
    TICK_UNTIL(conn, s->applied || s->errors);
    if (s->errors) fprintf(stderr, "subscription error: %s\n", s->error);
    CHECK(s->applied == 1 && s->errors == 0);
    CHECK(stdb_subscription_state(s->handle) == STDB_SUBSCRIPTION_ACTIVE);
}

static inline void ct_subscribe1(const stdb_connection *conn, ct_sub *s, const char *query) {
    ct_subscribe(conn, s, &query, 1);
}

/* Unsubscribes and waits until the rows are gone. */
static inline void ct_unsubscribe(const stdb_connection *conn, ct_sub *s) {
    CHECK_OK(stdb_subscription_unsubscribe_then(s->handle, ct_sub_ended, s, NULL));
    TICK_UNTIL(conn, s->ended);
    CHECK(stdb_subscription_state(s->handle) == STDB_SUBSCRIPTION_ENDED);
}

/* ---- BSATN arguments and rows, by hand ---- */

typedef struct { uint8_t data[1024]; size_t len; } args_t;
static inline void args_u32(args_t *a, uint32_t v) { memcpy(a->data + a->len, &v, 4); a->len += 4; }
static inline void args_i32(args_t *a, int32_t v) { memcpy(a->data + a->len, &v, 4); a->len += 4; }
static inline void args_i64(args_t *a, int64_t v) { memcpy(a->data + a->len, &v, 8); a->len += 8; }
static inline void args_str(args_t *a, const char *s) { uint32_t n = (uint32_t)strlen(s); args_u32(a, n); memcpy(a->data + a->len, s, n); a->len += n; }
static inline uint32_t rd_u32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }
static inline int32_t rd_i32(const uint8_t *p) { int32_t v; memcpy(&v, p, 4); return v; }

/* Calls a reducer with hand-encoded arguments (NULL: none). */
static inline void ct_call_reducer(const stdb_connection *conn, const char *name, const args_t *a) {
    CHECK_OK(stdb_connection_call_reducer(conn, name, strlen(name), a ? a->data : NULL, a ? a->len : 0, STDB_CALL_FULL_UPDATE, NULL));
}

/* ---- reducer events ---- */

/* What a row callback saw of its event. */
typedef struct {
    int count;
    int32_t kind;
    int has_reducer;
    stdb_reducer_info info; /* only the scalar fields stay valid after the callback */
    char reducer_name[128];
} ct_seen;

static inline void ct_record_event(ct_seen *s, const stdb_event *event) {
    const stdb_reducer_event *r = stdb_event_reducer(event);
    s->count++;
    s->kind = stdb_event_kind(event);
    s->has_reducer = r != NULL;
    s->reducer_name[0] = 0;
    if (r) {
        CHECK(stdb_reducer_event_info(r, &s->info));
        snprintf(s->reducer_name, sizeof s->reducer_name, "%.*s", (int)s->info.reducer_name.len,
                 (const char *)s->info.reducer_name.data);
        s->info.reducer_name.data = NULL;
        s->info.args.data = NULL;
        s->info.error_message.data = NULL;
    }
}

static inline int ct_identity_eq(const stdb_identity *a, const stdb_identity *b) {
    return memcmp(a->bytes, b->bytes, 32) == 0;
}
static inline int ct_cid_eq(const stdb_connection_id *a, const stdb_connection_id *b) {
    return memcmp(a->bytes, b->bytes, 16) == 0;
}

/* Current time in microseconds since the Unix epoch. */
static inline int64_t ct_now_us(void) {
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    return (int64_t)t.tv_sec * 1000000 + t.tv_nsec / 1000;
}

#endif
