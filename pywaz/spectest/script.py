"""Load one converted spec-test command file into prepared commands.

Input: ``<dir>/<name>/<name>.json`` in either converter's JSON dialect --
wabt's ``wast2json`` or wasm-tools' ``json-from-wast`` (the testsuite
README and ``v3-json/README.md`` document every field; :mod:`.dialect`
tells them apart per file). Output: a :class:`Script` whose commands have
their arguments converted to raw values and their expected results to
matchers, once, so running a script under several engine configurations pays
for JSON parsing and value conversion only once. The two dialects' spellings
become one command model: module names keep their spelling (consistent
within a file), ``(module definition)`` / ``(module instance)`` become
``module_definition`` / ``module_instance`` commands, a text module with a
``binary_filename`` becomes that binary, and ``either`` is one matcher
wherever it is written. Module binaries are read on first use and kept with
the script.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from pathlib import Path

from .dialect import Dialect, DialectError, detect_dialect
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
    """One prepared command. ``error`` is set when the JSON could not be understood.

    ``filename`` is the module file to load: for a text module that also has
    a binary form (wasm-tools' ``binary_filename``) it is the binary, and
    ``module_type`` says "binary".
    """

    type: str
    line: int
    action: Action | None = None
    expected: tuple | None = None  # matchers (assert_return) or None
    filename: str | None = None
    name: str | None = None  # module/module_definition: its name; register: the module to register
    as_name: str | None = None  # register: the import module name
    text: str | None = None
    module_type: str = "binary"
    instance: str | None = None  # module_instance: the new instance's name
    definition: str | None = None  # module_instance: the module definition to instantiate
    error: str | None = None


@dataclass(slots=True)
class Script:
    """The commands of one ``.wast`` file plus its module binaries."""

    name: str
    path: Path
    commands: tuple[Command, ...]
    _binaries: dict
    dialect: Dialect = Dialect.WABT

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


def _parse_action(data, dialect: Dialect) -> Action:
    if not isinstance(data, dict):
        raise SpecFormatError(f"action must be an object, got {data!r}")
    kind = data.get("type")
    if kind not in ("invoke", "get"):
        raise SpecFormatError(f"unknown action type {kind!r}")
    field = data.get("field")
    if not isinstance(field, str):
        raise SpecFormatError(f"action field must be a string, got {field!r}")
    args = data.get("args", ())
    if not isinstance(args, (list, tuple)):
        raise SpecFormatError(f"action args must be a list, got {args!r}")
    module = data.get("module")
    if module is not None and not isinstance(module, str):
        raise SpecFormatError(f"action module must be a name, got {module!r}")
    return Action(kind, field, module, tuple(parse_arg(arg, dialect) for arg in args))


# Commands that load a module file, and the ones among them that need a runtime to decide.
MODULE_FILE_COMMANDS = frozenset({
    "module", "module_definition", "assert_malformed", "assert_invalid", "assert_unlinkable",
    "assert_uninstantiable", "assert_malformed_custom", "assert_invalid_custom",
})
ACTION_COMMANDS = frozenset({"action", "assert_return", "assert_exhaustion", "assert_exception"})


def _expected(ctype: str, data: dict, dialect: Dialect) -> tuple | None:
    """The matchers of an ``assert_return`` (None for other commands)."""
    if ctype != "assert_return":
        return None
    if "either" in data:
        # wast2json puts (either ...) at command level: one result, several choices.
        either = data["either"]
        if not isinstance(either, list) or not either:
            raise SpecFormatError(f"either needs a non-empty list of values, got {either!r}")
        return (EitherMatcher(tuple(parse_expected(v, dialect) for v in either)),)
    expected = data.get("expected", ())
    if not isinstance(expected, list):
        raise SpecFormatError(f"expected must be a list, got {expected!r}")
    return tuple(parse_expected(v, dialect) for v in expected)


def _normalise_type(ctype: str, data: dict) -> str:
    """One command type per meaning, whichever converter wrote it."""
    if ctype == "module" and data.get("definition") in ("true", True):
        return "module_definition"  # wabt's (module definition ...)
    if ctype == "instance":
        return "module_instance"  # wabt's (module instance ...)
    return ctype


def _module_file(ctype: str, data: dict) -> tuple[str | None, str]:
    """(file to load, its module_type); a text module's binary form wins when there is one."""
    filename = data.get("filename")
    module_type = data.get("module_type", "binary")
    binary = data.get("binary_filename")
    if module_type == "text" and binary is not None:
        if not isinstance(binary, str):
            raise SpecFormatError(f"{ctype}: binary_filename must be a string, got {binary!r}")
        return binary, "binary"
    if ctype in MODULE_FILE_COMMANDS and not isinstance(filename, str):
        raise SpecFormatError(f"{ctype} without a filename")
    if module_type not in ("binary", "text"):
        raise SpecFormatError(f"{ctype}: unknown module_type {module_type!r}")
    return filename, module_type


def parse_command(data: dict, dialect: Dialect = Dialect.WABT) -> Command:
    """Prepare one JSON command written in ``dialect``; problems end up in ``Command.error``, never raised."""
    ctype = data.get("type") if isinstance(data, dict) else None
    line = data.get("line", 0) if isinstance(data, dict) else 0
    if not isinstance(ctype, str):
        return Command("unknown", line if isinstance(line, int) else 0, error=f"command without a type: {data!r}")
    if not isinstance(line, int):
        line = 0
    try:
        ctype = _normalise_type(ctype, data)
        action = _parse_action(data["action"], dialect) if "action" in data else None
        expected = _expected(ctype, data, dialect)
        if ctype in _LEGACY_NAN_COMMANDS:
            nan = _LEGACY_NAN_COMMANDS[ctype]
            expected = tuple(parse_expected({"type": v.get("type"), "value": nan}, dialect)
                             for v in data.get("expected", ()))
            ctype = "assert_return"
        if ctype in ACTION_COMMANDS and action is None:
            raise SpecFormatError(f"{ctype} without an action")
        if ctype == "assert_trap" and action is None and "filename" not in data:
            raise SpecFormatError("assert_trap without an action or a module")
        filename, module_type = _module_file(ctype, data)
        if ctype == "register" and not isinstance(data.get("as"), str):
            raise SpecFormatError("register without an 'as' name")
        instance = definition = None
        if ctype == "module_instance":
            instance = data.get("instance")
            # wasm-tools names the definition "module", wabt "definition"; both may be absent (the last one).
            definition = data.get("module", data.get("definition"))
            for what, value in (("instance", instance), ("module", definition)):
                if value is not None and not isinstance(value, str):
                    raise SpecFormatError(f"module_instance: {what} must be a name, got {value!r}")
        return Command(
            type=ctype,
            line=line,
            action=action,
            expected=expected,
            filename=filename,
            name=data.get("name"),
            as_name=data.get("as"),
            text=data.get("text"),
            module_type=module_type,
            instance=instance,
            definition=definition,
        )
    except SpecFormatError as exc:
        return Command(ctype, line, error=f"bad test data: {exc}")


def parse_script(name: str, path: Path, document) -> Script:
    """Build a :class:`Script` from an already parsed JSON document, in the dialect it is written in.

    Raises:
        SpecFormatError: the document has no command list, or mixes the two dialects.
    """
    commands = document.get("commands") if isinstance(document, dict) else None
    if not isinstance(commands, list):
        raise SpecFormatError(f"{path}: no 'commands' list")
    try:
        dialect = detect_dialect(document)
    except DialectError as exc:
        raise SpecFormatError(f"{path}: {exc}") from None
    return Script(name, path, tuple(parse_command(c, dialect) for c in commands), {}, dialect)


_cache: dict[Path, Script] = {}
_cache_lock = threading.Lock()


def load_script(path: Path, name: str | None = None) -> Script:
    """Load and prepare the command file at ``path`` (JSON, or a ``.wast`` script), cached per resolved path.

    Raises:
        SpecFormatError: unreadable file, invalid JSON or no command list.
    """
    key = Path(path).resolve()
    with _cache_lock:
        script = _cache.get(key)
    if script is not None:
        return script
    if key.suffix == ".wast":
        from .wast import load_wast

        script = load_wast(key, name or key.stem)
        with _cache_lock:
            return _cache.setdefault(key, script)
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
