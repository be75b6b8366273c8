/* uses_host_symbol.c — uses the library and calls the host's HOST_SYMBOL (host_symbol.c). */
#include <stdb_client.h>

#include <stdio.h>

extern int host_symbol_called;
void HOST_SYMBOL(void);

#define STR2(x) #x
#define STR(x) STR2(x)

int main(void) {
    stdb_connection_builder_free(stdb_connection_builder_new());
    HOST_SYMBOL();
    if (!host_symbol_called) {
        fprintf(stderr, "%s() ran the library's copy, not the host's\n", STR(HOST_SYMBOL));
        return 1;
    }
    printf("host %s: ok\n", STR(HOST_SYMBOL));
    return 0;
}
