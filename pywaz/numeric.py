"""Value representation and the numeric helpers both engines share.

How pywaz represents wasm values in Python (every engine, the host API and the
cache agree on this):

* ``i32``/``i64``: ``int`` in unsigned canonical form (0 <= v < 2**N).
* ``f64``: a Python ``float`` (a C double: holds every f64 bit pattern, sNaN
  payloads included, and ``-x``/``abs``/``copysign`` keep them).
* ``f32``: a Python ``float`` whose value is exactly representable as an f32.
  A C float->double conversion quiets a signalling NaN (0x7fa00001 becomes
  0x7fe00001), so NaNs are widened by hand: the 23-bit f32 payload goes into the
  top of the 52-bit f64 payload, quiet bit included. :func:`f32_from_bits` and
  :func:`f32_to_bits` are exact inverses for every one of the 2**32 patterns.
* ``v128``: ``int`` in [0, 2**128), lane 0 in the low bits.
* ``funcref``: a function object or None; ``externref``: any Python object, None
  being the null reference.
"""

from __future__ import annotations

import math
import operator
import struct

_F32 = struct.Struct("<f")
_U32 = struct.Struct("<I")
_F64 = struct.Struct("<d")
_U64 = struct.Struct("<Q")

_f32_pack = _F32.pack
_f32_unpack = _F32.unpack
_u32_pack = _U32.pack
_u32_unpack = _U32.unpack
_f64_pack = _F64.pack
_f64_unpack = _F64.unpack
_u64_pack = _U64.pack
_u64_unpack = _U64.unpack

F32_MAX = 3.4028234663852886e38
# Values at or above this magnitude round to infinity in f32 (FLT_MAX + half an ulp).
_F32_OVERFLOW = 3.4028235677973366e38


def f32_from_bits(bits: int) -> float:
    """The f32 value with IEEE bit pattern ``bits`` (NaN payloads kept exactly)."""
    if bits & 0x7F800000 == 0x7F800000 and bits & 0x007FFFFF:
        # NaN: widen by hand so a signalling NaN stays signalling.
        return _f64_unpack(_u64_pack(((bits & 0x80000000) << 32) | 0x7FF0000000000000 | ((bits & 0x007FFFFF) << 29)))[0]
    return _f32_unpack(_u32_pack(bits))[0]


def f32_to_bits(value: float) -> int:
    """The IEEE bit pattern of the f32 ``value`` (inverse of :func:`f32_from_bits`)."""
    if value != value:
        bits64 = _u64_unpack(_f64_pack(value))[0]
        return ((bits64 >> 32) & 0x80000000) | 0x7F800000 | ((bits64 >> 29) & 0x007FFFFF)
    return _u32_unpack(_f32_pack(value))[0]


def f64_from_bits(bits: int) -> float:
    """The f64 value with IEEE bit pattern ``bits``."""
    return _f64_unpack(_u64_pack(bits))[0]


def f64_to_bits(value: float) -> int:
    """The IEEE bit pattern of the f64 ``value``."""
    return _u64_unpack(_f64_pack(value))[0]


def f32_round(value: float) -> float:
    """Round a double to the nearest f32 (ties to even), as f32 arithmetic must.

    Computing an f32 add/sub/mul/div/sqrt in double and rounding once is exact
    (double has more than 2*24+2 bits), so engines use this after each op.
    """
    try:
        return _f32_unpack(_f32_pack(value))[0]
    except OverflowError:
        # struct refuses finite values that round to infinity; IEEE rounds them
        # to +-inf (anything at or past FLT_MAX + half an ulp) or to +-FLT_MAX.
        if value >= _F32_OVERFLOW:
            return math.inf
        if value <= -_F32_OVERFLOW:
            return -math.inf
        return F32_MAX if value > 0 else -F32_MAX


# ---------------------------------------------------------------------------
# Integer helpers (execution §4.3.2). Inputs are unsigned canonical ints;
# every result is masked back to unsigned canonical form.

MASK32 = 0xFFFFFFFF
MASK64 = 0xFFFFFFFFFFFFFFFF
_SIGN32 = 0x80000000
_SIGN64 = 0x8000000000000000
_WRAP32 = 0x100000000
_WRAP64 = 0x10000000000000000

_INF = math.inf
_NAN = math.nan
_copysign = math.copysign
_isfinite = math.isfinite
_trunc = math.trunc
_floor = math.floor
_ceil = math.ceil


def _trap(kind_name: str):
    from .errors import Trap, TrapKind

    raise Trap(TrapKind[kind_name])


def as_s32(value: int) -> int:
    """The signed view of an unsigned i32."""
    return value - _WRAP32 if value & _SIGN32 else value


def as_s64(value: int) -> int:
    """The signed view of an unsigned i64."""
    return value - _WRAP64 if value & _SIGN64 else value


def i32_clz(a: int) -> int:
    return 32 - a.bit_length()


def i64_clz(a: int) -> int:
    return 64 - a.bit_length()


def i32_ctz(a: int) -> int:
    return (a & -a).bit_length() - 1 if a else 32


def i64_ctz(a: int) -> int:
    return (a & -a).bit_length() - 1 if a else 64


def i32_popcnt(a: int) -> int:
    return a.bit_count()


i64_popcnt = i32_popcnt


def i32_div_s(a: int, b: int) -> int:
    """Signed division truncating toward zero; traps on /0 and INT_MIN/-1 (spec idiv_s)."""
    if not b:
        _trap("INT_DIV_BY_ZERO")
    a = a - _WRAP32 if a & _SIGN32 else a
    b = b - _WRAP32 if b & _SIGN32 else b
    if a == -0x80000000 and b == -1:
        _trap("INT_OVERFLOW")
    # Python's // floors; wasm truncates, so divide magnitudes and fix the sign.
    q = abs(a) // abs(b)
    return (-q if (a < 0) != (b < 0) else q) & MASK32


def i64_div_s(a: int, b: int) -> int:
    if not b:
        _trap("INT_DIV_BY_ZERO")
    a = a - _WRAP64 if a & _SIGN64 else a
    b = b - _WRAP64 if b & _SIGN64 else b
    if a == -0x8000000000000000 and b == -1:
        _trap("INT_OVERFLOW")
    q = abs(a) // abs(b)
    return (-q if (a < 0) != (b < 0) else q) & MASK64


def i32_div_u(a: int, b: int) -> int:
    if not b:
        _trap("INT_DIV_BY_ZERO")
    return a // b


i64_div_u = i32_div_u


def i32_rem_s(a: int, b: int) -> int:
    """Signed remainder with the dividend's sign (spec irem_s); INT_MIN % -1 is 0."""
    if not b:
        _trap("INT_DIV_BY_ZERO")
    a = a - _WRAP32 if a & _SIGN32 else a
    b = b - _WRAP32 if b & _SIGN32 else b
    r = abs(a) % abs(b)
    return (-r if a < 0 else r) & MASK32


def i64_rem_s(a: int, b: int) -> int:
    if not b:
        _trap("INT_DIV_BY_ZERO")
    a = a - _WRAP64 if a & _SIGN64 else a
    b = b - _WRAP64 if b & _SIGN64 else b
    r = abs(a) % abs(b)
    return (-r if a < 0 else r) & MASK64


def i32_rem_u(a: int, b: int) -> int:
    if not b:
        _trap("INT_DIV_BY_ZERO")
    return a % b


i64_rem_u = i32_rem_u


def i32_shl(a: int, b: int) -> int:
    return (a << (b & 31)) & MASK32


def i64_shl(a: int, b: int) -> int:
    return (a << (b & 63)) & MASK64


def i32_shr_s(a: int, b: int) -> int:
    return ((a - _WRAP32 if a & _SIGN32 else a) >> (b & 31)) & MASK32


def i64_shr_s(a: int, b: int) -> int:
    return ((a - _WRAP64 if a & _SIGN64 else a) >> (b & 63)) & MASK64


def i32_shr_u(a: int, b: int) -> int:
    return a >> (b & 31)


def i64_shr_u(a: int, b: int) -> int:
    return a >> (b & 63)


def i32_rotl(a: int, b: int) -> int:
    b &= 31
    return ((a << b) | (a >> (32 - b))) & MASK32


def i64_rotl(a: int, b: int) -> int:
    b &= 63
    return ((a << b) | (a >> (64 - b))) & MASK64


def i32_rotr(a: int, b: int) -> int:
    b &= 31
    return ((a >> b) | (a << (32 - b))) & MASK32


def i64_rotr(a: int, b: int) -> int:
    b &= 63
    return ((a >> b) | (a << (64 - b))) & MASK64


def i32_extend8_s(a: int) -> int:
    a &= 0xFF
    return (a - 0x100) & MASK32 if a & 0x80 else a


def i32_extend16_s(a: int) -> int:
    a &= 0xFFFF
    return (a - 0x10000) & MASK32 if a & 0x8000 else a


def i64_extend8_s(a: int) -> int:
    a &= 0xFF
    return (a - 0x100) & MASK64 if a & 0x80 else a


def i64_extend16_s(a: int) -> int:
    a &= 0xFFFF
    return (a - 0x10000) & MASK64 if a & 0x8000 else a


def i64_extend32_s(a: int) -> int:
    a &= MASK32
    return (a - _WRAP32) & MASK64 if a & _SIGN32 else a


def i64_extend_i32_s(a: int) -> int:
    return (a - _WRAP32) & MASK64 if a & _SIGN32 else a


def i32_wrap_i64(a: int) -> int:
    return a & MASK32


# ---------------------------------------------------------------------------
# Float helpers (execution §4.3.3). f64 ops work on Python floats directly;
# the f32 variants round the double result with f32_round, which is exact for
# add/sub/mul/div/sqrt because a double holds more than 2*24+2 bits.
# NaN results come from an arithmetic op on a NaN operand (``a + b``), so the
# hardware propagates the payload and sets the quiet bit: that is the spec's
# "arithmetic NaN", and a canonical NaN operand stays canonical.


def f64_div(a: float, b: float) -> float:
    """IEEE division (Python raises ZeroDivisionError for x/0.0)."""
    try:
        return a / b
    except ZeroDivisionError:
        if a != a:
            return a + b
        if a == 0.0:
            return _NAN
        return _copysign(_INF, a) * _copysign(1.0, b)


def f32_add(a: float, b: float) -> float:
    return f32_round(a + b)


def f32_sub(a: float, b: float) -> float:
    return f32_round(a - b)


def f32_mul(a: float, b: float) -> float:
    return f32_round(a * b)


def f32_div(a: float, b: float) -> float:
    try:
        return f32_round(a / b)
    except ZeroDivisionError:
        return f32_round(f64_div(a, b))


# math.sqrt quiets a NaN operand itself and raises only for a negative one
# (-0.0 gives -0.0); try/except keeps the common path free of extra tests.


def f64_sqrt(a: float) -> float:
    try:
        return math.sqrt(a)
    except ValueError:
        return _NAN


def f32_sqrt(a: float) -> float:
    try:
        return f32_round(math.sqrt(a))
    except ValueError:
        return _NAN


def f64_min(a: float, b: float) -> float:
    """fmin: NaN if either is NaN; -0.0 is below +0.0 (spec fmin)."""
    if a != a or b != b:
        return a + b
    if a == b:
        # Equal values only differ in the sign of zero; prefer the negative one.
        return a if _copysign(1.0, a) < 0.0 else b
    return a if a < b else b


def f64_max(a: float, b: float) -> float:
    """fmax: NaN if either is NaN; +0.0 is above -0.0 (spec fmax)."""
    if a != a or b != b:
        return a + b
    if a == b:
        return b if _copysign(1.0, a) < 0.0 else a
    return a if a > b else b


f32_min = f64_min  # min/max return an operand (or a NaN derived from one): no rounding needed
f32_max = f64_max


# A NaN or infinity comes back as ``a * 1.0``: a NaN quieted (payload kept), an
# infinity unchanged.


def f64_ceil(a: float) -> float:
    if not _isfinite(a):
        return a * 1.0
    # copysign keeps the zero sign: ceil(-0.5) is -0.0.
    return _copysign(float(_ceil(a)), a)


def f64_floor(a: float) -> float:
    if not _isfinite(a):
        return a * 1.0
    return _copysign(float(_floor(a)), a)


def f64_trunc(a: float) -> float:
    if not _isfinite(a):
        return a * 1.0
    return _copysign(float(_trunc(a)), a)


def f64_nearest(a: float) -> float:
    """Round to nearest, ties to even (Python's round() is ties-to-even)."""
    if not _isfinite(a):
        return a * 1.0
    # Past 2**52 every double is integral and round() gives it back exactly.
    return _copysign(float(round(a)), a)


# An f32 value is a double with an f32-exact value, and the rounded results of
# these four are f32-exact too, so the f64 helpers serve f32 unchanged.
f32_ceil = f64_ceil
f32_floor = f64_floor
f32_trunc = f64_trunc
f32_nearest = f64_nearest


def f64_abs(a: float) -> float:
    return abs(a)  # C fabs: clears the sign bit only, NaN payload kept


def f64_neg(a: float) -> float:
    return -a  # flips the sign bit only, NaN payload kept


def f64_copysign(a: float, b: float) -> float:
    return _copysign(a, b)


f32_abs = f64_abs
f32_neg = f64_neg
f32_copysign = f64_copysign


# ---------------------------------------------------------------------------
# Conversions (execution §4.3.4).


# The range checks compare against exact doubles before truncating: a value
# strictly between ``lo`` and ``hi`` truncates into the target range (for i32
# signed, -2**31 - 1 < a < 2**31), and comparing floats is cheaper than
# building the int first.


def _trunc_checked(a: float, lo: float, hi: float, mask: int) -> int:
    if a != a:
        _trap("INVALID_CONVERSION")
    if not (lo < a < hi):
        _trap("INT_OVERFLOW")
    return int(a) & mask


def i32_trunc_s(a: float) -> int:
    """i32.trunc_f32_s / i32.trunc_f64_s: trap on NaN or out of range."""
    return _trunc_checked(a, -2147483649.0, 2147483648.0, MASK32)


def i32_trunc_u(a: float) -> int:
    return _trunc_checked(a, -1.0, 4294967296.0, MASK32)


def i64_trunc_s(a: float) -> int:
    # -2**63 - 1 is not a double: -2**63 itself is in range, so the low bound is inclusive.
    if a != a:
        _trap("INVALID_CONVERSION")
    if not (-9223372036854775808.0 <= a < 9223372036854775808.0):
        _trap("INT_OVERFLOW")
    return int(a) & MASK64


def i64_trunc_u(a: float) -> int:
    return _trunc_checked(a, -1.0, 18446744073709551616.0, MASK64)


def _trunc_sat(a: float, lo: int, hi: int, mask: int) -> int:
    if a != a:
        return 0
    if a >= hi:
        return hi & mask
    if a <= lo:
        return lo & mask
    return _trunc(a) & mask


def i32_trunc_sat_s(a: float) -> int:
    """Saturating truncation (non-trapping float-to-int): NaN is 0, out of range clamps."""
    return _trunc_sat(a, -0x80000000, 0x7FFFFFFF, MASK32)


def i32_trunc_sat_u(a: float) -> int:
    return _trunc_sat(a, 0, MASK32, MASK32)


def i64_trunc_sat_s(a: float) -> int:
    return _trunc_sat(a, -0x8000000000000000, 0x7FFFFFFFFFFFFFFF, MASK64)


def i64_trunc_sat_u(a: float) -> int:
    return _trunc_sat(a, 0, MASK64, MASK64)


def int_to_f32(n: int) -> float:
    """The f32 nearest to the exact integer ``n`` (ties to even), rounded once.

    ``float(n)`` would round to double first; for |n| > 2**53 that double
    rounding can differ from rounding straight to f32, so round the integer's
    bits by hand there.
    """
    if -9007199254740992 <= n <= 9007199254740992:
        return f32_round(float(n))
    m = -n if n < 0 else n
    shift = m.bit_length() - 24
    q = m >> shift
    rest = m & ((1 << shift) - 1)
    half = 1 << (shift - 1)
    if rest > half or (rest == half and q & 1):
        q += 1
    value = float(q << shift)  # exact: at most 25 significant bits
    value = f32_round(value)  # only matters past FLT_MAX (overflow to inf)
    return -value if n < 0 else value


def f32_convert_i32_s(a: int) -> float:
    return f32_round(float(a - _WRAP32 if a & _SIGN32 else a))


def f32_convert_i32_u(a: int) -> float:
    return f32_round(float(a))


def f32_convert_i64_s(a: int) -> float:
    return int_to_f32(a - _WRAP64 if a & _SIGN64 else a)


def f32_convert_i64_u(a: int) -> float:
    return int_to_f32(a)


def f64_convert_i32_s(a: int) -> float:
    return float(a - _WRAP32 if a & _SIGN32 else a)


def f64_convert_i32_u(a: int) -> float:
    return float(a)


def f64_convert_i64_s(a: int) -> float:
    return float(a - _WRAP64 if a & _SIGN64 else a)  # int.__float__ rounds correctly


def f64_convert_i64_u(a: int) -> float:
    return float(a)


def f32_demote_f64(a: float) -> float:
    return f32_round(a)  # a NaN keeps its top payload bits and becomes quiet


def f64_promote_f32(a: float) -> float:
    return a + 0.0 if a != a else a  # only a NaN changes: it must come out quiet


def i32_reinterpret_f32(a: float) -> int:
    return f32_to_bits(a)


def i64_reinterpret_f64(a: float) -> int:
    return _u64_unpack(_f64_pack(a))[0]


def f32_reinterpret_i32(a: int) -> float:
    return f32_from_bits(a)


def f64_reinterpret_i64(a: int) -> float:
    return _f64_unpack(_u64_pack(a))[0]


def f32_nan_bits_canonical(bits: int) -> bool:
    """Whether an f32 bit pattern is a canonical NaN (either sign)."""
    return bits & 0x7FFFFFFF == 0x7FC00000


def f32_nan_bits_arithmetic(bits: int) -> bool:
    """Whether an f32 bit pattern is an arithmetic (quiet) NaN."""
    return bits & 0x7FC00000 == 0x7FC00000


def f64_nan_bits_canonical(bits: int) -> bool:
    return bits & 0x7FFFFFFFFFFFFFFF == 0x7FF8000000000000


def f64_nan_bits_arithmetic(bits: int) -> bool:
    return bits & 0x7FF8000000000000 == 0x7FF8000000000000


# ---------------------------------------------------------------------------
# Opcode -> helper tables for the simple numeric instructions, so each engine
# maps an opcode to its semantics in one place. Keys are pywaz.opcodes numbers.

UNARY_OPS = {
    0x45: lambda a: 0 if a else 1,  # i32.eqz
    0x50: lambda a: 0 if a else 1,  # i64.eqz
    0x67: i32_clz,
    0x68: i32_ctz,
    0x69: i32_popcnt,
    0x79: i64_clz,
    0x7A: i64_ctz,
    0x7B: i64_popcnt,
    0x8B: f32_abs,
    0x8C: f32_neg,
    0x8D: f32_ceil,
    0x8E: f32_floor,
    0x8F: f32_trunc,
    0x90: f32_nearest,
    0x91: f32_sqrt,
    0x99: f64_abs,
    0x9A: f64_neg,
    0x9B: f64_ceil,
    0x9C: f64_floor,
    0x9D: f64_trunc,
    0x9E: f64_nearest,
    0x9F: f64_sqrt,
    0xA7: i32_wrap_i64,
    0xA8: i32_trunc_s,
    0xA9: i32_trunc_u,
    0xAA: i32_trunc_s,
    0xAB: i32_trunc_u,
    0xAC: i64_extend_i32_s,
    0xAD: lambda a: a,  # i64.extend_i32_u: already unsigned
    0xAE: i64_trunc_s,
    0xAF: i64_trunc_u,
    0xB0: i64_trunc_s,
    0xB1: i64_trunc_u,
    0xB2: f32_convert_i32_s,
    0xB3: f32_convert_i32_u,
    0xB4: f32_convert_i64_s,
    0xB5: f32_convert_i64_u,
    0xB6: f32_demote_f64,
    0xB7: f64_convert_i32_s,
    0xB8: f64_convert_i32_u,
    0xB9: f64_convert_i64_s,
    0xBA: f64_convert_i64_u,
    0xBB: f64_promote_f32,
    0xBC: i32_reinterpret_f32,
    0xBD: i64_reinterpret_f64,
    0xBE: f32_reinterpret_i32,
    0xBF: f64_reinterpret_i64,
    0xC0: i32_extend8_s,
    0xC1: i32_extend16_s,
    0xC2: i64_extend8_s,
    0xC3: i64_extend16_s,
    0xC4: i64_extend32_s,
    0xFC00: i32_trunc_sat_s,
    0xFC01: i32_trunc_sat_u,
    0xFC02: i32_trunc_sat_s,
    0xFC03: i32_trunc_sat_u,
    0xFC04: i64_trunc_sat_s,
    0xFC05: i64_trunc_sat_u,
    0xFC06: i64_trunc_sat_s,
    0xFC07: i64_trunc_sat_u,
}
"""Unary numeric instructions: opcode -> ``fn(a)`` returning the result value."""

BINARY_OPS = {
    0x46: lambda a, b: 1 if a == b else 0,  # i32.eq
    0x47: lambda a, b: 1 if a != b else 0,  # i32.ne
    0x48: lambda a, b: 1 if (a ^ _SIGN32) < (b ^ _SIGN32) else 0,  # i32.lt_s (flip sign bit = signed order)
    0x49: lambda a, b: 1 if a < b else 0,
    0x4A: lambda a, b: 1 if (a ^ _SIGN32) > (b ^ _SIGN32) else 0,
    0x4B: lambda a, b: 1 if a > b else 0,
    0x4C: lambda a, b: 1 if (a ^ _SIGN32) <= (b ^ _SIGN32) else 0,
    0x4D: lambda a, b: 1 if a <= b else 0,
    0x4E: lambda a, b: 1 if (a ^ _SIGN32) >= (b ^ _SIGN32) else 0,
    0x4F: lambda a, b: 1 if a >= b else 0,
    0x51: lambda a, b: 1 if a == b else 0,  # i64.eq
    0x52: lambda a, b: 1 if a != b else 0,
    0x53: lambda a, b: 1 if (a ^ _SIGN64) < (b ^ _SIGN64) else 0,
    0x54: lambda a, b: 1 if a < b else 0,
    0x55: lambda a, b: 1 if (a ^ _SIGN64) > (b ^ _SIGN64) else 0,
    0x56: lambda a, b: 1 if a > b else 0,
    0x57: lambda a, b: 1 if (a ^ _SIGN64) <= (b ^ _SIGN64) else 0,
    0x58: lambda a, b: 1 if a <= b else 0,
    0x59: lambda a, b: 1 if (a ^ _SIGN64) >= (b ^ _SIGN64) else 0,
    0x5A: lambda a, b: 1 if a >= b else 0,
    0x5B: lambda a, b: 1 if a == b else 0,  # f32.eq (NaN compares unequal, as IEEE says)
    0x5C: lambda a, b: 1 if a != b else 0,
    0x5D: lambda a, b: 1 if a < b else 0,
    0x5E: lambda a, b: 1 if a > b else 0,
    0x5F: lambda a, b: 1 if a <= b else 0,
    0x60: lambda a, b: 1 if a >= b else 0,
    0x61: lambda a, b: 1 if a == b else 0,  # f64.eq
    0x62: lambda a, b: 1 if a != b else 0,
    0x63: lambda a, b: 1 if a < b else 0,
    0x64: lambda a, b: 1 if a > b else 0,
    0x65: lambda a, b: 1 if a <= b else 0,
    0x66: lambda a, b: 1 if a >= b else 0,
    0x6A: lambda a, b: (a + b) & MASK32,
    0x6B: lambda a, b: (a - b) & MASK32,
    0x6C: lambda a, b: (a * b) & MASK32,
    0x6D: i32_div_s,
    0x6E: i32_div_u,
    0x6F: i32_rem_s,
    0x70: i32_rem_u,
    0x71: operator.and_,  # C-level callables: cheaper to call than a lambda, and exact here
    0x72: operator.or_,
    0x73: operator.xor,
    0x74: i32_shl,
    0x75: i32_shr_s,
    0x76: i32_shr_u,
    0x77: i32_rotl,
    0x78: i32_rotr,
    0x7C: lambda a, b: (a + b) & MASK64,
    0x7D: lambda a, b: (a - b) & MASK64,
    0x7E: lambda a, b: (a * b) & MASK64,
    0x7F: i64_div_s,
    0x80: i64_div_u,
    0x81: i64_rem_s,
    0x82: i64_rem_u,
    0x83: operator.and_,
    0x84: operator.or_,
    0x85: operator.xor,
    0x86: i64_shl,
    0x87: i64_shr_s,
    0x88: i64_shr_u,
    0x89: i64_rotl,
    0x8A: i64_rotr,
    0x92: f32_add,
    0x93: f32_sub,
    0x94: f32_mul,
    0x95: f32_div,
    0x96: f32_min,
    0x97: f32_max,
    0x98: f32_copysign,
    0xA0: operator.add,  # f64.add/sub/mul: Python float arithmetic is IEEE double
    0xA1: operator.sub,
    0xA2: operator.mul,
    0xA3: f64_div,
    0xA4: f64_min,
    0xA5: f64_max,
    0xA6: f64_copysign,
}
"""Binary numeric instructions: opcode -> ``fn(a, b)`` (``a`` is the deeper operand)."""
