"""Float lane arithmetic and comparisons on v128 ints (execution §4.4.3; numerics §4.3.3).

f32x4 lanes are unpacked as C floats widened to doubles, computed in double and
packed back: for add/sub/mul/div/sqrt one double operation followed by one
rounding to f32 is the correctly rounded f32 result (a double has more than
2*24+2 significand bits), so every lane is rounded exactly as the scalar f32
instruction rounds. ``struct`` refuses to pack a finite double that rounds
past FLT_MAX; such a lane is rounded to infinity by
:func:`pywaz.numeric.f32_round` instead.

NaNs: a NaN result comes from arithmetic on a NaN operand or from an invalid
operation, so it is quiet (an arithmetic NaN) and a canonical NaN operand
yields a canonical NaN, which is what the spec's NaN propagation rules allow.
Widening an f32 signalling NaN to a double quiets it; that is harmless for
arithmetic (the result must be quiet anyway). abs/neg work on the bit
patterns and pmin/pmax select operand bit patterns, so those keep every
payload, signalling NaNs included, as the spec requires.
"""

from __future__ import annotations

from .. import numeric as _n
from ._lanes import HIGH_BITS, M128, STRUCTS, lanewise

_from_bytes = int.from_bytes
_unpack_f32 = STRUCTS["f32"].unpack
_pack_f32 = STRUCTS["f32"].pack
_unpack_f64 = STRUCTS["f64"].unpack
_pack_f64 = STRUCTS["f64"].pack
_f32_round = _n.f32_round


def pack_f32x4(lanes) -> int:
    """Join four double-valued lanes, rounding each to f32 (overflow to infinity included)."""
    try:
        return _from_bytes(_pack_f32(*lanes), "little")
    except OverflowError:
        return _from_bytes(_pack_f32(*[_f32_round(x) for x in lanes]), "little")


def _named(function, name: str, doc: str):
    function.__name__ = function.__qualname__ = name
    function.__doc__ = doc
    return function


# ------------------------------------------------------------------ sign bit ops (bit patterns)

_SIGNS32 = HIGH_BITS[32]
_SIGNS64 = HIGH_BITS[64]
_MAGNITUDE32 = M128 ^ _SIGNS32
_MAGNITUDE64 = M128 ^ _SIGNS64


def f32x4_abs(a: int) -> int:
    """f32x4.abs: clear every lane's sign bit (NaN payloads kept)."""
    return a & _MAGNITUDE32


def f32x4_neg(a: int) -> int:
    """f32x4.neg: flip every lane's sign bit (NaN payloads kept)."""
    return a ^ _SIGNS32


def f64x2_abs(a: int) -> int:
    """f64x2.abs: clear every lane's sign bit (NaN payloads kept)."""
    return a & _MAGNITUDE64


def f64x2_neg(a: int) -> int:
    """f64x2.neg: flip every lane's sign bit (NaN payloads kept)."""
    return a ^ _SIGNS64


# ------------------------------------------------------------------ arithmetic


def _f32_binary(name: str, expr: str, doc: str):
    source = (
        f"def {name}(a, b):\n"
        f"    lanes = [{expr} for x, y in zip(_unpack(a.to_bytes(16, 'little')), _unpack(b.to_bytes(16, 'little')))]\n"
        f"    try:\n"
        f"        return _from_bytes(_pack(*lanes), 'little')\n"
        f"    except OverflowError:\n"
        f"        return _from_bytes(_pack(*[_round(x) for x in lanes]), 'little')\n"
    )
    namespace = {"_unpack": _unpack_f32, "_pack": _pack_f32, "_from_bytes": _from_bytes, "_round": _f32_round}
    exec(compile(source, f"<pywaz.simd {name}>", "exec"), namespace)  # noqa: S102 (fixed template)
    return _named(namespace[name], name, doc)


f32x4_add = _f32_binary("f32x4_add", "x + y", "f32x4.add: lane-wise IEEE addition, rounded to f32 per lane.")
f32x4_sub = _f32_binary("f32x4_sub", "x - y", "f32x4.sub: lane-wise IEEE subtraction, rounded to f32 per lane.")
f32x4_mul = _f32_binary("f32x4_mul", "x * y", "f32x4.mul: lane-wise IEEE multiplication, rounded to f32 per lane.")
f64x2_add = lanewise("f64x2_add", "f64 f64", "x + y", "f64", "f64x2.add: lane-wise IEEE addition.")
f64x2_sub = lanewise("f64x2_sub", "f64 f64", "x - y", "f64", "f64x2.sub: lane-wise IEEE subtraction.")
f64x2_mul = lanewise("f64x2_mul", "f64 f64", "x * y", "f64", "f64x2.mul: lane-wise IEEE multiplication.")

_fdiv = _n.f64_div


def f32x4_div(a: int, b: int) -> int:
    """f32x4.div: lane-wise IEEE division (x/0 is ±inf or NaN, never a Python error)."""
    xs = _unpack_f32(a.to_bytes(16, "little"))
    ys = _unpack_f32(b.to_bytes(16, "little"))
    try:
        lanes = [x / y for x, y in zip(xs, ys)]
    except ZeroDivisionError:
        lanes = [_fdiv(x, y) for x, y in zip(xs, ys)]
    return pack_f32x4(lanes)


def f64x2_div(a: int, b: int) -> int:
    """f64x2.div: lane-wise IEEE division."""
    xs = _unpack_f64(a.to_bytes(16, "little"))
    ys = _unpack_f64(b.to_bytes(16, "little"))
    try:
        lanes = [x / y for x, y in zip(xs, ys)]
    except ZeroDivisionError:
        lanes = [_fdiv(x, y) for x, y in zip(xs, ys)]
    return _from_bytes(_pack_f64(*lanes), "little")


def _f32_unary(name: str, fn, doc: str):
    def op(a: int) -> int:
        return pack_f32x4([fn(x) for x in _unpack_f32(a.to_bytes(16, "little"))])

    return _named(op, name, doc)


def _f64_unary(name: str, fn, doc: str):
    def op(a: int) -> int:
        return _from_bytes(_pack_f64(*[fn(x) for x in _unpack_f64(a.to_bytes(16, "little"))]), "little")

    return _named(op, name, doc)


f32x4_sqrt = _f32_unary("f32x4_sqrt", _n.f64_sqrt, "f32x4.sqrt: lane-wise square root, rounded to f32.")
f64x2_sqrt = _f64_unary("f64x2_sqrt", _n.f64_sqrt, "f64x2.sqrt: lane-wise square root.")
# ceil/floor/trunc/nearest of an f32 value are f32 values: no rounding happens.
f32x4_ceil = _f32_unary("f32x4_ceil", _n.f64_ceil, "f32x4.ceil: lane-wise round toward +inf.")
f32x4_floor = _f32_unary("f32x4_floor", _n.f64_floor, "f32x4.floor: lane-wise round toward -inf.")
f32x4_trunc = _f32_unary("f32x4_trunc", _n.f64_trunc, "f32x4.trunc: lane-wise round toward zero.")
f32x4_nearest = _f32_unary("f32x4_nearest", _n.f64_nearest, "f32x4.nearest: lane-wise round to nearest, ties to even.")
f64x2_ceil = _f64_unary("f64x2_ceil", _n.f64_ceil, "f64x2.ceil: lane-wise round toward +inf.")
f64x2_floor = _f64_unary("f64x2_floor", _n.f64_floor, "f64x2.floor: lane-wise round toward -inf.")
f64x2_trunc = _f64_unary("f64x2_trunc", _n.f64_trunc, "f64x2.trunc: lane-wise round toward zero.")
f64x2_nearest = _f64_unary("f64x2_nearest", _n.f64_nearest, "f64x2.nearest: lane-wise round to nearest, ties to even.")

# min/max return an operand or a NaN: no rounding. numeric's fmin/fmax order
# -0.0 below +0.0 and propagate NaN, as the spec's fmin/fmax do.
f32x4_min = lanewise(
    "f32x4_min",
    "f32 f32",
    "_min(x, y)",
    "f32",
    "f32x4.min: lane-wise IEEE-style min (NaN wins, -0 < +0).",
    {"_min": _n.f64_min},
)
f32x4_max = lanewise(
    "f32x4_max",
    "f32 f32",
    "_max(x, y)",
    "f32",
    "f32x4.max: lane-wise IEEE-style max (NaN wins, -0 < +0).",
    {"_max": _n.f64_max},
)
f64x2_min = lanewise(
    "f64x2_min",
    "f64 f64",
    "_min(x, y)",
    "f64",
    "f64x2.min: lane-wise IEEE-style min (NaN wins, -0 < +0).",
    {"_min": _n.f64_min},
)
f64x2_max = lanewise(
    "f64x2_max",
    "f64 f64",
    "_max(x, y)",
    "f64",
    "f64x2.max: lane-wise IEEE-style max (NaN wins, -0 < +0).",
    {"_max": _n.f64_max},
)


# pmin(a, b) = b < a ? b : a and pmax(a, b) = a < b ? b : a, on values; the
# chosen lane's bit pattern is copied unchanged (a NaN operand is never "less").
def _pseudo(name: str, width: int, pick_b: str, doc: str):
    fshape, ushape = ("f32", "u32") if width == 32 else ("f64", "u64")
    funpack = STRUCTS[fshape].unpack
    uunpack = STRUCTS[ushape].unpack
    upack = STRUCTS[ushape].pack
    source = (
        f"def {name}(a, b):\n"
        f"    ab = a.to_bytes(16, 'little')\n"
        f"    bb = b.to_bytes(16, 'little')\n"
        f"    return _from_bytes(_upack(*[bu if {pick_b} else au for x, y, au, bu in "
        f"zip(_funpack(ab), _funpack(bb), _uunpack(ab), _uunpack(bb))]), 'little')\n"
    )
    namespace = {"_funpack": funpack, "_uunpack": uunpack, "_upack": upack, "_from_bytes": _from_bytes}
    exec(compile(source, f"<pywaz.simd {name}>", "exec"), namespace)  # noqa: S102 (fixed template)
    return _named(namespace[name], name, doc)


f32x4_pmin = _pseudo("f32x4_pmin", 32, "y < x", "f32x4.pmin: lane-wise ``b < a ? b : a`` (bit patterns kept).")
f32x4_pmax = _pseudo("f32x4_pmax", 32, "x < y", "f32x4.pmax: lane-wise ``a < b ? b : a`` (bit patterns kept).")
f64x2_pmin = _pseudo("f64x2_pmin", 64, "y < x", "f64x2.pmin: lane-wise ``b < a ? b : a`` (bit patterns kept).")
f64x2_pmax = _pseudo("f64x2_pmax", 64, "x < y", "f64x2.pmax: lane-wise ``a < b ? b : a`` (bit patterns kept).")

# ------------------------------------------------------------------ comparisons

_COMPARE_OPS = {"eq": "==", "ne": "!=", "lt": "<", "gt": ">", "le": "<=", "ge": ">="}


def _float_compare(prefix: str, op: str):
    width = 32 if prefix == "f32x4" else 64
    shape = "f32" if width == 32 else "f64"
    name = f"{prefix}_{op}"
    return lanewise(
        name,
        f"{shape} {shape}",
        f"({(1 << width) - 1} if x {_COMPARE_OPS[op]} y else 0)",
        f"u{width}",
        f"{prefix}.{op}: all ones where the IEEE comparison holds (false for NaN, ne true), else zero.",
    )


for _prefix in ("f32x4", "f64x2"):
    for _op in _COMPARE_OPS:
        globals()[f"{_prefix}_{_op}"] = _float_compare(_prefix, _op)
del _prefix, _op
