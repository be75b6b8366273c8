/*
 * Usage
 *   auto conn = {{ p }}::Connection::builder()
 *                   .with_uri("http://127.0.0.1:3000")
 *                   .with_database_name("my-db")
 *                   .on_connect([](auto &c, const {{ p }}::Identity &id, const std::string &token) { ... })
 *                   .build();                    // registers the embedded schema
 *   while (conn->frame_tick()) { ... }           // callbacks run here, on this thread
 *   conn->db().TABLE().count(); conn->db().TABLE().find_by_COL(key);  // std::optional<Row>
 *   conn->reducers().NAME(args...);
 *
 * Link {{ p }}.c (compiled as C) and libstdb_client. Failures throw {{ p }}::Error (code + message).
 * Exceptions thrown by your callbacks are caught and dropped: they cannot cross the C library.
 * Tick the connection only through `frame_tick` (callbacks get a `Connection &`).
 */

#ifndef {{ pu }}_HPP
#define {{ pu }}_HPP

#include "{{ p }}.h"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <functional>
#include <memory>
#include <new>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace {{ ns }} {

/* A failed call: `code()` is the stdb_result / {{ pu }}_ERR_* code. */
class Error : public std::runtime_error {
public:
    Error(int32_t code, const std::string &what) : std::runtime_error(what), code_(code) {}
    int32_t code() const noexcept { return code_; }

private:
    int32_t code_;
};

using CallbackId = uint64_t;
using Bytes = std::vector<uint8_t>;

namespace detail {

[[noreturn]] inline void fail(int32_t code, const char *what) {
    throw ::{{ ns }}::Error(code, std::string(what) + ": " + ::{{ p }}_last_error());
}

inline void check(int32_t code, const char *what) {
    if (code == {{ pu }}_ERR_NOMEM) throw std::bad_alloc();
    if (code != 0) fail(code, what);
}

/* For calls that go straight to the library (`stdb_*`): its message is `stdb_last_error()`. */
inline void check_lib(int32_t code, const char *what) {
    if (code != 0) throw ::{{ ns }}::Error(code, std::string(what) + ": " + ::stdb_last_error());
}

inline std::string str(const void *data, size_t len) {
    return len ? std::string(static_cast<const char *>(data), len) : std::string();
}

/* A zeroed C value, deep-freed at scope exit. */
template <class CT, void (*Free)(CT *)>
struct Owned {
    CT v;
    Owned() { std::memset(static_cast<void *>(&v), 0, sizeof v); }
    ~Owned() { Free(&v); }
    Owned(const Owned &) = delete;
    Owned &operator=(const Owned &) = delete;
};

struct Buffer {
    ::{{ p }}_buffer b;
    Buffer() { std::memset(&b, 0, sizeof b); }
    ~Buffer() { ::{{ p }}_buffer_free(&b); }
    Buffer(const Buffer &) = delete;
    Buffer &operator=(const Buffer &) = delete;
    Bytes bytes() const { return b.len ? Bytes(b.data, b.data + b.len) : Bytes(); }
};

template <class CT>
std::string format_c(size_t (*format)(const CT *, char *, size_t), const CT &v) {
    size_t n = format(&v, nullptr, 0);
    std::vector<char> text(n + 1);
    format(&v, text.data(), text.size());
    return std::string(text.data(), n);
}

template <class T>
T *alloc_array(size_t n) {
    if (n == 0) return nullptr;
    void *p = std::calloc(n, sizeof(T));
    if (!p) throw std::bad_alloc();
    return static_cast<T *>(p);
}

/* A callback and the connection it belongs to, owned by the C library (freed by `destroy`). */
template <class Conn, class F>
struct Handler {
    Conn *conn;
    F fn;
    static void destroy(void *p) { delete static_cast<Handler *>(p); }
};

} // namespace detail
