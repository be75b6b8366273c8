//! The model as a 1.2.0 `RawModuleDefV9`, for code written against that structure (the C/C++
//! generator's model). It holds what V9 can say: tables under their canonical names, reducers,
//! types; views as the read-only tables clients see them as (rows of their row type, their
//! primary key if any); not event flags or procedures.

use crate::*;
use spacetimedb_lib::db::raw_def::v9 as raw;
use spacetimedb_primitives::{ColId, ColList};
use spacetimedb_sats::{AlgebraicTypeRef, Typespace};

fn cols(c: &[u16]) -> ColList {
    let mut list = ColList::empty();
    for &c in c {
        list.push(ColId(c));
    }
    list
}

pub fn to_raw_v9(def: &ModuleDef) -> raw::RawModuleDefV9 {
    let tables = def
        .tables
        .iter()
        .map(|t| raw::RawTableDefV9 {
            name: t.name.as_str().into(),
            product_type_ref: AlgebraicTypeRef(t.product_type_ref),
            primary_key: cols(&t.primary_key),
            indexes: t
                .indexes
                .iter()
                .map(|ix| raw::RawIndexDefV9 {
                    name: ix.name.as_deref().map(Into::into),
                    accessor_name: ix.accessor_name.as_deref().map(Into::into),
                    algorithm: match &ix.algorithm {
                        IndexAlgorithm::BTree(c) => raw::RawIndexAlgorithm::BTree { columns: cols(c) },
                        IndexAlgorithm::Hash(c) => raw::RawIndexAlgorithm::Hash { columns: cols(c) },
                        IndexAlgorithm::Direct(c) => raw::RawIndexAlgorithm::Direct { column: ColId(*c) },
                    },
                })
                .collect(),
            constraints: t
                .unique_constraints
                .iter()
                .map(|u| raw::RawConstraintDefV9 {
                    name: u.name.as_deref().map(Into::into),
                    data: raw::RawConstraintDataV9::Unique(raw::RawUniqueConstraintDataV9 { columns: cols(&u.columns) }),
                })
                .collect(),
            sequences: t
                .sequences
                .iter()
                .map(|s| raw::RawSequenceDefV9 {
                    name: s.name.as_deref().map(Into::into),
                    column: ColId(s.column),
                    start: None,
                    min_value: None,
                    max_value: None,
                    increment: 1,
                })
                .collect(),
            schedule: t.schedule.as_ref().map(|s| raw::RawScheduleDefV9 {
                name: s.name.as_deref().map(Into::into),
                reducer_name: s.function.as_str().into(),
                scheduled_at_column: ColId(s.at_column),
            }),
            table_type: if t.is_system { raw::TableType::System } else { raw::TableType::User },
            table_access: if t.is_public { raw::TableAccess::Public } else { raw::TableAccess::Private },
        })
        .collect::<Vec<_>>();
    // Clients subscribe to and read a view like a table: give the generator one.
    let views = def.views.iter().filter_map(|v| {
        Some(raw::RawTableDefV9 {
            name: v.name.as_str().into(),
            product_type_ref: AlgebraicTypeRef(v.row_type_ref?),
            primary_key: cols(&v.primary_key),
            indexes: Vec::new(),
            constraints: Vec::new(),
            sequences: Vec::new(),
            schedule: None,
            table_type: raw::TableType::User,
            table_access: if v.is_public { raw::TableAccess::Public } else { raw::TableAccess::Private },
        })
    });
    let tables: Vec<_> = tables.into_iter().chain(views).collect();
    let reducers = def
        .reducers
        .iter()
        .map(|r| raw::RawReducerDefV9 {
            name: r.name.as_str().into(),
            params: r.params.clone(),
            lifecycle: r.lifecycle.map(|l| match l {
                Lifecycle::Init => raw::Lifecycle::Init,
                Lifecycle::OnConnect => raw::Lifecycle::OnConnect,
                Lifecycle::OnDisconnect => raw::Lifecycle::OnDisconnect,
            }),
        })
        .collect();
    let types = def
        .types
        .iter()
        .map(|t| raw::RawTypeDefV9 {
            name: raw::RawScopedTypeNameV9 {
                scope: t.scope.iter().map(|s| s.as_str().into()).collect(),
                name: t.name.as_str().into(),
            },
            ty: AlgebraicTypeRef(t.ty),
            custom_ordering: t.custom_ordering,
        })
        .collect();
    raw::RawModuleDefV9 {
        typespace: Typespace::new(def.typespace.clone()),
        tables,
        reducers,
        types,
        misc_exports: Vec::new(),
        row_level_security: def
            .row_level_security
            .iter()
            .map(|sql| raw::RawRowLevelSecurityDefV9 { sql: sql.as_str().into() })
            .collect(),
    }
}
