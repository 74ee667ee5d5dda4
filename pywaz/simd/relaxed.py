"""Relaxed SIMD (WebAssembly 3.0): the 20 instructions 0xFD 0x100-0x113 on v128 ints, deterministically.

What enters and leaves: v128 ints as in the rest of :mod:`pywaz.simd`. Every
relaxed instruction lets an implementation pick one of a few results (numerics
§4.3.3 "Relaxed Operations", ``relaxed(R)[A0, ..., An]``). pywaz always takes
``A0``, the result the spec's *deterministic profile* prescribes, so a module
computes the same bits on every machine and in both engines:

==================================  =================================================================
instruction                         pywaz's result (= deterministic profile)
==================================  =================================================================
i8x16.relaxed_swizzle               i8x16.swizzle: an index >= 16 (signed or not) gives 0
i32x4.relaxed_trunc_f32x4_s/u       i32x4.trunc_sat_f32x4_s/u: NaN -> 0, out of range saturates
i32x4.relaxed_trunc_f64x2_s/u_zero  i32x4.trunc_sat_f64x2_s/u_zero
f32x4/f64x2.relaxed_madd            **unfused**: fadd(fmul(a, b), c), two roundings
f32x4/f64x2.relaxed_nmadd           unfused: fadd(fmul(-a, b), c)
iNxM.relaxed_laneselect             v128.bitselect (every mask bit selects, not only the top bit)
f32x4/f64x2.relaxed_min/max         f32x4/f64x2.min/max: NaN wins, -0 < +0
i16x8.relaxed_q15mulr_s             i16x8.q15mulr_sat_s: -32768 * -32768 saturates to 32767
i16x8.relaxed_dot_i8x16_i7x16_s     both operands signed; each pair's sum saturated to i16
i32x4.relaxed_dot_i8x16_i7x16_add_s the i16 dot above, pairs of it added into i32, plus c (wrapping)
==================================  =================================================================

madd is *unfused* because the 3.0 specification says so: ``frelaxed_madd_N(z1,
z2, z3) = relaxed(R_fmadd)[fadd(fmul(z1, z2), z3), fma(z1, z2, z3)]`` with the
deterministic profile taking index 0, and the SpecTec reference backend
computes exactly that ("use deterministic behaviour"). The OCaml reference
interpreter computes a fused ``Float.fma`` instead -- another allowed choice,
not the deterministic one. Likewise the dot products saturate each pair of
products to i16 (``ivdot_sat``), as the specification defines them, where the
OCaml interpreter's ``dot_s`` wraps and ``dot_add_s`` sums four products
directly.

Why the f32 unfused form is exact here: a product of two f32 values has at
most 48 significant bits, so the double product is exact, and rounding it to
f32 is ``fmul_32``. The sum of two f32 values computed in double and rounded
once to f32 is the correctly rounded f32 sum (a double has more than 2*24+2
bits), so the second rounding is ``fadd_32``. Rounding the product to f32
before the add is what makes it unfused: FLT_MAX * 2 - FLT_MAX is +inf, not
FLT_MAX.

Every other instruction is the 2.0 instruction it relaxes: the same function
under the relaxed name (:func:`_alias` shares the code object, so there is no
extra call).
"""

from __future__ import annotations

import types

from .. import numeric as _n
from ._lanes import STRUCTS
from .convert import (
    i32x4_trunc_sat_f32x4_s,
    i32x4_trunc_sat_f32x4_u,
    i32x4_trunc_sat_f64x2_s_zero,
    i32x4_trunc_sat_f64x2_u_zero,
)
from .floating import f32x4_max, f32x4_min, f64x2_max, f64x2_min, pack_f32x4
from .integer import i16x8_q15mulr_sat_s, v128_bitselect
from .lanes import i8x16_swizzle

_from_bytes = int.from_bytes
_unpack_f32 = STRUCTS["f32"].unpack
_pack_f32 = STRUCTS["f32"].pack
_unpack_f64 = STRUCTS["f64"].unpack
_pack_f64 = STRUCTS["f64"].pack
_unpack_i8 = STRUCTS["i8"].unpack
_pack_i16 = STRUCTS["i16"].pack
_unpack_u32 = STRUCTS["u32"].unpack
_pack_u32 = STRUCTS["u32"].pack
_f32_round = _n.f32_round


def _alias(function, name: str, doc: str):
    """``function`` under another name: a new function object on the same code (no wrapper call)."""
    alias = types.FunctionType(
        function.__code__, function.__globals__, name, function.__defaults__, function.__closure__
    )
    alias.__qualname__ = name
    alias.__doc__ = doc
    alias.__kwdefaults__ = function.__kwdefaults__
    return alias


# ------------------------------------------------------------------ the relaxed forms of 2.0 instructions

i8x16_relaxed_swizzle = _alias(
    i8x16_swizzle, "i8x16_relaxed_swizzle", "i8x16.relaxed_swizzle: as i8x16.swizzle (an index >= 16 gives 0)."
)
i32x4_relaxed_trunc_f32x4_s = _alias(
    i32x4_trunc_sat_f32x4_s,
    "i32x4_relaxed_trunc_f32x4_s",
    "i32x4.relaxed_trunc_f32x4_s: as i32x4.trunc_sat_f32x4_s (NaN -> 0, out of range saturates).",
)
i32x4_relaxed_trunc_f32x4_u = _alias(
    i32x4_trunc_sat_f32x4_u,
    "i32x4_relaxed_trunc_f32x4_u",
    "i32x4.relaxed_trunc_f32x4_u: as i32x4.trunc_sat_f32x4_u (NaN -> 0, out of range saturates).",
)
i32x4_relaxed_trunc_f64x2_s_zero = _alias(
    i32x4_trunc_sat_f64x2_s_zero,
    "i32x4_relaxed_trunc_f64x2_s_zero",
    "i32x4.relaxed_trunc_f64x2_s_zero: as i32x4.trunc_sat_f64x2_s_zero.",
)
i32x4_relaxed_trunc_f64x2_u_zero = _alias(
    i32x4_trunc_sat_f64x2_u_zero,
    "i32x4_relaxed_trunc_f64x2_u_zero",
    "i32x4.relaxed_trunc_f64x2_u_zero: as i32x4.trunc_sat_f64x2_u_zero.",
)
f32x4_relaxed_min = _alias(f32x4_min, "f32x4_relaxed_min", "f32x4.relaxed_min: as f32x4.min (NaN wins, -0 < +0).")
f32x4_relaxed_max = _alias(f32x4_max, "f32x4_relaxed_max", "f32x4.relaxed_max: as f32x4.max (NaN wins, -0 < +0).")
f64x2_relaxed_min = _alias(f64x2_min, "f64x2_relaxed_min", "f64x2.relaxed_min: as f64x2.min (NaN wins, -0 < +0).")
f64x2_relaxed_max = _alias(f64x2_max, "f64x2_relaxed_max", "f64x2.relaxed_max: as f64x2.max (NaN wins, -0 < +0).")
i16x8_relaxed_q15mulr_s = _alias(
    i16x8_q15mulr_sat_s,
    "i16x8_relaxed_q15mulr_s",
    "i16x8.relaxed_q15mulr_s: as i16x8.q15mulr_sat_s (-32768 * -32768 saturates to 32767).",
)
i8x16_relaxed_laneselect = _alias(
    v128_bitselect, "i8x16_relaxed_laneselect", "i8x16.relaxed_laneselect: as v128.bitselect(a, b, mask)."
)
i16x8_relaxed_laneselect = _alias(
    v128_bitselect, "i16x8_relaxed_laneselect", "i16x8.relaxed_laneselect: as v128.bitselect(a, b, mask)."
)
i32x4_relaxed_laneselect = _alias(
    v128_bitselect, "i32x4_relaxed_laneselect", "i32x4.relaxed_laneselect: as v128.bitselect(a, b, mask)."
)
i64x2_relaxed_laneselect = _alias(
    v128_bitselect, "i64x2_relaxed_laneselect", "i64x2.relaxed_laneselect: as v128.bitselect(a, b, mask)."
)


# ------------------------------------------------------------------ multiply-add, unfused


def _f32_products(xs, ys) -> tuple:
    """fmul_32 per lane: the exact double products rounded to f32 (overflow to infinity included)."""
    products = [x * y for x, y in zip(xs, ys)]
    try:
        return _unpack_f32(_pack_f32(*products))
    except OverflowError:  # struct refuses a finite double past FLT_MAX; IEEE rounds it to infinity
        return [_f32_round(p) for p in products]


def f32x4_relaxed_madd(a: int, b: int, c: int) -> int:
    """f32x4.relaxed_madd: lane-wise ``a * b + c``, unfused: the product is rounded to f32, then the sum."""
    products = _f32_products(_unpack_f32(a.to_bytes(16, "little")), _unpack_f32(b.to_bytes(16, "little")))
    return pack_f32x4([p + z for p, z in zip(products, _unpack_f32(c.to_bytes(16, "little")))])


def f32x4_relaxed_nmadd(a: int, b: int, c: int) -> int:
    """f32x4.relaxed_nmadd: lane-wise ``-a * b + c``, unfused (negating ``a`` is exact)."""
    products = _f32_products([-x for x in _unpack_f32(a.to_bytes(16, "little"))], _unpack_f32(b.to_bytes(16, "little")))
    return pack_f32x4([p + z for p, z in zip(products, _unpack_f32(c.to_bytes(16, "little")))])


def f64x2_relaxed_madd(a: int, b: int, c: int) -> int:
    """f64x2.relaxed_madd: lane-wise ``a * b + c``, unfused: each Python float op rounds once."""
    x0, x1 = _unpack_f64(a.to_bytes(16, "little"))
    y0, y1 = _unpack_f64(b.to_bytes(16, "little"))
    z0, z1 = _unpack_f64(c.to_bytes(16, "little"))
    return _from_bytes(_pack_f64(x0 * y0 + z0, x1 * y1 + z1), "little")


def f64x2_relaxed_nmadd(a: int, b: int, c: int) -> int:
    """f64x2.relaxed_nmadd: lane-wise ``-a * b + c``, unfused."""
    x0, x1 = _unpack_f64(a.to_bytes(16, "little"))
    y0, y1 = _unpack_f64(b.to_bytes(16, "little"))
    z0, z1 = _unpack_f64(c.to_bytes(16, "little"))
    return _from_bytes(_pack_f64(-x0 * y0 + z0, -x1 * y1 + z1), "little")


# ------------------------------------------------------------------ integer dot products


def _dot_pairs(a: int, b: int) -> list[int]:
    """ivdot_sat over i16: signed i8 lanes multiplied pairwise, each pair's sum saturated to i16."""
    xs = _unpack_i8(a.to_bytes(16, "little"))
    ys = _unpack_i8(b.to_bytes(16, "little"))
    sums = [xs[i] * ys[i] + xs[i + 1] * ys[i + 1] for i in range(0, 16, 2)]
    # Only -128 * -128 twice (32768) leaves the i16 range; the low end, -32512, fits.
    return [32767 if s > 32767 else s for s in sums]  # noqa: FURB136 (no call per lane)


def i16x8_relaxed_dot_i8x16_i7x16_s(a: int, b: int) -> int:
    """i16x8.relaxed_dot_i8x16_i7x16_s: signed i8 products added in pairs, saturated to i16."""
    return _from_bytes(_pack_i16(*_dot_pairs(a, b)), "little")


def i32x4_relaxed_dot_i8x16_i7x16_add_s(a: int, b: int, c: int) -> int:
    """i32x4.relaxed_dot_i8x16_i7x16_add_s: the i16 dot's pairs added into i32 lanes, plus ``c`` (modular)."""
    pairs = _dot_pairs(a, b)
    accumulators = _unpack_u32(c.to_bytes(16, "little"))
    return _from_bytes(
        _pack_u32(*[(pairs[2 * i] + pairs[2 * i + 1] + accumulators[i]) & 0xFFFFFFFF for i in range(4)]), "little"
    )
