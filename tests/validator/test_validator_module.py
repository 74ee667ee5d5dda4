"""Module-level validation rules (spec §3.4): imports, limits, globals and constant
expressions, segments, start, exports. Inputs wat2wasm cannot write are built with
tests/wasmgen.py so the bytes stay visible."""

import pytest
from validator_helpers import invalid, validate_wat, wat_bytes

from pywaz.decoder import decode_module
from pywaz.errors import ValidationError
from pywaz.features import Features
from pywaz.validator import validate
from tests import wasmgen as g

INVALID_WAT = [
    # constant expressions
    (
        "global-not-constant",
        "(module (global i32 (i32.div_u (i32.const 1) (i32.const 2))))",
        "constant expression required",
    ),
    (
        "global-float-arithmetic",
        "(module (global f32 (f32.add (f32.const 1) (f32.const 2))))",
        "constant expression required",
    ),
    ("global-nop", "(module (global i32 (nop) (i32.const 1)))", "constant expression required"),
    (
        "global-mutable-import",
        '(module (global (import "m" "g") (mut i32)) (global i32 (global.get 0)))',
        "constant expression required",
    ),
    ("global-forward", "(module (global i32 (global.get 1)) (global i32 (i32.const 0)))", "unknown global 1"),
    ("global-self", "(module (global i32 (global.get 0)))", "unknown global 0"),
    (
        "global-defined-mutable",
        "(module (global (mut i32) (i32.const 0)) (global i32 (global.get 0)))",
        "constant expression required",
    ),
    ("global-add-types", "(module (global i32 (i32.add (i32.const 1) (i64.const 2))))", "type mismatch"),
    ("global-add-one-operand", "(module (global i64 (i64.const 1) (i64.mul)))", "type mismatch"),
    ("global-add-result-type", "(module (global i64 (i32.sub (i32.const 1) (i32.const 2))))", "type mismatch"),
    ("global-type", "(module (global i32 (i64.const 0)))", "type mismatch"),
    ("global-empty", "(module (global i32))", "type mismatch"),
    ("global-two-values", "(module (global i32 (i32.const 0) (i32.const 0)))", "type mismatch"),
    (
        "global-ref-type",
        '(module (global (import "m" "g") externref) (global funcref (global.get 0)))',
        "type mismatch",
    ),
    ("global-ref.func-unknown", "(module (global funcref (ref.func 3)))", "unknown function 3"),
    (
        "data-offset-defined-mutable-global",
        '(module (memory 1) (global (mut i32) (i32.const 0)) (data (global.get 0) "a"))',
        "constant expression required",
    ),
    (
        "data-offset-unknown-global",
        '(module (memory 1) (global i32 (i32.const 0)) (data (global.get 1) "a"))',
        "unknown global 1",
    ),
    ("data-offset-type", '(module (memory 1) (data (i64.const 0) "a"))', "type mismatch"),
    ("elem-offset-type", "(module (table 1 funcref) (func $f) (elem (i64.const 0) $f))", "type mismatch"),
    (
        "elem-offset-not-constant",
        "(module (table 1 funcref) (func $f) (elem (offset (i32.const 0) (i32.const 0) (i32.xor)) $f))",
        "constant expression required",
    ),
    # element and data segments
    ("elem-unknown-table", "(module (func $f) (elem (table 0) (i32.const 0) func $f))", "unknown table 0"),
    (
        "elem-table-type",
        "(module (table 1 externref) (func $f) (elem (table 0) (i32.const 0) funcref (ref.func $f)))",
        "type mismatch",
    ),
    ("elem-init-type", "(module (elem externref (ref.null func)))", "type mismatch"),
    ("elem-unknown-function", "(module (table 1 funcref) (elem (i32.const 0) func 4))", "unknown function 4"),
    ("data-unknown-memory", '(module (data (i32.const 0) "a"))', "unknown memory 0"),
    # limits
    ("memory-too-big", "(module (memory 65537))", "memory size must be at most 65536 pages (4GiB)"),
    ("memory-max-too-big", "(module (memory 0 65537))", "memory size must be at most 65536 pages (4GiB)"),
    ("memory-min-over-max", "(module (memory 2 1))", "size minimum must not be greater than maximum"),
    ("table-min-over-max", "(module (table 2 1 funcref))", "size minimum must not be greater than maximum"),
    (
        "imported-memory-too-big",
        '(module (import "m" "mem" (memory 0 70000)))',
        "memory size must be at most 65536 pages (4GiB)",
    ),
    (
        "imported-table-min-over-max",
        '(module (import "m" "t" (table 5 4 funcref)))',
        "size minimum must not be greater than maximum",
    ),
    # start
    ("start-unknown", "(module (start 2))", "unknown function 2"),
    ("start-params", "(module (func $s (param i32)) (start $s))", "start function"),
    ("start-results", "(module (func $s (result i32) (i32.const 0)) (start $s))", "start function"),
    # exports
    ("export-duplicate", '(module (func $f) (export "a" (func $f)) (export "a" (func $f)))', "duplicate export name"),
    (
        "export-duplicate-kinds",
        '(module (global i32 (i32.const 0)) (memory 1) (export "a" (global 0)) (export "a" (memory 0)))',
        "duplicate export name",
    ),
    ("export-function", '(module (export "a" (func 0)))', "unknown function 0"),
    ("export-table", '(module (export "a" (table 0)))', "unknown table 0"),
    ("export-memory", '(module (export "a" (memory 1)))', "unknown memory 1"),
    ("export-global", '(module (export "a" (global 0)))', "unknown global 0"),
]


@pytest.mark.parametrize("text,prefix", [case[1:] for case in INVALID_WAT], ids=[case[0] for case in INVALID_WAT])
def test_invalid_module(text, prefix):
    invalid(text, prefix)


TWO_MEMORIES = ["(module (memory 1) (memory 1))", '(module (import "m" "mem" (memory 1)) (memory 1))']


@pytest.mark.parametrize("text", TWO_MEMORIES)
def test_multiple_memories_are_2_0_invalid_and_3_0_valid(text):
    error = invalid(text, "multiple memories", Features.wasm2())
    assert error.proposal == "multi_memory"
    assert len(validate_wat(text).memory_types) == 2


VALID_WAT = [
    ("multiple-tables", "(module (table 1 funcref) (table 2 externref) (table 0 funcref))"),
    ("max-memory", "(module (memory 65536 65536))"),
    ("global-imported-immutable", '(module (global (import "m" "g") i32) (global i32 (global.get 0)))'),
    ("data-offset-imported-global", '(module (global (import "m" "g") i32) (memory 1) (data (global.get 0) "a"))'),
    (
        "global-all-consts",
        "(module (global i64 (i64.const 1)) (global f32 (f32.const 1)) (global f64 (f64.const 1)) (global v128 (v128.const i64x2 0 0)) (global externref (ref.null extern)))",
    ),
    ("elem-exprs", "(module (table 2 funcref) (func $f) (elem (i32.const 0) funcref (ref.func $f) (ref.null func)))"),
    # extended constant expressions (3.0)
    ("global-defined-global", "(module (global i32 (i32.const 0)) (global i32 (global.get 0)))"),
    (
        "global-arithmetic",
        (
            "(module (global i32 (i32.add (i32.sub (i32.const 1) (i32.const 2)) (i32.mul (i32.const 3) (i32.const 4))))"
            " (global i64 (i64.mul (i64.add (i64.const 1) (i64.const 2)) (i64.sub (i64.const 3) (i64.const 4)))))"
        ),
    ),
    (
        "global-earlier-in-arithmetic",
        "(module (global i64 (i64.const 5)) (global i64 (i64.add (global.get 0) (global.get 0))))",
    ),
    (
        "data-offset-defined-global",
        '(module (memory 1) (global i32 (i32.const 0)) (data (i32.add (global.get 0) (i32.const 8)) "a"))',
    ),
    (
        "elem-offset-later-global",
        "(module (table 4 funcref) (func $f) (elem (offset (i32.mul (global.get 0) (i32.const 2))) $f) (global i32 (i32.const 1)))",
    ),
    ("elem-init-defined-global", "(module (global funcref (ref.null func)) (elem funcref (global.get 0)))"),
    ("elem-externref-passive", "(module (elem externref (ref.null extern)))"),
    ("start-ok", "(module (func $s) (start $s))"),
    (
        "exports-distinct",
        '(module (func $f) (memory 1) (export "a" (func $f)) (export "b" (func $f)) (export "c" (memory 0)))',
    ),
]


@pytest.mark.parametrize("text", [case[1] for case in VALID_WAT], ids=[case[0] for case in VALID_WAT])
def test_valid_module(text):
    validate_wat(text)


# ---- the 2.0 constant-expression rule (validate(..., features=Features(extended_const=False)), what the 2.0 suite checks)

RULE_2_0 = [
    ("arithmetic", "(module (global i32 (i32.add (i32.const 1) (i32.const 2))))", "constant expression required"),
    ("defined-global", "(module (global i32 (i32.const 0)) (global i32 (global.get 0)))", "unknown global 0"),
    (
        "data-offset-defined-global",
        '(module (memory 1) (global i32 (i32.const 0)) (data (global.get 0) "a"))',
        "unknown global 0",
    ),
    (
        "elem-init-defined-global",
        "(module (global funcref (ref.null func)) (elem funcref (global.get 0)))",
        "unknown global 0",
    ),
]


@pytest.mark.parametrize("text,prefix", [case[1:] for case in RULE_2_0], ids=[case[0] for case in RULE_2_0])
def test_2_0_constant_rule(text, prefix):
    validate_wat(text)  # valid in 3.0, the default
    module = decode_module(wat_bytes(text))
    with pytest.raises(ValidationError) as caught:
        validate(module, features=Features(extended_const=False))
    assert caught.value.message.startswith(prefix), caught.value.message
    assert "the extended-const proposal is not enabled" in caught.value.message


def test_2_0_rule_still_allows_imported_globals_and_says_nothing_of_a_truly_unknown_one():
    validate(
        decode_module(wat_bytes('(module (global (import "m" "g") i32) (global i32 (global.get 0)))')),
        features=Features(extended_const=False),
    )
    with pytest.raises(ValidationError) as caught:
        validate(decode_module(wat_bytes("(module (global i32 (global.get 3)))")), features=Features(extended_const=False))
    assert caught.value.message == "unknown global 3"


# ---- inputs the text format cannot express (wat resolves or refuses them)


def test_imported_function_unknown_type():
    data = g.module(g.type_section(g.functype()), g.import_section(g.import_func("m", "f", 3)))
    invalid(data, "unknown type 3")


def test_function_unknown_type():
    data = g.module(g.type_section(g.functype()), g.function_section(1), g.code_section(g.func_body()))
    error = invalid(data, "unknown type 1")
    assert error.func_index == 0


def test_block_type_unknown():
    code = g.block(g.blocktype(type_index=4)) + g.END + g.END
    invalid(g.single_func_module(code), "unknown type 4")


def test_call_indirect_unknown_type():
    code = g.i32_const(0) + g.call_indirect(9, 0) + g.END
    data = g.module(
        g.type_section(g.functype()),
        g.function_section(0),
        g.table_section(g.table_type(g.FUNCREF, 1)),
        g.code_section(g.func_body((), code)),
    )
    invalid(data, "unknown type 9")


def test_select_t_needs_exactly_one_type():
    # 0x1c with a vector of two value types: wat2wasm writes only well-formed arity.
    two = g.i32_const(0) * 5 + b"\x1c" + g.vec([bytes([g.I32]), bytes([g.I32])]) + g.op("drop") * 2 + g.END
    invalid(g.single_func_module(two), "invalid result arity")
    none = g.i32_const(0) * 3 + b"\x1c" + g.vec([]) + g.END
    invalid(g.single_func_module(none), "invalid result arity")


def test_data_drop_unknown_segment_with_data_count():
    data = g.module(
        g.type_section(g.functype()),
        g.function_section(0),
        g.memory_section(g.memory_type(1)),
        g.datacount_section(1),
        g.code_section(g.func_body((), g.op("data.drop", g.u32(1)) + g.END)),
        g.data_section(g.data_passive(b"x")),
    )
    invalid(data, "unknown data segment 1")


def test_start_error_is_not_attributed_to_a_function():
    error = invalid("(module (func $s (param i32)) (start $s))", "start function")
    assert error.func_index is None


def test_global_error_offset_points_at_its_expression():
    data = g.module(g.global_section(g.global_entry(g.I32, False, g.const_expr(g.i64_const(7)))))
    error = invalid(data, "type mismatch")
    expr = g.i64_const(7)
    assert data[error.offset : error.offset + len(expr)] == expr
