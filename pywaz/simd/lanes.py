"""Lane access on v128 ints: splat, extract_lane, replace_lane, shuffle, swizzle (execution §4.4.3).

Scalar operands follow :mod:`pywaz.numeric`: i32/i64 unsigned ints, f32/f64
floats (f32 NaN payloads widened by hand). Float lanes move as bit patterns
(:func:`~pywaz.numeric.f32_to_bits`/``f32_from_bits``), so a signalling NaN
splatted, replaced or extracted keeps its payload. Lane immediates come last
(``extract(a, lane)``, ``replace(a, x, lane)``); the validator has already
checked them against the lane count. shuffle's immediate is its 16 lane
index bytes.
"""

from __future__ import annotations

from ..numeric import f32_from_bits, f32_to_bits, f64_from_bits, f64_to_bits
from ._lanes import M128, ONES

_from_bytes = int.from_bytes
_ONES8 = ONES[8]
_ONES16 = ONES[16]
_ONES32 = ONES[32]
_ONES64 = ONES[64]


def i8x16_splat(x: int) -> int:
    """i8x16.splat: the low 8 bits of an i32 in every lane."""
    return (x & 0xFF) * _ONES8


def i16x8_splat(x: int) -> int:
    """i16x8.splat: the low 16 bits of an i32 in every lane."""
    return (x & 0xFFFF) * _ONES16


def i32x4_splat(x: int) -> int:
    """i32x4.splat: an i32 in every lane."""
    return x * _ONES32


def i64x2_splat(x: int) -> int:
    """i64x2.splat: an i64 in every lane."""
    return x * _ONES64


def f32x4_splat(x: float) -> int:
    """f32x4.splat: an f32's bit pattern in every lane."""
    return f32_to_bits(x) * _ONES32


def f64x2_splat(x: float) -> int:
    """f64x2.splat: an f64's bit pattern in every lane."""
    return f64_to_bits(x) * _ONES64


def i8x16_extract_lane_s(a: int, lane: int) -> int:
    """i8x16.extract_lane_s: byte lane ``lane`` sign-extended to an i32."""
    return (((a >> (lane << 3)) & 0xFF ^ 0x80) - 0x80) & 0xFFFFFFFF


def i8x16_extract_lane_u(a: int, lane: int) -> int:
    """i8x16.extract_lane_u: byte lane ``lane`` zero-extended to an i32."""
    return (a >> (lane << 3)) & 0xFF


def i16x8_extract_lane_s(a: int, lane: int) -> int:
    """i16x8.extract_lane_s: 16-bit lane ``lane`` sign-extended to an i32."""
    return (((a >> (lane << 4)) & 0xFFFF ^ 0x8000) - 0x8000) & 0xFFFFFFFF


def i16x8_extract_lane_u(a: int, lane: int) -> int:
    """i16x8.extract_lane_u: 16-bit lane ``lane`` zero-extended to an i32."""
    return (a >> (lane << 4)) & 0xFFFF


def i32x4_extract_lane(a: int, lane: int) -> int:
    """i32x4.extract_lane: lane ``lane`` as an i32."""
    return (a >> (lane << 5)) & 0xFFFFFFFF


def i64x2_extract_lane(a: int, lane: int) -> int:
    """i64x2.extract_lane: lane ``lane`` as an i64."""
    return (a >> (lane << 6)) & 0xFFFFFFFFFFFFFFFF


def f32x4_extract_lane(a: int, lane: int) -> float:
    """f32x4.extract_lane: lane ``lane`` as an f32 (bit pattern kept)."""
    return f32_from_bits((a >> (lane << 5)) & 0xFFFFFFFF)


def f64x2_extract_lane(a: int, lane: int) -> float:
    """f64x2.extract_lane: lane ``lane`` as an f64 (bit pattern kept)."""
    return f64_from_bits((a >> (lane << 6)) & 0xFFFFFFFFFFFFFFFF)


def _replace(a: int, value: int, shift: int, mask: int) -> int:
    return (a & (M128 ^ (mask << shift))) | ((value & mask) << shift)


def i8x16_replace_lane(a: int, x: int, lane: int) -> int:
    """i8x16.replace_lane: lane ``lane`` set to the low 8 bits of an i32."""
    return _replace(a, x, lane << 3, 0xFF)


def i16x8_replace_lane(a: int, x: int, lane: int) -> int:
    """i16x8.replace_lane: lane ``lane`` set to the low 16 bits of an i32."""
    return _replace(a, x, lane << 4, 0xFFFF)


def i32x4_replace_lane(a: int, x: int, lane: int) -> int:
    """i32x4.replace_lane: lane ``lane`` set to an i32."""
    return _replace(a, x, lane << 5, 0xFFFFFFFF)


def i64x2_replace_lane(a: int, x: int, lane: int) -> int:
    """i64x2.replace_lane: lane ``lane`` set to an i64."""
    return _replace(a, x, lane << 6, 0xFFFFFFFFFFFFFFFF)


def f32x4_replace_lane(a: int, x: float, lane: int) -> int:
    """f32x4.replace_lane: lane ``lane`` set to an f32's bit pattern."""
    return _replace(a, f32_to_bits(x), lane << 5, 0xFFFFFFFF)


def f64x2_replace_lane(a: int, x: float, lane: int) -> int:
    """f64x2.replace_lane: lane ``lane`` set to an f64's bit pattern."""
    return _replace(a, f64_to_bits(x), lane << 6, 0xFFFFFFFFFFFFFFFF)


# bytes.translate(table) maps each byte b to table[b]: with the operand bytes
# as the table, zero-padded to 256 entries (to_bytes(256) pads for free), it
# is exactly a byte gather.


def i8x16_swizzle(a: int, s: int) -> int:
    """i8x16.swizzle: result byte i is byte s[i] of ``a``, or 0 when s[i] >= 16."""
    return _from_bytes(s.to_bytes(16, "little").translate(a.to_bytes(256, "little")), "little")


def i8x16_shuffle(a: int, b: int, lanes: bytes) -> int:
    """i8x16.shuffle: result byte i is byte lanes[i] of a||b (indices 0-31, checked by validation)."""
    if type(lanes) is not bytes:
        lanes = bytes(lanes)
    return _from_bytes(lanes.translate((a | (b << 128)).to_bytes(256, "little")), "little")
