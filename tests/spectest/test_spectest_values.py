"""Value conversion and result matching of the spec harness (pywaz.spectest.values)."""

from __future__ import annotations

import struct

import pytest

from pywaz.ir import func_type
from pywaz.numeric import f32_from_bits, f32_to_bits, f64_from_bits, f64_to_bits
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
