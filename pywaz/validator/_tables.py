"""Opcode classification tables for the function-body validator.

Built once at import from :mod:`pywaz.opcodes`. Instructions with a fixed
signature and no immediate to check go into :data:`SIMPLE`; every other
instruction gets a small integer *kind* in :data:`KIND` that selects its
special-case code in :mod:`pywaz.validator._function`. Memory and lane
instructions also have a fixed signature, which the validator applies after
checking the immediate (memory exists, alignment, lane index).
"""

from __future__ import annotations

import re

from ..ir import F32, F64, I32, I64, V128
from ..opcodes import IMMEDIATES, OP_NAMES, OPS_BY_NAME, SIGNATURES

# Control frame layout of the function validator (a list, mutated in place).
_F_OP, _F_PARAMS, _F_RESULTS, _F_HEIGHT, _F_UNREACHABLE, _F_START, _F_ELSE, _F_TYPE, _F_LABEL = range(9)

# Stack entry for a value of unknown type (spec appendix: "Unknown"),
# produced by popping from the polymorphic stack of unreachable code.
UNKNOWN = 0

# Kinds of specially typed instructions. Related kinds are adjacent so the validator's
# if-chain can test a group with one comparison (``kind <= K_LOCAL_TEE``); the chain
# tests them in this order, most frequent first.
K_LOCAL_SET = 1
K_LOCAL_TEE = 2
K_MEMARG = 3  # load/store: memory 0 exists, alignment, then the fixed signature
K_END = 4
K_ELSE = 5
K_BR_IF = 6
K_BLOCK = 7
K_LOOP = 8
K_IF = 9
K_BR = 10
K_RETURN = 11
K_CALL = 12
K_GLOBAL_GET = 13
K_GLOBAL_SET = 14
K_SELECT = 15
K_DROP = 16
K_BR_TABLE = 17
K_UNREACHABLE = 18
K_CALL_INDIRECT = 19
K_LANE = 20  # extract/replace lane: lane index, then the fixed signature
K_MEMARG_LANE = 21  # load/store lane: memory, alignment, lane index
K_SHUFFLE = 22
K_SELECT_T = 23
K_MEMIDX = 24  # memory.size / memory.grow / memory.fill
K_REF_NULL = 25
K_REF_IS_NULL = 26
K_REF_FUNC = 27
K_MEMORY_COPY = 28
K_MEMORY_INIT = 29
K_DATA_DROP = 30
K_ELEM_DROP = 31
K_TABLE_INIT = 32
K_TABLE_COPY = 33
K_TABLE_GET = 34
K_TABLE_SET = 35
K_TABLE_SIZE = 36
K_TABLE_GROW = 37
K_TABLE_FILL = 38
K_LOCAL_GET = 39
K_RETURN_CALL = 40  # return_call / return_call_indirect (tail calls)
K_RETURN_CALL_INDIRECT = 41
K_THROW = 42  # exception handling
K_THROW_REF = 43
K_TRY_TABLE = 44
K_TRY = 45  # legacy exception handling
K_CATCH = 46
K_CATCH_ALL = 47
K_DELEGATE = 48
K_RETHROW = 49
# Typed function references and GC (typed by _references.py): every kind from K_CALL_REF up to K_UNKNOWN.
K_CALL_REF = 50
K_RETURN_CALL_REF = 51
K_REF_AS_NON_NULL = 52
K_BR_ON_NULL = 53
K_BR_ON_NON_NULL = 54
K_GC = 55  # the 0xFB-prefixed instructions without a fixed signature
K_UNKNOWN = 60  # not an instruction: every range test above fails
K_ATOMIC = 90  # threads proposal: memory exists, alignment exactly natural, then the fixed signature

_KIND_BY_NAME = {
    "local.get": K_LOCAL_GET,
    "local.set": K_LOCAL_SET,
    "local.tee": K_LOCAL_TEE,
    "end": K_END,
    "br_if": K_BR_IF,
    "block": K_BLOCK,
    "loop": K_LOOP,
    "if": K_IF,
    "else": K_ELSE,
    "br": K_BR,
    "call": K_CALL,
    "global.get": K_GLOBAL_GET,
    "global.set": K_GLOBAL_SET,
    "br_table": K_BR_TABLE,
    "return": K_RETURN,
    "select": K_SELECT,
    "select_t": K_SELECT_T,
    "drop": K_DROP,
    "unreachable": K_UNREACHABLE,
    "call_indirect": K_CALL_INDIRECT,
    "return_call": K_RETURN_CALL,
    "return_call_indirect": K_RETURN_CALL_INDIRECT,
    "throw": K_THROW,
    "throw_ref": K_THROW_REF,
    "try_table": K_TRY_TABLE,
    "try": K_TRY,
    "catch": K_CATCH,
    "catch_all": K_CATCH_ALL,
    "delegate": K_DELEGATE,
    "rethrow": K_RETHROW,
    "i8x16.shuffle": K_SHUFFLE,
    "memory.size": K_MEMIDX,
    "memory.grow": K_MEMIDX,
    "memory.fill": K_MEMIDX,
    "memory.copy": K_MEMORY_COPY,
    "memory.init": K_MEMORY_INIT,
    "data.drop": K_DATA_DROP,
    "table.get": K_TABLE_GET,
    "table.set": K_TABLE_SET,
    "table.size": K_TABLE_SIZE,
    "table.grow": K_TABLE_GROW,
    "table.fill": K_TABLE_FILL,
    "table.copy": K_TABLE_COPY,
    "table.init": K_TABLE_INIT,
    "elem.drop": K_ELEM_DROP,
    "ref.null": K_REF_NULL,
    "ref.is_null": K_REF_IS_NULL,
    "ref.func": K_REF_FUNC,
    "call_ref": K_CALL_REF,
    "return_call_ref": K_RETURN_CALL_REF,
    "ref.as_non_null": K_REF_AS_NON_NULL,
    "br_on_null": K_BR_ON_NULL,
    "br_on_non_null": K_BR_ON_NON_NULL,
}

# Immediate kinds whose value needs no check: the signature says everything.
_PLAIN_IMMEDIATES = frozenset(("-", "i32", "i64", "f32", "f64", "v128", "fence"))

_VALUE_BITS = {"i32": 32, "i64": 64, "f32": 32, "f64": 64, "v128": 128}
_LANES_BY_SHAPE = {"i8x16": 16, "i16x8": 8, "i32x4": 4, "i64x2": 2, "f32x4": 4, "f64x2": 2}

# Signatures of the specially typed instructions whose typing does not depend
# on the module (kinds that only check an immediate).
_EXTRA_SIGNATURES = {
    "memory.fill": ((I32, I32, I32), ()),
    "memory.copy": ((I32, I32, I32), ()),
    "memory.init": ((I32, I32, I32), ()),
    "table.copy": ((I32, I32, I32), ()),
    "table.init": ((I32, I32, I32), ()),
}


def _access_bits(name: str) -> int:
    """Bits a memory instruction accesses, from its text name (its natural alignment)."""
    if ".atomic." in name:
        return _atomic_access_bits(name)
    prefix, _, rest = name.partition(".")
    match = re.search(r"(?:load|store)(\d+)(?:x(\d+))?", rest)
    if match is None:
        return _VALUE_BITS[prefix]
    bits = int(match.group(1))
    if match.group(2):
        bits *= int(match.group(2))
    return bits


def _atomic_access_bits(name: str) -> int:
    """Bits an atomic accesses: ``i64.atomic.rmw16.add_u`` 16, ``memory.atomic.wait64`` 64, notify 32."""
    match = re.search(r"(?:load|store|rmw|wait)(\d+)", name)
    if match is not None:
        return int(match.group(1))
    return 32 if name.startswith(("i32.", "memory.")) else 64


# Signature shapes with a hand-written fast path in the validator loop.
SHAPE_PUSH = 0  # [] -> [r]
SHAPE_UNARY = 1  # [a] -> [r]
SHAPE_BINARY = 2  # [a b] -> [r]
SHAPE_CONSUME2 = 3  # [a b] -> []
SHAPE_OTHER = 4


def make_signature(params, results) -> tuple:
    """The validator's form of a signature: (shape, a, b, r, params list, results list).

    ``a``/``b`` are the first/second parameter and ``r`` the single result where the
    shape has them (else 0), so the common shapes are checked without building slices.
    """
    params = list(params)
    results = list(results)
    a = params[0] if params else 0
    b = params[1] if len(params) > 1 else 0
    r = results[0] if len(results) == 1 else 0
    if len(results) == 1 and len(params) <= 2:
        shape = (SHAPE_PUSH, SHAPE_UNARY, SHAPE_BINARY)[len(params)]
    elif not results and len(params) == 2:
        shape = SHAPE_CONSUME2
    else:
        shape = SHAPE_OTHER
    return (shape, a, b, r, params, results)


def _build():
    simple, kind, sig, natural, lanes = {}, {}, {}, {}, {}
    for code, name in OP_NAMES.items():
        immediate = IMMEDIATES[code]
        signature = SIGNATURES[code]
        if signature is not None and immediate in _PLAIN_IMMEDIATES:
            simple[code] = make_signature(*signature)
            continue
        if immediate in ("memarg", "memarg_lane", "atomic"):
            kind[code] = {"memarg": K_MEMARG, "memarg_lane": K_MEMARG_LANE, "atomic": K_ATOMIC}[immediate]
            natural[code] = (_access_bits(name) // 8).bit_length() - 1
            if immediate == "memarg_lane":
                lanes[code] = 128 // _access_bits(name)
        elif immediate == "lane":
            kind[code] = K_LANE
            lanes[code] = _LANES_BY_SHAPE[name.partition(".")[0]]
        elif code >> 8 == 0xFB:
            kind[code] = K_GC
        else:
            kind[code] = _KIND_BY_NAME[name]
        if signature is None:
            signature = _EXTRA_SIGNATURES.get(name)
        if signature is not None:
            sig[code] = make_signature(*signature)
    return simple, kind, sig, natural, lanes


SIMPLE, KIND, SIG, NATURAL_ALIGN, LANES = _build()


def _address_signatures() -> dict:
    """Signatures of the memory instructions on a 64-bit memory (memory64): addresses, sizes are i64.

    Which operands are addresses: a load's or store's first; ``memory.fill``'s
    destination and length; ``memory.init``'s destination (its source and length
    index the data segment, so stay i32); ``memory.size``'s result and
    ``memory.grow``'s operand and result. ``memory.copy`` mixes the two
    memories' types and is typed by the validator itself.
    """
    positions = {"memory.size": ((), (0,)), "memory.grow": ((0,), (0,)), "memory.fill": ((0, 2), ()),
                 "memory.init": ((0,), ())}
    out = {}
    for code, name in OP_NAMES.items():
        if IMMEDIATES[code] in ("memarg", "memarg_lane", "atomic"):
            params, results = (0,), ()
        elif name in positions:
            params, results = positions[name]
        else:
            continue
        _shape, _a, _b, _r, param_types, result_types = SIG[code]
        param_types = [I64 if i in params else t for i, t in enumerate(param_types)]
        result_types = [I64 if i in results else t for i, t in enumerate(result_types)]
        out[code] = make_signature(param_types, result_types)
    return out


SIG64 = _address_signatures()
"""``SIG64[op]``: the signature of memory instruction ``op`` on a 64-bit memory (``SIG[op]`` on a 32-bit one)."""
"""``SIMPLE[op]`` = :func:`make_signature` tuple of fixed-signature instructions without a
checked immediate; ``KIND[op]`` = special kind of every other instruction; ``SIG[op]`` = the
signature of special instructions that have a fixed one; ``NATURAL_ALIGN[op]`` = log2 of the
access size in bytes; ``LANES[op]`` = lane count."""

_OPCODE_SPACE = max(OP_NAMES) + 1  # every opcode number is below this (the atomics end at 0xFF4E)


def _as_list(table: dict, default=None) -> list:
    out = [default] * _OPCODE_SPACE
    for code, value in table.items():
        out[code] = value
    return out


# The same tables indexed by opcode number: a list subscript is cheaper than dict.get
# in the validator's per-instruction loop.
SIMPLE_BY_OP = _as_list(SIMPLE)
KIND_BY_OP = _as_list(KIND, K_UNKNOWN)
NATURAL_ALIGN_BY_OP = _as_list(NATURAL_ALIGN)

NUM_OR_VEC = frozenset((I32, I64, F32, F64, V128, UNKNOWN))

OP_END = OPS_BY_NAME["end"]
OP_LOCAL_GET = OPS_BY_NAME["local.get"]
