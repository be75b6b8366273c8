/* ---- {{ description }} ---- */

void {{ fstem }}_free({{ ctype }} *v) {
{%- if elem_has_heap %}
    size_t i;
    if (!v) return;
    for (i = 0; i < v->len; i++) {{ elem_fstem }}_free(&v->data[i]);
{%- else %}
    if (!v) return;
{%- endif %}
    free(v->data);
    v->data = NULL;
    v->len = 0;
}

bool {{ fstem }}_eq(const {{ ctype }} *a, const {{ ctype }} *b) {
    size_t i;
    if (a->len != b->len) return false;
    for (i = 0; i < a->len; i++)
        if (!{{ elem_fstem }}_eq(&a->data[i], &b->data[i])) return false;
    return true;
}

static void {{ fstem }}_write({{ p }}_fmt *f, const {{ ctype }} *v) {
    size_t i;
    {{ p }}_fmt_s(f, "[");
    for (i = 0; i < v->len; i++) {
        if (i) {{ p }}_fmt_s(f, ", ");
        {{ elem_fstem }}_write(f, &v->data[i]);
    }
    {{ p }}_fmt_s(f, "]");
}

int32_t {{ fstem }}_encode({{ p }}_buffer *buf, const {{ ctype }} *v) {
    int32_t rc;
    size_t i;
    if (!buf || !v || (!v->data && v->len)) return STDB_ERR_NULL;
    if ((rc = {{ p }}_write_len(buf, v->len)) != STDB_OK) return rc;
    for (i = 0; i < v->len; i++)
        if ((rc = {{ elem_fstem }}_encode(buf, &v->data[i])) != STDB_OK) return rc;
    return STDB_OK;
}

int32_t {{ fstem }}_decode({{ p }}_reader *r, {{ ctype }} *out) {
    size_t n, i;
    int32_t rc;
    {{ elem_ctype }} *data;
    out->data = NULL;
    out->len = 0;
    if ({{ p }}_read_len(r, {{ elem_min_size }}, &n)) return {{ pu }}_ERR_DECODE;
    if (n == 0) return STDB_OK;
    data = ({{ elem_ctype }} *)calloc(n, sizeof *data);
    if (!data) return {{ pu }}_ERR_NOMEM;
    out->data = data;
    out->len = n;
    for (i = 0; i < n; i++) {
        if ((rc = {{ elem_fstem }}_decode(r, &data[i])) != STDB_OK) {
            {{ fstem }}_free(out);
            return rc;
        }
    }
    return STDB_OK;
}

{{ pu }}_FORMAT_FN({{ stem }}, {{ ctype }})
