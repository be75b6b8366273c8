"""The typed layer's conversions, without a server: Python values -> C structs of the generated
`sdk_test` shims (tests/bindings/golden/sdk_test, every type the generator maps) -> BSATN through the
generated encoder -> back through the generated decoder -> Python values, which must be equal."""

import os
import shutil

import pytest

import stdb_client
from stdb_client import Identity, Variant
from stdb_client._module import Record

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
GOLDEN = os.path.join(REPO, "tests", "bindings", "golden", "sdk_test")


@pytest.fixture(scope="module")
def sdk(tmp_path_factory):
    core = stdb_client.Library()
    d = tmp_path_factory.mktemp("sdk_test")
    for f in ("sdk_test.h", "sdk_test.c"):
        shutil.copy(os.path.join(GOLDEN, f), d / f)
    lib_dir = os.environ.get("STDB_TEST_LIB_DIR") or os.path.dirname(core.path)
    so = stdb_client.build_module(str(d / "sdk_test.c"), [os.path.join(REPO, "include"), str(d)], lib_dir)
    return stdb_client.Module(core, str(d / "sdk_test.h"), so)


def roundtrip(m, ctype, value):
    ffi = m.core.ffi
    keep = []
    c = ffi.new("sdk_test_%s *" % ctype)
    m.fill(c[0], value, keep)
    buf = ffi.new("sdk_test_buffer *")
    m.check(m.fn("%s_encode" % ctype)(buf, c), "encoding")
    out = ffi.new("sdk_test_%s *" % ctype)
    try:
        m.check(m.fn("%s_from_bsatn" % ctype)(buf.data, buf.len, out), "decoding")
        return m.to_py(out[0]), ffi.unpack(ffi.cast("char *", buf.data), buf.len)
    finally:
        m.fn("%s_free" % ctype)(out)
        m.fn("buffer_free")(buf)


def all_types(**override):
    v = Record(
        id=7, a_bool=True, a_i8=-1, a_i16=300, a_i32=-7, a_i64=1 << 60,
        a_i128=-12345678901234567890123456789, a_i256=-(1 << 255), a_u8=7, a_u16=8, a_u32=9, a_u64=10,
        a_u128=(1 << 128) - 1, a_u256=7, a_f32=2.5, a_f64=1e100, a_string="emb\u00e9dded", a_bytes=b"\x00\x01\xfe",
        a_identity=Identity(bytes(range(32))), a_connection_id="000102030405060708090a0b0c0d0e0f",
        a_timestamp=1700000000000000, a_duration=1000, a_opt_i32=None, a_opt_opt_string="x",
        a_point=Record(x=5, y=6), a_shape=Variant("Empty"), a_vec_i32=[3, 2, 1], a_vec_string=["x", ""],
    )
    v.__dict__.update(override)
    return v


@pytest.mark.parametrize("shape", [Variant("Empty"), Variant("Circle", 2.5), Variant("Rect", Record(x=1, y=-2)), Variant("Named", "né")])
def test_every_type_survives_python_c_bsatn_and_back(sdk, shape):
    want = all_types(a_shape=shape)
    got, _ = roundtrip(sdk, "AllTypes", want)
    assert got == want


def test_bsatn_of_a_small_value_is_what_spacetimedb_writes(sdk):
    # Point {x: i32, y: i32}: two little-endian i32s; Shape::Named("ab"): tag 3, u32 length, bytes.
    got, raw = roundtrip(sdk, "Point", Record(x=1, y=-2))
    assert got == Record(x=1, y=-2) and raw == b"\x01\x00\x00\x00\xfe\xff\xff\xff"
    got, raw = roundtrip(sdk, "Shape", Variant("Named", "ab"))
    assert got == Variant("Named", "ab") and raw == b"\x03\x02\x00\x00\x00ab"


def test_out_of_range_and_unknown_values_are_refused(sdk):
    with pytest.raises(OverflowError):
        roundtrip(sdk, "AllTypes", all_types(a_u128=1 << 128))
    with pytest.raises(ValueError):
        roundtrip(sdk, "Shape", Variant("Hexagon", 1))
