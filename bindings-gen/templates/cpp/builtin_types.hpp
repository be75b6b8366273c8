/* ==== Builtin types ================================================================================ */

/* A 128-bit integer (little-endian limbs in `raw`); decimal text via to_string/from_string. */
struct U128 {
    ::{{ p }}_u128 raw{};
    U128() = default;
    explicit U128(const ::{{ p }}_u128 &r) : raw(r) {}
    static U128 from_u64(uint64_t v) { return U128(::{{ p }}_u128_from_u64(v)); }
    static U128 from_string(const std::string &s) {
        U128 r;
        detail::check(::{{ p }}_u128_from_string(s.data(), s.size(), &r.raw), "U128::from_string");
        return r;
    }
    std::string to_string() const { return detail::format_c(::{{ p }}_u128_format, raw); }
    bool operator==(const U128 &o) const { return ::{{ p }}_u128_eq(&raw, &o.raw); }
    bool operator!=(const U128 &o) const { return !(*this == o); }
};

/* A 128-bit integer (little-endian limbs in `raw`); decimal text via to_string/from_string. */
struct I128 {
    ::{{ p }}_i128 raw{};
    I128() = default;
    explicit I128(const ::{{ p }}_i128 &r) : raw(r) {}
    static I128 from_i64(int64_t v) { return I128(::{{ p }}_i128_from_i64(v)); }
    static I128 from_string(const std::string &s) {
        I128 r;
        detail::check(::{{ p }}_i128_from_string(s.data(), s.size(), &r.raw), "I128::from_string");
        return r;
    }
    std::string to_string() const { return detail::format_c(::{{ p }}_i128_format, raw); }
    bool operator==(const I128 &o) const { return ::{{ p }}_i128_eq(&raw, &o.raw); }
    bool operator!=(const I128 &o) const { return !(*this == o); }
};

/* A 256-bit integer (little-endian limbs in `raw`); decimal text via to_string/from_string. */
struct U256 {
    ::{{ p }}_u256 raw{};
    U256() = default;
    explicit U256(const ::{{ p }}_u256 &r) : raw(r) {}
    static U256 from_u64(uint64_t v) { return U256(::{{ p }}_u256_from_u64(v)); }
    static U256 from_string(const std::string &s) {
        U256 r;
        detail::check(::{{ p }}_u256_from_string(s.data(), s.size(), &r.raw), "U256::from_string");
        return r;
    }
    std::string to_string() const { return detail::format_c(::{{ p }}_u256_format, raw); }
    bool operator==(const U256 &o) const { return ::{{ p }}_u256_eq(&raw, &o.raw); }
    bool operator!=(const U256 &o) const { return !(*this == o); }
};

/* A 256-bit integer (little-endian limbs in `raw`); decimal text via to_string/from_string. */
struct I256 {
    ::{{ p }}_i256 raw{};
    I256() = default;
    explicit I256(const ::{{ p }}_i256 &r) : raw(r) {}
    static I256 from_i64(int64_t v) { return I256(::{{ p }}_i256_from_i64(v)); }
    static I256 from_string(const std::string &s) {
        I256 r;
        detail::check(::{{ p }}_i256_from_string(s.data(), s.size(), &r.raw), "I256::from_string");
        return r;
    }
    std::string to_string() const { return detail::format_c(::{{ p }}_i256_format, raw); }
    bool operator==(const I256 &o) const { return ::{{ p }}_i256_eq(&raw, &o.raw); }
    bool operator!=(const I256 &o) const { return !(*this == o); }
};

/* The library's `stdb_identity` (little-endian bytes); to_hex gives SpacetimeDB's 64-digit big-endian hex. */
struct Identity {
    ::stdb_identity raw{};
    Identity() = default;
    explicit Identity(const ::stdb_identity &r) : raw(r) {}
    std::string to_hex() const { return detail::format_c(::{{ p }}_identity_format, raw); }
    std::string to_string() const { return to_hex(); }
    bool operator==(const Identity &o) const { return ::{{ p }}_identity_eq(&raw, &o.raw); }
    bool operator!=(const Identity &o) const { return !(*this == o); }
};

/* The library's `stdb_connection_id` (little-endian bytes); to_hex gives SpacetimeDB's 32-digit big-endian hex. */
struct ConnectionId {
    ::stdb_connection_id raw{};
    ConnectionId() = default;
    explicit ConnectionId(const ::stdb_connection_id &r) : raw(r) {}
    std::string to_hex() const { return detail::format_c(::{{ p }}_connection_id_format, raw); }
    std::string to_string() const { return to_hex(); }
    bool operator==(const ConnectionId &o) const { return ::{{ p }}_connection_id_eq(&raw, &o.raw); }
    bool operator!=(const ConnectionId &o) const { return !(*this == o); }
};

/* Microseconds since the Unix epoch; to_string gives RFC 3339 like SpacetimeDB. */
struct Timestamp {
    int64_t micros_since_unix_epoch = 0;
    std::string to_string() const {
        ::{{ p }}_timestamp c;
        c.micros_since_unix_epoch = micros_since_unix_epoch;
        return detail::format_c(::{{ p }}_timestamp_format, c);
    }
    bool operator==(const Timestamp &o) const { return micros_since_unix_epoch == o.micros_since_unix_epoch; }
    bool operator!=(const Timestamp &o) const { return !(*this == o); }
    bool operator<(const Timestamp &o) const { return micros_since_unix_epoch < o.micros_since_unix_epoch; }
};

/* A signed duration in microseconds. */
struct TimeDuration {
    int64_t micros = 0;
    std::string to_string() const {
        ::{{ p }}_time_duration c;
        c.micros = micros;
        return detail::format_c(::{{ p }}_time_duration_format, c);
    }
    bool operator==(const TimeDuration &o) const { return micros == o.micros; }
    bool operator!=(const TimeDuration &o) const { return !(*this == o); }
};

/* SpacetimeDB 2.x's UUID (the wire's little-endian u128 bytes); to_string gives the canonical 8-4-4-4-12 hex. */
struct Uuid {
    ::{{ p }}_uuid raw{};
    Uuid() = default;
    explicit Uuid(const ::{{ p }}_uuid &r) : raw(r) {}
    /* Throws std::invalid_argument unless `s` is the canonical text form. */
    static Uuid parse(const std::string &s) {
        Uuid u;
        if (::{{ p }}_uuid_from_string(s.data(), s.size(), &u.raw) != STDB_OK) throw std::invalid_argument(::{{ p }}_last_error());
        return u;
    }
    int version() const { return ::{{ p }}_uuid_version(&raw); }
    std::string to_string() const { return detail::format_c(::{{ p }}_uuid_format, raw); }
    bool operator==(const Uuid &o) const { return ::{{ p }}_uuid_eq(&raw, &o.raw); }
    bool operator!=(const Uuid &o) const { return !(*this == o); }
    bool operator<(const Uuid &o) const { return ::{{ p }}_uuid_cmp(&raw, &o.raw) < 0; }
};

/* When a scheduled reducer runs: index 0 = an interval, 1 = a time. */
struct ScheduleAt {
    std::variant<TimeDuration, Timestamp> value;
    static ScheduleAt interval(TimeDuration d) { ScheduleAt s; s.value = d; return s; }
    static ScheduleAt time(Timestamp t) { ScheduleAt s; s.value = t; return s; }
    bool is_interval() const { return value.index() == 0; }
    bool operator==(const ScheduleAt &o) const { return value == o.value; }
    bool operator!=(const ScheduleAt &o) const { return !(*this == o); }
};

/* The empty product `()`. */
struct Unit {
    bool operator==(const Unit &) const { return true; }
    bool operator!=(const Unit &) const { return false; }
};
