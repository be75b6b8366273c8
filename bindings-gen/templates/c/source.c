{{ banner }}

#include "{{ p }}.h"

#include <float.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


{% include "c/runtime.c" %}

/* ==== Module types ================================================================================ */
{%- for t in functions %}

{{ t }}
{%- endfor %}

/* ==== Schema ====================================================================================== */

static const char *const {{ p }}_schema_chunks[] = {
{%- for chunk in schema_chunks %}
    {{ chunk|join("\n    ") }},
{%- endfor %}
};

int32_t {{ p }}_schema_json({{ p }}_buffer *out) {
    size_t i;
    int32_t rc;
    for (i = 0; i < sizeof {{ p }}_schema_chunks / sizeof {{ p }}_schema_chunks[0]; i++)
        if ((rc = {{ p }}_buffer_append(out, {{ p }}_schema_chunks[i], strlen({{ p }}_schema_chunks[i]))) != STDB_OK) return rc;
    return STDB_OK;
}

#ifndef {{ pu }}_CODEC_ONLY

{{ tables }}

int32_t {{ p }}_register(stdb_connection_builder *builder) {
    {{ p }}_buffer json;
    int32_t rc;
    if (!builder) {
        {{ p }}_set_error("register: builder is NULL");
        return STDB_ERR_NULL;
    }
    if (stdb_abi_version() != STDB_ABI_VERSION) {
        {{ p }}_set_error("libstdb_client has ABI version %u, but {{ p }} was compiled against stdb_client.h with ABI version %u: "
                      "rebuild with the header that matches the library",
                      (unsigned)stdb_abi_version(), (unsigned)STDB_ABI_VERSION);
        return {{ pu }}_ERR_ABI_MISMATCH;
    }
    memset(&json, 0, sizeof json);
    rc = {{ p }}_schema_json(&json);
    if (rc == STDB_OK)
        rc = {{ p }}_lib_error(stdb_connection_builder_set_schema_json(builder, (const char *)json.data, json.len), "registering the schema");
    else
        {{ p }}_set_error("out of memory");
    {{ p }}_buffer_free(&json);
    return rc;
}

{{ reducers }}

#endif /* {{ pu }}_CODEC_ONLY */

