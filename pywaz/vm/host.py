"""Host modules: Python functions, memories, tables and globals that wasm can import.

``runtime.new_host_module("env")`` returns a :class:`HostModuleBuilder`; chain
``function``/``global_``/``memory``/``table`` and finish with ``instantiate()``,
which registers the module in the runtime under its name. A host function
receives embedder values (i32/i64 as signed ints, floats, references) unless
declared with ``raw=True``, and returns None, one value, or a tuple.
Exceptions it raises become ``Trap(HOST_ERROR)`` with the original as
``__cause__``; a :class:`~pywaz.Trap` or :class:`~pywaz.ExitError` passes
through unchanged.
"""

from __future__ import annotations

from ..errors import ExitError, Trap, TrapKind
from ..ir import EXTERNREF, FUNCREF, GlobalType, Limits, MemoryType, TableType, func_type
from .objects import Function, Global, Memory, Table
from .values import from_raw, parse_valtype, to_raw

# How many host functions may be active on the stack at once (wasm -> host ->
# wasm -> host ...). Each such level recurses in C, and CPython 3.11 crashes
# rather than raising when the C stack runs out, so this bound is kept well
# below what an 8 MiB main-thread stack holds.
MAX_HOST_NESTING = 400


def _host_call(fn, ftype, raw: bool, qualified: str, call_depth):
    params = ftype.params
    results = ftype.results
    nresults = len(results)

    def call(*args):
        if not raw:
            args = [from_raw(t, v) for t, v in zip(params, args)]
        if call_depth.host_nesting >= MAX_HOST_NESTING:
            raise Trap(TrapKind.CALL_STACK_EXHAUSTED)
        call_depth.host_nesting += 1
        try:
            result = fn(*args)
        except (Trap, ExitError):
            raise
        except RecursionError:
            raise Trap(TrapKind.CALL_STACK_EXHAUSTED) from None
        except Exception as exc:
            raise Trap(TrapKind.HOST_ERROR, f"{qualified}: {type(exc).__name__}: {exc}") from exc
        finally:
            call_depth.host_nesting -= 1
        try:
            if nresults == 0:
                return None
            if nresults == 1:
                return to_raw(results[0], result, f"result of {qualified}")
            if not isinstance(result, (tuple, list)) or len(result) != nresults:
                raise TypeError(f"result of {qualified}: expected a tuple of {nresults} values")
            return tuple(to_raw(t, v, f"result {i} of {qualified}") for i, (t, v) in enumerate(zip(results, result)))
        except (TypeError, ValueError) as exc:
            raise Trap(TrapKind.HOST_ERROR, str(exc)) from exc

    return call


class HostModuleBuilder:
    """Collects host definitions for one module name; see the module docstring."""

    def __init__(self, runtime, name: str):
        if not isinstance(name, str):
            raise TypeError("host module name must be a str")
        self._runtime = runtime
        self.name = name
        self._exports: dict[str, object] = {}

    def _add(self, name: str, obj) -> HostModuleBuilder:
        if not isinstance(name, str):
            raise TypeError("export name must be a str")
        if name in self._exports:
            raise ValueError(f"duplicate export {name!r} in host module {self.name!r}")
        self._exports[name] = obj
        return self

    def function(self, name: str, fn, params=(), results=(), *, raw: bool = False) -> HostModuleBuilder:
        """Add a host function ``fn`` with the given parameter/result type names.

        Raises:
            TypeError: ``fn`` is not callable.
            ValueError: unknown value type name, or a duplicate name.
        """
        if not callable(fn):
            raise TypeError(f"host function {name!r} is not callable")
        ftype = func_type(tuple(parse_valtype(t) for t in params), tuple(parse_valtype(t) for t in results))
        qualified = f"{self.name}.{name}"
        return self._add(
            name,
            Function(
                ftype, _host_call(fn, ftype, raw, qualified, self._runtime.call_depth), qualified, None, -1, host=True
            ),
        )

    def global_(self, name: str, valtype, value, mutable: bool = False) -> HostModuleBuilder:
        """Add a global of ``valtype`` ("i32", ...) holding ``value`` (embedder value).

        Raises:
            TypeError / ValueError: the value does not fit the type.
        """
        code = parse_valtype(valtype)
        return self._add(name, Global(GlobalType(code, bool(mutable)), to_raw(code, value, f"global {name}")))

    def memory(self, name: str, minimum: int, maximum: int | None = None) -> HostModuleBuilder:
        """Add a linear memory of ``minimum`` pages (at most ``maximum``).

        Raises:
            ValueError: bad limits.
        """
        _check_limits(minimum, maximum, 65536, "memory")
        limit = self._runtime.max_memory_pages
        if limit is not None and minimum > limit:
            raise ValueError(f"memory of {minimum} pages exceeds the runtime's max_memory_pages ({limit})")
        return self._add(name, Memory(MemoryType(Limits(minimum, maximum)), self._runtime.max_memory_pages))

    def table(self, name: str, elem_type, minimum: int, maximum: int | None = None) -> HostModuleBuilder:
        """Add a table of ``elem_type`` ("funcref" or "externref") with ``minimum`` null entries.

        Raises:
            ValueError: bad element type or limits.
        """
        code = parse_valtype(elem_type)
        if code not in (FUNCREF, EXTERNREF):
            raise ValueError(f"table element type must be funcref or externref, not {elem_type!r}")
        _check_limits(minimum, maximum, 0xFFFFFFFF, "table")
        return self._add(name, Table(TableType(code, Limits(minimum, maximum)), None))

    def instantiate(self):
        """Create the host instance and register it in the runtime under this module's name."""
        return self._runtime._instantiate_host(self.name, dict(self._exports))


def _check_limits(minimum, maximum, bound, what):
    for value in (minimum, maximum):
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
            raise TypeError(f"{what} limits must be ints")
    if minimum < 0 or minimum > bound or (maximum is not None and not minimum <= maximum <= bound):
        raise ValueError(f"bad {what} limits: min={minimum}, max={maximum}")


__all__ = ["HostModuleBuilder"]
