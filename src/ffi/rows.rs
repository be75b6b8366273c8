//! Row lists handed to C: results of index scans and one-off queries.

use super::boundary::{boundary, fail, result_boundary, stdb_result};
use super::types::{borrow, lend, take, Handle, LentHandle, OwnedHandle};
use crate::protocol::RowList;
use bytes::Bytes;

/// A list of BSATN rows. Lists returned by `stdb_table_btree_scan` are owned (release with
/// `stdb_row_list_free`); lists passed to callbacks are borrowed for the call.
pub struct stdb_row_list {
    _private: [u8; 0],
}

pub(crate) struct RowListOwned {
    pub rows: Vec<Bytes>,
    /// For one-off results: the table each row came from.
    pub table_name: String,
}

impl Handle for stdb_row_list {
    type Rust = RowListOwned;
}
/// Owned when a lookup returns it; lent to a one-off query's callback.
impl OwnedHandle for stdb_row_list {}
impl LentHandle for stdb_row_list {}

impl RowListOwned {
    pub fn from_tables(tables: &[(String, RowList)]) -> RowListOwned {
        let mut rows = Vec::new();
        for (_, list) in tables {
            rows.extend((0..list.len()).map(|i| list.data().slice(list.range(i))));
        }
        RowListOwned { rows, table_name: tables.first().map(|t| t.0.clone()).unwrap_or_default() }
    }

    pub fn as_ptr(&self) -> *const stdb_row_list {
        lend::<stdb_row_list>(self)
    }
}

/// Number of rows in the list (0 for NULL).
#[no_mangle]
pub extern "C" fn stdb_row_list_len(list: *const stdb_row_list) -> usize {
    boundary!(0, {
        // SAFETY: NULL or a live list (owned, or borrowed during a callback).
        unsafe { borrow(list, "list") }.map_or(0, |l| l.rows.len())
    })
}

/// Row `index` of the list: `*data`/`*len` borrow from the list (valid while it lives).
/// `STDB_ERR_INVALID_ARGUMENT` if `index` is out of range.
#[no_mangle]
pub extern "C" fn stdb_row_list_get(
    list: *const stdb_row_list,
    index: usize,
    data: *mut *const u8,
    len: *mut usize,
) -> stdb_result {
    result_boundary!({
        // SAFETY: NULL or a live list.
        let l = unsafe { borrow(list, "list")? };
        if data.is_null() || len.is_null() {
            return Err(fail(stdb_result::STDB_ERR_NULL, "output pointers must not be NULL"));
        }
        let row = l.rows.get(index).ok_or_else(|| {
            fail(stdb_result::STDB_ERR_INVALID_ARGUMENT, format!("row {index} is out of range (the list has {})", l.rows.len()))
        })?;
        // SAFETY: both checked non-null; writable per the header.
        unsafe {
            data.write(row.as_ptr());
            len.write(row.len());
        }
        Ok(())
    })
}

/// For one-off query results: the name of the table the rows come from (UTF-8, not
/// NUL-terminated, borrowed from the list). Empty for NULL.
#[no_mangle]
pub extern "C" fn stdb_row_list_table_name(list: *const stdb_row_list) -> super::types::stdb_bytes {
    boundary!(super::types::stdb_bytes { data: std::ptr::null(), len: 0 }, {
        // SAFETY: NULL or a live list.
        match unsafe { borrow(list, "list") } {
            Ok(l) => super::types::stdb_bytes { data: l.table_name.as_ptr(), len: l.table_name.len() },
            Err(_) => super::types::stdb_bytes { data: std::ptr::null(), len: 0 },
        }
    })
}

/// Frees an owned row list. NULL is ignored. Never call it on a list passed to a callback.
#[no_mangle]
pub extern "C" fn stdb_row_list_free(list: *mut stdb_row_list) {
    boundary!((), {
        // SAFETY: NULL or an owned list from the library, not used afterwards.
        drop(unsafe { take(list) });
    })
}
