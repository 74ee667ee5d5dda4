"""Every pywaz.simd lane function against wasmtime, on edge and random vectors.

Each instruction becomes an exported wasm function that reads its operands
from linear memory (v128 at 0 and 16, a third at 32, a scalar at 48) and
stores its result at 64, because v128 cannot cross the wasmtime Python API.
The same bytes go through the pywaz.simd function and the results are
compared byte for byte, except float lanes that are NaN: there the spec fixes
only the class (numerics §4.3.3 NaN propagation): a canonical NaN when every
NaN operand lane is canonical, otherwise any arithmetic (quiet) NaN. abs, neg,
pmin, pmax and the moving instructions must keep NaN bits exactly.
"""

from __future__ import annotations

import random

import pytest
import wasmtime

from pywaz.ir import F32, F64, I32, I64, V128
from pywaz.numeric import f32_from_bits, f32_to_bits, f64_from_bits, f64_to_bits
from pywaz.opcodes import IMMEDIATES, OP_NAMES, SIGNATURES
from pywaz.simd import MEMORY_OPS, SIMD_ARITY, SIMD_OPS
from pywaz.text import wat2wasm

_STORE = {I32: "i32.store", I64: "i64.store", F32: "f32.store", F64: "f64.store", V128: "v128.store"}
_LOAD = {I32: "i32.load", I64: "i64.load", F32: "f32.load", F64: "f64.load"}
_SIZE = {I32: 4, I64: 8, F32: 4, F64: 8, V128: 16}
_LANE_COUNT = {"i8x16": 16, "i16x8": 8, "i32x4": 4, "i64x2": 2, "f32x4": 4, "f64x2": 2}

# Float results whose NaN lanes are only fixed up to their class.
_NAN_CLASS_OPS = {
    name
    for name in OP_NAMES.values()
    if name.startswith(("f32x4.", "f64x2."))
    and name.split(".")[1] in {"add", "sub", "mul", "div", "sqrt", "min", "max", "ceil", "floor", "trunc", "nearest"}
} | {"f32x4.demote_f64x2_zero", "f64x2.promote_low_f32x4"}

_SHUFFLES = [
    bytes(range(16)),
    bytes(range(16, 32)),
    bytes(reversed(range(32)))[:16],
    bytes([31, 0, 30, 1, 29, 2, 28, 3, 17, 16, 15, 14, 5, 5, 5, 5]),
]


def _cases():
    """(label, opcode, immediate) for every non-memory instruction; lane ops per lane index."""
    cases = []
    for op in sorted(SIMD_OPS):
        name = OP_NAMES[op]
        if "relaxed_" in name:
            # wasmtime gives the host CPU's choice, pywaz the deterministic profile's: see test_relaxed.py.
            continue
        kind = SIMD_ARITY[op][1]
        if kind == "lane":
            count = _LANE_COUNT[name.split(".")[0]]
            for lane in sorted({0, 1, count // 2, count - 1}):
                cases.append((f"{name}/{lane}", op, lane))
        elif kind == "shuffle":
            for i, lanes in enumerate(_SHUFFLES):
                cases.append((f"{name}/{i}", op, lanes))
        else:
            cases.append((name, op, None))
    return cases


CASES = _cases()


def _func(index: int, op: int, imm) -> str:
    name = OP_NAMES[op]
    params, results = SIGNATURES[op]
    operands = []
    v128_addr = 0
    for valtype in params:
        if valtype == V128:
            operands.append(f"(v128.load (i32.const {v128_addr}))")
            v128_addr += 16
        else:
            operands.append(f"({_LOAD[valtype]} (i32.const 48))")
    if IMMEDIATES[op] == "lane":
        instr = f"{name} {imm}"
    elif IMMEDIATES[op] == "shuffle":
        instr = f"{name} {' '.join(str(b) for b in imm)}"
    else:
        instr = name
    body = f"({instr} {' '.join(operands)})"
    return f'(func (export "f{index}") ({_STORE[results[0]]} (i32.const 64) {body}))'


@pytest.fixture(scope="module")
def reference():
    text = (
        '(module (memory (export "mem") 1)\n'
        + "\n".join(_func(i, op, imm) for i, (_, op, imm) in enumerate(CASES))
        + ")"
    )
    store = wasmtime.Store()
    instance = wasmtime.Instance(store, wasmtime.Module(store.engine, wat2wasm(text)), [])
    exports = instance.exports(store)
    return store, exports["mem"], exports


# ------------------------------------------------------------------ inputs

_F32_EDGES = [
    0x00000000, 0x80000000, 0x3F800000, 0xBF800000, 0x7F800000, 0xFF800000, 0x7FC00000, 0xFFC00000,
    0x7FA00001, 0xFF800001, 0x7FFFFFFF, 0x00000001, 0x80000001, 0x007FFFFF, 0x7F7FFFFF, 0xFF7FFFFF,
    0x3F000000, 0x3FC00000, 0x40200000, 0xC0200000, 0x4F000000, 0xCF000000, 0x4F800000, 0x5F000000,
    0x4EFFFFFF, 0x4B000001, 0x3EFFFFFF, 0x7FC00001,
]  # fmt: skip
_F64_EDGES = [
    0, 1 << 63, 0x3FF0000000000000, 0xBFF0000000000000, 0x7FF0000000000000, 0xFFF0000000000000,
    0x7FF8000000000000, 0xFFF8000000000000, 0x7FF4000000000001, 0x7FF8000000000001, 1, 0x000FFFFFFFFFFFFF,
    0x7FEFFFFFFFFFFFFF, 0x3FE0000000000000, 0x3FF8000000000000, 0x4004000000000000, 0xC004000000000000,
    0x41E0000000000000, 0xC1E0000000000000, 0x41EFFFFFFFE00000, 0x41F0000000000000, 0x4330000000000001,
    0x36A0000000000000, 0x47EFFFFFE0000000, 0x47EFFFFFF0000000, 0x3FDFFFFFFFFFFFFF,
]  # fmt: skip


def _int_edges(width: int):
    top = 1 << (width - 1)
    full = (1 << width) - 1
    return [0, 1, 2, top - 1, top, top + 1, full, full - 1, top >> 1, 0x55 & full, 0xAA & full]


def _vector(rng: random.Random, kind: str) -> int:
    if kind == "random":
        return rng.getrandbits(128)
    width = int(kind[1:])
    if kind[0] == "f":
        pool = _F32_EDGES if width == 32 else _F64_EDGES
    else:
        pool = _int_edges(width)
    value = 0
    for shift in range(0, 128, width):
        value |= rng.choice(pool) << shift
    return value


def _inputs(seed: int, count: int):
    rng = random.Random(seed)
    kinds = ["random", "i8", "i16", "i32", "i64", "f32", "f64"]
    out = []
    for i in range(count):
        kind = kinds[i % len(kinds)]
        scalar = rng.choice(
            [rng.getrandbits(64), rng.choice(_F32_EDGES), rng.choice(_F64_EDGES), rng.randrange(0, 300)]
        )
        out.append((_vector(rng, kind), _vector(rng, kind), _vector(rng, kind), scalar))
    return out


INPUTS = _inputs(8, 42)

# ------------------------------------------------------------------ comparison


def _nan_lanes(value: int, width: int):
    exp = 0xFF if width == 32 else 0x7FF
    frac_bits = 23 if width == 32 else 52
    lanes = []
    for shift in range(0, 128, width):
        bits = (value >> shift) & ((1 << width) - 1)
        frac = bits & ((1 << frac_bits) - 1)
        is_nan = (bits >> frac_bits) & exp == exp and frac != 0
        canonical = frac == 1 << (frac_bits - 1)
        quiet = bool(frac >> (frac_bits - 1))
        lanes.append((is_nan, canonical, quiet, bits))
    return lanes


def _check_float_result(name: str, got: int, want: int, operands) -> None:
    width = 32 if name.startswith("f32x4") else 64
    if name == "f64x2.promote_low_f32x4":
        width = 64
    mine = _nan_lanes(got, width)
    theirs = _nan_lanes(want, width)
    lanewise = name not in ("f32x4.demote_f64x2_zero", "f64x2.promote_low_f32x4")
    for lane, ((m_nan, m_canon, m_quiet, m_bits), (t_nan, _, _, t_bits)) in enumerate(zip(mine, theirs)):
        if not t_nan:
            assert m_bits == t_bits, f"{name} lane {lane}: {m_bits:#x} != {t_bits:#x}"
            continue
        assert m_nan and m_quiet, f"{name} lane {lane}: want an arithmetic NaN, got {m_bits:#x}"
        if lanewise:
            in_nans = [_nan_lanes(v, width)[lane] for v in operands]
            if all(canonical for is_nan, canonical, _, _ in in_nans if is_nan):
                assert m_canon, f"{name} lane {lane}: canonical NaN operands must give a canonical NaN"


def _call_simd(op: int, imm, a: int, b: int, c: int, scalar_bits: int):
    params, results = SIGNATURES[op]
    args = []
    vectors = iter((a, b, c))
    for valtype in params:
        if valtype == V128:
            args.append(next(vectors))
        elif valtype == I32:
            args.append(scalar_bits & 0xFFFFFFFF)
        elif valtype == I64:
            args.append(scalar_bits & 0xFFFFFFFFFFFFFFFF)
        elif valtype == F32:
            args.append(f32_from_bits(scalar_bits & 0xFFFFFFFF))
        else:
            args.append(f64_from_bits(scalar_bits & 0xFFFFFFFFFFFFFFFF))
    if imm is not None:
        args.append(imm)
    result = SIMD_OPS[op](*args)
    kind = results[0]
    if kind == F32:
        return f32_to_bits(result)
    if kind == F64:
        return f64_to_bits(result)
    return result


@pytest.mark.parametrize("index", range(len(CASES)), ids=[label for label, _, _ in CASES])
def test_matches_wasmtime(reference, index):
    store, memory, exports = reference
    label, op, imm = CASES[index]
    name = OP_NAMES[op]
    params, results = SIGNATURES[op]
    size = _SIZE[results[0]]
    run = exports[f"f{index}"]
    for a, b, c, scalar in INPUTS:
        memory.write(store, a.to_bytes(16, "little") + b.to_bytes(16, "little") + c.to_bytes(16, "little"), 0)
        memory.write(store, (scalar & 0xFFFFFFFFFFFFFFFF).to_bytes(8, "little"), 48)
        run(store)
        want = int.from_bytes(memory.read(store, 64, 64 + size), "little")
        got = _call_simd(op, imm, a, b, c, scalar)
        assert 0 <= got < (1 << (8 * size)), f"{label}: result {got:#x} out of range"
        if name in _NAN_CLASS_OPS:
            operands = [v for v, t in zip((a, b, c), [p for p in params if p == V128])]
            _check_float_result(name, got, want, operands)
        elif results[0] == F32 and f32_from_bits(want) != f32_from_bits(want):
            assert got == want, f"{label}: extracted NaN bits {got:#x} != {want:#x}"
        else:
            assert got == want, f"{label}({a:#x}, {b:#x}, {c:#x}, {scalar:#x}): {got:#x} != {want:#x}"


# ------------------------------------------------------------------ memory forms

_MEM_CASES = sorted(MEMORY_OPS)


def _mem_func(op: int, lane) -> str:
    name = OP_NAMES[op]
    if name.startswith("v128.store") and name.endswith("_lane"):
        return f'(func (export "m{op:x}_{lane}") ({name} {lane} (i32.const 100) (v128.load (i32.const 0))))'
    if name.endswith("_lane"):
        return (
            f'(func (export "m{op:x}_{lane}") (v128.store (i32.const 64) '
            f"({name} {lane} (i32.const 100) (v128.load (i32.const 0)))))"
        )
    if name == "v128.store":
        return f'(func (export "m{op:x}_{lane}") (v128.store (i32.const 100) (v128.load (i32.const 0))))'
    return f'(func (export "m{op:x}_{lane}") (v128.store (i32.const 64) ({name} (i32.const 100))))'


def _mem_cases():
    cases = []
    for op in _MEM_CASES:
        name = OP_NAMES[op]
        if name.endswith("_lane"):
            width = int(name[len("v128.load") if "load" in name else len("v128.store") :].split("_")[0])
            for lane in sorted({0, 128 // width - 1}):
                cases.append((op, lane))
        else:
            cases.append((op, None))
    return cases


MEM_CASES = _mem_cases()


@pytest.fixture(scope="module")
def mem_reference():
    text = '(module (memory (export "mem") 1)\n' + "\n".join(_mem_func(op, lane) for op, lane in MEM_CASES) + ")"
    store = wasmtime.Store()
    instance = wasmtime.Instance(store, wasmtime.Module(store.engine, wat2wasm(text)), [])
    exports = instance.exports(store)
    return store, exports["mem"], exports


@pytest.mark.parametrize("op, lane", MEM_CASES, ids=[f"{OP_NAMES[op]}/{lane}" for op, lane in MEM_CASES])
def test_memory_forms_match_wasmtime(mem_reference, op, lane):
    store, memory, exports = mem_reference
    rng = random.Random(op)
    name = OP_NAMES[op]
    for _ in range(12):
        vector = _vector(rng, rng.choice(["random", "i8", "f32", "f64"]))
        data = bytes(rng.getrandbits(8) for _ in range(32))
        memory.write(store, vector.to_bytes(16, "little") + bytes(48) + bytes(32) + bytes(4) + data, 0)
        exports[f"m{op:x}_{lane}"](store)
        want = memory.read(store, 0, 200)
        mine = bytearray(vector.to_bytes(16, "little") + bytes(48) + bytes(32) + bytes(4) + data)
        mine.extend(bytes(200 - len(mine)))
        fn = MEMORY_OPS[op]
        if name.startswith("v128.store"):
            if lane is None:
                fn(mine, 100, vector)
            else:
                fn(mine, 100, vector, lane)
        else:
            result = fn(mine, 100) if lane is None else fn(mine, 100, vector, lane)
            mine[64:80] = result.to_bytes(16, "little")
        assert bytes(mine) == bytes(want), name
