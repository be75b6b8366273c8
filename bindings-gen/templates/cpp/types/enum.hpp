/* {{ description }} */
enum class {{ name }} : uint8_t {
{%- for v in variants %}
    {{ v.member }} = {{ loop.index0 }},
{%- endfor %}
};
