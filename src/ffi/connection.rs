//! Builder, connection lifetime, ticking, identity, reducers and one-off queries.

use super::boundary::{boundary, check, fail, result_boundary, stdb_result};
use super::event::{event_ptr, reducer_event_ptr, stdb_event, stdb_reducer_event};
use super::rows::{stdb_row_list, RowListOwned};
use super::types::*;
use crate::connection::{Compression, DbConnection, DbConnectionBuilder, ReconnectPolicy};
use crate::error::{ConnectErrorKind, Error};
use crate::metrics::Metrics;
use crate::protocol::CallReducerFlags;
use crate::schema::Schema;
use std::ffi::{c_char, c_void};
use std::time::Duration;

/// A connection to a database. Owned by the caller: release with `stdb_connection_free`.
/// Pointers passed to callbacks are borrowed (valid during the callback; do not free them).
pub struct stdb_connection {
    _private: [u8; 0],
}
impl Handle for stdb_connection {
    type Rust = DbConnection;
}

/// Connection settings, consumed by `stdb_connection_builder_build`.
pub struct stdb_connection_builder {
    _private: [u8; 0],
}
impl Handle for stdb_connection_builder {
    type Rust = DbConnectionBuilder;
}

pub(crate) fn conn_ptr(c: &DbConnection) -> *const stdb_connection {
    c as *const DbConnection as *const stdb_connection
}

/// Called once the server has accepted the connection. `token` is UTF-8, not NUL-terminated;
/// all pointers are valid during the call only.
pub type stdb_connect_fn = Option<
    unsafe extern "C" fn(
        user_data: *mut c_void,
        conn: *const stdb_connection,
        identity: *const stdb_identity,
        token: *const c_char,
        token_len: usize,
        connection_id: *const stdb_connection_id,
    ),
>;

/// Kinds of connect failure (`stdb_connect_error_fn`'s `kind`).
pub const STDB_CONNECT_ERROR_OTHER: i32 = 0;
pub const STDB_CONNECT_ERROR_REFUSED: i32 = 1;
pub const STDB_CONNECT_ERROR_DNS: i32 = 2;
pub const STDB_CONNECT_ERROR_HTTP_STATUS: i32 = 3;
pub const STDB_CONNECT_ERROR_TLS: i32 = 4;
pub const STDB_CONNECT_ERROR_TIMEOUT: i32 = 5;
pub const STDB_CONNECT_ERROR_CLOSED_BEFORE_IDENTITY: i32 = 6;
pub const STDB_CONNECT_ERROR_SCHEMA: i32 = 7;
pub const STDB_CONNECT_ERROR_INVALID_URI: i32 = 8;

/// Called once if connecting fails. `kind` is `STDB_CONNECT_ERROR_*`; `http_status` is the HTTP
/// status for `STDB_CONNECT_ERROR_HTTP_STATUS` (404 unknown database, 401/400 bad token), else 0.
/// `message` is UTF-8, not NUL-terminated, valid during the call only.
pub type stdb_connect_error_fn = Option<
    unsafe extern "C" fn(
        user_data: *mut c_void,
        conn: *const stdb_connection,
        kind: i32,
        http_status: u16,
        message: *const c_char,
        message_len: usize,
    ),
>;

/// Called once when an established connection ends. `message` is NULL (length 0) after a
/// disconnect the caller asked for, else the reason (UTF-8, not NUL-terminated).
pub type stdb_disconnect_fn = Option<
    unsafe extern "C" fn(user_data: *mut c_void, conn: *const stdb_connection, message: *const c_char, message_len: usize),
>;

/// Called after a reducer run we are told about. Pointers are valid during the call only.
pub type stdb_reducer_fn = Option<
    unsafe extern "C" fn(
        user_data: *mut c_void,
        conn: *const stdb_connection,
        event: *const stdb_event,
        reducer: *const stdb_reducer_event,
    ),
>;

/// Called with the result of a one-off query: on success `error` is NULL and `rows` holds the
/// rows; on failure `error` is the server's message and `rows` is NULL. Valid during the call only.
pub type stdb_one_off_fn = Option<
    unsafe extern "C" fn(
        user_data: *mut c_void,
        conn: *const stdb_connection,
        error: *const c_char,
        error_len: usize,
        rows: *const stdb_row_list,
    ),
>;

// ---- builder ------------------------------------------------------------------------------------

/// A new builder. Never NULL. Release with `stdb_connection_builder_free` unless it is passed to
/// `stdb_connection_builder_build` (which consumes it).
#[no_mangle]
pub extern "C" fn stdb_connection_builder_new() -> *mut stdb_connection_builder {
    boundary!(std::ptr::null_mut(), { into_handle::<stdb_connection_builder>(DbConnection::builder()) })
}

/// Frees a builder that was not built. NULL is ignored. Registered `user_data` finalizers run.
#[no_mangle]
pub extern "C" fn stdb_connection_builder_free(builder: *mut stdb_connection_builder) {
    boundary!((), {
        // SAFETY: NULL or a live builder from `stdb_connection_builder_new`, not used afterwards.
        drop(unsafe { take(builder) });
    })
}

pub(crate) fn edit_builder(
    builder: *mut stdb_connection_builder,
    f: impl FnOnce(DbConnectionBuilder) -> Result<DbConnectionBuilder, stdb_result>,
) -> Result<(), stdb_result> {
    // SAFETY: the caller passes NULL or a live builder it owns (documented on every setter).
    let b = unsafe { borrow_mut(builder, "builder")? };
    let current = std::mem::take(b);
    *b = f(current)?;
    Ok(())
}

/// Sets the host address: `http://`, `https://`, `ws://` or `wss://` (UTF-8, `len` bytes).
#[no_mangle]
pub extern "C" fn stdb_connection_builder_set_uri(
    builder: *mut stdb_connection_builder,
    uri: *const c_char,
    len: usize,
) -> stdb_result {
    result_boundary!({
        // SAFETY: `uri` is NULL or `len` readable bytes, per the header.
        let uri = unsafe { str_arg(uri, len, "uri")? }.to_owned();
        edit_builder(builder, |b| Ok(b.with_uri(uri)))
    })
}

/// Sets the database name or identity (hex).
#[no_mangle]
pub extern "C" fn stdb_connection_builder_set_module_name(
    builder: *mut stdb_connection_builder,
    name: *const c_char,
    len: usize,
) -> stdb_result {
    result_boundary!({
        // SAFETY: as for `uri`.
        let name = unsafe { str_arg(name, len, "module name")? }.to_owned();
        edit_builder(builder, |b| Ok(b.with_module_name(name)))
    })
}

/// Sets the token to connect with; `(NULL, 0)` connects anonymously (the server issues one).
#[no_mangle]
pub extern "C" fn stdb_connection_builder_set_token(
    builder: *mut stdb_connection_builder,
    token: *const c_char,
    len: usize,
) -> stdb_result {
    result_boundary!({
        let token = if token.is_null() && len == 0 {
            None
        } else {
            // SAFETY: as for `uri`.
            Some(unsafe { str_arg(token, len, "token")? }.to_owned())
        };
        edit_builder(builder, |b| Ok(b.with_token(token)))
    })
}

/// Compression the server should use for large messages: 0 none, 1 Brotli, 2 Gzip (the default:
/// about as small as Brotli at the server's settings, and several times faster to decompress).
#[no_mangle]
pub extern "C" fn stdb_connection_builder_set_compression(
    builder: *mut stdb_connection_builder,
    compression: i32,
) -> stdb_result {
    result_boundary!({
        let c = match compression {
            0 => Compression::None,
            1 => Compression::Brotli,
            2 => Compression::Gzip,
            other => return Err(fail(stdb_result::STDB_ERR_INVALID_ARGUMENT, format!("compression {other} is not 0, 1 or 2"))),
        };
        edit_builder(builder, |b| Ok(b.with_compression(c)))
    })
}

/// Light mode: other clients' transactions arrive without reducer metadata.
#[no_mangle]
pub extern "C" fn stdb_connection_builder_set_light_mode(builder: *mut stdb_connection_builder, light: bool) -> stdb_result {
    result_boundary!({ edit_builder(builder, |b| Ok(b.with_light_mode(light))) })
}

/// Overrides the random connection id. All-zero is rejected.
#[no_mangle]
pub extern "C" fn stdb_connection_builder_set_connection_id(
    builder: *mut stdb_connection_builder,
    id: *const stdb_connection_id,
) -> stdb_result {
    result_boundary!({
        if id.is_null() {
            return Err(fail(stdb_result::STDB_ERR_NULL, "connection id is NULL"));
        }
        // SAFETY: non-null and, per the header, pointing to a `stdb_connection_id`.
        let id = spacetimedb_lib::ConnectionId::from_le_byte_array(unsafe { (*id).bytes });
        if id == spacetimedb_lib::ConnectionId::ZERO {
            return Err(fail(stdb_result::STDB_ERR_INVALID_ARGUMENT, "the all-zero connection id is reserved"));
        }
        edit_builder(builder, |b| Ok(b.with_connection_id(id)))
    })
}

/// Gives the module's schema (RawModuleDefV9 as `GET /v1/database/NAME/schema?version=9` serves
/// it), so none is fetched at connect. Parsed now: an invalid schema fails here.
#[no_mangle]
pub extern "C" fn stdb_connection_builder_set_schema_json(
    builder: *mut stdb_connection_builder,
    json: *const c_char,
    len: usize,
) -> stdb_result {
    result_boundary!({
        if builder.is_null() {
            return Err(fail(stdb_result::STDB_ERR_NULL, "builder is NULL"));
        }
        // SAFETY: as for `uri`.
        let json = unsafe { str_arg(json, len, "schema JSON")? };
        let schema = Schema::from_json(json).map_err(|e| fail(stdb_result::STDB_ERR_INVALID_ARGUMENT, e))?;
        edit_builder(builder, |b| Ok(b.with_schema(schema)))
    })
}

/// With a schema set by `stdb_connection_builder_set_schema_json` (the generated shims do this),
/// also fetch the server's schema at connect and fail with `STDB_CONNECT_ERROR_SCHEMA` if a table
/// or reducer the given schema describes has changed on the server (e.g. after a republish).
#[no_mangle]
pub extern "C" fn stdb_connection_builder_set_schema_check(builder: *mut stdb_connection_builder, check: bool) -> stdb_result {
    result_boundary!({ edit_builder(builder, |b| Ok(b.with_schema_check(check))) })
}

/// How long connecting may take before `on_connect_error` reports a timeout (default 10 000 ms).
#[no_mangle]
pub extern "C" fn stdb_connection_builder_set_connect_timeout_ms(builder: *mut stdb_connection_builder, ms: u32) -> stdb_result {
    result_boundary!({ edit_builder(builder, |b| Ok(b.with_connect_timeout(Duration::from_millis(ms.max(1) as u64)))) })
}

/// Turns on automatic reconnection after a lost connection: up to `max_attempts` attempts per
/// outage, waiting `initial_delay_ms` before the first and doubling up to `max_delay_ms`. The
/// client comes back as the same identity (with a new connection id), renews its subscriptions
/// and reconciles the cache: row callbacks then report exactly what changed while it was away,
/// with an event of kind `STDB_EVENT_RECONNECTED`. Calls made while reconnecting return
/// `STDB_ERR_DISCONNECTED`. `max_attempts` 0 turns reconnection off.
#[no_mangle]
pub extern "C" fn stdb_connection_builder_set_reconnect(
    builder: *mut stdb_connection_builder,
    max_attempts: u32,
    initial_delay_ms: u32,
    max_delay_ms: u32,
) -> stdb_result {
    result_boundary!({
        if max_attempts == 0 {
            return edit_builder(builder, |b| Ok(b.without_reconnect()));
        }
        let policy = ReconnectPolicy {
            max_attempts,
            initial_delay: Duration::from_millis(initial_delay_ms.max(1) as u64),
            max_delay: Duration::from_millis(max_delay_ms.max(initial_delay_ms).max(1) as u64),
        };
        edit_builder(builder, |b| Ok(b.with_reconnect(policy)))
    })
}

/// Called after each successful reconnect, once the cache is reconciled (after the row
/// callbacks that report the changes). Pointers are valid during the call only.
pub type stdb_reconnect_fn = Option<
    unsafe extern "C" fn(
        user_data: *mut c_void,
        conn: *const stdb_connection,
        identity: *const stdb_identity,
        connection_id: *const stdb_connection_id,
    ),
>;

/// Registers the reconnect callback (runs after every reconnect). `free_user_data` runs once,
/// when the connection is dropped.
#[no_mangle]
pub extern "C" fn stdb_connection_builder_on_reconnect(
    builder: *mut stdb_connection_builder,
    callback: stdb_reconnect_fn,
    user_data: *mut c_void,
    free_user_data: stdb_free_fn,
) -> stdb_result {
    result_boundary!({
        let ud = UserData::new(user_data, free_user_data);
        let cb = callback.ok_or_else(|| fail(stdb_result::STDB_ERR_NULL, "callback is NULL"))?;
        edit_builder(builder, |b| {
            Ok(b.on_reconnect(move |conn, identity, cid| {
                let identity: stdb_identity = identity.into();
                let cid: stdb_connection_id = cid.into();
                // SAFETY: a C function pointer the caller registered; pointers valid for the call.
                unsafe { cb(ud.ptr(), conn_ptr(conn), &identity, &cid) };
            }))
        })
    })
}

/// Registers the connect callback (replacing any earlier one). `free_user_data` (optional) runs
/// exactly once, after the callback ran or when it can no longer run.
#[no_mangle]
pub extern "C" fn stdb_connection_builder_on_connect(
    builder: *mut stdb_connection_builder,
    callback: stdb_connect_fn,
    user_data: *mut c_void,
    free_user_data: stdb_free_fn,
) -> stdb_result {
    result_boundary!({
        let ud = UserData::new(user_data, free_user_data);
        let cb = callback.ok_or_else(|| fail(stdb_result::STDB_ERR_NULL, "callback is NULL"))?;
        edit_builder(builder, |b| {
            Ok(b.on_connect(move |conn, identity, token, cid| {
                let identity: stdb_identity = identity.into();
                let cid: stdb_connection_id = cid.into();
                // SAFETY: a C function pointer the caller registered; every pointer is valid for the call.
                unsafe { cb(ud.ptr(), conn_ptr(conn), &identity, token.as_ptr() as *const c_char, token.len(), &cid) };
            }))
        })
    })
}

/// Registers the connect-error callback. `free_user_data` as for `on_connect`.
#[no_mangle]
pub extern "C" fn stdb_connection_builder_on_connect_error(
    builder: *mut stdb_connection_builder,
    callback: stdb_connect_error_fn,
    user_data: *mut c_void,
    free_user_data: stdb_free_fn,
) -> stdb_result {
    result_boundary!({
        let ud = UserData::new(user_data, free_user_data);
        let cb = callback.ok_or_else(|| fail(stdb_result::STDB_ERR_NULL, "callback is NULL"))?;
        edit_builder(builder, |b| {
            Ok(b.on_connect_error(move |conn, e| {
                let (kind, status) = match e {
                    Error::Connect { kind, .. } => match kind {
                        ConnectErrorKind::Refused => (STDB_CONNECT_ERROR_REFUSED, 0),
                        ConnectErrorKind::Dns => (STDB_CONNECT_ERROR_DNS, 0),
                        ConnectErrorKind::HttpStatus(s) => (STDB_CONNECT_ERROR_HTTP_STATUS, *s),
                        ConnectErrorKind::Tls => (STDB_CONNECT_ERROR_TLS, 0),
                        ConnectErrorKind::Timeout => (STDB_CONNECT_ERROR_TIMEOUT, 0),
                        ConnectErrorKind::ClosedBeforeIdentity => (STDB_CONNECT_ERROR_CLOSED_BEFORE_IDENTITY, 0),
                        ConnectErrorKind::Schema => (STDB_CONNECT_ERROR_SCHEMA, 0),
                        ConnectErrorKind::InvalidUri => (STDB_CONNECT_ERROR_INVALID_URI, 0),
                        ConnectErrorKind::Other => (STDB_CONNECT_ERROR_OTHER, 0),
                    },
                    _ => (STDB_CONNECT_ERROR_OTHER, 0),
                };
                let message = e.to_string();
                // SAFETY: a C function pointer the caller registered; pointers valid for the call.
                unsafe { cb(ud.ptr(), conn_ptr(conn), kind, status, message.as_ptr() as *const c_char, message.len()) };
            }))
        })
    })
}

/// Registers the disconnect callback. `free_user_data` as for `on_connect`.
#[no_mangle]
pub extern "C" fn stdb_connection_builder_on_disconnect(
    builder: *mut stdb_connection_builder,
    callback: stdb_disconnect_fn,
    user_data: *mut c_void,
    free_user_data: stdb_free_fn,
) -> stdb_result {
    result_boundary!({
        let ud = UserData::new(user_data, free_user_data);
        let cb = callback.ok_or_else(|| fail(stdb_result::STDB_ERR_NULL, "callback is NULL"))?;
        edit_builder(builder, |b| {
            Ok(b.on_disconnect(move |conn, e| {
                let message = e.map(|e| e.to_string());
                let (ptr, len) = match &message {
                    Some(m) => (m.as_ptr() as *const c_char, m.len()),
                    None => (std::ptr::null(), 0),
                };
                // SAFETY: a C function pointer the caller registered; pointers valid for the call.
                unsafe { cb(ud.ptr(), conn_ptr(conn), ptr, len) };
            }))
        })
    })
}

/// Starts connecting in the background and writes the new connection to `*out`. Always consumes
/// `builder` (even on failure). Returns at once; progress arrives through the callbacks when the
/// connection is ticked.
#[no_mangle]
pub extern "C" fn stdb_connection_builder_build(
    builder: *mut stdb_connection_builder,
    out: *mut *mut stdb_connection,
) -> stdb_result {
    result_boundary!({
        // SAFETY: NULL or a live builder owned by the caller, which gives it up here.
        let b = unsafe { take(builder) }.ok_or_else(|| fail(stdb_result::STDB_ERR_NULL, "builder is NULL"))?;
        if out.is_null() {
            return Err(fail(stdb_result::STDB_ERR_NULL, "output pointer out is NULL"));
        }
        let conn = check(b.build())?;
        // SAFETY: checked non-null above; the caller promises it is writable.
        unsafe { write_out(out, into_handle::<stdb_connection>(conn), "out") }
    })
}

// ---- connection ---------------------------------------------------------------------------------

/// Releases the caller's handle. NULL is ignored. If no other reference remains (a running
/// `stdb_run_threaded` thread holds one), the socket is closed. Safe inside callbacks (the tick
/// keeps its own reference).
#[no_mangle]
pub extern "C" fn stdb_connection_free(conn: *mut stdb_connection) {
    boundary!((), {
        // SAFETY: NULL or a live handle from `stdb_connection_builder_build`, not used afterwards.
        drop(unsafe { take(conn) });
    })
}

/// Registering a callback on a connection that has ended is an error: it could never run.
pub(crate) fn check_can_register(c: &DbConnection) -> Result<(), stdb_result> {
    if c.is_active() {
        Ok(())
    } else {
        Err(fail(stdb_result::STDB_ERR_DISCONNECTED, "the connection has ended: a callback registered now would never run"))
    }
}

pub(crate) fn conn_clone(conn: *const stdb_connection) -> Result<DbConnection, stdb_result> {
    // SAFETY: NULL or a live connection handle (owned, or borrowed inside a callback).
    // Cloning lets the caller free its handle from inside a callback we are about to run.
    Ok(unsafe { borrow(conn, "conn")? }.clone())
}

/// Outcome of `stdb_frame_tick_budget`.
#[repr(C)]
pub struct stdb_tick_report {
    /// Messages applied in this call.
    pub processed: u32,
    /// Messages still waiting because the budget ran out.
    pub remaining: u32,
}

/// Applies everything that has arrived and runs its callbacks on this thread; never blocks.
/// Returns `STDB_ERR_DISCONNECTED` once the connection has ended (after `on_disconnect` or
/// `on_connect_error` ran), `STDB_ERR_REENTRANT` from inside a callback or while another thread
/// ticks this connection.
#[no_mangle]
pub extern "C" fn stdb_frame_tick(conn: *const stdb_connection) -> stdb_result {
    result_boundary!({ check(conn_clone(conn)?.frame_tick()) })
}

/// Like `stdb_frame_tick`, but stops after `max_messages` messages (0 = no limit) or after
/// `max_micros` microseconds (0 = no limit, checked between messages). `out` may be NULL.
#[no_mangle]
pub extern "C" fn stdb_frame_tick_budget(
    conn: *const stdb_connection,
    max_messages: u32,
    max_micros: u64,
    out: *mut stdb_tick_report,
) -> stdb_result {
    result_boundary!({
        let max = if max_messages == 0 { usize::MAX } else { max_messages as usize };
        let time = (max_micros != 0).then(|| Duration::from_micros(max_micros));
        let report = check(conn_clone(conn)?.frame_tick_budget(max, time))?;
        if !out.is_null() {
            let r = stdb_tick_report {
                processed: report.processed as u32,
                remaining: report.remaining.min(u32::MAX as usize) as u32,
            };
            // SAFETY: non-null, and writable per the header.
            unsafe { out.write(r) };
        }
        Ok(())
    })
}

/// Applies at most one waiting message; `*processed` (may be NULL) tells whether one was.
#[no_mangle]
pub extern "C" fn stdb_advance_one_message(conn: *const stdb_connection, processed: *mut bool) -> stdb_result {
    result_boundary!({
        let did = check(conn_clone(conn)?.advance_one_message())?;
        if !processed.is_null() {
            // SAFETY: non-null, writable per the header.
            unsafe { processed.write(did) };
        }
        Ok(())
    })
}

/// Ticks the connection on a new background thread until it ends; all of its callbacks then run
/// on that thread — a thread the host did not create, so a host whose callbacks must run on its
/// own thread (LuaJIT, or any single-threaded interpreter) must tick with `stdb_frame_tick`
/// instead. The thread holds its own reference, so the handle may be freed meanwhile; the thread
/// ends after the connection ends (`on_disconnect` or `on_connect_error` ran), and releases that
/// reference then, so finalizers may run on it. `stdb_library_shutdown` joins it.
/// `STDB_ERR_INVALID_STATE` if a tick thread was already started for this connection (one per
/// connection: a second would only contend for the tick).
#[no_mangle]
pub extern "C" fn stdb_run_threaded(conn: *const stdb_connection) -> stdb_result {
    result_boundary!({
        let c = conn_clone(conn)?;
        if !c.is_active() {
            return Err(fail(stdb_result::STDB_ERR_DISCONNECTED, "the connection is not active"));
        }
        // Kept so that `stdb_library_shutdown` can join the thread once the connection is gone.
        crate::runtime::adopt_tick_thread(check(c.run_threaded())?);
        Ok(())
    })
}

/// Closes the connection; `on_disconnect` runs (with no error) on a later tick.
/// `STDB_ERR_DISCONNECTED` if it already ended or disconnect was already called.
#[no_mangle]
pub extern "C" fn stdb_connection_disconnect(conn: *const stdb_connection) -> stdb_result {
    result_boundary!({ check(conn_clone(conn)?.disconnect()) })
}

/// True from build until a tick has reported the end of the connection. False for NULL.
#[no_mangle]
pub extern "C" fn stdb_connection_is_active(conn: *const stdb_connection) -> bool {
    boundary!(false, { conn_clone(conn).is_ok_and(|c| c.is_active()) })
}

/// Our identity; `STDB_ERR_INVALID_STATE` before `on_connect`.
#[no_mangle]
pub extern "C" fn stdb_connection_identity(conn: *const stdb_connection, out: *mut stdb_identity) -> stdb_result {
    result_boundary!({
        let id = check(conn_clone(conn)?.identity())?;
        // SAFETY: `write_out` checks for NULL; writable per the header.
        unsafe { write_out(out, id.into(), "out") }
    })
}

/// This connection's id (known from build).
#[no_mangle]
pub extern "C" fn stdb_connection_get_connection_id(conn: *const stdb_connection, out: *mut stdb_connection_id) -> stdb_result {
    result_boundary!({
        let id = conn_clone(conn)?.connection_id();
        // SAFETY: as above.
        unsafe { write_out(out, id.into(), "out") }
    })
}

/// A copy of our token (UTF-8, not NUL-terminated) in `*out`, to release with `stdb_buffer_free`;
/// `STDB_ERR_INVALID_STATE` before `on_connect`.
#[no_mangle]
pub extern "C" fn stdb_connection_token(conn: *const stdb_connection, out: *mut stdb_buffer) -> stdb_result {
    result_boundary!({
        let c = conn_clone(conn)?;
        if out.is_null() {
            return Err(fail(stdb_result::STDB_ERR_NULL, "output pointer out is NULL"));
        }
        let token = c.token().ok_or_else(|| fail(stdb_result::STDB_ERR_INVALID_STATE, "no token before on_connect"))?;
        // SAFETY: as above.
        unsafe { write_out(out, stdb_buffer::from_vec(token.into_bytes()), "out") }
    })
}

/// A snapshot of the connection's counters.
#[no_mangle]
pub extern "C" fn stdb_connection_metrics(conn: *const stdb_connection, out: *mut Metrics) -> stdb_result {
    result_boundary!({
        let m = conn_clone(conn)?.metrics();
        // SAFETY: as above.
        unsafe { write_out(out, m, "out") }
    })
}

// ---- reducers -----------------------------------------------------------------------------------

/// Reducer call flags: the caller hears about every outcome (default) …
pub const STDB_CALL_FULL_UPDATE: u32 = 0;
/// … or only about failures and changes to rows it subscribed to.
pub const STDB_CALL_NO_SUCCESS_NOTIFY: u32 = 1;

/// Calls a reducer with BSATN arguments (its parameters concatenated). Sent at once, from this
/// thread; any thread may call. The arguments are checked against the reducer's parameter types
/// first: on mismatch (`STDB_ERR_INVALID_ARGUMENT`) nothing is sent. `out_request_id` may be NULL.
#[no_mangle]
pub extern "C" fn stdb_connection_call_reducer(
    conn: *const stdb_connection,
    reducer: *const c_char,
    reducer_len: usize,
    args: *const u8,
    args_len: usize,
    flags: u32,
    out_request_id: *mut u32,
) -> stdb_result {
    result_boundary!({
        let c = conn_clone(conn)?;
        // SAFETY: pointer + length pairs, per the header.
        let name = unsafe { str_arg(reducer, reducer_len, "reducer name")? };
        // SAFETY: as above.
        let args = unsafe { bytes_arg(args, args_len, "args")? };
        let flags = match flags {
            STDB_CALL_FULL_UPDATE => CallReducerFlags::FullUpdate,
            STDB_CALL_NO_SUCCESS_NOTIFY => CallReducerFlags::NoSuccessNotify,
            other => return Err(fail(stdb_result::STDB_ERR_INVALID_ARGUMENT, format!("unknown call flags {other}"))),
        };
        let id = check(c.call_reducer(name, args, flags))?;
        if !out_request_id.is_null() {
            // SAFETY: non-null, writable per the header.
            unsafe { out_request_id.write(id) };
        }
        Ok(())
    })
}

fn reducer_closure(
    cb: unsafe extern "C" fn(*mut c_void, *const stdb_connection, *const stdb_event, *const stdb_reducer_event),
    ud: UserData,
) -> impl FnMut(&crate::EventContext, &crate::ReducerEvent) + Send + 'static {
    move |ctx, r| {
        // SAFETY: a C function pointer the caller registered; every pointer is valid for the call.
        unsafe { cb(ud.ptr(), conn_ptr(ctx.conn), event_ptr(ctx.event), reducer_event_ptr(r)) }
    }
}

/// Runs `callback` after each run of the named reducer we are told about (our own calls, failed
/// ones included). `*out_id` (may be NULL) identifies it for `stdb_connection_remove_on_reducer`.
/// `free_user_data` runs once when the callback is removed or the connection is dropped.
/// Takes effect from the next event. `STDB_ERR_DISCONNECTED` once the connection has ended (the
/// callback could never run; `free_user_data` runs at once).
#[no_mangle]
pub extern "C" fn stdb_connection_on_reducer(
    conn: *const stdb_connection,
    reducer: *const c_char,
    reducer_len: usize,
    callback: stdb_reducer_fn,
    user_data: *mut c_void,
    free_user_data: stdb_free_fn,
    out_id: *mut u64,
) -> stdb_result {
    result_boundary!({
        let ud = UserData::new(user_data, free_user_data);
        let c = conn_clone(conn)?;
        // SAFETY: pointer + length, per the header.
        let name = unsafe { str_arg(reducer, reducer_len, "reducer name")? };
        let cb = callback.ok_or_else(|| fail(stdb_result::STDB_ERR_NULL, "callback is NULL"))?;
        check_can_register(&c)?;
        let id = check(c.on_reducer(name, reducer_closure(cb, ud)))?;
        if !out_id.is_null() {
            // SAFETY: non-null, writable per the header.
            unsafe { out_id.write(id) };
        }
        Ok(())
    })
}

/// Runs `callback` after every reducer event, whatever the reducer. As `stdb_connection_on_reducer`.
#[no_mangle]
pub extern "C" fn stdb_connection_on_any_reducer(
    conn: *const stdb_connection,
    callback: stdb_reducer_fn,
    user_data: *mut c_void,
    free_user_data: stdb_free_fn,
    out_id: *mut u64,
) -> stdb_result {
    result_boundary!({
        let ud = UserData::new(user_data, free_user_data);
        let c = conn_clone(conn)?;
        let cb = callback.ok_or_else(|| fail(stdb_result::STDB_ERR_NULL, "callback is NULL"))?;
        check_can_register(&c)?;
        let id = c.on_any_reducer(reducer_closure(cb, ud));
        if !out_id.is_null() {
            // SAFETY: non-null, writable per the header.
            unsafe { out_id.write(id) };
        }
        Ok(())
    })
}

/// Removes a reducer callback (effective from the next event). `STDB_ERR_INVALID_ARGUMENT` if
/// `id` is not registered.
#[no_mangle]
pub extern "C" fn stdb_connection_remove_on_reducer(conn: *const stdb_connection, id: u64) -> stdb_result {
    result_boundary!({
        if conn_clone(conn)?.remove_on_reducer(id) {
            Ok(())
        } else {
            Err(fail(stdb_result::STDB_ERR_INVALID_ARGUMENT, format!("no reducer callback with id {id}")))
        }
    })
}

// ---- one-off queries ----------------------------------------------------------------------------

/// Runs a SQL query once; `callback` receives the rows (or the error) on a later tick. The cache
/// is untouched. `free_user_data` runs once after the callback ran or can no longer run.
#[no_mangle]
pub extern "C" fn stdb_connection_one_off_query(
    conn: *const stdb_connection,
    sql: *const c_char,
    sql_len: usize,
    callback: stdb_one_off_fn,
    user_data: *mut c_void,
    free_user_data: stdb_free_fn,
) -> stdb_result {
    result_boundary!({
        let ud = UserData::new(user_data, free_user_data);
        let c = conn_clone(conn)?;
        // SAFETY: pointer + length, per the header.
        let sql = unsafe { str_arg(sql, sql_len, "sql")? };
        let cb = callback.ok_or_else(|| fail(stdb_result::STDB_ERR_NULL, "callback is NULL"))?;
        check(c.one_off_query(sql, move |conn, result| match result {
            Ok(tables) => {
                let rows = RowListOwned::from_tables(&tables);
                // SAFETY: a C function pointer the caller registered; pointers valid for the call.
                unsafe { cb(ud.ptr(), conn_ptr(conn), std::ptr::null(), 0, rows.as_ptr()) }
            }
            Err(e) => {
                // SAFETY: as above.
                unsafe { cb(ud.ptr(), conn_ptr(conn), e.as_ptr() as *const c_char, e.len(), std::ptr::null()) }
            }
        }))
    })
}
