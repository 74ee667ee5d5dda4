"""pywaz.cache.moduleinfo: a module's instantiation information as plain data, rebuilt into the same IR."""

import dataclasses

import msgpack
import pytest
import wasmtime

from pywaz.cache.moduleinfo import ModuleBodies, decode_module_info, encode_module_info, module_bodies_of
from pywaz.decoder import decode_module
from pywaz.errors import PywazError
from pywaz.validator import validate

WAT = """
(module $m
  (import "env" "f" (func $imp (param i64 f32) (result f64)))
  (import "env" "t" (table 2 10 externref))
  (import "env" "mem" (memory 1 3))
  (import "env" "g" (global $ig (mut f64)))
  (import "env" "c" (global $ic i32))
  (type $t (func (param i32) (result i32)))
  (table $tab 3 funcref)
  (global $a i64 (i64.const 0xFFFFFFFFFFFFFFFF))
  (global $b f32 (f32.const nan:0x200001))
  (global $c v128 (v128.const i32x4 -1 2 3 0x80000000))
  (global $d funcref (ref.func $two))
  (global $e externref (ref.null extern))
  (global $f i32 (global.get $ic))
  (func $one (export "one") (type $t) (local $x i64) (local.get 0))
  (func $two (param i32) (result i32) (call $one (local.get 0)))
  (elem (table $tab) (i32.const 0) func $one $two)
  (elem $pe funcref (ref.func $one) (ref.null func))
  (elem declare func $two)
  (data (i32.const 8) "\\00\\01\\02")
  (data $pd "passive")
  (export "tab" (table $tab))
  (export "g" (global $a))
  (start $start)
  (func $start))
"""


@pytest.fixture(scope="module")
def validated():
    return validate(decode_module(wasmtime.wat2wasm(WAT)))


def rebuilt(validated, bodies=None):
    info = msgpack.unpackb(msgpack.packb(encode_module_info(validated)), raw=False, strict_map_key=True)
    return decode_module_info(info, bodies)


def test_every_field_but_bodies_round_trips_through_msgpack(validated):
    again = rebuilt(validated)
    lazy = {"codes", "customs"}
    for field in dataclasses.fields(validated.module):
        if field.name not in lazy:
            assert getattr(again.module, field.name) == getattr(validated.module, field.name), field.name
    for field in dataclasses.fields(validated):
        if field.name not in {"module", "functions"}:
            assert getattr(again, field.name) == getattr(validated, field.name), field.name
    assert len(again.functions) == len(validated.functions) == len(again.module.codes) == 3
    assert len(again.module.customs) == len(validated.module.customs)
    assert again.num_imported_funcs == 1
    # Function types stay interned, so call_indirect's identity check holds across the two.
    assert all(a is b for a, b in zip(again.func_types, validated.func_types))


def test_bodies_come_from_the_bytes_on_first_use(validated):
    data = wasmtime.wat2wasm(WAT)
    again = rebuilt(validated, ModuleBodies(None, len(data)))
    with pytest.raises(PywazError, match="without its wasm bytes"):
        again.functions[0]
    bodies = module_bodies_of(again)
    with pytest.raises(PywazError, match="do not match"):
        bodies.provide(data[:-1])
    bodies.provide(data)
    assert again.functions[1].body.ops == validated.functions[1].body.ops
    assert list(again.module.codes)[0].locals == validated.module.codes[0].locals
    assert module_bodies_of(validated) is None


def test_foreign_or_malformed_information_is_refused(validated):
    with pytest.raises(PywazError):
        decode_module_info({"format": 999})
    info = encode_module_info(validated)
    info["imports"][0][2] = 9  # unknown kind
    with pytest.raises(PywazError, match="unknown kind"):
        decode_module_info(info)


def test_cached_data_segments_stay_columns_until_read(validated):
    again = rebuilt(validated).module.datas
    assert again._items is None  # no DataSegment built by loading
    assert len(again) == 2
    blob, starts, ends, active, memory, consts = again.data_columns[:6]
    assert [blob[s:e] for s, e in zip(starts, ends)] == [b"\x00\x01\x02", b"passive"]
    assert list(active) == [1, 0] and list(consts) == [8, 0] and list(memory) == [0, 0]
    assert again._items is None
    assert again[1] == validated.module.datas[1]
    assert list(again) == list(validated.module.datas)
    assert again[-1:] == validated.module.datas[-1:]
    assert hash(again) == hash(validated.module.datas)


def test_data_segments_with_a_computed_offset_round_trip():
    text = '(module (import "e" "g" (global i32)) (memory 1) (data (global.get 0) "x") (data (i32.const 3) "yz"))'
    original = validate(decode_module(wasmtime.wat2wasm(text)))
    again = rebuilt(original)
    assert again.module.datas == original.module.datas
    assert again.module.datas[0].offset_expr.ops == original.module.datas[0].offset_expr.ops


def test_malformed_data_columns_are_refused(validated):
    info = encode_module_info(validated)
    ends = bytearray(info["datas"]["ends"])
    ends[0:4], ends[4:8] = ends[4:8], ends[0:4]  # ends no longer ascending
    info["datas"]["ends"] = bytes(ends)
    with pytest.raises(PywazError, match="out of order|do not match"):
        decode_module_info(info)
    info = encode_module_info(validated)
    info["datas"]["active"] = b"\x01"
    with pytest.raises(PywazError, match="malformed"):
        decode_module_info(info)
