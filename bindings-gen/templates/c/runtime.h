/* ---- Result codes ------------------------------------------------------------------------------
 * Fallible generated functions return 0 (STDB_OK) on success, else a `stdb_result` code from the
 * library (e.g. STDB_ERR_NULL) or one of these. `{{ p }}_last_error()` says what went wrong. */
#define {{ pu }}_ERR_DECODE 100       /* BSATN bytes do not match the type (truncated, bad tag, bad UTF-8, …) */
#define {{ pu }}_ERR_NOMEM 101        /* an allocation failed */
#define {{ pu }}_ERR_ENCODE 102       /* the value cannot be encoded (length over 2^32-1, invalid enum tag) */
#define {{ pu }}_ERR_ABI_MISMATCH 103 /* libstdb_client's ABI differs from the header this was compiled with */
#define {{ pu }}_ERR_PARSE 104        /* text given to a `_from_string` function is not a number in range */

/* The last failure of a generated function on this thread (NUL-terminated, never NULL; empty if
 * none). Failures inside libstdb_client are copied here with context. */
const char *{{ p }}_last_error(void);

/* ---- Buffers and readers ------------------------------------------------------------------------ */

/* A growable byte buffer that encoders append to. Zero-initialize it; release with
 * `{{ p }}_buffer_free`. */
typedef struct {{ p }}_buffer {
    uint8_t *data;
    size_t len;
    size_t cap;
} {{ p }}_buffer;

void {{ p }}_buffer_free({{ p }}_buffer *buf);
int32_t {{ p }}_buffer_append({{ p }}_buffer *buf, const void *data, size_t len);

/* A bounds-checked cursor over BSATN bytes that decoders read from. Decoders never read past
 * `len`; on failure they set `error` (a static string) and leave `pos` where it failed. */
typedef struct {{ p }}_reader {
    const uint8_t *data;
    size_t len;
    size_t pos;
    const char *error;
} {{ p }}_reader;

void {{ p }}_reader_init({{ p }}_reader *r, const uint8_t *data, size_t len);

/* ---- Builtin types --------------------------------------------------------------------------------
 * Every type T below and every module type has:
 *   int32_t T_encode({{ p }}_buffer *buf, const T *v);               append BSATN
 *   int32_t T_decode({{ p }}_reader *r, T *out);                     read BSATN; on failure *out is empty
 *   int32_t T_from_bsatn(const uint8_t *data, size_t len, T *out); decode exactly `len` bytes
 *   void    T_free(T *v);                                        deep free; leaves *v zeroed
 *   bool    T_eq(const T *a, const T *b);                        deep equality (floats bitwise)
 *   size_t  T_format(const T *v, char *buf, size_t cap);         debug text, snprintf-style:
 *           returns the full length, writes at most cap-1 chars and a NUL when cap > 0.
 * Decoders allocate only what the input can justify (an array's count is checked against the
 * bytes left), so hostile input gives {{ pu }}_ERR_DECODE, never a huge allocation. */

/* 128- and 256-bit integers: little-endian 64-bit limbs (limbs[0] is the least significant),
 * two's complement for the signed ones. `_format` prints decimal, as SpacetimeDB does;
 * `_from_string` parses decimal (an optional sign, then digits). */
typedef struct {{ p }}_u128 { uint64_t limbs[2]; } {{ p }}_u128;
typedef struct {{ p }}_i128 { uint64_t limbs[2]; } {{ p }}_i128;
typedef struct {{ p }}_u256 { uint64_t limbs[4]; } {{ p }}_u256;
typedef struct {{ p }}_i256 { uint64_t limbs[4]; } {{ p }}_i256;

{{ p }}_u128 {{ p }}_u128_from_u64(uint64_t v);
{{ p }}_i128 {{ p }}_i128_from_i64(int64_t v);
{{ p }}_u256 {{ p }}_u256_from_u64(uint64_t v);
{{ p }}_i256 {{ p }}_i256_from_i64(int64_t v);
int32_t {{ p }}_u128_from_string(const char *s, size_t len, {{ p }}_u128 *out);
int32_t {{ p }}_i128_from_string(const char *s, size_t len, {{ p }}_i128 *out);
int32_t {{ p }}_u256_from_string(const char *s, size_t len, {{ p }}_u256 *out);
int32_t {{ p }}_i256_from_string(const char *s, size_t len, {{ p }}_i256 *out);

/* An owned UTF-8 string. After decoding, `data` is never NULL and is NUL-terminated (an embedded
 * NUL is possible: `len` is authoritative). {NULL, 0} is a valid empty string. */
typedef struct {{ p }}_string {
    char *data;
    size_t len;
} {{ p }}_string;

/* A copy of `len` bytes of `s` (NULL with len 0 is the empty string). */
int32_t {{ p }}_string_from(const char *s, size_t len, {{ p }}_string *out);

/* Owned bytes (`Vec<u8>` in the module). Formatted as 0x-prefixed hex. */
typedef struct {{ p }}_bytes {
    uint8_t *data;
    size_t len;
} {{ p }}_bytes;

/* Identity and ConnectionId are the library's `stdb_identity` / `stdb_connection_id` (little-endian
 * bytes); they format as SpacetimeDB's big-endian hex. */

/* Microseconds since the Unix epoch; formats as RFC 3339 in UTC, like SpacetimeDB
 * (`2025-01-02T03:04:05.123456+00:00`). */
typedef struct {{ p }}_timestamp {
    int64_t micros_since_unix_epoch;
} {{ p }}_timestamp;

/* A signed duration in microseconds; formats like SpacetimeDB (`+1.500000`, `-0.000001`). */
typedef struct {{ p }}_time_duration {
    int64_t micros;
} {{ p }}_time_duration;

/* SpacetimeDB 2.x's UUID: the u128 the wire carries, as its 16 little-endian bytes (`bytes[15]` is
 * the most significant). Formats as the canonical lower-case 8-4-4-4-12 hex of that u128, like
 * SpacetimeDB; UUIDs order as the u128 (v7 UUIDs by creation time). */
typedef struct {{ p }}_uuid {
    uint8_t bytes[16];
} {{ p }}_uuid;

/* The UUID's version (RFC 9562): 4 random, 7 time-ordered, 0 for the nil UUID. */
int {{ p }}_uuid_version(const {{ p }}_uuid *u);
/* Negative, 0 or positive as `a` orders before, with or after `b` (SpacetimeDB's order). */
int {{ p }}_uuid_cmp(const {{ p }}_uuid *a, const {{ p }}_uuid *b);
/* Parses the canonical text form: 36 characters, hex digits of either case, dashes at 8, 13, 18, 23. */
int32_t {{ p }}_uuid_from_string(const char *s, size_t len, {{ p }}_uuid *out);

/* When a scheduled reducer runs: after an interval, or at a time. */
typedef enum {{ p }}_schedule_at_tag {
    {{ pu }}_SCHEDULE_AT_INTERVAL = 0,
    {{ pu }}_SCHEDULE_AT_TIME = 1
} {{ p }}_schedule_at_tag;

typedef struct {{ p }}_schedule_at {
    {{ p }}_schedule_at_tag tag;
    union {
        {{ p }}_time_duration Interval;
        {{ p }}_timestamp Time;
    } value;
} {{ p }}_schedule_at;

/* The empty product `()` (0 bytes on the wire). */
typedef struct {{ p }}_unit {
    uint8_t unused_;
} {{ p }}_unit;
