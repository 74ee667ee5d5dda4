"""Extended constant expressions at instantiation: globals, data and element offsets, element inits.

Every expected value is computed here with Python ints reduced modulo 2**32 or
2**64 (i32/i64 arithmetic wraps, spec numerics iadd/isub/imul), in both engines
and both compile modes, and again from a disk cache entry: the interpreter's
cached module information and the compiler's artifact carry the expressions.
"""

from __future__ import annotations

import random

import pytest

from pywaz import CompilationCache, Runtime, Trap, TrapKind
from pywaz.text import wat2wasm

ENGINES = [("interpreter", None), ("compiler", "eager"), ("compiler", "lazy")]
ENGINE_IDS = ["interpreter", "compiler-eager", "compiler-lazy"]
M32 = 2**32 - 1
M64 = 2**64 - 1

WAT = """
(module
  (import "env" "base" (global $base i32))
  (global $g0 (export "g0") i32 (i32.mul (i32.const 0x10000) (i32.const 0x10000)))
  (global $g1 (export "g1") i32 (i32.sub (i32.const 0) (i32.const 1)))
  (global $g2 (export "g2") i32 (i32.add (i32.const 0x7fffffff) (i32.const 1)))
  (global $g3 (export "g3") i64 (i64.mul (i64.const 0x100000001) (i64.const 0xffffffff)))
  (global $g4 (export "g4") i64 (i64.sub (i64.const 0) (i64.const 0x8000000000000000)))
  (global $g5 (export "g5") i64 (i64.mul (i64.const 0x123456789abcdef) (i64.const 0xfedcba987654321)))
  (global $g6 (export "g6") i32 (i32.add (global.get $base) (global.get $g2)))
  (global $g7 (export "g7") i32 (i32.mul (global.get $g6) (i32.const 3)))
  (global $fn funcref (ref.func $seven))
  (memory (export "mem") 1)
  (table $t 8 funcref)
  (data (i32.add (global.get $base) (i32.const 16)) "\\aa\\bb")
  (data (i32.sub (global.get $end) (i32.const 1)) "\\cc")
  (elem (table $t) (i32.mul (global.get $two) (i32.const 2)) funcref (global.get $fn) (ref.func $eight))
  (global $two i32 (i32.const 2))
  (global $end i32 (i32.mul (i32.const 0x100) (i32.const 0x100)))
  (func $seven (result i32) (i32.const 7))
  (func $eight (result i32) (i32.const 8))
  (type $r (func (result i32)))
  (func (export "call") (param i32) (result i32) (call_indirect $t (type $r) (local.get 0)))
)
"""


def _wrap(value: int, mask: int) -> int:
    return value & mask


BASE = 100
EXPECTED_GLOBALS = {
    "g0": _wrap(0x10000 * 0x10000, M32),
    "g1": _wrap(0 - 1, M32),
    "g2": _wrap(0x7FFFFFFF + 1, M32),
    "g3": _wrap(0x100000001 * 0xFFFFFFFF, M64),
    "g4": _wrap(0 - 0x8000000000000000, M64),
    "g5": _wrap(0x123456789ABCDEF * 0xFEDCBA987654321, M64),
    "g6": _wrap(BASE + 0x80000000, M32),
    "g7": _wrap(_wrap(BASE + 0x80000000, M32) * 3, M32),
}


def _raw(exported_global, mask: int) -> int:
    return exported_global.value & mask  # the embedding API may show i32/i64 signed; compare the bits


def _instantiate(runtime: Runtime, data: bytes, base: int = BASE):
    runtime.new_host_module("env").global_("base", "i32", base).instantiate()
    return runtime.instantiate(data)


def _check(instance) -> None:
    for name, want in EXPECTED_GLOBALS.items():
        mask = M64 if name in ("g3", "g4", "g5") else M32
        assert _raw(instance.exports[name], mask) == want, name
    memory = instance.exports["mem"]
    assert memory.read(BASE + 16, 2) == b"\xaa\xbb"
    assert memory.read(65535, 1) == b"\xcc"
    assert instance.exports["call"](4) == 7  # offset 2 * 2, first element from a funcref global
    assert instance.exports["call"](5) == 8


@pytest.fixture(scope="module")
def data() -> bytes:
    return wat2wasm(WAT)


@pytest.mark.parametrize("engine, mode", ENGINES, ids=ENGINE_IDS)
def test_wrapping_arithmetic_and_earlier_globals(data, engine, mode):
    with Runtime(engine=engine, compile_mode=mode) as runtime:
        _check(_instantiate(runtime, data))


@pytest.mark.parametrize("engine, mode", ENGINES, ids=ENGINE_IDS)
def test_from_a_disk_cache_entry(data, engine, mode, tmp_path):
    for round_ in range(2):
        with CompilationCache(tmp_path) as cache, Runtime(engine=engine, compile_mode=mode, cache=cache) as runtime:
            _check(_instantiate(runtime, data))
            stats = cache.stats()
        if round_ == 1:
            assert stats["disk_hits"] == 1 and stats["compilations"] == 0, stats


@pytest.mark.parametrize("engine, mode", ENGINES, ids=ENGINE_IDS)
def test_a_computed_offset_out_of_bounds_traps_at_instantiation(data, engine, mode):
    with Runtime(engine=engine, compile_mode=mode) as runtime:
        with pytest.raises(Trap) as caught:
            _instantiate(runtime, data, base=65535 - 16)  # the 2-byte segment at base + 16 ends past memory
        assert caught.value.kind == TrapKind.OUT_OF_BOUNDS_MEMORY


def _random_expression(rng: random.Random, valtype: str, globals_: list[tuple[int, int]], depth: int):
    """(wat, value): a random tree of add/sub/mul over constants and earlier globals, evaluated with wrapping."""
    mask = M32 if valtype == "i32" else M64
    if depth == 0 or rng.random() < 0.3:
        if globals_ and rng.random() < 0.4:
            index, value = rng.choice(globals_)
            return f"(global.get {index})", value
        value = rng.getrandbits(32 if valtype == "i32" else 64)
        return f"({valtype}.const {value})", value
    op = rng.choice(("add", "sub", "mul"))
    left, a = _random_expression(rng, valtype, globals_, depth - 1)
    right, b = _random_expression(rng, valtype, globals_, depth - 1)
    value = {"add": a + b, "sub": a - b, "mul": a * b}[op] & mask
    return f"({valtype}.{op} {left} {right})", value


@pytest.mark.parametrize("engine, mode", ENGINES, ids=ENGINE_IDS)
def test_random_expression_trees(engine, mode):
    rng = random.Random(2026)
    lines, expected = [], []
    earlier = {"i32": [], "i64": []}
    for index in range(40):
        valtype = rng.choice(("i32", "i64"))
        text, value = _random_expression(rng, valtype, earlier[valtype], 4)
        lines.append(f'(global (export "x{index}") {valtype} {text})')
        earlier[valtype].append((index, value))
        expected.append((valtype, value))
    with Runtime(engine=engine, compile_mode=mode) as runtime:
        instance = runtime.instantiate(wat2wasm("(module " + "\n".join(lines) + ")"))
        for index, (valtype, value) in enumerate(expected):
            assert _raw(instance.exports[f"x{index}"], M32 if valtype == "i32" else M64) == value, index
