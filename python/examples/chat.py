#!/usr/bin/env python3
"""A quickstart chat client in Python on stdb_client's typed layer.

It connects (reusing the token saved by an earlier run, so the identity comes back), optionally
sets its name, says each message given on the command line, and prints the chat until it has
seen its own messages come back from the server.

    python3 examples/chat.py --gen GEN_DIR [--name NAME] [MESSAGE ...]

GEN_DIR holds quickstart.h and quickstart.c from
``stdb-bindings-gen --server $STDB_URI --database $STDB_DATABASE --prefix quickstart --out-dir GEN_DIR``;
they are compiled into GEN_DIR/libquickstart.so the first time. STDB_URI and STDB_DATABASE name
the server and database; STDB_LIBRARY the library (default: this checkout's target/ build).
"""

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import stdb_client  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--gen", required=True, help="directory with the generated quickstart.h / quickstart.c")
    ap.add_argument("--name")
    ap.add_argument("--profile", default="py-chat", help="which saved token to use")
    ap.add_argument("messages", nargs="*")
    args = ap.parse_args()
    uri = os.environ.get("STDB_URI", "http://127.0.0.1:3000")
    database = os.environ.get("STDB_DATABASE", "quickstart")

    core = stdb_client.Library()
    so = os.path.join(args.gen, "libquickstart.so")
    if not os.path.exists(so):
        here = os.path.dirname(os.path.abspath(__file__))
        stdb_client.build_module(os.path.join(args.gen, "quickstart.c"),
                                 [os.path.join(here, "..", "..", "include"), args.gen],
                                 os.path.dirname(core.path), out=so)
    qs = stdb_client.Module(core, os.path.join(args.gen, "quickstart.h"), so)

    key = "%s-%s" % (args.profile, "".join(c if c.isalnum() or c in "._" else "-" for c in uri.split("://")[-1].rstrip("/")))
    token = core.load_token(key)
    pending = list(args.messages)
    state = {"applied": False, "failed": None}

    def name_of(identity):
        p = conn.db.player.find_by_identity(identity)
        return p.name if p and p.name else "user " + identity.hex[:8]

    def on_connect(conn, identity, new_token):
        core.save_token(key, new_token)
        print("connected as %s (%s)" % (identity.hex, "the saved identity" if token else "a new identity"))
        conn.subscribe(["SELECT * FROM player", "SELECT * FROM message"], on_applied=on_applied)

    def on_applied(conn):
        state["applied"] = True
        for m in sorted(conn.db.message.rows(), key=lambda m: m.sent)[-5:]:
            print("  %s: %s" % (name_of(m.sender), m.text))
        online = [name_of(p.identity) for p in conn.db.player.rows() if p.online]
        print("online: %s" % ", ".join(online))
        if args.name:
            conn.reducers.set_name(args.name)
        for text in pending:
            conn.reducers.say(text)

    def on_message(kind, m):
        if kind == 1:  # STDB_EVENT_SUBSCRIBE_APPLIED: history, printed by on_applied
            return
        print("%s: %s" % (name_of(m.sender), m.text))
        if m.sender == conn.identity and m.text in pending:
            pending.remove(m.text)

    def on_player_update(kind, old, new):
        if old.online != new.online:
            print("* %s is %s" % (name_of(new.identity), "online" if new.online else "offline"))

    def on_reducer(event, *args):
        if event.caller == conn.identity and not event.committed:
            state["failed"] = "%s failed: %s" % (event.name, event.error)

    conn = core.connect(uri, database, token=token, module=qs,
                        on_connect=on_connect,
                        on_connect_error=lambda c, e: state.update(failed="cannot connect: %s" % e))
    with conn:
        conn.db.message.on_insert(on_message)
        conn.db.player.on_update(on_player_update)
        conn.reducers.on_say(on_reducer)
        conn.reducers.on_set_name(on_reducer)
        end = time.monotonic() + 30
        while time.monotonic() < end and not state["failed"] and not (state["applied"] and not pending):
            if not conn.frame_tick():
                break
            time.sleep(1 / 60)
        if state["failed"]:
            print("error: " + state["failed"], file=sys.stderr)
            return 1
        if pending or not state["applied"]:
            print("error: timed out (messages not seen: %r)" % pending, file=sys.stderr)
            return 1
        print("all messages delivered")
    return 0


if __name__ == "__main__":
    sys.exit(main())
