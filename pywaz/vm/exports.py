"""Embedder-facing wrappers around exported store objects.

``Instance.exports[name]`` returns one of these: :class:`ExportedFunction`
(callable with Python values), :class:`ExportedMemory`, :class:`ExportedGlobal`
or :class:`ExportedTable`. Each keeps the raw store object in an attribute
(``function``, ``memory``, ``global_``, ``table``) for code that wants the
engine-level view, and raises :class:`~pywaz.ClosedError` once its instance is
closed.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping

from ..errors import ArgumentError, ClosedError, Trap, TrapKind
from ..ir import PAGE_SIZE, VALTYPE_NAMES
from .fuel import check_fuel, run_with_fuel
from .interrupt import check_timeout, run_with_deadline
from .objects import Function, Global, Memory, Table, Tag
from .rawargs import raw_arguments, raw_check
from .values import from_raw, from_raw_converter, to_raw, to_raw_converter

# Python frames one wasm call may take in the worst case (compiled code: one;
# interpreter: one per cross-instance call); the margin covers the embedder's own.
_RECURSION_MARGIN = 200


def invoke(function: Function, args, call_depth=None):
    """Call ``function`` with raw ``args`` as an entry point from Python.

    Converts a RecursionError (an engine that maps each wasm call to a Python
    call) into ``Trap(CALL_STACK_EXHAUSTED)``, and the StopIteration of an
    exhausted fuel budget (see :mod:`pywaz.vm.fuel`) into
    ``Trap(OUT_OF_FUEL)``. At the outermost entry, when
    the runtime's engine needs Python frames per wasm call, Python's recursion
    limit is raised for the call so the configured call depth fits, and
    restored afterwards.

    Raises:
        Trap: the call trapped.
    """
    old_limit = None
    # Only the outermost entry adjusts the limit; a host function calling back
    # into wasm runs under the limit its caller set.
    if call_depth is not None and call_depth.depth == 0 and call_depth.frames_per_call:
        current = sys.getrecursionlimit()
        wanted = call_depth.max_depth * call_depth.frames_per_call + _RECURSION_MARGIN
        if current < wanted:
            # The caller's own frames number fewer than the current limit.
            old_limit = current
            sys.setrecursionlimit(wanted + current)
    try:
        return function.call(*args)
    except RecursionError as exc:
        trap = Trap(TrapKind.CALL_STACK_EXHAUSTED)
        _record_frames(trap, exc)
        raise trap from None
    except StopIteration as exc:
        # Only metered code's next(fuel) lets StopIteration out of wasm: a host
        # function's own becomes a HOST_ERROR trap in its wrapper.
        trap = Trap(TrapKind.OUT_OF_FUEL)
        _record_frames(trap, exc)
        raise trap from None
    except Trap as trap:
        _record_frames(trap, trap)
        raise
    finally:
        if old_limit is not None:
            sys.setrecursionlimit(old_limit)


def _record_frames(trap: Trap, source: BaseException) -> None:
    """Give a trap leaving wasm its frames and publish them (see :meth:`Trap.set_frames`).

    The interpreter records its frames as the trap unwinds its loop; frames of
    compiled code are read from ``source``'s traceback, which at an outer entry
    (a host function called wasm again) holds the inner frames too. Runs only
    when a trap leaves wasm, so it costs nothing on normal calls; the
    compiler's frame reader is used only if the compiler engine is loaded.
    """
    artifact = sys.modules.get("pywaz.compiler.artifact")
    if artifact is not None:
        frames = artifact.trap_frames_of(source)
        if frames:
            trap.frames = frames
    trap.set_frames(trap.frames)


class _Owned:
    __slots__ = ("_owner",)

    def _check(self):
        owner = self._owner
        if owner is not None and owner._closed:
            raise ClosedError("the instance that exports this object is closed")


class ExportedFunction(_Owned):
    """An exported wasm function, callable with Python values.

    Arguments: i32/i64 as ints in the signed or unsigned range, f32/f64 as
    floats (ints accepted), funcref as a function of the same runtime or None,
    externref as any object. Results: None, one value, or a tuple for several;
    i32/i64 results are *signed* ints. :meth:`call_raw` takes and returns raw
    values (unsigned ints, f32 NaN payloads exact) for exact-bits use such as
    the spec suite.
    """

    __slots__ = ("function", "_runtime", "_to_raw", "_from_raw", "_raw_check")

    def __init__(self, function: Function, owner, runtime=None):
        self.function = function
        self._owner = owner
        self._runtime = runtime
        # The canonical (closed) types: a concrete reference type names its DefType, not a module's index.
        self._to_raw = tuple(to_raw_converter(t, runtime) for t in function.def_type.params)
        self._from_raw = tuple(from_raw_converter(t) for t in function.def_type.results)
        self._raw_check = None  # built by the first call_raw

    @property
    def type(self):
        """The function's :class:`~pywaz.ir.FuncType`."""
        return self.function.type

    @property
    def name(self) -> str:
        return self.function.name

    def __call__(self, *args, timeout: float | None = None, fuel: int | None = None):
        """Call with Python values; see the class docstring for conversions.

        ``timeout``: seconds after which the call is interrupted with
        ``Trap(INTERRUPTED)`` (None: the runtime's ``deadline``, if any;
        ``math.inf`` or more than a year: no limit, whatever the runtime's).
        ``fuel``: this call's fuel budget, in place of the runtime's ``fuel``
        (only on a runtime created with ``fuel=``, whose code is metered);
        running out raises ``Trap(OUT_OF_FUEL)``, and afterwards
        ``runtime.fuel_consumed`` says how much the call used. Both apply to
        calls from Python: a host function calling back into wasm runs under
        the limits of the call that is already running.

        Raises:
            ArgumentError: wrong argument count, type or range, or a function of another runtime.
            TypeError / ValueError: a bad timeout or fuel, or fuel on a runtime without fuel metering.
            Trap: the call trapped, ran out of fuel or was interrupted.
            ClosedError: the instance is closed.
        """
        owner = self._owner
        if owner is not None and owner._closed:
            raise ClosedError("the instance that exports this object is closed")
        converters = self._to_raw
        if len(args) != len(converters):
            raise ArgumentError(
                f"{self.function.name or 'function'}() takes {len(converters)} argument(s) "
                f"({self.function.type}), got {len(args)}"
            )
        raw = [convert(value, f"argument {i}") for i, (convert, value) in enumerate(zip(converters, args))]
        runtime = self._runtime
        plain = runtime is None or (runtime.deadline is None and runtime._fuel is None)
        if plain and timeout is None and fuel is None:
            result = invoke(self.function, raw, None if runtime is None else runtime.call_depth)
        else:
            result = self._invoke_guarded(raw, timeout, fuel)
        results = self._from_raw
        if len(results) == 1:
            return results[0](result)
        if not results:
            return None
        return tuple(convert(value) for convert, value in zip(results, result))

    def call_raw(self, *args, timeout: float | None = None, fuel: int | None = None):
        """Call with raw values (pywaz.numeric representation); return raw results.

        Arguments must be in raw canonical form (see :mod:`pywaz.vm.rawargs`):
        i32/i64 unsigned ints in range, f32/f64 floats (an f32 exactly
        representable), v128 an unsigned 128-bit int, funcref a raw
        ``Function`` of this runtime or None, externref anything. Nothing is
        converted -- values outside that form raise ArgumentError, the same
        in every engine -- and results come back in the same form (no sign
        conversion, NaN payloads exact). ``timeout`` and ``fuel`` as for
        :meth:`__call__`.

        Raises:
            ArgumentError: wrong argument count, or an argument not in raw canonical form.
            TypeError / ValueError: a bad timeout or fuel.
            Trap: the call trapped, ran out of fuel or was interrupted.
            ClosedError: the instance is closed.
        """
        owner = self._owner
        if owner is not None and owner._closed:
            raise ClosedError("the instance that exports this object is closed")
        check = self._raw_check
        if check is None:
            check = self._raw_check = raw_check(self.function.def_type.params)
        runtime = self._runtime
        if not check(args, runtime):
            args = raw_arguments(self.function.def_type.params, args, runtime, self.function.name or "function")
        plain = runtime is None or (runtime.deadline is None and runtime._fuel is None)
        if plain and timeout is None and fuel is None:
            return invoke(self.function, args, self._call_depth())
        return self._invoke_guarded(args, timeout, fuel)

    def _invoke_guarded(self, args, timeout, fuel):
        """``invoke`` under a deadline and/or a fuel budget (the call's own, else the runtime's)."""
        runtime = self._runtime
        seconds = check_timeout(timeout) if timeout is not None else getattr(runtime, "deadline", None)
        budget = getattr(runtime, "_fuel", None)
        if fuel is not None:
            budget = check_fuel(fuel)
            if runtime is None or runtime._fuel is None:
                raise ValueError("fuel= needs a runtime with fuel metering: create it with Runtime(..., fuel=N)")
        call_depth = self._call_depth()
        return run_with_fuel(
            budget, call_depth, run_with_deadline, seconds, call_depth, invoke, self.function, args, call_depth
        )

    def _call_depth(self):
        runtime = self._runtime
        return None if runtime is None else runtime.call_depth

    def __repr__(self) -> str:
        return f"<ExportedFunction {self.function.name} {self.function.type}>"


class ExportedMemory(_Owned):
    """An exported linear memory: ``read``/``write`` bytes, ``size``/``grow`` in pages."""

    __slots__ = ("memory",)

    def __init__(self, memory: Memory, owner):
        self.memory = memory
        self._owner = owner

    def size(self) -> int:
        """Current size in 64 KiB pages."""
        self._check()
        return len(self.memory.data) // PAGE_SIZE

    @property
    def address_type(self) -> str:
        """``"i64"`` for a 64-bit memory (memory64), whose addresses are i64, else ``"i32"``."""
        return VALTYPE_NAMES[self.memory.type.address_type]

    @property
    def shared(self) -> bool:
        """Whether the memory is shared (threads proposal; pywaz runs one thread, so it behaves as any other)."""
        return self.memory.type.shared

    @property
    def data_size(self) -> int:
        """Current size in bytes."""
        self._check()
        return len(self.memory.data)

    def grow(self, delta: int) -> int:
        """Grow by ``delta`` pages; return the old size in pages, or -1 if not possible.

        Raises:
            TypeError / ValueError: ``delta`` is not a non-negative int.
        """
        self._check()
        if isinstance(delta, bool) or not isinstance(delta, int):
            raise TypeError(f"delta must be an int, not {type(delta).__name__}")
        if delta < 0:
            raise ValueError("delta must not be negative")
        return self.memory.grow(delta)

    def read(self, offset: int, size: int) -> bytes:
        """``size`` bytes starting at ``offset``.

        Raises:
            ValueError: the range is outside the memory.
        """
        self._check()
        data = self.memory.data
        _check_range(offset, size, len(data))
        return bytes(data[offset : offset + size])

    def write(self, offset: int, data) -> None:
        """Write the bytes-like ``data`` at ``offset``.

        Raises:
            ValueError: the range is outside the memory.
        """
        self._check()
        chunk = bytes(data)
        memory = self.memory.data
        _check_range(offset, len(chunk), len(memory))
        memory[offset : offset + len(chunk)] = chunk

    def read_string(self, offset: int, size: int | None = None, encoding: str = "utf-8", errors: str = "strict") -> str:
        """Decode a string at ``offset``: ``size`` bytes, or up to (not including) the first NUL when None.

        Raises:
            TypeError: bad argument types.
            ValueError: the range is outside the memory, no NUL before its end
                (``size`` None), or the bytes do not decode (UnicodeDecodeError).
            LookupError: unknown encoding.
        """
        self._check()
        data = self.memory.data
        if size is None:
            _check_range(offset, 0, len(data))
            end = data.find(0, offset)
            if end < 0:
                raise ValueError(f"no NUL terminator between offset {offset} and the end of memory ({len(data)} bytes)")
            size = end - offset
        else:
            _check_range(offset, size, len(data))
        return bytes(data[offset : offset + size]).decode(encoding, errors)

    def write_string(self, offset: int, text: str, encoding: str = "utf-8", nul: bool = False) -> int:
        """Encode ``text`` at ``offset`` (followed by a NUL byte when ``nul``); return the bytes written.

        Raises:
            TypeError: ``text`` is not a str.
            ValueError: it does not fit in the memory, or cannot be encoded.
        """
        self._check()
        if not isinstance(text, str):
            raise TypeError(f"text must be a str, not {type(text).__name__}")
        chunk = text.encode(encoding) + (b"\0" if nul else b"")
        memory = self.memory.data
        _check_range(offset, len(chunk), len(memory))
        memory[offset : offset + len(chunk)] = chunk
        return len(chunk)

    def view(self):
        """A zero-copy ``numpy.uint8`` array over the memory's current bytes (see :meth:`ndarray`)."""
        self._check()
        import numpy

        return numpy.frombuffer(self.memory.data, dtype=numpy.uint8)

    def ndarray(self, dtype, offset: int = 0, count: int | None = None):
        """A zero-copy numpy array of ``count`` items of ``dtype`` at byte ``offset`` of linear memory.

        ``count`` None: as many whole items as fit after ``offset``. Native
        byte-order dtypes are read little-endian, as wasm stores them; the
        names ``"i8"``, ``"u8"`` ... ``"i64"``, ``"u64"``, ``"f32"``, ``"f64"``
        are accepted as dtypes. Writes
        through the array are seen by wasm and the other way round.

        **Growth.** A view pins the memory's bytearray, so while any view
        exists a successful ``memory.grow`` of one page or more (from wasm or
        :meth:`grow`) cannot resize it in place: the memory moves to a new,
        larger buffer and every view taken before is **stale** -- it keeps the
        old bytes and no longer sees, nor makes, changes. Views stay valid
        across a grow of 0 pages or a failed one (-1). Take new views after
        any call that may grow the memory. (Each such grow also copies the
        whole memory, so drop views you no longer need.)

        Raises:
            TypeError: bad dtype (object dtypes are refused) or argument types.
            ValueError: the range is outside the memory, or ``offset``/``count`` negative.
        """
        self._check()
        import numpy

        try:
            dt = numpy.dtype(_DTYPE_ALIASES.get(dtype, dtype) if isinstance(dtype, str) else dtype)
        except TypeError as exc:
            raise TypeError(f"not a numpy dtype: {dtype!r} ({exc})") from None
        if dt.hasobject or dt.itemsize == 0:
            raise TypeError(f"dtype {dt} cannot view raw memory")
        if dt.byteorder == "=" and sys.byteorder == "big":
            dt = dt.newbyteorder("<")
        data = self.memory.data
        if isinstance(offset, bool) or not isinstance(offset, int):
            raise TypeError(f"offset must be an int, not {type(offset).__name__}")
        if count is None:
            if not 0 <= offset <= len(data):
                raise ValueError(f"offset {offset} is outside the memory of {len(data)} bytes")
            count = (len(data) - offset) // dt.itemsize
        elif isinstance(count, bool) or not isinstance(count, int):
            raise TypeError(f"count must be an int or None, not {type(count).__name__}")
        elif count < 0:
            raise ValueError(f"count must not be negative, not {count}")
        _check_range(offset, count * dt.itemsize, len(data))
        return numpy.frombuffer(data, dtype=dt, count=count, offset=offset)

    def __repr__(self) -> str:
        return f"<ExportedMemory {len(self.memory.data) // PAGE_SIZE} pages>"


# Wasm-style names accepted as ndarray dtypes (all little-endian, as wasm stores them).
_DTYPE_ALIASES = {
    "i8": "<i1",
    "u8": "<u1",
    "i16": "<i2",
    "u16": "<u2",
    "i32": "<i4",
    "u32": "<u4",
    "i64": "<i8",
    "u64": "<u8",
    "f32": "<f4",
    "f64": "<f8",
}


def _check_range(offset, size, length):
    for name, value in (("offset", offset), ("size", size)):
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError(f"{name} must be an int, not {type(value).__name__}")
    if offset < 0 or size < 0 or offset + size > length:
        raise ValueError(f"range [{offset}, {offset + size}) is outside the memory of {length} bytes")


class ExportedGlobal(_Owned):
    """An exported global: ``value`` (or ``get()``/``set(v)``) in embedder values."""

    __slots__ = ("global_", "_runtime")

    def __init__(self, global_: Global, owner, runtime=None):
        self.global_ = global_
        self._owner = owner
        self._runtime = runtime

    @property
    def type(self):
        return self.global_.type

    @property
    def mutable(self) -> bool:
        return self.global_.type.mutable

    def get(self):
        """The current value (i32/i64 signed)."""
        self._check()
        return from_raw(self.global_.type.valtype, self.global_.value)

    def set(self, value) -> None:
        """Set the value.

        Raises:
            TypeError: the global is immutable.
            ArgumentError: the value has the wrong type or range, or is a function of another runtime.
        """
        self._check()
        if not self.global_.type.mutable:
            raise TypeError("cannot set an immutable global")
        self.global_.value = to_raw(self.global_.type.valtype, value, "global value", self._runtime)

    value = property(get, set)

    def __repr__(self) -> str:
        kind = "mut " if self.global_.type.mutable else ""
        return f"<ExportedGlobal {kind}{VALTYPE_NAMES.get(self.global_.type.valtype)}>"


class ExportedTable(_Owned):
    """An exported table: ``get``/``set`` entries, ``size``/``grow``."""

    __slots__ = ("table", "_runtime")

    def __init__(self, table: Table, owner, runtime=None):
        self.table = table
        self._owner = owner
        self._runtime = runtime

    def size(self) -> int:
        self._check()
        return len(self.table.elements)

    @property
    def address_type(self) -> str:
        """``"i64"`` for a 64-bit table (table64), whose indexes are i64, else ``"i32"``."""
        return VALTYPE_NAMES[self.table.type.address_type]

    def _index(self, index):
        if isinstance(index, bool) or not isinstance(index, int):
            raise TypeError(f"index must be an int, not {type(index).__name__}")
        if not 0 <= index < len(self.table.elements):
            raise IndexError(f"table index {index} out of range (size {len(self.table.elements)})")
        return index

    def get(self, index: int):
        """The entry at ``index`` (a function wrapper, an externref object, or None).

        Raises:
            IndexError: index out of range.
        """
        self._check()
        return from_raw(self.table.type.elem_type, self.table.elements[self._index(index)])

    def set(self, index: int, value) -> None:
        """Set the entry at ``index``.

        Raises:
            IndexError: index out of range.
            ArgumentError: the value does not fit the table's element type, or is a
                function of another runtime.
        """
        self._check()
        self.table.elements[self._index(index)] = to_raw(
            self.table.type.elem_type, value, f"table entry {index}", self._runtime
        )

    def grow(self, delta: int, init=None) -> int:
        """Grow by ``delta`` entries set to ``init``; return the old size or -1.

        Raises:
            TypeError / ValueError: ``delta`` is not a non-negative int.
            ArgumentError: ``init`` does not fit the element type, or is a function of another runtime.
        """
        self._check()
        if isinstance(delta, bool) or not isinstance(delta, int):
            raise TypeError(f"delta must be an int, not {type(delta).__name__}")
        if delta < 0:
            raise ValueError("delta must not be negative")
        return self.table.grow(delta, to_raw(self.table.type.elem_type, init, "init", self._runtime))

    def __repr__(self) -> str:
        return f"<ExportedTable {VALTYPE_NAMES.get(self.table.type.elem_type)} size={len(self.table.elements)}>"


def wrap(obj, owner, runtime=None):
    """The embedder wrapper for a raw store object."""
    if isinstance(obj, Function):
        return ExportedFunction(obj, owner, runtime)
    if isinstance(obj, Memory):
        return ExportedMemory(obj, owner)
    if isinstance(obj, Global):
        return ExportedGlobal(obj, owner, runtime)
    if isinstance(obj, Table):
        return ExportedTable(obj, owner, runtime)
    if isinstance(obj, Tag):  # immutable: the tag itself (compare a WasmException's ``tag`` with ``is``)
        return obj
    raise TypeError(f"not a store object: {type(obj).__name__}")


class Exports(Mapping):
    """An instance's exports by name, as embedder wrappers (read-only mapping).

    ``exports.raw(name)`` returns the raw store object instead.
    """

    def __init__(self, raw: dict, owner, runtime):
        self._raw = raw
        self._owner = owner
        self._runtime = runtime
        self._wrapped: dict = {}

    def __getitem__(self, name):
        if self._owner is not None and self._owner._closed:
            raise ClosedError("the instance is closed")
        found = self._wrapped.get(name)
        if found is None:
            found = self._wrapped[name] = wrap(self._raw[name], self._owner, self._runtime)
        return found

    def memories(self) -> dict:
        """Every exported memory by export name, in export order (several with multiple memories)."""
        return {name: self[name] for name, obj in self._raw.items() if isinstance(obj, Memory)}

    def memory(self, name: str = "memory") -> ExportedMemory:
        """The memory exported as ``name`` (default ``"memory"``, the name WASI uses).

        Raises:
            KeyError: the module exports nothing by that name, or something other than a memory.
        """
        obj = self.raw(name) if name in self._raw else None
        if not isinstance(obj, Memory):
            memories = [n for n, o in self._raw.items() if isinstance(o, Memory)]
            found = "something else" if name in self._raw else "nothing"
            raise KeyError(f"the instance exports {found} as {name!r}; its memories: {memories or 'none'}")
        return self[name]

    def raw(self, name):
        """The raw store object (Function, Memory, Global or Table) exported as ``name``."""
        if self._owner is not None and self._owner._closed:
            raise ClosedError("the instance is closed")
        return self._raw[name]

    def __iter__(self):
        return iter(self._raw)

    def __len__(self):
        return len(self._raw)

    def __repr__(self) -> str:
        return f"<Exports {list(self._raw)}>"
