"""Differential tests: the compiler engine against the interpreter and wasmtime.

Random straight-line functions over every scalar numeric instruction (traps
included) run with edge-case inputs in three runtimes. Results must agree: bit
for bit with the interpreter (both are pywaz), and by value with wasmtime
(where a NaN result only has to be a NaN: payloads of arithmetic NaNs are
nondeterministic in the spec). A trap must be the same trap everywhere.
"""

from __future__ import annotations

import math
import random
import struct

import pytest
import wasmtime

from pywaz import Runtime, Trap
from pywaz.ir import F32, F64, I32, I64
from pywaz.numeric import f32_to_bits, f64_to_bits
from pywaz.opcodes import OP_NAMES, SIGNATURES
from pywaz.text import wat2wasm

TYPE_NAMES = {I32: "i32", I64: "i64", F32: "f32", F64: "f64"}
PARAMS = (I32, I32, I64, I64, F32, F64)

# Every scalar numeric instruction with a fixed signature (no memory, no SIMD).
NUMERIC_OPS = [
    code
    for code, sig in SIGNATURES.items()
    if sig is not None
    and (0x45 <= code <= 0xC4 or 0xFC00 <= code <= 0xFC07)
    and all(t in TYPE_NAMES for t in sig[0] + sig[1])
]

# Instructions that trap on many inputs; picked less often so most runs return.
TRAPPING = {0x6D, 0x6E, 0x6F, 0x70, 0x7F, 0x80, 0x81, 0x82} | set(range(0xA8, 0xB2)) - {0xAC, 0xAD}

EDGE_I32 = [0, 1, 2, 31, 32, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF, 0xFFFFFFFE, 12345]
EDGE_I64 = [0, 1, 63, 64, 0x7FFFFFFFFFFFFFFF, 0x8000000000000000, 0xFFFFFFFFFFFFFFFF, 0x123456789ABCDEF]
EDGE_F = [0.0, -0.0, 1.0, -1.5, 2.5, 0.49999997, 1e10, -3e9, 4294967296.0, 9.3e18, math.inf, -math.inf, math.nan, 1e-40]


def _const(rng: random.Random, valtype: int) -> str:
    if valtype == I32:
        return f"i32.const {rng.choice(EDGE_I32 + [rng.getrandbits(32)])}"
    if valtype == I64:
        return f"i64.const {rng.choice(EDGE_I64 + [rng.getrandbits(64)])}"
    value = rng.choice(EDGE_F + [rng.uniform(-1e6, 1e6)])
    name = TYPE_NAMES[valtype]
    if value != value:
        return f"{name}.const nan"
    if math.isinf(value):
        return f"{name}.const {'-' if value < 0 else ''}inf"
    return f"{name}.const {value!r}"


def random_function(rng: random.Random, length: int) -> tuple[str, int]:
    """A random valid straight-line body; returns (wat instructions, result type)."""
    stack: list[int] = []
    code: list[str] = []
    for _ in range(length):
        candidates = [
            c
            for c in NUMERIC_OPS
            if len(SIGNATURES[c][0]) <= len(stack)
            and tuple(stack[len(stack) - len(SIGNATURES[c][0]) :]) == SIGNATURES[c][0]
        ]
        roll = rng.random()
        if candidates and roll < 0.6:
            chosen = rng.choice(candidates)
            if chosen in TRAPPING and rng.random() < 0.75:
                chosen = rng.choice(candidates)
            params, results = SIGNATURES[chosen]
            del stack[len(stack) - len(params) :]
            stack.extend(results)
            code.append(OP_NAMES[chosen])
        elif roll < 0.8 or not stack:
            index = rng.randrange(len(PARAMS))
            code.append(f"local.get {index}")
            stack.append(PARAMS[index])
        elif roll < 0.9:
            valtype = rng.choice((I32, I64, F32, F64))
            code.append(_const(rng, valtype))
            stack.append(valtype)
        elif len(stack) >= 3 and stack[-1] == I32 and stack[-2] == stack[-3]:
            code.append("select")
            stack.pop()
            stack.pop()
        else:
            index = rng.randrange(len(PARAMS))
            if stack[-1] == PARAMS[index]:
                code.append(f"local.tee {index}")
            else:
                code.append(_const(rng, stack[-1]))
                stack.append(stack[-1])
                code.append("drop")
                stack.pop()
    result = stack[-1]
    # Keep the top value, drop the rest (each drop still evaluates its operand's traps).
    code.append(
        f"local.set {len(PARAMS)}"
        if result == I32
        else f"local.set {len(PARAMS) + 1 + (I32, I64, F32, F64).index(result) - 1}"
    )
    code.extend(["drop"] * (len(stack) - 1))
    code.append(f"local.get {len(PARAMS) + (I32, I64, F32, F64).index(result)}")
    return "\n".join(code), result


def module_text(body: str, result: int) -> str:
    params = " ".join(TYPE_NAMES[t] for t in PARAMS)
    return (
        f'(module (func (export "f") (param {params}) (result {TYPE_NAMES[result]}) (local i32 i64 f32 f64)\n{body}))'
    )


def random_args(rng: random.Random):
    return [
        rng.choice(EDGE_I32 + [rng.getrandbits(32)]),
        rng.getrandbits(32),
        rng.choice(EDGE_I64 + [rng.getrandbits(64)]),
        rng.getrandbits(64),
        struct.unpack("<f", struct.pack("<f", rng.choice(EDGE_F[:-1] + [rng.uniform(-100, 100)])))[0],
        rng.choice(EDGE_F + [rng.uniform(-1e9, 1e9)]),
    ]


def outcome(fn, args):
    try:
        return ("value", fn(*args))
    except Trap as trap:
        return ("trap", trap.kind.value)


def wasmtime_outcome(wat: str, args):
    store = wasmtime.Store()
    instance = wasmtime.Instance(store, wasmtime.Module(store.engine, wat), [])
    signed = [
        a - (1 << 32) if i < 2 and a >= 1 << 31 else a - (1 << 64) if 2 <= i < 4 and a >= 1 << 63 else a
        for i, a in enumerate(args)
    ]
    try:
        return ("value", instance.exports(store)["f"](store, *signed))
    except wasmtime.Trap as trap:
        return ("trap", str(trap).split("wasm trap: ")[-1].strip())


def bits(value, valtype):
    if valtype == F32:
        return f32_to_bits(value)
    if valtype == F64:
        return f64_to_bits(value)
    return value


@pytest.mark.parametrize("seed", range(80))
def test_random_straight_line_functions(seed):
    rng = random.Random(seed)
    body, result = random_function(rng, rng.randrange(5, 60))
    wat = module_text(body, result)
    data = wat2wasm(wat)
    compiled = Runtime(engine="compiler", compile_mode="eager").instantiate(data).exports["f"]
    interpreted = Runtime(engine="interpreter").instantiate(data).exports["f"]
    for _ in range(6):
        args = random_args(rng)
        got = outcome(compiled.call_raw, args)
        expected = outcome(interpreted.call_raw, args)
        if got[0] == "value" and expected[0] == "value" and result in (F32, F64) and got[1] != got[1]:
            assert expected[1] != expected[1], (wat, args, got, expected)
        else:
            assert (got[0], bits(got[1], result) if got[0] == "value" else got[1]) == (
                expected[0],
                bits(expected[1], result) if expected[0] == "value" else expected[1],
            ), (wat, args)
        native = wasmtime_outcome(wat, args)
        assert got[0] == native[0], (wat, args, got, native)
        if got[0] == "trap":
            assert got[1] == native[1], (wat, args)
        elif result == I32:
            assert got[1] == native[1] & 0xFFFFFFFF, (wat, args)
        elif result == I64:
            assert got[1] == native[1] & 0xFFFFFFFFFFFFFFFF, (wat, args)
        elif got[1] != got[1]:
            assert native[1] != native[1], (wat, args)
        else:
            assert bits(got[1], result) == bits(native[1], result), (wat, args)
