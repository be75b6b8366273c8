//! Subscriptions: any number per connection, each a `SubscribeMulti` with its own query id.

use super::{DbConnection, EventContext};
use crate::error::{Error, Result};
use crate::event::Event;
use crate::protocol::{ClientRequest, Protocol};
use crate::schema::SchemaVersion;
use std::collections::HashMap;
use std::sync::atomic::Ordering::{Relaxed, SeqCst};

pub type OnApplied = dyn FnOnce(&EventContext) + Send;
pub type OnError = dyn FnOnce(&EventContext, &str) + Send;
pub type OnEnded = dyn FnOnce(&EventContext) + Send;

/// Where a subscription is in its life.
#[repr(i32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SubscriptionState {
    /// Sent; the server has not answered yet.
    Pending = 0,
    /// Rows are in the cache and kept up to date.
    Active = 1,
    /// Unsubscribe sent; rows still in the cache until the server confirms.
    Unsubscribing = 2,
    /// Unsubscribed, failed or disconnected; nothing more will happen.
    Ended = 3,
}

pub(super) struct Entry {
    state: SubscriptionState,
    queries: Vec<String>,
    on_applied: Option<Box<OnApplied>>,
    on_error: Option<Box<OnError>>,
    on_ended: Option<Box<OnEnded>>,
    /// Unsubscribe was asked for before the server applied the subscription.
    cancelled: bool,
    /// Renewed after a reconnect; its rows have not come back yet.
    resyncing: bool,
    /// Was being unsubscribed when the connection was lost; ends once the cache is reconciled.
    orphaned: bool,
    /// The transport's socket generation when it was last sent (`Link::generation`): a reconnect
    /// renews only subscriptions sent on an earlier socket.
    generation: u64,
}

#[derive(Default)]
pub(super) struct Subscriptions {
    next_query_id: u32,
    entries: HashMap<u32, Entry>,
}

/// Configures callbacks for one subscription, then sends it.
pub struct SubscriptionBuilder {
    conn: DbConnection,
    on_applied: Option<Box<OnApplied>>,
    on_error: Option<Box<OnError>>,
}

impl DbConnection {
    pub fn subscription_builder(&self) -> SubscriptionBuilder {
        SubscriptionBuilder { conn: self.clone(), on_applied: None, on_error: None }
    }
}

impl SubscriptionBuilder {
    /// Runs once the subscription's rows are in the cache.
    pub fn on_applied(mut self, f: impl FnOnce(&EventContext) + Send + 'static) -> Self {
        self.on_applied = Some(Box::new(f));
        self
    }

    /// Runs if the server rejects the subscription (or it fails later).
    pub fn on_error(mut self, f: impl FnOnce(&EventContext, &str) + Send + 'static) -> Self {
        self.on_error = Some(Box::new(f));
        self
    }

    /// Subscribes to `queries` (SQL `SELECT`s), sent at once.
    pub fn subscribe<S: AsRef<str>>(self, queries: &[S]) -> Result<SubscriptionHandle> {
        let queries: Vec<String> = queries.iter().map(|q| q.as_ref().to_owned()).collect();
        if queries.is_empty() {
            return Err(Error::InvalidArgument("a subscription needs at least one query".into()));
        }
        let conn = self.conn.clone();
        let inner = conn.inner();
        let request_id = inner.next_request_id.fetch_add(1, Relaxed);
        let mut subs = inner.subscriptions.lock();
        // Query ids are per connection and reusable once ended; skip any still in use.
        let query_id = loop {
            subs.next_query_id = subs.next_query_id.wrapping_add(1);
            if !subs.entries.contains_key(&subs.next_query_id) {
                break subs.next_query_id;
            }
        };
        // Read before sending: a subscription sent on a later socket than it records is renewed
        // once too often (the server rejects the duplicate), never left unsent.
        let generation = inner.link.generation.load(SeqCst);
        conn.send(ClientRequest::Subscribe { request_id, query_id, queries: queries.clone() })?;
        subs.entries.insert(
            query_id,
            Entry {
                state: SubscriptionState::Pending,
                queries,
                on_applied: self.on_applied,
                on_error: self.on_error,
                on_ended: None,
                cancelled: false,
                resyncing: false,
                orphaned: false,
                generation,
            },
        );
        drop(subs);
        Ok(SubscriptionHandle { conn, query_id })
    }

    /// Subscribes to every public table and view of the module (`SELECT * FROM t` for each).
    /// Event tables are included over v2/v3; v1 cannot subscribe to them, so there they are left
    /// out (and logged).
    pub fn subscribe_to_all_tables(self) -> Result<SubscriptionHandle> {
        let schema = self.conn.schema_required()?;
        // Before the connect completes the protocol is unknown: a V10 schema means a 2.x server,
        // which picks v3 or v2 unless the builder offered v1 only.
        let v1 = match self.conn.protocol() {
            Some(p) => p == Protocol::V1,
            None => schema.version() != SchemaVersion::V10,
        };
        let mut queries = Vec::new();
        for t in schema.tables.iter().filter(|t| t.is_public) {
            if t.is_event && v1 {
                log::info!("subscribe_to_all_tables: event table `{}` left out (protocol v1 cannot subscribe to it)", t.name);
                continue;
            }
            queries.push(format!("SELECT * FROM {}", t.name));
        }
        self.subscribe(&queries)
    }
}

/// A live subscription. Dropping the handle does not unsubscribe.
#[derive(Clone)]
pub struct SubscriptionHandle {
    conn: DbConnection,
    query_id: u32,
}

impl SubscriptionHandle {
    pub fn query_id(&self) -> u32 {
        self.query_id
    }

    pub fn state(&self) -> SubscriptionState {
        let subs = self.conn.inner().subscriptions.lock();
        subs.entries.get(&self.query_id).map_or(SubscriptionState::Ended, |e| e.state)
    }

    pub fn is_active(&self) -> bool {
        self.state() == SubscriptionState::Active
    }

    pub fn is_ended(&self) -> bool {
        self.state() == SubscriptionState::Ended
    }

    pub fn queries(&self) -> Vec<String> {
        let subs = self.conn.inner().subscriptions.lock();
        subs.entries.get(&self.query_id).map(|e| e.queries.clone()).unwrap_or_default()
    }

    pub fn unsubscribe(&self) -> Result<()> {
        self.unsubscribe_inner(None)
    }

    /// Unsubscribes and runs `f` once the server has removed the rows.
    pub fn unsubscribe_then(&self, f: impl FnOnce(&EventContext) + Send + 'static) -> Result<()> {
        self.unsubscribe_inner(Some(Box::new(f)))
    }

    fn unsubscribe_inner(&self, on_ended: Option<Box<OnEnded>>) -> Result<()> {
        let inner = self.conn.inner();
        let mut subs = inner.subscriptions.lock();
        let Some(entry) = subs.entries.get_mut(&self.query_id) else {
            return Err(Error::InvalidState("the subscription has already ended".into()));
        };
        match entry.state {
            SubscriptionState::Active | SubscriptionState::Pending => {}
            SubscriptionState::Unsubscribing | SubscriptionState::Ended => {
                return Err(Error::InvalidState("unsubscribe was already called".into()))
            }
        }
        let request_id = inner.next_request_id.fetch_add(1, Relaxed);
        self.conn.send(ClientRequest::Unsubscribe { request_id, query_id: self.query_id })?;
        entry.cancelled = entry.state == SubscriptionState::Pending;
        entry.state = SubscriptionState::Unsubscribing;
        entry.on_ended = on_ended;
        entry.on_applied = None;
        Ok(())
    }
}

// ---- called by the tick ------------------------------------------------------------------------

pub(super) fn applied(conn: &DbConnection, query_id: u32) {
    let cb = {
        let mut subs = conn.inner().subscriptions.lock();
        let Some(entry) = subs.entries.get_mut(&query_id) else {
            log::warn!("SubscribeMultiApplied for unknown query id {query_id}");
            return;
        };
        entry.resyncing = false;
        // Only a pending subscription becomes active (one being unsubscribed, or cancelled
        // before it applied, loses its rows when the unsubscribe is applied).
        if entry.state == SubscriptionState::Pending {
            entry.state = SubscriptionState::Active;
            entry.on_applied.take()
        } else {
            None
        }
    };
    if let Some(cb) = cb {
        cb(&EventContext { conn, event: &Event::SubscribeApplied });
    }
}

pub(super) fn unsubscribed(conn: &DbConnection, query_id: u32) {
    let entry = conn.inner().subscriptions.lock().entries.remove(&query_id);
    if let Some(cb) = entry.and_then(|e| e.on_ended) {
        cb(&EventContext { conn, event: &Event::UnsubscribeApplied });
    }
}

pub(super) fn failed(conn: &DbConnection, query_id: u32, error: &str) {
    let entry = conn.inner().subscriptions.lock().entries.remove(&query_id);
    let Some(entry) = entry else {
        log::warn!("subscription error for unknown query id {query_id}: {error}");
        return;
    };
    log::warn!("subscription {query_id} failed: {error}");
    let event = Event::SubscribeError(error.to_owned());
    if let Some(cb) = entry.on_error {
        cb(&EventContext { conn, event: &event }, error);
    }
}

/// After a reconnect: renews every pending or active subscription under its query id (ids are per
/// connection, so they are free again), and marks the ones being unsubscribed as orphaned. A
/// subscription made after the transport reconnected (the host may tick the reconnect late) went
/// out on the new socket already: sending it again would make the server reject it as a duplicate.
pub(super) fn resubscribe_all(conn: &DbConnection) {
    let inner = conn.inner();
    let current = inner.link.generation.load(SeqCst);
    let mut subs = inner.subscriptions.lock();
    for (&query_id, entry) in subs.entries.iter_mut() {
        match entry.state {
            SubscriptionState::Pending | SubscriptionState::Active if entry.generation >= current => {}
            SubscriptionState::Pending | SubscriptionState::Active => {
                let request_id = inner.next_request_id.fetch_add(1, Relaxed);
                entry.generation = current;
                match conn.send(ClientRequest::Subscribe { request_id, query_id, queries: entry.queries.clone() }) {
                    Ok(()) => entry.resyncing = true,
                    Err(e) => log::warn!("renewing subscription {query_id} failed: {e}"),
                }
            }
            SubscriptionState::Unsubscribing => entry.orphaned = true,
            SubscriptionState::Ended => {}
        }
    }
}

/// True when no renewed subscription is still waiting for its rows.
pub(super) fn resync_done(conn: &DbConnection) -> bool {
    !conn.inner().subscriptions.lock().entries.values().any(|e| e.resyncing)
}

/// Ends the subscriptions that were being unsubscribed when the connection was lost.
pub(super) fn end_unsubscribed(conn: &DbConnection) {
    let ended: Vec<Entry> = {
        let mut subs = conn.inner().subscriptions.lock();
        let ids: Vec<u32> = subs.entries.iter().filter(|(_, e)| e.orphaned).map(|(id, _)| *id).collect();
        ids.into_iter().filter_map(|id| subs.entries.remove(&id)).collect()
    };
    for e in ended {
        if let Some(cb) = e.on_ended {
            cb(&EventContext { conn, event: &Event::UnsubscribeApplied });
        }
    }
}

pub(super) fn fail_all(conn: &DbConnection, error: &str) {
    let ids: Vec<u32> = conn.inner().subscriptions.lock().entries.keys().copied().collect();
    for id in ids {
        failed(conn, id, error);
    }
}

pub(super) fn end_all(conn: &DbConnection) {
    let entries: Vec<Entry> = conn.inner().subscriptions.lock().entries.drain().map(|(_, e)| e).collect();
    drop(entries); // callbacks are dropped on this (the ticking) thread
}
