inline Bytes to_bsatn(const {{ cpp }} &v) {
    {{ owned }} c;
    {{ to_c }}
    detail::Buffer b;
    detail::check(::{{ fstem }}_encode(&b.b, &c.v), "encoding {{ name }}");
    return b.bytes();
}
template <>
inline {{ cpp }} from_bsatn<{{ cpp }}>(const uint8_t *data, size_t len) {
    {{ owned }} c;
    detail::check(::{{ fstem }}_from_bsatn(data, len, &c.v), "decoding {{ name }}");
    return {{ from_c }};
}
/* Debug text, as the C `_format`. */
inline std::string to_string(const {{ cpp }} &v) {
    {{ owned }} c;
    {{ to_c }}
    return detail::format_c<{{ c }}>(::{{ fstem }}_format, c.v);
}
