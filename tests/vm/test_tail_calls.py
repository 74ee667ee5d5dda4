"""Tail calls (return_call, return_call_indirect) run in constant stack in every engine and mode."""

from __future__ import annotations

import sys

import pytest
import wasmtime

import pywaz

CONFIGS = [("interpreter", None), ("compiler", "lazy"), ("compiler", "eager")]

# Two functions that tail-call each other n times (the spec's even/odd, without a result stack).
MUTUAL = """(module
  (func $even (export "even") (param i64) (result i32)
    (if (result i32) (i64.eqz (local.get 0))
      (then (i32.const 1))
      (else (return_call $odd (i64.sub (local.get 0) (i64.const 1))))))
  (func $odd (export "odd") (param i64) (result i32)
    (if (result i32) (i64.eqz (local.get 0))
      (then (i32.const 0))
      (else (return_call $even (i64.sub (local.get 0) (i64.const 1))))))
  (func $count (export "count") (param i64 i64) (result i64)
    (if (result i64) (i64.eqz (local.get 0))
      (then (local.get 1))
      (else (return_call $count (i64.sub (local.get 0) (i64.const 1)) (i64.add (local.get 1) (i64.const 1)))))))
"""

# Tail calls through a table: $down counts down through entry 0 (itself), then tail-calls entry 1, an
# import (a host function), which sees the same Python stack depth however long the chain was.
THROUGH_TABLE = """(module
  (import "env" "step" (func $step (param i64) (result i64)))
  (type $t (func (param i64) (result i64)))
  (table (export "table") 2 funcref)
  (elem (i32.const 0) $down $step)
  (func $down (param i64) (result i64)
    (return_call_indirect (type $t)
      (i64.sub (local.get 0) (i64.const 1))
      (i64.eqz (local.get 0))))
  (func (export "run") (param i64) (result i64)
    (return_call_indirect (type $t) (local.get 0) (i32.const 0))))
"""


@pytest.fixture(params=CONFIGS, ids=lambda c: c[0] + (f"-{c[1]}" if c[1] else ""))
def rt(request):
    engine, mode = request.param
    with pywaz.Runtime(engine, compile_mode=mode) as runtime:
        yield runtime


def test_ten_million_mutual_tail_calls(rt):
    instance = rt.instantiate(wasmtime.wat2wasm(MUTUAL))
    limit = sys.getrecursionlimit()
    assert instance.exports["even"](10_000_000) == 1
    assert instance.exports["odd"](11) == 1
    assert sys.getrecursionlimit() == limit


def test_self_tail_call_keeps_its_accumulator(rt):
    instance = rt.instantiate(wasmtime.wat2wasm(MUTUAL))
    assert instance.exports["count"](1_000_000, 5) == 1_000_005


def test_tail_calls_through_a_table_to_a_host_function(rt):
    depths = []

    def step(x: pywaz.i64) -> pywaz.i64:
        frame, depth = sys._getframe(), 0
        while frame is not None:
            frame, depth = frame.f_back, depth + 1
        depths.append(depth)
        return x + 1000

    rt.new_host_module("env").function("step", step).instantiate()
    instance = rt.instantiate(wasmtime.wat2wasm(THROUGH_TABLE))
    assert instance.exports["run"](0) == 999  # (a lazy compile's first call has a frame of its own)
    assert instance.exports["run"](0) == 999
    assert instance.exports["run"](300_000) == 999
    assert depths[1] == depths[2]  # the 300,000 tail calls before the host left no frames behind


def test_host_tail_call_chain_is_constant_stack(rt):
    """wasm -> return_call_indirect -> host, many times in one chain: one host frame at a time."""
    calls = []

    def step(x: pywaz.i64) -> pywaz.i64:
        calls.append(x)
        return x

    rt.new_host_module("env").function("step", step).instantiate()
    wat = """(module
      (import "env" "step" (func $step (param i64) (result i64)))
      (type $t (func (param i64) (result i64)))
      (table 2 funcref)
      (elem (i32.const 0) $loop $step)
      (func $loop (param i64) (result i64)
        (return_call_indirect (type $t)
          (i64.sub (local.get 0) (i64.const 1))
          (i32.eqz (i32.wrap_i64 (local.get 0)))))
      (func (export "run") (param i64) (result i64)
        (return_call_indirect (type $t) (local.get 0) (i32.const 0))))"""
    instance = rt.instantiate(wasmtime.wat2wasm(wat))
    assert instance.exports["run"](200_000) == -1  # the host got -1 once the count was spent (exports are signed)
    assert calls == [-1]


def test_tail_calls_across_instances(rt):
    """Two instances tail-calling each other: through an import one way, through a shared table back."""
    # Mutual imports need a table to close the cycle: b exports pong, a imports it and exports ping.
    b = rt.instantiate(
        wasmtime.wat2wasm(
            """(module
              (type $t (func (param i64) (result i64)))
              (table (export "t") 1 funcref)
              (func $pong (export "pong") (param i64) (result i64)
                (if (result i64) (i64.eqz (local.get 0)) (then (i64.const 9))
                  (else (return_call_indirect (type $t) (i64.sub (local.get 0) (i64.const 1)) (i32.const 0))))))"""
        ),
        pywaz.ModuleConfig(name="b"),
    )
    a = rt.instantiate(
        wasmtime.wat2wasm(
            """(module
              (import "b" "pong" (func $pong (param i64) (result i64)))
              (import "b" "t" (table 1 funcref))
              (elem (i32.const 0) $ping)
              (func $ping (export "ping") (param i64) (result i64)
                (if (result i64) (i64.eqz (local.get 0)) (then (i64.const 7))
                  (else (return_call $pong (i64.sub (local.get 0) (i64.const 1)))))))"""
        ),
        pywaz.ModuleConfig(name="a"),
    )
    assert a.exports["ping"](10) == 7
    assert b.exports["pong"](11) == 7


def test_a_self_tail_call_compiles_to_a_loop_and_a_mutual_one_to_a_group_loop():
    # even and odd (one type, tail-calling each other) are one def: odd's body under "elif _fn == 1:".
    with pywaz.Runtime("compiler", compile_mode="eager") as runtime:
        functions = runtime.compile_module(wasmtime.wat2wasm(MUTUAL)).functions
        count = functions.view("count", python=True).python_source
        even = functions.view("even", python=True).python_source
    assert "_Tail" not in count and "while True:" in count and "l0, l1 = " in count
    assert "_Tail" not in even and "elif _fn == 1:" in even and "_fn = 1" in even and "_fn = 0" in even


def test_a_tail_call_to_another_type_goes_through_the_trampoline():
    wat = """(module
      (func $f (export "f") (param i32) (result i32)
        (if (result i32) (i32.eqz (local.get 0)) (then (i32.const 7))
          (else (return_call $g (i64.extend_i32_u (i32.sub (local.get 0) (i32.const 1)))))))
      (func $g (param i64) (result i32) (return_call $f (i32.wrap_i64 (local.get 0)))))"""
    with pywaz.Runtime("compiler", compile_mode="eager") as runtime:
        source = runtime.compile_module(wasmtime.wat2wasm(wat)).functions.view("f", python=True).python_source
        instance = runtime.instantiate(wasmtime.wat2wasm(wat))
        assert instance.exports["f"](100_000) == 7
    assert "return _Tail((_f1, (" in source


# A group whose members have different locals (an f64 in one, two i64s in the other) and tail-call
# each other from inside loops and blocks, and a third member reached only from the second.
GROUP = """(module
  (memory 1)
  (func $a (export "a") (param i32 i32) (result i32) (local f64)
    (local.set 2 (f64.convert_i32_u (local.get 1)))
    (block $out
      (loop $again
        (br_if $out (i32.eqz (local.get 0)))
        (if (i32.and (local.get 0) (i32.const 1))
          (then (return_call $b (i32.sub (local.get 0) (i32.const 1))
                                (i32.add (local.get 1) (i32.trunc_f64_u (f64.mul (local.get 2) (f64.const 0.5)))))))
        (local.set 0 (i32.shr_u (local.get 0) (i32.const 1)))
        (local.set 1 (i32.add (local.get 1) (i32.const 3)))
        (br $again)))
    (local.get 1))
  (func $b (param i32 i32) (result i32) (local i64 i64)
    (local.set 2 (i64.extend_i32_u (local.get 1)))
    (i32.store (i32.const 8) (i32.add (i32.load (i32.const 8)) (i32.const 1)))
    (if (i32.gt_u (local.get 0) (i32.const 1000))
      (then (return_call $c (local.get 0) (i32.wrap_i64 (i64.mul (local.get 2) (i64.const 3))))))
    (return_call $a (local.get 0) (i32.wrap_i64 (i64.add (local.get 2) (local.get 3)))))
  (func $c (param i32 i32) (result i32)
    (return_call $a (i32.sub (local.get 0) (i32.const 7)) (local.get 1)))
  (func (export "visits") (result i32) (i32.load (i32.const 8))))"""


@pytest.mark.parametrize("mode", ["eager", "lazy"])
def test_a_tail_call_group_matches_the_interpreter(mode):
    data = wasmtime.wat2wasm(GROUP)
    results = []
    for engine in ("interpreter", "compiler"):
        with pywaz.Runtime(engine, compile_mode=mode) as runtime:
            instance = runtime.instantiate(data)
            results.append([(instance.exports["a"](n, n * 7 & 0xFFFFFFF), instance.exports["visits"]()) for n in
                            (0, 1, 2, 3, 1001, 5000, 12345, 65536)])
    assert results[0] == results[1]
    with pywaz.Runtime("compiler", compile_mode="eager") as runtime:
        source = runtime.compile_module(data).functions.view("a", python=True).python_source
    assert "elif _fn == 2:" in source and "_Tail" not in source
