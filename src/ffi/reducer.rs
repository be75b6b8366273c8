//! Calling into the module: reducers (with per-reducer and per-call callbacks) and procedures.

use super::boundary::{check, fail, result_boundary, stdb_result};
use super::connection::{conn_clone, conn_ptr, register_callback, stdb_connection};
use super::event::{event_ptr, reducer_event_ptr, stdb_event, stdb_reducer_event};
use super::types::*;
use crate::protocol::CallReducerFlags;
use std::ffi::{c_char, c_void};

/// Called after a reducer run we are told about. Pointers are valid during the call only.
pub type stdb_reducer_fn = Option<
    unsafe extern "C" fn(
        user_data: *mut c_void,
        conn: *const stdb_connection,
        event: *const stdb_event,
        reducer: *const stdb_reducer_event,
    ),
>;

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
        let flags = call_flags(flags)?;
        let id = check(c.call_reducer(name, args, flags))?;
        // SAFETY: NULL or writable, per the header.
        unsafe { write_opt(out_request_id, id) };
        Ok(())
    })
}

/// Called once with the outcome of one reducer call (`stdb_connection_call_reducer_then`): the
/// server's answer as `reducer` (read it with `stdb_reducer_event_info`, the return value with
/// `stdb_reducer_event_return_value`; `error` is NULL), or, when no answer will come (the
/// connection ended or was lost first), `reducer` NULL and `error` saying why. Pointers are valid
/// during the call only.
pub type stdb_reducer_then_fn = Option<
    unsafe extern "C" fn(
        user_data: *mut c_void,
        conn: *const stdb_connection,
        event: *const stdb_event,
        reducer: *const stdb_reducer_event,
        error: *const c_char,
        error_len: usize,
    ),
>;

/// Like `stdb_connection_call_reducer`, and `callback` runs exactly once on a later tick, on the
/// ticking thread, with this call's outcome: after the cache has been updated and the
/// per-reducer callbacks have run, before the row callbacks. `free_user_data` runs once after it
/// ran or can no longer run (also when this function fails). `STDB_CALL_NO_SUCCESS_NOTIFY` is
/// refused on a v1 connection, where a successful call would never be reported.
#[no_mangle]
#[allow(clippy::too_many_arguments)] // name, args and callback, each as the ABI's pointer + length / fn + data + finalizer
pub extern "C" fn stdb_connection_call_reducer_then(
    conn: *const stdb_connection,
    reducer: *const c_char,
    reducer_len: usize,
    args: *const u8,
    args_len: usize,
    flags: u32,
    callback: stdb_reducer_then_fn,
    user_data: *mut c_void,
    free_user_data: stdb_free_fn,
    out_request_id: *mut u32,
) -> stdb_result {
    result_boundary!({
        let ud = UserData::new(user_data, free_user_data);
        let c = conn_clone(conn)?;
        // SAFETY: pointer + length pairs, per the header.
        let name = unsafe { str_arg(reducer, reducer_len, "reducer name")? };
        // SAFETY: as above.
        let args = unsafe { bytes_arg(args, args_len, "args")? };
        let flags = call_flags(flags)?;
        let cb = required(callback, "callback")?;
        let id = check(c.call_reducer_then(name, args, flags, move |ctx, outcome| match outcome {
            // SAFETY: a C function pointer the caller registered; every pointer is valid for the call.
            Ok(r) => unsafe { cb(ud.ptr(), conn_ptr(ctx.conn), event_ptr(ctx.event), reducer_event_ptr(r), std::ptr::null(), 0) },
            // SAFETY: as above.
            Err(why) => unsafe {
                cb(ud.ptr(), conn_ptr(ctx.conn), event_ptr(ctx.event), std::ptr::null(), why.as_ptr() as *const c_char, why.len())
            },
        }))?;
        // SAFETY: NULL or writable, per the header.
        unsafe { write_opt(out_request_id, id) };
        Ok(())
    })
}

fn call_flags(flags: u32) -> Result<CallReducerFlags, stdb_result> {
    match flags {
        STDB_CALL_FULL_UPDATE => Ok(CallReducerFlags::FullUpdate),
        STDB_CALL_NO_SUCCESS_NOTIFY => Ok(CallReducerFlags::NoSuccessNotify),
        other => Err(fail(stdb_result::STDB_ERR_INVALID_ARGUMENT, format!("unknown call flags {other}"))),
    }
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
        let cb = required(callback, "callback")?;
        register_callback(&c, out_id, || check(c.on_reducer(name, reducer_closure(cb, ud))))
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
        let cb = required(callback, "callback")?;
        register_callback(&c, out_id, || Ok(c.on_any_reducer(reducer_closure(cb, ud))))
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

// ---- procedures (protocol v2) -------------------------------------------------------------------

/// Called with a procedure's outcome: on success `error` is NULL and `ret` holds the BSATN return
/// value (`ret_len` bytes); on failure `ret` is NULL and `error` is the server's message.
/// `host_duration_micros` is the time the host spent running it. Pointers are valid during the call.
pub type stdb_procedure_fn = Option<
    unsafe extern "C" fn(
        user_data: *mut c_void,
        conn: *const stdb_connection,
        ret: *const u8,
        ret_len: usize,
        error: *const c_char,
        error_len: usize,
        host_duration_micros: i64,
    ),
>;

/// Calls the procedure `name` with BSATN `args` (its parameters concatenated, checked against
/// the schema first: on mismatch nothing is sent). `callback` receives the outcome on a later
/// tick, on the ticking thread; `free_user_data` runs once after it ran or can no longer run.
/// Needs protocol v2 (a 2.x server): `STDB_ERR_INVALID_STATE` on a v1 connection.
/// `out_request_id` may be NULL.
#[no_mangle]
#[allow(clippy::too_many_arguments)] // name, args and callback, each as the ABI's pointer + length / fn + data + finalizer
pub extern "C" fn stdb_connection_call_procedure(
    conn: *const stdb_connection,
    name: *const c_char,
    name_len: usize,
    args: *const u8,
    args_len: usize,
    callback: stdb_procedure_fn,
    user_data: *mut c_void,
    free_user_data: stdb_free_fn,
    out_request_id: *mut u32,
) -> stdb_result {
    result_boundary!({
        let ud = UserData::new(user_data, free_user_data);
        let c = conn_clone(conn)?;
        // SAFETY: pointer + length pairs, per the header.
        let name = unsafe { str_arg(name, name_len, "procedure name")? };
        // SAFETY: as above.
        let args = unsafe { bytes_arg(args, args_len, "args")? };
        let cb = required(callback, "callback")?;
        let id = check(c.call_procedure(name, args, move |conn, outcome| {
            let micros = outcome.host_duration.to_micros();
            match &outcome.result {
                // SAFETY: a C function pointer the caller registered; pointers valid for the call.
                Ok(ret) => unsafe { cb(ud.ptr(), conn_ptr(conn), ret.as_ptr(), ret.len(), std::ptr::null(), 0, micros) },
                // SAFETY: as above.
                Err(e) => unsafe {
                    cb(ud.ptr(), conn_ptr(conn), std::ptr::null(), 0, e.as_ptr() as *const c_char, e.len(), micros)
                },
            }
        }))?;
        // SAFETY: NULL or writable, per the header.
        unsafe { write_opt(out_request_id, id) };
        Ok(())
    })
}
