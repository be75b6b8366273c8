/* {{ description }} */
struct {{ name }} {
    enum class Tag : uint8_t {
{%- for v in variants %}
        {{ v.member }} = {{ loop.index0 }},
{%- endfor %}
    };
    /* The alternative's index is the tag; unit variants hold std::monostate. */
    using Value = std::variant<{{ alternatives|join(", ") }}>;
    Value value;
    Tag tag() const { return static_cast<Tag>(value.index()); }
{%- for v in variants %}
{%- if let Some(ty) = v.ty %}
    static {{ name }} {{ v.ctor }}({{ ty }} x) {
        {{ name }} r;
        r.value.template emplace<{{ loop.index0 }}>(std::move(x));
        return r;
    }
    bool is_{{ v.member }}() const { return value.index() == {{ loop.index0 }}; }
    /* Throws std::bad_variant_access if this is another variant. */
    const {{ ty }} &as_{{ v.member }}() const { return std::get<{{ loop.index0 }}>(value); }
    {{ ty }} &as_{{ v.member }}() { return std::get<{{ loop.index0 }}>(value); }
{%- else %}
    static {{ name }} {{ v.ctor }}() {
        {{ name }} r;
        r.value.template emplace<{{ loop.index0 }}>();
        return r;
    }
{%- endif %}
{%- endfor %}
    bool operator==(const {{ name }} &o) const { return value == o.value; }
    bool operator!=(const {{ name }} &o) const { return !(*this == o); }
};
