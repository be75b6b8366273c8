/* ---- {{ description }} ---- */

void {{ fstem }}_free({{ ctype }} *v) {
    if (!v) return;
{%- if elem_has_heap %}
    if (v->has_value) {{ elem_fstem }}_free(&v->value);
{%- endif %}
    memset(v, 0, sizeof *v);
}

bool {{ fstem }}_eq(const {{ ctype }} *a, const {{ ctype }} *b) {
    if (a->has_value != b->has_value) return false;
    return !a->has_value || {{ elem_fstem }}_eq(&a->value, &b->value);
}

static void {{ fstem }}_write({{ p }}_fmt *f, const {{ ctype }} *v) {
    if (!v->has_value) {
        {{ p }}_fmt_s(f, "none");
        return;
    }
    {{ p }}_fmt_s(f, "some(");
    {{ elem_fstem }}_write(f, &v->value);
    {{ p }}_fmt_s(f, ")");
}

int32_t {{ fstem }}_encode({{ p }}_buffer *buf, const {{ ctype }} *v) {
    int32_t rc;
    if (!buf || !v) return STDB_ERR_NULL;
    if (!v->has_value) return {{ p }}_write_tag(buf, 1);
    if ((rc = {{ p }}_write_tag(buf, 0)) != STDB_OK) return rc;
    return {{ elem_fstem }}_encode(buf, &v->value);
}

int32_t {{ fstem }}_decode({{ p }}_reader *r, {{ ctype }} *out) {
    uint8_t tag;
    int32_t rc;
    memset(out, 0, sizeof *out);
    if ({{ p }}_read_tag(r, 2, &tag)) return {{ pu }}_ERR_DECODE;
    if (tag == 1) return STDB_OK;
    if ((rc = {{ elem_fstem }}_decode(r, &out->value)) != STDB_OK) return rc;
    out->has_value = true;
    return STDB_OK;
}

{{ pu }}_FORMAT_FN({{ stem }}, {{ ctype }})
