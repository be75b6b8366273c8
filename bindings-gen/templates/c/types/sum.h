/* {{ description }} (sum; `tag` says which member of `value` is set) */
typedef enum {{ name }}_tag {
{%- for v in variants %}
    {{ v.enumerator }} = {{ loop.index0 }}{% if !loop.last %},{% endif %}
{%- endfor %}
} {{ name }}_tag;
typedef struct {{ name }} {
    {{ name }}_tag tag;
    union {
{%- for v in variants %}{% if let Some(c_type) = v.c_type %}
        {{ c_type }} {{ v.member }};
{%- endif %}{% endfor %}
    } value;
} {{ name }};
