"""Validation of typed function references and GC: subtyping, sub types, non-nullable locals, new instructions."""

import pytest

from pywaz import Runtime
from pywaz.decoder import decode_module
from pywaz.errors import LinkError, PywazError, Trap, ValidationError
from pywaz.text import wat2wasm
from pywaz.validator import validate


def check(wat: str):
    return validate(decode_module(wat2wasm(wat)))


def invalid(wat: str, message: str) -> ValidationError:
    with pytest.raises(ValidationError) as info:
        check(wat)
    assert message in info.value.message, info.value.message
    return info.value


def test_non_nullable_local_must_be_set_before_it_is_read():
    invalid("(module (func (local (ref func)) (drop (local.get 0))))", "uninitialized local 0")
    check("(module (func $f (local (ref func)) (local.set 0 (ref.func $f)) (drop (local.get 0))) (elem declare func $f))")
    check("(module (func $f (local (ref func)) (drop (local.tee 0 (ref.func $f))) (drop (local.get 0)))"
          " (elem declare func $f))")


def test_a_local_set_inside_a_block_is_unset_after_it():
    invalid("(module (func $f (local (ref func)) (block (local.set 0 (ref.func $f))) (drop (local.get 0)))"
            " (elem declare func $f))", "uninitialized local 0")
    invalid("(module (func $f (param i32) (local (ref func))"
            " (if (local.get 0) (then (local.set 1 (ref.func $f))) (else (drop (local.get 1)))))"
            " (elem declare func $f))", "uninitialized local 1")


def test_nullable_and_numeric_locals_need_no_initialization():
    check("(module (func (local (ref null func) i32) (drop (local.get 0)) (drop (local.get 1))))")


def test_subtypes_pass_where_supertypes_are_expected():
    check("""(module
      (type $t (sub (struct (field i32))))
      (type $s (sub $t (struct (field i32) (field i64))))
      (func (param (ref $s)) (result (ref null $t) anyref eqref) (local.get 0) (local.get 0) (local.get 0)))""")
    invalid("""(module
      (type $t (sub (struct (field i32))))
      (type $s (sub $t (struct (field i32) (field i64))))
      (func (param (ref null $t)) (result (ref $s)) (local.get 0)))""", "type mismatch")


@pytest.mark.parametrize(
    ("types", "message"),
    [
        ("(type $t (struct)) (type (sub $t (struct)))", "does not match its supertype"),  # $t is final
        ("(type $t (sub (func))) (type (sub $t (struct)))", "does not match its supertype"),  # another kind
        ("(type $t (sub (struct (field (mut i32))))) (type (sub $t (struct (field (mut i64)))))",
         "does not match its supertype"),
        ("(type $t (sub (struct (field (mut i32))))) (type (sub $t (struct (field i32))))",
         "does not match its supertype"),  # mutability differs
        ("(type (func (param (ref 1)))) (type (func))", "unknown type 1"),  # forward, outside the rec group
    ],
)
def test_invalid_sub_type_declarations(types, message):
    invalid(f"(module {types})", message)


def test_struct_and_array_access_rules():
    invalid("(module (type $t (struct (field i8))) (func (param (ref $t)) (result i32) (struct.get $t 0 (local.get 0))))",
            "packed field")
    invalid("(module (type $t (struct (field i32))) (func (param (ref $t)) (struct.set $t 0 (local.get 0) (i32.const 1))))",
            "immutable")
    invalid("(module (type $t (array i32)) (func (param (ref $t)) (array.set $t (local.get 0) (i32.const 0)"
            " (i32.const 1))))", "immutable")
    check("(module (type $t (array (mut i8))) (func (param (ref $t)) (result i32)"
          " (array.set $t (local.get 0) (i32.const 0) (i32.const 1)) (array.get_u $t (local.get 0) (i32.const 0))))")


def test_br_on_cast_types_both_edges():
    check("""(module (type $t (struct))
      (func (param anyref) (result (ref $t))
        (block $l (result (ref $t)) (br_on_cast $l anyref (ref $t) (local.get 0)) (drop) (unreachable))))""")
    invalid("""(module (type $t (struct))
      (func (param structref) (result anyref)
        (block $l (result (ref $t)) (br_on_cast $l structref (ref i31) (local.get 0)) (drop) (unreachable))))""",
            "not a subtype of its source")


def test_gc_constant_expressions():
    check("(module (type $t (struct (field i32))) (global (ref $t) (struct.new $t (i32.const 1))))")
    check("(module (global (ref i31) (ref.i31 (i32.const 1))))")
    invalid("(module (type $t (struct (field i32))) (global (ref $t) (struct.new $t (i64.const 1))))",
            "type mismatch")


def test_table_with_non_nullable_elements_needs_an_initializer():
    invalid("(module (table 1 (ref func)))", "initializer")
    check("(module (func $f) (table 1 (ref func) (ref.func $f)))")


SUB_TYPES = """(module
  (type $t (sub (func (result i32))))
  (type $s (sub $t (func (result i32))))
  (func $as-t (type $t) (i32.const 1))
  (func $as-s (type $s) (i32.const 2))
  (table funcref (elem $as-t $as-s))
  (func (export "call-t") (param i32) (result i32) (call_indirect (type $t) (local.get 0)))
  (func (export "call-s") (param i32) (result i32) (call_indirect (type $s) (local.get 0))))"""


@pytest.mark.parametrize("engine", ["interpreter", "compiler"])
def test_call_indirect_accepts_a_declared_subtype(engine):
    with Runtime(engine=engine) as runtime:
        instance = runtime.instantiate(wat2wasm(SUB_TYPES))
        assert instance.exports["call-t"](0) == 1
        assert instance.exports["call-t"](1) == 2  # $s <: $t
        assert instance.exports["call-s"](1) == 2
        with pytest.raises(Trap, match="indirect call type mismatch"):
            instance.exports["call-s"](0)  # $t is not a subtype of $s


def test_imports_match_by_canonical_subtyping():
    exporter = wat2wasm("""(module
      (type $t (sub (func)))
      (type $s (sub $t (func)))
      (func (export "f") (type $s))
      (global (export "g") (ref null $s) (ref.null $s)))""")
    importer_ok = wat2wasm("""(module
      (type $t (sub (func)))
      (import "m" "f" (func (type $t)))
      (import "m" "g" (global (ref null $t))))""")
    importer_bad = wat2wasm("""(module
      (type $t (sub (func)))
      (type $s (sub $t (func)))
      (type $u (sub $s (func)))
      (import "m" "f" (func (type $u))))""")
    with Runtime() as runtime:
        runtime.register("m", runtime.instantiate(exporter))
        runtime.instantiate(importer_ok)
        with pytest.raises(LinkError, match="incompatible import type"):
            runtime.instantiate(importer_bad)


@pytest.mark.parametrize("engine", ["interpreter", "compiler"])
def test_an_engine_without_gc_execution_refuses_with_a_typed_error(engine):
    # Until the engines execute GC instructions, running one is a typed pywaz error, never a traceback.
    wat = '(module (func (export "f") (result i32) (i31.get_s (ref.i31 (i32.const -1)))))'
    with Runtime(engine=engine) as runtime:
        function = runtime.instantiate(wat2wasm(wat)).exports["f"]
        try:
            result = function()
        except PywazError as error:
            assert isinstance(error, NotImplementedError), repr(error)
        else:
            assert result == -1


def test_array_new_fixed_with_a_huge_count_is_rejected_without_allocating_it():
    # 0xFB 0x08 type 0, count 0xFFFFFFFF: the stack cannot hold that many operands.
    invalid("(module (type $a (array i32)) (func (drop (array.new_fixed $a 4294967295))))", "array.new_fixed needs")


def test_subtyping_depth_is_limited():
    chain = " ".join(f"(type $t{i} (sub $t{i - 1} (struct)))" for i in range(1, 64))
    check(f"(module (type $t0 (sub (struct))) {chain})")  # depth 63
    invalid(f"(module (type $t0 (sub (struct))) {chain} (type (sub $t63 (struct))))", "subtyping depth")


def test_a_table_initializer_reads_imported_globals_only():
    check('(module (import "m" "g" (global $g (ref null func))) (table 1 funcref (global.get $g)))')
    invalid("(module (global $g funcref (ref.null func)) (table 1 funcref (global.get $g)))", "unknown global 0")
