"""stdb_client against a live SpacetimeDB server (a `quickstart` database).

Environment (tests/python.rs sets it): STDB_URI, STDB_DATABASE, STDB_LIBRARY, STDB_CDEF,
STDB_TEST_GEN_DIR (the generated quickstart.h / quickstart.c), STDB_TEST_LIB_DIR (a directory with
libstdb_client.so to link the shims against), STDB_CLIENT_CONFIG_DIR (the token store).
"""

import os
import struct
import subprocess
import sys
import uuid

import pytest

import stdb_client
from stdb_client._module import header_to_cdef

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))

URI = os.environ.get("STDB_URI")
DB = os.environ.get("STDB_DATABASE")
GEN = os.environ.get("STDB_TEST_GEN_DIR")

pytestmark = pytest.mark.skipif(not (URI and DB and GEN), reason="needs a live server: run through `cargo test --test python`")


@pytest.fixture(scope="session")
def core():
    return stdb_client.Library()


@pytest.fixture(scope="session")
def qs(core):
    so = stdb_client.build_module(os.path.join(GEN, "quickstart.c"), [os.path.join(REPO, "include"), GEN],
                                  os.environ["STDB_TEST_LIB_DIR"], out=os.path.join(GEN, "libquickstart.so"))
    return stdb_client.Module(core, os.path.join(GEN, "quickstart.h"), so)


def bsatn_string(s):
    b = s.encode("utf-8")
    return struct.pack("<I", len(b)) + b


def connected(core, module=None, token=None, **kw):
    """A connection subscribed to both tables (ticked until applied)."""
    state = {"applied": False}
    conn = core.connect(URI, DB, token=token, module=module, **kw)
    conn.tick_until(lambda: conn.identity is not None or conn.ended)
    assert conn.identity is not None, "not connected: %r" % (conn.disconnect_error,)
    conn.subscribe(["SELECT * FROM player", "SELECT * FROM message"], on_applied=lambda c: state.update(applied=True))
    assert conn.tick_until(lambda: state["applied"]), "subscription not applied"
    return conn


def test_library_loads_and_reports_its_version(core):
    assert core.version.count(".") == 2
    assert core.lib.STDB_OK == 0


def test_header_to_cdef_leaves_no_preprocessor_lines():
    text = header_to_cdef(open(os.path.join(GEN, "quickstart.h"), encoding="utf-8").read())
    assert not [l for l in text.splitlines() if l.strip().startswith("#")]
    assert "enum { QUICKSTART_ERR_DECODE = 100 };" in text
    assert 'extern "C"' not in text


def test_raw_api_calls_a_reducer_and_sees_the_row_as_bytes(core):
    conn = connected(core)
    with conn:
        assert len(conn.identity.hex) == 64
        messages = conn.table("message")
        inserted, reducers = [], []
        messages.on_insert(lambda kind, row: inserted.append(row))
        conn.on_reducer(lambda ev: reducers.append(ev) if ev.caller == conn.identity else None)
        text = "raw hello " + uuid.uuid4().hex
        conn.call_reducer("say", bsatn_string(text))
        assert conn.tick_until(lambda: any(r.endswith(bsatn_string(text)) for r in inserted))
        row = next(r for r in inserted if r.endswith(bsatn_string(text)))
        assert row[:32] == conn.identity.raw  # sender column first
        assert conn.tick_until(lambda: reducers)
        assert reducers[0].name == "say" and reducers[0].committed
        assert messages.count() == len(messages.rows()) >= 1


def test_typed_rows_reducers_and_lookups(core, qs):
    conn = connected(core, module=qs)
    with conn:
        seen = []
        conn.db.message.on_insert(lambda kind, m: seen.append(m))
        updates = []
        conn.db.player.on_update(lambda kind, old, new: updates.append((old, new)))
        conn.reducers.set_name("py-typed")
        conn.reducers.move_to(1.5, -2.25)
        text = "héllo from python " + uuid.uuid4().hex
        conn.reducers.say(text)
        assert conn.tick_until(lambda: any(m.text == text for m in seen))
        m = next(m for m in seen if m.text == text)
        assert m.sender == conn.identity and isinstance(m.sent, int) and m.sent > 0
        me = conn.db.player.find_by_identity(conn.identity)
        assert me is not None and me.name == "py-typed" and (me.x, me.y) == (1.5, -2.25) and me.online is True
        assert conn.db.player.find_by_identity(stdb_client.Identity(b"\x01" * 32)) is None
        assert any(new.name == "py-typed" for _, new in updates)
        assert me in conn.db.player.rows()
        assert conn.db.message.count() >= 1


def test_a_failing_reducer_reaches_its_caller_with_the_message(core, qs):
    conn = connected(core, module=qs)
    with conn:
        outcomes = []
        conn.reducers.on_say(lambda ev, text: outcomes.append((ev, text)) if ev.caller == conn.identity else None)
        conn.reducers.say("")
        assert conn.tick_until(lambda: outcomes)
        ev, text = outcomes[0]
        assert not ev.committed and ev.error == "message must not be empty" and text == ""


def test_the_saved_token_brings_back_the_same_identity(core, qs, tmp_path, monkeypatch):
    monkeypatch.setenv("STDB_CLIENT_CONFIG_DIR", str(tmp_path))
    assert core.load_token("pytest-user") is None
    first = connected(core, module=qs)
    with first:
        core.save_token("pytest-user", first.token)
        first.reducers.set_name("returning")
        assert first.tick_until(lambda: getattr(first.db.player.find_by_identity(first.identity), "name", None) == "returning")
        identity = first.identity
    assert (tmp_path / "pytest-user.token").is_file()
    second = connected(core, module=qs, token=core.load_token("pytest-user"))
    with second:
        assert second.identity == identity
        assert second.db.player.find_by_identity(identity).name == "returning"
    core.forget_token("pytest-user")
    assert core.load_token("pytest-user") is None


def test_an_exception_in_a_callback_is_raised_by_frame_tick(core):
    conn = core.connect(URI, DB)
    with conn:
        class Boom(Exception):
            pass

        def on_applied(c):
            raise Boom("from a callback")

        conn.tick_until(lambda: conn.identity is not None)
        conn.subscribe(["SELECT * FROM player"], on_applied=on_applied)
        with pytest.raises(Boom):
            conn.tick_until(lambda: False, timeout=30)


def test_an_unknown_database_is_a_connect_error_with_its_http_status(core):
    errors = []
    conn = core.connect(URI, "no-such-database-" + uuid.uuid4().hex[:8], on_connect_error=lambda c, e: errors.append(e))
    with conn:
        conn.tick_until(lambda: errors, timeout=30)
        assert errors and isinstance(errors[0], stdb_client.ConnectError)
        assert errors[0].http_status == 404, errors[0]
        assert not conn.frame_tick()


def test_the_example_chat_delivers_its_messages(qs):
    env = dict(os.environ)
    out = subprocess.run([sys.executable, os.path.join(REPO, "python", "examples", "chat.py"), "--gen", GEN,
                          "--name", "py-example", "first message", "second message"],
                         capture_output=True, text=True, timeout=120, env=env)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "py-example: first message" in out.stdout and "py-example: second message" in out.stdout
    assert "all messages delivered" in out.stdout
    again = subprocess.run([sys.executable, os.path.join(REPO, "python", "examples", "chat.py"), "--gen", GEN, "third"],
                           capture_output=True, text=True, timeout=120, env=env)
    assert again.returncode == 0, again.stdout + again.stderr
    assert "(the saved identity)" in again.stdout and "py-example: third" in again.stdout
