//! The module's schema as the client uses it: tables (and views, which clients read like
//! tables) with their row types, keys and indexes, reducers and procedures with their parameter
//! types — compiled from the shared model in `stdb-schema`, which reads V9 and V10.

mod types;

pub use stdb_schema::{ModuleDef, SchemaVersion};
pub use types::{prefix_successor, same_layout, Ty, TypeTable};

use spacetimedb_sats::{AlgebraicType, ProductType};
use std::collections::HashMap;
use std::sync::Arc;

/// A table as the client sees it.
#[derive(Debug)]
pub struct TableDef {
    /// The canonical name, used on the wire.
    pub name: String,
    /// The name the module's source gave it (differs from `name` on 2.x modules that convert case).
    pub accessor: String,
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
    /// An event table (2.x): rows are delivered to callbacks once and never cached.
    pub is_event: bool,
    /// A view: read-only rows computed by the module, subscribed like a table's.
    pub is_view: bool,
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
    pub accessor: String,
    /// Index in the module's reducer list, which is what `ReducerCallInfo.reducer_id` refers to.
    pub id: u32,
    pub params: Ty,
    pub param_names: Vec<String>,
    pub lifecycle: Option<&'static str>,
    /// False for reducers only the module may call (lifecycle, private ones on 2.x).
    pub client_callable: bool,
    /// The reducer's error type (V10); `None` means a string, as V9 modules have.
    pub err_type: Option<Ty>,
}

#[derive(Debug)]
pub struct ProcedureDef {
    pub name: String,
    pub accessor: String,
    pub params: Ty,
    pub param_names: Vec<String>,
    pub return_type: Ty,
    pub client_callable: bool,
}

/// Everything the client knows about the module, shared by the connection's threads.
#[derive(Debug)]
pub struct Schema {
    pub types: TypeTable,
    pub tables: Vec<TableDef>,
    pub reducers: Vec<ReducerDef>,
    pub procedures: Vec<ProcedureDef>,
    table_by_name: HashMap<String, usize>,
    reducer_by_name: HashMap<String, usize>,
    procedure_by_name: HashMap<String, usize>,
    pub def: ModuleDef,
}

fn param_names(p: &ProductType, fallback: &str) -> Vec<String> {
    p.elements
        .iter()
        .enumerate()
        .map(|(i, e)| e.name.as_deref().map(str::to_owned).unwrap_or_else(|| format!("{fallback}{i}")))
        .collect()
}

impl Schema {
    /// Parses the SATS-JSON served by `GET /v1/database/NAME/schema?version=10` (2.x) or
    /// `?version=9`. Parts a newer server adds that the client does not use are logged once.
    pub fn from_json(json: &str) -> Result<Arc<Schema>, String> {
        let def = ModuleDef::from_json(json)?;
        for note in &def.ignored {
            log::info!("schema: ignored {note} (not used by this client)");
        }
        Schema::from_def(def).map(Arc::new)
    }

    /// From a 1.2.0 `RawModuleDefV9` value (tests build schemas this way).
    pub fn from_raw(raw: spacetimedb_lib::db::raw_def::v9::RawModuleDefV9) -> Result<Schema, String> {
        let json = serde_json::to_value(spacetimedb_sats::serde::SerdeWrapper::new(raw)).map_err(|e| e.to_string())?;
        Schema::from_def(ModuleDef::from_value(&json)?)
    }

    pub fn from_def(def: ModuleDef) -> Result<Schema, String> {
        let types = TypeTable::new(&spacetimedb_sats::Typespace::new(def.typespace.clone()))?;
        let row_columns = |what: &str, type_ref: u32| -> Result<Vec<ColumnDef>, String> {
            let row_ty = def
                .typespace
                .get(type_ref as usize)
                .ok_or_else(|| format!("{what}: row type reference outside the typespace"))?;
            let AlgebraicType::Product(product) = row_ty else {
                return Err(format!("{what}: row type is not a product type"));
            };
            product
                .elements
                .iter()
                .enumerate()
                .map(|(i, e)| {
                    Ok(ColumnDef {
                        name: e.name.as_deref().map(str::to_owned).unwrap_or_else(|| format!("col{i}")),
                        ty: types.compile(&e.algebraic_type)?,
                        algebraic_type: e.algebraic_type.clone(),
                    })
                })
                .collect()
        };
        let mut tables = Vec::with_capacity(def.tables.len() + def.views.len());
        for t in &def.tables {
            let name = t.name.clone();
            let columns = row_columns(&format!("table `{name}`"), t.product_type_ref)?;
            let col = |c: u16| -> Result<usize, String> {
                let c = c as usize;
                if c < columns.len() {
                    Ok(c)
                } else {
                    Err(format!("table `{name}`: column {c} out of range"))
                }
            };
            let primary_key = match t.primary_key.as_slice() {
                [] => None,
                [c] => Some(col(*c)?),
                _ => return Err(format!("table `{name}`: multi-column primary keys are not supported")),
            };
            let mut unique_constraints = Vec::new();
            for u in &t.unique_constraints {
                unique_constraints.push(u.columns.iter().map(|&c| col(c)).collect::<Result<Vec<_>, _>>()?);
            }
            let mut btree_indexes = Vec::new();
            for ix in &t.indexes {
                // A direct index orders by the (unsigned integer) column, like a btree; a hash
                // index has no order, and its unique lookups go through the unique constraint.
                let cols = match &ix.algorithm {
                    stdb_schema::IndexAlgorithm::BTree(c) => c.clone(),
                    stdb_schema::IndexAlgorithm::Direct(c) => vec![*c],
                    stdb_schema::IndexAlgorithm::Hash(_) => continue,
                };
                btree_indexes.push(IndexDef {
                    name: ix.name.clone().unwrap_or_default(),
                    accessor_name: ix.accessor_name.clone(),
                    columns: cols.into_iter().map(col).collect::<Result<Vec<_>, _>>()?,
                });
            }
            let row_fields = columns.iter().map(|c| c.ty.clone()).collect();
            tables.push(TableDef {
                name,
                accessor: t.accessor.clone(),
                index: tables.len(),
                columns,
                row_fields,
                primary_key,
                unique_constraints,
                btree_indexes,
                is_public: t.is_public,
                is_event: t.is_event,
                is_view: false,
            });
        }
        for v in &def.views {
            let what = format!("view `{}`", v.name);
            let Some(row_ref) = v.row_type_ref else {
                log::info!("schema: {what} returns no table-like rows; it cannot be subscribed to by this client");
                continue;
            };
            let columns = row_columns(&what, row_ref)?;
            let primary_key = match v.primary_key.as_slice() {
                [c] if (*c as usize) < columns.len() => Some(*c as usize),
                _ => None,
            };
            let row_fields = columns.iter().map(|c| c.ty.clone()).collect();
            tables.push(TableDef {
                name: v.name.clone(),
                accessor: v.accessor.clone(),
                index: tables.len(),
                columns,
                row_fields,
                primary_key,
                unique_constraints: primary_key.map(|c| vec![c]).into_iter().collect(),
                btree_indexes: Vec::new(),
                is_public: v.is_public,
                is_event: false,
                is_view: true,
            });
        }
        let mut reducers = Vec::with_capacity(def.reducers.len());
        for (id, r) in def.reducers.iter().enumerate() {
            // A string error type is the common case and the V9 meaning; other types are compiled.
            let err_type = match &r.err_return_type {
                None | Some(AlgebraicType::String) => None,
                Some(t) => Some(types.compile(t)?),
            };
            reducers.push(ReducerDef {
                name: r.name.clone(),
                accessor: r.accessor.clone(),
                id: id as u32,
                params: types.compile(&AlgebraicType::Product(r.params.clone()))?,
                param_names: param_names(&r.params, "arg"),
                lifecycle: r.lifecycle.map(|l| l.describe()),
                client_callable: r.client_callable,
                err_type,
            });
        }
        let mut procedures = Vec::with_capacity(def.procedures.len());
        for p in &def.procedures {
            procedures.push(ProcedureDef {
                name: p.name.clone(),
                accessor: p.accessor.clone(),
                params: types.compile(&AlgebraicType::Product(p.params.clone()))?,
                param_names: param_names(&p.params, "arg"),
                return_type: types.compile(&p.return_type)?,
                client_callable: p.client_callable,
            });
        }
        let table_by_name = tables.iter().map(|t| (t.name.clone(), t.index)).collect();
        let reducer_by_name = reducers.iter().enumerate().map(|(i, r)| (r.name.clone(), i)).collect();
        let procedure_by_name = procedures.iter().enumerate().map(|(i, p)| (p.name.clone(), i)).collect();
        Ok(Schema { types, tables, reducers, procedures, table_by_name, reducer_by_name, procedure_by_name, def })
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

    pub fn procedure(&self, name: &str) -> Option<&ProcedureDef> {
        self.procedure_by_name.get(name).map(|&i| &self.procedures[i])
    }

    /// Which schema version the server described the module with (V10 only from 2.x servers).
    pub fn version(&self) -> SchemaVersion {
        self.def.version
    }
}
