//! Client-side indexes, built the first time they are queried and maintained from then on, so a
//! table nobody queries by index pays nothing for it when rows arrive.

use super::store::{RowId, RowStore};
use crate::schema::{prefix_successor, TableDef, TypeTable};
use hashbrown::HashTable;
use std::collections::BTreeSet;
use std::ops::Bound;

/// Bounds on the BSATN bytes of an index column.
pub type KeyRange<'a> = (Bound<&'a [u8]>, Bound<&'a [u8]>);

/// A hash index over one unique column: column bytes → row.
#[derive(Clone)]
pub struct UniqueIndex {
    pub column: usize,
    map: HashTable<RowId>,
}

impl UniqueIndex {
    pub fn build(column: usize, table: &TableDef, types: &TypeTable, store: &RowStore) -> UniqueIndex {
        let mut index = UniqueIndex { column, map: HashTable::with_capacity(store.len()) };
        for (id, _) in store.iter() {
            index.add(id, table, types, store);
        }
        index
    }

    fn key<'a>(&self, row: &'a [u8], table: &TableDef, types: &TypeTable) -> Option<&'a [u8]> {
        types.field_range(&table.row_fields, row, self.column).ok().map(|r| &row[r])
    }

    pub fn add(&mut self, id: RowId, table: &TableDef, types: &TypeTable, store: &RowStore) {
        let Some(key) = self.key(store.get(id), table, types) else {
            log::warn!("table `{}`: a row does not match the row type; it is not indexed", table.name);
            return;
        };
        let hash = store.hash_bytes(key);
        let col = self.column;
        let rehash = |&id: &RowId| {
            let row = store.get(id);
            let r = types.field_range(&table.row_fields, row, col).unwrap_or(0..0);
            store.hash_bytes(&row[r])
        };
        self.map.insert_unique(hash, id, rehash);
    }

    pub fn remove(&mut self, id: RowId, row: &[u8], table: &TableDef, types: &TypeTable, store: &RowStore) {
        let Some(key) = self.key(row, table, types) else { return };
        let hash = store.hash_bytes(key);
        if let Ok(entry) = self.map.find_entry(hash, |&other| other == id) {
            entry.remove();
        }
    }

    /// Whether `additional` more rows would make the index rehash.
    pub fn would_grow(&self, additional: usize) -> bool {
        self.map.capacity() - self.map.len() < additional
    }

    pub fn find(&self, value: &[u8], table: &TableDef, types: &TypeTable, store: &RowStore) -> Option<RowId> {
        let hash = store.hash_bytes(value);
        self.map.find(hash, |&id| self.key(store.get(id), table, types) == Some(value)).copied()
    }
}

/// An ordered index over one or more columns. Keys are order-preserving encodings of the column
/// values (see [`TypeTable::order_key`]) followed by the row id, so equal values stay distinct.
#[derive(Clone)]
pub struct BTreeIndex {
    pub columns: Vec<usize>,
    set: BTreeSet<Box<[u8]>>,
}

impl BTreeIndex {
    pub fn build(columns: Vec<usize>, table: &TableDef, types: &TypeTable, store: &RowStore) -> BTreeIndex {
        let mut index = BTreeIndex { columns, set: BTreeSet::new() };
        let mut scratch = Vec::new();
        for (id, row) in store.iter() {
            index.add(id, row, table, types, &mut scratch);
        }
        index
    }

    fn key(&self, id: RowId, row: &[u8], table: &TableDef, types: &TypeTable, out: &mut Vec<u8>) -> bool {
        out.clear();
        for &c in &self.columns {
            let Ok(range) = types.field_range(&table.row_fields, row, c) else { return false };
            if types.order_key(&table.row_fields[c], row, range.start, out, 1).is_err() {
                return false;
            }
        }
        out.extend_from_slice(&id.to_be_bytes());
        true
    }

    pub fn add(&mut self, id: RowId, row: &[u8], table: &TableDef, types: &TypeTable, scratch: &mut Vec<u8>) {
        if self.key(id, row, table, types, scratch) {
            self.set.insert(scratch.as_slice().into());
        } else {
            log::warn!("table `{}`: a row does not match the row type; it is not indexed", table.name);
        }
    }

    pub fn remove(&mut self, id: RowId, row: &[u8], table: &TableDef, types: &TypeTable, scratch: &mut Vec<u8>) {
        if self.key(id, row, table, types, scratch) {
            self.set.remove(scratch.as_slice());
        }
    }

    /// Rows whose leading columns equal `prefix` and, when `range` is given, whose next column
    /// lies within it; in index order. Values are BSATN bytes of the column types, already
    /// validated by the caller.
    pub fn scan(
        &self,
        prefix: &[&[u8]],
        range: Option<KeyRange>,
        table: &TableDef,
        types: &TypeTable,
        out: &mut Vec<RowId>,
    ) -> Result<(), String> {
        let mut base = Vec::new();
        for (value, &col) in prefix.iter().zip(&self.columns) {
            types.order_key(&table.row_fields[col], value, 0, &mut base, 1)?;
        }
        let encode = |v: &[u8]| -> Result<Vec<u8>, String> {
            let col = self.columns[prefix.len()];
            let mut k = base.clone();
            types.order_key(&table.row_fields[col], v, 0, &mut k, 1)?;
            Ok(k)
        };
        // Every key of a value starts with that value's encoding, since encodings are prefix-free.
        let (lower, upper): (Bound<Vec<u8>>, Bound<Vec<u8>>) = match range {
            None => (Bound::Included(base.clone()), prefix_successor(&base).map_or(Bound::Unbounded, Bound::Excluded)),
            Some((lo, hi)) => {
                let lower = match lo {
                    Bound::Included(v) => Bound::Included(encode(v)?),
                    Bound::Excluded(v) => match prefix_successor(&encode(v)?) {
                        Some(next) => Bound::Included(next),
                        None => return Ok(()), // nothing sorts after this value
                    },
                    Bound::Unbounded => Bound::Included(base.clone()),
                };
                let upper = match hi {
                    Bound::Included(v) => prefix_successor(&encode(v)?).map_or(Bound::Unbounded, Bound::Excluded),
                    Bound::Excluded(v) => Bound::Excluded(encode(v)?),
                    Bound::Unbounded => prefix_successor(&base).map_or(Bound::Unbounded, Bound::Excluded),
                };
                (lower, upper)
            }
        };
        if let (Bound::Included(l) | Bound::Excluded(l), Bound::Included(u) | Bound::Excluded(u)) = (&lower, &upper) {
            if l > u {
                return Ok(()); // an empty range; BTreeSet::range would panic on it
            }
        }
        fn as_slice(b: &Bound<Vec<u8>>) -> Bound<&[u8]> {
            match b {
                Bound::Included(v) => Bound::Included(v.as_slice()),
                Bound::Excluded(v) => Bound::Excluded(v.as_slice()),
                Bound::Unbounded => Bound::Unbounded,
            }
        }
        if let (Bound::Excluded(l), Bound::Excluded(u)) = (&lower, &upper) {
            if l == u {
                return Ok(());
            }
        }
        for key in self.set.range::<[u8], _>((as_slice(&lower), as_slice(&upper))) {
            let id = u32::from_be_bytes(key[key.len() - 4..].try_into().expect("keys end with a row id"));
            out.push(id);
        }
        Ok(())
    }
}
