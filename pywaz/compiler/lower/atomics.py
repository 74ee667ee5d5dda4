"""Atomic instructions (threads proposal, 0xFE prefix): calls of the shared semantics in :mod:`pywaz.atomics`.

Every atomic with a memarg is a call ``_a_<name>(_memN, address + offset,
operands...)`` of the function bound in the base namespace under
:func:`pywaz.atomics.generated_name` (``_a_i32_atomic_rmw_add``). It takes
the Memory object (``_memN``), not the bytearray local, so it always sees the
current buffer and the function needs no memory local for it; it checks
alignment and bounds itself and raises the trap. A load is an expression like
any load; everything that writes memory or may sleep (stores, read-modify-
writes, cmpxchg, wait, notify) is a statement, after the pending operands are
flushed, so it runs exactly once and in program order. ``atomic.fence``
emits nothing (one thread). Functions without atomics compile as before.
"""

from __future__ import annotations

from ...atomics import ATOMIC_ARITY, ATOMIC_OPS, generated_name
from ...opcodes import OP_NAMES
from .core import EXPR
from .memory import _address


def _lower_fence(low, code, imm, pc, offset, blocks):
    pass  # one thread: nothing to order


def _atomic_lowerer(name: str, count: int, is_load: bool, has_result: bool):
    def lower(low, code, imm, pc, offset, blocks):
        operands = low.take(count + 1)
        address = operands[0]
        address = (low.val(address), address[1], None, address[3])
        args = [f"_mem{imm[2]}", _address(address, imm[1])] + [low.val(e) for e in operands[1:]]
        text = low.site(f"{name}({', '.join(args)})", offset)
        if is_load:
            low.push(text, EXPR, None, address[3] + 2)
            return
        low.flush()
        if has_result:
            slot = f"s{len(low.stack)}"
            low.out.line(f"{slot} = {text}")
            low.push_slot()
        else:
            low.out.line(text)

    return lower


def _lowerers() -> dict:
    lowerers = {0xFF03: _lower_fence}
    for code in ATOMIC_OPS:
        name = OP_NAMES[code]
        is_store = ".store" in name
        lowerers[code] = _atomic_lowerer(generated_name(code), ATOMIC_ARITY[code], ".load" in name, not is_store)
    return lowerers


LOWERERS = _lowerers()
