/* Typed access to the module's tables (`conn->db().TABLE()`). */
class Db {
public:
{%- for t in tables %}
    {{ t.class_name }} &{{ t.accessor }}() { return {{ t.accessor }}_; }
    const {{ t.class_name }} &{{ t.accessor }}() const { return {{ t.accessor }}_; }
{%- endfor %}

private:
    friend class Connection;
    void init(Connection *conn, const ::{{ p }}_db *db) {
{%- for t in tables %}
        {{ t.accessor }}_.conn_ = conn;
        {{ t.accessor }}_.db_ = db;
{%- endfor %}
{%- if tables.is_empty() %}
        (void)conn;
        (void)db;
{%- endif %}
    }
{%- for t in tables %}
    {{ t.class_name }} {{ t.accessor }}_;
{%- endfor %}
};
