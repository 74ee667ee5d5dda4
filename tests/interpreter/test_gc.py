"""GC and typed-reference instructions in the interpreter (pywaz/interpreter/gc.py and the loop's branches).

Each test states its module in the text format; results are read through ``call_raw`` (unsigned i32s),
traps by their TrapKind. The spec suite covers the instructions broadly; these pin the corners: packed
masking and sign extension, overlapping copies, data layouts, check order of the traps, casts across a
subtype chain, constant-stack return_call_ref, constant expressions and table initializers.
"""

from __future__ import annotations

import pytest

import pywaz
from pywaz import gcvalues as gv
from pywaz.errors import Trap, TrapKind

STRUCTS = """
(module
  (type $s (struct (field $a (mut i8)) (field $b (mut i16)) (field $c (mut f32)) (field $d (mut anyref))))
  (func $new (param i32 i32) (result (ref $s))
    (struct.new $s (local.get 0) (local.get 1) (f32.const 1.5) (ref.null any)))
  (func (export "get_s") (param i32 i32) (result i32 i32)
    (struct.get_s $s $a (call $new (local.get 0) (local.get 1)))
    (struct.get_s $s $b (call $new (local.get 0) (local.get 1))))
  (func (export "get_u") (param i32 i32) (result i32 i32)
    (struct.get_u $s $a (call $new (local.get 0) (local.get 1)))
    (struct.get_u $s $b (call $new (local.get 0) (local.get 1))))
  (func (export "set_then_get") (param i32) (result i32)
    (local $r (ref null $s))
    (local.set $r (struct.new_default $s))
    (struct.set $s $a (local.get $r) (local.get 0))
    (struct.get_u $s $a (local.get $r)))
  (func (export "default") (result (ref $s)) (struct.new_default $s))
  (func (export "new") (param i32 i32) (result (ref $s)) (call $new (local.get 0) (local.get 1)))
  (func (export "get_null") (result i32) (struct.get_u $s $a (ref.null $s)))
  (func (export "set_null") (struct.set $s $a (ref.null $s) (i32.const 1)))
)
"""


def test_struct_packed_fields_are_masked_on_write_and_extended_on_get_s(load):
    exports = load(STRUCTS).exports
    assert exports["get_u"].call_raw(0x1FF, 0x18000) == (0xFF, 0x8000)
    assert exports["get_s"].call_raw(0x1FF, 0x18000) == (0xFFFFFFFF, 0xFFFF8000)
    assert exports["get_s"].call_raw(0x7F, 0x7FFF) == (0x7F, 0x7FFF)
    assert exports["set_then_get"].call_raw(0x1234) == 0x34


def test_struct_values_and_defaults(load):
    exports = load(STRUCTS).exports
    made = exports["new"](0x1FF, 2)
    assert isinstance(made, gv.StructRef) and (made.f0, made.f1, made.f2, made.f3) == (0xFF, 2, 1.5, None)
    default = exports["default"]()
    assert (default.f0, default.f1, default.f2, default.f3) == (0, 0, 0.0, None)
    assert type(default.f2) is float and type(made) is type(default)


def test_struct_null_traps(load):
    exports = load(STRUCTS).exports
    for name in ("get_null", "set_null"):
        with pytest.raises(Trap) as info:
            exports[name]()
        assert info.value.kind is TrapKind.NULL_STRUCT_REFERENCE and str(info.value) == "null structure reference"


ARRAYS = """
(module
  (type $bytes (array (mut i8)))
  (type $shorts (array (mut i16)))
  (type $floats (array (mut f32)))
  (type $refs (array (mut funcref)))
  (data $d "\\01\\02\\03\\80\\ff\\00\\00\\c0\\3f")
  (elem $e func $f $g)
  (func $f) (func $g)
  (func (export "fill_copy") (result i32 i32 i32 i32 i32)
    (local $a (ref $bytes))
    ;; [0, 1, 2, 3, 4, 5] then copy [0..4) to 2: overlapping, like memmove
    (local.set $a (array.new_fixed $bytes 6 (i32.const 0) (i32.const 1) (i32.const 2) (i32.const 3)
                                            (i32.const 4) (i32.const 5)))
    (array.copy $bytes $bytes (local.get $a) (i32.const 2) (local.get $a) (i32.const 0) (i32.const 4))
    (array.fill $bytes (local.get $a) (i32.const 0) (i32.const 0x1F7) (i32.const 1))
    (array.get_u $bytes (local.get $a) (i32.const 0))
    (array.get_u $bytes (local.get $a) (i32.const 1))
    (array.get_u $bytes (local.get $a) (i32.const 2))
    (array.get_s $bytes (local.get $a) (i32.const 0))
    (array.get_u $bytes (local.get $a) (i32.const 5)))
  (func (export "shorts") (param i32 i32) (result (ref $shorts))
    (array.new_data $shorts $d (local.get 0) (local.get 1)))
  (func (export "float") (result f32) (array.get $floats (array.new_data $floats $d (i32.const 5) (i32.const 1))
                                                            (i32.const 0)))
  (func (export "init_data") (param i32 i32 i32) (result (ref $bytes))
    (local $a (ref $bytes))
    (local.set $a (array.new_default $bytes (i32.const 4)))
    (array.init_data $bytes $d (local.get $a) (local.get 0) (local.get 1) (local.get 2))
    (local.get $a))
  (func (export "elems") (param i32 i32) (result (ref $refs)) (array.new_elem $refs $e (local.get 0) (local.get 1)))
  (func (export "init_elem_null") (array.init_elem $refs $e (ref.null $refs) (i32.const 9) (i32.const 9)
                                                            (i32.const 9)))
  (func (export "len") (param i32) (result i32) (array.len (array.new $bytes (local.get 0) (i32.const 7))))
  (func (export "huge") (result i32) (array.len (array.new_default $bytes (i32.const -1))))
  (func (export "get") (param i32) (result i32) (array.get_u $bytes (array.new_default $bytes (i32.const 3))
                                                              (local.get 0)))
)
"""


def test_array_fill_copy_and_packed_access(load):
    exports = load(ARRAYS).exports
    assert exports["fill_copy"].call_raw() == (0xF7, 1, 0, 0xFFFFFFF7, 3)


def test_array_new_data_reads_little_endian_elements(load):
    exports = load(ARRAYS).exports
    shorts = exports["shorts"](0, 2)
    assert list(shorts) == [0x0201, 0x8003] and isinstance(shorts, gv.ArrayRef)
    assert exports["float"]() == 1.5  # bytes 5..9: 00 00 c0 3f
    with pytest.raises(Trap) as info:
        exports["shorts"](8, 1)  # 2 bytes from 8 run past the 9-byte segment
    assert info.value.kind is TrapKind.OUT_OF_BOUNDS_MEMORY


def test_array_init_data_checks_the_array_before_the_segment(load):
    exports = load(ARRAYS).exports
    assert list(exports["init_data"](1, 2, 3)) == [0, 3, 0x80, 0xFF]
    with pytest.raises(Trap) as info:
        exports["init_data"](2, 100, 3)  # both ranges are wrong: the array's is reported
    assert info.value.kind is TrapKind.OUT_OF_BOUNDS_ARRAY
    with pytest.raises(Trap) as info:
        exports["init_data"](0, 8, 2)
    assert info.value.kind is TrapKind.OUT_OF_BOUNDS_MEMORY


def test_array_elements_and_traps(load):
    exports = load(ARRAYS).exports
    functions = exports["elems"](0, 2)
    assert [f.name for f in functions] == [exports.raw("elems").instance.funcs[i].name for i in (0, 1)]
    with pytest.raises(Trap) as info:
        exports["elems"](1, 2)
    assert info.value.kind is TrapKind.OUT_OF_BOUNDS_TABLE
    with pytest.raises(Trap) as info:
        exports["init_elem_null"]()
    assert info.value.kind is TrapKind.NULL_ARRAY_REFERENCE
    assert exports["len"](1) == 7
    with pytest.raises(Trap) as info:
        exports["get"](3)
    assert info.value.kind is TrapKind.OUT_OF_BOUNDS_ARRAY and str(info.value) == "out of bounds array access"


def test_array_beyond_the_length_limit_traps_instead_of_allocating(load):
    with pytest.raises(Trap) as info:
        load(ARRAYS).exports["huge"]()
    assert info.value.kind is TrapKind.ALLOCATION_TOO_LARGE


CASTS = """
(module
  (type $base (sub (struct (field i32))))
  (type $derived (sub $base (struct (field i32) (field i64))))
  (type $other (struct (field i32)))
  (type $vec (array i8))
  (table $objects 6 anyref)
  (elem (table $objects) (i32.const 0) anyref
    (item (struct.new $base (i32.const 1))) (item (struct.new $derived (i32.const 2) (i64.const 3)))
    (item (struct.new $other (i32.const 4))) (item (array.new_default $vec (i32.const 1)))
    (item (ref.i31 (i32.const 5))) (item (ref.null none)))
  (func (export "make") (param i32) (result anyref) (table.get $objects (local.get 0)))
  (func (export "tests") (param anyref) (result i32 i32 i32 i32 i32 i32)
    (ref.test (ref $base) (local.get 0))
    (ref.test (ref $derived) (local.get 0))
    (ref.test (ref struct) (local.get 0))
    (ref.test (ref eq) (local.get 0))
    (ref.test (ref i31) (local.get 0))
    (ref.test (ref null $derived) (local.get 0)))
  (func (export "cast") (param anyref) (result i32)
    (struct.get $base 0 (ref.cast (ref $base) (local.get 0))))
  (func (export "on_cast") (param anyref) (result i32)
    (block $hit (result (ref $derived))
      (br_on_cast $hit anyref (ref $derived) (local.get 0))
      (drop)
      (return (i32.const -1)))
    (struct.get $derived 0))
  (func (export "on_cast_fail") (param anyref) (result i32)
    (block $miss (result anyref)
      (br_on_cast_fail $miss anyref (ref $base) (local.get 0))
      (return (struct.get $base 0)))
    (drop)
    (i32.const -1))
)
"""


@pytest.mark.parametrize(
    "which, expected",
    [
        (0, (1, 0, 1, 1, 0, 0)),  # $base
        (1, (1, 1, 1, 1, 0, 1)),  # $derived, a subtype of $base
        (2, (0, 0, 1, 1, 0, 0)),  # $other: same shape as $base, but not declared a subtype
        (3, (0, 0, 0, 1, 0, 0)),  # an array
        (4, (0, 0, 0, 1, 1, 0)),  # an i31
        (5, (0, 0, 0, 0, 0, 1)),  # null: only the nullable target matches
    ],
)
def test_ref_test_abstract_and_concrete(load, which, expected):
    exports = load(CASTS).exports
    assert exports["tests"].call_raw(exports["make"].call_raw(which)) == expected


def test_ref_cast_and_br_on_cast(load):
    exports = load(CASTS).exports
    base, derived, other = (exports["make"].call_raw(i) for i in range(3))
    assert exports["cast"](base) == 1 and exports["cast"](derived) == 2
    with pytest.raises(Trap) as info:
        exports["cast"](other)
    assert info.value.kind is TrapKind.CAST_FAILURE and str(info.value) == "cast failure"
    assert [exports["on_cast"](v) for v in (base, derived, other, None)] == [-1, 2, -1, -1]
    assert [exports["on_cast_fail"](v) for v in (base, derived, other, None)] == [1, 2, -1, -1]


REFS = """
(module
  (type $f (func (param i32) (result i32)))
  (type $count (func (param i64) (result i64)))
  (elem declare func $inc $down)
  (func $inc (type $f) (i32.add (local.get 0) (i32.const 1)))
  (func $down (type $count)
    (if (result i64) (i64.eqz (local.get 0)) (then (i64.const 7))
      (else (return_call_ref $count (i64.sub (local.get 0) (i64.const 1)) (ref.func $down)))))
  (func (export "call") (param i32) (result i32) (call_ref $f (local.get 0) (ref.func $inc)))
  (func (export "call_null") (result i32) (call_ref $f (i32.const 0) (ref.null $f)))
  (func (export "count") (param i64) (result i64) (call_ref $count (local.get 0) (ref.func $down)))
  (func (export "on_null") (param funcref) (result i32)
    (block $null
      (br_on_null $null (local.get 0))
      (drop)
      (return (i32.const 1)))
    (i32.const 0))
  (func (export "on_non_null") (param funcref) (result i32)
    (block $some (result (ref func))
      (br_on_non_null $some (local.get 0))
      (return (i32.const 0)))
    (drop)
    (i32.const 1))
  (func (export "as_non_null") (param funcref) (result i32) (drop (ref.as_non_null (local.get 0))) (i32.const 1))
  (func (export "i31") (param i32) (result i32 i32) (i31.get_s (ref.i31 (local.get 0)))
                                                   (i31.get_u (ref.i31 (local.get 0))))
  (func (export "i31_null") (result i32) (i31.get_u (ref.null i31)))
  (func (export "eq") (param i32 i32) (result i32) (ref.eq (ref.i31 (local.get 0)) (ref.i31 (local.get 1))))
  (func (export "ext") (param externref) (result externref) (extern.convert_any (any.convert_extern (local.get 0))))
  (func (export "int") (param anyref) (result anyref) (any.convert_extern (extern.convert_any (local.get 0))))
)
"""


def test_call_ref_and_constant_stack_return_call_ref(load):
    exports = load(REFS).exports
    assert exports["call"](41) == 42
    assert exports["count"](300_000) == 7  # far beyond max_call_depth: return_call_ref replaces the frame
    with pytest.raises(Trap) as info:
        exports["call_null"]()
    assert info.value.kind is TrapKind.NULL_FUNCTION_REFERENCE


def test_null_branches_and_as_non_null(load):
    exports = load(REFS).exports
    function = exports["call"]
    assert (exports["on_null"](None), exports["on_null"](function)) == (0, 1)
    assert (exports["on_non_null"](None), exports["on_non_null"](function)) == (0, 1)
    assert exports["as_non_null"](function) == 1
    with pytest.raises(Trap) as info:
        exports["as_non_null"](None)
    assert info.value.kind is TrapKind.NULL_REFERENCE and str(info.value) == "null reference"


def test_i31_ref_eq_and_conversions(load):
    exports = load(REFS).exports
    assert exports["i31"].call_raw(0xFFFFFFFF) == (0xFFFFFFFF, 0x7FFFFFFF)
    assert exports["i31"].call_raw(0x40000000) == (0xC0000000, 0x40000000)
    assert exports["eq"](5, 5) == 1 and exports["eq"](5, 0x80000005) == 1 and exports["eq"](5, 6) == 0
    with pytest.raises(Trap) as info:
        exports["i31_null"]()
    assert info.value.kind is TrapKind.NULL_I31_REFERENCE
    token = object()
    assert exports["ext"](token) is token and exports["ext"](None) is None
    assert exports["int"](7) == 7  # an i31 through extern and back is the i31 again


CONSTANTS = """
(module
  (type $pair (struct (field i32) (field i32)))
  (type $row (array i32))
  (type $f (func (result i32)))
  (global $g0 i32 (i32.const 40))
  (global $p (ref $pair) (struct.new $pair (global.get $g0) (i32.const 2)))
  (global $r (ref $row) (array.new_fixed $row 3 (i32.const 1) (i32.const 2) (i32.const 3)))
  (global $z (ref $row) (array.new_default $row (i32.const 2)))
  (global $i anyref (ref.i31 (i32.const -1)))
  (table $t 3 (ref $f) (ref.func $seven))
  (table $objects 2 anyref (struct.new_default $pair))
  (elem $pairs (ref null $pair) (struct.new $pair (i32.const 1) (i32.const 2)) (ref.null $pair))
  (func $seven (type $f) (i32.const 7))
  (func (export "sum") (result i32)
    (i32.add (struct.get $pair 0 (global.get $p)) (struct.get $pair 1 (global.get $p))))
  (func (export "rows") (result i32 i32)
    (array.get $row (global.get $r) (i32.const 2)) (array.len (global.get $z)))
  (func (export "i31") (result i32) (i31.get_u (ref.cast (ref i31) (global.get $i))))
  (func (export "table") (param i32) (result i32) (call_ref $f (table.get $t (local.get 0))))
  (func (export "same_default") (result i32)
    (ref.eq (ref.cast eqref (table.get $objects (i32.const 0))) (ref.cast eqref (table.get $objects (i32.const 1)))))
  (func (export "elem") (result i32)
    (struct.get $pair 1 (array.get $seg (array.new_elem $seg $pairs (i32.const 0) (i32.const 2)) (i32.const 0))))
  (type $seg (array (ref null $pair)))
)
"""


def test_constant_expressions_globals_tables_and_segments(load):
    exports = load(CONSTANTS).exports
    assert exports["sum"]() == 42
    assert exports["rows"]() == (3, 2)
    assert exports["i31"]() == 0x7FFFFFFF
    assert [exports["table"](i) for i in range(3)] == [7, 7, 7]  # every entry starts as the initializer
    assert exports["same_default"]() == 1  # one initializer value, evaluated once, fills the table
    assert exports["elem"]() == 2


def test_trap_frames_point_at_the_gc_instruction(load):
    instance = load(STRUCTS)
    with pytest.raises(Trap) as info:
        instance.exports["get_null"]()
    frame = info.value.frames[0]
    assert frame.offset is not None
    module = instance.exports.raw("get_null").instance.module
    function = module.functions[frame.func_index - module.num_imported_funcs]
    assert function.body.ops[list(function.body.offsets).index(frame.offset)] == 0xFB04  # struct.get_u


@pytest.mark.parametrize("engine", ["interpreter", "compiler"])
def test_both_engines_share_values(engine):
    """A struct made in one engine's instance is read by the other's: the representation is shared."""
    with pywaz.Runtime(engine) as runtime:
        maker = runtime.instantiate(pywaz.wat2wasm(STRUCTS)).exports
        made = maker["new"](3, 4)
    other = "compiler" if engine == "interpreter" else "interpreter"
    with pywaz.Runtime(other) as runtime:
        reader = runtime.instantiate(pywaz.wat2wasm(
            "(module (type $s (struct (field $a (mut i8)) (field $b (mut i16)) (field $c (mut f32))"
            " (field $d (mut anyref))))"
            " (func (export \"b\") (param (ref $s)) (result i32) (struct.get_u $s $b (local.get 0))))"
        )).exports
        assert reader["b"](made) == 4


def test_fuel_stops_an_allocation_loop_that_never_ends():
    wat = """
    (module
      (type $box (struct (field i32)))
      (func (export "forever") (local $b (ref null $box))
        (loop $l (local.set $b (struct.new $box (i32.const 1))) (br $l))))
    """
    with pywaz.Runtime("interpreter", fuel=10_000) as runtime:
        forever = runtime.instantiate(pywaz.wat2wasm(wat)).exports["forever"]
        with pytest.raises(Trap) as info:
            forever()
        assert info.value.kind is TrapKind.OUT_OF_FUEL
