"""Function listings: golden text for small modules, and re-assembling a listing gives the same code."""

import re

import pytest

from pywaz.decoder import decode_module
from pywaz.inspect import NoFunctionBodyError, UnknownFunctionError, disassemble, function_view
from pywaz.text import wat2wasm
from pywaz.validator import validate


def _validated(wat):
    return validate(decode_module(wat2wasm(wat)))


FIB = """
(module
  (import "env" "log" (func $log (param i32)))
  (func $fib (export "fib") (param $n i32) (result i32)
    (if (result i32) (i32.lt_u (local.get $n) (i32.const 2))
      (then (local.get $n))
      (else (i32.add (call $fib (i32.sub (local.get $n) (i32.const 1)))
                     (call $fib (i32.sub (local.get $n) (i32.const 2))))))))
"""


def test_fib_listing_golden():
    validated = _validated(FIB)
    body = validated.module.codes[0]
    lines = [line.render() for line in disassemble(validated, 1)]
    texts = [line.split(": ", 1)[1] for line in lines]
    assert texts == [
        "local.get 0 <n>",
        "i32.const 2",
        "i32.lt_u",
        "if (result i32)  ;; label = @1",
        "  local.get 0 <n>",
        "else",
        "  local.get 0 <n>",
        "  i32.const 1",
        "  i32.sub",
        "  call 1 <fib>",
        "  local.get 0 <n>",
        "  i32.const 2",
        "  i32.sub",
        "  call 1 <fib>",
        "  i32.add",
        "end",
        "end",
    ]
    # Offsets are absolute module offsets, printed as they are stored.
    assert [int(line.split(":")[0], 16) for line in lines] == list(body.offsets)
    assert lines[0].startswith(f"0x{body.offsets[0]:06x}: ")


def test_nested_blocks_indent_by_depth_and_br_table_lists_labels():
    validated = _validated("""
      (module (memory 1)
        (func (param i32) (result f32)
          (block $a (block $b (loop $c
            (br_table $a $b $c (local.get 0)))))
          (drop (i64.load32_u offset=12 align=2 (i32.const 0)))
          (i32.store8 offset=3 (i32.const 0) (i32.const -7))
          (f32.const -nan:0x7fff)))
    """)
    lines = disassemble(validated, 0)
    assert [(line.depth, line.text) for line in lines] == [
        (0, "block  ;; label = @1"),
        (1, "block  ;; label = @2"),
        (2, "loop  ;; label = @3"),
        (3, "local.get 0"),
        (3, "br_table 2 (;@1;) 1 (;@2;) 0 (;@3;)"),
        (2, "end"),
        (1, "end"),
        (0, "end"),
        (0, "i32.const 0"),
        (0, "i64.load32_u offset=12 align=2"),
        (0, "drop"),
        (0, "i32.const 0"),
        (0, "i32.const -7"),
        (0, "i32.store8 offset=3"),
        (0, "f32.const -nan:0x7fff"),
        (0, "end"),
    ]


def test_multi_value_block_types_and_call_indirect_are_spelled_as_wat():
    validated = _validated("""
      (module
        (type $pair (func (param i32) (result i32 i32)))
        (table 1 funcref)
        (func (param i32) (result i32 i32)
          (local.get 0)
          (block (type $pair) (param i32) (result i32 i32) (i32.const 1))
          (drop) (drop)
          (call_indirect (type $pair) (local.get 0) (i32.const 0))))
    """)
    texts = [line.text for line in disassemble(validated, 0)]
    assert texts[1] == "block (type 0) (param i32) (result i32 i32)  ;; label = @1"
    assert "call_indirect (type 0) (param i32) (result i32 i32)" in texts


# Every immediate kind in one module; the listing, with offsets and name notes
# stripped, is pasted back into the same module shell and must assemble to the
# same instructions.
SHELL = """
(module
  (type $t (func (param i32) (result i32)))
  (type $bt (func (param i32 i32) (result i32 i32)))
  (import "env" "f" (func $imp (param i32)))
  (global $g (mut i64) (i64.const 0))
  (memory 1)
  (table $t0 2 funcref)
  (table $t1 2 externref)
  (elem $e0 func $body)
  (elem $e1 (table $t0) (i32.const 0) func $body)
  (data $d0 "abc")
  (func $body (param $x i32) (param $y v128) (result i32) (local $z f64) (local externref)
    BODY))
"""

BODY = """
  block (result i32) i32.const 0 end drop
  i32.const 1 i32.const 2 block (type $bt) (param i32 i32) (result i32 i32) end drop drop
  loop $l br 0 end
  local.get 0 if local.get 0 br_if 0 else nop end
  block block local.get 0 br_table 0 1 1 end end
  i32.const 1 call $imp
  i32.const 1 i32.const 0 call_indirect (type $t) drop
  i32.const 1 i32.const 0 call_indirect $t0 (type $t) drop
  i32.const 1 i32.const 2 i32.const 0 select drop
  ref.null extern ref.null extern i32.const 0 select (result externref) drop
  local.get 2 local.set 2 f64.const -0x1p-1074 local.tee 2 drop
  global.get $g global.set $g
  i32.const 0 table.get $t1 drop
  i32.const 0 ref.null extern table.set $t1
  ref.null extern i32.const 1 table.grow $t1 drop
  table.size $t0 drop
  i32.const 0 ref.null func i32.const 0 table.fill $t0
  i32.const 0 i32.const 0 i32.const 0 table.init $t0 $e1
  i32.const 0 i32.const 0 i32.const 0 table.copy $t0 $t0
  elem.drop $e0
  i32.const 8 i64.load offset=4 align=4 drop
  i32.const 8 i64.const -1 i64.store32 offset=65536 align=1
  memory.size memory.grow drop
  i32.const 0 i32.const 0 i32.const 1 memory.init $d0 data.drop $d0
  i32.const 0 i32.const 0 i32.const 1 memory.copy
  i32.const 0 i32.const 0 i32.const 1 memory.fill
  i32.const -2147483648 drop i64.const 9223372036854775807 drop
  f32.const 3.5 drop f32.const nan:0x1 drop f64.const -inf drop f64.const nan drop
  ref.func $body ref.is_null drop
  v128.const i8x16 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 local.get 1
  i8x16.shuffle 0 17 2 19 4 21 6 23 8 25 10 27 12 29 14 31
  i32x4.extract_lane 3 drop
  local.get 1 i32.const 5 i16x8.replace_lane 7 drop
  i32.const 0 local.get 1 v128.load16_lane offset=2 3 drop
  i32.const 0 v128.load32_zero align=1 drop
  i32.const 0 local.get 1 v128.store64_lane 1
  f32.const 1 i32.trunc_sat_f32_s i32.extend8_s
"""


def _strip(line_text: str) -> str:
    text = re.sub(r";;.*$", "", line_text)
    return re.sub(r" <[^>]*>", "", text)


def test_listing_reassembles_to_the_same_instructions():
    original = decode_module(wat2wasm(SHELL.replace("BODY", BODY)))
    validated = validate(original)
    lines = disassemble(validated, 1)
    body_text = "\n".join(_strip(line.text) for line in lines[:-1])  # the final end closes the func
    rebuilt = decode_module(wat2wasm(SHELL.replace("BODY", body_text)))
    assert rebuilt.codes[0].ops == original.codes[0].ops
    assert rebuilt.codes[0].imms == original.codes[0].imms
    assert len(lines) == len(original.codes[0].ops)


def test_imported_and_out_of_range_functions_are_typed_errors():
    validated = _validated(FIB)
    with pytest.raises(NoFunctionBodyError, match="imported"):
        disassemble(validated, 0)
    with pytest.raises(UnknownFunctionError, match="out of range"):
        disassemble(validated, 2)


def test_function_view_without_python_has_listing_only():
    view = function_view(_validated(FIB), 1)
    assert view.name == "fib" and view.import_name is None
    assert [line.text for line in view.wasm] == [line.text for line in disassemble(_validated(FIB), 1)]
    assert view.python_source is None and view.code is None and view.python_unavailable is None
    imported = function_view(_validated(FIB), 0, python=True)
    assert imported.import_name == "env.log" and imported.wasm == ()
    assert "imported" in imported.python_unavailable


def test_function_view_with_python_uses_the_compiler_when_available():
    view = function_view(_validated(FIB), 1, python=True)
    if view.python_source is None:
        assert view.python_unavailable  # the reason is always given
        return
    assert "# wasm@0x" in view.python_source
    assert view.code.co_argcount == 1
    compile(view.python_source, "<test>", "exec")  # the source shown is real Python


def test_python_view_failures_become_one_line_reasons(monkeypatch):
    import sys

    from pywaz.compiler import artifact
    from pywaz.errors import PywazError

    validated = _validated(FIB)

    def refuse(validated, local_index):
        raise PywazError("unsupported opcode 0xfd00 at byte offset 0x2c in function 1")

    monkeypatch.setattr(artifact, "compile_function", refuse)
    view = function_view(validated, 1, python=True)
    assert view.python_source is None and view.code is None
    assert (
        view.python_unavailable
        == "python view not available: unsupported opcode 0xfd00 at byte offset 0x2c in function 1"
    )
    assert len(view.wasm) == len(validated.module.codes[0].ops)  # the listing is still there

    monkeypatch.setitem(sys.modules, "pywaz.compiler.artifact", None)  # as if the compiler were not installed
    view = function_view(validated, 1, python=True)
    assert view.python_unavailable.startswith("python view not available yet")

    view = function_view(validated.module, 1, python=True)  # decoded only, not validated
    assert view.python_unavailable.startswith("python view not available: needs a validated module")


def test_compiled_function_given_by_the_caller_fills_the_python_view():
    class Compiled:
        source = "def f1_fib(l0):\n    return l0\n"
        code = compile(source, "<x>", "exec")

    view = function_view(_validated(FIB), 1, compiled=Compiled())
    assert view.python_source == Compiled.source and view.code is Compiled.code
    assert view.python_unavailable is None
