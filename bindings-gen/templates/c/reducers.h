/* ==== Reducers ====================================================================================
 * `{{ p }}_reducer_NAME(conn, args..., flags)` sends a call (flags: STDB_CALL_FULL_UPDATE or
 * STDB_CALL_NO_SUCCESS_NOTIFY); `{{ p }}_reducer_NAME_then(conn, args..., flags, callback, user_data,
 * free_user_data)` sends the same call and runs `callback` once with this call's own outcome (see
 * `stdb_connection_call_reducer_then`). `{{ p }}_on_reducer_NAME` runs a callback with the decoded arguments
 * after each run of the reducer the client hears about (read status, caller, … from `reducer` with
 * `stdb_reducer_event_info`). Runs whose arguments cannot be decoded — calls the server rejected
 * before running them carry none — are skipped, as in the official SDKs; use
 * `stdb_connection_on_reducer` to see those. Strings are passed as NUL-terminated `const char *`. */
{%- if let Some(lifecycle) = lifecycle %}
/* Lifecycle reducers (not callable by clients, so not generated): {{ lifecycle }}. */
{%- endif %}
/* Removes a callback registered by any `{{ p }}_on_reducer_*` function. */
int32_t {{ p }}_remove_on_reducer(const stdb_connection *conn, uint64_t id);
{%- for r in reducers %}

{{ r }}
{%- endfor %}
