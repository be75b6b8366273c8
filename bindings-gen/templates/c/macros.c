{#- Macros shared by the C templates. -#}

{#- Stores the API argument `a` (a `ctypes::ApiArg`) into the C value `a.dst`, borrowing: scalars
    by value, strings as pointer and length, other types by copying the struct. A NULL pointer sets
    the last error to `null_error` (the arguments of PREFIX_set_error) and returns STDB_ERR_NULL. -#}
{%- macro store_arg(a, null_error) %}
{%- match a.pass %}
{%- when Pass::Value %}
    {{ a.dst }} = {{ a.name }};
{%- when Pass::String %}
    if (!{{ a.name }}) {
        {{ p }}_set_error({{ null_error }});
        return STDB_ERR_NULL;
    }
    {{ a.dst }}.data = (char *){{ a.name }};
    {{ a.dst }}.len = strlen({{ a.name }});
{%- when Pass::Pointer %}
    if (!{{ a.name }}) {
        {{ p }}_set_error({{ null_error }});
        return STDB_ERR_NULL;
    }
    {{ a.dst }} = *{{ a.name }};
{%- endmatch %}
{%- endmacro %}
