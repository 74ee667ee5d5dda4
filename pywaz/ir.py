"""The module IR: what the decoder produces and every later stage reads.

Binary format §5 and structure §2. Value types are the binary codes (ints) for
speed; ``VALTYPE_NAMES`` maps them to text-format names. Function types are
interned by :func:`func_type`, so two structurally equal types are the same
object.

Typed function references and GC (3.0): a nullable abstract reference type
keeps its one-byte code (FUNCREF, ANYREF, ...); every other reference type is
an interned :class:`RefType` ``(nullable, heap)`` made by :func:`ref_type`,
whose heap type is the binary's s33 (negative ``HT_*`` for abstract ones, a
module type index for a concrete one). ``Module.types`` holds each type
index's composite type (:class:`FuncType`, :class:`StructType`,
:class:`ArrayType`), ``Module.sub_types`` / ``Module.rec_groups`` its ``sub``
clause and the rec groups (both empty for a 2.0 module). Runtime type
identity is the canonical DefType of :mod:`pywaz.deftypes`
(``ValidatedModule.def_types``), which ``call_indirect`` compares. The names
other stages rely on are listed in ``GC-CONTRACT.md``.

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
# GC (3.0): the other nullable abstract reference types keep their one-byte shorthand codes.
ANYREF = 0x6E
EQREF = 0x6D
I31REF = 0x6C
STRUCTREF = 0x6B
ARRAYREF = 0x6A
NULLREF = 0x71
NULLEXTERNREF = 0x72
NULLFUNCREF = 0x73
NULLEXNREF = 0x74
# Packed storage types of struct and array fields (GC).
I8 = 0x78
I16 = 0x77

# Heap types (binary §5.3.5) are the s33 the binary holds: an abstract heap type is negative (its
# shorthand code minus 0x80, so FUNCREF == HT_FUNC + 0x80), a concrete one is a type index (>= 0).
HT_NOEXN = -0x0C
HT_NOFUNC = -0x0D
HT_NOEXTERN = -0x0E
HT_NONE = -0x0F
HT_FUNC = -0x10
HT_EXTERN = -0x11
HT_ANY = -0x12
HT_EQ = -0x13
HT_I31 = -0x14
HT_STRUCT = -0x15
HT_ARRAY = -0x16
HT_EXN = -0x17
HEAP_TYPE_NAMES = {
    HT_NOEXN: "noexn", HT_NOFUNC: "nofunc", HT_NOEXTERN: "noextern", HT_NONE: "none", HT_FUNC: "func",
    HT_EXTERN: "extern", HT_ANY: "any", HT_EQ: "eq", HT_I31: "i31", HT_STRUCT: "struct", HT_ARRAY: "array",
    HT_EXN: "exn",
}
ABSTRACT_REF_CODES = frozenset(heap + 0x80 for heap in HEAP_TYPE_NAMES)
"""The one-byte codes of the nullable abstract reference types (``(ref null func)`` is FUNCREF)."""

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
    ANYREF: "anyref",
    EQREF: "eqref",
    I31REF: "i31ref",
    STRUCTREF: "structref",
    ARRAYREF: "arrayref",
    NULLREF: "nullref",
    NULLEXTERNREF: "nullexternref",
    NULLFUNCREF: "nullfuncref",
    NULLEXNREF: "nullexnref",
    I8: "i8",
    I16: "i16",
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
class RefType:
    """A reference type other than a nullable abstract one: ``(ref null? heap)``. Build with :func:`ref_type`.

    ``heap`` is an abstract heap type (``HT_*``, negative), a type index of the
    module (>= 0) in decoded and validated modules, or a canonical
    :class:`~pywaz.deftypes.DefType` inside canonical types (closed types,
    which mean the same in every module). Instances are interned, so value
    types compare with ``==`` (or ``is``).
    """

    nullable: bool
    heap: object

    def __str__(self) -> str:
        return valtype_name(self)


_interned_refs: dict[tuple[bool, object], RefType] = {}


def ref_type(nullable: bool, heap) -> int | RefType:
    """The value type ``(ref null? heap)``: the shorthand code for a nullable abstract one, else an interned RefType."""
    if nullable and type(heap) is int and heap < 0:
        return heap + 0x80
    key = (bool(nullable), heap)
    found = _interned_refs.get(key)
    if found is None:
        found = _interned_refs.setdefault(key, RefType(*key))
    return found


def ref_parts(valtype) -> tuple[bool, object] | None:
    """``(nullable, heap)`` of a reference value type, None for a numeric or vector type."""
    if type(valtype) is int:
        if valtype in ABSTRACT_REF_CODES:
            return True, valtype - 0x80
        return None
    return valtype.nullable, valtype.heap


def is_ref(valtype) -> bool:
    """Whether ``valtype`` is a reference type."""
    return type(valtype) is not int or valtype in ABSTRACT_REF_CODES


def is_defaultable(valtype) -> bool:
    """Whether locals / fields of this type have a default value (every type but non-nullable references)."""
    return type(valtype) is int or valtype.nullable


def heap_type_name(heap) -> str:
    if type(heap) is int:
        return HEAP_TYPE_NAMES.get(heap, str(heap))
    return f"{heap.kind}#{id(heap) & 0xFFFF:04x}"  # a canonical DefType


def valtype_name(valtype) -> str:
    """The text format's name of a value (or storage) type: ``i32``, ``funcref``, ``(ref null 3)``."""
    if type(valtype) is int:
        return VALTYPE_NAMES.get(valtype, hex(valtype))
    null = "null " if valtype.nullable else ""
    return f"(ref {null}{heap_type_name(valtype.heap)})"


@record
class FuncType:
    """A function type. Build with :func:`func_type` so instances are interned."""

    params: tuple[int, ...]
    results: tuple[int, ...]

    kind = "func"  # its composite type kind (GC): "func", "struct" or "array"

    def __str__(self) -> str:
        p = " ".join(valtype_name(t) for t in self.params)
        r = " ".join(valtype_name(t) for t in self.results)
        return f"[{p}] -> [{r}]"


@record
class FieldType:
    """A struct field or array element type (GC): ``storage`` is a value type or a packed I8 / I16."""

    storage: object
    mutable: bool

    def __str__(self) -> str:
        name = valtype_name(self.storage)
        return f"(mut {name})" if self.mutable else name


@record
class StructType:
    """A struct composite type (GC): its fields in order."""

    fields: tuple[FieldType, ...]

    kind = "struct"

    def __str__(self) -> str:
        return "(struct" + "".join(f" (field {f})" for f in self.fields) + ")"


@record
class ArrayType:
    """An array composite type (GC): its element type."""

    field: FieldType

    kind = "array"

    def __str__(self) -> str:
        return f"(array {self.field})"


@record
class SubType:
    """How a type index is declared (GC): ``sub final? supertypes``; plain ``func`` etc. are final, without supertypes."""

    final: bool = True
    supertypes: tuple[int, ...] = ()


PLAIN_SUBTYPE = SubType()


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
    """A table type; ``address_type`` is I64 for a 64-bit table (table64), whose indexes are i64.

    ``init`` is the initializer expression of a table defined with one (typed function references,
    binary form 0x40 0x00), else None: its elements are then null.
    """

    elem_type: object  # a reference type: FUNCREF, EXTERNREF, ... or a RefType
    limits: Limits
    address_type: int = I32
    init: ConstExpr | None = None


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

    # Per type index its composite type: an interned FuncType (all a 2.0 module has), StructType or ArrayType.
    types: tuple[FuncType | StructType | ArrayType, ...] = ()
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
    # GC: per type index its SubType, and the size of each rec group in order. Both are empty when every
    # type is a plain final type in a rec group of its own (every 2.0 module).
    sub_types: tuple[SubType, ...] = ()
    rec_groups: tuple[int, ...] = ()

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
    # The canonical DefType (pywaz.deftypes) of each type index: runtime type identity across modules.
    def_types: tuple = ()

    @property
    def num_imported_funcs(self) -> int:
        return len(self.func_types) - len(self.functions)
