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


def test_a_self_tail_call_compiles_to_a_loop_and_a_mutual_one_to_the_trampoline():
    with pywaz.Runtime("compiler", compile_mode="eager") as runtime:
        functions = runtime.compile_module(wasmtime.wat2wasm(MUTUAL)).functions
        count = functions.view("count", python=True).python_source
        even = functions.view("even", python=True).python_source
    assert "_Tail" not in count and "while True:" in count and "l0, l1 = " in count
    assert "return _Tail((_f1, (" in even
