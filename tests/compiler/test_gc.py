"""The compiler's lowering of typed function references and GC (issue 14), run end to end.

Each export computes an i32 from structs, arrays, i31 and casts inside wasm,
so the checks depend on no host boundary for GC values.
"""

import pytest

import pywaz
from pywaz.errors import Trap, TrapKind
from pywaz.text import wat2wasm

WAT = r"""
(module
  (type $node (sub (struct (field $left (ref null $node)) (field $right (ref null $node)))))
  (type $leaf (sub final $node (struct (field (ref null $node)) (field (ref null $node)) (field $v (mut i32)))))
  (type $bytes (array (mut i8)))
  (type $words (array (mut i32)))
  (type $packed (struct (field $b (mut i8)) (field $h (mut i16)) (field $f f64)))
  (type $fn (func (param i32) (result i32)))
  (type $sum (func (param i32 i32) (result i32)))
  (rec (type $a (sub (struct (field i32)))) (type $b (sub $a (struct (field i32) (field i64)))))
  (type $c (sub $b (struct (field i32) (field i64) (field f32))))
  (data $d "\01\02\03\04\05\06\07\08")
  (elem $e func $inc $inc)
  (elem declare func $inc $count)
  (func $inc (type $fn) (i32.add (local.get 0) (i32.const 1)))
  (func $make (param $d i32) (result (ref $node))
    (if (result (ref $node)) (i32.eqz (local.get $d))
      (then (struct.new $node (ref.null $node) (ref.null $node)))
      (else (struct.new $node (call $make (i32.sub (local.get $d) (i32.const 1)))
                              (call $make (i32.sub (local.get $d) (i32.const 1)))))))
  (func $check (param $n (ref null $node)) (result i32)
    (local $l (ref null $node))
    (local.set $l (struct.get $node $left (local.get $n)))
    (if (result i32) (ref.is_null (local.get $l))
      (then (i32.const 1))
      (else (i32.add (i32.const 1) (i32.add (call $check (local.get $l))
                                            (call $check (struct.get $node $right (local.get $n))))))))
  (func (export "tree") (param i32) (result i32) (call $check (call $make (local.get 0))))
  (func (export "null_get") (result i32) (call $check (ref.null $node)))
  (func (export "null_set")
    (struct.set $leaf $v (ref.null $leaf) (i32.const 1)))
  (func (export "packed") (param i32) (result i32)
    (local $p (ref $packed))
    (local.set $p (struct.new $packed (local.get 0) (local.get 0) (f64.const 1.5)))
    (struct.set $packed $h (local.get $p) (i32.add (struct.get_u $packed $h (local.get $p)) (i32.const 1)))
    (i32.add (i32.mul (struct.get_s $packed $b (local.get $p)) (i32.const 100000))
             (struct.get_s $packed $h (local.get $p))))
  (func (export "default") (result i32)
    (local $p (ref $packed))
    (local.set $p (struct.new_default $packed))
    (i32.add (struct.get_u $packed $b (local.get $p)) (i32.trunc_f64_s (struct.get $packed $f (local.get $p)))))
  (func (export "bytes") (param i32 i32) (result i32)
    (local $a (ref $bytes))
    (local.set $a (array.new $bytes (i32.const 300) (local.get 0)))
    (array.set $bytes (local.get $a) (i32.const 0) (i32.const -1))
    (i32.add (array.get_s $bytes (local.get $a) (local.get 1)) (array.len (local.get $a))))
  (func (export "array_set_oob") (param i32)
    (array.set $words (array.new_default $words (i32.const 2)) (local.get 0) (i32.const 1)))
  (func (export "null_len") (result i32) (array.len (ref.null $words)))
  (func (export "bulk") (result i32)
    (local $a (ref $words)) (local $b (ref $bytes))
    (local.set $a (array.new_fixed $words 4 (i32.const 1) (i32.const 2) (i32.const 3) (i32.const 4)))
    (array.copy $words $words (local.get $a) (i32.const 1) (local.get $a) (i32.const 0) (i32.const 3))
    (array.fill $words (local.get $a) (i32.const 0) (i32.const 9) (i32.const 1))
    (local.set $b (array.new_data $bytes $d (i32.const 2) (i32.const 4)))
    (array.init_data $bytes $d (local.get $b) (i32.const 0) (i32.const 7) (i32.const 1))
    ;; a = 9 1 2 3, b = 8 4 5 6
    (i32.add
      (i32.add (i32.mul (array.get $words (local.get $a) (i32.const 0)) (i32.const 1000))
               (i32.mul (array.get $words (local.get $a) (i32.const 3)) (i32.const 100)))
      (i32.add (i32.mul (array.get_u $bytes (local.get $b) (i32.const 0)) (i32.const 10))
               (array.get_u $bytes (local.get $b) (i32.const 3)))))
  (func (export "new_data_oob") (result i32)
    (array.len (array.new_data $bytes $d (i32.const 6) (i32.const 3))))
  (func (export "elems") (param i32) (result i32)
    (call_ref $fn (local.get 0)
      (ref.cast (ref $fn) (array.get $funcs (array.new_elem $funcs $e (i32.const 1) (i32.const 1)) (i32.const 0)))))
  (type $funcs (array funcref))
  (func (export "cast") (param i32) (result i32)
    (local $r anyref)
    (local.set $r (if (result anyref) (local.get 0)
      (then (struct.new $leaf (ref.null $node) (ref.null $node) (i32.const 7)))
      (else (ref.i31 (i32.const -5)))))
    (block $l (result (ref $leaf))
      (br_on_cast $l anyref (ref $leaf) (local.get $r))
      (return (i31.get_s (ref.cast (ref i31) (local.get $r)))))
    (struct.get $leaf $v))
  (func (export "bad_cast") (result i32)
    (struct.get $leaf $v (ref.cast (ref $leaf) (struct.new $node (ref.null $node) (ref.null $node)))))
  (func $kind (param $r anyref) (result i32)
    ;; a digit per test, most specific first
    (i32.add (i32.mul (ref.test (ref $c) (local.get $r)) (i32.const 100000))
    (i32.add (i32.mul (ref.test (ref $b) (local.get $r)) (i32.const 10000))
    (i32.add (i32.mul (ref.test (ref $a) (local.get $r)) (i32.const 1000))
    (i32.add (i32.mul (ref.test structref (local.get $r)) (i32.const 100))
    (i32.add (i32.mul (ref.test (ref i31) (local.get $r)) (i32.const 10))
             (ref.test (ref null eq) (local.get $r))))))))
  (func (export "kinds") (param i32) (result i32)
    (call $kind
      (block $done (result anyref)
        (drop (br_if $done (struct.new $a (i32.const 1)) (i32.eq (local.get 0) (i32.const 0))))
        (drop (br_if $done (struct.new $b (i32.const 1) (i64.const 2)) (i32.eq (local.get 0) (i32.const 1))))
        (drop (br_if $done (struct.new $c (i32.const 1) (i64.const 2) (f32.const 3)) (i32.eq (local.get 0) (i32.const 2))))
        (drop (br_if $done (ref.i31 (i32.const 3)) (i32.eq (local.get 0) (i32.const 3))))
        (drop (br_if $done (any.convert_extern (extern.convert_any (array.new_default $words (i32.const 1))))
          (i32.eq (local.get 0) (i32.const 4))))
        (ref.null any))))
  (func (export "eq") (param i32 i32) (result i32)
    (local $s eqref)
    (local.set $s (struct.new $a (i32.const 0)))
    (i32.add (i32.mul (ref.eq (ref.i31 (local.get 0)) (ref.i31 (local.get 1))) (i32.const 10))
             (ref.eq (local.get $s) (local.get $s))))
  (func (export "call_ref") (param i32) (result i32)
    (call_ref $fn (local.get 0) (ref.func $inc)))
  (func (export "call_null") (result i32)
    (call_ref $fn (i32.const 0) (ref.null $fn)))
  (func $count (type $sum)
    (if (result i32) (i32.eqz (local.get 0))
      (then (local.get 1))
      (else (return_call_ref $sum (i32.sub (local.get 0) (i32.const 1)) (i32.add (local.get 1) (i32.const 2))
                                  (ref.func $count)))))
  (func (export "count") (param i32) (result i32) (call $count (local.get 0) (i32.const 0)))
  (func $nulls (export "nulls") (param $f (ref null $fn)) (result i32)
    (block $isnull
      (return (i32.add (i32.const 100) (call_ref $fn (i32.const 1) (br_on_null $isnull (local.get $f))))))
    (block $nonnull (result (ref $fn))
      (br_on_non_null $nonnull (local.get $f))
      (return (i32.const -1)))
    (drop) (i32.const 0))
  (func (export "nulls_of") (param i32) (result i32)
    (call $nulls (if (result (ref null $fn)) (local.get 0) (then (ref.func $inc)) (else (ref.null $fn)))))
  (func (export "as_non_null") (param i32) (result i32)
    (call_ref $fn (i32.const 1)
      (ref.as_non_null (if (result (ref null $fn)) (local.get 0) (then (ref.func $inc)) (else (ref.null $fn))))))
  (func (export "i31_null") (result i32) (i31.get_u (ref.null i31)))
  (memory 1)
  (func (export "with_memory") (param i32) (result i32)
    ;; an IndexError would be ambiguous here: the array access is bounds-checked inline
    (local $a (ref $words))
    (local.set $a (array.new $words (i32.load (i32.const 0)) (i32.const 3)))
    (array.set $words (local.get $a) (local.get 0) (i32.const 5))
    (i32.add (array.get $words (local.get $a) (local.get 0)) (i32.load (i32.const 65532))))
)
"""

MODES = ("eager", "lazy")


@pytest.fixture(scope="module", params=MODES)
def exports(request):
    data = wat2wasm(WAT)
    with pywaz.Runtime(engine="compiler", compile_mode=request.param) as runtime:
        yield runtime.instantiate(data).exports


def trap_kind(call):
    with pytest.raises(Trap) as info:
        call()
    return info.value.kind


def test_structs(exports):
    assert exports["tree"](4) == 31
    assert exports["packed"](0x1FF) == -1 * 100000 + 0x200  # i8 0xFF is -1; i16 0x1FF + 1
    assert exports["default"]() == 0


def test_struct_null_traps(exports):
    assert trap_kind(exports["null_get"]) is TrapKind.NULL_STRUCT_REFERENCE
    assert trap_kind(exports["null_set"]) is TrapKind.NULL_STRUCT_REFERENCE


def test_arrays(exports):
    assert exports["bytes"](5, 0) == 4
    assert exports["bytes"](5, 1) == 5 + 44  # 300 & 0xFF
    assert exports["bulk"]() == 9000 + 300 + 80 + 6


def test_array_traps(exports):
    assert trap_kind(lambda: exports["bytes"](2, 2)) is TrapKind.OUT_OF_BOUNDS_ARRAY
    assert trap_kind(lambda: exports["array_set_oob"](2)) is TrapKind.OUT_OF_BOUNDS_ARRAY
    assert trap_kind(lambda: exports["array_set_oob"](0xFFFFFFFF)) is TrapKind.OUT_OF_BOUNDS_ARRAY
    assert trap_kind(exports["null_len"]) is TrapKind.NULL_ARRAY_REFERENCE
    assert trap_kind(exports["new_data_oob"]) is TrapKind.OUT_OF_BOUNDS_MEMORY


def test_array_bounds_beside_memory_accesses(exports):
    assert exports["with_memory"](2) == 5
    assert trap_kind(lambda: exports["with_memory"](3)) is TrapKind.OUT_OF_BOUNDS_ARRAY


def test_element_segments_and_function_casts(exports):
    assert exports["elems"](41) == 42


def test_casts(exports):
    assert exports["cast"](1) == 7
    assert exports["cast"](0) == -5
    assert trap_kind(exports["bad_cast"]) is TrapKind.CAST_FAILURE
    assert [exports["kinds"](i) for i in range(6)] == [1101, 11101, 111101, 11, 1, 101]  # structref is nullable


def test_ref_eq_compares_i31_by_value(exports):
    assert exports["eq"](70000, 70000) == 11
    assert exports["eq"](70000, 70001) == 1
    assert exports["eq"](0x80000001, 1) == 11  # ref.i31 keeps the low 31 bits


def test_call_ref_and_return_call_ref(exports):
    assert exports["call_ref"](1) == 2
    assert trap_kind(exports["call_null"]) is TrapKind.NULL_FUNCTION_REFERENCE
    assert exports["count"](100000) == 200000  # tail calls through a reference: constant stack


def test_null_branches(exports):
    assert exports["nulls_of"](1) == 102
    assert exports["nulls_of"](0) == -1
    assert exports["as_non_null"](1) == 2
    assert trap_kind(lambda: exports["as_non_null"](0)) is TrapKind.NULL_REFERENCE
    assert trap_kind(exports["i31_null"]) is TrapKind.NULL_I31_REFERENCE


def test_generated_code_reads_fields_as_attributes():
    from pywaz.compiler.engine import CompilerEngine
    from pywaz.decoder import decode_module
    from pywaz.validator import validate

    artifact = CompilerEngine().compile(validate(decode_module(wat2wasm(WAT))), None)
    source = artifact.function(2).source  # $check
    assert "l0.f0" in source and "except AttributeError:" in source


CALLS = (
    ("tree", (5,)), ("null_get", ()), ("null_set", ()), ("packed", (0x1FF,)), ("default", ()), ("bytes", (5, 1)),
    ("bytes", (2, 2)), ("array_set_oob", (2,)), ("null_len", ()), ("bulk", ()), ("new_data_oob", ()),
    ("elems", (1,)), ("cast", (0,)), ("cast", (1,)), ("bad_cast", ()), ("kinds", (2,)), ("kinds", (4,)),
    ("eq", (3, 3)), ("call_ref", (9,)), ("call_null", ()), ("count", (1000,)), ("nulls_of", (0,)),
    ("nulls_of", (1,)), ("as_non_null", (0,)), ("i31_null", ()), ("with_memory", (1,)), ("with_memory", (9,)),
)


def test_compiler_and_interpreter_agree():
    data = wat2wasm(WAT)
    outcomes = {}
    for engine in ("compiler", "interpreter"):
        with pywaz.Runtime(engine=engine) as runtime:
            exports = runtime.instantiate(data).exports
            results = []
            for name, args in CALLS:
                try:
                    results.append(exports[name](*args))
                except Trap as trap:
                    results.append(trap.kind)
            outcomes[engine] = results
    assert outcomes["compiler"] == outcomes["interpreter"]
    assert TrapKind.NULL_STRUCT_REFERENCE in outcomes["compiler"]


def test_gc_traps_report_the_offset_of_their_instruction(exports):
    from pywaz.decoder import decode_module

    module = decode_module(wat2wasm(WAT))
    index = {e.name: e.index for e in module.exports}

    def offset_of(export, opcode):
        body = module.codes[index[export]]  # no imported functions
        return next(o for op, o in zip(body.ops, body.offsets) if op == opcode)

    for export, args, opcode in (
        ("null_set", (), 0xFB05),  # struct.set of null (AttributeError)
        ("null_len", (), 0xFB0F),  # array.len of null (TypeError)
        ("bytes", (2, 5), 0xFB0C),  # array.get_s past the end (IndexError)
        ("bad_cast", (), 0xFB16),  # ref.cast
        ("call_null", (), 0x14),  # call_ref of null
    ):
        with pytest.raises(Trap) as info:
            exports[export](*args)
        assert info.value.frames[0].offset == offset_of(export, opcode), export


def test_literal_operands_compile_without_syntax_warnings():
    # Lowering folds constants into the generated source (``None[3]``, ``5 is None``), at which CPython's
    # compile() warns; the warnings concern generated code only and are silenced for it (found by the
    # differential fuzzer, which printed dozens of them).
    import warnings

    wat = """(module (type $a (array i32)) (memory 1)
      (func (export "get_null") (result i32) (array.get $a (ref.null $a) (i32.const 3)))
      (func (export "test_i31") (result i32) (ref.test (ref i31) (ref.i31 (i32.const 5)))))"""
    with warnings.catch_warnings():
        warnings.simplefilter("error", SyntaxWarning)  # a warning would make compile() fail
        with pywaz.Runtime("compiler", compile_mode="eager") as runtime:
            exports = runtime.instantiate(wat2wasm(wat)).exports
            assert exports["test_i31"]() == 1
            with pytest.raises(Trap) as trap:
                exports["get_null"]()
            assert trap.value.kind is TrapKind.NULL_ARRAY_REFERENCE
