//! The queue between the background runtime (which decodes) and the ticking thread (which applies
//! and runs callbacks). Only the push and pop take the lock; nothing else happens under it.
//!
//! The queue is bounded in bytes, not in messages: every decoded message counts the bytes of the
//! frame it came from until a tick has finished applying it (`queued_bytes`). Once that reaches
//! `max_queued_bytes` the transport stops reading the socket (the rest waits in the kernel's
//! buffers and on the server) until ticks bring it back under the limit; nothing is dropped.

use super::parse::Parsed;
use crate::error::Error;
use crate::metrics::Counters;
use crate::protocol::Protocol;
use crate::schema::Schema;
use crate::sync::{Condvar, Mutex};
use spacetimedb_lib::{ConnectionId, Identity};
use std::collections::VecDeque;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

// The large variant is the common one (a transaction); boxing it would add an allocation per
// message and save nothing.
#[allow(clippy::large_enum_variant)]
pub(crate) enum Inbound {
    Connected {
        identity: Identity,
        token: String,
        connection_id: ConnectionId,
        protocol: Protocol,
    },
    ConnectFailed(Error),
    Message {
        parsed: Parsed,
        received_at: Instant,
        /// Decompressed bytes this message accounts for in `queued_bytes` (a frame holding several
        /// messages is counted on its last one), released once it has been applied.
        bytes: u64,
    },
    /// The socket is gone; `None` after a disconnect we asked for.
    Disconnected(Option<Error>),
    /// The socket was lost and reconnection is being attempted (auto-reconnect only). `generation`
    /// is the lost socket's [`Link::generation`]: calls sent on a later socket are not lost with it.
    ConnectionLost {
        error: Error,
        generation: u64,
    },
    /// A new socket is open after a loss, as the same identity with a new connection id.
    Reconnected {
        identity: Identity,
        token: String,
        connection_id: ConnectionId,
        protocol: Protocol,
    },
}

/// State shared between a connection's handle and its background task.
pub(crate) struct Link {
    queue: Mutex<VecDeque<Inbound>>,
    ready: Condvar,
    notify: tokio::sync::Notify,
    pub counters: Counters,
    pub schema: OnceLock<Arc<Schema>>,
    /// True between a lost connection and the reconnect (calls fail meanwhile).
    pub reconnecting: std::sync::atomic::AtomicBool,
    /// Which socket the transport is on: 0 for the first, incremented at each reconnect before
    /// calls are accepted again. A reducer call records it, so a lost socket fails only the calls
    /// that may have gone out on it (the host may tick the loss only after the reconnect).
    pub generation: std::sync::atomic::AtomicU64,
    /// Reading pauses while `counters.queued_bytes` is at least this (at least 1).
    max_queued_bytes: u64,
    /// Signalled when `queued_bytes` drops back under the limit (a paused transport waits on it).
    pub drained: tokio::sync::Notify,
}

impl Link {
    pub fn new(max_queued_bytes: u64) -> Link {
        Link {
            max_queued_bytes: max_queued_bytes.max(1),
            drained: tokio::sync::Notify::new(),
            queue: Mutex::new(VecDeque::new()),
            ready: Condvar::new(),
            notify: tokio::sync::Notify::new(),
            counters: Counters::default(),
            schema: OnceLock::new(),
            reconnecting: std::sync::atomic::AtomicBool::new(false),
            generation: std::sync::atomic::AtomicU64::new(0),
        }
    }

    pub fn push(&self, item: Inbound) {
        let mut q = self.queue.lock();
        q.push_back(item);
        self.counters.queue_depth.store(q.len() as u64, Relaxed);
        drop(q);
        self.ready.notify_all();
        self.notify.notify_one();
    }

    /// Queues a decoded message that accounts for `bytes` of the queue's limit.
    pub fn push_message(&self, parsed: Parsed, received_at: Instant, bytes: u64) {
        let now = self.counters.queued_bytes.fetch_add(bytes, Relaxed) + bytes;
        self.counters.queued_bytes_peak.fetch_max(now, Relaxed);
        self.push(Inbound::Message { parsed, received_at, bytes });
    }

    /// A message's bytes leave the queue (it has been applied); wakes a paused transport when this
    /// brings the queue back under the limit.
    pub fn release(&self, bytes: u64) {
        if bytes == 0 {
            return;
        }
        let before = self.counters.queued_bytes.fetch_sub(bytes, Relaxed);
        if before >= self.max_queued_bytes && before - bytes < self.max_queued_bytes {
            // Stores a permit if the transport is not waiting yet, so the wake-up cannot be lost.
            self.drained.notify_one();
        }
    }

    /// Whether the transport must stop reading: the queue holds `max_queued_bytes` or more.
    pub fn over_limit(&self) -> bool {
        self.counters.queued_bytes.load(Relaxed) >= self.max_queued_bytes
    }

    pub fn pop(&self) -> Option<Inbound> {
        // The idle tick's fast path: no lock when nothing is queued. A message pushed right now
        // is seen by the next call.
        if self.counters.queue_depth.load(Relaxed) == 0 {
            return None;
        }
        let mut q = self.queue.lock();
        let item = q.pop_front();
        self.counters.queue_depth.store(q.len() as u64, Relaxed);
        item
    }

    /// Waits up to `timeout` for something to arrive; returns it if it did.
    pub fn pop_blocking(&self, timeout: Duration) -> Option<Inbound> {
        let deadline = Instant::now() + timeout;
        let mut q = self.queue.lock();
        loop {
            if let Some(item) = q.pop_front() {
                self.counters.queue_depth.store(q.len() as u64, Relaxed);
                return Some(item);
            }
            let now = Instant::now();
            if now >= deadline {
                return None;
            }
            q = self.ready.wait_for(q, deadline - now);
        }
    }

    pub async fn wait_async(&self) {
        if self.queue.lock().is_empty() {
            self.notify.notified().await;
        }
    }
}
