//! `RawModuleDefV10`: a list of sections in any order, each optional. Known sections are read;
//! unknown ones (a newer server's) are noted and skipped. Definitions carry their source names;
//! canonical names come from `ExplicitNames` or the case-conversion policy (see `names.rs`).

use crate::json::{self, obj, Obj, Result};
use crate::names::ExplicitNames;
use crate::v9::{access_is_public, read_constraints, read_indexes, read_rls, read_sequences, read_typespace, type_is_system};
use crate::*;
use serde_json::Value;

pub(crate) fn read(v: &Value) -> Result<ModuleDef> {
    let root = obj(v, "RawModuleDefV10")?;
    let mut sections: Vec<(&str, &Value)> = Vec::new();
    for (i, s) in root.array("sections")?.iter().enumerate() {
        sections.push(json::variant(s, &format!("sections[{i}]"))?);
    }
    let section = |name: &str| sections.iter().find(|(k, _)| *k == name).map(|(_, v)| *v);
    let mut ignored = Vec::new();

    let case_policy = match section("CaseConversionPolicy") {
        Some(p) => match json::variant(p, "CaseConversionPolicy")?.0 {
            "None" => CasePolicy::None,
            "SnakeCase" => CasePolicy::SnakeCase,
            other => {
                ignored.push(format!("case conversion policy `{other}` (names are taken as snake_case)"));
                CasePolicy::SnakeCase
            }
        },
        None => CasePolicy::default(),
    };
    let explicit = match section("ExplicitNames") {
        Some(e) => read_explicit_names(e, &mut ignored)?,
        None => ExplicitNames::default(),
    };
    let typespace = match section("Typespace") {
        Some(ts) => read_typespace(ts, "Typespace")?,
        None => Vec::new(),
    };

    let mut types = Vec::new();
    for (i, t) in list(section("Types"), "Types")?.iter().enumerate() {
        let t = obj(t, &format!("Types[{i}]"))?;
        let name = obj(t.get("source_name")?, &t.path)?;
        types.push(TypeDef {
            scope: name.array("scope")?.iter().map(|s| json::as_str(s, "scope")).collect::<Result<_>>()?,
            name: name.str("source_name")?,
            ty: t.u32("ty")?,
            custom_ordering: t.bool("custom_ordering")?,
        });
    }

    let mut tables = Vec::new();
    for (i, t) in list(section("Tables"), "Tables")?.iter().enumerate() {
        let t = obj(t, &format!("Tables[{i}]"))?;
        let accessor = t.str("source_name")?;
        let mut default_values = Vec::new();
        for (k, d) in t.array("default_values")?.iter().enumerate() {
            let path = format!("{}.default_values[{k}]", &t.path);
            let d = obj(d, &path)?;
            default_values.push((json::col(d.get("col_id")?, &path)?, json::hex_bytes(d.get("value")?, &path)?));
        }
        let mut indexes = read_indexes(&t, "source_name", &mut ignored)?;
        for ix in &mut indexes {
            ix.name = ix.name.as_deref().map(|n| explicit.index(n));
        }
        tables.push(TableDef {
            name: explicit.table(&accessor, case_policy),
            accessor,
            product_type_ref: t.u32("product_type_ref")?,
            primary_key: t.cols("primary_key")?,
            indexes,
            unique_constraints: read_constraints(&t, "source_name", &mut ignored)?,
            sequences: read_sequences(&t, "source_name")?,
            is_public: access_is_public(&t)?,
            is_system: type_is_system(&t)?,
            is_event: t.opt("is_event").and_then(Value::as_bool).unwrap_or(false),
            schedule: None,
            default_values,
        });
    }

    let mut reducers = Vec::new();
    for (i, r) in list(section("Reducers"), "Reducers")?.iter().enumerate() {
        let r = obj(r, &format!("Reducers[{i}]"))?;
        let accessor = r.str("source_name")?;
        reducers.push(ReducerDef {
            name: explicit.function(&accessor, case_policy),
            accessor,
            params: r.product("params")?,
            lifecycle: None,
            client_callable: client_callable(&r)?,
            ok_return_type: r.opt("ok_return_type").map(|_| r.ty("ok_return_type")).transpose()?,
            err_return_type: r.opt("err_return_type").map(|_| r.ty("err_return_type")).transpose()?,
        });
    }
    for (i, l) in list(section("LifeCycleReducers"), "LifeCycleReducers")?.iter().enumerate() {
        let path = format!("LifeCycleReducers[{i}]");
        let l = obj(l, &path)?;
        let function = explicit.function(&l.str("function_name")?, case_policy);
        let lifecycle = crate::v9::lifecycle_of(l.get("lifecycle_spec")?, &path)?;
        match reducers.iter_mut().find(|r| r.name == function) {
            Some(r) => {
                r.lifecycle = lifecycle;
                r.client_callable = false;
            }
            None => ignored.push(format!("{path}: lifecycle reducer `{function}` is not among the reducers")),
        }
    }

    let mut procedures = Vec::new();
    for (i, p) in list(section("Procedures"), "Procedures")?.iter().enumerate() {
        let p = obj(p, &format!("Procedures[{i}]"))?;
        let accessor = p.str("source_name")?;
        procedures.push(ProcedureDef {
            name: explicit.function(&accessor, case_policy),
            accessor,
            params: p.product("params")?,
            return_type: p.ty("return_type")?,
            client_callable: client_callable(&p)?,
        });
    }

    let mut views = Vec::new();
    for (i, v) in list(section("Views"), "Views")?.iter().enumerate() {
        let v = obj(v, &format!("Views[{i}]"))?;
        let accessor = v.str("source_name")?;
        let return_type = v.ty("return_type")?;
        views.push(ViewDef {
            name: explicit.function(&accessor, case_policy),
            accessor,
            is_public: v.bool("is_public")?,
            is_anonymous: v.bool("is_anonymous")?,
            params: v.product("params")?,
            row_type_ref: view_row_ref(&return_type),
            return_type,
            primary_key: Vec::new(),
        });
    }
    for (i, k) in list(section("ViewPrimaryKeys"), "ViewPrimaryKeys")?.iter().enumerate() {
        let path = format!("ViewPrimaryKeys[{i}]");
        let k = obj(k, &path)?;
        let view_source = k.str("view_source_name")?;
        let columns: Vec<String> = k.array("columns")?.iter().map(|c| json::as_str(c, &path)).collect::<Result<_>>()?;
        let Some(view) = views.iter_mut().find(|v| v.accessor == view_source) else {
            ignored.push(format!("{path}: primary key of unknown view `{view_source}`"));
            continue;
        };
        match view_key_positions(view, &columns, &typespace, case_policy) {
            Some(pk) => view.primary_key = pk,
            None => ignored.push(format!("{path}: view `{view_source}` key columns {columns:?} not found in its row type")),
        }
    }

    for (i, s) in list(section("Schedules"), "Schedules")?.iter().enumerate() {
        let path = format!("Schedules[{i}]");
        let s = obj(s, &path)?;
        let table = explicit.table(&s.str("table_name")?, case_policy);
        let schedule = ScheduleDef {
            name: s.opt_str("source_name")?,
            function: explicit.function(&s.str("function_name")?, case_policy),
            at_column: json::col(s.get("schedule_at_col")?, &path)?,
        };
        match tables.iter_mut().find(|t| t.name == table || t.accessor == table) {
            Some(t) => t.schedule = Some(schedule),
            None => ignored.push(format!("{path}: schedule for unknown table `{table}`")),
        }
    }

    let row_level_security = read_rls(section("RowLevelSecurity"))?;

    const KNOWN: &[&str] = &[
        "Typespace",
        "Types",
        "Tables",
        "Reducers",
        "Procedures",
        "Views",
        "Schedules",
        "LifeCycleReducers",
        "RowLevelSecurity",
        "CaseConversionPolicy",
        "ExplicitNames",
        "ViewPrimaryKeys",
    ];
    for (kind, body) in &sections {
        if !KNOWN.contains(kind) {
            let empty = body.as_array().is_some_and(|a| a.is_empty());
            if !empty {
                ignored.push(format!("schema section `{kind}`"));
            }
        }
    }

    Ok(ModuleDef {
        version: SchemaVersion::V10,
        typespace,
        types,
        tables,
        reducers,
        procedures,
        views,
        row_level_security,
        case_policy,
        ignored,
    })
}

fn list<'a>(section: Option<&'a Value>, path: &str) -> Result<&'a [Value]> {
    match section {
        Some(v) => json::as_array(v, path),
        None => Ok(&[]),
    }
}

fn client_callable(f: &Obj) -> Result<bool> {
    match f.opt("visibility") {
        Some(v) => Ok(json::variant(v, &f.path)?.0 == "ClientCallable"),
        None => Ok(true),
    }
}

fn read_explicit_names(v: &Value, ignored: &mut Vec<String>) -> Result<ExplicitNames> {
    let mut names = ExplicitNames::default();
    for (i, e) in obj(v, "ExplicitNames")?.array("entries")?.iter().enumerate() {
        let path = format!("ExplicitNames.entries[{i}]");
        let (kind, m) = json::variant(e, &path)?;
        let m = obj(m, &path)?;
        let (source, canonical) = (m.str("source_name")?, m.str("canonical_name")?);
        match kind {
            "Table" => names.tables.insert(source, canonical),
            "Function" => names.functions.insert(source, canonical),
            "Index" => names.indexes.insert(source, canonical),
            other => {
                ignored.push(format!("{path}: explicit name of kind `{other}`"));
                None
            }
        };
    }
    Ok(names)
}

/// A view's primary key is given by column names; find their positions in its row type.
fn view_key_positions(view: &ViewDef, columns: &[String], typespace: &[AlgebraicType], policy: CasePolicy) -> Option<Vec<u16>> {
    let row = typespace.get(view.row_type_ref? as usize)?;
    let AlgebraicType::Product(p) = row else { return None };
    columns
        .iter()
        .map(|c| {
            let converted = policy.convert(c);
            p.elements
                .iter()
                .position(|e| e.name.as_deref() == Some(c) || e.name.as_deref() == Some(&converted))
                .map(|i| i as u16)
        })
        .collect()
}
