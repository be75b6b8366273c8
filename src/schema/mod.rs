//! The module's schema (`RawModuleDefV9`), reduced to what a client needs: tables with their row
//! types, keys and indexes, and reducers with their parameter types.

mod types;

pub use types::{prefix_successor, same_layout, Ty, TypeTable};

use spacetimedb_lib::db::raw_def::v9::{Lifecycle, RawConstraintDataV9, RawIndexAlgorithm, RawModuleDefV9};
use spacetimedb_sats::AlgebraicType;
use std::collections::HashMap;
use std::sync::Arc;

/// A table as the client sees it.
#[derive(Debug)]
pub struct TableDef {
    pub name: String,
    /// Index of this table in [`Schema::tables`].
    pub index: usize,
    pub columns: Vec<ColumnDef>,
    /// The row type's fields, compiled.
    pub row_fields: Vec<Ty>,
    pub primary_key: Option<usize>,
    /// Column sets with a unique constraint (the primary key's included).
    pub unique_constraints: Vec<Vec<usize>>,
    pub btree_indexes: Vec<IndexDef>,
    pub is_public: bool,
}

#[derive(Debug)]
pub struct ColumnDef {
    pub name: String,
    pub ty: Ty,
    pub algebraic_type: AlgebraicType,
}

#[derive(Debug)]
pub struct IndexDef {
    /// The server's index name, e.g. `scores_level_idx_btree`.
    pub name: String,
    /// The name the module gave the index accessor, when it gave one.
    pub accessor_name: Option<String>,
    pub columns: Vec<usize>,
}

#[derive(Debug)]
pub struct ReducerDef {
    pub name: String,
    /// Index in the module's reducer list, which is what `ReducerCallInfo.reducer_id` refers to.
    pub id: u32,
    pub params: Ty,
    pub param_names: Vec<String>,
    pub lifecycle: Option<&'static str>,
}

/// Everything the client knows about the module, shared by the connection's threads.
#[derive(Debug)]
pub struct Schema {
    pub types: TypeTable,
    pub tables: Vec<TableDef>,
    pub reducers: Vec<ReducerDef>,
    table_by_name: HashMap<String, usize>,
    reducer_by_name: HashMap<String, usize>,
    pub raw: RawModuleDefV9,
}

impl Schema {
    /// Parses the SATS-JSON served by `GET /v1/database/NAME/schema?version=9`.
    pub fn from_json(json: &str) -> Result<Arc<Schema>, String> {
        let wrapper: spacetimedb_sats::serde::SerdeWrapper<RawModuleDefV9> =
            serde_json::from_str(json).map_err(|e| format!("the schema is not a valid RawModuleDefV9 JSON document: {e}"))?;
        Schema::from_raw(wrapper.0).map(Arc::new)
    }

    pub fn from_raw(raw: RawModuleDefV9) -> Result<Schema, String> {
        let types = TypeTable::new(&raw.typespace)?;
        let mut tables = Vec::with_capacity(raw.tables.len());
        for (index, t) in raw.tables.iter().enumerate() {
            let name = t.name.to_string();
            let row_ty = raw
                .typespace
                .types
                .get(t.product_type_ref.idx())
                .ok_or_else(|| format!("table `{name}`: row type reference outside the typespace"))?;
            let AlgebraicType::Product(product) = row_ty else {
                return Err(format!("table `{name}`: row type is not a product type"));
            };
            let mut columns = Vec::new();
            for (i, e) in product.elements.iter().enumerate() {
                columns.push(ColumnDef {
                    name: e.name.as_deref().map(str::to_owned).unwrap_or_else(|| format!("col{i}")),
                    ty: types.compile(&e.algebraic_type)?,
                    algebraic_type: e.algebraic_type.clone(),
                });
            }
            let col = |c: spacetimedb_primitives::ColId| -> Result<usize, String> {
                let c = c.idx();
                if c < columns.len() {
                    Ok(c)
                } else {
                    Err(format!("table `{name}`: column {c} out of range"))
                }
            };
            let primary_key = match t.primary_key.as_singleton() {
                Some(c) => Some(col(c)?),
                None if t.primary_key.is_empty() => None,
                None => return Err(format!("table `{name}`: multi-column primary keys are not supported")),
            };
            let mut unique_constraints = Vec::new();
            for c in &t.constraints {
                let RawConstraintDataV9::Unique(u) = &c.data else { continue };
                unique_constraints.push(u.columns.iter().map(col).collect::<Result<Vec<_>, _>>()?);
            }
            let mut btree_indexes = Vec::new();
            for ix in &t.indexes {
                let cols = match &ix.algorithm {
                    RawIndexAlgorithm::BTree { columns } => columns.iter().map(col).collect::<Result<Vec<_>, _>>()?,
                    // A direct index orders by the (unsigned integer) column, like a btree.
                    RawIndexAlgorithm::Direct { column } => vec![col(*column)?],
                    _ => continue,
                };
                btree_indexes.push(IndexDef {
                    name: ix.name.as_deref().unwrap_or_default().to_owned(),
                    accessor_name: ix.accessor_name.as_ref().map(|a| a.to_string()),
                    columns: cols,
                });
            }
            let row_fields = columns.iter().map(|c| c.ty.clone()).collect();
            tables.push(TableDef {
                name,
                index,
                columns,
                row_fields,
                primary_key,
                unique_constraints,
                btree_indexes,
                is_public: matches!(t.table_access, spacetimedb_lib::db::raw_def::v9::TableAccess::Public),
            });
        }
        let mut reducers = Vec::with_capacity(raw.reducers.len());
        for (id, r) in raw.reducers.iter().enumerate() {
            reducers.push(ReducerDef {
                name: r.name.to_string(),
                id: id as u32,
                params: types.compile(&AlgebraicType::Product(r.params.clone()))?,
                param_names: r
                    .params
                    .elements
                    .iter()
                    .enumerate()
                    .map(|(i, e)| e.name.as_deref().map(str::to_owned).unwrap_or_else(|| format!("arg{i}")))
                    .collect(),
                lifecycle: r.lifecycle.map(|l| match l {
                    Lifecycle::Init => "init",
                    Lifecycle::OnConnect => "client_connected",
                    Lifecycle::OnDisconnect => "client_disconnected",
                    _ => "lifecycle",
                }),
            });
        }
        let table_by_name = tables.iter().map(|t| (t.name.clone(), t.index)).collect();
        let reducer_by_name = reducers.iter().enumerate().map(|(i, r)| (r.name.clone(), i)).collect();
        Ok(Schema { types, tables, reducers, table_by_name, reducer_by_name, raw })
    }

    /// Checks that every table and reducer this schema knows has the same layout in `server`'s
    /// (the module may have grown since; it must not have changed what this schema describes).
    pub fn check_against(&self, server: &Schema) -> Result<(), String> {
        let mut problems = Vec::new();
        for t in &self.tables {
            let Some(s) = server.table(&t.name) else {
                problems.push(format!("table `{}` is gone", t.name));
                continue;
            };
            let same = t.columns.len() == s.columns.len()
                && t.columns
                    .iter()
                    .zip(&s.columns)
                    .all(|(a, b)| a.name == b.name && same_layout(&self.types, &a.ty, &server.types, &b.ty));
            if !same {
                problems.push(format!("table `{}` has different columns", t.name));
            }
        }
        for r in &self.reducers {
            match server.reducer(&r.name) {
                None => problems.push(format!("reducer `{}` is gone", r.name)),
                Some(s) if !same_layout(&self.types, &r.params, &server.types, &s.params) => {
                    problems.push(format!("reducer `{}` has different parameters", r.name))
                }
                Some(_) => {}
            }
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(format!("the module on the server no longer matches the schema given to the client: {}", problems.join("; ")))
        }
    }

    pub fn table(&self, name: &str) -> Option<&TableDef> {
        self.table_by_name.get(name).map(|&i| &self.tables[i])
    }

    pub fn reducer(&self, name: &str) -> Option<&ReducerDef> {
        self.reducer_by_name.get(name).map(|&i| &self.reducers[i])
    }
}
