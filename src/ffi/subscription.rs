//! Subscriptions from C.

use super::boundary::{boundary, check, fail, result_boundary, stdb_result};
use super::connection::{conn_ptr, stdb_connection};
use super::event::{event_ptr, stdb_event};
use super::types::*;
use crate::connection::{DbConnection, SubscriptionBuilder, SubscriptionHandle};
use std::ffi::{c_char, c_void};

/// Callbacks for one subscription, consumed by `stdb_subscription_builder_subscribe*`.
pub struct stdb_subscription_builder {
    _private: [u8; 0],
}
impl Handle for stdb_subscription_builder {
    // `None` only transiently, while a setter rebuilds it.
    type Rust = Option<SubscriptionBuilder>;
}
impl OwnedHandle for stdb_subscription_builder {}

/// A subscription. Owned: release with `stdb_subscription_free` (which does not unsubscribe).
pub struct stdb_subscription {
    _private: [u8; 0],
}
impl Handle for stdb_subscription {
    type Rust = SubscriptionHandle;
}
impl OwnedHandle for stdb_subscription {}

/// Called when a subscription is applied (or, for `unsubscribe_then`, removed).
pub type stdb_subscription_fn =
    Option<unsafe extern "C" fn(user_data: *mut c_void, conn: *const stdb_connection, event: *const stdb_event)>;
/// Called when a subscription fails; `message` is UTF-8, not NUL-terminated, valid for the call.
pub type stdb_subscription_error_fn = Option<
    unsafe extern "C" fn(user_data: *mut c_void, conn: *const stdb_connection, message: *const c_char, message_len: usize),
>;

/// A new subscription builder for `conn`, or NULL if `conn` is NULL.
#[no_mangle]
pub extern "C" fn stdb_subscription_builder_new(conn: *const stdb_connection) -> *mut stdb_subscription_builder {
    boundary!(std::ptr::null_mut(), {
        // SAFETY: NULL or a live connection.
        match unsafe { borrow::<stdb_connection>(conn, "conn") } {
            Ok(c) => into_handle::<stdb_subscription_builder>(Some(DbConnection::subscription_builder(c))),
            Err(_) => std::ptr::null_mut(),
        }
    })
}

/// Frees an unused builder. NULL is ignored.
#[no_mangle]
pub extern "C" fn stdb_subscription_builder_free(builder: *mut stdb_subscription_builder) {
    boundary!((), {
        // SAFETY: NULL or a live builder, not used afterwards.
        drop(unsafe { take(builder) });
    })
}

fn edit(
    b: *mut stdb_subscription_builder,
    f: impl FnOnce(SubscriptionBuilder) -> SubscriptionBuilder,
) -> Result<(), stdb_result> {
    // SAFETY: NULL or a live builder owned by the caller.
    let b = unsafe { borrow_mut(b, "builder")? };
    let current = b.take().ok_or_else(|| fail(stdb_result::STDB_ERR_INVALID_STATE, "the builder was already used"))?;
    *b = Some(f(current));
    Ok(())
}

/// Runs `callback` once the subscription's rows are in the cache. `free_user_data` runs once.
#[no_mangle]
pub extern "C" fn stdb_subscription_builder_on_applied(
    builder: *mut stdb_subscription_builder,
    callback: stdb_subscription_fn,
    user_data: *mut c_void,
    free_user_data: stdb_free_fn,
) -> stdb_result {
    result_boundary!({
        let ud = UserData::new(user_data, free_user_data);
        let cb = required(callback, "callback")?;
        edit(builder, |b| {
            b.on_applied(move |ctx| {
                // SAFETY: the caller's function pointer; pointers valid for the call.
                unsafe { cb(ud.ptr(), conn_ptr(ctx.conn), event_ptr(ctx.event)) }
            })
        })
    })
}

/// Runs `callback` if the subscription fails. `free_user_data` runs once.
#[no_mangle]
pub extern "C" fn stdb_subscription_builder_on_error(
    builder: *mut stdb_subscription_builder,
    callback: stdb_subscription_error_fn,
    user_data: *mut c_void,
    free_user_data: stdb_free_fn,
) -> stdb_result {
    result_boundary!({
        let ud = UserData::new(user_data, free_user_data);
        let cb = required(callback, "callback")?;
        edit(builder, |b| {
            b.on_error(move |ctx, message| {
                // SAFETY: the caller's function pointer; pointers valid for the call.
                unsafe { cb(ud.ptr(), conn_ptr(ctx.conn), message.as_ptr() as *const c_char, message.len()) }
            })
        })
    })
}

/// Subscribes to `count` SQL queries (each a UTF-8 view) and consumes `builder`, even on failure.
/// Sent at once. `*out` is the new subscription handle.
#[no_mangle]
pub extern "C" fn stdb_subscription_builder_subscribe(
    builder: *mut stdb_subscription_builder,
    queries: *const stdb_bytes,
    count: usize,
    out: *mut *mut stdb_subscription,
) -> stdb_result {
    result_boundary!({
        // SAFETY: NULL or a live builder the caller gives up here.
        let b = unsafe { take(builder) }.and_then(|b| *b).ok_or_else(|| fail(stdb_result::STDB_ERR_NULL, "builder is NULL"))?;
        if out.is_null() {
            return Err(fail(stdb_result::STDB_ERR_NULL, "output pointer out is NULL"));
        }
        // SAFETY: `count` string views, per the header.
        let qs = unsafe { str_list_arg(queries, count, "query")? };
        let handle = check(b.subscribe(&qs))?;
        // SAFETY: non-null, writable per the header.
        unsafe { write_out(out, into_handle::<stdb_subscription>(handle), "out") }
    })
}

/// Subscribes to every public table of the module (the schema must be known). Consumes `builder`.
#[no_mangle]
pub extern "C" fn stdb_subscription_builder_subscribe_all_tables(
    builder: *mut stdb_subscription_builder,
    out: *mut *mut stdb_subscription,
) -> stdb_result {
    result_boundary!({
        // SAFETY: NULL or a live builder the caller gives up here.
        let b = unsafe { take(builder) }.and_then(|b| *b).ok_or_else(|| fail(stdb_result::STDB_ERR_NULL, "builder is NULL"))?;
        if out.is_null() {
            return Err(fail(stdb_result::STDB_ERR_NULL, "output pointer out is NULL"));
        }
        let handle = check(b.subscribe_to_all_tables())?;
        // SAFETY: non-null, writable per the header.
        unsafe { write_out(out, into_handle::<stdb_subscription>(handle), "out") }
    })
}

fn sub<'a>(s: *const stdb_subscription) -> Result<&'a SubscriptionHandle, stdb_result> {
    // SAFETY: NULL or a live subscription handle.
    unsafe { borrow(s, "subscription") }
}

/// Unsubscribes; the rows leave the cache when the server confirms. Also cancels a subscription
/// that is not applied yet (its `on_applied` will not run). `STDB_ERR_INVALID_STATE` if already
/// unsubscribed or ended.
#[no_mangle]
pub extern "C" fn stdb_subscription_unsubscribe(s: *const stdb_subscription) -> stdb_result {
    result_boundary!({ check(sub(s)?.unsubscribe()) })
}

/// Unsubscribes and runs `callback` once the rows are gone. `free_user_data` runs once.
#[no_mangle]
pub extern "C" fn stdb_subscription_unsubscribe_then(
    s: *const stdb_subscription,
    callback: stdb_subscription_fn,
    user_data: *mut c_void,
    free_user_data: stdb_free_fn,
) -> stdb_result {
    result_boundary!({
        let ud = UserData::new(user_data, free_user_data);
        let cb = required(callback, "callback")?;
        check(sub(s)?.unsubscribe_then(move |ctx| {
            // SAFETY: the caller's function pointer; pointers valid for the call.
            unsafe { cb(ud.ptr(), conn_ptr(ctx.conn), event_ptr(ctx.event)) }
        }))
    })
}

/// Subscription states (`stdb_subscription_state`).
pub const STDB_SUBSCRIPTION_PENDING: i32 = 0;
pub const STDB_SUBSCRIPTION_ACTIVE: i32 = 1;
pub const STDB_SUBSCRIPTION_UNSUBSCRIBING: i32 = 2;
pub const STDB_SUBSCRIPTION_ENDED: i32 = 3;

/// The subscription's state (`STDB_SUBSCRIPTION_*`), or -1 for NULL.
#[no_mangle]
pub extern "C" fn stdb_subscription_state(s: *const stdb_subscription) -> i32 {
    boundary!(-1, { sub(s).map_or(-1, |s| s.state() as i32) })
}

/// Releases the handle (the subscription itself stays). NULL is ignored.
#[no_mangle]
pub extern "C" fn stdb_subscription_free(s: *mut stdb_subscription) {
    boundary!((), {
        // SAFETY: NULL or a live handle, not used afterwards.
        drop(unsafe { take(s) });
    })
}
