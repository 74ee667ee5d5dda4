"""Memory instructions: loads, stores, ``memory.size``/``grow``/``init``/``copy``/``fill`` and ``data.drop``.

Memory 0's bytearray is the local ``_m``, memory N's ``_mN`` (multiple
memories), each loaded at entry and after calls and ``memory.grow`` (see
:func:`~.core.memory_local`); the Memory objects are the instance globals
``_mem0``, ``_mem1``, ... A load or store is a ``struct`` call or a subscript
that raises on an out-of-bounds address, caught once per function and turned
into the trap. The code is specialised on the memory's address width at
compile time: on a 64-bit memory (memory64) the effective address can pass
2**63, where ``struct`` raises OverflowError, so only functions that touch a
64-bit memory catch it; ``memory.size`` and ``memory.grow`` are i64 there. A
single 32-bit memory compiles exactly as in 2.0.
"""

from __future__ import annotations

from .core import CONST, EXPR, _int_const, _statement, int_range, memory_local, push_int


# {m} is the memory's bytearray local.
_LOADS = {
    0x28: "_ld_u32({m}, {a})[0]",
    0x29: "_ld_u64({m}, {a})[0]",
    0x2A: "_f32_load({m}, {a})",
    0x2B: "_ld_f64({m}, {a})[0]",
    0x2C: "(_ld_s8({m}, {a})[0] & 0xFFFFFFFF)",
    0x2D: "{m}[{a}]",
    0x2E: "(_ld_s16({m}, {a})[0] & 0xFFFFFFFF)",
    0x2F: "_ld_u16({m}, {a})[0]",
    0x30: "(_ld_s8({m}, {a})[0] & 0xFFFFFFFFFFFFFFFF)",
    0x31: "{m}[{a}]",
    0x32: "(_ld_s16({m}, {a})[0] & 0xFFFFFFFFFFFFFFFF)",
    0x33: "_ld_u16({m}, {a})[0]",
    0x34: "(_ld_s32({m}, {a})[0] & 0xFFFFFFFFFFFFFFFF)",
    0x35: "_ld_u32({m}, {a})[0]",
}

# Loads with a range fact: opcode -> (raw template, lo, hi, bits).
_RANGED_LOADS = {
    0x2C: ("_ld_s8({m}, {a})[0]", -0x80, 0x7F, 32),
    0x2D: ("{m}[{a}]", 0, 0xFF, 32),
    0x2E: ("_ld_s16({m}, {a})[0]", -0x8000, 0x7FFF, 32),
    0x2F: ("_ld_u16({m}, {a})[0]", 0, 0xFFFF, 32),
    0x30: ("_ld_s8({m}, {a})[0]", -0x80, 0x7F, 64),
    0x31: ("{m}[{a}]", 0, 0xFF, 64),
    0x32: ("_ld_s16({m}, {a})[0]", -0x8000, 0x7FFF, 64),
    0x33: ("_ld_u16({m}, {a})[0]", 0, 0xFFFF, 64),
    0x34: ("_ld_s32({m}, {a})[0]", -0x80000000, 0x7FFFFFFF, 64),
    0x35: ("_ld_u32({m}, {a})[0]", 0, 0xFFFFFFFF, 64),
    0x28: ("_ld_u32({m}, {a})[0]", 0, 0xFFFFFFFF, 32),
}

# Narrow stores keep only the low bits, which a raw value (see core's "value ranges") has right.
_NARROW_STORE_BITS = {0x3A: 32, 0x3B: 32, 0x3C: 64, 0x3D: 64, 0x3E: 64}

_STORES = {
    0x36: "_st_u32({m}, {a}, {v})",
    0x37: "_st_u64({m}, {a}, {v})",
    0x38: "_f32_store({m}, {a}, {v})",
    0x39: "_st_f64({m}, {a}, {v})",
    0x3A: "{m}[{a}] = {v} & 0xFF",
    0x3B: "_st_u16({m}, {a}, {v} & 0xFFFF)",
    0x3C: "{m}[{a}] = {v} & 0xFF",
    0x3D: "_st_u16({m}, {a}, {v} & 0xFFFF)",
    0x3E: "_st_u32({m}, {a}, {v} & 0xFFFFFFFF)",
}


def is_memory64(low, memory_index: int) -> bool:
    memory64 = low.memory64
    return memory_index < len(memory64) and memory64[memory_index]


def memory_access(low, memory_index: int) -> str:
    """Note that the function reads memory ``memory_index`` (which may trap) and return its local."""
    low.uses_memory = True
    low.catch_index = True
    if not memory_index and not low.catch_overflow and not (low.memory64 and low.memory64[0]):
        return "_m"  # the common case, a single 32-bit memory: as cheap as in 2.0
    if is_memory64(low, memory_index):
        low.catch_overflow = True
    return memory_local(memory_index)


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
    local = memory_access(low, imm[2])
    address = (low.val(address), address[1], None, address[3])
    ranged = _RANGED_LOADS.get(code)
    if ranged is not None:
        # Narrow loads: u8/u16 are canonical and small; signed ones fold raw (see core's "value ranges").
        template, lo, hi, bits = ranged
        raw = low.site(template.format(m=local, a=_address(address, imm[1])), offset)
        push_int(low, raw, lo, hi, address[3] + 1, bits)
        return
    text = _LOADS[code].format(m=local, a=_address(address, imm[1]))
    low.push(low.site(text, offset), EXPR, None, address[3] + 2)


def _lower_store(low, code, imm, pc, offset, blocks):
    local = memory_access(low, imm[2])
    template = _STORES[code]
    if template.startswith("{m}["):
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
    if code in _NARROW_STORE_BITS and value[1] == EXPR and type(value[2]) is tuple:
        value_text = int_range(low, value, _NARROW_STORE_BITS[code])[0]
    constant = _int_const(value)
    if constant is not None and template.endswith("& 0xFF") and constant <= 0xFF:
        template = template[: -len(" & 0xFF")]
    # Every entry text is atomic (a name, literal, call, subscript or
    # parenthesised), so "{v} & 0xFF" needs no extra parentheses.
    low.out.line(low.site(template.format(m=local, a=_address(address, imm[1]), v=value_text), offset))


def _lower_memory_size(low, code, imm, pc, offset, blocks):
    low.uses_memory = True
    low.push(f"(len({memory_local(imm)}) >> 16)", EXPR, None, 1)


def _lower_memory_grow(low, code, imm, pc, offset, blocks):
    low.uses_memory = True
    (delta,) = low.take(1)
    low.flush()
    name = f"s{len(low.stack)}"
    grow = "_memory_grow64" if is_memory64(low, imm) else "_memory_grow"
    low.out.line(f"{name} = {grow}(_mem{imm}, {low.val(delta)})")
    low.out.line(f"{memory_local(imm)} = _mem{imm}.data")
    low.push_slot()


LOWERERS = {
    0x3F: _lower_memory_size,
    0x40: _lower_memory_grow,
    0xFC08: _statement("_memory_init(_inst, {i0}, _mem{i1}, {0}, {1}, {2})", 3),
    0xFC09: _statement("_data_drop(_inst, {imm})", 0),
    0xFC0A: _statement("_memory_copy(_mem{i0}, _mem{i1}, {0}, {1}, {2})", 3),
    0xFC0B: _statement("_memory_fill(_mem{imm}, {0}, {1}, {2})", 3),
}
LOWERERS.update(dict.fromkeys(_LOADS, _lower_load))
LOWERERS.update(dict.fromkeys(_STORES, _lower_store))
