{%- import "cpp/macros.hpp" as cpp -%}
/* Table `{{ comment_name }}`. Handles are owned by the Connection. */
class {{ class_name }} {
public:
    using Row = {{ row }};
    using RowCallback = std::function<void(const EventContext &, const Row &)>;
    using UpdateCallback = std::function<void(const EventContext &, const Row &old_row, const Row &new_row)>;
{%- if is_event %}

    /* An event table: rows reach on_insert and are never cached. */
{%- else %}

    uint64_t count() const { return {{ ts }}_count(db_); }

    /* Calls `f` with each cached row until it returns false. */
    void for_each(const std::function<bool(const Row &)> &f) const {
        IterCtx ctx{&f, nullptr};
        int32_t rc = {{ ts }}_iter(db_, &visit, &ctx);
        if (ctx.error) std::rethrow_exception(ctx.error);
        detail::check(rc, "iterating {{ name }}");
    }

    /* Every cached row. */
    std::vector<Row> iter() const {
        std::vector<Row> rows;
        for_each([&rows](const Row &r) {
            rows.push_back(r);
            return true;
        });
        return rows;
    }
{%- endif %}
{% for find in finds %}
    /* The row whose unique `{{ find.comment_column }}` equals the key, if cached. */
    std::optional<Row> find_by_{{ find.member }}({{ find.param }}) const {
{{- cpp::convert_arg(find.key) }}
        bool found = false;
        {{ row_owned }} c;
        detail::check({{ ts }}_find_by_{{ find.member }}(db_, {{ find.key.arg }}, &found, &c.v), "find in {{ name }}");
        if (!found) return std::nullopt;
        return {{ row_from_c }};
    }
{% endfor %}
{%- for scan in scans %}
{%- include "cpp/index_method.hpp" %}
{%- endfor %}
    CallbackId on_insert(RowCallback f) {
        auto *h = new detail::Handler<Connection, RowCallback>{conn_, std::move(f)};
        CallbackId id = 0;
        detail::check({{ ts }}_on_insert(db_, &row_tramp, h, &detail::Handler<Connection, RowCallback>::destroy, &id), "on_insert of {{ name }}");
        return id;
    }
{%- if !is_event %}
    CallbackId on_delete(RowCallback f) {
        auto *h = new detail::Handler<Connection, RowCallback>{conn_, std::move(f)};
        CallbackId id = 0;
        detail::check({{ ts }}_on_delete(db_, &row_tramp, h, &detail::Handler<Connection, RowCallback>::destroy, &id), "on_delete of {{ name }}");
        return id;
    }
{%- endif %}
{%- if has_primary_key %}
    /* A row replaced by one with the same primary key. */
    CallbackId on_update(UpdateCallback f) {
        auto *h = new detail::Handler<Connection, UpdateCallback>{conn_, std::move(f)};
        CallbackId id = 0;
        detail::check({{ ts }}_on_update(db_, &update_tramp, h, &detail::Handler<Connection, UpdateCallback>::destroy, &id), "on_update of {{ name }}");
        return id;
    }
{%- endif %}
    void remove_callback(CallbackId id) { detail::check({{ ts }}_remove_callback(db_, id), "remove_callback of {{ name }}"); }

private:
    friend class Db;
    struct IterCtx {
        const std::function<bool(const Row &)> *f;
        std::exception_ptr error;
    };
    Connection *conn_ = nullptr;
    const ::{{ p }}_db *db_ = nullptr;
{%- if !is_event %}

    static bool visit(void *ud, const {{ row_c }} *row) {
        IterCtx *c = static_cast<IterCtx *>(ud);
        try {
            return (*c->f)({{ from_row }});
        } catch (...) {
            c->error = std::current_exception();
            return false;
        }
    }
{%- endif %}
    static void row_tramp(void *ud, const ::stdb_connection *, const ::stdb_event *ev, const {{ row_c }} *row) {
        auto *h = static_cast<detail::Handler<Connection, RowCallback> *>(ud);
        try {
            EventContext ctx{*h->conn, ev};
            h->fn(ctx, {{ from_row }});
        } catch (...) {
        }
    }
{%- if has_primary_key %}
    static void update_tramp(void *ud, const ::stdb_connection *, const ::stdb_event *ev, const {{ row_c }} *old_row,
                             const {{ row_c }} *new_row) {
        auto *h = static_cast<detail::Handler<Connection, UpdateCallback> *>(ud);
        try {
            EventContext ctx{*h->conn, ev};
            h->fn(ctx, {{ from_old_row }}, {{ from_new_row }});
        } catch (...) {
        }
    }
{%- endif %}
};
