"""The assembler (pywaz/text/assembler.py): each abbreviation against the binary it stands for, and errors."""

from __future__ import annotations

import pytest

import pywaz
from pywaz import wat2wasm
from pywaz.text import WatError

HEADER = b"\0asm\1\0\0\0"


def _sections(binary: bytes) -> dict[int, bytes]:
    """Section id -> content, custom sections left out."""
    assert binary[:8] == HEADER
    out, i = {}, 8
    while i < len(binary):
        section_id = binary[i]
        size, shift, i = 0, 0, i + 1
        while True:
            byte = binary[i]
            i += 1
            size |= (byte & 0x7F) << shift
            shift += 7
            if not byte & 0x80:
                break
        if section_id:
            out[section_id] = binary[i:i + size]
        i += size
    return out


def _same_module(a: str, b: str) -> None:
    assert _sections(wat2wasm(a)) == _sections(wat2wasm(b))


def test_empty_module_and_bare_fields():
    assert wat2wasm("(module)") == HEADER
    assert _sections(wat2wasm("(func) (memory 1)")) == _sections(wat2wasm("(module (func) (memory 1))"))


def test_folded_and_flat_instructions_are_the_same_code():
    _same_module(
        "(func (result i32) (i32.add (i32.const 1) (i32.mul (i32.const 2) (i32.const 3))))",
        "(func (result i32) i32.const 1 i32.const 2 i32.const 3 i32.mul i32.add)")
    _same_module(
        "(func (param i32) (result i32) (if (result i32) (local.get 0) (then (i32.const 1)) (else (i32.const 2))))",
        "(func (param i32) (result i32) local.get 0 if (result i32) i32.const 1 else i32.const 2 end)")


def test_inline_import_and_export_abbreviations():
    _same_module('(func $f (export "a") (export "b") (import "m" "f") (param i32))',
                 '(type (func (param i32))) (import "m" "f" (func $f (type 0)))'
                 '(export "a" (func $f)) (export "b" (func $f))')
    _same_module('(memory (export "mem") 1 2)', '(memory $m 1 2) (export "mem" (memory $m))')
    _same_module('(global (import "m" "g") (mut i32))', '(import "m" "g" (global (mut i32)))')


def test_inline_data_and_elem_segments():
    _same_module('(memory (data "hi" "!"))', '(memory 1 1) (data (memory 0) (i32.const 0) "hi!")')
    _same_module('(memory i64 (data "x"))', '(memory i64 1 1) (data (memory 0) (i64.const 0) "x")')
    _same_module("(table funcref (elem $f $f)) (func $f)", "(table 2 2 funcref) (elem (table 0) (i32.const 0) func $f $f) (func $f)")


def test_implicit_types_reuse_and_append():
    binary = wat2wasm("(func (param i32)) (type $t (func (param i32))) (func (result f64) (f64.const 0))")
    # the explicit type comes first and is reused; (result f64) is appended after it
    assert _sections(binary)[1] == b"\x02\x60\x01\x7f\x00\x60\x00\x01\x7c"
    assert _sections(binary)[3] == b"\x02\x00\x01"


def test_identifiers_resolve_forward_and_labels_by_depth():
    _same_module("(func (call $g)) (func $g)", "(func (call 1)) (func)")
    _same_module("(func (block $out (loop $in (br_if $out (i32.const 1)) (br $in))))",
                 "(func (block (loop (br_if 1 (i32.const 1)) (br 0))))")


def test_memargs_and_memory_indexes():
    _same_module("(memory 1) (memory $b 1) (func (drop (i32.load $b offset=4 align=2 (i32.const 0))))",
                 "(memory 1) (memory 1) (func (drop (i32.load 1 offset=4 align=2 (i32.const 0))))")
    code = _sections(wat2wasm("(memory 1) (memory 1) (func (drop (i64.load 1 offset=8 (i32.const 0))))"))[10]
    assert b"\x29\x43\x01\x08" in code  # align 3 | 0x40 (a memory index follows), memory 1, offset 8


def test_gc_types_and_instructions():
    binary = wat2wasm("""
      (rec (type $node (sub (struct (field $next (ref null $node)) (field $v (mut i32))))))
      (type $arr (array (mut i8)))
      (func (param (ref $node)) (result i32) (struct.get $node $v (local.get 0)))
      (func (result (ref $arr)) (array.new_fixed $arr 2 (i32.const 1) (i32.const 2)))
    """)
    sections = _sections(binary)
    assert sections[1].startswith(b"\x04\x4e\x01\x50\x00\x5f\x02\x63\x00\x00\x7f\x01\x5e\x78\x01")
    assert b"\xfb\x02\x00\x01" in sections[10] and b"\xfb\x08\x01\x02" in sections[10]


def test_simd_relaxed_and_tail_calls_and_exceptions():
    binary = wat2wasm("""
      (tag $e (param i32))
      (func $f (result v128) (i32x4.relaxed_laneselect (v128.const i32x4 1 2 3 4) (v128.const f32x4 1 2 3 nan)
                                                      (v128.const i64x2 -1 0)))
      (func (return_call $f))
      (func (block $h (result i32) (try_table (catch $e $h) (throw $e (i32.const 1)))) drop)
    """)
    code = _sections(binary)[10]
    assert b"\xfd\x8b\x02" in code and b"\x12\x00" in code and b"\x1f\x40\x01\x00\x00\x00" in code


def test_names_section_from_identifiers():
    binary = wat2wasm("(module $m (func $f (param $x i32) (local $y i64)))")
    assert b"\x04name" in binary and b"\x01m" in binary and b"\x01f" in binary and b"\x01x" in binary


def test_custom_annotation_places_a_section():
    binary = wat2wasm('(module (@custom "hello" (before func) "data") (func))')
    assert binary.index(b"\x05hellodata") < binary.index(b"\x03\x02\x01\x00")


@pytest.mark.parametrize("text, message, where", [
    ("(func i32.bogus)", "unknown operator", (1, 7)),
    ("(func\n  (i32.const 0x1_0000_0000) drop)", "constant out of range", (2, 14)),
    ("(func (br $nowhere))", "unknown label", (1, 11)),
    ("(func block $a end $b)", "mismatching label", (1, 20)),
    ("(memory 1) (func (drop (i32.load align=3 (i32.const 0))))", "alignment", (1, 34)),
    ("(type $t (func)) (func (type $t) (param i32))", "inline function type", (1, 24)),
    ("(func $f) (func $f)", "duplicate func", (1, 11)),
    ("(func (local $x i32) (local $x i32))", "duplicate local", (1, 22)),
    ("(func) (import \"m\" \"f\" (func))", "import after function", (1, 8)),
    ("(func (v128.const i32x4 1 2 3))", "wrong number of lane literals", (1, 29)),
    ("(func (i32.const))", "unexpected token", (1, 8)),  # at the instruction missing its operand
    ("(start 0) (start 0)", "multiple start sections", (1, 11)),
    ('(func (result i32) (f32.const nan:arithmetic))', "unexpected token", (1, 31)),
])
def test_malformed_text(text, message, where):
    with pytest.raises(WatError) as info:
        wat2wasm(text)
    assert message in info.value.message
    assert (info.value.line, info.value.column) == where


def test_assembled_modules_run():
    with pywaz.Runtime() as runtime:
        instance = runtime.instantiate('(module (func (export "add") (param i32 i32) (result i32) '
                                       '(i32.add (local.get 0) (local.get 1))))')
        assert instance.exports["add"](2, 3) == 5
        instance = runtime.instantiate(b'  ;; text as bytes\n(module (func (export "one") (result i32) i32.const 1))')
        assert instance.exports["one"]() == 1
        with pytest.raises(pywaz.DecodeError) as info:
            runtime.compile_module("(module (func i32.bogus))")
        assert isinstance(info.value, pywaz.WatError)


def test_the_cache_keys_text_by_the_binary_it_assembles_to():
    text = '(module (func (export "f") (result i32) (i32.const 42)))'
    spaced = ';; the same module, written differently\n(module\n  (func (export "f") (result i32)\n    i32.const 42))'
    with pywaz.Runtime(cache=pywaz.CompilationCache()) as runtime:
        for data in (text, spaced.encode(), wat2wasm(text)):
            compiled = runtime.compile_module(data)
            assert runtime.instantiate_module(compiled).exports["f"]() == 42
        assert runtime.stats()["compilations"] == 1 and runtime.stats()["memory_hits"] == 2


def test_deep_nesting():
    # Flat blocks nest through an explicit stack: any depth assembles.
    depth = 5000
    flat = "(module (func " + "block " * depth + "end " * depth + "))"
    code = _sections(wat2wasm(flat))[10]
    assert code.count(b"\x02\x40") == depth
    # Folded instructions recurse; too deep is a typed error, not a crash.
    folded = "(module (func " + "(block " * 100_000 + ")" * 100_000 + "))"
    with pytest.raises(WatError, match="nesting too deep"):
        wat2wasm(folded)
