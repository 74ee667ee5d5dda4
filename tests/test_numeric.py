"""Numeric helpers against struct/math references and spec edge cases."""

import math
import random
import struct

import pytest
import wasmtime

from pywaz import Trap, TrapKind
from pywaz import numeric as n
from pywaz.text import wat2wasm


def f32_bits_ref(x: float) -> int:
    return struct.unpack("<I", struct.pack("<f", x))[0]


def f32(bits: int) -> float:
    return n.f32_from_bits(bits)


def test_f32_bits_roundtrip_every_nan_class_and_edges():
    samples = [
        0,
        0x80000000,
        1,
        0x7F7FFFFF,
        0x7F800000,
        0xFF800000,
        0x7FC00000,
        0xFFC00000,
        0x7FA00001,
        0x7F800001,
        0xFFBFFFFF,
        0x3F800000,
        0x00800000,
        0x007FFFFF,
    ]
    rng = random.Random(1)
    samples += [rng.getrandbits(32) for _ in range(2000)]
    for bits in samples:
        assert n.f32_to_bits(n.f32_from_bits(bits)) == bits


def test_signalling_nan_survives_moves():
    snan = f32(0x7FA00001)
    assert n.f32_to_bits(n.f32_abs(f32(0xFFA00001))) == 0x7FA00001
    assert n.f32_to_bits(n.f32_neg(snan)) == 0xFFA00001
    assert n.f32_to_bits(n.f32_copysign(snan, -1.0)) == 0xFFA00001
    assert n.i32_reinterpret_f32(n.f32_reinterpret_i32(0x7FA00001)) == 0x7FA00001


def test_arithmetic_on_snan_gives_quiet_nan():
    snan = f32(0x7FA00001)
    bits = n.f32_to_bits(n.f32_add(snan, 1.0))
    assert n.f32_nan_bits_arithmetic(bits)
    assert n.f64_nan_bits_arithmetic(n.f64_to_bits(n.f64_promote_f32(snan)))


def test_integer_division_traps_and_truncation():
    with pytest.raises(Trap) as info:
        n.i32_div_s(1, 0)
    assert info.value.kind is TrapKind.INT_DIV_BY_ZERO
    with pytest.raises(Trap) as info:
        n.i32_div_s(0x80000000, 0xFFFFFFFF)
    assert info.value.kind is TrapKind.INT_OVERFLOW
    with pytest.raises(Trap) as info:
        n.i64_div_s(0x8000000000000000, 0xFFFFFFFFFFFFFFFF)
    assert info.value.kind is TrapKind.INT_OVERFLOW
    with pytest.raises(Trap):
        n.i64_rem_u(5, 0)
    assert n.i32_div_s((-7) & n.MASK32, 2) == (-3) & n.MASK32  # truncates toward zero
    assert n.i32_rem_s((-7) & n.MASK32, 2) == (-1) & n.MASK32  # sign of the dividend
    assert n.i32_rem_s(0x80000000, 0xFFFFFFFF) == 0
    assert n.i64_rem_s(7, (-2) & n.MASK64) == 1


def test_bit_counting_and_rotates():
    assert n.i32_clz(0) == 32 and n.i32_ctz(0) == 32 and n.i64_clz(1) == 63 and n.i64_ctz(0x8000000000000000) == 63
    assert n.i32_popcnt(0xFFFFFFFF) == 32
    assert n.i32_rotl(0x80000001, 1) == 3
    assert n.i32_rotr(1, 1) == 0x80000000
    assert n.i64_rotl(0x8000000000000000, 65) == 1
    assert n.i32_shr_s(0x80000000, 31) == 0xFFFFFFFF
    assert n.i32_shl(1, 33) == 2  # shift count is taken mod 32


def test_sign_extension():
    assert n.i32_extend8_s(0x80) == 0xFFFFFF80
    assert n.i32_extend16_s(0x17FFF) == 0x7FFF
    assert n.i64_extend32_s(0x80000000) == 0xFFFFFFFF80000000
    assert n.i64_extend_i32_s(0xFFFFFFFF) == n.MASK64


@pytest.mark.parametrize(
    "fn, value, kind",
    [
        (n.i32_trunc_s, math.nan, TrapKind.INVALID_CONVERSION),
        (n.i32_trunc_s, 2147483648.0, TrapKind.INT_OVERFLOW),
        (n.i32_trunc_u, -1.0, TrapKind.INT_OVERFLOW),
        (n.i64_trunc_s, math.inf, TrapKind.INT_OVERFLOW),
        (n.i64_trunc_u, 18446744073709551616.0, TrapKind.INT_OVERFLOW),
    ],
)
def test_trapping_truncation(fn, value, kind):
    with pytest.raises(Trap) as info:
        fn(value)
    assert info.value.kind is kind
    assert str(info.value) == kind.value


def test_truncation_edges_that_do_not_trap():
    assert n.i32_trunc_s(-2147483648.9) == 0x80000000
    assert n.i32_trunc_u(-0.9) == 0
    assert n.i64_trunc_u(18446744073709549568.0) == 18446744073709549568


def test_saturating_truncation():
    assert n.i32_trunc_sat_s(math.nan) == 0
    assert n.i32_trunc_sat_s(1e10) == 0x7FFFFFFF
    assert n.i32_trunc_sat_s(-1e10) == 0x80000000
    assert n.i32_trunc_sat_u(-5.0) == 0
    assert n.i64_trunc_sat_u(math.inf) == n.MASK64
    assert n.i64_trunc_sat_s(-math.inf) == 0x8000000000000000


def test_int_to_f32_rounds_once():
    # 2**60 + 2**36 + 1 lies just above a tie between two f32 values; rounding
    # through double would hit the tie exactly and round to even (down).
    value = (1 << 60) + (1 << 36) + 1
    assert float(value) == (1 << 60) + (1 << 36)  # the double rounding loses the +1
    expected_up = (1 << 60) + (1 << 37)
    assert n.int_to_f32(value) == float(expected_up)
    assert n.f32_convert_i64_u(0xFFFFFFFFFFFFFFFF) == 18446744073709551616.0
    assert n.f32_convert_i64_s(0x8000000000000000) == -9223372036854775808.0
    rng = random.Random(2)
    for _ in range(2000):
        m = rng.getrandbits(rng.randint(1, 64))
        # Reference: exact rational rounding via fractions.
        got = n.int_to_f32(m)
        ref = _f32_nearest_exact(m)
        assert got == ref, m


def _f32_nearest_exact(m: int) -> float:
    if m == 0:
        return 0.0
    shift = max(m.bit_length() - 24, 0)
    low = (m >> shift) << shift
    high = low + (1 << shift)
    if m - low < high - m or (m - low == high - m and not (m >> shift) & 1):
        return float(low)
    return float(high)


def test_f32_round_overflow_and_ties():
    assert n.f32_round(3.4028235677973366e38) == math.inf
    assert n.f32_round(-3.4028235677973366e38) == -math.inf
    assert n.f32_round(3.4028235677973362e38) == n.F32_MAX
    assert n.f32_round(1.0 + 2.0**-24) == 1.0  # tie rounds to even
    assert n.f32_round(1.0 + 3 * 2.0**-24) == 1.0 + 2.0**-22


def test_min_max_signed_zero_and_nan():
    assert math.copysign(1.0, n.f64_min(0.0, -0.0)) < 0
    assert math.copysign(1.0, n.f64_min(-0.0, 0.0)) < 0
    assert math.copysign(1.0, n.f64_max(-0.0, 0.0)) > 0
    assert math.copysign(1.0, n.f64_max(0.0, -0.0)) > 0
    assert math.isnan(n.f64_min(1.0, math.nan)) and math.isnan(n.f32_max(math.nan, 1.0))


def test_rounding_helpers():
    assert n.f64_nearest(2.5) == 2.0 and n.f64_nearest(3.5) == 4.0
    assert math.copysign(1.0, n.f64_nearest(-0.4)) < 0
    assert math.copysign(1.0, n.f64_ceil(-0.5)) < 0
    assert math.copysign(1.0, n.f64_trunc(-0.7)) < 0
    assert n.f64_floor(-0.5) == -1.0
    assert n.f64_ceil(math.inf) == math.inf
    assert n.f64_nearest(4503599627370497.0) == 4503599627370497.0
    assert math.isnan(n.f32_floor(math.nan))


def test_division_and_sqrt_never_raise():
    assert n.f64_div(1.0, 0.0) == math.inf
    assert n.f64_div(-1.0, 0.0) == -math.inf
    assert n.f64_div(1.0, -0.0) == -math.inf
    assert math.isnan(n.f64_div(0.0, 0.0))
    assert math.isnan(n.f64_sqrt(-1.0))
    assert math.copysign(1.0, n.f64_sqrt(-0.0)) < 0
    assert n.f32_div(1.0, 3.0) == struct.unpack("<f", struct.pack("<f", 1.0 / 3.0))[0]


def test_f32_arithmetic_matches_wasmtime():
    wat = """(module
      (func (export "add") (param f32 f32) (result f32) local.get 0 local.get 1 f32.add)
      (func (export "mul") (param f32 f32) (result f32) local.get 0 local.get 1 f32.mul)
      (func (export "div") (param f32 f32) (result f32) local.get 0 local.get 1 f32.div)
      (func (export "sqrt") (param f32) (result f32) local.get 0 f32.sqrt)
      (func (export "cvt") (param i64) (result f32) local.get 0 f32.convert_i64_s))"""
    store = wasmtime.Store()
    instance = wasmtime.Instance(store, wasmtime.Module(store.engine, wat2wasm(wat)), [])
    exports = instance.exports(store)
    rng = random.Random(3)
    for _ in range(300):
        a = f32(rng.getrandbits(32) & 0x7F7FFFFF)  # finite values
        b = f32(rng.getrandbits(32) & 0xFF7FFFFF)
        for name, ours in (("add", n.f32_add), ("mul", n.f32_mul), ("div", n.f32_div)):
            ref = exports[name](store, a, b)
            got = ours(a, b)
            assert (math.isnan(ref) and math.isnan(got)) or f32_bits_ref(ref) == n.f32_to_bits(got)
        assert f32_bits_ref(exports["sqrt"](store, a)) == n.f32_to_bits(n.f32_sqrt(a))
        k = rng.getrandbits(64)
        signed = k - (1 << 64) if k >> 63 else k
        assert f32_bits_ref(exports["cvt"](store, signed)) == n.f32_to_bits(n.f32_convert_i64_s(k))


def test_operator_tables_cover_the_simple_numeric_opcodes():
    from pywaz.opcodes import SIGNATURES

    for op, fn in n.BINARY_OPS.items():
        assert len(SIGNATURES[op][0]) == 2 and callable(fn)
    for op, fn in n.UNARY_OPS.items():
        assert len(SIGNATURES[op][0]) == 1 and callable(fn)
    assert n.BINARY_OPS[0x48](0xFFFFFFFF, 0) == 1  # i32.lt_s: -1 < 0
    assert n.BINARY_OPS[0x49](0xFFFFFFFF, 0) == 0  # i32.lt_u
    assert n.BINARY_OPS[0x6A](0xFFFFFFFF, 1) == 0  # i32.add wraps
