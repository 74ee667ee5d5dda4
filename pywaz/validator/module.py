"""Module validation (spec §3.4 modules, §3.3.10 constant expressions).

Enters: a decoded :class:`~pywaz.ir.Module`. Leaves: a
:class:`~pywaz.ir.ValidatedModule` with the index spaces resolved (imports
first), the set of functions ``ref.func`` may name (C.refs), and one
:class:`~pywaz.ir.FunctionInfo` per defined function; or a
:class:`~pywaz.errors.ValidationError` whose message starts with the spec
suite's wording ("unknown type 3", "type mismatch: ...").

Checks run in the reference interpreter's order (imports, function types,
tables, memories, globals, element and data segments, bodies, start, exports)
so a module with several faults reports the same one the spec tests expect.
"""

from __future__ import annotations

import gc
import threading

from ..decoder.lazybody import LazyFunctionBody
from ..errors import ValidationError
from ..features import DEFAULT as DEFAULT_FEATURES
from ..features import Features, ProposalDisabledInvalid
from ..ir import (
    EXTERN_FUNC,
    EXTERN_GLOBAL,
    EXTERN_MEMORY,
    EXTERN_TABLE,
    EXTERN_TAG,
    F32,
    F64,
    FUNCREF,
    HT_FUNC,
    I32,
    I64,
    MAX_PAGES,
    MAX_PAGES64,
    MODE_ACTIVE,
    V128,
    VALTYPE_NAMES,
    ConstExpr,
    GlobalType,
    Limits,
    Module,
    ValidatedModule,
    is_defaultable,
    ref_type,
    valtype_name,
)
from ..opcodes import OP_NAMES, OPS_BY_NAME
from ..deftypes import is_subtype, plain_def_types
from ._function import Context, validate_function
from ._lazy import LazyFunctionInfo
from ._references import _Invalid
from ._references import typed_reference
from ._tables import K_GC
from ._types import check_valtype, validate_types

_SEC_FUNCTION = 3
_SEC_TABLE = 4
_SEC_MEMORY = 5
_SEC_START = 8
_SEC_TAG = 13

_MAX_TABLE_SIZE = 2**32 - 1
_MAX_TABLE64_SIZE = 2**64 - 1

# Index-space names in the spec's error wording ("unknown function 3").
_SPACE_NAMES = {
    EXTERN_FUNC: "function", EXTERN_TABLE: "table", EXTERN_MEMORY: "memory", EXTERN_GLOBAL: "global", EXTERN_TAG: "tag",
}

_OP_GLOBAL_GET = OPS_BY_NAME["global.get"]
_OP_REF_FUNC = OPS_BY_NAME["ref.func"]
_OP_REF_NULL = OPS_BY_NAME["ref.null"]
# Constant instructions whose result type does not depend on the context.
_CONST_RESULT = {
    OPS_BY_NAME["i32.const"]: I32,
    OPS_BY_NAME["i64.const"]: I64,
    OPS_BY_NAME["f32.const"]: F32,
    OPS_BY_NAME["f64.const"]: F64,
    OPS_BY_NAME["v128.const"]: V128,
}
# Extended constant expressions (3.0): i32/i64 add, sub and mul, typed [t t] -> [t].
_REF_FUNC_ONLY = (_OP_REF_FUNC,)
_I32_CONST_ONLY = (OPS_BY_NAME["i32.const"],)
_NON_NULL_FUNC = ref_type(False, HT_FUNC)
# GC instructions that are constant (3.0).
_CONST_GC = frozenset(OPS_BY_NAME[name] for name in (
    "struct.new", "struct.new_default", "array.new", "array.new_default", "array.new_fixed", "ref.i31",
    "any.convert_extern", "extern.convert_any"))
EXTENDED_CONST_BINOPS = {
    OPS_BY_NAME[f"{t}.{op}"]: valtype for t, valtype in (("i32", I32), ("i64", I64)) for op in ("add", "sub", "mul")
}
"""The arithmetic instructions extended constant expressions allow, with the type each works on."""


def _section_offset(module: Module, section_id: int) -> int | None:
    for sid, offset, _size in module.section_sizes:
        if sid == section_id:
            return offset
    return None


def _check_limits(limits: Limits, bound: int, too_big: str, offset: int | None) -> None:
    """Limits valid within ``bound`` (spec §3.2.1)."""
    if limits.min > bound:
        raise ValidationError(too_big, offset)
    if limits.max is not None:
        if limits.max > bound:
            raise ValidationError(too_big, offset)
        if limits.min > limits.max:
            raise ValidationError("size minimum must not be greater than maximum", offset)


def _check_table_type(table_type, offset: int | None) -> None:
    if table_type.address_type == I64:
        _check_limits(table_type.limits, _MAX_TABLE64_SIZE, "table size must be at most 2^64-1", offset)
    else:
        _check_limits(table_type.limits, _MAX_TABLE_SIZE, "table size must be at most 2^32-1", offset)


def _check_memory_type(memory_type, offset: int | None) -> None:
    if memory_type.address_type == I64:
        _check_limits(memory_type.limits, MAX_PAGES64, "memory size must be at most 2^48 pages (2^64 bytes)", offset)
    else:
        _check_limits(memory_type.limits, MAX_PAGES, "memory size must be at most 65536 pages (4GiB)", offset)
    if memory_type.shared and memory_type.limits.max is None:
        raise ValidationError("shared memory must have maximum", offset)  # threads proposal


def _func_type(types, type_index: int, offset: int | None, func_index: int | None = None):
    """The function type at ``type_index``: it must exist and be a function type (not a struct or array)."""
    if type_index >= len(types):
        raise ValidationError(f"unknown type {type_index}", offset, func_index)
    composite = types[type_index]
    if composite.kind != "func":
        raise ValidationError(f"type mismatch: type {type_index} is a {composite.kind} type, not a function type",
                              offset, func_index)
    return composite


def _tag_type(types, type_index: int, offset: int | None):
    """The function type of a tag (exception handling): it must exist and return nothing."""
    tag_type = _func_type(types, type_index, offset)
    if tag_type.results:
        raise ValidationError(f"non-empty tag result type: tag type {tag_type}", offset)
    return tag_type


def _const_ref_funcs(expr: ConstExpr | None):
    if expr is None:
        return
    for op, imm in zip(expr.ops, expr.imms):
        if op == _OP_REF_FUNC:
            yield imm


def _declared_refs(module: Module) -> frozenset[int]:
    """C.refs: function indices named outside function bodies and the start section (spec §3.4.10)."""
    refs = set()
    for global_ in module.globals_:
        refs.update(_const_ref_funcs(global_.init))
    for segment in module.elements:
        for expr in segment.init:
            refs.update(_const_ref_funcs(expr))
        refs.update(_const_ref_funcs(segment.offset_expr))
    for segment in module.datas:
        if segment.offset_expr is not None and segment.offset_expr.ops != _I32_CONST_ONLY:
            refs.update(_const_ref_funcs(segment.offset_expr))
    for table in module.tables:
        refs.update(_const_ref_funcs(table.init))
    for export in module.exports:
        if export.kind == EXTERN_FUNC:
            refs.add(export.index)
    return frozenset(refs)


def _check_const(
    expr: ConstExpr,
    want,
    globals_: list[GlobalType],
    context: Context,
    extended: bool = True,
    extended_globals: list[GlobalType] | None = None,
) -> None:
    """``expr`` is constant and has type ``[] -> [want]`` (spec §3.3.10, 3.0 "Constant Expressions").

    ``globals_`` are the globals a constant expression may read (3.0 module
    rule): for a global's initializer, the imported globals and the globals
    defined before it; for element and data segments, every global. Only
    immutable ones are constant. A later global is "unknown global".
    i32/i64 add, sub and mul are constant too (extended constant expressions),
    and so are (GC) struct.new(_default), array.new(_default/_fixed),
    ref.i31, any.convert_extern and extern.convert_any, typed as in a function.
    ``extended=False`` applies the 2.0 rule instead: no arithmetic, and
    ``globals_`` must then hold the imported globals only; ``extended_globals``
    (what 3.0 would allow) only makes the error say why a global is unknown.
    """
    stack: list = []
    defs = context.def_types
    for op, imm in zip(expr.ops, expr.imms):
        result = _CONST_RESULT.get(op)
        if result is not None:
            stack.append(result)
        elif op in EXTENDED_CONST_BINOPS and extended:
            operand = EXTENDED_CONST_BINOPS[op]
            if stack[-2:] != [operand, operand]:
                name = VALTYPE_NAMES[operand]
                got = " ".join(valtype_name(t) for t in stack[-2:])
                raise ValidationError(
                    f"type mismatch: {OP_NAMES[op]} expects [{name} {name}] but the constant expression has [{got}]",
                    expr.offset,
                )
            stack.pop()  # two operands in, one result of the same type out
        elif op == _OP_GLOBAL_GET:
            if imm >= len(globals_):
                if not extended and extended_globals is not None and imm < len(extended_globals):
                    raise ProposalDisabledInvalid(
                        "extended_const", "only imported globals are constant without it", expr.offset,
                        f"unknown global {imm}")
                raise ValidationError(f"unknown global {imm}", expr.offset)
            if globals_[imm].mutable:
                raise ValidationError(
                    f"constant expression required: global.get {imm} reads a mutable global", expr.offset
                )
            stack.append(globals_[imm].valtype)
        elif op == _OP_REF_NULL:
            if type(imm) is not int and type(imm.heap) is int and imm.heap >= len(context.types):
                raise ValidationError(f"unknown type {imm.heap}", expr.offset)
            stack.append(imm)
        elif op == _OP_REF_FUNC:
            if imm >= len(context.func_types):
                raise ValidationError(f"unknown function {imm}", expr.offset)
            indexes = context.func_type_indexes
            stack.append(FUNCREF if indexes is None else ref_type(False, indexes[imm]))
        elif op in _CONST_GC:
            try:
                typed_reference(op, K_GC, imm, stack, 0, False, [], context, [])
            except _Invalid as error:
                raise ValidationError(error.message, expr.offset) from None
        else:
            name = OP_NAMES.get(op, f"0x{op:x}")
            if op in EXTENDED_CONST_BINOPS:
                raise ProposalDisabledInvalid(
                    "extended_const", f"{name} is not constant without it", expr.offset,
                    f"constant expression required: {name} is not constant")
            raise ValidationError(f"constant expression required: {name} is not constant", expr.offset)
    if len(stack) != 1 or not (stack[0] is want or is_subtype(stack[0], want, defs)):
        got = " ".join(valtype_name(t) for t in stack)
        raise ValidationError(
            f"type mismatch: constant expression must produce [{valtype_name(want)}] but produces [{got}]",
            expr.offset,
        )


def _validate_bodies(module: Module, func_types: list, imported_func_count: int, context: Context) -> tuple:
    """One FunctionInfo per body, in order; the first invalid body raises.

    A :class:`~pywaz.decoder.lazybody.LazyFunctionBody` was shown valid by the
    decoder's one-pass check in a context built from this module's sections
    before the code section; when the module still has those sections (and the
    checks above passed, so this context agrees with that one) its facts are
    computed on first use instead of now.
    """
    functions = []
    append = functions.append
    trusted: dict[int, bool] = {}  # id(FastContext) -> whether this module still has its sections
    lock = threading.Lock()
    for i, body in enumerate(module.codes):
        func_index = imported_func_count + i
        func_type = func_types[func_index]
        if type(body) is LazyFunctionBody:
            verdict = getattr(body, "verdict", None)
            if verdict is not None:
                ok = trusted.get(id(verdict))
                if ok is None:
                    ok = trusted[id(verdict)] = verdict.trusted(module)
                if ok:
                    local_types = tuple(func_type.params) + tuple(body.locals)
                    append(LazyFunctionInfo.deferred(func_index, func_type, local_types, body, context, lock))
                    continue
        append(validate_function(func_index, func_type, body, context))
    return tuple(functions)


def validate(module: Module, *, features: Features | None = None) -> ValidatedModule:
    """Validate a decoded module and resolve its index spaces.

    ``features`` (default: every proposal pywaz implements) decides which
    proposals' rules apply; with ``extended_const`` off, constant expressions
    follow 2.0 (no arithmetic, ``global.get`` of imported globals only).

    Raises:
        ValidationError: the module is not valid; the message starts with the spec's
            wording, ``offset`` locates the fault and ``func_index`` names the function.
            A :class:`~pywaz.features.ProposalDisabledInvalid` when only a switched-off
            proposal makes it invalid.
    """
    # Validation allocates many small containers and forms no reference cycles; with a large
    # decoded module alive, the cyclic collector's passes over it cost a third of the time.
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        return _validate(module, features)
    finally:
        if gc_was_enabled:
            gc.enable()


def _validate(module: Module, features: Features | None) -> ValidatedModule:
    if features is None:
        features = DEFAULT_FEATURES
    extended_const = features.extended_const
    types = module.types
    # A 2.0 type section of function types met before has nothing to check (the common case, kept cheap).
    def_types = None if module.rec_groups or module.sub_types else plain_def_types(types)
    if def_types is None:
        def_types = validate_types(module)
    func_types = []
    table_types = []
    memory_types = []
    global_types = []
    tag_types = []
    func_type_indexes = []

    for import_ in module.imports:
        kind = import_.kind
        desc = import_.desc
        if kind == EXTERN_FUNC:
            func_types.append(_func_type(types, desc, import_.offset))
            func_type_indexes.append(desc)
        elif kind == EXTERN_TABLE:
            _check_table_type(desc, import_.offset)
            if type(desc.elem_type) is not int:
                check_valtype(desc.elem_type, len(types), import_.offset)
            table_types.append(desc)
        elif kind == EXTERN_MEMORY:
            _check_memory_type(desc, import_.offset)
            memory_types.append(desc)
        elif kind == EXTERN_GLOBAL:
            if type(desc.valtype) is not int:
                check_valtype(desc.valtype, len(types), import_.offset)
            global_types.append(desc)
        elif kind == EXTERN_TAG:
            tag_types.append(_tag_type(types, desc, import_.offset))
        else:
            raise ValidationError(f"unknown import kind {kind}", import_.offset)
    imported_func_count = len(func_types)

    type_count = len(types)
    gc_types = bool(module.rec_groups)  # only then can a type be a struct or array type
    for i, type_index in enumerate(module.functions):
        if type_index >= type_count or (gc_types and types[type_index].kind != "func"):
            offset = module.codes[i].offset if i < len(module.codes) else _section_offset(module, _SEC_FUNCTION)
            _func_type(types, type_index, offset, imported_func_count + i)  # raises
        func_types.append(types[type_index])
    func_type_indexes.extend(module.functions)
    func_count = len(func_types)

    for type_index in module.tags:
        tag_types.append(_tag_type(types, type_index, _section_offset(module, _SEC_TAG)))

    table_offset = _section_offset(module, _SEC_TABLE) if module.tables else None
    initialized_tables = []
    for table_type in module.tables:
        _check_table_type(table_type, table_offset)
        elem_type = table_type.elem_type
        if type(elem_type) is not int:
            check_valtype(elem_type, len(types), table_offset)
        if table_type.init is not None:
            initialized_tables.append(table_type)
        elif not is_defaultable(elem_type):
            raise ValidationError(f"type mismatch: a table of {valtype_name(elem_type)} "
                                  "needs an initializer expression", table_offset)
        table_types.append(table_type)
    for memory_type in module.memories:
        _check_memory_type(memory_type, _section_offset(module, _SEC_MEMORY))
        memory_types.append(memory_type)

    refs = _declared_refs(module)
    data_count = module.data_count if module.data_count is not None else len(module.datas)
    # One context for constant expressions and bodies; global_types grows as globals are defined, and the
    # element segments' types are filled in once they are checked.
    context = Context(types, tuple(func_types), tuple(table_types), tuple(memory_types), global_types, (),
                      data_count, refs, tuple(tag_types), def_types, tuple(func_type_indexes))
    # Typed function references: a table's initializer sees the imported globals only (tables come before
    # globals in a module; the 3.0 testsuite's global.wast checks this).
    imported_globals = list(global_types)
    for table_type in initialized_tables:
        _check_const(table_type.init, table_type.elem_type, imported_globals, context, extended_const)

    # 3.0: each global's initializer sees the imports and the globals before it (global_types
    # grows as we go), segments see every global. 2.0: only the imports, everywhere.
    const_globals = global_types if extended_const else list(global_types)
    for global_ in module.globals_:
        if type(global_.type.valtype) is not int:
            check_valtype(global_.type.valtype, len(types), global_.init.offset)
        _check_const(global_.init, global_.type.valtype, const_globals, context, extended_const, global_types)
        global_types.append(global_.type)

    for segment in module.elements:
        if type(segment.elem_type) is not int and segment.elem_type is not _NON_NULL_FUNC:
            check_valtype(segment.elem_type, len(types), segment.offset)
        # A function index (ref.func) is the common element and always a (ref func): check only the index.
        plain_funcs = segment.elem_type is FUNCREF or segment.elem_type is _NON_NULL_FUNC
        for expr in segment.init:
            if plain_funcs and expr.ops == _REF_FUNC_ONLY:
                if expr.imms[0] >= func_count:
                    raise ValidationError(f"unknown function {expr.imms[0]}", expr.offset)
                continue
            _check_const(expr, segment.elem_type, const_globals, context, extended_const, global_types)
        if segment.mode == MODE_ACTIVE:
            if segment.table_index >= len(table_types):
                raise ValidationError(f"unknown table {segment.table_index}", segment.offset)
            _check_const(segment.offset_expr, table_types[segment.table_index].address_type, const_globals,
                         context, extended_const, global_types)
            table_elem_type = table_types[segment.table_index].elem_type
            if table_elem_type is not segment.elem_type and not is_subtype(segment.elem_type, table_elem_type,
                                                                           def_types):
                raise ValidationError(
                    f"type mismatch: element segment of {valtype_name(segment.elem_type)} "
                    f"for a table of {valtype_name(table_elem_type)}",
                    segment.offset,
                )

    for segment in module.datas:
        if segment.mode == MODE_ACTIVE:
            if segment.memory_index >= len(memory_types):
                raise ValidationError(f"unknown memory {segment.memory_index}", segment.offset)
            address_type = memory_types[segment.memory_index].address_type
            # `i32.const N` into a 32-bit memory: the common case (Go emits 98k such segments), valid as it is.
            if segment.offset_expr.ops == _I32_CONST_ONLY and address_type == I32:
                continue
            _check_const(segment.offset_expr, address_type, const_globals, context, extended_const, global_types)

    if len(memory_types) > 1 and not features.multi_memory:
        raise ProposalDisabledInvalid("multi_memory", f"the module has {len(memory_types)} memories",
                                      _section_offset(module, _SEC_MEMORY), "multiple memories")

    context.global_types = tuple(global_types)
    context.elem_types = tuple(segment.elem_type for segment in module.elements)

    if len(module.codes) != len(module.functions):
        raise ValidationError(
            f"function and code section have inconsistent lengths ({len(module.functions)} and {len(module.codes)})",
            _section_offset(module, _SEC_FUNCTION),
        )
    functions = _validate_bodies(module, func_types, imported_func_count, context)

    if module.start is not None:
        start_offset = _section_offset(module, _SEC_START)
        if module.start >= func_count:
            raise ValidationError(f"unknown function {module.start}", start_offset)
        start_type = func_types[module.start]
        if start_type.params or start_type.results:
            raise ValidationError(f"start function must have type [] -> [], not {start_type}", start_offset)

    space_sizes = {
        EXTERN_FUNC: func_count,
        EXTERN_TABLE: len(table_types),
        EXTERN_MEMORY: len(memory_types),
        EXTERN_GLOBAL: len(global_types),
        EXTERN_TAG: len(tag_types),
    }
    names = set()
    for export in module.exports:
        size = space_sizes.get(export.kind)
        if size is None:
            raise ValidationError(f"unknown export kind {export.kind}", export.offset)
        if export.index >= size:
            raise ValidationError(f"unknown {_SPACE_NAMES[export.kind]} {export.index}", export.offset)
        if export.name in names:
            raise ValidationError(f"duplicate export name {export.name!r}", export.offset)
        names.add(export.name)

    return ValidatedModule(
        module=module,
        func_types=tuple(func_types),
        table_types=tuple(table_types),
        memory_types=tuple(memory_types),
        global_types=tuple(global_types),
        functions=functions,
        declared_func_refs=refs,
        tag_types=tuple(tag_types),
        def_types=def_types,
    )
