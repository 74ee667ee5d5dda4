"""Range facts and inlined leaves (issue 17): random integer expression trees against wasmtime.

The compiler folds add/sub/mul/shl/and/or/xor, narrow loads, sign extensions and
wrap over unmasked ("raw") values and masks once (pywaz/compiler/lower/core.py,
"value ranges"), and lowers calls of pure one-expression functions in place.
Every tree here mixes those with the operators that need canonical operands
(shifts right, comparisons, division, stores, calls), and each result is checked
against wasmtime on edge-value inputs.
"""

from __future__ import annotations

import random

import pytest
import wasmtime

from pywaz.text import wat2wasm

from .support import call, instantiate

I32_BINARY = ("add", "sub", "mul", "and", "or", "xor", "shl", "shr_u", "shr_s", "rotl", "div_s", "rem_s",
              "div_u", "rem_u", "eq", "lt_s", "gt_u")
I32_UNARY = ("extend8_s", "extend16_s", "eqz", "clz", "popcnt")
I32_LOADS = ("i32.load8_s", "i32.load8_u", "i32.load16_s", "i32.load16_u", "i32.load")
I64_BINARY = ("add", "sub", "mul", "and", "or", "xor", "shl", "shr_u", "shr_s", "div_s", "rem_s")
I64_UNARY = ("extend8_s", "extend16_s", "extend32_s")
I64_LOADS = ("i64.load8_s", "i64.load16_s", "i64.load32_s", "i64.load32_u", "i64.load8_u")
EDGES32 = (0, 1, 2, 3, 7, 255, 256, 32767, 32768, 65535, 0x3FFFFFFF, 0x40000000, 0x7FFFFFFF, 0x80000000,
           0xFFFF8000, 0xFFFFFFFE, 0xFFFFFFFF)
EDGES64 = (0, 1, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF, 0x100000000, 0x7FFFFFFFFFFFFFFF, 0x8000000000000000,
           0xFFFFFFFFFFFFFFFF, 0xFFFFFFFF80000000)


def _i32(rng: random.Random, depth: int) -> str:
    pick = rng.random()
    if depth == 0 or pick < 0.15:
        if rng.random() < 0.5:
            return f"(local.get {rng.randrange(3)})"
        return f"(i32.const {rng.choice(EDGES32 + (12345, 1103515245, 16777619)) - (1 << 32) * rng.randrange(2) * 0})"
    if pick < 0.55:
        op = rng.choice(I32_BINARY)
        left, right = _i32(rng, depth - 1), _i32(rng, depth - 1)
        if op in ("div_s", "rem_s", "div_u", "rem_u"):
            right = f"(i32.or {right} (i32.const 1))"  # never zero (traps are not what is tested here)
            if op == "div_s":
                right = f"(i32.and {right} (i32.const 0x7FFFFFFF))"
        return f"(i32.{op} {left} {right})"
    if pick < 0.65:
        return f"(i32.{rng.choice(I32_UNARY)} {_i32(rng, depth - 1)})"
    if pick < 0.70:
        return f"(i32.wrap_i64 {_i64(rng, depth - 1)})"
    if pick < 0.72:
        return f"(i64.{rng.choice(('lt_s', 'ge_u', 'ne'))} {_i64(rng, depth - 1)} {_i64(rng, depth - 1)})"
    if pick < 0.80:
        return f"({rng.choice(I32_LOADS)} (i32.and {_i32(rng, depth - 1)} (i32.const 60)))"
    if pick < 0.88:
        return f"(call $leaf {_i32(rng, depth - 1)} {_i32(rng, depth - 1)})"
    if pick < 0.94:
        return f"(select {_i32(rng, depth - 1)} {_i32(rng, depth - 1)} {_i32(rng, depth - 1)})"
    return f"(i32.store8 (i32.const 64) {_i32(rng, depth - 1)}) (i32.load8_u (i32.const 64))"


def _i64(rng: random.Random, depth: int) -> str:
    pick = rng.random()
    if depth == 0 or pick < 0.15:
        if rng.random() < 0.5:
            return f"(local.get {3 + rng.randrange(2)})"
        return f"(i64.const {rng.choice(EDGES64)})"
    if pick < 0.55:
        op = rng.choice(I64_BINARY)
        left, right = _i64(rng, depth - 1), _i64(rng, depth - 1)
        if op in ("div_s", "rem_s"):
            right = f"(i64.and (i64.or {right} (i64.const 1)) (i64.const 0x7FFFFFFF))"
        return f"(i64.{op} {left} {right})"
    if pick < 0.65:
        return f"(i64.{rng.choice(I64_UNARY)} {_i64(rng, depth - 1)})"
    if pick < 0.75:
        return f"(i64.extend_i32_{rng.choice('su')} {_i32(rng, depth - 1)})"
    if pick < 0.85:
        return f"({rng.choice(I64_LOADS)} (i32.and {_i32(rng, depth - 1)} (i32.const 56)))"
    return f"(i64.store16 (i32.const 64) {_i64(rng, depth - 1)}) (i64.load16_s (i32.const 64))"


def _module(seed: int) -> str:
    rng = random.Random(seed)
    funcs = []
    for index in range(6):
        if index % 2:
            body, result = _i64(rng, 4), "i64"
        else:
            body, result = _i32(rng, 4), "i32"
        funcs.append(f'(func (export "f{index}") (param i32 i32 i32 i64 i64) (result {result}) {body})')
    data = "".join(f"\\{b:02x}" for b in random.Random(seed + 1).randbytes(72))
    leaf = ("(func $leaf (param i32 i32) (result i32)"
            " (i32.add (i32.mul (local.get 0) (i32.const 1103515245)) (i32.sub (local.get 1) (local.get 0))))")
    return f'(module (memory 1) (data (i32.const 0) "{data}") {leaf} {" ".join(funcs)})'


def _signed(value: int, bits: int) -> int:
    return value - (1 << bits) if value >> (bits - 1) else value


@pytest.mark.parametrize("seed", range(40))
def test_random_integer_trees_match_wasmtime(seed):
    wat = _module(seed)
    instance, _ = instantiate(wat2wasm(wat), "eager")
    store = wasmtime.Store()
    reference = wasmtime.Instance(store, wasmtime.Module(store.engine, wat), []).exports(store)
    rng = random.Random(seed)
    for _ in range(12):
        args = [rng.choice(EDGES32) for _ in range(3)] + [rng.choice(EDGES64) for _ in range(2)]
        signed = [_signed(a, 32) for a in args[:3]] + [_signed(a, 64) for a in args[3:]]
        for index in range(6):
            name = f"f{index}"
            bits = 64 if index % 2 else 32
            expected = reference[name](store, *signed) & ((1 << bits) - 1)
            assert call(instance, name, *args) == expected, f"{name}{tuple(args)} of {wat}"
