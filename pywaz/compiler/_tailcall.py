"""Tail calls in generated code (the tail-call proposal): the trampoline.

A generated function that contains ``return_call`` or ``return_call_indirect``
returns a :class:`TailCall` (the callee and its arguments) instead of calling
it, so its Python frame is gone before the callee runs. Such a function is
installed behind :func:`tail_entry`, the only code that ever sees a
:class:`TailCall`: it keeps calling until a real result comes back, calling
the *bodies* of callees that have tail calls themselves, so a chain of tail
calls of any length (mutual recursion, calls through tables, into other
instances' compiled functions or host functions) runs in one Python frame.
Functions without tail calls are installed as they are: ordinary calls cost
what they always did.
"""

from __future__ import annotations


class TailCall(tuple):
    """A pending tail call ``(callee, args)``: ``callee(*args)`` (a function's ``call``, or a generated body).

    A tuple subclass, so generated code builds one in C (``_Tail((_f2, (a, b)))``) rather than
    through a Python ``__init__``; its class tells it apart from a multi-value result (a plain tuple).
    """

    __slots__ = ()

    @property
    def callee(self):
        return self[0]

    @property
    def args(self) -> tuple:
        return self[1]


def tail_entry(body):
    """The callable to install for a generated function ``body`` that contains tail calls."""

    def entry(*args):
        result = body(*args)
        while result.__class__ is TailCall:
            callee, args = result
            # The callee's own body if it has tail calls (its TailCalls come back to this loop).
            result = getattr(callee, "tail_body", callee)(*args)
        return result

    entry.tail_body = body
    entry.__name__ = entry.__qualname__ = body.__name__
    return entry


def has_tail_calls(code) -> bool:
    """Whether a generated function's code object builds :class:`TailCall` values."""
    return "_Tail" in code.co_names
