"""Exception handling in the interpreter (the exception-handling proposal: ``throw``, ``throw_ref``, ``try_table``).

Enters: the instructions of the proposal while a function is lowered
(:mod:`.prepare`), and at run time a :class:`~pywaz.errors.WasmException`
that left an instruction. Leaves: program entries for ``throw`` and
``throw_ref``, the function's handler table, and, for a raised exception,
the branch its innermost matching catch clause takes.

A ``try_table`` emits nothing: it records a handler ``(start, end, clauses)``
over the program positions of its body, innermost handlers first. The
dispatch loop of :mod:`.machine` runs inside a Python ``try`` that costs
nothing until an exception is raised; then :func:`find_handler` looks for a
clause covering the instruction that raised (a ``throw``, or a call an
exception came out of), in this frame and then in each caller's frame.
"""

from __future__ import annotations

from ..errors import Trap, TrapKind, WasmException

THROW = 61
THROW_REF = 62

CATCH, CATCH_REF, CATCH_ALL, CATCH_ALL_REF = range(4)


def lower_throw(tag_index: int, tag_types) -> tuple:
    """The program entry of ``throw tag_index``."""
    return (THROW, (tag_index, len(tag_types[tag_index].params)))


def throw(tag, stack: list, count: int):
    """Raise the exception of ``tag`` whose payload is the top ``count`` values (popped)."""
    if count:
        payload = tuple(stack[-count:])
        del stack[-count:]
    else:
        payload = ()
    raise WasmException(tag, payload)


def throw_ref(exception):
    """``throw_ref``: raise the caught exception again, the same object.

    Raises:
        Trap: null exception reference.
    """
    if exception is None:
        raise Trap(TrapKind.NULL_EXCEPTION_REFERENCE)
    raise exception


def resolve(handlers: list) -> tuple:
    """The handler table with each clause's label resolved to ``(target, height, arity)``."""
    return tuple(
        (start, end, tuple((kind, tag, label.target, label.height) for kind, tag, label in clauses))
        for start, end, clauses in handlers
    )


def find_handler(handlers: tuple, pc: int, exception: WasmException, tags: list):
    """``(target, height, values)`` of the clause that catches ``exception`` raised before ``pc``, or None."""
    where = pc - 1
    for start, end, clauses in handlers:
        if start <= where < end:
            for kind, tag, target, height in clauses:
                if kind <= CATCH_REF:
                    if tags[tag] is not exception.tag:
                        continue
                    values = list(exception.payload)
                else:
                    values = []
                if kind == CATCH_REF or kind == CATCH_ALL_REF:
                    values.append(exception)
                return target, height, values
    return None
