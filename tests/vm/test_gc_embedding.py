"""GC and typed references at the host boundary (pywaz/vm/values.py ref_to_raw, host functions, globals, tables).

References cross as opaque, identity-preserving handles: structs and arrays as themselves, i31 as an int,
host objects in ``anyref`` internalized (pywaz.gcvalues.InternalizedExtern), externref unchanged. A value of
the wrong kind or type is an ArgumentError (a HOST_ERROR trap when a host function returns it).
"""

from __future__ import annotations

import pytest

import pywaz
from pywaz import gcvalues as gv
from pywaz.errors import ArgumentError, Trap, TrapKind
from pywaz.ir import ANYREF, HT_ANY, HT_STRUCT, ref_type
from pywaz.vm.values import parse_valtype

MODULE = """
(module
  (type $point (struct (field $x (mut i32)) (field $y (mut i32))))
  (type $bytes (array (mut i8)))
  (type $f (func (param i32) (result i32)))
  (import "host" "pass" (func $pass (param anyref) (result anyref)))
  (import "host" "give" (func $give (result eqref)))
  (import "host" "give_point" (func $give_point (result (ref null struct))))
  (global (export "slot") (mut anyref) (ref.null any))
  (table (export "things") 2 anyref)
  (elem declare func $double)
  (func $double (type $f) (i32.mul (local.get 0) (i32.const 2)))
  (func (export "point") (param i32 i32) (result (ref $point)) (struct.new $point (local.get 0) (local.get 1)))
  (func (export "x") (param (ref $point)) (result i32) (struct.get $point $x (local.get 0)))
  (func (export "maybe_x") (param (ref null $point)) (result i32)
    (if (result i32) (ref.is_null (local.get 0)) (then (i32.const -1))
      (else (struct.get $point $x (local.get 0)))))
  (func (export "bytes") (param i32) (result (ref $bytes)) (array.new_default $bytes (local.get 0)))
  (func (export "same") (param eqref eqref) (result i32) (ref.eq (local.get 0) (local.get 1)))
  (func (export "pass") (param anyref) (result anyref) (call $pass (local.get 0)))
  (func (export "give") (result eqref) (call $give))
  (func (export "give_point") (result i32) (ref.test (ref $point) (call $give_point)))
  (func (export "is_i31") (param anyref) (result i32) (ref.test (ref i31) (local.get 0)))
  (func (export "i31") (param i31ref) (result i32) (i31.get_s (local.get 0)))
  (func (export "to_extern") (param anyref) (result externref) (extern.convert_any (local.get 0)))
  (func (export "to_any") (param externref) (result anyref) (any.convert_extern (local.get 0)))
  (func (export "doubler") (result (ref $f)) (ref.func $double))
  (func (export "call") (param (ref $f) i32) (result i32) (call_ref $f (local.get 1) (local.get 0)))
)
"""


@pytest.fixture
def exports():
    given = {}

    def passed(value: pywaz.anyref) -> pywaz.anyref:
        given["passed"] = value
        return value

    def give() -> pywaz.eqref:
        return given.get("give")

    with pywaz.Runtime("interpreter") as runtime:
        builder = runtime.new_host_module("host").function("pass", passed).function("give", give)
        builder.function("give_point", lambda: given.get("point"), params=[], results=["(ref null struct)"])
        builder.instantiate()
        exports = runtime.instantiate(pywaz.wat2wasm(MODULE)).exports
        exports.given = given
        yield exports


def test_structs_and_arrays_keep_their_identity_through_wasm_and_host(exports):
    point = exports["point"](3, 4)
    assert isinstance(point, gv.StructRef) and (point.f0, point.f1) == (3, 4)
    assert exports["pass"](point) is point and exports.given["passed"] is point
    assert exports["same"](point, exports["pass"](point)) == 1
    assert exports["same"](point, exports["point"](3, 4)) == 0  # equal fields, different structs
    array = exports["bytes"](3)
    assert isinstance(array, gv.ArrayRef) and list(array) == [0, 0, 0] and exports["pass"](array) is array
    assert exports["x"](point) == 3


def test_i31_crosses_as_an_int(exports):
    assert exports["pass"](5) == 5 and exports["is_i31"](5) == 1
    assert exports["i31"](-1) == -1 and exports["i31"](2**30 - 1) == 2**30 - 1
    assert exports["pass"](-1) == 2**31 - 1  # the 31-bit payload
    with pytest.raises(ArgumentError, match="out of range for an i31"):
        exports["pass"](2**31)
    with pytest.raises(ArgumentError):
        exports["i31"]("seven")


def test_host_objects_are_internalized_for_anyref_and_round_trip_through_extern(exports):
    token = object()
    inside = exports["pass"](token)
    assert isinstance(inside, gv.InternalizedExtern) and inside.value is token
    assert exports["is_i31"](token) == 0
    assert exports["to_extern"](token) is token  # extern.convert_any undoes the internalization
    assert exports["to_extern"](inside) is token
    assert exports["to_extern"](None) is None and exports["to_any"](None) is None
    assert exports["to_any"](token).value is token
    point = exports["point"](1, 2)
    outside = exports["to_extern"](point)
    assert isinstance(outside, gv.ExternalizedAny) and outside.value is point
    assert exports["to_any"](outside) is point
    assert exports["pass"](7) == 7 and exports["to_extern"](7).value == 7  # an int is an i31, not a host value


def test_wrong_kinds_and_types_are_argument_errors(exports):
    point = exports["point"](1, 2)
    with pytest.raises(ArgumentError, match="argument 0: None given for the non-nullable"):
        exports["x"](None)
    assert exports["maybe_x"](None) == -1
    with pytest.raises(ArgumentError, match="array of another type"):
        exports["x"](exports["bytes"](1))
    with pytest.raises(ArgumentError, match=r"a host value \(str\)"):
        exports["x"]("point")
    with pytest.raises(ArgumentError, match="functions are funcref"):
        exports["pass"](exports["doubler"]())
    with pytest.raises(ArgumentError, match="expected eqref"):
        exports["same"](object(), point)
    with pytest.raises(ArgumentError):
        exports["call"](point, 1)
    with pytest.raises(ArgumentError):  # call_raw checks the same way
        exports["x"].call_raw(exports["bytes"](1))
    assert exports["x"].call_raw(point) == 1


def test_typed_function_references(exports):
    doubler = exports["doubler"]()
    assert isinstance(doubler, pywaz.ExportedFunction) and doubler(21) == 42
    assert exports["call"](doubler, 5) == 10
    with pytest.raises(ArgumentError):
        exports["call"](exports["point"], 5)  # a function of another type


def test_host_results_are_checked_against_the_declared_type(exports):
    assert exports["give"]() is None
    exports.given["give"] = "not eq"
    with pytest.raises(Trap) as info:
        exports["give"]()
    assert info.value.kind is TrapKind.HOST_ERROR and isinstance(info.value.__cause__, ArgumentError)
    point = exports["point"](1, 2)
    exports.given["give"] = point
    assert exports["give"]() is point
    exports.given["point"] = point
    assert exports["give_point"]() == 1
    exports.given["point"] = exports["bytes"](1)
    with pytest.raises(Trap) as info:
        exports["give_point"]()
    assert "expected structref" in str(info.value.__cause__)


def test_globals_and_tables_of_gc_types(exports):
    point = exports["point"](1, 2)
    slot = exports["slot"]
    slot.value = point
    assert slot.value is point
    slot.value = "host"
    assert slot.value.value == "host"
    things = exports["things"]
    things.set(1, point)
    assert things.get(1) is point and things.get(0) is None
    with pytest.raises(ArgumentError):
        things.set(0, exports["doubler"]())


def test_host_module_gc_types():
    with pywaz.Runtime("interpreter") as runtime:
        builder = runtime.new_host_module("env")
        builder.global_("g", "anyref", 9).table("t", "structref", 2)
        with pytest.raises(ArgumentError):
            builder.global_("bad", "(ref any)", None)
        with pytest.raises(ValueError, match="nullable reference type"):
            builder.table("bad", "(ref any)", 1)
        builder.instantiate()
        exports = runtime.instantiate(pywaz.wat2wasm(
            '(module (import "env" "g" (global $g anyref)) (import "env" "t" (table 2 structref))'
            ' (func (export "g") (result i32) (i31.get_u (ref.cast (ref i31) (global.get $g)))))')).exports
        assert exports["g"]() == 9


def test_parse_valtype_reference_names():
    assert parse_valtype("anyref") == ANYREF
    assert parse_valtype("(ref any)") == ref_type(False, HT_ANY)
    assert parse_valtype("(ref null struct)") == ref_type(True, HT_STRUCT)
    assert parse_valtype(ref_type(False, HT_STRUCT)) == ref_type(False, HT_STRUCT)
    for bad in ("i8", "(ref 3)", "(ref null)", ref_type(False, 0), "(ref nothing)"):
        with pytest.raises(ValueError):
            parse_valtype(bad)
