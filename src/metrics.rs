//! Counters a game can show in a debug overlay; all are cumulative since connect unless noted.

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

#[derive(Default)]
pub(crate) struct Counters {
    pub messages_received: AtomicU64,
    pub bytes_received: AtomicU64,
    pub bytes_decompressed: AtomicU64,
    pub messages_applied: AtomicU64,
    pub rows_inserted: AtomicU64,
    pub rows_deleted: AtomicU64,
    pub missing_deletes: AtomicU64,
    pub unknown_table_updates: AtomicU64,
    pub queue_depth: AtomicU64,
    pub reducer_calls: AtomicU64,
    pub rtt_count: AtomicU64,
    pub rtt_total_us: AtomicU64,
    pub rtt_max_us: AtomicU64,
    pub rtt_last_us: AtomicU64,
    pub queue_wait_total_us: AtomicU64,
    pub apply_total_us: AtomicU64,
}

/// A snapshot of a connection's counters.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Metrics {
    pub messages_received: u64,
    /// Bytes of WebSocket payload received (compressed size).
    pub bytes_received: u64,
    /// Bytes after decompression.
    pub bytes_decompressed: u64,
    pub messages_applied: u64,
    pub rows_inserted: u64,
    pub rows_deleted: u64,
    /// Deletes of rows the cache did not hold.
    pub missing_deletes: u64,
    /// Table updates naming a table missing from the schema (skipped).
    pub unknown_table_updates: u64,
    /// Messages decoded and waiting for the next tick (current value).
    pub queue_depth: u64,
    pub reducer_calls: u64,
    /// Round trips of our reducer calls that came back committed.
    pub reducer_round_trips: u64,
    pub reducer_rtt_total_us: u64,
    pub reducer_rtt_max_us: u64,
    pub reducer_rtt_last_us: u64,
    /// Total time messages waited between arrival (decoded) and the tick that applied them.
    pub queue_wait_total_us: u64,
    /// Total time spent applying messages to the cache and running their callbacks.
    pub apply_total_us: u64,
}

impl Counters {
    pub fn snapshot(&self) -> Metrics {
        Metrics {
            messages_received: self.messages_received.load(Relaxed),
            bytes_received: self.bytes_received.load(Relaxed),
            bytes_decompressed: self.bytes_decompressed.load(Relaxed),
            messages_applied: self.messages_applied.load(Relaxed),
            rows_inserted: self.rows_inserted.load(Relaxed),
            rows_deleted: self.rows_deleted.load(Relaxed),
            missing_deletes: self.missing_deletes.load(Relaxed),
            unknown_table_updates: self.unknown_table_updates.load(Relaxed),
            queue_depth: self.queue_depth.load(Relaxed),
            reducer_calls: self.reducer_calls.load(Relaxed),
            reducer_round_trips: self.rtt_count.load(Relaxed),
            reducer_rtt_total_us: self.rtt_total_us.load(Relaxed),
            reducer_rtt_max_us: self.rtt_max_us.load(Relaxed),
            reducer_rtt_last_us: self.rtt_last_us.load(Relaxed),
            queue_wait_total_us: self.queue_wait_total_us.load(Relaxed),
            apply_total_us: self.apply_total_us.load(Relaxed),
        }
    }

    pub fn record_rtt(&self, micros: u64) {
        self.rtt_count.fetch_add(1, Relaxed);
        self.rtt_total_us.fetch_add(micros, Relaxed);
        self.rtt_max_us.fetch_max(micros, Relaxed);
        self.rtt_last_us.store(micros, Relaxed);
    }
}
