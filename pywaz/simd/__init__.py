"""SIMD lane library: every 0xFD instruction on v128 ints, 2.0 and relaxed SIMD (execution §4.4.3, §4.4.7).

What enters and leaves: v128 values are ``int`` in [0, 2**128) with lane 0 in
the low bits (:mod:`pywaz.numeric`); scalar operands and results follow the
scalar representation (i32/i64 unsigned ints, f32/f64 floats). Every function
is pure. ``SIMD_OPS``/``SIMD_ARITY`` (:mod:`.table`) map opcodes to the lane
functions for generic dispatch; :mod:`.memory` holds the load/store forms.

Implementation choice per family, measured with ``tests/simd/measure_lanes.py``
(CPython 3.11.7, numpy 2.4.6, shared 2-core machine; ns per call, two runs):

==========================  ===========  ===========
op                          pywaz.simd   numpy
==========================  ===========  ===========
i8x16.add (SWAR)            164-185      1457-3115
i8x16.shl (SWAR)            162-387      1564-3203
v128.and (int)              69-82        2790-2935
i32x4.lt_s (SWAR)           886          4938
i8x16.min_u (SWAR)          978          3882
i8x16.swizzle (translate)   343-677      7094-14475
i8x16.add_sat_s (SWAR)      537          9414
(struct, before SWAR)       1831-4479    6458-14892
i16x8.extend_low (struct)   404-553      1858-2710
i16x8.mul (struct)          2680-3074    2705-2782
f32x4.add (struct)          874-1827     1442-2834
f64x2.sqrt (struct)         1237-1336    2008-2015
==========================  ===========  ===========

* add/sub/neg, saturating add/sub, avgr_u, integer comparisons, min/max
  and abs, shifts, extadd_pairwise, bitmask, bitwise ops, bitselect, i32x4/i64x2 mul (i32x4.mul:
  ~1.0 us against ~1.9 us with struct), float abs/neg, splat,
  extract/replace_lane:
  **whole-int arithmetic** on the 128-bit int ("SIMD within a register":
  masks keep carries and borrows inside each lane).
* swizzle, shuffle, popcnt: **bytes.translate** (a C byte gather).
* every other lane-wise op (i16x8 mul and q15mulr, narrow/extend, extmul,
  float arithmetic and conversions): **struct unpack/pack plus one
  comprehension** with the lane rule compiled inline (i16x8.mul stays here:
  eight shifted products measured no faster).
* **numpy is not used**: moving a 16-byte int into an ndarray and back costs
  about as much as the whole struct path, and every ufunc adds more. It was
  never clearly faster on a single vector (i16x8.mul is a tie within noise);
  it pays off only on long arrays, which one wasm instruction never sees.

Relaxed SIMD (:mod:`.relaxed`) takes the spec's deterministic profile for
every instruction: the same bits on every machine, in both engines.
"""

from . import convert, floating, integer, lanes, memory, relaxed
from .memory import LOAD_SIZES, MEMORY_OPS, RAW_LOADS, STORE_SIZES
from .table import SIMD_ARITY, SIMD_OPS, generated_name, generated_namespace

__all__ = [
    "LOAD_SIZES",
    "MEMORY_OPS",
    "RAW_LOADS",
    "SIMD_ARITY",
    "SIMD_OPS",
    "STORE_SIZES",
    "convert",
    "floating",
    "generated_name",
    "generated_namespace",
    "integer",
    "lanes",
    "memory",
    "relaxed",
]
