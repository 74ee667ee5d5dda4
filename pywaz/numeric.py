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
