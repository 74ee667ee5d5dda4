"""Functions too large to compile run in the interpreter's loop inside the compiler engine.

Here the limit (:data:`pywaz.compiler.artifact.INTERPRET_ABOVE`) is lowered
so that one padded function of a small module crosses it, and that function
must behave exactly as compiled code does: calls both ways (direct, through
the table, recursive), traps, fuel, both compile modes and the disk cache.
"""

from __future__ import annotations

import pytest
import wasmtime

import pywaz
from pywaz.compiler import artifact as artifact_module
from pywaz.interpreter.prepare import CALL_LOCAL

PAD = "(local.set 0 (i32.add (local.get 0) (i32.const 0)))\n" * 40

WAT = f"""
(module
  (memory 1)
  (type $t (func (param i32) (result i32)))
  (table 2 funcref)
  (elem (i32.const 0) $small $big)
  (func $small (export "small") (param i32) (result i32)
    (i32.add (local.get 0) (i32.const 1)))
  ;; big(0) = 100, big(n) = small(n) + big(n - 1), the recursion through the table
  (func $big (export "big") (param i32) (result i32) (local i32)
    {PAD}
    (if (i32.eqz (local.get 0)) (then (return (i32.const 100))))
    (loop $spin  ;; a loop, so fuel is spent on back edges here too
      (local.set 1 (i32.add (local.get 1) (i32.const 1)))
      (br_if $spin (i32.lt_u (local.get 1) (i32.const 3))))
    (i32.add
      (call $small (local.get 0))
      (call_indirect (type $t) (i32.sub (local.get 0) (i32.const 1)) (i32.const 1))))
  (func $load (export "load") (param i32) (result i32)
    {PAD}
    (i32.load (local.get 0)))
  (func $count (export "count") (param i32) (result i32)
    {PAD}
    (if (i32.eqz (local.get 0)) (then (return (i32.const 0))))
    (i32.add (i32.const 1) (call $count (i32.sub (local.get 0) (i32.const 1)))))
  (func (export "via_compiled") (param i32) (result i32)
    (i32.add (call $big (local.get 0)) (call $load (i32.const 0)))))
"""


def _big(n: int) -> int:
    return 100 if n == 0 else n + 1 + _big(n - 1)


@pytest.fixture
def data(monkeypatch):
    data = wasmtime.wat2wasm(WAT)
    # Between the small functions' bodies and the padded ones'.
    monkeypatch.setattr(artifact_module, "INTERPRET_ABOVE", 200)
    return data


def _interpreted(instance, name: str) -> bool:
    return getattr(instance.exports[name].function.call, "interpreter_entry", None) is not None


@pytest.mark.parametrize("mode", ["eager", "lazy"])
def test_large_functions_are_interpreted_and_agree(data, mode):
    with pywaz.Runtime("compiler", compile_mode=mode) as runtime:
        instance = runtime.instantiate(data)
        exports = instance.exports
        assert exports["big"](5) == _big(5)
        assert exports["via_compiled"](4) == _big(4)
        assert exports["small"](1) == 2
        assert exports["load"](0) == 0
        assert exports["count"](50) == 50
        assert _interpreted(instance, "big") and _interpreted(instance, "load")
        assert not _interpreted(instance, "small") and not _interpreted(instance, "via_compiled")
        compiled = instance.exports["small"].function.call.__code__
        assert compiled.co_name.startswith("f0")


def test_interpreted_function_calls_compiled_code(data):
    with pywaz.Runtime("compiler") as runtime:
        instance = runtime.instantiate(data)
        assert instance.exports["big"](2) == _big(2)
        # The interpreted program calls $small through the instance, which compiled it.
        artifact = instance.exports["big"].function.instance.engine_state
        assert artifact.functions[0] is not None
        assert artifact.interprets(1) and not artifact.interprets(0)
        assert artifact._interpreter.codes[0] is None  # $small was never lowered for the interpreter


def test_trap_in_interpreted_function_is_typed(data):
    with pywaz.Runtime("compiler") as runtime:
        instance = runtime.instantiate(data)
        with pytest.raises(pywaz.Trap) as caught:
            instance.exports["load"](70_000)
        assert caught.value.kind == pywaz.TrapKind.OUT_OF_BOUNDS_MEMORY
        assert caught.value.frames and caught.value.frames[0].func_index == 2
        assert instance.exports["load"](4) == 0


def test_runaway_recursion_through_interpreted_function_exhausts_the_stack(data):
    with pywaz.Runtime("compiler", max_call_depth=500) as runtime:
        instance = runtime.instantiate(data)
        with pytest.raises(pywaz.Trap) as caught:
            instance.exports["big"](100_000)
        assert caught.value.kind == pywaz.TrapKind.CALL_STACK_EXHAUSTED
        assert instance.exports["big"](3) == _big(3)  # the instance still works


def test_recursion_between_interpreted_functions_stays_in_the_loop(data):
    # 3,000 direct self-calls: frames of the interpreter's loop, not Python frames (3 per call otherwise).
    with pywaz.Runtime("compiler", max_call_depth=4000) as runtime:
        instance = runtime.instantiate(data)
        assert instance.exports["count"](3000) == 3000
        assert _interpreted(instance, "count")
        program = instance.exports["count"].function.instance.engine_state._interpreter.codes[3].prog
        assert any(op == CALL_LOCAL for op, _ in program)
        with pytest.raises(pywaz.Trap) as caught:
            instance.exports["count"](5000)
        assert caught.value.kind == pywaz.TrapKind.CALL_STACK_EXHAUSTED


def test_fuel_is_spent_as_when_compiled(data, monkeypatch):
    spent = []
    for limit in (200, 10**9):
        monkeypatch.setattr(artifact_module, "INTERPRET_ABOVE", limit)
        with pywaz.Runtime("compiler", fuel=10_000) as runtime:
            instance = runtime.instantiate(data)
            assert instance.exports["via_compiled"](6) == _big(6)
            assert _interpreted(instance, "big") == (limit == 200)
            spent.append(runtime.fuel_consumed)
        with pywaz.Runtime("compiler", fuel=5) as runtime:
            with pytest.raises(pywaz.Trap) as caught:
                runtime.instantiate(data).exports["big"](6)
            assert caught.value.kind == pywaz.TrapKind.OUT_OF_FUEL
    assert spent[0] == spent[1]


@pytest.mark.parametrize("mode", ["eager", "lazy"])
def test_disk_cache_round_trip_keeps_large_functions_interpreted(data, mode, tmp_path):
    with pywaz.CompilationCache(directory=tmp_path) as cache:
        with pywaz.Runtime("compiler", compile_mode=mode, cache=cache) as rt:
            assert rt.instantiate(data).exports["via_compiled"](3) == _big(3)
    with pywaz.CompilationCache(directory=tmp_path) as cache:
        with pywaz.Runtime("compiler", compile_mode=mode, cache=cache) as rt:
            instance = rt.instantiate(data)
            assert rt.stats()["disk_hits"] == 1
            assert instance.exports["big"](4) == _big(4)
            assert instance.exports["via_compiled"](2) == _big(2)
            assert _interpreted(instance, "big") and not _interpreted(instance, "via_compiled")
