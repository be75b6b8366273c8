//! Process-wide functions: version, last error, buffers, hex forms, credentials and logging.

use super::boundary::{boundary, check, fail, last_error_ptr, result_boundary, stdb_result};
use super::types::*;
use crate::credentials::Credentials;
use crate::sync::RwLock;
use std::cell::Cell;
use std::ffi::{c_char, c_void};
use std::sync::Once;

/// The ABI version (defined once, in build/abi_version.txt, which build.rs and the header read too).
pub(crate) const STDB_ABI_VERSION_NUMBER: u32 = abi::ABI_VERSION;

mod abi {
    // Only the constant is used here; the generator function needs cbindgen, a build dependency.
    pub const ABI_VERSION: u32 = include!("../../build/abi_version.txt");
}

/// The library version, e.g. "0.1.0" (static, NUL-terminated).
#[no_mangle]
pub extern "C" fn stdb_version() -> *const c_char {
    concat!(env!("CARGO_PKG_VERSION"), "\0").as_ptr() as *const c_char
}

/// The library's ABI version (compare with `STDB_ABI_VERSION` from the header you compiled with).
#[no_mangle]
pub extern "C" fn stdb_abi_version() -> u32 {
    STDB_ABI_VERSION_NUMBER
}

/// The message of the last failed call on this thread (NUL-terminated UTF-8; empty if none).
/// Valid until the next `stdb_` call on this thread. Never NULL.
#[no_mangle]
pub extern "C" fn stdb_last_error() -> *const c_char {
    last_error_ptr()
}

/// Releases a buffer the library returned. NULL data is ignored; the buffer is reset to empty.
#[no_mangle]
pub extern "C" fn stdb_buffer_free(buffer: *mut stdb_buffer) {
    boundary!((), {
        if buffer.is_null() {
            return;
        }
        // SAFETY: non-null; per the header it was filled by the library and not freed yet.
        let b = unsafe { &mut *buffer };
        if !b.data.is_null() {
            // SAFETY: `data`/`len` came from `Box<[u8]>::into_raw` in `stdb_buffer::from_vec`.
            drop(unsafe { Box::from_raw(std::ptr::slice_from_raw_parts_mut(b.data, b.len)) });
        }
        b.data = std::ptr::null_mut();
        b.len = 0;
    })
}

fn write_hex(bytes_be: impl Iterator<Item = u8>, out: *mut c_char, digits: usize) -> bool {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    if out.is_null() {
        return false;
    }
    let mut i = 0;
    for b in bytes_be {
        // SAFETY: the header requires `out` to hold `digits + 1` chars; we write exactly that.
        unsafe {
            *out.add(i) = HEX[(b >> 4) as usize] as c_char;
            *out.add(i + 1) = HEX[(b & 15) as usize] as c_char;
        }
        i += 2;
    }
    // SAFETY: as above; the terminator goes at index `digits`.
    unsafe { *out.add(digits) = 0 };
    true
}

/// Writes the identity's hex form (64 lowercase digits, big-endian, as SpacetimeDB prints it)
/// and a NUL to `out`, which must hold 65 chars. False if a pointer is NULL.
#[no_mangle]
pub extern "C" fn stdb_identity_to_hex(identity: *const stdb_identity, out: *mut c_char) -> bool {
    boundary!(false, {
        if identity.is_null() {
            return false;
        }
        // SAFETY: non-null, points to a `stdb_identity` per the header.
        let bytes = unsafe { (*identity).bytes };
        write_hex(bytes.into_iter().rev(), out, 64)
    })
}

/// Writes the connection id's hex form (32 digits, big-endian) and a NUL; `out` holds 33 chars.
#[no_mangle]
pub extern "C" fn stdb_connection_id_to_hex(id: *const stdb_connection_id, out: *mut c_char) -> bool {
    boundary!(false, {
        if id.is_null() {
            return false;
        }
        // SAFETY: non-null, points to a `stdb_connection_id` per the header.
        let bytes = unsafe { (*id).bytes };
        write_hex(bytes.into_iter().rev(), out, 32)
    })
}

fn credentials(key: *const c_char, key_len: usize) -> Result<Credentials, stdb_result> {
    // SAFETY: pointer + length, per the header.
    let key = unsafe { str_arg(key, key_len, "credentials key")? };
    check(Credentials::new(key))
}

/// Saves a token under `key` (file `<config dir>/stdb-client/<key>.token`, mode 0600).
#[no_mangle]
pub extern "C" fn stdb_credentials_save(
    key: *const c_char,
    key_len: usize,
    token: *const c_char,
    token_len: usize,
) -> stdb_result {
    result_boundary!({
        let c = credentials(key, key_len)?;
        // SAFETY: pointer + length, per the header.
        let token = unsafe { str_arg(token, token_len, "token")? };
        check(c.save(token))
    })
}

/// Loads the token saved under `key`: `*found` says whether there is one; if so `*out_token`
/// holds it (release with `stdb_buffer_free`).
#[no_mangle]
pub extern "C" fn stdb_credentials_load(
    key: *const c_char,
    key_len: usize,
    found: *mut bool,
    out_token: *mut stdb_buffer,
) -> stdb_result {
    result_boundary!({
        let c = credentials(key, key_len)?;
        if found.is_null() || out_token.is_null() {
            return Err(fail(stdb_result::STDB_ERR_NULL, "output pointers must not be NULL"));
        }
        let token = check(c.load())?;
        // SAFETY: both non-null, writable per the header.
        unsafe {
            found.write(token.is_some());
            if let Some(t) = token {
                out_token.write(stdb_buffer::from_vec(t.into_bytes()));
            }
        }
        Ok(())
    })
}

/// Deletes the token saved under `key` (no error if there is none).
#[no_mangle]
pub extern "C" fn stdb_credentials_remove(key: *const c_char, key_len: usize) -> stdb_result {
    result_boundary!({ check(credentials(key, key_len)?.remove()) })
}

// ---- logging ------------------------------------------------------------------------------------

/// Log levels (`stdb_log_fn`'s `level`, `stdb_set_logger`'s `max_level`).
pub const STDB_LOG_OFF: i32 = 0;
pub const STDB_LOG_ERROR: i32 = 1;
pub const STDB_LOG_WARN: i32 = 2;
pub const STDB_LOG_INFO: i32 = 3;
pub const STDB_LOG_DEBUG: i32 = 4;
pub const STDB_LOG_TRACE: i32 = 5;

/// Receives one log line. `target` and `message` are UTF-8, not NUL-terminated, valid for the call.
/// Called from any thread, concurrently: the library's background I/O threads, `stdb_run_threaded`
/// threads, and every thread that calls `stdb_` functions — so it must be thread-safe and callable
/// from threads the host did not create. A LuaJIT function must never be installed here (it would
/// be entered from a foreign thread and crash); see "Threads" at the top of this header.
pub type stdb_log_fn = Option<
    unsafe extern "C" fn(
        user_data: *mut c_void,
        level: i32,
        target: *const c_char,
        target_len: usize,
        message: *const c_char,
        message_len: usize,
    ),
>;

struct Sink {
    f: unsafe extern "C" fn(*mut c_void, i32, *const c_char, usize, *const c_char, usize),
    user_data: UserData,
}

static SINK: RwLock<Option<Sink>> = RwLock::new(None);
static INSTALL: Once = Once::new();

thread_local! {
    /// True while this thread runs the host's log callback, which holds `SINK`'s read lock:
    /// replacing or removing the logger from there would deadlock, so it is an error instead.
    static IN_LOG_CALLBACK: Cell<bool> = const { Cell::new(false) };
}

fn refuse_inside_log_callback(what: &str) -> Result<(), stdb_result> {
    if IN_LOG_CALLBACK.with(Cell::get) {
        return Err(fail(stdb_result::STDB_ERR_REENTRANT, format!("{what} cannot be called from inside the log callback")));
    }
    Ok(())
}

struct HostLogger;

impl log::Log for HostLogger {
    fn enabled(&self, _: &log::Metadata) -> bool {
        true
    }
    fn log(&self, record: &log::Record) {
        // Only this library's lines go to the host, never its dependencies' (which could be noisy).
        if !record.target().starts_with("stdb_client") {
            return;
        }
        let sink = SINK.read();
        if let Some(s) = sink.as_ref() {
            let msg = record.args().to_string();
            let target = record.target();
            IN_LOG_CALLBACK.with(|c| c.set(true));
            // SAFETY: the host's function pointer; pointers valid for the call.
            unsafe {
                (s.f)(
                    s.user_data.ptr(),
                    record.level() as i32,
                    target.as_ptr() as *const c_char,
                    target.len(),
                    msg.as_ptr() as *const c_char,
                    msg.len(),
                )
            };
            IN_LOG_CALLBACK.with(|c| c.set(false));
        }
    }
    fn flush(&self) {}
}

/// Routes the library's log lines at or above `max_level` (`STDB_LOG_*`) to `callback`, replacing
/// any earlier one (whose `free_user_data` then runs, on this thread). A NULL callback stops
/// logging. Process-wide. If the process already installed another Rust `log` logger, lines go
/// there. `callback` runs on foreign threads (see `stdb_log_fn`). `STDB_ERR_REENTRANT` from inside
/// the log callback. `stdb_library_shutdown` removes the logger.
#[no_mangle]
pub extern "C" fn stdb_set_logger(
    callback: stdb_log_fn,
    user_data: *mut c_void,
    free_user_data: stdb_free_fn,
    max_level: i32,
) -> stdb_result {
    result_boundary!({
        let ud = UserData::new(user_data, free_user_data);
        refuse_inside_log_callback("stdb_set_logger")?;
        let level = match max_level {
            STDB_LOG_OFF => log::LevelFilter::Off,
            STDB_LOG_ERROR => log::LevelFilter::Error,
            STDB_LOG_WARN => log::LevelFilter::Warn,
            STDB_LOG_INFO => log::LevelFilter::Info,
            STDB_LOG_DEBUG => log::LevelFilter::Debug,
            STDB_LOG_TRACE => log::LevelFilter::Trace,
            other => return Err(fail(stdb_result::STDB_ERR_INVALID_ARGUMENT, format!("log level {other} is not 0..=5"))),
        };
        INSTALL.call_once(|| {
            let _ = log::set_logger(&HostLogger);
        });
        let new = callback.map(|f| Sink { f, user_data: ud });
        let old = std::mem::replace(&mut *SINK.write(), new);
        drop(old);
        log::set_max_level(level);
        Ok(())
    })
}

// ---- shutdown -----------------------------------------------------------------------------------

/// Shuts the library down so that its host can unload it (`dlclose`, a plugin's hot reload): stops
/// the background runtime and joins its threads, joins the threads `stdb_run_threaded` started, and
/// removes the logger (its `free_user_data` runs here, on the calling thread). When it returns
/// STDB_OK no thread of the library runs and no callback of the host is held.
///
/// Every connection must be gone first: free each `stdb_connection` and every handle that keeps
/// one alive (subscriptions, subscription builders, tables), and let `stdb_run_threaded` threads
/// end (disconnect and free; the thread ends after `on_disconnect`). While any connection exists
/// this returns `STDB_ERR_INVALID_STATE`, changes nothing, and `stdb_last_error()` says how many
/// remain (so it is refused from a callback on a `stdb_run_threaded` thread: that thread holds its
/// connection). `STDB_ERR_REENTRANT` from inside the log callback, whichever thread runs it. It
/// blocks while a freed connection's schema fetch is still in flight (at most that connection's
/// connect timeout).
///
/// Afterwards the library is usable again: the next `stdb_connection_builder_build` starts a new
/// runtime; set the logger again if you want one. Calling it when nothing runs returns STDB_OK.
#[no_mangle]
pub extern "C" fn stdb_library_shutdown() -> stdb_result {
    result_boundary!({
        refuse_inside_log_callback("stdb_library_shutdown")?;
        check(crate::runtime::shutdown())?;
        let old = SINK.write().take();
        drop(old);
        Ok(())
    })
}
