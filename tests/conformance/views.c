/*
 * views.c — the official 2.x SDK's view cases (sdk-test-view, sdk-test-view-pk), in C, against the
 * 2.8.3 server (module tests/modules-2x/conformance-2x). Views are subscribed like tables and read
 * through the C ABI (stdb_connection_table, rows decoded with the generated codecs) and, for the
 * keyed view, through the accessors the shims generate for views (conf2_all_scores_*).
 * view_anonymous_subscribe: an anonymous view's rows follow the tables it reads.
 * view_non_anonymous_subscribe: a per-sender view shows the caller's own row only.
 * view_non_table_return: a view returning a type that is no table's row.
 * view_subscription_update: two clients' per-sender views of each other follow their moves.
 * view_pk_on_update: a query view over a table with a primary key reports updates as updates.
 * views_are_read_only: a view has no primary-key find where it has no key, and unknown views fail.
 */
// conformance-module: conformance-2x
// conformance-servers: v2_8
// conformance-cases: view_anonymous_subscribe view_non_anonymous_subscribe view_non_table_return view_subscription_update view_pk_on_update views_are_read_only
#include "conf2.h"
#include "ctest.h"

static stdb_identity ident(uint8_t b) {
    stdb_identity id;
    memset(id.bytes, b, 32);
    return id;
}

/* What a view's row callbacks saw. */
typedef struct {
    int inserts, deletes, updates;
    stdb_identity last_identity;
    uint64_t last_level;
    int32_t last_x, last_y;
    uint32_t old_points, new_points;
} seen_t;

static void player_ins(void *ud, const stdb_connection *c, const stdb_event *e, const uint8_t *row, size_t len) {
    seen_t *s = ud;
    conf2_Player p;
    (void)c; (void)e;
    CHECK_OK(conf2_Player_from_bsatn(row, len, &p));
    s->last_identity = p.identity;
    s->inserts++;
}
static void player_del(void *ud, const stdb_connection *c, const stdb_event *e, const uint8_t *row, size_t len) {
    seen_t *s = ud;
    conf2_Player p;
    (void)c; (void)e;
    CHECK_OK(conf2_Player_from_bsatn(row, len, &p));
    s->last_identity = p.identity;
    s->deletes++;
}

static stdb_table *view(const stdb_connection *conn, const char *name) {
    stdb_table *t = NULL;
    CHECK_OK(stdb_connection_table(conn, name, strlen(name), &t));
    return t;
}

static void case_anonymous(void) {
    ct_conn cs = ct_conn_init();
    stdb_connection *conn = ct_connect(conf2_register, &cs);
    stdb_identity ids[4];
    stdb_table *t;
    ct_sub sub;
    seen_t s;
    int i;
    memset(&sub, 0, sizeof sub);
    memset(&s, 0, sizeof s);
    for (i = 0; i < 4; i++) ids[i] = ident((uint8_t)(i + 1));
    ct_subscribe1(conn, &sub, "SELECT * FROM players_at_level_0");
    t = view(conn, "players_at_level_0");
    CHECK_OK(stdb_table_on_insert(t, player_ins, &s, NULL, NULL));
    CHECK_OK(stdb_table_on_delete(t, player_del, &s, NULL, NULL));
    CHECK_OK(conf2_reducer_insert_player(conn, &ids[0], 1, 0));
    CHECK_OK(conf2_reducer_insert_player(conn, &ids[1], 0, 0));
    TICK_UNTIL(conn, s.inserts == 1);
    CHECK(ct_identity_eq(&s.last_identity, &ids[1]));
    CHECK_OK(conf2_reducer_insert_player(conn, &ids[2], 1, 0));
    CHECK_OK(conf2_reducer_insert_player(conn, &ids[3], 0, 0));
    TICK_UNTIL(conn, s.inserts == 2);
    CHECK(ct_identity_eq(&s.last_identity, &ids[3]));
    CHECK(stdb_table_count(t) == 2);
    CHECK_OK(conf2_reducer_delete_player(conn, &ids[3], 0));
    TICK_UNTIL(conn, s.deletes == 1);
    CHECK(ct_identity_eq(&s.last_identity, &ids[3]) && stdb_table_count(t) == 1);
    stdb_table_free(t);
    stdb_subscription_free(sub.handle);
    ct_close(conn, &cs);
}

static void case_non_anonymous(void) {
    ct_conn cs = ct_conn_init();
    stdb_connection *conn = ct_connect(conf2_register, &cs);
    stdb_identity other = ident(1);
    stdb_table *t;
    ct_sub sub;
    seen_t s;
    memset(&sub, 0, sizeof sub);
    memset(&s, 0, sizeof s);
    ct_subscribe1(conn, &sub, "SELECT * FROM my_player");
    t = view(conn, "my_player");
    CHECK_OK(stdb_table_on_insert(t, player_ins, &s, NULL, NULL));
    CHECK_OK(stdb_table_on_delete(t, player_del, &s, NULL, NULL));
    CHECK_OK(conf2_reducer_insert_player(conn, &other, 0, 0));
    CHECK_OK(conf2_reducer_insert_player(conn, &cs.identity, 0, 0));
    TICK_UNTIL(conn, s.inserts == 1);
    CHECK(ct_identity_eq(&s.last_identity, &cs.identity));
    CHECK_OK(conf2_reducer_delete_player(conn, &other, 0));
    CHECK_OK(conf2_reducer_delete_player(conn, &cs.identity, 0));
    TICK_UNTIL(conn, s.deletes == 1);
    CHECK(ct_identity_eq(&s.last_identity, &cs.identity));
    ct_tick_for(conn, NULL, 200);
    CHECK(s.inserts == 1 && s.deletes == 1 && stdb_table_count(t) == 0);
    stdb_table_free(t);
    stdb_subscription_free(sub.handle);
    ct_close(conn, &cs);
}

static void pal_ins(void *ud, const stdb_connection *c, const stdb_event *e, const uint8_t *row, size_t len) {
    seen_t *s = ud;
    conf2_PlayerAndLevel p;
    (void)c; (void)e;
    CHECK_OK(conf2_PlayerAndLevel_from_bsatn(row, len, &p));
    s->last_identity = p.identity;
    s->last_level = p.level;
    s->inserts++;
}
static void pal_del(void *ud, const stdb_connection *c, const stdb_event *e, const uint8_t *row, size_t len) {
    seen_t *s = ud;
    conf2_PlayerAndLevel p;
    (void)c; (void)e;
    CHECK_OK(conf2_PlayerAndLevel_from_bsatn(row, len, &p));
    s->last_level = p.level;
    s->deletes++;
}

static void case_non_table_return(void) {
    ct_conn cs = ct_conn_init();
    stdb_connection *conn = ct_connect(conf2_register, &cs);
    stdb_identity other = ident(1);
    stdb_table *t;
    ct_sub sub;
    seen_t s;
    memset(&sub, 0, sizeof sub);
    memset(&s, 0, sizeof s);
    ct_subscribe1(conn, &sub, "SELECT * FROM my_player_and_level");
    t = view(conn, "my_player_and_level");
    CHECK_OK(stdb_table_on_insert(t, pal_ins, &s, NULL, NULL));
    CHECK_OK(stdb_table_on_delete(t, pal_del, &s, NULL, NULL));
    CHECK_OK(conf2_reducer_insert_player(conn, &other, 0, 0));
    CHECK_OK(conf2_reducer_insert_player(conn, &cs.identity, 1, 0));
    TICK_UNTIL(conn, s.inserts == 1);
    CHECK(ct_identity_eq(&s.last_identity, &cs.identity) && s.last_level == 1);
    CHECK_OK(conf2_reducer_delete_player(conn, &other, 0));
    CHECK_OK(conf2_reducer_delete_player(conn, &cs.identity, 0));
    TICK_UNTIL(conn, s.deletes == 1);
    CHECK(s.last_level == 1);
    stdb_table_free(t);
    stdb_subscription_free(sub.handle);
    ct_close(conn, &cs);
}

static void loc_ins(void *ud, const stdb_connection *c, const stdb_event *e, const uint8_t *row, size_t len) {
    seen_t *s = ud;
    conf2_PlayerLocation l;
    (void)c; (void)e;
    CHECK_OK(conf2_PlayerLocation_from_bsatn(row, len, &l));
    s->last_x = l.x;
    s->last_y = l.y;
    s->inserts++;
}
static void loc_del(void *ud, const stdb_connection *c, const stdb_event *e, const uint8_t *row, size_t len) {
    seen_t *s = ud;
    conf2_PlayerLocation l;
    (void)c; (void)e;
    CHECK_OK(conf2_PlayerLocation_from_bsatn(row, len, &l));
    s->last_x = l.x;
    s->last_y = l.y;
    s->deletes++;
}

static void case_subscription_update(void) {
    ct_conn c0 = ct_conn_init(), c1 = ct_conn_init();
    stdb_connection *a = ct_connect(conf2_register, &c0), *b = ct_connect(conf2_register, &c1);
    stdb_table *ta, *tb;
    ct_sub sa, sb;
    seen_t s0, s1;
    memset(&sa, 0, sizeof sa);
    memset(&sb, 0, sizeof sb);
    memset(&s0, 0, sizeof s0);
    memset(&s1, 0, sizeof s1);
    ct_subscribe1(a, &sa, "SELECT * FROM nearby_players");
    ct_subscribe1(b, &sb, "SELECT * FROM nearby_players");
    ta = view(a, "nearby_players");
    tb = view(b, "nearby_players");
    CHECK_OK(stdb_table_on_insert(ta, loc_ins, &s0, NULL, NULL));
    CHECK_OK(stdb_table_on_delete(ta, loc_del, &s0, NULL, NULL));
    CHECK_OK(stdb_table_on_insert(tb, loc_ins, &s1, NULL, NULL));
    CHECK_OK(stdb_table_on_delete(tb, loc_del, &s1, NULL, NULL));
    /* A at (0, 0), then B at (2, 2): each sees the other. */
    CHECK_OK(conf2_reducer_move_player(a, 0, 0, 0));
    ct_tick_for(a, b, 300);
    CHECK_OK(conf2_reducer_move_player(b, 2, 2, 0));
    TICK_ALL_UNTIL(a, b, NULL, NULL, s0.inserts == 1 && s1.inserts == 1);
    CHECK(s0.last_x == 2 && s0.last_y == 2);
    CHECK(s1.last_x == 0 && s1.last_y == 0);
    /* B moves to (5, 5): out of range for both. */
    CHECK_OK(conf2_reducer_move_player(b, 3, 3, 0));
    TICK_ALL_UNTIL(a, b, NULL, NULL, s0.deletes == 1 && s1.deletes == 1);
    CHECK(s0.last_x == 2 && s0.last_y == 2);
    CHECK(s1.last_x == 0 && s1.last_y == 0);
    CHECK(stdb_table_count(ta) == 0 && stdb_table_count(tb) == 0);
    stdb_table_free(ta);
    stdb_table_free(tb);
    stdb_subscription_free(sa.handle);
    stdb_subscription_free(sb.handle);
    ct_close(a, &c0);
    ct_close(b, &c1);
}

/* Through the accessors the shims generate for a view, as for a table. */
static void score_ins(void *ud, const stdb_connection *c, const stdb_event *e, const conf2_Score *row) {
    seen_t *s = ud;
    (void)c; (void)e;
    s->new_points = row->points;
    s->inserts++;
}
static void score_del(void *ud, const stdb_connection *c, const stdb_event *e, const conf2_Score *row) {
    seen_t *s = ud;
    (void)c; (void)e; (void)row;
    s->deletes++;
}
static void score_upd(void *ud, const stdb_connection *c, const stdb_event *e, const conf2_Score *o, const conf2_Score *n) {
    seen_t *s = ud;
    (void)c; (void)e;
    CHECK(o->id == n->id);
    s->old_points = o->points;
    s->new_points = n->points;
    s->updates++;
}

static void case_view_pk_on_update(void) {
    ct_conn cs = ct_conn_init();
    stdb_connection *conn = ct_connect(conf2_register, &cs);
    conf2_db db;
    conf2_Score sc;
    bool found = false;
    ct_sub sub;
    seen_t s;
    memset(&sub, 0, sizeof sub);
    memset(&s, 0, sizeof s);
    CHECK_OK(conf2_db_init(&db, conn));
    ct_subscribe1(conn, &sub, "SELECT * FROM all_scores");
    CHECK_OK(conf2_all_scores_on_insert(&db, score_ins, &s, NULL, NULL));
    CHECK_OK(conf2_all_scores_on_delete(&db, score_del, &s, NULL, NULL));
    CHECK_OK(conf2_all_scores_on_update(&db, score_upd, &s, NULL, NULL));
    CHECK_OK(conf2_reducer_set_score(conn, 1, 10, 0));
    TICK_UNTIL(conn, s.inserts == 1);
    CHECK(s.new_points == 10);
    CHECK_OK(conf2_reducer_set_score(conn, 1, 20, 0));
    TICK_UNTIL(conn, s.updates == 1);
    CHECK(s.old_points == 10 && s.new_points == 20);
    ct_tick_for(conn, NULL, 200);
    CHECK(s.inserts == 1 && s.deletes == 0 && conf2_all_scores_count(&db) == 1);
    /* The key the view gets from its table makes it findable by that key. */
    CHECK_OK(conf2_all_scores_find_by_id(&db, 1, &found, &sc));
    CHECK(found && sc.points == 20);
    stdb_subscription_free(sub.handle);
    conf2_db_free(&db);
    ct_close(conn, &cs);
}

static void case_read_only(void) {
    ct_conn cs = ct_conn_init();
    stdb_connection *conn = ct_connect(conf2_register, &cs);
    stdb_table *t = NULL;
    CHECK(stdb_connection_table(conn, "no_such_view", 12, &t) == STDB_ERR_UNKNOWN_TABLE);
    CHECK(t == NULL);
    /* Views cannot be called like reducers or procedures. */
    CHECK(stdb_connection_call_reducer(conn, "my_player", 9, NULL, 0, 0, NULL) == STDB_ERR_UNKNOWN_REDUCER);
    ct_close(conn, &cs);
}

int main(int argc, char **argv) {
    const char *c = argc > 1 ? argv[1] : "";
    if (!strcmp(c, "view_anonymous_subscribe")) case_anonymous();
    else if (!strcmp(c, "view_non_anonymous_subscribe")) case_non_anonymous();
    else if (!strcmp(c, "view_non_table_return")) case_non_table_return();
    else if (!strcmp(c, "view_subscription_update")) case_subscription_update();
    else if (!strcmp(c, "view_pk_on_update")) case_view_pk_on_update();
    else if (!strcmp(c, "views_are_read_only")) case_read_only();
    else {
        fprintf(stderr, "unknown case %s\n", c);
        return 2;
    }
    ct_pass(c);
    return 0;
}
