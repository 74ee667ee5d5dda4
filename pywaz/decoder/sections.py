"""Section contents (binary format §5.5.4-§5.5.15), one function per section id.

Enters: a :class:`Reader` positioned at a section's contents. Leaves: the
section's records (tuples of :mod:`pywaz.ir` values). Each function reads
exactly the grammar of its section; the caller checks the declared size.
"""

from __future__ import annotations

from ..errors import DecodeError
from ..ir import (
    EXTERN_FUNC,
    EXTERN_GLOBAL,
    EXTERN_MEMORY,
    EXTERN_TABLE,
    EXTERN_TAG,
    FUNCREF,
    HT_FUNC,
    MODE_ACTIVE,
    MODE_DECLARATIVE,
    MODE_PASSIVE,
    ConstExpr,
    DataSegment,
    ElementSegment,
    Export,
    FunctionBody,
    Global,
    Import,
    PLAIN_SUBTYPE,
    ArrayType,
    StructType,
    SubType,
    TableType,
    func_type,
    ref_type,
)
from ..opcodes import Op
from .instructions import decode_expr
from .lazybody import LazyFunctionBody, LazySource
from .leb import read_signed
from . import proposals
from .reader import Reader, type_code_error

MAX_LOCALS = 50_000
"""Implementation limit on declared locals per function (the spec's limit is 2**32-1)."""

_REF_FUNC = int(Op.REF_FUNC)
_I32_CONST = int(Op.I32_CONST)
_END = int(Op.END)
_I32_CONST_OPS = (_I32_CONST,)


def read_types(reader: Reader) -> tuple[tuple, tuple, tuple]:
    """The type section (§5.5.4): ``(types, sub_types, rec_groups)`` as the Module fields hold them.

    A 2.0 section (only ``func`` types) gives empty ``sub_types`` and ``rec_groups``.
    With GC, an entry is a rec group (0x4E, a vector of sub types) or a sub type:
    ``sub`` (0x50) / ``sub final`` (0x4F) with supertype indexes, or a bare
    composite type (func 0x60, struct 0x5F, array 0x5E), which is final.
    """
    types = []
    subs = []
    groups = []
    plain = True
    for _ in range(reader.length()):
        pos = reader.pos
        form = reader.byte()
        if form == 0x60:
            params = [reader.value_type() for _ in range(reader.length())]
            results = [reader.value_type() for _ in range(reader.length())]
            types.append(func_type(params, results))
            subs.append(PLAIN_SUBTYPE)
            groups.append(1)
            continue
        if form not in proposals.TYPE_FORMS:
            raise type_code_error("malformed function type", form, pos)
        if reader.features.gc is None:
            # Read past it (a malformed one is still reported as malformed); the module decoder
            # raises the proposal error at the end.
            features = reader.features
            if not reader.deferred:
                reader.deferred.append(proposals.proposal_off(*proposals.TYPE_FORMS[form], pos, features))
            reader.features = features.replace(gc=True, function_references=True)
            try:
                _read_sub_types(reader, form, pos, [], [])
            finally:
                reader.features = features
            continue
        proposals.check(proposals.TYPE_FORMS, form, pos, reader.features, f"malformed function type 0x{form:02x}")
        plain = False
        groups.append(_read_sub_types(reader, form, pos, types, subs))
    if plain:
        return tuple(types), (), ()
    return tuple(types), tuple(subs), tuple(groups)


def _read_sub_types(reader: Reader, form: int, pos: int, types: list, subs: list) -> int:
    """A rec group (form 0x4E) or one sub type after its form byte; returns how many types it defines."""
    if form != 0x4E:
        _read_sub_type(reader, form, pos, types, subs)
        return 1
    count = reader.length()
    for _ in range(count):
        _read_sub_type(reader, reader.byte(), reader.pos - 1, types, subs)
    return count


def _read_sub_type(reader: Reader, form: int, pos: int, types: list, subs: list) -> None:
    """One sub type (GC) after its form byte: appends its composite type and SubType."""
    if form == 0x50 or form == 0x4F:
        supertypes = tuple(reader.u32() for _ in range(reader.length()))
        sub = SubType(form == 0x4F, supertypes) if supertypes or form == 0x50 else PLAIN_SUBTYPE
        pos = reader.pos
        form = reader.byte()
    else:
        sub = PLAIN_SUBTYPE
    types.append(_read_composite_type(reader, form, pos))
    subs.append(sub)


def _read_composite_type(reader: Reader, form: int, pos: int):
    if form == 0x60:
        params = [reader.value_type() for _ in range(reader.length())]
        results = [reader.value_type() for _ in range(reader.length())]
        return func_type(params, results)
    if form == 0x5F:
        return StructType(tuple(reader.field_type() for _ in range(reader.length())))
    if form == 0x5E:
        return ArrayType(reader.field_type())
    raise type_code_error("malformed composite type", form, pos)


def read_imports(reader: Reader) -> tuple:
    imports = []
    for _ in range(reader.length()):
        offset = reader.pos
        module_name = reader.name()
        field = reader.name()
        kind_pos = reader.pos
        kind = reader.byte()
        if kind == EXTERN_FUNC:
            desc = reader.u32()
        elif kind == EXTERN_TABLE:
            desc = reader.table_type()
        elif kind == EXTERN_MEMORY:
            desc = reader.memory_type()
        elif kind == EXTERN_GLOBAL:
            desc = reader.global_type()
        elif kind == EXTERN_TAG and reader.features.exceptions:
            desc = read_tag_type(reader)
        else:
            proposals.check(proposals.EXTERN_KINDS, kind, kind_pos, reader.features,
                            f"malformed import kind 0x{kind:02x}", "import")
            raise DecodeError(f"malformed import kind 0x{kind:02x}", kind_pos)
        imports.append(Import(module_name, field, kind, desc, offset))
    return tuple(imports)


def read_tag_type(reader: Reader) -> int:
    """A tag type (exception handling): the attribute byte 0 (an exception), then a type index."""
    pos = reader.pos
    if reader.byte() != 0:
        raise DecodeError("malformed tag attribute", pos)
    return reader.u32()


def read_tags(reader: Reader) -> tuple:
    """The tag section (id 13, exception handling): one type index per tag."""
    return tuple(read_tag_type(reader) for _ in range(reader.length()))


def read_functions(reader: Reader) -> tuple:
    return tuple(reader.u32() for _ in range(reader.length()))


def read_tables(reader: Reader, memargs: dict) -> tuple:
    """The table section: table types, each optionally (0x40 0x00, typed function references) with an initializer."""
    tables = []
    data = reader.data
    for _ in range(reader.length()):
        pos = reader.pos
        if pos < reader.size and data[pos] == 0x40 and reader.features.function_references:
            reader.pos += 1
            zero_pos = reader.pos
            if reader.byte() != 0x00:
                raise DecodeError("malformed table type (0x40 must be followed by 0x00)", zero_pos)
            elem_type = reader.ref_type()
            limits, address_type, _shared = reader.limits()
            tables.append(TableType(elem_type, limits, address_type, read_const_expr(reader, memargs)))
        else:
            tables.append(reader.table_type())
    return tuple(tables)


def read_memories(reader: Reader) -> tuple:
    return tuple(reader.memory_type() for _ in range(reader.length()))


def read_const_expr(reader: Reader, memargs: dict) -> ConstExpr:
    """A constant expression: any instructions up to ``end`` (constness is validation's job)."""
    offset = reader.pos
    data = reader.data
    if offset < reader.size and data[offset] == _I32_CONST:
        # Fast path for the overwhelmingly common `i32.const N end` (segment offsets).
        value, end = read_signed(data, offset + 1, 32)
        if end < reader.size and data[end] == _END:
            reader.pos = end + 1
            return ConstExpr((_I32_CONST,), (value & 0xFFFFFFFF,), offset)
    ops, imms, _offsets, reader.pos, _ = decode_expr(data, offset, memargs, reader.features, reader.deferred)
    return ConstExpr(tuple(ops[:-1]), tuple(imms[:-1]), offset)


def read_globals(reader: Reader, memargs: dict) -> tuple:
    globals_ = []
    for _ in range(reader.length()):
        global_type = reader.global_type()
        globals_.append(Global(global_type, read_const_expr(reader, memargs)))
    return tuple(globals_)


def read_exports(reader: Reader) -> tuple:
    exports = []
    for _ in range(reader.length()):
        offset = reader.pos
        export_name = reader.name()
        kind_pos = reader.pos
        kind = reader.byte()
        if kind > EXTERN_GLOBAL and not (kind == EXTERN_TAG and reader.features.exceptions):
            proposals.check(proposals.EXTERN_KINDS, kind, kind_pos, reader.features,
                            f"malformed export kind 0x{kind:02x}", "export")
            raise DecodeError(f"malformed export kind 0x{kind:02x}", kind_pos)
        exports.append(Export(export_name, kind, reader.u32(), offset))
    return tuple(exports)


def read_start(reader: Reader) -> int:
    return reader.u32()


def _elem_kind(reader: Reader):
    pos = reader.pos
    if reader.byte() != 0x00:
        raise DecodeError("malformed element kind", pos)
    return _func_index_type(reader)


_NON_NULL_FUNC = ref_type(False, HT_FUNC)


def _func_index_type(reader: Reader):
    """The type of a segment of function indexes: ``(ref func)`` in 3.0 (its elements are never null), else funcref."""
    return _NON_NULL_FUNC if reader.features.function_references else FUNCREF


def _func_index_exprs(reader: Reader) -> tuple:
    exprs = []
    for _ in range(reader.length()):
        offset = reader.pos
        exprs.append(ConstExpr((_REF_FUNC,), (reader.u32(),), offset))
    return tuple(exprs)


def _const_exprs(reader: Reader, memargs: dict) -> tuple:
    return tuple(read_const_expr(reader, memargs) for _ in range(reader.length()))


def read_elements(reader: Reader, memargs: dict) -> tuple:
    """Element segments, all eight encodings (§5.5.12)."""
    segments = []
    for _ in range(reader.length()):
        offset = reader.pos
        flags = reader.u32()
        if flags > 7:
            raise DecodeError(f"malformed elements segment kind {flags}", offset)
        table_index = 0
        offset_expr = None
        if flags & 1:
            mode = MODE_DECLARATIVE if flags & 2 else MODE_PASSIVE
        else:
            mode = MODE_ACTIVE
            if flags & 2:
                table_index = reader.u32()
            offset_expr = read_const_expr(reader, memargs)
        uses_exprs = bool(flags & 4)
        if flags & 3:  # explicit element kind / reference type
            elem_type = reader.ref_type() if uses_exprs else _elem_kind(reader)
        else:
            elem_type = FUNCREF if uses_exprs else _func_index_type(reader)
        init = _const_exprs(reader, memargs) if uses_exprs else _func_index_exprs(reader)
        segments.append(ElementSegment(mode, elem_type, init, table_index, offset_expr, offset))
    return tuple(segments)


def read_data_count(reader: Reader) -> int:
    return reader.u32()


def read_datas(reader: Reader, memargs: dict) -> tuple:
    segments = []
    data = reader.data
    size = reader.size
    for _ in range(reader.length()):
        offset = reader.pos
        # Fast path for the common active segment `0x00 (i32.const N) end len bytes`, with N and the
        # length read inline while their LEB128s are short; anything else takes the general path below.
        if size - offset > 4 and data[offset] == 0 and data[offset + 1] == _I32_CONST:
            value, pos = read_signed(data, offset + 2, 32)
            if pos + 1 < size and data[pos] == _END and data[pos + 1] < 0x80:
                length = data[pos + 1]
                start = pos + 2
                if start + length <= size:
                    reader.pos = start + length
                    segments.append(DataSegment(MODE_ACTIVE, data[start : start + length], 0,
                                                ConstExpr(_I32_CONST_OPS, (value & 0xFFFFFFFF,), offset + 1),
                                                offset))
                    continue
        flags = reader.u32()
        if flags == 0:
            offset_expr = read_const_expr(reader, memargs)
            segments.append(DataSegment(MODE_ACTIVE, reader.bytes(reader.length()), 0, offset_expr, offset))
        elif flags == 1:
            segments.append(DataSegment(MODE_PASSIVE, reader.bytes(reader.length()), 0, None, offset))
        elif flags == 2:
            memory_index = reader.u32()
            offset_expr = read_const_expr(reader, memargs)
            segments.append(DataSegment(MODE_ACTIVE, reader.bytes(reader.length()), memory_index, offset_expr, offset))
        else:
            raise DecodeError(f"malformed data segment kind {flags}", offset)
    return tuple(segments)


def read_locals(reader: Reader) -> tuple:
    """Local declarations (§5.5.13), expanded to one type per local.

    Raises:
        DecodeError: "too many locals" when the total reaches 2**32 (spec) or
            exceeds :data:`MAX_LOCALS` (implementation limit).
    """
    pos = reader.pos
    groups = []
    total = 0
    for _ in range(reader.length()):
        count = reader.u32()
        groups.append((count, reader.value_type()))
        total += count
    if total >= 1 << 32:
        raise DecodeError("too many locals", pos)
    if total > MAX_LOCALS:
        raise DecodeError(f"too many locals: {total} declared, implementation limit is {MAX_LOCALS}", pos)
    locals_: list[int] = []
    for count, valtype in groups:
        locals_ += [valtype] * count
    return tuple(locals_)


def read_codes(reader: Reader, memargs: dict, fast=None, imported_funcs: int = 0,
               fork: bool = True) -> tuple[tuple, bool]:
    """Function bodies (§5.5.13). Returns the bodies and whether any uses a data index.

    With ``fast`` (a :class:`~pywaz.validator._prevalidate.FastContext` of the
    sections before this one), each body is first given to the one-pass check;
    a body it shows well formed and valid becomes a
    :class:`~.lazybody.LazyFunctionBody` whose instruction lists are decoded on
    first use. Every other body is decoded here as usual, so malformed bodies
    raise exactly as without ``fast``. ``imported_funcs`` is how many functions
    the imports define (the first body is function ``imported_funcs``); ``fork``
    lets the check use a second process on large code sections (see
    :func:`~pywaz.validator._prevalidate.check_many`).

    Raises:
        DecodeError: malformed body, or a body whose ``end`` is not at its declared size
            ("section size mismatch").
    """
    count = reader.length()
    verdicts = _check_bodies(reader, count, fast, imported_funcs, fork) if fast is not None else {}
    if verdicts:
        # The lazy bodies keep a copy of the code they need, not the caller's bytes object.
        source = LazySource(reader.data, reader.pos, max(end for _locals, _pos, end in verdicts.values()),
                            memargs, reader.features)
    bodies = []
    uses_data_index = False
    for local_index in range(count):
        size = reader.length()
        body_end = reader.pos + size
        found = verdicts.get(local_index)
        if found is not None:  # (locals, where the instructions start, end): shown well formed and valid
            bodies.append(LazyFunctionBody.deferred(found[0], reader.pos, body_end, found[1], source, fast))
            reader.pos = body_end
            continue
        body, uses = read_body(reader, body_end, memargs)
        uses_data_index = uses_data_index or uses
        bodies.append(body)
    return tuple(bodies), uses_data_index


def _check_bodies(reader: Reader, count: int, fast, imported_funcs: int, fork: bool) -> dict:
    """The bodies the one-pass check shows well formed and valid: ``{local index: (locals, code position, end)}``.

    Reads ahead over the body sizes and locals from ``reader.pos`` without moving
    it; stops at the first size or locals declaration it cannot read (the
    caller's in-order pass then reports it, after any earlier body's error).
    """
    from ..validator._prevalidate import NUMERIC, check_many

    data = reader.data
    ahead = Reader(data, reader.pos, reader.features)
    func_sigs = fast.func_sigs
    jobs = []  # (local index, code position, body end, local types, results, locals)
    try:
        for local_index in range(count):
            size = ahead.length()
            body_end = ahead.pos + size
            locals_ = read_locals(ahead)
            func_index = imported_funcs + local_index
            sig = func_sigs[func_index] if func_index < len(func_sigs) else None
            if sig is not None and (not locals_ or NUMERIC.issuperset(locals_)):
                jobs.append((local_index, ahead.pos, body_end, tuple(sig[0]) + locals_, sig[1], locals_))
            ahead.pos = body_end
    except DecodeError:
        pass
    verdicts = check_many(data, [job[1:5] for job in jobs], fast, fork)
    return {job[0]: (job[5], job[1], job[2]) for job, ok in zip(jobs, verdicts) if ok}


def read_body(reader: Reader, body_end: int, memargs: dict) -> tuple[FunctionBody, bool]:
    """One function body from ``reader.pos`` to ``body_end`` (§5.5.13), and whether it uses a data index.

    Also used alone, by the cache, to decode one function of a module it has the spans of.

    Raises:
        DecodeError: malformed body, or its ``end`` is not at ``body_end`` ("section size mismatch").
    """
    body_start = reader.pos
    locals_ = read_locals(reader)
    ops, imms, offsets, end, uses = decode_expr(reader.data, reader.pos, memargs, reader.features, reader.deferred)
    if end != body_end:
        raise DecodeError("section size mismatch (function body)", body_start)
    reader.pos = end
    return FunctionBody(locals_, ops, imms, offsets, body_start, body_end), uses
