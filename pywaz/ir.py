"""The module IR: what the decoder produces and every later stage reads.

Binary format §5 and structure §2. Value types are the binary codes (ints) for
speed; ``VALTYPE_NAMES`` maps them to text-format names. Function types are
interned by :func:`func_type`, so two structurally equal types are the same
object and ``call_indirect`` can compare with ``is``.

A function body is kept as three parallel sequences (``ops``, ``imms``,
``offsets``): one entry per instruction, including ``else`` and ``end``. This
is several times smaller than a list of instruction objects, which matters for
multi-megabyte modules. Opcodes are :mod:`pywaz.opcodes` numbers; the shape of
each immediate is documented there.
"""

from __future__ import annotations

from array import array

from ._records import factory, record

I32 = 0x7F
I64 = 0x7E
F32 = 0x7D
F64 = 0x7C
V128 = 0x7B
FUNCREF = 0x70
EXTERNREF = 0x6F
EXNREF = 0x69  # exception handling: a caught exception (null or not)

NUM_TYPES = frozenset((I32, I64, F32, F64))
REF_TYPES = frozenset((FUNCREF, EXTERNREF))
VALUE_TYPES = frozenset((I32, I64, F32, F64, V128, FUNCREF, EXTERNREF))
VALTYPE_NAMES = {
    I32: "i32",
    I64: "i64",
    F32: "f32",
    F64: "f64",
    V128: "v128",
    FUNCREF: "funcref",
    EXTERNREF: "externref",
    EXNREF: "exnref",
}
VALTYPE_BY_NAME = {name: code for code, name in VALTYPE_NAMES.items()}

# External kinds (binary §5.5.5 import/export descriptors).
EXTERN_FUNC = 0
EXTERN_TABLE = 1
EXTERN_MEMORY = 2
EXTERN_GLOBAL = 3
EXTERN_TAG = 4  # exception handling
EXTERN_KIND_NAMES = {
    EXTERN_FUNC: "func", EXTERN_TABLE: "table", EXTERN_MEMORY: "memory", EXTERN_GLOBAL: "global", EXTERN_TAG: "tag",
}

PAGE_SIZE = 65536
MAX_PAGES = 65536  # 4 GiB for 32-bit memories
MAX_PAGES64 = 1 << 48  # 2**64 bytes for 64-bit memories (memory64)


@record
class FuncType:
    """A function type. Build with :func:`func_type` so instances are interned."""

    params: tuple[int, ...]
    results: tuple[int, ...]

    def __str__(self) -> str:
        p = " ".join(VALTYPE_NAMES.get(t, hex(t)) for t in self.params)
        r = " ".join(VALTYPE_NAMES.get(t, hex(t)) for t in self.results)
        return f"[{p}] -> [{r}]"


_interned_types: dict[tuple[tuple[int, ...], tuple[int, ...]], FuncType] = {}


def func_type(params, results) -> FuncType:
    """Return the interned :class:`FuncType` for ``params -> results``."""
    key = (tuple(params), tuple(results))
    found = _interned_types.get(key)
    if found is None:
        found = _interned_types.setdefault(key, FuncType(*key))
    return found


@record
class Limits:
    min: int
    max: int | None = None


@record
class TableType:
    """A table type; ``address_type`` is I64 for a 64-bit table (table64), whose indexes are i64."""

    elem_type: int  # FUNCREF or EXTERNREF
    limits: Limits
    address_type: int = I32


@record
class MemoryType:
    """A memory type; ``address_type`` is I64 for a 64-bit memory (memory64), whose addresses are i64.

    ``shared`` marks a shared memory (threads proposal; limits flag bit 1), which must declare a maximum.
    """

    limits: Limits  # in pages
    address_type: int = I32
    shared: bool = False


@record
class GlobalType:
    valtype: int
    mutable: bool


@record
class Import:
    """``desc`` is a type index (func), TableType, MemoryType or GlobalType."""

    module: str
    name: str
    kind: int  # EXTERN_*
    desc: object
    offset: int = 0


@record
class Export:
    name: str
    kind: int  # EXTERN_*
    index: int
    offset: int = 0


@record
class ConstExpr:
    """A constant expression: instructions without the final ``end``."""

    ops: tuple[int, ...]
    imms: tuple[object, ...]
    offset: int = 0


@record
class Global:
    type: GlobalType
    init: ConstExpr


# Segment modes (binary §5.5.12 / §5.5.14).
MODE_ACTIVE = "active"
MODE_PASSIVE = "passive"
MODE_DECLARATIVE = "declarative"


@record
class ElementSegment:
    """An element segment. ``init`` holds one constant expression per element."""

    mode: str
    elem_type: int
    init: tuple[ConstExpr, ...]
    table_index: int = 0
    offset_expr: ConstExpr | None = None
    offset: int = 0


@record
class DataSegment:
    mode: str  # MODE_ACTIVE or MODE_PASSIVE
    data: bytes
    memory_index: int = 0
    offset_expr: ConstExpr | None = None
    offset: int = 0


@record
class FunctionBody:
    """A decoded function body (binary §5.5.13).

    ``locals`` are the declared locals only (parameters excluded), expanded to
    one value type per local. ``ops``/``imms``/``offsets`` are parallel: one
    entry per instruction, the final ``end`` included. ``offset`` and ``end``
    delimit the body's bytes (after the size field) in the module.
    """

    locals: tuple[int, ...]
    ops: list[int]
    imms: list[object]
    offsets: array
    offset: int
    end: int


@record
class CustomSection:
    name: str
    offset: int  # offset of the section contents (after the name)
    data: bytes


@record
class NameSection:
    """The ``name`` custom section (appendix §7.4); absent parts are empty."""

    module_name: str | None = None
    function_names: dict[int, str] = factory(dict)
    local_names: dict[int, dict[int, str]] = factory(dict)


@record
class Module:
    """A decoded module. Index spaces put imports first, as the spec does."""

    types: tuple[FuncType, ...] = ()
    imports: tuple[Import, ...] = ()
    functions: tuple[int, ...] = ()  # type index of each defined function
    tables: tuple[TableType, ...] = ()
    memories: tuple[MemoryType, ...] = ()
    globals_: tuple[Global, ...] = ()
    exports: tuple[Export, ...] = ()
    start: int | None = None
    elements: tuple[ElementSegment, ...] = ()
    datas: tuple[DataSegment, ...] = ()
    data_count: int | None = None
    codes: tuple[FunctionBody, ...] = ()
    tags: tuple[int, ...] = ()  # exception handling: the type index of each defined tag
    customs: tuple[CustomSection, ...] = ()
    names: NameSection = factory(NameSection)
    section_sizes: tuple[tuple[int, int, int], ...] = ()  # (section id, offset, size)
    size: int = 0

    def function_name(self, func_index: int) -> str:
        """A readable name: the name section's, else an export's, else ``func[N]``."""
        name = self.names.function_names.get(func_index)
        if name is not None:
            return name
        for export in self.exports:
            if export.kind == EXTERN_FUNC and export.index == func_index:
                return export.name
        return f"func[{func_index}]"


@record
class BlockInfo:
    """What the validator records for one ``block``/``loop``/``if`` (by instruction index).

    ``else_pc`` is the index of the matching ``else`` (or -1), ``end_pc`` the
    index of the matching ``end``. ``height`` is the operand stack height below
    the block's parameters when it is entered.
    """

    type: FuncType
    else_pc: int
    end_pc: int
    height: int


@record
class FunctionInfo:
    """Validation facts about one defined function that later stages reuse.

    ``local_types`` includes the parameters first. ``blocks`` maps the
    instruction index of each block/loop/if to its :class:`BlockInfo`.
    ``max_height`` is the largest operand stack height reached.
    """

    func_index: int
    type: FuncType
    local_types: tuple[int, ...]
    body: FunctionBody
    blocks: dict[int, BlockInfo]
    max_height: int


@record
class ValidatedModule:
    """A module that passed validation, with its index spaces resolved (imports first)."""

    module: Module
    func_types: tuple[FuncType, ...]  # every function in the function index space
    table_types: tuple[TableType, ...]
    memory_types: tuple[MemoryType, ...]
    global_types: tuple[GlobalType, ...]
    functions: tuple[FunctionInfo, ...]  # one per defined function, in order
    declared_func_refs: frozenset[int]  # functions that ref.func may name (C.refs)
    tag_types: tuple[FuncType, ...] = ()  # every tag in the tag index space (imports first)

    @property
    def num_imported_funcs(self) -> int:
        return len(self.func_types) - len(self.functions)
