//! The client cache: every subscribed row, reference-counted across overlapping subscriptions,
//! with lazily built unique and btree indexes.

mod index;
mod store;

pub use index::KeyRange;
pub use store::RowId;

use crate::schema::{Schema, TableDef};
use bytes::Bytes;
use index::{BTreeIndex, UniqueIndex};
use std::ops::Bound;
use std::sync::Arc;
use store::{Change, RowStore};

/// Rows for one table from one server message, as decoded in the background.
#[derive(Debug, Default)]
pub struct TableRows {
    pub table: usize,
    pub inserts: Vec<crate::protocol::RowList>,
    pub deletes: Vec<crate::protocol::RowList>,
    /// Event-table rows (v2): passed to insert callbacks, never stored.
    pub events: Vec<crate::protocol::RowList>,
}

/// What applying one table's rows changed, for the callbacks.
#[derive(Debug, Default)]
pub struct TableDiff {
    pub table: usize,
    pub inserts: Vec<Bytes>,
    pub deletes: Vec<Bytes>,
    pub updates: Vec<(Bytes, Bytes)>,
}

impl TableDiff {
    pub fn is_empty(&self) -> bool {
        self.inserts.is_empty() && self.deletes.is_empty() && self.updates.is_empty()
    }
}

/// One table's rows and indexes. Cloned off the game thread to stage a large message (see
/// [`ClientCache::stage_table`]).
#[derive(Clone)]
pub struct TableCache {
    store: RowStore,
    unique: Vec<Option<UniqueIndex>>,
    btree: Vec<Option<BTreeIndex>>,
    /// Row ids added by the message being applied (reused between messages).
    added: Vec<RowId>,
    scratch: Vec<u8>,
}

/// Counters about cache consistency, readable through the metrics.
#[derive(Clone, Copy, Debug, Default)]
pub struct CacheStats {
    pub rows_inserted: u64,
    pub rows_deleted: u64,
    /// Deletes of rows the cache did not hold (logged; a server or subscription bookkeeping issue).
    pub missing_deletes: u64,
}

pub struct ClientCache {
    schema: Arc<Schema>,
    tables: Vec<TableCache>,
    /// While resynchronising after a reconnect: the cache being rebuilt from the renewed
    /// subscriptions. Reads keep seeing `tables` until [`ClientCache::finish_resync`].
    shadow: Option<Vec<TableCache>>,
    pub stats: CacheStats,
}

fn empty_tables(schema: &Schema) -> Vec<TableCache> {
    schema
        .tables
        .iter()
        .map(|t| TableCache {
            store: RowStore::default(),
            unique: t.unique_constraints.iter().map(|_| None).collect(),
            btree: t.btree_indexes.iter().map(|_| None).collect(),
            added: Vec::new(),
            scratch: Vec::new(),
        })
        .collect()
}

impl ClientCache {
    pub fn new(schema: Arc<Schema>) -> ClientCache {
        let tables = empty_tables(&schema);
        ClientCache { schema, tables, shadow: None, stats: CacheStats::default() }
    }

    /// Starts rebuilding the cache from scratch (after a reconnect): until `finish_resync`,
    /// applied rows go to a new cache and no diffs are reported, while reads see the old one.
    pub fn begin_resync(&mut self) {
        self.shadow = Some(empty_tables(&self.schema));
    }

    pub fn is_resyncing(&self) -> bool {
        self.shadow.is_some()
    }

    /// Replaces the cache with the rebuilt one and reports, for the tables `collect` selects, the
    /// rows that differ between the two (deletes, inserts, and updates paired by primary key).
    pub fn finish_resync(&mut self, collect: impl Fn(usize) -> bool, diffs: &mut Vec<TableDiff>) {
        let Some(new) = self.shadow.take() else { return };
        let old = std::mem::replace(&mut self.tables, new);
        for (i, (old, new)) in old.iter().zip(&self.tables).enumerate() {
            let gone: Vec<RowId> = old.store.iter().filter(|(_, r)| new.store.find(r).is_none()).map(|(id, _)| id).collect();
            let came: Vec<RowId> = new.store.iter().filter(|(_, r)| old.store.find(r).is_none()).map(|(id, _)| id).collect();
            self.stats.rows_deleted += gone.len() as u64;
            self.stats.rows_inserted += came.len() as u64;
            if (gone.is_empty() && came.is_empty()) || !collect(i) {
                continue;
            }
            let mut diff = TableDiff {
                table: i,
                inserts: came.iter().map(|&id| new.store.shared(id)).collect(),
                deletes: gone.iter().map(|&id| old.store.shared(id)).collect(),
                updates: Vec::new(),
            };
            let def = &self.schema.tables[i];
            if let Some(pk) = def.primary_key {
                pair_updates(def, &self.schema.types, pk, &mut diff);
            }
            diffs.push(diff);
        }
    }

    pub fn schema(&self) -> &Arc<Schema> {
        &self.schema
    }

    pub fn count(&self, table: usize) -> usize {
        self.tables[table].store.len()
    }

    /// Iterates the rows of `table` as borrowed BSATN bytes (no copy).
    pub fn iter(&self, table: usize) -> impl Iterator<Item = &[u8]> {
        self.tables[table].store.iter().map(|(_, r)| r)
    }

    /// The rows of `table` as shared buffers (no row bytes are copied).
    pub fn rows(&self, table: usize) -> impl Iterator<Item = Bytes> + '_ {
        let store = &self.tables[table].store;
        store.iter().map(move |(id, _)| store.shared(id))
    }

    /// One row as a shared buffer.
    pub fn row(&self, table: usize, id: RowId) -> Bytes {
        self.tables[table].store.shared(id)
    }

    pub fn contains(&self, table: usize, row: &[u8]) -> bool {
        self.tables[table].store.find(row).is_some()
    }

    /// Bookkeeping bytes beyond the row bytes themselves, excluding indexes.
    pub fn overhead_bytes(&self) -> usize {
        self.tables.iter().map(|t| t.store.overhead_bytes()).sum()
    }

    /// Bytes of received buffers that cached rows keep alive.
    pub fn retained_bytes(&self) -> usize {
        self.tables.iter().map(|t| t.store.retained_bytes()).sum()
    }

    /// Finds the row whose unique column `column` has the BSATN value `value`.
    pub fn find_unique(&mut self, table: usize, column: usize, value: &[u8]) -> Result<Option<Bytes>, String> {
        let def = &self.schema.tables[table];
        let Some(slot) = def.unique_constraints.iter().position(|c| c.as_slice() == [column]) else {
            return Err(format!("column `{}` of table `{}` has no unique constraint", def.columns[column].name, def.name));
        };
        self.schema
            .types
            .validate(&def.row_fields[column], value)
            .map_err(|e| format!("the value for `{}.{}` does not match its type: {e}", def.name, def.columns[column].name))?;
        let t = &mut self.tables[table];
        let index = t.unique[slot].get_or_insert_with(|| UniqueIndex::build(column, def, &self.schema.types, &t.store));
        Ok(index.find(value, def, &self.schema.types, &t.store).map(|id| t.store.shared(id)))
    }

    /// Scans btree index `index` (position in the table's index list): rows whose leading
    /// columns equal `prefix`, and whose next column lies in `range` when given, in index order.
    pub fn btree_scan(
        &mut self,
        table: usize,
        index: usize,
        prefix: &[&[u8]],
        range: Option<index::KeyRange>,
        out: &mut Vec<RowId>,
    ) -> Result<(), String> {
        let def = &self.schema.tables[table];
        let Some(ix) = def.btree_indexes.get(index) else {
            return Err(format!("table `{}` has no index number {index}", def.name));
        };
        let used = prefix.len() + usize::from(range.is_some());
        if used > ix.columns.len() || (range.is_none() && prefix.is_empty() && ix.columns.is_empty()) {
            return Err(format!("index `{}` has {} columns, the query uses {used}", ix.name, ix.columns.len()));
        }
        let types = &self.schema.types;
        for (value, &col) in prefix.iter().zip(&ix.columns) {
            types.validate(&def.row_fields[col], value).map_err(|e| format!("value for `{}`: {e}", def.columns[col].name))?;
        }
        if let Some((lo, hi)) = &range {
            let col = ix.columns[prefix.len()];
            for b in [lo, hi] {
                if let Bound::Included(v) | Bound::Excluded(v) = b {
                    types.validate(&def.row_fields[col], v).map_err(|e| format!("bound for `{}`: {e}", def.columns[col].name))?;
                }
            }
        }
        let t = &mut self.tables[table];
        let btree = t.btree[index].get_or_insert_with(|| BTreeIndex::build(ix.columns.clone(), def, types, &t.store));
        btree.scan(prefix, range, def, types, out)
    }

    /// Applies one table's rows from a message: all inserts, then all deletes (a row moving between
    /// overlapping queries arrives as a delete in one and an insert in another). Fills `diff` with
    /// what changed when `collect` is set; pairs deletes and inserts with equal primary keys into
    /// updates.
    pub fn apply(&mut self, rows: &TableRows, collect: bool, diff: &mut TableDiff) {
        // While resynchronising, rows build the new cache and the final diff reports them.
        let (t, collect) = match &mut self.shadow {
            Some(shadow) => (&mut shadow[rows.table], false),
            None => (&mut self.tables[rows.table], collect),
        };
        apply_table(&self.schema, t, rows, collect, diff, &mut self.stats);
    }

    /// Whether applying `incoming` new rows to `table` in place would cost in proportion to the
    /// table (its row store or a unique index reallocating) rather than to the rows.
    pub fn would_grow(&self, table: usize, incoming: usize) -> bool {
        let t = self.target(table);
        t.store.would_grow(incoming) || t.unique.iter().flatten().any(|ix| ix.would_grow(incoming))
    }

    fn target(&self, table: usize) -> &TableCache {
        match &self.shadow {
            Some(shadow) => &shadow[table],
            None => &self.tables[table],
        }
    }

    /// A copy of the table that [`apply`](Self::apply) would change (the rebuilt one while
    /// resynchronising), to apply a large message to off the game thread with
    /// [`apply_detached`]; the second value says whether diffs may be collected (not while
    /// resynchronising). Costs a copy of the table's bookkeeping, not of its row bytes.
    pub fn stage_table(&self, table: usize) -> (TableCache, bool) {
        (self.target(table).clone(), self.shadow.is_none())
    }

    /// Puts a table staged with [`stage_table`](Self::stage_table) (and applied to since) in
    /// place of the one it copied, with the consistency counters of what was applied to it;
    /// returns the replaced table (drop it off the game thread: that frees every row slot).
    pub fn install_table(&mut self, table: usize, staged: TableCache, stats: CacheStats) -> TableCache {
        self.stats.rows_inserted += stats.rows_inserted;
        self.stats.rows_deleted += stats.rows_deleted;
        self.stats.missing_deletes += stats.missing_deletes;
        let slot = match &mut self.shadow {
            Some(shadow) => &mut shadow[table],
            None => &mut self.tables[table],
        };
        std::mem::replace(slot, staged)
    }

    /// Removes every row (used when a connection's subscriptions are all gone).
    pub fn clear(&mut self) {
        for t in &mut self.tables {
            t.store.clear();
            t.unique.iter_mut().for_each(|i| *i = None);
            t.btree.iter_mut().for_each(|i| *i = None);
        }
    }
}

/// [`ClientCache::apply`] on one table outside the cache: the staged copy of a large message's
/// table, applied to off the game thread. `stats` receives the consistency counters.
pub fn apply_detached(
    schema: &Schema,
    t: &mut TableCache,
    rows: &TableRows,
    collect: bool,
    diff: &mut TableDiff,
    stats: &mut CacheStats,
) {
    apply_table(schema, t, rows, collect, diff, stats)
}

fn apply_table(
    schema: &Schema,
    t: &mut TableCache,
    rows: &TableRows,
    collect: bool,
    diff: &mut TableDiff,
    stats: &mut CacheStats,
) {
    let def: &TableDef = &schema.tables[rows.table];
    let types = &schema.types;
    diff.table = rows.table;
    // Event rows exist for the moment of their transaction: reported, not stored. A row
    // sent as an ordinary insert to an event table (the server never does) is kept out too.
    if def.is_event {
        if collect {
            for list in rows.events.iter().chain(&rows.inserts) {
                diff.inserts.extend((0..list.len()).map(|i| list.data().slice(list.range(i))));
            }
        }
        return;
    }
    t.added.clear();
    let incoming: usize = rows.inserts.iter().map(|l| l.len()).sum();
    // A message larger than the table (typically an initial subscription) is mostly new
    // rows: grow once. Smaller ones may be mostly duplicates and are left to normal growth.
    if incoming > 64 && incoming > t.store.len() {
        t.store.reserve(incoming);
    }
    for list in &rows.inserts {
        let data = list.data();
        for i in 0..list.len() {
            let mark = t.added.len() as u32 + 1;
            if let Change::Added(id) = t.store.insert(data, list.range(i), mark) {
                t.added.push(id);
                stats.rows_inserted += 1;
            }
        }
    }
    for list in &rows.deletes {
        for row in list.iter() {
            match t.store.delete(row, collect) {
                Change::Removed(id, bytes) => {
                    stats.rows_deleted += 1;
                    // `row` has the same bytes as the removed row.
                    for ix in t.unique.iter_mut().flatten() {
                        ix.remove(id, row, def, types, &t.store);
                    }
                    for ix in t.btree.iter_mut().flatten() {
                        ix.remove(id, row, def, types, &mut t.scratch);
                    }
                    diff.deletes.extend(bytes);
                }
                Change::Cancelled(mark) => {
                    stats.rows_inserted -= 1;
                    t.added[mark as usize - 1] = RowId::MAX;
                }
                Change::Missing => {
                    stats.missing_deletes += 1;
                    log::warn!("table `{}`: the server deleted a row the cache does not hold; ignored", def.name);
                }
                Change::RefCountOnly | Change::Added(_) => {}
            }
        }
    }
    t.added.retain(|&id| id != RowId::MAX);
    t.store.settle(&t.added);
    for &id in &t.added {
        for ix in t.unique.iter_mut().flatten() {
            ix.add(id, def, types, &t.store);
        }
        for ix in t.btree.iter_mut().flatten() {
            ix.add(id, t.store.get(id), def, types, &mut t.scratch);
        }
        if collect {
            diff.inserts.push(t.store.shared(id));
        }
    }
    if collect {
        if let Some(pk) = def.primary_key {
            pair_updates(def, types, pk, diff);
        }
    }
}

/// Turns a delete and an insert with the same primary key into one update.
fn pair_updates(def: &TableDef, types: &crate::schema::TypeTable, pk: usize, diff: &mut TableDiff) {
    if diff.deletes.is_empty() || diff.inserts.is_empty() {
        return;
    }
    fn key<'a>(def: &TableDef, types: &crate::schema::TypeTable, pk: usize, row: &'a [u8]) -> Option<&'a [u8]> {
        types.field_range(&def.row_fields, row, pk).ok().map(|r| &row[r])
    }
    // (delete index, insert index) of each pair; keys borrow from the rows, nothing is copied.
    let pairs: Vec<(usize, usize)> = {
        let mut deleted: hashbrown::HashMap<&[u8], usize> = hashbrown::HashMap::with_capacity(diff.deletes.len());
        for (i, row) in diff.deletes.iter().enumerate() {
            if let Some(k) = key(def, types, pk, row) {
                deleted.insert(k, i);
            }
        }
        diff.inserts
            .iter()
            .enumerate()
            .filter_map(|(j, row)| key(def, types, pk, row).and_then(|k| deleted.remove(k)).map(|i| (i, j)))
            .collect()
    };
    if pairs.is_empty() {
        return;
    }
    let mut paired_delete = vec![false; diff.deletes.len()];
    let mut paired_insert = vec![false; diff.inserts.len()];
    for &(i, j) in &pairs {
        paired_delete[i] = true;
        paired_insert[j] = true;
        diff.updates.push((diff.deletes[i].clone(), diff.inserts[j].clone()));
    }
    let mut i = 0;
    diff.deletes.retain(|_| {
        i += 1;
        !paired_delete[i - 1]
    });
    let mut j = 0;
    diff.inserts.retain(|_| {
        j += 1;
        !paired_insert[j - 1]
    });
}
