{{ banner }}
{% include "cpp/prelude.hpp" %}

{% include "cpp/builtin_types.hpp" %}

/* ==== Module types ================================================================================= */
{%- for t in types %}

{{ t }}
{%- endfor %}

/* ==== Conversions between the C and C++ types ========================================================= */

namespace detail {

{% include "cpp/builtin_conversions.hpp" %}
{% for t in conversions %}
inline {{ t.cpp }} from_c(const {{ t.c }} &c);
inline void to_c(const {{ t.cpp }} &v, {{ t.c }} *out);
{%- endfor %}
{% for t in conversions %}
{{ t.definition }}
{%- endfor %}

} // namespace detail

/* ==== BSATN and text for module types ============================================================= */

/* Decodes exactly `len` bytes as a T (throws Error on bad input). */
template <class T>
T from_bsatn(const uint8_t *data, size_t len);
{%- for t in codecs %}

{{ t }}
{%- endfor %}

{% include "cpp/events.hpp" %}

/* ==== Tables ======================================================================================= */
{%- for t in tables %}

{{ t }}
{%- endfor %}

{{ db }}

{{ reducers }}

{% include "cpp/connection.hpp" %}

} // namespace {{ ns }}

#endif /* {{ pu }}_HPP */

