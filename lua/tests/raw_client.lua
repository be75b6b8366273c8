-- A client of the `quickstart` module on lua/stdb.lua's raw API (BSATN rows as Lua strings, no
-- generated shims), run by tests/lua_love.rs with luajit against a live server:
--   luajit raw_client.lua ROOT LIBSTDB URI DATABASE
-- Sets its name, moves to (5, 6), checks what its callbacks saw, prints "ok".
local root, library, uri, database = arg[1], arg[2], arg[3], arg[4]
package.path = root .. "/lua/?.lua;" .. package.path
local stdb = require("stdb")
stdb.init { library = library }

-- player: identity (32 bytes), name, x, y, online
local function decode_player(row)
    local r = stdb.bsatn.reader(row)
    local p = { identity = r:bytes(32) }
    p.name, p.x, p.y, p.online = r:string(), r:f32(), r:f32(), r:bool()
    assert(r:at_end(), "trailing bytes in a player row")
    return p
end

local state = { inserted = 0, outcomes = {} }
local conn = stdb.connect {
    uri = uri, database = database,
    on_connect = function(c, identity_hex, token)
        state.me = identity_hex
        state.token = token
        local player = c:table("player")
        player:on_insert(function(row) state.inserted = state.inserted + 1 end)
        player:on_update(function(old, new)
            local p = decode_player(new)
            if p.name == "raw-lua" and p.x == 5 and p.y == 6 then state.moved = p end
        end)
        state.sub = c:subscribe({ "SELECT * FROM player" }, {
            on_applied = function()
                state.active = state.sub:state() == stdb.C.STDB_SUBSCRIPTION_ACTIVE
                state.rows = #player:rows()
                state.count = player:count()
                c:call_reducer("set_name", stdb.bsatn.string("raw-lua"), function(_, err) state.outcomes.set_name = err or "ok" end)
                c:call_reducer("move_to", stdb.bsatn.f32(5) .. stdb.bsatn.f32(6), function(_, err) state.outcomes.move_to = err or "ok" end)
                c:call_reducer("set_name", stdb.bsatn.string("  "), function(_, err) state.outcomes.empty = err or "ok" end)
            end,
            on_error = function(_, message) error("subscription failed: " .. message) end,
        })
    end,
    on_connect_error = function(_, _, _, message) error("connect failed: " .. message) end,
}

local deadline, ticks = os.time() + 30, 0
while not (state.moved and state.outcomes.set_name and state.outcomes.move_to and state.outcomes.empty) do
    assert(os.time() < deadline, "timed out")
    ticks = ticks + 1
    -- plain ticks and budgeted ones (at most 2 ms, any number of messages) alternate
    if ticks % 2 == 0 then assert(conn:tick()) else assert(conn:tick(0, 2000)) end
    os.execute("sleep 0.01")
end
assert(#state.me == 64 and conn:identity_hex() == state.me, "identity hex")
assert(conn:is_active(), "active while connected")
assert(state.active, "the subscription was active in on_applied")
assert(#state.token > 0, "token")
assert(state.rows >= 1 and state.rows == state.count, "rows() and count() agree")
assert(state.inserted >= 1, "on_insert ran for the subscribed rows")
assert(state.outcomes.set_name == "ok" and state.outcomes.move_to == "ok", "reducer outcomes")
assert(state.outcomes.empty:find("name must not be empty", 1, true), "the failed call's error: " .. state.outcomes.empty)
-- Malformed arguments are refused before sending.
assert(not pcall(conn.call_reducer, conn, "move_to", stdb.bsatn.f32(1)), "short arguments accepted")
conn:close()
assert(stdb.live_callbacks() == 0, "callbacks left after close: " .. stdb.live_callbacks())
print("identity " .. state.me)
print("ok")
