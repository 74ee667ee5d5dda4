"""Exception handling (3.0): throw, throw_ref, try_table, exnref, tags across instances and host frames."""

from __future__ import annotations

import pytest
import wasmtime

import pywaz
from pywaz import Trap, TrapKind, WasmException

CONFIGS = [("interpreter", None), ("compiler", "lazy"), ("compiler", "eager")]


@pytest.fixture(params=CONFIGS, ids=lambda c: c[0] + (f"-{c[1]}" if c[1] else ""))
def rt(request):
    engine, mode = request.param
    with pywaz.Runtime(engine, compile_mode=mode) as runtime:
        yield runtime


MODULE = """(module
  (tag $e (export "e") (param i32 i64))
  (tag $empty (export "empty"))
  (import "host" "call" (func $host_call (param i32)))
  (global $saved (mut exnref) (ref.null exn))
  (memory 1)
  (func $thrower (export "thrower") (param i32)
    (if (i32.eqz (local.get 0)) (then (throw $empty)))
    (if (i32.eq (local.get 0) (i32.const 1)) (then (throw $e (i32.const 7) (i64.const -1))))
    (if (i32.eq (local.get 0) (i32.const 2)) (then unreachable)))
  ;; catch: the payload lands on the label; catch_all; traps pass through.
  (func (export "catch") (param i32) (result i64)
    (block $all
      (block $caught (result i32 i64)
        (try_table (catch $e $caught) (catch_all $all)
          (call $thrower (local.get 0)))
        (return (i64.const 100)))
      (drop)  ;; the i64; return the i32, widened
      (return (i64.extend_i32_u)))
    (i64.const 200))
  ;; catch_ref keeps the exception; throw_ref rethrows the same one to an outer handler.
  (func (export "rethrow") (param i32) (result i32)
    (block $outer (result i32 i64)
      (try_table (catch $e $outer)
        (block $inner (result i32 i64 exnref)
          (try_table (catch_ref $e $inner) (call $thrower (local.get 0)))
          (return (i32.const -1)))
        (global.set $saved)
        (drop) (drop)
        (throw_ref (global.get $saved)))
      (return (i32.const -2)))
    (drop))
  ;; the exception goes through a host frame and comes back to a wasm handler
  (func (export "through_host") (param i32) (result i32)
    (block $h (result i32 i64)
      (try_table (catch $e $h) (call $host_call (local.get 0)))
      (return (i32.const 0)))
    (drop)
    (i32.add (i32.load (i32.const 0))))
  (func (export "throw_null") (throw_ref (ref.null exn)))
  (func (export "is_saved_null") (result i32) (ref.is_null (global.get $saved))))
"""


def _instance(rt, host_call):
    rt.new_host_module("host").function("call", host_call, params=["i32"], results=[]).instantiate()
    return rt.instantiate(wasmtime.wat2wasm(MODULE))


def test_catch_payload_catch_all_and_traps(rt):
    instance = _instance(rt, lambda x: None)
    assert instance.exports["catch"](1) == 7
    assert instance.exports["catch"](0) == 200  # $empty: only catch_all matches
    assert instance.exports["catch"](3) == 100  # nothing thrown
    with pytest.raises(Trap) as info:  # a trap is never caught by wasm, not even by catch_all
        instance.exports["catch"](2)
    assert info.value.kind is TrapKind.UNREACHABLE


def test_throw_ref_rethrows_the_same_exception(rt):
    instance = _instance(rt, lambda x: None)
    assert instance.exports["is_saved_null"]() == 1
    assert instance.exports["rethrow"](1) == 7
    assert instance.exports["is_saved_null"]() == 0
    with pytest.raises(Trap) as info:
        instance.exports["throw_null"]()
    assert info.value.kind is TrapKind.NULL_EXCEPTION_REFERENCE


def test_uncaught_exception_reaches_python_typed_with_tag_and_payload(rt):
    instance = _instance(rt, lambda x: None)
    with pytest.raises(WasmException) as info:
        instance.exports["thrower"](1)
    error = info.value
    assert not isinstance(error, Trap)
    assert error.tag is instance.exports["e"]
    assert error.payload == (7, 0xFFFFFFFFFFFFFFFF)  # raw values (unsigned canonical form)
    with pytest.raises(WasmException) as info:
        instance.exports["thrower"](0)
    assert info.value.tag is instance.exports["empty"] and info.value.payload == ()


def test_exception_crossing_a_host_frame_keeps_its_identity(rt):
    holder = {}
    seen = []

    def host_call(x):
        try:
            holder["instance"].exports["thrower"](x)
        except WasmException as error:  # catchable in Python, then re-thrown into wasm unchanged
            seen.append(error)
            raise

    instance = holder["instance"] = _instance(rt, host_call)
    assert instance.exports["through_host"](1) == 7
    assert seen and seen[0].tag is instance.exports["e"]


def test_host_throws_by_tag_and_python_errors_stay_traps(rt):
    wat = """(module
      (import "host" "err" (tag $err (param i32)))
      (import "host" "f" (func $f (param i32)))
      (func (export "run") (param i32) (result i32)
        (block $any
          (block $h (result i32)
            (try_table (catch $err $h) (catch_all $any) (call $f (local.get 0)))
            (return (i32.const -1)))
          (return))
        (i32.const -2)))"""
    builder = rt.new_host_module("host").tag("err", ["i32"])
    tag = builder.tags["err"]

    def f(x: pywaz.i32):
        if x == 1:
            raise WasmException(tag, (41,))
        if x == 2:
            raise ValueError("a bug in the host")

    builder.function("f", f).instantiate()
    instance = rt.instantiate(wasmtime.wat2wasm(wat))
    assert instance.exports["run"](1) == 41
    assert instance.exports["run"](0) == -1
    with pytest.raises(Trap) as info:  # not catchable by catch_all: a host error is a trap
        instance.exports["run"](2)
    assert info.value.kind is TrapKind.HOST_ERROR


def test_tags_are_per_instance_and_link_by_type(rt):
    wat = '(module (tag (export "t") (param i32)))'
    first = rt.instantiate(wasmtime.wat2wasm(wat))
    second = rt.instantiate(wasmtime.wat2wasm(wat))
    assert first.exports["t"] is not second.exports["t"]
    assert isinstance(first.exports["t"], pywaz.Tag)
    rt.new_host_module("m").tag("t", ["i64"]).instantiate()
    with pytest.raises(pywaz.LinkError, match="incompatible import type"):
        rt.instantiate(wasmtime.wat2wasm('(module (import "m" "t" (tag (param i32))))'))


def test_switched_off_exceptions_are_named():
    binary = wasmtime.wat2wasm('(module (tag (param i32)))')
    with pywaz.Runtime(features=pywaz.Features(exceptions=False)) as runtime:
        with pytest.raises(pywaz.ProposalDisabledError, match="exception-handling"):
            runtime.compile_module(binary)
