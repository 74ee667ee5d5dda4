"""Control flow, memory and moves of NaN bit patterns, checked against wasmtime."""

import pytest
import wasmtime

import pywaz
from pywaz.text import wat2wasm

PROGRAM = r"""(module
  (memory 1)
  (global $gf (mut f32) (f32.const 0))
  (func (export "switch") (param i32) (result i32)
    (block $d (block $c (block $b (block $a
      (br_table $a $b $c $d (local.get 0)))
      (return (i32.const 10)))
      (return (i32.const 20)))
      (return (i32.const 30)))
    (i32.const 40))
  (func (export "multi") (param i32) (result i32 i32)
    (block (result i32 i32)
      (i32.const 1) (i32.const 2)
      (br_if 0 (local.get 0))
      (drop) (drop) (i32.const 3) (i32.const 4)))
  (func (export "loop_params") (param i32) (result i32)
    (i32.const 0)
    (loop $l (param i32) (result i32)
      (local.get 0) (i32.add)
      (local.set 0 (i32.sub (local.get 0) (i32.const 1)))
      (local.get 0)
      (br_if $l (i32.ne (local.get 0) (i32.const 0)))
      (drop)))
  (func (export "if_params") (param i32 i32) (result i32)
    (local.get 1)
    (if (param i32) (result i32) (local.get 0)
      (then (i32.const 100) (i32.add))
      (else (i32.const 200) (i32.sub))))
  (func (export "nested_br") (param i32) (result i32)
    (block $out (result i32)
      (block $in
        (loop $l
          (br_if $in (i32.eqz (local.get 0)))
          (local.set 0 (i32.sub (local.get 0) (i32.const 1)))
          (br_if $out (i32.const 77) (i32.eq (local.get 0) (i32.const 5)))
          (br $l)))
      (i32.const 99)))
  (func (export "f32_mem_roundtrip") (param i32) (result i32)
    (i32.store (i32.const 8) (local.get 0))
    (f32.store (i32.const 16) (f32.load (i32.const 8)))
    (i32.load (i32.const 16)))
  (func (export "f32_global_select") (param i32 i32) (result i32)
    (global.set $gf (f32.reinterpret_i32 (local.get 0)))
    (i32.reinterpret_f32 (select (global.get $gf) (f32.const 1) (local.get 1))))
  (func (export "f64_mem_roundtrip") (param i64) (result i64)
    (f64.store (i32.const 24) (f64.reinterpret_i64 (local.get 0)))
    (i64.reinterpret_f64 (f64.load (i32.const 24))))
  (func (export "loads") (param i64) (result i64)
    (i64.store (i32.const 32) (local.get 0))
    (i64.add
      (i64.add (i64.load8_s (i32.const 32)) (i64.load16_s (i32.const 33)))
      (i64.add (i64.extend_i32_u (i32.load8_s (i32.const 35))) (i64.load32_s (i32.const 36)))))
  (func (export "narrow_stores") (param i64) (result i64)
    (i64.store (i32.const 48) (i64.const 0))
    (i64.store8 (i32.const 48) (local.get 0))
    (i64.store16 (i32.const 50) (local.get 0))
    (i64.store32 (i32.const 52) (local.get 0))
    (i64.load (i32.const 48)))
  (func (export "ret_mid") (param i32) (result i32)
    (block (loop (br_if 1 (i32.eqz (local.get 0))) (return (i32.const 5))))
    (i32.const 6))
)"""

CASES = [
    ("switch", [(i,) for i in (0, 1, 2, 3, 4, 100, -1)]),
    ("multi", [(0,), (1,)]),
    ("loop_params", [(1,), (10,), (100,)]),
    ("if_params", [(0, 5), (1, 5)]),
    ("nested_br", [(0,), (3,), (9,)]),
    ("f32_mem_roundtrip", [(0x7FA00001,), (-0x005FFFFF,), (0x3F800000,), (0x7FC00000,)]),
    ("f32_global_select", [(0x7FA00001, 1), (0x7FA00001, 0), (-0x005FFFFF, 1)]),
    ("f64_mem_roundtrip", [(0x7FF4000000000001,), (-0x000C000000000001,)]),
    ("loads", [(0x8081828384858687,), (0x0102030405060708,), (-1,)]),
    ("narrow_stores", [(0x1122334455667788,), (-2,)]),
    ("ret_mid", [(0,), (1,)]),
]


@pytest.fixture(scope="module")
def pair():
    data = wat2wasm(PROGRAM)
    store = wasmtime.Store()
    reference = wasmtime.Instance(store, wasmtime.Module(store.engine, data), []).exports(store)
    with pywaz.Runtime("interpreter") as runtime:
        yield store, reference, runtime.instantiate(data)


@pytest.mark.parametrize("name, argsets", CASES, ids=[c[0] for c in CASES])
def test_same_results_as_wasmtime(pair, name, argsets):
    store, reference, ours = pair
    for args in argsets:
        expected = reference[name](store, *args)
        got = ours.exports[name](*args)
        if isinstance(expected, list):
            expected = tuple(expected)
        assert got == expected, (name, args)
