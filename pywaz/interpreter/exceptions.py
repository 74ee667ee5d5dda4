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


RETHROW = 63


class HandlerTable:
    """The handlers of one function while it is lowered: ``try_table`` and the legacy ``try``.

    Each handler gets an *order* (how many were opened before it). A legacy
    ``delegate`` to label ``l`` hands the exception to the handlers enclosing
    ``l``: its entry carries the order below which the search continues (the
    handlers opened inside ``l`` are skipped). A legacy ``try`` with catch
    clauses keeps the caught exception in a hidden local (``rethrow``'s
    operand), numbered from ``first_slot`` (after the function's locals).
    """

    def __init__(self, first_slot: int):
        self.first_slot = first_slot
        self.slots = 0
        self.opened = 0
        self.open: list = []
        self.closed: list = []
        self.limits: dict = {}  # id(label) -> handlers a delegate to that label still consults
        self.by_label: dict = {}

    def enter(self, label) -> None:
        """A block, loop or if opens ``label``."""
        self.limits[id(label)] = self.opened

    def open_handler(self, start: int, clauses: list, label) -> None:
        """A ``try_table`` (with its clauses) or a legacy ``try`` (clauses come later) at program position ``start``."""
        order = self.opened
        self.opened += 1
        self.limits[id(label)] = order + 1
        entry = self.by_label[id(label)] = [order, start, clauses, None, None]
        self.open.append(entry)

    def catch(self, position: int, kind: int, tag, height: int) -> None:
        """A legacy ``catch`` / ``catch_all`` whose body starts at program ``position``."""
        entry = self.open[-1]
        if entry[4] is None:
            entry[4] = position - 1  # the try body ends before the jump that skips the handlers
            entry[3] = self.first_slot + self.slots
            self.slots += 1
        entry[2].append((kind, tag, (position, height)))

    def close(self, end: int) -> None:
        """The ``end`` of the innermost open handler, at program position ``end``."""
        order, start, clauses, slot, body_end = self.open.pop()
        self.closed.append((order, start, end if body_end is None else body_end, clauses, slot, None))

    def delegate(self, end: int, label) -> None:
        """A legacy ``delegate`` ends the innermost ``try``: its exceptions go to the handlers around ``label``."""
        order, start, _clauses, _slot, _body_end = self.open.pop()
        self.closed.append((order, start, end, (), None, self.limits.get(id(label), 0)))

    def slot_of(self, label) -> int:
        """The hidden local of the legacy ``try`` whose label is ``label`` (``rethrow``)."""
        return self.by_label[id(label)][3]

    def resolve(self) -> tuple:
        """The handler table, innermost first, with labels resolved to ``(target, height)``."""
        out = []
        for order, start, end, clauses, slot, limit in self.closed:
            resolved = tuple(
                (kind, tag, *(label if type(label) is tuple else (label.target, label.height)))
                for kind, tag, label in clauses
            )
            out.append((order, start, end, resolved, slot, limit))
        return tuple(out)


def find_handler(handlers: tuple, pc: int, exception: WasmException, tags: list):
    """``(target, height, values, slot)`` of the clause that catches ``exception`` raised before ``pc``, or None.

    ``slot`` is the hidden local that keeps a legacy catch's exception (None for ``try_table``).
    """
    where = pc - 1
    limit = None
    for order, start, end, clauses, slot, delegate in handlers:
        if limit is not None and order >= limit:
            continue
        if not start <= where < end:
            continue
        if delegate is not None:
            limit = delegate
            continue
        for kind, tag, target, height in clauses:
            if kind <= CATCH_REF:
                if tags[tag] is not exception.tag:
                    continue
                values = list(exception.payload)
            else:
                values = []
            if kind == CATCH_REF or kind == CATCH_ALL_REF:
                values.append(exception)
            return target, height, values, slot
    return None
