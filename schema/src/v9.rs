//! `RawModuleDefV9`: every field is read by name; misc exports (procedures, views, column
//! defaults since 1.4) are read when known and noted when not. V9 carries canonical names only,
//! so a definition's accessor is its name.

use crate::json::{self, obj, Obj, Result};
use crate::*;
use serde_json::Value;

pub(crate) fn read(v: &Value) -> Result<ModuleDef> {
    let root = obj(v, "RawModuleDefV9")?;
    let mut ignored = Vec::new();
    let typespace = read_typespace(root.get("typespace")?, "RawModuleDefV9.typespace")?;
    let mut tables = Vec::new();
    for (i, t) in root.array("tables")?.iter().enumerate() {
        tables.push(read_table(&obj(t, &format!("tables[{i}]"))?, &mut ignored)?);
    }
    let mut reducers = Vec::new();
    for (i, r) in root.array("reducers")?.iter().enumerate() {
        let r = obj(r, &format!("reducers[{i}]"))?;
        let name = r.str("name")?;
        let lifecycle = match r.opt("lifecycle") {
            Some(l) => json::option(l, &r.path)?.map(|l| lifecycle(l, &r.path)).transpose()?.flatten(),
            None => None,
        };
        reducers.push(ReducerDef {
            accessor: name.clone(),
            name,
            params: r.product("params")?,
            // V9 cannot say; lifecycle reducers are the ones clients may not call.
            client_callable: lifecycle.is_none(),
            lifecycle,
            ok_return_type: None,
            err_return_type: None,
        });
    }
    let mut types = Vec::new();
    for (i, t) in root.array("types")?.iter().enumerate() {
        let t = obj(t, &format!("types[{i}]"))?;
        let name = obj(t.get("name")?, &t.path)?;
        types.push(TypeDef {
            scope: name.array("scope")?.iter().map(|s| json::as_str(s, "scope")).collect::<Result<_>>()?,
            name: name.str("name")?,
            ty: t.u32("ty")?,
            custom_ordering: t.bool("custom_ordering")?,
        });
    }
    let mut procedures = Vec::new();
    let mut views = Vec::new();
    if let Some(misc) = root.opt("misc_exports") {
        for (i, m) in json::as_array(misc, "misc_exports")?.iter().enumerate() {
            let path = format!("misc_exports[{i}]");
            let (kind, body) = json::variant(m, &path)?;
            let body = obj(body, &path)?;
            match kind {
                "ColumnDefaultValue" => {
                    let table = body.str("table")?;
                    let col = json::col(body.get("col_id")?, &path)?;
                    let value = json::hex_bytes(body.get("value")?, &path)?;
                    match tables.iter_mut().find(|t| t.name == table) {
                        Some(t) => t.default_values.push((col, value)),
                        None => ignored.push(format!("{path}: a column default for unknown table `{table}`")),
                    }
                }
                "Procedure" => {
                    let name = body.str("name")?;
                    procedures.push(ProcedureDef {
                        accessor: name.clone(),
                        name,
                        params: body.product("params")?,
                        return_type: body.ty("return_type")?,
                        client_callable: true,
                    });
                }
                "View" => {
                    let name = body.str("name")?;
                    let return_type = body.ty("return_type")?;
                    views.push(ViewDef {
                        accessor: name.clone(),
                        name,
                        is_public: body.bool("is_public")?,
                        is_anonymous: body.bool("is_anonymous")?,
                        params: body.product("params")?,
                        row_type_ref: view_row_ref(&return_type),
                        return_type,
                        primary_key: Vec::new(),
                    });
                }
                other => ignored.push(format!("misc export `{other}`")),
            }
        }
    }
    let row_level_security = read_rls(root.opt("row_level_security"))?;
    Ok(ModuleDef {
        version: SchemaVersion::V9,
        typespace,
        types,
        tables,
        reducers,
        procedures,
        views,
        row_level_security,
        case_policy: CasePolicy::None,
        ignored,
    })
}

pub(crate) fn read_typespace(v: &Value, path: &str) -> Result<Vec<AlgebraicType>> {
    let ts = obj(v, path)?;
    ts.array("types")?.iter().enumerate().map(|(i, t)| json::algebraic_type(t, &format!("{path}.types[{i}]"))).collect()
}

pub(crate) fn read_rls(v: Option<&Value>) -> Result<Vec<String>> {
    let Some(v) = v else { return Ok(Vec::new()) };
    json::as_array(v, "row_level_security")?.iter().map(|r| obj(r, "row_level_security")?.str("sql")).collect()
}

fn read_table(t: &Obj, ignored: &mut Vec<String>) -> Result<TableDef> {
    let name = t.str("name")?;
    let schedule = match t.opt("schedule") {
        Some(s) => match json::option(s, &t.path)? {
            Some(s) => {
                let s = obj(s, &t.path)?;
                Some(ScheduleDef {
                    name: s.opt_str("name")?,
                    function: s.str("reducer_name")?,
                    at_column: json::col(s.get("scheduled_at_column")?, &t.path)?,
                })
            }
            None => None,
        },
        None => None,
    };
    Ok(TableDef {
        accessor: name.clone(),
        product_type_ref: t.u32("product_type_ref")?,
        primary_key: t.cols("primary_key")?,
        indexes: read_indexes(t, "name", ignored)?,
        unique_constraints: read_constraints(t, "name", ignored)?,
        sequences: read_sequences(t, "name")?,
        is_public: access_is_public(t)?,
        is_system: type_is_system(t)?,
        // V9 cannot say: a 2.x event table looks like an ordinary table here.
        is_event: false,
        schedule,
        default_values: Vec::new(),
        name,
    })
}

fn lifecycle(v: &Value, path: &str) -> Result<Option<Lifecycle>> {
    Ok(match json::variant(v, path)?.0 {
        "Init" => Some(Lifecycle::Init),
        "OnConnect" => Some(Lifecycle::OnConnect),
        "OnDisconnect" => Some(Lifecycle::OnDisconnect),
        _ => None,
    })
}

pub(crate) fn lifecycle_of(v: &Value, path: &str) -> Result<Option<Lifecycle>> {
    lifecycle(v, path)
}

/// Indexes, with `name_field` naming the index's name (`name` in V9, `source_name` in V10).
pub(crate) fn read_indexes(t: &Obj, name_field: &str, ignored: &mut Vec<String>) -> Result<Vec<IndexDef>> {
    let mut out = Vec::new();
    for (i, ix) in t.array("indexes")?.iter().enumerate() {
        let path = format!("{}.indexes[{i}]", &t.path);
        let ix = obj(ix, &path)?;
        let (kind, cols) = json::variant(ix.get("algorithm")?, &path)?;
        let algorithm = match kind {
            // 1.x wrote `{"BTree": {"columns": [..]}}`, 2.x `{"BTree": [..]}`.
            "BTree" => IndexAlgorithm::BTree(index_columns(cols, &path)?),
            "Hash" => IndexAlgorithm::Hash(index_columns(cols, &path)?),
            "Direct" => IndexAlgorithm::Direct(match cols.as_object() {
                Some(o) => json::col(o.get("column").ok_or_else(|| format!("{path}: direct index without column"))?, &path)?,
                None => json::col(cols, &path)?,
            }),
            other => {
                ignored.push(format!("{path}: index algorithm `{other}`"));
                continue;
            }
        };
        out.push(IndexDef { name: ix.opt_str(name_field)?, accessor_name: ix.opt_str("accessor_name")?, algorithm });
    }
    Ok(out)
}

fn index_columns(v: &Value, path: &str) -> Result<Vec<u16>> {
    match v.as_object() {
        Some(o) => json::col_list(o.get("columns").ok_or_else(|| format!("{path}: index without columns"))?, path),
        None => json::col_list(v, path),
    }
}

pub(crate) fn read_constraints(t: &Obj, name_field: &str, ignored: &mut Vec<String>) -> Result<Vec<UniqueConstraint>> {
    let mut out = Vec::new();
    for (i, c) in t.array("constraints")?.iter().enumerate() {
        let path = format!("{}.constraints[{i}]", &t.path);
        let c = obj(c, &path)?;
        match json::variant(c.get("data")?, &path)? {
            ("Unique", u) => {
                out.push(UniqueConstraint { name: c.opt_str(name_field)?, columns: obj(u, &path)?.cols("columns")? })
            }
            (other, _) => ignored.push(format!("{path}: constraint `{other}`")),
        }
    }
    Ok(out)
}

pub(crate) fn read_sequences(t: &Obj, name_field: &str) -> Result<Vec<SequenceDef>> {
    let mut out = Vec::new();
    for (i, s) in t.array("sequences")?.iter().enumerate() {
        let path = format!("{}.sequences[{i}]", &t.path);
        let s = obj(s, &path)?;
        out.push(SequenceDef { name: s.opt_str(name_field)?, column: json::col(s.get("column")?, &path)? });
    }
    Ok(out)
}

pub(crate) fn access_is_public(t: &Obj) -> Result<bool> {
    Ok(json::variant(t.get("table_access")?, &t.path)?.0 == "Public")
}

pub(crate) fn type_is_system(t: &Obj) -> Result<bool> {
    Ok(json::variant(t.get("table_type")?, &t.path)?.0 == "System")
}
