"""``call_raw``'s contract, the same in every engine and compile mode (issue 18, bug 4).

Raw arguments are canonical (unsigned ints in range, f32 values exactly
representable, raw ``Function`` objects of the same runtime); anything else is
an ``ArgumentError`` before any engine sees it, so the interpreter and the
compiler can no longer disagree (``add.call_raw(-1, 0)`` used to give
4294967295 in one and -1 in the other). Expected results come from a small
Python model of each function, not from either engine.
"""

from __future__ import annotations

import enum
import math

import pytest

import pywaz
from pywaz import ArgumentError
from pywaz.numeric import f32_from_bits, f32_to_bits, f64_from_bits, f64_to_bits
from pywaz.text import wat2wasm

CONFIGS = [("interpreter", None), ("compiler", "eager"), ("compiler", "lazy")]

WAT = """(module
  (global $g (export "g") (mut i32) (i32.const 7))
  (table (export "table") 2 funcref)
  (func $add (export "add") (param i32 i32) (result i32) local.get 0 local.get 1 i32.add)
  (func (export "sub64") (param i64 i64) (result i64) local.get 0 local.get 1 i64.sub)
  (func (export "lt_s") (param i32 i32) (result i32) local.get 0 local.get 1 i32.lt_s)
  (func (export "f32_bits") (param f32) (result i32) local.get 0 i32.reinterpret_f32)
  (func (export "f32_id") (param f32) (result f32) local.get 0)
  (func (export "f32_add") (param f32 f32) (result f32) local.get 0 local.get 1 f32.add)
  (func (export "f64_mul") (param f64 f64) (result f64) local.get 0 local.get 1 f64.mul)
  (func (export "v_xor") (param v128 v128) (result v128) local.get 0 local.get 1 v128.xor)
  (func (export "swap") (param i32 i64) (result i64 i32) local.get 1 local.get 0)
  (func (export "set_g") (param i32) local.get 0 global.set $g)
  (func (export "is_null_func") (param funcref) (result i32) local.get 0 ref.is_null)
  (func (export "store_func") (param funcref) i32.const 0 local.get 0 table.set 0)
  (func (export "call_slot") (param i32 i32) (result i32)
    local.get 0 local.get 1 i32.const 0 call_indirect (param i32 i32) (result i32))
  (func (export "extern_id") (param externref) (result externref) local.get 0))"""

M32, M64 = (1 << 32) - 1, (1 << 64) - 1


def _s32(v: int) -> int:
    return v - (1 << 32) if v >> 31 else v


SNAN32 = f32_from_bits(0x7FA00001)  # a signalling f32 NaN, widened exactly
OPAQUE = object()

# (export, raw args, model of the raw result)
IN_CONTRACT = [
    ("add", (1, 2), lambda a, b: (a + b) & M32),
    ("add", (M32, 1), lambda a, b: (a + b) & M32),
    ("add", (0x80000000, 0x80000000), lambda a, b: (a + b) & M32),
    ("sub64", (0, 1), lambda a, b: (a - b) & M64),
    ("sub64", (M64, M64), lambda a, b: (a - b) & M64),
    ("lt_s", (M32, 0), lambda a, b: int(_s32(a) < _s32(b))),
    ("lt_s", (5, 0x80000000), lambda a, b: int(_s32(a) < _s32(b))),
    ("f32_bits", (1.5,), f32_to_bits),
    ("f32_bits", (SNAN32,), f32_to_bits),
    ("f32_bits", (-math.inf,), f32_to_bits),
    ("f32_id", (SNAN32,), lambda a: a),
    ("f32_add", (0.5, 0.25), lambda a, b: a + b),
    ("f64_mul", (1.5, -2.0), lambda a, b: a * b),
    ("f64_mul", (f64_from_bits(0x7FF4000000000001), 1.0), None),  # NaN: checked by class below
    ("v_xor", ((1 << 128) - 1, 0x0F << 64), lambda a, b: a ^ b),
    ("swap", (M32, M64), lambda a, b: (b, a)),
    ("is_null_func", (None,), lambda a: 1),
    ("extern_id", (OPAQUE,), lambda a: a),
    ("extern_id", (None,), lambda a: a),
]

# (export, args, words the message must contain)
OUT_OF_CONTRACT = [
    ("add", (-1, 0), "not a raw i32"),
    ("add", (1 << 32, 0), "not a raw i32"),
    ("add", (1.5, 2), "expected a raw i32"),
    ("add", ("a", None), "expected a raw i32"),
    ("add", (True, 1), "got bool"),
    ("add", (1,), "takes 2 raw argument(s), got 1"),
    ("add", (1, 2, 3), "takes 2 raw argument(s), got 3"),
    ("sub64", (-1, 0), "not a raw i64"),
    ("sub64", (0, 1 << 64), "not a raw i64"),
    ("lt_s", (0, -5), "argument 1"),
    ("f32_bits", (0.1,), "not a raw f32"),
    ("f32_bits", (1e300,), "not a raw f32"),
    ("f32_bits", (f64_from_bits(0x7FF8000000000001),), "not a raw f32"),  # NaN payload bits f32 cannot hold
    ("f32_bits", (1,), "expected a raw f32"),
    ("f64_mul", (1, 2.0), "expected a raw f64"),
    ("f64_mul", (None, 2.0), "expected a raw f64"),
    ("v_xor", (-1, 0), "not a raw v128"),
    ("v_xor", (0, 1 << 128), "not a raw v128"),
    ("v_xor", (0.0, 0), "expected a raw v128"),
    ("swap", (0, -1), "not a raw i64"),
    ("set_g", (-1,), "not a raw i32"),
    ("is_null_func", (OPAQUE,), "expected a raw funcref"),
    ("is_null_func", (lambda: None,), "expected a raw funcref"),
]


@pytest.fixture(params=CONFIGS, ids=lambda c: "-".join(filter(None, c)))
def exports(request):
    engine, mode = request.param
    with pywaz.Runtime(engine, compile_mode=mode) as runtime:
        yield runtime.instantiate(wat2wasm(WAT)).exports


def _raw_bits(value):
    """Compare floats by bits (NaN payloads included), everything else by value/identity."""
    if isinstance(value, tuple):
        return tuple(_raw_bits(v) for v in value)
    if isinstance(value, float):
        return ("float", f64_to_bits(value))
    return value


@pytest.mark.parametrize("name,args,model", IN_CONTRACT, ids=lambda x: x if isinstance(x, str) else None)
def test_in_contract_arguments_give_canonical_results(exports, name, args, model):
    got = exports[name].call_raw(*args)
    if model is None:
        assert isinstance(got, float) and math.isnan(got)
        return
    expected = model(*args)
    assert _raw_bits(got) == _raw_bits(expected)
    for value, valtype in zip(got if isinstance(got, tuple) else (got,), exports[name].type.results):
        if valtype in (0x7F, 0x7E):  # i32, i64: unsigned canonical, plain int
            assert type(value) is int and 0 <= value < (1 << (32 if valtype == 0x7F else 64))


@pytest.mark.parametrize("name,args,words", OUT_OF_CONTRACT, ids=lambda x: x if isinstance(x, str) else None)
def test_out_of_contract_arguments_raise_the_same_typed_error(exports, name, args, words):
    before = exports["g"].value
    with pytest.raises(ArgumentError) as info:
        exports[name].call_raw(*args)
    error = info.value
    assert words in str(error) and name in str(error)
    # Typed for pywaz, and still what the built-in checks raised before.
    assert isinstance(error, pywaz.PywazError) and isinstance(error, TypeError) and isinstance(error, ValueError)
    assert error.__cause__ is None and error.__context__ is None  # not a wrapped engine traceback
    assert exports["g"].value == before


def test_every_engine_gives_the_same_message():
    """The error comes from the boundary, not an engine: identical text under every configuration."""
    messages = {}
    for engine, mode in CONFIGS:
        with pywaz.Runtime(engine, compile_mode=mode) as runtime:
            exports = runtime.instantiate(wat2wasm(WAT)).exports
            for name, args, _ in OUT_OF_CONTRACT:
                with pytest.raises(ArgumentError) as info:
                    exports[name].call_raw(*args)
                messages.setdefault((name, repr(args)), set()).add(str(info.value))
    assert all(len(texts) == 1 for texts in messages.values()), messages


def test_int_and_float_subclasses_are_normalised(exports):
    class Small(enum.IntEnum):
        THREE = 3

    class Real(float):
        pass

    got = exports["add"].call_raw(Small.THREE, 4)
    assert got == 7 and type(got) is int
    assert exports["f64_mul"].call_raw(Real(1.5), 2.0) == 3.0


def test_raw_funcref_arguments_are_functions_of_this_runtime(exports):
    add = exports.raw("add")
    assert exports["is_null_func"].call_raw(add) == 0
    exports["store_func"].call_raw(add)
    assert exports["call_slot"].call_raw(M32, 3) == 2
    assert exports["table"].get(0).function is add
    # The embedder wrapper is not a raw value (the checked __call__ takes it).
    with pytest.raises(ArgumentError, match="expected a raw funcref"):
        exports["store_func"].call_raw(exports["add"])
    exports["store_func"](exports["add"])


def test_checked_call_still_converts_signed_values(exports):
    assert exports["add"](-1, 0) == -1  # signed view of 0xFFFFFFFF
    assert exports["add"].call_raw(M32, 0) == M32
    with pytest.raises(ArgumentError, match="out of range"):
        exports["add"](1 << 32, 0)
    with pytest.raises(ArgumentError, match="expected an int"):
        exports["add"](1.5, 0)
