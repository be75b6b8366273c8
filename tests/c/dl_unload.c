/*
 * dl_unload.c — loads the library with dlopen, uses it, shuts it down and unloads it with dlclose,
 * several times over. Each round, on a fresh thread: a connection to a refused address, and a live
 * one then ticked by `stdb_run_threaded`, start the background threads; `stdb_library_shutdown`
 * refuses while a connection (or a handle holding one) exists; once everything is freed it stops
 * every library thread and removes the logger. Then the main thread `dlclose`s, and the library
 * must really be gone (a later dlopen with RTLD_NOLOAD finds nothing).
 *
 * tests/c_programs.rs builds programs named dl_* without linking the library and passes its path
 * in STDB_LIBRARY. Only the header's types are used here; every function comes from dlsym.
 */
#include "stdb_client.h"

#include <dirent.h>
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define ROUNDS 4

static int g_checks = 0;

/* The functions this program uses, resolved with dlsym each round. */
typedef struct {
    uint32_t (*abi_version)(void);
    const char *(*last_error)(void);
    stdb_connection_builder *(*builder_new)(void);
    stdb_result (*set_uri)(stdb_connection_builder *, const char *, size_t);
    stdb_result (*set_module_name)(stdb_connection_builder *, const char *, size_t);
    stdb_result (*on_connect)(stdb_connection_builder *, stdb_connect_fn, void *, stdb_free_fn);
    stdb_result (*on_connect_error)(stdb_connection_builder *, stdb_connect_error_fn, void *, stdb_free_fn);
    stdb_result (*on_disconnect)(stdb_connection_builder *, stdb_disconnect_fn, void *, stdb_free_fn);
    stdb_result (*build)(stdb_connection_builder *, stdb_connection **);
    stdb_result (*frame_tick)(const stdb_connection *);
    stdb_result (*run_threaded)(const stdb_connection *);
    stdb_result (*disconnect)(const stdb_connection *);
    void (*connection_free)(stdb_connection *);
    stdb_subscription_builder *(*subscription_builder_new)(const stdb_connection *);
    void (*subscription_builder_free)(stdb_subscription_builder *);
    stdb_result (*set_logger)(stdb_log_fn, void *, stdb_free_fn, int32_t);
    stdb_result (*library_shutdown)(void);
} api_t;

static api_t api;

#define CHECK(cond)                                                                                  \
    do {                                                                                             \
        g_checks++;                                                                                  \
        if (!(cond)) {                                                                               \
            fprintf(stderr, "%s:%d: CHECK failed: %s (last error: %s)\n", __FILE__, __LINE__, #cond, \
                    api.last_error ? api.last_error() : "(library not loaded)");                      \
            exit(1);                                                                                 \
        }                                                                                            \
    } while (0)

#define S(lit) lit, (sizeof(lit) - 1)

static void sleep_ms(long ms) {
    struct timespec t;
    t.tv_sec = ms / 1000;
    t.tv_nsec = (ms % 1000) * 1000000L;
    nanosleep(&t, NULL);
}

static const char *env_or_die(const char *name) {
    const char *v = getenv(name);
    if (!v || !*v) {
        fprintf(stderr, "environment variable %s is not set\n", name);
        exit(2);
    }
    return v;
}

/* dlsym into a function pointer: copied, since ISO C has no object-to-function pointer cast. */
static void resolve(void *lib, const char *name, void *fn_ptr, size_t size) {
    void *sym = dlsym(lib, name);
    if (!sym) {
        fprintf(stderr, "dlsym(%s): %s\n", name, dlerror());
        exit(1);
    }
    memcpy(fn_ptr, &sym, size);
}
#define RESOLVE(lib, field, name) resolve(lib, name, &api.field, sizeof api.field)

static void load_api(void *lib) {
    RESOLVE(lib, abi_version, "stdb_abi_version");
    RESOLVE(lib, last_error, "stdb_last_error");
    RESOLVE(lib, builder_new, "stdb_connection_builder_new");
    RESOLVE(lib, set_uri, "stdb_connection_builder_set_uri");
    RESOLVE(lib, set_module_name, "stdb_connection_builder_set_module_name");
    RESOLVE(lib, on_connect, "stdb_connection_builder_on_connect");
    RESOLVE(lib, on_connect_error, "stdb_connection_builder_on_connect_error");
    RESOLVE(lib, on_disconnect, "stdb_connection_builder_on_disconnect");
    RESOLVE(lib, build, "stdb_connection_builder_build");
    RESOLVE(lib, frame_tick, "stdb_frame_tick");
    RESOLVE(lib, run_threaded, "stdb_run_threaded");
    RESOLVE(lib, disconnect, "stdb_connection_disconnect");
    RESOLVE(lib, connection_free, "stdb_connection_free");
    RESOLVE(lib, subscription_builder_new, "stdb_subscription_builder_new");
    RESOLVE(lib, subscription_builder_free, "stdb_subscription_builder_free");
    RESOLVE(lib, set_logger, "stdb_set_logger");
    RESOLVE(lib, library_shutdown, "stdb_library_shutdown");
}

/* Threads of this process whose name starts with "stdb-client-" (the library's). */
static int library_threads(void) {
    DIR *d = opendir("/proc/self/task");
    struct dirent *e;
    int n = 0;
    CHECK(d != NULL);
    while ((e = readdir(d)) != NULL) {
        char path[300], comm[64] = {0};
        FILE *f;
        if (e->d_name[0] == '.') continue;
        snprintf(path, sizeof path, "/proc/self/task/%s/comm", e->d_name);
        f = fopen(path, "r");
        if (!f) continue; /* the thread just ended */
        if (fgets(comm, sizeof comm, f) && strncmp(comm, "stdb-client-", 12) == 0) n++;
        fclose(f);
    }
    closedir(d);
    return n;
}

typedef struct {
    const char *uri, *db;
    int connected;
    int connect_failed;
    int disconnected;
    pthread_t worker;
    int disconnect_on_worker; /* the threaded connection's callback ran on the worker (wrong) */
    int log_lines;
    int log_freed;
} round_t;

static void on_connect(void *ud, const stdb_connection *c, const stdb_identity *id, const char *tok, size_t tok_len,
                       const stdb_connection_id *cid) {
    (void)c; (void)id; (void)tok; (void)tok_len; (void)cid;
    ((round_t *)ud)->connected = 1;
}

static void on_connect_error(void *ud, const stdb_connection *c, int32_t kind, uint16_t status, const char *msg,
                             size_t msg_len) {
    (void)c; (void)kind; (void)status; (void)msg; (void)msg_len;
    ((round_t *)ud)->connect_failed = 1;
}

static void on_disconnect(void *ud, const stdb_connection *c, const char *msg, size_t msg_len) {
    round_t *r = ud;
    (void)c; (void)msg; (void)msg_len;
    if (pthread_equal(pthread_self(), r->worker)) r->disconnect_on_worker = 1;
    __atomic_store_n(&r->disconnected, 1, __ATOMIC_SEQ_CST);
}

static void on_log(void *ud, int32_t level, const char *target, size_t target_len, const char *msg, size_t msg_len) {
    (void)level; (void)target; (void)target_len; (void)msg; (void)msg_len;
    __atomic_fetch_add(&((round_t *)ud)->log_lines, 1, __ATOMIC_SEQ_CST);
}

static void on_log_freed(void *ud) {
    __atomic_fetch_add(&((round_t *)ud)->log_freed, 1, __ATOMIC_SEQ_CST);
}

static stdb_connection *connect_to(round_t *r, const char *uri, size_t uri_len) {
    stdb_connection_builder *b = api.builder_new();
    stdb_connection *c = NULL;
    CHECK(b != NULL);
    CHECK(api.set_uri(b, uri, uri_len) == STDB_OK);
    CHECK(api.set_module_name(b, r->db, strlen(r->db)) == STDB_OK);
    CHECK(api.on_connect(b, on_connect, r, NULL) == STDB_OK);
    CHECK(api.on_connect_error(b, on_connect_error, r, NULL) == STDB_OK);
    CHECK(api.on_disconnect(b, on_disconnect, r, NULL) == STDB_OK);
    CHECK(api.build(b, &c) == STDB_OK);
    return c;
}

/* One round's use of the library; runs on its own thread, so that the thread-local state the
 * library keeps for its caller is released (the thread ends) before the main thread unloads it. */
static void *use_library(void *arg) {
    round_t *r = arg;
    stdb_connection *live, *refused;
    stdb_subscription_builder *sb;
    stdb_result rc = STDB_ERR_INVALID_STATE;
    int i;

    r->worker = pthread_self();
    CHECK(api.abi_version() == STDB_ABI_VERSION);
    CHECK(api.library_shutdown() == STDB_OK); /* nothing runs yet: a no-op */
    CHECK(api.set_logger(on_log, r, on_log_freed, STDB_LOG_INFO) == STDB_OK);

    /* A connection that fails, ticked here. */
    refused = connect_to(r, S("http://127.0.0.1:1"));
    for (i = 0; i < 20000 && !r->connect_failed; i++) {
        stdb_result t = api.frame_tick(refused);
        CHECK(t == STDB_OK || t == STDB_ERR_DISCONNECTED);
        if (!r->connect_failed) sleep_ms(1);
    }
    CHECK(r->connect_failed);
    CHECK(library_threads() >= 1); /* the background runtime runs */
    api.connection_free(refused);

    live = connect_to(r, r->uri, strlen(r->uri));
    for (i = 0; i < 20000 && !r->connected; i++) {
        CHECK(api.frame_tick(live) == STDB_OK);
        if (!r->connected) sleep_ms(1);
    }
    CHECK(r->connected);

    /* Ticked on the library's own thread from now on; a second tick thread is refused. */
    CHECK(api.run_threaded(live) == STDB_OK);
    CHECK(api.run_threaded(live) == STDB_ERR_INVALID_STATE);

    /* A live connection blocks the shutdown, which then changes nothing. */
    CHECK(api.library_shutdown() == STDB_ERR_INVALID_STATE);
    CHECK(strstr(api.last_error(), "connection") != NULL);

    /* A subscription builder keeps its connection alive after the handle is freed. */
    sb = api.subscription_builder_new(live);
    CHECK(sb != NULL);
    CHECK(api.disconnect(live) == STDB_OK);
    api.connection_free(live); /* the tick thread keeps its own reference */
    CHECK(api.library_shutdown() == STDB_ERR_INVALID_STATE);
    api.subscription_builder_free(sb);

    /* The tick thread ends after running on_disconnect (there, not here). */
    for (i = 0; i < 20000 && !__atomic_load_n(&r->disconnected, __ATOMIC_SEQ_CST); i++) sleep_ms(1);
    CHECK(r->disconnected);
    CHECK(!r->disconnect_on_worker);
    for (i = 0; i < 5000 && (rc = api.library_shutdown()) == STDB_ERR_INVALID_STATE; i++) sleep_ms(1);
    CHECK(rc == STDB_OK);

    /* Every library thread has been joined, and the logger removed (its finalizer ran once). */
    CHECK(library_threads() == 0);
    CHECK(r->log_freed == 1);
    CHECK(r->log_lines > 0);
    CHECK(api.library_shutdown() == STDB_OK); /* again: nothing to do */
    return NULL;
}

int main(void) {
    const char *path = env_or_die("STDB_LIBRARY");
    round_t r;
    int round;
    for (round = 0; round < ROUNDS; round++) {
        pthread_t th;
        void *lib = dlopen(path, RTLD_NOW | RTLD_LOCAL);
        if (!lib) {
            fprintf(stderr, "dlopen(%s): %s\n", path, dlerror());
            return 1;
        }
        load_api(lib);
        memset(&r, 0, sizeof r);
        r.uri = env_or_die("STDB_URI");
        r.db = env_or_die("STDB_DATABASE");
        CHECK(pthread_create(&th, NULL, use_library, &r) == 0);
        CHECK(pthread_join(th, NULL) == 0);
        memset(&api, 0, sizeof api);
        CHECK(dlclose(lib) == 0);
        /* Unloaded for real: nothing of the library stayed mapped. */
        lib = dlopen(path, RTLD_NOW | RTLD_NOLOAD);
        if (lib) {
            dlclose(lib);
            fprintf(stderr, "round %d: the library is still loaded after dlclose\n", round);
            return 1;
        }
        g_checks++;
    }
    printf("dl_unload: %d rounds, %d checks passed\n", ROUNDS, g_checks);
    return 0;
}
