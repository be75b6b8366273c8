inline std::string from_c(const ::{{ p }}_string &c) { return str(c.data, c.len); }
inline void to_c(const std::string &v, ::{{ p }}_string *out) { check(::{{ p }}_string_from(v.data(), v.size(), out), "string"); }
inline ::{{ ns }}::Bytes from_c(const ::{{ p }}_bytes &c) { return c.len ? ::{{ ns }}::Bytes(c.data, c.data + c.len) : ::{{ ns }}::Bytes(); }
inline void to_c(const ::{{ ns }}::Bytes &v, ::{{ p }}_bytes *out) {
    out->data = alloc_array<uint8_t>(v.size());
    out->len = v.size();
    if (!v.empty()) std::memcpy(out->data, v.data(), v.size());
}
inline ::{{ ns }}::U128 from_c(const ::{{ p }}_u128 &c) { return ::{{ ns }}::U128(c); }
inline void to_c(const ::{{ ns }}::U128 &v, ::{{ p }}_u128 *out) { *out = v.raw; }
inline ::{{ ns }}::I128 from_c(const ::{{ p }}_i128 &c) { return ::{{ ns }}::I128(c); }
inline void to_c(const ::{{ ns }}::I128 &v, ::{{ p }}_i128 *out) { *out = v.raw; }
inline ::{{ ns }}::U256 from_c(const ::{{ p }}_u256 &c) { return ::{{ ns }}::U256(c); }
inline void to_c(const ::{{ ns }}::U256 &v, ::{{ p }}_u256 *out) { *out = v.raw; }
inline ::{{ ns }}::I256 from_c(const ::{{ p }}_i256 &c) { return ::{{ ns }}::I256(c); }
inline void to_c(const ::{{ ns }}::I256 &v, ::{{ p }}_i256 *out) { *out = v.raw; }
inline ::{{ ns }}::Identity from_c(const ::stdb_identity &c) { return ::{{ ns }}::Identity(c); }
inline void to_c(const ::{{ ns }}::Identity &v, ::stdb_identity *out) { *out = v.raw; }
inline ::{{ ns }}::ConnectionId from_c(const ::stdb_connection_id &c) { return ::{{ ns }}::ConnectionId(c); }
inline void to_c(const ::{{ ns }}::ConnectionId &v, ::stdb_connection_id *out) { *out = v.raw; }
inline ::{{ ns }}::Timestamp from_c(const ::{{ p }}_timestamp &c) {
    ::{{ ns }}::Timestamp t;
    t.micros_since_unix_epoch = c.micros_since_unix_epoch;
    return t;
}
inline void to_c(const ::{{ ns }}::Timestamp &v, ::{{ p }}_timestamp *out) { out->micros_since_unix_epoch = v.micros_since_unix_epoch; }
inline ::{{ ns }}::TimeDuration from_c(const ::{{ p }}_time_duration &c) {
    ::{{ ns }}::TimeDuration d;
    d.micros = c.micros;
    return d;
}
inline void to_c(const ::{{ ns }}::TimeDuration &v, ::{{ p }}_time_duration *out) { out->micros = v.micros; }
inline ::{{ ns }}::Uuid from_c(const ::{{ p }}_uuid &c) { return ::{{ ns }}::Uuid(c); }
inline void to_c(const ::{{ ns }}::Uuid &v, ::{{ p }}_uuid *out) { *out = v.raw; }
inline ::{{ ns }}::ScheduleAt from_c(const ::{{ p }}_schedule_at &c) {
    if (c.tag == {{ pu }}_SCHEDULE_AT_INTERVAL) return ::{{ ns }}::ScheduleAt::interval(from_c(c.value.Interval));
    return ::{{ ns }}::ScheduleAt::time(from_c(c.value.Time));
}
inline void to_c(const ::{{ ns }}::ScheduleAt &v, ::{{ p }}_schedule_at *out) {
    if (v.is_interval()) {
        out->tag = {{ pu }}_SCHEDULE_AT_INTERVAL;
        to_c(std::get<0>(v.value), &out->value.Interval);
    } else {
        out->tag = {{ pu }}_SCHEDULE_AT_TIME;
        to_c(std::get<1>(v.value), &out->value.Time);
    }
}
inline ::{{ ns }}::Unit from_c(const ::{{ p }}_unit &) { return ::{{ ns }}::Unit(); }
inline void to_c(const ::{{ ns }}::Unit &, ::{{ p }}_unit *out) { out->unused_ = 0; }
