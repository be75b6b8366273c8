/* ==== Connection =================================================================================== */

/* A connection to a database of this module (RAII: destroying it releases the connection). */
class Connection {
public:
    class Builder;
    using ConnectCallback = std::function<void(Connection &, const Identity &, const std::string &token)>;
    using ConnectErrorCallback = std::function<void(Connection &, int32_t kind, uint16_t http_status, const std::string &message)>;
    /* `error` is empty after a disconnect the program asked for. */
    using DisconnectCallback = std::function<void(Connection &, const std::optional<std::string> &error)>;
    using AppliedCallback = std::function<void(const EventContext &)>;
    using SubscriptionErrorCallback = std::function<void(Connection &, const std::string &message)>;

    static Builder builder();

    ~Connection() {
        ::{{ p }}_db_free(&cdb_);
        ::stdb_connection_free(conn_);
    }
    Connection(const Connection &) = delete;
    Connection &operator=(const Connection &) = delete;

    /* Applies what has arrived and runs callbacks on this thread; never blocks. False once the
     * connection has ended (after on_disconnect / on_connect_error ran). */
    bool frame_tick() {
        int32_t rc = ::stdb_frame_tick(conn_);
        if (rc == STDB_ERR_DISCONNECTED) return false;
        detail::check(rc, "frame_tick");
        return true;
    }
    void disconnect() { detail::check_lib(::stdb_connection_disconnect(conn_), "disconnect"); }
    bool is_active() const { return ::stdb_connection_is_active(conn_); }
    Identity identity() const {
        Identity id;
        detail::check_lib(::stdb_connection_identity(conn_, &id.raw), "identity");
        return id;
    }
    ConnectionId connection_id() const {
        ConnectionId id;
        detail::check_lib(::stdb_connection_get_connection_id(conn_, &id.raw), "connection_id");
        return id;
    }
    std::string token() const {
        ::stdb_buffer b{nullptr, 0};
        detail::check_lib(::stdb_connection_token(conn_, &b), "token");
        std::string t = detail::str(b.data, b.len);
        ::stdb_buffer_free(&b);
        return t;
    }

    Db &db() { return db_; }
    const Db &db() const { return db_; }
    Reducers &reducers() { return reducers_; }
    const Reducers &reducers() const { return reducers_; }

    /* Subscribes to SQL queries; `on_applied` runs once their rows are cached. */
    Subscription subscribe(const std::vector<std::string> &queries, AppliedCallback on_applied = {},
                           SubscriptionErrorCallback on_error = {}) {
        std::vector<::stdb_bytes> views;
        for (const auto &q : queries) views.push_back(::stdb_bytes{reinterpret_cast<const uint8_t *>(q.data()), q.size()});
        ::stdb_subscription *sub = nullptr;
        ::stdb_subscription_builder *b = sub_builder(std::move(on_applied), std::move(on_error));
        detail::check_lib(::stdb_subscription_builder_subscribe(b, views.data(), views.size(), &sub), "subscribe");
        return Subscription(sub);
    }
    /* Subscribes to every public table. */
    Subscription subscribe_to_all_tables(AppliedCallback on_applied = {}, SubscriptionErrorCallback on_error = {}) {
        ::stdb_subscription *sub = nullptr;
        ::stdb_subscription_builder *b = sub_builder(std::move(on_applied), std::move(on_error));
        detail::check_lib(::stdb_subscription_builder_subscribe_all_tables(b, &sub), "subscribe_to_all_tables");
        return Subscription(sub);
    }

    const ::stdb_connection *c_connection() const { return conn_; }
    const ::{{ p }}_db *c_db() const { return &cdb_; }

private:
    Connection() { std::memset(static_cast<void *>(&cdb_), 0, sizeof cdb_); }

    ::stdb_subscription_builder *sub_builder(AppliedCallback on_applied, SubscriptionErrorCallback on_error) {
        ::stdb_subscription_builder *b = ::stdb_subscription_builder_new(conn_);
        if (!b) throw ::{{ ns }}::Error(STDB_ERR_NULL, std::string("subscription builder: ") + ::stdb_last_error());
        try {
            if (on_applied) {
                auto *h = new detail::Handler<Connection, AppliedCallback>{this, std::move(on_applied)};
                detail::check_lib(::stdb_subscription_builder_on_applied(b, &applied_tramp, h, &detail::Handler<Connection, AppliedCallback>::destroy),
                              "on_applied");
            }
            if (on_error) {
                auto *h = new detail::Handler<Connection, SubscriptionErrorCallback>{this, std::move(on_error)};
                detail::check_lib(::stdb_subscription_builder_on_error(b, &sub_error_tramp, h,
                                                                   &detail::Handler<Connection, SubscriptionErrorCallback>::destroy),
                              "on_error");
            }
        } catch (...) {
            ::stdb_subscription_builder_free(b);
            throw;
        }
        return b;
    }
    static void applied_tramp(void *ud, const ::stdb_connection *, const ::stdb_event *ev) {
        auto *h = static_cast<detail::Handler<Connection, AppliedCallback> *>(ud);
        try {
            EventContext ctx{*h->conn, ev};
            h->fn(ctx);
        } catch (...) {
        }
    }
    static void sub_error_tramp(void *ud, const ::stdb_connection *, const char *msg, size_t len) {
        auto *h = static_cast<detail::Handler<Connection, SubscriptionErrorCallback> *>(ud);
        try {
            h->fn(*h->conn, detail::str(msg, len));
        } catch (...) {
        }
    }

    ::stdb_connection *conn_ = nullptr;
    ::{{ p }}_db cdb_;
    Db db_;
    Reducers reducers_;
};

/* Connection settings; `build()` registers this module's schema and starts connecting. */
class Connection::Builder {
public:
    Builder() : b_(::stdb_connection_builder_new()) {}
    ~Builder() { ::stdb_connection_builder_free(b_); }
    Builder(Builder &&o) noexcept
        : b_(o.b_), on_connect_(std::move(o.on_connect_)), on_connect_error_(std::move(o.on_connect_error_)),
          on_disconnect_(std::move(o.on_disconnect_)) {
        o.b_ = nullptr;
    }
    Builder(const Builder &) = delete;
    Builder &operator=(const Builder &) = delete;
    Builder &operator=(Builder &&) = delete;

    /* http://, https://, ws:// or wss:// */
    Builder &with_uri(const std::string &uri) {
        detail::check_lib(::stdb_connection_builder_set_uri(live(), uri.data(), uri.size()), "with_uri");
        return *this;
    }
    Builder &with_database_name(const std::string &name) {
        detail::check_lib(::stdb_connection_builder_set_module_name(live(), name.data(), name.size()), "with_database_name");
        return *this;
    }
    Builder &with_token(const std::string &token) {
        detail::check_lib(::stdb_connection_builder_set_token(live(), token.data(), token.size()), "with_token");
        return *this;
    }
    Builder &with_light_mode(bool light) {
        detail::check_lib(::stdb_connection_builder_set_light_mode(live(), light), "with_light_mode");
        return *this;
    }
    /* 0 none, 1 Brotli (default), 2 Gzip */
    Builder &with_compression(int32_t compression) {
        detail::check_lib(::stdb_connection_builder_set_compression(live(), compression), "with_compression");
        return *this;
    }
    Builder &on_connect(ConnectCallback f) {
        on_connect_ = std::move(f);
        return *this;
    }
    Builder &on_connect_error(ConnectErrorCallback f) {
        on_connect_error_ = std::move(f);
        return *this;
    }
    Builder &on_disconnect(DisconnectCallback f) {
        on_disconnect_ = std::move(f);
        return *this;
    }

    /* Registers the schema (checking the library's ABI version) and starts connecting. The builder
     * is used up. */
    std::unique_ptr<Connection> build() {
        std::unique_ptr<Connection> c(new Connection());
        Connection *raw = c.get();
        detail::check(::{{ p }}_register(live()), "registering the {{ p }} schema");
        if (on_connect_) {
            auto *h = new detail::Handler<Connection, ConnectCallback>{raw, std::move(on_connect_)};
            detail::check_lib(::stdb_connection_builder_on_connect(b_, &connect_tramp, h, &detail::Handler<Connection, ConnectCallback>::destroy),
                          "on_connect");
        }
        if (on_connect_error_) {
            auto *h = new detail::Handler<Connection, ConnectErrorCallback>{raw, std::move(on_connect_error_)};
            detail::check_lib(::stdb_connection_builder_on_connect_error(b_, &connect_error_tramp, h,
                                                                     &detail::Handler<Connection, ConnectErrorCallback>::destroy),
                          "on_connect_error");
        }
        if (on_disconnect_) {
            auto *h = new detail::Handler<Connection, DisconnectCallback>{raw, std::move(on_disconnect_)};
            detail::check_lib(::stdb_connection_builder_on_disconnect(b_, &disconnect_tramp, h,
                                                                  &detail::Handler<Connection, DisconnectCallback>::destroy),
                          "on_disconnect");
        }
        ::stdb_connection_builder *b = b_;
        b_ = nullptr;
        detail::check_lib(::stdb_connection_builder_build(b, &c->conn_), "build");
        detail::check(::{{ p }}_db_init(&c->cdb_, c->conn_), "looking up the tables");
        c->db_.init(raw, &c->cdb_);
        c->reducers_.conn_ = c->conn_;
        c->reducers_.conn_obj_ = raw;
        return c;
    }

private:
    ::stdb_connection_builder *live() {
        if (!b_) throw Error(STDB_ERR_INVALID_STATE, "the builder was already built");
        return b_;
    }
    static void connect_tramp(void *ud, const ::stdb_connection *, const ::stdb_identity *id, const char *token, size_t token_len,
                              const ::stdb_connection_id *) {
        auto *h = static_cast<detail::Handler<Connection, ConnectCallback> *>(ud);
        try {
            h->fn(*h->conn, Identity(*id), detail::str(token, token_len));
        } catch (...) {
        }
    }
    static void connect_error_tramp(void *ud, const ::stdb_connection *, int32_t kind, uint16_t status, const char *msg, size_t len) {
        auto *h = static_cast<detail::Handler<Connection, ConnectErrorCallback> *>(ud);
        try {
            h->fn(*h->conn, kind, status, detail::str(msg, len));
        } catch (...) {
        }
    }
    static void disconnect_tramp(void *ud, const ::stdb_connection *, const char *msg, size_t len) {
        auto *h = static_cast<detail::Handler<Connection, DisconnectCallback> *>(ud);
        try {
            std::optional<std::string> err;
            if (msg) err = detail::str(msg, len);
            h->fn(*h->conn, err);
        } catch (...) {
        }
    }

    ::stdb_connection_builder *b_;
    ConnectCallback on_connect_;
    ConnectErrorCallback on_connect_error_;
    DisconnectCallback on_disconnect_;
};

inline Connection::Builder Connection::builder() { return Builder(); }
