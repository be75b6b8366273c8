inline {{ cpp }} from_c(const {{ c }} &c) {
    if (!c.has_value) return std::nullopt;
    return {{ cpp }}({{ value_from_c }});
}
inline void to_c(const {{ cpp }} &v, {{ c }} *out) {
    if (!v) return;
    out->has_value = true;
    {{ value_to_c }}
}
