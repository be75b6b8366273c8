int32_t {{ f }}_encode({{ p }}_buffer *buf, const {{ c }} *v);
int32_t {{ f }}_decode({{ p }}_reader *r, {{ c }} *out);
int32_t {{ f }}_from_bsatn(const uint8_t *data, size_t len, {{ c }} *out);
void {{ f }}_free({{ c }} *v);
bool {{ f }}_eq(const {{ c }} *a, const {{ c }} *b);
size_t {{ f }}_format(const {{ c }} *v, char *buf, size_t cap);
