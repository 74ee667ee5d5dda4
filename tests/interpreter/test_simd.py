"""Every vector instruction with a simple shape, differentially against wasmtime.

Operands and results travel through linear memory (v128 cannot cross the
wasmtime Python API), so every result byte is compared. Float lanes that are
NaN in both results are compared by class only (the spec lets the payload of
an arithmetic NaN vary), except for abs/neg, which must keep it exactly.
"""

import random
import struct

import pytest
import wasmtime

import pywaz
from pywaz.ir import I32, V128
from pywaz.opcodes import IMMEDIATES, OP_NAMES, SIGNATURES
from pywaz.text import wat2wasm

SHAPES = {
    ((V128,), (V128,)): "unary",
    ((V128, V128), (V128,)): "binary",
    ((V128, I32), (V128,)): "shift",
    ((V128,), (I32,)): "reduce",
}
# Relaxed SIMD is left out: wasmtime picks the host CPU's result where the spec allows a
# choice, pywaz the deterministic profile's (tests/simd/test_relaxed.py checks those).
OPS = sorted(
    op
    for op, sig in SIGNATURES.items()
    if op >= 0xFD00 and sig is not None and sig in SHAPES and IMMEDIATES[op] == "-" and "relaxed_" not in OP_NAMES[op]
)
EXACT_FLOAT = {
    "f32x4.abs",
    "f32x4.neg",
    "f64x2.abs",
    "f64x2.neg",
    "f32x4.pmin",
    "f32x4.pmax",
    "f64x2.pmin",
    "f64x2.pmax",
}


def _func(op: int) -> str:
    name = OP_NAMES[op]
    shape = SHAPES[SIGNATURES[op]]
    load_a = "(v128.load (i32.const 0))"
    load_b = "(v128.load (i32.const 16))"
    if shape == "unary":
        body = f"(v128.store (i32.const 32) ({name} {load_a}))"
    elif shape == "binary":
        body = f"(v128.store (i32.const 32) ({name} {load_a} {load_b}))"
    elif shape == "shift":
        body = f"(v128.store (i32.const 32) ({name} {load_a} (local.get 0)))"
    else:
        body = f"(i32.store (i32.const 32) ({name} {load_a}))"
    param = "(param i32)" if shape == "shift" else ""
    return f'(func (export "op{op:x}") {param} {body})'


@pytest.fixture(scope="module")
def engines():
    data = wat2wasm('(module (memory (export "mem") 1) ' + "\n".join(_func(op) for op in OPS) + ")")
    store = wasmtime.Store()
    reference = wasmtime.Instance(store, wasmtime.Module(store.engine, data), []).exports(store)
    runtime = pywaz.Runtime("interpreter")
    yield store, reference, runtime.instantiate(data)
    runtime.close()


def _vectors(rng):
    special32 = [
        0,
        0x80000000,
        0x7FFFFFFF,
        0xFFFFFFFF,
        0x7FC00000,
        0xFFC00000,
        0x7FA00001,
        0x7F800000,
        0xFF800000,
        0x3F800000,
        0x3F000000,
        0x4F000000,
        0xCF000000,
        0x00000001,
        0x80808080,
        0x7F7F7F7F,
    ]
    special64 = [
        0x7FF8000000000000,
        0x7FF4000000000001,
        0xFFF0000000000000,
        0x3FF8000000000000,
        0xC1E0000000000000,
        0x41EFFFFFFFE00000,
        0x8000000000000000,
        1,
    ]
    out = [bytes(rng.getrandbits(8) for _ in range(16)) for _ in range(10)]
    for _ in range(10):
        out.append(struct.pack("<4I", *(rng.choice(special32) for _ in range(4))))
        out.append(struct.pack("<2Q", *(rng.choice(special64) for _ in range(2))))
    return out


def _float_lanes(name):
    if name.startswith("f32x4.") or name == "f32x4.demote_f64x2_zero":
        return "<4I", 0x7F800000, 0x7FFFFF, 0x400000
    if name.startswith("f64x2."):
        return "<2Q", 0x7FF0000000000000, 0xFFFFFFFFFFFFF, 0x8000000000000
    return None


@pytest.mark.parametrize("op", OPS, ids=[OP_NAMES[op] for op in OPS])
def test_matches_wasmtime(engines, op):
    store, reference, ours = engines
    name = OP_NAMES[op]
    shape = SHAPES[SIGNATURES[op]]
    ref_mem = reference["mem"]
    our_mem = ours.exports["mem"]
    rng = random.Random(op)
    vectors = _vectors(rng)
    compare_floats = (
        _float_lanes(name)
        if shape != "reduce" and not any(name.endswith(c) for c in (".eq", ".ne", ".lt", ".gt", ".le", ".ge"))
        else None
    )
    for i in range(40):
        a = vectors[i % len(vectors)]
        b = vectors[(i * 7 + 3) % len(vectors)]
        args = (rng.choice([0, 1, 7, 8, 15, 16, 31, 33, 63, 64, 65, 0xFFFFFFFF]),) if shape == "shift" else ()
        ref_mem.write(store, a + b, 0)
        our_mem.write(0, a + b)
        reference[f"op{op:x}"](store, *args)
        ours.exports[f"op{op:x}"](*args)
        size = 4 if shape == "reduce" else 16
        expected = bytes(ref_mem.read(store, 32, 32 + size))
        got = our_mem.read(32, size)
        if expected == got:
            continue
        assert compare_floats is not None and name not in EXACT_FLOAT, (
            name,
            a.hex(),
            b.hex(),
            args,
            got.hex(),
            expected.hex(),
        )
        fmt, exp_mask, frac_mask, quiet = compare_floats
        for x, y in zip(struct.unpack(fmt, expected), struct.unpack(fmt, got)):
            if x == y:
                continue
            assert x & exp_mask == exp_mask and x & frac_mask, (name, a.hex(), b.hex(), got.hex(), expected.hex())
            assert y & exp_mask == exp_mask and y & quiet, (name, a.hex(), b.hex(), got.hex(), expected.hex())


LANE_WAT = """(module (memory (export "mem") 1)
  (func (export "lanes") (param i32 i64 f32 f64) (result i32 i32 i64 f32 f64 i32)
    (local $v v128)
    (local.set $v (v128.load (i32.const 0)))
    (local.set $v (i8x16.replace_lane 3 (local.get $v) (local.get 0)))
    (local.set $v (i64x2.replace_lane 1 (local.get $v) (local.get 1)))
    (local.set $v (f32x4.replace_lane 2 (local.get $v) (local.get 2)))
    (v128.store (i32.const 16) (local.get $v))
    (i8x16.extract_lane_s 3 (local.get $v))
    (i16x8.extract_lane_u 1 (local.get $v))
    (i64x2.extract_lane 1 (local.get $v))
    (f32x4.extract_lane 2 (local.get $v))
    (f64x2.extract_lane 1 (f64x2.replace_lane 1 (local.get $v) (local.get 3)))
    (i8x16.extract_lane_u 0 (i8x16.shuffle 31 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 (local.get $v) (i8x16.splat (i32.const 0xAB)))))
  (func (export "memops") (param i32)
    (v128.store (i32.const 64) (v128.load8x8_s (local.get 0)))
    (v128.store (i32.const 80) (v128.load32_splat (local.get 0)))
    (v128.store (i32.const 96) (v128.load64_zero (local.get 0)))
    (v128.store (i32.const 112) (v128.load16_lane 5 (local.get 0) (v128.const i32x4 1 2 3 4)))
    (v128.store32_lane 2 (i32.const 128) (v128.load (local.get 0)))
    (v128.store (i32.const 144) (v128.bitselect (v128.load (i32.const 0)) (v128.load (i32.const 16)) (v128.load (local.get 0))))))
"""


def test_lanes_shuffle_and_memory_forms():
    data = wat2wasm(LANE_WAT)
    store = wasmtime.Store()
    reference = wasmtime.Instance(store, wasmtime.Module(store.engine, data), []).exports(store)
    seed = bytes(range(200, 256)) + bytes(range(0, 200))
    with pywaz.Runtime() as runtime:
        ours = runtime.instantiate(data)
        reference["mem"].write(store, seed, 0)
        ours.exports["mem"].write(0, seed)
        for args in ((-5, -(2**40), 1.5, -2.25), (300, 7, float("inf"), 0.0)):
            expected = tuple(reference["lanes"](store, *args))
            assert ours.exports["lanes"](*args) == expected
        for address in (0, 3, 17):
            reference["memops"](store, address)
            ours.exports["memops"](address)
            assert ours.exports["mem"].read(0, 256) == bytes(reference["mem"].read(store, 0, 256))
        with pytest.raises(pywaz.Trap) as info:
            ours.exports["memops"](65530)
        assert info.value.kind is pywaz.TrapKind.OUT_OF_BOUNDS_MEMORY
