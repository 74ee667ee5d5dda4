"""Assemble a text-format module into a binary module (Text §6.4-6.6 to Binary §5).

Input: the items of one ``(module ...)`` form as read by :mod:`.reader`.
Output: the module's bytes. Two passes: the first gives every definition its
index (imports first in each index space, in text order) so that identifiers
may be used before they are defined; the second encodes types, imports,
functions and the rest, expanding the abbreviations (inline imports and
exports, inline element and data segments, implicit type uses, which append
function types after the explicit ones in order of first use). A ``name``
custom section records the identifiers. Malformed text raises
:class:`~pywaz.text.errors.WatError` with the spec's message.
"""

from __future__ import annotations

from .errors import WatError
from .instructions import INSTRUCTIONS, natural_alignment
from .leb import sleb, uleb
from .numbers import NumberError, parse_float, parse_int, parse_nat
from .reader import ATOM, ID, STRING, Annot, SList, Source, Tok

# -- binary encoding helpers ------------------------------------------------------------------------


_ULEB_SMALL = [bytes((i,)) for i in range(128)]


def _u(value: int) -> bytes:
    return _ULEB_SMALL[value] if value < 128 else uleb(value)


def _name(data: bytes) -> bytes:
    return _u(len(data)) + data


def _vec(parts) -> bytes:
    parts = list(parts)
    return _u(len(parts)) + b"".join(parts)


def _signed(value: int, bits: int) -> int:
    return value - (1 << bits) if value >> (bits - 1) else value


NUM_TYPES = {"i32": b"\x7f", "i64": b"\x7e", "f32": b"\x7d", "f64": b"\x7c", "v128": b"\x7b"}
HEAP_TYPES = {
    "func": 0x70, "extern": 0x6F, "any": 0x6E, "eq": 0x6D, "i31": 0x6C, "struct": 0x6B, "array": 0x6A,
    "exn": 0x69, "noexn": 0x74, "nofunc": 0x73, "noextern": 0x72, "none": 0x71,
}
REF_SHORTHANDS = {
    "funcref": 0x70, "externref": 0x6F, "anyref": 0x6E, "eqref": 0x6D, "i31ref": 0x6C, "structref": 0x6B,
    "arrayref": 0x6A, "exnref": 0x69, "nullexnref": 0x74, "nullfuncref": 0x73, "nullexternref": 0x72,
    "nullref": 0x71,
}
PACKED_TYPES = {"i8": b"\x78", "i16": b"\x77"}

# Binary section ids and their order in a module (tags sit between memories and globals).
SECTION_ORDER = {1: 1, 2: 2, 3: 3, 4: 4, 5: 5, 13: 6, 6: 7, 7: 8, 8: 9, 9: 10, 12: 11, 10: 12, 11: 13}
SECTION_NAMES = {"type": 1, "import": 2, "func": 3, "table": 4, "memory": 5, "tag": 13, "global": 6,
                 "export": 7, "start": 8, "elem": 9, "datacount": 12, "code": 10, "data": 11}

KINDS = ("func", "table", "memory", "global", "tag")
KIND_BYTES = {"func": 0, "table": 1, "memory": 2, "global": 3, "tag": 4}
_KIND_WORDS = {"func": "function", "table": "table", "memory": "memory", "global": "global", "tag": "tag"}


class _Cursor:
    """Reads the items of one list left to right, skipping kept annotations."""

    __slots__ = ("asm", "i", "items", "n", "node")

    def __init__(self, node: SList | Annot, asm: Assembler, start: int = 1):
        self.items = node.items
        self.n = len(node.items)
        self.node = node
        self.asm = asm
        self.i = start
        self._skip()

    def _skip(self):
        items = self.items
        hints = 0
        while self.i < self.n and type(items[self.i]) is Annot:
            annot = items[self.i]
            if annot.name == "metadata.code.branch_hint":
                hints += 1
                if hints > 1:  # two hints for one instruction
                    raise self.asm.error("@metadata.code.branch_hint annotation: duplicate annotation",
                                         annot.pos)
            elif annot.name == "custom":
                raise self.asm.error("misplaced @custom annotation", annot.pos)
            elif annot.name == "name" and self.node.head() in ("start", "export"):
                raise self.asm.error("misplaced @name annotation", annot.pos)
            self.i += 1

    def more(self) -> bool:
        return self.i < self.n

    def peek(self):
        return self.items[self.i] if self.i < self.n else None

    def next(self):
        if self.i >= self.n:
            raise self.asm.error("unexpected token", self._end_pos())
        item = self.items[self.i]
        self.i += 1
        self._skip()
        return item

    def _end_pos(self) -> int:
        end = getattr(self.node, "end", 0)
        return end - 1 if end else self.node.pos

    def peek_atom(self) -> str | None:
        item = self.peek()
        if type(item) is Tok and item.kind == ATOM:
            return item.value
        return None

    def peek_head(self) -> str | None:
        item = self.peek()
        if type(item) is SList:
            return item.head()
        return None

    def opt_id(self) -> str | None:
        item = self.peek()
        if type(item) is Tok and item.kind == ID:
            self.next()
            return item.value
        return None

    def expect_atom(self, word: str) -> None:
        item = self.next()
        if type(item) is not Tok or item.kind != ATOM or item.value != word:
            raise self.asm.error("unexpected token", item.pos)

    def string(self) -> bytes:
        item = self.next()
        if type(item) is not Tok or item.kind != STRING:
            raise self.asm.error("unexpected token", item.pos)
        return item.value

    def name(self) -> str:
        item = self.next()
        if type(item) is not Tok or item.kind != STRING:
            raise self.asm.error("unexpected token", item.pos)
        try:
            return item.value.decode("utf-8")
        except UnicodeDecodeError:
            raise self.asm.error("malformed UTF-8 encoding", item.pos) from None

    def nat(self, bits: int = 32) -> int:
        item = self.next()
        if type(item) is not Tok or item.kind != ATOM:
            raise self.asm.error("unexpected token", item.pos)
        value = parse_nat(item.value)
        if value is None:
            raise self.asm.error("unexpected token", item.pos)
        if value >> bits:
            raise self.asm.error("constant out of range", item.pos)
        return value

    def end(self) -> None:
        if self.i < self.n:
            raise self.asm.error("unexpected token", self.items[self.i].pos)


class _Func:
    """A function being assembled: its locals and the label stack."""

    __slots__ = ("labels", "local_names", "local_types", "locals")

    def __init__(self):
        self.locals: dict[str, int] = {}
        self.local_names: list[tuple[int, str]] = []
        self.labels: list[str | None] = []
        self.local_types: list[bytes] = []


class _TypeInfo:
    __slots__ = ("field_names", "fields", "implicit_ok", "kind", "params", "results")

    def __init__(self, kind, params=(), results=(), fields=(), field_names=None, implicit_ok=False):
        self.kind = kind
        self.params = params
        self.results = results
        self.fields = fields
        self.field_names = field_names or {}
        self.implicit_ok = implicit_ok


class Assembler:
    """One module's assembly state; :meth:`assemble` returns the binary."""

    def __init__(self, source: Source):
        self.source = source
        self.names: dict[str, dict[str, int]] = {k: {} for k in (*KINDS, "type", "elem", "data")}
        self.counts: dict[str, int] = {k: 0 for k in (*KINDS, "type", "elem", "data")}
        self.types: list[_TypeInfo] = []
        self.type_groups: list[bytes] = []  # encoded rec groups (explicit, then implicit)
        self.implicit: dict[tuple, int] = {}
        self.imports: list[bytes] = []
        self.func_types: list[int] = []  # type index of each defined function
        self.tables: list[bytes] = []
        self.memories: list[bytes] = []
        self.globals_: list[bytes] = []
        self.tags: list[bytes] = []
        self.exports: list[bytes] = []
        self.export_names: set[str] = set()
        self.start: int | None = None
        self.elems: list[bytes] = []
        self.datas: list[bytes] = []
        self.codes: list[bytes] = []
        self.customs: list[tuple[float, bytes, bytes]] = []
        self.uses_data_count = False
        self.func_names: list[tuple[int, str]] = []
        self.all_local_names: list[tuple[int, list]] = []
        self.module_name: str | None = None
        self.memory_addr64: list[bool] = []
        self.table_addr64: list[bool] = []
        self.func_type_of: list[int] = []  # type index of every function (imports included)
        self.field_defs: list = []  # (kind, node, index) collected in pass 1

    # -- errors and indices ----------------------------------------------------------------------------

    def error(self, message: str, pos: int) -> WatError:
        return self.source.error(message, pos)

    def index(self, item, space: str) -> int:
        """Resolve an index token (a number or ``$id``) in ``space``.

        Raises:
            WatError: not an index, or an unknown identifier.
        """
        if type(item) is Tok:
            if item.kind == ID:
                found = self.names[space].get(item.value)
                if found is None:
                    raise self.error(f"unknown {space} ${item.value}", item.pos)
                return found
            if item.kind == ATOM:
                value = parse_nat(item.value)
                if value is not None:
                    if value >> 32:
                        raise self.error("constant out of range", item.pos)
                    return value
        pos = item.pos
        raise self.error("unexpected token", pos)

    def is_index(self, item) -> bool:
        if type(item) is not Tok:
            return False
        if item.kind == ID:
            return True
        return item.kind == ATOM and parse_nat(item.value) is not None

    def _define(self, space: str, name: str | None, pos: int, word: str | None = None) -> int:
        index = self.counts[space]
        self.counts[space] = index + 1
        if name is not None:
            table = self.names[space]
            if name in table:
                raise self.error(f"duplicate {word or space} ${name}", pos)
            table[name] = index
        return index

    # -- pass 1: declare ---------------------------------------------------------------------------------

    def assemble(self, fields: list, module_name: str | None = None) -> bytes:
        """The binary of the module whose fields are ``fields``.

        Raises:
            WatError: malformed text, or folded expressions nested too deeply to assemble.
        """
        try:
            return self._assemble(fields, module_name)
        except RecursionError:
            # Folded instructions recurse (flat blocks do not); Python's stack ends somewhere.
            raise self.error("nesting too deep: folded instructions are nested thousands deep; "
                             "write them flat (block ... end)", fields[0].pos if fields else 0) from None

    def _assemble(self, fields: list, module_name: str | None) -> bytes:
        self.module_name = module_name
        self._declare(fields)
        # Explicit types come first in the type section; implicit ones are appended as they are met.
        for kind, node, index, extra in self.field_defs:
            if kind in ("type", "rec"):
                getattr(self, "_build_" + kind)(node, index, extra)
        for kind, node, index, extra in self.field_defs:
            if kind not in ("type", "rec"):
                getattr(self, "_build_" + kind)(node, index, extra)
        return self._encode()

    def _declare(self, fields: list) -> None:
        seen_definition: str | None = None
        defs = self.field_defs
        for position, node in enumerate(fields):
            if type(node) is Annot:
                if node.name == "custom":
                    defs.append(("custom", node, 0, None))
                elif node.name == "metadata.code.branch_hint":
                    raise self.error("@metadata.code.branch_hint annotation: not in a function", node.pos)
                elif node.name == "name":
                    self._module_name_annotation(node, fields[:position])
                continue
            if type(node) is not SList:
                raise self.error("unexpected token", node.pos)
            head = node.head()
            cur = _Cursor(node, self)
            if head == "type":
                defs.append(("type", node, self.counts["type"], None))
                self._declare_type(node, cur, None)
            elif head == "rec":
                group = []
                while cur.more():
                    sub = cur.next()
                    if type(sub) is not SList or sub.head() != "type":
                        raise self.error("unexpected token", sub.pos)
                    group.append(sub)
                first = self.counts["type"]
                for sub in group:
                    self._declare_type(sub, _Cursor(sub, self), first)
                defs.append(("rec", node, first, group))
            elif head == "import":
                if seen_definition is not None:
                    raise self.error(f"import after {seen_definition}", node.pos)
                cur.name()
                cur.name()
                desc = cur.next()
                kind = desc.head() if type(desc) is SList else None
                if kind not in KIND_BYTES:
                    raise self.error("unexpected token", desc.pos)
                dcur = _Cursor(desc, self)
                ident = dcur.opt_id()
                index = self._define(kind, ident, desc.pos)
                defs.append(("import", node, index, kind))
            elif head in KIND_BYTES:
                ident = cur.opt_id()
                index = self._define(head, ident, node.pos)
                is_import = False
                while cur.more():
                    h = cur.peek_head()
                    if h == "export":
                        cur.next()
                    elif h == "import":
                        is_import = True
                        break
                    else:
                        break
                if is_import:
                    if seen_definition is not None:
                        raise self.error(f"import after {seen_definition}", node.pos)
                elif head != "tag":
                    seen_definition = _KIND_WORDS[head]
                defs.append((head, node, index, is_import))
                if not is_import and head in ("table", "memory"):
                    # An inline (elem ...) or (data ...) defines an unnamed segment.
                    for item in node.items:
                        if type(item) is SList and item.head() == ("elem" if head == "table" else "data"):
                            defs.append((head + "_segment", node, index, self._define(item.head(), None, 0)))
                            break
            elif head in ("elem", "data"):
                ident = cur.opt_id()
                index = self._define(head, ident, node.pos)
                defs.append((head, node, index, None))
            elif head in ("export", "start"):
                if head == "start" and any(d[0] == "start" for d in defs):
                    raise self.error("multiple start sections", node.pos)
                defs.append((head, node, 0, None))
            else:
                raise self.error("unknown operator" if head else "unexpected token", node.pos)
        # Function types are needed by call sites; they are known once all types are declared.

    def _module_name_annotation(self, node: Annot, before: list) -> None:
        """``(@name "M")`` right after ``module`` names the module (Annotations appendix, name section)."""
        if any(type(x) is not Annot for x in before):
            raise self.error("misplaced @name annotation", node.pos)
        if any(type(x) is Annot and x.name == "name" for x in before):
            raise self.error("@name annotation: multiple module", node.pos)
        if len(node.items) != 1 or type(node.items[0]) is not Tok or node.items[0].kind != STRING:
            raise self.error("@name annotation: unexpected token", node.pos)
        try:
            self.module_name = node.items[0].value.decode("utf-8")
        except UnicodeDecodeError:
            raise self.error("@name annotation: malformed UTF-8 encoding", node.pos) from None

    def _declare_type(self, node: SList, cur: _Cursor, group_start: int | None) -> None:
        ident = cur.opt_id()
        self._define("type", ident, node.pos)
        self.types.append(None)  # filled in pass 2; field names are needed earlier, so read them now
        body = cur.peek()
        if type(body) is SList and body.head() == "sub":
            bcur = _Cursor(body, self)
            if bcur.peek_atom() == "final":
                bcur.next()
            while bcur.more() and self.is_index(bcur.peek()):
                bcur.next()
            body = bcur.peek()
        if type(body) is SList and body.head() == "struct":
            names = {}
            position = 0
            for field in body.items[1:]:
                if type(field) is not SList or field.head() != "field":
                    continue
                fcur = _Cursor(field, self)
                fid = fcur.opt_id()
                if fid is not None:
                    if fid in names:
                        raise self.error("duplicate field", field.pos)
                    names[fid] = position
                    position += 1
                else:
                    position += sum(1 for x in field.items[1:] if type(x) is not Annot)
            self.types[-1] = _TypeInfo("struct", field_names=names)

    # -- value and reference types -----------------------------------------------------------------------

    def heap_type(self, item) -> bytes:
        if type(item) is Tok and item.kind == ATOM and item.value in HEAP_TYPES:
            return bytes((HEAP_TYPES[item.value],))
        if self.is_index(item):
            return sleb(self.index(item, "type"))
        raise self.error("unexpected token", item.pos)

    def ref_type(self, item) -> bytes:
        """Encode a reference type: a shorthand keyword or ``(ref null? heaptype)``."""
        if type(item) is Tok and item.kind == ATOM:
            code = REF_SHORTHANDS.get(item.value)
            if code is None:
                raise self.error("unexpected token", item.pos)
            return bytes((code,))
        if type(item) is SList and item.head() == "ref":
            cur = _Cursor(item, self)
            nullable = False
            if cur.peek_atom() == "null":
                cur.next()
                nullable = True
            heap = self.heap_type(cur.next())
            cur.end()
            if nullable and len(heap) == 1 and heap[0] >= 0x69:
                return heap  # (ref null func) is funcref: the one-byte form
            return (b"\x63" if nullable else b"\x64") + heap
        raise self.error("unexpected token", item.pos)

    def val_type(self, item) -> bytes:
        if type(item) is Tok and item.kind == ATOM:
            code = NUM_TYPES.get(item.value)
            if code is not None:
                return code
            if item.value not in REF_SHORTHANDS:
                raise self.error(f"unknown operator {item.value}", item.pos)
        return self.ref_type(item)

    def is_ref_type(self, item) -> bool:
        if type(item) is Tok:
            return item.kind == ATOM and item.value in REF_SHORTHANDS
        return type(item) is SList and item.head() == "ref"

    def storage_type(self, item) -> bytes:
        if type(item) is Tok and item.kind == ATOM and item.value in PACKED_TYPES:
            return PACKED_TYPES[item.value]
        return self.val_type(item)

    def field_type(self, item) -> bytes:
        if type(item) is SList and item.head() == "mut":
            cur = _Cursor(item, self)
            storage = self.storage_type(cur.next())
            cur.end()
            return storage + b"\x01"
        return self.storage_type(item) + b"\x00"

    # -- types -------------------------------------------------------------------------------------------

    def _build_type(self, node: SList, index: int, extra) -> None:
        self.type_groups.append(self._sub_type(node, index))

    def _build_rec(self, node: SList, first: int, group: list) -> None:
        self._in_rec = True
        try:
            parts = [self._sub_type(sub, first + offset) for offset, sub in enumerate(group)]
        finally:
            self._in_rec = False
        self.type_groups.append(b"\x4e" + _vec(parts))

    def _sub_type(self, node: SList, index: int | None = None) -> bytes:
        cur = _Cursor(node, self)
        ident = cur.opt_id()
        if index is None:
            index = self.names["type"][ident] if ident is not None else self._type_index_of(node)
        body = cur.next()
        cur.end()
        final = True
        supers: list[int] = []
        explicit_sub = False
        if type(body) is SList and body.head() == "sub":
            explicit_sub = True
            bcur = _Cursor(body, self)
            final = False
            if bcur.peek_atom() == "final":
                bcur.next()
                final = True
            while bcur.more() and self.is_index(bcur.peek()):
                supers.append(self.index(bcur.next(), "type"))
            body = bcur.next()
            bcur.end()
        comp, info = self._comp_type(body)
        info.implicit_ok = not self._in_rec
        previous = self.types[index]
        if previous is not None and previous.field_names:
            info.field_names = previous.field_names
        self.types[index] = info
        if explicit_sub and not (final and not supers):
            return (b"\x4f" if final else b"\x50") + _vec(uleb(s) for s in supers) + comp
        return comp

    _in_rec = False

    def _type_index_of(self, node: SList) -> int:
        for kind, field, index, extra in self.field_defs:
            if field is node:
                return index
        raise self.error("unexpected token", node.pos)

    def _comp_type(self, body) -> tuple[bytes, _TypeInfo]:
        if type(body) is not SList:
            raise self.error("unexpected token", body.pos)
        head = body.head()
        cur = _Cursor(body, self)
        if head == "func":
            params, results, _names = self._params_results(cur, allow_names=True)
            cur.end()
            return (b"\x60" + _vec(params) + _vec(results),
                    _TypeInfo("func", tuple(params), tuple(results)))
        if head == "struct":
            fields = []
            while cur.more():
                field = cur.next()
                if type(field) is not SList or field.head() != "field":
                    raise self.error("unexpected token", field.pos)
                fcur = _Cursor(field, self)
                if fcur.opt_id() is not None:
                    fields.append(self.field_type(fcur.next()))
                    fcur.end()
                else:
                    while fcur.more():
                        fields.append(self.field_type(fcur.next()))
            return b"\x5f" + _vec(fields), _TypeInfo("struct", fields=tuple(fields))
        if head == "array":
            field = self.field_type(cur.next())
            cur.end()
            return b"\x5e" + field, _TypeInfo("array", fields=(field,))
        raise self.error("unexpected token", body.pos)

    def _params_results(self, cur: _Cursor, allow_names: bool, names_out: dict | None = None):
        """Read ``(param ...)* (result ...)*``; returns (params, results, param names)."""
        params: list[bytes] = []
        results: list[bytes] = []
        names: list[tuple[int, str]] = []
        while cur.peek_head() == "param":
            node = cur.next()
            pcur = _Cursor(node, self)
            ident = pcur.opt_id()
            if ident is not None:
                if not allow_names:
                    raise self.error("unexpected token", node.pos)
                if names_out is not None:
                    if ident in names_out:
                        raise self.error(f"duplicate local ${ident}", node.pos)
                    names_out[ident] = len(params)
                names.append((len(params), ident))
                params.append(self.val_type(pcur.next()))
                pcur.end()
            else:
                while pcur.more():
                    params.append(self.val_type(pcur.next()))
        while cur.peek_head() == "result":
            node = cur.next()
            rcur = _Cursor(node, self)
            while rcur.more():
                results.append(self.val_type(rcur.next()))
        if cur.peek_head() in ("param", "type"):
            raise self.error("unexpected token", cur.peek().pos)
        return params, results, names

    def type_use(self, cur: _Cursor, names_out: dict | None = None, allow_names: bool = True,
                 ) -> tuple[int, int]:
        """Read a type use (Text §6.6.3); returns (type index, number of params).

        Raises:
            WatError: the inline params/results contradict the named type ("inline function type").
        """
        explicit = None
        pos = cur.peek().pos if cur.more() else cur.node.pos
        if cur.peek_head() == "type":
            node = cur.next()
            tcur = _Cursor(node, self)
            explicit = self.index(tcur.next(), "type")
            tcur.end()
        has_inline = cur.peek_head() in ("param", "result")
        params, results, _names = self._params_results(cur, allow_names, names_out)
        if explicit is not None:
            info = self.types[explicit] if explicit < len(self.types) else None
            if has_inline and explicit >= len(self.types):
                raise self.error("unknown type", pos)
            if has_inline:
                if info is None or info.kind != "func" or (tuple(params), tuple(results)) != (
                        info.params, info.results):
                    raise self.error("inline function type", pos)
            elif names_out is not None and info is not None and info.kind == "func":
                pass
            nparams = len(info.params) if info is not None and info.kind == "func" else 0
            return explicit, nparams
        return self.implicit_type(tuple(params), tuple(results)), len(params)

    def implicit_type(self, params: tuple, results: tuple) -> int:
        key = (params, results)
        for index, info in enumerate(self.types):
            if info is not None and info.implicit_ok and info.kind == "func" and (
                    info.params, info.results) == key:
                return index
        found = self.implicit.get(key)
        if found is not None:
            return found
        index = len(self.types)
        self.types.append(_TypeInfo("func", params, results, implicit_ok=True))
        self.implicit[key] = index
        self.type_groups.append(b"\x60" + _vec(params) + _vec(results))
        return index

    # -- imports, exports and definitions ---------------------------------------------------------------

    def _inline_exports(self, cur: _Cursor, kind: str, index: int) -> None:
        while cur.peek_head() == "export":
            node = cur.next()
            ecur = _Cursor(node, self)
            self._add_export(ecur, node, kind, index)
            ecur.end()

    def _add_export(self, ecur: _Cursor, node, kind: str, index: int) -> None:
        name = ecur.name()
        self.exports.append(_name(name.encode()) + bytes((KIND_BYTES[kind],)) + uleb(index))

    def _build_import(self, node: SList, index: int, kind: str) -> None:
        cur = _Cursor(node, self)
        module = cur.name()
        field = cur.name()
        desc = cur.next()
        cur.end()
        dcur = _Cursor(desc, self)
        ident = dcur.opt_id()
        self._import_desc(module, field, kind, dcur, index, ident, desc)

    def _import_desc(self, module: str, field: str, kind: str, cur: _Cursor, index: int,
                     ident: str | None, node) -> None:
        head = _name(module.encode()) + _name(field.encode())
        if kind == "func":
            names: dict = {}
            type_index, _ = self.type_use(cur, names)
            self._record_func(index, ident, type_index)
            desc = b"\x00" + uleb(type_index)
        elif kind == "table":
            desc = b"\x01" + self._table_type(cur, index)
        elif kind == "memory":
            desc = b"\x02" + self._memory_type(cur, index)
        elif kind == "global":
            desc = b"\x03" + self._global_type(cur.next())
        else:
            type_index, _ = self.type_use(cur)
            desc = b"\x04\x00" + uleb(type_index)
        cur.end()
        self.imports.append(head + desc)

    def _record_func(self, index: int, ident: str | None, type_index: int) -> None:
        while len(self.func_type_of) <= index:
            self.func_type_of.append(0)
        self.func_type_of[index] = type_index
        if ident is not None:
            self.func_names.append((index, ident))

    def _limits(self, cur: _Cursor, addr64: bool) -> bytes:
        bits = 64  # a 32-bit limit above 2^32 is invalid, not malformed
        minimum = cur.nat(bits)
        maximum = None
        if cur.peek_atom() is not None and parse_nat(cur.peek_atom()) is not None:
            maximum = cur.nat(bits)
        flags = (0x04 if addr64 else 0) | (0x01 if maximum is not None else 0)
        out = bytes((flags,)) + uleb(minimum)
        if maximum is not None:
            out += uleb(maximum)
        return out

    def _addr_type(self, cur: _Cursor) -> bool:
        word = cur.peek_atom()
        if word in ("i32", "i64"):
            cur.next()
            return word == "i64"
        return False

    def _table_type(self, cur: _Cursor, index: int) -> bytes:
        addr64 = self._addr_type(cur)
        self._note_table(index, addr64)
        limits = self._limits(cur, addr64)
        return self.ref_type(cur.next()) + limits

    def _note_table(self, index: int, addr64: bool) -> None:
        while len(self.table_addr64) <= index:
            self.table_addr64.append(False)
        self.table_addr64[index] = addr64

    def _memory_type(self, cur: _Cursor, index: int) -> bytes:
        addr64 = self._addr_type(cur)
        while len(self.memory_addr64) <= index:
            self.memory_addr64.append(False)
        self.memory_addr64[index] = addr64
        limits = self._limits(cur, addr64)
        if cur.peek_atom() == "shared":  # threads proposal: limits flag bit 1
            cur.next()
            limits = bytes((limits[0] | 0x02,)) + limits[1:]
        if cur.peek_head() == "pagesize":
            node = cur.next()
            pcur = _Cursor(node, self)
            size = pcur.nat()
            if size == 0 or size & (size - 1):
                raise self.error("invalid custom page size", node.pos)
            limits = bytes((limits[0] | 0x08,)) + limits[1:] + uleb(size.bit_length() - 1)
        return limits

    def _global_type(self, item) -> bytes:
        if type(item) is SList and item.head() == "mut":
            cur = _Cursor(item, self)
            valtype = self.val_type(cur.next())
            cur.end()
            return valtype + b"\x01"
        return self.val_type(item) + b"\x00"

    def _inline_import(self, cur: _Cursor) -> tuple[str, str] | None:
        if cur.peek_head() != "import":
            return None
        node = cur.next()
        icur = _Cursor(node, self)
        module = icur.name()
        field = icur.name()
        icur.end()
        return module, field

    def _build_func(self, node: SList, index: int, is_import: bool) -> None:
        cur = _Cursor(node, self)
        ident = cur.opt_id()
        self._inline_exports(cur, "func", index)
        if is_import:
            module, field = self._inline_import(cur)
            self._import_desc(module, field, "func", cur, index, ident, node)
            return
        func = _Func()
        type_index, nparams = self.type_use(cur, func.locals)
        self._record_func(index, ident, type_index)
        self.func_types.append(type_index)
        for position, name in sorted((v, k) for k, v in func.locals.items()):
            func.local_names.append((position, name))
        info = self.types[type_index] if type_index < len(self.types) else None
        if info is not None and info.kind == "func":
            func.local_types = list(info.params)
        count = nparams
        local_types: list[bytes] = []
        while cur.peek_head() == "local":
            lnode = cur.next()
            lcur = _Cursor(lnode, self)
            lid = lcur.opt_id()
            if lid is not None:
                if lid in func.locals:
                    raise self.error(f"duplicate local ${lid}", lnode.pos)
                func.locals[lid] = count
                func.local_names.append((count, lid))
                local_types.append(self.val_type(lcur.next()))
                count += 1
                lcur.end()
            else:
                while lcur.more():
                    local_types.append(self.val_type(lcur.next()))
                    count += 1
        body = bytearray()
        runs: list[list] = []
        for valtype in local_types:
            if runs and runs[-1][1] == valtype:
                runs[-1][0] += 1
            else:
                runs.append([1, valtype])
        body += _u(len(runs))
        for run_count, valtype in runs:
            body += uleb(run_count) + valtype
        _Body(self, func, body, True).instrs_to_end(cur)
        body.append(0x0B)
        self.codes.append(uleb(len(body)) + bytes(body))
        if func.local_names:
            self.all_local_names.append((index, func.local_names))

    def _build_table(self, node: SList, index: int, is_import: bool) -> None:
        cur = _Cursor(node, self)
        ident = cur.opt_id()
        self._inline_exports(cur, "table", index)
        if is_import:
            module, field = self._inline_import(cur)
            self._import_desc(module, field, "table", cur, index, ident, node)
            return
        # (table addr? reftype (elem ...)) abbreviation
        save = cur.i
        addr64 = self._addr_type(cur)
        if self.is_ref_type(cur.peek()) and any(
                type(x) is SList and x.head() == "elem" for x in node.items[cur.i + 1:cur.i + 2]):
            reftype = self.ref_type(cur.next())
            elem_node = cur.next()
            cur.end()
            self._note_table(index, addr64)
            ecur = _Cursor(elem_node, self)
            items, is_exprs = self._elem_items(ecur, reftype, allow_bare_indices=True)
            if not is_exprs and reftype != b"\x70":
                # Bare function indices for a typed table: each becomes (ref.func x).
                items = [b"\xd2" + item + b"\x0b" for item in items]
                is_exprs = True
            n = len(items)
            limits = bytes((0x05 if addr64 else 0x01,)) + uleb(n) + uleb(n)
            self.tables.append(reftype + limits)
            self._pending_segment = (index, reftype, items, is_exprs, addr64)
            return
        cur.i = save
        tabletype = self._table_type(cur, index)
        if cur.more():
            init = self._const_expr_items(cur)
            self.tables.append(b"\x40\x00" + tabletype + init)
        else:
            self.tables.append(tabletype)

    def _build_table_segment(self, node: SList, index: int, segment_index: int) -> None:
        table_index, reftype, items, is_exprs, addr64 = self._pending_segment
        offset = (b"\x42\x00" if addr64 else b"\x41\x00") + b"\x0b"
        self.elems.append(self._encode_elem("active", table_index, False, offset, reftype, items, is_exprs))

    def _build_memory(self, node: SList, index: int, is_import: bool) -> None:
        cur = _Cursor(node, self)
        ident = cur.opt_id()
        self._inline_exports(cur, "memory", index)
        if is_import:
            module, field = self._inline_import(cur)
            self._import_desc(module, field, "memory", cur, index, ident, node)
            return
        save = cur.i
        addr64 = self._addr_type(cur)
        if cur.peek_head() == "data":
            data_node = cur.next()
            cur.end()
            dcur = _Cursor(data_node, self)
            data = b""
            while dcur.more():
                data += dcur.string()
            pages = (len(data) + 0xFFFF) // 0x10000
            while len(self.memory_addr64) <= index:
                self.memory_addr64.append(False)
            self.memory_addr64[index] = addr64
            self.memories.append(bytes((0x05 if addr64 else 0x01,)) + uleb(pages) + uleb(pages))
            self._pending_data = (index, data, addr64)
            return
        cur.i = save
        self.memories.append(self._memory_type(cur, index))
        cur.end()

    def _build_memory_segment(self, node: SList, index: int, segment_index: int) -> None:
        memory_index, data, addr64 = self._pending_data
        offset = (b"\x42\x00" if addr64 else b"\x41\x00") + b"\x0b"
        if memory_index == 0:
            self.datas.append(b"\x00" + offset + _name(data))
        else:
            self.datas.append(b"\x02" + uleb(memory_index) + offset + _name(data))

    def _build_global(self, node: SList, index: int, is_import: bool) -> None:
        cur = _Cursor(node, self)
        ident = cur.opt_id()
        self._inline_exports(cur, "global", index)
        if is_import:
            module, field = self._inline_import(cur)
            self._import_desc(module, field, "global", cur, index, ident, node)
            return
        globaltype = self._global_type(cur.next())
        self.globals_.append(globaltype + self._const_expr_items(cur))

    def _build_tag(self, node: SList, index: int, is_import: bool) -> None:
        cur = _Cursor(node, self)
        ident = cur.opt_id()
        self._inline_exports(cur, "tag", index)
        if is_import:
            module, field = self._inline_import(cur)
            self._import_desc(module, field, "tag", cur, index, ident, node)
            return
        type_index, _ = self.type_use(cur)
        cur.end()
        self.tags.append(b"\x00" + uleb(type_index))

    def _build_export(self, node: SList, index: int, extra) -> None:
        cur = _Cursor(node, self)
        name = cur.name()
        desc = cur.next()
        cur.end()
        kind = desc.head() if type(desc) is SList else None
        if kind not in KIND_BYTES:
            raise self.error("unexpected token", desc.pos)
        dcur = _Cursor(desc, self)
        target = self.index(dcur.next(), kind)
        dcur.end()
        self.exports.append(_name(name.encode()) + bytes((KIND_BYTES[kind],)) + uleb(target))

    def _build_start(self, node: SList, index: int, extra) -> None:
        cur = _Cursor(node, self)
        self.start = self.index(cur.next(), "func")
        cur.end()

    # -- constant expressions and segments ----------------------------------------------------------------

    def _const_expr_items(self, cur: _Cursor) -> bytes:
        """The remaining items of ``cur`` as an expression, with its ``end``."""
        body = bytearray()
        _Body(self, _Func(), body).instrs_to_end(cur)
        body.append(0x0B)
        return bytes(body)

    def _offset(self, cur: _Cursor) -> bytes:
        node = cur.next()
        if type(node) is not SList:
            raise self.error("unexpected token", node.pos)
        if node.head() == "offset":
            return self._const_expr_items(_Cursor(node, self))
        body = bytearray()
        _Body(self, _Func(), body).folded(node)
        body.append(0x0B)
        return bytes(body)

    def _elem_expr(self, node) -> bytes:
        if type(node) is SList and node.head() == "item":
            return self._const_expr_items(_Cursor(node, self))
        if type(node) is not SList:
            raise self.error("unexpected token", node.pos)
        body = bytearray()
        _Body(self, _Func(), body).folded(node)
        body.append(0x0B)
        return bytes(body)

    def _elem_items(self, cur: _Cursor, reftype: bytes | None, allow_bare_indices: bool):
        """Read an element list; returns (items, are expressions)."""
        if cur.peek_atom() == "func":
            cur.next()
            return [uleb(self.index(cur.next(), "func")) for _ in iter(cur.more, False)], False
        if cur.more() and self.is_ref_type(cur.peek()):
            cur.next()
            return [self._elem_expr(cur.next()) for _ in iter(cur.more, False)], True
        if reftype is not None and cur.more() and type(cur.peek()) is SList:
            return [self._elem_expr(cur.next()) for _ in iter(cur.more, False)], True
        if allow_bare_indices:
            return [uleb(self.index(cur.next(), "func")) for _ in iter(cur.more, False)], False
        raise self.error("unexpected token", cur.peek().pos if cur.more() else cur.node.pos)

    def _encode_elem(self, mode: str, table: int | None, table_default: bool, offset: bytes | None,
                     reftype: bytes, items: list, is_exprs: bool) -> bytes:
        funcref = reftype == b"\x70"
        if not is_exprs:
            if mode == "active":
                if table_default and table == 0:
                    return b"\x00" + offset + _vec(items)
                return b"\x02" + uleb(table) + offset + b"\x00" + _vec(items)
            if mode == "passive":
                return b"\x01\x00" + _vec(items)
            return b"\x03\x00" + _vec(items)
        if mode == "active":
            if table_default and table == 0 and funcref:
                return b"\x04" + offset + _vec(items)
            return b"\x06" + uleb(table) + offset + reftype + _vec(items)
        if mode == "passive":
            return b"\x05" + reftype + _vec(items)
        return b"\x07" + reftype + _vec(items)

    def _build_elem(self, node: SList, index: int, extra) -> None:
        cur = _Cursor(node, self)
        cur.opt_id()
        mode = "passive"
        table = 0
        table_default = True
        offset = None
        if cur.peek_atom() == "declare":
            cur.next()
            mode = "declare"
        else:
            if cur.peek_head() == "table":
                tnode = cur.next()
                tcur = _Cursor(tnode, self)
                table = self.index(tcur.next(), "table")
                tcur.end()
                table_default = False
                mode = "active"
            elif self.is_index(cur.peek()) and cur.i + 1 < cur.n and type(cur.items[cur.i + 1]) is SList:
                # Legacy form: (elem 0 (offset ...) ...), a bare table index.
                table = self.index(cur.next(), "table")
                table_default = False
                mode = "active"
            if type(cur.peek()) is SList and (mode == "active" or cur.peek_head() not in ("item",)
                                               and not self.is_ref_type(cur.peek())):
                offset = self._offset(cur)
                mode = "active"
        reftype = b"\x70"
        if cur.peek_atom() == "func":
            items, is_exprs = self._elem_items(cur, None, False)
        elif cur.more() and self.is_ref_type(cur.peek()):
            reftype = self.ref_type(cur.peek())
            items, is_exprs = self._elem_items(cur, reftype, False)
        else:
            if mode != "active" and cur.more():
                raise self.error("unexpected token", cur.peek().pos)
            items, is_exprs = self._elem_items(cur, None, True)
        self.elems.append(self._encode_elem(mode, table, table_default, offset, reftype, items, is_exprs))

    def _build_data(self, node: SList, index: int, extra) -> None:
        cur = _Cursor(node, self)
        cur.opt_id()
        memory = 0
        active = False
        if cur.peek_head() == "memory":
            mnode = cur.next()
            mcur = _Cursor(mnode, self)
            memory = self.index(mcur.next(), "memory")
            mcur.end()
            active = True
        elif self.is_index(cur.peek()):
            memory = self.index(cur.next(), "memory")
            active = True
        offset = None
        if type(cur.peek()) is SList:
            offset = self._offset(cur)
            active = True
        elif active:
            raise self.error("unexpected token", cur.peek().pos if cur.more() else node.pos)
        data = b""
        while cur.more():
            data += cur.string()
        if not active:
            self.datas.append(b"\x01" + _name(data))
        elif memory == 0:
            self.datas.append(b"\x00" + offset + _name(data))
        else:
            self.datas.append(b"\x02" + uleb(memory) + offset + _name(data))

    # -- custom sections ------------------------------------------------------------------------------------

    def _build_custom(self, node: Annot, index: int, extra) -> None:
        cur = _Cursor(node, self, start=0)
        if not cur.more() or type(cur.peek()) is not Tok or cur.peek().kind != STRING:
            raise self.error("@custom annotation: missing section name", node.pos)
        name_tok = cur.next()
        try:
            name_tok.value.decode("utf-8")
        except UnicodeDecodeError:
            raise self.error("@custom annotation: malformed UTF-8 encoding", name_tok.pos) from None
        place = 99.0
        if type(cur.peek()) is SList:
            pnode = cur.next()
            pcur = _Cursor(pnode, self, start=0)
            where = pcur.peek()
            if type(where) is not Tok or where.value not in ("before", "after"):
                raise self.error("@custom annotation: malformed placement", pnode.pos)
            pcur.next()
            target = pcur.peek()
            if type(target) is not Tok or target.kind != ATOM:
                raise self.error("@custom annotation: malformed section kind", pnode.pos)
            pcur.next()
            if target.value == "first":
                place = 0.0
            elif target.value == "last":
                place = 99.0
            elif target.value in SECTION_NAMES:
                rank = SECTION_ORDER[SECTION_NAMES[target.value]]
                place = rank - 0.5 if where.value == "before" else rank + 0.5
            else:
                raise self.error("@custom annotation: malformed section kind", target.pos)
            if pcur.more():
                raise self.error("@custom annotation: malformed placement", pnode.pos)
        data = b""
        while cur.more():
            item = cur.next()
            if type(item) is not Tok or item.kind != STRING:
                raise self.error("@custom annotation: unexpected token", item.pos)
            data += item.value
        self.customs.append((place, name_tok.value, data))

    # -- the binary -----------------------------------------------------------------------------------------

    def _names_section(self) -> bytes:
        out = bytearray()
        if self.module_name is not None:
            sub = _name(self.module_name.encode())
            out += b"\x00" + _u(len(sub)) + sub
        if self.func_names:
            entries = sorted(self.func_names)
            sub = _vec(uleb(i) + _name(n.encode()) for i, n in entries)
            out += b"\x01" + uleb(len(sub)) + sub
        if self.all_local_names:
            entries = sorted(self.all_local_names)
            sub = _vec(uleb(f) + _vec(uleb(i) + _name(n.encode()) for i, n in sorted(locals_))
                       for f, locals_ in entries)
            out += b"\x02" + uleb(len(sub)) + sub
        return bytes(out)

    def _encode(self) -> bytes:
        sections: list[tuple[float, bytes]] = []

        def add(section_id: int, content: bytes) -> None:
            sections.append((SECTION_ORDER[section_id], bytes((section_id,)) + uleb(len(content)) + content))

        if self.type_groups:
            add(1, _vec(self.type_groups))
        if self.imports:
            add(2, _vec(self.imports))
        if self.func_types:
            add(3, _vec(uleb(t) for t in self.func_types))
        if self.tables:
            add(4, _vec(self.tables))
        if self.memories:
            add(5, _vec(self.memories))
        if self.tags:
            add(13, _vec(self.tags))
        if self.globals_:
            add(6, _vec(self.globals_))
        if self.exports:
            add(7, _vec(self.exports))
        if self.start is not None:
            add(8, uleb(self.start))
        if self.elems:
            add(9, _vec(self.elems))
        if self.uses_data_count:
            add(12, uleb(len(self.datas)))
        if self.codes:
            add(10, _vec(self.codes))
        if self.datas:
            add(11, _vec(self.datas))
        for place, name, data in self.customs:
            content = _name(name) + data
            sections.append((place, b"\x00" + uleb(len(content)) + content))
        names = self._names_section()
        if names:
            content = _name(b"name") + names
            sections.append((99.5, b"\x00" + uleb(len(content)) + content))
        sections.sort(key=lambda s: s[0])
        return b"\x00asm\x01\x00\x00\x00" + b"".join(s[1] for s in sections)


_BLOCK_ENDS = frozenset(("end", "else", "catch", "catch_all", "delegate"))
_BLOCK_OPCODES = {"block": 0x02, "loop": 0x03, "if": 0x04, "try": 0x06, "try_table": 0x1F}
# Keywords of a definition's header: misplaced in an instruction sequence, they are unexpected.
_NOT_INSTRUCTIONS = frozenset(("param", "result", "type", "local", "export", "import"))


class _Body:
    """Encodes the instructions of one function body or constant expression into ``out``."""

    __slots__ = ("asm", "func", "in_function", "out")

    def __init__(self, asm: Assembler, func: _Func, out: bytearray, in_function: bool = False):
        self.in_function = in_function
        self.asm = asm
        self.func = func
        self.out = out

    def error(self, message: str, pos: int) -> WatError:
        return self.asm.error(message, pos)

    def instrs_to_end(self, cur: _Cursor) -> None:
        stop = self.instrs(cur)
        if stop is not None:
            raise self.error("unexpected token", stop.pos)

    def instrs(self, cur: _Cursor):
        """Encode instructions until the list ends or a block keyword; returns that keyword's token.

        Flat blocks (``block ... end``) nest through an explicit stack rather
        than recursion, so generated code thousands of blocks deep assembles.
        """
        frames: list[list] = []  # [block keyword, label, handlers seen, catch_all seen, else seen]
        out = self.out
        while True:
            item = cur.peek()
            if item is None:
                if frames:
                    raise self.error("unexpected token: missing end", cur._end_pos())
                return None
            if type(item) is SList:
                cur.next()
                self.folded(item)
                continue
            if type(item) is not Tok or item.kind != ATOM:
                raise self.error("unexpected token", item.pos)
            name = item.value
            if name in _BLOCK_ENDS:
                if not frames:
                    return item
                frame = frames[-1]
                kind = frame[0]
                cur.next()
                if name == "end":
                    self.end_label(cur, frame[1])
                    self.func.labels.pop()
                    out.append(0x0B)
                    frames.pop()
                elif name == "else" and kind == "if" and not frame[4]:
                    frame[4] = True
                    self.end_label(cur, frame[1])
                    out.append(0x05)
                elif name in ("catch", "catch_all") and kind == "try" and not frame[3]:
                    frame[2] += 1
                    if name == "catch":
                        out.append(0x07)
                        out += uleb(self.asm.index(cur.next(), "tag"))
                    else:
                        frame[3] = True
                        out.append(0x19)
                elif name == "delegate" and kind == "try" and not frame[2]:
                    self.func.labels.pop()  # delegate's label counts from outside the try
                    out.append(0x18)
                    out += uleb(self.label(cur.next()))
                    frames.pop()
                else:
                    raise self.error("unexpected token", item.pos)
                continue
            cur.next()
            if name in _BLOCK_OPCODES:
                label = self._block_start(name, cur, _BLOCK_OPCODES[name])
                frames.append([name, label, 0, False, False])
                continue
            out += self.instr(name, item, cur)

    # -- labels ---------------------------------------------------------------------------------------------

    def label(self, item) -> int:
        if type(item) is Tok and item.kind == ID:
            labels = self.func.labels
            for depth in range(len(labels) - 1, -1, -1):
                if labels[depth] == item.value:
                    return len(labels) - 1 - depth
            raise self.error(f"unknown label ${item.value}", item.pos)
        if type(item) is Tok and item.kind == ATOM:
            value = parse_nat(item.value)
            if value is not None:
                if value >> 32:
                    raise self.error("constant out of range", item.pos)
                return value
            raise self.error(f"unknown operator {item.value}", item.pos)
        raise self.error("unexpected token", item.pos)

    def end_label(self, cur: _Cursor, label: str | None) -> None:
        item = cur.peek()
        if type(item) is Tok and item.kind == ID:
            cur.next()
            if item.value != label:
                raise self.error("mismatching label", item.pos)

    def block_type(self, cur: _Cursor) -> bytes:
        asm = self.asm
        if cur.peek_head() == "type":
            pos = cur.peek().pos
            type_index, _ = asm.type_use(cur, allow_names=False)
            # Only an explicit (type x) or a param list needs the index form.
            return sleb(type_index) if pos is not None else b""
        head = cur.peek_head()
        if head not in ("param", "result"):
            return b"\x40"
        params, results, _ = asm._params_results(cur, allow_names=False)
        if not params and not results:
            return b"\x40"
        if not params and len(results) == 1:
            return results[0]
        return sleb(asm.implicit_type(tuple(params), tuple(results)))

    # -- block instructions --------------------------------------------------------------------------------

    def _block_start(self, name: str, cur: _Cursor, opcode: int) -> str | None:
        label = cur.opt_id()
        out = self.out
        out.append(opcode)
        if name == "try_table":
            out += self.block_type(cur)
            catches = []
            while cur.peek_head() in ("catch", "catch_ref", "catch_all", "catch_all_ref"):
                node = cur.next()
                ccur = _Cursor(node, self.asm)
                kind = node.head()
                if kind in ("catch", "catch_ref"):
                    tag = self.asm.index(ccur.next(), "tag")
                    depth = self.label(ccur.next())
                    catches.append((b"\x00" if kind == "catch" else b"\x01") + uleb(tag) + uleb(depth))
                else:
                    depth = self.label(ccur.next())
                    catches.append((b"\x02" if kind == "catch_all" else b"\x03") + uleb(depth))
                ccur.end()
            out += _vec(catches)
        else:
            out += self.block_type(cur)
        self.func.labels.append(label)
        return label

    def folded(self, node: SList) -> None:
        """Encode one folded instruction ``(op immediates folded-operands*)``."""
        tok = node.items[0] if node.items else None
        if type(tok) is not Tok or tok.kind != ATOM:
            raise self.error("unexpected token", node.pos)
        name = tok.value
        cur = _Cursor(node, self.asm)
        out = self.out
        if name in _NOT_INSTRUCTIONS:
            raise self.error("unexpected token", node.pos)
        if name in ("block", "loop", "try_table"):
            label = self._block_start(name, cur, {"block": 0x02, "loop": 0x03, "try_table": 0x1F}[name])
            self.instrs_to_end(cur)
            self.func.labels.pop()
            out.append(0x0B)
            return
        if name == "if":
            label = cur.opt_id()
            # The condition's folded operands come between the block type and (then ...).
            block_type = self.block_type(cur)
            while cur.more() and cur.peek_head() not in ("then", "else"):
                item = cur.next()
                if type(item) is not SList:
                    raise self.error("unexpected token", item.pos)
                self.folded(item)
            out.append(0x04)
            out += block_type
            self.func.labels.append(label)
            if cur.peek_head() != "then":
                raise self.error("unexpected token", cur.peek().pos if cur.more() else node.pos)
            then = cur.next()
            tcur = _Cursor(then, self.asm)
            self.instrs_to_end(tcur)
            if cur.peek_head() == "else":
                else_node = cur.next()
                out.append(0x05)
                ecur = _Cursor(else_node, self.asm)
                self.instrs_to_end(ecur)
            cur.end()
            self.func.labels.pop()
            out.append(0x0B)
            return
        if name == "try":
            label = self._block_start(name, cur, 0x06)
            if cur.peek_head() != "do":
                raise self.error("unexpected token", cur.peek().pos if cur.more() else node.pos)
            self.instrs_to_end(_Cursor(cur.next(), self.asm))
            handlers = 0
            last_catch_all = False
            while cur.peek_head() in ("catch", "catch_all"):
                if handlers and last_catch_all:
                    raise self.error("unexpected token", cur.peek().pos)
                handlers += 1
                last_catch_all = cur.peek_head() == "catch_all"
                cnode = cur.next()
                ccur = _Cursor(cnode, self.asm)
                if cnode.head() == "catch":
                    out.append(0x07)
                    out += uleb(self.asm.index(ccur.next(), "tag"))
                else:
                    out.append(0x19)
                self.instrs_to_end(ccur)
            if cur.peek_head() == "delegate":
                if handlers:
                    raise self.error("unexpected token", cur.peek().pos)
                dnode = cur.next()
                dcur = _Cursor(dnode, self.asm)
                self.func.labels.pop()
                out.append(0x18)
                out += uleb(self.label(dcur.next()))
                dcur.end()
                cur.end()
                return
            cur.end()
            self.func.labels.pop()
            out.append(0x0B)
            return
        encoded = self.instr(name, tok, cur)
        while cur.more():
            item = cur.next()
            if type(item) is not SList:
                if type(item) is Tok and item.kind == ATOM:
                    raise self.error(f"unknown operator {item.value}", item.pos)
                raise self.error("unexpected token", item.pos)
            self.folded(item)
        out += encoded

    # -- plain instructions -------------------------------------------------------------------------------

    def instr(self, name: str, tok: Tok, cur: _Cursor) -> bytes:
        """Encode one plain instruction whose immediates follow in ``cur``."""
        entry = INSTRUCTIONS.get(name)
        if entry is None:
            raise self.error(f"unknown operator {name}", tok.pos)
        opcode, kind = entry
        if name in _BLOCK_ENDS:
            raise self.error("unexpected token", tok.pos)
        if kind == "-":
            return opcode
        if kind == "select":
            types = self.imm_select(name, tok, cur)
            return b"\x1c" + types if types else opcode
        if kind == "ref_test":
            nullable, heap = _split_ref(self.asm.ref_type(cur.next()))
            # The nullable forms are the next opcode: ref.test null is 0xfb15, ref.cast null 0xfb17.
            return opcode[:1] + uleb(opcode[1] + nullable) + heap
        handler = _IMMEDIATE_HANDLERS.get(kind)
        if handler is None:
            raise self.error(f"unknown operator {name}", tok.pos)
        return opcode + handler(self, name, tok, cur)

    def _next_atom(self, cur: _Cursor, tok: Tok) -> Tok:
        item = cur.peek()
        if type(item) is not Tok or item.kind != ATOM:
            raise self.error("unexpected token", item.pos if item is not None else tok.pos)
        return cur.next()

    def imm_i32(self, name, tok, cur):
        item = self._next_atom(cur, tok)
        try:
            return sleb(_signed(parse_int(item.value, 32), 32))
        except NumberError as exc:
            raise self._number_error(exc, item) from None

    def imm_i64(self, name, tok, cur):
        item = self._next_atom(cur, tok)
        try:
            return sleb(_signed(parse_int(item.value, 64), 64))
        except NumberError as exc:
            raise self._number_error(exc, item) from None

    def imm_f32(self, name, tok, cur):
        item = self._next_atom(cur, tok)
        try:
            return parse_float(item.value, 32).to_bytes(4, "little")
        except NumberError as exc:
            raise self._number_error(exc, item) from None

    def imm_f64(self, name, tok, cur):
        item = self._next_atom(cur, tok)
        try:
            return parse_float(item.value, 64).to_bytes(8, "little")
        except NumberError as exc:
            raise self._number_error(exc, item) from None

    def _number_error(self, exc: NumberError, item: Tok, lane_bits: int = 0) -> WatError:
        message = str(exc)
        if item.value in ("nan:canonical", "nan:arithmetic"):
            message = "unexpected token: a NaN pattern is not a constant"
        elif message == "unexpected token":
            # A token that is not a literal where an operand is due reads as an unknown operator.
            message = f"unknown operator {item.value}"
        elif lane_bits == 8:
            message = "i8 constant out of range"
        return self.error(message, item.pos)

    def imm_v128(self, name, tok, cur):
        shape_tok = self._next_atom(cur, tok)
        shape = shape_tok.value
        lanes = _V128_SHAPES.get(shape)
        if lanes is None:
            raise self.error("unexpected token", shape_tok.pos)
        count, bits, is_float = lanes
        out = b""
        literals = []
        while len(literals) < count and type(cur.peek()) is Tok and cur.peek().kind == ATOM:
            literals.append(cur.next())
        extra = cur.peek()
        if len(literals) != count or (type(extra) is Tok and extra.kind == ATOM and _is_number(extra.value)):
            # Too few, or a number right after the last lane (an instruction may follow, a number may not).
            raise self.error("wrong number of lane literals", literals[-1].pos if literals else shape_tok.pos)
        for item in literals:
            try:
                value = parse_float(item.value, bits) if is_float else parse_int(item.value, bits)
            except NumberError as exc:
                raise self._number_error(exc, item, bits if not is_float else 0) from None
            out += value.to_bytes(bits // 8, "little")
        return out

    def imm_shuffle(self, name, tok, cur):
        out = bytearray()
        for _ in range(16):
            item = cur.peek()
            if type(item) is not Tok or item.kind != ATOM:
                raise self.error("invalid lane length", item.pos if item is not None else tok.pos)
            cur.next()
            lane = parse_nat(item.value)
            if lane is None:
                raise self.error("i8 constant out of range: malformed lane index", item.pos)
            if lane > 255:
                raise self.error("i8 constant out of range", item.pos)
            out.append(lane)
        item = cur.peek()
        if type(item) is Tok and item.kind == ATOM and _is_number(item.value):
            raise self.error("invalid lane length", item.pos)
        return bytes(out)

    def imm_lane(self, name, tok, cur):
        item = self._next_atom(cur, tok)
        lane = parse_nat(item.value)
        if lane is None:
            raise self.error("unexpected token: malformed lane index", item.pos)
        if lane > 255:
            raise self.error("i8 constant out of range", item.pos)
        return bytes((lane,))

    def _memory_index(self, cur: _Cursor) -> int:
        if self.asm.is_index(cur.peek()):
            return self.asm.index(cur.next(), "memory")
        return 0

    def imm_memarg(self, name, tok, cur, lane=False):
        memory = 0
        item = cur.peek()
        if type(item) is Tok and (item.kind == ID or (
                item.kind == ATOM and parse_nat(item.value) is not None and not (
                lane and not self._followed_by_nat(cur)))):
            memory = self.asm.index(cur.next(), "memory")
        offset = 0
        align = natural_alignment(name)
        word = cur.peek_atom()
        if word is not None and word.startswith("offset="):
            item = cur.next()
            value = parse_nat(word[7:])
            if value is None:
                raise self.error("unknown operator", item.pos)
            if value >> 64:
                raise self.error("constant out of range", item.pos)
            offset = value
            word = cur.peek_atom()
        if word is not None and word.startswith("align="):
            item = cur.next()
            value = parse_nat(word[6:])
            if value is None:
                raise self.error("unknown operator", item.pos)
            if value == 0 or value & (value - 1):
                raise self.error("alignment must be a power of two", item.pos)
            align = value
        align_log2 = align.bit_length() - 1
        if memory:
            out = uleb(align_log2 | 0x40) + uleb(memory) + uleb(offset)
        else:
            out = uleb(align_log2) + uleb(offset)
        if lane:
            out += self.imm_lane(name, tok, cur)
        return out

    def _followed_by_nat(self, cur: _Cursor) -> bool:
        """For lane instructions: whether a number is followed by another number (memory index + lane)."""
        j = cur.i + 1
        if j >= cur.n:
            return False
        nxt = cur.items[j]
        if type(nxt) is not Tok or nxt.kind != ATOM:
            return False
        return parse_nat(nxt.value) is not None or nxt.value.startswith(("offset=", "align="))

    def imm_memarg_lane(self, name, tok, cur):
        return self.imm_memarg(name, tok, cur, lane=True)

    def imm_fence(self, name, tok, cur):
        return b"\x00"  # atomic.fence's reserved byte

    def imm_memidx(self, name, tok, cur):
        return uleb(self._memory_index(cur))

    def imm_label(self, name, tok, cur):
        return uleb(self.label(cur.next()))

    def imm_br_table(self, name, tok, cur):
        depths = []
        while cur.more() and self.asm.is_index(cur.peek()):
            depths.append(self.label(cur.next()))
        if not depths:
            item = cur.peek()
            if type(item) is Tok and item.kind == ATOM:
                raise self.error(f"unknown operator {item.value}", item.pos)
            raise self.error("unexpected token", item.pos if item is not None else tok.pos)
        return _vec(uleb(d) for d in depths[:-1]) + uleb(depths[-1])

    def imm_func(self, name, tok, cur):
        return uleb(self.asm.index(cur.next(), "func"))

    def imm_call_indirect(self, name, tok, cur):
        table = 0
        if self.asm.is_index(cur.peek()):
            table = self.asm.index(cur.next(), "table")
        type_index, _ = self.asm.type_use(cur, allow_names=False)
        return uleb(type_index) + uleb(table)

    def imm_type(self, name, tok, cur):
        return uleb(self.asm.index(cur.next(), "type"))

    def imm_tag(self, name, tok, cur):
        return uleb(self.asm.index(cur.next(), "tag"))

    def imm_local(self, name, tok, cur):
        item = cur.next()
        if type(item) is Tok and item.kind == ID:
            found = self.func.locals.get(item.value)
            if found is None:
                raise self.error(f"unknown local ${item.value}", item.pos)
            return uleb(found)
        return uleb(self.asm.index(item, "local"))

    def imm_global(self, name, tok, cur):
        return uleb(self.asm.index(cur.next(), "global"))

    def imm_table(self, name, tok, cur):
        if self.asm.is_index(cur.peek()):
            return uleb(self.asm.index(cur.next(), "table"))
        return b"\x00"

    def imm_data(self, name, tok, cur):
        self.asm.uses_data_count |= self.in_function
        return uleb(self.asm.index(cur.next(), "data"))

    def imm_elem(self, name, tok, cur):
        return uleb(self.asm.index(cur.next(), "elem"))

    def imm_memory_init(self, name, tok, cur):
        self.asm.uses_data_count |= self.in_function
        first = cur.next()
        if self.asm.is_index(cur.peek()):
            memory = self.asm.index(first, "memory")
            data = self.asm.index(cur.next(), "data")
        else:
            memory = 0
            data = self.asm.index(first, "data")
        return uleb(data) + uleb(memory)

    def imm_memory_copy(self, name, tok, cur):
        if self.asm.is_index(cur.peek()):
            dst = self.asm.index(cur.next(), "memory")
            src = self.asm.index(cur.next(), "memory")
            return uleb(dst) + uleb(src)
        return b"\x00\x00"

    def imm_table_init(self, name, tok, cur):
        first = cur.next()
        if self.asm.is_index(cur.peek()):
            table = self.asm.index(first, "table")
            elem = self.asm.index(cur.next(), "elem")
        else:
            table = 0
            elem = self.asm.index(first, "elem")
        return uleb(elem) + uleb(table)

    def imm_table_copy(self, name, tok, cur):
        if self.asm.is_index(cur.peek()):
            dst = self.asm.index(cur.next(), "table")
            src = self.asm.index(cur.next(), "table")
            return uleb(dst) + uleb(src)
        return b"\x00\x00"

    def imm_select(self, name, tok, cur):
        if cur.peek_head() != "result":
            return b""
        types = []
        while cur.peek_head() == "result":
            rcur = _Cursor(cur.next(), self.asm)
            while rcur.more():
                types.append(self.asm.val_type(rcur.next()))
        return _vec(types)

    def imm_heaptype(self, name, tok, cur):
        return self.asm.heap_type(cur.next())

    def imm_field(self, name, tok, cur):
        type_item = cur.next()
        type_index = self.asm.index(type_item, "type")
        field_item = cur.next()
        if type(field_item) is Tok and field_item.kind == ID:
            info = self.asm.types[type_index] if type_index < len(self.asm.types) else None
            names = info.field_names if info is not None else {}
            found = names.get(field_item.value)
            if found is None:
                raise self.error(f"unknown field ${field_item.value}", field_item.pos)
            return uleb(type_index) + uleb(found)
        value = parse_nat(field_item.value) if type(field_item) is Tok and field_item.kind == ATOM else None
        if value is None:
            raise self.error("unexpected token", field_item.pos)
        return uleb(type_index) + uleb(value)

    def imm_type_nat(self, name, tok, cur):
        type_index = self.asm.index(cur.next(), "type")
        return uleb(type_index) + uleb(cur.nat())

    def imm_type_data(self, name, tok, cur):
        self.asm.uses_data_count |= self.in_function
        type_index = self.asm.index(cur.next(), "type")
        return uleb(type_index) + uleb(self.asm.index(cur.next(), "data"))

    def imm_type_elem(self, name, tok, cur):
        type_index = self.asm.index(cur.next(), "type")
        return uleb(type_index) + uleb(self.asm.index(cur.next(), "elem"))

    def imm_type_type(self, name, tok, cur):
        first = self.asm.index(cur.next(), "type")
        return uleb(first) + uleb(self.asm.index(cur.next(), "type"))

    def imm_br_on_cast(self, name, tok, cur):
        depth = self.label(cur.next())
        null1, heap1 = _split_ref(self.asm.ref_type(cur.next()))
        null2, heap2 = _split_ref(self.asm.ref_type(cur.next()))
        return bytes((int(null1) | (int(null2) << 1),)) + uleb(depth) + heap1 + heap2

    def imm_block(self, name, tok, cur):
        raise self.error("unexpected token", tok.pos)


def _is_number(text: str) -> bool:
    return text[:1] in "0123456789+-" or text.startswith(("inf", "nan"))


def _split_ref(encoded: bytes) -> tuple[bool, bytes]:
    if encoded[0] == 0x63:
        return True, encoded[1:]
    if encoded[0] == 0x64:
        return False, encoded[1:]
    return True, encoded


_V128_SHAPES = {"i8x16": (16, 8, False), "i16x8": (8, 16, False), "i32x4": (4, 32, False),
                "i64x2": (2, 64, False), "f32x4": (4, 32, True), "f64x2": (2, 64, True)}

_IMMEDIATE_HANDLERS = {
    "i32": _Body.imm_i32, "i64": _Body.imm_i64, "f32": _Body.imm_f32, "f64": _Body.imm_f64,
    "v128": _Body.imm_v128, "shuffle": _Body.imm_shuffle, "lane": _Body.imm_lane,
    "memarg": _Body.imm_memarg, "memarg_lane": _Body.imm_memarg_lane, "memidx": _Body.imm_memidx,
    "atomic": _Body.imm_memarg, "fence": _Body.imm_fence,
    "label": _Body.imm_label, "br_table": _Body.imm_br_table, "func": _Body.imm_func,
    "call_indirect": _Body.imm_call_indirect, "type": _Body.imm_type, "tag": _Body.imm_tag,
    "local": _Body.imm_local, "global": _Body.imm_global, "table": _Body.imm_table, "data": _Body.imm_data,
    "elem": _Body.imm_elem, "memory.init": _Body.imm_memory_init, "memory.copy": _Body.imm_memory_copy,
    "table.init": _Body.imm_table_init, "table.copy": _Body.imm_table_copy, "select": _Body.imm_select,
    "heaptype": _Body.imm_heaptype, "field": _Body.imm_field, "type_nat": _Body.imm_type_nat,
    "type_data": _Body.imm_type_data, "type_elem": _Body.imm_type_elem, "type_type": _Body.imm_type_type,
    "br_on_cast": _Body.imm_br_on_cast, "block": _Body.imm_block,
}
