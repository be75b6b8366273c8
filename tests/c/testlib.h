/* testlib.h — tiny helpers for the C test programs (run by tests/c_programs.rs). */
#ifndef STDB_TESTLIB_H
#define STDB_TESTLIB_H

#include "stdb_client.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int g_checks = 0;

#define CHECK(cond)                                                                              \
    do {                                                                                         \
        g_checks++;                                                                              \
        if (!(cond)) {                                                                           \
            fprintf(stderr, "%s:%d: CHECK failed: %s (last error: %s)\n", __FILE__, __LINE__, #cond, \
                    stdb_last_error());                                                          \
            exit(1);                                                                             \
        }                                                                                        \
    } while (0)

#define CHECK_OK(expr) CHECK((expr) == STDB_OK)
#define CHECK_RC(expr, rc) CHECK((expr) == (rc))
#define S(lit) lit, (sizeof(lit) - 1)

static inline const char *env_or_die(const char *name) {
    const char *v = getenv(name);
    if (!v || !*v) {
        fprintf(stderr, "environment variable %s is not set\n", name);
        exit(2);
    }
    return v;
}

static inline void sleep_ms(long ms) {
    struct timespec t;
    t.tv_sec = ms / 1000;
    t.tv_nsec = (ms % 1000) * 1000000L;
    nanosleep(&t, NULL);
}

/* Ticks `conn` until *flag becomes non-zero; fails the test after ~20 s. */
static inline void tick_until(const stdb_connection *conn, volatile int *flag) {
    int i;
    for (i = 0; i < 20000 && !*flag; i++) {
        stdb_result r = stdb_frame_tick(conn);
        CHECK(r == STDB_OK || r == STDB_ERR_DISCONNECTED);
        if (!*flag) sleep_ms(1);
    }
    CHECK(*flag);
}

/* Ticks `conn` until *counter reaches at least `n`; fails the test after ~20 s. */
static inline void tick_until_count(const stdb_connection *conn, volatile int *counter, int n) {
    int i;
    for (i = 0; i < 20000 && *counter < n; i++) {
        stdb_frame_tick(conn);
        if (*counter < n) sleep_ms(1);
    }
    CHECK(*counter >= n);
}

/* Ticks for about `ms` milliseconds. */
static inline void tick_for(const stdb_connection *conn, long ms) {
    long i;
    for (i = 0; i < ms; i++) {
        stdb_frame_tick(conn);
        sleep_ms(1);
    }
}

/* ---- BSATN ---- */
typedef struct { uint8_t data[1024]; size_t len; } args_t;
static inline void args_u32(args_t *a, uint32_t v) { memcpy(a->data + a->len, &v, 4); a->len += 4; }
static inline void args_i32(args_t *a, int32_t v) { memcpy(a->data + a->len, &v, 4); a->len += 4; }
static inline void args_i64(args_t *a, int64_t v) { memcpy(a->data + a->len, &v, 8); a->len += 8; }
static inline void args_str(args_t *a, const char *s) { uint32_t n = (uint32_t)strlen(s); args_u32(a, n); memcpy(a->data + a->len, s, n); a->len += n; }
static inline uint32_t rd_u32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }
static inline int32_t rd_i32(const uint8_t *p) { int32_t v; memcpy(&v, p, 4); return v; }

/* Connects with the common settings and ticks until on_connect. */
typedef struct { int connected; int connect_error; int disconnected; int disconnect_had_error; stdb_identity identity; } conn_state_t;

static inline void cs_on_connect(void *ud, const stdb_connection *c, const stdb_identity *id, const char *tok, size_t tok_len,
                          const stdb_connection_id *cid) {
    conn_state_t *s = ud;
    (void)c; (void)tok; (void)tok_len; (void)cid;
    s->identity = *id;
    s->connected = 1;
}
static inline void cs_on_connect_error(void *ud, const stdb_connection *c, int32_t kind, uint16_t status, const char *m, size_t n) {
    conn_state_t *s = ud;
    (void)c;
    fprintf(stderr, "connect error kind %d status %u: %.*s\n", (int)kind, (unsigned)status, (int)n, m);
    s->connect_error = 1;
}
static inline void cs_on_disconnect(void *ud, const stdb_connection *c, const char *m, size_t n) {
    conn_state_t *s = ud;
    (void)c;
    s->disconnected = 1;
    s->disconnect_had_error = m != NULL;
    if (m) fprintf(stderr, "disconnected: %.*s\n", (int)n, m);
}

static inline stdb_connection *connect_db(const char *db, conn_state_t *state) {
    const char *uri = env_or_die("STDB_URI");
    stdb_connection_builder *b = stdb_connection_builder_new();
    stdb_connection *conn = NULL;
    CHECK(b != NULL);
    CHECK_OK(stdb_connection_builder_set_uri(b, uri, strlen(uri)));
    CHECK_OK(stdb_connection_builder_set_module_name(b, db, strlen(db)));
    CHECK_OK(stdb_connection_builder_on_connect(b, cs_on_connect, state, NULL));
    CHECK_OK(stdb_connection_builder_on_connect_error(b, cs_on_connect_error, state, NULL));
    CHECK_OK(stdb_connection_builder_on_disconnect(b, cs_on_disconnect, state, NULL));
    CHECK_OK(stdb_connection_builder_build(b, &conn));
    CHECK(conn != NULL);
    {
        int i;
        for (i = 0; i < 20000 && !state->connected && !state->connect_error; i++) {
            stdb_frame_tick(conn);
            sleep_ms(1);
        }
    }
    CHECK(state->connected);
    return conn;
}

static inline void call_reducer(const stdb_connection *conn, const char *name, const args_t *a) {
    CHECK_OK(stdb_connection_call_reducer(conn, name, strlen(name), a ? a->data : NULL, a ? a->len : 0, STDB_CALL_FULL_UPDATE, NULL));
}

static inline void pass(const char *name) {
    printf("%s: %d checks passed\n", name, g_checks);
}

#endif
