"""Lane-shape conversions on v128 ints: narrowing, extension, int/float conversions (execution §4.4.3).

* narrow: signed lanes of both operands (``a`` gives the low half of the
  result) saturated to the narrower signed or unsigned range.
* extend: the low or high half's lanes, sign- or zero-extended.
* trunc_sat: NaN is 0 and out-of-range values clamp (numerics trunc_sat); the
  ``_zero`` forms fill the upper two i32 lanes with zero.
* convert: i32 lanes to f32 (one rounding: the double holding an i32 is exact)
  or the low two i32 lanes to f64 (exact).
* demote/promote: per scalar rules; a NaN comes out quiet (arithmetic NaN).
"""

from __future__ import annotations

from .. import numeric as _n
from ._lanes import STRUCTS
from .floating import pack_f32x4

_from_bytes = int.from_bytes


def _named(function, name: str, doc: str):
    function.__name__ = function.__qualname__ = name
    function.__doc__ = doc
    return function


def _narrow(name: str, in_shape: str, out_shape: str, low: int, high: int):
    unpack = STRUCTS[in_shape].unpack
    pack = STRUCTS[out_shape].pack

    def narrow(a: int, b: int) -> int:
        lanes = unpack(a.to_bytes(16, "little")) + unpack(b.to_bytes(16, "little"))
        clamped = [low if x < low else high if x > high else x for x in lanes]  # noqa: FURB136 (no call per lane)
        return _from_bytes(pack(*clamped), "little")

    return _named(narrow, name, f"{name.replace('_', '.', 1)}: signed lanes of a then b, saturated to [{low}, {high}].")


i8x16_narrow_i16x8_s = _narrow("i8x16_narrow_i16x8_s", "i16", "i8", -128, 127)
i8x16_narrow_i16x8_u = _narrow("i8x16_narrow_i16x8_u", "i16", "u8", 0, 255)
i16x8_narrow_i32x4_s = _narrow("i16x8_narrow_i32x4_s", "i32", "i16", -32768, 32767)
i16x8_narrow_i32x4_u = _narrow("i16x8_narrow_i32x4_u", "i32", "u16", 0, 65535)


def _extend(name: str, in_shape: str, out_shape: str, half: str):
    unpack = STRUCTS[in_shape].unpack
    pack = STRUCTS[out_shape].pack
    sl = slice(0, 8) if half == "low" else slice(8, 16)

    def extend(a: int) -> int:
        return _from_bytes(pack(*unpack(a.to_bytes(16, "little")[sl])), "little")

    return _named(extend, name, f"{name.replace('_', '.', 1)}: {half} half lanes extended to double width.")


i16x8_extend_low_i8x16_s = _extend("i16x8_extend_low_i8x16_s", "i8h", "i16", "low")
i16x8_extend_high_i8x16_s = _extend("i16x8_extend_high_i8x16_s", "i8h", "i16", "high")
i16x8_extend_low_i8x16_u = _extend("i16x8_extend_low_i8x16_u", "u8h", "u16", "low")
i16x8_extend_high_i8x16_u = _extend("i16x8_extend_high_i8x16_u", "u8h", "u16", "high")
i32x4_extend_low_i16x8_s = _extend("i32x4_extend_low_i16x8_s", "i16h", "i32", "low")
i32x4_extend_high_i16x8_s = _extend("i32x4_extend_high_i16x8_s", "i16h", "i32", "high")
i32x4_extend_low_i16x8_u = _extend("i32x4_extend_low_i16x8_u", "u16h", "u32", "low")
i32x4_extend_high_i16x8_u = _extend("i32x4_extend_high_i16x8_u", "u16h", "u32", "high")
i64x2_extend_low_i32x4_s = _extend("i64x2_extend_low_i32x4_s", "i32h", "i64", "low")
i64x2_extend_high_i32x4_s = _extend("i64x2_extend_high_i32x4_s", "i32h", "i64", "high")
i64x2_extend_low_i32x4_u = _extend("i64x2_extend_low_i32x4_u", "u32h", "u64", "low")
i64x2_extend_high_i32x4_u = _extend("i64x2_extend_high_i32x4_u", "u32h", "u64", "high")

_unpack_f32 = STRUCTS["f32"].unpack
_unpack_f64 = STRUCTS["f64"].unpack
_unpack_i32 = STRUCTS["i32"].unpack
_unpack_u32 = STRUCTS["u32"].unpack
_unpack_i32h = STRUCTS["i32h"].unpack
_unpack_u32h = STRUCTS["u32h"].unpack
_pack_u32 = STRUCTS["u32"].pack
_pack_f64 = STRUCTS["f64"].pack
_trunc_sat_s = _n.i32_trunc_sat_s
_trunc_sat_u = _n.i32_trunc_sat_u


def i32x4_trunc_sat_f32x4_s(a: int) -> int:
    """i32x4.trunc_sat_f32x4_s: each f32 lane truncated to a signed i32, saturating (NaN -> 0)."""
    return _from_bytes(_pack_u32(*[_trunc_sat_s(x) for x in _unpack_f32(a.to_bytes(16, "little"))]), "little")


def i32x4_trunc_sat_f32x4_u(a: int) -> int:
    """i32x4.trunc_sat_f32x4_u: each f32 lane truncated to an unsigned i32, saturating (NaN -> 0)."""
    return _from_bytes(_pack_u32(*[_trunc_sat_u(x) for x in _unpack_f32(a.to_bytes(16, "little"))]), "little")


def i32x4_trunc_sat_f64x2_s_zero(a: int) -> int:
    """i32x4.trunc_sat_f64x2_s_zero: both f64 lanes to saturated signed i32 in lanes 0-1; lanes 2-3 zero."""
    x, y = _unpack_f64(a.to_bytes(16, "little"))
    return _trunc_sat_s(x) | (_trunc_sat_s(y) << 32)


def i32x4_trunc_sat_f64x2_u_zero(a: int) -> int:
    """i32x4.trunc_sat_f64x2_u_zero: both f64 lanes to saturated unsigned i32 in lanes 0-1; lanes 2-3 zero."""
    x, y = _unpack_f64(a.to_bytes(16, "little"))
    return _trunc_sat_u(x) | (_trunc_sat_u(y) << 32)


def f32x4_convert_i32x4_s(a: int) -> int:
    """f32x4.convert_i32x4_s: signed i32 lanes to the nearest f32."""
    return pack_f32x4([float(x) for x in _unpack_i32(a.to_bytes(16, "little"))])


def f32x4_convert_i32x4_u(a: int) -> int:
    """f32x4.convert_i32x4_u: unsigned i32 lanes to the nearest f32."""
    return pack_f32x4([float(x) for x in _unpack_u32(a.to_bytes(16, "little"))])


def f64x2_convert_low_i32x4_s(a: int) -> int:
    """f64x2.convert_low_i32x4_s: the low two signed i32 lanes to f64 (exact)."""
    return _from_bytes(_pack_f64(*[float(x) for x in _unpack_i32h(a.to_bytes(16, "little")[:8])]), "little")


def f64x2_convert_low_i32x4_u(a: int) -> int:
    """f64x2.convert_low_i32x4_u: the low two unsigned i32 lanes to f64 (exact)."""
    return _from_bytes(_pack_f64(*[float(x) for x in _unpack_u32h(a.to_bytes(16, "little")[:8])]), "little")


def f32x4_demote_f64x2_zero(a: int) -> int:
    """f32x4.demote_f64x2_zero: both f64 lanes rounded to f32 in lanes 0-1; lanes 2-3 zero."""
    x, y = _unpack_f64(a.to_bytes(16, "little"))
    return pack_f32x4((x, y, 0.0, 0.0))


_unpack_f32_low = STRUCTS["f32"].unpack


def f64x2_promote_low_f32x4(a: int) -> int:
    """f64x2.promote_low_f32x4: the low two f32 lanes widened to f64 (exact; NaNs come out quiet)."""
    x, y = _unpack_f32_low(a.to_bytes(16, "little"))[:2]
    # A C float->double widening quiets a signalling NaN; "+ 0.0" on a NaN makes
    # sure of it (and only on a NaN: -0.0 + 0.0 would lose the zero's sign).
    if x != x:  # noqa: PLR0124 (NaN test)
        x += 0.0
    if y != y:  # noqa: PLR0124
        y += 0.0
    return _from_bytes(_pack_f64(x, y), "little")
