/* {{ description }} */
struct {{ name }} {
{%- for f in fields %}
    {{ f.ty }} {{ f.member }}{% if f.scalar %}{}{% endif %};
{%- endfor %}
{%- if fields.is_empty() %}
    bool operator==(const {{ name }} &o) const { (void)o;
        return true; }
{%- else %}
    bool operator==(const {{ name }} &o) const { return {% for f in fields %}{{ f.member }} == o.{{ f.member }}{% if !loop.last %} && {% endif %}{% endfor %}; }
{%- endif %}
    bool operator!=(const {{ name }} &o) const { return !(*this == o); }
};
