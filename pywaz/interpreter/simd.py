"""Fixed-width SIMD (the 0xFD instructions of WebAssembly 2.0) on v128 ints.

A v128 value is an ``int`` in [0, 2**128), lane 0 in the low bits. Each helper
splits its operands into lanes with ``struct`` (little-endian, as the spec's
lane order is), applies the scalar rule per lane, and joins the lanes back.
Float lanes go through their bit patterns and the scalar helpers of
:mod:`pywaz.numeric`, so NaN payloads and f32 rounding follow the same rules as
the scalar instructions (execution §4.3, vector operations).

Tables at the bottom map opcodes to: ``UNARY`` ``fn(v)``, ``BINARY``
``fn(a, b)``, ``LANE_UNARY``/``LANE_BINARY`` factories taking the immediate and
returning such a function, and ``MISC`` ``fn(instance, stack, imm)`` for
memory access and ``bitselect``.
"""

from __future__ import annotations

import struct

from .. import numeric as n
from ..errors import Trap, TrapKind

M128 = (1 << 128) - 1
_BYTES = 16

_STRUCTS = {
    fmt: struct.Struct("<" + fmt)
    for fmt in ("16b", "16B", "8h", "8H", "4i", "4I", "2q", "2Q", "8b", "8B", "4h", "4H", "2i", "2I")
}

# lane bits -> (signed fmt, unsigned fmt, mask)
_LANES = {
    8: ("16b", "16B", 0xFF),
    16: ("8h", "8H", 0xFFFF),
    32: ("4i", "4I", 0xFFFFFFFF),
    64: ("2q", "2Q", 0xFFFFFFFFFFFFFFFF),
}


def _split(value: int, fmt: str):
    return _STRUCTS[fmt].unpack(value.to_bytes(_BYTES, "little"))


def _join(fmt: str, lanes) -> int:
    return int.from_bytes(_STRUCTS[fmt].pack(*lanes), "little")


def _unpacker(fmt):
    unpack = _STRUCTS[fmt].unpack

    def split(value):
        return unpack(value.to_bytes(_BYTES, "little"))

    return split


def _packer(fmt):
    pack = _STRUCTS[fmt].pack

    def join(lanes):
        return int.from_bytes(pack(*lanes), "little")

    return join


# -- integer lanes -------------------------------------------------------------


def _int_binary(bits: int, signed: bool, fn):
    """Lane-wise ``fn(x, y)`` on (signed or unsigned) lanes; results wrap into the lane."""
    sfmt, ufmt, mask = _LANES[bits]
    split = _unpacker(sfmt if signed else ufmt)
    join = _packer(ufmt)

    def op(a, b):
        return join([fn(x, y) & mask for x, y in zip(split(a), split(b))])

    return op


def _int_unary(bits: int, signed: bool, fn):
    sfmt, ufmt, mask = _LANES[bits]
    split = _unpacker(sfmt if signed else ufmt)
    join = _packer(ufmt)

    def op(a):
        return join([fn(x) & mask for x in split(a)])

    return op


def _compare(bits: int, signed: bool, fn):
    """Lane-wise comparison: all ones where ``fn`` holds, else zero."""
    sfmt, ufmt, mask = _LANES[bits]
    split = _unpacker(sfmt if signed else ufmt)
    join = _packer(ufmt)

    def op(a, b):
        return join([mask if fn(x, y) else 0 for x, y in zip(split(a), split(b))])

    return op


def _sat(low, high):
    def clamp(v):
        return low if v < low else high if v > high else v

    return clamp


def _shift(bits: int, kind: str):
    sfmt, ufmt, mask = _LANES[bits]
    split_s = _unpacker(sfmt)
    split_u = _unpacker(ufmt)
    join = _packer(ufmt)
    count_mask = bits - 1

    if kind == "shl":

        def op(a, s):
            c = s & count_mask
            return join([(x << c) & mask for x in split_u(a)])
    elif kind == "shr_s":

        def op(a, s):
            c = s & count_mask
            return join([(x >> c) & mask for x in split_s(a)])
    else:

        def op(a, s):
            c = s & count_mask
            return join([x >> c for x in split_u(a)])

    return op


def _all_true(bits):
    split = _unpacker(_LANES[bits][1])

    def op(a):
        return 1 if all(split(a)) else 0

    return op


def _bitmask(bits):
    split = _unpacker(_LANES[bits][0])

    def op(a):
        result = 0
        for i, x in enumerate(split(a)):
            if x < 0:
                result |= 1 << i
        return result

    return op


def _narrow(in_bits: int, signed_out: bool):
    out_bits = in_bits // 2
    split = _unpacker(_LANES[in_bits][0])  # inputs are always read as signed
    join = _packer(_LANES[out_bits][1])
    out_mask = _LANES[out_bits][2]
    if signed_out:
        clamp = _sat(-(1 << (out_bits - 1)), (1 << (out_bits - 1)) - 1)
    else:
        clamp = _sat(0, (1 << out_bits) - 1)

    def op(a, b):
        return join([clamp(x) & out_mask for x in (*split(a), *split(b))])

    return op


def _extend(in_bits: int, half: str, signed: bool):
    out_bits = in_bits * 2
    sfmt, ufmt, _ = _LANES[in_bits]
    split = _unpacker(sfmt if signed else ufmt)
    join = _packer(_LANES[out_bits][1])
    out_mask = _LANES[out_bits][2]
    count = 128 // out_bits
    start = 0 if half == "low" else count

    def op(a):
        return join([x & out_mask for x in split(a)[start : start + count]])

    return op


def _extmul(in_bits: int, half: str, signed: bool):
    out_bits = in_bits * 2
    sfmt, ufmt, _ = _LANES[in_bits]
    split = _unpacker(sfmt if signed else ufmt)
    join = _packer(_LANES[out_bits][1])
    out_mask = _LANES[out_bits][2]
    count = 128 // out_bits
    start = 0 if half == "low" else count

    def op(a, b):
        xs = split(a)[start : start + count]
        ys = split(b)[start : start + count]
        return join([(x * y) & out_mask for x, y in zip(xs, ys)])

    return op


def _extadd_pairwise(in_bits: int, signed: bool):
    out_bits = in_bits * 2
    sfmt, ufmt, _ = _LANES[in_bits]
    split = _unpacker(sfmt if signed else ufmt)
    join = _packer(_LANES[out_bits][1])
    out_mask = _LANES[out_bits][2]

    def op(a):
        xs = split(a)
        return join([(xs[2 * i] + xs[2 * i + 1]) & out_mask for i in range(len(xs) // 2)])

    return op


def _q15mulr_sat(a, b):
    clamp = _sat(-0x8000, 0x7FFF)
    xs = _split(a, "8h")
    ys = _split(b, "8h")
    return _join("8H", [clamp((x * y + 0x4000) >> 15) & 0xFFFF for x, y in zip(xs, ys)])


def _dot_i16x8_s(a, b):
    xs = _split(a, "8h")
    ys = _split(b, "8h")
    return _join("4I", [(xs[2 * i] * ys[2 * i] + xs[2 * i + 1] * ys[2 * i + 1]) & 0xFFFFFFFF for i in range(4)])


def _popcnt(a):
    return _join("16B", [x.bit_count() for x in _split(a, "16B")])


# -- float lanes -----------------------------------------------------------------

_f32_from_bits = n.f32_from_bits
_f32_to_bits = n.f32_to_bits
_f64_from_bits = n.f64_from_bits
_f64_to_bits = n.f64_to_bits


def _f32_lanes(a):
    return [_f32_from_bits(x) for x in _split(a, "4I")]


def _f32_join(values):
    return _join("4I", [_f32_to_bits(x) for x in values])


def _f64_lanes(a):
    return [_f64_from_bits(x) for x in _split(a, "2Q")]


def _f64_join(values):
    return _join("2Q", [_f64_to_bits(x) for x in values])


def _float_unary(width: int, fn):
    lanes, join = (_f32_lanes, _f32_join) if width == 32 else (_f64_lanes, _f64_join)

    def op(a):
        return join([fn(x) for x in lanes(a)])

    return op


def _float_binary(width: int, fn):
    lanes, join = (_f32_lanes, _f32_join) if width == 32 else (_f64_lanes, _f64_join)

    def op(a, b):
        return join([fn(x, y) for x, y in zip(lanes(a), lanes(b))])

    return op


def _float_compare(width: int, fn):
    lanes = _f32_lanes if width == 32 else _f64_lanes
    fmt, mask = ("4I", 0xFFFFFFFF) if width == 32 else ("2Q", 0xFFFFFFFFFFFFFFFF)

    def op(a, b):
        return _join(fmt, [mask if fn(x, y) else 0 for x, y in zip(lanes(a), lanes(b))])

    return op


def _bits_lanewise(width: int, fn):
    """abs/neg act on the sign bit only, so NaN payloads pass unchanged."""
    fmt = "4I" if width == 32 else "2Q"

    def op(a):
        return _join(fmt, [fn(x) for x in _split(a, fmt)])

    return op


def _pmin(x, y):
    return y if y < x else x


def _pmax(x, y):
    return y if x < y else x


def _trunc_sat_f32x4(fn):
    def op(a):
        return _join("4I", [fn(x) for x in _f32_lanes(a)])

    return op


def _convert_i32x4(signed: bool):
    def op(a):
        lanes = _split(a, "4i" if signed else "4I")
        return _f32_join([n.f32_round(float(x)) for x in lanes])

    return op


def _trunc_sat_f64x2_zero(fn):
    def op(a):
        x, y = _f64_lanes(a)
        return _join("4I", [fn(x), fn(y), 0, 0])

    return op


def _convert_low_i32x4(signed: bool):
    def op(a):
        lanes = _split(a, "4i" if signed else "4I")
        return _f64_join([float(lanes[0]), float(lanes[1])])

    return op


def _demote_zero(a):
    x, y = _f64_lanes(a)
    return _join("4I", [_f32_to_bits(n.f32_demote_f64(x)), _f32_to_bits(n.f32_demote_f64(y)), 0, 0])


def _promote_low(a):
    lanes = _f32_lanes(a)
    return _f64_join([n.f64_promote_f32(lanes[0]), n.f64_promote_f32(lanes[1])])


# -- lanes by immediate ------------------------------------------------------------


def _splat(fmt: str, count: int, to_bits):
    pack = _STRUCTS[fmt].pack

    def op(x):
        return int.from_bytes(pack(*([to_bits(x)] * count)), "little")

    return op


def _extract(fmt: str, convert):
    def factory(lane):
        def op(v):
            return convert(_split(v, fmt)[lane])

        return op

    return factory


def _replace(fmt: str, convert):
    def factory(lane):
        def op(v, x):
            lanes = list(_split(v, fmt))
            lanes[lane] = convert(x)
            return _join(fmt, lanes)

        return op

    return factory


def _shuffle(indices):
    indices = tuple(indices)

    def op(a, b):
        both = a.to_bytes(16, "little") + b.to_bytes(16, "little")
        return int.from_bytes(bytes(both[i] for i in indices), "little")

    return op


def _swizzle(a, s):
    data = a.to_bytes(16, "little")
    return int.from_bytes(bytes(data[i] if i < 16 else 0 for i in s.to_bytes(16, "little")), "little")


# -- memory --------------------------------------------------------------------------


def _oob():
    raise Trap(TrapKind.OUT_OF_BOUNDS_MEMORY)


def _read(instance, address, offset, size):
    data = instance.memories[0].data
    ea = address + offset
    if ea + size > len(data):
        _oob()
    return data[ea : ea + size]


def _load(instance, stack, imm):
    stack[-1] = int.from_bytes(_read(instance, stack[-1], imm[1], 16), "little")


def _load_extend(in_fmt: str, out_fmt: str, out_mask: int):
    unpack = _STRUCTS[in_fmt].unpack

    def op(instance, stack, imm):
        lanes = unpack(_read(instance, stack[-1], imm[1], 8))
        stack[-1] = _join(out_fmt, [x & out_mask for x in lanes])

    return op


def _load_splat(size: int):
    def op(instance, stack, imm):
        stack[-1] = int.from_bytes(bytes(_read(instance, stack[-1], imm[1], size)) * (16 // size), "little")

    return op


def _load_zero(size: int):
    def op(instance, stack, imm):
        stack[-1] = int.from_bytes(_read(instance, stack[-1], imm[1], size), "little")

    return op


def _store(instance, stack, imm):
    value = stack.pop()
    address = stack.pop()
    data = instance.memories[0].data
    ea = address + imm[1]
    if ea + 16 > len(data):
        _oob()
    data[ea : ea + 16] = value.to_bytes(16, "little")


def _load_lane(size: int):
    bits = size * 8
    mask = (1 << bits) - 1

    def op(instance, stack, imm):
        value = stack.pop()
        address = stack.pop()
        lane = imm[2]
        chunk = int.from_bytes(_read(instance, address, imm[1], size), "little")
        shift = lane * bits
        stack.append((value & ~(mask << shift) & M128) | (chunk << shift))

    return op


def _store_lane(size: int):
    bits = size * 8
    mask = (1 << bits) - 1

    def op(instance, stack, imm):
        value = stack.pop()
        address = stack.pop()
        data = instance.memories[0].data
        ea = address + imm[1]
        if ea + size > len(data):
            _oob()
        data[ea : ea + size] = ((value >> (imm[2] * bits)) & mask).to_bytes(size, "little")

    return op


def _bitselect(instance, stack, imm):
    c = stack.pop()
    v2 = stack.pop()
    v1 = stack[-1]
    stack[-1] = (v1 & c) | (v2 & ~c & M128)


# -- tables ------------------------------------------------------------------------------


def _s8(x):
    return x & 0xFF


def _u32(x):
    return x & 0xFFFFFFFF


def _ident(x):
    return x


def _lt(x, y):
    return x < y


def _gt(x, y):
    return x > y


def _le(x, y):
    return x <= y


def _ge(x, y):
    return x >= y


def _eq(x, y):
    return x == y


def _ne(x, y):
    return x != y


_S8 = _sat(-128, 127)
_U8 = _sat(0, 255)
_S16 = _sat(-0x8000, 0x7FFF)
_U16 = _sat(0, 0xFFFF)

UNARY = {
    0xFD4D: lambda a: ~a & M128,  # v128.not
    0xFD53: lambda a: 1 if a else 0,  # v128.any_true
    0xFD5E: _demote_zero,
    0xFD5F: _promote_low,
    0xFD60: _int_unary(8, True, abs),
    0xFD61: _int_unary(8, True, lambda x: -x),
    0xFD62: _popcnt,
    0xFD63: _all_true(8),
    0xFD64: _bitmask(8),
    0xFD67: _float_unary(32, n.f32_ceil),
    0xFD68: _float_unary(32, n.f32_floor),
    0xFD69: _float_unary(32, n.f32_trunc),
    0xFD6A: _float_unary(32, n.f32_nearest),
    0xFD74: _float_unary(64, n.f64_ceil),
    0xFD75: _float_unary(64, n.f64_floor),
    0xFD7A: _float_unary(64, n.f64_trunc),
    0xFD7C: _extadd_pairwise(8, True),
    0xFD7D: _extadd_pairwise(8, False),
    0xFD7E: _extadd_pairwise(16, True),
    0xFD7F: _extadd_pairwise(16, False),
    0xFD80: _int_unary(16, True, abs),
    0xFD81: _int_unary(16, True, lambda x: -x),
    0xFD83: _all_true(16),
    0xFD84: _bitmask(16),
    0xFD87: _extend(8, "low", True),
    0xFD88: _extend(8, "high", True),
    0xFD89: _extend(8, "low", False),
    0xFD8A: _extend(8, "high", False),
    0xFD94: _float_unary(64, n.f64_nearest),
    0xFDA0: _int_unary(32, True, abs),
    0xFDA1: _int_unary(32, True, lambda x: -x),
    0xFDA3: _all_true(32),
    0xFDA4: _bitmask(32),
    0xFDA7: _extend(16, "low", True),
    0xFDA8: _extend(16, "high", True),
    0xFDA9: _extend(16, "low", False),
    0xFDAA: _extend(16, "high", False),
    0xFDC0: _int_unary(64, True, abs),
    0xFDC1: _int_unary(64, True, lambda x: -x),
    0xFDC3: _all_true(64),
    0xFDC4: _bitmask(64),
    0xFDC7: _extend(32, "low", True),
    0xFDC8: _extend(32, "high", True),
    0xFDC9: _extend(32, "low", False),
    0xFDCA: _extend(32, "high", False),
    0xFDE0: _bits_lanewise(32, lambda x: x & 0x7FFFFFFF),
    0xFDE1: _bits_lanewise(32, lambda x: x ^ 0x80000000),
    0xFDE3: _float_unary(32, n.f32_sqrt),
    0xFDEC: _bits_lanewise(64, lambda x: x & 0x7FFFFFFFFFFFFFFF),
    0xFDED: _bits_lanewise(64, lambda x: x ^ 0x8000000000000000),
    0xFDEF: _float_unary(64, n.f64_sqrt),
    0xFDF8: _trunc_sat_f32x4(n.i32_trunc_sat_s),
    0xFDF9: _trunc_sat_f32x4(n.i32_trunc_sat_u),
    0xFDFA: _convert_i32x4(True),
    0xFDFB: _convert_i32x4(False),
    0xFDFC: _trunc_sat_f64x2_zero(n.i32_trunc_sat_s),
    0xFDFD: _trunc_sat_f64x2_zero(n.i32_trunc_sat_u),
    0xFDFE: _convert_low_i32x4(True),
    0xFDFF: _convert_low_i32x4(False),
    # splats take a scalar
    0xFD0F: _splat("16B", 16, _s8),
    0xFD10: _splat("8H", 8, lambda x: x & 0xFFFF),
    0xFD11: _splat("4I", 4, _u32),
    0xFD12: _splat("2Q", 2, _ident),
    0xFD13: _splat("4I", 4, _f32_to_bits),
    0xFD14: _splat("2Q", 2, _f64_to_bits),
}
"""Unary vector instructions (and splats): opcode -> ``fn(a)``."""

BINARY = {
    0xFD0E: _swizzle,
    0xFD4E: lambda a, b: a & b,
    0xFD4F: lambda a, b: a & ~b & M128,
    0xFD50: lambda a, b: a | b,
    0xFD51: lambda a, b: a ^ b,
    0xFD65: _narrow(16, True),
    0xFD66: _narrow(16, False),
    0xFD6B: _shift(8, "shl"),
    0xFD6C: _shift(8, "shr_s"),
    0xFD6D: _shift(8, "shr_u"),
    0xFD6E: _int_binary(8, False, lambda x, y: x + y),
    0xFD6F: _int_binary(8, True, lambda x, y: _S8(x + y)),
    0xFD70: _int_binary(8, False, lambda x, y: _U8(x + y)),
    0xFD71: _int_binary(8, False, lambda x, y: x - y),
    0xFD72: _int_binary(8, True, lambda x, y: _S8(x - y)),
    0xFD73: _int_binary(8, False, lambda x, y: _U8(x - y)),
    0xFD76: _int_binary(8, True, min),
    0xFD77: _int_binary(8, False, min),
    0xFD78: _int_binary(8, True, max),
    0xFD79: _int_binary(8, False, max),
    0xFD7B: _int_binary(8, False, lambda x, y: (x + y + 1) >> 1),
    0xFD82: _q15mulr_sat,
    0xFD85: _narrow(32, True),
    0xFD86: _narrow(32, False),
    0xFD8B: _shift(16, "shl"),
    0xFD8C: _shift(16, "shr_s"),
    0xFD8D: _shift(16, "shr_u"),
    0xFD8E: _int_binary(16, False, lambda x, y: x + y),
    0xFD8F: _int_binary(16, True, lambda x, y: _S16(x + y)),
    0xFD90: _int_binary(16, False, lambda x, y: _U16(x + y)),
    0xFD91: _int_binary(16, False, lambda x, y: x - y),
    0xFD92: _int_binary(16, True, lambda x, y: _S16(x - y)),
    0xFD93: _int_binary(16, False, lambda x, y: _U16(x - y)),
    0xFD95: _int_binary(16, False, lambda x, y: x * y),
    0xFD96: _int_binary(16, True, min),
    0xFD97: _int_binary(16, False, min),
    0xFD98: _int_binary(16, True, max),
    0xFD99: _int_binary(16, False, max),
    0xFD9B: _int_binary(16, False, lambda x, y: (x + y + 1) >> 1),
    0xFD9C: _extmul(8, "low", True),
    0xFD9D: _extmul(8, "high", True),
    0xFD9E: _extmul(8, "low", False),
    0xFD9F: _extmul(8, "high", False),
    0xFDAB: _shift(32, "shl"),
    0xFDAC: _shift(32, "shr_s"),
    0xFDAD: _shift(32, "shr_u"),
    0xFDAE: _int_binary(32, False, lambda x, y: x + y),
    0xFDB1: _int_binary(32, False, lambda x, y: x - y),
    0xFDB5: _int_binary(32, False, lambda x, y: x * y),
    0xFDB6: _int_binary(32, True, min),
    0xFDB7: _int_binary(32, False, min),
    0xFDB8: _int_binary(32, True, max),
    0xFDB9: _int_binary(32, False, max),
    0xFDBA: _dot_i16x8_s,
    0xFDBC: _extmul(16, "low", True),
    0xFDBD: _extmul(16, "high", True),
    0xFDBE: _extmul(16, "low", False),
    0xFDBF: _extmul(16, "high", False),
    0xFDCB: _shift(64, "shl"),
    0xFDCC: _shift(64, "shr_s"),
    0xFDCD: _shift(64, "shr_u"),
    0xFDCE: _int_binary(64, False, lambda x, y: x + y),
    0xFDD1: _int_binary(64, False, lambda x, y: x - y),
    0xFDD5: _int_binary(64, False, lambda x, y: x * y),
    0xFDD6: _compare(64, False, _eq),
    0xFDD7: _compare(64, False, _ne),
    0xFDD8: _compare(64, True, _lt),
    0xFDD9: _compare(64, True, _gt),
    0xFDDA: _compare(64, True, _le),
    0xFDDB: _compare(64, True, _ge),
    0xFDDC: _extmul(32, "low", True),
    0xFDDD: _extmul(32, "high", True),
    0xFDDE: _extmul(32, "low", False),
    0xFDDF: _extmul(32, "high", False),
    0xFDE4: _float_binary(32, n.f32_add),
    0xFDE5: _float_binary(32, n.f32_sub),
    0xFDE6: _float_binary(32, n.f32_mul),
    0xFDE7: _float_binary(32, n.f32_div),
    0xFDE8: _float_binary(32, n.f32_min),
    0xFDE9: _float_binary(32, n.f32_max),
    0xFDEA: _float_binary(32, _pmin),
    0xFDEB: _float_binary(32, _pmax),
    0xFDF0: _float_binary(64, lambda x, y: x + y),
    0xFDF1: _float_binary(64, lambda x, y: x - y),
    0xFDF2: _float_binary(64, lambda x, y: x * y),
    0xFDF3: _float_binary(64, n.f64_div),
    0xFDF4: _float_binary(64, n.f64_min),
    0xFDF5: _float_binary(64, n.f64_max),
    0xFDF6: _float_binary(64, _pmin),
    0xFDF7: _float_binary(64, _pmax),
}
"""Binary vector instructions: opcode -> ``fn(a, b)`` (shifts take the count as ``b``)."""

# Integer comparisons 0x23..0x40: eq ne lt_s lt_u gt_s gt_u le_s le_u ge_s ge_u per shape.
for _base, _bits in ((0xFD23, 8), (0xFD2D, 16), (0xFD37, 32)):
    for _i, (_signed, _fn) in enumerate(
        (
            (False, _eq),
            (False, _ne),
            (True, _lt),
            (False, _lt),
            (True, _gt),
            (False, _gt),
            (True, _le),
            (False, _le),
            (True, _ge),
            (False, _ge),
        )
    ):
        BINARY[_base + _i] = _compare(_bits, _signed, _fn)
for _base, _width in ((0xFD41, 32), (0xFD47, 64)):
    for _i, _fn in enumerate((_eq, _ne, _lt, _gt, _le, _ge)):
        BINARY[_base + _i] = _float_compare(_width, _fn)

LANE_UNARY = {
    0xFD15: _extract("16b", _u32),
    0xFD16: _extract("16B", _ident),
    0xFD18: _extract("8h", _u32),
    0xFD19: _extract("8H", _ident),
    0xFD1B: _extract("4I", _ident),
    0xFD1D: _extract("2Q", _ident),
    0xFD1F: _extract("4I", _f32_from_bits),
    0xFD21: _extract("2Q", _f64_from_bits),
}
"""extract_lane: opcode -> factory(lane) -> ``fn(v)``."""

LANE_BINARY = {
    0xFD0D: _shuffle,
    0xFD17: _replace("16B", _s8),
    0xFD1A: _replace("8H", lambda x: x & 0xFFFF),
    0xFD1C: _replace("4I", _ident),
    0xFD1E: _replace("2Q", _ident),
    0xFD20: _replace("4I", _f32_to_bits),
    0xFD22: _replace("2Q", _f64_to_bits),
}
"""replace_lane and shuffle: opcode -> factory(immediate) -> ``fn(a, b)``."""

MISC = {
    0xFD00: _load,
    0xFD01: _load_extend("8b", "8H", 0xFFFF),
    0xFD02: _load_extend("8B", "8H", 0xFFFF),
    0xFD03: _load_extend("4h", "4I", 0xFFFFFFFF),
    0xFD04: _load_extend("4H", "4I", 0xFFFFFFFF),
    0xFD05: _load_extend("2i", "2Q", 0xFFFFFFFFFFFFFFFF),
    0xFD06: _load_extend("2I", "2Q", 0xFFFFFFFFFFFFFFFF),
    0xFD07: _load_splat(1),
    0xFD08: _load_splat(2),
    0xFD09: _load_splat(4),
    0xFD0A: _load_splat(8),
    0xFD0B: _store,
    0xFD52: _bitselect,
    0xFD54: _load_lane(1),
    0xFD55: _load_lane(2),
    0xFD56: _load_lane(4),
    0xFD57: _load_lane(8),
    0xFD58: _store_lane(1),
    0xFD59: _store_lane(2),
    0xFD5A: _store_lane(4),
    0xFD5B: _store_lane(8),
    0xFD5C: _load_zero(4),
    0xFD5D: _load_zero(8),
}
"""Vector memory access and bitselect: opcode -> ``fn(instance, stack, imm)``."""
