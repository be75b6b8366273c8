//! One table's rows: each distinct row stored once, as its BSATN bytes, with a reference count.
//!
//! Rows are not copied out of the messages they arrive in: a row is a range of a received
//! buffer (a "chunk"), kept alive while any of its rows is cached. A row costs 20 bytes of
//! bookkeeping plus its slot in the hash table, and inserting it needs no allocation and no
//! atomic reference-count update.

use bytes::Bytes;
use hashbrown::HashTable;
use std::hash::BuildHasher;
use std::ops::Range;

/// A row slot. `refs == 0` marks a free slot (its id is on the free list).
#[derive(Clone, Copy)]
struct Slot {
    chunk: u32,
    start: u32,
    len: u32,
    refs: u32,
    /// While a message is applied: non-zero if this message created the row (the caller's mark).
    born_now: u32,
}

/// A received buffer rows point into, with the number of cached rows that do.
#[derive(Clone)]
struct Chunk {
    data: Bytes,
    live: u32,
}

pub type Hasher = hashbrown::DefaultHashBuilder;

/// Stable small ids for rows, so indexes can refer to rows by 4 bytes.
pub type RowId = u32;

#[derive(Default, Clone)]
pub struct RowStore {
    slots: Vec<Slot>,
    free: Vec<RowId>,
    chunks: Vec<Chunk>,
    free_chunks: Vec<u32>,
    /// The chunk of the buffer rows were last inserted from: (buffer address, length, chunk).
    current: Option<(usize, usize, u32)>,
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
    /// A row left the cache; its bytes are handed back (a shared slice, not a copy) when asked.
    Removed(RowId, Option<Bytes>),
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

    /// The bytes of a live row.
    pub fn get(&self, id: RowId) -> &[u8] {
        slot_bytes(&self.slots, &self.chunks, id)
    }

    /// The bytes of a live row as a shared buffer (no copy).
    pub fn shared(&self, id: RowId) -> Bytes {
        let s = &self.slots[id as usize];
        let start = s.start as usize;
        self.chunks[s.chunk as usize].data.slice(start..start + s.len as usize)
    }

    pub fn find(&self, bytes: &[u8]) -> Option<RowId> {
        let hash = self.hash_bytes(bytes);
        self.by_bytes.find(hash, |&id| self.get(id) == bytes).copied()
    }

    pub fn iter(&self) -> impl Iterator<Item = (RowId, &[u8])> {
        self.slots.iter().enumerate().filter(|(_, s)| s.refs > 0).map(|(i, _)| (i as RowId, self.get(i as RowId)))
    }

    /// Adds one reference to the row `data[range]`, storing it if it is new. A new row carries
    /// `mark` (non-zero) until [`RowStore::settle`], so that a delete in the same message can
    /// report it as cancelled. One hash-table probe finds the row or the slot for it.
    pub fn insert(&mut self, data: &Bytes, range: Range<usize>, mark: u32) -> Change {
        let row = &data[range.clone()];
        let hash = self.hasher.hash_one(row);
        let RowStore { slots, free, chunks, free_chunks, current, by_bytes, hasher, live } = self;
        let entry = by_bytes.entry(
            hash,
            |&id| slot_bytes(slots, chunks, id) == row,
            |&id| hasher.hash_one(slot_bytes(slots, chunks, id)),
        );
        let vacant = match entry {
            hashbrown::hash_table::Entry::Occupied(o) => {
                let slot = &mut slots[*o.get() as usize];
                slot.refs = slot.refs.saturating_add(1);
                return Change::RefCountOnly;
            }
            hashbrown::hash_table::Entry::Vacant(v) => v,
        };
        // Offsets are u32: a buffer over 4 GiB (beyond any accepted message) is copied per row.
        let (chunk, start) = if data.len() <= u32::MAX as usize {
            (chunk_for(chunks, free_chunks, current, data), range.start as u32)
        } else {
            *current = None;
            (chunk_for(chunks, free_chunks, current, &Bytes::copy_from_slice(row)), 0)
        };
        chunks[chunk as usize].live += 1;
        let slot = Slot { chunk, start, len: row.len() as u32, refs: 1, born_now: mark };
        let id = match free.pop() {
            Some(id) => {
                slots[id as usize] = slot;
                id
            }
            None => {
                slots.push(slot);
                (slots.len() - 1) as RowId
            }
        };
        vacant.insert(id);
        *live += 1;
        Change::Added(id)
    }

    /// Makes room for `additional` new rows up front, so a large message grows the tables once
    /// instead of rehashing repeatedly.
    pub fn reserve(&mut self, additional: usize) {
        let (slots, chunks, hasher) = (&self.slots, &self.chunks, &self.hasher);
        self.by_bytes.reserve(additional, |&id| hasher.hash_one(slot_bytes(slots, chunks, id)));
        self.slots.reserve(additional.saturating_sub(self.free.len()));
    }

    /// Whether `additional` new rows would make the store reallocate (a rehash or a copy of
    /// every slot, in proportion to the table rather than to the rows arriving).
    pub fn would_grow(&self, additional: usize) -> bool {
        self.by_bytes.capacity() - self.by_bytes.len() < additional
            || self.slots.capacity() - self.slots.len() + self.free.len() < additional
    }

    /// Drops one reference to `row`, removing it when none is left; `want_bytes` asks for the
    /// removed row's bytes (kept alive past the removal).
    pub fn delete(&mut self, row: &[u8], want_bytes: bool) -> Change {
        let hash = self.hash_bytes(row);
        let (slots, chunks) = (&self.slots, &self.chunks);
        let Ok(entry) = self.by_bytes.find_entry(hash, |&id| slot_bytes(slots, chunks, id) == row) else {
            return Change::Missing;
        };
        let id = *entry.get();
        let slot = &mut self.slots[id as usize];
        slot.refs -= 1;
        if slot.refs > 0 {
            return Change::RefCountOnly;
        }
        entry.remove();
        let slot = *slot;
        self.slots[id as usize].born_now = 0;
        self.free.push(id);
        self.live -= 1;
        let bytes = (want_bytes && slot.born_now == 0).then(|| self.shared(id));
        self.release_chunk(slot.chunk);
        if slot.born_now != 0 {
            Change::Cancelled(slot.born_now)
        } else {
            Change::Removed(id, bytes)
        }
    }

    fn release_chunk(&mut self, chunk: u32) {
        let c = &mut self.chunks[chunk as usize];
        c.live -= 1;
        if c.live == 0 {
            c.data = Bytes::new();
            self.free_chunks.push(chunk);
            if self.current.is_some_and(|(_, _, cur)| cur == chunk) {
                self.current = None;
            }
        }
    }

    /// Ends a message: rows added by it are ordinary rows from now on, and the next message's
    /// rows start a new chunk.
    pub fn settle(&mut self, added: &[RowId]) {
        for &id in added {
            if let Some(slot) = self.slots.get_mut(id as usize) {
                slot.born_now = 0;
            }
        }
        self.current = None;
    }

    pub fn clear(&mut self) {
        self.slots.clear();
        self.free.clear();
        self.chunks.clear();
        self.free_chunks.clear();
        self.current = None;
        self.by_bytes.clear();
        self.live = 0;
    }

    /// Heap bytes used by bookkeeping (not the row bytes themselves).
    pub fn overhead_bytes(&self) -> usize {
        self.slots.capacity() * std::mem::size_of::<Slot>()
            + self.free.capacity() * 4
            + self.chunks.capacity() * std::mem::size_of::<Chunk>()
            + self.free_chunks.capacity() * 4
            // hashbrown keeps 1/8 of its buckets free; each bucket is a row id plus a control byte.
            + self.by_bytes.capacity() * 8 / 7 * (std::mem::size_of::<RowId>() + 1)
    }

    /// Bytes of received buffers kept alive by cached rows (row bytes plus what shares their
    /// buffers).
    pub fn retained_bytes(&self) -> usize {
        self.chunks.iter().map(|c| c.data.len()).sum()
    }
}

/// The bytes of row `id` (free functions so `insert` can borrow the store's fields separately).
fn slot_bytes<'a>(slots: &[Slot], chunks: &'a [Chunk], id: RowId) -> &'a [u8] {
    let s = &slots[id as usize];
    &chunks[s.chunk as usize].data[s.start as usize..(s.start + s.len) as usize]
}

/// The chunk for `data`, reusing the current one while rows keep coming from the same buffer.
fn chunk_for(
    chunks: &mut Vec<Chunk>,
    free_chunks: &mut Vec<u32>,
    current: &mut Option<(usize, usize, u32)>,
    data: &Bytes,
) -> u32 {
    let key = (data.as_ptr() as usize, data.len());
    if let Some((ptr, len, chunk)) = *current {
        if (ptr, len) == key {
            return chunk;
        }
    }
    let chunk = Chunk { data: data.clone(), live: 0 };
    let id = match free_chunks.pop() {
        Some(id) => {
            chunks[id as usize] = chunk;
            id
        }
        None => {
            chunks.push(chunk);
            (chunks.len() - 1) as u32
        }
    };
    *current = Some((key.0, key.1, id));
    id
}
