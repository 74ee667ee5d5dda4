"""The tiered engine: functions switch from the interpreter to compiled code mid-run, and nothing shows it.

Each test runs the same module under the interpreter, the compiler and the
tiered engine at several thresholds: (1, 1) compiles at the first call and
switches a running call at its first back-edge; (1000, 1) switches running
calls only (on-stack, at a loop); (1, 1000) and (2, 1000) switch at call
boundaries only; (1000, 1000) stays interpreted. Results, trap kinds and
stack traces, exceptions, tail calls, fuel, interrupts and call-depth limits
must agree.
"""

from __future__ import annotations

import types

import pytest

import pywaz
from pywaz.interpreter.prepare import TIER_CALL, TIER_CALL_INDIRECT, TIER_JUMP, TIER_RETURN_CALL, prepare_function
from pywaz.interpreter.misc import MISC_OPS
from pywaz.text import wat2wasm
from pywaz.tiered import TieredEngine
from pywaz.tiered.engine import tier_state
from pywaz.vm.engines import create_engine

THRESHOLDS = [(1, 1), (2, 1), (1000, 1), (1, 1000), (2, 1000), (3, 5), (1000, 1000)]


def engines():
    yield "interpreter"
    yield "compiler"
    for calls, loops in THRESHOLDS:
        yield TieredEngine(calls, loops)


def engine_id(engine):
    return engine if isinstance(engine, str) else f"tiered-{engine.call_threshold}-{engine.loop_threshold}"


def each_engine(test):
    return pytest.mark.parametrize("make", [lambda e=e: e for e in engines()], ids=[engine_id(e) for e in engines()])(
        test
    )


def is_compiled(function) -> bool:
    call = function.call
    call = getattr(call, "tail_body", call)
    return isinstance(call, types.FunctionType) and call.__code__.co_filename.startswith("<wasm function")


CALLS = """(module
  (memory 1)
  (table 2 funcref)
  (elem (i32.const 0) $sq $inc)
  (type $un (func (param i32) (result i32)))
  (func $sq (param i32) (result i32) local.get 0 local.get 0 i32.mul)
  (func $inc (param i32) (result i32) local.get 0 i32.const 1 i32.add)
  (func $fib (export "fib") (param i32) (result i32)
    local.get 0 i32.const 2 i32.lt_u
    if (result i32) local.get 0
    else local.get 0 i32.const 1 i32.sub call $fib local.get 0 i32.const 2 i32.sub call $fib i32.add end)
  ;; sum over i < n of table[i & 1](i), stored to memory as it goes: loops, call_indirect, memory
  (func $mix (export "mix") (param $n i32) (result i32) (local $i i32) (local $acc i32)
    block $done
      loop $next
        local.get $i local.get $n i32.ge_u br_if $done
        local.get $i i32.const 2 i32.rem_u i32.const 4 i32.mul
        local.get $acc
        local.get $i local.get $i i32.const 1 i32.and call_indirect (type $un)
        i32.add local.tee $acc
        i32.store
        local.get $i i32.const 1 i32.add local.set $i
        br $next
      end
    end
    local.get $acc i32.const 0 i32.load i32.add))"""


def test_tiered_is_the_default_engine():
    assert create_engine("tiered").name == "tiered"
    with pywaz.Runtime() as runtime:
        assert runtime.engine.name == "tiered"


def test_thresholds_are_checked():
    with pytest.raises(ValueError, match="call_threshold"):
        TieredEngine(0, 5)
    with pytest.raises(ValueError, match="loop_threshold"):
        TieredEngine(5, True)


def test_interpreter_programs_do_not_count():
    """The interpreter engine's programs hold none of the tiered instructions (it pays nothing for them)."""
    from pywaz.decoder import decode_module
    from pywaz.validator import validate

    validated = validate(decode_module(wat2wasm(CALLS)))
    tiered_codes = {TIER_CALL, TIER_JUMP, TIER_CALL_INDIRECT, TIER_RETURN_CALL}
    for info in validated.functions:
        plain = {code for code, _ in prepare_function(validated, info, MISC_OPS).prog}
        counting = {code for code, _ in prepare_function(validated, info, MISC_OPS, tier=True).prog}
        assert not plain & tiered_codes
        if info.func_index >= 2:  # fib calls, mix loops and calls through the table
            assert counting & tiered_codes


@each_engine
def test_results_agree_while_tiers_change(make):
    with pywaz.Runtime(make()) as runtime:
        instance = runtime.instantiate(wat2wasm(CALLS))
        fib, mix = instance.exports["fib"], instance.exports["mix"]
        assert [fib(n) for n in (0, 1, 2, 10, 15)] == [0, 1, 1, 55, 610]
        assert [mix(n) for n in (0, 1, 7, 300, 7)] == [0, 0, 136, 8955200, 136]


def test_a_hot_function_switches_at_a_call():
    with pywaz.Runtime(TieredEngine(5, 10**9)) as runtime:
        instance = runtime.instantiate(wat2wasm(CALLS))
        fib = instance.exports["fib"]
        state = tier_state(instance.module_instance)
        assert not is_compiled(fib.function)
        for _ in range(4):
            fib(1)
        assert not is_compiled(fib.function)
        assert fib(1) == 1  # the fifth call: compiled, then run
        assert is_compiled(fib.function)
        assert state.calls[2] is fib.function.call
        assert fib(20) == 6765


def test_a_running_loop_switches_on_the_stack():
    with pywaz.Runtime(TieredEngine(10**9, 50)) as runtime:
        instance = runtime.instantiate(wat2wasm(CALLS))
        mix = instance.exports["mix"]
        state = tier_state(instance.module_instance)
        assert mix(20) == 2480  # 20 back-edges: still interpreted
        assert state.entries[3] is None
        assert mix(300) == 8955200  # switches at its 50th back-edge overall
        assert state.entries[3] is not None
        assert not is_compiled(mix.function)
        assert state.counts[3] == state.call_threshold - 1  # its next call compiles it
        assert mix(300) == 8955200


def test_the_loop_entry_keeps_the_operand_stack():
    """A loop with a parameter, and values below its label: the switch hands them over."""
    wat = """(module
      (func (export "f") (param $n i32) (result i32 i32)
        i32.const 7
        local.get $n
        loop $l (param i32) (result i32)
          i32.const 1 i32.sub
          local.tee $n
          local.get $n br_if $l
        end
        i32.const 100 i32.add))"""
    expected = None
    for make in engines():
        with pywaz.Runtime(make) as runtime:
            f = runtime.instantiate(wat2wasm(wat)).exports["f"]
            got = [f(n) for n in (1, 5, 40)]
        expected = expected or got
        assert got == expected == [(7, 100), (7, 100), (7, 100)], engine_id(make)


TRAPS = """(module
  (func $leaf (param i32) (result i32)
    local.get 0 i32.const 30 i32.eq if unreachable end
    local.get 0 i32.const 100 i32.div_u)
  (func $mid (param i32) (result i32) (local i32)
    loop
      local.get 1 call $leaf drop
      local.get 1 i32.const 1 i32.add local.tee 1
      local.get 0 i32.lt_u br_if 0
    end
    local.get 0)
  (func $top (export "top") (param i32) (result i32) local.get 0 call $mid))"""


@each_engine
def test_trap_stack_traces_agree_across_tiers(make):
    with pywaz.Runtime(make()) as runtime:
        top = runtime.instantiate(wat2wasm(TRAPS)).exports["top"]
        assert [top(n) for n in (2, 3, 20)] == [2, 3, 20]
        with pytest.raises(pywaz.Trap) as info:
            top(40)
    assert info.value.kind is pywaz.TrapKind.UNREACHABLE
    assert [(frame.func_index, frame.offset) for frame in info.value.frames] == [(0, 43), (1, 60), (2, 83)]


EXCEPTIONS = """(module
  (tag $e (param i32))
  (func $thrower (param i32) (result i32)
    local.get 0 i32.const 5 i32.gt_u if local.get 0 throw $e end
    local.get 0)
  ;; catches what thrower throws, in a loop: a frame with a handler keeps running interpreted
  (func $catcher (export "catcher") (param $n i32) (result i32) (local $i i32) (local $acc i32)
    loop $l
      block $h (result i32)
        try_table (catch $e $h)
          local.get $i call $thrower
          local.get $acc i32.add local.set $acc
        end
        i32.const 0
      end
      local.get $acc i32.add i32.const 1000 i32.add local.set $acc
      local.get $i i32.const 1 i32.add local.tee $i
      local.get $n i32.lt_u br_if $l
    end
    local.get $acc)
  ;; lets the exception out, through a loop that may have switched to compiled code
  (func $passer (export "passer") (param $n i32) (result i32) (local $i i32)
    loop $l
      local.get $i call $thrower drop
      local.get $i i32.const 1 i32.add local.tee $i
      local.get $n i32.lt_u br_if $l
    end
    local.get $n)
  (func (export "outer") (param i32) (result i32)
    block $h (result i32)
      try_table (catch $e $h)
        local.get 0 call $passer
        return
      end
      unreachable
    end
    i32.const 1000000 i32.add))"""


@each_engine
def test_exceptions_cross_tiers(make):
    with pywaz.Runtime(make(), features={"exceptions": True}) as runtime:
        exports = runtime.instantiate(wat2wasm(EXCEPTIONS)).exports
        catcher, passer, outer = exports["catcher"], exports["passer"], exports["outer"]
        assert [catcher(n) for n in (3, 10, 10)] == [3003, 10045, 10045]
        assert [outer(n) for n in (4, 5, 40, 6)] == [4, 5, 1000006, 6]
        with pytest.raises(pywaz.WasmException):
            passer(30)


TAIL_CALLS = """(module
  (func $even (export "even") (param i32) (result i32)
    local.get 0 i32.eqz if (result i32) i32.const 1
    else local.get 0 i32.const 1 i32.sub return_call $odd end)
  (func $odd (param i32) (result i32)
    local.get 0 i32.eqz if (result i32) i32.const 0
    else local.get 0 i32.const 1 i32.sub return_call $even end)
  (func $count (export "count") (param i32 i32) (result i32)
    ;; a loop, then a tail call of itself through the other pair
    (local $i i32)
    loop $l
      local.get $i i32.const 1 i32.add local.tee $i
      i32.const 3 i32.lt_u br_if $l
    end
    local.get 0 i32.eqz if (result i32) local.get 1
    else local.get 0 i32.const 1 i32.sub local.get 1 i32.const 3 i32.add return_call $count end))"""


@each_engine
def test_tail_calls_run_in_constant_space_across_tiers(make):
    with pywaz.Runtime(make(), features={"tail_call": True}, max_call_depth=500) as runtime:
        exports = runtime.instantiate(wat2wasm(TAIL_CALLS)).exports
        assert [exports["even"](n) for n in (0, 1, 10, 7, 100_001, 100_000)] == [1, 0, 1, 0, 0, 1]
        assert exports["count"](20_000, 0) == 60_000


FUEL = """(module
  (func $leaf (param i32) (result i32) local.get 0 i32.const 1 i32.add)
  (func (export "run") (param $n i32) (result i32) (local $i i32) (local $acc i32)
    loop $l
      local.get $acc call $leaf local.set $acc
      local.get $i i32.const 1 i32.add local.tee $i
      local.get $n i32.lt_u br_if $l
    end
    local.get $acc))"""


def test_fuel_agrees_across_tiers():
    seen = {}
    for make in engines():
        with pywaz.Runtime(make, fuel=10**9) as runtime:
            run = runtime.instantiate(wat2wasm(FUEL)).exports["run"]
            consumed = []
            for n in (1, 5, 50, 5, 3):
                assert run(n) == n
                consumed.append(runtime.fuel_consumed)
            with pytest.raises(pywaz.Trap) as info:
                run(10_000, fuel=777)
            assert info.value.kind is pywaz.TrapKind.OUT_OF_FUEL
            consumed.append(runtime.fuel_consumed)
        seen[engine_id(make)] = consumed
    assert len({tuple(v) for v in seen.values()}) == 1, seen


LOOP_FOREVER = """(module
  (func $spin (param i32) (result i32) local.get 0 i32.const 1 i32.add)
  (func (export "forever") (local i32) loop local.get 0 call $spin local.set 0 br 0 end)
  (func $down (export "down") (param i32) (result i32)
    local.get 0 i32.eqz if (result i32) i32.const 0
    else local.get 0 i32.const 1 i32.sub call $down i32.const 1 i32.add end)
  (func $deep (export "deep") (param i32) (result i32) local.get 0 call $deep))"""


@each_engine
def test_interrupts_and_call_depth_across_tiers(make):
    with pywaz.Runtime(make(), max_call_depth=1000) as runtime:
        exports = runtime.instantiate(wat2wasm(LOOP_FOREVER)).exports
        with pytest.raises(pywaz.Trap) as info:
            exports["forever"](timeout=0.3)
        assert info.value.kind is pywaz.TrapKind.INTERRUPTED
        assert [exports["down"](n) for n in (3, 10, 500, 900)] == [3, 10, 500, 900]
        with pytest.raises(pywaz.Trap) as info:
            exports["deep"](1)
        assert info.value.kind is pywaz.TrapKind.CALL_STACK_EXHAUSTED
        assert exports["down"](50) == 50  # still usable


def test_functions_compiled_in_the_cache_start_compiled(tmp_path):
    data = wat2wasm(CALLS)
    with pywaz.Runtime(TieredEngine(3, 10**9), cache=pywaz.CompilationCache(tmp_path)) as runtime:
        instance = runtime.instantiate(data)
        for _ in range(3):
            instance.exports["fib"](5)
        assert is_compiled(instance.exports["fib"].function)
    for engine in (TieredEngine(), "compiler"):  # the tiered and compiler engines share cache entries
        with pywaz.Runtime(engine, cache=pywaz.CompilationCache(tmp_path)) as runtime:
            instance = runtime.instantiate(data)
            assert runtime.stats()["disk_hits"] == 1
            fib, mix = instance.exports["fib"], instance.exports["mix"]
            assert fib(10) == 55
            assert is_compiled(fib.function)  # from the entry, at its first call
            if engine != "compiler":
                assert mix(3) == 12
                assert not is_compiled(mix.function)  # never hot: interpreted
