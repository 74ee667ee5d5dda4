"""Atomic memory instructions (threads proposal, execution "Atomic Memory Instructions") for one thread.

Enters: a :class:`~pywaz.vm.objects.Memory` instance, the effective address
(the unsigned base plus the memarg offset, an unbounded Python int) and the
instruction's operands in unsigned canonical form. Leaves: the result (an int)
or None for stores, or a :class:`~pywaz.errors.Trap`. The interpreter runs every atomic through
these functions (:mod:`pywaz.interpreter.atomics`); generated code inlines the
accesses (:mod:`pywaz.compiler.lower.atomics`) and calls only wait and notify,
under the names :func:`generated_name` gives (``_a_memory_atomic_wait32``).

pywaz runs one thread per store, so every access is trivially sequentially
consistent and ``atomic.fence`` does nothing. The checks follow the spec's
order, which is also wasmtime's: the effective address must be a multiple of
the access size ("unaligned atomic", before the bounds check), then in bounds;
``wait`` then needs a shared memory ("expected shared memory", as the
proposal's tests say; wasmtime: "atomic wait on non-shared memory").

``memory.atomic.wait32/64`` on a shared memory, with one thread: a loaded value
other than the expected one returns 1 ("not-equal"). Otherwise nothing can
ever notify this thread, so a wait with a timeout (nanoseconds, as an i64
that is not negative) sleeps for the whole timeout and returns 2
("timed-out"), as wasmtime does with a single thread; the sleep is taken in
short slices so a deadline (``call(..., timeout=...)``) still interrupts it.
A wait without a timeout (negative) could only hang for ever (wasmtime's
single thread does hang), so it traps instead (:attr:`TrapKind.WAIT_FOREVER`).
``memory.atomic.notify`` checks its address and returns 0: no thread waits.
"""

from __future__ import annotations

import struct
import time

from .errors import Trap, TrapKind
from .opcodes import ATOMIC_FIRST, IMMEDIATES, OP_NAMES, SIGNATURES

_STRUCTS = {2: struct.Struct("<H"), 4: struct.Struct("<I"), 8: struct.Struct("<Q")}
_MASKS = {1: 0xFF, 2: 0xFFFF, 4: 0xFFFFFFFF, 8: 0xFFFFFFFFFFFFFFFF}
_SIGN64 = 1 << 63
#: The longest single sleep of a wait, in seconds: a pending interrupt is noticed between slices.
WAIT_SLICE = 0.01


def _checked(data, address: int, size: int) -> int:
    # Alignment before bounds: the spec's step order, and wasmtime's.
    if address & (size - 1):
        raise Trap(TrapKind.UNALIGNED_ATOMIC)
    if address + size > len(data):
        raise Trap(TrapKind.OUT_OF_BOUNDS_MEMORY)
    return address


def _reader(size: int):
    if size == 1:
        def read(data, address):
            return data[address]
    else:
        unpack_from = _STRUCTS[size].unpack_from

        def read(data, address):
            return unpack_from(data, address)[0]
    return read


def _writer(size: int):
    if size == 1:
        def write(data, address, value):
            data[address] = value
    else:
        pack_into = _STRUCTS[size].pack_into

        def write(data, address, value):
            pack_into(data, address, value)
    return write


def _load(size: int):
    read = _reader(size)

    def load(memory, address):
        data = memory.data
        return read(data, _checked(data, address, size))

    return load


def _store(size: int):
    write = _writer(size)
    mask = _MASKS[size]

    def store(memory, address, value):
        data = memory.data
        write(data, _checked(data, address, size), value & mask)

    return store


# Each read-modify-write operator on (old, operand); the result is masked to the access size after.
_RMW_OPERATORS = {
    "add": lambda old, value: old + value,
    "sub": lambda old, value: old - value,  # masking wraps a negative difference (two's complement)
    "and": lambda old, value: old & value,
    "or": lambda old, value: old | value,
    "xor": lambda old, value: old ^ value,
    "xchg": lambda old, value: value,
}


def _rmw(size: int, operator):
    read = _reader(size)
    write = _writer(size)
    mask = _MASKS[size]

    def rmw(memory, address, value):
        data = memory.data
        _checked(data, address, size)
        old = read(data, address)
        write(data, address, operator(old, value) & mask)
        return old

    return rmw


def _cmpxchg(size: int):
    read = _reader(size)
    write = _writer(size)
    mask = _MASKS[size]

    def cmpxchg(memory, address, expected, replacement):
        data = memory.data
        _checked(data, address, size)
        old = read(data, address)
        # The narrow forms compare with the expected value wrapped to the access size (the
        # reference interpreter's trunc_to), so 0x1_0000_0011 matches a stored byte 0x11.
        if old == expected & mask:
            write(data, address, replacement & mask)
        return old

    return cmpxchg


def _sleep(nanoseconds: int) -> None:
    deadline = time.monotonic() + nanoseconds / 1e9
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return
        time.sleep(min(left, WAIT_SLICE))


def _wait(size: int):
    read = _reader(size)

    def wait(memory, address, expected, timeout):
        data = memory.data
        _checked(data, address, size)
        if not memory.type.shared:
            raise Trap(TrapKind.EXPECTED_SHARED_MEMORY)
        if read(data, address) != expected:
            return 1  # "not-equal"
        if timeout & _SIGN64:  # a negative i64: no timeout, and no other thread to notify
            raise Trap(TrapKind.WAIT_FOREVER)
        _sleep(timeout)
        return 2  # "timed-out"

    return wait


def notify(memory, address, count):
    """``memory.atomic.notify``: check the address, wake nobody (one thread never waits while running)."""
    _checked(memory.data, address, 4)
    return 0


def fence() -> None:
    """``atomic.fence``: nothing to order with one thread."""


def _access_size(name: str) -> int:
    for width in ("8", "16", "32", "64"):
        if f"load{width}" in name or f"store{width}" in name or f"rmw{width}" in name or f"wait{width}" in name:
            return int(width) // 8
    return 4 if name.startswith(("i32.", "memory.")) else 8


def _build() -> dict:
    ops = {}
    for code, name in OP_NAMES.items():
        if code < ATOMIC_FIRST or IMMEDIATES[code] != "atomic":
            continue
        size = _access_size(name)
        if name == "memory.atomic.notify":
            ops[code] = notify
        elif ".wait" in name:
            ops[code] = _wait(size)
        elif ".load" in name:
            ops[code] = _load(size)
        elif ".store" in name:
            ops[code] = _store(size)
        elif name.endswith(("cmpxchg", "cmpxchg_u")):
            ops[code] = _cmpxchg(size)
        else:
            operator = name.rpartition(".")[2].removesuffix("_u")
            ops[code] = _rmw(size, _RMW_OPERATORS[operator])
    return ops


ATOMIC_OPS = _build()
"""``ATOMIC_OPS[op]``: ``fn(memory, address, *operands)`` for every atomic with a memarg (all but the fence)."""

ATOMIC_ARITY = {code: len(SIGNATURES[code][0]) - 1 for code in ATOMIC_OPS}
"""``ATOMIC_ARITY[op]``: how many operands follow the address (0 for a load, 1 for a store, 2 for a wait)."""


def generated_name(op: int) -> str:
    """The name generated code calls atomic ``op`` by: ``_a_`` and its text name, dots as underscores."""
    return "_a_" + OP_NAMES[op].replace(".", "_")


def generated_namespace() -> dict:
    """Every atomic under its :func:`generated_name` (bound in the compiler's base namespace)."""
    return {generated_name(op): function for op, function in ATOMIC_OPS.items()}


__all__ = ["ATOMIC_ARITY", "ATOMIC_OPS", "WAIT_SLICE", "fence", "generated_name", "generated_namespace", "notify"]
