{{ banner }}

use super::__sdk;
#[allow(unused_imports)]
use super::*;

/// Table handle for the table `{{ table }}`{% if is_event %} (an event table: its rows reach insert
/// callbacks and are never cached){% endif %}{% if !is_public %} (private: only the module's owner
/// can subscribe to it){% endif %}.
///
/// Obtain one from [`{{ access }}::{{ accessor }}`] on [`super::RemoteTables`], like
/// `ctx.db.{{ accessor }}()`.
pub struct {{ handle }}<'ctx> {
    imp: __sdk::TableHandle<super::RemoteModule, {{ row }}>,
    ctx: std::marker::PhantomData<&'ctx super::RemoteTables>,
}

/// Extension trait for access to the table `{{ table }}`.
///
/// Implemented for [`super::RemoteTables`].
pub trait {{ access }} {
    /// A [`{{ handle }}`] for the table `{{ table }}`.
    fn {{ accessor }}(&self) -> {{ handle }}<'_>;
}

impl {{ access }} for super::RemoteTables {
    fn {{ accessor }}(&self) -> {{ handle }}<'_> {
        {{ handle }} { imp: __sdk::TableHandle::new(&self.imp, {{ table_lit }}), ctx: std::marker::PhantomData }
    }
}

/// Identifies an insert callback of `{{ table }}`, for [`{{ handle }}::remove_on_insert`].
pub struct {{ insert_id }}(__sdk::CallbackId);
{%- if !is_event %}
/// Identifies a delete callback of `{{ table }}`, for [`{{ handle }}::remove_on_delete`].
pub struct {{ delete_id }}(__sdk::CallbackId);
{%- endif %}
{%- if has_pk %}
/// Identifies an update callback of `{{ table }}`, for [`{{ handle }}::remove_on_update`].
pub struct {{ update_id }}(__sdk::CallbackId);
{%- endif %}
{%- if is_event %}

impl<'ctx> __sdk::EventTable for {{ handle }}<'ctx> {
    type Row = {{ row }};
    type EventContext = super::EventContext;
    type InsertCallbackId = {{ insert_id }};

    fn on_insert(
        &self,
        callback: impl FnMut(&Self::EventContext, &Self::Row) + Send + 'static,
    ) -> {{ insert_id }} {
        {{ insert_id }}(self.imp.on_insert(callback))
    }

    fn remove_on_insert(&self, callback: {{ insert_id }}) {
        self.imp.remove_callback(callback.0)
    }
}
{%- else %}

impl<'ctx> __sdk::Table for {{ handle }}<'ctx> {
    type Row = {{ row }};
    type EventContext = super::EventContext;
    type InsertCallbackId = {{ insert_id }};
    type DeleteCallbackId = {{ delete_id }};

    fn count(&self) -> u64 {
        self.imp.count()
    }

    fn iter(&self) -> impl Iterator<Item = {{ row }}> + '_ {
        self.imp.iter()
    }

    fn on_insert(
        &self,
        callback: impl FnMut(&Self::EventContext, &Self::Row) + Send + 'static,
    ) -> {{ insert_id }} {
        {{ insert_id }}(self.imp.on_insert(callback))
    }

    fn remove_on_insert(&self, callback: {{ insert_id }}) {
        self.imp.remove_callback(callback.0)
    }

    fn on_delete(
        &self,
        callback: impl FnMut(&Self::EventContext, &Self::Row) + Send + 'static,
    ) -> {{ delete_id }} {
        {{ delete_id }}(self.imp.on_delete(callback))
    }

    fn remove_on_delete(&self, callback: {{ delete_id }}) {
        self.imp.remove_callback(callback.0)
    }
}
{%- endif %}
{%- if has_pk %}

impl<'ctx> __sdk::TableWithPrimaryKey for {{ handle }}<'ctx> {
    type UpdateCallbackId = {{ update_id }};

    fn on_update(
        &self,
        callback: impl FnMut(&Self::EventContext, &Self::Row, &Self::Row) + Send + 'static,
    ) -> {{ update_id }} {
        {{ update_id }}(self.imp.on_update(callback))
    }

    fn remove_on_update(&self, callback: {{ update_id }}) {
        self.imp.remove_callback(callback.0)
    }
}
{%- endif %}

impl<'ctx> {{ handle }}<'ctx> {
    /// The dynamic table handle underneath (rows as BSATN bytes).
    pub fn raw(&self) -> &stdb_client::TableHandle {
        self.imp.raw()
    }
}
{%- for u in uniques %}

{{ u }}
{%- endfor %}
{%- for b in btrees %}

{{ b }}
{%- endfor %}
