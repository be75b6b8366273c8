/*
 * roundtrip.c — drives generated codecs for bindings-gen's round-trip and hostile-input tests.
 *
 * Compiled with the generated PREFIX.c (in codec-only mode) and a `types.inc` the test writes:
 * one `T(FN_PREFIX, C_TYPE)` line per type, in a fixed order. Reads lines `INDEX HEX` from stdin
 * and answers each with one line:
 *   OK REENCODED_HEX FORMAT_HEX   the bytes decoded as type INDEX; re-encoded and formatted
 *   ERR CODE                      decoding failed with CODE
 *   BUG WHAT                      an invariant broke (eq, free, format truncation)
 * Build with -DGEN_HEADER='"PREFIX.h"'.
 */
#include GEN_HEADER

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    uint8_t *data;
    size_t len;
} bytes_t;

static void print_hex(const uint8_t *p, size_t n) {
    static const char d[] = "0123456789abcdef";
    size_t i;
    if (n == 0) putchar('-');
    for (i = 0; i < n; i++) {
        putchar(d[p[i] >> 4]);
        putchar(d[p[i] & 15]);
    }
}

#define T(F, CT)                                                                      \
    static void run_##F(const uint8_t *in, size_t len) {                             \
        CT a, b;                                                                     \
        GEN_BUFFER buf;                                                              \
        int32_t rc;                                                                  \
        size_t n, m;                                                                 \
        char *text, small[8];                                                        \
        memset(&buf, 0, sizeof buf);                                                 \
        rc = F##_from_bsatn(in, len, &a);                                            \
        if (rc != 0) {                                                               \
            printf("ERR %d\n", (int)rc);                                             \
            return;                                                                  \
        }                                                                            \
        if (F##_from_bsatn(in, len, &b) != 0) { printf("BUG second decode\n"); return; } \
        if (!F##_eq(&a, &b)) { printf("BUG eq\n"); return; }                         \
        rc = F##_encode(&buf, &a);                                                   \
        if (rc != 0) { printf("BUG encode %d\n", (int)rc); return; }                 \
        n = F##_format(&a, NULL, 0);                                                 \
        text = (char *)malloc(n + 1);                                                \
        m = F##_format(&a, text, n + 1);                                             \
        if (m != n || text[n] != '\0' || strlen(text) > n) { printf("BUG format length\n"); return; } \
        m = F##_format(&a, small, sizeof small);                                     \
        if (m != n || strlen(small) != (n < sizeof small ? n : sizeof small - 1)) {   \
            printf("BUG format truncation\n");                                       \
            return;                                                                  \
        }                                                                            \
        printf("OK ");                                                               \
        print_hex(buf.data, buf.len);                                                \
        putchar(' ');                                                                \
        print_hex((const uint8_t *)text, n);                                         \
        putchar('\n');                                                               \
        free(text);                                                                  \
        GEN_BUFFER_FREE(&buf);                                                       \
        F##_free(&a);                                                                \
        F##_free(&a); /* frees leave the value empty: freeing twice is harmless */   \
        F##_free(&b);                                                                \
    }
#include "types.inc"
#undef T

typedef void (*run_fn)(const uint8_t *, size_t);
static const run_fn runners[] = {
#define T(F, CT) run_##F,
#include "types.inc"
#undef T
};

static int hexval(int c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
}

int main(void) {
    static char line[1 << 22];
    while (fgets(line, sizeof line, stdin)) {
        char *sp = strchr(line, ' ');
        size_t idx, hl, i, n;
        uint8_t *data;
        if (!sp) return 2;
        idx = (size_t)strtoul(line, NULL, 10);
        sp++;
        hl = strcspn(sp, "\r\n");
        if (hl == 1 && sp[0] == '-') hl = 0;
        if (idx >= sizeof runners / sizeof runners[0] || hl % 2) return 3;
        n = hl / 2;
        /* An exact-size heap copy, so ASan sees any read past the input. */
        data = (uint8_t *)malloc(n ? n : 1);
        for (i = 0; i < n; i++) data[i] = (uint8_t)(hexval(sp[2 * i]) * 16 + hexval(sp[2 * i + 1]));
        runners[idx](n ? data : NULL, n);
        free(data);
        fflush(stdout);
    }
    return 0;
}
