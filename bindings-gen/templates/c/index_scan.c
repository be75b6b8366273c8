{#- One function of a btree index (`scan`, a `tables::Scan`), included by table.c: rows whose
    leading columns equal `scan.keys`, and, for a range, whose next column lies between `lower`
    and `upper`. The encoded values sit back to back in `buf`; `ends[k]` is where value k ends. -#}
{%- import "c/macros.c" as c -%}
int32_t {{ ts }}_{{ scan.name }}(const {{ p }}_db *db, {{ scan.params|join(", ") }}, {{ rows }} *out) {
    {{ p }}_buffer buf;
    size_t ends[{{ scan.ends_len }}];
{%- if !scan.keys.is_empty() %}
    stdb_bytes prefix[{{ scan.keys.len() }}];
    size_t i;
{%- endif %}
{%- for key in scan.keys %}
    {{ key.ctype }} key{{ loop.index0 }};
{%- endfor %}
{%- if let Some(range) = scan.range %}
    stdb_bound lo, hi;
    {{ range.ctype }} lo_value, hi_value;
{%- endif %}
    stdb_row_list *list = NULL;
    uint32_t index;
    int32_t rc = STDB_OK;
    if (!db || !out) {
        {{ p }}_set_error("index scan: NULL argument");
        return STDB_ERR_NULL;
    }
{%- for key in scan.keys %}
{{- c::store_arg(key.arg, "\"index scan: NULL key\"") }}
{%- endfor %}
    memset(&buf, 0, sizeof buf);
    ends[0] = 0;
{%- for key in scan.keys %}
    if (rc == STDB_OK) rc = {{ key.fstem }}_encode(&buf, &key{{ loop.index0 }});
    ends[{{ loop.index }}] = buf.len;
{%- endfor %}
{%- if let Some(range) = scan.range %}
    if (rc == STDB_OK && lower && lower->kind != STDB_BOUND_UNBOUNDED) {
{%- if range.is_string %}
        lo_value.data = (char *)(lower->value ? lower->value : "");
        lo_value.len = lower->value ? strlen(lower->value) : 0;
{%- else %}
        lo_value = lower->value;
{%- endif %}
        rc = {{ range.fstem }}_encode(&buf, &lo_value);
    }
    ends[{{ scan.keys.len() + 1 }}] = buf.len;
    if (rc == STDB_OK && upper && upper->kind != STDB_BOUND_UNBOUNDED) {
{%- if range.is_string %}
        hi_value.data = (char *)(upper->value ? upper->value : "");
        hi_value.len = upper->value ? strlen(upper->value) : 0;
{%- else %}
        hi_value = upper->value;
{%- endif %}
        rc = {{ range.fstem }}_encode(&buf, &hi_value);
    }
    ends[{{ scan.keys.len() + 2 }}] = buf.len;
{%- endif %}
    if (rc != STDB_OK) {
        {{ p }}_buffer_free(&buf);
        {{ p }}_set_error("index scan: cannot encode the values");
        return rc;
    }
{%- if !scan.keys.is_empty() %}
    for (i = 0; i < {{ scan.keys.len() }}; i++) {
        prefix[i].data = buf.data + ends[i];
        prefix[i].len = ends[i + 1] - ends[i];
    }
{%- endif %}
{%- if scan.range.is_some() %}
    if (lower) {
        lo.kind = lower->kind;
        lo.value.data = buf.data + ends[{{ scan.keys.len() }}];
        lo.value.len = ends[{{ scan.keys.len() + 1 }}] - ends[{{ scan.keys.len() }}];
    }
    if (upper) {
        hi.kind = upper->kind;
        hi.value.data = buf.data + ends[{{ scan.keys.len() + 1 }}];
        hi.value.len = ends[{{ scan.keys.len() + 2 }}] - ends[{{ scan.keys.len() + 1 }}];
    }
{%- endif %}
    rc = {{ p }}_lib_error(stdb_table_btree_index(db->{{ tm }}, {{ scan.index_lit }}, {{ scan.index_len }}, &index), "index " {{ scan.index_lit }});
    if (rc == STDB_OK)
        rc = {{ p }}_lib_error(stdb_table_btree_scan(db->{{ tm }}, index, {% if scan.keys.is_empty() %}NULL{% else %}prefix{% endif %}, {{ scan.keys.len() }}, {% if scan.range.is_some() %}lower ? &lo : NULL, upper ? &hi : NULL{% else %}NULL, NULL{% endif %}, &list), "scanning index " {{ scan.index_lit }});
    {{ p }}_buffer_free(&buf);
    if (rc == STDB_OK) rc = {{ ts }}_collect(list, out);
    stdb_row_list_free(list);
    return rc;
}
