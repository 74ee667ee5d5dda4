"""Function shapes past CPython's static limits must still compile and run correctly.

Each module is generated as text, compiled with the compiler engine (eager and
lazy) and checked against wasmtime, the native reference runtime.
"""

from __future__ import annotations

import pytest
import wasmtime

from pywaz.compiler.lower import core as lower
from pywaz.text import wat2wasm

from .support import call, instantiate

MODES = ("eager", "lazy")


def reference(wat: str, name: str, *args):
    """Call ``name`` in wasmtime; i32/i64 results come back unsigned like pywaz's raw values."""
    store = wasmtime.Store()
    module = wasmtime.Module(store.engine, wat)
    instance = wasmtime.Instance(store, module, [])
    result = instance.exports(store)[name](store, *args)
    return result


def u32(value: int) -> int:
    return value & 0xFFFFFFFF


def nested_br_table(depth: int) -> str:
    """``depth`` nested blocks; br_table index i leaves i+1 of them and returns i."""
    lines = ['(module (func (export "f") (param i32) (result i32)']
    lines += ["block"] * depth
    lines.append("local.get 0")
    lines.append("br_table " + " ".join(str(i) for i in range(depth)) + f" {depth - 1}")
    for i in range(depth):
        lines.append(f"end i32.const {i} return")
    lines.append("i32.const -1))")
    return "\n".join(lines)


@pytest.mark.parametrize("mode", MODES)
def test_1500_nested_blocks_with_br_table(mode):
    wat = nested_br_table(1500)
    instance, artifact = instantiate(wat2wasm(wat), mode)
    for index in (0, 1, 2, 749, 1498, 1499, 1500, 0xFFFFFFFF):
        assert call(instance, "f", index) == u32(reference(wat, "f", u32(index) - (1 << 32) * (index >= 1 << 31)))
    assert artifact.functions[0].flat


def nested_loops(depth: int) -> str:
    """``depth`` nested loops; the innermost counts and continues loop ``param 0`` until the count is ``param 1``."""
    lines = ['(module (func (export "f") (param i32 i32) (result i32) (local i32)']
    lines += [f"loop $L{i}" for i in range(depth)]
    lines.append("local.get 2 i32.const 1 i32.add local.set 2")
    lines.append("local.get 2 local.get 1 i32.lt_u")
    lines.append("if")
    # br_table over every loop label: branch to loop number (param 0).
    lines.append("local.get 0")
    lines.append("br_table " + " ".join(f"$L{depth - 1 - i}" for i in range(depth)) + " $L0")
    lines.append("end")
    lines += ["end"] * depth
    lines.append("local.get 2))")
    return "\n".join(lines)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("depth", [3, 16, 100])
def test_nested_loops_branching_to_every_level(mode, depth):
    wat = nested_loops(depth)
    instance, artifact = instantiate(wat2wasm(wat), mode)
    for target in sorted({0, 1, depth // 2, depth - 1, depth + 5}):
        for count in (1, 2, 7):
            assert call(instance, "f", target, count) == u32(reference(wat, "f", target, count))
    assert artifact.functions[0].flat == (depth > lower.MAX_PY_LOOPS)


def block_exits(depth: int) -> str:
    """Nested blocks, each a branch target from inside ``depth`` nested loops (the _br unwinding path)."""
    lines = ['(module (func (export "f") (param i32) (result i32) (local i32)']
    for i in range(depth):
        lines.append(f"block $B{i}")
        lines.append(f"loop $L{i}")
    lines.append("local.get 1 i32.const 1 i32.add local.set 1")
    lines.append("local.get 1 i32.const 3 i32.lt_u br_if $L0")
    lines.append("local.get 0")
    lines.append("br_table " + " ".join(f"$B{i}" for i in range(depth)) + " $B0")
    for i in reversed(range(depth)):
        lines.append("end end")
        lines.append(f"local.get 1 i32.const {i + 1} i32.mul local.set 1")
    lines.append("local.get 1))")
    return "\n".join(lines)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("depth", [2, 8, 30])
def test_branches_out_of_nested_loops_to_blocks(mode, depth):
    wat = block_exits(depth)
    instance, _ = instantiate(wat2wasm(wat), mode)
    for target in range(depth + 2):
        assert call(instance, "f", target) == u32(reference(wat, "f", target))


def test_10000_instruction_straight_line_expression():
    body = ["local.get 0"]
    for i in range(2500):
        body.append(f"i32.const {i * 7919 % 65521} i32.add i32.const {i % 31} i32.rotl")
    wat = '(module (func (export "f") (param i32) (result i32) ' + " ".join(body) + "))"
    instance, _ = instantiate(wat2wasm(wat), "eager")
    for value in (0, 1, 123456789):
        assert call(instance, "f", value) == u32(reference(wat, "f", value))


def test_deep_operand_stack():
    # 3000 values pushed before any is consumed: every slot is live at once.
    pushes = " ".join(f"local.get 0 i32.const {i} i32.xor" for i in range(3000))
    adds = " ".join(["i32.add"] * 2999)
    wat = f'(module (func (export "f") (param i32) (result i32) {pushes} {adds}))'
    instance, _ = instantiate(wat2wasm(wat), "eager")
    for value in (0, 5, 0xFFFF):
        assert call(instance, "f", value) == u32(reference(wat, "f", value))


def test_1000_locals_and_params():
    params = " ".join(["i64"] * 300)
    locals_ = " ".join(["i64"] * 1000)
    sets = " ".join(f"local.get {i % 300} i64.const {i} i64.mul local.set {300 + i}" for i in range(1000))
    sums = "i64.const 0 " + " ".join(f"local.get {300 + i} i64.add" for i in range(1000))
    wat = f'(module (func (export "f") (param {params}) (result i64) (local {locals_}) {sets} {sums}))'
    instance, _ = instantiate(wat2wasm(wat), "eager")
    args = [(i * 0x9E3779B97F4A7C15) & 0xFFFFFFFFFFFFFFFF for i in range(300)]
    signed = [a - (1 << 64) if a >= 1 << 63 else a for a in args]
    assert call(instance, "f", *args) == reference(wat, "f", *signed) & 0xFFFFFFFFFFFFFFFF


@pytest.mark.parametrize("depth", [10, 120])
def test_deeply_nested_ifs(depth):
    # 120 nested ifs pass Python's indentation limit: the function goes flat.
    lines = ['(module (func (export "f") (param i32) (result i32) (local i32)']
    for i in range(depth):
        lines.append(f"local.get 0 i32.const {i} i32.gt_u if local.get 1 i32.const {i + 1} i32.add local.set 1")
    lines += ["end"] * depth
    lines.append("local.get 1))")
    wat = "\n".join(lines)
    instance, artifact = instantiate(wat2wasm(wat), "eager")
    for value in (0, 1, depth // 2, depth, depth + 3):
        assert call(instance, "f", value) == u32(reference(wat, "f", value))
    assert artifact.functions[0].flat == (depth > 50)


def test_many_functions_in_one_module():
    funcs = []
    for i in range(3000):
        callee = f"(call {i - 1} (local.get 0))" if i % 10 else "(local.get 0)"
        funcs.append(f"(func (param i32) (result i32) (i32.add {callee} (i32.const {i})))")
    wat = "(module " + " ".join(funcs) + ' (export "last" (func 2999)) (export "mid" (func 1505)))'
    instance, artifact = instantiate(wat2wasm(wat), "lazy")
    assert call(instance, "mid", 1) == u32(reference(wat, "mid", 1))
    # Lazy mode compiled exactly the functions that ran (1501..1505): 1500, a pure one-expression
    # function, is lowered into its caller in place of the call and never runs on its own.
    assert [i for i, f in enumerate(artifact.functions) if f is not None] == list(range(1501, 1506))
    assert call(instance, "last", 7) == u32(reference(wat, "last", 7))
    assert sum(f is not None for f in artifact.functions) == 14
    artifact.compile_all()
    assert all(f is not None for f in artifact.functions)


def test_forced_flat_mode_matches_structured(monkeypatch):
    wat = block_exits(4)
    structured, artifact = instantiate(wat2wasm(wat), "eager")
    assert not artifact.functions[0].flat
    monkeypatch.setattr(lower, "MAX_PY_LOOPS", -1)
    flat, flat_artifact = instantiate(wat2wasm(wat), "eager")
    assert flat_artifact.functions[0].flat
    for target in range(6):
        assert call(structured, "f", target) == call(flat, "f", target)


def test_lazy_compile_deep_in_a_call_chain():
    # The first call of "big" happens about 900 Python frames deep.
    big = " ".join(f"local.get 0 i32.const {i} i32.add local.set 0" for i in range(400))
    wat = f"""(module
      (func $big (param i32) (result i32) (block (loop {big} (br_if 1 (i32.const 1)) (br 0))) (local.get 0))
      (func $down (export "down") (param i32 i32) (result i32)
        (if (result i32) (local.get 0)
          (then (call $down (i32.sub (local.get 0) (i32.const 1)) (local.get 1)))
          (else (call $big (local.get 1))))))"""
    import sys

    instance, artifact = instantiate(wat2wasm(wat), "lazy")
    depth = 0
    frame = sys._getframe()
    while frame is not None:
        depth += 1
        frame = frame.f_back
    chain = sys.getrecursionlimit() - depth - 15
    assert call(instance, "down", chain, 5) == u32(reference(wat, "down", chain, 5))
    assert artifact.functions[0] is not None


def switch_in_loop(cases: int) -> str:
    """A loop around a C-style switch: ``cases`` nested blocks dispatched by br_table."""
    lines = [
        '(module (func (export "f") (param i32) (result i32) (local i32 i32)',
        "i32.const 1 local.set 1",
        "block $exit loop $next",
    ]
    lines.append("block $end")
    lines += [f"block $c{i}" for i in reversed(range(cases))]
    lines.append(f"local.get 1 local.get 2 i32.xor i32.const {cases + 1} i32.rem_u")
    lines.append("br_table " + " ".join(f"$c{i}" for i in range(cases)) + " $end")
    for i in range(cases):
        lines.append("end")
        lines.append(f"local.get 1 i32.const {i + 3} i32.mul i32.const {i * 7} i32.add local.set 1 br $end")
    lines.append("end")  # $end
    lines.append("local.get 2 i32.const 1 i32.add local.tee 2 local.get 0 i32.lt_u br_if $next")
    lines.append("end end local.get 1))")
    return "\n".join(lines)


@pytest.mark.parametrize("mode", MODES)
def test_switch_in_loop_becomes_a_flat_island(mode):
    wat = switch_in_loop(40)
    instance, artifact = instantiate(wat2wasm(wat), mode)
    for n in (1, 7, 300):
        assert call(instance, "f", n) == u32(reference(wat, "f", n))
    source = artifact.functions[0].source
    # The loop stays a Python loop; only the switch is a dispatch island.
    assert source.count("(flat island)") == 1
    assert source.index("loop\n") < source.index("_pc = ")
