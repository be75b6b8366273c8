/* ---- {{ description }} ---- */

void {{ fstem }}_free({{ ctype }} *v) {
    if (!v) return;
{%- for fl in fields %}{% if fl.has_heap %}
    {{ fl.fstem }}_free(&v->{{ fl.member }});
{%- endif %}{% endfor %}
    memset(v, 0, sizeof *v);
}

bool {{ fstem }}_eq(const {{ ctype }} *a, const {{ ctype }} *b) {
{%- if fields.is_empty() %}
    (void)a;
    (void)b;
    return true;
{%- else %}
    return {% for fl in fields %}{{ fl.fstem }}_eq(&a->{{ fl.member }}, &b->{{ fl.member }}){% if !loop.last %}
        && {% endif %}{% endfor %};
{%- endif %}
}

static void {{ fstem }}_write({{ p }}_fmt *f, const {{ ctype }} *v) {
{%- if fields.is_empty() %}
    (void)v;
    {{ p }}_fmt_s(f, {{ empty_text }});
{%- else %}
{%- for fl in fields %}
    {{ p }}_fmt_s(f, {{ fl.label }});
    {{ fl.fstem }}_write(f, &v->{{ fl.member }});
{%- endfor %}
    {{ p }}_fmt_s(f, " }");
{%- endif %}
}

int32_t {{ fstem }}_encode({{ p }}_buffer *buf, const {{ ctype }} *v) {
{%- if fields.is_empty() %}
    if (!buf || !v) return STDB_ERR_NULL;
    return STDB_OK;
{%- else %}
    int32_t rc;
    if (!buf || !v) return STDB_ERR_NULL;
{%- for fl in fields %}
    if ((rc = {{ fl.fstem }}_encode(buf, &v->{{ fl.member }})) != STDB_OK) return rc;
{%- endfor %}
    return STDB_OK;
{%- endif %}
}

int32_t {{ fstem }}_decode({{ p }}_reader *r, {{ ctype }} *out) {
{%- if fields.is_empty() %}
    (void)r;
    memset(out, 0, sizeof *out);
    return STDB_OK;
{%- else %}
    int32_t rc;
    memset(out, 0, sizeof *out);
{%- for fl in fields %}
    if ((rc = {{ fl.fstem }}_decode(r, &out->{{ fl.member }})) != STDB_OK) goto fail;
{%- endfor %}
    return STDB_OK;
fail:
    {{ fstem }}_free(out);
    return rc;
{%- endif %}
}

{{ pu }}_FORMAT_FN({{ stem }}, {{ ctype }})
