//! Table handles: reading the cache and registering row callbacks for one table.

use super::{CallbackId, DbConnection, EventContext};
use crate::cache::RowId;
use crate::error::{Error, Result};
use crate::schema::TableDef;
use bytes::Bytes;

/// One table of the cache. Cheap to clone; look it up once and keep it.
#[derive(Clone)]
pub struct TableHandle {
    conn: DbConnection,
    table: usize,
}

impl TableHandle {
    /// The connection this table belongs to.
    pub fn connection(&self) -> &DbConnection {
        &self.conn
    }

    pub(super) fn new(conn: DbConnection, table: usize) -> TableHandle {
        TableHandle { conn, table }
    }

    pub fn def(&self) -> std::sync::Arc<crate::schema::Schema> {
        self.conn.schema().expect("a table handle exists only once the schema is known")
    }

    fn with_def<T>(&self, f: impl FnOnce(&TableDef) -> T) -> T {
        let schema = self.def();
        f(&schema.tables[self.table])
    }

    pub fn name(&self) -> String {
        self.with_def(|d| d.name.clone())
    }

    /// Event tables (2.x) keep no rows: lookups on them are mistakes worth reporting.
    fn not_event_table(&self, what: &str) -> Result<()> {
        self.with_def(|d| match d.is_event {
            true => Err(Error::InvalidArgument(format!(
                "`{}` is an event table: its rows are passed to insert callbacks and never cached, so it has no {what}",
                d.name
            ))),
            false => Ok(()),
        })
    }

    pub fn index(&self) -> usize {
        self.table
    }

    /// Rows currently in the cache (always 0 for an event table).
    pub fn count(&self) -> usize {
        self.conn.inner().cache.read().as_ref().map_or(0, |c| c.count(self.table))
    }

    /// Calls `f` with each cached row's BSATN bytes (shared, not copied). No lock is held while
    /// `f` runs, so it may use the connection freely.
    pub fn for_each(&self, mut f: impl FnMut(&[u8])) {
        for row in self.rows() {
            f(&row);
        }
    }

    /// The cached rows as shared byte buffers (no row bytes are copied).
    pub fn rows(&self) -> Vec<Bytes> {
        let cache = self.conn.inner().cache.read();
        let Some(cache) = cache.as_ref() else { return Vec::new() };
        cache.rows(self.table).collect()
    }

    /// The row whose unique column `column` equals the BSATN value `value`.
    pub fn find(&self, column: &str, value: &[u8]) -> Result<Option<Bytes>> {
        self.not_event_table("unique lookups")?;
        let col = self.column_index(column)?;
        let mut cache = self.conn.inner().cache.write();
        let cache = cache.as_mut().ok_or(Error::Disconnected)?;
        cache.find_unique(self.table, col, value).map_err(Error::InvalidArgument)
    }

    pub fn column_index(&self, column: &str) -> Result<usize> {
        self.with_def(|d| {
            d.columns
                .iter()
                .position(|c| c.name == column)
                .ok_or_else(|| Error::InvalidArgument(format!("table `{}` has no column `{column}`", d.name)))
        })
    }

    /// Position of a btree index by its server name or accessor name.
    pub fn btree_index(&self, name: &str) -> Result<usize> {
        self.with_def(|d| {
            d.btree_indexes
                .iter()
                .position(|i| i.name == name || i.accessor_name.as_deref() == Some(name))
                .ok_or_else(|| Error::UnknownIndex(format!("{name} (table `{}`)", d.name)))
        })
    }

    /// Rows whose leading index columns equal `prefix` (BSATN values), and whose next column lies
    /// within `range` when given, in the order SpacetimeDB orders the index's values.
    pub fn btree_scan(&self, index: usize, prefix: &[&[u8]], range: Option<crate::cache::KeyRange>) -> Result<Vec<Bytes>> {
        self.not_event_table("index scans")?;
        let mut ids: Vec<RowId> = Vec::new();
        let mut cache = self.conn.inner().cache.write();
        let cache = cache.as_mut().ok_or(Error::Disconnected)?;
        cache.btree_scan(self.table, index, prefix, range, &mut ids).map_err(Error::InvalidArgument)?;
        Ok(ids.into_iter().map(|id| cache.row(self.table, id)).collect())
    }

    pub fn on_insert(&self, f: impl FnMut(&EventContext, &[u8]) + Send + 'static) -> CallbackId {
        let mut cbs = self.conn.inner().callbacks.lock();
        let id = cbs.next_id();
        cbs.table(self.table).on_insert.add(id, Box::new(f));
        id
    }

    /// Runs when a row leaves the cache. Event tables have no deletes: an error for them.
    pub fn on_delete(&self, f: impl FnMut(&EventContext, &[u8]) + Send + 'static) -> Result<CallbackId> {
        self.not_event_table("deletes")?;
        let mut cbs = self.conn.inner().callbacks.lock();
        let id = cbs.next_id();
        cbs.table(self.table).on_delete.add(id, Box::new(f));
        Ok(id)
    }

    /// Runs on a delete and insert with equal primary keys in one transaction. Only tables with
    /// a primary key have updates.
    pub fn on_update(&self, f: impl FnMut(&EventContext, &[u8], &[u8]) + Send + 'static) -> Result<CallbackId> {
        self.not_event_table("updates")?;
        if self.with_def(|d| d.primary_key.is_none()) {
            return Err(Error::InvalidArgument(format!("table `{}` has no primary key, so it has no updates", self.name())));
        }
        let mut cbs = self.conn.inner().callbacks.lock();
        let id = cbs.next_id();
        cbs.table(self.table).on_update.add(id, Box::new(f));
        Ok(id)
    }

    /// Removes an insert, delete or update callback of this table; returns whether it existed.
    pub fn remove_callback(&self, id: CallbackId) -> bool {
        let mut cbs = self.conn.inner().callbacks.lock();
        let t = cbs.table(self.table);
        t.on_insert.remove(id) | t.on_delete.remove(id) | t.on_update.remove(id)
    }
}
