/*
 * sigpipe.c — a host that keeps the default SIGPIPE disposition (as C, C++, Lua and Python hosts
 * do) survives connecting with https:// to a plain-HTTP server: the TLS layers write to a socket
 * the peer has closed, and no write of the library may raise SIGPIPE. The library must not change
 * the disposition either. Each attempt must end in a TLS connect error.
 */
#include "ctest.h"

#include <signal.h>

typedef struct {
    int done;
    int kind;
} attempt_t;

static void on_error(void *ud, const stdb_connection *c, int32_t kind, uint16_t status, const char *m, size_t n) {
    attempt_t *a = ud;
    (void)c; (void)status; (void)m; (void)n;
    a->kind = kind;
    a->done = 1;
}

static void on_connect(void *ud, const stdb_connection *c, const stdb_identity *id, const char *t, size_t tl,
                       const stdb_connection_id *cid) {
    attempt_t *a = ud;
    (void)c; (void)id; (void)t; (void)tl; (void)cid;
    a->kind = -1;
    a->done = 1;
}

int main(void) {
    const char *uri = ct_env("STDB_URI");
    const char *db = ct_env("STDB_DATABASE");
    char https[512];
    struct sigaction before, after;
    int i;
    CHECK(strncmp(uri, "http://", 7) == 0);
    snprintf(https, sizeof https, "https://%s", uri + 7);
    /* The default disposition: a SIGPIPE would kill this process. */
    signal(SIGPIPE, SIG_DFL);
    CHECK(sigaction(SIGPIPE, NULL, &before) == 0);
    CHECK(before.sa_handler == SIG_DFL);
    for (i = 0; i < 20; i++) {
        attempt_t a;
        stdb_connection_builder *b = stdb_connection_builder_new();
        stdb_connection *conn = NULL;
        /* Half the attempts fetch the schema over HTTPS (ureq), half go straight to wss:// (the
         * schema is given), so both TLS stacks meet the plain-HTTP server. */
        memset(&a, 0, sizeof a);
        CHECK_OK(stdb_connection_builder_set_uri(b, https, strlen(https)));
        CHECK_OK(stdb_connection_builder_set_module_name(b, db, strlen(db)));
        if (i % 2 == 1) {
            static const char schema[] =
                "{\"typespace\":{\"types\":[]},\"tables\":[],\"reducers\":[],\"types\":[],\"misc_exports\":[],"
                "\"row_level_security\":[]}";
            CHECK_OK(stdb_connection_builder_set_schema_json(b, schema, strlen(schema)));
        }
        CHECK_OK(stdb_connection_builder_on_connect(b, on_connect, &a, NULL));
        CHECK_OK(stdb_connection_builder_on_connect_error(b, on_error, &a, NULL));
        CHECK_OK(stdb_connection_builder_build(b, &conn));
        ct_tick_until(conn, &a.done);
        CHECK(a.kind == STDB_CONNECT_ERROR_TLS);
        stdb_connection_free(conn);
    }
    CHECK(sigaction(SIGPIPE, NULL, &after) == 0);
    CHECK(after.sa_handler == SIG_DFL);
    ct_pass("sigpipe");
    return 0;
}
