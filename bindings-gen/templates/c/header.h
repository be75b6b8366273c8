{{ banner }}
/*
 * Usage
 *   stdb_connection_builder *b = stdb_connection_builder_new();
 *   {{ p }}_register(b);                          embeds the schema, checks the library's ABI version
 *   ... set uri / module name / callbacks, stdb_connection_builder_build(b, &conn) ...
 *   {{ p }}_db db; {{ p }}_db_init(&db, conn);        table handles; then {{ p }}_TABLE_count(&db), _find_by_COL, …
 *   {{ p }}_reducer_NAME(conn, args..., STDB_CALL_FULL_UPDATE);
 *   {{ p }}_db_free(&db); stdb_connection_free(conn);
 *
 * Conventions (as stdb_client.h): fallible functions return 0 on success, else an error code
 * (`stdb_result` or {{ pu }}_ERR_*), with details in `{{ p }}_last_error()`; outputs are written only on
 * success. Owned values (decoded rows, row lists, strings) are released with their type's `_free`.
 *
 * Define {{ pu }}_CODEC_ONLY before including this header (and when compiling {{ p }}.c) to use only the
 * types and their codecs, without linking libstdb_client.
 */

#ifndef {{ pu }}_H
#define {{ pu }}_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "stdb_client.h"

#if !defined(STDB_ABI_VERSION) || STDB_ABI_VERSION != {{ abi_version }}
#error "{{ p }}.h was generated for stdb_client.h ABI version {{ abi_version }}; regenerate it with a stdb-bindings-gen matching your stdb_client.h"
#endif

#define {{ pu }}_SCHEMA_CHECKSUM "{{ checksum }}"

#ifdef __cplusplus
extern "C" {
#endif

{% include "c/runtime.h" %}

/* Builtin types' functions (see above for what each does). */
{%- for t in builtins %}
{{ t }}
{%- endfor %}

/* ==== Module types ================================================================================ */
{%- for t in definitions %}

{{ t }}
{%- endfor %}
{%- for t in prototypes %}

{{ t }}
{%- endfor %}

/* The embedded schema (canonical SATS-JSON of RawModuleDefV9), appended to `out`. */
int32_t {{ p }}_schema_json({{ p }}_buffer *out);

#ifndef {{ pu }}_CODEC_ONLY

/* Gives the builder the embedded schema (so none is fetched at connect, and tables can be looked up
 * as soon as the connection is built), after checking that the library's ABI version is the one this
 * code was compiled against ({{ pu }}_ERR_ABI_MISMATCH if not). */
int32_t {{ p }}_register(stdb_connection_builder *builder);

{{ tables }}

{{ reducers }}

#endif /* {{ pu }}_CODEC_ONLY */

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* {{ pu }}_H */

