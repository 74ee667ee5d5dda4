"""Fuel: deterministic execution budgets, counted the same by both engines.

Enters: a budget (an int >= 0) for one call from Python into wasm (an
exported function's call, or an instantiation running a start function).
Leaves: the call's result or ``Trap(OUT_OF_FUEL)``, and afterwards the fuel
the call consumed, on the runtime's per-thread :class:`~pywaz.vm.objects.CallDepth`.

What costs fuel: code compiled with ``CompileOptions(fuel=True)`` spends one
unit on entry to every wasm function and one on every taken branch (``br``,
``br_if``, ``br_table``) to a ``loop`` label. Host functions, and every other
instruction, cost nothing, so a finite budget bounds how long wasm can run:
straight-line code between two units is at most one function body long.
Code compiled without metering holds no check at all (the option is part of
the cache key, so metered and unmetered code never mix).

How: the running call's budget is an iterator over ``range(budget)`` held in
``CallDepth.fuel``; metered code spends a unit with ``next(iterator)`` -- one
C call, no arithmetic in Python -- and an exhausted iterator raises
StopIteration, which the entry point (:func:`pywaz.vm.exports.invoke`) turns
into the trap. What is left is the iterator's length hint. Only the outermost
entry on a thread installs a budget; a host function calling back into wasm
draws from the same one. With no metered call active the iterator is
:data:`UNMETERED`, which never runs out.
"""

from __future__ import annotations

import itertools

#: The budget of a thread with no metered call running: never exhausted.
UNMETERED = itertools.repeat(None)


def check_fuel(fuel, what: str = "fuel") -> int | None:
    """Validate a fuel budget: an int >= 0, or None for none.

    Raises:
        TypeError: not an int (bool and float included: fuel is counted in whole units).
        ValueError: negative.
    """
    if fuel is None:
        return None
    if isinstance(fuel, bool) or not isinstance(fuel, int):
        raise TypeError(f"{what} must be an int number of fuel units or None, not {type(fuel).__name__}")
    if fuel < 0:
        raise ValueError(f"{what} must not be negative, not {fuel}")
    return fuel


def run_with_fuel(budget: int | None, call_depth, fn, *args):
    """``fn(*args)`` with ``budget`` units of fuel (None: unmetered).

    At the outermost entry on a thread the budget is installed on
    ``call_depth`` and, when the call ends (normally or not), what it consumed
    is left in ``call_depth.fuel_consumed`` / ``fuel_remaining``. A nested
    entry (a host function calling back into wasm) runs under the budget
    already installed and leaves those counters to the outermost entry.
    """
    if budget is None or call_depth is None or call_depth.fuel is not UNMETERED:
        return fn(*args)
    meter = iter(range(budget))
    call_depth.fuel = meter
    try:
        return fn(*args)
    finally:
        call_depth.fuel = UNMETERED
        remaining = meter.__length_hint__()
        call_depth.fuel_remaining = remaining
        call_depth.fuel_consumed = budget - remaining


__all__ = ["UNMETERED", "check_fuel", "run_with_fuel"]
