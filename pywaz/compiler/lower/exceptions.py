"""Exception handling (the exception-handling proposal): ``throw``, ``throw_ref`` and ``try_table``.

A ``try_table`` is a block (a ``while True:`` only when something branches to
it) around a Python ``try:``; its ``except _WasmException`` clause tests the
tag by identity (``_e.tag is _tag3``), moves the payload (and for the ``_ref``
clauses the exception itself, which is the ``exnref``) into the target label's
slots and branches there; an exception no clause catches is re-raised as it
is. Traps are another class, which the clause never catches. CPython 3.11's
``try`` costs nothing until something raises, so a handler that never runs is
free. ``throw`` raises ``_WasmException(_tag<i>, payload)``; ``throw_ref``
raises the same exception object again. A ``try_table`` in a function lowered
flat (region dispatch: too deeply nested for structured code) is not supported.
"""

from __future__ import annotations

from .control import _enter
from .core import _BLOCK, UnsupportedOpcode


def _lower_try_table(low, code, imm, pc, offset, blocks):
    if low.flat:
        raise UnsupportedOpcode(code, offset, low.func_index)
    _block_type, clauses = imm
    # Catch labels are counted outside the try_table.
    catches = [(kind, tag, low.label_frame(depth)) for kind, tag, depth in clauses]
    low.out.comment(f"# wasm@0x{offset:x} try_table")
    frame = _enter(low, _BLOCK, pc, blocks)
    if low.flat:  # it became the root of a flat island
        raise UnsupportedOpcode(code, offset, low.func_index)
    if pc in low.targeted:
        frame.pyloop = True
        low.pydepth += 1
        frame.pydepth = low.pydepth
        low.out.open("while True:")
    frame.catches = catches
    low.out.open("try:")


def _lower_throw(low, code, imm, pc, offset, blocks):
    args = low.take(len(low.tag_types[imm].params))
    low.flush()
    values = ", ".join(low.val(a) for a in args) + ("," if len(args) == 1 else "")
    low.out.line(low.site(f"raise _WasmException(_tag{imm}, ({values}))", offset))
    low.reachable = False


def _lower_throw_ref(low, code, imm, pc, offset, blocks):
    (value,) = low.take(1)
    low.flush()
    low.out.line(low.site(f"_throw_ref({low.val(value)})", offset))
    low.reachable = False


LOWERERS = {
    0x08: _lower_throw,
    0x0A: _lower_throw_ref,
    0x1F: _lower_try_table,
}
