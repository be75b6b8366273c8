//! One table's rows: each distinct row stored once, as its BSATN bytes, with a reference count.

use bytes::Bytes;
use hashbrown::HashTable;
use std::hash::BuildHasher;

/// A row slot. `refs == 0` marks a free slot (its id is on the free list).
struct Slot {
    row: Bytes,
    refs: u32,
    /// While a message is applied: non-zero if this message created the row (the caller's mark).
    born_now: u32,
}

pub type Hasher = hashbrown::DefaultHashBuilder;

/// Stable small ids for rows, so indexes can refer to rows by 4 bytes.
pub type RowId = u32;

#[derive(Default)]
pub struct RowStore {
    slots: Vec<Slot>,
    free: Vec<RowId>,
    by_bytes: HashTable<RowId>,
    hasher: Hasher,
    live: usize,
}

/// What an insert or delete did to the set of distinct rows.
pub enum Change {
    /// The row was already present (insert) or is still referenced (delete).
    RefCountOnly,
    /// A row became present.
    Added(RowId),
    /// A row left the cache; its bytes are handed back.
    Removed(RowId, Bytes),
    /// A row left the cache in the same message that added it, which gave it this mark.
    Cancelled(u32),
    /// A delete of a row the cache does not hold.
    Missing,
}

impl RowStore {
    pub fn len(&self) -> usize {
        self.live
    }

    pub fn hash_bytes(&self, bytes: &[u8]) -> u64 {
        self.hasher.hash_one(bytes)
    }

    pub fn find(&self, bytes: &[u8]) -> Option<RowId> {
        let hash = self.hash_bytes(bytes);
        self.by_bytes.find(hash, |&id| self.slots[id as usize].row[..] == *bytes).copied()
    }

    pub fn get(&self, id: RowId) -> &Bytes {
        &self.slots[id as usize].row
    }

    pub fn iter(&self) -> impl Iterator<Item = (RowId, &Bytes)> {
        self.slots.iter().enumerate().filter(|(_, s)| s.refs > 0).map(|(i, s)| (i as RowId, &s.row))
    }

    /// Adds one reference to `row`, storing it if it is new. `row` is a slice of the received
    /// message, so storing it costs no copy. A new row carries `mark` (non-zero) until
    /// [`RowStore::settle`], so that a delete in the same message can report it as cancelled.
    pub fn insert(&mut self, row: Bytes, mark: u32) -> Change {
        let hash = self.hash_bytes(&row);
        let slots = &mut self.slots;
        if let Some(&id) = self.by_bytes.find(hash, |&id| slots[id as usize].row == row) {
            let slot = &mut slots[id as usize];
            slot.refs = slot.refs.saturating_add(1);
            return Change::RefCountOnly;
        }
        let slot = Slot { row, refs: 1, born_now: mark };
        let id = match self.free.pop() {
            Some(id) => {
                self.slots[id as usize] = slot;
                id
            }
            None => {
                self.slots.push(slot);
                (self.slots.len() - 1) as RowId
            }
        };
        let slots = &self.slots;
        let hasher = &self.hasher;
        self.by_bytes.insert_unique(hash, id, |&id| hasher.hash_one(&slots[id as usize].row[..]));
        self.live += 1;
        Change::Added(id)
    }

    /// Drops one reference to `row`, removing it when none is left.
    pub fn delete(&mut self, row: &[u8]) -> Change {
        let hash = self.hash_bytes(row);
        let slots = &self.slots;
        let Ok(entry) = self.by_bytes.find_entry(hash, |&id| slots[id as usize].row[..] == *row) else {
            return Change::Missing;
        };
        let id = *entry.get();
        let slot = &mut self.slots[id as usize];
        slot.refs -= 1;
        if slot.refs > 0 {
            return Change::RefCountOnly;
        }
        entry.remove();
        self.free.push(id);
        self.live -= 1;
        let bytes = std::mem::take(&mut slot.row);
        if slot.born_now != 0 {
            let mark = std::mem::take(&mut slot.born_now);
            Change::Cancelled(mark)
        } else {
            Change::Removed(id, bytes)
        }
    }

    /// Ends a message: rows added by it are ordinary rows from now on.
    pub fn settle(&mut self, added: &[RowId]) {
        for &id in added {
            if let Some(slot) = self.slots.get_mut(id as usize) {
                slot.born_now = 0;
            }
        }
    }

    pub fn clear(&mut self) -> Vec<Bytes> {
        let rows = self.slots.drain(..).filter(|s| s.refs > 0).map(|s| s.row).collect();
        self.free.clear();
        self.by_bytes.clear();
        self.live = 0;
        rows
    }

    /// Approximate heap bytes used by bookkeeping (not the row bytes themselves).
    pub fn overhead_bytes(&self) -> usize {
        self.slots.capacity() * std::mem::size_of::<Slot>()
            + self.free.capacity() * 4
            + self.by_bytes.capacity() * (std::mem::size_of::<RowId>() + 1)
    }
}
