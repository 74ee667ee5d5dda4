"""Instruction sequences (binary format §5.4): function bodies and constant expressions.

Enters: the module bytes and the offset of the first instruction. Leaves:
parallel ``ops``/``imms``/``offsets`` lists (one entry per instruction, the
final ``end`` included, immediates in the shapes documented in
:mod:`pywaz.opcodes`) and the offset just past that final ``end``.

The decoder is one flat loop: nesting is tracked with a list used as a stack,
never with recursion, so a body nested thousands of blocks deep decodes like
any other. It checks what the binary grammar requires (``else`` only inside
``if``, exactly one ``end`` per block, immediates well formed) and leaves
typing and index checks to the validator.

Like the reference interpreter, reads are bounded by the end of the module,
not of the enclosing section or body; the caller compares the end position
with the declared size ("section size mismatch").
"""

from __future__ import annotations

from array import array

from ..errors import DecodeError
from ..features import DEFAULT as DEFAULT_FEATURES
from . import proposals
from ..ir import ABSTRACT_REF_CODES, EXNREF, EXTERNREF, FUNCREF, VALUE_TYPES, func_type, ref_type
from ..opcodes import ATOMIC_FIRST, IMMEDIATES, SIMD_END, SIMD_FIRST, split_opcode
from .leb import UNEXPECTED_END, read_signed, read_unsigned
from .reader import read_heap_type, read_value_type, type_code_error

# Immediate kinds, numbered roughly by frequency so the dispatch chain in
# decode_expr tests common kinds first.
K_INDEX = 0  # one u32: label, func, local, global, table, elem, data
K_NONE = 1
K_I32 = 2
K_MEMARG = 3
K_END = 4
K_BLOCK = 5  # block / loop
K_IF = 6
K_ELSE = 7
K_I64 = 8
K_F32 = 9
K_F64 = 10
K_BR_TABLE = 11
K_CALL_INDIRECT = 12
K_MEMIDX = 13  # a memory index (2.0: a single reserved zero byte)
K_SELECT_T = 14
K_REFTYPE = 15
K_PREFIX_FC = 16
K_PREFIX_FD = 17
K_MEMARG_LANE = 18
K_V128 = 19
K_SHUFFLE = 20
K_LANE = 21
K_MEMORY_INIT = 22
K_MEMORY_COPY = 23
K_PAIR = 24  # two u32s: table.init (elem, table), table.copy (dst, src)
K_DATA_INDEX = 25  # data.drop: an index, and needs a data count section
K_ILLEGAL = 99

_KIND_BY_NAME = {
    "-": K_NONE,
    "label": K_INDEX,
    "func": K_INDEX,
    "local": K_INDEX,
    "global": K_INDEX,
    "table": K_INDEX,
    "elem": K_INDEX,
    "data": K_DATA_INDEX,
    "blocktype": K_BLOCK,
    "br_table": K_BR_TABLE,
    "call_indirect": K_CALL_INDIRECT,
    "memarg": K_MEMARG,
    "memarg_lane": K_MEMARG_LANE,
    "memidx": K_MEMIDX,
    "memory.init": K_MEMORY_INIT,
    "memory.copy": K_MEMORY_COPY,
    "table.init": K_PAIR,
    "table.copy": K_PAIR,
    "i32": K_I32,
    "i64": K_I64,
    "f32": K_F32,
    "f64": K_F64,
    "v128": K_V128,
    "shuffle": K_SHUFFLE,
    "lane": K_LANE,
    "reftype": K_REFTYPE,
    "select_t": K_SELECT_T,
    "tag": K_INDEX,
    "try_table": K_ILLEGAL,  # proposals' instructions are decoded by _proposal_immediates
    "type": K_ILLEGAL,  # GC (0xFB prefix) and typed function references: decoded by _gc_instruction
    "field": K_ILLEGAL,
    "type_nat": K_ILLEGAL,
    "type_data": K_ILLEGAL,
    "type_elem": K_ILLEGAL,
    "type_type": K_ILLEGAL,
    "ref_test": K_ILLEGAL,
    "br_on_cast": K_ILLEGAL,
    "try": K_ILLEGAL,
    "delegate": K_ILLEGAL,
}


def _build_kind_tables() -> tuple[list[int], list[int], list[int]]:
    single = [K_ILLEGAL] * 256
    misc = [K_ILLEGAL] * 256
    simd = [K_ILLEGAL] * (SIMD_END - SIMD_FIRST)  # relaxed SIMD's sub-opcodes reach 0x113
    for code, kind_name in IMMEDIATES.items():
        if code >= ATOMIC_FIRST:
            continue  # atomics (0xFE prefix): decoded by _atomic
        kind = _KIND_BY_NAME[kind_name]
        prefix, sub = split_opcode(code)
        if prefix is None:
            single[sub] = kind
        elif prefix == 0xFC:
            misc[sub] = kind
        elif prefix == 0xFD:
            simd[sub] = kind
        elif prefix == 0xFB:
            continue  # GC: decoded by _gc_instruction
        else:  # pragma: no cover - guards the opcode table itself
            raise ValueError(f"opcode 0x{code:x} has no encoding")
    single[0x04] = K_IF
    single[0x05] = K_ELSE
    single[0x0B] = K_END
    single[0xFC] = K_PREFIX_FC
    single[0xFD] = K_PREFIX_FD
    # A proposal's instructions take the slow path, which checks the proposal's switch first.
    for code in proposals.OPCODES:
        single[code] = K_ILLEGAL
    return single, misc, simd


KINDS, MISC_KINDS, SIMD_KINDS = _build_kind_tables()

EMPTY_BLOCK_TYPE = func_type((), ())
# Single-byte block types 0x40..0x7F: 0x40 is empty, value types are [] -> [t].
_BLOCK_TYPES: dict[int, object] = {0x40: EMPTY_BLOCK_TYPE}
for _t in VALUE_TYPES:
    _BLOCK_TYPES[_t] = func_type((), (_t,))
_REF_TYPES = {FUNCREF: FUNCREF, EXTERNREF: EXTERNREF}

MASK32 = 0xFFFFFFFF
MASK64 = 0xFFFFFFFFFFFFFFFF
MAX_ALIGN_EXCLUSIVE = 32  # align exponents >= 32 are malformed ("malformed memop flags")


def decode_expr(data: bytes, pos: int, memargs: dict, features=DEFAULT_FEATURES,
                deferred: list | None = None) -> tuple[list, list, array, int, bool]:
    """Decode instructions from ``pos`` through the ``end`` that closes depth 0.

    ``memargs`` is a cache shared across the module so equal memargs are one tuple;
    ``features`` (a :class:`~pywaz.features.Features`) says which proposals' instructions are accepted.
    Returns ``(ops, imms, offsets, end_pos, uses_data_index)``; the last is True if
    ``memory.init`` or ``data.drop`` occurs (they need a data count section).

    An instruction of a proposal pywaz does not implement is read past when its
    shape is known and ``deferred`` is a list: the proposal error is appended
    there (the first one only) for the caller to raise once the whole module
    has decoded, so that a binary that is also malformed is still reported as
    malformed. Without ``deferred`` it is raised at once.

    Raises:
        DecodeError: malformed instruction or immediate, misplaced ``else``, or
            the module ends before the closing ``end``.
    """
    ops: list[int] = []
    imms: list[object] = []
    offsets = array("L")
    ops_append = ops.append
    imms_append = imms.append
    offsets_append = offsets.append
    kinds = KINDS
    block_types = _BLOCK_TYPES
    memargs_get = memargs.get
    # One entry per open block: True for an `if` that may still take an `else`.
    open_blocks: list[bool] = []
    push_block = open_blocks.append
    pop_block = open_blocks.pop
    uses_data_index = False
    start = pos
    try:
        while True:
            start = pos
            op = data[pos]
            pos += 1
            kind = kinds[op]
            if kind == K_INDEX:
                byte = data[pos]
                if byte < 0x80:
                    imm = byte
                    pos += 1
                else:
                    high = data[pos + 1]
                    if high < 0x80:
                        imm = (byte & 0x7F) | high << 7
                        pos += 2
                    else:
                        imm, pos = read_unsigned(data, pos, 32)
            elif kind == K_NONE:
                imm = None
            elif kind == K_I32:
                byte = data[pos]
                if byte < 0x40:
                    imm = byte
                    pos += 1
                elif byte < 0x80:
                    imm = byte + 0xFFFFFF80  # negative one-byte value, as unsigned 32-bit
                    pos += 1
                else:
                    high = data[pos + 1]
                    if high < 0x80:  # two bytes: 14 bits, sign in bit 6 of the second
                        imm = (byte & 0x7F) | high << 7
                        if high & 0x40:
                            imm -= 1 << 14
                        imm &= MASK32
                        pos += 2
                    else:
                        imm, pos = read_signed(data, pos, 32)
                        imm &= MASK32
            elif kind == K_MEMARG:
                align = data[pos]
                if align < MAX_ALIGN_EXCLUSIVE and data[pos + 1] < 0x80:
                    offset = data[pos + 1]
                    pos += 2
                    key = offset << 5 | align
                    imm = memargs_get(key)
                    if imm is None:
                        imm = memargs[key] = (align, offset, 0)
                else:
                    imm, pos = _memarg(data, pos, memargs, features)
            elif kind == K_END:
                imm = None
                if not open_blocks:
                    ops_append(op)
                    imms_append(None)
                    offsets_append(start)
                    return ops, imms, offsets, pos, uses_data_index
                pop_block()
            elif kind == K_BLOCK or kind == K_IF:
                byte = data[pos]
                if 0x40 <= byte < 0x80:
                    imm = block_types.get(byte)
                    if imm is None:
                        imm, pos = _proposal_block_type(data, pos, features)
                    else:
                        pos += 1
                elif byte < 0x40:
                    imm = byte
                    pos += 1
                else:
                    imm, pos = _block_type_index(data, pos)
                push_block(kind == K_IF)
            elif kind == K_ELSE:
                if not open_blocks or not open_blocks[-1]:
                    raise DecodeError("END opcode expected (misplaced else)", start)
                open_blocks[-1] = False
                imm = None
            elif kind == K_I64:
                byte = data[pos]
                if byte < 0x40:
                    imm = byte
                    pos += 1
                elif byte < 0x80:
                    imm = byte + 0xFFFFFFFFFFFFFF80  # negative one-byte value, as unsigned 64-bit
                    pos += 1
                else:
                    high = data[pos + 1]
                    if high < 0x80:
                        imm = (byte & 0x7F) | high << 7
                        if high & 0x40:
                            imm -= 1 << 14
                        imm &= MASK64
                        pos += 2
                    else:
                        imm, pos = read_signed(data, pos, 64)
                        imm &= MASK64
            elif kind == K_F32:
                if pos + 4 > len(data):
                    raise DecodeError(UNEXPECTED_END, len(data))
                imm = int.from_bytes(data[pos : pos + 4], "little")
                pos += 4
            elif kind == K_F64:
                if pos + 8 > len(data):
                    raise DecodeError(UNEXPECTED_END, len(data))
                imm = int.from_bytes(data[pos : pos + 8], "little")
                pos += 8
            elif kind == K_BR_TABLE:
                imm, pos = _br_table(data, pos)
            elif kind == K_CALL_INDIRECT:
                type_index, pos = _u32(data, pos)
                table_index, pos = _u32(data, pos)
                imm = (type_index, table_index)
            elif kind == K_MEMIDX:
                imm, pos = _memory_index(data, pos, features)
            elif kind == K_SELECT_T:
                imm, pos = _select_types(data, pos, features)
            elif kind == K_REFTYPE:
                imm = _REF_TYPES.get(data[pos])
                if imm is None:
                    imm, pos = _ref_null_type(data, pos, features)
                else:
                    pos += 1
            elif kind == K_PREFIX_FC or kind == K_PREFIX_FD:
                op, imm, pos = _prefixed(data, pos, op, kind, start, memargs_get, memargs, features)
                if op == 0xFC08 or op == 0xFC09:
                    uses_data_index = True
            elif op == 0xFB and features.gc:
                op, imm, pos = _gc_instruction(data, pos, start, features)
                if op == 0xFB09 or op == 0xFB12:  # array.new_data / array.init_data
                    uses_data_index = True
            elif op == 0xFE and features.threads:
                op, imm, pos = _atomic(data, pos, start, memargs, features)
            else:
                switch = getattr(features, proposals.OPCODES[op][0]) if op in _PROPOSAL_SHAPES else False
                if op == 0xFB and switch is None and deferred is not None:
                    op, imm, pos = _gc_instruction(data, pos, start, features)
                    if not deferred:
                        deferred.append(proposals.proposal_off(*proposals.OPCODES[0xFB], start, features))
                    ops_append(op)
                    imms_append(imm)
                    offsets_append(start)
                    continue
                if switch:
                    imm, pos = _proposal_immediates(op, data, pos, open_blocks, start, features)
                elif deferred is not None and switch is None:
                    imm, pos = _proposal_immediates(op, data, pos, open_blocks, start, features)
                    if not deferred:
                        deferred.append(proposals.proposal_off(*proposals.OPCODES[op], start, features))
                else:
                    proposals.check(proposals.OPCODES, op, start, features, f"illegal opcode 0x{op:02x}")
                    raise DecodeError(f"illegal opcode 0x{op:02x}", start)
            ops_append(op)
            imms_append(imm)
            offsets_append(start)
    except IndexError:
        raise DecodeError(UNEXPECTED_END, len(data)) from None


# Immediates of the single-byte instructions of 3.0 proposals: decoded here when the proposal is on, and
# read past when pywaz does not run it (see decode_expr's ``deferred``): "block" opens a block, "end" closes one.
_PROPOSAL_SHAPES = {
    0x06: "block",  # try
    0x07: "index",  # catch tag
    0x08: "index",  # throw tag
    0x09: "index",  # rethrow label
    0x0A: "none",  # throw_ref
    0x12: "index",  # return_call
    0x13: "pair",  # return_call_indirect type table
    0x14: "index",  # call_ref type
    0x15: "index",  # return_call_ref type
    0x18: "end",  # delegate label
    0x19: "none",  # catch_all
    0x1F: "try_table",
    0xD3: "none",  # ref.eq
    0xD4: "none",  # ref.as_non_null
    0xD5: "index",  # br_on_null label
    0xD6: "index",  # br_on_non_null label
}


def _proposal_immediates(op: int, data: bytes, pos: int, open_blocks: list, start: int, features):
    """The immediates of a proposal instruction: ``(imm, pos)`` (see ``_PROPOSAL_SHAPES``)."""
    shape = _PROPOSAL_SHAPES[op]
    if shape == "none":
        return None, pos
    if shape == "index":
        return _u32(data, pos)
    if shape == "pair":
        first, pos = _u32(data, pos)
        second, pos = _u32(data, pos)
        return (first, second), pos
    if shape == "end":
        if not open_blocks:
            raise DecodeError("unexpected delegate outside a try block", start)
        open_blocks.pop()
        return _u32(data, pos)
    block_type, pos = _any_block_type(data, pos, features)
    open_blocks.append(False)
    if shape == "block":
        return block_type, pos
    count_pos = pos
    count, pos = _u32(data, pos)  # try_table: its catch clauses
    if count > len(data) - count_pos:
        raise DecodeError("length out of bounds", count_pos)
    clauses = []
    for _ in range(count):
        kind_pos = pos
        kind = data[pos]
        pos += 1
        if kind > 3:
            raise DecodeError(f"malformed catch clause 0x{kind:02x}", kind_pos)
        tag = None
        if kind < 2:  # catch / catch_ref name a tag
            tag, pos = _u32(data, pos)
        label, pos = _u32(data, pos)
        clauses.append((kind, tag, label))
    return (block_type, tuple(clauses)), pos


def _any_block_type(data: bytes, pos: int, features):
    byte = data[pos]
    if 0x40 <= byte < 0x80:
        block_type = _BLOCK_TYPES.get(byte)
        if block_type is None:
            return _proposal_block_type(data, pos, features)
        return block_type, pos + 1
    if byte < 0x40:
        return byte, pos + 1
    return _block_type_index(data, pos)


def _proposal_block_type(data: bytes, pos: int, features):
    """A block type ``[] -> [t]`` whose ``t`` belongs to a proposal (exnref, a GC or typed reference): (type, pos).

    Raises:
        ProposalError / DecodeError: the proposal is off, or the bytes are no value type.
    """
    byte = data[pos]
    if byte in ABSTRACT_REF_CODES or byte == 0x63 or byte == 0x64:
        valtype, end = read_value_type(data, pos, features)
        return func_type((), (valtype,)), end
    raise DecodeError("malformed value type", pos)


def _ref_null_type(data: bytes, pos: int, features):
    """``ref.null``'s heap type other than func / extern: (the nullable reference type it pushes, pos)."""
    byte = data[pos]
    if not features.function_references and not features.gc:
        # 2.0 (and exception handling) read a one-byte reference type.
        if byte == EXNREF and features.exceptions:
            return EXNREF, pos + 1
        proposals.check(proposals.TYPE_CODES, byte, pos, features, f"malformed reference type 0x{byte:02x}")
        raise type_code_error("malformed reference type", byte, pos)
    heap, end = read_heap_type(data, pos, features)
    return ref_type(True, heap), end


# Immediate shapes of the 0xFB-prefixed (GC) instructions, by sub-opcode.
_GC_TYPE = 0  # a type index
_GC_PAIR = 1  # two u32s: (type, field), (type, count), (type, data), (type, elem), (type, type)
_GC_NONE = 2
_GC_HEAP = 3  # ref.test / ref.cast: a heap type
_GC_BR_ON_CAST = 4
_GC_SHAPES = (
    [_GC_TYPE, _GC_TYPE] + [_GC_PAIR] * 4  # struct.new(_default), struct.get(_s/_u), struct.set
    + [_GC_TYPE, _GC_TYPE, _GC_PAIR, _GC_PAIR, _GC_PAIR]  # array.new(_default/_fixed/_data/_elem)
    + [_GC_TYPE] * 4 + [_GC_NONE, _GC_TYPE, _GC_PAIR, _GC_PAIR, _GC_PAIR]  # get(_s/_u), set, len, fill, copy, init_*
    + [_GC_HEAP] * 4 + [_GC_BR_ON_CAST] * 2 + [_GC_NONE] * 5
)


def _gc_instruction(data: bytes, pos: int, start: int, features):
    """A 0xFB-prefixed (GC) instruction after its prefix byte: ``(op, imm, pos)``.

    Immediates: a type index; a pair of u32s; for ref.test / ref.cast the
    reference type tested (nullable for the odd sub-opcodes); for br_on_cast(_fail)
    ``(label, source type, target type)`` with nullability from the flags byte.

    Raises:
        DecodeError: an unknown sub-opcode, malformed flags or heap type.
    """
    sub, pos = _u32(data, pos)
    if sub >= len(_GC_SHAPES):
        raise DecodeError(f"illegal opcode 0xfb 0x{sub:x}", start)
    op = 0xFB00 + sub
    shape = _GC_SHAPES[sub]
    if shape == _GC_TYPE:
        imm, pos = _u32(data, pos)
        return op, imm, pos
    if shape == _GC_PAIR:
        first, pos = _u32(data, pos)
        second, pos = _u32(data, pos)
        return op, (first, second), pos
    if shape == _GC_NONE:
        return op, None, pos
    if shape == _GC_HEAP:
        heap, pos = read_heap_type(data, pos, features)
        return op, ref_type(sub & 1 == 1, heap), pos
    flags_pos = pos
    flags = data[pos]
    if flags > 3:
        raise DecodeError(f"malformed br_on_cast flags 0x{flags:02x}", flags_pos)
    label, pos = _u32(data, pos + 1)
    source, pos = read_heap_type(data, pos, features)
    target, pos = read_heap_type(data, pos, features)
    return op, (label, ref_type(flags & 1 == 1, source), ref_type(flags & 2 == 2, target)), pos


def _u32(data: bytes, pos: int) -> tuple[int, int]:
    byte = data[pos]
    if byte < 0x80:
        return byte, pos + 1
    return read_unsigned(data, pos, 32)


def _memory_index(data: bytes, pos: int, features) -> tuple[int, int]:
    """A memory index: a u32 with multiple memories, else 2.0's reserved zero byte."""
    if data[pos] == 0:
        return 0, pos + 1
    if not features.multi_memory:
        raise proposals.proposal_off("multi_memory", "memory index", pos, features, "zero byte expected")
    return _u32(data, pos)


def _memarg(data: bytes, pos: int, memargs: dict, features) -> tuple[tuple[int, int, int], int]:
    """A memarg (§5.4.6): ``(align, offset, memory_index)``.

    3.0 reads a u32 of flags: below 2**6 it is the alignment exponent; with bit 6
    set a memory index follows (multiple memories) and the alignment is the low
    six bits; 2**7 and above is malformed. The offset is a u64 (memory64; the
    validator keeps it below 2**32 for 32-bit memories). Without multiple
    memories, 2.0's reading applies: an exponent of 32 or more is malformed.
    """
    flags_pos = pos
    flags = data[pos]
    if flags < 0x80:
        pos += 1
    else:
        flags, pos = read_unsigned(data, pos, 32)
    memory_index = 0
    if flags >= MAX_ALIGN_EXCLUSIVE:
        if not features.multi_memory:
            if 0x40 <= flags < 0x80:
                raise proposals.proposal_off("multi_memory", "memory index in a memarg", flags_pos, features,
                                             "malformed memop flags")
            raise DecodeError("malformed memop flags", pos - 1)
        if flags >= 0x80:
            raise DecodeError("malformed memop flags", flags_pos)
        if flags >= 0x40:
            flags -= 0x40
            memory_index, pos = _u32(data, pos)
    offset_pos = pos
    offset = data[pos]
    if offset < 0x80:
        pos += 1
    elif features.memory64:
        offset, pos = read_unsigned(data, pos, 64)
    else:
        try:
            offset, pos = read_unsigned(data, pos, 32)
        except DecodeError as error:
            try:
                read_unsigned(data, offset_pos, 64)
            except DecodeError:
                raise error from None
            raise proposals.proposal_off("memory64", "64-bit memarg offset", offset_pos, features,
                                         error.message) from None
    if memory_index == 0 and flags < MAX_ALIGN_EXCLUSIVE:
        key = offset << 5 | flags
        imm = memargs.get(key)
        if imm is None:
            imm = memargs[key] = (flags, offset, 0)
        return imm, pos
    imm = (flags, offset, memory_index)
    return memargs.setdefault(imm, imm), pos


def _block_type_index(data: bytes, pos: int) -> tuple[int, int]:
    value, end = read_signed(data, pos, 33)
    if value < 0:
        raise DecodeError("malformed block type (negative type index)", pos)
    return value, end


def _br_table(data: bytes, pos: int) -> tuple[tuple[int, ...], int]:
    count_pos = pos
    count, pos = _u32(data, pos)
    if count > len(data) - count_pos:
        raise DecodeError("length out of bounds", count_pos)
    labels = []
    append = labels.append
    for _ in range(count + 1):  # the targets, then the default
        byte = data[pos]
        if byte < 0x80:
            append(byte)
            pos += 1
        else:
            label, pos = read_unsigned(data, pos, 32)
            append(label)
    return tuple(labels), pos


def _select_types(data: bytes, pos: int, features) -> tuple[tuple[int, ...], int]:
    count_pos = pos
    count, pos = _u32(data, pos)
    if count > len(data) - count_pos:
        raise DecodeError("length out of bounds", count_pos)
    types = []
    for _ in range(count):
        valtype = data[pos]
        if valtype in VALUE_TYPES:
            pos += 1
        else:
            valtype, pos = read_value_type(data, pos, features)
        types.append(valtype)
    return tuple(types), pos


def _prefixed(data: bytes, pos: int, prefix: int, prefix_kind: int, start: int, memargs_get, memargs: dict, features):
    """Decode a 0xFC / 0xFD instruction after its prefix byte: (op, imm, pos)."""
    sub, pos = _u32(data, pos)
    table = MISC_KINDS if prefix_kind == K_PREFIX_FC else SIMD_KINDS
    kind = table[sub] if sub < len(table) else K_ILLEGAL
    op = (prefix << 8) + sub  # "+", not "|": relaxed SIMD's sub-opcodes are 9 bits (0xFD 0x100 is 0xFE00)
    if sub >= 0x100 and prefix_kind == K_PREFIX_FD and kind != K_ILLEGAL and not features.relaxed_simd:
        raise proposals.proposal_off("relaxed_simd", f"instruction 0xfd 0x{sub:x}", start, features,
                                     f"illegal opcode 0xfd 0x{sub:x}")
    if kind == K_NONE:
        return op, None, pos
    if kind == K_MEMARG:
        imm, pos = _memarg(data, pos, memargs, features)
        return op, imm, pos
    if kind == K_INDEX or kind == K_DATA_INDEX:
        imm, pos = _u32(data, pos)
        return op, imm, pos
    if kind == K_LANE:
        return op, data[pos], pos + 1
    if kind == K_MEMARG_LANE:
        (align, offset, memory_index), pos = _memarg(data, pos, memargs, features)
        return op, (align, offset, memory_index, data[pos]), pos + 1
    if kind == K_V128:
        if pos + 16 > len(data):
            raise DecodeError(UNEXPECTED_END, len(data))
        return op, int.from_bytes(data[pos : pos + 16], "little"), pos + 16
    if kind == K_SHUFFLE:
        if pos + 16 > len(data):
            raise DecodeError(UNEXPECTED_END, len(data))
        return op, bytes(data[pos : pos + 16]), pos + 16
    if kind == K_MEMIDX:
        imm, pos = _memory_index(data, pos, features)
        return op, imm, pos
    if kind == K_MEMORY_INIT:
        data_index, pos = _u32(data, pos)
        memory_index, pos = _memory_index(data, pos, features)
        return op, (data_index, memory_index), pos
    if kind == K_MEMORY_COPY:
        destination, pos = _memory_index(data, pos, features)
        source, pos = _memory_index(data, pos, features)
        return op, (destination, source), pos
    if kind == K_PAIR:
        first, pos = _u32(data, pos)
        second, pos = _u32(data, pos)
        return op, (first, second), pos
    raise DecodeError(f"illegal opcode 0x{prefix:02x} 0x{sub:x}", start)


_ATOMIC_SUBS = frozenset(code - ATOMIC_FIRST for code in IMMEDIATES if code >= ATOMIC_FIRST)
_ATOMIC_FENCE = 0x03


def _atomic(data: bytes, pos: int, start: int, memargs: dict, features):
    """Decode a 0xFE (threads) instruction after its prefix byte: ``(op, imm, pos)``, op ``0xFF00 + sub``.

    Every atomic takes a memarg except ``atomic.fence``, whose immediate is a reserved zero byte.

    Raises:
        DecodeError: an unknown sub-opcode, a malformed memarg, or a fence byte other than zero.
    """
    sub, pos = _u32(data, pos)
    if sub not in _ATOMIC_SUBS:
        raise DecodeError(f"illegal opcode 0xfe 0x{sub:x}", start)
    if sub == _ATOMIC_FENCE:
        if data[pos] != 0:
            raise DecodeError("zero flag expected", pos)
        return ATOMIC_FIRST + sub, None, pos + 1
    imm, pos = _memarg(data, pos, memargs, features)
    return ATOMIC_FIRST + sub, imm, pos
