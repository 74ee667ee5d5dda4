"""Feature detection: each 2.0 proposal (and extended-const, relaxed-simd) is found from the construct that
introduced it, and only then."""

import pytest

from pywaz.decoder import decode_module
from pywaz.inspect import FEATURES, detect_features
from pywaz.text import wat2wasm


def _features(wat):
    return {use.name: use for use in detect_features(decode_module(wat2wasm(wat)))}


MVP = """
(module
  (import "env" "g" (global i32))
  (memory 1) (table 1 funcref) (elem (i32.const 0) 0)
  (data (i32.const 0) "x")
  (global (export "c") i32 (i32.const 7))
  (func (param i32) (result i32)
    (block (result i32) (loop (br 1 (local.get 0))))
    (drop) (i32.trunc_f32_s (f32.const 1))))
"""


def test_an_mvp_module_uses_no_features():
    assert _features(MVP) == {}


@pytest.mark.parametrize(
    "feature, wat, evidence",
    [
        ("mutable-globals", '(module (import "env" "g" (global (mut i32))))', "imports mutable global env.g"),
        ("mutable-globals", '(module (global (export "g") (mut i32) (i32.const 0)))', "exports mutable global 'g'"),
        ("sign-extension", "(module (func (drop (i64.extend16_s (i64.const 1)))))", "i64.extend16_s in function 0"),
        (
            "non-trapping-float-to-int",
            "(module (func (drop (i32.trunc_sat_f64_u (f64.const 1)))))",
            "i32.trunc_sat_f64_u in function 0",
        ),
        ("multi-value", "(module (func (result i32 i32) (i32.const 1) (i32.const 2)))", "type 0 has 2 results"),
        ("multi-value", "(module (func (param i32) (block (param i32) (drop)) ))", "block with a type-index"),
        (
            "bulk-memory",
            "(module (memory 1) (func (memory.fill (i32.const 0) (i32.const 0) (i32.const 0))))",
            "memory.fill",
        ),
        ("bulk-memory", '(module (memory 1) (data "passive"))', "data segment 0 is passive"),
        ("reference-types", "(module (func (param externref)))", "type 0 uses externref"),
        ("reference-types", "(module (table 1 funcref) (table 1 funcref))", "2 tables"),
        ("reference-types", "(module (func (drop (ref.null func))))", "ref.null in function 0"),
        ("reference-types", "(module (func $f) (elem declare func $f))", "declarative"),
        (
            "reference-types",
            "(module (table 1 funcref) (elem (i32.const 0) funcref (ref.null func)))",
            "has a ref.null element",
        ),
        ("simd", "(module (func (result v128) (v128.const i64x2 1 2)))", "type 0 uses v128"),
        ("simd", "(module (func (local v128)))", "v128 local"),
        (
            "simd",
            "(module (memory 1) (func (drop (i32x4.extract_lane 0 (v128.load (i32.const 0))))))",
            "v128.load in function 0",
        ),
        (
            "relaxed-simd",
            "(module (func (param v128) (result v128) (i8x16.relaxed_swizzle (local.get 0) (local.get 0))))",
            "i8x16.relaxed_swizzle in function 0",
        ),
        (
            "extended-const",
            "(module (global i64 (i64.sub (i64.const 1) (i64.const 2))))",
            "global 0 computes with i64.sub",
        ),
        (
            "extended-const",
            '(module (import "m" "g" (global i32)) (global i32 (i32.const 1)) (global i32 (global.get 1)))',
            "global 2 reads global 1, which the module defines",
        ),
        (
            "extended-const",
            '(module (memory 1) (global i32 (i32.const 1)) (data (global.get 0) "x"))',
            "data segment 0 offset reads global 0",
        ),
        (
            "extended-const",
            "(module (table 4 funcref) (func $f) (elem (offset (i32.mul (i32.const 2) (i32.const 1))) $f))",
            "element segment 0 offset computes with i32.mul",
        ),
        ("memory64", "(module (memory i64 1))", "memory 0 is 64-bit"),
        ("memory64", '(module (import "m" "t" (table i64 1 funcref)))', "table 0 is 64-bit"),
        ("multi-memory", '(module (import "m" "m" (memory 1)) (memory 1))', "2 memories"),
    ],
)
def test_each_feature_is_detected_with_evidence(feature, wat, evidence):
    found = _features(wat)
    assert feature in found, found
    assert evidence in found[feature].evidence


def test_features_come_in_report_order_with_offsets_of_instructions():
    data = wat2wasm(
        "(module (func (result i32) (drop (f32x4.splat (f32.const 0)))"
        " (i32.extend8_s (i32.trunc_sat_f32_s (f32.const 0)))))"
    )
    module = decode_module(data)
    uses = detect_features(module)
    names = [use.name for use in uses]
    assert names == [name for name in FEATURES if name in names]
    assert set(names) == {"sign-extension", "non-trapping-float-to-int", "simd"}
    body = module.codes[0]
    for use in uses:
        assert use.offset in set(body.offsets)
        pc = list(body.offsets).index(use.offset)
        assert use.evidence.startswith(
            {0xC0: "i32.extend8_s", 0xFC00: "i32.trunc_sat_f32_s", 0xFD13: "f32x4.splat"}[body.ops[pc]]
        )


def test_imported_globals_and_plain_constants_are_not_extended_const():
    found = _features(
        '(module (import "m" "g" (global i32)) (memory 1) (global i32 (global.get 0)) (data (global.get 0) "x")'
        " (global v128 (v128.const i64x2 1 2)))"
    )
    assert "extended-const" not in found
    assert set(found) == {"simd"}


def test_relaxed_simd_alone_is_not_reported_as_plain_simd_evidence():
    found = _features("(module (func (param v128) (result v128) (f32x4.relaxed_min (local.get 0) (local.get 0))))")
    assert found["relaxed-simd"].evidence == "f32x4.relaxed_min in function 0"
    assert found["simd"].evidence == "type 0 uses v128"  # from the type, not from the relaxed instruction
