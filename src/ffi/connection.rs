//! A connection's lifetime: ticking, identity, metrics, disconnecting, and one-off queries.

use super::boundary::{boundary, check, fail, result_boundary, stdb_result};
use super::rows::{stdb_row_list, RowListOwned};
use super::types::*;
use crate::connection::DbConnection;
use crate::metrics::Metrics;
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
/// Owned by whoever built it; lent to every callback of the connection.
impl OwnedHandle for stdb_connection {}
impl LentHandle for stdb_connection {}

pub(crate) fn conn_ptr(c: &DbConnection) -> *const stdb_connection {
    lend::<stdb_connection>(c)
}

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

/// Every callback registration that returns an id ends the same way: refused on an ended
/// connection (the callback would never run), else registered and its id reported in `*out_id`
/// (which may be NULL).
pub(crate) fn register_callback(
    c: &DbConnection,
    out_id: *mut u64,
    register: impl FnOnce() -> Result<u64, stdb_result>,
) -> Result<(), stdb_result> {
    check_can_register(c)?;
    let id = register()?;
    // SAFETY: NULL or writable, per the header of every registration.
    unsafe { write_opt(out_id, id) };
    Ok(())
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
    /// Messages still waiting because the budget ran out (counting one left partly applied).
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
/// `max_micros` microseconds (0 = no limit). `out` may be NULL.
///
/// The time is checked inside a message too: a table getting thousands of rows is applied on a
/// copy in the background and swapped in whole by a later call, and row callbacks stop once the
/// time is up and resume where they stopped on the next call. A call therefore returns within
/// `max_micros` plus a small bound, besides the time your callbacks take (a callback is never
/// interrupted; at least one runs per call). The cache is never seen half-applied: a callback sees
/// the cache exactly as its message left it, and the next message is applied only after every
/// callback of this one has run (reducer callbacks first, then per table deletes, updates,
/// inserts). Plain `stdb_frame_tick` applies everything, as before.
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
        let r =
            stdb_tick_report { processed: report.processed as u32, remaining: report.remaining.min(u32::MAX as usize) as u32 };
        // SAFETY: NULL or writable, per the header.
        unsafe { write_opt(out, r) };
        Ok(())
    })
}

/// Applies at most one waiting message; `*processed` (may be NULL) tells whether one was.
#[no_mangle]
pub extern "C" fn stdb_advance_one_message(conn: *const stdb_connection, processed: *mut bool) -> stdb_result {
    result_boundary!({
        let did = check(conn_clone(conn)?.advance_one_message())?;
        // SAFETY: NULL or writable, per the header.
        unsafe { write_opt(processed, did) };
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
        let cb = required(callback, "callback")?;
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
