/* ---- {{ description }} ---- */

void {{ fstem }}_free({{ ctype }} *v) {
    if (!v) return;
{%- if has_heap %}
    switch (v->tag) {
{%- for v in variants %}{% if v.has_heap %}
    case {{ v.enumerator }}:
        {{ v.fstem }}_free(&v->value.{{ v.member }});
        break;
{%- endif %}{% endfor %}
    default:
        break;
    }
{%- endif %}
    memset(v, 0, sizeof *v);
}

bool {{ fstem }}_eq(const {{ ctype }} *a, const {{ ctype }} *b) {
    if (a->tag != b->tag) return false;
    switch (a->tag) {
{%- for v in variants %}{% if !v.is_unit %}
    case {{ v.enumerator }}:
        return {{ v.fstem }}_eq(&a->value.{{ v.member }}, &b->value.{{ v.member }});
{%- endif %}{% endfor %}
    default:
        return true;
    }
}

static void {{ fstem }}_write({{ p }}_fmt *f, const {{ ctype }} *v) {
    switch (v->tag) {
{%- for v in variants %}
    case {{ v.enumerator }}:
{%- if v.is_unit %}
        {{ p }}_fmt_s(f, {{ v.name }});
{%- else %}
        {{ p }}_fmt_s(f, {{ v.open }});
        {{ v.fstem }}_write(f, &v->value.{{ v.member }});
        {{ p }}_fmt_s(f, ")");
{%- endif %}
        break;
{%- endfor %}
    default:
        {{ p }}_fmt_s(f, {{ invalid_text }});
    }
}

int32_t {{ fstem }}_encode({{ p }}_buffer *buf, const {{ ctype }} *v) {
    int32_t rc;
    if (!buf || !v) return STDB_ERR_NULL;
    switch (v->tag) {
{%- for v in variants %}
    case {{ v.enumerator }}:
{%- if v.is_unit %}
        return {{ p }}_write_tag(buf, {{ loop.index0 }});
{%- else %}
        if ((rc = {{ p }}_write_tag(buf, {{ loop.index0 }})) != STDB_OK) return rc;
        return {{ v.fstem }}_encode(buf, &v->value.{{ v.member }});
{%- endif %}
{%- endfor %}
    }
    return {{ pu }}_ERR_ENCODE;
}

int32_t {{ fstem }}_decode({{ p }}_reader *r, {{ ctype }} *out) {
    uint8_t tag;
    int32_t rc = STDB_OK;
    memset(out, 0, sizeof *out);
    if ({{ p }}_read_tag(r, {{ variants.len() }}, &tag)) return {{ pu }}_ERR_DECODE;
    switch (tag) {
{%- for v in variants %}{% if !v.is_unit %}
    case {{ loop.index0 }}:
        rc = {{ v.fstem }}_decode(r, &out->value.{{ v.member }});
        break;
{%- endif %}{% endfor %}
    default:
        break;
    }
    if (rc != STDB_OK) {
        memset(out, 0, sizeof *out);
        return rc;
    }
    out->tag = ({{ ctype }}_tag)tag;
    return STDB_OK;
}

{{ pu }}_FORMAT_FN({{ stem }}, {{ ctype }})
