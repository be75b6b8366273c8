//! Registered callbacks. Lists are copy-on-write: registering or removing builds a new list, and a
//! dispatch runs over the list it saw when the event started, so callbacks can register and remove
//! callbacks (effective from the next event) without the registry being locked while they run.

use super::EventContext;
use crate::event::ReducerEvent;
use crate::sync::Mutex;
use std::collections::HashMap;
use std::sync::Arc;

/// Identifies a registered callback, for removal.
pub type CallbackId = u64;

pub type RowCallback = dyn FnMut(&EventContext, &[u8]) + Send;
pub type UpdateCallback = dyn FnMut(&EventContext, &[u8], &[u8]) + Send;
pub type ReducerCallback = dyn FnMut(&EventContext, &ReducerEvent) + Send;

/// One registered callback; shared so a snapshot of the list can run it without the list's lock.
type Entry<F> = (CallbackId, Arc<Mutex<Box<F>>>);

pub struct CallbackList<F: ?Sized> {
    entries: Arc<Vec<Entry<F>>>,
}

impl<F: ?Sized> Default for CallbackList<F> {
    fn default() -> Self {
        CallbackList { entries: Arc::new(Vec::new()) }
    }
}

impl<F: ?Sized> Clone for CallbackList<F> {
    fn clone(&self) -> Self {
        CallbackList { entries: self.entries.clone() }
    }
}

impl<F: ?Sized> CallbackList<F> {
    pub fn add(&mut self, id: CallbackId, f: Box<F>) {
        let mut v: Vec<_> = self.entries.as_ref().clone();
        v.push((id, Arc::new(Mutex::new(f))));
        self.entries = Arc::new(v);
    }

    pub fn remove(&mut self, id: CallbackId) -> bool {
        if !self.entries.iter().any(|(i, _)| *i == id) {
            return false;
        }
        let v = self.entries.iter().filter(|(i, _)| *i != id).cloned().collect();
        self.entries = Arc::new(v);
        true
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Runs `call` on each callback of this snapshot.
    pub fn each(&self, mut call: impl FnMut(&mut F)) {
        for (_, f) in self.entries.iter() {
            // A callback never re-enters itself (ticks cannot nest), so this lock is uncontended.
            let mut guard = f.lock();
            call(&mut **guard);
        }
    }
}

#[derive(Default, Clone)]
pub struct TableCallbacks {
    pub on_insert: CallbackList<RowCallback>,
    pub on_delete: CallbackList<RowCallback>,
    pub on_update: CallbackList<UpdateCallback>,
}

impl TableCallbacks {
    /// Whether any row callback is registered (if not, applying skips collecting diffs).
    pub fn any(&self) -> bool {
        !self.on_insert.is_empty() || !self.on_delete.is_empty() || !self.on_update.is_empty()
    }
}

#[derive(Default)]
pub struct Callbacks {
    next_id: CallbackId,
    pub tables: Vec<TableCallbacks>,
    pub reducers: HashMap<String, CallbackList<ReducerCallback>>,
    pub any_reducer: CallbackList<ReducerCallback>,
}

impl Callbacks {
    pub fn next_id(&mut self) -> CallbackId {
        self.next_id += 1;
        self.next_id
    }

    pub fn table(&mut self, table: usize) -> &mut TableCallbacks {
        if self.tables.len() <= table {
            self.tables.resize_with(table + 1, Default::default);
        }
        &mut self.tables[table]
    }
}
