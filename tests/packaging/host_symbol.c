/*
 * host_symbol.c — stands for a host's own copy of a C library the static stdb_client contains
 * too (ring's C code), linked after it (tests/packaging.rs, which passes the name the library's
 * copy uses as HOST_SYMBOL). The host's calls must reach this definition.
 */
int host_symbol_called = 0;

void HOST_SYMBOL(void) { host_symbol_called = 1; }
