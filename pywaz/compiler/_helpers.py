"""Runtime helpers that generated code calls (numerics §4.3, memory/table instructions §4.4).

Generated functions inline the cheap operations (integer arithmetic with masks,
comparisons, plain loads and stores). What is too long to inline, or needs a
branch on a rare case, lives here: signed division, float-to-int truncation,
f32 rounding and conversions, NaN-exact f32 memory access, IEEE min/max and
rounding, and the bulk memory/table instructions. Every trap is raised as
:class:`~pywaz.errors.Trap` with the spec's kind; nothing here lets a Python
arithmetic or indexing exception escape.

Values follow :mod:`pywaz.numeric`: i32/i64 unsigned ints, f32/f64 floats
(f32 NaNs widened by hand), references as Function objects or None.
"""

from __future__ import annotations

import math
import struct

from ..errors import Trap, TrapKind
from ..numeric import f32_from_bits, f32_round, f32_to_bits

_U32 = struct.Struct("<I")
_F32 = struct.Struct("<f")
_U64 = struct.Struct("<Q")
_F64 = struct.Struct("<d")
_u32_unpack_from = _U32.unpack_from
_u32_pack_into = _U32.pack_into
_f32_unpack_from = _F32.unpack_from
_f32_pack_into = _F32.pack_into
_u64_pack = _U64.pack
_u64_unpack = _U64.unpack
_f64_pack = _F64.pack
_f64_unpack = _F64.unpack

_NAN = math.nan
_INF = math.inf
_isfinite = math.isfinite
_copysign = math.copysign

# --------------------------------------------------------------------- traps


def trap(kind: TrapKind):
    """Raise ``Trap(kind)``; generated code calls this where a statement traps."""
    raise Trap(kind)


def trap_oob_memory():
    raise Trap(TrapKind.OUT_OF_BOUNDS_MEMORY) from None


def trap_div_zero():
    raise Trap(TrapKind.INT_DIV_BY_ZERO) from None


# ------------------------------------------------------------ integer division
# The spec's div_s/rem_s truncate toward zero (numerics §4.3.2 idiv_s/irem_s);
# Python's // and % floor, so the quotient is fixed up from the magnitudes.


def i32_div_s(a: int, b: int) -> int:
    if b == 0:
        raise Trap(TrapKind.INT_DIV_BY_ZERO)
    if a == 0x80000000 and b == 0xFFFFFFFF:
        raise Trap(TrapKind.INT_OVERFLOW)
    a = (a ^ 0x80000000) - 0x80000000
    b = (b ^ 0x80000000) - 0x80000000
    q = abs(a) // abs(b)
    if (a < 0) != (b < 0):
        q = -q
    return q & 0xFFFFFFFF


def i32_rem_s(a: int, b: int) -> int:
    if b == 0:
        raise Trap(TrapKind.INT_DIV_BY_ZERO)
    a = (a ^ 0x80000000) - 0x80000000
    b = (b ^ 0x80000000) - 0x80000000
    r = abs(a) % abs(b)
    if a < 0:
        r = -r
    return r & 0xFFFFFFFF


def i64_div_s(a: int, b: int) -> int:
    if b == 0:
        raise Trap(TrapKind.INT_DIV_BY_ZERO)
    if a == 0x8000000000000000 and b == 0xFFFFFFFFFFFFFFFF:
        raise Trap(TrapKind.INT_OVERFLOW)
    a = (a ^ 0x8000000000000000) - 0x8000000000000000
    b = (b ^ 0x8000000000000000) - 0x8000000000000000
    q = abs(a) // abs(b)
    if (a < 0) != (b < 0):
        q = -q
    return q & 0xFFFFFFFFFFFFFFFF


def i64_rem_s(a: int, b: int) -> int:
    if b == 0:
        raise Trap(TrapKind.INT_DIV_BY_ZERO)
    a = (a ^ 0x8000000000000000) - 0x8000000000000000
    b = (b ^ 0x8000000000000000) - 0x8000000000000000
    r = abs(a) % abs(b)
    if a < 0:
        r = -r
    return r & 0xFFFFFFFFFFFFFFFF


def rotl32(x: int, k: int) -> int:
    k &= 31
    return ((x << k) | (x >> (32 - k))) & 0xFFFFFFFF


def rotr32(x: int, k: int) -> int:
    k &= 31
    return ((x >> k) | (x << (32 - k))) & 0xFFFFFFFF


def rotl64(x: int, k: int) -> int:
    k &= 63
    return ((x << k) | (x >> (64 - k))) & 0xFFFFFFFFFFFFFFFF


def rotr64(x: int, k: int) -> int:
    k &= 63
    return ((x >> k) | (x << (64 - k))) & 0xFFFFFFFFFFFFFFFF


def ctz32(x: int) -> int:
    return (x & -x).bit_length() - 1 if x else 32


def ctz64(x: int) -> int:
    return (x & -x).bit_length() - 1 if x else 64


# ------------------------------------------------------------ float -> integer
# trunc (§4.3.3 trunc_u/trunc_s): NaN is "invalid conversion", a value whose
# truncation is outside the target range is "integer overflow". The bounds are
# exact doubles: -2**31 - 1 < x < 2**31 is the i32 signed range after truncation.


def _trunc_checked(x: float, low: float, high: float, mask: int) -> int:
    if x != x:
        raise Trap(TrapKind.INVALID_CONVERSION)
    if not (low < x < high):
        raise Trap(TrapKind.INT_OVERFLOW)
    return int(x) & mask


def i32_trunc_s(x: float) -> int:
    return _trunc_checked(x, -2147483649.0, 2147483648.0, 0xFFFFFFFF)


def i32_trunc_u(x: float) -> int:
    return _trunc_checked(x, -1.0, 4294967296.0, 0xFFFFFFFF)


def i64_trunc_s(x: float) -> int:
    # -2**63 - 1 is not a double; -2**63 itself is in range, anything below is not.
    if x != x:
        raise Trap(TrapKind.INVALID_CONVERSION)
    if not (-9223372036854775808.0 <= x < 9223372036854775808.0):
        raise Trap(TrapKind.INT_OVERFLOW)
    return int(x) & 0xFFFFFFFFFFFFFFFF


def i64_trunc_u(x: float) -> int:
    return _trunc_checked(x, -1.0, 18446744073709551616.0, 0xFFFFFFFFFFFFFFFF)


def _trunc_sat(x: float, low: int, high: int, mask: int) -> int:
    if x != x:
        return 0
    if x == _INF:
        return high & mask
    if x == -_INF:
        return low & mask
    v = int(x)
    if v < low:
        v = low
    elif v > high:
        v = high
    return v & mask


def i32_trunc_sat_s(x: float) -> int:
    return _trunc_sat(x, -0x80000000, 0x7FFFFFFF, 0xFFFFFFFF)


def i32_trunc_sat_u(x: float) -> int:
    return _trunc_sat(x, 0, 0xFFFFFFFF, 0xFFFFFFFF)


def i64_trunc_sat_s(x: float) -> int:
    return _trunc_sat(x, -0x8000000000000000, 0x7FFFFFFFFFFFFFFF, 0xFFFFFFFFFFFFFFFF)


def i64_trunc_sat_u(x: float) -> int:
    return _trunc_sat(x, 0, 0xFFFFFFFFFFFFFFFF, 0xFFFFFFFFFFFFFFFF)


# ------------------------------------------------------------ integer -> float


def f32_from_int(v: int) -> float:
    """Round the integer ``v`` to the nearest f32 (ties to even) in one step.

    Going through a double would round twice for |v| >= 2**53. Above that, the
    low bits are folded into a sticky bit (round-to-odd to 53 bits), after which
    the single f32 rounding gives the correctly rounded result.
    """
    if -0x20000000000000 < v < 0x20000000000000:
        return f32_round(float(v))
    negative = v < 0
    if negative:
        v = -v
    shift = v.bit_length() - 53
    top = v >> shift
    if v & ((1 << shift) - 1):
        top |= 1
    result = f32_round(math.ldexp(float(top), shift))
    return -result if negative else result


# ------------------------------------------------------------ float operations


def fdiv(a: float, b: float) -> float:
    """IEEE division: Python raises on a zero divisor, wasm gives inf or NaN."""
    try:
        return a / b
    except ZeroDivisionError:
        if a != a:
            return a + 0.0
        if a == 0.0:
            return _NAN
        return _copysign(_INF, a) * _copysign(1.0, b)


def f32_div(a: float, b: float) -> float:
    try:
        return f32_round(a / b)
    except ZeroDivisionError:
        return fdiv(a, b)


def fsqrt(x: float) -> float:
    try:
        return math.sqrt(x)
    except ValueError:
        return _NAN


def f32_sqrt(x: float) -> float:
    try:
        return f32_round(math.sqrt(x))
    except ValueError:
        return _NAN


# min/max (§4.3.3 fmin/fmax): NaN wins (quieted: x + y propagates it), and -0 < +0.


def fmin(a: float, b: float) -> float:
    if a != a or b != b:
        return a + b
    if a == b:
        return a if _copysign(1.0, a) < 0 else b
    return min(b, a)


def fmax(a: float, b: float) -> float:
    if a != a or b != b:
        return a + b
    if a == b:
        return b if _copysign(1.0, a) < 0 else a
    return max(b, a)


# Rounding to integral keeps the sign of zero (ceil(-0.5) is -0.0) and returns a
# NaN quieted (x * 1.0 quiets a signalling NaN and keeps -0.0).


def fceil(x: float) -> float:
    if not _isfinite(x):
        return x * 1.0
    return _copysign(float(math.ceil(x)), x)


def ffloor(x: float) -> float:
    if not _isfinite(x):
        return x * 1.0
    return _copysign(float(math.floor(x)), x)


def ftrunc(x: float) -> float:
    if not _isfinite(x):
        return x * 1.0
    return _copysign(float(math.trunc(x)), x)


def fnearest(x: float) -> float:
    if not _isfinite(x):
        return x * 1.0
    # round() on a float rounds half to even, as roundTiesToEven requires.
    return _copysign(float(round(x)), x)


def f32_reinterpret_bits(bits: int) -> float:
    return f32_from_bits(bits)


def f32_bits(x: float) -> int:
    return f32_to_bits(x)


def f64_bits(x: float) -> int:
    return _u64_unpack(_f64_pack(x))[0]


def f64_from_bits(bits: int) -> float:
    return _f64_unpack(_u64_pack(bits))[0]


# ------------------------------------------------------------ f32 memory access
# struct's "<f" converts through a C float, which quiets a signalling NaN, so a
# NaN pattern goes through the bit-exact widening of pywaz.numeric instead.


def f32_load(data, address: int) -> float:
    bits = _u32_unpack_from(data, address)[0]
    if bits & 0x7F800000 == 0x7F800000:
        return f32_from_bits(bits)
    return _f32_unpack_from(data, address)[0]


def f32_store(data, address: int, value: float) -> None:
    if value != value:
        _u32_pack_into(data, address, f32_to_bits(value))
    else:
        _f32_pack_into(data, address, value)


# ------------------------------------------------------------ bulk memory


def memory_fill(memory, dst: int, value: int, n: int) -> None:
    data = memory.data
    if dst + n > len(data):
        raise Trap(TrapKind.OUT_OF_BOUNDS_MEMORY)
    if n:
        data[dst : dst + n] = bytes((value & 0xFF,)) * n


def memory_copy(dst_memory, src_memory, dst: int, src: int, n: int) -> None:
    dst_data = dst_memory.data
    src_data = src_memory.data
    if src + n > len(src_data) or dst + n > len(dst_data):
        raise Trap(TrapKind.OUT_OF_BOUNDS_MEMORY)
    if n:
        # bytearray slice assignment copies through a temporary, so overlap is safe.
        dst_data[dst : dst + n] = src_data[src : src + n]


def memory_init(instance, data_index: int, memory, dst: int, src: int, n: int) -> None:
    segment = instance.data_segments[data_index]
    data = memory.data
    if src + n > len(segment) or dst + n > len(data):
        raise Trap(TrapKind.OUT_OF_BOUNDS_MEMORY)
    if n:
        data[dst : dst + n] = segment[src : src + n]


def data_drop(instance, data_index: int) -> None:
    instance.data_segments[data_index] = b""


def memory_grow(memory, delta: int) -> int:
    return memory.grow(delta) & 0xFFFFFFFF


# ------------------------------------------------------------ tables


def table_get(table, index: int):
    elements = table.elements
    if index >= len(elements):
        raise Trap(TrapKind.OUT_OF_BOUNDS_TABLE)
    return elements[index]


def table_set(table, index: int, value) -> None:
    elements = table.elements
    if index >= len(elements):
        raise Trap(TrapKind.OUT_OF_BOUNDS_TABLE)
    elements[index] = value


def table_grow(table, value, delta: int) -> int:
    return table.grow(delta, value) & 0xFFFFFFFF


def table_fill(table, index: int, value, n: int) -> None:
    elements = table.elements
    if index + n > len(elements):
        raise Trap(TrapKind.OUT_OF_BOUNDS_TABLE)
    if n:
        elements[index : index + n] = [value] * n


def table_copy(dst_table, src_table, dst: int, src: int, n: int) -> None:
    dst_elements = dst_table.elements
    src_elements = src_table.elements
    if src + n > len(src_elements) or dst + n > len(dst_elements):
        raise Trap(TrapKind.OUT_OF_BOUNDS_TABLE)
    if n:
        dst_elements[dst : dst + n] = src_elements[src : src + n]


def table_init(instance, elem_index: int, table, dst: int, src: int, n: int) -> None:
    segment = instance.elem_segments[elem_index]
    elements = table.elements
    if src + n > len(segment) or dst + n > len(elements):
        raise Trap(TrapKind.OUT_OF_BOUNDS_TABLE)
    if n:
        elements[dst : dst + n] = segment[src : src + n]


def elem_drop(instance, elem_index: int) -> None:
    instance.elem_segments[elem_index] = ()


def call_indirect_target(table, index: int, expected_type):
    """The ``call`` of the table entry at ``index``, checked against ``expected_type``.

    Raises:
        Trap: undefined element (index out of range), uninitialized element
            (null entry), indirect call type mismatch (types compared with ``is``,
            which works because FuncTypes are interned).
    """
    elements = table.elements
    if index >= len(elements):
        raise Trap(TrapKind.UNDEFINED_ELEMENT)
    function = elements[index]
    if function is None:
        raise Trap(TrapKind.UNINITIALIZED_ELEMENT)
    if function.type is not expected_type:
        raise Trap(TrapKind.INDIRECT_CALL_TYPE_MISMATCH)
    return function.call
