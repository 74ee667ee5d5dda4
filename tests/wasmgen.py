"""A tiny byte-level WebAssembly module encoder for tests.

Every helper returns ``bytes`` so tests can splice, truncate or corrupt the
output freely: ``module(type_section(functype([I32], [])), ...)``. Nothing
here validates; malformed input is the point. Encodings follow binary
format §5 (LEB128 §5.2.2, sections §5.5). Well-formed modules can also come
from ``pywaz.wat2wasm`` (text); use this when a test must show (or break) bytes.

Usage sketch::

    from tests.wasmgen import *
    body = func_body([(1, I32)], local_get(0) + i32_const(7) + op("i32.add") + END)
    data = module(type_section(functype([I32], [I32])), function_section(0), code_section(body))
"""

from __future__ import annotations

import struct

from pywaz.ir import EXTERNREF, F32, F64, FUNCREF, I32, I64, V128  # noqa: F401  (re-exported for tests)
from pywaz.opcodes import OPS_BY_NAME, split_opcode

MAGIC = b"\x00asm"
VERSION = b"\x01\x00\x00\x00"
HEADER = MAGIC + VERSION

# Section ids (binary §5.5.2).
SEC_CUSTOM = 0
SEC_TYPE = 1
SEC_IMPORT = 2
SEC_FUNCTION = 3
SEC_TABLE = 4
SEC_MEMORY = 5
SEC_GLOBAL = 6
SEC_EXPORT = 7
SEC_START = 8
SEC_ELEMENT = 9
SEC_CODE = 10
SEC_DATA = 11
SEC_DATACOUNT = 12

# Extern kinds.
KIND_FUNC = 0
KIND_TABLE = 1
KIND_MEMORY = 2
KIND_GLOBAL = 3

END = b"\x0b"
ELSE = b"\x05"
EMPTY_BLOCK = b"\x40"


# ---------------------------------------------------------------- LEB128


def leb_u(value: int, pad_to: int | None = None) -> bytes:
    """Unsigned LEB128. ``pad_to`` forces that many bytes (over-long encodings)."""
    if value < 0:
        raise ValueError("leb_u needs a non-negative value")
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        out.append(byte)
        if value == 0:
            break
    if pad_to is not None:
        while len(out) < pad_to:
            out.append(0)
    for i in range(len(out) - 1):
        out[i] |= 0x80
    return bytes(out)


def leb_s(value: int, pad_to: int | None = None) -> bytes:
    """Signed LEB128. ``pad_to`` forces that many bytes by sign-extending."""
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        done = (value == 0 and not byte & 0x40) or (value == -1 and byte & 0x40)
        out.append(byte)
        if done:
            break
    if pad_to is not None:
        fill = 0x7F if out[-1] & 0x40 else 0x00
        while len(out) < pad_to:
            out.append(fill)
    for i in range(len(out) - 1):
        out[i] |= 0x80
    return bytes(out)


def u32(value: int, pad_to: int | None = None) -> bytes:
    """u32 as unsigned LEB128 (no range check, so tests can overflow it)."""
    return leb_u(value, pad_to)


def s32(value: int, pad_to: int | None = None) -> bytes:
    return leb_s(value, pad_to)


def s64(value: int, pad_to: int | None = None) -> bytes:
    return leb_s(value, pad_to)


def u64(value: int, pad_to: int | None = None) -> bytes:
    return leb_u(value, pad_to)


# ---------------------------------------------------------------- values


def vec(items, count: int | None = None) -> bytes:
    """A vector: u32 length (``count`` overrides it, to lie) then the items' bytes."""
    items = list(items)
    return u32(len(items) if count is None else count) + b"".join(items)


def name(text: str | bytes) -> bytes:
    """A name: byte length then UTF-8 (raw bytes pass through, for bad-UTF-8 tests)."""
    raw = text.encode("utf-8") if isinstance(text, str) else bytes(text)
    return u32(len(raw)) + raw


def valtypes(types) -> bytes:
    return vec(bytes([t]) for t in types)


def functype(params=(), results=()) -> bytes:
    return b"\x60" + valtypes(params) + valtypes(results)


def limits(minimum: int, maximum: int | None = None) -> bytes:
    if maximum is None:
        return b"\x00" + u32(minimum)
    return b"\x01" + u32(minimum) + u32(maximum)


def table_type(elem_type: int = FUNCREF, minimum: int = 0, maximum: int | None = None) -> bytes:
    return bytes([elem_type]) + limits(minimum, maximum)


def memory_type(minimum: int = 0, maximum: int | None = None) -> bytes:
    return limits(minimum, maximum)


def global_type(valtype: int, mutable: bool = False) -> bytes:
    return bytes([valtype, 1 if mutable else 0])


# ---------------------------------------------------------------- sections


def section(section_id: int, payload: bytes, size: int | None = None) -> bytes:
    """A section: id, u32 size (``size`` overrides it, to lie), payload."""
    return bytes([section_id]) + u32(len(payload) if size is None else size) + payload


def module(*sections: bytes, header: bytes = HEADER) -> bytes:
    """Header then the sections in the order given."""
    return header + b"".join(sections)


def custom_section(section_name: str | bytes, payload: bytes = b"") -> bytes:
    return section(SEC_CUSTOM, name(section_name) + payload)


def name_subsection(sub_id: int, content: bytes) -> bytes:
    """One subsection of the ``name`` custom section: id, u32 size, content."""
    return bytes([sub_id]) + u32(len(content)) + content


def name_map(names: dict[int, str]) -> bytes:
    """A name map: vec of (index, name), sorted by index as the appendix requires."""
    return vec(u32(index) + name(text) for index, text in sorted(names.items()))


def name_section(
    module_name: str | None = None,
    function_names: dict[int, str] | None = None,
    local_names: dict[int, dict[int, str]] | None = None,
) -> bytes:
    """A well-formed ``name`` custom section (appendix §7.4)."""
    payload = b""
    if module_name is not None:
        payload += name_subsection(0, name(module_name))
    if function_names:
        payload += name_subsection(1, name_map(function_names))
    if local_names:
        payload += name_subsection(2, vec(u32(f) + name_map(m) for f, m in sorted(local_names.items())))
    return custom_section("name", payload)


def type_section(*functypes: bytes) -> bytes:
    return section(SEC_TYPE, vec(functypes))


def import_func(module_name: str, field: str, type_index: int) -> bytes:
    return name(module_name) + name(field) + b"\x00" + u32(type_index)


def import_table(module_name: str, field: str, tabletype: bytes) -> bytes:
    return name(module_name) + name(field) + b"\x01" + tabletype


def import_memory(module_name: str, field: str, memtype: bytes) -> bytes:
    return name(module_name) + name(field) + b"\x02" + memtype


def import_global(module_name: str, field: str, globaltype: bytes) -> bytes:
    return name(module_name) + name(field) + b"\x03" + globaltype


def import_section(*imports: bytes) -> bytes:
    return section(SEC_IMPORT, vec(imports))


def function_section(*type_indices: int) -> bytes:
    return section(SEC_FUNCTION, vec(u32(i) for i in type_indices))


def table_section(*tabletypes: bytes) -> bytes:
    return section(SEC_TABLE, vec(tabletypes))


def memory_section(*memtypes: bytes) -> bytes:
    return section(SEC_MEMORY, vec(memtypes))


def global_entry(valtype: int, mutable: bool, init: bytes) -> bytes:
    """One global: type then init expression (``init`` must include its ``END``)."""
    return global_type(valtype, mutable) + init


def global_section(*globals_: bytes) -> bytes:
    return section(SEC_GLOBAL, vec(globals_))


def export(export_name: str, kind: int, index: int) -> bytes:
    return name(export_name) + bytes([kind]) + u32(index)


def export_section(*exports: bytes) -> bytes:
    return section(SEC_EXPORT, vec(exports))


def start_section(func_index: int) -> bytes:
    return section(SEC_START, u32(func_index))


def func_body(locals_=(), code: bytes = END, size: int | None = None) -> bytes:
    """One code entry: size, local declarations ``[(count, type), ...]``, code.

    ``code`` must include the final ``END``.
    """
    payload = vec(u32(n) + bytes([t]) for n, t in locals_) + code
    return u32(len(payload) if size is None else size) + payload


def code_section(*bodies: bytes) -> bytes:
    return section(SEC_CODE, vec(bodies))


def datacount_section(count: int) -> bytes:
    return section(SEC_DATACOUNT, u32(count))


# Element segments (binary §5.5.12): one builder per flag value 0-7.
# ``offset`` arguments are constant expressions including their END.


def elem_active_funcs(offset: bytes, func_indices) -> bytes:
    """Kind 0: active, table 0, funcref, vec(funcidx)."""
    return u32(0) + offset + vec(u32(i) for i in func_indices)


def elem_passive_funcs(func_indices, elemkind: int = 0) -> bytes:
    """Kind 1: passive, elemkind, vec(funcidx)."""
    return u32(1) + bytes([elemkind]) + vec(u32(i) for i in func_indices)


def elem_active_table_funcs(table_index: int, offset: bytes, func_indices, elemkind: int = 0) -> bytes:
    """Kind 2: active with explicit table, elemkind, vec(funcidx)."""
    return u32(2) + u32(table_index) + offset + bytes([elemkind]) + vec(u32(i) for i in func_indices)


def elem_declarative_funcs(func_indices, elemkind: int = 0) -> bytes:
    """Kind 3: declarative, elemkind, vec(funcidx)."""
    return u32(3) + bytes([elemkind]) + vec(u32(i) for i in func_indices)


def elem_active_exprs(offset: bytes, exprs) -> bytes:
    """Kind 4: active, table 0, funcref, vec(expr)."""
    return u32(4) + offset + vec(exprs)


def elem_passive_exprs(reftype: int, exprs) -> bytes:
    """Kind 5: passive, reftype, vec(expr)."""
    return u32(5) + bytes([reftype]) + vec(exprs)


def elem_active_table_exprs(table_index: int, offset: bytes, reftype: int, exprs) -> bytes:
    """Kind 6: active with explicit table, reftype, vec(expr)."""
    return u32(6) + u32(table_index) + offset + bytes([reftype]) + vec(exprs)


def elem_declarative_exprs(reftype: int, exprs) -> bytes:
    """Kind 7: declarative, reftype, vec(expr)."""
    return u32(7) + bytes([reftype]) + vec(exprs)


def element_section(*segments: bytes) -> bytes:
    return section(SEC_ELEMENT, vec(segments))


def data_active(offset: bytes, data: bytes) -> bytes:
    """Kind 0: active in memory 0."""
    return u32(0) + offset + name(data)


def data_passive(data: bytes) -> bytes:
    """Kind 1: passive."""
    return u32(1) + name(data)


def data_active_memory(memory_index: int, offset: bytes, data: bytes) -> bytes:
    """Kind 2: active with an explicit memory index."""
    return u32(2) + u32(memory_index) + offset + name(data)


def data_section(*segments: bytes) -> bytes:
    return section(SEC_DATA, vec(segments))


# ---------------------------------------------------------------- instructions


def opcode(op_name: str) -> bytes:
    """The opcode bytes for a text-format name (prefixed ops get a u32 sub-opcode)."""
    prefix, sub = split_opcode(OPS_BY_NAME[op_name])
    if prefix is None:
        return bytes([sub])
    return bytes([prefix]) + u32(sub)


def op(op_name: str, *immediates: bytes) -> bytes:
    """An instruction: opcode then already-encoded immediates."""
    return opcode(op_name) + b"".join(immediates)


def i32_const(value: int) -> bytes:
    """i32.const; ``value`` may be signed or unsigned 32-bit."""
    if value >= 1 << 31:
        value -= 1 << 32
    return b"\x41" + s32(value)


def i64_const(value: int) -> bytes:
    if value >= 1 << 63:
        value -= 1 << 64
    return b"\x42" + s64(value)


def f32_const(value: float | None = None, bits: int | None = None) -> bytes:
    """f32.const from a float, or from raw ``bits`` (for NaN payloads)."""
    raw = struct.pack("<I", bits) if bits is not None else struct.pack("<f", value)
    return b"\x43" + raw


def f64_const(value: float | None = None, bits: int | None = None) -> bytes:
    raw = struct.pack("<Q", bits) if bits is not None else struct.pack("<d", value)
    return b"\x44" + raw


def v128_const(value: int) -> bytes:
    return opcode("v128.const") + value.to_bytes(16, "little")


def local_get(index: int) -> bytes:
    return b"\x20" + u32(index)


def local_set(index: int) -> bytes:
    return b"\x21" + u32(index)


def local_tee(index: int) -> bytes:
    return b"\x22" + u32(index)


def global_get(index: int) -> bytes:
    return b"\x23" + u32(index)


def global_set(index: int) -> bytes:
    return b"\x24" + u32(index)


def call(func_index: int) -> bytes:
    return b"\x10" + u32(func_index)


def call_indirect(type_index: int, table_index: int = 0) -> bytes:
    return b"\x11" + u32(type_index) + u32(table_index)


def br(depth: int) -> bytes:
    return b"\x0c" + u32(depth)


def br_if(depth: int) -> bytes:
    return b"\x0d" + u32(depth)


def br_table(depths, default: int) -> bytes:
    return b"\x0e" + vec(u32(d) for d in depths) + u32(default)


def blocktype(bt: int | None = None, type_index: int | None = None) -> bytes:
    """Block type: empty (no args), a value type code, or ``type_index`` as s33."""
    if type_index is not None:
        return s64(type_index)
    if bt is None:
        return EMPTY_BLOCK
    return bytes([bt])


def block(bt: bytes = EMPTY_BLOCK) -> bytes:
    return b"\x02" + bt


def loop(bt: bytes = EMPTY_BLOCK) -> bytes:
    return b"\x03" + bt


def if_(bt: bytes = EMPTY_BLOCK) -> bytes:
    return b"\x04" + bt


def memarg(align: int, offset: int) -> bytes:
    return u32(align) + u32(offset)


def ref_null(reftype: int = FUNCREF) -> bytes:
    return b"\xd0" + bytes([reftype])


def ref_func(func_index: int) -> bytes:
    return b"\xd2" + u32(func_index)


def const_expr(*instrs: bytes) -> bytes:
    """A constant expression: the instructions then ``END``."""
    return b"".join(instrs) + END


# ---------------------------------------------------------------- convenience


def single_func_module(code: bytes, params=(), results=(), locals_=(), extra_sections=()) -> bytes:
    """A module with one type, one function with ``code`` (END included) and optional
    extra sections spliced in before the code section (they must be in valid order)."""
    return module(
        type_section(functype(params, results)),
        function_section(0),
        *extra_sections,
        code_section(func_body(locals_, code)),
    )
