/* ==== Runtime ==================================================================================== */

#if defined(_MSC_VER) && !defined(__clang__)
#define {{ pu }}_THREAD_LOCAL __declspec(thread)
#else
#define {{ pu }}_THREAD_LOCAL _Thread_local
#endif

static {{ pu }}_THREAD_LOCAL char {{ p }}_error_buf[512];

const char *{{ p }}_last_error(void) {
    return {{ p }}_error_buf;
}

static void {{ p }}_set_error(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf({{ p }}_error_buf, sizeof {{ p }}_error_buf, fmt, ap);
    va_end(ap);
}

void {{ p }}_buffer_free({{ p }}_buffer *buf) {
    if (!buf) return;
    free(buf->data);
    buf->data = NULL;
    buf->len = 0;
    buf->cap = 0;
}

int32_t {{ p }}_buffer_append({{ p }}_buffer *buf, const void *data, size_t len) {
    if (!buf || (!data && len)) return STDB_ERR_NULL;
    if (len == 0) return STDB_OK;
    if (len > SIZE_MAX - buf->len) return {{ pu }}_ERR_NOMEM;
    if (buf->len + len > buf->cap) {
        size_t cap = buf->cap ? buf->cap : 64;
        uint8_t *p;
        while (cap < buf->len + len) {
            if (cap > SIZE_MAX / 2) { cap = buf->len + len; break; }
            cap *= 2;
        }
        p = (uint8_t *)realloc(buf->data, cap);
        if (!p) return {{ pu }}_ERR_NOMEM;
        buf->data = p;
        buf->cap = cap;
    }
    memcpy(buf->data + buf->len, data, len);
    buf->len += len;
    return STDB_OK;
}

void {{ p }}_reader_init({{ p }}_reader *r, const uint8_t *data, size_t len) {
    r->data = data;
    r->len = data ? len : 0;
    r->pos = 0;
    r->error = NULL;
}

static int32_t {{ p }}_fail({{ p }}_reader *r, const char *why) {
    if (!r->error) r->error = why;
    return {{ pu }}_ERR_DECODE;
}

/* Points *out at the next n bytes, or fails without moving. */
static int32_t {{ p }}_take({{ p }}_reader *r, size_t n, const uint8_t **out) {
    if (n > r->len - r->pos) return {{ p }}_fail(r, "unexpected end of input");
    *out = r->data + r->pos;
    r->pos += n;
    return STDB_OK;
}

static uint64_t {{ p }}_load_le(const uint8_t *p, size_t n) {
    uint64_t v = 0;
    size_t i;
    for (i = 0; i < n; i++) v |= (uint64_t)p[i] << (8 * i);
    return v;
}

static int32_t {{ p }}_put_le({{ p }}_buffer *buf, uint64_t v, size_t n) {
    uint8_t b[8];
    size_t i;
    for (i = 0; i < n; i++) b[i] = (uint8_t)(v >> (8 * i));
    return {{ p }}_buffer_append(buf, b, n);
}

/* Reads a u32 length and checks that `count` items of at least `min_size` bytes each can follow. */
static int32_t {{ p }}_read_len({{ p }}_reader *r, size_t min_size, size_t *out) {
    const uint8_t *p;
    uint64_t n;
    if ({{ p }}_take(r, 4, &p)) return {{ pu }}_ERR_DECODE;
    n = {{ p }}_load_le(p, 4);
    if (min_size > 0) {
        if (n > (r->len - r->pos) / min_size) return {{ p }}_fail(r, "length exceeds the remaining input");
    } else if (n > 65536) {
        /* Zero-sized elements: nothing bounds the count, so cap it. */
        return {{ p }}_fail(r, "too many zero-sized elements");
    }
    *out = (size_t)n;
    return STDB_OK;
}

static int32_t {{ p }}_write_len({{ p }}_buffer *buf, size_t n) {
    if ((uint64_t)n > UINT32_MAX) return {{ pu }}_ERR_ENCODE;
    return {{ p }}_put_le(buf, (uint64_t)n, 4);
}

static int32_t {{ p }}_read_tag({{ p }}_reader *r, unsigned count, uint8_t *out) {
    const uint8_t *p;
    if ({{ p }}_take(r, 1, &p)) return {{ pu }}_ERR_DECODE;
    if (*p >= count) return {{ p }}_fail(r, "invalid sum tag");
    *out = *p;
    return STDB_OK;
}

static int32_t {{ p }}_write_tag({{ p }}_buffer *buf, unsigned tag) {
    uint8_t b = (uint8_t)tag;
    return {{ p }}_buffer_append(buf, &b, 1);
}

/* Sets the thread's last error for a failed decode of `what`. */
static int32_t {{ p }}_decode_error(const {{ p }}_reader *r, const char *what, int32_t rc) {
    if (rc == {{ pu }}_ERR_NOMEM)
        {{ p }}_set_error("decoding %s: out of memory", what);
    else
        {{ p }}_set_error("decoding %s: %s at byte %lu of %lu", what, r->error ? r->error : "invalid input",
                      (unsigned long)r->pos, (unsigned long)r->len);
    return rc;
}

/* Calls `decode` on exactly `len` bytes (trailing bytes are an error). */
#define {{ pu }}_FROM_BSATN(T, what, data, len, out)                                 \
    do {                                                                          \
        {{ p }}_reader r_;                                                            \
        int32_t rc_;                                                              \
        if (!(out) || (!(data) && (len))) {                                       \
            {{ p }}_set_error("decoding %s: %s is NULL", (what), (out) ? "data" : "out"); \
            return STDB_ERR_NULL;                                                 \
        }                                                                         \
        {{ p }}_reader_init(&r_, (data), (len));                                      \
        rc_ = T##_decode(&r_, (out));                                             \
        if (rc_ == STDB_OK && r_.pos != r_.len) {                                 \
            T##_free(out);                                                        \
            r_.error = "trailing bytes after the value";                          \
            rc_ = {{ pu }}_ERR_DECODE;                                                \
        }                                                                         \
        if (rc_ != STDB_OK) return {{ p }}_decode_error(&r_, (what), rc_);            \
        return STDB_OK;                                                           \
    } while (0)

/* ---- Text output --------------------------------------------------------------------------------- */

typedef struct {{ p }}_fmt {
    char *buf;
    size_t cap;
    size_t len; /* characters the full text needs, even past cap */
} {{ p }}_fmt;

static void {{ p }}_fmt_n({{ p }}_fmt *f, const char *s, size_t n) {
    if (f->cap > 0 && f->len < f->cap - 1) {
        size_t room = f->cap - 1 - f->len;
        memcpy(f->buf + f->len, s, n < room ? n : room);
    }
    f->len += n;
}

static void {{ p }}_fmt_s({{ p }}_fmt *f, const char *s) {
    {{ p }}_fmt_n(f, s, strlen(s));
}

static void {{ p }}_fmt_u64({{ p }}_fmt *f, uint64_t v) {
    char tmp[24];
    int n = snprintf(tmp, sizeof tmp, "%llu", (unsigned long long)v);
    {{ p }}_fmt_n(f, tmp, (size_t)n);
}

static void {{ p }}_fmt_i64({{ p }}_fmt *f, int64_t v) {
    char tmp[24];
    int n = snprintf(tmp, sizeof tmp, "%lld", (long long)v);
    {{ p }}_fmt_n(f, tmp, (size_t)n);
}

static size_t {{ p }}_fmt_end({{ p }}_fmt *f) {
    if (f->cap > 0) f->buf[f->len < f->cap - 1 ? f->len : f->cap - 1] = '\0';
    return f->len;
}

static void {{ p }}_fmt_hex({{ p }}_fmt *f, const uint8_t *p, size_t n, int reverse) {
    static const char digits[] = "0123456789abcdef";
    size_t i;
    for (i = 0; i < n; i++) {
        uint8_t b = reverse ? p[n - 1 - i] : p[i];
        char two[2];
        two[0] = digits[b >> 4];
        two[1] = digits[b & 15];
        {{ p }}_fmt_n(f, two, 2);
    }
}

/* ---- Wide integers ------------------------------------------------------------------------------ */

static int32_t {{ p }}_wide_decode({{ p }}_reader *r, uint64_t *limbs, size_t n) {
    const uint8_t *p;
    size_t i;
    if ({{ p }}_take(r, 8 * n, &p)) return {{ pu }}_ERR_DECODE;
    for (i = 0; i < n; i++) limbs[i] = {{ p }}_load_le(p + 8 * i, 8);
    return STDB_OK;
}

static int32_t {{ p }}_wide_encode({{ p }}_buffer *buf, const uint64_t *limbs, size_t n) {
    uint8_t b[32];
    size_t i, j;
    for (i = 0; i < n; i++)
        for (j = 0; j < 8; j++) b[8 * i + j] = (uint8_t)(limbs[i] >> (8 * j));
    return {{ p }}_buffer_append(buf, b, 8 * n);
}

/* Two's complement negation of n limbs. */
static void {{ p }}_wide_negate(uint64_t *limbs, size_t n) {
    size_t i;
    int carry = 1;
    for (i = 0; i < n; i++) {
        limbs[i] = ~limbs[i] + (uint64_t)carry;
        carry = carry && limbs[i] == 0;
    }
}

/* Decimal text of n limbs (at most 4), signed or not. */
static void {{ p }}_wide_write({{ p }}_fmt *f, const uint64_t *in, size_t n, int is_signed) {
    uint32_t w[8];
    uint64_t limbs[4];
    char digits[80];
    size_t nd = 0, nw = 2 * n, i;
    int zero;
    memcpy(limbs, in, n * sizeof(uint64_t));
    if (is_signed && (limbs[n - 1] >> 63)) {
        {{ p }}_wide_negate(limbs, n);
        {{ p }}_fmt_n(f, "-", 1);
    }
    for (i = 0; i < n; i++) {
        w[2 * i] = (uint32_t)limbs[i];
        w[2 * i + 1] = (uint32_t)(limbs[i] >> 32);
    }
    do {
        /* Divide by 10^9, most significant word first; collect 9 digits per round. */
        uint64_t rem = 0;
        size_t k;
        for (k = nw; k-- > 0;) {
            uint64_t cur = (rem << 32) | w[k];
            w[k] = (uint32_t)(cur / 1000000000u);
            rem = cur % 1000000000u;
        }
        zero = 1;
        for (k = 0; k < nw; k++)
            if (w[k]) { zero = 0; break; }
        for (k = 0; k < 9 && (!zero || rem); k++) {
            digits[nd++] = (char)('0' + rem % 10);
            rem /= 10;
        }
    } while (!zero);
    if (nd == 0) digits[nd++] = '0';
    while (nd > 0) {{ p }}_fmt_n(f, &digits[--nd], 1);
}

static int32_t {{ p }}_wide_parse(const char *s, size_t len, uint64_t *out, size_t n, int is_signed) {
    uint32_t w[8] = {0};
    size_t nw = 2 * n, i = 0, k;
    int neg = 0, any = 0;
    uint64_t limbs[4];
    if (!s || !out) return STDB_ERR_NULL;
    if (i < len && (s[i] == '-' || s[i] == '+')) {
        neg = s[i] == '-';
        i++;
    }
    if (neg && !is_signed) goto bad;
    for (; i < len; i++) {
        uint64_t carry;
        if (s[i] < '0' || s[i] > '9') goto bad;
        any = 1;
        carry = (uint64_t)(s[i] - '0');
        for (k = 0; k < nw; k++) {
            uint64_t cur = (uint64_t)w[k] * 10u + carry;
            w[k] = (uint32_t)cur;
            carry = cur >> 32;
        }
        if (carry) goto bad;
    }
    if (!any) goto bad;
    for (k = 0; k < n; k++) limbs[k] = (uint64_t)w[2 * k] | ((uint64_t)w[2 * k + 1] << 32);
    if (is_signed) {
        uint64_t top = limbs[n - 1] >> 63;
        if (top) {
            /* Only -2^(bits-1) has the top bit set in its magnitude. */
            int min = neg && limbs[n - 1] == ((uint64_t)1 << 63);
            for (k = 0; k + 1 < n && min; k++) min = limbs[k] == 0;
            if (!min) goto bad;
        }
        if (neg) {{ p }}_wide_negate(limbs, n);
    }
    memcpy(out, limbs, n * sizeof(uint64_t));
    return STDB_OK;
bad:
    {{ p }}_set_error("not a %s %u-bit integer: \"%.*s\"", is_signed ? "signed" : "unsigned", (unsigned)(64 * n),
                  (int)(len > 80 ? 80 : len), s);
    return {{ pu }}_ERR_PARSE;
}

/* ---- Special types ------------------------------------------------------------------------------ */

static int64_t {{ p }}_floor_div(int64_t a, int64_t b) {
    int64_t q = a / b;
    if ((a % b != 0) && ((a < 0) != (b < 0))) q--;
    return q;
}

/* RFC 3339 like chrono's `to_rfc3339` (what SpacetimeDB's Timestamp Display uses). */
static void {{ p }}_write_timestamp_micros({{ p }}_fmt *f, int64_t micros) {
    int64_t secs = micros / 1000000;
    int64_t us = micros % 1000000;
    int64_t days, sod, z;
    if (us < 0) { /* floor division, written so that INT64_MIN cannot overflow */
        us += 1000000;
        secs -= 1;
    }
    days = {{ p }}_floor_div(secs, 86400);
    sod = secs - days * 86400;
    /* civil_from_days (H. Hinnant) */
    z = days + 719468;
    int64_t era = {{ p }}_floor_div(z, 146097);
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t y = yoe + era * 400;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    int64_t d = doy - (153 * mp + 2) / 5 + 1;
    int64_t m = mp < 10 ? mp + 3 : mp - 9;
    char tmp[64];
    int n;
    if (m <= 2) y++;
    if (y < -262144 || y > 262143) {
        /* Outside chrono's calendar: SpacetimeDB cannot print these either. */
        n = snprintf(tmp, sizeof tmp, "<timestamp %lld us>", (long long)micros);
        {{ p }}_fmt_n(f, tmp, (size_t)n);
        return;
    }
    if (y >= 0 && y <= 9999)
        n = snprintf(tmp, sizeof tmp, "%04lld", (long long)y);
    else
        n = snprintf(tmp, sizeof tmp, "%+05lld", (long long)y);
    {{ p }}_fmt_n(f, tmp, (size_t)n);
    n = snprintf(tmp, sizeof tmp, "-%02d-%02dT%02d:%02d:%02d", (int)m, (int)d, (int)(sod / 3600), (int)(sod / 60 % 60),
                 (int)(sod % 60));
    {{ p }}_fmt_n(f, tmp, (size_t)n);
    if (us != 0) {
        if (us % 1000 == 0)
            n = snprintf(tmp, sizeof tmp, ".%03d", (int)(us / 1000));
        else
            n = snprintf(tmp, sizeof tmp, ".%06d", (int)us);
        {{ p }}_fmt_n(f, tmp, (size_t)n);
    }
    {{ p }}_fmt_s(f, "+00:00");
}

static void {{ p }}_write_duration_micros({{ p }}_fmt *f, int64_t micros) {
    uint64_t a = micros < 0 ? (uint64_t)0 - (uint64_t)micros : (uint64_t)micros;
    char tmp[48];
    int n = snprintf(tmp, sizeof tmp, "%c%llu.%06llu", micros < 0 ? '-' : '+', (unsigned long long)(a / 1000000u),
                     (unsigned long long)(a % 1000000u));
    {{ p }}_fmt_n(f, tmp, (size_t)n);
}

/* Shortest %g text that reads back to the same value. */
/* Floats print as Rust's Display does: the shortest digits that read back to the same value,
 * written out positionally (1e30 is "1000000000000000000000000000000", 1.5e-7 is "0.00000015"). */
static void {{ p }}_write_double({{ p }}_fmt *f, double v, int max_prec, int is_float) {
    char sci[48], digits[24], out[400];
    int p, n, e, len = 0, o = 0, i;
    const char *s;
    if (v != v) { {{ p }}_fmt_s(f, "NaN"); return; }
    if (v > DBL_MAX) { {{ p }}_fmt_s(f, "inf"); return; }
    if (v < -DBL_MAX) { {{ p }}_fmt_s(f, "-inf"); return; }
    for (p = 0; p < max_prec; p++) {
        snprintf(sci, sizeof sci, "%.*e", p, v);
        if (is_float ? (strtof(sci, NULL) == (float)v) : (strtod(sci, NULL) == v)) break;
    }
    /* sci is "[-]d[.ddd]e[+-]XX": split it into sign, digits and a decimal exponent. */
    s = sci;
    if (*s == '-') out[o++] = *s++;
    for (; *s && *s != 'e'; s++)
        if (*s != '.' && len < (int)sizeof digits) digits[len++] = *s;
    e = *s == 'e' ? atoi(s + 1) : 0;
    while (len > 1 && digits[len - 1] == '0') len--; /* "1.50e+00" has the digits "15" */
    if (e >= 0) {
        for (i = 0; i < len || i <= e; i++) {
            if (i == e + 1) out[o++] = '.';
            out[o++] = i < len ? digits[i] : '0';
        }
    } else {
        out[o++] = '0';
        out[o++] = '.';
        for (i = 0; i < -e - 1; i++) out[o++] = '0';
        for (i = 0; i < len; i++) out[o++] = digits[i];
    }
    n = o;
    {{ p }}_fmt_n(f, out, (size_t)n);
}

static void {{ p }}_write_quoted({{ p }}_fmt *f, const char *s, size_t len) {
    size_t i;
    {{ p }}_fmt_n(f, "\"", 1);
    for (i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        char tmp[8];
        if (c == '"') {{ p }}_fmt_s(f, "\\\"");
        else if (c == '\\') {{ p }}_fmt_s(f, "\\\\");
        else if (c == '\n') {{ p }}_fmt_s(f, "\\n");
        else if (c == '\r') {{ p }}_fmt_s(f, "\\r");
        else if (c == '\t') {{ p }}_fmt_s(f, "\\t");
        else if (c < 0x20 || c == 0x7f) {
{% raw %}            int n = snprintf(tmp, sizeof tmp, "\\u{%x}", c);{% endraw %}
            {{ p }}_fmt_n(f, tmp, (size_t)n);
        } else
            {{ p }}_fmt_n(f, (const char *)&s[i], 1);
    }
    {{ p }}_fmt_n(f, "\"", 1);
}

/* Strict UTF-8 validation (as Rust's `str::from_utf8`: no overlongs, surrogates or > U+10FFFF). */
static int {{ p }}_utf8_valid(const uint8_t *s, size_t len) {
    size_t i = 0;
    while (i < len) {
        uint8_t c = s[i];
        size_t n;
        uint32_t cp;
        if (c < 0x80) { i++; continue; }
        if (c >= 0xc2 && c <= 0xdf) { n = 1; cp = c & 0x1f; }
        else if (c >= 0xe0 && c <= 0xef) { n = 2; cp = c & 0x0f; }
        else if (c >= 0xf0 && c <= 0xf4) { n = 3; cp = c & 0x07; }
        else return 0;
        if (n > len - i - 1) return 0;
        {
            size_t k;
            for (k = 1; k <= n; k++) {
                if ((s[i + k] & 0xc0) != 0x80) return 0;
                cp = (cp << 6) | (s[i + k] & 0x3f);
            }
        }
        if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
        i += n + 1;
    }
    return 1;
}

/* ==== Builtin codecs =============================================================================== */

#define {{ pu }}_SCALAR(T, CT, N, ISSIGNED)                                                  \
    int32_t {{ p }}_##T##_encode({{ p }}_buffer *buf, const CT *v) {                               \
        if (!buf || !v) return STDB_ERR_NULL;                                             \
        return {{ p }}_put_le(buf, (uint64_t)*v, N);                                          \
    }                                                                                     \
    int32_t {{ p }}_##T##_decode({{ p }}_reader *r, CT *out) {                                    \
        const uint8_t *p;                                                                 \
        uint64_t u;                                                                       \
        if ({{ p }}_take(r, N, &p)) return {{ pu }}_ERR_DECODE;                                   \
        u = {{ p }}_load_le(p, N);                                                            \
        if (ISSIGNED && N < 8 && (u >> (8 * N - 1)))                                      \
            *out = (CT)(int64_t)(u | ~(((uint64_t)1 << (8 * (N % 8))) - 1));              \
        else                                                                              \
            *out = (CT)u;                                                                 \
        return STDB_OK;                                                                   \
    }                                                                                     \
    int32_t {{ p }}_##T##_from_bsatn(const uint8_t *data, size_t len, CT *out) {              \
        {{ pu }}_FROM_BSATN({{ p }}_##T, #T, data, len, out);                                     \
    }                                                                                     \
    void {{ p }}_##T##_free(CT *v) { (void)v; }                                               \
    bool {{ p }}_##T##_eq(const CT *a, const CT *b) { return *a == *b; }                     \
    static void {{ p }}_##T##_write({{ p }}_fmt *f, const CT *v) {                                \
        if (ISSIGNED) {{ p }}_fmt_i64(f, (int64_t)*v); else {{ p }}_fmt_u64(f, (uint64_t)*v);      \
    }                                                                                     \
    size_t {{ p }}_##T##_format(const CT *v, char *buf, size_t cap) {                         \
        {{ p }}_fmt f;                                                                        \
        f.buf = buf; f.cap = buf ? cap : 0; f.len = 0;                                    \
        {{ p }}_##T##_write(&f, v);                                                           \
        return {{ p }}_fmt_end(&f);                                                           \
    }

{{ pu }}_SCALAR(i8, int8_t, 1, 1)
{{ pu }}_SCALAR(u8, uint8_t, 1, 0)
{{ pu }}_SCALAR(i16, int16_t, 2, 1)
{{ pu }}_SCALAR(u16, uint16_t, 2, 0)
{{ pu }}_SCALAR(i32, int32_t, 4, 1)
{{ pu }}_SCALAR(u32, uint32_t, 4, 0)
{{ pu }}_SCALAR(i64, int64_t, 8, 1)
{{ pu }}_SCALAR(u64, uint64_t, 8, 0)

/* Every builtin's format function, from its `_write`. */
#define {{ pu }}_FORMAT_FN(T, CT)                                                             \
    size_t {{ p }}_##T##_format(const CT *v, char *buf, size_t cap) {                         \
        {{ p }}_fmt f;                                                                        \
        f.buf = buf; f.cap = buf ? cap : 0; f.len = 0;                                    \
        {{ p }}_##T##_write(&f, v);                                                           \
        return {{ p }}_fmt_end(&f);                                                           \
    }                                                                                     \
    int32_t {{ p }}_##T##_from_bsatn(const uint8_t *data, size_t len, CT *out) {              \
        {{ pu }}_FROM_BSATN({{ p }}_##T, #T, data, len, out);                                     \
    }

int32_t {{ p }}_bool_encode({{ p }}_buffer *buf, const bool *v) {
    uint8_t b;
    if (!buf || !v) return STDB_ERR_NULL;
    b = *v ? 1 : 0;
    return {{ p }}_buffer_append(buf, &b, 1);
}
int32_t {{ p }}_bool_decode({{ p }}_reader *r, bool *out) {
    const uint8_t *p;
    if ({{ p }}_take(r, 1, &p)) return {{ pu }}_ERR_DECODE;
    if (*p > 1) { r->pos--; return {{ p }}_fail(r, "invalid bool"); }
    *out = *p == 1;
    return STDB_OK;
}
void {{ p }}_bool_free(bool *v) { (void)v; }
bool {{ p }}_bool_eq(const bool *a, const bool *b) { return *a == *b; }
static void {{ p }}_bool_write({{ p }}_fmt *f, const bool *v) { {{ p }}_fmt_s(f, *v ? "true" : "false"); }
{{ pu }}_FORMAT_FN(bool, bool)

int32_t {{ p }}_f32_encode({{ p }}_buffer *buf, const float *v) {
    uint32_t bits;
    if (!buf || !v) return STDB_ERR_NULL;
    memcpy(&bits, v, 4);
    return {{ p }}_put_le(buf, bits, 4);
}
int32_t {{ p }}_f32_decode({{ p }}_reader *r, float *out) {
    const uint8_t *p;
    uint32_t bits;
    if ({{ p }}_take(r, 4, &p)) return {{ pu }}_ERR_DECODE;
    bits = (uint32_t){{ p }}_load_le(p, 4);
    memcpy(out, &bits, 4);
    return STDB_OK;
}
void {{ p }}_f32_free(float *v) { (void)v; }
bool {{ p }}_f32_eq(const float *a, const float *b) { return memcmp(a, b, sizeof *a) == 0; }
static void {{ p }}_f32_write({{ p }}_fmt *f, const float *v) { {{ p }}_write_double(f, (double)*v, 9, 1); }
{{ pu }}_FORMAT_FN(f32, float)

int32_t {{ p }}_f64_encode({{ p }}_buffer *buf, const double *v) {
    uint64_t bits;
    if (!buf || !v) return STDB_ERR_NULL;
    memcpy(&bits, v, 8);
    return {{ p }}_put_le(buf, bits, 8);
}
int32_t {{ p }}_f64_decode({{ p }}_reader *r, double *out) {
    const uint8_t *p;
    uint64_t bits;
    if ({{ p }}_take(r, 8, &p)) return {{ pu }}_ERR_DECODE;
    bits = {{ p }}_load_le(p, 8);
    memcpy(out, &bits, 8);
    return STDB_OK;
}
void {{ p }}_f64_free(double *v) { (void)v; }
bool {{ p }}_f64_eq(const double *a, const double *b) { return memcmp(a, b, sizeof *a) == 0; }
static void {{ p }}_f64_write({{ p }}_fmt *f, const double *v) { {{ p }}_write_double(f, *v, 17, 0); }
{{ pu }}_FORMAT_FN(f64, double)

#define {{ pu }}_WIDE(T, N, ISSIGNED)                                                          \
    int32_t {{ p }}_##T##_encode({{ p }}_buffer *buf, const {{ p }}_##T *v) {                         \
        if (!buf || !v) return STDB_ERR_NULL;                                             \
        return {{ p }}_wide_encode(buf, v->limbs, N);                                         \
    }                                                                                     \
    int32_t {{ p }}_##T##_decode({{ p }}_reader *r, {{ p }}_##T *out) {                               \
        return {{ p }}_wide_decode(r, out->limbs, N);                                         \
    }                                                                                     \
    void {{ p }}_##T##_free({{ p }}_##T *v) { (void)v; }                                          \
    bool {{ p }}_##T##_eq(const {{ p }}_##T *a, const {{ p }}_##T *b) {                               \
        return memcmp(a->limbs, b->limbs, sizeof a->limbs) == 0;                          \
    }                                                                                     \
    static void {{ p }}_##T##_write({{ p }}_fmt *f, const {{ p }}_##T *v) {                           \
        {{ p }}_wide_write(f, v->limbs, N, ISSIGNED);                                         \
    }                                                                                     \
    int32_t {{ p }}_##T##_from_string(const char *s, size_t len, {{ p }}_##T *out) {              \
        return {{ p }}_wide_parse(s, len, out ? out->limbs : NULL, N, ISSIGNED);              \
    }                                                                                     \
    {{ pu }}_FORMAT_FN(T, {{ p }}_##T)

{{ pu }}_WIDE(u128, 2, 0)
{{ pu }}_WIDE(i128, 2, 1)
{{ pu }}_WIDE(u256, 4, 0)
{{ pu }}_WIDE(i256, 4, 1)

{{ p }}_u128 {{ p }}_u128_from_u64(uint64_t v) {
    {{ p }}_u128 r;
    r.limbs[0] = v;
    r.limbs[1] = 0;
    return r;
}
{{ p }}_i128 {{ p }}_i128_from_i64(int64_t v) {
    {{ p }}_i128 r;
    r.limbs[0] = (uint64_t)v;
    r.limbs[1] = v < 0 ? UINT64_MAX : 0;
    return r;
}
{{ p }}_u256 {{ p }}_u256_from_u64(uint64_t v) {
    {{ p }}_u256 r;
    memset(&r, 0, sizeof r);
    r.limbs[0] = v;
    return r;
}
{{ p }}_i256 {{ p }}_i256_from_i64(int64_t v) {
    {{ p }}_i256 r;
    r.limbs[0] = (uint64_t)v;
    r.limbs[1] = r.limbs[2] = r.limbs[3] = v < 0 ? UINT64_MAX : 0;
    return r;
}

int32_t {{ p }}_string_from(const char *s, size_t len, {{ p }}_string *out) {
    char *p;
    if (!out || (!s && len)) return STDB_ERR_NULL;
    if (len == SIZE_MAX) return {{ pu }}_ERR_NOMEM;
    p = (char *)malloc(len + 1);
    if (!p) return {{ pu }}_ERR_NOMEM;
    if (len) memcpy(p, s, len);
    p[len] = '\0';
    out->data = p;
    out->len = len;
    return STDB_OK;
}
int32_t {{ p }}_string_encode({{ p }}_buffer *buf, const {{ p }}_string *v) {
    int32_t rc;
    if (!buf || !v || (!v->data && v->len)) return STDB_ERR_NULL;
    if ((rc = {{ p }}_write_len(buf, v->len)) != STDB_OK) return rc;
    return {{ p }}_buffer_append(buf, v->data, v->len);
}
int32_t {{ p }}_string_decode({{ p }}_reader *r, {{ p }}_string *out) {
    size_t n;
    const uint8_t *p;
    out->data = NULL;
    out->len = 0;
    if ({{ p }}_read_len(r, 1, &n) || {{ p }}_take(r, n, &p)) return {{ pu }}_ERR_DECODE;
    if (!{{ p }}_utf8_valid(p, n)) { r->pos -= n; return {{ p }}_fail(r, "invalid UTF-8 in string"); }
    return {{ p }}_string_from((const char *)p, n, out);
}
void {{ p }}_string_free({{ p }}_string *v) {
    if (!v) return;
    free(v->data);
    v->data = NULL;
    v->len = 0;
}
bool {{ p }}_string_eq(const {{ p }}_string *a, const {{ p }}_string *b) {
    return a->len == b->len && (a->len == 0 || memcmp(a->data, b->data, a->len) == 0);
}
static void {{ p }}_string_write({{ p }}_fmt *f, const {{ p }}_string *v) { {{ p }}_write_quoted(f, v->data, v->len); }
{{ pu }}_FORMAT_FN(string, {{ p }}_string)

int32_t {{ p }}_bytes_encode({{ p }}_buffer *buf, const {{ p }}_bytes *v) {
    int32_t rc;
    if (!buf || !v || (!v->data && v->len)) return STDB_ERR_NULL;
    if ((rc = {{ p }}_write_len(buf, v->len)) != STDB_OK) return rc;
    return {{ p }}_buffer_append(buf, v->data, v->len);
}
int32_t {{ p }}_bytes_decode({{ p }}_reader *r, {{ p }}_bytes *out) {
    size_t n;
    const uint8_t *p;
    out->data = NULL;
    out->len = 0;
    if ({{ p }}_read_len(r, 1, &n) || {{ p }}_take(r, n, &p)) return {{ pu }}_ERR_DECODE;
    if (n == 0) return STDB_OK;
    out->data = (uint8_t *)malloc(n);
    if (!out->data) return {{ pu }}_ERR_NOMEM;
    memcpy(out->data, p, n);
    out->len = n;
    return STDB_OK;
}
void {{ p }}_bytes_free({{ p }}_bytes *v) {
    if (!v) return;
    free(v->data);
    v->data = NULL;
    v->len = 0;
}
bool {{ p }}_bytes_eq(const {{ p }}_bytes *a, const {{ p }}_bytes *b) {
    return a->len == b->len && (a->len == 0 || memcmp(a->data, b->data, a->len) == 0);
}
static void {{ p }}_bytes_write({{ p }}_fmt *f, const {{ p }}_bytes *v) {
    {{ p }}_fmt_s(f, "0x");
    {{ p }}_fmt_hex(f, v->data, v->len, 0);
}
{{ pu }}_FORMAT_FN(bytes, {{ p }}_bytes)

int32_t {{ p }}_identity_encode({{ p }}_buffer *buf, const stdb_identity *v) {
    if (!buf || !v) return STDB_ERR_NULL;
    return {{ p }}_buffer_append(buf, v->bytes, 32);
}
int32_t {{ p }}_identity_decode({{ p }}_reader *r, stdb_identity *out) {
    const uint8_t *p;
    if ({{ p }}_take(r, 32, &p)) return {{ pu }}_ERR_DECODE;
    memcpy(out->bytes, p, 32);
    return STDB_OK;
}
void {{ p }}_identity_free(stdb_identity *v) { (void)v; }
bool {{ p }}_identity_eq(const stdb_identity *a, const stdb_identity *b) { return memcmp(a->bytes, b->bytes, 32) == 0; }
static void {{ p }}_identity_write({{ p }}_fmt *f, const stdb_identity *v) { {{ p }}_fmt_hex(f, v->bytes, 32, 1); }
{{ pu }}_FORMAT_FN(identity, stdb_identity)

int32_t {{ p }}_connection_id_encode({{ p }}_buffer *buf, const stdb_connection_id *v) {
    if (!buf || !v) return STDB_ERR_NULL;
    return {{ p }}_buffer_append(buf, v->bytes, 16);
}
int32_t {{ p }}_connection_id_decode({{ p }}_reader *r, stdb_connection_id *out) {
    const uint8_t *p;
    if ({{ p }}_take(r, 16, &p)) return {{ pu }}_ERR_DECODE;
    memcpy(out->bytes, p, 16);
    return STDB_OK;
}
void {{ p }}_connection_id_free(stdb_connection_id *v) { (void)v; }
bool {{ p }}_connection_id_eq(const stdb_connection_id *a, const stdb_connection_id *b) {
    return memcmp(a->bytes, b->bytes, 16) == 0;
}
static void {{ p }}_connection_id_write({{ p }}_fmt *f, const stdb_connection_id *v) { {{ p }}_fmt_hex(f, v->bytes, 16, 1); }
{{ pu }}_FORMAT_FN(connection_id, stdb_connection_id)

int32_t {{ p }}_timestamp_encode({{ p }}_buffer *buf, const {{ p }}_timestamp *v) {
    if (!buf || !v) return STDB_ERR_NULL;
    return {{ p }}_i64_encode(buf, &v->micros_since_unix_epoch);
}
int32_t {{ p }}_timestamp_decode({{ p }}_reader *r, {{ p }}_timestamp *out) { return {{ p }}_i64_decode(r, &out->micros_since_unix_epoch); }
void {{ p }}_timestamp_free({{ p }}_timestamp *v) { (void)v; }
bool {{ p }}_timestamp_eq(const {{ p }}_timestamp *a, const {{ p }}_timestamp *b) {
    return a->micros_since_unix_epoch == b->micros_since_unix_epoch;
}
static void {{ p }}_timestamp_write({{ p }}_fmt *f, const {{ p }}_timestamp *v) { {{ p }}_write_timestamp_micros(f, v->micros_since_unix_epoch); }
{{ pu }}_FORMAT_FN(timestamp, {{ p }}_timestamp)

int32_t {{ p }}_time_duration_encode({{ p }}_buffer *buf, const {{ p }}_time_duration *v) {
    if (!buf || !v) return STDB_ERR_NULL;
    return {{ p }}_i64_encode(buf, &v->micros);
}
int32_t {{ p }}_time_duration_decode({{ p }}_reader *r, {{ p }}_time_duration *out) { return {{ p }}_i64_decode(r, &out->micros); }
void {{ p }}_time_duration_free({{ p }}_time_duration *v) { (void)v; }
bool {{ p }}_time_duration_eq(const {{ p }}_time_duration *a, const {{ p }}_time_duration *b) { return a->micros == b->micros; }
static void {{ p }}_time_duration_write({{ p }}_fmt *f, const {{ p }}_time_duration *v) { {{ p }}_write_duration_micros(f, v->micros); }
{{ pu }}_FORMAT_FN(time_duration, {{ p }}_time_duration)

int32_t {{ p }}_uuid_encode({{ p }}_buffer *buf, const {{ p }}_uuid *v) {
    if (!buf || !v) return STDB_ERR_NULL;
    return {{ p }}_buffer_append(buf, v->bytes, 16);
}
int32_t {{ p }}_uuid_decode({{ p }}_reader *r, {{ p }}_uuid *out) {
    const uint8_t *p;
    if ({{ p }}_take(r, 16, &p)) return {{ pu }}_ERR_DECODE;
    memcpy(out->bytes, p, 16);
    return STDB_OK;
}
void {{ p }}_uuid_free({{ p }}_uuid *v) { (void)v; }
bool {{ p }}_uuid_eq(const {{ p }}_uuid *a, const {{ p }}_uuid *b) { return memcmp(a->bytes, b->bytes, 16) == 0; }
static void {{ p }}_uuid_write({{ p }}_fmt *f, const {{ p }}_uuid *v) {
    /* Big-endian groups of 4-2-2-2-6 bytes: from the most significant little-endian byte down. */
    static const size_t group_end[5] = {12, 10, 8, 6, 0};
    size_t g, from = 16;
    for (g = 0; g < 5; g++) {
        if (g > 0) {{ p }}_fmt_s(f, "-");
        {{ p }}_fmt_hex(f, v->bytes + group_end[g], from - group_end[g], 1);
        from = group_end[g];
    }
}
{{ pu }}_FORMAT_FN(uuid, {{ p }}_uuid)
int {{ p }}_uuid_version(const {{ p }}_uuid *u) { return u ? u->bytes[9] >> 4 : 0; }
int {{ p }}_uuid_cmp(const {{ p }}_uuid *a, const {{ p }}_uuid *b) {
    int i;
    for (i = 15; i >= 0; i--)
        if (a->bytes[i] != b->bytes[i]) return a->bytes[i] < b->bytes[i] ? -1 : 1;
    return 0;
}
static int {{ p }}_hex_digit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}
int32_t {{ p }}_uuid_from_string(const char *s, size_t len, {{ p }}_uuid *out) {
    size_t i, n = 0;
    {{ p }}_uuid u;
    if (!s || !out) {
        {{ p }}_set_error("parsing a uuid: %s is NULL", s ? "out" : "s");
        return STDB_ERR_NULL;
    }
    for (i = 0; i < len; i++) {
        int hi, lo;
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (s[i] != '-') break;
            continue;
        }
        if (i + 1 >= len || n == 16 || (hi = {{ p }}_hex_digit(s[i])) < 0 || (lo = {{ p }}_hex_digit(s[i + 1])) < 0) break;
        u.bytes[15 - n++] = (uint8_t)(hi << 4 | lo);
        i++;
    }
    if (len != 36 || i != len || n != 16) {
        {{ p }}_set_error("parsing a uuid: \"%.*s\" is not of the form xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx",
                         (int)(len < 64 ? len : 64), s);
        return {{ pu }}_ERR_PARSE;
    }
    *out = u;
    return STDB_OK;
}

int32_t {{ p }}_schedule_at_encode({{ p }}_buffer *buf, const {{ p }}_schedule_at *v) {
    int32_t rc;
    if (!buf || !v) return STDB_ERR_NULL;
    switch (v->tag) {
    case {{ pu }}_SCHEDULE_AT_INTERVAL:
        if ((rc = {{ p }}_write_tag(buf, 0)) != STDB_OK) return rc;
        return {{ p }}_i64_encode(buf, &v->value.Interval.micros);
    case {{ pu }}_SCHEDULE_AT_TIME:
        if ((rc = {{ p }}_write_tag(buf, 1)) != STDB_OK) return rc;
        return {{ p }}_i64_encode(buf, &v->value.Time.micros_since_unix_epoch);
    }
    return {{ pu }}_ERR_ENCODE;
}
int32_t {{ p }}_schedule_at_decode({{ p }}_reader *r, {{ p }}_schedule_at *out) {
    uint8_t tag;
    memset(out, 0, sizeof *out);
    if ({{ p }}_read_tag(r, 2, &tag)) return {{ pu }}_ERR_DECODE;
    out->tag = ({{ p }}_schedule_at_tag)tag;
    if (tag == 0) return {{ p }}_i64_decode(r, &out->value.Interval.micros);
    return {{ p }}_i64_decode(r, &out->value.Time.micros_since_unix_epoch);
}
void {{ p }}_schedule_at_free({{ p }}_schedule_at *v) { (void)v; }
bool {{ p }}_schedule_at_eq(const {{ p }}_schedule_at *a, const {{ p }}_schedule_at *b) {
    if (a->tag != b->tag) return false;
    if (a->tag == {{ pu }}_SCHEDULE_AT_INTERVAL) return a->value.Interval.micros == b->value.Interval.micros;
    return a->value.Time.micros_since_unix_epoch == b->value.Time.micros_since_unix_epoch;
}
static void {{ p }}_schedule_at_write({{ p }}_fmt *f, const {{ p }}_schedule_at *v) {
    if (v->tag == {{ pu }}_SCHEDULE_AT_INTERVAL) {
        {{ p }}_fmt_s(f, "Interval(");
        {{ p }}_write_duration_micros(f, v->value.Interval.micros);
    } else {
        {{ p }}_fmt_s(f, "Time(");
        {{ p }}_write_timestamp_micros(f, v->value.Time.micros_since_unix_epoch);
    }
    {{ p }}_fmt_s(f, ")");
}
{{ pu }}_FORMAT_FN(schedule_at, {{ p }}_schedule_at)

int32_t {{ p }}_unit_encode({{ p }}_buffer *buf, const {{ p }}_unit *v) {
    if (!buf || !v) return STDB_ERR_NULL;
    return STDB_OK;
}
int32_t {{ p }}_unit_decode({{ p }}_reader *r, {{ p }}_unit *out) {
    (void)r;
    out->unused_ = 0;
    return STDB_OK;
}
void {{ p }}_unit_free({{ p }}_unit *v) { (void)v; }
bool {{ p }}_unit_eq(const {{ p }}_unit *a, const {{ p }}_unit *b) {
    (void)a;
    (void)b;
    return true;
}
static void {{ p }}_unit_write({{ p }}_fmt *f, const {{ p }}_unit *v) {
    (void)v;
    {{ p }}_fmt_s(f, "()");
}
{{ pu }}_FORMAT_FN(unit, {{ p }}_unit)
