"""Host modules: Python functions, memories, tables and globals that wasm can import.

``runtime.new_host_module("env")`` returns a :class:`HostModuleBuilder`; chain
``function``/``global_``/``memory``/``table`` and finish with ``instantiate()``,
which registers the module in the runtime under its name, so any module the
runtime instantiates afterwards can import from it.

A host function's wasm type is given with ``params=[...]``/``results=[...]``
(type names such as ``"i32"``) or read from its annotations (see
:mod:`pywaz.vm.valtypes`)::

    def add(a: pywaz.i32, b: pywaz.i32) -> pywaz.i32: ...
    def log(caller: pywaz.Caller, ptr: pywaz.i32, n: pywaz.i32) -> None: ...

It receives embedder values (i32/i64 as signed ints, floats, references)
unless declared with ``raw=True``, and returns None, one value, or a tuple
(checked against the declared results). A first parameter annotated
:class:`Caller` (or ``caller=True``) receives the calling instance's
:class:`Caller`. Exceptions it raises become ``Trap(HOST_ERROR)`` with the
original as ``__cause__``; a :class:`~pywaz.Trap` or :class:`~pywaz.ExitError`
passes through unchanged.
"""

from __future__ import annotations

import types
import typing

from ..errors import ExitError, Trap, TrapKind, WasmException
from ..ir import (
    I32,
    I64,
    MAX_PAGES64,
    VALTYPE_BY_NAME,
    GlobalType,
    Limits,
    MemoryType,
    TableType,
    func_type,
    ref_parts,
)
from .objects import Function, Global, Memory, Table, Tag
from .values import from_raw, parse_valtype, to_raw

# How many host functions may be active on the stack at once (wasm -> host ->
# wasm -> host ...). Each such level recurses in C, and CPython 3.11 crashes
# rather than raising when the C stack runs out, so this bound is kept well
# below what an 8 MiB main-thread stack holds.
MAX_HOST_NESTING = 400


class Caller:
    """The instance calling a host function, as that function sees it.

    A host function opts in by annotating its first parameter ``pywaz.Caller``
    (or with ``caller=True``). Each importing instance gets its own binding,
    so ``caller`` always names the instance whose code made the call. When
    the function is called directly from Python (through the host instance's
    exports) there is no calling instance and ``caller`` is None.

    ``module_instance`` is the raw store instance (the engine contract,
    :class:`pywaz.vm.objects.ModuleInstance`): its ``exports`` dict is filled
    before the start function runs and never changes afterwards.
    """

    __slots__ = ("_exports", "module_instance", "_runtime")

    def __init__(self, module_instance, runtime):
        self.module_instance = module_instance
        self._runtime = runtime
        self._exports = None

    @property
    def name(self) -> str | None:
        """The calling instance's registered module name, if any."""
        return self.module_instance.name

    @property
    def exports(self):
        """The calling instance's exports (a read-only mapping of embedder wrappers)."""
        if self._exports is None:
            from .exports import Exports

            self._exports = Exports(self.module_instance.exports, None, self._runtime)
        return self._exports

    @property
    def memory(self):
        """The calling instance's memory 0 (exported or not) as an ExportedMemory, or None."""
        memories = self.module_instance.memories
        if not memories:
            return None
        from .exports import ExportedMemory

        return ExportedMemory(memories[0], None)

    def get_export(self, name: str):
        """The export ``name`` of the calling instance, or None when it has none by that name."""
        if not isinstance(name, str):
            raise TypeError(f"export name must be a str, not {type(name).__name__}")
        return self.exports.get(name)

    def __repr__(self) -> str:
        return f"<Caller {self.module_instance.name or '(anonymous)'}>"


class HostFunction(Function):
    """A host :class:`Function`; one that takes a :class:`Caller` is re-bound per importing instance."""

    __slots__ = ("_make_call", "takes_caller", "runtime")

    def __init__(self, type, make_call, name: str, takes_caller: bool, runtime=None):
        super().__init__(type, make_call(None), name, None, -1, host=True)
        self._make_call = make_call
        self.takes_caller = takes_caller
        self.runtime = runtime  # the Runtime whose builder made it (see values.owner_runtime)

    def for_instance(self, module_instance, runtime) -> Function:
        """The function as imported by ``module_instance`` (itself unless it takes a caller)."""
        if not self.takes_caller:
            return self
        bound = HostFunction.__new__(HostFunction)
        Function.__init__(
            bound, self.type, self._make_call(Caller(module_instance, runtime)), self.name, None, -1, host=True
        )
        bound._make_call = self._make_call
        bound.takes_caller = True
        bound.runtime = self.runtime
        return bound


def _host_call(fn, ftype, raw: bool, qualified: str, runtime, takes_caller: bool):
    """``caller -> call``: builds the raw-value callable engines invoke."""
    call_depth = runtime.call_depth
    params = ftype.params
    results = ftype.results
    nresults = len(results)

    def make_call(caller):
        def call(*args):
            if not raw:
                args = [from_raw(t, v) for t, v in zip(params, args)]
            if call_depth.host_nesting >= MAX_HOST_NESTING:
                raise Trap(TrapKind.CALL_STACK_EXHAUSTED)
            call_depth.host_nesting += 1
            try:
                result = fn(caller, *args) if takes_caller else fn(*args)
            except (Trap, ExitError, WasmException):  # a wasm exception crosses host frames as itself
                raise
            except RecursionError:
                raise Trap(TrapKind.CALL_STACK_EXHAUSTED) from None
            except Exception as exc:
                raise Trap(TrapKind.HOST_ERROR, f"{qualified}: {type(exc).__name__}: {exc}") from exc
            finally:
                call_depth.host_nesting -= 1
            try:
                if nresults == 0:
                    if result is not None:
                        raise TypeError(
                            f"{qualified} returned {type(result).__name__} but declares no results "
                            "(annotate its return type or pass results=[...])"
                        )
                    return None
                if nresults == 1:
                    return to_raw(results[0], result, f"result of {qualified}", runtime)
                if not isinstance(result, (tuple, list)) or len(result) != nresults:
                    raise TypeError(
                        f"result of {qualified}: expected a tuple of {nresults} values, got {_describe(result)}"
                    )
                return tuple(
                    to_raw(t, v, f"result {i} of {qualified}", runtime) for i, (t, v) in enumerate(zip(results, result))
                )
            except (TypeError, ValueError) as exc:
                raise Trap(TrapKind.HOST_ERROR, str(exc)) from exc

        return call

    return make_call


def _describe(value) -> str:
    if isinstance(value, (tuple, list)):
        return f"a {type(value).__name__} of {len(value)}"
    return type(value).__name__


def _resolve_annotation(annotation, fn, what: str):
    """The valtype code, ``Caller``, or None (no results) an annotation stands for.

    Raises:
        TypeError: the annotation is not part of the scheme in :mod:`pywaz.vm.valtypes`.
    """
    # A string annotation may itself evaluate to a string: ``x: "i32"`` under
    # ``from __future__ import annotations`` is stored as "'i32'".
    for _ in range(2):
        if not isinstance(annotation, str):
            break
        text = annotation.strip()
        if text in VALTYPE_BY_NAME:
            return parse_valtype(text)
        if text == "None":
            return None
        try:
            annotation = eval(text, getattr(fn, "__globals__", {}))
        except Exception as exc:  # noqa: BLE001 - any failure of user code is reported the same way
            raise TypeError(f"{what}: cannot resolve annotation {text!r} ({type(exc).__name__}: {exc})") from None
    if annotation is None or annotation is type(None):
        return None
    if annotation is Caller:
        return Caller
    code = getattr(annotation, "__wasm_valtype__", None) if isinstance(annotation, type) else None
    if code is not None:
        return code
    hint = " (int is ambiguous: use pywaz.i32 or pywaz.i64)" if annotation is int else ""
    if annotation is float:
        hint = " (float is ambiguous: use pywaz.f32 or pywaz.f64)"
    raise TypeError(
        f"{what}: annotation {annotation!r} is not a wasm type; use pywaz.i32, i64, f32, f64, v128, "
        f"funcref, externref, anyref, eqref, i31ref, structref or arrayref{hint}, or pass params=/results="
    )


def infer_signature(fn, qualified: str, params, results, caller):
    """``(param codes, result codes, takes_caller)`` from explicit lists and ``fn``'s annotations.

    Raises:
        TypeError: an annotation is missing or not a wasm type, or the signature cannot be read.
        ValueError: an explicit type name is unknown.
    """
    explicit_params = None if params is None else tuple(parse_valtype(t) for t in _as_list(params, "params"))
    explicit_results = None if results is None else tuple(parse_valtype(t) for t in _as_list(results, "results"))
    if explicit_params is not None and explicit_results is not None:
        if caller is not None:
            return explicit_params, explicit_results, bool(caller)
        if type(fn) is types.FunctionType:
            # A plain function with explicit types: only its first parameter's annotation matters.
            code = fn.__code__
            first = code.co_varnames[0] if code.co_argcount else None
            annotation = fn.__annotations__.get(first) if first is not None else None
            takes_caller = annotation is not None and _is_caller(annotation, fn)
            return explicit_params, explicit_results, takes_caller
    import inspect  # only here: inspect costs ~5 ms of start-up, and WASI's functions are fully typed

    try:
        signature = inspect.signature(fn)
    except (TypeError, ValueError):
        if explicit_params is not None and explicit_results is not None:
            return explicit_params, explicit_results, bool(caller)
        raise TypeError(
            f"host function {qualified}: its signature cannot be read; pass params=[...] and results=[...]"
        ) from None
    positional = []
    for p in signature.parameters.values():
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD):
            positional.append(p)
        elif p.kind is p.VAR_POSITIONAL:
            positional.append(None)
            break
    takes_caller = caller
    if takes_caller is None:
        takes_caller = bool(positional) and positional[0] is not None and _is_caller(positional[0].annotation, fn)
    if explicit_params is None:
        codes = []
        for index, p in enumerate(positional[1:] if takes_caller else positional):
            if p is None:
                raise TypeError(f"host function {qualified}: *args cannot be typed; pass params=[...]")
            if p.annotation is p.empty:
                raise TypeError(
                    f"host function {qualified}: parameter {p.name!r} has no annotation; annotate it "
                    "(e.g. pywaz.i32) or pass params=[...]"
                )
            code = _resolve_annotation(p.annotation, fn, f"{qualified} parameter {p.name}")
            if code is None or code is Caller:
                where = "only the first parameter may be the Caller" if code is Caller else "None is not a type"
                raise TypeError(f"host function {qualified}: parameter {p.name!r}: {where}")
            codes.append(code)
        explicit_params = tuple(codes)
    if explicit_results is None:
        explicit_results = _result_codes(signature.return_annotation, fn, qualified)
    return explicit_params, explicit_results, bool(takes_caller)


def _is_caller(annotation, fn) -> bool:
    """Whether a first parameter's annotation names :class:`Caller` (never raises: with explicit
    ``params`` any other annotation is simply not looked at)."""
    if isinstance(annotation, str):
        text = annotation.strip().strip("'\"")
        if not text.endswith("Caller"):
            return False
        try:
            annotation = eval(text, getattr(fn, "__globals__", {}))
        except Exception:  # noqa: BLE001 - an unresolvable annotation is not the Caller
            return False
    return annotation is Caller


def _result_codes(annotation, fn, qualified: str) -> tuple:
    import inspect

    what = f"{qualified} return annotation"
    if annotation is inspect.Signature.empty:
        return ()  # like a Python function without one: returns None
    if isinstance(annotation, str) and annotation.strip().startswith(("tuple[", "typing.Tuple[", "Tuple[")):
        try:
            annotation = eval(annotation, getattr(fn, "__globals__", {}))
        except Exception as exc:  # noqa: BLE001 - as above
            raise TypeError(f"{what}: cannot resolve {annotation!r} ({type(exc).__name__}: {exc})") from None
    if typing.get_origin(annotation) is tuple:
        args = typing.get_args(annotation)
        if args == ((),):  # typing.Tuple[()]
            args = ()
        if Ellipsis in args:
            raise TypeError(f"{what}: a variable-length tuple has no fixed wasm result types")
        codes = []
        for i, arg in enumerate(args):
            code = _resolve_annotation(arg, fn, f"{what} item {i}")
            if code is None or code is Caller:
                raise TypeError(f"{what} item {i}: not a wasm value type")
            codes.append(code)
        return tuple(codes)
    code = _resolve_annotation(annotation, fn, what)
    if code is Caller:
        raise TypeError(f"{what}: Caller is not a wasm value type")
    return () if code is None else (code,)


def _as_list(types, label):
    if isinstance(types, (str, bytes)) or not hasattr(types, "__iter__"):
        raise TypeError(f"{label} must be a list of value type names, not {type(types).__name__}")
    return list(types)


def _address_type(name: str) -> int:
    if name == "i32":
        return I32
    if name == "i64":
        return I64
    raise ValueError(f"address type must be 'i32' or 'i64', not {name!r}")


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

    def function(
        self, name: str, fn, params=None, results=None, *, raw: bool = False, caller: bool | None = None
    ) -> HostModuleBuilder:
        """Add the host function ``fn`` as export ``name``.

        ``params``/``results`` are lists of value type names (``"i32"``...) or
        codes; either one left as None is read from ``fn``'s annotations (see
        :mod:`pywaz.vm.valtypes`; an absent return annotation means no
        results). ``caller``: pass a :class:`Caller` as the first argument
        (None: when the first parameter is annotated ``pywaz.Caller``).
        ``raw``: arguments and results in the raw representation of
        :mod:`pywaz.numeric` (unsigned i32/i64), unchecked on the way in.

        Raises:
            TypeError: ``fn`` is not callable, or its annotations do not give a wasm type.
            ValueError: unknown value type name, or a duplicate name.
        """
        if not isinstance(name, str):
            raise TypeError(f"export name must be a str, not {type(name).__name__}")
        if not callable(fn):
            raise TypeError(f"host function {name!r} is not callable")
        if caller is not None and not isinstance(caller, bool):
            raise TypeError(f"caller must be a bool or None, not {type(caller).__name__}")
        qualified = f"{self.name}.{name}"
        param_codes, result_codes, takes_caller = infer_signature(fn, qualified, params, results, caller)
        ftype = func_type(param_codes, result_codes)
        make_call = _host_call(fn, ftype, bool(raw), qualified, self._runtime, takes_caller)
        return self._add(name, HostFunction(ftype, make_call, qualified, takes_caller, self._runtime))

    def global_(self, name: str, valtype, value, mutable: bool = False) -> HostModuleBuilder:
        """Add a global of ``valtype`` ("i32", ...) holding ``value`` (embedder value).

        Raises:
            ValueError: unknown value type.
            ArgumentError: the value does not fit the type, or is a function of another runtime.
        """
        code = parse_valtype(valtype)
        value = to_raw(code, value, f"global {name}", self._runtime)
        return self._add(name, Global(GlobalType(code, bool(mutable)), value))

    def memory(self, name: str, minimum: int, maximum: int | None = None, *,
               address_type: str = "i32", shared: bool = False) -> HostModuleBuilder:
        """Add a linear memory of ``minimum`` pages (at most ``maximum``); ``address_type="i64"`` makes it 64-bit.

        ``shared=True`` makes it a shared memory (threads proposal), which modules importing it
        must declare ``shared`` too; it needs a ``maximum``.

        Raises:
            ValueError: bad limits or address type, or a shared memory without a maximum.
        """
        address = _address_type(address_type)
        _check_limits(minimum, maximum, MAX_PAGES64 if address == I64 else 65536, "memory")
        if shared and maximum is None:
            raise ValueError("shared memory must have maximum")
        limit = self._runtime.max_memory_pages
        if limit is not None and minimum > limit:
            raise ValueError(f"memory of {minimum} pages exceeds the runtime's max_memory_pages ({limit})")
        memory_type = MemoryType(Limits(minimum, maximum), address, bool(shared))
        return self._add(name, Memory(memory_type, self._runtime.max_memory_pages))

    def table(self, name: str, elem_type, minimum: int, maximum: int | None = None, *,
              address_type: str = "i32") -> HostModuleBuilder:
        """Add a table of ``elem_type`` (a nullable reference type: "funcref", "externref", "anyref", ...)
        with ``minimum`` null entries.

        ``address_type="i64"`` makes it a 64-bit table (table64).

        Raises:
            ValueError: bad element type, limits or address type.
        """
        code = parse_valtype(elem_type)
        parts = ref_parts(code)
        if parts is None or not parts[0]:
            raise ValueError(f"table element type must be a nullable reference type (its entries start as null), "
                             f"not {elem_type!r}")
        address = _address_type(address_type)
        _check_limits(minimum, maximum, 0xFFFFFFFFFFFFFFFF if address == I64 else 0xFFFFFFFF, "table")
        return self._add(name, Table(TableType(code, Limits(minimum, maximum), address), None))

    def tag(self, name: str, params=()) -> HostModuleBuilder:
        """Add an exception tag whose payload has the value types ``params`` ("i32", ...), as export ``name``.

        Wasm modules import it to throw and catch exceptions the host can also
        throw (``raise pywaz.WasmException(tag, payload)`` in a host function)
        and recognise (``error.tag is tag``); ``builder.tags[name]`` is the tag.

        Raises:
            ValueError: unknown value type name, or a duplicate name.
        """
        codes = [parse_valtype(t) for t in params]
        return self._add(name, Tag(func_type(codes, ()), f"{self.name}.{name}"))

    @property
    def tags(self) -> dict:
        """The tags added so far, by export name."""
        return {name: obj for name, obj in self._exports.items() if isinstance(obj, Tag)}

    def instantiate(self):
        """Create the host instance and register it in the runtime under this module's name.

        Raises:
            DuplicateModuleError: the runtime already has a module by this name
                (close that instance first; names are never silently replaced).
        """
        return self._runtime._instantiate_host(self.name, dict(self._exports))


def _check_limits(minimum, maximum, bound, what):
    for value in (minimum, maximum):
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
            raise TypeError(f"{what} limits must be ints")
    if minimum < 0 or minimum > bound or (maximum is not None and not minimum <= maximum <= bound):
        raise ValueError(f"bad {what} limits: min={minimum}, max={maximum}")


__all__ = ["Caller", "HostFunction", "HostModuleBuilder", "infer_signature"]
