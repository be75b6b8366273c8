{%- if fields.is_empty() -%}
inline {{ cpp }} from_c(const {{ c }} &) {
    {{ cpp }} v;
    return v;
}
inline void to_c(const {{ cpp }} &, {{ c }} *out) {
    out->unused_ = 0;
}
{%- else -%}
inline {{ cpp }} from_c(const {{ c }} &c) {
    {{ cpp }} v;
{%- for f in fields %}
    v.{{ f.member }} = {{ f.from_c }};
{%- endfor %}
    return v;
}
inline void to_c(const {{ cpp }} &v, {{ c }} *out) {
{%- for f in fields %}
    {{ f.to_c }}
{%- endfor %}
}
{%- endif %}
