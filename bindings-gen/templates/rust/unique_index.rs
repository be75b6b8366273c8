/// Access to the unique column `{{ column }}` of the table `{{ table }}`.
///
/// Obtain one with [`{{ handle }}::{{ accessor }}`], like `ctx.db.{{ table }}().{{ accessor }}()`.
pub struct {{ struct_name }}<'ctx> {
    imp: __sdk::TableHandle<super::RemoteModule, {{ row }}>,
    phantom: std::marker::PhantomData<&'ctx super::RemoteTables>,
}

impl<'ctx> {{ handle }}<'ctx> {
    /// The unique column `{{ column }}`, for [`{{ struct_name }}::find`].
    pub fn {{ accessor }}(&self) -> {{ struct_name }}<'ctx> {
        {{ struct_name }} { imp: self.imp.clone(), phantom: std::marker::PhantomData }
    }
}

impl<'ctx> {{ struct_name }}<'ctx> {
    /// The cached row whose `{{ column }}` equals `col_val`, if any.
    pub fn find(&self, col_val: &{{ borrowed }}) -> Option<{{ row }}> {
        self.imp.find({{ column_lit }}, col_val)
    }
}
