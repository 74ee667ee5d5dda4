"""Linking and instantiation (execution §4.5.4, modules; §4.5.2 import matching).

Enters a validated module, its engine artifact and the runtime's registered
modules; leaves a :class:`~pywaz.vm.objects.ModuleInstance`. The steps follow
WebAssembly 2.0: resolve and check imports, allocate functions, tables,
memories and globals (evaluating global initialisers), evaluate element
segment references, bind the engine, then apply active element segments and
active data segments in order (``table.init``/``memory.init`` then drop;
declarative segments are dropped), then run the start function. A trap while
applying segments leaves the earlier writes in place, as 2.0 specifies.
"""

from __future__ import annotations

from .. import numeric
from ..errors import InstantiationError, LinkError, Trap, TrapKind
from ..ir import (
    EXTERN_FUNC,
    EXTERN_GLOBAL,
    EXTERN_KIND_NAMES,
    EXTERN_MEMORY,
    EXTERN_TABLE,
    MODE_ACTIVE,
    MODE_DECLARATIVE,
    PAGE_SIZE,
    VALTYPE_NAMES,
)
from .exports import invoke
from .objects import Function, Global, Memory, ModuleInstance, Table

_KIND_CLASSES = {EXTERN_FUNC: Function, EXTERN_TABLE: Table, EXTERN_MEMORY: Memory, EXTERN_GLOBAL: Global}


def _limits_match(actual_min: int, actual_max, expected) -> bool:
    """Spec import subtyping of limits: at least the minimum, at most the maximum."""
    if actual_min < expected.min:
        return False
    if expected.max is not None:
        return actual_max is not None and actual_max <= expected.max
    return True


def _describe(obj) -> str:
    if isinstance(obj, Function):
        return f"func {obj.type}"
    if isinstance(obj, Table):
        return f"table {VALTYPE_NAMES.get(obj.type.elem_type)} {_limits_text(len(obj.elements), obj.type.limits.max)}"
    if isinstance(obj, Memory):
        return f"memory {_limits_text(len(obj.data) // PAGE_SIZE, obj.type.limits.max)}"
    if isinstance(obj, Global):
        mut = "mut " if obj.type.mutable else ""
        return f"global {mut}{VALTYPE_NAMES.get(obj.type.valtype)}"
    return type(obj).__name__


def _limits_text(minimum, maximum) -> str:
    return f"{minimum}" if maximum is None else f"{minimum} {maximum}"


def resolve_imports(validated, lookup) -> list:
    """Resolve every import of ``validated`` through ``lookup(module, name)`` and check its type.

    ``lookup`` returns the store object or None. Returns the objects in import order.

    Raises:
        LinkError: "unknown import" or "incompatible import type", naming the import.
    """
    module = validated.module
    resolved = []
    func_index = 0
    for imp in module.imports:
        where = f'"{imp.module}" "{imp.name}"'
        obj = lookup(imp.module, imp.name)
        if obj is None:
            raise LinkError(f"unknown import {where}")
        kind_name = EXTERN_KIND_NAMES[imp.kind]
        if not isinstance(obj, _KIND_CLASSES[imp.kind]):
            raise LinkError(f"incompatible import type {where}: expected a {kind_name}, got {_describe(obj)}")
        if imp.kind == EXTERN_FUNC:
            expected = validated.func_types[func_index]
            func_index += 1
            if obj.type is not expected and obj.type != expected:
                raise LinkError(f"incompatible import type {where}: expected func {expected}, got {_describe(obj)}")
        elif imp.kind == EXTERN_TABLE:
            expected = imp.desc
            if obj.type.elem_type != expected.elem_type or not _limits_match(
                len(obj.elements), obj.type.limits.max, expected.limits
            ):
                raise LinkError(
                    f"incompatible import type {where}: expected table {VALTYPE_NAMES.get(expected.elem_type)} "
                    f"{_limits_text(expected.limits.min, expected.limits.max)}, got {_describe(obj)}"
                )
        elif imp.kind == EXTERN_MEMORY:
            expected = imp.desc
            if not _limits_match(len(obj.data) // PAGE_SIZE, obj.type.limits.max, expected.limits):
                raise LinkError(
                    f"incompatible import type {where}: expected memory "
                    f"{_limits_text(expected.limits.min, expected.limits.max)}, got {_describe(obj)}"
                )
        else:
            expected = imp.desc
            if obj.type.valtype != expected.valtype or obj.type.mutable != expected.mutable:
                mut = "mut " if expected.mutable else ""
                raise LinkError(
                    f"incompatible import type {where}: expected global {mut}"
                    f"{VALTYPE_NAMES.get(expected.valtype)}, got {_describe(obj)}"
                )
        resolved.append(obj)
    return resolved


_CONST_BINOPS = {0x6A, 0x6B, 0x6C, 0x7C, 0x7D, 0x7E}


def eval_const(expr, instance: ModuleInstance):
    """Evaluate a constant expression (validation §3.3.10) in ``instance``.

    Covers the 2.0 forms plus the extended-constant arithmetic, since the
    validator decides which are allowed.
    """
    stack = []
    for op, imm in zip(expr.ops, expr.imms):
        if op == 0x41 or op == 0x42:
            stack.append(imm)
        elif op == 0x43:
            stack.append(numeric.f32_from_bits(imm))
        elif op == 0x44:
            stack.append(numeric.f64_from_bits(imm))
        elif op == 0xD0:
            stack.append(None)
        elif op == 0xD2:
            stack.append(instance.funcs[imm])
        elif op == 0x23:
            stack.append(instance.globals_[imm].value)
        elif op == 0xFD0C:
            stack.append(imm)
        elif op in _CONST_BINOPS:
            b = stack.pop()
            stack[-1] = numeric.BINARY_OPS[op](stack[-1], b)
        else:
            raise InstantiationError(f"unsupported constant expression opcode 0x{op:x} at byte offset {expr.offset}")
    if len(stack) != 1:
        raise InstantiationError(f"constant expression at byte offset {expr.offset} does not produce one value")
    return stack[0]


def instantiate(
    validated,
    artifact,
    engine,
    lookup,
    runtime=None,
    name: str | None = None,
    max_memory_pages: int | None = None,
    max_table_size: int | None = None,
) -> ModuleInstance:
    """Instantiate ``validated`` (whose engine artifact is ``artifact``).

    Raises:
        LinkError: an import is missing or has the wrong type.
        InstantiationError: a memory or table needs more than the runtime's limits allow.
        Trap: a segment is out of bounds, or the start function trapped.
    """
    module = validated.module
    imported = resolve_imports(validated, lookup)
    instance = ModuleInstance(validated, runtime, name)
    funcs, tables, memories, globals_ = instance.funcs, instance.tables, instance.memories, instance.globals_
    for imp, obj in zip(module.imports, imported):
        if imp.kind == EXTERN_FUNC:
            # A host function that takes a Caller is bound to each importing instance.
            bind = getattr(obj, "for_instance", None)
            funcs.append(obj if bind is None else bind(instance, runtime))
        elif imp.kind == EXTERN_TABLE:
            tables.append(obj)
        elif imp.kind == EXTERN_MEMORY:
            memories.append(obj)
        else:
            globals_.append(obj)

    nimports = len(funcs)
    for def_index, type_index in enumerate(module.functions):
        index = nimports + def_index
        funcs.append(Function(module.types[type_index], None, module.function_name(index), instance, index))
    for table_type in module.tables:
        if max_table_size is not None and table_type.limits.min > max_table_size:
            raise InstantiationError(
                f"table of {table_type.limits.min} entries exceeds the runtime's max_table_size ({max_table_size})"
            )
        tables.append(Table(table_type, None, max_table_size))
    for memory_type in module.memories:
        if max_memory_pages is not None and memory_type.limits.min > max_memory_pages:
            raise InstantiationError(
                f"memory of {memory_type.limits.min} pages exceeds the runtime's max_memory_pages ({max_memory_pages})"
            )
        memories.append(Memory(memory_type, max_memory_pages))
    for global_ in module.globals_:
        globals_.append(Global(global_.type, eval_const(global_.init, instance)))

    instance.elem_segments = [tuple(eval_const(e, instance) for e in seg.init) for seg in module.elements]
    instance.data_segments = [seg.data for seg in module.datas]

    engine.bind(artifact, instance)

    for export in module.exports:
        if export.kind == EXTERN_FUNC:
            instance.exports[export.name] = funcs[export.index]
        elif export.kind == EXTERN_TABLE:
            instance.exports[export.name] = tables[export.index]
        elif export.kind == EXTERN_MEMORY:
            instance.exports[export.name] = memories[export.index]
        else:
            instance.exports[export.name] = globals_[export.index]

    for i, seg in enumerate(module.elements):
        if seg.mode == MODE_ACTIVE:
            offset = eval_const(seg.offset_expr, instance)
            refs = instance.elem_segments[i]
            elements = tables[seg.table_index].elements
            if offset + len(refs) > len(elements):
                raise Trap(TrapKind.OUT_OF_BOUNDS_TABLE)
            elements[offset : offset + len(refs)] = refs
            instance.elem_segments[i] = ()
        elif seg.mode == MODE_DECLARATIVE:
            instance.elem_segments[i] = ()

    for i, seg in enumerate(module.datas):
        if seg.mode == MODE_ACTIVE:
            offset = eval_const(seg.offset_expr, instance)
            data = memories[seg.memory_index].data
            if offset + len(seg.data) > len(data):
                raise Trap(TrapKind.OUT_OF_BOUNDS_MEMORY)
            data[offset : offset + len(seg.data)] = seg.data
            instance.data_segments[i] = b""

    if module.start is not None:
        invoke(funcs[module.start], (), getattr(runtime, "call_depth", None))
    return instance
