/* ==== Events, bounds, subscriptions ================================================================= */

class Connection;

/* Why a row callback runs. `event` is valid during the callback only. */
struct EventContext {
    Connection &conn;
    const ::stdb_event *event;
    /* STDB_EVENT_* */
    int32_t kind() const { return ::stdb_event_kind(event); }
};

/* A reducer run's metadata, copied out of the event. */
struct ReducerEvent {
    Timestamp timestamp;
    /* STDB_STATUS_COMMITTED / _FAILED / _OUT_OF_ENERGY */
    int32_t status = 0;
    std::string error_message;
    Identity caller_identity;
    std::optional<ConnectionId> caller_connection_id;
    U128 energy_used;
    std::string reducer_name;
    uint32_t reducer_id = 0;
    uint32_t request_id = 0;
    TimeDuration host_duration;
    bool committed() const { return status == STDB_STATUS_COMMITTED; }
};

struct ReducerEventContext {
    Connection &conn;
    const ::stdb_event *event;
    const ::stdb_reducer_event *raw;
    ReducerEvent reducer;
};

namespace detail {
inline ReducerEvent reducer_event(const ::stdb_reducer_info &i) {
    ReducerEvent e;
    e.timestamp.micros_since_unix_epoch = i.timestamp_us;
    e.status = i.status;
    e.error_message = str(i.error_message.data, i.error_message.len);
    e.caller_identity = Identity(i.caller_identity);
    if (i.has_caller_connection_id) e.caller_connection_id = ConnectionId(i.caller_connection_id);
    e.energy_used.raw.limbs[0] = i.energy_used_lo;
    e.energy_used.raw.limbs[1] = i.energy_used_hi;
    e.reducer_name = str(i.reducer_name.data, i.reducer_name.len);
    e.reducer_id = i.reducer_id;
    e.request_id = i.request_id;
    e.host_duration.micros = i.host_duration_us;
    return e;
}
} // namespace detail

/* One end of a btree range. */
template <class T>
struct Bound {
    int32_t kind = STDB_BOUND_UNBOUNDED;
    T value{};
    static Bound unbounded() { return Bound(); }
    static Bound included(T v) {
        Bound b;
        b.kind = STDB_BOUND_INCLUDED;
        b.value = std::move(v);
        return b;
    }
    static Bound excluded(T v) {
        Bound b;
        b.kind = STDB_BOUND_EXCLUDED;
        b.value = std::move(v);
        return b;
    }
};

/* A subscription handle (RAII: releasing it does not unsubscribe). */
class Subscription {
public:
    Subscription() = default;
    explicit Subscription(::stdb_subscription *s) : s_(s) {}
    ~Subscription() { ::stdb_subscription_free(s_); }
    Subscription(Subscription &&o) noexcept : s_(o.s_) { o.s_ = nullptr; }
    Subscription &operator=(Subscription &&o) noexcept {
        if (this != &o) {
            ::stdb_subscription_free(s_);
            s_ = o.s_;
            o.s_ = nullptr;
        }
        return *this;
    }
    Subscription(const Subscription &) = delete;
    Subscription &operator=(const Subscription &) = delete;
    /* STDB_SUBSCRIPTION_* (-1 for an empty handle). */
    int32_t state() const { return ::stdb_subscription_state(s_); }
    bool is_active() const { return state() == STDB_SUBSCRIPTION_ACTIVE; }
    void unsubscribe() { detail::check_lib(::stdb_subscription_unsubscribe(s_), "unsubscribe"); }
    ::stdb_subscription *c_subscription() const { return s_; }

private:
    ::stdb_subscription *s_ = nullptr;
};
