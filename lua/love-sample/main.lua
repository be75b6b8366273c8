--[[
A LÖVE (11.x) sample on stdb-client, against the `quickstart` module (tests/modules/quickstart):
players with a name, a position and an online flag. It connects, subscribes to the player table,
draws every player, and moves its own player through the `move_to` reducer from love.update —
with the arrow keys (or WASD), a mouse click, or, in scripted mode, along a circle. The panel on
the left shows the local player's state as the server confirmed it.

Rows arrive typed through the C shims stdb-bindings-gen generates for the module, compiled as a
shared library (lua/README.md shows how); lua/stdb.lua loads them and keeps the callbacks alive.

Environment:
  STDB_URI, STDB_DATABASE        the server and database (default http://127.0.0.1:3000, quickstart)
  STDB_LIBRARY, STDB_CDEF        libstdb_client and stdb_client.cdef.h (see lua/stdb.lua)
  STDB_SHIMS_HEADER, STDB_SHIMS_LIBRARY  quickstart.h and its shared library (default: gen/ here)
  STDB_LOVE_NAME                 the player's name (default "love-player")
  STDB_LOVE_SECONDS=N            scripted mode: move along a circle for N seconds, wait until the
                                 server confirmed the last move, then save and quit
  STDB_LOVE_RESULT=FILE          at the end, write what was synced (one fact a line)
  STDB_LOVE_SCREENSHOT=FILE.png  at the end, save a screenshot
]]

local source = love.filesystem.getSource()
package.path = source .. "/../?.lua;" .. package.path

local ffi = require("ffi")
local stdb = require("stdb")

local cfg = {
    uri = os.getenv("STDB_URI") or "http://127.0.0.1:3000",
    database = os.getenv("STDB_DATABASE") or "quickstart",
    shims_header = os.getenv("STDB_SHIMS_HEADER") or (source .. "/gen/quickstart.h"),
    shims_library = os.getenv("STDB_SHIMS_LIBRARY") or (source .. "/gen/libquickstart.so"),
    name = os.getenv("STDB_LOVE_NAME") or "love-player",
    seconds = tonumber(os.getenv("STDB_LOVE_SECONDS") or ""),
    result = os.getenv("STDB_LOVE_RESULT"),
    screenshot = os.getenv("STDB_LOVE_SCREENSHOT"),
}

local Q            -- the quickstart shims (clib)
local db           -- quickstart_db: the module's table handles
local conn         -- stdb.Connection
local game = {
    status = "connecting",
    me = nil,          -- our identity (hex)
    protocol = nil,
    players = {},      -- identity hex -> { name, x, y, online }
    subscribed = false,
    pos = { x = 400, y = 300 }, -- where we want to be
    sent = nil,        -- the last position sent with move_to
    moves_sent = 0,
    moves_committed = 0, -- our move_to calls the server reported committed
    send_timer = 0,
    clock = 0,
    angle = 0,
    phase = "play",    -- scripted mode: play -> settle -> shoot -> done
    settle_time = 0,
    shot = false,
    errors = {},
}

local SPEED = 220      -- pixels per second
local SEND_EVERY = 0.1 -- seconds between move_to calls while moving

-- Positions are sent as multiples of 1/4 so the f32 the server stores is exactly what we sent.
local function quantize(v) return math.floor(v * 4 + 0.5) / 4 end

local function player_from_row(row)
    return {
        hex = stdb.identity_hex(row.identity),
        name = ffi.string(row.name.data, row.name.len),
        x = tonumber(row.x),
        y = tonumber(row.y),
        online = row.online,
    }
end

local function put(row)
    local p = player_from_row(row)
    game.players[p.hex] = p
end

local function register(fn_register, ctype, fn, what)
    local cb, ud, fin = stdb.callback(ctype, fn)
    local id = ffi.new("uint64_t[1]")
    stdb.check(fn_register(cb, ud, fin, id), what)
    return id[0]
end

-- Registration calls can run a finalizer (a Lua callback) when they fail: keep them interpreted.
jit.off(register)

local function on_connect(c, identity_hex)
    game.me = identity_hex
    game.protocol = c:protocol()
    game.status = "connected, subscribing"
    register(function(...) return Q.quickstart_player_on_insert(db, ...) end, "quickstart_player_row_fn",
        function(_, _, _, row) put(row) end, "player_on_insert")
    register(function(...) return Q.quickstart_player_on_update(db, ...) end, "quickstart_player_update_fn",
        function(_, _, _, _, new) put(new) end, "player_on_update")
    register(function(...) return Q.quickstart_player_on_delete(db, ...) end, "quickstart_player_row_fn",
        function(_, _, _, row) game.players[stdb.identity_hex(row.identity)] = nil end, "player_on_delete")
    register(function(...) return Q.quickstart_on_reducer_move_to(c.handle, ...) end, "quickstart_on_reducer_move_to_fn",
        function(_, _, _, reducer)
            local info = stdb.reducer_info(reducer)
            if info and info.status == stdb.C.STDB_STATUS_COMMITTED and stdb.identity_hex(info.caller_identity) == game.me then
                game.moves_committed = game.moves_committed + 1
            end
        end, "on_reducer_move_to")
    c:subscribe({ "SELECT * FROM player" }, {
        on_applied = function()
            game.subscribed = true
            game.status = "subscribed"
            stdb.check(Q.quickstart_reducer_set_name(c.handle, cfg.name, stdb.C.STDB_CALL_FULL_UPDATE), "set_name")
            local me = game.players[game.me]
            if me and (me.x ~= 0 or me.y ~= 0) then game.pos.x, game.pos.y = me.x, me.y end
        end,
        on_error = function(_, message) game.status = "subscription failed: " .. message end,
    })
end

function love.load()
    love.graphics.setBackgroundColor(0.08, 0.09, 0.12)
    stdb.init()
    Q = stdb.load_shims { header = cfg.shims_header, library = cfg.shims_library }
    db = ffi.new("quickstart_db")
    conn = stdb.connect {
        uri = cfg.uri,
        database = cfg.database,
        -- The schema the shims embed: none is fetched at connect, and tables can be looked up at
        -- once (quickstart_db_init below).
        configure = function(builder) stdb.check(Q.quickstart_register(builder), "quickstart_register") end,
        on_connect = on_connect,
        on_connect_error = function(_, _, _, message) game.status = "connect failed: " .. message end,
        on_disconnect = function(_, message) game.status = "disconnected" .. (message and (": " .. message) or "") end,
    }
    stdb.check(Q.quickstart_db_init(db, conn.handle), "quickstart_db_init")
end

local function send_position()
    local x, y = quantize(game.pos.x), quantize(game.pos.y)
    if game.sent and game.sent.x == x and game.sent.y == y then return end
    stdb.check(Q.quickstart_reducer_move_to(conn.handle, x, y, stdb.C.STDB_CALL_FULL_UPDATE), "move_to")
    game.sent = { x = x, y = y }
    game.moves_sent = game.moves_sent + 1
end

local function synced()
    local me = game.me and game.players[game.me]
    return me ~= nil and game.sent ~= nil and me.x == game.sent.x and me.y == game.sent.y
        and me.name == cfg.name and game.moves_committed > 0
end

local function write_result()
    if not cfg.result then return end
    local f = assert(io.open(cfg.result, "w"))
    local me = game.me and game.players[game.me]
    f:write("connected ", game.me and "1" or "0", "\n")
    f:write("identity ", game.me or "-", "\n")
    f:write("protocol ", tostring(game.protocol), "\n")
    f:write("subscribed ", game.subscribed and "1" or "0", "\n")
    f:write("synced ", synced() and "1" or "0", "\n")
    if game.sent then f:write(string.format("sent %.2f %.2f\n", game.sent.x, game.sent.y)) end
    if me then f:write(string.format("me %.2f %.2f %s %s\n", me.x, me.y, tostring(me.online), me.name)) end
    f:write("moves_sent ", game.moves_sent, "\n")
    f:write("moves_committed ", game.moves_committed, "\n")
    local n = 0
    for hex, p in pairs(game.players) do
        n = n + 1
        f:write(string.format("player %s %.2f %.2f %s %s\n", hex, p.x, p.y, tostring(p.online), p.name))
    end
    f:write("players ", n, "\n")
    f:write("cached_players ", tostring(tonumber(Q.quickstart_player_count(db))), "\n")
    f:write("live_callbacks ", stdb.live_callbacks(), "\n")
    for _, e in ipairs(game.errors) do f:write("error ", e, "\n") end
    f:write("screenshot ", game.shot and "1" or "0", "\n")
    f:close()
end

-- Table handles hold the connection: release them first, then the connection (idempotent).
local function shutdown()
    if db then Q.quickstart_db_free(db) db = nil end
    if conn then conn:close() end
end

jit.off(shutdown) -- releasing the handles runs the finalizers

local function finish()
    game.finished = true
    write_result()
    local code = synced() and 0 or 1
    shutdown()
    love.event.quit(code)
end

local function scripted_update(dt)
    if game.phase == "play" then
        game.angle = game.angle + dt * 1.5
        game.pos.x = 430 + 160 * math.cos(game.angle)
        game.pos.y = 300 + 160 * math.sin(game.angle)
        if game.clock >= cfg.seconds then
            send_position() -- the final position
            game.phase = "settle"
        end
    elseif game.phase == "settle" then
        game.settle_time = game.settle_time + dt
        if synced() or game.settle_time > 15 then
            if not synced() then
                game.errors[#game.errors + 1] = "not synced within 15 s: the own row must be at the last position sent, named "
                    .. cfg.name .. ", with a committed move_to"
            end
            game.phase = "shoot"
            if cfg.screenshot then
                love.graphics.captureScreenshot(function(image)
                    local f = assert(io.open(cfg.screenshot, "wb"))
                    f:write(image:encode("png"):getString())
                    f:close()
                    game.shot = true
                end)
            else
                game.phase = "done"
            end
        end
    elseif game.phase == "shoot" then
        if game.shot then game.phase = "done" end
    end
    if game.phase == "done" then finish() end
end

local function interactive_update(dt)
    local dx, dy = 0, 0
    if love.keyboard.isDown("left", "a") then dx = dx - 1 end
    if love.keyboard.isDown("right", "d") then dx = dx + 1 end
    if love.keyboard.isDown("up", "w") then dy = dy - 1 end
    if love.keyboard.isDown("down", "s") then dy = dy + 1 end
    local w, h = love.graphics.getDimensions()
    game.pos.x = math.max(0, math.min(w, game.pos.x + dx * SPEED * dt))
    game.pos.y = math.max(0, math.min(h, game.pos.y + dy * SPEED * dt))
end

function love.update(dt)
    if game.finished then return end
    game.clock = game.clock + dt
    local ok, why = conn:tick()
    if not ok and game.status:sub(1, 12) ~= "disconnected" and game.status:sub(1, 14) ~= "connect failed" then
        game.status = "ended: " .. tostring(why)
    end
    if not game.subscribed then
        if cfg.seconds and game.clock > cfg.seconds + 30 then
            game.errors[#game.errors + 1] = "never subscribed: " .. game.status
            finish()
        end
        return
    end
    if cfg.seconds then scripted_update(dt) else interactive_update(dt) end
    if game.phase == "play" then
        game.send_timer = game.send_timer + dt
        if game.send_timer >= SEND_EVERY then
            game.send_timer = 0
            send_position()
        end
    end
end

function love.mousepressed(x, y)
    if not cfg.seconds then game.pos.x, game.pos.y = x, y end
end

function love.keypressed(key)
    if key == "escape" then love.event.quit() end
end

function love.quit()
    shutdown()
end

local function short(hex) return hex and hex:sub(1, 8) or "?" end

function love.draw()
    local w, h = love.graphics.getDimensions()
    -- grid
    love.graphics.setColor(1, 1, 1, 0.05)
    for x = 0, w, 40 do love.graphics.line(x, 0, x, h) end
    for y = 0, h, 40 do love.graphics.line(0, y, w, y) end
    -- where we are heading (not yet confirmed)
    if game.subscribed then
        love.graphics.setColor(0.4, 0.8, 1, 0.35)
        love.graphics.circle("line", game.pos.x, game.pos.y, 18)
    end
    -- every player, as the server has them
    for hex, p in pairs(game.players) do
        local mine = hex == game.me
        if mine then
            love.graphics.setColor(0.3, 0.75, 1)
        elseif p.online then
            love.graphics.setColor(1, 0.65, 0.25)
        else
            love.graphics.setColor(0.5, 0.5, 0.5)
        end
        love.graphics.circle("fill", p.x, p.y, mine and 16 or 13)
        love.graphics.setColor(1, 1, 1)
        local label = (p.name ~= "" and p.name or short(hex)) .. (p.online and "" or " (offline)")
        love.graphics.print(label, p.x - 30, p.y + 18)
    end
    -- the local player's state
    local me = game.me and game.players[game.me]
    local n = 0
    for _ in pairs(game.players) do n = n + 1 end
    love.graphics.setColor(0, 0, 0, 0.6)
    love.graphics.rectangle("fill", 8, 8, 290, 138, 6, 6)
    love.graphics.setColor(1, 1, 1)
    local lines = {
        "stdb-client " .. stdb.version() .. " / LÖVE " .. string.format("%d.%d", love.getVersion()),
        "status: " .. game.status,
        "database: " .. cfg.database .. (game.protocol and ("  (protocol v" .. game.protocol .. ")") or ""),
        "me: " .. short(game.me) .. (me and ("  " .. (me.name ~= "" and me.name or "(no name)")) or ""),
        me and string.format("position (server): %.2f, %.2f", me.x, me.y) or "position: -",
        string.format("moves sent %d, committed %d", game.moves_sent, game.moves_committed),
        string.format("players: %d", n),
    }
    for i, line in ipairs(lines) do love.graphics.print(line, 16, 14 + (i - 1) * 18) end
end
