// sdk_test_client.cpp — an end-to-end C++17 client of the `sdk-test` module through the generated
// header-only wrapper (sdk_test.hpp): RAII connection, typed tables, typed reducers, std::function
// callbacks, std::optional / std::variant / std::string values. Run by bindings-gen/tests/e2e.rs.
#include "sdk_test.hpp"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <thread>

static int checks = 0;

#define CHECK(cond)                                                                      \
    do {                                                                                 \
        checks++;                                                                        \
        if (!(cond)) {                                                                   \
            std::fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
            std::exit(1);                                                                \
        }                                                                                \
    } while (0)

template <class F>
static void tick_until(sdk_test::Connection &conn, F done) {
    for (int i = 0; i < 20000 && !done(); ++i) {
        conn.frame_tick();
        if (!done()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    CHECK(done());
}

int main() {
    const char *uri = std::getenv("STDB_URI");
    const char *dbname = std::getenv("STDB_DATABASE");
    if (!uri || !dbname) {
        std::fprintf(stderr, "set STDB_URI and STDB_DATABASE\n");
        return 2;
    }
    bool connected = false, applied = false, disconnected = false;
    sdk_test::Identity me;

    auto conn = sdk_test::Connection::builder()
                    .with_uri(uri)
                    .with_database_name(dbname)
                    .on_connect([&](sdk_test::Connection &, const sdk_test::Identity &id, const std::string &token) {
                        me = id;
                        connected = !token.empty();
                    })
                    .on_connect_error([](sdk_test::Connection &, int32_t kind, uint16_t status, const std::string &message) {
                        std::fprintf(stderr, "connect error %d (http %u): %s\n", (int)kind, (unsigned)status, message.c_str());
                        std::exit(1);
                    })
                    .on_disconnect([&](sdk_test::Connection &, const std::optional<std::string> &error) {
                        if (error) {
                            std::fprintf(stderr, "disconnected: %s\n", error->c_str());
                            std::exit(1);
                        }
                        disconnected = true;
                    })
                    .build();

    std::vector<sdk_test::PkU32> inserted;
    std::vector<std::pair<sdk_test::PkU32, sdk_test::PkU32>> updated;
    std::optional<sdk_test::AllTypes> all;
    int pk_calls = 0, fails = 0;

    auto insert_id = conn->db().pk_u32().on_insert([&](const sdk_test::EventContext &ctx, const sdk_test::PkU32 &row) {
        CHECK(&ctx.conn == conn.get());
        CHECK(ctx.kind() == STDB_EVENT_REDUCER);
        inserted.push_back(row);
    });
    conn->db().pk_u32().on_update([&](const sdk_test::EventContext &, const sdk_test::PkU32 &o, const sdk_test::PkU32 &n) {
        updated.emplace_back(o, n);
    });
    conn->db().all_types().on_insert([&](const sdk_test::EventContext &, const sdk_test::AllTypes &row) { all = row; });
    auto reducer_id = conn->reducers().on_insert_pk_u32([&](const sdk_test::ReducerEventContext &ctx, uint32_t n, int32_t data) {
        CHECK(ctx.reducer.committed());
        CHECK(ctx.reducer.reducer_name == "insert_pk_u32");
        CHECK(n == 5 && data == 50);
        pk_calls++;
    });
    conn->reducers().on_fail([&](const sdk_test::ReducerEventContext &ctx, const std::string &message) {
        CHECK(!ctx.reducer.committed());
        CHECK(ctx.reducer.error_message == "boom");
        CHECK(ctx.reducer.caller_identity == me);
        CHECK(message == "boom");
        fails++;
    });

    tick_until(*conn, [&] { return connected; });
    CHECK(conn->identity() == me);
    CHECK(me.to_hex().size() == 64);
    auto sub = conn->subscribe_to_all_tables([&](const sdk_test::EventContext &) { applied = true; });
    tick_until(*conn, [&] { return applied; });
    CHECK(sub.is_active());

    // Rows and reducer arguments, typed.
    conn->reducers().insert_pk_u32(5, 50);
    tick_until(*conn, [&] { return inserted.size() == 1 && pk_calls == 1; });
    CHECK(inserted[0].n == 5 && inserted[0].data == 50);
    auto found = conn->db().pk_u32().find_by_n(5);
    CHECK(found && found->data == 50);
    CHECK(!conn->db().pk_u32().find_by_n(6));
    CHECK(conn->db().pk_u32().count() == 1);
    CHECK(conn->db().pk_u32().iter().size() == 1);
    conn->reducers().update_pk_u32(5, 55);
    tick_until(*conn, [&] { return updated.size() == 1; });
    CHECK(updated[0].first.data == 50 && updated[0].second.data == 55);

    // Every type, including a string with an embedded NUL and nested options.
    sdk_test::AllTypes want;
    want.a_bool = true;
    want.a_i8 = -1;
    want.a_i16 = 12345;
    want.a_i32 = -7;
    want.a_i64 = 1LL << 60;
    want.a_i128 = sdk_test::I128::from_string("-12345678901234567890123456789");
    want.a_i256 = sdk_test::I256::from_string("-57896044618658097711785492504343953926634992332820282019728792003956564819968");
    want.a_u8 = 7;
    want.a_u16 = 8;
    want.a_u32 = 9;
    want.a_u64 = 10;
    want.a_u128 = sdk_test::U128::from_string("99999999999999999999999999999");
    want.a_u256 = sdk_test::U256::from_u64(7);
    want.a_f32 = 2.5f;
    want.a_f64 = 1e100;
    want.a_string = std::string("emb\0edded \xc3\xa9", 12);
    want.a_bytes = {0, 1, 2, 254};
    want.a_identity = me;
    want.a_connection_id = conn->connection_id();
    want.a_timestamp.micros_since_unix_epoch = 1700000000000000LL;
    want.a_duration.micros = 1000;
    want.a_opt_i32 = std::nullopt;
    want.a_opt_opt_string = std::optional<std::string>("x");
    want.a_point.x = 5;
    want.a_point.y = 6;
    want.a_shape = sdk_test::Shape::Named("circle?");
    want.a_vec_i32 = {3, 2, 1};
    want.a_vec_string = {"x", ""};
    conn->reducers().insert_all_types(want.a_bool, want.a_i8, want.a_i16, want.a_i32, want.a_i64, want.a_i128, want.a_i256,
                                      want.a_u8, want.a_u16, want.a_u32, want.a_u64, want.a_u128, want.a_u256, want.a_f32,
                                      want.a_f64, want.a_string, want.a_bytes, want.a_identity, want.a_connection_id,
                                      want.a_timestamp, want.a_duration, want.a_opt_i32, want.a_opt_opt_string, want.a_point,
                                      want.a_shape, want.a_vec_i32, want.a_vec_string);
    tick_until(*conn, [&] { return all.has_value(); });
    want.id = all->id;
    CHECK(*all == want);
    CHECK(all->a_string.size() == 12);
    CHECK(all->a_shape.is_Named() && all->a_shape.as_Named() == "circle?");
    CHECK(all->a_shape.tag() == sdk_test::Shape::Tag::Named);
    CHECK(all->a_timestamp.to_string() == "2023-11-14T22:13:20+00:00");
    CHECK(all->a_duration.to_string() == "+0.001000");
    CHECK(all->a_i256.to_string() == "-57896044618658097711785492504343953926634992332820282019728792003956564819968");
    std::string text = sdk_test::to_string(*all);
    CHECK(text.find("a_shape: Named(\"circle\\?\")") != std::string::npos || text.find("a_shape: Named(\"circle?\")") != std::string::npos);
    auto bytes = sdk_test::to_bsatn(*all);
    CHECK(sdk_test::from_bsatn<sdk_test::AllTypes>(bytes.data(), bytes.size()) == *all);
    bool threw = false;
    try {
        sdk_test::from_bsatn<sdk_test::AllTypes>(bytes.data(), bytes.size() - 1);
    } catch (const sdk_test::Error &e) {
        threw = e.code() == SDK_TEST_ERR_DECODE && std::string(e.what()).find("unexpected end of input") != std::string::npos;
    }
    CHECK(threw);

    // Btree indexes with typed bounds.
    conn->reducers().insert_score(1, "a", 10);
    conn->reducers().insert_score(2, "b", 20);
    conn->reducers().insert_score(2, "c", 30);
    tick_until(*conn, [&] { return conn->db().scores().count() == 3; });
    CHECK(conn->db().scores().level_filter(2).size() == 2);
    auto above = conn->db().scores().by_level_points_range_points(2, sdk_test::Bound<int64_t>::excluded(20),
                                                                    sdk_test::Bound<int64_t>::unbounded());
    CHECK(above.size() == 1 && above[0].name == "c");
    CHECK(conn->db().scores().level_range(sdk_test::Bound<uint32_t>::included(1), sdk_test::Bound<uint32_t>::excluded(2)).size() == 1);
    CHECK(conn->db().scores().by_level_points_filter(2, 30).size() == 1);

    // String and enum keys.
    conn->reducers().insert_pk_string("\xd0\xba\xd0\xbb\xd1\x8e\xd1\x87", 3);
    conn->reducers().insert_pk_color(sdk_test::Color::Green, 4);
    tick_until(*conn, [&] {
        return conn->db().pk_string().find_by_s("\xd0\xba\xd0\xbb\xd1\x8e\xd1\x87").has_value() &&
               conn->db().pk_color().find_by_color(sdk_test::Color::Green).has_value();
    });
    CHECK(conn->db().pk_color().find_by_color(sdk_test::Color::Green)->data == 4);

    // A failing reducer.
    conn->reducers().fail("boom");
    tick_until(*conn, [&] { return fails == 1; });

    // Callback removal; misuse throws.
    conn->db().pk_u32().remove_callback(insert_id);
    conn->reducers().remove_on_reducer(reducer_id);
    bool threw2 = false;
    try {
        conn->db().pk_u32().remove_callback(insert_id);
    } catch (const sdk_test::Error &) {
        threw2 = true;
    }
    CHECK(threw2);

    conn->disconnect();
    tick_until(*conn, [&] { return disconnected; });
    CHECK(!conn->frame_tick());
    // A call that goes straight to the C ABI carries the library's message, not an empty one.
    {
        std::string what;
        try {
            conn->reducers().no_op();
        } catch (const sdk_test::Error &e) {
            what = e.what();
        }
        CHECK(std::string(::stdb_last_error()).size() > 0);
        CHECK(what == "calling no_op: " + std::string(::stdb_last_error()));
    }
    std::printf("e2e ok: %d checks\n", checks);
    return 0;
}
