/* {{ description }} (product) */
typedef struct {{ name }} {
{%- if fields.is_empty() %}
    uint8_t unused_; /* C structs cannot be empty */
{%- endif %}
{%- for f in fields %}
    {{ f.c_type }} {{ f.member }};{% if let Some(original) = f.original %} /* {{ original }} */{% endif %}
{%- endfor %}
} {{ name }};
