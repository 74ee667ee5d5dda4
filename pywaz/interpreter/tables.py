"""Out-of-line table instructions (execution §4.4.6): ``table.*`` and ``elem.drop``.

Each helper is ``fn(instance, stack, imm)`` (see :mod:`.memory`). Indexes
are unsigned Python ints, so the same bounds checks serve 32-bit tables and
64-bit ones (table64); only ``table.grow``'s failure value (-1) depends on
the width.
"""

from __future__ import annotations

from ..errors import Trap, TrapKind
from ..ir import I64

_MASK32 = 0xFFFFFFFF
_MASK64 = 0xFFFFFFFFFFFFFFFF


def _oob_table():
    raise Trap(TrapKind.OUT_OF_BOUNDS_TABLE)


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
    table = instance.tables[imm]
    stack.append(table.grow(n, init) & (_MASK64 if table.type.address_type == I64 else _MASK32))


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


TABLE_OPS = {
    0x25: table_get,
    0x26: table_set,
    0xFC0C: table_init,
    0xFC0D: elem_drop,
    0xFC0E: table_copy,
    0xFC0F: table_grow,
    0xFC10: table_size,
    0xFC11: table_fill,
}
"""Opcode -> out-of-line table helper ``fn(instance, stack, imm)``."""
