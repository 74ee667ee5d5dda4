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

import struct

from .. import numeric
from ..errors import Trap, TrapKind
from ..numeric import f32_from_bits, f32_to_bits

_U32 = struct.Struct("<I")
_F32 = struct.Struct("<f")
_u32_unpack_from = _U32.unpack_from
_u32_pack_into = _U32.pack_into
_f32_unpack_from = _F32.unpack_from
_f32_pack_into = _F32.pack_into

# --------------------------------------------------------------------- traps


def trap(kind: TrapKind):
    """Raise ``Trap(kind)``; generated code calls this where a statement traps."""
    raise Trap(kind)


def trap_oob_memory():
    raise Trap(TrapKind.OUT_OF_BOUNDS_MEMORY) from None


def trap_div_zero():
    raise Trap(TrapKind.INT_DIV_BY_ZERO) from None


def trap_unaligned_atomic():
    raise Trap(TrapKind.UNALIGNED_ATOMIC) from None


# ------------------------------------------------------------ numerics
# The numeric helpers are pywaz.numeric's (the interpreter's), bound here under
# the names generated code and the golden files use.

i32_div_s = numeric.i32_div_s
i32_rem_s = numeric.i32_rem_s
i64_div_s = numeric.i64_div_s
i64_rem_s = numeric.i64_rem_s
rotl32 = numeric.i32_rotl
rotr32 = numeric.i32_rotr
rotl64 = numeric.i64_rotl
rotr64 = numeric.i64_rotr
ctz32 = numeric.i32_ctz
ctz64 = numeric.i64_ctz
i32_trunc_s = numeric.i32_trunc_s
i32_trunc_u = numeric.i32_trunc_u
i64_trunc_s = numeric.i64_trunc_s
i64_trunc_u = numeric.i64_trunc_u
i32_trunc_sat_s = numeric.i32_trunc_sat_s
i32_trunc_sat_u = numeric.i32_trunc_sat_u
i64_trunc_sat_s = numeric.i64_trunc_sat_s
i64_trunc_sat_u = numeric.i64_trunc_sat_u
f32_from_int = numeric.int_to_f32
fdiv = numeric.f64_div
f32_div = numeric.f32_div
fsqrt = numeric.f64_sqrt
f32_sqrt = numeric.f32_sqrt
fmin = numeric.f64_min
fmax = numeric.f64_max
fceil = numeric.f64_ceil
ffloor = numeric.f64_floor
ftrunc = numeric.f64_trunc
fnearest = numeric.f64_nearest
f32_reinterpret_bits = numeric.f32_from_bits
f32_bits = numeric.f32_to_bits
f64_bits = numeric.f64_to_bits
f64_from_bits = numeric.f64_from_bits


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
    return memory.grow(delta) & 0xFFFFFFFF  # -1 (failure) as an i32


def memory_grow64(memory, delta: int) -> int:
    return memory.grow(delta) & 0xFFFFFFFFFFFFFFFF  # -1 (failure) as an i64 (memory64)


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
    return table.grow(delta, value) & 0xFFFFFFFF  # -1 (failure) as an i32


def table_grow64(table, value, delta: int) -> int:
    return table.grow(delta, value) & 0xFFFFFFFFFFFFFFFF  # -1 (failure) as an i64 (table64)


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
            (null entry), indirect call type mismatch (``expected_type`` is the canonical
            DefType: the function's DefType is it, or has it in its supertype chain).
    """
    elements = table.elements
    if index >= len(elements):
        raise Trap(TrapKind.UNDEFINED_ELEMENT)
    function = elements[index]
    if function is None:
        raise Trap(TrapKind.UNINITIALIZED_ELEMENT)
    actual = function.def_type
    if actual is not expected_type:
        chain = actual.chain
        if len(chain) <= expected_type.depth or chain[expected_type.depth] is not expected_type:
            raise Trap(TrapKind.INDIRECT_CALL_TYPE_MISMATCH)
    return function.call


def throw_ref(exception):
    """``throw_ref``: raise the caught exception (an ``exnref``) again, the same object.

    Raises:
        Trap: null exception reference.
    """
    if exception is None:
        raise Trap(TrapKind.NULL_EXCEPTION_REFERENCE)
    raise exception


# ------------------------------------------------------------ GC (structs, arrays, i31; see lower.gc)



def trap_null_struct():
    raise Trap(TrapKind.NULL_STRUCT_REFERENCE) from None


def trap_null_array():
    raise Trap(TrapKind.NULL_ARRAY_REFERENCE) from None


def trap_null_func():
    raise Trap(TrapKind.NULL_FUNCTION_REFERENCE)


def trap_null():
    raise Trap(TrapKind.NULL_REFERENCE)


def trap_cast():
    raise Trap(TrapKind.CAST_FAILURE)


def trap_oob_array():
    raise Trap(TrapKind.OUT_OF_BOUNDS_ARRAY)


def i31_get_u(value) -> int:
    """``i31.get_u``.

    Raises:
        Trap: null i31 reference.
    """
    if value is None:
        raise Trap(TrapKind.NULL_I31_REFERENCE)
    return value


def i31_get_s(value) -> int:
    """``i31.get_s``: the 31-bit payload sign-extended to an i32 (unsigned form).

    Raises:
        Trap: null i31 reference.
    """
    if value is None:
        raise Trap(TrapKind.NULL_I31_REFERENCE)
    return value | 0x80000000 if value & 0x40000000 else value
