"""Out-of-line memory instructions (execution §4.4.7): management, bulk operations and the other memories.

Each helper is ``fn(instance, stack, imm)``: it pops its operands from the
frame's operand ``stack``, pushes its result, and raises a :class:`Trap` on a
bounds failure. Bounds are checked before anything is written, as 2.0
requires. Operands are unsigned Python ints, so the same comparisons serve
32-bit memories and 64-bit ones (memory64), where ``address + n`` may exceed
2**64; only ``memory.grow``'s failure value (-1) depends on the width.

The dispatch loop runs loads and stores of memory 0 inline (for a 64-bit
memory 0 it also catches the ``OverflowError`` of an effective address too
large for ``struct``); :func:`load` and :func:`store` build the out-of-line
forms for every other memory.
"""

from __future__ import annotations

import struct

from ..errors import Trap, TrapKind
from ..ir import I64, PAGE_SIZE
from ..numeric import f32_from_bits, f32_to_bits

_MASK32 = 0xFFFFFFFF
_MASK64 = 0xFFFFFFFFFFFFFFFF
_OOB = (struct.error, OverflowError, IndexError)


def _oob_memory():
    raise Trap(TrapKind.OUT_OF_BOUNDS_MEMORY)


def memory_size(instance, stack, imm):
    stack.append(len(instance.memories[imm].data) // PAGE_SIZE)


def memory_grow(instance, stack, imm):
    # Memory.grow returns -1 on failure: 0xFFFFFFFF as an i32, 2**64-1 as an i64.
    memory = instance.memories[imm]
    stack[-1] = memory.grow(stack[-1]) & (_MASK64 if memory.type.address_type == I64 else _MASK32)


def memory_init(instance, stack, imm):
    data_index, memory_index = imm
    n = stack.pop()
    src = stack.pop()
    dst = stack.pop()
    segment = instance.data_segments[data_index]
    data = instance.memories[memory_index].data
    if src + n > len(segment) or dst + n > len(data):
        _oob_memory()
    data[dst : dst + n] = segment[src : src + n]


def data_drop(instance, stack, imm):
    instance.data_segments[imm] = b""


def memory_copy(instance, stack, imm):
    dst_index, src_index = imm
    n = stack.pop()
    src = stack.pop()
    dst = stack.pop()
    src_data = instance.memories[src_index].data
    dst_data = instance.memories[dst_index].data
    if src + n > len(src_data) or dst + n > len(dst_data):
        _oob_memory()
    # The right-hand slice is a copy, so overlapping ranges behave like memmove.
    dst_data[dst : dst + n] = src_data[src : src + n]


def memory_fill(instance, stack, imm):
    n = stack.pop()
    value = stack.pop()
    dst = stack.pop()
    data = instance.memories[imm].data
    if dst + n > len(data):
        _oob_memory()
    data[dst : dst + n] = bytes((value & 0xFF,)) * n




# Loads and stores run out of line, by the interpreter's inline code for them (prepare.py's LOAD,
# LOAD_S32, ...): imm is (struct function, offset, memory index, bits function for f32).
_LOAD, _LOAD_S32, _LOAD_S64, _LOAD_F32 = 14, 31, 46, 47
_STORE, _STORE_NARROW, _STORE_F32 = 15, 30, 48


def load(code: int):
    """The out-of-line form of the interpreter's load instruction ``code``."""
    mask = _MASK32 if code == _LOAD_S32 else _MASK64 if code == _LOAD_S64 else None

    def run(instance, stack, imm):
        unpack, offset, memory_index, unpack_bits = imm
        data = instance.memories[memory_index].data
        address = stack[-1] + offset
        try:
            value = unpack(data, address)[0]
            if unpack_bits is not None and value != value:
                value = f32_from_bits(unpack_bits(data, address)[0])  # keep a NaN's payload
        except _OOB:
            _oob_memory()
        stack[-1] = value if mask is None else value & mask

    return run


def store(code: int):
    """The out-of-line form of the interpreter's store instruction ``code``; imm as :func:`load`'s plus a mask."""

    def run(instance, stack, imm):
        pack, offset, memory_index, pack_bits, mask = imm
        value = stack.pop()
        address = stack.pop() + offset
        data = instance.memories[memory_index].data
        try:
            if mask is not None:
                pack(data, address, value & mask)
            elif pack_bits is not None and value != value:
                pack_bits(data, address, f32_to_bits(value))  # keep a NaN's payload
            else:
                pack(data, address, value)
        except _OOB:
            _oob_memory()

    return run


MEMORY_OPS = {
    0x3F: memory_size,
    0x40: memory_grow,
    0xFC08: memory_init,
    0xFC09: data_drop,
    0xFC0A: memory_copy,
    0xFC0B: memory_fill,
}
"""Opcode -> out-of-line memory helper ``fn(instance, stack, imm)``."""
