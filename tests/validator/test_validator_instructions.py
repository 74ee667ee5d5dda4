"""Function-body validation: every instruction-level error path, and the valid twins that
pin down the spec's subtleties (polymorphic stack, loop labels, br_table, select)."""

import pytest
from validator_helpers import invalid, validate_wat

INVALID = [
    # operand types and stack shape
    ("result-type", "(module (func (result i32) (i64.const 1)))", "type mismatch"),
    ("binary-operand", "(module (func (drop (i32.add (i32.const 1) (f32.const 1)))))", "type mismatch"),
    ("underflow", "(module (func (drop)))", "type mismatch"),
    ("underflow-binary", "(module (func (result i32) (i32.const 1) (i32.add)))", "type mismatch"),
    ("leftover-value", "(module (func (i32.const 1)))", "type mismatch"),
    ("missing-result", "(module (func (result i32)))", "type mismatch"),
    ("block-result", "(module (func (block (result i32) (f32.const 0)) (drop)))", "type mismatch"),
    ("block-leftover", "(module (func (block (i32.const 1))))", "type mismatch"),
    ("block-param-missing", "(module (func (block (param i32) (drop))))", "type mismatch"),
    ("block-cannot-see-outer", "(module (func (i32.const 1) (block (drop)) (drop)))", "type mismatch"),
    ("if-condition", "(module (func (if (f32.const 0) (then))))", "type mismatch"),
    (
        "if-no-else-result",
        "(module (func (result i32) (if (result i32) (i32.const 1) (then (i32.const 1)))))",
        "type mismatch",
    ),
    (
        "if-no-else-param-result",
        "(module (func (i32.const 1) (i32.const 1) (if (param i32) (result i64) (then (drop) (i64.const 1))) (drop)))",
        "type mismatch",
    ),
    (
        "else-result",
        "(module (func (result i32) (if (result i32) (i32.const 1) (then (i32.const 1)) (else (i64.const 1)))))",
        "type mismatch",
    ),
    (
        "then-result",
        "(module (func (result i32) (if (result i32) (i32.const 1) (then) (else (i32.const 1)))))",
        "type mismatch",
    ),
    ("loop-result", "(module (func (result i32) (loop (result i32))))", "type mismatch"),
    # locals and globals
    ("local.get", "(module (func (local.get 5)))", "unknown local 5"),
    ("local.set", "(module (func (param i32) (local.set 1 (i32.const 0))))", "unknown local 1"),
    ("local.tee", "(module (func (local i64) (drop (local.tee 2 (i32.const 0)))))", "unknown local 2"),
    ("local.set-type", "(module (func (local f64) (local.set 0 (i32.const 0))))", "type mismatch"),
    ("local.tee-type", "(module (func (param i32) (result i64) (local.tee 0 (i32.const 0))))", "type mismatch"),
    ("global.get", "(module (func (drop (global.get 0))))", "unknown global 0"),
    ("global.set", "(module (global (mut i32) (i32.const 0)) (func (global.set 1 (i32.const 0))))", "unknown global 1"),
    (
        "global-immutable",
        "(module (global i32 (i32.const 0)) (func (global.set 0 (i32.const 1))))",
        "global is immutable",
    ),
    (
        "global.set-type",
        "(module (global (mut i32) (i32.const 0)) (func (global.set 0 (i64.const 1))))",
        "type mismatch",
    ),
    # branches
    ("br-label", "(module (func (br 1)))", "unknown label 1"),
    ("br-nested-label", "(module (func (block (loop (br 3)))))", "unknown label 3"),
    ("br_if-label", "(module (func (br_if 2 (i32.const 0))))", "unknown label 2"),
    ("br_table-label", "(module (func (block (br_table 0 2 (i32.const 0)))))", "unknown label 2"),
    ("br_table-default-label", "(module (func (block (br_table 0 0 5 (i32.const 0)))))", "unknown label 5"),
    ("br-value", "(module (func (result i32) (block (result i32) (br 0 (f32.const 0)))))", "type mismatch"),
    (
        "br_if-value",
        "(module (func (result i32) (block (result i32) (br_if 0 (i64.const 0) (i32.const 1)))))",
        "type mismatch",
    ),
    ("br_if-condition", "(module (func (block (br_if 0 (f32.const 0)))))", "type mismatch"),
    (
        "br_table-arity",
        "(module (func (block (block (result i32) (br_table 0 1 (i32.const 0) (i32.const 0))) (drop))))",
        "type mismatch",
    ),
    (
        "br_table-types",
        (
            "(module (func (result i32) (block (result f32) (block (result i32) (br_table 0 1 (i32.const 0) (i32.const 0)))"
            " (drop) (f32.const 0)) (drop) (i32.const 0)))"
        ),
        "type mismatch",
    ),
    ("br_table-index", "(module (func (block (br_table 0 (i64.const 0)))))", "type mismatch"),
    ("return-value", "(module (func (result i32) (return (i64.const 0))))", "type mismatch"),
    ("return-missing", "(module (func (result i32) (return)))", "type mismatch"),
    ("loop-label-is-params", "(module (func (i32.const 0) (loop (param i32) (drop) (br 0))))", "type mismatch"),
    # calls
    ("call-unknown", "(module (func (call 7)))", "unknown function 7"),
    ("call-args", "(module (func $f (param i32)) (func (call $f (i64.const 0))))", "type mismatch"),
    ("call-result", "(module (func $f (result i64) (i64.const 0)) (func (result i32) (call $f)))", "type mismatch"),
    ("call_indirect-table", "(module (type (func)) (func (call_indirect (type 0) (i32.const 0))))", "unknown table 0"),
    (
        "call_indirect-externref-table",
        "(module (type (func)) (table 1 externref) (func (call_indirect (type 0) (i32.const 0))))",
        "type mismatch",
    ),
    (
        "call_indirect-index-type",
        "(module (type (func)) (table 1 funcref) (func (call_indirect (type 0) (i64.const 0))))",
        "type mismatch",
    ),
    # select
    ("select-mixed", "(module (func (drop (select (i32.const 0) (i64.const 0) (i32.const 1)))))", "type mismatch"),
    (
        "select-ref-untyped",
        "(module (func (param externref) (drop (select (local.get 0) (local.get 0) (i32.const 1)))))",
        "type mismatch",
    ),
    (
        "select_t-operand",
        "(module (func (drop (select (result i64) (i32.const 0) (i32.const 0) (i32.const 1)))))",
        "type mismatch",
    ),
    ("select-condition", "(module (func (drop (select (i32.const 0) (i32.const 0) (i64.const 1)))))", "type mismatch"),
    # memories
    ("load-no-memory", "(module (func (drop (i32.load (i32.const 0)))))", "unknown memory 0"),
    ("store-no-memory", "(module (func (i64.store (i32.const 0) (i64.const 0))))", "unknown memory 0"),
    ("memory.size-no-memory", "(module (func (drop (memory.size))))", "unknown memory 0"),
    ("memory.grow-no-memory", "(module (func (drop (memory.grow (i32.const 0)))))", "unknown memory 0"),
    (
        "memory.fill-no-memory",
        "(module (func (memory.fill (i32.const 0) (i32.const 0) (i32.const 0))))",
        "unknown memory 0",
    ),
    (
        "memory.copy-no-memory",
        "(module (func (memory.copy (i32.const 0) (i32.const 0) (i32.const 0))))",
        "unknown memory 0",
    ),
    (
        "memory.init-no-memory",
        '(module (data "x") (func (memory.init 0 (i32.const 0) (i32.const 0) (i32.const 0))))',
        "unknown memory 0",
    ),
    ("v128.load-no-memory", "(module (func (drop (v128.load (i32.const 0)))))", "unknown memory 0"),
    (
        "load8_lane-no-memory",
        "(module (func (drop (v128.load8_lane 0 (i32.const 0) (v128.const i64x2 0 0)))))",
        "unknown memory 0",
    ),
    (
        "align-i32.load",
        "(module (memory 1) (func (drop (i32.load align=8 (i32.const 0)))))",
        "alignment must not be larger than natural",
    ),
    (
        "align-i64.load32",
        "(module (memory 1) (func (drop (i64.load32_u align=8 (i32.const 0)))))",
        "alignment must not be larger than natural",
    ),
    (
        "align-i32.store8",
        "(module (memory 1) (func (i32.store8 align=2 (i32.const 0) (i32.const 0))))",
        "alignment must not be larger than natural",
    ),
    (
        "align-v128.load",
        "(module (memory 1) (func (drop (v128.load align=32 (i32.const 0)))))",
        "alignment must not be larger than natural",
    ),
    (
        "align-load8x8",
        "(module (memory 1) (func (drop (v128.load8x8_s align=16 (i32.const 0)))))",
        "alignment must not be larger than natural",
    ),
    (
        "align-load32_splat",
        "(module (memory 1) (func (drop (v128.load32_splat align=8 (i32.const 0)))))",
        "alignment must not be larger than natural",
    ),
    ("load-address-type", "(module (memory 1) (func (drop (i32.load (i64.const 0)))))", "type mismatch"),
    ("store-value-type", "(module (memory 1) (func (f32.store (i32.const 0) (f64.const 0))))", "type mismatch"),
    ("memory.grow-type", "(module (memory 1) (func (drop (memory.grow (i64.const 0)))))", "type mismatch"),
    ("data.drop-unknown", '(module (memory 1) (data "x") (func (data.drop 4)))', "unknown data segment 4"),
    (
        "memory.init-unknown-data",
        '(module (memory 1) (data "x") (func (memory.init 1 (i32.const 0) (i32.const 0) (i32.const 0))))',
        "unknown data segment 1",
    ),
    # SIMD lanes
    (
        "extract_lane-i8x16",
        "(module (func (drop (i8x16.extract_lane_s 16 (v128.const i64x2 0 0)))))",
        "invalid lane index",
    ),
    (
        "extract_lane-i16x8",
        "(module (func (drop (i16x8.extract_lane_u 8 (v128.const i64x2 0 0)))))",
        "invalid lane index",
    ),
    (
        "extract_lane-f64x2",
        "(module (func (drop (f64x2.extract_lane 2 (v128.const i64x2 0 0)))))",
        "invalid lane index",
    ),
    (
        "replace_lane-i32x4",
        "(module (func (drop (i32x4.replace_lane 4 (v128.const i64x2 0 0) (i32.const 0)))))",
        "invalid lane index",
    ),
    (
        "shuffle-lane",
        (
            "(module (func (drop (i8x16.shuffle 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 32"
            " (v128.const i64x2 0 0) (v128.const i64x2 0 0)))))"
        ),
        "invalid lane index",
    ),
    (
        "load8_lane-lane",
        "(module (memory 1) (func (drop (v128.load8_lane 16 (i32.const 0) (v128.const i64x2 0 0)))))",
        "invalid lane index",
    ),
    (
        "store64_lane-lane",
        "(module (memory 1) (func (v128.store64_lane 2 (i32.const 0) (v128.const i64x2 0 0))))",
        "invalid lane index",
    ),
    (
        "load16_lane-align",
        "(module (memory 1) (func (drop (v128.load16_lane align=4 0 (i32.const 0) (v128.const i64x2 0 0)))))",
        "alignment must not be larger than natural",
    ),
    ("simd-operand", "(module (func (drop (i8x16.add (v128.const i64x2 0 0) (i32.const 0)))))", "type mismatch"),
    (
        "simd-shift-count",
        "(module (func (drop (i8x16.shl (v128.const i64x2 0 0) (v128.const i64x2 0 0)))))",
        "type mismatch",
    ),
    # tables and references
    ("table.get-unknown", "(module (func (drop (table.get 3 (i32.const 0)))))", "unknown table 3"),
    ("table.set-unknown", "(module (func (table.set 0 (i32.const 0) (ref.null func))))", "unknown table 0"),
    ("table.size-unknown", "(module (func (drop (table.size 1))))", "unknown table 1"),
    ("table.grow-unknown", "(module (func (drop (table.grow 0 (ref.null func) (i32.const 1)))))", "unknown table 0"),
    (
        "table.fill-unknown",
        "(module (func (table.fill 0 (i32.const 0) (ref.null func) (i32.const 1))))",
        "unknown table 0",
    ),
    (
        "table.set-value-type",
        "(module (table 1 externref) (func (table.set 0 (i32.const 0) (ref.null func))))",
        "type mismatch",
    ),
    (
        "table.grow-value-type",
        "(module (table 1 funcref) (func (drop (table.grow 0 (ref.null extern) (i32.const 1)))))",
        "type mismatch",
    ),
    (
        "table.get-result-type",
        "(module (table 1 externref) (func (result funcref) (table.get 0 (i32.const 0))))",
        "type mismatch",
    ),
    (
        "table.copy-types",
        "(module (table 1 funcref) (table 1 externref) (func (table.copy 0 1 (i32.const 0) (i32.const 0) (i32.const 0))))",
        "type mismatch",
    ),
    (
        "table.copy-unknown",
        "(module (table 1 funcref) (func (table.copy 0 1 (i32.const 0) (i32.const 0) (i32.const 0))))",
        "unknown table 1",
    ),
    (
        "table.init-types",
        (
            "(module (table 1 externref) (elem funcref (ref.null func))"
            " (func (table.init 0 0 (i32.const 0) (i32.const 0) (i32.const 0))))"
        ),
        "type mismatch",
    ),
    (
        "table.init-unknown-elem",
        "(module (table 1 funcref) (func (table.init 0 1 (i32.const 0) (i32.const 0) (i32.const 0))))",
        "unknown elem segment 1",
    ),
    (
        "table.init-unknown-table",
        "(module (elem funcref (ref.null func)) (func (table.init 2 0 (i32.const 0) (i32.const 0) (i32.const 0))))",
        "unknown table 2",
    ),
    ("elem.drop-unknown", "(module (func (elem.drop 4)))", "unknown elem segment 4"),
    ("ref.is_null-number", "(module (func (drop (ref.is_null (i32.const 0)))))", "type mismatch"),
    ("ref.is_null-empty", "(module (func (drop (ref.is_null))))", "type mismatch"),
    ("ref.func-unknown", "(module (func (drop (ref.func 7))))", "unknown function 7"),
    ("ref.func-undeclared", "(module (func $f (drop (ref.func $f))))", "undeclared function reference"),
    ("ref.null-type", "(module (func (result externref) (ref.null func)))", "type mismatch"),
    # numeric odds and ends from the fixed-signature table
    ("conversion", "(module (func (result i64) (i64.extend_i32_s (i64.const 0))))", "type mismatch"),
    ("trunc_sat", "(module (func (result i32) (i32.trunc_sat_f32_s (f64.const 0))))", "type mismatch"),
    ("compare-result", "(module (func (result i64) (i64.eq (i64.const 0) (i64.const 0))))", "type mismatch"),
]


@pytest.mark.parametrize("text,prefix", [case[1:] for case in INVALID], ids=[case[0] for case in INVALID])
def test_invalid_instruction(text, prefix):
    invalid(text, prefix)


VALID = [
    # The polymorphic stack after unreachable / br / return accepts anything.
    ("unreachable-then-add", "(module (func (result i32) (unreachable) (i32.add)))"),
    (
        "br-then-anything",
        "(module (func (result i32) (block (result i32) (br 0 (i32.const 1)) (f32.add) (drop) (i32.const 0))))",
    ),
    ("return-then-select", "(module (func (result i64) (return (i64.const 1)) (select)))"),
    ("unreachable-select-value", "(module (func (result i32) (unreachable) (select (i32.const 0) (i32.const 1))))"),
    ("unreachable-ref.is_null", "(module (func (result i32) (unreachable) (ref.is_null)))"),
    ("unreachable-drop", "(module (func (unreachable) (drop) (drop)))"),
    ("unreachable-block-params", "(module (func (unreachable) (block (param i32 f64) (drop) (drop))))"),
    # br_table in unreachable code: label types with the same arity need not agree.
    (
        "br_table-unreachable-mixed",
        (
            "(module (func (block (result i32) (block (result f32) (unreachable) (br_table 0 1 (i32.const 0))) (drop)"
            " (i32.const 0)) (drop)))"
        ),
    ),
    ("br_table-to-loop", "(module (func (loop (br_table 0 0 (i32.const 0)))))"),
    (
        "br_table-multi",
        (
            "(module (func (result i32 i64) (block (result i32 i64) (br_table 0 1"
            " (i32.const 0) (i64.const 0) (i32.const 0)))))"
        ),
    ),
    # A loop's label takes its parameters, a block's its results.
    (
        "loop-label-params",
        "(module (func (param i32) (result i32) (local.get 0) (loop (param i32) (result i32) (br 0))))",
    ),
    ("loop-br-no-results", "(module (func (result i32) (loop (result i32) (br 0))))"),
    ("block-multi-value", "(module (func (result i32 f64) (block (result i32 f64) (i32.const 1) (f64.const 2))))"),
    (
        "block-params",
        "(module (func (result i32) (i32.const 1) (i32.const 2) (block (param i32 i32) (result i32) (i32.add))))",
    ),
    (
        "if-no-else-same-types",
        "(module (func (param i32) (result i32) (local.get 0) (local.get 0) (if (param i32) (result i32) (then))))",
    ),
    (
        "if-else",
        "(module (func (result i32) (if (result i32) (i32.const 1) (then (i32.const 1)) (else (i32.const 2)))))",
    ),
    ("br_if-keeps-values", "(module (func (result i32) (block (result i32) (br_if 0 (i32.const 1) (i32.const 1)))))"),
    (
        "select-typed-ref",
        "(module (func (param externref) (result externref) (select (result externref) (local.get 0) (ref.null extern) (i32.const 1))))",
    ),
    (
        "select-v128",
        "(module (func (result v128) (select (v128.const i64x2 0 0) (v128.const i64x2 1 1) (i32.const 1))))",
    ),
    ("ref.func-declared-by-elem", "(module (func $f (drop (ref.func $f))) (elem declare func $f))"),
    ("ref.func-declared-by-export", '(module (func $f (export "f") (drop (ref.func $f))))'),
    ("ref.func-declared-by-global", "(module (global funcref (ref.func $f)) (func $f (drop (ref.func $f))))"),
    (
        "natural-alignment",
        "(module (memory 1) (func (drop (i64.load align=8 (i32.const 0))) (drop (v128.load align=16 (i32.const 0)))))",
    ),
    ("lane-max", "(module (func (result i32) (i8x16.extract_lane_u 15 (v128.const i64x2 0 0))))"),
    (
        "call_indirect-second-table",
        "(module (type (func)) (table 0 externref) (table 1 funcref) (func (call_indirect 1 (type 0) (i32.const 0))))",
    ),
    (
        "table.init-matching",
        "(module (table 1 funcref) (elem funcref (ref.null func)) (func (table.init 0 0 (i32.const 0) (i32.const 0) (i32.const 0))))",
    ),
]


@pytest.mark.parametrize("text", [case[1] for case in VALID], ids=[case[0] for case in VALID])
def test_valid_instruction(text):
    validate_wat(text)
