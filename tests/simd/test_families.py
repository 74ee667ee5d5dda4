"""Per-family unit tests of pywaz.simd with hand-worked edge cases (expected values from the spec's rules)."""

from __future__ import annotations

import math
import random
import struct

import pytest

from pywaz.numeric import f32_from_bits, f32_round, f32_to_bits
from pywaz.opcodes import OP_NAMES, is_simd
from pywaz.simd import LOAD_SIZES, MEMORY_OPS, RAW_LOADS, SIMD_ARITY, SIMD_OPS, convert, floating, integer, lanes
from pywaz.simd import memory as mem


def v(fmt: str, *values) -> int:
    return int.from_bytes(struct.pack("<" + fmt, *values), "little")


def split(fmt: str, value: int):
    return struct.unpack("<" + fmt, value.to_bytes(16, "little"))


# ------------------------------------------------------------------ tables


def test_tables_cover_every_simd_instruction():
    simd = {op for op in OP_NAMES if is_simd(op)}
    assert len(simd) == 236 + 20  # 2.0's vector instructions and relaxed SIMD's
    assert {op for op in simd if "relaxed_" in OP_NAMES[op]} == set(range(0xFE00, 0xFE14))
    assert set(SIMD_OPS) | set(MEMORY_OPS) | {0xFD0C} == simd
    assert not set(SIMD_OPS) & set(MEMORY_OPS)
    assert SIMD_ARITY[0xFD0D] == (2, "shuffle")
    assert SIMD_ARITY[0xFD17] == (2, "lane")
    assert SIMD_ARITY[0xFD52] == (3, "-")
    for op, function in SIMD_OPS.items():
        assert function.__name__ == OP_NAMES[op].replace(".", "_")
        assert function.__doc__


def test_raw_loads_agree_with_memory_loads():
    rng = random.Random(3)
    m = bytearray(rng.getrandbits(8) for _ in range(64))
    base = rng.getrandbits(128)
    for op, size in LOAD_SIZES.items():
        raw = bytes(m[20 : 20 + size])
        if "lane" in OP_NAMES[op]:
            assert RAW_LOADS[op](raw, base, 1) == MEMORY_OPS[op](m, 20, base, 1)
        else:
            assert RAW_LOADS[op](raw) == MEMORY_OPS[op](m, 20), OP_NAMES[op]


# ------------------------------------------------------------------ integer arithmetic


def test_add_sub_wrap_within_each_lane():
    a = v("16B", *([0xFF] * 8 + [0x80] * 8))
    b = v("16B", *([0x01] * 8 + [0x80] * 8))
    assert integer.i8x16_add(a, b) == 0  # every lane wraps to zero, no carry leaks
    assert split("16B", integer.i8x16_sub(0, v("16B", *range(16)))) == tuple((-i) & 0xFF for i in range(16))
    assert integer.i64x2_add(v("2Q", 2**64 - 1, 5), v("2Q", 1, 6)) == v("2Q", 0, 11)
    assert integer.i32x4_neg(v("4i", -(2**31), 1, 0, -5)) == v("4i", -(2**31), -1, 0, 5)
    assert integer.i64x2_mul(v("2Q", 2**63, 3), v("2Q", 2, 2**64 - 1)) == v("2Q", 0, 2**64 - 3)


def test_saturating_arithmetic_clamps_to_the_lane_range():
    a = v("8h", 32767, -32768, 100, -1, 0, 0, 0, 0)
    b = v("8h", 1, -1, -200, -32768, 0, 0, 0, 0)
    assert split("8h", integer.i16x8_add_sat_s(a, b))[:4] == (32767, -32768, -100, -32768)
    assert split("8h", integer.i16x8_sub_sat_s(a, b))[:4] == (32766, -32767, 300, 32767)
    assert split("16B", integer.i8x16_add_sat_u(v("16B", *[200] * 16), v("16B", *[100] * 16))) == (255,) * 16
    assert integer.i8x16_sub_sat_u(v("16B", *[5] * 16), v("16B", *[9] * 16)) == 0


def test_min_max_and_comparisons_respect_signedness():
    a = v("16b", -1, 1, -128, 127, *[0] * 12)
    b = v("16b", 1, -1, 127, -128, *[0] * 12)
    assert split("16b", integer.i8x16_min_s(a, b))[:4] == (-1, -1, -128, -128)
    assert split("16b", integer.i8x16_min_u(a, b))[:4] == (1, 1, 127, 127)
    assert split("16b", integer.i8x16_max_u(a, b))[:4] == (-1, -1, -128, -128)
    assert split("16b", integer.i8x16_lt_s(a, b))[:4] == (-1, 0, -1, 0)
    assert split("16b", integer.i8x16_lt_u(a, b))[:4] == (0, -1, 0, -1)
    assert split("16b", integer.i8x16_ge_s(a, b)) == (0, -1, 0, -1) + (-1,) * 12
    assert split("2q", integer.i64x2_gt_s(v("2q", -1, 2**63 - 1), v("2q", 0, -(2**63)))) == (0, -1)
    assert split("4i", integer.i32x4_eq(v("4i", 1, 2, 3, 4), v("4i", 1, 0, 3, 0))) == (-1, 0, -1, 0)
    assert split("4i", integer.i32x4_ne(v("4i", 1, 2, 3, 4), v("4i", 1, 0, 3, 0))) == (0, -1, 0, -1)


def test_random_comparisons_match_the_lane_rule():
    rng = random.Random(11)
    for width, fmt_s, fmt_u in ((8, "16b", "16B"), (16, "8h", "8H"), (32, "4i", "4I")):
        prefix = {8: "i8x16", 16: "i16x8", 32: "i32x4"}[width]
        for _ in range(50):
            a, b = rng.getrandbits(128), rng.getrandbits(128)
            if rng.random() < 0.3:
                b = a ^ (rng.getrandbits(128) & rng.getrandbits(128) & rng.getrandbits(128))
            for fmt, suffix in ((fmt_s, "s"), (fmt_u, "u")):
                xs, ys = split(fmt, a), split(fmt, b)
                lt = getattr(integer, f"{prefix}_lt_{suffix}")(a, b)
                assert split(fmt_s, lt) == tuple(-1 if x < y else 0 for x, y in zip(xs, ys))
                mn = getattr(integer, f"{prefix}_min_{suffix}")(a, b)
                assert split(fmt, mn) == tuple(min(x, y) for x, y in zip(xs, ys))


def test_shift_counts_are_taken_modulo_the_lane_width():
    a = v("8h", -32768, 0x4000, -2, 1, 0, 0, 0, 0)
    assert split("8h", integer.i16x8_shr_s(a, 17))[:4] == (-16384, 0x2000, -1, 0)
    assert split("8H", integer.i16x8_shr_u(a, 1))[:4] == (0x4000, 0x2000, 0x7FFF, 0)
    assert split("8h", integer.i16x8_shl(a, 16))[:4] == (-32768, 0x4000, -2, 1)
    assert split("8h", integer.i16x8_shl(a, 1))[:4] == (0, -32768, -4, 2)
    assert integer.i64x2_shr_s(v("2q", -8, 8), 0xFFFFFFC1) == v("2q", -4, 4)  # count 65 -> 1
    assert integer.i8x16_shr_s(v("16b", *[-128] * 16), 7) == v("16b", *[-1] * 16)


def test_special_integer_ops():
    # q15mulr: only -32768 * -32768 saturates
    r = split(
        "8h", integer.i16x8_q15mulr_sat_s(v("8h", -32768, 16384, -1, *[0] * 5), v("8h", -32768, 16384, 1, *[0] * 5))
    )
    assert r[:3] == (32767, 8192, 0)
    # dot: 2 * (-32768)**2 wraps to -2**31
    assert split("4i", integer.i32x4_dot_i16x8_s(v("8h", *[-32768] * 8), v("8h", *[-32768] * 8))) == (-(2**31),) * 4
    assert split("8H", integer.i16x8_extmul_high_i8x16_u(v("16B", *[255] * 16), v("16B", *[255] * 16))) == (65025,) * 8
    assert split("2q", integer.i64x2_extmul_low_i32x4_s(v("4i", -(2**31), 3, 0, 0), v("4i", -(2**31), -3, 0, 0))) == (
        2**62,
        -9,
    )
    assert split("4i", integer.i32x4_extadd_pairwise_i16x8_s(v("8h", -1, -1, 32767, 32767, 0, 0, 5, -6))) == (
        -2,
        65534,
        0,
        -1,
    )
    assert split("16B", integer.i8x16_avgr_u(v("16B", *[255] * 16), v("16B", *[0] * 16))) == (128,) * 16
    assert split("16B", integer.i8x16_abs(v("16b", -128, -1, 5, *[0] * 13)))[:3] == (128, 1, 5)
    assert split("16B", integer.i8x16_popcnt(v("16B", *range(16)))) == tuple(i.bit_count() for i in range(16))


def test_reductions_and_bitwise():
    assert integer.v128_any_true(0) == 0 and integer.v128_any_true(1 << 127) == 1
    assert integer.i8x16_all_true(v("16B", *[1] * 15, 0)) == 0
    assert integer.i16x8_all_true(v("8H", *[0x100] * 8)) == 1
    assert integer.i8x16_all_true(v("8H", *[0x100] * 8)) == 0
    assert integer.i8x16_bitmask(v("16b", -1, 0, -128, *[0] * 12, -5)) == 0b1000000000000101
    assert integer.i64x2_bitmask(v("2q", 1, -1)) == 0b10
    a, b, c = 0xF0F0 << 100, 0x0FF0 << 100, 0xFF00 << 100
    assert integer.v128_bitselect(a, b, c) == ((0xF000 | 0x00F0) << 100)
    assert integer.v128_andnot(a, b) == (0xF000 << 100)
    assert integer.v128_not(0) == 2**128 - 1


# ------------------------------------------------------------------ floats

NAN32 = 0x7FC00000
SNAN32 = 0x7FA00001


def f32v(*values) -> int:
    return v("4f", *values)


def test_f32_lanes_are_rounded_per_lane():
    big = 3.4028234663852886e38
    r = split("4I", floating.f32x4_add(f32v(big, 1.0, 16777216.0, 0.1), f32v(big, 2**-30, 1.0, 0.2)))
    assert r[0] == 0x7F800000  # overflow rounds to +inf instead of raising
    assert r[1] == f32_to_bits(1.0)
    assert r[2] == f32_to_bits(16777216.0)  # tie rounds to even
    f1, f2 = (struct.unpack("<f", struct.pack("<f", x))[0] for x in (0.1, 0.2))
    assert r[3] == f32_to_bits(f32_round(f1 + f2)) == 0x3E99999A


def test_division_by_zero_and_sqrt_of_negative():
    r = split("4I", floating.f32x4_div(f32v(1.0, -1.0, 0.0, 6.0), f32v(0.0, 0.0, 0.0, 3.0)))
    assert r[0] == 0x7F800000 and r[1] == 0xFF800000
    assert r[2] & 0x7FC00000 == 0x7FC00000  # 0/0: a NaN
    assert r[3] == f32_to_bits(2.0)
    d = split("2d", floating.f64x2_div(v("2d", -0.0, 1.0), v("2d", 0.0, -0.0)))
    assert math.isnan(d[0]) and d[1] == -math.inf
    s = split("2d", floating.f64x2_sqrt(v("2d", -1.0, 4.0)))
    assert math.isnan(s[0]) and s[1] == 2.0


def test_min_max_order_zeros_and_propagate_nan():
    r = split("4I", floating.f32x4_min(f32v(0.0, -0.0, 1.0, 2.0), v("4I", 0x80000000, 0, NAN32, 0x3F800000)))
    assert r[0] == 0x80000000 and r[1] == 0x80000000
    assert r[2] & 0x7FC00000 == 0x7FC00000 and r[3] == 0x3F800000
    r = split("4I", floating.f32x4_max(f32v(0.0, -0.0, 1.0, 2.0), v("4I", 0x80000000, 0, NAN32, 0x3F800000)))
    assert r[0] == 0 and r[1] == 0


def test_pmin_pmax_keep_operand_bits():
    a = v("4I", SNAN32, 0x80000000, f32_to_bits(1.0), f32_to_bits(3.0))
    b = v("4I", f32_to_bits(1.0), 0, SNAN32, f32_to_bits(2.0))
    # pmin(a, b) = b < a ? b : a: NaN comparisons are false, so a is kept
    assert split("4I", floating.f32x4_pmin(a, b)) == (SNAN32, 0x80000000, f32_to_bits(1.0), f32_to_bits(2.0))
    assert split("4I", floating.f32x4_pmax(a, b)) == (SNAN32, 0x80000000, f32_to_bits(1.0), f32_to_bits(3.0))


def test_abs_neg_keep_nan_payloads():
    a = v("4I", SNAN32 | 0x80000000, SNAN32, 0, 0x80000000)
    assert split("4I", floating.f32x4_abs(a)) == (SNAN32, SNAN32, 0, 0)
    assert split("4I", floating.f32x4_neg(a)) == (SNAN32, SNAN32 | 0x80000000, 0x80000000, 0)


def test_rounding_family():
    a = f32v(-0.5, 2.5, -3.7, 1e30)
    assert split("4f", floating.f32x4_nearest(a)) == (-0.0, 2.0, -4.0, struct.unpack("<f", struct.pack("<f", 1e30))[0])
    assert math.copysign(1.0, split("4f", floating.f32x4_ceil(a))[0]) == -1.0  # ceil(-0.5) is -0.0
    assert split("4f", floating.f32x4_floor(a))[:3] == (-1.0, 2.0, -4.0)
    assert split("2d", floating.f64x2_trunc(v("2d", -2.5, 2.5))) == (-2.0, 2.0)


def test_float_comparisons_with_nan():
    a = v("4I", NAN32, f32_to_bits(1.0), f32_to_bits(-0.0), f32_to_bits(2.0))
    b = v("4I", NAN32, f32_to_bits(1.0), f32_to_bits(0.0), f32_to_bits(1.0))
    assert split("4i", floating.f32x4_eq(a, b)) == (0, -1, -1, 0)
    assert split("4i", floating.f32x4_ne(a, b)) == (-1, 0, 0, -1)
    assert split("4i", floating.f32x4_gt(a, b)) == (0, 0, 0, -1)


# ------------------------------------------------------------------ conversions


def test_narrow_and_extend():
    a = v("8h", 300, -300, 127, -128, 0, 255, 256, -1)
    assert split("16b", convert.i8x16_narrow_i16x8_s(a, 0))[:8] == (127, -128, 127, -128, 0, 127, 127, -1)
    assert split("16B", convert.i8x16_narrow_i16x8_u(0, a))[8:] == (255, 0, 127, 0, 0, 255, 255, 0)
    b = v("16b", *range(-8, 8))
    assert split("8h", convert.i16x8_extend_high_i8x16_s(b)) == tuple(range(8))
    assert split("8h", convert.i16x8_extend_low_i8x16_s(b)) == tuple(range(-8, 0))
    assert split("8H", convert.i16x8_extend_low_i8x16_u(b)) == tuple(range(248, 256))


def test_float_int_conversions():
    a = v("4I", NAN32, f32_to_bits(-3.9), f32_to_bits(3e9), f32_to_bits(-3e9))
    assert split("4i", convert.i32x4_trunc_sat_f32x4_s(a)) == (0, -3, 2**31 - 1, -(2**31))
    assert split("4I", convert.i32x4_trunc_sat_f32x4_u(a)) == (0, 0, 3000000000, 0)
    assert split("4I", convert.i32x4_trunc_sat_f64x2_u_zero(v("2d", 5e9, 7.9))) == (2**32 - 1, 7, 0, 0)
    assert split("4f", convert.f32x4_convert_i32x4_u(v("4I", 2**32 - 1, 16777217, 0, 1))) == (
        4294967296.0,
        16777216.0,
        0.0,
        1.0,
    )
    assert split("2d", convert.f64x2_convert_low_i32x4_s(v("4i", -1, 2**31 - 1, 9, 9))) == (-1.0, 2147483647.0)
    assert split("4I", convert.f32x4_demote_f64x2_zero(v("2d", 1e300, 0.1))) == (0x7F800000, 0x3DCCCCCD, 0, 0)
    promoted = split("2Q", convert.f64x2_promote_low_f32x4(v("4I", SNAN32, 0x80000000, 1, 1)))
    assert promoted[0] & 0x7FF8000000000000 == 0x7FF8000000000000  # quiet NaN
    assert promoted[1] == 1 << 63


# ------------------------------------------------------------------ lane access


def test_splat_extract_replace():
    assert lanes.i8x16_splat(0x1FF) == v("16B", *[0xFF] * 16)
    assert lanes.i64x2_splat(2**64 - 1) == 2**128 - 1
    snan = f32_from_bits(SNAN32)
    vec = lanes.f32x4_splat(snan)
    assert split("4I", vec) == (SNAN32,) * 4
    assert f32_to_bits(lanes.f32x4_extract_lane(vec, 3)) == SNAN32
    b = v("16b", *range(-8, 8))
    assert lanes.i8x16_extract_lane_s(b, 0) == (-8) & 0xFFFFFFFF
    assert lanes.i8x16_extract_lane_u(b, 0) == 248
    assert lanes.i16x8_extract_lane_s(v("8h", 0, 0, 0, 0, 0, 0, 0, -2), 7) == 0xFFFFFFFE
    r = lanes.i16x8_replace_lane(b, 0x12345, 3)
    assert split("8H", r)[3] == 0x2345 and split("8H", r)[:3] == split("8H", b)[:3]
    assert split("2d", lanes.f64x2_replace_lane(0, -0.0, 1)) == (0.0, -0.0)


def test_swizzle_and_shuffle():
    a = v("16B", *range(100, 116))
    s = v("16B", 15, 0, 16, 255, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 128)
    assert split("16B", lanes.i8x16_swizzle(a, s)) == (
        115,
        100,
        0,
        0,
        101,
        102,
        103,
        104,
        105,
        106,
        107,
        108,
        109,
        110,
        111,
        0,
    )
    b = v("16B", *range(200, 216))
    idx = bytes([0, 16, 1, 17, 31, 15, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6])
    assert split("16B", lanes.i8x16_shuffle(a, b, idx))[:6] == (100, 200, 101, 201, 215, 115)


# ------------------------------------------------------------------ memory


def test_memory_forms_and_bounds():
    m = bytearray(range(32))
    assert mem.v128_load(m, 16) == int.from_bytes(bytes(range(16, 32)), "little")
    assert split("8h", mem.v128_load8x8_s(bytearray([0xFF] * 8), 0)) == (-1,) * 8
    assert mem.v128_load16_splat(m, 0) == v("8H", *[0x0100] * 8)
    assert mem.v128_load32_zero(m, 4) == 0x07060504
    assert split("16B", mem.v128_load8_lane(m, 31, 0, 15))[15] == 31
    mem.v128_store16_lane(m, 0, v("8H", *range(1, 9)), 7)
    assert m[0:2] == b"\x08\x00"
    for fn, args in (
        (mem.v128_load, (m, 17)),
        (mem.v128_load8_splat, (m, 32)),
        (mem.v128_load64_zero, (m, 25)),
        (mem.v128_load8_lane, (m, 32, 0, 0)),
        (mem.v128_store, (m, 17, 5)),
        (mem.v128_store64_lane, (m, 25, 5, 0)),
    ):
        before = bytes(m)
        with pytest.raises((IndexError, struct.error)):
            fn(*args)
        assert bytes(m) == before  # nothing written by a faulting access


@pytest.mark.parametrize("width", [8, 16])
def test_random_saturating_and_average_match_the_lane_rule(width):
    rng = random.Random(width)
    prefix, fmt_s, fmt_u = {8: ("i8x16", "16b", "16B"), 16: ("i16x8", "8h", "8H")}[width]
    smin, smax, umax = -(1 << (width - 1)), (1 << (width - 1)) - 1, (1 << width) - 1
    edges = [0, 1, smax, smax + 1, umax, umax - 1]
    for _ in range(300):
        if rng.random() < 0.5:
            a, b = rng.getrandbits(128), rng.getrandbits(128)
        else:
            a, b = (v(fmt_u, *[rng.choice(edges) for _ in range(128 // width)]) for _ in range(2))
        xs, ys = split(fmt_s, a), split(fmt_s, b)
        us, vs = split(fmt_u, a), split(fmt_u, b)

        def clamp(value, low, high):
            return max(low, min(high, value))

        assert split(fmt_s, getattr(integer, f"{prefix}_add_sat_s")(a, b)) == tuple(
            clamp(x + y, smin, smax) for x, y in zip(xs, ys)
        )
        assert split(fmt_s, getattr(integer, f"{prefix}_sub_sat_s")(a, b)) == tuple(
            clamp(x - y, smin, smax) for x, y in zip(xs, ys)
        )
        assert split(fmt_u, getattr(integer, f"{prefix}_add_sat_u")(a, b)) == tuple(
            clamp(x + y, 0, umax) for x, y in zip(us, vs)
        )
        assert split(fmt_u, getattr(integer, f"{prefix}_sub_sat_u")(a, b)) == tuple(
            clamp(x - y, 0, umax) for x, y in zip(us, vs)
        )
        assert split(fmt_u, getattr(integer, f"{prefix}_avgr_u")(a, b)) == tuple(
            (x + y + 1) >> 1 for x, y in zip(us, vs)
        )
        assert split(fmt_u, getattr(integer, f"{prefix}_abs")(a)) == tuple(abs(x) & umax for x in xs)
