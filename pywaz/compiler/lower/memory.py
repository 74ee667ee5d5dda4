"""Memory instructions: loads, stores, ``memory.size``/``grow``/``init``/``copy``/``fill`` and ``data.drop``."""

from __future__ import annotations

from .core import CONST, EXPR, _int_const, _statement


_LOADS = {
    0x28: "_ld_u32(_m, {a})[0]",
    0x29: "_ld_u64(_m, {a})[0]",
    0x2A: "_f32_load(_m, {a})",
    0x2B: "_ld_f64(_m, {a})[0]",
    0x2C: "(_ld_s8(_m, {a})[0] & 0xFFFFFFFF)",
    0x2D: "_m[{a}]",
    0x2E: "(_ld_s16(_m, {a})[0] & 0xFFFFFFFF)",
    0x2F: "_ld_u16(_m, {a})[0]",
    0x30: "(_ld_s8(_m, {a})[0] & 0xFFFFFFFFFFFFFFFF)",
    0x31: "_m[{a}]",
    0x32: "(_ld_s16(_m, {a})[0] & 0xFFFFFFFFFFFFFFFF)",
    0x33: "_ld_u16(_m, {a})[0]",
    0x34: "(_ld_s32(_m, {a})[0] & 0xFFFFFFFFFFFFFFFF)",
    0x35: "_ld_u32(_m, {a})[0]",
}

_STORES = {
    0x36: "_st_u32(_m, {a}, {v})",
    0x37: "_st_u64(_m, {a}, {v})",
    0x38: "_f32_store(_m, {a}, {v})",
    0x39: "_st_f64(_m, {a}, {v})",
    0x3A: "_m[{a}] = {v} & 0xFF",
    0x3B: "_st_u16(_m, {a}, {v} & 0xFFFF)",
    0x3C: "_m[{a}] = {v} & 0xFF",
    0x3D: "_st_u16(_m, {a}, {v} & 0xFFFF)",
    0x3E: "_st_u32(_m, {a}, {v} & 0xFFFFFFFF)",
}


def _address(entry, offset: int) -> str:
    # The effective address is the unsigned base plus the offset: never
    # negative, so Python's negative indexing cannot leak through.
    if entry[1] == CONST and entry[0].isdigit():
        return str(int(entry[0]) + offset)
    if offset:
        return f"{entry[0]} + {offset}"
    return entry[0]


def _lower_load(low, code, imm, pc, offset, blocks):
    (address,) = low.take(1)
    low.uses_memory = True
    low.catch_index = True
    address = (low.val(address), address[1], None, address[3])
    text = _LOADS[code].format(a=_address(address, imm[1]))
    low.push(low.site(text, offset), EXPR, None, address[3] + 2)


def _lower_store(low, code, imm, pc, offset, blocks):
    low.uses_memory = True
    low.catch_index = True
    template = _STORES[code]
    if template.startswith("_m["):
        # Python evaluates an assignment's value before its subscript: when
        # the value can trap or has effects, the address (pushed first in
        # wasm) is computed first.
        pos = len(low.stack) - 2
        if low.stack[pos][1] >= EXPR and low.stack[pos + 1][1] >= EXPR:
            low.materialize(pos)
    address, value = low.take(2)
    low.flush()
    address = (low.val(address), address[1], None, address[3])
    value_text = low.val(value)
    constant = _int_const(value)
    if constant is not None and template.endswith("& 0xFF") and constant <= 0xFF:
        template = template[: -len(" & 0xFF")]
    # Every entry text is atomic (a name, literal, call, subscript or
    # parenthesised), so "{v} & 0xFF" needs no extra parentheses.
    low.out.line(low.site(template.format(a=_address(address, imm[1]), v=value_text), offset))


def _lower_memory_size(low, code, imm, pc, offset, blocks):
    low.uses_memory = True
    low.push("(len(_m) >> 16)", EXPR, None, 1)


def _lower_memory_grow(low, code, imm, pc, offset, blocks):
    low.uses_memory = True
    (delta,) = low.take(1)
    low.flush()
    name = f"s{len(low.stack)}"
    low.out.line(f"{name} = _memory_grow(_mem0, {low.val(delta)})")
    low.out.line("_m = _mem0.data")
    low.push_slot()


LOWERERS = {
    0x3F: _lower_memory_size,
    0x40: _lower_memory_grow,
    0xFC08: _statement("_memory_init(_inst, {i0}, _mem0, {0}, {1}, {2})", 3),
    0xFC09: _statement("_data_drop(_inst, {imm})", 0),
    0xFC0A: _statement("_memory_copy(_mem0, _mem0, {0}, {1}, {2})", 3),
    0xFC0B: _statement("_memory_fill(_mem0, {0}, {1}, {2})", 3),
}
LOWERERS.update(dict.fromkeys(_LOADS, _lower_load))
LOWERERS.update(dict.fromkeys(_STORES, _lower_store))
