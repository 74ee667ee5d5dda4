"""Instantiation order (spec 2.0) and the visibility of partial failures."""

import pytest

import pywaz
from pywaz import Trap, TrapKind
from pywaz.text import wat2wasm


def wasm(text: str) -> bytes:
    return wat2wasm(text)


def test_segments_then_start_run_in_order(runtime):
    calls = []
    runtime.new_host_module("log").function("note", lambda v: calls.append(v), params=["i32"]).instantiate()
    instance = runtime.instantiate(
        wasm(
            """(module (import "log" "note" (func $note (param i32)))
              (memory (export "m") 1)
              (data (i32.const 0) "\\01")
              (data (i32.const 0) "\\02")
              (func $start i32.const 0 i32.load8_u call $note)
              (start $start))"""
        )
    )
    assert calls == [2]  # both data segments applied, in order, before start
    assert instance.exports["m"].read(0, 1) == b"\x02"


def test_trap_in_data_segment_keeps_earlier_writes(runtime):
    shared = runtime.instantiate(
        wasm('(module (memory (export "m") 1) (table (export "t") 3 funcref))'), pywaz.ModuleConfig(name="shared")
    )
    with pytest.raises(Trap) as info:
        runtime.instantiate(
            wasm(
                """(module (import "shared" "m" (memory 1)) (import "shared" "t" (table 3 funcref))
                  (func $f)
                  (elem (i32.const 0) $f)
                  (data (i32.const 10) "hi")
                  (data (i32.const 65535) "xx"))"""
            )
        )
    assert info.value.kind is TrapKind.OUT_OF_BOUNDS_MEMORY
    assert shared.exports["m"].read(10, 2) == b"hi"
    assert shared.exports["t"].get(0) is not None  # the element segment ran first


def test_trap_in_element_segment_stops_before_data(runtime):
    shared = runtime.instantiate(
        wasm('(module (memory (export "m") 1) (table (export "t") 3 funcref))'), pywaz.ModuleConfig(name="shared")
    )
    with pytest.raises(Trap) as info:
        runtime.instantiate(
            wasm(
                """(module (import "shared" "m" (memory 1)) (import "shared" "t" (table 3 funcref))
                  (func $f)
                  (elem (i32.const 1) $f)
                  (elem (i32.const 3) $f)
                  (data (i32.const 0) "x"))"""
            )
        )
    assert info.value.kind is TrapKind.OUT_OF_BOUNDS_TABLE
    assert shared.exports["t"].get(1) is not None
    assert shared.exports["m"].read(0, 1) == b"\x00"


def test_global_initialisers_see_imported_globals_and_funcs(runtime):
    runtime.new_host_module("env").global_("base", "i32", 40).instantiate()
    instance = runtime.instantiate(
        wasm(
            """(module (import "env" "base" (global $base i32))
              (global $g (export "g") i32 (global.get $base))
              (global $r funcref (ref.func $f))
              (func $f (export "f") (result i32) i32.const 2 global.get $g i32.add)
              (func (export "r_is_f") (result i32) global.get $r ref.is_null))"""
        )
    )
    assert instance.exports["g"].value == 40
    assert instance.exports["f"]() == 42
    assert instance.exports["r_is_f"]() == 0


def test_passive_and_declarative_segments(runtime):
    instance = runtime.instantiate(
        wasm(
            """(module (memory 1) (table 2 funcref)
              (func $f (result i32) i32.const 9)
              (elem $p funcref (ref.func $f))
              (elem declare func $f)
              (data $d "abc")
              (func (export "init") (result i32)
                i32.const 0 i32.const 0 i32.const 3 memory.init $d
                i32.const 1 i32.const 0 i32.const 1 table.init $p
                i32.const 2 i32.load8_u)
              (func (export "drop_then_init")
                data.drop $d
                i32.const 0 i32.const 0 i32.const 1 memory.init $d)
              (func (export "call1") (result i32) i32.const 1 call_indirect (result i32)))"""
        )
    )
    assert instance.exports["init"]() == ord("c")
    assert instance.exports["call1"]() == 9
    with pytest.raises(Trap) as info:
        instance.exports["drop_then_init"]()
    assert info.value.kind is TrapKind.OUT_OF_BOUNDS_MEMORY


def test_start_function_trap_propagates(runtime):
    with pytest.raises(Trap) as info:
        runtime.instantiate(wasm("(module (func $s unreachable) (start $s))"))
    assert info.value.kind is TrapKind.UNREACHABLE


def test_memory_page_limit():
    data = wasm(
        '(module (memory (export "m") 1) (func (export "grow") (param i32) (result i32) local.get 0 memory.grow))'
    )
    with pywaz.Runtime(max_memory_pages=3) as rt:
        instance = rt.instantiate(data)
        assert instance.exports["grow"](2) == 1
        assert instance.exports["grow"](1) == -1
        assert instance.exports["m"].size() == 3
        assert instance.exports["m"].grow(1) == -1
        assert instance.exports["grow"](0) == 3


def test_memory_grow_past_declared_max_returns_minus_one(runtime):
    instance = runtime.instantiate(
        wasm('(module (memory 1 2) (func (export "grow") (param i32) (result i32) local.get 0 memory.grow))')
    )
    assert instance.exports["grow"](-1) == -1
    assert instance.exports["grow"](2) == -1
    assert instance.exports["grow"](1) == 1


def test_table_grow_limit():
    data = wasm(
        '(module (table (export "t") 1 funcref) (func (export "grow") (param i32) (result i32) ref.null func local.get 0 table.grow 0))'
    )
    with pywaz.Runtime(max_table_size=10) as rt:
        instance = rt.instantiate(data)
        assert instance.exports["grow"](9) == 1
        assert instance.exports["grow"](1) == -1
        assert instance.exports["t"].size() == 10


def test_memory_or_table_minimum_above_the_runtime_limit_is_refused():
    with pywaz.Runtime(max_memory_pages=2, max_table_size=5) as rt:
        with pytest.raises(pywaz.InstantiationError, match="max_memory_pages"):
            rt.instantiate(wasm("(module (memory 3))"))
        with pytest.raises(pywaz.InstantiationError, match="max_table_size"):
            rt.instantiate(wasm("(module (table 6 funcref))"))
        assert rt.instantiate(wasm("(module (memory 2) (table 5 funcref))")) is not None
