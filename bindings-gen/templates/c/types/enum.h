/* {{ description }} (enum; BSATN: one tag byte) */
typedef enum {{ name }} {
{%- for v in variants %}
    {{ v.enumerator }} = {{ loop.index0 }}{% if !loop.last %},{% endif %}
{%- endfor %}
} {{ name }};
