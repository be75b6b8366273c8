//! Tables: counts, iteration, unique finds, btree scans and row callbacks.

use super::boundary::{boundary, check, fail, result_boundary, stdb_result};
use super::connection::{conn_ptr, stdb_connection};
use super::event::{event_ptr, stdb_event};
use super::rows::{stdb_row_list, RowListOwned};
use super::types::*;
use crate::connection::{DbConnection, TableHandle};
use std::ffi::{c_char, c_void};
use std::ops::Bound;

/// One table of a connection's cache. Owned: release with `stdb_table_free`. Any thread.
pub struct stdb_table {
    _private: [u8; 0],
}
impl Handle for stdb_table {
    type Rust = TableHandle;
}
impl OwnedHandle for stdb_table {}

/// Called for each row of a table; return false to stop. `row` is borrowed for the call.
pub type stdb_row_visitor = Option<unsafe extern "C" fn(user_data: *mut c_void, row: *const u8, row_len: usize) -> bool>;
/// Called for an inserted or deleted row. Pointers are valid during the call only.
pub type stdb_row_fn = Option<
    unsafe extern "C" fn(
        user_data: *mut c_void,
        conn: *const stdb_connection,
        event: *const stdb_event,
        row: *const u8,
        row_len: usize,
    ),
>;
/// Called for an updated row (same primary key). Pointers are valid during the call only.
pub type stdb_update_fn = Option<
    unsafe extern "C" fn(
        user_data: *mut c_void,
        conn: *const stdb_connection,
        event: *const stdb_event,
        old_row: *const u8,
        old_len: usize,
        new_row: *const u8,
        new_len: usize,
    ),
>;

/// Looks up a table by name (needs the schema: after `on_connect`, or at once when the builder
/// was given one). `*out` is a new handle to release with `stdb_table_free`.
#[no_mangle]
pub extern "C" fn stdb_connection_table(
    conn: *const stdb_connection,
    name: *const c_char,
    name_len: usize,
    out: *mut *mut stdb_table,
) -> stdb_result {
    result_boundary!({
        // SAFETY: NULL or a live connection.
        let c: &DbConnection = unsafe { borrow(conn, "conn")? };
        // SAFETY: pointer + length, per the header.
        let name = unsafe { str_arg(name, name_len, "table name")? };
        if out.is_null() {
            return Err(fail(stdb_result::STDB_ERR_NULL, "output pointer out is NULL"));
        }
        let t = check(c.table(name))?;
        // SAFETY: non-null, writable per the header.
        unsafe { write_out(out, into_handle::<stdb_table>(t), "out") }
    })
}

/// Releases a table handle. NULL is ignored. Callbacks registered through it stay registered.
#[no_mangle]
pub extern "C" fn stdb_table_free(table: *mut stdb_table) {
    boundary!((), {
        // SAFETY: NULL or a live table handle, not used afterwards.
        drop(unsafe { take(table) });
    })
}

fn table<'a>(t: *const stdb_table) -> Result<&'a TableHandle, stdb_result> {
    // SAFETY: NULL or a live table handle, per the header of every table function.
    unsafe { borrow(t, "table") }
}

/// Rows currently cached (0 for NULL).
#[no_mangle]
pub extern "C" fn stdb_table_count(t: *const stdb_table) -> u64 {
    boundary!(0, { table(t).map_or(0, |t| t.count() as u64) })
}

/// Calls `visitor` with each cached row (BSATN, borrowed for the call) until it returns false.
/// No lock is held meanwhile: the visitor may call into the library.
#[no_mangle]
pub extern "C" fn stdb_table_iter(t: *const stdb_table, visitor: stdb_row_visitor, user_data: *mut c_void) -> stdb_result {
    result_boundary!({
        let t = table(t)?;
        let visit = visitor.ok_or_else(|| fail(stdb_result::STDB_ERR_NULL, "visitor is NULL"))?;
        for row in t.rows() {
            // SAFETY: the caller's function pointer; `row` lives until the end of this iteration.
            if !unsafe { visit(user_data, row.as_ptr(), row.len()) } {
                break;
            }
        }
        Ok(())
    })
}

/// Finds the row whose unique column `column` equals `value` (BSATN of the column's type).
/// On success `*found` says whether it exists and, if so, `*out_row` holds a copy to release with
/// `stdb_buffer_free`. `STDB_ERR_INVALID_ARGUMENT` if the column is not unique or the value's
/// bytes do not match its type.
#[no_mangle]
pub extern "C" fn stdb_table_find(
    t: *const stdb_table,
    column: *const c_char,
    column_len: usize,
    value: *const u8,
    value_len: usize,
    found: *mut bool,
    out_row: *mut stdb_buffer,
) -> stdb_result {
    result_boundary!({
        let t = table(t)?;
        // SAFETY: pointer + length pairs, per the header.
        let column = unsafe { str_arg(column, column_len, "column")? };
        // SAFETY: as above.
        let value = unsafe { bytes_arg(value, value_len, "value")? };
        if found.is_null() || out_row.is_null() {
            return Err(fail(stdb_result::STDB_ERR_NULL, "output pointers must not be NULL"));
        }
        let row = check(t.find(column, value))?;
        // SAFETY: both non-null, writable per the header.
        unsafe {
            found.write(row.is_some());
            if let Some(r) = row {
                out_row.write(stdb_buffer::from_vec(r.to_vec()));
            }
        }
        Ok(())
    })
}

/// Position of a btree index, by the server's index name or the module's accessor name. The
/// position never changes for the connection's lifetime (its schema is fixed): look it up once.
#[no_mangle]
pub extern "C" fn stdb_table_btree_index(
    t: *const stdb_table,
    name: *const c_char,
    name_len: usize,
    out_index: *mut u32,
) -> stdb_result {
    result_boundary!({
        let t = table(t)?;
        // SAFETY: pointer + length, per the header.
        let name = unsafe { str_arg(name, name_len, "index name")? };
        let ix = check(t.btree_index(name))?;
        // SAFETY: `write_out` checks for NULL.
        unsafe { write_out(out_index, ix as u32, "out_index") }
    })
}

/// Bound kinds of `stdb_bound`.
pub const STDB_BOUND_UNBOUNDED: i32 = 0;
pub const STDB_BOUND_INCLUDED: i32 = 1;
pub const STDB_BOUND_EXCLUDED: i32 = 2;

/// One end of a range: `kind` is `STDB_BOUND_*`; `value` is BSATN of the column's type.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct stdb_bound {
    pub kind: i32,
    pub value: stdb_bytes,
}

/// Scans btree index `index`: rows whose first `prefix_len` index columns equal `prefix` (BSATN
/// values) and — when `lower` or `upper` is non-NULL — whose next column lies between the bounds
/// (a NULL bound is unbounded). Rows come in SpacetimeDB's value order. `*out` is an owned row
/// list to release with `stdb_row_list_free`.
#[no_mangle]
pub extern "C" fn stdb_table_btree_scan(
    t: *const stdb_table,
    index: u32,
    prefix: *const stdb_bytes,
    prefix_len: usize,
    lower: *const stdb_bound,
    upper: *const stdb_bound,
    out: *mut *mut stdb_row_list,
) -> stdb_result {
    result_boundary!({
        let t = table(t)?;
        if out.is_null() {
            return Err(fail(stdb_result::STDB_ERR_NULL, "output pointer out is NULL"));
        }
        // SAFETY: `prefix_len` byte views, per the header.
        let values = unsafe { bytes_list_arg(prefix, prefix_len, "prefix value")? };
        let read_bound = |b: *const stdb_bound| -> Result<Bound<&[u8]>, stdb_result> {
            if b.is_null() {
                return Ok(Bound::Unbounded);
            }
            // SAFETY: non-null, pointing to a `stdb_bound`, per the header.
            let b = unsafe { *b };
            // SAFETY: pointer + length, per the header.
            let v = unsafe { bytes_arg(b.value.data, b.value.len, "bound value")? };
            match b.kind {
                STDB_BOUND_UNBOUNDED => Ok(Bound::Unbounded),
                STDB_BOUND_INCLUDED => Ok(Bound::Included(v)),
                STDB_BOUND_EXCLUDED => Ok(Bound::Excluded(v)),
                k => Err(fail(stdb_result::STDB_ERR_INVALID_ARGUMENT, format!("bound kind {k} is not 0, 1 or 2"))),
            }
        };
        let range = if lower.is_null() && upper.is_null() { None } else { Some((read_bound(lower)?, read_bound(upper)?)) };
        let rows = check(t.btree_scan(index as usize, &values, range))?;
        let list = RowListOwned { rows, table_name: t.name() };
        // SAFETY: non-null, writable per the header.
        unsafe { write_out(out, into_handle::<stdb_row_list>(list), "out") }
    })
}

fn register(
    t: *const stdb_table,
    out_id: *mut u64,
    f: impl FnOnce(&TableHandle) -> Result<u64, stdb_result>,
) -> Result<(), stdb_result> {
    let t = table(t)?;
    super::connection::register_callback(t.connection(), out_id, || f(t))
}

/// Which row callback list `register_row_fn` adds to.
enum RowEvent {
    Insert,
    Delete,
}

fn register_row_fn(
    t: *const stdb_table,
    which: RowEvent,
    callback: stdb_row_fn,
    ud: UserData,
    out_id: *mut u64,
) -> Result<(), stdb_result> {
    let cb = required(callback, "callback")?;
    let f = move |ctx: &crate::EventContext, row: &[u8]| {
        // SAFETY: the caller's function pointer; pointers valid for the call.
        unsafe { cb(ud.ptr(), conn_ptr(ctx.conn), event_ptr(ctx.event), row.as_ptr(), row.len()) }
    };
    register(t, out_id, |t| match which {
        RowEvent::Insert => Ok(t.on_insert(f)),
        RowEvent::Delete => check(t.on_delete(f)),
    })
}

/// Runs `callback` for each row that enters the cache (from the next event on). `*out_id` (may be
/// NULL) identifies it for `stdb_table_remove_callback`. `free_user_data` runs once when the
/// callback is removed or the connection is dropped. Callbacks run on the ticking thread.
/// `STDB_ERR_DISCONNECTED` once the connection has ended (the callback could never run; its
/// `free_user_data` runs at once).
#[no_mangle]
pub extern "C" fn stdb_table_on_insert(
    t: *const stdb_table,
    callback: stdb_row_fn,
    user_data: *mut c_void,
    free_user_data: stdb_free_fn,
    out_id: *mut u64,
) -> stdb_result {
    result_boundary!({ register_row_fn(t, RowEvent::Insert, callback, UserData::new(user_data, free_user_data), out_id) })
}

/// Runs `callback` for each row that leaves the cache. As `stdb_table_on_insert`.
#[no_mangle]
pub extern "C" fn stdb_table_on_delete(
    t: *const stdb_table,
    callback: stdb_row_fn,
    user_data: *mut c_void,
    free_user_data: stdb_free_fn,
    out_id: *mut u64,
) -> stdb_result {
    result_boundary!({ register_row_fn(t, RowEvent::Delete, callback, UserData::new(user_data, free_user_data), out_id) })
}

/// Runs `callback` when a row is replaced by one with the same primary key (tables with a primary
/// key only; else `STDB_ERR_INVALID_ARGUMENT`). As `stdb_table_on_insert`.
#[no_mangle]
pub extern "C" fn stdb_table_on_update(
    t: *const stdb_table,
    callback: stdb_update_fn,
    user_data: *mut c_void,
    free_user_data: stdb_free_fn,
    out_id: *mut u64,
) -> stdb_result {
    result_boundary!({
        let ud = UserData::new(user_data, free_user_data);
        let cb = required(callback, "callback")?;
        register(t, out_id, |t| {
            check(t.on_update(move |ctx, old, new| {
                // SAFETY: the caller's function pointer; pointers valid for the call.
                unsafe {
                    cb(ud.ptr(), conn_ptr(ctx.conn), event_ptr(ctx.event), old.as_ptr(), old.len(), new.as_ptr(), new.len())
                }
            }))
        })
    })
}

/// Removes a row callback of this table (effective from the next event).
/// `STDB_ERR_INVALID_ARGUMENT` if `id` is not registered on it.
#[no_mangle]
pub extern "C" fn stdb_table_remove_callback(t: *const stdb_table, id: u64) -> stdb_result {
    result_boundary!({
        if table(t)?.remove_callback(id) {
            Ok(())
        } else {
            Err(fail(stdb_result::STDB_ERR_INVALID_ARGUMENT, format!("no callback with id {id} on this table")))
        }
    })
}
