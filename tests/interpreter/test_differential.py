"""Every simple numeric instruction, differentially against wasmtime (bit-exact).

Each instruction is wrapped in a function that takes and returns integer bit
patterns (floats pass through ``reinterpret``), so NaN payloads are compared
exactly. Where both results are NaN the spec allows any arithmetic NaN, so only
the NaN class is checked.
"""

import random

import pytest
import wasmtime

import pywaz
from pywaz.ir import F32, F64, I32, I64
from pywaz.numeric import BINARY_OPS, UNARY_OPS
from pywaz.opcodes import OP_NAMES, SIGNATURES
from pywaz.text import wat2wasm

_BITS_TYPE = {I32: "i32", I64: "i64", F32: "i32", F64: "i64"}
_FROM_BITS = {F32: "f32.reinterpret_i32", F64: "f64.reinterpret_i64"}
_TO_BITS = {F32: "i32.reinterpret_f32", F64: "i64.reinterpret_f64"}

OPS = sorted(set(BINARY_OPS) | set(UNARY_OPS))
# Bitwise float ops: NaN payloads must survive them exactly.
EXACT = {0x8B, 0x8C, 0x98, 0x99, 0x9A, 0xA6, 0xBC, 0xBD, 0xBE, 0xBF}


def _func(op: int) -> str:
    params, results = SIGNATURES[op]
    body = []
    for i, t in enumerate(params):
        body.append(f"local.get {i}")
        if t in _FROM_BITS:
            body.append(_FROM_BITS[t])
    body.append(OP_NAMES[op])
    if results[0] in _TO_BITS:
        body.append(_TO_BITS[results[0]])
    sig = " ".join(f"(param {_BITS_TYPE[t]})" for t in params)
    return f'(func (export "op{op:x}") {sig} (result {_BITS_TYPE[results[0]]}) {" ".join(body)})'


@pytest.fixture(scope="module")
def engines():
    data = wat2wasm("(module " + "\n".join(_func(op) for op in OPS) + ")")
    store = wasmtime.Store()
    reference = wasmtime.Instance(store, wasmtime.Module(store.engine, data), []).exports(store)
    runtime = pywaz.Runtime("interpreter")
    ours = runtime.instantiate(data)
    yield store, reference, ours
    runtime.close()


_INTERESTING32 = [
    0,
    1,
    2,
    0x7FFFFFFF,
    0x80000000,
    0xFFFFFFFF,
    31,
    32,
    33,
    0x3F800000,
    0xBF800000,
    0x7F800000,
    0xFF800000,
    0x7FC00000,
    0xFFC00000,
    0x7FA00001,
    0x7F7FFFFF,
    0x00000001,
    0x80000001,
    0x4F000000,
    0xCF000000,
    0x4F800000,
    0x3F000000,
    0x3FC00000,
    0x40200000,
    0x5F000000,
    0xDF000000,
    0x5F800000,
]
_INTERESTING64 = [
    0,
    1,
    2,
    0x7FFFFFFFFFFFFFFF,
    0x8000000000000000,
    0xFFFFFFFFFFFFFFFF,
    63,
    64,
    65,
    0x3FF0000000000000,
    0xBFF0000000000000,
    0x7FF0000000000000,
    0xFFF0000000000000,
    0x7FF8000000000000,
    0xFFF8000000000000,
    0x7FF4000000000001,
    0x7FEFFFFFFFFFFFFF,
    1 << 52,
    0x41E0000000000000,
    0xC1E0000000000000,
    0x41F0000000000000,
    0x43E0000000000000,
    0xC3E0000000000000,
    0x43F0000000000000,
    0x3FE0000000000000,
    0x3FF8000000000000,
    0x4004000000000000,
    0x41DFFFFFFFC00000,
]


def _samples(valtype, rng):
    if valtype in (I32, F32):
        return _INTERESTING32 + [rng.getrandbits(32) for _ in range(12)]
    return _INTERESTING64 + [rng.getrandbits(64) for _ in range(12)]


def _signed(value, bits):
    return value - (1 << bits) if value >> (bits - 1) else value


def _is_nan(bits, valtype):
    if valtype == F32:
        return bits & 0x7F800000 == 0x7F800000 and bits & 0x7FFFFF
    if valtype == F64:
        return bits & 0x7FF0000000000000 == 0x7FF0000000000000 and bits & 0xFFFFFFFFFFFFF
    return False


@pytest.mark.parametrize("op", OPS, ids=[OP_NAMES[op] for op in OPS])
def test_matches_wasmtime(engines, op):
    store, reference, ours = engines
    params, results = SIGNATURES[op]
    name = f"op{op:x}"
    ref_fn = reference[name]
    our_fn = ours.exports[name]
    rng = random.Random(op)
    columns = [_samples(t, rng) for t in params]
    if len(params) == 1:
        cases = [(a,) for a in columns[0]]
    else:
        cases = [(a, b) for a in columns[0][:20] for b in columns[1][:20]] + list(zip(columns[0], columns[1]))
    result_bits = 32 if _BITS_TYPE[results[0]] == "i32" else 64
    for args in cases:
        wasmtime_args = [_signed(a, 32 if _BITS_TYPE[t] == "i32" else 64) for a, t in zip(args, params)]
        try:
            expected = ref_fn(store, *wasmtime_args) & ((1 << result_bits) - 1)
            expected_trap = None
        except wasmtime.Trap as trap:
            expected, expected_trap = None, str(trap)
        try:
            got = our_fn.call_raw(*args)
            got_trap = None
        except pywaz.Trap as trap:
            got, got_trap = None, trap
        if expected_trap is not None:
            assert got_trap is not None, (OP_NAMES[op], args, got)
            assert got_trap.kind.value in expected_trap, (OP_NAMES[op], args, expected_trap, got_trap)
            continue
        assert got_trap is None, (OP_NAMES[op], args, got_trap)
        if _is_nan(expected, results[0]) and op not in EXACT:
            assert _is_nan(got, results[0]), (OP_NAMES[op], args, hex(got))
            quiet = 0x400000 if results[0] == F32 else 0x8000000000000
            assert got & quiet, (OP_NAMES[op], args, hex(got))
        else:
            assert got == expected, (OP_NAMES[op], [hex(a) for a in args], hex(got), hex(expected))
