/* {{ signature }} */
int32_t {{ p }}_reducer_{{ stem }}({{ call_params|join(", ") }});
/* The same call; `callback` runs once with its outcome (see stdb_connection_call_reducer_then). */
int32_t {{ p }}_reducer_{{ stem }}_then({{ then_params|join(", ") }});
typedef void (*{{ fn_type }})({{ callback_params|join(", ") }});
int32_t {{ p }}_on_reducer_{{ stem }}(const stdb_connection *conn, {{ fn_type }} callback, void *user_data,
                   stdb_free_fn free_user_data, uint64_t *out_id);
