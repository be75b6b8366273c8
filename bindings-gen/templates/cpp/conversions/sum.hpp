inline {{ cpp }} from_c(const {{ c }} &c) {
    {{ cpp }} v;
    switch (c.tag) {
{%- for v in variants %}
    case {{ v.enumerator }}:
{%- if let Some(from_c) = v.from_c %}
        v.value.template emplace<{{ loop.index0 }}>({{ from_c }});
{%- else %}
        v.value.template emplace<{{ loop.index0 }}>();
{%- endif %}
        break;
{%- endfor %}
    default:
        break;
    }
    return v;
}
inline void to_c(const {{ cpp }} &v, {{ c }} *out) {
    switch (v.value.index()) {
{%- for v in variants %}
    case {{ loop.index0 }}:
        out->tag = {{ v.enumerator }};
{%- if let Some(to_c) = v.to_c %}
        {{ to_c }}
{%- endif %}
        break;
{%- endfor %}
    default:
        break;
    }
}
