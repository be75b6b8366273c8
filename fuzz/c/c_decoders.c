/* libFuzzer harness for the C decoders that stdb-bindings-gen writes (built by scripts/fuzz with
 * clang -fsanitize=fuzzer,address,undefined against the shims generated from
 * fuzz/schemas/sdk-test.v1_2.json, with SDK_TEST_CODEC_ONLY: no libstdb_client needed).
 *
 * Every input goes to every generated type's decoders (the list, decoders.inc, is made from the
 * generated header: one DECODER(prefix, C type) line per `_from_bsatn`). For each type:
 *   - `_from_bsatn` (exactly all bytes): on success, re-encoding gives back exactly the input
 *     (BSATN has one encoding per value), the value equals itself, and `_format` is consistent
 *     (the length it returns is what it writes given room; a short buffer gets a NUL-terminated
 *     prefix of the same text);
 *   - `_decode` from a reader (a prefix of the input): on success the reader stayed inside the
 *     input and re-encoding gives back the bytes it consumed; on failure the reader has an error.
 * `_free` runs in every case (also after a failed decode, which must leave nothing to free).
 * AddressSanitizer and LeakSanitizer report any out-of-bounds access or leak. */
#ifndef SDK_TEST_CODEC_ONLY
#define SDK_TEST_CODEC_ONLY
#endif
#include "sdk_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void fail(const char *type, const char *what) {
    fprintf(stderr, "c_decoders: %s: %s\n", type, what);
    abort();
}

static void check_format(const char *type, size_t n, const char *full, size_t written) {
    if (written != n) fail(type, "_format returned different lengths for the same value");
    if (strlen(full) > n) fail(type, "_format wrote more than it said");
}

#define DECODER(P, T)                                                                                      \
    static void try_##P(const uint8_t *data, size_t len) {                                                \
        T v;                                                                                               \
        memset(&v, 0, sizeof v);                                                                           \
        if (P##_from_bsatn(data, len, &v) == 0) {                                                          \
            sdk_test_buffer b = {0};                                                                       \
            if (P##_encode(&b, &v) != 0) fail(#P, "a decoded value does not encode");                     \
            if (b.len != len || (len > 0 && memcmp(b.data, data, len) != 0))                               \
                fail(#P, "re-encoding a decoded value gives different bytes");                             \
            sdk_test_buffer_free(&b);                                                                      \
            if (!P##_eq(&v, &v)) fail(#P, "a value is not equal to itself");                               \
            char small[12];                                                                                \
            size_t n = P##_format(&v, small, sizeof small);                                                \
            char *full = malloc(n + 1);                                                                    \
            if (full == NULL) abort();                                                                     \
            check_format(#P, n, full, P##_format(&v, full, n + 1));                                        \
            if (strncmp(small, full, sizeof small - 1) != 0) fail(#P, "a short _format is not a prefix");  \
            free(full);                                                                                    \
        }                                                                                                  \
        P##_free(&v);                                                                                      \
        sdk_test_reader r;                                                                                 \
        sdk_test_reader_init(&r, data, len);                                                               \
        memset(&v, 0, sizeof v);                                                                           \
        if (P##_decode(&r, &v) == 0) {                                                                     \
            if (r.pos > len) fail(#P, "the reader went past the input");                                  \
            sdk_test_buffer b = {0};                                                                       \
            if (P##_encode(&b, &v) != 0) fail(#P, "a decoded value does not encode");                     \
            if (b.len != r.pos || (r.pos > 0 && memcmp(b.data, data, r.pos) != 0))                         \
                fail(#P, "re-encoding a decoded prefix gives different bytes");                            \
            sdk_test_buffer_free(&b);                                                                      \
        } else if (r.error == NULL) {                                                                      \
            fail(#P, "a failed decode left no error on the reader");                                      \
        }                                                                                                  \
        P##_free(&v);                                                                                      \
    }
#include "decoders.inc"
#undef DECODER

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len) {
#define DECODER(P, T) try_##P(data, len);
#include "decoders.inc"
#undef DECODER
    return 0;
}
