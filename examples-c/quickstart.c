/*
 * quickstart.c — a C client of the `quickstart` module through libstdb_client.
 *
 * It connects, subscribes to the players and the chat, names itself, moves, says hello, waits
 * until it sees its own message arrive in the cache, then disconnects. Reducer arguments and
 * rows are BSATN, encoded and decoded by hand here (the generated shims do this for you).
 *
 * Usage: STDB_URI=http://127.0.0.1:3000 STDB_DATABASE=quickstart ./quickstart
 */
#include "stdb_client.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct {
    int connected;
    int done;
    int failed;
    char identity_hex[65];
    stdb_table *players;
    stdb_table *messages;
} app_t;

/* ---- tiny BSATN helpers ------------------------------------------------------------------- */

static size_t put_string(uint8_t *out, const char *s) {
    uint32_t n = (uint32_t)strlen(s);
    memcpy(out, &n, 4); /* little-endian hosts only, like the wire */
    memcpy(out + 4, s, n);
    return 4 + n;
}

static size_t put_f32(uint8_t *out, float f) {
    memcpy(out, &f, 4);
    return 4;
}

/* A message row: sender Identity (32 bytes) | sent Timestamp (i64) | text String. */
static int read_message(const uint8_t *row, size_t len, const uint8_t **text, uint32_t *text_len) {
    if (len < 32 + 8 + 4) return 0;
    memcpy(text_len, row + 40, 4);
    if (44 + (size_t)*text_len != len) return 0;
    *text = row + 44;
    return 1;
}

/* A player row: identity (32) | name String | x f32 | y f32 | online bool. */
static int read_player(const uint8_t *row, size_t len, const uint8_t **name, uint32_t *name_len, float *x, float *y) {
    if (len < 36) return 0;
    memcpy(name_len, row + 32, 4);
    if (36 + (size_t)*name_len + 9 != len) return 0;
    *name = row + 36;
    memcpy(x, row + 36 + *name_len, 4);
    memcpy(y, row + 40 + *name_len, 4);
    return 1;
}

/* ---- callbacks ---------------------------------------------------------------------------- */

static void call(const stdb_connection *conn, const char *reducer, const uint8_t *args, size_t len) {
    if (stdb_connection_call_reducer(conn, reducer, strlen(reducer), args, len, STDB_CALL_FULL_UPDATE, NULL) != STDB_OK)
        fprintf(stderr, "call %s failed: %s\n", reducer, stdb_last_error());
}

static void on_applied(void *ud, const stdb_connection *conn, const stdb_event *event) {
    app_t *app = ud;
    uint8_t args[64];
    (void)event;
    printf("subscription applied: %llu players, %llu messages cached\n",
           (unsigned long long)stdb_table_count(app->players), (unsigned long long)stdb_table_count(app->messages));
    call(conn, "set_name", args, put_string(args, "c-demo"));
    size_t n = put_f32(args, 1.5f);
    n += put_f32(args + n, 2.5f);
    call(conn, "move_to", args, n);
    call(conn, "say", args, put_string(args, "hello from C"));
}

static void on_reducer(void *ud, const stdb_connection *conn, const stdb_event *event, const stdb_reducer_event *reducer) {
    stdb_reducer_info info;
    (void)ud; (void)conn; (void)event;
    if (!stdb_reducer_event_info(reducer, &info)) return;
    printf("reducer %.*s: %s%.*s\n", (int)info.reducer_name.len, (const char *)info.reducer_name.data,
           info.status == STDB_STATUS_COMMITTED ? "committed" : "failed: ",
           (int)info.error_message.len, (const char *)info.error_message.data);
}

static void on_message(void *ud, const stdb_connection *conn, const stdb_event *event, const uint8_t *row, size_t len) {
    app_t *app = ud;
    const uint8_t *text;
    uint32_t text_len;
    (void)event;
    if (!read_message(row, len, &text, &text_len)) { fprintf(stderr, "bad message row\n"); app->failed = 1; return; }
    printf("chat: %.*s\n", (int)text_len, (const char *)text);
    if (text_len == 12 && memcmp(text, "hello from C", 12) == 0) {
        app->done = 1;
        stdb_connection_disconnect(conn);
    }
}

static void on_player_update(void *ud, const stdb_connection *conn, const stdb_event *event,
                             const uint8_t *old_row, size_t old_len, const uint8_t *new_row, size_t new_len) {
    const uint8_t *name;
    uint32_t name_len;
    float x, y;
    (void)ud; (void)conn; (void)event; (void)old_row; (void)old_len;
    if (read_player(new_row, new_len, &name, &name_len, &x, &y))
        printf("player update: \"%.*s\" at (%.1f, %.1f)\n", (int)name_len, (const char *)name, x, y);
}

static void on_connect(void *ud, const stdb_connection *conn, const stdb_identity *identity,
                       const char *token, size_t token_len, const stdb_connection_id *cid) {
    app_t *app = ud;
    stdb_subscription_builder *sb;
    stdb_subscription *sub = NULL;
    stdb_bytes queries[2] = {{(const uint8_t *)"SELECT * FROM player", 20}, {(const uint8_t *)"SELECT * FROM message", 21}};
    (void)token; (void)token_len; (void)cid;
    stdb_identity_to_hex(identity, app->identity_hex);
    printf("connected as %s\n", app->identity_hex);
    app->connected = 1;

    if (stdb_connection_table(conn, "player", 6, &app->players) != STDB_OK ||
        stdb_connection_table(conn, "message", 7, &app->messages) != STDB_OK) {
        fprintf(stderr, "table lookup failed: %s\n", stdb_last_error());
        app->failed = 1;
        return;
    }
    stdb_table_on_insert(app->messages, on_message, app, NULL, NULL);
    stdb_table_on_update(app->players, on_player_update, app, NULL, NULL);
    stdb_connection_on_any_reducer(conn, on_reducer, app, NULL, NULL);

    sb = stdb_subscription_builder_new(conn);
    stdb_subscription_builder_on_applied(sb, on_applied, app, NULL);
    if (stdb_subscription_builder_subscribe(sb, queries, 2, &sub) != STDB_OK) {
        fprintf(stderr, "subscribe failed: %s\n", stdb_last_error());
        app->failed = 1;
    }
    stdb_subscription_free(sub);
}

static void on_connect_error(void *ud, const stdb_connection *conn, int32_t kind, uint16_t status, const char *msg, size_t len) {
    app_t *app = ud;
    (void)conn;
    fprintf(stderr, "connect error (kind %d, http %u): %.*s\n", (int)kind, (unsigned)status, (int)len, msg);
    app->failed = 1;
}

static void on_disconnect(void *ud, const stdb_connection *conn, const char *msg, size_t len) {
    app_t *app = ud;
    (void)conn;
    if (msg) { fprintf(stderr, "disconnected with error: %.*s\n", (int)len, msg); app->failed = 1; }
    else printf("disconnected cleanly\n");
}

int main(void) {
    const char *uri = getenv("STDB_URI"), *db = getenv("STDB_DATABASE");
    app_t app;
    stdb_connection_builder *b;
    stdb_connection *conn = NULL;
    int frames = 0;
    memset(&app, 0, sizeof app);
    if (!uri || !db) { fprintf(stderr, "set STDB_URI and STDB_DATABASE\n"); return 2; }
    printf("stdb-client %s (ABI %u)\n", stdb_version(), stdb_abi_version());

    b = stdb_connection_builder_new();
    stdb_connection_builder_set_uri(b, uri, strlen(uri));
    stdb_connection_builder_set_module_name(b, db, strlen(db));
    stdb_connection_builder_on_connect(b, on_connect, &app, NULL);
    stdb_connection_builder_on_connect_error(b, on_connect_error, &app, NULL);
    stdb_connection_builder_on_disconnect(b, on_disconnect, &app, NULL);
    if (stdb_connection_builder_build(b, &conn) != STDB_OK) {
        fprintf(stderr, "build failed: %s\n", stdb_last_error());
        return 1;
    }

    /* The game loop: one tick per 16 ms frame, for at most 10 seconds. */
    for (frames = 0; frames < 600; frames++) {
        struct timespec frame = {0, 16 * 1000 * 1000};
        if (stdb_frame_tick(conn) != STDB_OK) break; /* ended: on_disconnect has run */
        nanosleep(&frame, NULL);
    }
    stdb_table_free(app.players);
    stdb_table_free(app.messages);
    stdb_connection_free(conn);
    if (!app.done || app.failed) { fprintf(stderr, "demo did not complete\n"); return 1; }
    printf("demo complete after %d frames\n", frames);
    return 0;
}
