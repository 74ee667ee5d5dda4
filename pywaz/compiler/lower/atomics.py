"""Atomic instructions (threads proposal, 0xFE prefix): inline memory accesses, and calls for wait/notify.

One thread makes every access trivially atomic, so loads, stores,
read-modify-writes and ``cmpxchg`` compile to the same ``struct`` calls and
subscripts as plain loads and stores (on the memory's bytearray local, with
the function's out-of-bounds handling), preceded by the alignment check the
proposal adds: the effective address must be a multiple of the access size,
checked before the bounds ("unaligned atomic", ``_trap_unaligned()``), and left
out when the address is a constant that is aligned. A load is an expression
like any load; a store, read-modify-write or ``cmpxchg`` is a few statements
after the pending operands are flushed, reading the old value into ``_ta``
(its slot may be the address's own) and writing the new one::

    if (l0 + 8) & 3: _trap_unaligned()
    _ta = _ld_u32(_m, l0 + 8)[0]
    _st_u32(_m, l0 + 8, (_ta + l1) & 0xFFFFFFFF)
    s0 = _ta

``memory.atomic.wait32/64`` and ``notify`` are calls of :mod:`pywaz.atomics`
(``_a_memory_atomic_wait32(_mem0, address, expected, timeout)``), bound into an
instance only when a function uses them. ``atomic.fence`` emits nothing.
Functions without atomics compile as before.
"""

from __future__ import annotations

from ...atomics import ATOMIC_ARITY, ATOMIC_OPS, generated_name
from ...opcodes import OP_NAMES
from .core import EXPR
from .memory import _address, memory_access

_LOAD = {2: "_ld_u16", 4: "_ld_u32", 8: "_ld_u64"}
_STORE = {2: "_st_u16", 4: "_st_u32", 8: "_st_u64"}
_MASK = {1: "0xFF", 2: "0xFFFF", 4: "0xFFFFFFFF", 8: "0xFFFFFFFFFFFFFFFF"}

# The new value of a read-modify-write from the old one (_ta) and the operand {v}; {m} is the access
# size's mask. "and" cannot leave the access's width; "or", "xor" and "xchg" only with a wider operand
# (a narrow form's), so at full width they need no mask.
_RMW = {
    "add": "(_ta + {v}) & {m}",
    "sub": "(_ta - {v}) & {m}",  # the mask wraps a negative difference (two's complement)
    "and": "_ta & {v}",
    "or": "(_ta | {v}) & {m}",
    "xor": "(_ta ^ {v}) & {m}",
    "xchg": "{v} & {m}",
}
_RMW_WIDE = {**_RMW, "or": "_ta | {v}", "xor": "_ta ^ {v}", "xchg": "{v}"}


def _access_size(name: str) -> int:
    for width in ("8", "16", "32"):
        if f"load{width}" in name or f"store{width}" in name or f"rmw{width}" in name:
            return int(width) // 8
    return 4 if name.startswith("i32.") else 8


def _simple_operands(low, count: int) -> None:
    """Make the top ``count`` operands names or constants, so each can be read twice and none has effects."""
    stack = low.stack
    for pos in range(len(stack) - count, len(stack)):
        if stack[pos][1] >= EXPR:
            low.materialize(pos)


def _read(local: str, address: str, size: int) -> str:
    return f"{local}[{address}]" if size == 1 else f"{_LOAD[size]}({local}, {address})[0]"


def _write(local: str, address: str, size: int, value: str) -> str:
    return f"{local}[{address}] = {value}" if size == 1 else f"{_STORE[size]}({local}, {address}, {value})"


def _grouped(text: str) -> str:
    # An address with an offset ("l0 + 8") needs parentheses before "&"; a name or literal does not.
    return f"({text})" if " " in text else text


def _wrapped(entry_text: str, mask: str) -> str:
    """``entry_text`` wrapped to the access size: folded when it is a literal, else masked."""
    if entry_text.isdigit():
        return str(int(entry_text) & int(mask, 16))
    return f"{entry_text} & {mask}"


def _aligned_constant(address: str, size: int) -> bool:
    # _address folds a constant base and the offset into one literal.
    return address.isdigit() and not int(address) % size


def _check_alignment(low, address: str, size: int, offset: int) -> None:
    """Emit the alignment check of the effective address, unless it is a constant that is aligned."""
    if size > 1 and not _aligned_constant(address, size):
        low.out.line(low.site(f"if {_grouped(address)} & {size - 1}: _trap_unaligned()", offset))


def _lower_fence(low, code, imm, pc, offset, blocks):
    pass  # one thread: nothing to order


def _lower_load(size: int):
    def lower(low, code, imm, pc, offset, blocks):
        if size > 1:
            _simple_operands(low, 1)  # the address is read by the check and by the load
        (address,) = low.take(1)
        local = memory_access(low, imm[2])
        text_address = _address((low.val(address), address[1], None, address[3]), imm[1])
        text = _read(local, text_address, size)
        if size > 1 and not _aligned_constant(text_address, size):
            text = f"({text} if not {_grouped(text_address)} & {size - 1} else _trap_unaligned())"
        low.push(low.site(text, offset), EXPR, None, address[3] + 2)

    return lower


def _lower_store(size: int, wide: bool):
    mask = _MASK[size]

    def lower(low, code, imm, pc, offset, blocks):
        _simple_operands(low, 2)
        local = memory_access(low, imm[2])
        address, value = low.take(2)
        low.flush()
        text_address = _address((low.val(address), address[1], None, address[3]), imm[1])
        value_text = low.val(value)
        if not wide:  # a narrow store writes the value wrapped to its size
            value_text = _wrapped(value_text, mask)
        _check_alignment(low, text_address, size, offset)
        low.out.line(low.site(_write(local, text_address, size, value_text), offset))

    return lower


def _read_old_value(low, imm, size: int, operand_count: int, offset: int):
    """The shared start of a read-modify-write and a cmpxchg: take the address and ``operand_count`` more
    operands, check the alignment, read the old value into ``_ta``.

    Returns the memory's local, the address text and the other operands.
    """
    _simple_operands(low, operand_count + 1)
    local = memory_access(low, imm[2])
    address, *operands = low.take(operand_count + 1)
    low.flush()
    text_address = _address((low.val(address), address[1], None, address[3]), imm[1])
    _check_alignment(low, text_address, size, offset)
    low.out.line(low.site(f"_ta = {_read(local, text_address, size)}", offset))
    return local, text_address, operands


def _lower_rmw(size: int, operator: str, wide: bool):
    mask = _MASK[size]
    template = (_RMW_WIDE if wide else _RMW)[operator]

    def lower(low, code, imm, pc, offset, blocks):
        local, text_address, (value,) = _read_old_value(low, imm, size, 1, offset)
        new = template.format(v=low.val(value), m=mask)
        low.out.line(_write(local, text_address, size, new))
        low.out.line(f"s{len(low.stack)} = _ta")
        low.push_slot()

    return lower


def _lower_cmpxchg(size: int, wide: bool):
    mask = _MASK[size]

    def lower(low, code, imm, pc, offset, blocks):
        local, text_address, (expected, replacement) = _read_old_value(low, imm, size, 2, offset)
        expected_text, replacement_text = low.val(expected), low.val(replacement)
        if not wide:  # the narrow forms compare with the expected value wrapped to the access size
            expected_text = _grouped(_wrapped(expected_text, mask))
            replacement_text = _wrapped(replacement_text, mask)
        low.out.line(f"if _ta == {expected_text}: {_write(local, text_address, size, replacement_text)}")
        low.out.line(f"s{len(low.stack)} = _ta")
        low.push_slot()

    return lower


def _lower_call(name: str, count: int):
    # wait and notify: a call of the shared semantics on the Memory object (wait needs its shared flag).
    def lower(low, code, imm, pc, offset, blocks):
        operands = low.take(count + 1)
        address = operands[0]
        address = (low.val(address), address[1], None, address[3])
        args = [f"_mem{imm[2]}", _address(address, imm[1])] + [low.val(e) for e in operands[1:]]
        low.flush()
        low.out.line(low.site(f"s{len(low.stack)} = {name}({', '.join(args)})", offset))
        low.push_slot()

    return lower


def _lowerers() -> dict:
    lowerers = {0xFF03: _lower_fence}
    for code in ATOMIC_OPS:
        name = OP_NAMES[code]
        if name.startswith("memory."):
            lowerers[code] = _lower_call(generated_name(code), ATOMIC_ARITY[code])
            continue
        size = _access_size(name)
        wide = size == (4 if name.startswith("i32.") else 8)
        if ".load" in name:
            lowerers[code] = _lower_load(size)
        elif ".store" in name:
            lowerers[code] = _lower_store(size, wide)
        elif "cmpxchg" in name:
            lowerers[code] = _lower_cmpxchg(size, wide)
        else:
            lowerers[code] = _lower_rmw(size, name.rpartition(".")[2].removesuffix("_u"), wide)
    return lowerers


LOWERERS = _lowerers()
