//! Protocol choice and what only protocol v2 (SpacetimeDB 2.x) offers: negotiation settings,
//! confirmed reads, and procedure calls.

use super::boundary::{check, fail, result_boundary, stdb_result};
use super::connection::{conn_clone, conn_ptr, edit_builder, stdb_connection, stdb_connection_builder};
use super::types::*;
use crate::protocol::Protocol;
use std::ffi::{c_char, c_void};

/// `STDB_PROTOCOL_*`: the WebSocket protocols (`v1.bsatn.spacetimedb` …).
pub const STDB_PROTOCOL_V1: i32 = 1;
pub const STDB_PROTOCOL_V2: i32 = 2;
pub const STDB_PROTOCOL_V3: i32 = 3;

fn protocol_code(p: Protocol) -> i32 {
    match p {
        Protocol::V1 => STDB_PROTOCOL_V1,
        Protocol::V2 => STDB_PROTOCOL_V2,
        Protocol::V3 => STDB_PROTOCOL_V3,
    }
}

/// The protocols to offer, most preferred first (`count` values of `STDB_PROTOCOL_*`). The
/// default offers v3, v2 and v1; the server picks one (a 1.x server always picks v1). Offering
/// only `STDB_PROTOCOL_V1` makes a 2.x server speak v1 (no event tables, no procedures).
#[no_mangle]
pub extern "C" fn stdb_connection_builder_set_protocols(
    builder: *mut stdb_connection_builder,
    protocols: *const i32,
    count: usize,
) -> stdb_result {
    result_boundary!({
        // NULL is reported as such before the values are looked at.
        if builder.is_null() {
            return Err(fail(stdb_result::STDB_ERR_NULL, "builder is NULL"));
        }
        if protocols.is_null() {
            return Err(fail(stdb_result::STDB_ERR_NULL, "protocols is NULL"));
        }
        if count == 0 || count > 3 {
            return Err(fail(stdb_result::STDB_ERR_INVALID_ARGUMENT, format!("{count} protocols; give 1 to 3")));
        }
        // SAFETY: non-null, `count` readable values per the header; `count` is at most 3.
        let codes = unsafe { std::slice::from_raw_parts(protocols, count) };
        let mut list = Vec::with_capacity(count);
        for &code in codes {
            let p = match code {
                STDB_PROTOCOL_V1 => Protocol::V1,
                STDB_PROTOCOL_V2 => Protocol::V2,
                STDB_PROTOCOL_V3 => Protocol::V3,
                other => return Err(fail(stdb_result::STDB_ERR_INVALID_ARGUMENT, format!("unknown protocol {other}"))),
            };
            if !list.contains(&p) {
                list.push(p);
            }
        }
        edit_builder(builder, |b| Ok(b.with_protocols(&list)))
    })
}

/// Confirmed reads: 1 = updates only once durable, 0 = as soon as committed, -1 = the server's
/// default (on for v2/v3 on 2.x servers, off for v1).
#[no_mangle]
pub extern "C" fn stdb_connection_builder_set_confirmed_reads(
    builder: *mut stdb_connection_builder,
    confirmed: i32,
) -> stdb_result {
    result_boundary!({
        if builder.is_null() {
            return Err(fail(stdb_result::STDB_ERR_NULL, "builder is NULL"));
        }
        let value = match confirmed {
            -1 => None,
            0 => Some(false),
            1 => Some(true),
            other => {
                return Err(fail(stdb_result::STDB_ERR_INVALID_ARGUMENT, format!("confirmed reads {other} is not -1, 0 or 1")))
            }
        };
        edit_builder(builder, |b| Ok(b.with_confirmed_reads(value)))
    })
}

/// The protocol the server picked (`STDB_PROTOCOL_*`); `STDB_ERR_INVALID_STATE` before
/// `on_connect`.
#[no_mangle]
pub extern "C" fn stdb_connection_protocol(conn: *const stdb_connection, out: *mut i32) -> stdb_result {
    result_boundary!({
        let p = conn_clone(conn)?
            .protocol()
            .ok_or_else(|| fail(stdb_result::STDB_ERR_INVALID_STATE, "the protocol is not known before on_connect"))?;
        // SAFETY: `write_out` checks for NULL; writable per the header.
        unsafe { write_out(out, protocol_code(p), "out") }
    })
}

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
        let cb = callback.ok_or_else(|| fail(stdb_result::STDB_ERR_NULL, "callback is NULL"))?;
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
        if !out_request_id.is_null() {
            // SAFETY: non-null, writable per the header.
            unsafe { out_request_id.write(id) };
        }
        Ok(())
    })
}
