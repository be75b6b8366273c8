/* Typed reducer calls and callbacks (`conn->reducers().NAME(args...)`). Arguments are encoded with the
 * generated C codecs; callbacks get decoded arguments (runs without decodable arguments are skipped). */
class Reducers {
public:
{%- for r in reducers %}
    /* {{ r.signature }} */
    void {{ r.call }}({{ r.params|join(", ") }}) const {
{%- if let Some(args) = r.args %}
        {{ args.owned }} c;
{%- for store in args.stores %}
        {{ store }}
{%- endfor %}
        detail::Buffer b;
        detail::check(::{{ args.fstem }}_encode(&b.b, &c.v), "encoding the arguments of {{ r.name }}");
        detail::check_lib(::stdb_connection_call_reducer(conn_, {{ r.name_lit }}, {{ r.name_len }}, b.b.data, b.b.len, flags, nullptr), "calling {{ r.name }}");
{%- else %}
        detail::check_lib(::stdb_connection_call_reducer(conn_, {{ r.name_lit }}, {{ r.name_len }}, nullptr, 0, flags, nullptr), "calling {{ r.name }}");
{%- endif %}
    }
    using {{ r.on }}_fn = std::function<void({{ r.callback_params|join(", ") }})>;
    CallbackId {{ r.on }}({{ r.on }}_fn f) {
        auto *h = new detail::Handler<Connection, {{ r.on }}_fn>{conn_obj_, std::move(f)};
        CallbackId id = 0;
        detail::check_lib(::stdb_connection_on_reducer(conn_, {{ r.name_lit }}, {{ r.name_len }}, &{{ r.on }}_tramp, h, &detail::Handler<Connection, {{ r.on }}_fn>::destroy, &id),
                      "on_reducer {{ r.name }}");
        return id;
    }
{%- endfor %}
    void remove_on_reducer(CallbackId id) { detail::check(::{{ p }}_remove_on_reducer(conn_, id), "remove_on_reducer"); }

private:
    friend class Connection;
    const ::stdb_connection *conn_ = nullptr;
    Connection *conn_obj_ = nullptr;
{% for r in reducers %}
    static void {{ r.on }}_tramp(void *ud, const ::stdb_connection *, const ::stdb_event *ev, const ::stdb_reducer_event *re) {
        auto *h = static_cast<detail::Handler<Connection, {{ r.on }}_fn> *>(ud);
        ::stdb_reducer_info info;
        if (!::stdb_reducer_event_info(re, &info)) return;
        try {
{%- if let Some(args) = r.args %}
            {{ args.owned }} c;
            if (::{{ args.fstem }}_from_bsatn(info.args.data, info.args.len, &c.v) != 0) return;
            ReducerEventContext ctx{*h->conn, ev, re, detail::reducer_event(info)};
            h->fn(ctx, {{ args.callback_args|join(", ") }});
{%- else %}
            ReducerEventContext ctx{*h->conn, ev, re, detail::reducer_event(info)};
            h->fn(ctx);
{%- endif %}
        } catch (...) {
        }
    }
{%- endfor %}
};
