"""Out-of-line instructions: memory/table management and bulk operations.

Each helper is ``fn(instance, stack, imm)``: it pops its operands from the
frame's operand ``stack``, pushes its result, and raises a :class:`Trap` on a
bounds failure (execution §4.4.6 table instructions, §4.4.7 memory
instructions, bulk memory and reference types of WebAssembly 2.0). Bounds are
checked before anything is written, as 2.0 requires.
"""

from __future__ import annotations

from ..errors import Trap, TrapKind
from ..ir import PAGE_SIZE

_MASK32 = 0xFFFFFFFF


def _oob_memory():
    raise Trap(TrapKind.OUT_OF_BOUNDS_MEMORY)


def _oob_table():
    raise Trap(TrapKind.OUT_OF_BOUNDS_TABLE)


def memory_size(instance, stack, imm):
    stack.append(len(instance.memories[imm].data) // PAGE_SIZE)


def memory_grow(instance, stack, imm):
    # Memory.grow returns -1 on failure; as an i32 that is 0xFFFFFFFF.
    stack[-1] = instance.memories[imm].grow(stack[-1]) & _MASK32


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


def table_get(instance, stack, imm):
    elements = instance.tables[imm].elements
    index = stack[-1]
    if index >= len(elements):
        _oob_table()
    stack[-1] = elements[index]


def table_set(instance, stack, imm):
    value = stack.pop()
    index = stack.pop()
    elements = instance.tables[imm].elements
    if index >= len(elements):
        _oob_table()
    elements[index] = value


def table_init(instance, stack, imm):
    elem_index, table_index = imm
    n = stack.pop()
    src = stack.pop()
    dst = stack.pop()
    segment = instance.elem_segments[elem_index]
    elements = instance.tables[table_index].elements
    if src + n > len(segment) or dst + n > len(elements):
        _oob_table()
    elements[dst : dst + n] = segment[src : src + n]


def elem_drop(instance, stack, imm):
    instance.elem_segments[imm] = ()


def table_copy(instance, stack, imm):
    dst_index, src_index = imm
    n = stack.pop()
    src = stack.pop()
    dst = stack.pop()
    src_elements = instance.tables[src_index].elements
    dst_elements = instance.tables[dst_index].elements
    if src + n > len(src_elements) or dst + n > len(dst_elements):
        _oob_table()
    dst_elements[dst : dst + n] = src_elements[src : src + n]


def table_grow(instance, stack, imm):
    n = stack.pop()
    init = stack.pop()
    stack.append(instance.tables[imm].grow(n, init) & _MASK32)


def table_size(instance, stack, imm):
    stack.append(len(instance.tables[imm].elements))


def table_fill(instance, stack, imm):
    n = stack.pop()
    value = stack.pop()
    dst = stack.pop()
    elements = instance.tables[imm].elements
    if dst + n > len(elements):
        _oob_table()
    elements[dst : dst + n] = [value] * n


def ref_func(instance, stack, imm):
    stack.append(instance.funcs[imm])


MISC_OPS = {
    0x25: table_get,
    0x26: table_set,
    0x3F: memory_size,
    0x40: memory_grow,
    0xD2: ref_func,
    0xFC08: memory_init,
    0xFC09: data_drop,
    0xFC0A: memory_copy,
    0xFC0B: memory_fill,
    0xFC0C: table_init,
    0xFC0D: elem_drop,
    0xFC0E: table_copy,
    0xFC0F: table_grow,
    0xFC10: table_size,
    0xFC11: table_fill,
}
"""Opcode -> out-of-line helper ``fn(instance, stack, imm)``."""
