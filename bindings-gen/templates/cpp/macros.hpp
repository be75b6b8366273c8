{#- Macros shared by the C++ templates. -#}

{#- Converts the C++ argument `a` (a `cpp::CppArg`), when its C API takes a pointer, into an owned
    C value in its own guard (freed at scope exit, so a throw halfway leaks nothing). -#}
{%- macro convert_arg(a) %}
{%- if let Some(conv) = a.conversion %}
        {{ conv.owned }} {{ conv.tmp }};
        {{ conv.store }}
{%- endif %}
{%- endmacro %}
