-- Tests of lua/stdb.lua that need no server (run by tests/lua_love.rs with luajit):
--   luajit unit.lua ROOT LIBSTDB SHIMS_HEADER SHIMS_LIBRARY VERSION
-- Prints "ok" at the end; any failure raises.
local root, library, shims_header, shims_library, version = arg[1], arg[2], arg[3], arg[4], arg[5]
package.path = root .. "/lua/?.lua;" .. package.path
local ffi = require("ffi")
local stdb = require("stdb")

local function eq(a, b, what)
    if a ~= b then error(string.format("%s: expected %s, got %s", what, tostring(b), tostring(a)), 2) end
end

-- Loading: the committed cdef file next to the module is found without being named.
local C = stdb.init { library = library }
eq(stdb.version(), version, "stdb.version()")
eq(stdb.init(), C, "a second init returns the same library")

-- The generated header turned into declarations.
local f = assert(io.open(shims_header, "rb"))
local header = f:read("*a")
f:close()
local decls, strings, abi = stdb.cdef_from_header(header)
eq(abi, 1, "ABI version read from the header's check")
for line in decls:gmatch("[^\n]+") do
    assert(not line:match("^%s*#"), "preprocessor line left: " .. line)
    assert(not line:find('extern "C"', 1, true), "C++ line left: " .. line)
end
assert(decls:find("enum { QUICKSTART_ERR_DECODE = 100 };", 1, true), "integer #define as an enum constant")
assert(strings.QUICKSTART_SCHEMA_CHECKSUM and #strings.QUICKSTART_SCHEMA_CHECKSUM == 16, "string #define kept")
assert(decls:find("quickstart_register", 1, true), "the QUICKSTART_CODEC_ONLY block is kept")
assert(not pcall(stdb.cdef_from_header, "#pragma once\n"), "an unknown directive is refused")

local Q = stdb.load_shims { header = shims_header, library = shims_library }
eq(Q.QUICKSTART_ERR_DECODE, 100, "shim constant")

-- A typed row through the shims equals the BSATN the Lua helpers build by hand.
local p = ffi.new("quickstart_Player")
for i = 0, 31 do p.identity.bytes[i] = i end
local name = "löve"
p.name.data = ffi.cast("char *", name)
p.name.len = #name
p.x, p.y, p.online = 12.25, -3.5, true
local buf = ffi.new("quickstart_buffer")
stdb.check(Q.quickstart_Player_encode(buf, p), "Player_encode")
local bytes = ffi.string(buf.data, buf.len)
Q.quickstart_buffer_free(buf)
local id = {}
for i = 0, 31 do id[#id + 1] = string.char(i) end
local by_hand = table.concat(id) .. stdb.bsatn.string(name) .. stdb.bsatn.f32(12.25) .. stdb.bsatn.f32(-3.5) .. stdb.bsatn.bool(true)
eq(bytes, by_hand, "Player BSATN")
local back = ffi.new("quickstart_Player")
stdb.check(Q.quickstart_Player_from_bsatn(bytes, #bytes, back), "Player_from_bsatn")
eq(ffi.string(back.name.data, back.name.len), name, "decoded name")
eq(back.x, 12.25, "decoded x")
eq(back.online, true, "decoded online")
Q.quickstart_Player_free(back)
local hex = stdb.identity_hex(p.identity)
eq(#hex, 64, "identity hex length")
eq(hex:sub(1, 4), "1f1e", "identity hex is big-endian")

-- Callback lifetimes: anchored while registered, released when the library ends the registration.
eq(stdb.live_callbacks(), 0, "no callbacks before connecting")
local got_error
local conn = stdb.connect {
    uri = "http://127.0.0.1:1", database = "nothing-listens-here",
    configure = function(b) stdb.check(Q.quickstart_register(b), "register") end,
    on_connect = function() error("connected to port 1?") end,
    on_connect_error = function(_, kind, _, message)
        got_error = message
        error("boom from a callback")
    end,
}
eq(stdb.live_callbacks(), 2, "connect and connect-error callbacks anchored")
local db = ffi.new("quickstart_db")
stdb.check(Q.quickstart_db_init(db, conn.handle), "db_init (the embedded schema)")
local cb, ud, fin = stdb.callback("quickstart_player_row_fn", function() end)
local cid = ffi.new("uint64_t[1]")
stdb.check(Q.quickstart_player_on_insert(db, cb, ud, fin, cid), "player_on_insert")
eq(stdb.live_callbacks(), 3, "a shim callback anchored")
stdb.check(Q.quickstart_player_remove_callback(db, cid[0]), "player_remove_callback")
eq(stdb.live_callbacks(), 2, "removed: its finalizer released it")
stdb.free_retired()
-- A failed registration releases its callback at once.
local player = conn:table("player")
local msg = conn:table("message")
eq(conn:table("player"), player, "table handles are cached")
local before = stdb.live_callbacks()
assert(not pcall(msg.on_update, msg, function() end), "on_update on a table without a primary key must fail")
eq(stdb.live_callbacks(), before, "the failed registration's callback was released")
local rid = player:on_update(function() end)
eq(stdb.live_callbacks(), before + 1, "raw on_update anchored")
player:remove_callback(rid)
eq(stdb.live_callbacks(), before, "raw on_update released")
player:on_insert(function() end)

-- The connect error arrives on a tick; the error raised inside the callback comes out of tick.
local raised
for _ = 1, 2000 do
    local ok, err = pcall(conn.tick, conn)
    if not ok then raised = err break end
    if got_error then break end
    os.execute("sleep 0.01")
end
assert(got_error and #got_error > 0, "no connect error within 20 s")
assert(raised and raised:find("boom from a callback", 1, true), "tick did not raise the callback's error: " .. tostring(raised))
local ok, why = conn:tick()
eq(ok, false, "tick after the connection ended")
assert(#why > 0, "the reason is given")

-- Closing releases everything the connection held.
Q.quickstart_db_free(db)
conn:close()
eq(stdb.live_callbacks(), 0, "all callbacks released after close")
eq(conn:tick(), false, "tick after close")
print("connect error: " .. got_error)
print("ok")
