"""stdb_client: Python bindings for libstdb_client, a SpacetimeDB client library.

cffi in ABI mode over ``include/stdb_client.cdef.h`` (no compiler needed for the core API); the
typed layer (``Module``) loads the C shims that ``stdb-bindings-gen`` generates for a module,
compiled as a shared library (``build_module``), and turns their rows into Python objects.

    import stdb_client
    lib = stdb_client.Library()                      # finds libstdb_client.so and the cdef file
    conn = lib.connect("http://127.0.0.1:3000", "quickstart",
                       on_connect=lambda conn, identity, token: print("hello", identity))
    while conn.frame_tick():                         # callbacks run here, on this thread
        ...

Threads: callbacks run on the thread that calls ``frame_tick``, with the GIL held. An exception a
callback raises is re-raised by the ``frame_tick`` that ran it.
"""

from ._core import (
    CALL_FULL_UPDATE,
    CALL_NO_SUCCESS_NOTIFY,
    Connection,
    ConnectError,
    Identity,
    Library,
    ReducerEvent,
    StdbError,
    Subscription,
    Table,
)
from ._module import Module, Variant, build_module

__all__ = [
    "CALL_FULL_UPDATE",
    "CALL_NO_SUCCESS_NOTIFY",
    "Connection",
    "ConnectError",
    "Identity",
    "Library",
    "Module",
    "ReducerEvent",
    "StdbError",
    "Subscription",
    "Table",
    "Variant",
    "build_module",
]
