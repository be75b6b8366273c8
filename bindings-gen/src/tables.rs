//! Per-table C functions: the `PREFIX_db` handle set, count, iteration, unique finds, btree
//! filters and ranges, and typed row callbacks. Templates: `templates/c/tables.h` and
//! `tables.c` (the section), `table.h` and `table.c` (one table), `index_scan.c` (one function
//! of an index).

use crate::ctypes::{api_param, bound_value_type, c_lit, comment_text, ApiArg, Pass};
use crate::model::{index_suffixes, Index, Module, Table, Ty};
use crate::names::Locals;
use askama::Template;

/// C parameter names for the given columns (escaped members, clear of the functions' locals).
fn col_params(t: &Table, cols: &[usize]) -> Vec<String> {
    let mut v = Locals::C_TABLE.dedupe(cols.iter().map(|&c| t.columns[c].member.clone()).collect());
    for (k, n) in v.iter_mut().enumerate() {
        if n.starts_with("key") && n[3..].parse::<usize>().is_ok() {
            *n = format!("{n}_{k}");
        }
    }
    v
}

fn col_names(t: &Table, cols: &[usize]) -> String {
    cols.iter().map(|&c| t.columns[c].name.as_str()).collect::<Vec<_>>().join(", ")
}

/// A typed end of a btree range (`PREFIX_bound_T`).
struct Bound {
    name: String,
    value_type: String,
}

/// The table section of `PREFIX.h`.
#[derive(Template)]
#[template(path = "c/tables.h", escape = "none")]
pub struct TablesHeader {
    p: String,
    bounds: Vec<Bound>,
    tables: Vec<TableHeader>,
}

impl TablesHeader {
    pub fn new(m: &Module) -> TablesHeader {
        TablesHeader {
            p: m.prefix.clone(),
            bounds: m
                .bound_stems
                .iter()
                .map(|(ty, stem)| Bound { name: format!("{}_{stem}", m.prefix), value_type: bound_value_type(m, ty) })
                .collect(),
            tables: m.tables.iter().map(|t| TableHeader { table: CTable::new(m, t) }).collect(),
        }
    }
}

/// The table section of `PREFIX.c`.
#[derive(Template)]
#[template(path = "c/tables.c", escape = "none")]
pub struct TablesSource {
    p: String,
    pu: String,
    tables: Vec<TableSource>,
}

impl TablesSource {
    pub fn new(m: &Module) -> TablesSource {
        TablesSource {
            p: m.prefix.clone(),
            pu: m.prefix.to_ascii_uppercase(),
            tables: m.tables.iter().map(|t| TableSource { table: CTable::new(m, t) }).collect(),
        }
    }
}

/// One table's declarations.
#[derive(Template)]
#[template(path = "c/table.h", escape = "none")]
pub struct TableHeader {
    table: CTable,
}

/// One table's functions.
#[derive(Template)]
#[template(path = "c/table.c", escape = "none")]
pub struct TableSource {
    table: CTable,
}

impl std::ops::Deref for TableHeader {
    type Target = CTable;
    fn deref(&self) -> &CTable {
        &self.table
    }
}

impl std::ops::Deref for TableSource {
    type Target = CTable;
    fn deref(&self) -> &CTable {
        &self.table
    }
}

/// Everything the table templates say about one table.
pub struct CTable {
    p: String,
    pu: String,
    /// `PREFIX_STEM`: the stem of the table's functions.
    ts: String,
    /// Its member of `PREFIX_db`.
    tm: String,
    /// Its name as a C literal, its length, and as comment text.
    name_lit: String,
    name_len: usize,
    comment_name: String,
    /// `public, primary key id, scheduled`
    facts: String,
    row: String,
    rows: String,
    row_fstem: String,
    rows_fstem: String,
    has_primary_key: bool,
    is_event: bool,
    finds: Vec<Find>,
    indexes: Vec<CIndex>,
}

/// `PREFIX_TABLE_find_by_COL`.
struct Find {
    member: String,
    comment_column: String,
    column_lit: String,
    column_len: usize,
    /// The key parameter's declaration, and how it is stored into `key`.
    param: String,
    key: ApiArg,
    key_ctype: String,
    key_fstem: String,
}

struct CIndex {
    comment_name: String,
    comment_columns: String,
    scans: Vec<Scan>,
}

/// One function of a btree index: an exact filter on every column, or a range over column k after
/// exact values for the k before it.
struct Scan {
    /// Name after `PREFIX_TABLE_`: `INDEX_filter`, `INDEX_range`, `INDEX_range_COL`.
    name: String,
    doc: String,
    params: Vec<String>,
    index_lit: String,
    index_len: usize,
    /// The columns given exactly.
    keys: Vec<ScanKey>,
    range: Option<ScanRange>,
    /// `ends` has one slot per encoded value, plus one.
    ends_len: usize,
}

struct ScanKey {
    ctype: String,
    fstem: String,
    arg: ApiArg,
}

struct ScanRange {
    ctype: String,
    fstem: String,
    is_string: bool,
}

impl CTable {
    fn new(m: &Module, t: &Table) -> CTable {
        let row_ty = Ty::Named(t.row);
        let rows_ty = Ty::Array(Box::new(row_ty.clone()));
        let mut facts = vec![if t.is_public { "public" } else { "private" }.to_string()];
        if let Some(pk) = t.primary_key {
            facts.push(format!("primary key {}", t.columns[pk].name));
        }
        if t.scheduled {
            facts.push("scheduled".into());
        }
        CTable {
            p: m.prefix.clone(),
            pu: m.prefix.to_ascii_uppercase(),
            ts: format!("{}_{}", m.prefix, t.stem),
            tm: t.member.clone(),
            name_lit: c_lit(&t.name),
            name_len: t.name.len(),
            comment_name: comment_text(&t.name),
            facts: comment_text(&facts.join(", ")),
            row: m.c_type(&row_ty),
            rows: m.c_type(&rows_ty),
            row_fstem: m.fstem(&row_ty),
            rows_fstem: m.fstem(&rows_ty),
            has_primary_key: t.primary_key.is_some(),
            is_event: t.is_event,
            finds: t.unique_columns.iter().map(|&c| find(m, t, c)).collect(),
            indexes: t
                .indexes
                .iter()
                .map(|ix| CIndex {
                    comment_name: comment_text(&ix.name),
                    comment_columns: comment_text(&col_names(t, &ix.columns)),
                    scans: scans(m, t, ix),
                })
                .collect(),
        }
    }
}

fn find(m: &Module, t: &Table, c: usize) -> Find {
    let col = &t.columns[c];
    let pn = col_params(t, &[c]).remove(0);
    Find {
        member: col.member.clone(),
        comment_column: comment_text(&col.name),
        column_lit: c_lit(&col.name),
        column_len: col.name.len(),
        param: api_param(m, &col.ty, &pn),
        key: ApiArg::new(m, &col.ty, &pn, "key"),
        key_ctype: m.c_type(&col.ty),
        key_fstem: m.fstem(&col.ty),
    }
}

/// The functions of one index: an exact filter, then a range per column.
fn scans(m: &Module, t: &Table, ix: &Index) -> Vec<Scan> {
    let suffixes = index_suffixes(&ix.columns, &t.columns);
    let pnames = col_params(t, &ix.columns);
    let keys = |n: usize| -> Vec<ScanKey> {
        ix.columns[..n]
            .iter()
            .enumerate()
            .map(|(k, &c)| {
                let ty = &t.columns[c].ty;
                ScanKey { ctype: m.c_type(ty), fstem: m.fstem(ty), arg: ApiArg::new(m, ty, &pnames[k], &format!("key{k}")) }
            })
            .collect()
    };
    let key_params = |n: usize| -> Vec<String> {
        ix.columns[..n].iter().zip(&pnames).map(|(&c, name)| api_param(m, &t.columns[c].ty, name)).collect()
    };
    let mut v = vec![Scan {
        name: format!("{}{}", ix.stem, suffixes[0]),
        doc: comment_text(&format!("Rows whose ({}) equal the given values", col_names(t, &ix.columns))),
        params: key_params(ix.columns.len()),
        index_lit: c_lit(&ix.name),
        index_len: ix.name.len(),
        keys: keys(ix.columns.len()),
        range: None,
        ends_len: ix.columns.len() + 1,
    }];
    for (k, suffix) in suffixes[1..].iter().enumerate() {
        let ranged = &t.columns[ix.columns[k]];
        let bound = format!("{}_{}", m.prefix, m.bound_stem(&ranged.ty));
        let mut params = key_params(k);
        params.push(format!("const {bound} *lower"));
        params.push(format!("const {bound} *upper"));
        let doc = if k == 0 {
            format!("Rows whose `{}` lies between the bounds, in index order", ranged.name)
        } else {
            format!(
                "Rows whose ({}) equal the given values and whose `{}` lies between the bounds",
                col_names(t, &ix.columns[..k]),
                ranged.name
            )
        };
        v.push(Scan {
            name: format!("{}{suffix}", ix.stem),
            doc: comment_text(&doc),
            params,
            index_lit: c_lit(&ix.name),
            index_len: ix.name.len(),
            keys: keys(k),
            range: Some(ScanRange {
                ctype: m.c_type(&ranged.ty),
                fstem: m.fstem(&ranged.ty),
                is_string: ranged.ty == Ty::String,
            }),
            ends_len: k + 3,
        });
    }
    v
}
