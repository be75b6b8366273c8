{{ banner }}

use super::__sdk::{self, __lib};
#[allow(unused_imports)]
use super::*;

/// The arguments of the reducer `{{ reducer.name }}`, as the server receives them.
#[derive(__lib::ser::Serialize, __lib::de::Deserialize, Clone, PartialEq, Debug)]
#[sats(crate = __lib)]
pub(super) struct {{ reducer.args }} {
{%- for p in reducer.params %}
    pub {{ p.ident }}: {{ p.ty }},
{%- endfor %}
}

impl From<{{ reducer.args }}> for super::Reducer {
{%- if reducer.params.is_empty() %}
    fn from(_args: {{ reducer.args }}) -> Self {
        Self::{{ reducer.variant }}
    }
{%- else %}
    fn from(args: {{ reducer.args }}) -> Self {
        Self::{{ reducer.variant }} {
{%- for p in reducer.params %}
            {{ p.ident }}: args.{{ p.ident }},
{%- endfor %}
        }
    }
{%- endif %}
}

impl __sdk::InModule for {{ reducer.args }} {
    type Module = super::RemoteModule;
}

/// Identifies a callback registered with [`{{ reducer.method }}::{{ reducer.on_method }}`].
pub struct {{ reducer.callback_id }}(__sdk::CallbackId);

/// Extension trait for access to the reducer `{{ reducer.name }}`.
///
/// Implemented for [`super::RemoteReducers`].
#[allow(non_camel_case_types)]
pub trait {{ reducer.method }} {
    /// Asks the module to run the reducer `{{ reducer.name }}`. Returns once the request is sent;
    /// the outcome arrives later: see [`{{ reducer.method }}::{{ reducer.then_method }}`] and
    /// [`{{ reducer.method }}::{{ reducer.on_method }}`].
{%- if reducer.many_args %}
    #[allow(clippy::too_many_arguments)]
{%- endif %}
    fn {{ reducer.method }}(&self{% for p in reducer.params %}, {{ p.ident }}: {{ p.ty }}{% endfor %}) -> __sdk::Result<()>;

    /// Like [`{{ reducer.method }}::{{ reducer.method }}`], and `callback` runs once with this call's
    /// outcome: `Ok(Ok(()))` committed, `Ok(Err(message))` failed, `Err` when no result will
    /// come (the connection ended first).
{%- if reducer.many_args %}
    #[allow(clippy::too_many_arguments)]
{%- endif %}
    #[allow(clippy::type_complexity)]
    fn {{ reducer.then_method }}(
        &self,
{%- for p in reducer.params %}
        {{ p.ident }}: {{ p.ty }},
{%- endfor %}
        callback: impl FnOnce(&super::ReducerEventContext, Result<Result<(), String>, __sdk::Error>) + Send + 'static,
    ) -> __sdk::Result<()>;

    /// Runs `callback` after each run of `{{ reducer.name }}` this client is told about: its own
    /// calls (failed ones included) and, on protocol v1, other clients' calls that changed
    /// subscribed rows. The arguments are passed by reference.
    fn {{ reducer.on_method }}(
        &self,
        callback: impl FnMut(&super::ReducerEventContext{% for p in reducer.params %}, &{{ p.ty }}{% endfor %}) + Send + 'static,
    ) -> {{ reducer.callback_id }};

    /// Removes a callback registered with [`{{ reducer.method }}::{{ reducer.on_method }}`].
    fn {{ reducer.remove_method }}(&self, callback: {{ reducer.callback_id }});
}

impl {{ reducer.method }} for super::RemoteReducers {
{%- if reducer.many_args %}
    #[allow(clippy::too_many_arguments)]
{%- endif %}
    fn {{ reducer.method }}(&self{% for p in reducer.params %}, {{ p.ident }}: {{ p.ty }}{% endfor %}) -> __sdk::Result<()> {
        __sdk::call_reducer(&self.imp, {{ reducer.name_lit }}, &{{ reducer.args }} { {{ reducer.names() }} })
    }

{%- if reducer.many_args %}
    #[allow(clippy::too_many_arguments)]
{%- endif %}
    #[allow(clippy::type_complexity)]
    fn {{ reducer.then_method }}(
        &self,
{%- for p in reducer.params %}
        {{ p.ident }}: {{ p.ty }},
{%- endfor %}
        callback: impl FnOnce(&super::ReducerEventContext, Result<Result<(), String>, __sdk::Error>) + Send + 'static,
    ) -> __sdk::Result<()> {
        let args = {{ reducer.args }} { {{ reducer.names() }} };
        let call = super::Reducer::from(args.clone());
        __sdk::call_reducer_then::<super::RemoteModule, _>(&self.imp, {{ reducer.name_lit }}, &args, call, callback)
    }

    // The pattern is irrefutable when the module has only this reducer.
    #[allow(irrefutable_let_patterns)]
    fn {{ reducer.on_method }}(
        &self,
        mut callback: impl FnMut(&super::ReducerEventContext{% for p in reducer.params %}, &{{ p.ty }}{% endfor %}) + Send + 'static,
    ) -> {{ reducer.callback_id }} {
        {{ reducer.callback_id }}(__sdk::on_reducer::<super::RemoteModule>(&self.imp, {{ reducer.name_lit }}, move |ctx| {
{%- if reducer.params.is_empty() %}
            if let super::Reducer::{{ reducer.variant }} = &ctx.event.reducer {
                callback(ctx)
            }
{%- else %}
            if let super::Reducer::{{ reducer.variant }} { {{ reducer.names() }} } = &ctx.event.reducer {
                callback(ctx, {{ reducer.names() }})
            }
{%- endif %}
        }))
    }

    fn {{ reducer.remove_method }}(&self, callback: {{ reducer.callback_id }}) {
        __sdk::remove_on_reducer(&self.imp, callback.0)
    }
}
