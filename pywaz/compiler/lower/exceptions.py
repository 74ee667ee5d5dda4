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

The legacy form lowers onto the same statement: ``try ... catch $t ... catch_all
... end`` is a ``try:`` whose ``except`` runs an ``if _e.tag is ...`` chain with
the catch bodies inside (an unmatched exception is re-raised); each catch keeps
the exception in ``_x<pc>`` for ``rethrow``. ``delegate l`` re-raises with
``_e.delegate`` set to the number of enclosing handlers (Python ``try``
statements) that must pass it on before it reaches label ``l``'s; in a
function with a delegate every handler starts by doing so.
"""

from __future__ import annotations

from .control import _enter, _lower_end, pass_on_delegated, reload_memories
from .core import _BLOCK, _FUNC, SLOT, UnsupportedOpcode


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


class LegacyTry:
    """A legacy ``try`` being lowered: which part is open, and where its handlers start."""

    __slots__ = ("handlers", "phase", "var")

    def __init__(self, pc: int, handlers: list):
        self.handlers = handlers  # instruction indices of its catch / catch_all
        self.phase = "try"  # then "catch" (an if/elif suite open) or "catch_all"
        self.var = f"_x{pc}"

    def next_handler(self, pc: int):
        for handler in self.handlers:
            if handler >= pc:
                return handler
        return None

    def close(self, low, delegate_depth) -> None:
        """End the try (its ``end``, or ``delegate delegate_depth``): close the open suites."""
        out = low.out
        if self.phase == "try":
            out.close()
            out.open("except _WasmException as _e:")
            if delegate_depth is None:  # a try without handlers: the exception passes on
                out.line("raise")
            else:
                skip = _handlers_inside(low, low.frames[-1 - delegate_depth])
                out.line(f"_e.delegate = _e.delegate - 1 if _e.delegate else {skip}")
                out.line("raise")
            out.close()
            return
        if self.phase == "catch":
            out.close()
            out.open("else:")
            out.line("raise")
        out.close()  # the open if / elif / else suite
        out.close()  # the except suite


def _handlers_inside(low, target) -> int:
    """How many enclosing handlers (``try`` statements in their body) lie inside label frame ``target``."""
    index = next(i for i in range(len(low.frames) - 1, -1, -1) if low.frames[i] is target)
    count = 0
    for frame in low.frames[index + 1 :]:
        if frame.catches is not None or (frame.legacy is not None and frame.legacy.phase == "try"):
            count += 1
    return count


def _lower_try(low, code, imm, pc, offset, blocks):
    if low.flat:
        raise UnsupportedOpcode(code, offset, low.func_index)
    low.out.comment(f"# wasm@0x{offset:x} try")
    frame = _enter(low, _BLOCK, pc, blocks)
    if low.flat:
        raise UnsupportedOpcode(code, offset, low.func_index)
    if pc in low.targeted:
        frame.pyloop = True
        low.pydepth += 1
        frame.pydepth = low.pydepth
        low.out.open("while True:")
    ops = low.info.body.ops
    handlers = []
    depth = 0
    for at in range(pc + 1, frame.end_pc):
        op = ops[at]
        if op in (0x02, 0x03, 0x04, 0x06, 0x1F):
            depth += 1
        elif op == 0x0B or op == 0x18:
            depth -= 1
        elif depth == 0 and (op == 0x07 or op == 0x19):
            handlers.append(at)
    frame.legacy = LegacyTry(pc, handlers)
    low.out.open("try:")


def _lower_catch(low, code, imm, pc, offset, blocks):
    frame = low.frames[-1]
    state = frame.legacy
    if low.reachable:
        for pos in range(frame.height, len(low.stack)):
            low.materialize(pos)
    del low.stack[frame.height :]
    if low.pending_sites:
        low.drop_stale_sites()
    out = low.out
    out.comment(f"# wasm@0x{offset:x} {'catch' if code == 0x07 else 'catch_all'}")
    if state.phase == "try":
        out.close()
        out.open("except _WasmException as _e:")
        pass_on_delegated(low)
        reload_memories(low)  # a call that threw may have grown a memory
        if code == 0x07:
            out.open(f"if _e.tag is _tag{imm}:")
            state.phase = "catch"
        else:
            out.open("if True:")  # keeps the suites uniform for close()
            state.phase = "catch_all_open"
    else:  # after a catch
        out.close()
        if code == 0x07:
            out.open(f"elif _e.tag is _tag{imm}:")
        else:
            out.open("else:")
            state.phase = "catch_all"
    out.line(f"{state.var} = _e")
    if code == 0x07:
        count = len(low.tag_types[imm].params)
        names = [f"s{frame.height + i}" for i in range(count)]
        if names:
            out.line(", ".join(names) + ("," if count == 1 else "") + " = _e.payload")
        for name in names:
            low.stack.append((name, SLOT, None, 0))
    low.reachable = True


def _lower_delegate(low, code, imm, pc, offset, blocks):
    low.out.comment(f"# wasm@0x{offset:x} delegate {imm}")
    _lower_end(low, code, imm, pc, offset, blocks)


def _lower_rethrow(low, code, imm, pc, offset, blocks):
    low.flush()
    low.out.line(low.site(f"_throw_ref({low.label_frame(imm).legacy.var})", offset))
    low.reachable = False


LOWERERS = {
    0x06: _lower_try,
    0x07: _lower_catch,
    0x19: _lower_catch,
    0x18: _lower_delegate,
    0x09: _lower_rethrow,
    0x08: _lower_throw,
    0x0A: _lower_throw_ref,
    0x1F: _lower_try_table,
}
