/*
 * game.c — the quickstart client again, through the typed C shims that stdb-bindings-gen
 * generates for the module (quickstart.h / quickstart.c): rows arrive decoded, reducers take C
 * arguments. scripts/demo generates the shims from the live server and runs this.
 *
 * Usage: STDB_URI=http://127.0.0.1:3000 STDB_DATABASE=quickstart ./game
 */
#include "quickstart.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct {
    quickstart_db db;
    stdb_identity me;
    int ready, said, failed;
} game_t;

static void on_player_update(void *ud, const stdb_connection *conn, const stdb_event *event,
                             const quickstart_Player *old_row, const quickstart_Player *new_row) {
    (void)ud; (void)conn; (void)event;
    printf("player %.*s: (%.1f, %.1f) -> (%.1f, %.1f)\n", (int)new_row->name.len, new_row->name.data,
           old_row->x, old_row->y, new_row->x, new_row->y);
}

static void on_message(void *ud, const stdb_connection *conn, const stdb_event *event, const quickstart_Message *m) {
    game_t *g = ud;
    char when[64];
    bool found = false;
    quickstart_Player sender;
    (void)conn; (void)event;
    quickstart_timestamp_format(&m->sent, when, sizeof when);
    /* Look the sender up by primary key in the cache. */
    if (quickstart_player_find_by_identity(&g->db, &m->sender, &found, &sender) == 0 && found) {
        printf("[%s] %.*s: %.*s\n", when, (int)sender.name.len, sender.name.data, (int)m->text.len, m->text.data);
        quickstart_Player_free(&sender);
    }
    if (memcmp(m->sender.bytes, g->me.bytes, 32) == 0) g->said = 1;
}

static void on_set_name(void *ud, const stdb_connection *conn, const stdb_event *event, const stdb_reducer_event *reducer,
                        const char *name) {
    stdb_reducer_info info;
    (void)ud; (void)conn; (void)event;
    stdb_reducer_event_info(reducer, &info);
    printf("set_name(\"%s\") %s\n", name, info.status == STDB_STATUS_COMMITTED ? "committed" : "failed");
}

static void on_applied(void *ud, const stdb_connection *conn, const stdb_event *event) {
    game_t *g = ud;
    (void)event;
    printf("subscribed: %llu players online or offline, %llu messages\n",
           (unsigned long long)quickstart_player_count(&g->db), (unsigned long long)quickstart_message_count(&g->db));
    quickstart_reducer_set_name(conn, "typed-demo", STDB_CALL_FULL_UPDATE);
    quickstart_reducer_move_to(conn, 3.0f, 4.0f, STDB_CALL_FULL_UPDATE);
    quickstart_reducer_say(conn, "hello from the generated C API", STDB_CALL_FULL_UPDATE);
    g->ready = 1;
}

static void on_connect(void *ud, const stdb_connection *conn, const stdb_identity *identity, const char *token,
                       size_t token_len, const stdb_connection_id *cid) {
    game_t *g = ud;
    stdb_subscription_builder *sb;
    stdb_subscription *sub = NULL;
    (void)token; (void)token_len; (void)cid;
    g->me = *identity;
    if (quickstart_db_init(&g->db, conn) != 0) { fprintf(stderr, "%s\n", quickstart_last_error()); g->failed = 1; return; }
    quickstart_player_on_update(&g->db, on_player_update, g, NULL, NULL);
    quickstart_message_on_insert(&g->db, on_message, g, NULL, NULL);
    quickstart_on_reducer_set_name(conn, on_set_name, g, NULL, NULL);
    sb = stdb_subscription_builder_new(conn);
    stdb_subscription_builder_on_applied(sb, on_applied, g, NULL);
    if (stdb_subscription_builder_subscribe_all_tables(sb, &sub) != STDB_OK) { fprintf(stderr, "%s\n", stdb_last_error()); g->failed = 1; }
    stdb_subscription_free(sub);
}

int main(void) {
    const char *uri = getenv("STDB_URI"), *db = getenv("STDB_DATABASE");
    game_t g;
    stdb_connection_builder *b;
    stdb_connection *conn = NULL;
    int frame;
    memset(&g, 0, sizeof g);
    if (!uri || !db) { fprintf(stderr, "set STDB_URI and STDB_DATABASE\n"); return 2; }
    b = stdb_connection_builder_new();
    if (quickstart_register(b) != 0) { fprintf(stderr, "%s\n", quickstart_last_error()); return 1; }
    stdb_connection_builder_set_uri(b, uri, strlen(uri));
    stdb_connection_builder_set_module_name(b, db, strlen(db));
    stdb_connection_builder_on_connect(b, on_connect, &g, NULL);
    if (stdb_connection_builder_build(b, &conn) != STDB_OK) { fprintf(stderr, "%s\n", stdb_last_error()); return 1; }
    for (frame = 0; frame < 600 && !g.said && !g.failed; frame++) {
        struct timespec t = {0, 16 * 1000 * 1000};
        if (stdb_frame_tick(conn) != STDB_OK) break;
        nanosleep(&t, NULL);
    }
    stdb_connection_disconnect(conn);
    quickstart_db_free(&g.db);
    stdb_connection_free(conn);
    if (!g.said || g.failed) { fprintf(stderr, "the typed demo did not complete\n"); return 1; }
    printf("typed demo complete after %d frames\n", frame);
    return 0;
}
