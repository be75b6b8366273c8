//! Applying one message as a unit of work that a budgeted tick can spread over several ticks.
//!
//! A message's rows reach the cache all at once: readers see the cache before the message or
//! after it, never in between. How they get there depends on the tick:
//!
//! - `frame_tick` (no time budget), `advance_one_message*`, `run_threaded`: applied in place under
//!   the cache's write lock, as fast as possible.
//! - `frame_tick_budget` with a time budget: tables that get many rows ([`STAGE_ROWS`] or more), or
//!   whose row store would have to reallocate, are copied and applied to on the background
//!   runtime while the game thread keeps ticking; once the copies are ready, a tick swaps them in
//!   (and applies the message's few-row tables in place) under one write lock. The old tables are
//!   freed in the background too.
//!
//! Then the callbacks run, in the usual order — reducer callbacks and the call's own callback,
//! then per table deletes, updates, inserts — and a budgeted tick stops between two row callbacks
//! once its time is up, resuming there on the next tick. The next message is not applied before
//! every callback of this one has run, so a callback always sees the cache exactly as this message
//! left it.

use super::callbacks::TableCallbacks;
use super::{DbConnection, EventContext, ReducerThen};
use crate::cache::{apply_detached, CacheStats, ClientCache, TableCache, TableDiff, TableRows};
use crate::event::Event;
use crate::sync::RwLock;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::mpsc;
use std::time::Instant;

/// A table getting at least this many rows in one message is applied off the game thread by a
/// budgeted tick. Below it, applying in place costs at most a few hundred microseconds.
pub(crate) const STAGE_ROWS: usize = 4096;

/// Diffs holding more rows than this are freed on the background runtime (freeing a row's shared
/// buffer is an atomic decrement: a million of them take milliseconds).
const FREE_IN_BACKGROUND: usize = 4096;

/// What runs after the rows are in, before the row callbacks.
pub(super) enum ReducerStep {
    None,
    /// The reducer callbacks (if `named`) and the call's own callback (if any).
    Reducer {
        callbacks: bool,
        then: Option<Box<ReducerThen>>,
    },
}

/// What runs after the row callbacks.
pub(super) enum Tail {
    None,
    SubscribeApplied(u32),
    UnsubscribeApplied(u32),
}

/// The result of staging: the applied copies, their diffs and counters, by table.
struct Staged {
    tables: Vec<(usize, TableCache, TableDiff, CacheStats)>,
}

enum Rows {
    /// Applied; the diffs are in `Work::diffs`.
    Applied,
    /// Heavy tables being applied off the game thread; the light ones wait to be applied in place
    /// when the staged copies are swapped in. `order` is the message's table order.
    Staging { rx: mpsc::Receiver<Staged>, light: Vec<TableRows>, order: Vec<usize> },
}

/// One message being applied.
pub(super) struct Work {
    pub event: Event,
    reducer: ReducerStep,
    rows: Rows,
    diffs: Vec<TableDiff>,
    /// The row callbacks as they were when delivery began (one per diff).
    snapshot: Option<Vec<TableCallbacks>>,
    /// Delivery position: diff, phase (0 deletes, 1 updates, 2 inserts), row.
    at: (usize, u8, usize),
    pub tail: Tail,
    pub bytes: u64,
}

impl DbConnection {
    /// Starts applying a message's rows: in place, or (with `staged`, for heavy tables) on the
    /// background runtime.
    pub(super) fn begin_work(
        &self,
        event: Event,
        reducer: ReducerStep,
        tables: Vec<TableRows>,
        tail: Tail,
        bytes: u64,
        staged: bool,
    ) -> Work {
        let mut work =
            Work { event, reducer, rows: Rows::Applied, diffs: Vec::new(), snapshot: None, at: (0, 0, 0), tail, bytes };
        let tables = if staged {
            match self.stage(tables) {
                Ok(rows) => {
                    work.rows = rows;
                    return work;
                }
                Err(tables) => tables,
            }
        } else {
            tables
        };
        work.diffs = self.apply_rows(&tables);
        work
    }

    /// Sends the message's heavy tables to the background runtime, keeping the light ones for
    /// the swap; gives the tables back if none is heavy (or there is no cache yet).
    fn stage(&self, tables: Vec<TableRows>) -> Result<Rows, Vec<TableRows>> {
        let heavy: Vec<bool> = {
            let cache = self.inner.cache.read();
            let Some(cache) = cache.as_ref() else { return Err(tables) };
            tables
                .iter()
                .map(|t| {
                    let incoming = t.inserts.iter().chain(&t.deletes).chain(&t.events).map(|l| l.len()).sum::<usize>();
                    incoming >= STAGE_ROWS || cache.would_grow(t.table, incoming)
                })
                .collect()
        };
        if !heavy.iter().any(|&h| h) {
            return Err(tables);
        }
        // A table appears once per message (parse groups rows by table); if not, apply in place.
        let mut order: Vec<usize> = tables.iter().map(|t| t.table).collect();
        order.sort_unstable();
        if order.windows(2).any(|w| w[0] == w[1]) {
            return Err(tables);
        }
        let order: Vec<usize> = tables.iter().map(|t| t.table).collect();
        let mut jobs = Vec::new();
        let mut light = Vec::new();
        {
            let cbs = self.inner.callbacks.lock();
            for (t, h) in tables.into_iter().zip(heavy) {
                if h {
                    let collect = cbs.tables.get(t.table).is_some_and(|c| c.any());
                    jobs.push((t, collect));
                } else {
                    light.push(t);
                }
            }
        }
        let (tx, rx) = mpsc::channel();
        let cache = self.inner.cache.clone();
        crate::runtime::handle().spawn_blocking(move || {
            let _ = tx.send(stage_tables(&cache, jobs));
        });
        Ok(Rows::Staging { rx, light, order })
    }

    /// Advances `work` as far as `deadline` allows (all the way without one); true once done.
    /// At least one step is taken per call, so ticks always progress.
    pub(super) fn advance_work(&self, work: &mut Work, deadline: Option<Instant>) -> bool {
        if let Rows::Staging { .. } = &work.rows {
            let Rows::Staging { rx, light, order } = std::mem::replace(&mut work.rows, Rows::Applied) else { unreachable!() };
            let staged = match deadline {
                Some(_) => match rx.try_recv() {
                    Ok(s) => Some(s),
                    Err(mpsc::TryRecvError::Empty) => {
                        work.rows = Rows::Staging { rx, light, order };
                        return false;
                    }
                    Err(mpsc::TryRecvError::Disconnected) => None,
                },
                None => rx.recv().ok(),
            };
            work.diffs = self.install(staged, light, &order);
            if deadline.is_some_and(|d| Instant::now() >= d) {
                return false;
            }
        }
        if let ReducerStep::Reducer { callbacks, then } = std::mem::replace(&mut work.reducer, ReducerStep::None) {
            if let Some(r) = work.event.reducer_event() {
                if callbacks {
                    self.run_reducer_callbacks(&work.event, r);
                }
                if let Some(then) = then {
                    then(&EventContext { conn: self, event: &work.event }, Ok(r));
                }
            }
            if deadline.is_some_and(|d| Instant::now() >= d) {
                return false;
            }
        }
        if !self.deliver(work, deadline) {
            return false;
        }
        let diffs = std::mem::take(&mut work.diffs);
        self.recycle(diffs);
        true
    }

    /// Swaps the staged tables in and applies the light ones in place, under one write lock;
    /// returns the diffs in the message's table order.
    fn install(&self, staged: Option<Staged>, light: Vec<TableRows>, order: &[usize]) -> Vec<TableDiff> {
        let Some(staged) = staged else {
            // The background job died (it cannot panic short of a bug): its tables stay as they
            // were, and the cache no longer matches the server for them.
            log::error!("applying a large message in the background failed; some of its rows are missing");
            return self.apply_rows(&light);
        };
        let mut pool = std::mem::take(&mut self.inner.tick.lock().diffs);
        let mut replaced = Vec::with_capacity(staged.tables.len());
        let mut by_table: Vec<(usize, TableDiff)> = Vec::with_capacity(order.len());
        {
            let cbs = self.inner.callbacks.lock();
            let mut cache = self.inner.cache.write();
            if let Some(cache) = cache.as_mut() {
                let before = cache.stats;
                for (table, copy, diff, stats) in staged.tables {
                    replaced.push(cache.install_table(table, copy, stats));
                    by_table.push((table, diff));
                }
                for rows in &light {
                    let collect = cbs.tables.get(rows.table).is_some_and(|c| c.any());
                    let mut diff = pool.pop().unwrap_or_default();
                    cache.apply(rows, collect, &mut diff);
                    by_table.push((rows.table, diff));
                }
                self.count_stats(before, cache.stats);
            }
        }
        // Freeing a large table's slots, indexes and buffers is work in proportion to the table.
        crate::runtime::handle().spawn_blocking(move || drop(replaced));
        let mut diffs = Vec::with_capacity(by_table.len());
        for &t in order {
            if let Some(at) = by_table.iter().position(|(table, _)| *table == t) {
                let (_, diff) = by_table.swap_remove(at);
                if diff.is_empty() {
                    pool.push(diff);
                } else {
                    diffs.push(diff);
                }
            }
        }
        self.inner.tick.lock().diffs = pool;
        diffs
    }

    pub(super) fn count_stats(&self, before: CacheStats, after: CacheStats) {
        let c = &self.inner.link.counters;
        c.rows_inserted.fetch_add(after.rows_inserted - before.rows_inserted, Relaxed);
        c.rows_deleted.fetch_add(after.rows_deleted - before.rows_deleted, Relaxed);
        c.missing_deletes.fetch_add(after.missing_deletes - before.missing_deletes, Relaxed);
    }

    /// Runs row callbacks from where the last tick stopped; false if the deadline came first.
    fn deliver(&self, work: &mut Work, deadline: Option<Instant>) -> bool {
        if work.diffs.is_empty() {
            return true;
        }
        let Work { event, diffs, snapshot, at, .. } = work;
        let snapshot = snapshot.get_or_insert_with(|| {
            let cbs = self.inner.callbacks.lock();
            diffs.iter().map(|d| cbs.tables.get(d.table).cloned().unwrap_or_default()).collect()
        });
        let ctx = EventContext { conn: self, event };
        let out_of_time = || deadline.is_some_and(|d| Instant::now() >= d);
        while at.0 < diffs.len() {
            let (diff, cbs) = (&diffs[at.0], &snapshot[at.0]);
            let len = match at.1 {
                0 => diff.deletes.len(),
                1 => diff.updates.len(),
                _ => diff.inserts.len(),
            };
            while at.2 < len {
                match at.1 {
                    0 => cbs.on_delete.each(|f| f(&ctx, &diff.deletes[at.2])),
                    1 => {
                        let (old, new) = &diff.updates[at.2];
                        cbs.on_update.each(|f| f(&ctx, old, new))
                    }
                    _ => cbs.on_insert.each(|f| f(&ctx, &diff.inserts[at.2])),
                }
                at.2 += 1;
                if at.2 < len && out_of_time() {
                    return false;
                }
            }
            at.2 = 0;
            if at.1 < 2 {
                at.1 += 1;
            } else {
                at.1 = 0;
                at.0 += 1;
            }
            if at.0 < diffs.len() && len > 0 && out_of_time() {
                return false;
            }
        }
        true
    }

    /// Returns small diff buffers to the pool; large ones are freed in the background.
    pub(super) fn recycle(&self, diffs: Vec<TableDiff>) {
        let rows: usize = diffs.iter().map(|d| d.inserts.len() + d.deletes.len() + d.updates.len()).sum();
        if rows > FREE_IN_BACKGROUND {
            crate::runtime::handle().spawn_blocking(move || drop(diffs));
            return;
        }
        let mut tick = self.inner.tick.lock();
        let pool = &mut tick.diffs;
        for mut d in diffs {
            d.inserts.clear();
            d.deletes.clear();
            d.updates.clear();
            pool.push(d);
        }
    }
}

/// On the background runtime: copies each table under the read lock (readers are not held up),
/// then applies its rows to the copy with no lock held.
fn stage_tables(cache: &RwLock<Option<ClientCache>>, jobs: Vec<(TableRows, bool)>) -> Staged {
    let (schema, copies) = {
        let guard = cache.read();
        let Some(cache) = guard.as_ref() else { return Staged { tables: Vec::new() } };
        let copies: Vec<(TableCache, bool)> = jobs.iter().map(|(rows, _)| cache.stage_table(rows.table)).collect();
        (cache.schema().clone(), copies)
    };
    let tables = jobs
        .into_iter()
        .zip(copies)
        .map(|((rows, collect), (mut copy, may_collect))| {
            let mut diff = TableDiff::default();
            let mut stats = CacheStats::default();
            apply_detached(&schema, &mut copy, &rows, collect && may_collect, &mut diff, &mut stats);
            (rows.table, copy, diff, stats)
        })
        .collect();
    Staged { tables }
}
