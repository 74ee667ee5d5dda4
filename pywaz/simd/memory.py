"""The v128 memory instructions as helpers for engines (execution §4.4.7, memory instructions).

Two forms per load:

* ``v128_load8x8_s(m, ea)`` and friends read the memory's ``bytearray`` ``m``
  at the effective address ``ea`` (the unsigned base plus the memarg offset,
  never negative). A read or write past the end raises ``struct.error`` or
  ``IndexError`` *before* anything is written; the engine maps both to the
  ``out of bounds memory access`` trap, as it does for scalar loads/stores.
* ``RAW_LOADS[op](raw)`` builds the v128 from the bytes the engine already
  read itself (``LOAD_SIZES[op]`` of them), for engines with their own bounds
  checking path; lane loads take ``(raw, v, lane)``.

Stores write the little-endian lane bytes; lane forms ``(m, ea, v, lane)``.
"""

from __future__ import annotations

import struct

from ._lanes import M128, ONES, STRUCTS

_from_bytes = int.from_bytes
_V128 = struct.Struct("<16s")
_load_raw16 = _V128.unpack_from
_store_raw16 = _V128.pack_into
_U8 = struct.Struct("<B")
_U16 = struct.Struct("<H")
_U32 = struct.Struct("<I")
_U64 = struct.Struct("<Q")
_ld8 = _U8.unpack_from
_ld16 = _U16.unpack_from
_ld32 = _U32.unpack_from
_ld64 = _U64.unpack_from
_st8 = _U8.pack_into
_st16 = _U16.pack_into
_st32 = _U32.pack_into
_st64 = _U64.pack_into


def v128_load(m, ea: int) -> int:
    """v128.load: 16 bytes at ``ea``."""
    return _from_bytes(_load_raw16(m, ea)[0], "little")


def v128_store(m, ea: int, v: int) -> None:
    """v128.store: the 16 bytes of ``v`` at ``ea``."""
    _store_raw16(m, ea, v.to_bytes(16, "little"))


def _extend_loader(name: str, in_fmt: str, out_shape: str):
    load = struct.Struct("<" + in_fmt).unpack_from
    unpack = struct.Struct("<" + in_fmt).unpack
    pack = STRUCTS[out_shape].pack

    def from_memory(m, ea: int) -> int:
        return _from_bytes(pack(*load(m, ea)), "little")

    def from_raw(raw: bytes) -> int:
        return _from_bytes(pack(*unpack(raw)), "little")

    doc = f"v128.{name[5:]}: 8 bytes read as {in_fmt} lanes and extended to double width."
    for fn, fn_name in ((from_memory, name), (from_raw, f"raw_{name[5:]}")):
        fn.__name__ = fn.__qualname__ = fn_name
        fn.__doc__ = doc
    return from_memory, from_raw


v128_load8x8_s, raw_load8x8_s = _extend_loader("v128_load8x8_s", "8b", "i16")
v128_load8x8_u, raw_load8x8_u = _extend_loader("v128_load8x8_u", "8B", "u16")
v128_load16x4_s, raw_load16x4_s = _extend_loader("v128_load16x4_s", "4h", "i32")
v128_load16x4_u, raw_load16x4_u = _extend_loader("v128_load16x4_u", "4H", "u32")
v128_load32x2_s, raw_load32x2_s = _extend_loader("v128_load32x2_s", "2i", "i64")
v128_load32x2_u, raw_load32x2_u = _extend_loader("v128_load32x2_u", "2I", "u64")

_ONES8, _ONES16, _ONES32, _ONES64 = ONES[8], ONES[16], ONES[32], ONES[64]


def v128_load8_splat(m, ea: int) -> int:
    """v128.load8_splat: the byte at ``ea`` in every lane."""
    return m[ea] * _ONES8


def v128_load16_splat(m, ea: int) -> int:
    """v128.load16_splat: the 16-bit value at ``ea`` in every lane."""
    return _ld16(m, ea)[0] * _ONES16


def v128_load32_splat(m, ea: int) -> int:
    """v128.load32_splat: the 32-bit value at ``ea`` in every lane."""
    return _ld32(m, ea)[0] * _ONES32


def v128_load64_splat(m, ea: int) -> int:
    """v128.load64_splat: the 64-bit value at ``ea`` in every lane."""
    return _ld64(m, ea)[0] * _ONES64


def v128_load32_zero(m, ea: int) -> int:
    """v128.load32_zero: the 32-bit value at ``ea`` in lane 0, other lanes zero."""
    return _ld32(m, ea)[0]


def v128_load64_zero(m, ea: int) -> int:
    """v128.load64_zero: the 64-bit value at ``ea`` in lane 0, other lane zero."""
    return _ld64(m, ea)[0]


def _lane_loader(width: int, load):
    mask = (1 << width) - 1

    def load_lane(m, ea: int, v: int, lane: int) -> int:
        shift = lane * width
        return (v & (M128 ^ (mask << shift))) | (load(m, ea)[0] << shift)

    load_lane.__name__ = load_lane.__qualname__ = f"v128_load{width}_lane"
    load_lane.__doc__ = f"v128.load{width}_lane: lane ``lane`` of ``v`` replaced by the {width}-bit value at ``ea``."
    return load_lane


def _lane_storer(width: int, store):
    mask = (1 << width) - 1

    def store_lane(m, ea: int, v: int, lane: int) -> None:
        store(m, ea, (v >> (lane * width)) & mask)

    store_lane.__name__ = store_lane.__qualname__ = f"v128_store{width}_lane"
    store_lane.__doc__ = f"v128.store{width}_lane: lane ``lane`` of ``v`` written as {width} bits at ``ea``."
    return store_lane


v128_load8_lane = _lane_loader(8, _ld8)
v128_load16_lane = _lane_loader(16, _ld16)
v128_load32_lane = _lane_loader(32, _ld32)
v128_load64_lane = _lane_loader(64, _ld64)
v128_store8_lane = _lane_storer(8, _st8)
v128_store16_lane = _lane_storer(16, _st16)
v128_store32_lane = _lane_storer(32, _st32)
v128_store64_lane = _lane_storer(64, _st64)


def _raw_lane(width: int):
    mask = (1 << width) - 1

    def raw_load_lane(raw: bytes, v: int, lane: int) -> int:
        shift = lane * width
        return (v & (M128 ^ (mask << shift))) | (_from_bytes(raw, "little") << shift)

    return raw_load_lane


def _raw_splat(ones: int):
    def raw_splat(raw: bytes) -> int:
        return _from_bytes(raw, "little") * ones

    return raw_splat


def _raw_plain(raw: bytes) -> int:
    return _from_bytes(raw, "little")


# opcode -> bytes read (loads) or written (stores)
LOAD_SIZES = {
    0xFD00: 16, 0xFD01: 8, 0xFD02: 8, 0xFD03: 8, 0xFD04: 8, 0xFD05: 8, 0xFD06: 8,
    0xFD07: 1, 0xFD08: 2, 0xFD09: 4, 0xFD0A: 8, 0xFD5C: 4, 0xFD5D: 8,
    0xFD54: 1, 0xFD55: 2, 0xFD56: 4, 0xFD57: 8,
}  # fmt: skip
STORE_SIZES = {0xFD0B: 16, 0xFD58: 1, 0xFD59: 2, 0xFD5A: 4, 0xFD5B: 8}

RAW_LOADS = {
    0xFD00: _raw_plain,
    0xFD01: raw_load8x8_s,
    0xFD02: raw_load8x8_u,
    0xFD03: raw_load16x4_s,
    0xFD04: raw_load16x4_u,
    0xFD05: raw_load32x2_s,
    0xFD06: raw_load32x2_u,
    0xFD07: _raw_splat(_ONES8),
    0xFD08: _raw_splat(_ONES16),
    0xFD09: _raw_splat(_ONES32),
    0xFD0A: _raw_splat(_ONES64),
    0xFD5C: _raw_plain,
    0xFD5D: _raw_plain,
    0xFD54: _raw_lane(8),
    0xFD55: _raw_lane(16),
    0xFD56: _raw_lane(32),
    0xFD57: _raw_lane(64),
}
"""opcode -> build the v128 from the raw little-endian bytes read (lane loads: ``(raw, v, lane)``)."""

MEMORY_OPS = {
    0xFD00: v128_load,
    0xFD01: v128_load8x8_s,
    0xFD02: v128_load8x8_u,
    0xFD03: v128_load16x4_s,
    0xFD04: v128_load16x4_u,
    0xFD05: v128_load32x2_s,
    0xFD06: v128_load32x2_u,
    0xFD07: v128_load8_splat,
    0xFD08: v128_load16_splat,
    0xFD09: v128_load32_splat,
    0xFD0A: v128_load64_splat,
    0xFD0B: v128_store,
    0xFD54: v128_load8_lane,
    0xFD55: v128_load16_lane,
    0xFD56: v128_load32_lane,
    0xFD57: v128_load64_lane,
    0xFD58: v128_store8_lane,
    0xFD59: v128_store16_lane,
    0xFD5A: v128_store32_lane,
    0xFD5B: v128_store64_lane,
    0xFD5C: v128_load32_zero,
    0xFD5D: v128_load64_zero,
}
"""opcode -> memory helper: loads ``(m, ea)``, store ``(m, ea, v)``, lane forms ``(m, ea, v, lane)``."""
