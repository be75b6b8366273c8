"""The core API over libstdb_client's C ABI: library loading, connections, tables as BSATN bytes,
subscriptions, reducer calls, credentials."""

import ctypes.util
import os

import cffi

CALL_FULL_UPDATE = 0
CALL_NO_SUCCESS_NOTIFY = 1

_HERE = os.path.dirname(os.path.abspath(__file__))
_REPO = os.path.dirname(os.path.dirname(_HERE))


class StdbError(Exception):
    """A failed library call: ``code`` is the stdb_result, the message is stdb_last_error()."""

    def __init__(self, code, message):
        super().__init__(message)
        self.code = code


class ConnectError(StdbError):
    """Connecting failed: ``kind`` is STDB_CONNECT_ERROR_*, ``http_status`` the HTTP status or 0."""

    def __init__(self, kind, http_status, message):
        super().__init__(kind, message)
        self.kind = kind
        self.http_status = http_status


def _text(ffi, data, length):
    """UTF-8 bytes at (data, length) as str (data may be NULL when length is 0)."""
    if data == ffi.NULL or length == 0:
        return ""
    return ffi.unpack(ffi.cast("const char *", data), length).decode("utf-8", "replace")


def _bytes(ffi, data, length):
    if data == ffi.NULL or length == 0:
        return b""
    return ffi.unpack(ffi.cast("const char *", data), length)


def _utf8(s):
    return s.encode("utf-8") if isinstance(s, str) else bytes(s)


class Identity:
    """A SpacetimeDB identity: 32 bytes as the library stores them (little-endian); ``hex`` is the
    64-digit big-endian form SpacetimeDB prints."""

    __slots__ = ("raw",)

    def __init__(self, raw):
        if isinstance(raw, str):
            raw = bytes.fromhex(raw)[::-1]
        if len(raw) != 32:
            raise ValueError("an identity has 32 bytes")
        self.raw = bytes(raw)

    @property
    def hex(self):
        return self.raw[::-1].hex()

    def __eq__(self, other):
        return isinstance(other, Identity) and other.raw == self.raw

    def __hash__(self):
        return hash(self.raw)

    def __str__(self):
        return self.hex

    def __repr__(self):
        return "Identity(%r)" % self.hex


def _find_library():
    env = os.environ.get("STDB_LIBRARY")
    if env:
        return env
    for profile in ("release", "debug"):
        target = os.environ.get("CARGO_TARGET_DIR", os.path.join(_REPO, "target"))
        p = os.path.join(target, profile, "libstdb_client.so")
        if os.path.exists(p):
            return p
    found = ctypes.util.find_library("stdb_client")
    if found:
        return found
    raise FileNotFoundError(
        "libstdb_client.so not found: set STDB_LIBRARY, build it (cargo build -p stdb-client --lib) "
        "or install it (scripts/install)"
    )


def _find_cdef():
    env = os.environ.get("STDB_CDEF")
    candidates = [env] if env else []
    candidates.append(os.path.join(_REPO, "include", "stdb_client.cdef.h"))
    for prefix in ("/usr/local", "/usr"):
        candidates.append(os.path.join(prefix, "include", "stdb_client", "stdb_client.cdef.h"))
    for c in candidates:
        if c and os.path.exists(c):
            return c
    raise FileNotFoundError("stdb_client.cdef.h not found: set STDB_CDEF")


class Library:
    """libstdb_client loaded through cffi. One per process is enough; modules (``Module``) share
    its ``ffi``."""

    def __init__(self, library=None, cdef=None):
        self.ffi = cffi.FFI()
        with open(cdef or _find_cdef(), encoding="utf-8") as f:
            self.ffi.cdef(f.read())
        self.path = library or _find_library()
        self.lib = self.ffi.dlopen(self.path)
        if self.lib.stdb_abi_version() != self.lib.STDB_ABI_VERSION:
            raise StdbError(-1, "libstdb_client's ABI version differs from the cdef file's")

    @property
    def version(self):
        return self.ffi.string(self.lib.stdb_version()).decode()

    def last_error(self):
        return self.ffi.string(self.lib.stdb_last_error()).decode("utf-8", "replace")

    def check(self, rc, what):
        if rc != self.lib.STDB_OK:
            raise StdbError(rc, "%s: %s" % (what, self.last_error()))

    def identity_hex(self, ident_ptr):
        out = self.ffi.new("char[65]")
        self.lib.stdb_identity_to_hex(ident_ptr, out)
        return self.ffi.string(out).decode()

    # ---- credentials (the token store of stdb_credentials_*) ----
    def save_token(self, key, token):
        k, t = _utf8(key), _utf8(token)
        self.check(self.lib.stdb_credentials_save(k, len(k), t, len(t)), "saving the token")

    def load_token(self, key):
        k = _utf8(key)
        found = self.ffi.new("bool *")
        buf = self.ffi.new("stdb_buffer *")
        self.check(self.lib.stdb_credentials_load(k, len(k), found, buf), "loading the token")
        try:
            return _text(self.ffi, buf.data, buf.len) if found[0] else None
        finally:
            self.lib.stdb_buffer_free(buf)

    def forget_token(self, key):
        k = _utf8(key)
        self.check(self.lib.stdb_credentials_remove(k, len(k)), "removing the token")

    def connect(self, uri, database, token=None, module=None, on_connect=None, on_connect_error=None,
                on_disconnect=None, compression=None):
        """Starts connecting; returns a ``Connection`` at once. The callbacks run inside
        ``frame_tick``: ``on_connect(conn, identity, token)``,
        ``on_connect_error(conn, ConnectError)``, ``on_disconnect(conn, error_or_None)``."""
        return Connection(self, uri, database, token, module, on_connect, on_connect_error, on_disconnect, compression)


class ReducerEvent:
    """A reducer run: name, status (STDB_STATUS_*), error message, caller identity, timestamp."""

    __slots__ = ("name", "status", "error", "caller", "timestamp_us", "request_id", "args")

    def __init__(self, core, reducer):
        ffi = core.ffi
        info = ffi.new("stdb_reducer_info *")
        if not core.lib.stdb_reducer_event_info(reducer, info):
            raise StdbError(-1, "no reducer information in this event")
        self.name = _text(ffi, info.reducer_name.data, info.reducer_name.len)
        self.status = info.status
        self.error = _text(ffi, info.error_message.data, info.error_message.len)
        self.caller = Identity(bytes(ffi.buffer(info.caller_identity.bytes, 32)))
        self.timestamp_us = info.timestamp_us
        self.request_id = info.request_id
        self.args = _bytes(ffi, info.args.data, info.args.len)

    @property
    def committed(self):
        return self.status == 0

    def __repr__(self):
        return "ReducerEvent(%s, %s%s)" % (self.name, "committed" if self.committed else "failed", "" if self.committed else ": " + self.error)


class Subscription:
    def __init__(self, conn, handle):
        self._conn = conn
        self._h = handle

    @property
    def state(self):
        return self._conn._core.lib.stdb_subscription_state(self._h)

    def unsubscribe(self):
        self._conn._core.check(self._conn._core.lib.stdb_subscription_unsubscribe(self._h), "unsubscribe")

    def close(self):
        if self._h is not None:
            self._conn._core.lib.stdb_subscription_free(self._h)
            self._h = None


class Table:
    """A table of the client cache, rows as BSATN bytes (``Module`` gives typed rows)."""

    def __init__(self, conn, name):
        self._conn = conn
        core = conn._core
        out = core.ffi.new("stdb_table **")
        n = _utf8(name)
        core.check(core.lib.stdb_connection_table(conn._c, n, len(n), out), "table %s" % name)
        self._h = out[0]
        self.name = name

    def count(self):
        return self._conn._core.lib.stdb_table_count(self._h)

    def rows(self):
        core = self._conn._core
        rows = []

        def visit(_ud, row, length):
            rows.append(_bytes(core.ffi, row, length))
            return True

        cb = core.ffi.callback("stdb_row_visitor", visit)
        core.check(core.lib.stdb_table_iter(self._h, cb, core.ffi.NULL), "iterating %s" % self.name)
        return rows

    def on_insert(self, fn):
        """``fn(event_kind, row_bytes)`` for each row inserted; returns the callback id."""
        return self._row_callback("stdb_table_on_insert", fn)

    def on_delete(self, fn):
        return self._row_callback("stdb_table_on_delete", fn)

    def on_update(self, fn):
        """``fn(event_kind, old_bytes, new_bytes)`` (tables with a primary key)."""
        core, conn = self._conn._core, self._conn
        ffi = core.ffi

        def tramp(_ud, _c, event, old, old_len, new, new_len):
            conn._guard(fn, core.lib.stdb_event_kind(event), _bytes(ffi, old, old_len), _bytes(ffi, new, new_len))

        return conn._register(lambda cb, out: getattr(core.lib, "stdb_table_on_update")(self._h, cb, ffi.NULL, ffi.NULL, out),
                              ffi.callback("stdb_update_fn", tramp), "on_update of %s" % self.name)

    def _row_callback(self, register, fn):
        core, conn = self._conn._core, self._conn
        ffi = core.ffi

        def tramp(_ud, _c, event, row, length):
            conn._guard(fn, core.lib.stdb_event_kind(event), _bytes(ffi, row, length))

        return conn._register(lambda cb, out: getattr(core.lib, register)(self._h, cb, ffi.NULL, ffi.NULL, out),
                              ffi.callback("stdb_row_fn", tramp), "%s of %s" % (register, self.name))

    def close(self):
        if self._h is not None:
            self._conn._core.lib.stdb_table_free(self._h)
            self._h = None


class Connection:
    """A connection and its client cache. Tick it with ``frame_tick`` (callbacks run there); close it
    with ``close`` (or use it as a context manager)."""

    def __init__(self, core, uri, database, token, module, on_connect, on_connect_error, on_disconnect, compression):
        self._core = core
        self._keep = []  # every cffi callback handed to the library: alive as long as the connection
        self._error = None
        self._tables = []
        self._subs = []
        self.module = module
        self.identity = None
        self.token = None
        self.ended = False
        self.disconnect_error = None
        ffi, lib = core.ffi, core.lib
        b = lib.stdb_connection_builder_new()
        try:
            u, d = _utf8(uri), _utf8(database)
            core.check(lib.stdb_connection_builder_set_uri(b, u, len(u)), "set_uri")
            core.check(lib.stdb_connection_builder_set_module_name(b, d, len(d)), "set_module_name")
            if token:
                t = _utf8(token)
                core.check(lib.stdb_connection_builder_set_token(b, t, len(t)), "set_token")
            if compression is not None:
                core.check(lib.stdb_connection_builder_set_compression(b, compression), "set_compression")
            if module is not None:
                module._register(b)

            def connected(_ud, _c, ident, tok, tok_len, _cid):
                self.identity = Identity(bytes(ffi.buffer(ident.bytes, 32)))
                self.token = _text(ffi, tok, tok_len)
                if on_connect:
                    self._guard(on_connect, self, self.identity, self.token)

            def connect_failed(_ud, _c, kind, status, msg, length):
                self.ended = True
                err = ConnectError(kind, status, _text(ffi, msg, length))
                self.disconnect_error = err
                if on_connect_error:
                    self._guard(on_connect_error, self, err)

            def disconnected(_ud, _c, msg, length):
                self.ended = True
                self.disconnect_error = None if msg == ffi.NULL else _text(ffi, msg, length)
                if on_disconnect:
                    self._guard(on_disconnect, self, self.disconnect_error)

            for setter, ctype, fn in (
                (lib.stdb_connection_builder_on_connect, "stdb_connect_fn", connected),
                (lib.stdb_connection_builder_on_connect_error, "stdb_connect_error_fn", connect_failed),
                (lib.stdb_connection_builder_on_disconnect, "stdb_disconnect_fn", disconnected),
            ):
                cb = ffi.callback(ctype, fn)
                self._keep.append(cb)
                core.check(setter(b, cb, ffi.NULL, ffi.NULL), "builder callback")
        except BaseException:
            lib.stdb_connection_builder_free(b)
            raise
        out = ffi.new("stdb_connection **")
        core.check(lib.stdb_connection_builder_build(b, out), "connecting")  # consumes the builder
        self._c = out[0]
        self.db = None
        self.reducers = None
        if module is not None:
            self.db, self.reducers = module._attach(self)

    # ---- internals ----
    def _guard(self, fn, *args):
        """Runs a user callback; keeps its exception for frame_tick to raise."""
        try:
            fn(*args)
        except BaseException as e:  # noqa: BLE001 - re-raised by frame_tick
            if self._error is None:
                self._error = e

    def _register(self, register, cb, what):
        self._keep.append(cb)
        out = self._core.ffi.new("uint64_t *")
        self._core.check(register(cb, out), what)
        return out[0]

    def _raise_pending(self):
        if self._error is not None:
            e, self._error = self._error, None
            raise e

    # ---- ticking ----
    def frame_tick(self):
        """Applies what arrived and runs the callbacks. False once the connection has ended."""
        lib = self._core.lib
        rc = lib.stdb_frame_tick(self._c)
        self._raise_pending()
        if rc == lib.STDB_ERR_DISCONNECTED:
            return False
        self._core.check(rc, "frame_tick")
        return True

    def tick_until(self, done, timeout=30.0, interval=0.005):
        """Ticks until ``done()`` is true (returns True), the connection ends or ``timeout`` passes."""
        import time

        end = time.monotonic() + timeout
        while not done():
            if time.monotonic() > end or not self.frame_tick():
                return done()
            time.sleep(interval)
        return True

    # ---- API ----
    @property
    def is_active(self):
        return bool(self._core.lib.stdb_connection_is_active(self._c))

    def table(self, name):
        t = Table(self, name)
        self._tables.append(t)
        return t

    def subscribe(self, queries, on_applied=None, on_error=None):
        """Subscribes to SQL queries: ``on_applied(conn)`` once the rows are cached,
        ``on_error(conn, message)`` if the server refuses them."""
        return self._subscribe(queries, on_applied, on_error)

    def subscribe_all_tables(self, on_applied=None, on_error=None):
        return self._subscribe(None, on_applied, on_error)

    def _subscribe(self, queries, on_applied, on_error):
        core = self._core
        ffi, lib = core.ffi, core.lib
        sb = lib.stdb_subscription_builder_new(self._c)
        if sb == ffi.NULL:
            raise StdbError(-1, "subscription builder: " + core.last_error())
        if on_applied:
            cb = ffi.callback("stdb_subscription_fn", lambda _ud, _c, _ev: self._guard(on_applied, self))
            self._keep.append(cb)
            lib.stdb_subscription_builder_on_applied(sb, cb, ffi.NULL, ffi.NULL)
        if on_error:
            cb = ffi.callback("stdb_subscription_error_fn", lambda _ud, _c, m, n: self._guard(on_error, self, _text(ffi, m, n)))
            self._keep.append(cb)
            lib.stdb_subscription_builder_on_error(sb, cb, ffi.NULL, ffi.NULL)
        out = ffi.new("stdb_subscription **")
        if queries is None:
            core.check(lib.stdb_subscription_builder_subscribe_all_tables(sb, out), "subscribe")
        else:
            texts = [_utf8(q) for q in queries]
            views = ffi.new("stdb_bytes[]", len(texts))
            bufs = []
            for i, t in enumerate(texts):
                buf = ffi.from_buffer(t)
                bufs.append(buf)
                views[i].data = ffi.cast("const uint8_t *", buf)
                views[i].len = len(t)
            core.check(lib.stdb_subscription_builder_subscribe(sb, views, len(texts), out), "subscribe")
        s = Subscription(self, out[0])
        self._subs.append(s)
        return s

    def call_reducer(self, name, args=b"", flags=CALL_FULL_UPDATE):
        """Calls a reducer with BSATN-encoded ``args``; returns the request id."""
        core = self._core
        n = _utf8(name)
        rid = core.ffi.new("uint32_t *")
        core.check(core.lib.stdb_connection_call_reducer(self._c, n, len(n), args, len(args), flags, rid), "calling %s" % name)
        return rid[0]

    def on_reducer(self, fn):
        """``fn(ReducerEvent)`` after every reducer run the client hears about."""
        core = self._core
        ffi = core.ffi

        def tramp(_ud, _c, _ev, reducer):
            self._guard(fn, ReducerEvent(core, reducer))

        return self._register(lambda cb, out: core.lib.stdb_connection_on_any_reducer(self._c, cb, ffi.NULL, ffi.NULL, out),
                              ffi.callback("stdb_reducer_fn", tramp), "on_any_reducer")

    def disconnect(self):
        self._core.check(self._core.lib.stdb_connection_disconnect(self._c), "disconnect")

    def close(self):
        """Disconnects if needed and frees the connection; no callback runs afterwards."""
        if self._c is None:
            return
        for s in self._subs:
            s.close()
        for t in self._tables:
            t.close()
        if self.module is not None and self.db is not None:
            self.module._detach(self)
        self._core.lib.stdb_connection_free(self._c)
        self._c = None
        self._keep = []

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        try:
            self.close()
        except Exception:  # noqa: BLE001 - interpreter shutdown
            pass
