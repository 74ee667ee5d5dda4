"""The pywaz exception hierarchy.

Every error pywaz raises on purpose derives from :class:`PywazError`. Decode and
validation errors carry the byte offset (and a function index where there is
one); traps carry a :class:`TrapKind` whose message is the spec suite's text.
"""

from __future__ import annotations

import enum

from ._records import record


class PywazError(Exception):
    """Root of every error pywaz raises on purpose."""


class DecodeError(PywazError):
    """The bytes are not a well-formed WebAssembly binary (spec: "malformed").

    ``message`` is the spec-style reason (e.g. "unexpected end"), ``offset`` the
    byte offset in the module where decoding failed.
    """

    def __init__(self, message: str, offset: int | None = None):
        self.message = message
        self.offset = offset
        where = f" at byte offset {offset} (0x{offset:x})" if offset is not None else ""
        super().__init__(f"{message}{where}")


class ValidationError(PywazError):
    """The module is well-formed but not valid (spec: "invalid").

    ``message`` is the spec-style reason (e.g. "type mismatch"); ``func_index``
    names the function and ``offset`` the instruction's byte offset where known.
    """

    def __init__(self, message: str, offset: int | None = None, func_index: int | None = None):
        self.message = message
        self.offset = offset
        self.func_index = func_index
        parts = []
        if func_index is not None:
            parts.append(f"in function {func_index}")
        if offset is not None:
            parts.append(f"at byte offset {offset} (0x{offset:x})")
        super().__init__(message + (" " + " ".join(parts) if parts else ""))


class LinkError(PywazError):
    """An import could not be satisfied (spec: "unlinkable")."""


class ArgumentError(PywazError, TypeError, ValueError):
    """A value handed to wasm from Python does not fit where it goes.

    Raised for call arguments (wrong count, type or range; for ``call_raw``, a
    value not in raw canonical form), table entries, global values and host
    function results, and for a function reference that belongs to another
    :class:`~pywaz.Runtime`. It is also a ``TypeError`` and a ``ValueError``
    (the built-in errors these checks raised before), so existing handlers
    keep working.
    """

class DuplicateModuleError(LinkError):
    """A module name is already registered in the runtime (by another instance).

    ``name`` is that module name. Registering never silently replaces a
    module: close the instance registered under the name first, or replace it
    deliberately with ``Runtime.register(name, instance, replace=True)``.
    """

    def __init__(self, name: str):
        self.name = name
        super().__init__(
            f"module name {name!r} is already registered in this runtime; close the instance registered "
            "under it first, or replace it deliberately with Runtime.register(name, instance, replace=True)"
        )

    def __reduce__(self):
        return (type(self), (self.name,))


class InstantiationError(PywazError):
    """Instantiation failed for a reason other than linking or a trap."""


class ClosedError(PywazError):
    """A closed runtime, compiled module or instance was used."""


class TrapKind(enum.Enum):
    """Why execution trapped; the value is the spec suite's expected text."""

    UNREACHABLE = "unreachable"
    INT_DIV_BY_ZERO = "integer divide by zero"
    INT_OVERFLOW = "integer overflow"
    INVALID_CONVERSION = "invalid conversion to integer"
    OUT_OF_BOUNDS_MEMORY = "out of bounds memory access"
    OUT_OF_BOUNDS_TABLE = "out of bounds table access"
    UNDEFINED_ELEMENT = "undefined element"
    UNINITIALIZED_ELEMENT = "uninitialized element"
    INDIRECT_CALL_TYPE_MISMATCH = "indirect call type mismatch"
    CALL_STACK_EXHAUSTED = "call stack exhausted"
    INTERRUPTED = "interrupted"
    OUT_OF_FUEL = "all fuel consumed by WebAssembly"
    HOST_ERROR = "host function error"
    NULL_EXCEPTION_REFERENCE = "null exception reference"
    NULL_REFERENCE = "null reference"  # ref.as_non_null
    NULL_FUNCTION_REFERENCE = "null function reference"  # call_ref, return_call_ref
    NULL_STRUCT_REFERENCE = "null structure reference"
    NULL_ARRAY_REFERENCE = "null array reference"
    NULL_I31_REFERENCE = "null i31 reference"
    OUT_OF_BOUNDS_ARRAY = "out of bounds array access"
    CAST_FAILURE = "cast failure"
    ALLOCATION_TOO_LARGE = "allocation too large"  # an array beyond pywaz's length limit
    UNALIGNED_ATOMIC = "unaligned atomic"
    EXPECTED_SHARED_MEMORY = "expected shared memory"
    WAIT_FOREVER = "atomic wait would block forever (no other thread can notify)"


@record
class TrapFrame:
    """One wasm frame of a trap's stack trace (innermost first in :attr:`Trap.frames`).

    ``func_index`` is the function's index in its module's function index space
    (imports included); ``func_name`` the name section's name, else an export
    name, else ``func[N]``; ``module_name`` the name the module was compiled
    under (``Runtime.compile_module(data, name=...)``; ``pywaz run`` passes the
    file name), else the name section's module name, else ``<module>``;
    ``offset`` the byte offset, from the start of the module binary, of the
    instruction executing in this frame: the trapping instruction in the
    innermost frame, the call in the others (None where it is unknown).
    A frozen record: frames compare and hash by value.
    """

    func_index: int
    func_name: str
    module_name: str
    offset: int | None

    def __str__(self) -> str:
        """``name (module @ 0xOFFSET)``, as wasmtime prints a frame."""
        where = self.module_name if self.offset is None else f"{self.module_name} @ 0x{self.offset:x}"
        return f"{self.func_name} ({where})"


# A run of the same frames (one frame, or a cycle of up to this many, as in
# mutual recursion) repeated more than _COLLAPSE_AFTER times is printed once
# followed by one "... N more frames of f" line.
_MAX_CYCLE = 4
_COLLAPSE_AFTER = 3


def _repeats(frames, start: int, period: int) -> int:
    """How many times ``frames[start:start + period]`` occurs back to back from ``start``."""
    count = 1
    end = len(frames)
    pos = start + period
    while pos + period <= end and frames[pos : pos + period] == frames[start : start + period]:
        count += 1
        pos += period
    return count


def collapse_frames(frames) -> list[str]:
    """The frames as ``at FRAME`` texts, innermost first, with repeated runs collapsed.

    Runaway recursion gives thousands of identical frames; a run of one frame
    (or of a short cycle of frames) repeated more than three times is shown
    once, followed by ``... 9,997 more frames of f`` (``of f, g`` for a cycle).
    """
    frames = list(frames)
    lines: list[str] = []
    i = 0
    while i < len(frames):
        best_period, best_count = 1, 1
        for period in range(1, _MAX_CYCLE + 1):
            count = _repeats(frames, i, period)
            if count > _COLLAPSE_AFTER and count * period > best_count * best_period:
                best_period, best_count = period, count
        cycle = frames[i : i + best_period]
        lines.extend(f"at {frame}" for frame in cycle)
        if best_count > 1:
            more = (best_count - 1) * best_period
            names = ", ".join(dict.fromkeys(frame.func_name for frame in cycle))
            lines.append(f"... {more:,} more frames of {names}")
        i += best_count * best_period
    return lines


class Trap(PywazError):
    """A WebAssembly trap.

    ``kind`` is a :class:`TrapKind`; ``str(trap)`` is the spec suite's text for
    that kind (plus, for host errors, the cause). ``frames`` lists the wasm
    frames (:class:`TrapFrame`, innermost first) once the trap has left wasm
    code; :meth:`format_stack` prints them, and a trap that reaches Python's
    top level shows them in its traceback (as an exception note).
    """

    def __init__(self, kind: TrapKind, detail: str | None = None):
        self.kind = kind
        self.detail = detail
        self.frames: list[TrapFrame] = []
        self._stack_note: str | None = None
        super().__init__(kind.value if detail is None else f"{kind.value}: {detail}")

    def __str__(self) -> str:
        return self.kind.value if self.detail is None else f"{self.kind.value}: {self.detail}"

    @property
    def wasm_stack(self) -> list[str]:
        """The function names of :attr:`frames`, innermost first."""
        return [frame.func_name for frame in self.frames]

    def format_stack(self) -> str:
        """The trap message followed by the wasm stack trace, one frame a line, repeats collapsed."""
        lines = [f"wasm trap: {self}"]
        lines.extend(f"  {line}" for line in collapse_frames(self.frames))
        return "\n".join(lines)

    def set_frames(self, frames: list[TrapFrame]) -> None:
        """Record the wasm frames and show them in the trap's Python traceback (an exception note).

        Called again with more frames (a trap leaving nested wasm calls), it
        replaces its own note rather than adding another.
        """
        self.frames = frames
        note = "wasm stack (innermost first):\n" + "\n".join(f"  {line}" for line in collapse_frames(frames))
        notes = getattr(self, "__notes__", None)
        old = self._stack_note
        if notes is not None and old is not None:
            for i, existing in enumerate(notes):
                if existing is old:
                    notes[i] = note
                    self._stack_note = note
                    return
        if frames:
            self.add_note(note)
            self._stack_note = note


class ExitError(PywazError):
    """A WASI program called ``proc_exit``; ``code`` is its exit status."""

    def __init__(self, code: int):
        self.code = code
        super().__init__(f"exit status {code}")


class WasmException(PywazError):
    """A WebAssembly exception (exception handling): what ``throw`` raises, and an ``exnref`` value.

    ``tag`` is the tag instance (a :class:`pywaz.vm.objects.Tag`, compared by
    identity) and ``payload`` the tuple of its argument values in pywaz's raw
    value representation. One that leaves wasm reaches Python as this
    exception; catching it and raising it again (from a host function, say)
    rethrows the same exception, which wasm handlers then catch by its tag.
    It is never a :class:`Trap`, and no trap is ever catchable by wasm.
    """

    #: Handlers a legacy ``delegate`` still has this exception pass on (generated code's bookkeeping).
    delegate = 0

    def __init__(self, tag, payload: tuple = ()):
        self.tag = tag
        self.payload = tuple(payload)
        super().__init__(tag, self.payload)

    def __str__(self) -> str:
        name = getattr(self.tag, "name", None) or "tag"
        return f"uncaught wasm exception ({name}, payload {list(self.payload)})"
