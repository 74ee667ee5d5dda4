"""SIMD through whole engines: the interpreter and the compiler (eager and lazy) against wasmtime.

Covers what the lane functions alone cannot: v128 params, results, locals,
globals, select, block results and branches carrying v128, calls, the memory
forms' exact bounds checks (a faulting store writes nothing), and random
straight-line chains of vector instructions compared byte for byte with
wasmtime. Float instructions whose NaN payload the spec leaves open are kept
out of the random chains (tests/simd/test_differential.py covers them by NaN
class).
"""

from __future__ import annotations

import random

import pytest
import wasmtime

from pywaz import Runtime, Trap, TrapKind
from pywaz.ir import I32, I64, V128
from pywaz.opcodes import IMMEDIATES, OP_NAMES, SIGNATURES
from pywaz.text import wat2wasm

ENGINES = [("interpreter", None), ("compiler", "eager"), ("compiler", "lazy")]
ENGINE_IDS = ["interpreter", "compiler-eager", "compiler-lazy"]

FIXED = r"""
(module
  (memory (export "mem") 1)
  (global $g (mut v128) (v128.const i64x2 7 9))
  (func $pair (param v128 v128) (result v128) (i64x2.add (local.get 0) (local.get 1)))
  (func (export "add") (param v128 v128) (result v128) (call $pair (local.get 0) (local.get 1)))
  (func (export "zero_local") (result v128) (local v128) (local.get 0))
  (func (export "select") (param v128 v128 i32) (result v128)
    (select (local.get 0) (local.get 1) (local.get 2)))
  (func (export "branch") (param v128 i32) (result v128)
    (block (result v128)
      (br_if 0 (i8x16.splat (i32.const 1)) (local.get 1))
      (drop)
      (local.get 0)))
  (func (export "bump_global") (result v128)
    (global.set $g (i64x2.add (global.get $g) (v128.const i64x2 1 1)))
    (global.get $g))
  ;; sum of i32 products over n 4-lane blocks at 0 and 1024
  (func (export "dot") (param $n i32) (result i32) (local $acc v128) (local $i i32)
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $acc
          (i32x4.add (local.get $acc)
            (i32x4.mul
              (v128.load (i32.shl (local.get $i) (i32.const 4)))
              (v128.load offset=1024 (i32.shl (local.get $i) (i32.const 4))))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
    (i32.add
      (i32.add (i32x4.extract_lane 0 (local.get $acc)) (i32x4.extract_lane 1 (local.get $acc)))
      (i32.add (i32x4.extract_lane 2 (local.get $acc)) (i32x4.extract_lane 3 (local.get $acc)))))
  (func (export "load") (param i32) (result v128) (v128.load (local.get 0)))
  (func (export "load_far") (param i32) (result v128) (v128.load offset=0xFFFFFFF0 (local.get 0)))
  (func (export "load_lane") (param i32 v128) (result v128) (v128.load64_lane 1 (local.get 0) (local.get 1)))
  (func (export "load_splat") (param i32) (result v128) (v128.load32_splat (local.get 0)))
  (func (export "load_ext") (param i32) (result v128) (v128.load16x4_s (local.get 0)))
  (func (export "load_zero") (param i32) (result v128) (v128.load64_zero (local.get 0)))
  (func (export "store") (param i32 v128) (v128.store (local.get 0) (local.get 1)))
  (func (export "store_lane") (param i32 v128) (v128.store32_lane 3 (local.get 0) (local.get 1)))
)
"""


@pytest.fixture(params=ENGINES, ids=ENGINE_IDS)
def fixed(request):
    engine, mode = request.param
    with Runtime(engine=engine, compile_mode=mode) as runtime:
        instance = runtime.instantiate(wat2wasm(FIXED))
        yield instance


def test_values_flow_through_calls_locals_globals_and_branches(fixed):
    ex = fixed.exports
    a = (3 << 64) | 5
    b = ((2**64 - 1) << 64) | 1
    assert ex["add"].call_raw(a, b) == (2 << 64) | 6
    assert ex["zero_local"].call_raw() == 0
    assert ex["select"].call_raw(a, b, 1) == a
    assert ex["select"].call_raw(a, b, 0) == b
    assert ex["branch"].call_raw(a, 1) == int.from_bytes(b"\x01" * 16, "little")
    assert ex["branch"].call_raw(a, 0) == a
    assert ex["bump_global"].call_raw() == (10 << 64) | 8
    assert ex["bump_global"].call_raw() == (11 << 64) | 9


def test_vector_kernel(fixed):
    rng = random.Random(5)
    xs = [rng.randrange(-1000, 1000) for _ in range(64)]
    ys = [rng.randrange(-1000, 1000) for _ in range(64)]
    memory = fixed.exports["mem"]
    memory.write(0, b"".join(x.to_bytes(4, "little", signed=True) for x in xs))
    memory.write(1024, b"".join(y.to_bytes(4, "little", signed=True) for y in ys))
    want = sum(x * y for x, y in zip(xs, ys))
    assert fixed.exports["dot"](16) == want


def test_memory_forms_bounds(fixed):
    ex = fixed.exports
    memory = ex["mem"]
    end = 65536
    memory.write(end - 16, bytes(range(16)))
    assert ex["load"].call_raw(end - 16) == int.from_bytes(bytes(range(16)), "little")
    for name, args in (
        ("load", (end - 15,)),
        ("load", (0xFFFFFFFF,)),
        ("load_far", (0x10,)),  # offset + address past 2**32: no wrap-around
        ("load_far", (0,)),
        ("load_lane", (end - 7, 0)),
        ("load_splat", (end - 3,)),
        ("load_ext", (end - 7,)),
        ("load_zero", (end - 7,)),
        ("store", (end - 15, 2**128 - 1)),
        ("store_lane", (end - 3, 2**128 - 1)),
    ):
        before = memory.read(end - 32, 32)
        with pytest.raises(Trap) as info:
            ex[name].call_raw(*args)
        assert info.value.kind == TrapKind.OUT_OF_BOUNDS_MEMORY, name
        assert memory.read(end - 32, 32) == before, f"{name} wrote before trapping"


def test_lane_memory_forms(fixed):
    ex = fixed.exports
    memory = ex["mem"]
    memory.write(100, bytes(range(1, 17)))
    vector = int.from_bytes(bytes(range(200, 216)), "little")
    got = ex["load_lane"].call_raw(100, vector)
    assert got.to_bytes(16, "little") == bytes(range(200, 208)) + bytes(range(1, 9))
    assert ex["load_splat"].call_raw(100) == int.from_bytes(bytes([1, 2, 3, 4]) * 4, "little")
    assert ex["load_zero"].call_raw(104) == int.from_bytes(bytes(range(5, 13)), "little")
    ex["store_lane"].call_raw(300, vector)
    assert memory.read(300, 4) == bytes(range(212, 216))


# ------------------------------------------------------------------ random chains vs wasmtime

_NAN_OPEN = {"add", "sub", "mul", "div", "sqrt", "min", "max", "ceil", "floor", "trunc", "nearest"}
_LANES = {"i8x16": 16, "i16x8": 8, "i32x4": 4, "i64x2": 2, "f32x4": 4, "f64x2": 2}


def _chain_ops():
    ops = []
    for code, name in OP_NAMES.items():
        sig = SIGNATURES.get(code)
        if code >> 8 != 0xFD or sig is None or IMMEDIATES[code] not in ("-", "lane", "shuffle"):
            continue  # (relaxed SIMD, 0xFE00-0xFE13, is left out too: wasmtime's choices are the CPU's)
        shape, _, base = name.partition(".")
        if shape in ("f32x4", "f64x2") and base in _NAN_OPEN:
            continue
        if name in ("f32x4.demote_f64x2_zero", "f64x2.promote_low_f32x4") or "splat" in name or "const" in name:
            continue
        params, results = sig
        if results != (V128,) or any(p not in (V128, I32, I64) for p in params):
            continue
        if "replace_lane" in name and shape.startswith("f"):
            continue
        ops.append(code)
    return sorted(ops)


CHAIN_OPS = _chain_ops()


def _random_module(rng: random.Random, count: int) -> str:
    funcs = []
    for index in range(count):
        expr = "(v128.load (i32.const 0))"
        for _ in range(rng.randrange(1, 12)):
            code = rng.choice(CHAIN_OPS)
            name = OP_NAMES[code]
            params = SIGNATURES[code][0]
            operands = [expr]
            for i, p in enumerate(params[1:], 1):
                if p == V128:
                    operands.append(f"(v128.load (i32.const {16 * i}))")
                elif p == I32:
                    operands.append(f"(i32.const {rng.choice([0, 1, 7, 8, 15, 16, 31, 33, 63, 65, 255, -1])})")
                else:
                    operands.append(f"(i64.const {rng.getrandbits(64) - 2**63})")
            if IMMEDIATES[code] == "lane":
                imm = f" {rng.randrange(_LANES[name.split('.')[0]])}"
            elif IMMEDIATES[code] == "shuffle":
                imm = " " + " ".join(str(rng.randrange(32)) for _ in range(16))
            else:
                imm = ""
            expr = f"({name}{imm} {' '.join(operands)})"
        funcs.append(f'(func (export "f{index}") (v128.store (i32.const 64) {expr}))')
    return '(module (memory (export "mem") 1)\n' + "\n".join(funcs) + ")"


@pytest.mark.parametrize("engine, mode", ENGINES, ids=ENGINE_IDS)
def test_random_vector_chains_match_wasmtime(engine, mode):
    rng = random.Random(20261125)
    count = 60
    text = _random_module(rng, count)
    data = wat2wasm(text)
    store = wasmtime.Store()
    reference = wasmtime.Instance(store, wasmtime.Module(store.engine, data), []).exports(store)
    with Runtime(engine=engine, compile_mode=mode) as runtime:
        mine = runtime.instantiate(data).exports
        for trial in range(4):
            inputs = bytes(rng.getrandbits(8) for _ in range(64))
            if trial == 1:
                inputs = bytes([0x80, 0x7F, 0xFF, 0x00] * 16)
            reference["mem"].write(store, inputs, 0)
            mine["mem"].write(0, inputs)
            for index in range(count):
                reference[f"f{index}"](store)
                mine[f"f{index}"].call_raw()
                assert mine["mem"].read(64, 16) == reference["mem"].read(store, 64, 80), f"f{index}"
