"""Typed access through the C shims stdb-bindings-gen writes for a module (PREFIX.h / PREFIX.c),
compiled as a shared library and loaded into the core's cffi instance.

Rows become ``Record`` objects (attributes named as the columns), strings ``str``, ``Vec<u8>``
``bytes``, arrays ``list``, options ``None`` or the value, identities ``Identity``, timestamps and
durations ``int`` microseconds, 128/256-bit integers ``int``, sum types (enums) ``Variant(name,
value)``. Reducer arguments and lookup keys take the same Python values (``Some(None)`` of a nested
option cannot be written: ``None`` is the outer ``None``).
"""

import os
import re
import subprocess
import types

from ._core import CALL_FULL_UPDATE, Identity, ReducerEvent, StdbError


class Variant:
    """A value of a sum type: ``name`` of the variant and its ``value``."""

    __slots__ = ("name", "value")

    def __init__(self, name, value=None):
        self.name, self.value = name, value

    def __eq__(self, other):
        return isinstance(other, Variant) and (other.name, other.value) == (self.name, self.value)

    def __repr__(self):
        return "Variant(%r, %r)" % (self.name, self.value)


class Record(types.SimpleNamespace):
    """A row or struct value: one attribute per column."""


def header_to_cdef(text):
    """The declarations of a generated PREFIX.h for cffi: no preprocessor lines, the C side of
    ``#ifdef __cplusplus``, integer ``#define``s as enum constants."""
    out, skip = [], 0
    for line in text.splitlines():
        s = line.strip()
        if skip:
            if s.startswith("#if"):
                skip += 1
            elif s.startswith("#endif"):
                skip -= 1
            continue
        if s.startswith("#ifdef __cplusplus"):
            skip = 1
            continue
        if s.startswith("#define "):
            m = re.match(r"#define\s+(\w+)\s+(-?\d+|\(-?\d+\))\s*(/\*.*)?$", s)
            if m:
                out.append("enum { %s = %s };" % (m.group(1), m.group(2).strip("()")))
            continue
        if s.startswith("#"):
            continue
        out.append(line)
    return "\n".join(out)


def build_module(source, include_dirs, library_dir, out=None, cc="cc"):
    """Compiles a generated PREFIX.c into a shared library linked with libstdb_client (found in
    ``library_dir`` under its SONAME, libstdb_client.so.1). Returns the library's path."""
    out = out or os.path.join(os.path.dirname(os.path.abspath(source)), "lib%s.so" % os.path.splitext(os.path.basename(source))[0])
    cmd = [cc, "-shared", "-fPIC", "-std=c11", "-O1", "-D_POSIX_C_SOURCE=200809L"]
    for d in include_dirs:
        cmd += ["-I", d]
    cmd += [source, "-L", library_dir, "-lstdb_client", "-Wl,-rpath," + os.path.abspath(library_dir), "-o", out]
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError("compiling %s failed:\n%s" % (source, r.stderr))
    return out


class Module:
    """A module's generated shims: ``Module(core, header, library)`` with ``header`` the generated
    PREFIX.h and ``library`` the shims compiled by ``build_module``. Pass it to
    ``Library.connect(..., module=m)``: the connection then has ``conn.db.TABLE`` and
    ``conn.reducers.NAME``."""

    def __init__(self, core, header, library, prefix=None):
        self.core = core
        self.prefix = prefix or os.path.splitext(os.path.basename(header))[0]
        with open(header, encoding="utf-8") as f:
            text = f.read()
        core.ffi.cdef(header_to_cdef(text))
        self.lib = core.ffi.dlopen(library)
        p = re.escape(self.prefix)
        self.tables = sorted(set(re.findall(r"\b%s_(\w+)_count\(const %s_db \*" % (p, p), text)))
        # Named by their callback registrations: `PREFIX_reducer_NAME_then` is a second way to call
        # NAME, not a reducer of its own.
        self.reducer_names = sorted(set(re.findall(r"\bint32_t %s_on_reducer_(\w+)\(const stdb_connection \*" % p, text)))
        self.finders = {t: re.findall(r"\b%s_%s_find_by_(\w+)\(" % (p, re.escape(t)), text) for t in self.tables}
        self.updatable = {t for t in self.tables if re.search(r"\b%s_%s_on_update\(" % (p, re.escape(t)), text)}

    def fn(self, name):
        return getattr(self.lib, "%s_%s" % (self.prefix, name))

    def last_error(self):
        return self.core.ffi.string(self.fn("last_error")()).decode("utf-8", "replace")

    def check(self, rc, what):
        if rc != 0:
            raise StdbError(rc, "%s: %s" % (what, self.last_error()))

    # ---- C values -> Python ----
    def to_py(self, v):
        ffi = self.core.ffi
        if not isinstance(v, ffi.CData):
            return v  # cffi already gave a Python int, float or bool
        t = ffi.typeof(v)
        if t.kind == "primitive":
            return v
        if t.kind == "enum":
            return t.elements.get(int(ffi.cast("int", v)), int(ffi.cast("int", v)))
        if t.kind == "array":
            return [self.to_py(x) for x in v]
        if t.kind == "pointer":
            return None if v == ffi.NULL else self.to_py(v[0])
        if t.kind not in ("struct", "union"):
            raise TypeError("unsupported C type %s" % t.cname)
        name = t.cname.replace("struct ", "")
        fields = [f for f, _ in t.fields]
        p = self.prefix + "_"
        if name in ("stdb_identity",):
            return Identity(bytes(ffi.buffer(v.bytes, 32)))
        if name == "stdb_connection_id":
            return bytes(ffi.buffer(v.bytes, 16))[::-1].hex()
        if name == p + "string":
            return "" if v.len == 0 else ffi.unpack(v.data, v.len).decode("utf-8", "replace")
        if name == p + "bytes":
            return b"" if v.len == 0 else bytes(ffi.buffer(v.data, v.len))
        if name in (p + "timestamp",):
            return v.micros_since_unix_epoch
        if name == p + "time_duration":
            return v.micros
        if name in (p + "u128", p + "u256", p + "i128", p + "i256"):
            n = sum(int(limb) << (64 * i) for i, limb in enumerate(v.limbs))
            bits = 64 * len(v.limbs)
            if name[len(p)] == "i" and n >> (bits - 1):
                n -= 1 << bits
            return n
        if fields == ["data", "len"]:
            return [self.to_py(v.data[i]) for i in range(v.len)]
        if fields == ["has_value", "value"]:
            return self.to_py(v.value) if v.has_value else None
        if fields == ["tag", "value"] and ffi.typeof(v.value).kind == "union":
            variant, arms = self._variants(t)
            tag = int(ffi.cast("int", v.tag))
            arm = variant.get(tag, str(tag))
            return Variant(arm, self.to_py(getattr(v.value, arm)) if arm in arms else None)
        return Record(**{f: self.to_py(getattr(v, f)) for f in fields})

    # ---- Python values -> C (into `target`, a cdata to fill; `keep` holds allocations) ----
    def fill(self, target, value, keep):
        ffi = self.core.ffi
        t = ffi.typeof(target)
        name = t.cname.replace("struct ", "")
        fields = [f for f, _ in t.fields]
        p = self.prefix + "_"
        if name in ("stdb_identity",):
            ident = value if isinstance(value, Identity) else Identity(value)
            ffi.memmove(target.bytes, ident.raw, 32)
        elif name == p + "string" or name == p + "bytes":
            data = value.encode("utf-8") if isinstance(value, str) else bytes(value)
            buf = ffi.new("char[]", data) if name == p + "string" else ffi.new("uint8_t[]", data or b"\0")
            keep.append(buf)
            target.data = ffi.cast(ffi.typeof(target.data), buf)
            target.len = len(data)
        elif name == "stdb_connection_id":
            ffi.memmove(target.bytes, bytes.fromhex(value)[::-1] if isinstance(value, str) else bytes(value), 16)
        elif name in (p + "u128", p + "u256", p + "i128", p + "i256"):
            n = len(target.limbs)
            if not -(1 << (64 * n - 1)) <= int(value) < (1 << (64 * n)):
                raise OverflowError("%d does not fit %s" % (value, name))
            x = int(value) & ((1 << (64 * n)) - 1)
            for i in range(n):
                target.limbs[i] = (x >> (64 * i)) & 0xFFFFFFFFFFFFFFFF
        elif name == p + "timestamp":
            target.micros_since_unix_epoch = int(value)
        elif name == p + "time_duration":
            target.micros = int(value)
        elif fields == ["has_value", "value"]:
            target.has_value = value is not None
            if value is not None:
                self._set_field(target, "value", value, keep)
        elif fields == ["data", "len"]:
            arr = ffi.new(ffi.getctype(ffi.typeof(target.data).item) + "[]", max(len(value), 1))
            keep.append(arr)
            for i, x in enumerate(value):
                self._set_elem(arr, i, x, keep)
            target.data = arr
            target.len = len(value)
        elif fields == ["tag", "value"]:
            v = value if isinstance(value, Variant) else Variant(*value)
            variant, arms = self._variants(t)
            tags = [k for k, n in variant.items() if n == v.name]
            if not tags:
                raise ValueError("%s has no variant %r" % (name, v.name))
            target.tag = tags[0]
            if v.name in arms:
                self._set_field(target.value, v.name, v.value, keep)
        else:
            for f in fields:
                self._set_field(target, f, value[f] if isinstance(value, dict) else getattr(value, f), keep)

    def _variants(self, t):
        """A sum type's {tag value: variant name} (from its C enum `NAME_tag`, whose constants are
        `NAME_Variant`) and the variants that carry a payload (the members of its union)."""
        fields = dict(t.fields)
        prefix = t.cname.replace("struct ", "") + "_"
        variant = {k: n[len(prefix):] if n.startswith(prefix) else n for k, n in fields["tag"].type.elements.items()}
        return variant, {f for f, _ in fields["value"].type.fields}

    def _set_field(self, target, f, value, keep):
        ffi = self.core.ffi
        ft = ffi.typeof(getattr(target, f)) if not isinstance(getattr(target, f), (int, float, bool)) else None
        if ft is None or ft.kind in ("primitive", "enum"):
            setattr(target, f, value)
        else:
            self.fill(getattr(target, f), value, keep)

    def _set_elem(self, arr, i, value, keep):
        ffi = self.core.ffi
        item = ffi.typeof(arr).item
        if item.kind in ("primitive", "enum"):
            arr[i] = value
        else:
            self.fill(arr[i], value, keep)

    def c_args_for(self, fn, skip, *values):
        """``c_args`` for parameters after the first ``skip`` ones."""
        ffi = self.core.ffi
        params = ffi.typeof(fn).args[skip:]
        out, keep = [], []
        for ptype, value in zip(params, values):
            (c,), k = self.convert_one(ptype, value)
            out.append(c)
            keep.extend(k)
        return out, keep


    def convert_one(self, ptype, value):
        ffi = self.core.ffi
        keep = []
        if ptype.kind in ("primitive", "enum"):
            return [value], keep
        if ptype.kind == "pointer" and ptype.item.cname == "char":
            c = ffi.new("char[]", value.encode("utf-8") if isinstance(value, str) else bytes(value))
            keep.append(c)
            return [c], keep
        if ptype.kind == "pointer":
            c = ffi.new(ffi.getctype(ptype.item) + " *")
            self.fill(c[0], value, keep)
            keep.append(c)
            return [c], keep
        raise TypeError("unsupported parameter type %s" % ptype.cname)

    def from_c_arg(self, ptype, value):
        ffi = self.core.ffi
        if ptype.kind == "pointer" and ptype.item.cname == "char":
            return ffi.string(value).decode("utf-8", "replace")
        if ptype.kind == "pointer":
            return self.to_py(value[0])
        return self.to_py(value)

    # ---- per connection ----
    def _register(self, builder):
        self.check(self.fn("register")(builder), "registering the %s schema" % self.prefix)

    def _attach(self, conn):
        db = self.core.ffi.new("%s_db *" % self.prefix)
        self.check(self.fn("db_init")(db, conn._c), "looking up the tables")
        conn._module_db = db
        tables = {t: TypedTable(self, conn, db, t) for t in self.tables}
        return types.SimpleNamespace(**tables), Reducers(self, conn)

    def _detach(self, conn):
        self.fn("db_free")(conn._module_db)


class TypedTable:
    """``conn.db.TABLE``: count, rows, find_by_COL for unique columns, callbacks with typed rows."""

    def __init__(self, module, conn, db, name):
        self._m, self._conn, self._db, self.name = module, conn, db, name
        for col in module.finders.get(name, []):
            setattr(self, "find_by_" + col, self._finder(col))

    def count(self):
        return self._m.fn("%s_count" % self.name)(self._db)

    def rows(self):
        m = self._m
        f = m.fn("%s_iter" % self.name)
        rows = []

        def visit(_ud, row):
            rows.append(m.to_py(row[0]))
            return True

        cb = m.core.ffi.callback(m.core.ffi.typeof(f).args[1], visit)
        m.check(f(self._db, cb, m.core.ffi.NULL), "iterating %s" % self.name)
        return rows

    def _finder(self, col):
        m = self._m
        f = m.fn("%s_find_by_%s" % (self.name, col))
        ffi = m.core.ffi
        row_type = ffi.typeof(f).args[3].item
        free = m.fn("%s_free" % ffi.getctype(row_type).replace("struct ", "")[len(m.prefix) + 1:])

        def find(key):
            (ckey,), keep = m.c_args_for(f, 1, key)
            found = ffi.new("bool *")
            out = ffi.new(ffi.getctype(row_type) + " *")
            m.check(f(self._db, ckey, found, out), "find in %s" % self.name)
            if not found[0]:
                return None
            try:
                return m.to_py(out[0])
            finally:
                free(out)
                del keep

        find.__doc__ = "The cached row of %s whose %s equals the key, or None." % (self.name, col)
        return find

    def _callback(self, kind, fn):
        m, conn = self._m, self._conn
        reg = m.fn("%s_on_%s" % (self.name, kind))
        ffi = m.core.ffi
        ctype = ffi.typeof(reg).args[1]
        lib = m.core.lib
        if kind == "update":
            def tramp(_ud, _c, event, old, new):
                conn._guard(fn, lib.stdb_event_kind(event), m.to_py(old[0]), m.to_py(new[0]))
        else:
            def tramp(_ud, _c, event, row):
                conn._guard(fn, lib.stdb_event_kind(event), m.to_py(row[0]))

        return conn._register(lambda cb, out: m.check(reg(self._db, cb, ffi.NULL, ffi.NULL, out), "on_%s of %s" % (kind, self.name)) or 0,
                              ffi.callback(ctype, tramp), "on_%s of %s" % (kind, self.name))

    def on_insert(self, fn):
        """``fn(event_kind, row)`` for each inserted row; returns the callback id."""
        return self._callback("insert", fn)

    def on_delete(self, fn):
        return self._callback("delete", fn)

    def on_update(self, fn):
        """``fn(event_kind, old_row, new_row)`` (tables with a primary key)."""
        if self.name not in self._m.updatable:
            raise AttributeError("table %s has no primary key: no on_update" % self.name)
        return self._callback("update", fn)




class Reducers:
    """``conn.reducers.NAME(*args, flags=CALL_FULL_UPDATE)`` calls a reducer with Python values;
    ``conn.reducers.on_NAME(fn)`` runs ``fn(ReducerEvent, *args)`` after each run the client hears
    about."""

    def __init__(self, module, conn):
        self._m, self._conn = module, conn
        for name in module.reducer_names:
            setattr(self, name, self._caller(name))
            setattr(self, "on_" + name, self._observer(name))

    def _caller(self, name):
        m, conn = self._m, self._conn
        f = m.fn("reducer_%s" % name)
        n_args = len(m.core.ffi.typeof(f).args) - 2  # conn, ..., flags

        def call(*args, flags=CALL_FULL_UPDATE):
            if len(args) != n_args:
                raise TypeError("%s takes %d arguments, %d given" % (name, n_args, len(args)))
            cargs, keep = m.c_args_for(f, 1, *args)
            m.check(f(conn._c, *cargs, flags), "calling %s" % name)
            del keep

        return call

    def _observer(self, name):
        m, conn = self._m, self._conn
        reg = m.fn("on_reducer_%s" % name)
        ffi = m.core.ffi
        ctype = ffi.typeof(reg).args[1]
        arg_types = ctype.item.args[4:] if ctype.kind == "pointer" else ctype.args[4:]

        def observe(fn):
            def tramp(_ud, _c, _event, reducer, *args):
                conn._guard(fn, ReducerEvent(m.core, reducer), *[m.from_c_arg(t, a) for t, a in zip(arg_types, args)])

            return conn._register(lambda cb, out: m.check(reg(conn._c, cb, ffi.NULL, ffi.NULL, out), "on_reducer_%s" % name) or 0,
                                  ffi.callback(ctype, tramp), "on_reducer_%s" % name)

        return observe
