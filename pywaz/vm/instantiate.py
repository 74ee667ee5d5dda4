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

import weakref
from itertools import compress, repeat
from operator import add, attrgetter, eq, itemgetter, le, sub

from .. import gcvalues, numeric
from ..deftypes import closed_type, def_types_of, is_subtype
from ..errors import InstantiationError, LinkError, Trap, TrapKind
from ..ir import (
    EXTERN_FUNC,
    EXTERN_GLOBAL,
    EXTERN_KIND_NAMES,
    EXTERN_MEMORY,
    EXTERN_TABLE,
    EXTERN_TAG,
    I64,
    MODE_ACTIVE,
    MODE_DECLARATIVE,
    PAGE_SIZE,
    GlobalType,
    TableType,
    valtype_name,
)
from .exports import invoke
from .objects import Function, Global, Memory, ModuleInstance, Table, Tag

_KIND_CLASSES = {
    EXTERN_FUNC: Function, EXTERN_TABLE: Table, EXTERN_MEMORY: Memory, EXTERN_GLOBAL: Global, EXTERN_TAG: Tag,
}


def _closed_table_type(table_type, def_types):
    """A table type with its element type closed (canonical): what a table instance carries, in any module."""
    if type(table_type.elem_type) is int:
        return table_type
    return TableType(closed_type(table_type.elem_type, def_types), table_type.limits, table_type.address_type,
                     table_type.init)


def _closed_global_type(global_type, def_types):
    """A global type with its value type closed (canonical), as a global instance carries it."""
    if type(global_type.valtype) is int:
        return global_type
    return GlobalType(closed_type(global_type.valtype, def_types), global_type.mutable)


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
        return (f"table {_address_text(obj.type)}{valtype_name(obj.type.elem_type)} "
                f"{_limits_text(len(obj.elements), obj.type.limits.max)}")
    if isinstance(obj, Memory):
        return (f"memory {_address_text(obj.type)}{_limits_text(len(obj.data) // PAGE_SIZE, obj.type.limits.max)}"
                f"{_shared_text(obj.type)}")
    if isinstance(obj, Global):
        mut = "mut " if obj.type.mutable else ""
        return f"global {mut}{valtype_name(obj.type.valtype)}"
    return type(obj).__name__


def _address_text(type_) -> str:
    return "i64 " if type_.address_type == I64 else ""


def _shared_text(type_) -> str:
    return " shared" if type_.shared else ""


def _limits_text(minimum, maximum) -> str:
    return f"{minimum}" if maximum is None else f"{minimum} {maximum}"


def resolve_imports(validated, lookup) -> list:
    """Resolve every import of ``validated`` through ``lookup(module, name)`` and check its type.

    ``lookup`` returns the store object or None. Returns the objects in import order.

    Raises:
        LinkError: "unknown import" or "incompatible import type", naming the import.
    """
    module = validated.module
    def_types = def_types_of(validated)
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
            # 3.0 import matching: the function's canonical type is the expected one or a subtype of it.
            expected = def_types[imp.desc]
            actual = obj.def_type
            func_index += 1
            if actual is not expected and not actual.is_subtype_of(expected):
                raise LinkError(f"incompatible import type {where}: expected func "
                                f"{validated.func_types[func_index - 1]}, got {_describe(obj)}")
        elif imp.kind == EXTERN_TABLE:
            expected = imp.desc
            if (
                obj.type.elem_type != closed_type(expected.elem_type, def_types)
                or obj.type.address_type != expected.address_type
                or not _limits_match(len(obj.elements), obj.type.limits.max, expected.limits)
            ):
                raise LinkError(
                    f"incompatible import type {where}: expected table {valtype_name(expected.elem_type)} "
                    f"{_limits_text(expected.limits.min, expected.limits.max)}, got {_describe(obj)}"
                )
        elif imp.kind == EXTERN_MEMORY:
            expected = imp.desc
            # Shared-ness must match exactly (threads proposal: shared and unshared memories never mix).
            if obj.type.address_type != expected.address_type or obj.type.shared != expected.shared or not (
                _limits_match(len(obj.data) // PAGE_SIZE, obj.type.limits.max, expected.limits)
            ):
                raise LinkError(
                    f"incompatible import type {where}: expected memory {_address_text(expected)}"
                    f"{_limits_text(expected.limits.min, expected.limits.max)}{_shared_text(expected)}, "
                    f"got {_describe(obj)}"
                )
        elif imp.kind == EXTERN_TAG:
            expected = def_types[imp.desc]
            if obj.def_type is not expected:
                raise LinkError(f"incompatible import type {where}: expected tag {validated.module.types[imp.desc]}, "
                                f"got {_describe(obj)}")
        else:
            expected = imp.desc
            # An immutable global may have a subtype of the expected type; a mutable one exactly the type.
            want = closed_type(expected.valtype, def_types)
            got = obj.type.valtype
            if obj.type.mutable != expected.mutable or (
                    got != want and (expected.mutable or not is_subtype(got, want))):
                mut = "mut " if expected.mutable else ""
                raise LinkError(
                    f"incompatible import type {where}: expected global {mut}"
                    f"{valtype_name(expected.valtype)}, got {_describe(obj)}"
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
        elif op in _GC_CONST_OPS:
            _eval_gc_const(op, imm, stack, def_types_of(instance.module))
        else:
            raise InstantiationError(f"unsupported constant expression opcode 0x{op:x} at byte offset {expr.offset}")
    if len(stack) != 1:
        raise InstantiationError(f"constant expression at byte offset {expr.offset} does not produce one value")
    return stack[0]


_GC_CONST_OPS = frozenset((0xFB00, 0xFB01, 0xFB06, 0xFB07, 0xFB08, 0xFB1A, 0xFB1B, 0xFB1C))


def _eval_gc_const(op: int, imm, stack: list, def_types) -> None:
    """One GC constant instruction (struct.new*, array.new*, ref.i31, the extern/any conversions) on ``stack``.

    Raises:
        Trap: an array longer than the interpreter's limit (allocation too large).
    """
    if op == 0xFB1C:
        stack[-1] = gcvalues.ref_i31(stack[-1])
    elif op == 0xFB1A:
        stack[-1] = gcvalues.any_convert_extern(stack[-1])
    elif op == 0xFB1B:
        stack[-1] = gcvalues.extern_convert_any(stack[-1])
    elif op == 0xFB00 or op == 0xFB01:  # struct.new, struct.new_default
        deftype = def_types[imm]
        fields = deftype.fields
        cls = gcvalues.struct_class(deftype, len(fields))
        if op == 0xFB01:
            stack.append(cls.new(*(gcvalues.storage_default(f.storage) for f in fields)))
            return
        values = stack[len(stack) - len(fields):]
        del stack[len(stack) - len(fields):]
        masks = (gcvalues.storage_mask(f.storage) for f in fields)
        stack.append(cls.new(*(v if m is None else v & m for v, m in zip(values, masks))))
    else:  # array.new, array.new_default, array.new_fixed
        deftype = def_types[imm[0] if op == 0xFB08 else imm]
        storage = deftype.field.storage
        mask = gcvalues.storage_mask(storage)
        if op == 0xFB08:
            count = imm[1]
            values = stack[len(stack) - count:]
            del stack[len(stack) - count:]
        else:
            count = stack.pop()
            if count > gcvalues.MAX_ARRAY_LENGTH:
                raise Trap(TrapKind.ALLOCATION_TOO_LARGE)
            values = [stack.pop() if op == 0xFB06 else gcvalues.storage_default(storage)] * count
        if mask is not None:
            values = [v & mask for v in values]
        stack.append(gcvalues.array_class(deftype)(values))


_I32_CONST = 0x41
_REF_FUNC = 0xD2
_LONE_I32_CONST = (_I32_CONST,)
_seg_data = attrgetter("data")
_seg_mode = attrgetter("mode")
_seg_memory_index = attrgetter("memory_index")
_seg_offset_expr = attrgetter("offset_expr")
_expr_ops = attrgetter("ops")
_expr_imms = attrgetter("imms")
_first = itemgetter(0)


def _const_i32(expr):
    """The value of ``expr`` when it is a lone ``i32.const``, else None (evaluate it at instantiation)."""
    ops = expr.ops
    if len(ops) == 1 and ops[0] == _I32_CONST:
        return expr.imms[0]
    return None


class SegmentPlan:
    """What instantiation does with a module's segments, worked out once per module.

    ``defined_funcs`` holds ``(type, name)`` of each defined function.

    ``elem_func_indices[i]`` is the tuple of function indices of element
    segment ``i`` when every item is a lone ``ref.func``, else None.
    ``elem_actions`` lists, in segment order, ``(i, table_index, offset,
    offset_expr)`` for active segments and ``(i, None, None, None)`` for
    declarative ones (both are dropped in that order). ``data_actions`` lists
    ``(i, memory_index, offset, offset_expr, bytes)`` for active data
    segments; ``offset`` is None when the expression must be evaluated.

    When every active data segment targets memory 0 at a constant offset,
    ``max_end`` is the highest end: if the memory is at least that long no
    segment can trap, and the writes can be applied in bulk: for a memory the
    module defines (all zeros when segments run) as :meth:`image`, one blob;
    for an imported memory (or very sparse writes) as :meth:`runs`, the
    writes coalesced without their gaps.

    ``data_bytes`` is what ``instance.data_segments`` starts as. A module from
    the cache whose data segments come with a memory image
    (``datas.data_image``) is planned from that image alone: active segments'
    bytes are not sliced out (``data_bytes`` holds ``b""`` for them, as they
    are dropped by the bulk write), and the exact path puts them back from
    :attr:`data_actions` before it applies anything.
    """

    __slots__ = (
        "_actions",
        "_active_data",
        "_active_flags",
        "_active_indices",
        "_active_left_out",
        "_image",
        "_offsets",
        "_runs",
        "applied_once",
        "data_bytes",
        "data_dropped",
        "defined_funcs",
        "elem_actions",
        "elem_func_indices",
        "max_end",
        "memory_defined",
        "module",
    )

    def __init__(self, module):
        self.module = module
        types = module.types
        nimports = sum(1 for imp in module.imports if imp.kind == EXTERN_FUNC)
        self.defined_funcs = tuple(
            (types[type_index], module.function_name(nimports + i)) for i, type_index in enumerate(module.functions)
        )
        self.elem_func_indices = tuple(
            tuple(e.imms[0] for e in seg.init)
            if all(len(e.ops) == 1 and e.ops[0] == _REF_FUNC for e in seg.init)
            else None
            for seg in module.elements
        )
        elem_actions = []
        for i, seg in enumerate(module.elements):
            if seg.mode == MODE_ACTIVE:
                elem_actions.append((i, seg.table_index, _const_i32(seg.offset_expr), seg.offset_expr))
            elif seg.mode == MODE_DECLARATIVE:
                elem_actions.append((i, None, None, None))
        self.elem_actions = tuple(elem_actions)

        self._actions = None
        self._active_indices = None
        self._active_left_out = False
        self.applied_once = False
        self._image = None
        self._runs = None
        self._offsets = self._active_data = None
        self.memory_defined = not any(imp.kind == EXTERN_MEMORY for imp in module.imports)
        self.max_end = None
        # Built with C-level map/compress: a Go module has ~100k data segments and this runs once per process.
        datas = module.datas
        columns = getattr(datas, "data_columns", None)
        if columns is not None:
            self._plan_columns(columns, getattr(datas, "data_image", None))
            return
        self.data_bytes = data_bytes = tuple(map(_seg_data, datas))
        self._active_flags = active = [mode == MODE_ACTIVE for mode in map(_seg_mode, datas)]
        if all(active):
            self.data_dropped = (b"",) * len(active)
        else:
            self.data_dropped = tuple(b"" if is_active else data for is_active, data in zip(active, data_bytes))
        if not any(active):
            return
        segs = list(compress(datas, active))
        exprs = list(map(_seg_offset_expr, segs))
        if not any(map(_seg_memory_index, segs)) and all(map(eq, repeat(_LONE_I32_CONST), map(_expr_ops, exprs))):
            self._offsets = list(map(_first, map(_expr_imms, exprs)))
            self._active_data = list(map(_seg_data, segs))
            self.max_end = max(map(add, self._offsets, map(len, self._active_data)))

    def _plan_columns(self, columns, image) -> None:
        """The data part of the plan from a cached module's column form (``datas.data_columns``).

        Every active segment there is offset by an ``i32.const``; no
        DataSegment object is built. With the memory image the cache stored
        (``datas.data_image``, only made for a memory the module defines), no
        active segment's bytes are sliced either.
        """
        blob, starts, ends, active, memory, consts = columns[:6]
        self._active_flags = active
        if image is not None and self.memory_defined:
            self._image = image
            self.max_end = image[0] + len(image[1])
            self._active_left_out = True
            if 0 in active:
                self.data_dropped = tuple(
                    b"" if is_active else blob[start:end] for is_active, start, end in zip(active, starts, ends)
                )
            else:
                self.data_dropped = (b"",) * len(active)
            self.data_bytes = self.data_dropped
            return
        self.data_bytes = data_bytes = tuple(map(blob.__getitem__, map(slice, starts, ends)))
        if all(active):
            self.data_dropped = (b"",) * len(active)
        else:
            self.data_dropped = tuple(b"" if is_active else data for is_active, data in zip(active, data_bytes))
        if not any(active) or any(compress(memory, active)):
            return
        self._offsets = list(compress(consts, active))
        self._active_data = list(compress(data_bytes, active))
        self.max_end = max(map(add, self._offsets, map(len, self._active_data)))

    @property
    def active_indices(self) -> tuple:
        """Indices of the active data segments, in order."""
        indices = self._active_indices
        if indices is None:
            flags = self._active_flags
            indices = self._active_indices = tuple(compress(range(len(flags)), flags))
        return indices

    @property
    def data_actions(self) -> tuple:
        """``(i, memory_index, offset, offset_expr, bytes)`` per active data segment (the exact loop)."""
        actions = self._actions
        if actions is None:
            datas = self.module.datas
            actions = self._actions = tuple(
                (i, datas[i].memory_index, _const_i32(datas[i].offset_expr), datas[i].offset_expr, datas[i].data)
                for i in self.active_indices
            )
        return actions

    def image(self):
        """``(start, blob)``: every bulk write applied in order over zeros, or None when too sparse for that.

        Only for a memory the module defines, still all zeros when segments
        run. Built on first use, when the memory is known to hold ``max_end``.
        """
        image = self._image
        if image is None:
            image = self._image = _zero_based_image(self._offsets, self._active_data)
        return image or None

    def runs(self) -> tuple:
        """The bulk writes as disjoint ``(start, blob)`` runs that leave uncovered bytes alone."""
        runs = self._runs
        if runs is None:
            if self._offsets is None:  # planned from a cached image: take the writes from the segments
                writes = [(offset, seg_data) for _, _, offset, _, seg_data in self.data_actions]
            else:
                writes = list(zip(self._offsets, self._active_data))
            runs = self._runs = _coalesce(writes)
        return runs


def _zero_based_image(offsets: list, datas: list):
    """``(start, blob)``: the writes ``datas[k]`` at ``offsets[k]`` applied in order over zeros; () if sparse.

    The gaps between writes become zeros in the blob, which is right only for
    a zero-filled memory. Sparse writes (the blob would be much larger than
    the data) give () so that the caller uses disjoint runs instead.
    """
    original = offsets, datas
    ends = list(map(add, offsets, map(len, datas)))
    start, end = min(offsets), max(ends)
    if end - start > 4 * sum(map(len, datas)) + 65536:
        return ()
    if not all(map(le, offsets[:-1], offsets[1:])):
        order = sorted(range(len(offsets)), key=offsets.__getitem__)
        offsets, datas, ends = ([seq[k] for k in order] for seq in (offsets, datas, ends))
    if all(map(le, ends[:-1], offsets[1:])):
        # Disjoint writes (what toolchains emit), so their order does not matter: join the pieces,
        # sorted by offset, with zero-filled gaps, all in C.
        parts = [b""] * (2 * len(datas) - 1)
        parts[0::2] = datas
        gaps = list(map(sub, offsets[1:], ends[:-1]))
        zeros = {size: bytes(size) for size in set(gaps)}  # few distinct gap sizes: share them
        parts[1::2] = map(zeros.__getitem__, gaps)
        return (start, b"".join(parts))
    offsets, datas = original
    blob = bytearray(end - start)
    for offset, data in zip(offsets, datas):
        blob[offset - start : offset - start + len(data)] = data
    return (start, bytes(blob))


def _coalesce(writes) -> tuple:
    """Merge ``(offset, bytes)`` writes, applied in list order, into disjoint ``(start, blob)`` runs.

    Writes that overlap or touch join one run, built by applying them in
    their original order so later writes win; bytes no write covers are left
    out, so memory there keeps its contents (an imported memory may hold data).
    """
    order = sorted(range(len(writes)), key=lambda k: writes[k][0])
    groups = []  # [start, end, [write indices]]
    for k in order:
        offset, data = writes[k]
        if not data:
            continue
        end = offset + len(data)
        if groups and offset <= groups[-1][1]:
            group = groups[-1]
            group[1] = max(group[1], end)
            group[2].append(k)
        else:
            groups.append([offset, end, [k]])
    runs = []
    for start, end, members in groups:
        if len(members) == 1:
            runs.append((start, writes[members[0]][1]))
            continue
        blob = bytearray(end - start)
        for k in sorted(members):
            offset, data = writes[k]
            blob[offset - start : offset - start + len(data)] = data
        runs.append((start, bytes(blob)))
    return tuple(runs)


# One plan per engine artifact (an artifact belongs to one module and lives as long as it is cached).
_plans: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def segment_plan(validated, artifact) -> SegmentPlan:
    """The :class:`SegmentPlan` of ``validated``, built on first use and kept with ``artifact``."""
    module = validated.module
    try:
        plan = _plans.get(artifact)
    except TypeError:  # an artifact that cannot be weakly referenced: plan every time
        return SegmentPlan(module)
    if plan is None or plan.module is not module:
        plan = SegmentPlan(module)
        _plans[artifact] = plan
    return plan


def apply_segments(plan: SegmentPlan, instance: ModuleInstance) -> None:
    """Apply active element then data segments in order, dropping each after use (and declarative ones).

    Raises:
        Trap: a segment is out of bounds; the writes of earlier segments stay.
    """
    tables = instance.tables
    elem_segments = instance.elem_segments
    for i, table_index, offset, expr in plan.elem_actions:
        if table_index is not None:
            if offset is None:
                offset = eval_const(expr, instance)
            refs = elem_segments[i]
            elements = tables[table_index].elements
            end = offset + len(refs)
            if end > len(elements):
                raise Trap(TrapKind.OUT_OF_BOUNDS_TABLE)
            elements[offset:end] = refs
        elem_segments[i] = ()

    memories = instance.memories
    data_segments = instance.data_segments
    max_end = plan.max_end
    if max_end is not None:
        data = memories[0].data
        if max_end <= len(data):  # no segment can trap: write in bulk, drop all at once
            if plan._image is None and not plan.applied_once:
                # A module instantiated once (a fresh process) writes directly: building a blob would cost more.
                plan.applied_once = True
                for offset, blob in zip(plan._offsets, plan._active_data):
                    data[offset : offset + len(blob)] = blob
            else:
                image = plan.image() if plan.memory_defined else None
                for start, blob in (image,) if image is not None else plan.runs():
                    data[start : start + len(blob)] = blob
            data_segments[:] = plan.data_dropped
            return
    actions = plan.data_actions
    if plan._active_left_out:  # a segment may trap: the ones after it must keep their bytes
        for action in actions:
            data_segments[action[0]] = action[4]
    for i, memory_index, offset, expr, seg_data in actions:
        if offset is None:
            offset = eval_const(expr, instance)
        data = memories[memory_index].data
        end = offset + len(seg_data)
        if end > len(data):
            raise Trap(TrapKind.OUT_OF_BOUNDS_MEMORY)
        data[offset:end] = seg_data
        data_segments[i] = b""


def instantiate(
    validated,
    artifact,
    engine,
    lookup,
    runtime=None,
    name: str | None = None,
    max_memory_pages: int | None = None,
    max_table_size: int | None = None,
    source_name: str | None = None,
) -> ModuleInstance:
    """Instantiate ``validated`` (whose engine artifact is ``artifact``).

    ``name`` is the registered module name; ``source_name`` names the module in
    trap stack frames (e.g. its file name).

    Raises:
        LinkError: an import is missing or has the wrong type.
        InstantiationError: a memory or table needs more than the runtime's limits allow.
        Trap: a segment is out of bounds, or the start function trapped.
    """
    module = validated.module
    imported = resolve_imports(validated, lookup)
    instance = ModuleInstance(validated, runtime, name, source_name)
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
        elif imp.kind == EXTERN_TAG:
            instance.tags.append(obj)
        else:
            globals_.append(obj)

    plan = segment_plan(validated, artifact)
    index = len(funcs)
    def_types = def_types_of(validated)
    for (func_type, func_name), type_index in zip(plan.defined_funcs, module.functions):
        funcs.append(Function(func_type, None, func_name, instance, index, def_type=def_types[type_index]))
        index += 1
    for memory_type in module.memories:
        if max_memory_pages is not None and memory_type.limits.min > max_memory_pages:
            raise InstantiationError(
                f"memory of {memory_type.limits.min} pages exceeds the runtime's max_memory_pages ({max_memory_pages})"
            )
        memories.append(Memory(memory_type, max_memory_pages))
    for type_index in module.tags:
        instance.tags.append(Tag(module.types[type_index], def_type=def_types[type_index]))
    for global_ in module.globals_:
        globals_.append(Global(_closed_global_type(global_.type, def_types), eval_const(global_.init, instance)))
    # Tables after globals: a table's initializer (3.0) may read them.
    for table_type in module.tables:
        if max_table_size is not None and table_type.limits.min > max_table_size:
            raise InstantiationError(
                f"table of {table_type.limits.min} entries exceeds the runtime's max_table_size ({max_table_size})"
            )
        init = None if table_type.init is None else eval_const(table_type.init, instance)
        tables.append(Table(_closed_table_type(table_type, def_types), init, max_table_size))

    instance.elem_segments = [
        tuple(map(funcs.__getitem__, indices))
        if indices is not None
        else tuple(eval_const(e, instance) for e in seg.init)
        for seg, indices in zip(module.elements, plan.elem_func_indices)
    ]
    instance.data_segments = list(plan.data_bytes)

    engine.bind(artifact, instance)

    for export in module.exports:
        if export.kind == EXTERN_FUNC:
            instance.exports[export.name] = funcs[export.index]
        elif export.kind == EXTERN_TABLE:
            instance.exports[export.name] = tables[export.index]
        elif export.kind == EXTERN_MEMORY:
            instance.exports[export.name] = memories[export.index]
        elif export.kind == EXTERN_TAG:
            instance.exports[export.name] = instance.tags[export.index]
        else:
            instance.exports[export.name] = globals_[export.index]

    apply_segments(plan, instance)

    if module.start is not None:
        invoke(funcs[module.start], (), getattr(runtime, "call_depth", None))
    return instance
