"""SIMD lane library: every WebAssembly 2.0 0xFD instruction on v128 ints (execution §4.4.3, §4.4.7).

What enters and leaves: v128 values are ``int`` in [0, 2**128) with lane 0 in
the low bits (:mod:`pywaz.numeric`); scalar operands and results follow the
scalar representation (i32/i64 unsigned ints, f32/f64 floats). Every function
is pure. ``SIMD_OPS``/``SIMD_ARITY`` (:mod:`.table`) map opcodes to the lane
functions for generic dispatch; :mod:`.memory` holds the load/store forms.

Implementation choice per family, measured with ``tests/simd/measure_lanes.py``
(CPython 3.11, numpy 2.4; ns per call, lower is better; see that script for the
exact numbers on your machine):

* add/sub/neg (all widths), shifts, bitwise ops, bitselect, i64x2.mul,
  f32x4/f64x2 abs/neg, splat, extract/replace_lane: **whole-int arithmetic**
  on the 128-bit int ("SIMD within a register"), ~0.1-0.3 us, where any lane
  split already costs more.
* swizzle, shuffle, popcnt: **bytes.translate** (a C byte gather), ~0.3 us.
* every other lane-wise op (saturating, min/max, avgr, mul, compares,
  narrow/extend, extmul, float arithmetic and conversions): **struct
  unpack/pack plus one comprehension** with the lane rule inlined, ~1-2 us.
* **numpy is not used**: converting a 16-byte int to an ndarray and back
  alone (``np.frombuffer`` + ``tobytes`` + ``int.from_bytes``) costs about as
  much as the whole struct path, each ufunc call adds ~0.5-1 us, and float
  ops need ``np.errstate`` to silence warnings, so numpy measured 1.5-4x
  slower for every family on 16-byte vectors. It pays off only for long
  arrays, which single wasm instructions never are.
"""

from . import convert, floating, integer, lanes, memory
from .memory import LOAD_SIZES, MEMORY_OPS, RAW_LOADS, STORE_SIZES
from .table import SIMD_ARITY, SIMD_OPS

__all__ = [
    "LOAD_SIZES",
    "MEMORY_OPS",
    "RAW_LOADS",
    "SIMD_ARITY",
    "SIMD_OPS",
    "STORE_SIZES",
    "convert",
    "floating",
    "integer",
    "lanes",
    "memory",
]
