"""The pywaz exception hierarchy.

Every error pywaz raises on purpose derives from :class:`PywazError`. Decode and
validation errors carry the byte offset (and a function index where there is
one); traps carry a :class:`TrapKind` whose message is the spec suite's text.
"""

from __future__ import annotations

import enum


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
    HOST_ERROR = "host function error"


class Trap(PywazError):
    """A WebAssembly trap.

    ``kind`` is a :class:`TrapKind`; ``str(trap)`` is the spec suite's text for
    that kind (plus, for host errors, the cause). ``wasm_stack`` lists the wasm
    frames (innermost first) as readable strings when known.
    """

    def __init__(self, kind: TrapKind, detail: str | None = None):
        self.kind = kind
        self.detail = detail
        self.wasm_stack: list[str] = []
        super().__init__(kind.value if detail is None else f"{kind.value}: {detail}")

    def __str__(self) -> str:
        return self.kind.value if self.detail is None else f"{self.kind.value}: {self.detail}"

    def format_stack(self) -> str:
        """The trap message followed by the wasm stack trace, one frame a line."""
        lines = [f"wasm trap: {self}"]
        lines.extend(f"  at {frame}" for frame in self.wasm_stack)
        return "\n".join(lines)


class ExitError(PywazError):
    """A WASI program called ``proc_exit``; ``code`` is its exit status."""

    def __init__(self, code: int):
        self.code = code
        super().__init__(f"exit status {code}")
