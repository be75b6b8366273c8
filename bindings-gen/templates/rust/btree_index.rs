/// Access to the btree index `{{ index_lit }}` of the table `{{ table }}`: rows by the values of
/// {% for c in columns %}`{{ c.name }}`{% if !loop.last %}, {% endif %}{% endfor %}, in the order SpacetimeDB orders them.
///
/// Obtain one with [`{{ handle }}::{{ accessor }}`], like `ctx.db.{{ table }}().{{ accessor }}()`.
pub struct {{ struct_name }}<'ctx> {
    imp: __sdk::TableHandle<super::RemoteModule, {{ row }}>,
    phantom: std::marker::PhantomData<&'ctx super::RemoteTables>,
}

impl<'ctx> {{ handle }}<'ctx> {
    /// The btree index `{{ index_lit }}`.
    pub fn {{ accessor }}(&self) -> {{ struct_name }}<'ctx> {
        {{ struct_name }} { imp: self.imp.clone(), phantom: std::marker::PhantomData }
    }
}

impl<'ctx> {{ struct_name }}<'ctx> {
    /// The cached rows whose indexed columns equal the values given.
{%- if many_args %}
    #[allow(clippy::too_many_arguments)]
{%- endif %}
    pub fn filter(&self{% for c in columns %}, {{ c.ident }}: &{{ c.ty }}{% endfor %}) -> Vec<{{ row }}> {
        self.imp.btree_scan({{ index_lit }}, &[{% for c in columns %}{% if !loop.first %}, {% endif %}__sdk::key({{ c.ident }}){% endfor %}], None)
    }
{%- for r in ranges %}

    /// The cached rows {% for p in r.prefix %}whose `{{ p.name }}` equals the value given, {% endfor %}whose `{{ r.column.name }}` lies within `range`.
{%- if many_args %}
    #[allow(clippy::too_many_arguments)]
{%- endif %}
    pub fn {{ r.method }}(&self, {% for p in r.prefix %}{{ p.ident }}: &{{ p.ty }}, {% endfor %}range: impl std::ops::RangeBounds<{{ r.column.ty }}>) -> Vec<{{ row }}> {
        let range = (__sdk::key_bound(range.start_bound()), __sdk::key_bound(range.end_bound()));
        self.imp.btree_scan({{ index_lit }}, &[{% for p in r.prefix %}{% if !loop.first %}, {% endif %}__sdk::key({{ p.ident }}){% endfor %}], Some(range))
    }
{%- endfor %}
}
