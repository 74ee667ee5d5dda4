"""Tail calls in the interpreter (the tail-call proposal: ``return_call``, ``return_call_indirect``).

Enters: a ``return_call*`` instruction's immediate and the module's function
types. Leaves: the ``(code, arg)`` program entry the dispatch loop in
:mod:`.machine` runs. A tail call to a function of the same instance replaces
the running frame (its locals, operand stack and program) instead of pushing
one, so a chain of tail calls of any length runs in constant space; a tail
call to an import (a host function, another instance's function) is an
ordinary call followed by a return, which leaves the Python stack as it found
it. ``return_call_ref`` (typed function references) runs the same way; its
code is :data:`pywaz.interpreter.gc.RETURN_CALL_REF`.
"""

from __future__ import annotations

RETURN_CALL_LOCAL = 58
RETURN_CALL_IMPORT = 59
RETURN_CALL_INDIRECT = 60


def lower(op: int, imm, nimports: int, func_types, types) -> tuple:
    """The program entry of ``return_call`` (0x12) or ``return_call_indirect`` (0x13)."""
    if op == 0x12:
        if imm >= nimports:
            return (RETURN_CALL_LOCAL, imm - nimports)
        ftype = func_types[imm]
        return (RETURN_CALL_IMPORT, (imm, len(ftype.params), len(ftype.results)))
    type_index, table_index = imm
    return (RETURN_CALL_INDIRECT, (types[type_index], table_index))
