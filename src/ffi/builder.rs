//! The connection builder: settings and lifecycle callbacks, consumed by `build`.

use super::boundary::{boundary, check, fail, result_boundary, stdb_result};
use super::connection::{conn_ptr, stdb_connection};
use super::types::*;
use crate::connection::{Compression, DbConnection, DbConnectionBuilder, ReconnectPolicy};
use crate::error::{ConnectErrorKind, Error};
use crate::schema::Schema;
use std::ffi::{c_char, c_void};
use std::time::Duration;

/// Connection settings, consumed by `stdb_connection_builder_build`.
/// Connection settings, consumed by `stdb_connection_builder_build`.
pub struct stdb_connection_builder {
    _private: [u8; 0],
}
impl Handle for stdb_connection_builder {
    type Rust = DbConnectionBuilder;
}
impl OwnedHandle for stdb_connection_builder {}

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

/// Bounds the memory a connection uses while the host does not tick: once the decoded messages
/// waiting for a tick hold `bytes` (decompressed size; default 64 MiB, 0 is taken as 1), the
/// connection stops reading the socket, so the server and TCP hold the rest, and resumes as ticks
/// apply what is queued. Nothing is dropped. A frame is decoded whole, so the queue may exceed the
/// limit by the one frame that reached it (`stdb_metrics.largest_frame_bytes`). A server that gives up on a client this slow closes
/// the socket; `on_disconnect` (or the reconnect, if on) reports it once the queue before it has
/// been applied. `stdb_metrics.queued_bytes`, `queued_bytes_peak` and `read_pauses` show it at work.
#[no_mangle]
pub extern "C" fn stdb_connection_builder_set_max_queued_bytes(builder: *mut stdb_connection_builder, bytes: u64) -> stdb_result {
    result_boundary!({ edit_builder(builder, |b| Ok(b.with_max_queued_bytes(bytes))) })
}

/// Turns on automatic reconnection after a lost connection: up to `max_attempts` attempts per
/// outage, waiting `initial_delay_ms` before the first and doubling up to `max_delay_ms`. The
/// client comes back as the same identity (with a new connection id), renews its subscriptions
/// and reconciles the cache: row callbacks then report exactly what changed while it was away,
/// with an event of kind `STDB_EVENT_RECONNECTED`. Calls made while reconnecting return
/// `STDB_ERR_DISCONNECTED`. `max_attempts` 0 turns reconnection off. A token the server rejects
/// (HTTP 401) ends the attempts at once; `on_disconnect` reports it, as it does the last error
/// when the attempts run out.
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
        let cb = required(callback, "callback")?;
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
        let cb = required(callback, "callback")?;
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
        let cb = required(callback, "callback")?;
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
        let cb = required(callback, "callback")?;
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
