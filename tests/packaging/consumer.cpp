// consumer.cpp — the C++ twin of consumer.c (tests/packaging.rs): the header used from C++17,
// the builder owned by a std::unique_ptr.
#include <stdb_client.h>

#include <cstdio>
#include <memory>
#include <string>

namespace {
struct BuilderFree {
    void operator()(stdb_connection_builder *b) const { stdb_connection_builder_free(b); }
};
using Builder = std::unique_ptr<stdb_connection_builder, BuilderFree>;
}  // namespace

int main() {
    if (stdb_abi_version() != STDB_ABI_VERSION || std::string(stdb_version()) != STDB_VERSION_STRING) {
        std::fprintf(stderr, "library %s (ABI %u) does not match the header\n", stdb_version(), stdb_abi_version());
        return 1;
    }
    // A URI without a scheme is refused when building; the builder is consumed either way.
    {
        Builder bad(stdb_connection_builder_new());
        const std::string uri = "nonsense", name = "quickstart";
        if (!bad || stdb_connection_builder_set_uri(bad.get(), uri.data(), uri.size()) != STDB_OK ||
            stdb_connection_builder_set_module_name(bad.get(), name.data(), name.size()) != STDB_OK) {
            std::fprintf(stderr, "builder: %s\n", stdb_last_error());
            return 1;
        }
        stdb_connection *conn = nullptr;
        const stdb_result r = stdb_connection_builder_build(bad.release(), &conn);
        if (r != STDB_ERR_INVALID_ARGUMENT || conn != nullptr || std::string(stdb_last_error()).find("scheme") == std::string::npos) {
            std::fprintf(stderr, "a URI without a scheme was not refused (last error: %s)\n", stdb_last_error());
            return 1;
        }
    }
    Builder b(stdb_connection_builder_new());
    const std::string uri = "http://127.0.0.1:3000";
    if (!b || stdb_connection_builder_set_uri(b.get(), uri.data(), uri.size()) != STDB_OK) {
        std::fprintf(stderr, "builder: %s\n", stdb_last_error());
        return 1;
    }
    b.reset();
    if (stdb_library_shutdown() != STDB_OK) {
        std::fprintf(stderr, "shutdown: %s\n", stdb_last_error());
        return 1;
    }
    std::printf("stdb_client %s (ABI %u) from C++: ok\n", stdb_version(), stdb_abi_version());
    return 0;
}
