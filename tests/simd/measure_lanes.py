"""Measure lane-op implementations: whole-int / struct (what pywaz.simd uses) against numpy.

Not a test (no timing assertions): run ``python3 tests/simd/measure_lanes.py``
and compare the columns. The numbers back the per-family choice recorded in
the ``pywaz.simd`` module docstring.
"""

from __future__ import annotations

import random
import sys
import timeit

import numpy as np

from pywaz.simd import convert, floating, integer, lanes

_rng = random.Random(1)
A = _rng.getrandbits(128)
B = _rng.getrandbits(128)
# finite f32 lanes, so numpy does not warn
F32A = int.from_bytes(np.array([1.5, -2.25, 3e10, 7.0], np.float32).tobytes(), "little")
F32B = int.from_bytes(np.array([0.5, 4.0, -1e-3, 9.5], np.float32).tobytes(), "little")


def _np(value, dtype):
    return np.frombuffer(value.to_bytes(16, "little"), dtype)


def _back(array):
    return int.from_bytes(array.tobytes(), "little")


NUMPY = {
    "i8x16.add": lambda a, b: _back(_np(a, np.uint8) + _np(b, np.uint8)),
    "i8x16.add_sat_s": lambda a, b: _back(
        np.clip(_np(a, np.int8).astype(np.int16) + _np(b, np.int8), -128, 127).astype(np.int8)
    ),
    "i16x8.mul": lambda a, b: _back(_np(a, np.uint16) * _np(b, np.uint16)),
    "i32x4.lt_s": lambda a, b: _back((_np(a, np.int32) < _np(b, np.int32)).astype(np.int32) * -1),
    "i8x16.min_u": lambda a, b: _back(np.minimum(_np(a, np.uint8), _np(b, np.uint8))),
    "i8x16.shl": lambda a, b: _back(_np(a, np.uint8) << np.uint8(b & 7)),
    "v128.and": lambda a, b: _back(_np(a, np.uint8) & _np(b, np.uint8)),
    "i8x16.swizzle": lambda a, b: _back(
        np.where(_np(b, np.uint8) < 16, np.append(_np(a, np.uint8), 0)[np.minimum(_np(b, np.uint8), 16)], 0)
    ),
    "i16x8.extend_low_i8x16_s": lambda a, b: _back(_np(a, np.int8)[:8].astype(np.int16)),
    "f32x4.add": lambda a, b: _back(_np(a, np.float32) + _np(b, np.float32)),
    "f32x4.mul": lambda a, b: _back(_np(a, np.float32) * _np(b, np.float32)),
    "f64x2.sqrt": lambda a, b: _back(np.sqrt(_np(a, np.float64))),
}

OURS = {
    "i8x16.add": integer.i8x16_add,
    "i8x16.add_sat_s": integer.i8x16_add_sat_s,
    "i16x8.mul": integer.i16x8_mul,
    "i32x4.lt_s": integer.i32x4_lt_s,
    "i8x16.min_u": integer.i8x16_min_u,
    "i8x16.shl": lambda a, b: integer.i8x16_shl(a, b & 0xFF),
    "v128.and": integer.v128_and,
    "i8x16.swizzle": lanes.i8x16_swizzle,
    "i16x8.extend_low_i8x16_s": lambda a, b: convert.i16x8_extend_low_i8x16_s(a),
    "f32x4.add": floating.f32x4_add,
    "f32x4.mul": floating.f32x4_mul,
    "f64x2.sqrt": lambda a, b: floating.f64x2_sqrt(a & ((1 << 63) - 1)),
}


def main() -> None:
    print(f"Python {sys.version.split()[0]}, numpy {np.__version__}; ns per call")
    print(f"{'op':28} {'pywaz.simd':>11} {'numpy':>9}")
    for name, ours in OURS.items():
        a, b = (F32A, F32B) if name.startswith("f") else (A, B)
        if name == "f64x2.sqrt":
            a = A & ((1 << 63) - 1)
        n = 20000
        t_ours = min(timeit.repeat(lambda ours=ours, a=a, b=b: ours(a, b), number=n, repeat=3)) / n * 1e9
        t_np = min(timeit.repeat(lambda fn=NUMPY[name], a=a, b=b: fn(a, b), number=n, repeat=3)) / n * 1e9
        print(f"{name:28} {t_ours:11.0f} {t_np:9.0f}")


if __name__ == "__main__":
    main()
