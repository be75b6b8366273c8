/* ---- {{ description }} ---- */

void {{ fstem }}_free({{ ctype }} *v) {
    (void)v;
}

bool {{ fstem }}_eq(const {{ ctype }} *a, const {{ ctype }} *b) {
    return *a == *b;
}

static void {{ fstem }}_write({{ p }}_fmt *f, const {{ ctype }} *v) {
    switch (*v) {
{%- for v in variants %}
    case {{ v.enumerator }}:
        {{ p }}_fmt_s(f, {{ v.name }});
        break;
{%- endfor %}
    default:
        {{ p }}_fmt_s(f, {{ invalid_text }});
    }
}

int32_t {{ fstem }}_encode({{ p }}_buffer *buf, const {{ ctype }} *v) {
    if (!buf || !v) return STDB_ERR_NULL;
    if ((unsigned)*v >= {{ variants.len() }}u) return {{ pu }}_ERR_ENCODE;
    return {{ p }}_write_tag(buf, (unsigned)*v);
}

int32_t {{ fstem }}_decode({{ p }}_reader *r, {{ ctype }} *out) {
    uint8_t tag;
    *out = ({{ ctype }})0;
    if ({{ p }}_read_tag(r, {{ variants.len() }}, &tag)) return {{ pu }}_ERR_DECODE;
    *out = ({{ ctype }})tag;
    return STDB_OK;
}

{{ pu }}_FORMAT_FN({{ stem }}, {{ ctype }})
