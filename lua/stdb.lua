--[[
stdb.lua — stdb-client (a SpacetimeDB client library) for LuaJIT, over its FFI. Works in LÖVE
and in plain `luajit`.

    local stdb = require("stdb")
    stdb.init()                                   -- loads libstdb_client and its declarations
    local conn = stdb.connect{ uri = "http://127.0.0.1:3000", database = "quickstart",
        on_connect = function(conn, identity_hex, token)
            conn:subscribe({ "SELECT * FROM player" }, { on_applied = function(conn) end })
        end }
    -- every frame (love.update):
    conn:tick()                                   -- callbacks run here, on this thread
    -- at the end:
    conn:close()

What it takes care of:
- Declarations: `ffi.cdef` of include/stdb_client.cdef.h (no preprocessor needed), and of the
  header of a module's generated C shims (`stdb.load_shims`), turned into declarations here.
- Callbacks: each Lua function given to the library becomes an `ffi.cast` callback that is kept
  alive (anchored in a table) for as long as the library may call it, and freed when the library
  says its registration ended (its `free_user_data` finalizer ran: removal, connection freed,
  one-shot done, failed registration). Errors raised inside a callback are caught (they must not
  unwind through the library's frames) and raised again by the `tick` that ran it.
- Bytes and strings: Lua strings in, Lua strings out (rows are BSATN bytes as Lua strings on the
  raw API; the generated shims give typed C structs instead).
- Threads: LuaJIT must never be entered from a thread it did not create. Every callback here runs
  on the thread that calls `tick` (and finalizers on the thread that removes, closes or ticks), so
  tick from the game's main thread, never use `stdb_run_threaded` with these callbacks, and do not
  give `stdb_set_logger` a Lua function.
- The JIT: a C function that calls back into Lua must not be called from a compiled trace
  ("bad callback"), so every function of this module that can run a callback or a finalizer is
  excluded from compilation (`jit.off`), which also stops traces from running through it.
]]

local ffi = require("ffi")
local bit = require("bit")

local M = { VERSION = "0.1.0" }

local C -- the core library (an ffi clib), after init

-- ---------------------------------------------------------------------------------------------
-- Helpers

local function read_file(path)
    local f, err = io.open(path, "rb")
    if not f then return nil, err end
    local text = f:read("*a")
    f:close()
    return text
end

local function file_exists(path)
    local f = io.open(path, "rb")
    if f then f:close() return true end
    return false
end

-- The directory of this file (when loaded from a file), for the default cdef path.
local function module_dir()
    local src = debug.getinfo(1, "S").source
    if src:sub(1, 1) ~= "@" then return nil end
    return src:sub(2):match("^(.*)[/\\][^/\\]*$") or "."
end

local function last_error()
    return ffi.string(C.stdb_last_error())
end

-- Raises `what: <the library's last error>` unless rc is STDB_OK.
local function check(rc, what)
    if rc ~= 0 then
        error(string.format("%s failed (%d): %s", what, tonumber(rc), last_error()), 3)
    end
end
--- Raises "WHAT failed (code): <stdb_last_error()>" unless rc is STDB_OK (for raw or shim calls).
function M.check(rc, what) check(rc, what) end

-- ---------------------------------------------------------------------------------------------
-- Callbacks kept alive

local anchors = {}      -- key -> ffi callback, while the library may call it
local retired = {}      -- callbacks whose registration ended, freed when no tick is running
local next_key = 0
local ticking = 0       -- > 0 while the library may be running one of our callbacks
local pending_errors = {}
local finalizer         -- the one stdb_free_fn of every registration

local function flush()
    if ticking > 0 then return end
    for i = #retired, 1, -1 do
        retired[i]:free()
        retired[i] = nil
    end
end

local function raise_pending()
    if #pending_errors == 0 then return end
    local first = pending_errors[1]
    local n = #pending_errors
    pending_errors = {}
    if n > 1 then first = first .. string.format(" (and %d more callback errors)", n - 1) end
    error(first, 0)
end

-- Runs fn(...) protected; an error is kept for the tick to raise.
local function protect(fn)
    return function(...)
        local ok, err = xpcall(fn, debug.traceback, ...)
        if not ok then pending_errors[#pending_errors + 1] = "callback error: " .. tostring(err) end
    end
end

-- A C function pointer of type `ctype` (a callback typedef of the core cdef or of loaded shims)
-- that calls `fn` (protected), plus the user_data and finalizer to register it with. The
-- callback stays alive until the library calls the finalizer with that user_data. Pass all
-- three to the registering function: `register(cb, ud, fin)`.
function M.callback(ctype, fn)
    next_key = next_key + 1
    local key = next_key
    local cb = ffi.cast(ctype, protect(fn))
    anchors[key] = cb
    return cb, ffi.cast("void *", key), finalizer, key
end

--- Callbacks currently registered with the library and kept alive (for tests and leak checks).
function M.live_callbacks()
    local n = 0
    for _ in pairs(anchors) do n = n + 1 end
    return n
end

--- Frees the callbacks whose registration ended (every tick and close does this; call it after
-- removing callbacks through the generated shims outside a tick, if you want them freed at once).
function M.free_retired() flush() end

local function on_finalize(ud)
    local key = tonumber(ffi.cast("intptr_t", ud))
    local cb = anchors[key]
    if cb then
        anchors[key] = nil
        retired[#retired + 1] = cb
    end
end

-- ---------------------------------------------------------------------------------------------
-- Loading

local function default_cdef_path()
    local candidates = {}
    local dir = module_dir()
    if dir then candidates[#candidates + 1] = dir .. "/../include/stdb_client.cdef.h" end
    candidates[#candidates + 1] = "/usr/local/include/stdb_client/stdb_client.cdef.h"
    candidates[#candidates + 1] = "/usr/include/stdb_client/stdb_client.cdef.h"
    for _, p in ipairs(candidates) do
        if file_exists(p) then return p end
    end
    error("stdb_client.cdef.h not found (tried " .. table.concat(candidates, ", ")
        .. "); pass stdb.init{cdef = PATH} or set STDB_CDEF", 3)
end

--- Loads the library and its declarations once; later calls return the same clib.
-- opts.library: path or name for ffi.load (default $STDB_LIBRARY, else "stdb_client", which the
--   system loader resolves as libstdb_client.so);
-- opts.cdef: path of stdb_client.cdef.h (default $STDB_CDEF, else ../include next to this file,
--   else the installed include/stdb_client/).
function M.init(opts)
    if C then return C end
    opts = opts or {}
    local cdef_path = opts.cdef or os.getenv("STDB_CDEF") or default_cdef_path()
    local text, err = read_file(cdef_path)
    if not text then error("reading " .. cdef_path .. ": " .. tostring(err), 2) end
    ffi.cdef(text)
    local lib = ffi.load(opts.library or os.getenv("STDB_LIBRARY") or "stdb_client")
    if lib.stdb_abi_version() ~= lib.STDB_ABI_VERSION then
        error(string.format("libstdb_client has ABI version %d but %s declares %d",
            lib.stdb_abi_version(), cdef_path, lib.STDB_ABI_VERSION), 2)
    end
    C = lib
    M.C = lib
    finalizer = ffi.cast("stdb_free_fn", on_finalize) -- lives as long as the process
    return lib
end

function M.version() return ffi.string(C.stdb_version()) end

--- Turns a header written by stdb-bindings-gen (PREFIX.h) into declarations `ffi.cdef` accepts:
-- the C++ and ABI-check blocks and #include lines go, integer #defines become enum constants,
-- string #defines are returned in a table. Raises on a preprocessor line it does not know.
function M.cdef_from_header(text)
    local out, strings, abi = {}, {}, nil
    local skip = 0 -- depth inside a dropped block
    local depth = 0
    local dropped_at = {}
    for line in (text .. "\n"):gmatch("([^\n]*)\n") do
        local directive, rest = line:match("^%s*#%s*(%a+)%s*(.-)%s*$")
        if not directive then
            if skip == 0 then out[#out + 1] = line end
        elseif directive == "if" or directive == "ifdef" or directive == "ifndef" then
            depth = depth + 1
            local drop = (directive == "ifdef" and rest == "__cplusplus") or directive == "if"
            if directive == "if" then
                abi = tonumber(rest:match("STDB_ABI_VERSION%s*!=%s*(%d+)")) or abi
            end
            if drop or skip > 0 then
                skip = skip + 1
                dropped_at[depth] = true
            end
        elseif directive == "endif" then
            if dropped_at[depth] then
                skip = skip - 1
                dropped_at[depth] = nil
            end
            depth = depth - 1
        elseif skip > 0 then
            -- inside a dropped block (#error, #else of a dropped block, ...)
        elseif directive == "include" then
            -- stdb_client.h is already declared by init; the standard headers are LuaJIT's own
        elseif directive == "define" then
            local name, value = rest:match("^([%w_]+)%s*(.-)%s*$")
            value = value:gsub("%s*/%*.-%*/%s*$", "")
            if value == "" then
                -- an include guard
            elseif value:match("^%-?%d+$") then
                out[#out + 1] = string.format("enum { %s = %s };", name, value)
            elseif value:match('^".*"$') then
                strings[name] = value:sub(2, -2)
            else
                error("cdef_from_header: unsupported #define: " .. line, 2)
            end
        else
            error("cdef_from_header: unsupported preprocessor line: " .. line, 2)
        end
    end
    return table.concat(out, "\n"), strings, abi
end

--- Loads a module's generated C shims compiled as a shared library (see lua/README.md):
-- opts.header: PREFIX.h; opts.library: the shared library built from PREFIX.c (linked with
-- libstdb_client). Returns the shims' clib and the header's string constants.
function M.load_shims(opts)
    assert(C, "call stdb.init() first")
    local text, err = read_file(assert(opts.header, "load_shims: header missing"))
    if not text then error("reading " .. opts.header .. ": " .. tostring(err), 2) end
    local decls, strings, abi = M.cdef_from_header(text)
    if abi and abi ~= C.stdb_abi_version() then
        error(string.format("%s was generated for ABI version %d, the library has %d: regenerate it",
            opts.header, abi, C.stdb_abi_version()), 2)
    end
    ffi.cdef(decls)
    return ffi.load(assert(opts.library, "load_shims: library missing")), strings
end

-- ---------------------------------------------------------------------------------------------
-- Values

local hex_buf = ffi.new("char[65]")

--- An identity (`const stdb_identity *` or a stdb_identity) as SpacetimeDB's 64 hex digits.
function M.identity_hex(id)
    if C.stdb_identity_to_hex(id, hex_buf) == false then return nil end
    return ffi.string(hex_buf, 64)
end

--- An event's kind (`stdb.C.STDB_EVENT_*`), nil for NULL.
function M.event_kind(event)
    if event == nil then return nil end
    return tonumber(C.stdb_event_kind(event))
end

--- The reducer info of an event (a `stdb_reducer_info` copy), or nil if it is not a reducer event.
function M.reducer_info(reducer_event)
    if reducer_event == nil then return nil end
    local info = ffi.new("stdb_reducer_info")
    if not C.stdb_reducer_event_info(reducer_event, info) then return nil end
    return info
end

-- ---------------------------------------------------------------------------------------------
-- Connections

local Connection = {}
Connection.__index = Connection
M.Connection = Connection

local Table = {}
Table.__index = Table

local Subscription = {}
Subscription.__index = Subscription

local function set_string(setter, b, s, what)
    local rc = setter(b, s, #s)
    if rc ~= 0 then
        local msg = last_error()
        C.stdb_connection_builder_free(b)
        error(string.format("%s failed (%d): %s", what, tonumber(rc), msg), 3)
    end
end

--- Starts connecting (returns at once; the callbacks run from `tick`).
-- opts: uri, database (required); token (a saved token, optional);
--   on_connect(conn, identity_hex, token), on_connect_error(conn, kind, http_status, message),
--   on_disconnect(conn, message_or_nil);
--   configure(builder): called with the raw stdb_connection_builder before build (e.g. the
--   shims' PREFIX_register(builder)); raise to abort (the builder is freed).
function M.connect(opts)
    assert(C, "call stdb.init() first")
    assert(type(opts.uri) == "string" and type(opts.database) == "string", "connect: uri and database are required")
    local self = setmetatable({ tables = {}, subscriptions = {}, handle = nil }, Connection)
    local b = C.stdb_connection_builder_new()
    set_string(C.stdb_connection_builder_set_uri, b, opts.uri, "set_uri")
    set_string(C.stdb_connection_builder_set_module_name, b, opts.database, "set_module_name")
    if opts.token then set_string(C.stdb_connection_builder_set_token, b, opts.token, "set_token") end
    if opts.configure then
        local ok, err = pcall(opts.configure, b)
        if not ok then
            C.stdb_connection_builder_free(b)
            error(err, 2)
        end
    end
    local function register(register_fn, ctype, fn, what)
        local cb, ud, fin = M.callback(ctype, fn)
        local rc = register_fn(b, cb, ud, fin)
        if rc ~= 0 then
            local msg = last_error()
            C.stdb_connection_builder_free(b)
            flush()
            error(string.format("%s failed (%d): %s", what, tonumber(rc), msg), 3)
        end
    end
    if opts.on_connect then
        register(C.stdb_connection_builder_on_connect, "stdb_connect_fn", function(_, _, identity, token, token_len, _)
            opts.on_connect(self, M.identity_hex(identity), ffi.string(token, token_len))
        end, "on_connect")
    end
    if opts.on_connect_error then
        register(C.stdb_connection_builder_on_connect_error, "stdb_connect_error_fn", function(_, _, kind, status, msg, len)
            opts.on_connect_error(self, tonumber(kind), tonumber(status), ffi.string(msg, len))
        end, "on_connect_error")
    end
    if opts.on_disconnect then
        register(C.stdb_connection_builder_on_disconnect, "stdb_disconnect_fn", function(_, _, msg, len)
            opts.on_disconnect(self, msg ~= nil and ffi.string(msg, len) or nil)
        end, "on_disconnect")
    end
    local out = ffi.new("stdb_connection *[1]")
    local rc = C.stdb_connection_builder_build(b, out) -- consumes b
    if rc ~= 0 then
        local msg = last_error()
        flush()
        error(string.format("connect failed (%d): %s", tonumber(rc), msg), 2)
    end
    self.handle = out[0]
    return self
end

--- Applies what arrived and runs its callbacks (call once per frame from the main thread).
-- Returns true, or false and the reason once the connection has ended. With max_messages /
-- max_micros, a budgeted tick (`stdb_frame_tick_budget`; 0 = no limit). Raises the first error
-- a callback raised during this tick.
function Connection:tick(max_messages, max_micros)
    if self.handle == nil then return false, "closed" end
    ticking = ticking + 1
    local rc
    if max_messages or max_micros then
        rc = C.stdb_frame_tick_budget(self.handle, max_messages or 0, max_micros or 0, nil)
    else
        rc = C.stdb_frame_tick(self.handle)
    end
    ticking = ticking - 1
    local msg = rc ~= 0 and last_error() or nil
    flush()
    raise_pending()
    if rc ~= 0 then return false, msg end
    return true
end

function Connection:is_active()
    return self.handle ~= nil and C.stdb_connection_is_active(self.handle)
end

function Connection:identity_hex()
    local id = ffi.new("stdb_identity")
    if self.handle == nil or C.stdb_connection_identity(self.handle, id) ~= 0 then return nil end
    return M.identity_hex(id)
end

function Connection:protocol()
    local out = ffi.new("int32_t[1]")
    if self.handle == nil or C.stdb_connection_protocol(self.handle, out) ~= 0 then return nil end
    return tonumber(out[0])
end

function Connection:disconnect()
    if self.handle ~= nil then check(C.stdb_connection_disconnect(self.handle), "disconnect") end
end

--- Releases tables, subscription handles and the connection (its callbacks are freed).
function Connection:close()
    if self.handle == nil then return end
    for _, t in pairs(self.tables) do C.stdb_table_free(t.handle) end
    for _, s in ipairs(self.subscriptions) do
        C.stdb_subscription_free(s.handle)
        s.handle = nil
    end
    self.tables, self.subscriptions = {}, {}
    C.stdb_connection_free(self.handle)
    self.handle = nil
    flush()
end

-- Frees the subscription builder and raises if rc is not STDB_OK.
local function abandon_on_failure(rc, sb, what)
    if rc == 0 then return end
    local msg = last_error()
    C.stdb_subscription_builder_free(sb)
    flush()
    error(string.format("%s failed (%d): %s", what, tonumber(rc), msg), 3)
end

--- Subscribes to SQL queries. handlers: on_applied(conn), on_error(conn, message).
-- Returns a Subscription (its handle is released by conn:close()).
function Connection:subscribe(queries, handlers)
    handlers = handlers or {}
    local sb = C.stdb_subscription_builder_new(self.handle)
    if sb == nil then error("subscription_builder_new: " .. last_error(), 2) end
    if handlers.on_applied then
        local cb, ud, fin = M.callback("stdb_subscription_fn", function() handlers.on_applied(self) end)
        abandon_on_failure(C.stdb_subscription_builder_on_applied(sb, cb, ud, fin), sb, "on_applied")
    end
    if handlers.on_error then
        local cb, ud, fin = M.callback("stdb_subscription_error_fn", function(_, _, msg, len)
            handlers.on_error(self, ffi.string(msg, len))
        end)
        abandon_on_failure(C.stdb_subscription_builder_on_error(sb, cb, ud, fin), sb, "on_error")
    end
    local views = ffi.new("stdb_bytes[?]", #queries)
    for i, q in ipairs(queries) do
        views[i - 1].data = ffi.cast("const uint8_t *", q) -- `queries` keeps the strings alive
        views[i - 1].len = #q
    end
    local out = ffi.new("stdb_subscription *[1]")
    local rc = C.stdb_subscription_builder_subscribe(sb, views, #queries, out) -- consumes sb
    flush()
    check(rc, "subscribe")
    local s = setmetatable({ handle = out[0] }, Subscription)
    self.subscriptions[#self.subscriptions + 1] = s
    return s
end

function Subscription:state()
    if self.handle == nil then return nil end
    return tonumber(C.stdb_subscription_state(self.handle))
end

function Subscription:unsubscribe()
    check(C.stdb_subscription_unsubscribe(self.handle), "unsubscribe")
end

--- Calls a reducer with BSATN arguments (a Lua string; "" for none). then_fn(conn, error_or_nil,
-- event, reducer_event), optional, runs once with the outcome: error nil if it committed, else
-- the reducer's error message, "out of energy", or why no answer will come (reducer_event nil).
-- Returns the request id.
function Connection:call_reducer(name, args, then_fn, flags)
    args = args or ""
    local id = ffi.new("uint32_t[1]")
    local rc
    if then_fn then
        local cb, ud, fin = M.callback("stdb_reducer_then_fn", function(_, _, event, reducer, err, err_len)
            if reducer == nil then -- no answer will come
                return then_fn(self, ffi.string(err, err_len), event, nil)
            end
            local info = M.reducer_info(reducer)
            local failure
            if info.status == C.STDB_STATUS_FAILED then
                failure = ffi.string(info.error_message.data, info.error_message.len)
            elseif info.status ~= C.STDB_STATUS_COMMITTED then
                failure = "out of energy"
            end
            then_fn(self, failure, event, reducer)
        end)
        rc = C.stdb_connection_call_reducer_then(self.handle, name, #name, args, #args, flags or 0, cb, ud, fin, id)
        flush()
    else
        rc = C.stdb_connection_call_reducer(self.handle, name, #name, args, #args, flags or 0, id)
    end
    check(rc, "call_reducer " .. name)
    return tonumber(id[0])
end

--- A table of the connection's cache (raw rows: BSATN bytes as Lua strings).
function Connection:table(name)
    local t = self.tables[name]
    if t then return t end
    local out = ffi.new("stdb_table *[1]")
    check(C.stdb_connection_table(self.handle, name, #name, out), "table " .. name)
    t = setmetatable({ handle = out[0], name = name, conn = self }, Table)
    self.tables[name] = t
    return t
end

function Table:count() return tonumber(C.stdb_table_count(self.handle)) end

--- The cached rows, as a list of Lua strings (BSATN).
function Table:rows()
    local rows = {}
    local visitor = ffi.cast("stdb_row_visitor", function(_, row, len)
        rows[#rows + 1] = ffi.string(row, len)
        return true
    end)
    ticking = ticking + 1
    local rc = C.stdb_table_iter(self.handle, visitor, nil)
    ticking = ticking - 1
    visitor:free()
    check(rc, "iter " .. self.name)
    return rows
end

local function row_callback(self, register_fn, fn, what)
    local cb, ud, fin = M.callback("stdb_row_fn", function(_, _, event, row, len)
        fn(ffi.string(row, len), event)
    end)
    local id = ffi.new("uint64_t[1]")
    local rc = register_fn(self.handle, cb, ud, fin, id)
    flush()
    check(rc, what .. " " .. self.name)
    return id[0]
end

--- fn(row, event) for each row entering the cache; returns an id for remove_callback.
function Table:on_insert(fn) return row_callback(self, C.stdb_table_on_insert, fn, "on_insert") end
--- fn(row, event) for each row leaving the cache.
function Table:on_delete(fn) return row_callback(self, C.stdb_table_on_delete, fn, "on_delete") end

--- fn(old_row, new_row, event) when a row is replaced (tables with a primary key).
function Table:on_update(fn)
    local cb, ud, fin = M.callback("stdb_update_fn", function(_, _, event, old, old_len, new, new_len)
        fn(ffi.string(old, old_len), ffi.string(new, new_len), event)
    end)
    local id = ffi.new("uint64_t[1]")
    local rc = C.stdb_table_on_update(self.handle, cb, ud, fin, id)
    flush()
    check(rc, "on_update " .. self.name)
    return id[0]
end

function Table:remove_callback(id)
    local rc = C.stdb_table_remove_callback(self.handle, id)
    flush()
    check(rc, "remove_callback " .. self.name)
end

-- ---------------------------------------------------------------------------------------------
-- BSATN helpers for raw rows and reducer arguments (little-endian; strings are u32 length + UTF-8)

local bsatn = {}
M.bsatn = bsatn

local f32buf, f64buf = ffi.new("float[1]"), ffi.new("double[1]")

function bsatn.f32(v) f32buf[0] = v return ffi.string(f32buf, 4) end
function bsatn.f64(v) f64buf[0] = v return ffi.string(f64buf, 8) end
function bsatn.u32(v)
    return string.char(bit.band(v, 255), bit.band(bit.rshift(v, 8), 255), bit.band(bit.rshift(v, 16), 255), bit.band(bit.rshift(v, 24), 255))
end
function bsatn.bool(v) return v and "\1" or "\0" end
function bsatn.string(s) return bsatn.u32(#s) .. s end

-- A cursor over BSATN bytes (a Lua string): r:u8(), r:u32(), r:f32(), r:f64(), r:bool(),
-- r:string(), r:bytes(n); each raises past the end.
local Reader = {}
Reader.__index = Reader

function bsatn.reader(s) return setmetatable({ s = s, pos = 1 }, Reader) end

function Reader:bytes(n)
    local from = self.pos
    if from + n - 1 > #self.s then error(string.format("BSATN: %d bytes wanted at %d of %d", n, from - 1, #self.s), 2) end
    self.pos = from + n
    return self.s:sub(from, from + n - 1)
end
function Reader:u8() return self:bytes(1):byte() end
function Reader:u32()
    local a, b, c, d = self:bytes(4):byte(1, 4)
    return a + b * 256 + c * 65536 + d * 16777216
end
function Reader:f32() ffi.copy(f32buf, self:bytes(4), 4) return tonumber(f32buf[0]) end
function Reader:f64() ffi.copy(f64buf, self:bytes(8), 8) return tonumber(f64buf[0]) end
function Reader:bool() return self:u8() ~= 0 end
function Reader:string() return self:bytes(self:u32()) end
function Reader:at_end() return self.pos > #self.s end

-- Everything that can run a Lua callback or a finalizer stays interpreted (see the top).
for _, f in ipairs({ M.init, M.connect, M.load_shims, flush, Connection.tick, Connection.close, Connection.disconnect,
    Connection.subscribe, Connection.call_reducer, Connection.table, Subscription.unsubscribe, Table.rows,
    Table.on_insert, Table.on_delete, Table.on_update, Table.remove_callback, row_callback, abandon_on_failure }) do
    jit.off(f)
end

return M
