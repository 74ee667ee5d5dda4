"""Text-format (wat) spellings of values, types and immediates, for listings and summaries.

Enters: the raw IR values the decoder stores (value type codes, FuncTypes,
float bit patterns, v128 ints, constant expressions). Leaves: strings in the
WebAssembly text format (spec §6), chosen so that pasting one back into a
``.wat`` file reproduces the same bits: floats are printed with the fewest
digits that round-trip, NaNs with their payload (``nan:0x...``).
"""

from __future__ import annotations

import re
import struct

from ..ir import (
    VALTYPE_NAMES,
    ArrayType,
    ConstExpr,
    FuncType,
    Limits,
    StructType,
    heap_type_name,
    ref_parts,
)
from ..ir import valtype_name as _ir_valtype_name
from ..opcodes import IMMEDIATES, OP_NAMES

_F32 = struct.Struct("<f")
_F32_BITS = struct.Struct("<I")
_F64 = struct.Struct("<d")
_F64_BITS = struct.Struct("<Q")

_F32_CANONICAL_NAN = 1 << 22
_F64_CANONICAL_NAN = 1 << 51


def valtype_name(code) -> str:
    """``i32``, ``funcref``, ``(ref null 3)``...; an unknown code prints as ``0x..`` rather than failing."""
    if type(code) is not int:
        return _ir_valtype_name(code)
    return VALTYPE_NAMES.get(code, f"0x{code:02x}")


def field_text(field) -> str:
    """A struct field or array element type: ``i8``, ``(mut (ref null 2))``."""
    name = valtype_name(field.storage)
    return f"(mut {name})" if field.mutable else name


def composite_text(composite) -> str:
    """A type definition's body as wat: ``(func (param i32))``, ``(struct (field i32) (field (mut i64)))``."""
    if type(composite) is StructType:
        return "(struct" + "".join(f" (field {field_text(f)})" for f in composite.fields) + ")"
    if type(composite) is ArrayType:
        return f"(array {field_text(composite.field)})"
    inner = functype_text(composite)
    return f"(func {inner})" if inner else "(func)"


def subtype_text(composite, sub) -> str:
    """A type definition with its ``sub`` clause when it has one: ``(sub final 0 (struct ...))``."""
    body = composite_text(composite)
    if sub is None or (sub.final and not sub.supertypes):
        return body
    final = "final " if sub.final else ""
    supers = "".join(f"{index} " for index in sub.supertypes)
    return f"(sub {final}{supers}{body})"


def valtypes_text(codes) -> str:
    return " ".join(valtype_name(c) for c in codes)


def functype_text(func_type: FuncType) -> str:
    """``(param i32 i64) (result f32)``; empty parts are left out, an empty type is ``""``."""
    parts = []
    if func_type.params:
        parts.append(f"(param {valtypes_text(func_type.params)})")
    if func_type.results:
        parts.append(f"(result {valtypes_text(func_type.results)})")
    return " ".join(parts)


def signature_text(func_type: FuncType) -> str:
    """``[i32 i64] -> [f32]``, the spec's notation, for table columns."""
    return f"[{valtypes_text(func_type.params)}] -> [{valtypes_text(func_type.results)}]"


def limits_text(limits: Limits) -> str:
    return f"{limits.min}" if limits.max is None else f"{limits.min} {limits.max}"


def signed(value: int, bits: int) -> int:
    """The two's-complement reading of an unsigned canonical ``value``, as wat prints consts."""
    return value - (1 << bits) if value >> (bits - 1) else value


def _nan_text(negative: bool, payload: int, canonical: int) -> str:
    sign = "-" if negative else ""
    if payload == canonical:
        return f"{sign}nan"
    return f"{sign}nan:0x{payload:x}"


def f32_text(bits: int) -> str:
    """A wat f32 literal for the bit pattern ``bits`` that reads back to the same bits."""
    bits &= 0xFFFFFFFF
    negative = bool(bits >> 31)
    exponent = (bits >> 23) & 0xFF
    fraction = bits & 0x7FFFFF
    if exponent == 0xFF:
        if fraction == 0:
            return "-inf" if negative else "inf"
        return _nan_text(negative, fraction, _F32_CANONICAL_NAN)
    value = _F32.unpack(_F32_BITS.pack(bits))[0]
    # Shortest decimal that rounds back to this f32: at most 9 significant
    # digits are ever needed for binary32.
    for digits in range(1, 10):
        text = f"{value:.{digits}g}"
        try:
            if _F32_BITS.unpack(_F32.pack(float(text)))[0] == bits:
                return _tidy_float(text)
        except OverflowError:  # rounding up past FLT_MAX
            continue
    return _tidy_float(f"{value:.9g}")  # pragma: no cover - 9 digits always suffice


def f64_text(bits: int) -> str:
    """A wat f64 literal for the bit pattern ``bits`` that reads back to the same bits."""
    bits &= 0xFFFFFFFFFFFFFFFF
    negative = bool(bits >> 63)
    exponent = (bits >> 52) & 0x7FF
    fraction = bits & 0xFFFFFFFFFFFFF
    if exponent == 0x7FF:
        if fraction == 0:
            return "-inf" if negative else "inf"
        return _nan_text(negative, fraction, _F64_CANONICAL_NAN)
    # repr() is the shortest string that round-trips a binary64.
    return _tidy_float(repr(_F64.unpack(_F64_BITS.pack(bits))[0]))


def _tidy_float(text: str) -> str:
    # Python writes "1e-05"; wat accepts it, but "1e-5" is what people write.
    return re.sub(r"e([+-])0*(\d)", r"e\1\2", text)


def v128_text(value: int) -> str:
    """``i32x4 0x... 0x... 0x... 0x...`` (lanes little-endian, as the binary stores them)."""
    lanes = " ".join(f"0x{(value >> (32 * lane)) & 0xFFFFFFFF:08x}" for lane in range(4))
    return f"i32x4 {lanes}"


_WAT_NAMES = {"select_t": "select", "ref.test_null": "ref.test", "ref.cast_null": "ref.cast"}


def display_name(op: int) -> str:
    """The mnemonic as wat spells it (the typed ``select`` is ``select`` with a result; the nullable
    ``ref.test`` / ``ref.cast`` are those names with a nullable type)."""
    name = OP_NAMES.get(op)
    if name is None:
        return f"<unknown opcode 0x{op:x}>"
    return _WAT_NAMES.get(name, name)


PLAIN_NAMES = {op: display_name(op) for op, kind in IMMEDIATES.items() if kind == "-"}
"""Opcode -> text for every instruction without immediates (its text is just its name)."""

_ACCESS_WIDTH = re.compile(r"(?:load|store)(\d+)(?:x(\d+))?")


_ATOMIC_WIDTH = re.compile(r"(?:load|store|rmw|wait)(\d+)")


def _natural_alignment(name: str) -> int:
    """Natural alignment in bytes of a memory instruction, from its mnemonic (spec §2.4.7)."""
    if ".atomic." in name:  # threads: i64.atomic.rmw16.add_u, memory.atomic.wait64, memory.atomic.notify
        match = _ATOMIC_WIDTH.search(name)
        if match is not None:
            return int(match.group(1)) // 8
        return 4 if name.startswith(("i32.", "memory.")) else 8
    match = _ACCESS_WIDTH.search(name)
    if match is not None:
        width, count = match.groups()
        return int(width) * (int(count) if count else 1) // 8
    return {"i32": 4, "f32": 4, "i64": 8, "f64": 8, "v128": 16}[name.split(".", 1)[0]]


_NATURAL_ALIGN = {
    op: _natural_alignment(OP_NAMES[op]) for op, kind in IMMEDIATES.items()
    if kind in ("memarg", "memarg_lane", "atomic")
}


def memarg_text(op: int, align_log2: int, offset: int) -> str:
    """``offset=8 align=2``, each part left out when it is the default (0, natural)."""
    parts = []
    if offset:
        parts.append(f"offset={offset}")
    align = 1 << align_log2 if align_log2 < 64 else None
    if align != _NATURAL_ALIGN.get(op):
        parts.append(f"align={align}" if align is not None else f"align=2**{align_log2}")
    return " ".join(parts)


def const_expr_text(expr: ConstExpr | None, func_name=None) -> str:
    """A constant expression on one line: ``i32.const 1024``, ``global.get 0``, ``ref.func 3``.

    ``func_name(index)`` may supply a name to show after a function index.
    """
    if expr is None:
        return ""
    return " ".join(
        instruction_text(op, imm, func_name=func_name) for op, imm in zip(expr.ops, expr.imms, strict=False)
    )


def instruction_text(op: int, imm, *, types=(), func_name=None, local_name=None) -> str:
    """One instruction as wat text, with its immediates (no indentation, no offset).

    ``types`` resolves block and call_indirect type indices; ``func_name(i)``
    and ``local_name(i)`` give names to print beside function and local
    indices as ``<name>`` annotations.
    """
    name = display_name(op)
    kind = IMMEDIATES.get(op, "-")
    if kind == "-":
        return name
    rest = _IMMEDIATE_RENDERERS[kind](op, imm, types, func_name, local_name)
    return f"{name} {rest}" if rest else name


def _name_note(lookup, index) -> str:
    if lookup is None:
        return ""
    name = lookup(index)
    return f" <{name}>" if name else ""


def _blocktype(op, imm, types, func_name, local_name):
    if isinstance(imm, FuncType):
        return functype_text(imm)
    if isinstance(imm, int) and 0 <= imm < len(types) and types[imm].kind == "func":
        detail = functype_text(types[imm])
        return f"(type {imm}) {detail}".rstrip()
    return f"(type {imm})"


def _call_indirect(op, imm, types, func_name, local_name):
    type_index, table_index = imm
    table = f"{table_index} " if table_index else ""
    detail = functype_text(types[type_index]) if 0 <= type_index < len(types) and types[type_index].kind == "func" \
        else ""
    return f"{table}(type {type_index}) {detail}".rstrip()


def _plain(op, imm, types, func_name, local_name):
    return str(imm)


def _func(op, imm, types, func_name, local_name):
    return f"{imm}{_name_note(func_name, imm)}"


def _local(op, imm, types, func_name, local_name):
    return f"{imm}{_name_note(local_name, imm)}"


def _br_table(op, imm, types, func_name, local_name):
    return " ".join(str(label) for label in imm)


def _select_t(op, imm, types, func_name, local_name):
    return f"(result {valtypes_text(imm)})"


def _memarg(op, imm, types, func_name, local_name):
    text = memarg_text(op, imm[0], imm[1])
    return f"{imm[2]} {text}".rstrip() if imm[2] else text


def _memarg_lane(op, imm, types, func_name, local_name):
    text = _memarg(op, imm, types, func_name, local_name)
    return f"{text} {imm[3]}".lstrip()


def _memidx(op, imm, types, func_name, local_name):
    return str(imm) if imm else ""


def _pair_nonzero_first(op, imm, types, func_name, local_name):
    # memory.init data mem / table.init elem table: wat writes the memory or
    # table first and only when it is not 0.
    index, space = imm
    return f"{space} {index}" if space else str(index)


def _copy_pair(op, imm, types, func_name, local_name):
    dst, src = imm
    return f"{dst} {src}" if dst or src else ""


def _i32(op, imm, types, func_name, local_name):
    return str(signed(imm, 32))


def _i64(op, imm, types, func_name, local_name):
    return str(signed(imm, 64))


def _f32(op, imm, types, func_name, local_name):
    return f32_text(imm)


def _f64(op, imm, types, func_name, local_name):
    return f64_text(imm)


def _reftype(op, imm, types, func_name, local_name):
    """ref.null's heap type: ``func``, ``extern``, ``any``, ``3``."""
    parts = ref_parts(imm)
    return heap_type_name(parts[1]) if parts is not None else f"0x{imm:02x}"


def _pair(op, imm, types, func_name, local_name):
    return f"{imm[0]} {imm[1]}"


def _ref_test(op, imm, types, func_name, local_name):
    return valtype_name(imm)


def _br_on_cast(op, imm, types, func_name, local_name):
    label, source, target = imm
    return f"{label} {valtype_name(source)} {valtype_name(target)}"


def _v128(op, imm, types, func_name, local_name):
    return v128_text(imm)


def _shuffle(op, imm, types, func_name, local_name):
    return " ".join(str(lane) for lane in imm)


_CATCH_NAMES = ("catch", "catch_ref", "catch_all", "catch_all_ref")


def _try_table(op, imm, types, func_name, local_name):
    block_type, clauses = imm
    parts = [_blocktype(op, block_type, types, func_name, local_name)]
    for kind, tag, label in clauses:
        parts.append(f"({_CATCH_NAMES[kind]} {tag} {label})" if kind < 2 else f"({_CATCH_NAMES[kind]} {label})")
    return " ".join(part for part in parts if part)


_IMMEDIATE_RENDERERS = {
    "tag": _plain,
    "try_table": _try_table,
    "blocktype": _blocktype,
    "label": _plain,
    "br_table": _br_table,
    "func": _func,
    "call_indirect": _call_indirect,
    "select_t": _select_t,
    "local": _local,
    "global": _plain,
    "table": _plain,
    "memarg": _memarg,
    "memarg_lane": _memarg_lane,
    "atomic": _memarg,
    "fence": _memidx,  # atomic.fence: its reserved byte is not written in text
    "memidx": _memidx,
    "i32": _i32,
    "i64": _i64,
    "f32": _f32,
    "f64": _f64,
    "reftype": _reftype,
    "memory.init": _pair_nonzero_first,
    "data": _plain,
    "memory.copy": _copy_pair,
    "table.init": _pair_nonzero_first,
    "elem": _plain,
    "table.copy": _copy_pair,
    "v128": _v128,
    "shuffle": _shuffle,
    "lane": _plain,
    "type": _plain,
    "field": _pair,
    "type_nat": _pair,
    "type_data": _pair,
    "type_elem": _pair,
    "type_type": _pair,
    "ref_test": _ref_test,
    "br_on_cast": _br_on_cast,
}
