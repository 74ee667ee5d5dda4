"""Which post-MVP WebAssembly features a module uses, and where (2.0, and the 3.0 proposals pywaz runs).

Enters: a decoded :class:`~pywaz.ir.Module`. Leaves: a list of
:class:`FeatureUse` records, one per feature found, in :data:`FEATURES` order,
each with the first piece of evidence (an opcode at a byte offset, a type, a
section). Detection follows the proposals that make up WebAssembly 2.0, plus
the 3.0 ones pywaz implements (extended constant expressions, relaxed SIMD,
64-bit memories and tables, multiple memories):
an instruction, value type or encoding that did not exist before marks its
proposal as used.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import compress, count

from ..ir import (
    EXTERN_GLOBAL,
    EXTERN_MEMORY,
    EXTERN_TABLE,
    I64,
    EXTERNREF,
    FUNCREF,
    MODE_ACTIVE,
    MODE_DECLARATIVE,
    MODE_PASSIVE,
    V128,
    EXNREF,
    HT_ANY,
    HT_ARRAY,
    HT_EQ,
    HT_I31,
    HT_NOEXTERN,
    HT_NOFUNC,
    HT_NONE,
    HT_STRUCT,
    NULLEXNREF,
    ConstExpr,
    FuncType,
    Module,
    ref_parts,
    valtype_name,
)
from ..opcodes import ATOMIC_FIRST, OP_NAMES, is_simd

MUTABLE_GLOBALS = "mutable-globals"
SIGN_EXTENSION = "sign-extension"
SATURATING_FLOAT_TO_INT = "non-trapping-float-to-int"
MULTI_VALUE = "multi-value"
BULK_MEMORY = "bulk-memory"
REFERENCE_TYPES = "reference-types"
SIMD = "simd"
EXTENDED_CONST = "extended-const"
RELAXED_SIMD = "relaxed-simd"
MEMORY64 = "memory64"
MULTI_MEMORY = "multi-memory"
TAIL_CALL = "tail-call"
EXCEPTIONS = "exception-handling"
LEGACY_EXCEPTIONS = "legacy-exception-handling"
FUNCTION_REFERENCES = "function-references"
GC = "gc"
THREADS = "threads"

FEATURES = (
    MUTABLE_GLOBALS,
    SIGN_EXTENSION,
    SATURATING_FLOAT_TO_INT,
    MULTI_VALUE,
    BULK_MEMORY,
    REFERENCE_TYPES,
    SIMD,
    EXTENDED_CONST,
    RELAXED_SIMD,
    MEMORY64,
    MULTI_MEMORY,
    TAIL_CALL,
    EXCEPTIONS,
    LEGACY_EXCEPTIONS,
    FUNCTION_REFERENCES,
    GC,
    THREADS,
)
"""Every feature :func:`detect_features` reports, in report order."""


@dataclass(frozen=True, slots=True)
class FeatureUse:
    """A feature the module uses; ``evidence`` says what showed it, ``offset`` where (or None)."""

    name: str
    evidence: str
    offset: int | None = None


_SIGN_EXTENSION_OPS = frozenset(range(0xC0, 0xC5))
_SATURATING_OPS = frozenset(range(0xFC00, 0xFC08))
_BULK_MEMORY_OPS = frozenset(range(0xFC08, 0xFC0F))  # memory.init .. table.copy
_REFERENCE_OPS = frozenset((0xD0, 0xD1, 0xD2, 0x25, 0x26, 0x1C, 0xFC0F, 0xFC10, 0xFC11))
_RELAXED_SIMD_OPS = frozenset(range(0xFE00, 0xFE14))  # 0xFD 0x100-0x113
_SIMD_OPS = frozenset(op for op in OP_NAMES if is_simd(op)) - _RELAXED_SIMD_OPS
# Extended constant expressions: arithmetic (and global.get of a module-defined global, checked apart).
_CONST_ARITHMETIC_OPS = frozenset((0x6A, 0x6B, 0x6C, 0x7C, 0x7D, 0x7E))  # i32/i64 add, sub, mul
_GLOBAL_GET = 0x23
_BLOCK_OPS = frozenset((0x02, 0x03, 0x04))
_CALL_INDIRECT = 0x11
_TABLE_INIT = 0xFC0C
_TABLE_COPY = 0xFC0E
_REF_FUNC = 0xD2

_IMMEDIATE_OPS = _BLOCK_OPS | {_CALL_INDIRECT, _TABLE_INIT, _TABLE_COPY}

_OPCODE_FEATURES = (
    (SIGN_EXTENSION, _SIGN_EXTENSION_OPS),
    (SATURATING_FLOAT_TO_INT, _SATURATING_OPS),
    (BULK_MEMORY, _BULK_MEMORY_OPS),
    (REFERENCE_TYPES, _REFERENCE_OPS),
    (SIMD, _SIMD_OPS),
    (RELAXED_SIMD, _RELAXED_SIMD_OPS),
    (TAIL_CALL, frozenset((0x12, 0x13))),  # return_call, return_call_indirect
    (EXCEPTIONS, frozenset((0x08, 0x0A, 0x1F))),  # throw, throw_ref, try_table
    (LEGACY_EXCEPTIONS, frozenset((0x06, 0x07, 0x09, 0x18, 0x19))),  # try, catch, rethrow, delegate, catch_all
    # call_ref, return_call_ref, ref.as_non_null, br_on_null, br_on_non_null
    (FUNCTION_REFERENCES, frozenset((0x14, 0x15, 0xD4, 0xD5, 0xD6))),
    (GC, frozenset([0xD3, *range(0xFB00, 0xFB1F)])),  # ref.eq and the 0xFB-prefixed instructions
    (THREADS, frozenset(op for op in OP_NAMES if op >= ATOMIC_FIRST)),  # the 0xFE atomics
)


def detect_features(module: Module) -> list[FeatureUse]:
    """The 2.0 features ``module`` uses, each with its first evidence, in :data:`FEATURES` order.

    Never raises for a decoded module; out-of-range indices (an invalid module)
    are skipped rather than followed.
    """
    found: dict[str, FeatureUse] = {}

    def note(name: str, evidence: str, offset: int | None = None) -> None:
        if name not in found:
            found[name] = FeatureUse(name, evidence, offset)

    _scan_types(module, note)
    _scan_globals(module, note)
    _scan_tables_and_segments(module, note)
    _scan_memories(module, note)
    _scan_constant_expressions(module, note)
    _scan_code(module, note)
    return [found[name] for name in FEATURES if name in found]


_GC_HEAPS = frozenset((HT_ANY, HT_EQ, HT_I31, HT_STRUCT, HT_ARRAY, HT_NONE, HT_NOEXTERN, HT_NOFUNC))


def _value_type_feature(valtype, types=()) -> str | None:
    if valtype == V128:
        return SIMD
    if valtype == EXTERNREF:
        return REFERENCE_TYPES
    parts = ref_parts(valtype)
    if parts is None or valtype == FUNCREF or valtype == EXNREF or valtype == NULLEXNREF:
        return None
    nullable, heap = parts
    if heap in _GC_HEAPS:
        return GC
    if type(heap) is int and 0 <= heap < len(types) and types[heap].kind != "func":
        return GC
    return FUNCTION_REFERENCES


def _scan_types(module: Module, note) -> None:
    types = module.types
    if module.rec_groups and any(size > 1 for size in module.rec_groups):
        note(GC, "the type section has a rec group")
    if any(sub.supertypes or not sub.final for sub in module.sub_types):
        note(GC, "the type section declares sub types")
    for index, composite in enumerate(types):
        if composite.kind != "func":
            note(GC, f"type {index} is a {composite.kind} type")
            fields = composite.fields if composite.kind == "struct" else (composite.field,)
            valtypes = tuple(f.storage for f in fields)
        else:
            if len(composite.results) > 1:
                note(MULTI_VALUE, f"type {index} has {len(composite.results)} results")
            valtypes = composite.params + composite.results
        for valtype in valtypes:
            feature = _value_type_feature(valtype, types)
            if feature:
                note(feature, f"type {index} uses {_valtype(valtype)}")


def _scan_globals(module: Module, note) -> None:
    for imp in module.imports:
        if imp.kind == EXTERN_GLOBAL:
            if imp.desc.mutable:
                note(MUTABLE_GLOBALS, f"imports mutable global {imp.module}.{imp.name}", imp.offset)
            feature = _value_type_feature(imp.desc.valtype)
            if feature:
                note(feature, f"imports a {_valtype(imp.desc.valtype)} global", imp.offset)
    imported_globals = [imp.desc for imp in module.imports if imp.kind == EXTERN_GLOBAL]
    all_globals = imported_globals + [g.type for g in module.globals_]
    for export in module.exports:
        if export.kind == EXTERN_GLOBAL and 0 <= export.index < len(all_globals) and all_globals[export.index].mutable:
            note(MUTABLE_GLOBALS, f"exports mutable global {export.name!r}", export.offset)
    for index, global_ in enumerate(module.globals_, start=len(imported_globals)):
        feature = _value_type_feature(global_.type.valtype)
        if feature:
            note(feature, f"global {index} is {_valtype(global_.type.valtype)}", global_.init.offset)


def _scan_tables_and_segments(module: Module, note) -> None:
    tables = [imp.desc for imp in module.imports if imp.kind == 1] + list(module.tables)
    if len(tables) > 1:
        note(REFERENCE_TYPES, f"{len(tables)} tables")
    for index, table in enumerate(tables):
        if table.elem_type == EXTERNREF:
            note(REFERENCE_TYPES, f"table {index} holds externref")
        elif _value_type_feature(table.elem_type, module.types):
            note(_value_type_feature(table.elem_type, module.types), f"table {index} holds {_valtype(table.elem_type)}")
        if getattr(table, "init", None) is not None:
            note(FUNCTION_REFERENCES, f"table {index} has an initializer expression")
    for index, segment in enumerate(module.elements):
        if segment.mode == MODE_PASSIVE:
            note(BULK_MEMORY, f"element segment {index} is passive", segment.offset)
        elif segment.mode == MODE_DECLARATIVE:
            note(REFERENCE_TYPES, f"element segment {index} is declarative", segment.offset)
        if segment.mode == MODE_ACTIVE and segment.table_index != 0:
            note(REFERENCE_TYPES, f"element segment {index} targets table {segment.table_index}", segment.offset)
        if segment.elem_type == EXTERNREF:
            note(REFERENCE_TYPES, f"element segment {index} holds externref", segment.offset)
        for expr in segment.init:
            if expr.ops and expr.ops[0] != _REF_FUNC:
                note(REFERENCE_TYPES, f"element segment {index} has a {OP_NAMES.get(expr.ops[0], '?')} element")
                break
    for index, segment in enumerate(module.datas):
        if segment.mode == MODE_PASSIVE:
            note(BULK_MEMORY, f"data segment {index} is passive", segment.offset)
    if module.data_count is not None:
        note(BULK_MEMORY, "has a data count section")


def _scan_memories(module: Module, note) -> None:
    """64-bit memories and tables (memory64), more than one memory (multiple memories), shared ones (threads)."""
    tables = [imp.desc for imp in module.imports if imp.kind == EXTERN_TABLE] + list(module.tables)
    memories = [imp.desc for imp in module.imports if imp.kind == EXTERN_MEMORY] + list(module.memories)
    for index, memory in enumerate(memories):
        if memory.address_type == I64:
            note(MEMORY64, f"memory {index} is 64-bit")
        if memory.shared:
            note(THREADS, f"memory {index} is shared")
    for index, table in enumerate(tables):
        if table.address_type == I64:
            note(MEMORY64, f"table {index} is 64-bit")
    if len(memories) > 1:
        note(MULTI_MEMORY, f"{len(memories)} memories")


def _scan_constant_expressions(module: Module, note) -> None:
    """Extended constant expressions: arithmetic, or ``global.get`` of a global the module defines."""
    imported_globals = sum(1 for imp in module.imports if imp.kind == EXTERN_GLOBAL)
    places: list[tuple[str, ConstExpr | None]] = [
        (f"global {imported_globals + i}", g.init) for i, g in enumerate(module.globals_)
    ]
    for index, segment in enumerate(module.elements):
        places.append((f"element segment {index} offset", segment.offset_expr))
        places.extend((f"element segment {index}", expr) for expr in segment.init)
    places.extend((f"data segment {index} offset", segment.offset_expr) for index, segment in enumerate(module.datas))
    for where, expr in places:
        if expr is None:
            continue
        for op, imm in zip(expr.ops, expr.imms):
            if op in _CONST_ARITHMETIC_OPS:
                note(EXTENDED_CONST, f"{where} computes with {OP_NAMES[op]}", expr.offset)
                return
            if op == _GLOBAL_GET and isinstance(imm, int) and imm >= imported_globals:
                note(EXTENDED_CONST, f"{where} reads global {imm}, which the module defines", expr.offset)
                return


def _scan_code(module: Module, note) -> None:
    first_defined = sum(1 for imp in module.imports if imp.kind == 0)
    types = module.types
    for local_index, body in enumerate(module.codes):
        func_index = first_defined + local_index
        for valtype in set(body.locals):
            feature = _value_type_feature(valtype, types)
            if feature:
                note(feature, f"function {func_index} has a {_valtype(valtype)} local", body.offset)
        ops = body.ops
        used = set(ops)
        for feature, feature_ops in _OPCODE_FEATURES:
            hit = used & feature_ops
            if hit:
                pc = min(ops.index(op) for op in hit)
                note(feature, f"{OP_NAMES[ops[pc]]} in function {func_index}", body.offsets[pc])
        if used & _IMMEDIATE_OPS:
            _scan_immediates(body, func_index, types, note)


def _scan_immediates(body, func_index: int, types, note) -> None:
    """Block types given by type index (multi-value) and non-zero table operands (reference types)."""
    # compress/map keep the per-instruction loop in C; only the few matching
    # instructions are looked at in Python.
    ops, imms, offsets = body.ops, body.imms, body.offsets
    for pc, op, imm in compress(zip(count(), ops, imms), map(_IMMEDIATE_OPS.__contains__, ops)):
        if op in _BLOCK_OPS:
            if not isinstance(imm, FuncType):
                note(MULTI_VALUE, f"{OP_NAMES[op]} with a type-index block type in function {func_index}", offsets[pc])
        elif op == _CALL_INDIRECT:
            if imm[1] != 0:
                note(REFERENCE_TYPES, f"call_indirect on table {imm[1]} in function {func_index}", offsets[pc])
        elif imm[1] != 0 or (op == _TABLE_COPY and imm[0] != 0):
            note(REFERENCE_TYPES, f"{OP_NAMES[op]} on a non-zero table in function {func_index}", offsets[pc])


def _valtype(valtype) -> str:
    return valtype_name(valtype)
