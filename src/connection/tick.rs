//! Advancing a connection: the ticks (`frame_tick`, budgeted, one message, blocking, threaded,
//! async) and what they do with each item the transport queued: apply rows to the cache, match
//! results to our calls, and run the callbacks. Only the thread that ticks runs this code.

use super::callbacks::ReducerCallback;
use super::inbox::Inbound;
use super::parse::{self, Parsed};
use super::transport::Outbound;
use super::{pacing, subscription, DbConnection, EventContext, PendingCall, ProcedureOutcome, ReducerThen, TickReport};
use crate::cache::TableDiff;
use crate::error::{Error, Result};
use crate::event::{Event, ReducerEvent, Status};
use crate::schema::Schema;
use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, Ordering::Relaxed, Ordering::SeqCst};
use std::time::{Duration, Instant};

/// What only the ticking thread touches, behind one lock (uncontended: ticks do not overlap).
#[derive(Default)]
pub(super) struct TickState {
    /// Diff buffers reused from tick to tick, so applying allocates as little as possible.
    pub(super) diffs: Vec<TableDiff>,
    /// The message a budgeted tick left partly done (being staged, or its callbacks partly run);
    /// the next tick continues it before taking another message.
    pub(super) pending: Option<pacing::Work>,
}

/// Clears the ticking flag when a tick ends, even by unwinding.
struct TickGuard<'a>(&'a AtomicBool);
impl Drop for TickGuard<'_> {
    fn drop(&mut self) {
        self.0.store(false, SeqCst);
    }
}

impl DbConnection {
    fn enter_tick(&self) -> Result<TickGuard<'_>> {
        if self.inner.ticking.compare_exchange(false, true, SeqCst, SeqCst).is_err() {
            return Err(Error::Reentrant);
        }
        Ok(TickGuard(&self.inner.ticking))
    }

    /// Applies everything that has arrived and runs its callbacks, without blocking.
    /// Returns an error once the connection has ended (after reporting it through callbacks).
    pub fn frame_tick(&self) -> Result<()> {
        self.frame_tick_budget(usize::MAX, None).map(|_| ())
    }

    /// Like `frame_tick`, but stops after `max_messages` messages or once `max_time` has passed,
    /// so neither a burst nor one huge message takes a whole frame. With `max_time`, the time is
    /// also checked inside a message: a table getting thousands of rows is applied on a copy in
    /// the background and swapped in by a later tick, and row callbacks stop once the time is up
    /// and resume where they stopped on the next tick. The call therefore returns within
    /// `max_time` plus a small bound, besides the time spent in your callbacks (a callback that
    /// runs past the deadline is not interrupted; at least one runs per call). The cache is never
    /// seen half-applied, and a message's callbacks all run, in order, before the next message
    /// is applied: a callback sees the cache exactly as its message left it (see `pacing.rs`).
    pub fn frame_tick_budget(&self, max_messages: usize, max_time: Option<Duration>) -> Result<TickReport> {
        let _guard = self.enter_tick()?;
        let start = Instant::now();
        let deadline = max_time.map(|t| start + t);
        self.run_lost_calls();
        let mut report = TickReport::default();
        let mut unfinished = false;
        loop {
            let pending = self.inner.tick.lock().pending.take();
            if let Some(work) = pending {
                if !self.continue_work(work, deadline) {
                    unfinished = true;
                    break;
                }
                report.processed += 1;
                continue;
            }
            if report.processed >= max_messages || deadline.is_some_and(|d| Instant::now() >= d) {
                break;
            }
            let Some(item) = self.inner.link.pop() else { break };
            if !self.handle(item, deadline) {
                unfinished = true;
                break;
            }
            report.processed += 1;
        }
        report.remaining = self.inner.link.counters.queue_depth.load(Relaxed) as usize + usize::from(unfinished);
        if self.inner.ended.load(SeqCst) && report.remaining == 0 {
            return Err(Error::Disconnected);
        }
        Ok(report)
    }

    /// Finishes the message a budgeted tick left partly done, if any; true if there was one.
    fn finish_pending(&self) -> bool {
        let pending = self.inner.tick.lock().pending.take();
        match pending {
            Some(work) => {
                self.continue_work(work, None);
                true
            }
            None => false,
        }
    }

    /// Applies at most one message, without blocking; returns whether one was applied.
    pub fn advance_one_message(&self) -> Result<bool> {
        let _guard = self.enter_tick()?;
        self.run_lost_calls();
        if self.finish_pending() {
            return Ok(true);
        }
        match self.inner.link.pop() {
            Some(item) => {
                self.handle(item, None);
                Ok(true)
            }
            None if self.inner.ended.load(SeqCst) => Err(Error::Disconnected),
            None => Ok(false),
        }
    }

    /// Waits up to `timeout` for a message and applies it; returns whether one was applied.
    pub fn advance_one_message_blocking(&self, timeout: Duration) -> Result<bool> {
        if self.inner.ended.load(SeqCst) && self.inner.link.counters.queue_depth.load(Relaxed) == 0 {
            return Err(Error::Disconnected);
        }
        let _guard = self.enter_tick()?;
        if self.finish_pending() {
            return Ok(true);
        }
        match self.inner.link.pop_blocking(timeout) {
            Some(item) => {
                self.handle(item, None);
                Ok(true)
            }
            None => Ok(false),
        }
    }

    /// Advances the connection on a new thread until it ends. Errors never panic the thread:
    /// they reach `on_disconnect` / `on_connect_error`. One tick thread per connection: a second
    /// call is an `InvalidState` error.
    pub fn run_threaded(&self) -> Result<std::thread::JoinHandle<()>> {
        if self.inner.threaded.swap(true, SeqCst) {
            return Err(Error::InvalidState("run_threaded was already called for this connection".into()));
        }
        let conn = self.clone();
        let handle = std::thread::Builder::new()
            .name("stdb-client-tick".into())
            .spawn(move || loop {
                match conn.advance_one_message_blocking(Duration::from_millis(100)) {
                    Ok(_) => {}
                    Err(Error::Reentrant) => std::thread::sleep(Duration::from_millis(1)),
                    Err(_) => break,
                }
            })
            .map_err(|e| {
                self.inner.threaded.store(false, SeqCst);
                Error::Io(e.to_string())
            })?;
        Ok(handle)
    }

    /// Advances the connection until it ends, awaiting when idle.
    pub async fn run_async(&self) -> Result<()> {
        loop {
            match self.frame_tick() {
                Ok(()) => self.inner.link.wait_async().await,
                Err(Error::Disconnected) => {
                    return match self.inner.disconnect_requested.load(SeqCst) {
                        true => Ok(()),
                        false => Err(Error::ConnectionLost("the connection ended".into())),
                    }
                }
                Err(e) => return Err(e),
            }
        }
    }

    // ---- applying messages (ticking thread only) --------------------------------------------

    /// Handles one item; false if a budgeted tick (`deadline`) left it partly done in `pending`.
    fn handle(&self, item: Inbound, deadline: Option<Instant>) -> bool {
        match item {
            Inbound::Connected { identity, token, connection_id, protocol } => {
                self.set_protocol(protocol);
                if connection_id != self.connection_id() {
                    // 2.x servers assign the id (we do not send ours); a 1.x server echoes ours.
                    if !protocol.is_v2() {
                        log::warn!("the server assigned connection id {} instead of ours", connection_id.to_hex());
                    }
                    *self.inner.connection_id.lock() = connection_id;
                }
                {
                    let mut ident = self.inner.ident.lock();
                    ident.identity = Some(identity);
                    ident.token = Some(token.clone());
                }
                self.inner.ensure_cache();
                log::info!("connected as {}", identity.to_hex());
                let cb = self.inner.lifecycle.lock().on_connect.take();
                if let Some(cb) = cb {
                    cb(self, identity, &token, connection_id);
                }
            }
            Inbound::ConnectFailed(e) => {
                log::warn!("{e}");
                self.mark_ended();
                let cb = self.inner.lifecycle.lock().on_connect_error.take();
                if let Some(cb) = cb {
                    cb(self, &e);
                }
            }
            Inbound::Disconnected(e) => {
                match &e {
                    Some(e) => log::warn!("disconnected: {e}"),
                    None => log::info!("disconnected"),
                }
                self.mark_ended();
                subscription::end_all(self);
                self.fail_one_off_queries("the connection ended before the answer arrived", None);
                self.fail_pending_calls("the connection ended before the result arrived", None);
                let cb = self.inner.lifecycle.lock().on_disconnect.take();
                if let Some(cb) = cb {
                    cb(self, e.as_ref());
                }
            }
            Inbound::ConnectionLost { error, generation } => {
                log::warn!("connection lost, reconnecting: {error}");
                self.fail_one_off_queries("the connection was lost before the answer arrived", Some(generation));
                // Calls made after the reconnect (this tick may come long after it) are not lost.
                let why = "the connection was lost before the result arrived; the call may or may not have run";
                self.fail_pending_calls(why, Some(generation));
            }
            Inbound::Reconnected { identity, token, connection_id, protocol } => {
                self.set_protocol(protocol);
                log::info!("reconnected as {} (connection id {})", identity.to_hex(), connection_id.to_hex());
                self.inner.ident.lock().token = Some(token);
                *self.inner.connection_id.lock() = connection_id;
                if let Some(cache) = self.inner.cache.write().as_mut() {
                    cache.begin_resync();
                }
                subscription::resubscribe_all(self);
                self.finish_resync_if_done();
            }
            Inbound::Message { parsed, received_at, bytes } => {
                let c = &self.inner.link.counters;
                let start = Instant::now();
                c.queue_wait_total_us.fetch_add(start.duration_since(received_at).as_micros() as u64, Relaxed);
                let work = self.apply(parsed, bytes, deadline.is_some());
                c.apply_total_us.fetch_add(start.elapsed().as_micros() as u64, Relaxed);
                match work {
                    Some(work) => return self.continue_work(work, deadline),
                    None => self.message_done(bytes),
                }
            }
        }
        true
    }

    /// Advances a message's work; parks it in `pending` if the deadline comes first.
    fn continue_work(&self, mut work: pacing::Work, deadline: Option<Instant>) -> bool {
        let start = Instant::now();
        let done = self.advance_work(&mut work, deadline);
        self.inner.link.counters.apply_total_us.fetch_add(start.elapsed().as_micros() as u64, Relaxed);
        if !done {
            self.inner.tick.lock().pending = Some(work);
            return false;
        }
        match work.tail {
            pacing::Tail::None => {}
            pacing::Tail::SubscribeApplied(query_id) => {
                subscription::applied(self, query_id);
                self.finish_resync_if_done();
            }
            pacing::Tail::UnsubscribeApplied(query_id) => subscription::unsubscribed(self, query_id),
        }
        self.message_done(work.bytes);
        true
    }

    fn message_done(&self, bytes: u64) {
        self.inner.link.counters.messages_applied.fetch_add(1, Relaxed);
        self.inner.link.release(bytes);
    }

    fn mark_ended(&self) {
        self.inner.ended.store(true, SeqCst);
        self.inner.active.store(false, SeqCst);
    }

    /// Applies a message. Messages with rows become a `Work` (its rows applied, or being staged
    /// when `staged`), which the caller advances through its callbacks; the rest are handled here.
    fn apply(&self, parsed: Parsed, bytes: u64, staged: bool) -> Option<pacing::Work> {
        use pacing::{ReducerStep, Tail};
        match parsed {
            Parsed::Transaction { tables, event } => {
                let then = event.reducer_event().and_then(|r| self.match_v1_result(r));
                let callbacks =
                    event.reducer_event().is_some_and(|r| matches!(event, Event::Reducer(_)) || r.status != Status::Committed);
                let step = ReducerStep::Reducer { callbacks, then };
                return Some(self.begin_work(event, step, tables, Tail::None, bytes, staged));
            }
            Parsed::SubscribeApplied { query_id, tables } => {
                let tail = Tail::SubscribeApplied(query_id);
                return Some(self.begin_work(Event::SubscribeApplied, ReducerStep::None, tables, tail, bytes, staged));
            }
            Parsed::UnsubscribeApplied { query_id, tables } => {
                let tail = Tail::UnsubscribeApplied(query_id);
                return Some(self.begin_work(Event::UnsubscribeApplied, ReducerStep::None, tables, tail, bytes, staged));
            }
            Parsed::SubscriptionError { query_id, error } => match query_id {
                Some(q) => {
                    subscription::failed(self, q, &error);
                    self.finish_resync_if_done();
                }
                None => {
                    // The server dropped every subscription of ours; the cache no longer follows it.
                    log::error!("subscription error without a query id: {error}");
                    subscription::fail_all(self, &error);
                    let _ = self.inner.outbound.send(Outbound::Close);
                    self.inner.link.push(Inbound::Disconnected(Some(Error::SubscriptionFatal(error))));
                }
            },
            Parsed::OneOffResponse { request_id, result } => {
                let cb = request_id.and_then(|id| self.inner.one_off.lock().remove(&id)).map(|(_, cb)| cb);
                match cb {
                    Some(cb) => cb(self, result),
                    None => log::warn!("one-off query response with an unknown message id"),
                }
            }
            Parsed::ReducerResult { request_id, timestamp, outcome, tables } => {
                let (event, then) = self.reducer_result_event(request_id, timestamp, outcome);
                let step = ReducerStep::Reducer { callbacks: true, then };
                return Some(self.begin_work(event, step, tables, Tail::None, bytes, staged));
            }
            Parsed::ProcedureResult { request_id, timestamp, host_duration, result } => {
                let cb = self.inner.procedures.lock().remove(&request_id).map(|(_, cb)| cb);
                match cb {
                    Some(cb) => cb(self, ProcedureOutcome { result, timestamp, host_duration }),
                    None => log::warn!("procedure result for unknown request id {request_id}"),
                }
            }
            Parsed::Ignored(kind) => log::warn!("ignored an unexpected {kind} message"),
        }
        None
    }

    /// Answers one-off queries whose answer can no longer come.
    /// With `up_to`, a lost socket's generation: only the queries recorded on it or before it.
    fn fail_one_off_queries(&self, why: &str, up_to: Option<u64>) {
        let pending = take_up_to(&mut self.inner.one_off.lock(), up_to);
        for cb in pending {
            cb(self, Err(why.to_owned()));
        }
    }

    /// After a reconnect, once every renewed subscription has answered: swap in the rebuilt cache,
    /// report what changed while we were away, then run `on_reconnect`.
    fn finish_resync_if_done(&self) {
        if !subscription::resync_done(self) {
            return;
        }
        let diffs = {
            let cbs = self.inner.callbacks.lock();
            let mut cache = self.inner.cache.write();
            let Some(cache) = cache.as_mut().filter(|c| c.is_resyncing()) else { return };
            let mut diffs = Vec::new();
            cache.finish_resync(|t| cbs.tables.get(t).is_some_and(|c| c.any()), &mut diffs);
            diffs
        };
        self.run_row_callbacks(&Event::Reconnected, diffs);
        subscription::end_unsubscribed(self);
        let cb = self.inner.lifecycle.lock().on_reconnect.take();
        if let Some(mut cb) = cb {
            let identity = self.try_identity().expect("reconnects follow a connect");
            cb(self, identity, self.connection_id());
            self.inner.lifecycle.lock().on_reconnect.get_or_insert(cb);
        }
    }

    /// v1: finds the pending call a `TransactionUpdate` answers (ours, by request id), records its
    /// round trip and returns its per-call callback. Results come back in call order, so older
    /// calls still pending got none (NoSuccessNotify successes): they are dropped, and their
    /// callbacks told so on the next tick.
    fn match_v1_result(&self, r: &ReducerEvent) -> Option<Box<ReducerThen>> {
        if r.caller_connection_id != Some(self.connection_id()) {
            return None;
        }
        let mut pending = self.inner.pending_calls.lock();
        let call = if r.request_id == 0 {
            // A call the server rejected before running it may carry request id 0: the oldest
            // pending call of the same reducer and arguments is the one.
            let at = pending.iter().position(|c| *c.reducer == *r.reducer_name && c.args == r.args)?;
            pending.remove(at)?
        } else {
            loop {
                let call = pending.front()?;
                if call.request_id > r.request_id {
                    return None;
                }
                let call = pending.pop_front().expect("front exists");
                if call.request_id == r.request_id {
                    break call;
                }
                if let Some(then) = call.then {
                    self.inner.lost_calls.lock().push((then, "the server sent no result for this call".into()));
                }
            }
        };
        drop(pending);
        self.inner.link.counters.record_rtt(call.sent.elapsed().as_micros() as u64);
        call.then
    }

    /// Tells a per-call callback, on the next tick, that its call will get no result.
    pub(super) fn defer_lost_call(&self, call: PendingCall, why: &str) {
        if let Some(then) = call.then {
            self.inner.lost_calls.lock().push((then, why.to_owned()));
        }
    }

    /// Runs the per-call callbacks of calls that will get no result (ticking thread).
    fn run_lost_calls(&self) {
        let lost = std::mem::take(&mut *self.inner.lost_calls.lock());
        if lost.is_empty() {
            return;
        }
        let event = Event::UnknownTransaction(None);
        let ctx = EventContext { conn: self, event: &event };
        for (then, why) in lost {
            then(&ctx, Err(&why));
        }
    }

    /// The connection ended or was lost: no pending reducer call or procedure gets a result now.
    /// With `up_to`, a lost socket's generation: only the calls recorded on it or before it.
    fn fail_pending_calls(&self, why: &str, up_to: Option<u64>) {
        let calls: Vec<PendingCall> = {
            let mut pending = self.inner.pending_calls.lock();
            match up_to {
                None => pending.drain(..).collect(),
                Some(g) => {
                    let (lost, kept): (VecDeque<_>, VecDeque<_>) = pending.drain(..).partition(|c| c.generation <= g);
                    *pending = kept;
                    lost.into()
                }
            }
        };
        for call in calls {
            self.defer_lost_call(call, why);
        }
        self.run_lost_calls();
        let procedures = take_up_to(&mut self.inner.procedures.lock(), up_to);
        for cb in procedures {
            let outcome = ProcedureOutcome {
                result: Err(why.to_owned()),
                timestamp: spacetimedb_lib::Timestamp::UNIX_EPOCH,
                host_duration: spacetimedb_lib::TimeDuration::from_micros(0),
            };
            cb(self, outcome);
        }
    }

    /// The event for a v2 `ReducerResult`: the call it answers supplies the reducer and its
    /// arguments; we are the caller.
    fn reducer_result_event(
        &self,
        request_id: u32,
        timestamp: spacetimedb_lib::Timestamp,
        outcome: parse::ReducerOutcome,
    ) -> (Event, Option<Box<ReducerThen>>) {
        let call = {
            let mut pending = self.inner.pending_calls.lock();
            let at = pending.iter().position(|c| c.request_id == request_id);
            at.and_then(|i| pending.remove(i))
        };
        let Some(call) = call else {
            log::warn!("a reducer result for request id {request_id}, which this connection did not send");
            return (Event::UnknownTransaction(None), None);
        };
        self.inner.link.counters.record_rtt(call.sent.elapsed().as_micros() as u64);
        let schema = self.schema();
        let def = schema.as_ref().and_then(|s| s.reducer(&call.reducer));
        let (status, return_value) = match outcome {
            parse::ReducerOutcome::Committed { ret_value } => (Status::Committed, Some(ret_value)),
            parse::ReducerOutcome::Err(value) => (Status::Failed(reducer_error_text(schema.as_deref(), def, &value)), None),
            parse::ReducerOutcome::InternalError(text) => (Status::Failed(text), None),
        };
        let reducer = ReducerEvent {
            timestamp,
            status,
            caller_identity: self.try_identity().unwrap_or_default(),
            caller_connection_id: Some(self.connection_id()),
            energy_consumed: None,
            reducer_name: call.reducer.to_string(),
            reducer_id: def.map_or(u32::MAX, |d| d.id),
            args: call.args,
            request_id,
            host_duration: spacetimedb_lib::TimeDuration::from_micros(0),
            return_value,
        };
        let event = if def.is_some() { Event::Reducer(reducer) } else { Event::UnknownTransaction(Some(reducer)) };
        (event, call.then)
    }

    /// Applies a message's rows to the cache under the write lock; returns what changed for the
    /// tables that have row callbacks. The lock is released before any callback runs.
    pub(super) fn apply_rows(&self, tables: &[crate::cache::TableRows]) -> Vec<TableDiff> {
        if tables.is_empty() {
            return Vec::new();
        }
        let mut pool = std::mem::take(&mut self.inner.tick.lock().diffs);
        let mut diffs = Vec::new();
        {
            // callbacks → cache, the documented order (see `Inner`); no callback runs under them.
            let cbs = self.inner.callbacks.lock();
            let mut cache = self.inner.cache.write();
            if let Some(cache) = cache.as_mut() {
                let before = cache.stats;
                for rows in tables {
                    let collect = cbs.tables.get(rows.table).is_some_and(|c| c.any());
                    let mut diff = pool.pop().unwrap_or_default();
                    cache.apply(rows, collect, &mut diff);
                    if collect && !diff.is_empty() {
                        diffs.push(diff);
                    } else {
                        pool.push(diff);
                    }
                }
                let after = cache.stats;
                let c = &self.inner.link.counters;
                c.rows_inserted.fetch_add(after.rows_inserted - before.rows_inserted, Relaxed);
                c.rows_deleted.fetch_add(after.rows_deleted - before.rows_deleted, Relaxed);
                c.missing_deletes.fetch_add(after.missing_deletes - before.missing_deletes, Relaxed);
            }
        }
        self.inner.tick.lock().diffs = pool;
        diffs
    }

    pub(super) fn run_reducer_callbacks(&self, event: &Event, r: &ReducerEvent) {
        let (named, any) = {
            let cbs = self.inner.callbacks.lock();
            (cbs.reducers.get(&r.reducer_name).cloned(), cbs.any_reducer.clone())
        };
        let ctx = EventContext { conn: self, event };
        if let Some(named) = named {
            named.each(|f: &mut ReducerCallback| f(&ctx, r));
        }
        any.each(|f: &mut ReducerCallback| f(&ctx, r));
    }

    fn run_row_callbacks(&self, event: &Event, diffs: Vec<TableDiff>) {
        if diffs.is_empty() {
            return;
        }
        let ctx = EventContext { conn: self, event };
        let snapshot: Vec<_> = {
            let cbs = self.inner.callbacks.lock();
            diffs.iter().map(|d| cbs.tables.get(d.table).cloned().unwrap_or_default()).collect()
        };
        for (diff, cbs) in diffs.iter().zip(&snapshot) {
            for row in &diff.deletes {
                cbs.on_delete.each(|f| f(&ctx, row));
            }
            for (old, new) in &diff.updates {
                cbs.on_update.each(|f| f(&ctx, old, new));
            }
            for row in &diff.inserts {
                cbs.on_insert.each(|f| f(&ctx, row));
            }
        }
        self.recycle(diffs);
    }
}

/// Removes and returns the callbacks recorded on socket generation `up_to` or before (all of them
/// with `None`).
fn take_up_to<T>(map: &mut HashMap<u32, (u64, T)>, up_to: Option<u64>) -> Vec<T> {
    let ids: Vec<u32> = map.iter().filter(|(_, (g, _))| up_to.is_none_or(|u| *g <= u)).map(|(id, _)| *id).collect();
    ids.into_iter().filter_map(|id| map.remove(&id)).map(|(_, cb)| cb).collect()
}

/// A reducer's error value as text: decoded as the string it is unless the schema declares
/// another error type (then described with its bytes).
fn reducer_error_text(schema: Option<&Schema>, def: Option<&crate::schema::ReducerDef>, value: &[u8]) -> String {
    let declared = def.and_then(|d| d.err_type.as_ref());
    if declared.is_none() {
        if let Some(len) = value.get(..4).map(|b| u32::from_le_bytes(b.try_into().expect("4 bytes")) as usize) {
            if value.len() == 4 + len {
                if let Ok(text) = std::str::from_utf8(&value[4..]) {
                    return text.to_owned();
                }
            }
        }
    }
    let valid = match (schema, declared) {
        (Some(s), Some(t)) => s.types.validate(t, value).is_ok(),
        _ => false,
    };
    let hex: String = value.iter().map(|b| format!("{b:02x}")).collect();
    format!(
        "the reducer failed with an error value of its declared type ({} bytes{}): {hex}",
        value.len(),
        if valid { "" } else { ", malformed" }
    )
}
