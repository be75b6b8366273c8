/*
 * consumer.c — a C program built against an installed stdb_client (tests/packaging.rs builds it
 * through pkg-config and CMake, shared and static). It needs no server: it checks that the
 * library it runs with is the one its header describes, that building with a bad URI fails with
 * a message, and makes and frees a builder.
 */
#include <stdb_client.h>

#include <stdio.h>
#include <string.h>

int main(void) {
    stdb_connection_builder *b;
    if (stdb_abi_version() != STDB_ABI_VERSION) {
        fprintf(stderr, "ABI %u, header says %u\n", stdb_abi_version(), (unsigned)STDB_ABI_VERSION);
        return 1;
    }
    if (strcmp(stdb_version(), STDB_VERSION_STRING) != 0) {
        fprintf(stderr, "version %s, header says %s\n", stdb_version(), STDB_VERSION_STRING);
        return 1;
    }
    /* A URI without a scheme is refused when building, with a message; the builder is consumed. */
    {
        stdb_connection *conn = NULL;
        b = stdb_connection_builder_new();
        if (b == NULL || stdb_connection_builder_set_uri(b, "nonsense", 8) != STDB_OK ||
            stdb_connection_builder_set_module_name(b, "quickstart", 10) != STDB_OK) {
            fprintf(stderr, "builder: %s\n", stdb_last_error());
            return 1;
        }
        if (stdb_connection_builder_build(b, &conn) != STDB_ERR_INVALID_ARGUMENT || conn != NULL ||
            strstr(stdb_last_error(), "scheme") == NULL) {
            fprintf(stderr, "a URI without a scheme was not refused (last error: %s)\n", stdb_last_error());
            return 1;
        }
    }
    /* A builder that is never built is freed. */
    b = stdb_connection_builder_new();
    if (b == NULL || stdb_connection_builder_set_uri(b, "http://127.0.0.1:3000", 21) != STDB_OK) {
        fprintf(stderr, "builder: %s\n", stdb_last_error());
        return 1;
    }
    stdb_connection_builder_free(b);
    if (stdb_library_shutdown() != STDB_OK) {
        fprintf(stderr, "shutdown: %s\n", stdb_last_error());
        return 1;
    }
    printf("stdb_client %s (ABI %u) from C: ok\n", stdb_version(), stdb_abi_version());
    return 0;
}
