//! Protocol choice: negotiation settings, confirmed reads, and the protocol the server picked.

use super::boundary::{fail, result_boundary, stdb_result};
use super::builder::{edit_builder, stdb_connection_builder};
use super::connection::{conn_clone, stdb_connection};
use super::types::*;
use crate::protocol::Protocol;

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
