"""Read a ``.wast`` script straight from text into the same :class:`Script` the JSON loaders build.

Input: a ``.wast`` file (the spec interpreter's script format: modules,
``register``, actions and ``assert_*`` commands). Output: a
:class:`~pywaz.spectest.script.Script` whose commands are exactly what
:func:`~pywaz.spectest.script.parse_command` makes of the equivalent JSON, so
the runner cannot tell the two apart. Each command is first written as the
JSON object ``wast2json`` would write (unsigned integers, float bit patterns,
``nan:canonical``/``nan:arithmetic``, reference results by type), then
prepared by the shared code. Modules are assembled with :mod:`pywaz.text`
when the script is read; their binaries live in the script under made-up
file names (``<name>.<n>.wasm``). A text module that does not assemble keeps
its source (``<name>.<n>.wat``, ``module_type`` "text"), and the runner
assembles it again to see the error: an ``assert_malformed`` expects exactly
that. Line numbers follow wasm-tools: an assertion about a module counts from
the module's line.
"""

from __future__ import annotations

from pathlib import Path

from ..text import assemble_fields
from ..text.errors import WatError
from ..text.numbers import NumberError, parse_float, parse_int
from ..text.reader import ATOM, ID, STRING, SList, Source, Tok, no_cycle_collection, read
from .dialect import Dialect
from .script import Command, Script, parse_command
from .values import SpecFormatError

_V128_SHAPES = {"i8x16": ("i8", 16, 8), "i16x8": ("i16", 8, 16), "i32x4": ("i32", 4, 32),
                "i64x2": ("i64", 2, 64), "f32x4": ("f32", 4, 32), "f64x2": ("f64", 2, 64)}
_NULL_REF_TYPES = {
    "func": "funcref", "extern": "externref", "any": "anyref", "eq": "eqref", "i31": "i31ref",
    "struct": "structref", "array": "arrayref", "exn": "exnref", "none": "nullref", "nofunc": "nullfuncref",
    "noextern": "nullexternref", "noexn": "nullexnref",
    "funcref": "funcref", "externref": "externref", "anyref": "anyref", "exnref": "exnref",
}
_NON_NULL_REFS = {"ref.func": "funcref", "ref.extern": "externref", "ref.any": "anyref", "ref.eq": "eqref",
                  "ref.i31": "i31ref", "ref.struct": "structref", "ref.array": "arrayref", "ref.exn": "exnref",
                  "ref.host": "anyref"}


class WastError(SpecFormatError):
    """A script command that is not well formed (outside any module)."""


class _Reader:
    def __init__(self, name: str, source: Source):
        self.name = name
        self.source = source
        self.binaries: dict[str, bytes] = {}
        self.counter = 0

    def line(self, node) -> int:
        return self.source.where(node.pos)[0]

    def error(self, message: str, node) -> WastError:
        line, column = self.source.where(node.pos)
        return WastError(f"{line}:{column}: {message}")

    # -- modules ---------------------------------------------------------------------------------------

    def _store(self, data: bytes, suffix: str) -> str:
        filename = f"{self.name}.{self.counter}.{suffix}"
        self.counter += 1
        self.binaries[filename] = data
        return filename

    def module(self, node: SList, ctype: str) -> dict:
        """The JSON fields of a module command: type, name, filename, module_type."""
        items = node.items
        i = 1
        definition = False
        if i < len(items) and _atom(items[i]) == "definition":
            definition = True
            i += 1
        name = None
        if i < len(items) and type(items[i]) is Tok and items[i].kind == ID:
            name = items[i].value
            i += 1
        # wasm-tools numbers a module by its `module` keyword (which may follow `(` on a later line).
        fields = {"type": "module_definition" if definition and ctype == "module" else ctype,
                  "line": self.line(items[0] if items else node)}
        if name is not None:
            fields["name"] = name
        kind = _atom(items[i]) if i < len(items) else None
        if kind in ("binary", "quote"):
            parts = []
            for item in items[i + 1:]:
                if type(item) is not Tok or item.kind != STRING:
                    raise self.error("expected a string", item)
                parts.append(item.value)
            data = b"".join(parts)
            if kind == "binary":
                fields.update(filename=self._store(data, "wasm"), module_type="binary")
                return fields
            try:
                from ..text import wat2wasm

                binary = wat2wasm(data)
            except WatError:
                fields.update(filename=self._store(data, "wat"), module_type="text")
                return fields
            fields.update(filename=self._store(binary, "wasm"), module_type="binary")
            return fields
        try:
            binary = assemble_fields(items, self.source, i)
        except WatError:
            # Keep the failing module's text: the runner assembles it again and reports the error.
            text = self.source.text[node.pos:node.end].encode("utf-8", "surrogateescape")
            fields.update(filename=self._store(text, "wat"), module_type="text")
            return fields
        fields.update(filename=self._store(binary, "wasm"), module_type="binary")
        return fields

    # -- values ----------------------------------------------------------------------------------------

    def const(self, node, result: bool) -> dict:
        if type(node) is not SList or not node.items:
            raise self.error("expected a constant", node)
        head = node.head()
        args = [x for x in node.items[1:]]
        if head in ("i32.const", "i64.const"):
            bits = 32 if head == "i32.const" else 64
            return {"type": head[:3], "value": str(self._int(args[0], bits))}
        if head in ("f32.const", "f64.const"):
            bits = 32 if head == "f32.const" else 64
            return {"type": head[:3], "value": self._float(args[0], bits, result)}
        if head == "v128.const":
            shape = _atom(args[0]) if args else None
            if shape not in _V128_SHAPES:
                raise self.error("unknown v128 shape", node)
            lane_type, count, bits = _V128_SHAPES[shape]
            lanes = args[1:]
            if len(lanes) != count:
                raise self.error("wrong number of lane literals", node)
            if lane_type.startswith("f"):
                values = [self._float(lane, bits, result) for lane in lanes]
            else:
                values = [str(self._int(lane, bits)) for lane in lanes]
            return {"type": "v128", "lane_type": lane_type, "value": values}
        if head == "ref.null":
            if not args:
                return {"type": "refnull"}
            heap = _atom(args[0])
            if heap is None:
                return {"type": "refnull", "value": "null"}  # (ref.null $t): a null of a concrete type
            vtype = _NULL_REF_TYPES.get(heap)
            if vtype is None:
                raise self.error(f"unknown heap type {heap}", node)
            if vtype.startswith("null"):
                return {"type": vtype}
            return {"type": vtype, "value": "null"}
        if head in _NON_NULL_REFS:
            vtype = _NON_NULL_REFS[head]
            if args:
                value = {"type": vtype, "value": str(self._int(args[0], 64))}
                return value
            return {"type": vtype}
        if head == "either" and result:
            return {"type": "either", "values": [self.const(x, True) for x in args]}
        raise self.error(f"unknown constant {head}", node)

    def _int(self, item, bits: int) -> int:
        text = _atom(item)
        if text is None:
            raise self.error("expected a number", item)
        try:
            return parse_int(text, bits)
        except NumberError as exc:
            raise self.error(str(exc), item) from None

    def _float(self, item, bits: int, result: bool) -> str:
        text = _atom(item)
        if text is None:
            raise self.error("expected a number", item)
        if result and text in ("nan:canonical", "nan:arithmetic"):
            return text
        try:
            return str(parse_float(text, bits))
        except NumberError as exc:
            raise self.error(str(exc), item) from None

    def action(self, node) -> dict:
        if type(node) is not SList or node.head() not in ("invoke", "get"):
            raise self.error("expected an action", node)
        items = node.items
        i = 1
        action: dict = {"type": node.head()}
        if i < len(items) and type(items[i]) is Tok and items[i].kind == ID:
            action["module"] = items[i].value
            i += 1
        if i >= len(items) or type(items[i]) is not Tok or items[i].kind != STRING:
            raise self.error("expected an export name", node)
        try:
            action["field"] = items[i].value.decode("utf-8")
        except UnicodeDecodeError:
            raise self.error("malformed UTF-8 encoding", items[i]) from None
        action["args"] = [self.const(x, False) for x in items[i + 1:]]
        return action

    # -- commands --------------------------------------------------------------------------------------

    def command(self, node) -> dict:
        if type(node) is not SList:
            raise self.error("expected a command", node)
        head = node.head()
        items = node.items
        if head == "module":
            if len(items) > 1 and _atom(items[1]) == "instance":
                data: dict = {"type": "module_instance", "line": self.line(node)}
                ids = [x.value for x in items[2:] if type(x) is Tok and x.kind == ID]
                if ids:
                    data["instance"] = ids[0]
                if len(ids) > 1:
                    data["module"] = ids[1]
                return data
            return self.module(node, "module")
        if head == "register":
            data = {"type": "register", "line": self.line(node), "as": _string(items[1])}
            if len(items) > 2 and type(items[2]) is Tok and items[2].kind == ID:
                data["name"] = items[2].value
            return data
        if head in ("invoke", "get"):
            return {"type": "action", "line": self.line(node), "action": self.action(node)}
        if head == "assert_return":
            return {"type": "assert_return", "line": self.line(items[1]), "action": self.action(items[1]),
                    "expected": [self.const(x, True) for x in items[2:]]}
        if head in ("assert_trap", "assert_exhaustion", "assert_exception"):
            target = items[1]
            if type(target) is SList and target.head() == "module":
                data = self.module(target, "assert_uninstantiable")
            else:
                data = {"type": head, "line": self.line(target), "action": self.action(target)}
            if len(items) > 2:
                data["text"] = _string(items[2])
            return data
        if head in ("assert_malformed", "assert_invalid", "assert_unlinkable", "assert_malformed_custom",
                    "assert_invalid_custom"):
            data = self.module(items[1], head)
            data["text"] = _string(items[2]) if len(items) > 2 else ""
            return data
        raise self.error(f"unknown command {head}", node)


_COMMANDS = frozenset((
    "module", "register", "invoke", "get", "assert_return", "assert_trap", "assert_exhaustion", "assert_exception",
    "assert_malformed", "assert_invalid", "assert_unlinkable", "assert_malformed_custom", "assert_invalid_custom",
))


def _atom(item) -> str | None:
    if type(item) is Tok and item.kind == ATOM:
        return item.value
    return None


def _string(item) -> str:
    if type(item) is Tok and item.kind == STRING:
        return item.value.decode("utf-8", "replace")
    return ""


def parse_wast(name: str, path: Path, text: str | bytes) -> Script:
    """Build a :class:`Script` from the text of a ``.wast`` file.

    A command the reader cannot understand becomes a command carrying the
    error (it fails when run), like a bad JSON command.

    Raises:
        SpecFormatError: the file is not a sequence of S-expressions.
    """
    try:
        nodes, source = read(text)
    except WatError as exc:
        raise SpecFormatError(f"{path}:{exc}") from None
    with no_cycle_collection():
        return _script(name, path, nodes, source)


def _script(name: str, path: Path, nodes: list, source: Source) -> Script:
    reader = _Reader(name, source)
    commands: list[Command] = []
    if nodes and not (type(nodes[0]) is SList and nodes[0].head() in _COMMANDS):
        # A file of bare module fields is one module (Text §6.6.13).
        try:
            binary = assemble_fields([None, *nodes], source, 1)
            data = {"type": "module", "line": 1, "filename": reader._store(binary, "wasm"), "module_type": "binary"}
        except WatError as exc:
            data = {"type": "module", "line": exc.line, "filename": reader._store(source.text.encode(
                "utf-8", "surrogateescape"), "wat"), "module_type": "text"}
        commands.append(parse_command(data, Dialect.WABT))
        nodes = []
    for node in nodes:
        try:
            data = reader.command(node)
        except SpecFormatError as exc:
            line = reader.line(node)
            commands.append(Command(node.head() or "unknown", line, error=f"bad script command: {exc}"))
            continue
        commands.append(parse_command(data, Dialect.WABT))
    return Script(name, Path(path), tuple(commands), reader.binaries, Dialect.WABT)


def load_wast(path: Path, name: str | None = None) -> Script:
    """Read and prepare the ``.wast`` file at ``path``.

    Raises:
        SpecFormatError: unreadable file or not S-expressions.
    """
    path = Path(path)
    try:
        text = path.read_bytes()
    except OSError as exc:
        raise SpecFormatError(f"cannot read {path}: {exc.strerror or exc}") from None
    return parse_wast(name or path.stem, path, text)
