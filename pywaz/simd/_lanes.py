"""Lane plumbing shared by the SIMD families: lane formats, masks, and a lane-wise op builder.

A v128 is an ``int`` in [0, 2**128) with lane 0 in the low bits, which is the
little-endian byte order ``int.to_bytes(16, "little")`` produces; so one
``struct`` unpack of those 16 bytes splits a vector into its lanes and one pack
joins them back. :func:`lanewise` builds an op whose per-lane rule is a Python
expression compiled into the comprehension itself, so a 16-lane op costs one
unpack, one comprehension and one pack, with no Python call per lane.
"""

from __future__ import annotations

import struct

M128 = (1 << 128) - 1
M64 = 0xFFFFFFFFFFFFFFFF
M32 = 0xFFFFFFFF

# struct formats per lane shape; "f4"/"d2" are float lanes.
FORMATS = {
    "i8": "16b",
    "u8": "16B",
    "i16": "8h",
    "u16": "8H",
    "i32": "4i",
    "u32": "4I",
    "i64": "2q",
    "u64": "2Q",
    "f32": "4f",
    "f64": "2d",
    # half vectors, for the low/high halves that extend and extmul read
    "i8h": "8b",
    "u8h": "8B",
    "i16h": "4h",
    "u16h": "4H",
    "i32h": "2i",
    "u32h": "2I",
}
STRUCTS = {shape: struct.Struct("<" + fmt) for shape, fmt in FORMATS.items()}


def repeat(pattern: int, width: int) -> int:
    """``pattern`` (one lane of ``width`` bits) copied into every lane of a v128."""
    value = 0
    for shift in range(0, 128, width):
        value |= pattern << shift
    return value


# Sign (top) bit of every lane, per lane width.
HIGH_BITS = {w: repeat(1 << (w - 1), w) for w in (8, 16, 32, 64)}
LOW_BITS = {w: M128 ^ HIGH_BITS[w] for w in (8, 16, 32, 64)}
# One in the lowest bit of every lane: multiplying a lane value by it splats it.
ONES = {w: repeat(1, w) for w in (8, 16, 32, 64)}


def split(value: int, shape: str) -> tuple:
    """The lanes of ``value`` in ``shape`` (``"i8"``, ``"u32"``, ``"f64"``...)."""
    return STRUCTS[shape].unpack(value.to_bytes(16, "little"))


def join(lanes, shape: str) -> int:
    """The v128 whose lanes in ``shape`` are ``lanes`` (each must fit the lane)."""
    return int.from_bytes(STRUCTS[shape].pack(*lanes), "little")


def lanewise(name: str, params: str, expr: str, out: str, doc: str, env: dict | None = None):
    """Build ``name(a[, b])`` applying ``expr`` to each lane.

    ``params`` gives the input lane shape per operand (``"i8 i8"``); the lanes
    are bound to ``x`` and ``y``. ``out`` is the result lane shape; ``expr``
    must produce values that fit it. ``env`` adds names ``expr`` may use.
    """
    shapes = params.split()
    args = ("a", "b")[: len(shapes)]
    lane_vars = ("x", "y")[: len(shapes)]
    namespace = {"_from_bytes": int.from_bytes, "_pack": STRUCTS[out].pack}
    sources = []
    for index, (arg, shape) in enumerate(zip(args, shapes)):
        namespace[f"_unpack{index}"] = STRUCTS[shape].unpack
        sources.append(f'_unpack{index}({arg}.to_bytes(16, "little"))')
    if env:
        namespace.update(env)
    if len(shapes) == 1:
        loop = f"for x in {sources[0]}"
    else:
        loop = f"for {', '.join(lane_vars)} in zip({', '.join(sources)})"
    source = f"def {name}({', '.join(args)}):\n    return _from_bytes(_pack(*[{expr} {loop}]), 'little')\n"
    # Source built from fixed templates at import time, never from input.
    exec(compile(source, f"<pywaz.simd {name}>", "exec"), namespace)  # noqa: S102
    function = namespace[name]
    function.__doc__ = doc
    function.__qualname__ = name
    return function
