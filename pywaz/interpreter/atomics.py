"""Atomic instructions (threads proposal) for the interpreter, from the shared semantics in :mod:`pywaz.atomics`.

Maps each 0xFE instruction (numbered 0xFF00 + sub) to an out-of-line
instruction ``fn(instance, stack, imm)``: it pops the address and the operands
from the frame's operand ``stack``, adds the memarg's offset and runs the
shared function on the memory the memarg names; the traps (unaligned,
out of bounds, unshared wait) come from there. ``atomic.fence`` lowers to
nothing.
"""

from __future__ import annotations

from ..atomics import ATOMIC_ARITY, ATOMIC_OPS


def _unary(fn):
    # A load: [address] -> [value].
    def op(instance, stack, imm):
        stack[-1] = fn(instance.memories[imm[2]], stack[-1] + imm[1])

    return op


def _binary(fn, has_result: bool):
    # A store ([address value] -> []), an rmw or notify ([address value] -> [old / count]).
    if has_result:
        def op(instance, stack, imm):
            value = stack.pop()
            stack[-1] = fn(instance.memories[imm[2]], stack[-1] + imm[1], value)
    else:
        def op(instance, stack, imm):
            value = stack.pop()
            fn(instance.memories[imm[2]], stack.pop() + imm[1], value)

    return op


def _ternary(fn):
    # cmpxchg ([address expected replacement] -> [old]) and wait ([address expected timeout] -> [result]).
    def op(instance, stack, imm):
        third = stack.pop()
        second = stack.pop()
        stack[-1] = fn(instance.memories[imm[2]], stack[-1] + imm[1], second, third)

    return op


def _build() -> dict:
    from ..opcodes import OP_NAMES

    ops = {}
    for code, fn in ATOMIC_OPS.items():
        arity = ATOMIC_ARITY[code]
        if arity == 0:
            ops[code] = _unary(fn)
        elif arity == 1:
            ops[code] = _binary(fn, ".store" not in OP_NAMES[code])
        else:
            ops[code] = _ternary(fn)
    return ops


_OPS = _build()


def lower(op: int, imm):
    """The interpreter's form of atomic ``op``: ``fn`` for a ``MISC`` instruction, or None for ``atomic.fence``."""
    return _OPS.get(op)


__all__ = ["lower"]
