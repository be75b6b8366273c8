//! Plain C data: byte views, owned buffers, identities, user data, and argument readers.

use super::boundary::{fail, stdb_result};
use std::ffi::c_void;

/// A borrowed byte view. `data` may be NULL when `len` is 0.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct stdb_bytes {
    pub data: *const u8,
    pub len: usize,
}

/// A byte buffer owned by the caller once returned; release it with `stdb_buffer_free`.
#[repr(C)]
pub struct stdb_buffer {
    pub data: *mut u8,
    pub len: usize,
}

impl stdb_buffer {
    pub(crate) fn from_vec(v: Vec<u8>) -> stdb_buffer {
        let boxed = v.into_boxed_slice();
        let len = boxed.len();
        let data = Box::into_raw(boxed) as *mut u8;
        stdb_buffer { data, len }
    }
}

/// An identity: 32 bytes, little-endian as on the wire (its hex form is big-endian).
#[repr(C)]
#[derive(Clone, Copy)]
pub struct stdb_identity {
    pub bytes: [u8; 32],
}

/// A connection id: 16 bytes, little-endian as on the wire (its hex form is big-endian).
#[repr(C)]
#[derive(Clone, Copy)]
pub struct stdb_connection_id {
    pub bytes: [u8; 16],
}

impl From<spacetimedb_lib::Identity> for stdb_identity {
    fn from(i: spacetimedb_lib::Identity) -> Self {
        stdb_identity { bytes: i.to_byte_array() }
    }
}

impl From<spacetimedb_lib::ConnectionId> for stdb_connection_id {
    fn from(c: spacetimedb_lib::ConnectionId) -> Self {
        stdb_connection_id { bytes: c.as_le_byte_array() }
    }
}

/// Finalizer for a `user_data` pointer; the library calls it exactly once, when the registration
/// that holds the pointer is dropped (removed, consumed, or its connection freed).
pub type stdb_free_fn = Option<unsafe extern "C" fn(user_data: *mut c_void)>;

/// The caller's context pointer and its optional finalizer, called exactly once when the
/// library drops its last use of it.
pub(crate) struct UserData {
    ptr: *mut c_void,
    free: stdb_free_fn,
}

// SAFETY: the library never dereferences `ptr`; it only hands it back to the caller's callbacks,
// which the header documents as running on the ticking thread (or, for the finalizer, on the thread
// that drops the registration). Thread rules for what `ptr` points to are the caller's.
unsafe impl Send for UserData {}
unsafe impl Sync for UserData {}

impl UserData {
    pub fn new(ptr: *mut c_void, free: stdb_free_fn) -> UserData {
        UserData { ptr, free }
    }
    pub fn ptr(&self) -> *mut c_void {
        self.ptr
    }
}

impl Drop for UserData {
    fn drop(&mut self) {
        if let Some(free) = self.free.take() {
            // SAFETY: the caller supplied `free` for exactly this pointer; it runs once (taken above).
            unsafe { free(self.ptr) }
        }
    }
}

/// Reads a `(pointer, length)` byte argument; `(NULL, 0)` is the empty slice.
///
/// # Safety
/// `data` must be NULL or point to `len` readable bytes that stay valid for `'a`.
pub(crate) unsafe fn bytes_arg<'a>(data: *const u8, len: usize, what: &str) -> Result<&'a [u8], stdb_result> {
    if data.is_null() {
        return if len == 0 {
            Ok(&[])
        } else {
            Err(fail(stdb_result::STDB_ERR_NULL, format!("{what} is NULL with length {len}")))
        };
    }
    // SAFETY: non-null, and the caller promises `len` readable bytes.
    Ok(unsafe { std::slice::from_raw_parts(data, len) })
}

/// Reads a `(pointer, length)` UTF-8 string argument (not NUL-terminated).
///
/// # Safety
/// As for [`bytes_arg`].
pub(crate) unsafe fn str_arg<'a>(data: *const std::ffi::c_char, len: usize, what: &str) -> Result<&'a str, stdb_result> {
    if data.is_null() {
        return Err(fail(stdb_result::STDB_ERR_NULL, format!("{what} is NULL")));
    }
    // SAFETY: forwarded from the caller's promise.
    let bytes = unsafe { bytes_arg(data as *const u8, len, what)? };
    std::str::from_utf8(bytes).map_err(|e| fail(stdb_result::STDB_ERR_INVALID_UTF8, format!("{what} is not valid UTF-8: {e}")))
}

/// Writes `value` to a required output pointer, failing on NULL.
///
/// # Safety
/// `out` must be NULL or valid for a write of `T`.
pub(crate) unsafe fn write_out<T>(out: *mut T, value: T, what: &str) -> Result<(), stdb_result> {
    if out.is_null() {
        return Err(fail(stdb_result::STDB_ERR_NULL, format!("output pointer {what} is NULL")));
    }
    // SAFETY: non-null and, per the caller, writable; `write` does not drop the old contents.
    unsafe { out.write(value) };
    Ok(())
}

/// Writes `value` to an optional output pointer: NULL means the caller does not want it.
///
/// # Safety
/// `out` must be NULL or valid for a write of `T`.
pub(crate) unsafe fn write_opt<T>(out: *mut T, value: T) {
    if !out.is_null() {
        // SAFETY: non-null and, per the caller, writable.
        unsafe { out.write(value) };
    }
}

/// A required callback argument (C function pointers arrive as `Option`).
pub(crate) fn required<F>(callback: Option<F>, what: &str) -> Result<F, stdb_result> {
    callback.ok_or_else(|| fail(stdb_result::STDB_ERR_NULL, format!("{what} is NULL")))
}

/// Reads an array of `count` byte views; `(NULL, 0)` is the empty array.
///
/// # Safety
/// `views` must be NULL or point to `count` readable `stdb_bytes`, valid for `'a`.
unsafe fn views_arg<'a>(views: *const stdb_bytes, count: usize, what: &str) -> Result<&'a [stdb_bytes], stdb_result> {
    if count == 0 {
        return Ok(&[]);
    }
    if views.is_null() {
        return Err(fail(stdb_result::STDB_ERR_NULL, format!("the array of {what}s is NULL with length {count}")));
    }
    // SAFETY: non-null with `count` elements, per the caller.
    Ok(unsafe { std::slice::from_raw_parts(views, count) })
}

/// Reads an array of byte-string arguments, each a view as [`bytes_arg`] reads it.
///
/// # Safety
/// As for [`views_arg`], and each view as for [`bytes_arg`].
pub(crate) unsafe fn bytes_list_arg<'a>(
    views: *const stdb_bytes,
    count: usize,
    what: &str,
) -> Result<Vec<&'a [u8]>, stdb_result> {
    // SAFETY: forwarded from the caller's promise.
    let views = unsafe { views_arg(views, count, what)? };
    // SAFETY: each view is pointer + length, per the caller.
    views.iter().map(|v| unsafe { bytes_arg(v.data, v.len, what) }).collect()
}

/// Reads an array of UTF-8 string arguments, each a view as [`str_arg`] reads it.
///
/// # Safety
/// As for [`bytes_list_arg`].
pub(crate) unsafe fn str_list_arg<'a>(views: *const stdb_bytes, count: usize, what: &str) -> Result<Vec<&'a str>, stdb_result> {
    // SAFETY: forwarded from the caller's promise.
    let views = unsafe { views_arg(views, count, what)? };
    // SAFETY: each view is pointer + length, per the caller.
    views.iter().map(|v| unsafe { str_arg(v.data as *const std::ffi::c_char, v.len, what) }).collect()
}

// ---- handles ------------------------------------------------------------------------------------
//
// Each opaque C handle type names the Rust value behind it, and how the caller holds it (the
// idea of rustls-ffi's `Castable`): an *owned* handle is a `Box` the caller releases with the
// type's `_free`; a *lent* handle points at a value the library owns and is valid only during the
// callback it is passed to. A type may be both (a connection is owned by whoever built it and lent
// to callbacks). Making and releasing a handle go only through these functions.

/// An opaque C handle type and the Rust value behind it.
pub(crate) trait Handle {
    type Rust;
}

/// Handles the caller owns: made by [`into_handle`], released by [`take`].
pub(crate) trait OwnedHandle: Handle {}

/// Handles the library lends to a callback: made by [`lend`], never freed by the caller.
pub(crate) trait LentHandle: Handle {}

pub(crate) fn into_handle<H: OwnedHandle>(value: H::Rust) -> *mut H {
    Box::into_raw(Box::new(value)) as *mut H
}

/// A handle to `value` for the duration of a callback.
pub(crate) fn lend<H: LentHandle>(value: &H::Rust) -> *const H {
    value as *const H::Rust as *const H
}

/// Borrows a handle, owned or lent.
///
/// # Safety
/// `ptr` must be NULL or a live pointer made by `into_handle::<H>` (not yet freed) or by
/// `lend::<H>` (during the callback it was passed to).
pub(crate) unsafe fn borrow<'a, H: Handle>(ptr: *const H, what: &str) -> Result<&'a H::Rust, stdb_result> {
    if ptr.is_null() {
        return Err(fail(stdb_result::STDB_ERR_NULL, format!("{what} is NULL")));
    }
    // SAFETY: per the contract above, `ptr` points at a live `H::Rust`.
    Ok(unsafe { &*(ptr as *const H::Rust) })
}

/// A lent handle, or `None` for NULL: for the accessors that answer NULL with a neutral value
/// rather than an error.
///
/// # Safety
/// `ptr` must be NULL or made by `lend::<H>` and passed to the callback now running.
pub(crate) unsafe fn lent<'a, H: LentHandle>(ptr: *const H) -> Option<&'a H::Rust> {
    // SAFETY: per the contract, a non-null `ptr` points at the lent value, live for the callback.
    (!ptr.is_null()).then(|| unsafe { &*(ptr as *const H::Rust) })
}

/// Mutably borrows an owned handle. Same contract as [`borrow`], plus no other borrow may be live.
pub(crate) unsafe fn borrow_mut<'a, H: OwnedHandle>(ptr: *mut H, what: &str) -> Result<&'a mut H::Rust, stdb_result> {
    if ptr.is_null() {
        return Err(fail(stdb_result::STDB_ERR_NULL, format!("{what} is NULL")));
    }
    // SAFETY: per the contract, `ptr` is a live, exclusively used `Box<H::Rust>`.
    Ok(unsafe { &mut *(ptr as *mut H::Rust) })
}

/// Takes ownership back from an owned handle (NULL gives `None`).
///
/// # Safety
/// `ptr` must be NULL or a live pointer returned by `into_handle::<H>`; it is invalid afterwards.
pub(crate) unsafe fn take<H: OwnedHandle>(ptr: *mut H) -> Option<Box<H::Rust>> {
    if ptr.is_null() {
        None
    } else {
        // SAFETY: per the contract, `ptr` came from `Box::into_raw` and is not used again.
        Some(unsafe { Box::from_raw(ptr as *mut H::Rust) })
    }
}
