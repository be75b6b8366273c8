//! The panic boundary, result codes and thread-local last error shared by every export.

use crate::error::Error;
use std::cell::RefCell;
use std::ffi::CString;

/// Result of every fallible function. The numbers are stable across releases.
#[repr(i32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[allow(non_camel_case_types)]
pub enum stdb_result {
    STDB_OK = 0,
    /// A required pointer argument was NULL.
    STDB_ERR_NULL = 1,
    /// A string argument was not valid UTF-8.
    STDB_ERR_INVALID_UTF8 = 2,
    /// An argument was out of range or did not match the schema's types.
    STDB_ERR_INVALID_ARGUMENT = 3,
    STDB_ERR_UNKNOWN_TABLE = 4,
    STDB_ERR_UNKNOWN_REDUCER = 5,
    STDB_ERR_UNKNOWN_INDEX = 6,
    /// The connection is not active (never connected, disconnected, or ended).
    STDB_ERR_DISCONNECTED = 7,
    /// The connection is already being ticked (from a callback, or by another thread).
    STDB_ERR_REENTRANT = 8,
    /// The call does not fit the object's state (e.g. before the schema or identity is known).
    STDB_ERR_INVALID_STATE = 9,
    STDB_ERR_CONNECT = 10,
    STDB_ERR_PROTOCOL = 11,
    STDB_ERR_IO = 12,
    /// A Rust panic was caught at the boundary; the library state may be inconsistent.
    STDB_ERR_PANIC = 99,
}

thread_local! {
    static LAST_ERROR: RefCell<CString> = RefCell::new(CString::default());
}

pub(crate) fn set_last_error(message: &str) {
    let c = CString::new(message.replace('\0', "\\0")).unwrap_or_default();
    LAST_ERROR.with(|e| *e.borrow_mut() = c);
}

/// Records `e` as the last error and returns its result code.
pub(crate) fn fail(code: stdb_result, message: impl AsRef<str>) -> stdb_result {
    set_last_error(message.as_ref());
    code
}

pub(crate) fn from_error(e: &Error) -> stdb_result {
    use stdb_result::*;
    let code = match e {
        Error::Connect { .. } => STDB_ERR_CONNECT,
        Error::Protocol(_) => STDB_ERR_PROTOCOL,
        Error::ConnectionLost(_) | Error::SubscriptionFatal(_) | Error::Disconnected => STDB_ERR_DISCONNECTED,
        Error::Reentrant => STDB_ERR_REENTRANT,
        Error::UnknownTable(_) => STDB_ERR_UNKNOWN_TABLE,
        // Procedures share the reducer code: both are "no such function" to a C caller.
        Error::UnknownReducer(_) | Error::UnknownProcedure(_) => STDB_ERR_UNKNOWN_REDUCER,
        Error::UnknownIndex(_) => STDB_ERR_UNKNOWN_INDEX,
        Error::InvalidArgument(_) => STDB_ERR_INVALID_ARGUMENT,
        Error::InvalidState(_) => STDB_ERR_INVALID_STATE,
        Error::Io(_) => STDB_ERR_IO,
    };
    fail(code, e.to_string())
}

/// The message describing the last error on this thread (NUL-terminated, empty if none); valid
/// until the next `stdb_` call on this thread.
pub(crate) fn last_error_ptr() -> *const std::ffi::c_char {
    LAST_ERROR.with(|e| e.borrow().as_ptr())
}

/// Runs an export's body, turning a panic into `default` (and a last-error message), so no
/// unwinding ever crosses into C.
macro_rules! boundary {
    ($default:expr, $body:block) => {{
        match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| $body)) {
            Ok(v) => v,
            Err(payload) => {
                let what = payload
                    .downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| payload.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "unknown panic".into());
                $crate::ffi::boundary::set_last_error(&format!("internal error (panic): {what}"));
                $default
            }
        }
    }};
}
pub(crate) use boundary;

/// `boundary!` for functions returning `stdb_result`: `?` on a `Result<_, stdb_result>` works
/// inside, and success clears nothing (the last error is only meaningful after a failure).
macro_rules! result_boundary {
    ($body:block) => {
        $crate::ffi::boundary::boundary!($crate::ffi::boundary::stdb_result::STDB_ERR_PANIC, {
            // Called in place so that `?` inside the body returns from the closure, not the export.
            #[allow(clippy::redundant_closure_call)]
            let r: Result<(), $crate::ffi::boundary::stdb_result> = (|| $body)();
            match r {
                Ok(()) => $crate::ffi::boundary::stdb_result::STDB_OK,
                Err(code) => code,
            }
        })
    };
}
pub(crate) use result_boundary;

/// Converts a core error into a result code (recording its message).
pub(crate) fn check<T>(r: crate::error::Result<T>) -> Result<T, stdb_result> {
    r.map_err(|e| from_error(&e))
}
