"""Embedding API on exported objects: function arguments, memory bytes/strings/ndarray, globals, tables,
and CompiledModule.imports/exports before instantiation."""

from __future__ import annotations

import numpy
import pytest

import pywaz
from pywaz.ir import F64, I32, I64
from pywaz.text import wat2wasm

ENGINES = ["interpreter", "compiler"]

WAT = """(module
  (memory (export "memory") 1 4)
  (global (export "counter") (mut i32) (i32.const 5))
  (global (export "const") i64 (i64.const -9))
  (global (export "ref") (mut externref) (ref.null extern))
  (table (export "tab") 2 10 funcref)
  (func (export "swap") (param i32 i64) (result i64 i32) local.get 1 local.get 0)
  (func (export "load") (param i32) (result i32) local.get 0 i32.load)
  (func (export "store") (param i32 i32) local.get 0 local.get 1 i32.store)
  (func (export "grow") (param i32) (result i32) local.get 0 memory.grow)
  (func (export "half") (param f64) (result f64) local.get 0 f64.const 0.5 f64.mul))"""


@pytest.fixture(params=ENGINES)
def inst(request):
    with pywaz.Runtime(request.param) as runtime:
        yield runtime.instantiate(wat2wasm(WAT))


def test_function_arguments_checked_and_multi_value(inst):
    swap = inst.exports["swap"]
    assert swap(1, 2) == (2, 1)
    # i32/i64 accept the signed and the unsigned range; results are signed.
    assert swap(0xFFFFFFFF, -1) == (-1, -1)
    assert swap(-(2**31), 2**64 - 1) == (-1, -(2**31))
    with pytest.raises(TypeError, match="takes 2 argument"):
        swap(1)
    with pytest.raises(TypeError, match="argument 0: expected an int"):
        swap(1.0, 2)
    with pytest.raises(TypeError, match="expected an int"):
        swap(True, 2)
    with pytest.raises(ValueError, match="out of range for i32"):
        swap(2**32, 0)
    with pytest.raises(ValueError, match="out of range for i32"):
        swap(-(2**31) - 1, 0)
    with pytest.raises(ValueError, match="out of range for i64"):
        swap(0, 2**64)
    half = inst.exports["half"]
    assert half(3) == 1.5 and half(1.0) == 0.5
    with pytest.raises(TypeError):
        half("1")
    with pytest.raises(ValueError, match="too large"):
        half(10**400)
    with pytest.raises(TypeError):
        half(1.0, timeout="soon")
    with pytest.raises(ValueError):
        half(1.0, timeout=-1)


def test_memory_bytes_and_strings(inst):
    mem = inst.exports["memory"]
    mem.write(8, b"\x01\x02\x03\x04")
    assert inst.exports["load"](8) == 0x04030201
    assert mem.read(8, 4) == b"\x01\x02\x03\x04"
    assert mem.write_string(100, "héllo", nul=True) == 7
    assert mem.read_string(100) == "héllo"
    assert mem.read_string(100, 6) == "héllo"
    assert mem.read_string(100, 3, encoding="latin-1") == "hÃ©"
    assert mem.write_string(200, "abc", encoding="utf-16-le") == 6
    assert mem.read(200, 6) == "abc".encode("utf-16-le")
    with pytest.raises(UnicodeDecodeError):
        mem.read_string(100, 2)  # cuts é in half
    with pytest.raises(ValueError, match="outside the memory"):
        mem.read(65535, 2)
    with pytest.raises(ValueError, match="outside the memory"):
        mem.write_string(65535, "ab")
    with pytest.raises(ValueError, match="outside the memory"):
        mem.read_string(-1)
    mem.write(65535, b"x")  # no NUL between here and the end
    with pytest.raises(ValueError, match="no NUL terminator"):
        mem.read_string(65535)
    with pytest.raises(TypeError, match="text must be a str"):
        mem.write_string(0, b"bytes")
    with pytest.raises(TypeError, match="offset must be an int"):
        mem.read_string("0")
    with pytest.raises(LookupError):
        mem.read_string(100, encoding="no-such-codec")


def test_memory_ndarray_is_zero_copy(inst):
    mem = inst.exports["memory"]
    arr = mem.ndarray(numpy.int32, offset=16, count=4)
    assert arr.shape == (4,) and arr.dtype == numpy.int32
    arr[:] = [1, -2, 3, -4]
    assert inst.exports["load"](20) == -2  # wasm sees numpy's writes
    inst.exports["store"](24, 77)
    assert arr[2] == 77  # numpy sees wasm's writes
    whole = mem.ndarray("f64")
    assert whole.shape == (65536 // 8,) and whole.dtype == numpy.dtype("<f8")
    assert mem.ndarray("u16", 20, 2).tolist() == [0xFFFE, 0xFFFF]  # -2 as two little-endian halves
    tail = mem.ndarray(numpy.uint16, offset=65535)
    assert tail.shape == (0,)
    with pytest.raises(ValueError, match="outside the memory"):
        mem.ndarray(numpy.int64, offset=65530, count=1)
    with pytest.raises(ValueError, match="outside the memory"):
        mem.ndarray(numpy.uint8, offset=65537)
    with pytest.raises(ValueError, match="negative"):
        mem.ndarray(numpy.uint8, count=-1)
    with pytest.raises(TypeError, match="cannot view raw memory"):
        mem.ndarray(object)
    with pytest.raises(TypeError, match="not a numpy dtype"):
        mem.ndarray("no-such-dtype")
    with pytest.raises(TypeError, match="count must be an int"):
        mem.ndarray(numpy.uint8, count=1.5)


def test_ndarray_after_growth_is_stale_but_zero_and_failed_grows_keep_it(inst):
    mem = inst.exports["memory"]
    arr = mem.ndarray(numpy.uint8, 0, 4)
    assert mem.grow(0) == 1 and inst.exports["grow"](100) == -1  # no resize: the view stays live
    inst.exports["store"](0, 0x11)
    assert arr[0] == 0x11
    assert inst.exports["grow"](1) == 1  # a real grow while a view pins the buffer: the memory moves
    inst.exports["store"](0, 0x22)
    assert arr[0] == 0x11  # stale: the old view kept the old bytes
    arr[1] = 0x55
    assert inst.exports["load"](0) == 0x22  # and writes through it are lost
    fresh = mem.ndarray(numpy.uint8, 0, 4)
    assert fresh[0] == 0x22 and mem.size() == 2
    del arr, fresh
    assert mem.grow(1) == 2  # without views the memory grows in place
    assert mem.read(0, 1) == b"\x22" and mem.data_size == 3 * 65536


def test_globals(inst):
    counter, const, ref = inst.exports["counter"], inst.exports["const"], inst.exports["ref"]
    assert counter.value == 5 and counter.mutable
    counter.value = -1
    assert counter.get() == -1 and counter.global_.value == 0xFFFFFFFF
    counter.set(0xFFFFFFFE)
    assert counter.value == -2
    with pytest.raises(TypeError, match="expected an int"):
        counter.set(1.5)
    with pytest.raises(ValueError, match="out of range"):
        counter.set(2**32)
    assert const.value == -9 and not const.mutable
    with pytest.raises(TypeError, match="immutable"):
        const.set(1)
    token = object()
    ref.value = token
    assert ref.value is token


def test_tables(inst):
    tab = inst.exports["tab"]
    assert tab.size() == 2 and tab.get(0) is None
    tab.set(0, inst.exports["half"])
    assert tab.get(0)(4.0) == 2.0
    assert tab.grow(3, inst.exports["swap"]) == 2 and tab.size() == 5
    assert tab.get(4)(1, 2) == (2, 1)
    assert tab.grow(100) == -1 and tab.size() == 5  # the declared maximum is 10
    with pytest.raises(IndexError):
        tab.get(5)
    with pytest.raises(IndexError):
        tab.set(-1, None)
    with pytest.raises(TypeError, match="index must be an int"):
        tab.get("0")
    with pytest.raises(TypeError, match="funcref"):
        tab.set(0, lambda: None)
    with pytest.raises(TypeError, match="delta must be an int"):
        tab.grow(1.0)
    with pytest.raises(ValueError, match="negative"):
        tab.grow(-1)
    with pytest.raises(TypeError, match="init"):
        tab.grow(1, "not a function")


def test_imports_and_exports_types_before_instantiation():
    wat = """(module
      (import "env" "f" (func (param i32 f64) (result i64)))
      (import "env" "mem" (memory 1 2))
      (import "env" "g" (global (mut i32)))
      (import "env" "t" (table 3 externref))
      (func (export "h") (param i64) (result i64) local.get 0)
      (export "mem" (memory 0)))"""
    with pywaz.Runtime() as runtime:
        compiled = runtime.compile_module(wat2wasm(wat))
        imports = compiled.imports
        assert [(i.module, i.name, i.kind) for i in imports] == [
            ("env", "f", "func"),
            ("env", "mem", "memory"),
            ("env", "g", "global"),
            ("env", "t", "table"),
        ]
        assert imports[0].type.params == (I32, F64) and imports[0].type.results == (I64,)
        assert (imports[1].type.limits.min, imports[1].type.limits.max) == (1, 2)
        assert imports[2].type.valtype == I32 and imports[2].type.mutable
        assert imports[3].type.limits.min == 3
        exports = {e.name: e for e in compiled.exports}
        assert exports["h"].kind == "func" and exports["h"].type.params == (I64,)
        assert exports["mem"].kind == "memory"
        compiled.close()
        with pytest.raises(pywaz.ClosedError):
            _ = compiled.imports
