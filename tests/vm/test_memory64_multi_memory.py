"""64-bit memories and tables (memory64) and multiple memories, end to end through the embedding API.

One module has three memories: memory 0 is 32-bit, ``wide`` is 64-bit and
``other`` a second 32-bit one, plus a 64-bit table. Every case runs in the
interpreter and in the compiler (eager and lazy), and again from a disk cache
entry, since the cached module information carries the address types and the
generated code is specialised on them. Expected values are written out here:
little-endian bytes, i64 results of ``memory.size``/``memory.grow`` on the
64-bit memory (-1 is 2**64-1), and traps for addresses past the end, including
ones above 2**63 where ``struct`` offsets overflow.
"""

from __future__ import annotations

import pytest

from pywaz import CompilationCache, Features, Runtime, Trap, TrapKind, ValidationError
from pywaz.text import wat2wasm

ENGINES = [("interpreter", None), ("compiler", "eager"), ("compiler", "lazy")]
ENGINE_IDS = ["interpreter", "compiler-eager", "compiler-lazy"]
M64 = 2**64 - 1

WAT = """
(module
  (memory $zero (export "memory") 1)
  (memory $wide (export "wide") i64 1 3)
  (memory $other (export "other") 2)
  (table $t (export "table") i64 2 funcref)
  (data (memory $wide) (i64.const 0x10) "\\01\\02\\03\\04")
  (data (memory $other) (i32.const 0x20) "wasm")
  (data $passive "pywaz")
  (elem (table $t) (i64.const 1) func $seven)
  (type $r (func (result i32)))
  (func $seven (result i32) (i32.const 7))
  (func (export "load_wide") (param i64) (result i32) (i32.load $wide (local.get 0)))
  (func (export "load_wide_offset") (param i64) (result i64)
    (i64.load8_u $wide offset=0xffffffffffffffff (local.get 0)))
  (func (export "store_wide") (param i64 i32) (i32.store $wide (local.get 0) (local.get 1)))
  (func (export "load_other") (param i32) (result i32) (i32.load8_u $other (local.get 0)))
  (func (export "store_both") (param i32 i32)
    (i32.store $zero (local.get 0) (local.get 1))
    (i32.store $other (local.get 0) (i32.add (local.get 1) (i32.const 1))))
  (func (export "load_zero") (param i32) (result i32) (i32.load $zero (local.get 0)))
  (func (export "size_wide") (result i64) (memory.size $wide))
  (func (export "grow_wide") (param i64) (result i64) (memory.grow $wide (local.get 0)))
  (func (export "grow_other") (param i32) (result i32) (memory.grow $other (local.get 0)))
  (func (export "copy_other_to_wide") (param i64 i32 i32)
    (memory.copy $wide $other (local.get 0) (local.get 1) (local.get 2)))
  (func (export "fill_wide") (param i64 i32 i64) (memory.fill $wide (local.get 0) (local.get 1) (local.get 2)))
  (func (export "init_wide") (param i64 i32 i32) (memory.init $wide $passive (local.get 0) (local.get 1) (local.get 2)))
  (func (export "call") (param i64) (result i32) (call_indirect $t (type $r) (local.get 0)))
  (func (export "table_size") (result i64) (table.size $t))
  (func (export "table_grow") (param i64) (result i64) (table.grow $t (ref.null func) (local.get 0)))
  (func (export "v128_wide") (param i64) (result i32) (i32x4.extract_lane 0 (v128.load $wide (local.get 0))))
)
"""


@pytest.fixture(scope="module")
def data() -> bytes:
    return bytes(wat2wasm(WAT))


def _check(instance) -> None:
    exports = instance.exports
    assert list(exports.memories()) == ["memory", "wide", "other"]
    wide = exports.memory("wide")
    assert wide.address_type == "i64" and exports.memory().address_type == "i32"
    assert exports["table"].address_type == "i64"
    assert bytes(wide.view()[0x10:0x14]) == b"\x01\x02\x03\x04"
    assert bytes(exports.memory("other").view()[0x20:0x24]) == b"wasm"
    assert exports["load_wide"](0x10) == 0x04030201
    assert exports["load_wide"](0x10000 - 4) == 0
    for address in (0x10000 - 3, 2**32, 2**63, M64):
        with pytest.raises(Trap) as caught:
            exports["load_wide"](address)
        assert caught.value.kind == TrapKind.OUT_OF_BOUNDS_MEMORY
    with pytest.raises(Trap):
        exports["load_wide_offset"](1)  # address + offset is 2**64: past the end, not wrapped to 0
    exports["store_wide"](0x100, 0xCAFEBABE)
    assert wide.read(0x100, 4) == (0xCAFEBABE).to_bytes(4, "little")
    exports["store_both"](8, 41)
    assert exports["load_zero"](8) == 41 and exports["load_other"](8) == 42
    assert exports["v128_wide"](0x10) == 0x04030201
    # size and grow are i64 on the 64-bit memory; its maximum is 3 pages.
    assert exports["size_wide"]() == 1
    assert exports["grow_wide"](1) == 1
    assert exports["grow_wide"](5) == -1  # the embedding API shows i64 results signed
    assert exports["grow_wide"](2**63) == -1
    assert exports["grow_other"](70000) == -1
    assert exports["size_wide"]() == 2 and wide.size() == 2
    exports["copy_other_to_wide"](0x1FFFC, 0x20, 4)
    assert wide.read(0x1FFFC, 4) == b"wasm"
    with pytest.raises(Trap):
        exports["copy_other_to_wide"](0x1FFFD, 0x20, 4)
    exports["fill_wide"](0x200, 0xAB, 3)
    assert wide.read(0x1FF, 5) == b"\x00\xab\xab\xab\x00"
    with pytest.raises(Trap):
        exports["fill_wide"](M64, 0, 2)
    exports["init_wide"](0x300, 1, 4)
    assert wide.read(0x300, 4) == b"ywaz"
    assert exports["call"](1) == 7
    for index in (2, 2**32 + 1, M64):
        with pytest.raises(Trap) as caught:
            exports["call"](index)
        assert caught.value.kind == TrapKind.UNDEFINED_ELEMENT
    assert exports["table_size"]() == 2
    assert exports["table_grow"](M64) == -1


@pytest.mark.parametrize("engine, mode", ENGINES, ids=ENGINE_IDS)
def test_memories_by_export_name(data, engine, mode):
    with Runtime(engine=engine, compile_mode=mode) as runtime:
        _check(runtime.instantiate(data))


@pytest.mark.parametrize("engine, mode", ENGINES, ids=ENGINE_IDS)
def test_from_a_disk_cache_entry(data, engine, mode, tmp_path):
    for round_ in range(2):
        with CompilationCache(tmp_path) as cache, Runtime(engine=engine, compile_mode=mode, cache=cache) as runtime:
            _check(runtime.instantiate(data))
            stats = cache.stats()
        if round_ == 1:
            assert stats["disk_hits"] == 1 and stats["compilations"] == 0, stats


def test_memory_lookup_names_what_exists(data):
    with Runtime() as runtime:
        exports = runtime.instantiate(data).exports
        with pytest.raises(KeyError, match="memories: \\['memory', 'wide', 'other'\\]"):
            exports.memory("table")
        with pytest.raises(KeyError, match="exports nothing as 'nope'"):
            exports.memory("nope")


def test_the_2_0_runtime_refuses_both_proposals(data):
    from pywaz import ProposalError

    with Runtime(features=Features.wasm2()) as runtime, pytest.raises(ProposalError) as caught:
        runtime.compile_module(data)
    assert caught.value.proposal == "memory64"
    two = bytes(wat2wasm("(module (memory 1) (memory 1))"))
    with Runtime(features=Features().replace(multi_memory=False)) as runtime, pytest.raises(ValidationError) as caught:
        runtime.compile_module(two)
    assert caught.value.proposal == "multi_memory"


@pytest.mark.parametrize("engine, mode", ENGINES, ids=ENGINE_IDS)
def test_importing_memories_checks_the_address_type(engine, mode):
    from pywaz import LinkError

    with Runtime(engine=engine, compile_mode=mode) as runtime:
        runtime.new_host_module("env").memory("m64", 1, address_type="i64").memory("m32", 1).instantiate()
        ok = wat2wasm('(module (import "env" "m64" (memory i64 1)) (import "env" "m32" (memory 1))'
                               ' (func (export "size") (result i64) (memory.size 0)))')
        assert runtime.instantiate(bytes(ok)).exports["size"]() == 1
        with pytest.raises(LinkError, match="incompatible import type"):
            runtime.instantiate(bytes(wat2wasm('(module (import "env" "m32" (memory i64 1)))')))
        with pytest.raises(LinkError, match="incompatible import type"):
            runtime.instantiate(bytes(wat2wasm('(module (import "env" "m64" (memory 1)))')))


@pytest.mark.parametrize("engine, mode", ENGINES, ids=ENGINE_IDS)
def test_a_64_bit_data_offset_past_the_end_traps_at_instantiation(engine, mode):
    wat = '(module (memory i64 1) (data (i64.const 0xffffffffffffffff) "x"))'
    with Runtime(engine=engine, compile_mode=mode) as runtime, pytest.raises(Trap) as caught:
        runtime.instantiate(bytes(wat2wasm(wat)))
    assert caught.value.kind == TrapKind.OUT_OF_BOUNDS_MEMORY
