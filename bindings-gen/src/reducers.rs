//! Per-reducer C functions: a typed call, typed `on_reducer` callbacks, and the removal function.
//! Templates: `templates/c/reducers.h` and `reducers.c` (the section), `reducer.h` and
//! `reducer.c` (one reducer).

use crate::ctypes::{api_arg, api_param, c_lit, comment_text, describe, ApiArg, Pass};
use crate::model::{Module, Reducer, Ty};
use askama::Template;

/// The reducer section of `PREFIX.h`.
#[derive(Template)]
#[template(path = "c/reducers.h", escape = "none")]
pub struct ReducersHeader {
    p: String,
    /// The lifecycle reducers' names (none generated), as comment text.
    lifecycle: Option<String>,
    reducers: Vec<ReducerHeader>,
}

impl ReducersHeader {
    pub fn new(m: &Module) -> ReducersHeader {
        ReducersHeader {
            p: m.prefix.clone(),
            lifecycle: (!m.lifecycle_reducers.is_empty()).then(|| comment_text(&m.lifecycle_reducers.join(", "))),
            reducers: m.reducers.iter().map(|r| ReducerHeader { reducer: CReducer::new(m, r) }).collect(),
        }
    }
}

/// The reducer section of `PREFIX.c`.
#[derive(Template)]
#[template(path = "c/reducers.c", escape = "none")]
pub struct ReducersSource {
    p: String,
    reducers: Vec<ReducerSource>,
}

impl ReducersSource {
    pub fn new(m: &Module) -> ReducersSource {
        ReducersSource {
            p: m.prefix.clone(),
            reducers: m.reducers.iter().map(|r| ReducerSource { reducer: CReducer::new(m, r) }).collect(),
        }
    }
}

/// One reducer's declarations.
#[derive(Template)]
#[template(path = "c/reducer.h", escape = "none")]
pub struct ReducerHeader {
    reducer: CReducer,
}

/// One reducer's functions.
#[derive(Template)]
#[template(path = "c/reducer.c", escape = "none")]
pub struct ReducerSource {
    reducer: CReducer,
}

impl std::ops::Deref for ReducerHeader {
    type Target = CReducer;
    fn deref(&self) -> &CReducer {
        &self.reducer
    }
}

impl std::ops::Deref for ReducerSource {
    type Target = CReducer;
    fn deref(&self) -> &CReducer {
        &self.reducer
    }
}

/// Everything the reducer templates say about one reducer.
pub struct CReducer {
    p: String,
    stem: String,
    /// `name(a: u32, b: String)`, as comment text.
    signature: String,
    name_lit: String,
    name_len: usize,
    /// `PREFIX_on_reducer_STEM_fn`: the typed callback.
    fn_type: String,
    call_params: Vec<String>,
    /// `call_params` and the outcome callback of `PREFIX_reducer_STEM_then`.
    then_params: Vec<String>,
    callback_params: Vec<String>,
    args: Option<CArgs>,
}

/// A reducer's arguments: the generated args struct, how each parameter is stored into it, and
/// how each decoded argument is passed to a callback.
struct CArgs {
    /// The API parameters (as in `call_params`, without `conn` and `flags`) and their names.
    params: Vec<String>,
    names: Vec<String>,
    ctype: String,
    fstem: String,
    stores: Vec<ApiArg>,
    callback_args: Vec<String>,
}

impl CReducer {
    fn new(m: &Module, r: &Reducer) -> CReducer {
        let params: Vec<String> = r.params.iter().map(|p| api_param(m, &p.ty, &p.member)).collect();
        let signature: Vec<String> = r.params.iter().map(|p| format!("{}: {}", p.name, describe(m, &p.ty))).collect();
        let mut call_params = vec!["const stdb_connection *conn".to_string()];
        call_params.extend(params.iter().cloned());
        call_params.push("uint32_t flags".into());
        let mut then_params = call_params.clone();
        then_params.extend(["stdb_reducer_then_fn callback", "void *user_data", "stdb_free_fn free_user_data"].map(String::from));
        let mut callback_params = vec![
            "void *user_data".to_string(),
            "const stdb_connection *conn".into(),
            "const stdb_event *event".into(),
            "const stdb_reducer_event *reducer".into(),
        ];
        callback_params.extend(params.iter().cloned());
        CReducer {
            p: m.prefix.clone(),
            stem: r.stem.clone(),
            signature: comment_text(&format!("{}({})", r.name, signature.join(", "))),
            name_lit: c_lit(&r.name),
            name_len: r.name.len(),
            fn_type: format!("{}_on_reducer_{}_fn", m.prefix, r.stem),
            call_params,
            then_params,
            callback_params,
            args: r.args.map(|a| CArgs {
                params,
                names: r.params.iter().map(|p| p.member.clone()).collect(),
                ctype: m.c_type(&Ty::Named(a)),
                fstem: m.fstem(&Ty::Named(a)),
                stores: r.params.iter().map(|p| ApiArg::new(m, &p.ty, &p.member, &format!("args.{}", p.member))).collect(),
                callback_args: r.params.iter().map(|p| api_arg(m, &p.ty, &format!("args.{}", p.member))).collect(),
            }),
        }
    }
}
