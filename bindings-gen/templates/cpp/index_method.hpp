{#- One method of a btree index (`scan`, a `cpp::Scan`), included by table.hpp (which imports
    cpp/macros.hpp as `cpp`); like every line after a
    leading-minus tag, it starts with a line break. #}
{%- if let Some(range) = scan.range %}
    /* Rows of btree index {{ scan.index }} whose `{{ range.comment_column }}` lies between the bounds (after equal leading columns). */
{%- else %}
    /* Rows of btree index {{ scan.index }} equal to the given values. */
{%- endif %}
    std::vector<Row> {{ scan.name }}({{ scan.params|join(", ") }}) const {
{%- for key in scan.keys %}
{{- cpp::convert_arg(key) }}
{%- endfor %}
{%- if let Some(range) = scan.range %}
{%- for end in range.ends %}
        {{ range.bound_c }} {{ end.slot }};
        {{ end.slot }}.kind = {{ end.which }}.kind;
{%- match end.value %}
{%- when BoundValue::Borrowed(expr) %}
        {{ end.slot }}.value = {{ expr }};
{%- when BoundValue::Converted(owned, store) %}
        {{ owned }} {{ end.slot }}_c;
        {{ store }}
        {{ end.slot }}.value = {{ end.slot }}_c.v;
{%- endmatch %}
{%- endfor %}
{%- endif %}
        {{ rows_owned }} c;
        detail::check({{ ts }}_{{ scan.name }}(db_, {{ scan.args|join(", ") }}, &c.v), "index {{ scan.index }}");
        return {{ rows_from_c }};
    }
