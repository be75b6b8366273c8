/*
 * features_2x_client.c — a C client of the 2.8.3-built `features-2x` module (procedures, views, an
 * event table, column defaults, a case-converted reducer) through the code stdb-bindings-gen
 * generates from its V10 schema (f2x.h) and the C ABI. Run by bindings-gen/tests/e2e.rs
 * against the 2.8.3 server with STDB_URI / STDB_DATABASE.
 *
 * What a 2.x module adds must not get in the way of what the shims already do: the module's
 * ordinary tables, subscriptions, typed reducers (one written `levelUp` in Rust, `level_up` on
 * the wire), reducer errors, one-off queries and a procedure call all work.
 */
#include "f2x.h"

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
                    #cond, f2x_last_error(), stdb_last_error());                                     \
            exit(1);                                                                                      \
        }                                                                                                 \
    } while (0)
#define CHECK_OK(expr) CHECK((expr) == 0)

typedef struct {
    int connected, applied, disconnected;
    stdb_identity identity;
    int player_inserts, player_updates, settings_inserts;
    uint32_t last_level;
    uint32_t last_volume;
    bool last_enabled;
    int rename_calls;
    int32_t rename_status;
    char rename_error[128];
    int one_off_done;
    size_t one_off_rows;
    char one_off_name[64];
    int procedure_done;
    uint64_t procedure_sum;
} app_t;

static app_t app;

/* The outcome of one call through a generated `_then` function. */
typedef struct {
    int calls;
    int32_t status; /* -1: no answer (error set) */
    char error[128];
    int finalized;
} outcome_t;

static void on_outcome(void *ud, const stdb_connection *c, const stdb_event *e, const stdb_reducer_event *reducer,
                       const char *error, size_t error_len) {
    outcome_t *o = ud;
    stdb_reducer_info info;
    (void)c;
    (void)e;
    o->calls++;
    o->status = -1;
    if (reducer && stdb_reducer_event_info(reducer, &info)) {
        o->status = info.status;
        snprintf(o->error, sizeof o->error, "%.*s", (int)info.error_message.len, (const char *)info.error_message.data);
    } else if (error) {
        snprintf(o->error, sizeof o->error, "%.*s", (int)error_len, error);
    }
}

static void outcome_finalize(void *ud) { ((outcome_t *)ud)->finalized++; }

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

static void on_connect(void *ud, const stdb_connection *conn, const stdb_identity *identity, const char *token,
                       size_t token_len, const stdb_connection_id *cid) {
    (void)ud; (void)conn; (void)token; (void)token_len; (void)cid;
    app.identity = *identity;
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

static void player_insert(void *ud, const stdb_connection *conn, const stdb_event *event, const f2x_Player *row) {
    (void)ud; (void)conn; (void)event;
    CHECK(row->id == 1 && strcmp(row->name.data, "ann") == 0 && row->level == 1);
    CHECK(f2x_identity_eq(&row->owner, &app.identity));
    app.player_inserts++;
}

static void player_update(void *ud, const stdb_connection *conn, const stdb_event *event, const f2x_Player *old_row,
                          const f2x_Player *new_row) {
    (void)ud; (void)conn; (void)event;
    CHECK(old_row->id == new_row->id && new_row->level == old_row->level + 1);
    app.last_level = new_row->level;
    app.player_updates++;
}

static void settings_insert(void *ud, const stdb_connection *conn, const stdb_event *event, const f2x_Settings *row) {
    (void)ud; (void)conn; (void)event;
    CHECK(strcmp(row->key.data, "music") == 0);
    app.last_volume = row->volume;
    app.last_enabled = row->enabled;
    app.settings_inserts++;
}

static void on_rename(void *ud, const stdb_connection *conn, const stdb_event *event, const stdb_reducer_event *reducer,
                      uint32_t id, const char *name) {
    stdb_reducer_info info;
    (void)ud; (void)conn; (void)event;
    CHECK(stdb_reducer_event_info(reducer, &info));
    CHECK(id == 1 && strcmp(name, "") == 0);
    app.rename_status = info.status;
    snprintf(app.rename_error, sizeof app.rename_error, "%.*s", (int)info.error_message.len,
             (const char *)info.error_message.data);
    app.rename_calls++;
}

static void on_one_off(void *ud, const stdb_connection *conn, const char *error, size_t error_len, const stdb_row_list *rows) {
    size_t i;
    stdb_bytes table;
    (void)ud; (void)conn;
    if (error) {
        fprintf(stderr, "one-off query failed: %.*s\n", (int)error_len, error);
        exit(1);
    }
    table = stdb_row_list_table_name(rows);
    snprintf(app.one_off_name, sizeof app.one_off_name, "%.*s", (int)table.len, (const char *)table.data);
    app.one_off_rows = stdb_row_list_len(rows);
    for (i = 0; i < app.one_off_rows; i++) {
        const uint8_t *data;
        size_t len;
        f2x_Player p;
        CHECK_OK(stdb_row_list_get(rows, i, &data, &len));
        CHECK_OK(f2x_Player_from_bsatn(data, len, &p));
        CHECK(p.id == 1 && p.level == 3 /* two level_up calls: typed, then through _then */);
        f2x_Player_free(&p);
    }
    app.one_off_done = 1;
}

static void on_procedure(void *ud, const stdb_connection *conn, const uint8_t *ret, size_t ret_len, const char *error,
                         size_t error_len, int64_t host_duration_micros) {
    (void)ud; (void)conn; (void)host_duration_micros;
    if (error) {
        fprintf(stderr, "procedure failed: %.*s\n", (int)error_len, error);
        exit(1);
    }
    CHECK_OK(f2x_u64_from_bsatn(ret, ret_len, &app.procedure_sum));
    app.procedure_done = 1;
}

int main(void) {
    const char *uri = getenv("STDB_URI"), *dbname = getenv("STDB_DATABASE");
    static const char *queries[] = {"SELECT * FROM player", "SELECT * FROM settings"};
    stdb_bytes qs[2];
    stdb_connection_builder *b;
    stdb_connection *conn = NULL;
    stdb_subscription_builder *sb;
    stdb_subscription *sub = NULL;
    f2x_db db;
    f2x_Player player;
    f2x_vec_Player mine;
    f2x_buffer args;
    bool found = false;
    uint32_t a = 2, c = 3;
    size_t i;

    if (!uri || !dbname) {
        fprintf(stderr, "set STDB_URI and STDB_DATABASE\n");
        return 2;
    }

    b = stdb_connection_builder_new();
    CHECK_OK(f2x_register(b));
    CHECK_OK(stdb_connection_builder_set_uri(b, uri, strlen(uri)));
    CHECK_OK(stdb_connection_builder_set_module_name(b, dbname, strlen(dbname)));
    CHECK_OK(stdb_connection_builder_on_connect(b, on_connect, NULL, NULL));
    CHECK_OK(stdb_connection_builder_on_connect_error(b, on_connect_error, NULL, NULL));
    CHECK_OK(stdb_connection_builder_on_disconnect(b, on_disconnect, NULL, NULL));
    CHECK_OK(stdb_connection_builder_build(b, &conn));
    CHECK_OK(f2x_db_init(&db, conn));
    CHECK_OK(f2x_player_on_insert(&db, player_insert, NULL, NULL, NULL));
    CHECK_OK(f2x_player_on_update(&db, player_update, NULL, NULL, NULL));
    CHECK_OK(f2x_settings_on_insert(&db, settings_insert, NULL, NULL, NULL));
    CHECK_OK(f2x_on_reducer_rename_player(conn, on_rename, NULL, NULL, NULL));

    tick_until(conn, &app.connected, 1);
    /* A 2.x server speaks v2 (v3 framing) to us. */
    {
        int32_t protocol = 0;
        CHECK_OK(stdb_connection_protocol(conn, &protocol));
        CHECK(protocol == STDB_PROTOCOL_V2 || protocol == STDB_PROTOCOL_V3);
    }

    for (i = 0; i < 2; i++) {
        qs[i].data = (const uint8_t *)queries[i];
        qs[i].len = strlen(queries[i]);
    }
    sb = stdb_subscription_builder_new(conn);
    CHECK_OK(stdb_subscription_builder_on_applied(sb, on_applied, NULL, NULL));
    CHECK_OK(stdb_subscription_builder_subscribe(sb, qs, 2, &sub));
    tick_until(conn, &app.applied, 1);

    /* An ordinary table through typed reducers and typed row callbacks. */
    CHECK_OK(f2x_reducer_add_player(conn, 1, "ann", STDB_CALL_FULL_UPDATE));
    tick_until(conn, &app.player_inserts, 1);
    CHECK(f2x_player_count(&db) == 1);
    /* `levelUp` in the module's source; the shims call it by its wire name. */
    CHECK_OK(f2x_reducer_level_up(conn, 1, STDB_CALL_FULL_UPDATE));
    tick_until(conn, &app.player_updates, 1);
    CHECK(app.last_level == 2);
    CHECK_OK(f2x_player_find_by_id(&db, 1, &found, &player));
    CHECK(found && player.level == 2);
    f2x_Player_free(&player);
    CHECK_OK(f2x_player_owner_filter(&db, &app.identity, &mine));
    CHECK(mine.len == 1);
    f2x_vec_Player_free(&mine);

    /* A reducer's Err(String) reaches the caller's typed reducer callback. */
    CHECK_OK(f2x_reducer_rename_player(conn, 1, "", STDB_CALL_FULL_UPDATE));
    tick_until(conn, &app.rename_calls, 1);
    CHECK(app.rename_status == STDB_STATUS_FAILED);
    CHECK(strcmp(app.rename_error, "name must not be empty") == 0);

    /* The same calls through `_then`: each call's own outcome, once; the finalizer once, also
     * when the generated function refuses the call before sending it (a NULL string). */
    {
        outcome_t ok, failed, refused;
        memset(&ok, 0, sizeof ok);
        memset(&failed, 0, sizeof failed);
        memset(&refused, 0, sizeof refused);
        CHECK_OK(f2x_reducer_level_up_then(conn, 1, STDB_CALL_FULL_UPDATE, on_outcome, &ok, outcome_finalize));
        CHECK_OK(f2x_reducer_rename_player_then(conn, 1, "", STDB_CALL_FULL_UPDATE, on_outcome, &failed, outcome_finalize));
        CHECK(f2x_reducer_rename_player_then(conn, 1, NULL, STDB_CALL_FULL_UPDATE, on_outcome, &refused, outcome_finalize) ==
              STDB_ERR_NULL);
        CHECK(refused.calls == 0 && refused.finalized == 1);
        tick_until(conn, &ok.calls, 1);
        tick_until(conn, &failed.calls, 1);
        CHECK(ok.calls == 1 && ok.status == STDB_STATUS_COMMITTED && ok.finalized == 1);
        CHECK(failed.calls == 1 && failed.status == STDB_STATUS_FAILED && failed.finalized == 1);
        CHECK(strcmp(failed.error, "name must not be empty") == 0);
        tick_until(conn, &app.player_updates, 2);
        CHECK(app.last_level == 3);
    }

    /* A table with column defaults behaves like any other. */
    CHECK_OK(f2x_reducer_add_setting(conn, "music", 3, STDB_CALL_FULL_UPDATE));
    tick_until(conn, &app.settings_inserts, 1);
    CHECK(app.last_volume == 3 && app.last_enabled);

    /* A one-off query, decoded with the generated row decoder. */
    CHECK_OK(stdb_connection_one_off_query(conn, "SELECT * FROM player", strlen("SELECT * FROM player"), on_one_off, NULL,
                                           NULL));
    tick_until(conn, &app.one_off_done, 1);
    CHECK(app.one_off_rows == 1 && strcmp(app.one_off_name, "player") == 0);

    /* A procedure, its arguments and return value through the generated codec. */
    memset(&args, 0, sizeof args);
    CHECK_OK(f2x_u32_encode(&args, &a));
    CHECK_OK(f2x_u32_encode(&args, &c));
    CHECK_OK(stdb_connection_call_procedure(conn, "add_numbers", strlen("add_numbers"), args.data, args.len, on_procedure,
                                            NULL, NULL, NULL));
    f2x_buffer_free(&args);
    tick_until(conn, &app.procedure_done, 1);
    CHECK(app.procedure_sum == 5);

    CHECK_OK(stdb_connection_disconnect(conn));
    tick_until(conn, &app.disconnected, 1);
    stdb_subscription_free(sub);
    f2x_db_free(&db);
    stdb_connection_free(conn);
    printf("e2e ok: %d checks\n", g_checks);
    return 0;
}
