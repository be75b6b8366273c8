// walker.cpp — a C++17 client of the `quickstart` module on the header-only wrapper that
// stdb-bindings-gen generates (quickstart.hpp over quickstart.h / quickstart.c): an RAII
// connection, typed tables with std::function callbacks, std::optional lookups, typed reducers.
//
// It names itself, then walks in a circle at 60 frames a second (one `move_to` per frame) while
// printing the other players it sees move, and at the end checks that the cache holds its own
// row at the last position it sent.
//
// Usage: STDB_URI=http://127.0.0.1:3000 STDB_DATABASE=quickstart ./walker [--name NAME] [--frames N]
#include "quickstart.hpp"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>
#include <thread>

namespace qs = quickstart;
using Clock = std::chrono::steady_clock;

struct Seen {
    std::string name;
    int moves = 0;
    float x = 0, y = 0;
};

int main(int argc, char **argv) {
    const char *uri = std::getenv("STDB_URI");
    const char *db = std::getenv("STDB_DATABASE");
    std::string name = "walker";
    int frames = 300;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (std::strcmp(argv[i], "--name") == 0) name = argv[i + 1];
        else if (std::strcmp(argv[i], "--frames") == 0) frames = std::atoi(argv[i + 1]);
    }
    if (!uri || !db || frames < 1) {
        std::fprintf(stderr, "usage: STDB_URI=... STDB_DATABASE=... walker [--name NAME] [--frames N]\n");
        return 2;
    }

    try {
        bool subscribed = false, named = false, failed = false;
        qs::Identity me;
        std::map<std::string, Seen> others; // by identity hex

        auto conn = qs::Connection::builder()
                        .with_uri(uri)
                        .with_database_name(db)
                        .on_connect([&](qs::Connection &, const qs::Identity &id, const std::string &) {
                            me = id;
                            std::printf("connected as %s\n", id.to_hex().c_str());
                        })
                        .on_connect_error([&](qs::Connection &, int32_t, uint16_t, const std::string &message) {
                            std::fprintf(stderr, "cannot connect: %s\n", message.c_str());
                            failed = true;
                        })
                        .on_disconnect([&](qs::Connection &, const std::optional<std::string> &error) {
                            if (error) {
                                std::fprintf(stderr, "disconnected: %s\n", error->c_str());
                                failed = true;
                            }
                        })
                        .build();

        conn->db().player().on_update([&](const qs::EventContext &, const qs::Player &before, const qs::Player &after) {
            if (after.identity == me) return;
            Seen &s = others[after.identity.to_hex()];
            s.name = after.name.empty() ? "user " + after.identity.to_hex().substr(0, 8) : after.name;
            if (before.x != after.x || before.y != after.y) {
                if (s.moves++ % 60 == 0)
                    std::printf("  %s walks to (%.2f, %.2f)\n", s.name.c_str(), after.x, after.y);
                s.x = after.x;
                s.y = after.y;
            }
        });
        conn->reducers().on_set_name([&](const qs::ReducerEventContext &ctx, const std::string &n) {
            if (ctx.reducer.caller_identity != me) return;
            if (!ctx.reducer.committed()) {
                std::fprintf(stderr, "set_name(%s) failed: %s\n", n.c_str(), ctx.reducer.error_message.c_str());
                failed = true;
            }
            named = true;
        });
        auto sub = conn->subscribe({"SELECT * FROM player"}, [&](const qs::EventContext &) { subscribed = true; },
                                   [&](qs::Connection &, const std::string &error) {
                                       std::fprintf(stderr, "subscription failed: %s\n", error.c_str());
                                       failed = true;
                                   });

        const auto frame = std::chrono::microseconds(1000000 / 60);
        auto tick_until = [&](auto done, double seconds) {
            auto end = Clock::now() + std::chrono::duration<double>(seconds);
            while (!done() && !failed && Clock::now() < end && conn->frame_tick()) std::this_thread::sleep_for(frame);
            return done();
        };
        if (!tick_until([&] { return subscribed; }, 30)) {
            std::fprintf(stderr, "not subscribed after 30 s\n");
            return 1;
        }
        std::printf("%llu players in the cache\n", static_cast<unsigned long long>(conn->db().player().count()));
        conn->reducers().set_name(name);
        if (!tick_until([&] { return named; }, 30) || failed) return 1;

        // The walk: one tick, one step per frame.
        float x = 0, y = 0;
        auto next = Clock::now();
        for (int f = 0; f < frames && !failed; ++f) {
            if (!conn->frame_tick()) break;
            const float angle = 2.0f * 3.14159265f * static_cast<float>(f) / 120.0f;
            x = 10.0f + 5.0f * std::cos(angle);
            y = 10.0f + 5.0f * std::sin(angle);
            conn->reducers().move_to(x, y);
            next += frame;
            std::this_thread::sleep_until(next);
        }

        // Our row, by primary key, once our last move is in the cache.
        auto at_last_step = [&] {
            std::optional<qs::Player> row = conn->db().player().find_by_identity(me);
            return row && row->x == x && row->y == y;
        };
        if (!tick_until(at_last_step, 30)) {
            std::fprintf(stderr, "our row never reached the last position (%.2f, %.2f)\n", x, y);
            return 1;
        }
        const qs::Player mine = *conn->db().player().find_by_identity(me);
        std::printf("walked %d steps; the cache has %s at (%.2f, %.2f), online=%s\n", frames, mine.name.c_str(), mine.x, mine.y,
                    mine.online ? "true" : "false");
        for (const auto &kv : others)
            std::printf("saw %s move %d times, last at (%.2f, %.2f)\n", kv.second.name.c_str(), kv.second.moves, kv.second.x,
                        kv.second.y);
        conn->disconnect();
        tick_until([] { return false; }, 0.2);
        if (failed || mine.name != name) return 1;
        std::printf("walker done\n");
    } catch (const qs::Error &e) {
        std::fprintf(stderr, "error: %s\n", e.what());
        return 1;
    }
    return 0;
}
