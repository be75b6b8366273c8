/// A [`__sdk::DbContext`]{% if event.is_some() %} with the event that caused a callback{% endif %}, {{ doc }}.
pub struct {{ name }} {
    /// The module's tables, through the extension traits implemented for [`RemoteTables`].
    pub db: RemoteTables,
    /// The module's reducers, through the extension traits implemented for [`RemoteReducers`].
    pub reducers: RemoteReducers,
{%- match event %}
{%- when Some with (e) %}
    /// Why the callback runs.
    pub event: {{ e }},
{%- when None %}
{%- endmatch %}
    imp: stdb_client::DbConnection,
}

impl __sdk::AbstractEventContext for {{ name }} {
{%- match event %}
{%- when Some with (e) %}
    type Event = {{ e }};
    fn event(&self) -> &Self::Event {
        &self.event
    }
    fn new(imp: stdb_client::DbConnection, event: Self::Event) -> Self {
        Self { db: RemoteTables { imp: imp.clone() }, reducers: RemoteReducers { imp: imp.clone() }, event, imp }
    }
{%- when None %}
    type Event = ();
    fn event(&self) -> &() {
        &()
    }
    fn new(imp: stdb_client::DbConnection, _event: ()) -> Self {
        Self { db: RemoteTables { imp: imp.clone() }, reducers: RemoteReducers { imp: imp.clone() }, imp }
    }
{%- endmatch %}
}

impl __sdk::InModule for {{ name }} {
    type Module = RemoteModule;
}

{{ db_context }}
