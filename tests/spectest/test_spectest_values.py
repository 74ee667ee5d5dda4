"""Value conversion and result matching of the spec harness (pywaz.spectest.values)."""

from __future__ import annotations

import struct

import pytest

from pywaz.ir import func_type
from pywaz.numeric import f32_from_bits, f32_to_bits, f64_from_bits, f64_to_bits
from pywaz.spectest import refs
from pywaz.spectest.dialect import Dialect
from pywaz.spectest.refs import RefKind, ref_kind, register_ref_kind
from pywaz.spectest.values import (
    EitherMatcher,
    HostRef,
    SpecFormatError,
    host_ref,
    match_results,
    parse_arg,
    parse_expected,
)
from pywaz.vm.objects import Function


def v(vtype, value, **extra):
    return {"type": vtype, "value": value, **extra}


# -- arguments -----------------------------------------------------------------


def test_integer_args_are_unsigned_bit_patterns():
    assert parse_arg(v("i32", "4294967295")) == 0xFFFFFFFF
    assert parse_arg(v("i64", "9223372036854775808")) == 1 << 63


@pytest.mark.parametrize("vtype,bad", [("i32", "4294967296"), ("i32", "-1"), ("i64", str(1 << 64)), ("i32", "x")])
def test_integer_args_out_of_range_are_rejected(vtype, bad):
    with pytest.raises(SpecFormatError):
        parse_arg(v(vtype, bad))


def test_f32_signalling_nan_arg_keeps_its_payload():
    value = parse_arg(v("f32", str(0x7FA00001)))
    assert isinstance(value, float)
    assert f32_to_bits(value) == 0x7FA00001


def test_f64_args_keep_exact_bits():
    for bits in (0x8000000000000000, 0x7FF0000000000001, 0x3FF0000000000000):
        assert f64_to_bits(parse_arg(v("f64", str(bits)))) == bits


def test_v128_lanes_are_little_endian_lane_zero_low():
    value = parse_arg(v("v128", ["1", "2", "3", "4"], lane_type="i32"))
    assert value == 1 | (2 << 32) | (3 << 64) | (4 << 96)
    value = parse_arg(v("v128", [str(i) for i in range(16)], lane_type="i8"))
    assert value.to_bytes(16, "little") == bytes(range(16))


def test_v128_wrong_lane_count_is_rejected():
    with pytest.raises(SpecFormatError):
        parse_arg(v("v128", ["1", "2"], lane_type="i32"))


def test_references():
    assert parse_arg(v("funcref", "null")) is None
    assert parse_arg(v("externref", "null")) is None
    ref = parse_arg(v("externref", "7"))
    assert isinstance(ref, HostRef) and ref.number == 7
    assert parse_arg(v("externref", "7")) is ref
    assert parse_arg(v("externref", "8")) is not ref


def test_unknown_type_is_rejected():
    with pytest.raises(SpecFormatError):
        parse_arg(v("i128", "1"))


# -- matchers --------------------------------------------------------------------


def test_int_matcher_requires_unsigned_canonical_ints():
    matcher = parse_expected(v("i32", "4294967295"))
    assert matcher.match(0xFFFFFFFF) is None
    assert "unsigned canonical" in matcher.match(-1)
    assert matcher.match(0xFFFFFFFE) is not None
    assert matcher.match(4294967295.0) is not None  # a float is not an i32


def test_float_matcher_is_bit_exact():
    zero = parse_expected(v("f64", "0"))
    assert zero.match(0.0) is None
    assert zero.match(-0.0) is not None
    nan = parse_expected(v("f32", str(0x7FA00001)))
    assert nan.match(f32_from_bits(0x7FA00001)) is None
    assert nan.match(f32_from_bits(0x7FE00001)) is not None  # quieted: a different bit pattern


def test_f32_matcher_rejects_values_that_are_not_f32():
    one_third = parse_expected(v("f32", str(f32_to_bits(struct.unpack("<f", struct.pack("<f", 1 / 3))[0]))))
    assert one_third.match(struct.unpack("<f", struct.pack("<f", 1 / 3))[0]) is None
    assert one_third.match(1 / 3) is not None  # an unrounded double must not pass as the f32
    assert one_third.match(1e300) is not None


F32_NANS = {
    "canonical+": (0x7FC00000, True, True),
    "canonical-": (0xFFC00000, True, True),
    "quiet payload": (0x7FC00001, False, True),
    "signalling": (0x7FA00000, False, False),
    "infinity": (0x7F800000, False, False),
    "one": (0x3F800000, False, False),
}


@pytest.mark.parametrize("bits,canonical,arithmetic", F32_NANS.values(), ids=F32_NANS.keys())
def test_f32_nan_classes(bits, canonical, arithmetic):
    value = f32_from_bits(bits)
    assert (parse_expected(v("f32", "nan:canonical")).match(value) is None) is canonical
    assert (parse_expected(v("f32", "nan:arithmetic")).match(value) is None) is arithmetic


F64_NANS = {
    "canonical+": (0x7FF8000000000000, True, True),
    "canonical-": (0xFFF8000000000000, True, True),
    "quiet payload": (0x7FF8000000000001, False, True),
    "signalling": (0x7FF4000000000000, False, False),
    "infinity": (0xFFF0000000000000, False, False),
}


@pytest.mark.parametrize("bits,canonical,arithmetic", F64_NANS.values(), ids=F64_NANS.keys())
def test_f64_nan_classes(bits, canonical, arithmetic):
    value = f64_from_bits(bits)
    assert (parse_expected(v("f64", "nan:canonical")).match(value) is None) is canonical
    assert (parse_expected(v("f64", "nan:arithmetic")).match(value) is None) is arithmetic


def test_v128_nan_classes_per_lane():
    matcher = parse_expected(v("v128", ["nan:canonical", "nan:arithmetic", "1065353216", "0"], lane_type="f32"))
    lanes = [0xFFC00000, 0x7FC12345, 0x3F800000, 0]
    actual = sum(lane << (32 * i) for i, lane in enumerate(lanes))
    assert matcher.match(actual) is None
    lanes[1] = 0x7F812345  # signalling: not arithmetic
    actual = sum(lane << (32 * i) for i, lane in enumerate(lanes))
    assert "lane 1" in matcher.match(actual)


def test_v128_integer_lanes():
    matcher = parse_expected(v("v128", ["65535"] * 8, lane_type="i16"))
    assert matcher.match((1 << 128) - 1) is None
    assert matcher.match((1 << 128) - 2) is not None
    assert matcher.match(-1) is not None


def test_nan_class_on_integer_lane_is_bad_data():
    with pytest.raises(SpecFormatError):
        parse_expected(v("v128", ["nan:canonical"] * 4, lane_type="i32"))


def test_reference_matchers():
    function = Function(func_type((), ()), lambda: None)
    any_func = parse_expected({"type": "funcref"})
    assert any_func.match(function) is None
    assert any_func.match(None) is not None
    assert any_func.match(host_ref(1)) is not None  # not a function
    assert parse_expected(v("funcref", "null")).match(None) is None
    assert parse_expected(v("funcref", "null")).match(function) is not None
    extern3 = parse_expected(v("externref", "3"))
    assert extern3.match(host_ref(3)) is None
    assert extern3.match(host_ref(4)) is not None
    assert extern3.match(None) is not None
    any_extern = parse_expected({"type": "externref"})
    assert any_extern.match(host_ref(9)) is None
    assert any_extern.match(None) is not None


def test_either_matches_any_alternative():
    matcher = parse_expected({"type": "either", "values": [v("i32", "1"), v("i32", "2")]})
    assert isinstance(matcher, EitherMatcher)
    assert matcher.match(1) is None
    assert matcher.match(2) is None
    assert "no alternative" in matcher.match(3)


def test_match_results_shapes():
    one = (parse_expected(v("i32", "1")),)
    two = (parse_expected(v("i32", "1")), parse_expected(v("i64", "2")))
    assert match_results((), None) is None
    assert match_results((), 5) is not None
    assert match_results(one, 1) is None
    assert match_results(one, (1,)) is not None
    assert match_results(two, (1, 2)) is None
    assert "result 1" in match_results(two, (1, 3))
    assert match_results(two, (1,)) is not None
    assert match_results(two, 1) is not None


# -- the wasm-tools dialect: signed integers -------------------------------------------

WT = Dialect.WASM_TOOLS


@pytest.mark.parametrize("vtype,text,raw", [
    ("i32", "-1", 0xFFFFFFFF),
    ("i32", "-2147483648", 0x80000000),
    ("i32", "2147483647", 0x7FFFFFFF),
    ("i64", "-1", (1 << 64) - 1),
    ("i64", "-9223372036854775808", 1 << 63),
    ("i64", "0", 0),
])
def test_signed_integers_become_unsigned_bit_patterns(vtype, text, raw):
    assert parse_arg(v(vtype, text), WT) == raw
    matcher = parse_expected(v(vtype, text), WT)
    assert matcher.match(raw) is None
    assert matcher.match(raw ^ 1) is not None


@pytest.mark.parametrize("vtype,text", [("i32", "2147483648"), ("i32", "4294967295"), ("i32", "-2147483649"),
                                        ("i64", str(1 << 63)), ("i32", "one")])
def test_signed_integers_outside_the_signed_range_are_bad_data(vtype, text):
    with pytest.raises(SpecFormatError, match="signed"):
        parse_arg(v(vtype, text), WT)
    with pytest.raises(SpecFormatError, match="signed"):
        parse_expected(v(vtype, text), WT)


def test_signed_v128_lanes_and_unsigned_float_lanes():
    assert parse_arg(v("v128", ["-1"] + ["0"] * 15, lane_type="i8"), WT) == 0xFF
    assert parse_arg(v("v128", ["-32768", "1", "0", "0", "0", "0", "0", "-1"], lane_type="i16"), WT) == (
        0x8000 | (1 << 16) | (0xFFFF << 112))
    assert parse_arg(v("v128", ["-1", "0"], lane_type="i64"), WT) == (1 << 64) - 1
    # Float lanes stay unsigned bit patterns: -0.0 as f32 is 2147483648.
    assert parse_arg(v("v128", ["2147483648", "0", "0", "0"], lane_type="f32"), WT) == 0x80000000
    with pytest.raises(SpecFormatError):
        parse_arg(v("v128", ["-1", "0", "0", "0"], lane_type="f32"), WT)
    with pytest.raises(SpecFormatError):
        parse_arg(v("v128", ["255"] + ["0"] * 15, lane_type="i8"), WT)  # unsigned form in the signed dialect
    matcher = parse_expected(v("v128", ["-1", "2", "-3", "4"], lane_type="i32"), WT)
    assert matcher.match(0xFFFFFFFF | (2 << 32) | (0xFFFFFFFD << 64) | (4 << 96)) is None


def test_either_inside_expected_reads_its_values_in_the_dialect():
    matcher = parse_expected({"type": "either", "values": [
        v("v128", ["-1", "0", "0", "0"], lane_type="i32"), v("v128", ["0", "0", "0", "-1"], lane_type="i32")]}, WT)
    assert matcher.match(0xFFFFFFFF) is None
    assert matcher.match(0xFFFFFFFF << 96) is None
    assert "no alternative" in matcher.match(1)
    with pytest.raises(SpecFormatError):
        parse_expected({"type": "either", "values": []}, WT)


# -- 3.0 reference values ----------------------------------------------------------------


class _Struct:
    wasm_ref_kind = "struct"


class _Array:
    wasm_ref_kind = "array"


class _Exn:
    wasm_ref_kind = "exn"


class _AsAny:
    """An engine's wrapper for a host value converted by any.convert_extern."""

    wasm_ref_kind = "any"

    def __init__(self, inner):
        self.wasm_ref_inner = inner


class _AsExtern(_AsAny):
    """An engine's wrapper for an internal value converted by extern.convert_any."""

    wasm_ref_kind = "extern"


class _I31(int):
    """An i31 representation that is a built-in type: it is registered, not self-declared."""


@pytest.fixture
def i31_registered():
    register_ref_kind(_I31, RefKind.I31)
    yield
    refs._registered.pop(_I31, None)


def test_ref_kind_of_every_representation(i31_registered):
    function = Function(func_type((), ()), lambda: None)
    assert ref_kind(None) is RefKind.NULL
    assert ref_kind(function) is RefKind.FUNC
    assert ref_kind(host_ref(1)) is RefKind.HOST
    assert ref_kind(object()) is RefKind.HOST  # anything an embedder passes in
    assert ref_kind(_Struct()) is RefKind.STRUCT
    assert ref_kind(_Array()) is RefKind.ARRAY
    assert ref_kind(_Exn()) is RefKind.EXN
    assert ref_kind(_I31(5)) is RefKind.I31
    assert ref_kind(5) is RefKind.I31  # pywaz's own i31 representation (pywaz.gcvalues), registered by refs
    assert ref_kind("5") is RefKind.HOST and ref_kind(5.0) is RefKind.HOST
    assert ref_kind(_AsAny(host_ref(1))) is RefKind.ANY
    with pytest.raises(ValueError):
        register_ref_kind(int, "func")
    with pytest.raises(ValueError):
        register_ref_kind(int, "nonsense")


CATEGORY_CASES = {
    # JSON type: (values that match, values that do not); None is never a non-null category.
    "structref": (["struct"], ["array", "i31", "host", "func", "exn", "null"]),
    "arrayref": (["array"], ["struct", "i31", "host", "func", "null"]),
    "i31ref": (["i31"], ["struct", "array", "host", "null"]),
    "eqref": (["struct", "array", "i31"], ["host", "func", "exn", "null", "any-host"]),
    "anyref": (["struct", "array", "i31", "host", "any-host"], ["func", "exn", "null"]),
    "externref": (["host", "extern-struct", "struct"], ["func", "exn", "null"]),
    "funcref": (["func"], ["host", "struct", "null"]),
    "exnref": (["exn"], ["host", "func", "null"]),
}


def _value(name):
    function = Function(func_type((), ()), lambda: None)
    return {"struct": _Struct(), "array": _Array(), "i31": _I31(3), "host": host_ref(1), "func": function,
            "exn": _Exn(), "null": None, "any-host": _AsAny(host_ref(1)),
            "extern-struct": _AsExtern(_Struct())}[name]


@pytest.mark.parametrize("vtype", CATEGORY_CASES)
def test_non_null_categories(vtype, i31_registered):
    matcher = parse_expected({"type": vtype}, WT)
    good, bad = CATEGORY_CASES[vtype]
    for name in good:
        assert matcher.match(_value(name)) is None, name
    for name in bad:
        assert matcher.match(_value(name)) is not None, name


@pytest.mark.parametrize("value", [
    {"type": "refnull"}, {"type": "nullref"}, {"type": "nullfuncref"}, {"type": "nullexternref"},
    {"type": "nullexnref"}, v("anyref", "null"), v("exnref", "null"), v("eqref", "null"), v("funcref", "null"),
])
def test_a_null_of_any_spelling_matches_only_null(value):
    matcher = parse_expected(value, WT)
    assert matcher.match(None) is None
    for name in ("host", "func", "struct", "exn"):
        assert "expected ref.null" in matcher.match(_value(name))


def test_host_values_match_as_extern_and_as_any_through_wrappers():
    as_any = parse_expected(v("anyref", "1"), WT)
    as_extern = parse_expected(v("externref", "1"), WT)
    for matcher in (as_any, as_extern):
        assert matcher.match(host_ref(1)) is None
        assert matcher.match(_AsAny(host_ref(1))) is None
        assert matcher.match(_AsAny(host_ref(2))) is not None
        assert matcher.match(host_ref(2)) is not None
        assert matcher.match(None) is not None


def test_reference_args():
    assert parse_arg(v("anyref", "4"), WT) is host_ref(4)
    assert parse_arg(v("anyref", "null"), WT) is None
    assert parse_arg(v("exnref", "null"), WT) is None
    assert parse_arg({"type": "nullref"}, WT) is None
    with pytest.raises(SpecFormatError, match="ref.func 3"):
        parse_arg({"type": "funcref", "value": {"index": 3}}, WT)
    with pytest.raises(SpecFormatError):
        parse_arg(v("structref", "1"), WT)


def test_reference_mismatch_messages_say_what_came_back():
    assert "ref.struct" in parse_expected({"type": "arrayref"}, WT).match(_Struct())
    assert "got ref.null" in parse_expected({"type": "i31ref"}, WT).match(None)
    assert "host value" in parse_expected({"type": "funcref"}, WT).match(host_ref(2))
