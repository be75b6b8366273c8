/* connect_disconnect.c — the module's client_connected / client_disconnected reducers see this
 * client's identity and connection id, and the connect/disconnect callbacks run once each
 * (module connect-disconnect, shims lifecycle.h).
 */
// conformance-module: connect-disconnect
// conformance-cases: connect_disconnect_callbacks
#include "lifecycle.h"
#include "ctest.h"

static const ct_conn *g_first;
static bool is_first(void *ud, const lifecycle_Connected *row) {
    int *n = ud;
    if (ct_identity_eq(&row->identity, &g_first->identity) && ct_cid_eq(&row->connection_id, &g_first->cid)) (*n)++;
    return true;
}
static bool is_first_d(void *ud, const lifecycle_Disconnected *row) {
    int *n = ud;
    if (ct_identity_eq(&row->identity, &g_first->identity) && ct_cid_eq(&row->connection_id, &g_first->cid)) (*n)++;
    return true;
}

int main(int argc, char **argv) {
    ct_conn a = ct_conn_init(), b = ct_conn_init();
    stdb_connection *first, *second;
    lifecycle_db db1, db2;
    ct_sub s1, s2;
    int n = 0;
    (void)argc; (void)argv;
    memset(&s1, 0, sizeof s1);
    memset(&s2, 0, sizeof s2);
    first = ct_connect(lifecycle_register, &a);
    g_first = &a;
    CHECK(a.connected == 1 && !a.disconnected);
    CHECK_OK(lifecycle_db_init(&db1, first));
    ct_subscribe1(first, &s1, "SELECT * FROM connected");
    /* client_connected ran for us before on_connect: our row is there. */
    CHECK(lifecycle_connected_count(&db1) == 1);
    CHECK_OK(lifecycle_connected_iter(&db1, is_first, &n));
    CHECK(n == 1);
    stdb_subscription_free(s1.handle);
    lifecycle_db_free(&db1);
    ct_close(first, &a);
    CHECK(a.disconnected == 1 && a.connected == 1);

    second = ct_connect(lifecycle_register, &b);
    CHECK(!ct_cid_eq(&a.cid, &b.cid));
    CHECK_OK(lifecycle_db_init(&db2, second));
    ct_subscribe(second, &s2, (const char *const[]){"SELECT * FROM disconnected", "SELECT * FROM connected"}, 2);
    /* The first connection's disconnect reached the module with its identity and connection id. */
    n = 0;
    CHECK(lifecycle_disconnected_count(&db2) == 1);
    CHECK_OK(lifecycle_disconnected_iter(&db2, is_first_d, &n));
    CHECK(n == 1);
    CHECK(lifecycle_connected_count(&db2) == 2);
    stdb_subscription_free(s2.handle);
    lifecycle_db_free(&db2);
    ct_close(second, &b);
    ct_pass("connect_disconnect_callbacks");
    return 0;
}
