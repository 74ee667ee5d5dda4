"""Table and reference instructions: ``table.*``, ``elem.drop``, ``ref.null``, ``ref.is_null``, ``ref.func``.

Table N is the instance global ``_tN``. Indexes are unsigned Python ints
and the helpers compare them with the table's length, so 64-bit tables
(table64) share the code of 32-bit ones; only ``table.grow``'s failure
value is specialised on the width.
"""

from __future__ import annotations

from .core import COND, CONST, EXPR, _statement


def _lower_table_get(low, code, imm, pc, offset, blocks):
    (index,) = low.take(1)
    low.push(low.site(f"_table_get(_t{imm}, {low.val(index)})", offset), EXPR, None, index[3] + 1)


def _lower_table_set(low, code, imm, pc, offset, blocks):
    index, value = low.take(2)
    low.flush()
    low.out.line(low.site(f"_table_set(_t{imm}, {low.val(index)}, {low.val(value)})", offset))


def _lower_table_size(low, code, imm, pc, offset, blocks):
    low.push(f"len(_t{imm}.elements)", EXPR, None, 1)


def _lower_table_grow(low, code, imm, pc, offset, blocks):
    value, delta = low.take(2)
    low.flush()
    name = f"s{len(low.stack)}"
    grow = "_table_grow64" if imm < len(low.table64) and low.table64[imm] else "_table_grow"
    low.out.line(f"{name} = {grow}(_t{imm}, {low.val(value)}, {low.val(delta)})")
    low.push_slot()


def _lower_ref_null(low, code, imm, pc, offset, blocks):
    low.push("None", CONST, None, 0)


def _lower_ref_is_null(low, code, imm, pc, offset, blocks):
    (value,) = low.take(1)
    low.push(f"({low.val(value)} is None)", COND, None, value[3] + 1)


def _lower_ref_func(low, code, imm, pc, offset, blocks):
    low.push(f"_F{imm}", CONST, None, 0)


LOWERERS = {
    0x25: _lower_table_get,
    0x26: _lower_table_set,
    0xD0: _lower_ref_null,
    0xD1: _lower_ref_is_null,
    0xD2: _lower_ref_func,
    0xFC0C: _statement("_table_init(_inst, {i0}, _t{i1}, {0}, {1}, {2})", 3),
    0xFC0D: _statement("_elem_drop(_inst, {imm})", 0),
    0xFC0E: _statement("_table_copy(_t{i0}, _t{i1}, {0}, {1}, {2})", 3),
    0xFC0F: _lower_table_grow,
    0xFC10: _lower_table_size,
    0xFC11: _statement("_table_fill(_t{imm}, {0}, {1}, {2})", 3),
}
