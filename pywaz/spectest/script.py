"""Load one wast2json command file into prepared commands.

Input: ``<dir>/<name>/<name>.json`` in wabt's ``wast2json`` layout (the
testsuite README documents every field). Output: a :class:`Script` whose
commands have their arguments converted to raw values and their expected
results to matchers, once, so running a script under several engine
configurations pays for JSON parsing and value conversion only once. Module
binaries are read on first use and kept with the script.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from pathlib import Path

from .values import EitherMatcher, SpecFormatError, parse_arg, parse_expected

# Old wast2json versions wrote NaN-class results as their own command types with
# only result types in "expected".
_LEGACY_NAN_COMMANDS = {
    "assert_return_canonical_nan": "nan:canonical",
    "assert_return_arithmetic_nan": "nan:arithmetic",
}


@dataclass(frozen=True, slots=True)
class Action:
    """An ``invoke`` or ``get`` on an export of the current or a named module."""

    kind: str  # "invoke" or "get"
    field: str
    module: str | None
    args: tuple

    def describe(self) -> str:
        target = f"{self.module}." if self.module else ""
        if self.kind == "get":
            return f"get {target}{self.field!r}"
        return f"invoke {target}{self.field!r}"


@dataclass(frozen=True, slots=True)
class Command:
    """One prepared command. ``error`` is set when the JSON could not be understood."""

    type: str
    line: int
    action: Action | None = None
    expected: tuple | None = None  # matchers (assert_return) or None
    filename: str | None = None
    name: str | None = None  # module command: its $name; register: the module to register
    as_name: str | None = None  # register: the import module name
    text: str | None = None
    module_type: str = "binary"
    error: str | None = None


@dataclass(slots=True)
class Script:
    """The commands of one ``.wast`` file plus its module binaries."""

    name: str
    path: Path
    commands: tuple[Command, ...]
    _binaries: dict

    @property
    def directory(self) -> Path:
        return self.path.parent

    def binary(self, filename: str) -> bytes:
        """The bytes of a module file referenced by a command (read once, then cached).

        Raises:
            SpecFormatError: the file is missing or unreadable.
        """
        data = self._binaries.get(filename)
        if data is None:
            path = self.directory / filename
            try:
                data = path.read_bytes()
            except OSError as exc:
                raise SpecFormatError(f"cannot read module file {path}: {exc.strerror or exc}") from None
            self._binaries[filename] = data
        return data


def _parse_action(data) -> Action:
    if not isinstance(data, dict):
        raise SpecFormatError(f"action must be an object, got {data!r}")
    kind = data.get("type")
    if kind not in ("invoke", "get"):
        raise SpecFormatError(f"unknown action type {kind!r}")
    field = data.get("field")
    if not isinstance(field, str):
        raise SpecFormatError(f"action field must be a string, got {field!r}")
    args = tuple(parse_arg(arg) for arg in data.get("args", ()))
    return Action(kind, field, data.get("module"), args)


def parse_command(data: dict) -> Command:
    """Prepare one JSON command; problems end up in ``Command.error``, never raised."""
    ctype = data.get("type") if isinstance(data, dict) else None
    line = data.get("line", 0) if isinstance(data, dict) else 0
    if not isinstance(ctype, str):
        return Command("unknown", line if isinstance(line, int) else 0, error=f"command without a type: {data!r}")
    if not isinstance(line, int):
        line = 0
    try:
        action = _parse_action(data["action"]) if "action" in data else None
        expected = None
        if ctype == "assert_return":
            if "either" in data:
                # wast2json puts (either ...) at command level: one result, several choices.
                expected = (EitherMatcher(tuple(parse_expected(v) for v in data["either"])),)
            else:
                expected = tuple(parse_expected(v) for v in data.get("expected", ()))
        elif ctype in _LEGACY_NAN_COMMANDS:
            nan = _LEGACY_NAN_COMMANDS[ctype]
            expected = tuple(parse_expected({"type": v.get("type"), "value": nan}) for v in data.get("expected", ()))
            ctype = "assert_return"
        if ctype in ("action", "assert_return", "assert_exhaustion") and action is None:
            raise SpecFormatError(f"{ctype} without an action")
        if ctype == "assert_trap" and action is None and "filename" not in data:
            raise SpecFormatError("assert_trap without an action or a module")
        if ctype in ("module", "assert_malformed", "assert_invalid", "assert_unlinkable", "assert_uninstantiable"):
            if not isinstance(data.get("filename"), str):
                raise SpecFormatError(f"{ctype} without a filename")
        if ctype == "register" and not isinstance(data.get("as"), str):
            raise SpecFormatError("register without an 'as' name")
        return Command(
            type=ctype,
            line=line,
            action=action,
            expected=expected,
            filename=data.get("filename"),
            name=data.get("name"),
            as_name=data.get("as"),
            text=data.get("text"),
            module_type=data.get("module_type", "binary"),
        )
    except SpecFormatError as exc:
        return Command(ctype, line, error=f"bad test data: {exc}")


def parse_script(name: str, path: Path, document) -> Script:
    """Build a :class:`Script` from an already parsed JSON document.

    Raises:
        SpecFormatError: the document has no command list.
    """
    commands = document.get("commands") if isinstance(document, dict) else None
    if not isinstance(commands, list):
        raise SpecFormatError(f"{path}: no 'commands' list")
    return Script(name, path, tuple(parse_command(c) for c in commands), {})


_cache: dict[Path, Script] = {}
_cache_lock = threading.Lock()


def load_script(path: Path, name: str | None = None) -> Script:
    """Load and prepare the command file at ``path``, cached per resolved path.

    Raises:
        SpecFormatError: unreadable file, invalid JSON or no command list.
    """
    key = Path(path).resolve()
    with _cache_lock:
        script = _cache.get(key)
    if script is not None:
        return script
    try:
        document = json.loads(key.read_bytes())
    except OSError as exc:
        raise SpecFormatError(f"cannot read {key}: {exc.strerror or exc}") from None
    except ValueError as exc:
        raise SpecFormatError(f"{key}: invalid JSON: {exc}") from None
    script = parse_script(name or key.stem, key, document)
    with _cache_lock:
        return _cache.setdefault(key, script)


def clear_cache() -> None:
    """Forget every loaded script (tests use this to reload edited files)."""
    with _cache_lock:
        _cache.clear()
