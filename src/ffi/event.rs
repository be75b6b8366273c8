//! Events as C sees them: what caused a callback, and a reducer run's metadata.

use super::boundary::boundary;
use super::types::{lend, lent, stdb_bytes, stdb_connection_id, stdb_identity, Handle, LentHandle};
use crate::event::{Event, ReducerEvent, Status};

/// Why a callback runs. Borrowed: valid only during the callback it is passed to.
pub struct stdb_event {
    _private: [u8; 0],
}

/// A reducer run's metadata. Borrowed: valid only during the callback it is passed to.
pub struct stdb_reducer_event {
    _private: [u8; 0],
}

impl Handle for stdb_event {
    type Rust = Event;
}
impl LentHandle for stdb_event {}
impl Handle for stdb_reducer_event {
    type Rust = ReducerEvent;
}
impl LentHandle for stdb_reducer_event {}

pub(crate) fn event_ptr(e: &Event) -> *const stdb_event {
    lend::<stdb_event>(e)
}

pub(crate) fn reducer_event_ptr(r: &ReducerEvent) -> *const stdb_reducer_event {
    lend::<stdb_reducer_event>(r)
}

/// Kinds of `stdb_event` (values of `stdb_event_kind`).
pub const STDB_EVENT_REDUCER: i32 = 0;
pub const STDB_EVENT_SUBSCRIBE_APPLIED: i32 = 1;
pub const STDB_EVENT_UNSUBSCRIBE_APPLIED: i32 = 2;
pub const STDB_EVENT_SUBSCRIBE_ERROR: i32 = 3;
pub const STDB_EVENT_UNKNOWN_TRANSACTION: i32 = 4;
pub const STDB_EVENT_RECONNECTED: i32 = 5;

/// Reducer statuses (`stdb_reducer_info.status`).
pub const STDB_STATUS_COMMITTED: i32 = 0;
pub const STDB_STATUS_FAILED: i32 = 1;
pub const STDB_STATUS_OUT_OF_ENERGY: i32 = 2;

/// Everything about a reducer run. Pointers borrow from the event: valid during the callback only.
#[repr(C)]
pub struct stdb_reducer_info {
    /// Microseconds since the Unix epoch at which the reducer ran.
    pub timestamp_us: i64,
    /// `STDB_STATUS_*`.
    pub status: i32,
    /// The failure message when `status` is `STDB_STATUS_FAILED` (UTF-8, not NUL-terminated).
    pub error_message: stdb_bytes,
    pub caller_identity: stdb_identity,
    /// False when the server sent no caller connection id (e.g. scheduled reducers).
    pub has_caller_connection_id: bool,
    pub caller_connection_id: stdb_connection_id,
    /// Energy used, as the low and high 64 bits of a u128.
    pub energy_used_lo: u64,
    pub energy_used_hi: u64,
    /// The reducer's name (UTF-8, not NUL-terminated).
    pub reducer_name: stdb_bytes,
    /// Index in the module's reducer list; `UINT32_MAX` for calls the server rejected.
    pub reducer_id: u32,
    /// BSATN arguments, as the caller sent them.
    pub args: stdb_bytes,
    /// The caller's request id (0 for failures; see the protocol notes).
    pub request_id: u32,
    /// Microseconds the host spent running the reducer.
    pub host_duration_us: i64,
}

fn view(b: &[u8]) -> stdb_bytes {
    stdb_bytes { data: b.as_ptr(), len: b.len() }
}

/// The event's kind (`STDB_EVENT_*`), or -1 if `event` is NULL.
///
/// Thread: the callback's thread. Lifetime: `event` is valid during the callback only.
#[no_mangle]
pub extern "C" fn stdb_event_kind(event: *const stdb_event) -> i32 {
    boundary!(-1, {
        // SAFETY: NULL or lent to the callback now running (`event_ptr` / `reducer_event_ptr`).
        let Some(e) = (unsafe { lent(event) }) else { return -1 };
        match e {
            Event::Reducer(_) => STDB_EVENT_REDUCER,
            Event::SubscribeApplied => STDB_EVENT_SUBSCRIBE_APPLIED,
            Event::UnsubscribeApplied => STDB_EVENT_UNSUBSCRIBE_APPLIED,
            Event::SubscribeError(_) => STDB_EVENT_SUBSCRIBE_ERROR,
            Event::UnknownTransaction(_) => STDB_EVENT_UNKNOWN_TRANSACTION,
            Event::Reconnected => STDB_EVENT_RECONNECTED,
        }
    })
}

/// The reducer metadata of an event, or NULL when it has none (subscription events, light-mode
/// updates). Present for `STDB_EVENT_REDUCER` and for unknown transactions the server described.
///
/// Lifetime: the result borrows from `event`: valid during the callback only.
#[no_mangle]
pub extern "C" fn stdb_event_reducer(event: *const stdb_event) -> *const stdb_reducer_event {
    boundary!(std::ptr::null(), {
        // SAFETY: NULL or lent to the callback now running (`event_ptr` / `reducer_event_ptr`).
        let Some(e) = (unsafe { lent(event) }) else { return std::ptr::null() };
        e.reducer_event().map_or(std::ptr::null(), reducer_event_ptr)
    })
}

/// Fills `out` with the reducer run's metadata. Returns false (and leaves `out` untouched) if
/// either pointer is NULL.
///
/// Lifetime: pointers in `out` borrow from `reducer`: valid during the callback only.
#[no_mangle]
pub extern "C" fn stdb_reducer_event_info(reducer: *const stdb_reducer_event, out: *mut stdb_reducer_info) -> bool {
    boundary!(false, {
        if out.is_null() {
            return false;
        }
        // SAFETY: NULL or lent to the callback now running (`reducer_event_ptr`).
        let Some(r) = (unsafe { lent(reducer) }) else { return false };
        let (status, error_message) = match &r.status {
            Status::Committed => (STDB_STATUS_COMMITTED, view(&[])),
            Status::Failed(m) => (STDB_STATUS_FAILED, view(m.as_bytes())),
            Status::OutOfEnergy => (STDB_STATUS_OUT_OF_ENERGY, view(&[])),
        };
        let energy = r.energy_consumed.unwrap_or(0);
        let info = stdb_reducer_info {
            timestamp_us: r.timestamp.to_micros_since_unix_epoch(),
            status,
            error_message,
            caller_identity: r.caller_identity.into(),
            has_caller_connection_id: r.caller_connection_id.is_some(),
            caller_connection_id: r.caller_connection_id.map(Into::into).unwrap_or(stdb_connection_id { bytes: [0; 16] }),
            energy_used_lo: energy as u64,
            energy_used_hi: (energy >> 64) as u64,
            reducer_name: view(r.reducer_name.as_bytes()),
            reducer_id: r.reducer_id,
            args: view(&r.args),
            request_id: r.request_id,
            host_duration_us: r.host_duration.to_micros(),
        };
        // SAFETY: `out` is non-null and the caller promises it is writable.
        unsafe { out.write(info) };
        true
    })
}

/// The BSATN value a committed reducer returned (of the reducer's declared return type; empty for
/// `()`): writes it to `*out` and returns true. False (and `*out` untouched) when the protocol
/// carries no return value (v1, other clients' calls, failed calls) or a pointer is NULL.
///
/// Lifetime: `*out` borrows from `reducer`: valid during the callback only.
#[no_mangle]
pub extern "C" fn stdb_reducer_event_return_value(reducer: *const stdb_reducer_event, out: *mut stdb_bytes) -> bool {
    boundary!(false, {
        if out.is_null() {
            return false;
        }
        // SAFETY: NULL or lent to the callback now running (`reducer_event_ptr`).
        let Some(r) = (unsafe { lent(reducer) }) else { return false };
        let Some(value) = &r.return_value else { return false };
        // SAFETY: `out` is non-null and the caller promises it is writable.
        unsafe { out.write(view(value)) };
        true
    })
}

/// The error text of a `STDB_EVENT_SUBSCRIBE_ERROR` event (UTF-8, not NUL-terminated); an empty
/// view for other events.
#[no_mangle]
pub extern "C" fn stdb_event_error(event: *const stdb_event) -> stdb_bytes {
    boundary!(view(&[]), {
        // SAFETY: NULL or lent to the callback now running (`event_ptr`).
        match unsafe { lent(event) } {
            None => view(&[]),
            Some(Event::SubscribeError(m)) => view(m.as_bytes()),
            Some(_) => view(&[]),
        }
    })
}
