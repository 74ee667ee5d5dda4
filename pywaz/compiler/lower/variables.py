"""Parametric and variable instructions: ``drop``, ``select``, locals and globals."""

from __future__ import annotations

from .core import COND, CONST, EXPR, LOCAL


def _lower_drop(low, code, imm, pc, offset, blocks):
    entry = low.stack.pop()
    if entry[1] >= EXPR:
        low.flush()
        low.out.line(low.val(entry) if entry[1] != COND else entry[0])


def _lower_select(low, code, imm, pc, offset, blocks):
    # Python's conditional expression evaluates only one arm, so both arms are
    # made side-effect free first; the condition (pushed last) is evaluated last.
    top = len(low.stack)
    for pos in (top - 3, top - 2):
        if low.stack[pos][1] >= EXPR:
            low.materialize(pos)
    a, b, c = low.take(3)
    low.push(f"({low.val(a)} if {c[0]} else {low.val(b)})", EXPR, None, max(a[3], b[3], c[3]) + 1)


def _lower_local_get(low, code, imm, pc, offset, blocks):
    low.push(f"l{imm}", LOCAL, imm, 0)


def _lower_local_set(low, code, imm, pc, offset, blocks):
    value = low.take(1)[0]
    low.flush()
    low.flush_local(imm)
    low.out.line(f"l{imm} = {low.val(value)}")


def _lower_local_tee(low, code, imm, pc, offset, blocks):
    _lower_local_set(low, code, imm, pc, offset, blocks)
    low.push(f"l{imm}", LOCAL, imm, 0)


def _lower_global_get(low, code, imm, pc, offset, blocks):
    if low.global_mutable[imm]:
        low.push(f"_g{imm}.value", EXPR, None, 1)
    else:
        low.push(f"_g{imm}", CONST, None, 0)


def _lower_global_set(low, code, imm, pc, offset, blocks):
    value = low.take(1)[0]
    low.flush()
    low.out.line(f"_g{imm}.value = {low.val(value)}")


LOWERERS = {
    0x1A: _lower_drop,
    0x1B: _lower_select,
    0x1C: _lower_select,
    0x20: _lower_local_get,
    0x21: _lower_local_set,
    0x22: _lower_local_tee,
    0x23: _lower_global_get,
    0x24: _lower_global_set,
}
