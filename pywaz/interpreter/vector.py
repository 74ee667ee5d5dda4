"""Vector instructions for the interpreter, from the shared lane library :mod:`pywaz.simd`.

Maps each 0xFD opcode to the interpreter's instruction forms: lane functions
become unary/binary operators (an immediate -- lane index or shuffle pattern
-- is bound once, at lowering); ``bitselect`` and the memory forms run out of
line as ``fn(instance, stack, imm)``, with a read or write past the end of
memory turned into the ``out of bounds memory access`` trap.
"""

from __future__ import annotations

import struct

from ..errors import Trap, TrapKind
from ..simd import MEMORY_OPS, SIMD_ARITY, SIMD_OPS

_OOB = (struct.error, IndexError, OverflowError)  # OverflowError: a 64-bit address past ssize_t


def _oob():
    raise Trap(TrapKind.OUT_OF_BOUNDS_MEMORY) from None


def _load(fn):
    def op(instance, stack, imm):
        try:
            stack[-1] = fn(instance.memories[imm[2]].data, stack[-1] + imm[1])
        except _OOB:
            _oob()

    return op


def _load_lane(fn):
    def op(instance, stack, imm):
        value = stack.pop()
        try:
            stack[-1] = fn(instance.memories[imm[2]].data, stack[-1] + imm[1], value, imm[3])
        except _OOB:
            _oob()

    return op


def _store(fn):
    def op(instance, stack, imm):
        value = stack.pop()
        address = stack.pop()
        try:
            fn(instance.memories[imm[2]].data, address + imm[1], value)
        except _OOB:
            _oob()

    return op


def _store_lane(fn):
    def op(instance, stack, imm):
        value = stack.pop()
        address = stack.pop()
        try:
            fn(instance.memories[imm[2]].data, address + imm[1], value, imm[3])
        except _OOB:
            _oob()

    return op


def _ternary(fn):
    def op(instance, stack, imm):
        c = stack.pop()
        b = stack.pop()
        stack[-1] = fn(stack[-1], b, c)

    return op


def _with_immediate1(fn, imm):
    def op(a):
        return fn(a, imm)

    return op


def _with_immediate2(fn, imm):
    def op(a, b):
        return fn(a, b, imm)

    return op


_LANE_LOADS = {0xFD54, 0xFD55, 0xFD56, 0xFD57}
_LANE_STORES = {0xFD58, 0xFD59, 0xFD5A, 0xFD5B}
_STORES = {0xFD0B}


def _memory_forms():
    forms = {}
    for op, fn in MEMORY_OPS.items():
        if op in _LANE_LOADS:
            forms[op] = _load_lane(fn)
        elif op in _LANE_STORES:
            forms[op] = _store_lane(fn)
        elif op in _STORES:
            forms[op] = _store(fn)
        else:
            forms[op] = _load(fn)
    return forms


MEMORY = _memory_forms()
"""Vector memory instructions: opcode -> ``fn(instance, stack, imm)``."""


def lower(op: int, imm, unop: int, binop: int, misc: int):
    """The interpreter instruction ``(code, arg)`` for vector opcode ``op``, or None if unknown."""
    if op == 0xFD0C:  # v128.const: the value is the immediate
        return None
    if op in MEMORY:
        return (misc, (MEMORY[op], imm))
    fn = SIMD_OPS.get(op)
    if fn is None:
        return None
    count, kind = SIMD_ARITY[op]
    if kind == "-":
        if count == 1:
            return (unop, fn)
        if count == 2:
            return (binop, fn)
        return (misc, (_ternary(fn), None))
    if count == 1:
        return (unop, _with_immediate1(fn, imm))
    return (binop, _with_immediate2(fn, imm))
