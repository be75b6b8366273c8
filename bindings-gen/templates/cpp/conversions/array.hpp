inline {{ cpp }} from_c(const {{ c }} &c) {
    {{ cpp }} v;
    v.reserve(c.len);
    for (size_t i = 0; i < c.len; ++i) v.push_back({{ elem_from_c }});
    return v;
}
inline void to_c(const {{ cpp }} &v, {{ c }} *out) {
    out->data = alloc_array<{{ elem_c }}>(v.size());
    out->len = v.size();
    for (size_t i = 0; i < v.size(); ++i) {{ elem_to_c }}
}
