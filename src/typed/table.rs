//! The typed table handle every generated table handle wraps: rows decoded into `Row` on the way
//! out of the cache, values encoded for lookups.

use super::{event_context, SpacetimeModule};
use crate::{CallbackId, Result};
use spacetimedb_sats::{bsatn, de::Deserialize, ser::Serialize};
use std::marker::PhantomData;
use std::ops::Bound;

/// A range of BSATN-encoded key values (from [`key_bound`]).
pub type KeyBounds = (Bound<Vec<u8>>, Bound<Vec<u8>>);

/// One table of module `M` with rows of type `Row`.
pub struct TableHandle<M, Row> {
    imp: crate::TableHandle,
    _types: PhantomData<fn() -> (M, Row)>,
}

impl<M, Row> Clone for TableHandle<M, Row> {
    fn clone(&self) -> Self {
        TableHandle { imp: self.imp.clone(), _types: PhantomData }
    }
}

/// Decodes a row; rows the cache holds were checked against the schema, so a failure means the
/// bindings do not match the schema the connection uses, and the row is skipped (and logged).
fn decode<Row: for<'de> Deserialize<'de>>(table: &crate::TableHandle, bytes: &[u8]) -> Option<Row> {
    match bsatn::from_slice(bytes) {
        Ok(row) => Some(row),
        Err(e) => {
            log::error!("a row of `{}` does not decode as the bindings' row type: {e}", table.name());
            None
        }
    }
}

impl<M: SpacetimeModule, Row: for<'de> Deserialize<'de> + Send + 'static> TableHandle<M, Row> {
    /// The handle of table `name`, which the bindings' schema (given to the connection) has.
    pub fn new(conn: &crate::DbConnection, name: &str) -> Self {
        let imp = conn.table(name).unwrap_or_else(|e| panic!("table `{name}` of the bindings: {e}"));
        TableHandle { imp, _types: PhantomData }
    }

    /// The dynamic handle underneath.
    pub fn raw(&self) -> &crate::TableHandle {
        &self.imp
    }

    pub fn count(&self) -> u64 {
        self.imp.count() as u64
    }

    /// The cached rows, decoded (a snapshot: no lock is held while you iterate).
    pub fn iter(&self) -> impl Iterator<Item = Row> + '_ {
        self.imp.rows().into_iter().filter_map(|b| decode(&self.imp, &b))
    }

    pub fn on_insert(&self, mut callback: impl FnMut(&M::EventContext, &Row) + Send + 'static) -> CallbackId {
        let table = self.imp.clone();
        self.imp.on_insert(move |ctx, bytes| {
            if let Some(row) = decode(&table, bytes) {
                callback(&event_context::<M>(ctx), &row);
            }
        })
    }

    pub fn on_delete(&self, mut callback: impl FnMut(&M::EventContext, &Row) + Send + 'static) -> CallbackId {
        let table = self.imp.clone();
        self.imp
            .on_delete(move |ctx, bytes| {
                if let Some(row) = decode(&table, bytes) {
                    callback(&event_context::<M>(ctx), &row);
                }
            })
            .expect("the bindings register delete callbacks only for tables that have deletes")
    }

    pub fn on_update(&self, mut callback: impl FnMut(&M::EventContext, &Row, &Row) + Send + 'static) -> CallbackId {
        let table = self.imp.clone();
        self.imp
            .on_update(move |ctx, old, new| {
                if let (Some(old), Some(new)) = (decode(&table, old), decode(&table, new)) {
                    callback(&event_context::<M>(ctx), &old, &new);
                }
            })
            .expect("the bindings register update callbacks only for tables with a primary key")
    }

    /// Removes an insert, delete or update callback of this table.
    pub fn remove_callback(&self, id: CallbackId) {
        self.imp.remove_callback(id);
    }

    /// The row whose unique column `column` equals `value`.
    pub fn find<Col: Serialize + ?Sized>(&self, column: &str, value: &Col) -> Option<Row> {
        let key = super::encode(value).ok()?;
        match self.imp.find(column, &key) {
            Ok(row) => row.and_then(|b| decode(&self.imp, &b)),
            Err(e) => {
                log::error!("find by `{column}` on `{}`: {e}", self.imp.name());
                None
            }
        }
    }

    /// Rows of the btree index `index` whose leading columns equal `prefix` (BSATN values, from
    /// [`key`]) and whose next column lies within `range` when given, in index order.
    pub fn btree_scan(&self, index: &str, prefix: &[Vec<u8>], range: Option<KeyBounds>) -> Vec<Row> {
        let run = || -> Result<Vec<bytes::Bytes>> {
            let ix = self.imp.btree_index(index)?;
            let prefix: Vec<&[u8]> = prefix.iter().map(Vec::as_slice).collect();
            let range = range.as_ref().map(|(lo, hi)| (lo.as_ref().map(Vec::as_slice), hi.as_ref().map(Vec::as_slice)));
            self.imp.btree_scan(ix, &prefix, range)
        };
        match run() {
            Ok(rows) => rows.iter().filter_map(|b| decode(&self.imp, b)).collect(),
            Err(e) => {
                log::error!("scanning index `{index}` of `{}`: {e}", self.imp.name());
                Vec::new()
            }
        }
    }
}

/// A key column value's BSATN bytes (for [`TableHandle::btree_scan`]).
pub fn key<T: Serialize + ?Sized>(value: &T) -> Vec<u8> {
    super::encode(value).expect("index key columns always encode")
}

/// A range bound's BSATN bytes.
pub fn key_bound<T: Serialize>(bound: Bound<&T>) -> Bound<Vec<u8>> {
    bound.map(|v| key(v))
}
