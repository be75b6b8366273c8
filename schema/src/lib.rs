//! One model of a SpacetimeDB module's schema, read from the SATS-JSON the server serves:
//! `RawModuleDefV9` (`GET /v1/database/NAME/schema?version=9`, every 1.x and 2.x server) and
//! `RawModuleDefV10` (`?version=10`, 2.x servers). stdb-client and stdb-bindings-gen both start
//! from [`ModuleDef`].
//!
//! Why not deserialize with the `spacetimedb-lib` types: a schema from a newer server must never
//! stop a connect, and serde rejects any variant it does not know (the 1.2.0 types fail on V9's
//! `Procedure` misc export and on 2.x's `Hash` index; the 2.8.3 types would fail on whatever 2.14
//! adds). So the module definition is walked here as JSON: what the client uses is read and
//! checked, anything else is skipped and noted in [`ModuleDef::ignored`]. Only the algebraic
//! types are deserialized with `spacetimedb-sats`, whose SATS-JSON form 2.x did not change.

mod compat;
mod json;
mod names;
mod v10;
mod v9;

pub use compat::to_raw_v9;
pub use names::CasePolicy;
pub use spacetimedb_sats::{AlgebraicType, ProductType};

/// Which module definition a [`ModuleDef`] was read from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SchemaVersion {
    V9,
    V10,
}

/// A module's schema, reduced to what clients and generators use.
///
/// Names: `name` is the canonical name the server uses on the wire (subscriptions, updates, calls);
/// `accessor` is the name the module's source gave (what generated code should be named after).
/// They differ on 2.x modules that convert case (`levelUp` is called as `level_up`).
#[derive(Clone, Debug)]
pub struct ModuleDef {
    pub version: SchemaVersion,
    /// The typespace: `AlgebraicType::Ref(i)` anywhere below refers to `typespace[i]`.
    pub typespace: Vec<AlgebraicType>,
    pub types: Vec<TypeDef>,
    pub tables: Vec<TableDef>,
    pub reducers: Vec<ReducerDef>,
    pub procedures: Vec<ProcedureDef>,
    pub views: Vec<ViewDef>,
    /// Row-level security filters, as SQL.
    pub row_level_security: Vec<String>,
    pub case_policy: CasePolicy,
    /// One note per part of the document that was skipped because this model does not use it
    /// (unknown sections, index algorithms, misc exports…). Callers log them once.
    pub ignored: Vec<String>,
}

/// A named type of the module (`#[derive(SpacetimeType)]`), with its scope (2.x namespaces).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TypeDef {
    pub scope: Vec<String>,
    pub name: String,
    pub ty: u32,
    pub custom_ordering: bool,
}

#[derive(Clone, Debug)]
pub struct TableDef {
    pub name: String,
    pub accessor: String,
    pub product_type_ref: u32,
    /// Column positions; empty for none.
    pub primary_key: Vec<u16>,
    pub indexes: Vec<IndexDef>,
    /// Column sets with a unique constraint.
    pub unique_constraints: Vec<UniqueConstraint>,
    pub sequences: Vec<SequenceDef>,
    pub is_public: bool,
    /// A system table (not created by the module).
    pub is_system: bool,
    /// An event table (2.x): its rows are delivered to subscribers once and never stored.
    pub is_event: bool,
    pub schedule: Option<ScheduleDef>,
    /// BSATN-encoded default values of columns added by migrations.
    pub default_values: Vec<(u16, Vec<u8>)>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UniqueConstraint {
    pub name: Option<String>,
    pub columns: Vec<u16>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SequenceDef {
    pub name: Option<String>,
    pub column: u16,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IndexDef {
    /// The server's index name, e.g. `scores_level_idx_btree`.
    pub name: Option<String>,
    /// The name the module gave the index accessor, when it gave one.
    pub accessor_name: Option<String>,
    pub algorithm: IndexAlgorithm,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum IndexAlgorithm {
    BTree(Vec<u16>),
    /// 2.x: unique or point lookups only, no order.
    Hash(Vec<u16>),
    /// Orders by one unsigned-integer column, like a btree.
    Direct(u16),
}

impl IndexAlgorithm {
    pub fn columns(&self) -> Vec<u16> {
        match self {
            IndexAlgorithm::BTree(c) | IndexAlgorithm::Hash(c) => c.clone(),
            IndexAlgorithm::Direct(c) => vec![*c],
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScheduleDef {
    pub name: Option<String>,
    /// The reducer or procedure the schedule calls (canonical name).
    pub function: String,
    pub at_column: u16,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lifecycle {
    Init,
    OnConnect,
    OnDisconnect,
}

impl Lifecycle {
    pub fn describe(self) -> &'static str {
        match self {
            Lifecycle::Init => "init",
            Lifecycle::OnConnect => "client_connected",
            Lifecycle::OnDisconnect => "client_disconnected",
        }
    }
}

#[derive(Clone, Debug)]
pub struct ReducerDef {
    pub name: String,
    pub accessor: String,
    pub params: ProductType,
    pub lifecycle: Option<Lifecycle>,
    /// False for reducers only the module itself (schedules, lifecycle) or its owner may call.
    pub client_callable: bool,
    /// V10 only: the success and error value types (`()` and `String` on 2.8.3).
    pub ok_return_type: Option<AlgebraicType>,
    pub err_return_type: Option<AlgebraicType>,
}

#[derive(Clone, Debug)]
pub struct ProcedureDef {
    pub name: String,
    pub accessor: String,
    pub params: ProductType,
    pub return_type: AlgebraicType,
    pub client_callable: bool,
}

#[derive(Clone, Debug)]
pub struct ViewDef {
    pub name: String,
    pub accessor: String,
    pub is_public: bool,
    /// Anonymous views compute the same rows for every client; the others depend on the caller.
    pub is_anonymous: bool,
    pub params: ProductType,
    pub return_type: AlgebraicType,
    /// The row type: the `Ref` inside the return type (`Vec<T>` or `Option<T>`).
    pub row_type_ref: Option<u32>,
    /// Column positions of the view's primary key (V10 only; may be empty).
    pub primary_key: Vec<u16>,
}

impl ModuleDef {
    /// Reads either schema version; which one is told by its shape (V10 is `{"sections": …}`),
    /// and the `{"V9": …}` wrapper of `spacetimedb-standalone extract-schema` is accepted too.
    pub fn from_json(text: &str) -> Result<ModuleDef, String> {
        let value: serde_json::Value = serde_json::from_str(text).map_err(|e| format!("the schema is not valid JSON: {e}"))?;
        ModuleDef::from_value(&value)
    }

    pub fn from_value(value: &serde_json::Value) -> Result<ModuleDef, String> {
        let mut def = ModuleDef::read_either(value)?;
        def.derive_view_keys();
        Ok(def)
    }

    fn read_either(value: &serde_json::Value) -> Result<ModuleDef, String> {
        let obj = value.as_object().ok_or("the schema is not a JSON object")?;
        if obj.len() == 1 {
            if let Some(inner) = obj.get("V9") {
                return v9::read(inner);
            }
            if let Some(inner) = obj.get("V10") {
                return v10::read(inner);
            }
            if obj.contains_key("V8BackCompat") {
                return Err("the schema is a V8 module definition (SpacetimeDB before 1.0), which is not supported".into());
            }
        }
        if obj.contains_key("sections") {
            v10::read(value)
        } else if obj.contains_key("typespace") && obj.contains_key("tables") {
            v9::read(value)
        } else {
            Err("the schema is neither a RawModuleDefV9 nor a RawModuleDefV10 JSON document".into())
        }
    }

    /// A query view (`impl Query<T>`, returned as `{ __query__: T }`) over a table with a primary
    /// key has that key: the server derives it without listing it (2.8.3 has no
    /// `ViewPrimaryKeys`), and its updates arrive as updates.
    fn derive_view_keys(&mut self) {
        for view in self.views.iter_mut().filter(|v| v.primary_key.is_empty()) {
            let AlgebraicType::Product(p) = &view.return_type else { continue };
            let [only] = &*p.elements else { continue };
            if only.name.as_deref() != Some("__query__") {
                continue;
            }
            let Some(row) = view.row_type_ref else { continue };
            if let Some(t) = self.tables.iter().find(|t| t.product_type_ref == row && !t.primary_key.is_empty()) {
                view.primary_key = t.primary_key.clone();
            }
        }
    }

    pub fn table(&self, name: &str) -> Option<&TableDef> {
        self.tables.iter().find(|t| t.name == name)
    }

    pub fn reducer(&self, name: &str) -> Option<&ReducerDef> {
        self.reducers.iter().find(|r| r.name == name)
    }

    pub fn procedure(&self, name: &str) -> Option<&ProcedureDef> {
        self.procedures.iter().find(|p| p.name == name)
    }

    pub fn view(&self, name: &str) -> Option<&ViewDef> {
        self.views.iter().find(|v| v.name == name)
    }
}

/// The `Ref` a view's return type (`Vec<Ref>`, `Option<Ref>`, or the `Ref` itself) points to.
pub(crate) fn view_row_ref(ty: &AlgebraicType) -> Option<u32> {
    match ty {
        AlgebraicType::Ref(r) => Some(r.idx() as u32),
        AlgebraicType::Array(a) => view_row_ref(&a.elem_ty),
        // A view defined by a query (2.x query builder) returns `{ __query__: T }`.
        AlgebraicType::Product(p) if p.elements.len() == 1 && p.elements[0].name.as_deref() == Some("__query__") => {
            view_row_ref(&p.elements[0].algebraic_type)
        }
        AlgebraicType::Sum(s) if s.variants.len() == 2 => {
            // Option<T> is `some(T) | none`.
            let is_option = s.variants[0].name.as_deref() == Some("some") && s.variants[1].name.as_deref() == Some("none");
            if is_option {
                view_row_ref(&s.variants[0].algebraic_type)
            } else {
                None
            }
        }
        _ => None,
    }
}
