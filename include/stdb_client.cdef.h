/* stdb_client.cdef.h: the declarations of stdb_client.h for FFI hosts without a C preprocessor
 * (LuaJIT ffi.cdef, Python cffi ffi.cdef). GENERATED from the same sources (build/cdef.rs); do
 * not edit. A test fails when this committed file differs from a fresh generation.
 * Documentation: stdb_client.h. Threads: a LuaJIT callback must never run on another thread;
 * see stdb_set_logger and stdb_run_threaded there. */
enum { STDB_VERSION_MAJOR = 0 };
enum { STDB_VERSION_MINOR = 1 };
enum { STDB_VERSION_PATCH = 0 };
enum { STDB_ABI_VERSION = 1 };
enum { STDB_CONNECT_ERROR_OTHER = 0 };
enum { STDB_CONNECT_ERROR_REFUSED = 1 };
enum { STDB_CONNECT_ERROR_DNS = 2 };
enum { STDB_CONNECT_ERROR_HTTP_STATUS = 3 };
enum { STDB_CONNECT_ERROR_TLS = 4 };
enum { STDB_CONNECT_ERROR_TIMEOUT = 5 };
enum { STDB_CONNECT_ERROR_CLOSED_BEFORE_IDENTITY = 6 };
enum { STDB_CONNECT_ERROR_SCHEMA = 7 };
enum { STDB_CONNECT_ERROR_INVALID_URI = 8 };
enum { STDB_EVENT_REDUCER = 0 };
enum { STDB_EVENT_SUBSCRIBE_APPLIED = 1 };
enum { STDB_EVENT_UNSUBSCRIBE_APPLIED = 2 };
enum { STDB_EVENT_SUBSCRIBE_ERROR = 3 };
enum { STDB_EVENT_UNKNOWN_TRANSACTION = 4 };
enum { STDB_EVENT_RECONNECTED = 5 };
enum { STDB_STATUS_COMMITTED = 0 };
enum { STDB_STATUS_FAILED = 1 };
enum { STDB_STATUS_OUT_OF_ENERGY = 2 };
enum { STDB_LOG_OFF = 0 };
enum { STDB_LOG_ERROR = 1 };
enum { STDB_LOG_WARN = 2 };
enum { STDB_LOG_INFO = 3 };
enum { STDB_LOG_DEBUG = 4 };
enum { STDB_LOG_TRACE = 5 };
enum { STDB_PROTOCOL_V1 = 1 };
enum { STDB_PROTOCOL_V2 = 2 };
enum { STDB_PROTOCOL_V3 = 3 };
enum { STDB_CALL_FULL_UPDATE = 0 };
enum { STDB_CALL_NO_SUCCESS_NOTIFY = 1 };
enum { STDB_SUBSCRIPTION_PENDING = 0 };
enum { STDB_SUBSCRIPTION_ACTIVE = 1 };
enum { STDB_SUBSCRIPTION_UNSUBSCRIBING = 2 };
enum { STDB_SUBSCRIPTION_ENDED = 3 };
enum { STDB_BOUND_UNBOUNDED = 0 };
enum { STDB_BOUND_INCLUDED = 1 };
enum { STDB_BOUND_EXCLUDED = 2 };

enum stdb_result {
  STDB_OK = 0,
  STDB_ERR_NULL = 1,
  STDB_ERR_INVALID_UTF8 = 2,
  STDB_ERR_INVALID_ARGUMENT = 3,
  STDB_ERR_UNKNOWN_TABLE = 4,
  STDB_ERR_UNKNOWN_REDUCER = 5,
  STDB_ERR_UNKNOWN_INDEX = 6,
  STDB_ERR_DISCONNECTED = 7,
  STDB_ERR_REENTRANT = 8,
  STDB_ERR_INVALID_STATE = 9,
  STDB_ERR_CONNECT = 10,
  STDB_ERR_PROTOCOL = 11,
  STDB_ERR_IO = 12,
  STDB_ERR_PANIC = 99,
};
typedef int32_t stdb_result;

typedef struct Uuid Uuid;

typedef struct stdb_connection stdb_connection;

typedef struct stdb_connection_builder stdb_connection_builder;

typedef struct stdb_event stdb_event;

typedef struct stdb_reducer_event stdb_reducer_event;

typedef struct stdb_row_list stdb_row_list;

typedef struct stdb_subscription stdb_subscription;

typedef struct stdb_subscription_builder stdb_subscription_builder;

typedef struct stdb_table stdb_table;

typedef struct stdb_connection_id {
  uint8_t bytes[16];
} stdb_connection_id;

typedef struct stdb_identity {
  uint8_t bytes[32];
} stdb_identity;

typedef void (*stdb_reconnect_fn)(void *user_data,
                                  const struct stdb_connection *conn,
                                  const struct stdb_identity *identity,
                                  const struct stdb_connection_id *connection_id);

typedef void (*stdb_free_fn)(void *user_data);

typedef void (*stdb_connect_fn)(void *user_data,
                                const struct stdb_connection *conn,
                                const struct stdb_identity *identity,
                                const char *token,
                                size_t token_len,
                                const struct stdb_connection_id *connection_id);

typedef void (*stdb_connect_error_fn)(void *user_data,
                                      const struct stdb_connection *conn,
                                      int32_t kind,
                                      uint16_t http_status,
                                      const char *message,
                                      size_t message_len);

typedef void (*stdb_disconnect_fn)(void *user_data,
                                   const struct stdb_connection *conn,
                                   const char *message,
                                   size_t message_len);

typedef struct stdb_tick_report {
  uint32_t processed;
  uint32_t remaining;
} stdb_tick_report;

typedef struct stdb_buffer {
  uint8_t *data;
  size_t len;
} stdb_buffer;

typedef struct stdb_metrics {
  uint64_t messages_received;
  uint64_t bytes_received;
  uint64_t bytes_decompressed;
  uint64_t messages_applied;
  uint64_t rows_inserted;
  uint64_t rows_deleted;
  uint64_t missing_deletes;
  uint64_t unknown_table_updates;
  uint64_t queue_depth;
  uint64_t reducer_calls;
  uint64_t reducer_round_trips;
  uint64_t reducer_rtt_total_us;
  uint64_t reducer_rtt_max_us;
  uint64_t reducer_rtt_last_us;
  uint64_t queue_wait_total_us;
  uint64_t apply_total_us;
  uint64_t queued_bytes;
  uint64_t queued_bytes_peak;
  uint64_t read_pauses;
  uint64_t largest_frame_bytes;
} stdb_metrics;

typedef void (*stdb_one_off_fn)(void *user_data,
                                const struct stdb_connection *conn,
                                const char *error,
                                size_t error_len,
                                const struct stdb_row_list *rows);

typedef struct stdb_bytes {
  const uint8_t *data;
  size_t len;
} stdb_bytes;

typedef struct stdb_reducer_info {
  int64_t timestamp_us;
  int32_t status;
  struct stdb_bytes error_message;
  struct stdb_identity caller_identity;
  bool has_caller_connection_id;
  struct stdb_connection_id caller_connection_id;
  uint64_t energy_used_lo;
  uint64_t energy_used_hi;
  struct stdb_bytes reducer_name;
  uint32_t reducer_id;
  struct stdb_bytes args;
  uint32_t request_id;
  int64_t host_duration_us;
} stdb_reducer_info;

typedef void (*stdb_log_fn)(void *user_data,
                            int32_t level,
                            const char *target,
                            size_t target_len,
                            const char *message,
                            size_t message_len);

typedef void (*stdb_reducer_then_fn)(void *user_data,
                                     const struct stdb_connection *conn,
                                     const struct stdb_event *event,
                                     const struct stdb_reducer_event *reducer,
                                     const char *error,
                                     size_t error_len);

typedef void (*stdb_reducer_fn)(void *user_data,
                                const struct stdb_connection *conn,
                                const struct stdb_event *event,
                                const struct stdb_reducer_event *reducer);

typedef void (*stdb_procedure_fn)(void *user_data,
                                  const struct stdb_connection *conn,
                                  const uint8_t *ret,
                                  size_t ret_len,
                                  const char *error,
                                  size_t error_len,
                                  int64_t host_duration_micros);

typedef void (*stdb_subscription_fn)(void *user_data,
                                     const struct stdb_connection *conn,
                                     const struct stdb_event *event);

typedef void (*stdb_subscription_error_fn)(void *user_data,
                                           const struct stdb_connection *conn,
                                           const char *message,
                                           size_t message_len);

typedef bool (*stdb_row_visitor)(void *user_data, const uint8_t *row, size_t row_len);

typedef struct stdb_bound {
  int32_t kind;
  struct stdb_bytes value;
} stdb_bound;

typedef void (*stdb_row_fn)(void *user_data,
                            const struct stdb_connection *conn,
                            const struct stdb_event *event,
                            const uint8_t *row,
                            size_t row_len);

typedef void (*stdb_update_fn)(void *user_data,
                               const struct stdb_connection *conn,
                               const struct stdb_event *event,
                               const uint8_t *old_row,
                               size_t old_len,
                               const uint8_t *new_row,
                               size_t new_len);

struct stdb_connection_builder *stdb_connection_builder_new(void);

void stdb_connection_builder_free(struct stdb_connection_builder *builder);

stdb_result stdb_connection_builder_set_uri(struct stdb_connection_builder *builder,
                                            const char *uri,
                                            size_t len);

stdb_result stdb_connection_builder_set_module_name(struct stdb_connection_builder *builder,
                                                    const char *name,
                                                    size_t len);

stdb_result stdb_connection_builder_set_token(struct stdb_connection_builder *builder,
                                              const char *token,
                                              size_t len);

stdb_result stdb_connection_builder_set_compression(struct stdb_connection_builder *builder,
                                                    int32_t compression);

stdb_result stdb_connection_builder_set_light_mode(struct stdb_connection_builder *builder,
                                                   bool light);

stdb_result stdb_connection_builder_set_connection_id(struct stdb_connection_builder *builder,
                                                      const struct stdb_connection_id *id);

stdb_result stdb_connection_builder_set_schema_json(struct stdb_connection_builder *builder,
                                                    const char *json,
                                                    size_t len);

stdb_result stdb_connection_builder_set_schema_check(struct stdb_connection_builder *builder,
                                                     bool check);

stdb_result stdb_connection_builder_set_connect_timeout_ms(struct stdb_connection_builder *builder,
                                                           uint32_t ms);

stdb_result stdb_connection_builder_set_max_queued_bytes(struct stdb_connection_builder *builder,
                                                         uint64_t bytes);

stdb_result stdb_connection_builder_set_reconnect(struct stdb_connection_builder *builder,
                                                  uint32_t max_attempts,
                                                  uint32_t initial_delay_ms,
                                                  uint32_t max_delay_ms);

stdb_result stdb_connection_builder_on_reconnect(struct stdb_connection_builder *builder,
                                                 stdb_reconnect_fn callback,
                                                 void *user_data,
                                                 stdb_free_fn free_user_data);

stdb_result stdb_connection_builder_on_connect(struct stdb_connection_builder *builder,
                                               stdb_connect_fn callback,
                                               void *user_data,
                                               stdb_free_fn free_user_data);

stdb_result stdb_connection_builder_on_connect_error(struct stdb_connection_builder *builder,
                                                     stdb_connect_error_fn callback,
                                                     void *user_data,
                                                     stdb_free_fn free_user_data);

stdb_result stdb_connection_builder_on_disconnect(struct stdb_connection_builder *builder,
                                                  stdb_disconnect_fn callback,
                                                  void *user_data,
                                                  stdb_free_fn free_user_data);

stdb_result stdb_connection_builder_build(struct stdb_connection_builder *builder,
                                          struct stdb_connection **out);

void stdb_connection_free(struct stdb_connection *conn);

stdb_result stdb_frame_tick(const struct stdb_connection *conn);

stdb_result stdb_frame_tick_budget(const struct stdb_connection *conn,
                                   uint32_t max_messages,
                                   uint64_t max_micros,
                                   struct stdb_tick_report *out);

stdb_result stdb_advance_one_message(const struct stdb_connection *conn, bool *processed);

stdb_result stdb_run_threaded(const struct stdb_connection *conn);

stdb_result stdb_connection_disconnect(const struct stdb_connection *conn);

bool stdb_connection_is_active(const struct stdb_connection *conn);

stdb_result stdb_connection_identity(const struct stdb_connection *conn, struct stdb_identity *out);

stdb_result stdb_connection_get_connection_id(const struct stdb_connection *conn,
                                              struct stdb_connection_id *out);

stdb_result stdb_connection_token(const struct stdb_connection *conn, struct stdb_buffer *out);

stdb_result stdb_connection_metrics(const struct stdb_connection *conn, struct stdb_metrics *out);

stdb_result stdb_connection_one_off_query(const struct stdb_connection *conn,
                                          const char *sql,
                                          size_t sql_len,
                                          stdb_one_off_fn callback,
                                          void *user_data,
                                          stdb_free_fn free_user_data);

int32_t stdb_event_kind(const struct stdb_event *event);

const struct stdb_reducer_event *stdb_event_reducer(const struct stdb_event *event);

bool stdb_reducer_event_info(const struct stdb_reducer_event *reducer,
                             struct stdb_reducer_info *out);

bool stdb_reducer_event_return_value(const struct stdb_reducer_event *reducer,
                                     struct stdb_bytes *out);

struct stdb_bytes stdb_event_error(const struct stdb_event *event);

const char *stdb_version(void);

uint32_t stdb_abi_version(void);

const char *stdb_last_error(void);

void stdb_buffer_free(struct stdb_buffer *buffer);

bool stdb_identity_to_hex(const struct stdb_identity *identity, char *out);

bool stdb_connection_id_to_hex(const struct stdb_connection_id *id, char *out);

stdb_result stdb_credentials_save(const char *key,
                                  size_t key_len,
                                  const char *token,
                                  size_t token_len);

stdb_result stdb_credentials_load(const char *key,
                                  size_t key_len,
                                  bool *found,
                                  struct stdb_buffer *out_token);

stdb_result stdb_credentials_remove(const char *key, size_t key_len);

stdb_result stdb_set_logger(stdb_log_fn callback,
                            void *user_data,
                            stdb_free_fn free_user_data,
                            int32_t max_level);

stdb_result stdb_library_shutdown(void);

stdb_result stdb_connection_builder_set_protocols(struct stdb_connection_builder *builder,
                                                  const int32_t *protocols,
                                                  size_t count);

stdb_result stdb_connection_builder_set_confirmed_reads(struct stdb_connection_builder *builder,
                                                        int32_t confirmed);

stdb_result stdb_connection_protocol(const struct stdb_connection *conn, int32_t *out);

stdb_result stdb_connection_call_reducer(const struct stdb_connection *conn,
                                         const char *reducer,
                                         size_t reducer_len,
                                         const uint8_t *args,
                                         size_t args_len,
                                         uint32_t flags,
                                         uint32_t *out_request_id);

stdb_result stdb_connection_call_reducer_then(const struct stdb_connection *conn,
                                              const char *reducer,
                                              size_t reducer_len,
                                              const uint8_t *args,
                                              size_t args_len,
                                              uint32_t flags,
                                              stdb_reducer_then_fn callback,
                                              void *user_data,
                                              stdb_free_fn free_user_data,
                                              uint32_t *out_request_id);

stdb_result stdb_connection_on_reducer(const struct stdb_connection *conn,
                                       const char *reducer,
                                       size_t reducer_len,
                                       stdb_reducer_fn callback,
                                       void *user_data,
                                       stdb_free_fn free_user_data,
                                       uint64_t *out_id);

stdb_result stdb_connection_on_any_reducer(const struct stdb_connection *conn,
                                           stdb_reducer_fn callback,
                                           void *user_data,
                                           stdb_free_fn free_user_data,
                                           uint64_t *out_id);

stdb_result stdb_connection_remove_on_reducer(const struct stdb_connection *conn, uint64_t id);

stdb_result stdb_connection_call_procedure(const struct stdb_connection *conn,
                                           const char *name,
                                           size_t name_len,
                                           const uint8_t *args,
                                           size_t args_len,
                                           stdb_procedure_fn callback,
                                           void *user_data,
                                           stdb_free_fn free_user_data,
                                           uint32_t *out_request_id);

size_t stdb_row_list_len(const struct stdb_row_list *list);

stdb_result stdb_row_list_get(const struct stdb_row_list *list,
                              size_t index,
                              const uint8_t **data,
                              size_t *len);

struct stdb_bytes stdb_row_list_table_name(const struct stdb_row_list *list);

void stdb_row_list_free(struct stdb_row_list *list);

struct stdb_subscription_builder *stdb_subscription_builder_new(const struct stdb_connection *conn);

void stdb_subscription_builder_free(struct stdb_subscription_builder *builder);

stdb_result stdb_subscription_builder_on_applied(struct stdb_subscription_builder *builder,
                                                 stdb_subscription_fn callback,
                                                 void *user_data,
                                                 stdb_free_fn free_user_data);

stdb_result stdb_subscription_builder_on_error(struct stdb_subscription_builder *builder,
                                               stdb_subscription_error_fn callback,
                                               void *user_data,
                                               stdb_free_fn free_user_data);

stdb_result stdb_subscription_builder_subscribe(struct stdb_subscription_builder *builder,
                                                const struct stdb_bytes *queries,
                                                size_t count,
                                                struct stdb_subscription **out);

stdb_result stdb_subscription_builder_subscribe_all_tables(struct stdb_subscription_builder *builder,
                                                           struct stdb_subscription **out);

stdb_result stdb_subscription_unsubscribe(const struct stdb_subscription *s);

stdb_result stdb_subscription_unsubscribe_then(const struct stdb_subscription *s,
                                               stdb_subscription_fn callback,
                                               void *user_data,
                                               stdb_free_fn free_user_data);

int32_t stdb_subscription_state(const struct stdb_subscription *s);

void stdb_subscription_free(struct stdb_subscription *s);

stdb_result stdb_connection_table(const struct stdb_connection *conn,
                                  const char *name,
                                  size_t name_len,
                                  struct stdb_table **out);

void stdb_table_free(struct stdb_table *table);

uint64_t stdb_table_count(const struct stdb_table *t);

stdb_result stdb_table_iter(const struct stdb_table *t, stdb_row_visitor visitor, void *user_data);

stdb_result stdb_table_find(const struct stdb_table *t,
                            const char *column,
                            size_t column_len,
                            const uint8_t *value,
                            size_t value_len,
                            bool *found,
                            struct stdb_buffer *out_row);

stdb_result stdb_table_btree_index(const struct stdb_table *t,
                                   const char *name,
                                   size_t name_len,
                                   uint32_t *out_index);

stdb_result stdb_table_btree_scan(const struct stdb_table *t,
                                  uint32_t index,
                                  const struct stdb_bytes *prefix,
                                  size_t prefix_len,
                                  const struct stdb_bound *lower,
                                  const struct stdb_bound *upper,
                                  struct stdb_row_list **out);

stdb_result stdb_table_on_insert(const struct stdb_table *t,
                                 stdb_row_fn callback,
                                 void *user_data,
                                 stdb_free_fn free_user_data,
                                 uint64_t *out_id);

stdb_result stdb_table_on_delete(const struct stdb_table *t,
                                 stdb_row_fn callback,
                                 void *user_data,
                                 stdb_free_fn free_user_data,
                                 uint64_t *out_id);

stdb_result stdb_table_on_update(const struct stdb_table *t,
                                 stdb_update_fn callback,
                                 void *user_data,
                                 stdb_free_fn free_user_data,
                                 uint64_t *out_id);

stdb_result stdb_table_remove_callback(const struct stdb_table *t, uint64_t id);
