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
    pub queued_bytes: AtomicU64,
    pub queued_bytes_peak: AtomicU64,
    pub read_pauses: AtomicU64,
    pub largest_frame_bytes: AtomicU64,
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
    /// Bytes of decoded messages not yet applied by a tick (current value): the figure the
    /// builder's `max_queued_bytes` limits.
    pub queued_bytes: u64,
    /// The highest `queued_bytes` seen since connect.
    pub queued_bytes_peak: u64,
    /// How many times the connection stopped reading the socket because `queued_bytes` reached
    /// the limit (it resumes once ticks bring it back under).
    pub read_pauses: u64,
    /// The largest frame received, decompressed (a v3 frame may hold several messages). A frame
    /// is decoded whole, so the queue may exceed its limit by up to this.
    pub largest_frame_bytes: u64,
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
            queued_bytes: self.queued_bytes.load(Relaxed),
            queued_bytes_peak: self.queued_bytes_peak.load(Relaxed),
            read_pauses: self.read_pauses.load(Relaxed),
            largest_frame_bytes: self.largest_frame_bytes.load(Relaxed),
        }
    }

    pub fn record_rtt(&self, micros: u64) {
        self.rtt_count.fetch_add(1, Relaxed);
        self.rtt_total_us.fetch_add(micros, Relaxed);
        self.rtt_max_us.fetch_max(micros, Relaxed);
        self.rtt_last_us.store(micros, Relaxed);
    }
}
