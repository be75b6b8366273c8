/*
 * game_loop.c — a 60 Hz game loop with many moving entities from several clients, on the typed
 * shims that stdb-bindings-gen generates for the `bench` module (bench.h / bench.c), printing how
 * long `stdb_frame_tick` takes per frame (p50 / p99 / max).
 *
 * The entities are rows of the module's `small` table (primary key `id`; `c` holds the entity's
 * generation, `y` moves with it). Each client is a thread with its own connection that owns
 * `--entities` of them: it creates them, then every frame
 *   1. ticks its connection (`stdb_frame_tick`: every other client's moves arrive as row updates,
 *      the callbacks run here) — this call is what is timed,
 *   2. moves all of its own entities one step (one `update_small` reducer call),
 *   3. sleeps until the next frame.
 * After `--seconds`, every client waits until its cache holds every client's entities at their
 * final generation (each client sees the whole world), and the statistics are printed.
 *
 * Usage: STDB_URI=http://127.0.0.1:3000 STDB_DATABASE=bench ./game_loop
 *            [--clients 4] [--entities 32] [--seconds 5] [--hz 60]
 * Exit code 0 when every client connected, moved its entities and saw the whole world in sync.
 */
#include "bench.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct world world_t;

typedef struct {
    world_t *world;
    int index;
    uint64_t first_id; /* owns ids first_id .. first_id + entities - 1 */
    stdb_connection *conn;
    bench_db db;
    bool applied, ended, failed;
    /* Frame statistics of the moving phase. */
    uint64_t *tick_ns;
    int frames, late_frames;
    uint64_t updates_seen;  /* row updates of other clients' entities */
    uint64_t generation;    /* of our own entities */
    char error[256];
} client_t;

struct world {
    const char *uri, *db;
    int clients, entities, hz;
    double seconds;
    pthread_barrier_t barrier;
    uint64_t *final_generation; /* per client, written before the second barrier */
    client_t *c;
};

static uint64_t now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

static void sleep_until(uint64_t ns) {
    struct timespec t = {(time_t)(ns / 1000000000u), (long)(ns % 1000000000u)};
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &t, NULL) != 0) {
    }
}

static void set_error(client_t *c, const char *what, const char *why) {
    if (!c->failed) snprintf(c->error, sizeof c->error, "client %d: %s: %s", c->index, what, why);
    c->failed = true;
}

/* ---- callbacks (run on the client's own thread, inside its frame_tick) ----------------------- */

static void on_update(void *ud, const stdb_connection *conn, const stdb_event *event, const bench_Small *old_row,
                      const bench_Small *new_row) {
    client_t *c = ud;
    (void)conn;
    (void)event;
    (void)old_row;
    if (new_row->id < c->first_id || new_row->id >= c->first_id + (uint64_t)c->world->entities) c->updates_seen++;
}

static void on_applied(void *ud, const stdb_connection *conn, const stdb_event *event) {
    client_t *c = ud;
    (void)conn;
    (void)event;
    c->applied = true;
}

static void on_connect(void *ud, const stdb_connection *conn, const stdb_identity *identity, const char *token,
                       size_t token_len, const stdb_connection_id *cid) {
    client_t *c = ud;
    stdb_subscription_builder *sb = stdb_subscription_builder_new(conn);
    stdb_subscription *sub = NULL;
    stdb_bytes q = {(const uint8_t *)"SELECT * FROM small", 19};
    (void)identity;
    (void)token;
    (void)token_len;
    (void)cid;
    stdb_subscription_builder_on_applied(sb, on_applied, c, NULL);
    if (stdb_subscription_builder_subscribe(sb, &q, 1, &sub) != STDB_OK) set_error(c, "subscribe", stdb_last_error());
    stdb_subscription_free(sub);
}

static void on_connect_error(void *ud, const stdb_connection *conn, int32_t kind, uint16_t status, const char *msg, size_t len) {
    client_t *c = ud;
    char why[200];
    (void)conn;
    (void)kind;
    (void)status;
    snprintf(why, sizeof why, "%.*s", (int)len, msg);
    set_error(c, "connect", why);
    c->ended = true;
}

static void on_disconnect(void *ud, const stdb_connection *conn, const char *msg, size_t len) {
    client_t *c = ud;
    char why[200];
    (void)conn;
    if (msg) {
        snprintf(why, sizeof why, "%.*s", (int)len, msg);
        set_error(c, "disconnected", why);
    }
    c->ended = true;
}

static void on_reducer_failed(void *ud, const stdb_connection *conn, const stdb_event *event, const stdb_reducer_event *reducer) {
    client_t *c = ud;
    stdb_reducer_info info;
    char why[200];
    (void)conn;
    (void)event;
    if (!stdb_reducer_event_info(reducer, &info) || info.status == STDB_STATUS_COMMITTED) return;
    snprintf(why, sizeof why, "%.*s: %.*s", (int)info.reducer_name.len, (const char *)info.reducer_name.data,
             (int)info.error_message.len, (const char *)info.error_message.data);
    set_error(c, "reducer failed", why);
}

/* ---- the world as one client's cache sees it ----------------------------------------------------- */

typedef struct {
    const world_t *w;
    uint64_t own_first;
    int own, own_fresh, in_sync;
} census_t;

static bool count_row(void *ud, const bench_Small *row) {
    census_t *s = ud;
    uint64_t owner = row->id / (uint64_t)s->w->entities;
    if (row->id >= s->own_first && row->id < s->own_first + (uint64_t)s->w->entities) {
        s->own++;
        if (row->c == 0) s->own_fresh++;
    }
    if (owner < (uint64_t)s->w->clients && s->w->final_generation[owner] == row->c) s->in_sync++;
    return true;
}

static census_t census(client_t *c) {
    census_t s = {c->world, c->first_id, 0, 0, 0};
    bench_small_iter(&c->db, count_row, &s);
    return s;
}

/* Ticks (no timing) until `done(c)` or `seconds` have passed. */
static bool tick_until(client_t *c, bool (*done)(client_t *), double seconds) {
    uint64_t end = now_ns() + (uint64_t)(seconds * 1e9);
    while (!done(c) && !c->failed && !c->ended && now_ns() < end) {
        struct timespec t = {0, 2 * 1000 * 1000};
        if (stdb_frame_tick(c->conn) != STDB_OK) break;
        nanosleep(&t, NULL);
    }
    return done(c);
}

static bool is_applied(client_t *c) { return c->applied; }

static bool own_entities_exist(client_t *c) {
    /* Our rows, freshly created at generation 0. */
    return census(c).own_fresh == c->world->entities;
}

/* Every client's entities at their final generation (rows of ids beyond the world's, left by an
 * earlier run with more clients, are ignored). */
static bool world_in_sync(client_t *c) { return census(c).in_sync == c->world->clients * c->world->entities; }

/* ---- one client --------------------------------------------------------------------------------- */

static void *client_main(void *arg) {
    client_t *c = arg;
    world_t *w = c->world;
    stdb_connection_builder *b = stdb_connection_builder_new();
    int max_frames = (int)(w->seconds * w->hz) + 1, f;
    uint64_t period = 1000000000u / (uint64_t)w->hz, next;

    c->tick_ns = calloc((size_t)max_frames, sizeof *c->tick_ns);
    if (!c->tick_ns) set_error(c, "calloc", "out of memory");
    if (bench_register(b) != 0) set_error(c, "register", bench_last_error());
    stdb_connection_builder_set_uri(b, w->uri, strlen(w->uri));
    stdb_connection_builder_set_module_name(b, w->db, strlen(w->db));
    stdb_connection_builder_on_connect(b, on_connect, c, NULL);
    stdb_connection_builder_on_connect_error(b, on_connect_error, c, NULL);
    stdb_connection_builder_on_disconnect(b, on_disconnect, c, NULL);
    if (stdb_connection_builder_build(b, &c->conn) != STDB_OK) {
        set_error(c, "build", stdb_last_error());
    } else if (bench_db_init(&c->db, c->conn) != 0) {
        set_error(c, "tables", bench_last_error());
    } else {
        bench_small_on_update(&c->db, on_update, c, NULL, NULL);
        stdb_connection_on_any_reducer(c->conn, on_reducer_failed, c, NULL, NULL);
        if (!tick_until(c, is_applied, 30)) set_error(c, "subscribe", "not applied after 30 s");
    }

    /* Create our entities afresh (a previous run may have left some). */
    if (!c->failed) {
        bench_reducer_delete_small(c->conn, c->first_id, (uint32_t)w->entities, STDB_CALL_FULL_UPDATE);
        bench_reducer_insert_small(c->conn, c->first_id, (uint32_t)w->entities, STDB_CALL_FULL_UPDATE);
        if (!tick_until(c, own_entities_exist, 30)) set_error(c, "creating entities", "not in the cache after 30 s");
    }
    pthread_barrier_wait(&w->barrier); /* everybody's entities exist */

    /* The game loop. */
    next = now_ns();
    for (f = 0; f < max_frames && !c->failed && !c->ended; f++) {
        uint64_t t0, t1;
        t0 = now_ns();
        if (stdb_frame_tick(c->conn) != STDB_OK) break;
        t1 = now_ns();
        c->tick_ns[c->frames++] = t1 - t0;
        c->generation++;
        if (bench_reducer_update_small(c->conn, c->first_id, (uint32_t)w->entities, c->generation, STDB_CALL_FULL_UPDATE) != 0)
            set_error(c, "update_small", bench_last_error());
        if (c->index == 0 && f % w->hz == 0) {
            census_t s = census(c);
            printf("t=%2ds  client 0 sees %llu entities, %d of them its own; %llu moves of others so far\n", f / w->hz,
                   (unsigned long long)bench_small_count(&c->db), s.own, (unsigned long long)c->updates_seen);
            fflush(stdout);
        }
        next += period;
        if (now_ns() > next) { /* a late frame: skip ahead instead of bursting */
            c->late_frames++;
            next = now_ns();
        }
        sleep_until(next);
    }
    w->final_generation[c->index] = c->generation;
    pthread_barrier_wait(&w->barrier); /* every final generation is known */

    if (!c->failed && !tick_until(c, world_in_sync, 30)) set_error(c, "sync", "the world was not in sync after 30 s");
    pthread_barrier_wait(&w->barrier); /* nobody disconnects while another still waits for its moves */
    if (c->conn) {
        uint64_t end = now_ns() + 2000000000u;
        stdb_connection_disconnect(c->conn);
        while (!c->ended && now_ns() < end && stdb_frame_tick(c->conn) == STDB_OK) { /* delivers on_disconnect */
            struct timespec t = {0, 2 * 1000 * 1000};
            nanosleep(&t, NULL);
        }
        bench_db_free(&c->db);
        stdb_connection_free(c->conn);
        c->conn = NULL;
    }
    return NULL;
}

/* ---- statistics --------------------------------------------------------------------------------- */

static int cmp_u64(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

/* Nearest-rank percentile of a sorted array. */
static double pct_ms(const uint64_t *sorted, int n, double p) {
    int k = (int)ceil(p / 100.0 * n) - 1;
    if (n == 0) return 0;
    if (k < 0) k = 0;
    if (k >= n) k = n - 1;
    return (double)sorted[k] / 1e6;
}

static void print_stats(const char *who, uint64_t *ns, int n) {
    qsort(ns, (size_t)n, sizeof *ns, cmp_u64);
    printf("%s: %d frames, frame_tick p50 %.3f ms, p99 %.3f ms, max %.3f ms\n", who, n, pct_ms(ns, n, 50), pct_ms(ns, n, 99),
           n ? (double)ns[n - 1] / 1e6 : 0.0);
}

static int arg_int(const char *v, int lo, int hi, const char *name) {
    int x = atoi(v);
    if (x < lo || x > hi) {
        fprintf(stderr, "%s must be %d..%d\n", name, lo, hi);
        exit(2);
    }
    return x;
}

int main(int argc, char **argv) {
    world_t w;
    pthread_t *threads;
    uint64_t *all;
    int i, n_all = 0, failed = 0;
    uint64_t moves = 0, seen = 0, late = 0;

    memset(&w, 0, sizeof w);
    w.uri = getenv("STDB_URI");
    w.db = getenv("STDB_DATABASE");
    w.clients = 4;
    w.entities = 32;
    w.seconds = 5;
    w.hz = 60;
    for (i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--clients") == 0) w.clients = arg_int(argv[i + 1], 1, 64, "--clients");
        else if (strcmp(argv[i], "--entities") == 0) w.entities = arg_int(argv[i + 1], 1, 100000, "--entities");
        else if (strcmp(argv[i], "--seconds") == 0) w.seconds = atof(argv[i + 1]);
        else if (strcmp(argv[i], "--hz") == 0) w.hz = arg_int(argv[i + 1], 1, 1000, "--hz");
        else break;
    }
    if (i < argc || w.seconds <= 0 || w.seconds > 3600) {
        fprintf(stderr, "usage: game_loop [--clients N] [--entities N] [--seconds S] [--hz N]\n");
        return 2;
    }
    if (!w.uri || !w.db) {
        fprintf(stderr, "set STDB_URI and STDB_DATABASE (a database of the bench module)\n");
        return 2;
    }
    printf("%d clients x %d entities, %d Hz for %.1f s against %s/%s\n", w.clients, w.entities, w.hz, w.seconds, w.uri, w.db);
    fflush(stdout);

    w.c = calloc((size_t)w.clients, sizeof *w.c);
    w.final_generation = calloc((size_t)w.clients, sizeof *w.final_generation);
    threads = calloc((size_t)w.clients, sizeof *threads);
    if (!w.c || !w.final_generation || !threads) return 1;
    pthread_barrier_init(&w.barrier, NULL, (unsigned)w.clients);
    for (i = 0; i < w.clients; i++) {
        w.c[i].world = &w;
        w.c[i].index = i;
        w.c[i].first_id = (uint64_t)i * (uint64_t)w.entities;
        if (pthread_create(&threads[i], NULL, client_main, &w.c[i]) != 0) {
            fprintf(stderr, "pthread_create failed\n");
            return 1;
        }
    }
    for (i = 0; i < w.clients; i++) pthread_join(threads[i], NULL);
    pthread_barrier_destroy(&w.barrier);

    for (i = 0; i < w.clients; i++) n_all += w.c[i].frames;
    all = calloc((size_t)n_all + 1, sizeof *all);
    if (!all) return 1;
    n_all = 0;
    for (i = 0; i < w.clients; i++) {
        client_t *c = &w.c[i];
        char who[64];
        memcpy(all + n_all, c->tick_ns, (size_t)c->frames * sizeof *all);
        n_all += c->frames;
        snprintf(who, sizeof who, "client %d (%llu moves of others seen)", i, (unsigned long long)c->updates_seen);
        print_stats(who, c->tick_ns, c->frames);
        moves += c->generation * (uint64_t)w.entities;
        seen += c->updates_seen;
        late += (uint64_t)c->late_frames;
        if (c->failed) {
            fprintf(stderr, "%s\n", c->error);
            failed++;
        }
        free(c->tick_ns);
    }
    print_stats("all clients", all, n_all);
    printf("entity moves sent: %llu; row updates received: %llu; late frames: %llu\n", (unsigned long long)moves,
           (unsigned long long)seen, (unsigned long long)late);
    if (!failed)
        printf("world in sync: every client cached all %d entities at their final positions\n", w.clients * w.entities);
    free(all);
    free(w.c);
    free(w.final_generation);
    free(threads);
    return failed ? 1 : 0;
}
