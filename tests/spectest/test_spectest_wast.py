"""``.wast`` scripts read directly (pywaz/spectest/wast.py): the commands equal the JSON converters' commands.

A script written here exercises every command form against the real runtime;
then, on the real testsuites, every command that passes from the converted
JSON passes from the ``.wast`` text, and the failures are the same commands.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import pywaz
from pywaz.spectest import EngineConfig, list_files, run_suite
from pywaz.spectest.runner import run_script
from pywaz.spectest.script import load_script
from pywaz.spectest.wast import parse_wast

if not hasattr(pywaz, "Runtime"):
    pytest.skip("pywaz.Runtime is not available yet", allow_module_level=True)

SCRIPT = r'''
(module $A
  (func (export "add") (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1)))
  (func (export "nan") (result f32) (f32.div (f32.const 0) (f32.const 0)))
  (func (export "div") (param i32 i32) (result i32) (i32.div_u (local.get 0) (local.get 1)))
  (func $rec (export "rec") (call $rec))
  (func (export "ext") (param externref) (result externref) (local.get 0))
  (func (export "null") (result funcref) (ref.null func))
  (func (export "vec") (param v128) (result v128) (i8x16.neg (local.get 0)))
  (global (export "g") i32 (i32.const 7)))
(assert_return (invoke "add" (i32.const -1) (i32.const 2)) (i32.const 1))
(assert_return (invoke "nan") (f32.const nan:arithmetic))
(assert_return (invoke "nan") (either (f32.const 1) (f32.const nan:arithmetic)))
(assert_trap (invoke "div" (i32.const 1) (i32.const 0)) "integer divide by zero")
(assert_exhaustion (invoke "rec") "call stack exhausted")
(assert_return (invoke "ext" (ref.extern 5)) (ref.extern 5))
(assert_return (invoke "null") (ref.null func))
(assert_return (invoke "vec" (v128.const i8x16 1 -1 0 0 0 0 0 0 0 0 0 0 0 0 0 -128))
               (v128.const i8x16 -1 1 0 0 0 0 0 0 0 0 0 0 0 0 0 -128))
(assert_return (get "g") (i32.const 7))
(register "Mod" $A)
(module binary "\00asm" "\01\00\00\00")
(module quote "(func (export \"two\") (result i32)" " (i32.const 2))")
(assert_return (invoke "two") (i32.const 2))
(assert_return (invoke $A "add" (i32.const 2) (i32.const 3)) (i32.const 5))
(module definition $D (func (export "one") (result i32) (i32.const 1)))
(module instance $I $D)
(assert_return (invoke $I "one") (i32.const 1))
(assert_malformed (module quote "(func i32.bogus)") "unknown operator")
(assert_malformed (module binary "\00asm\02\00\00\00") "unknown binary version")
(assert_invalid (module (func (result i32) (i64.const 0))) "type mismatch")
(assert_unlinkable (module (import "Mod" "missing" (func))) "unknown import")
(assert_trap (module (func $s unreachable) (start $s)) "unreachable")
(assert_return (invoke "two") (i32.const 3))
'''


def test_every_command_form_runs(tmp_path):
    script = parse_wast("forms", tmp_path / "forms.wast", SCRIPT)
    assert [c.type for c in script.commands][:3] == ["module", "assert_return", "assert_return"]
    assert all(c.error is None for c in script.commands), [c.error for c in script.commands if c.error]
    result = run_script(script, EngineConfig("interpreter"))
    # Only the deliberately wrong last expectation fails; nothing is skipped.
    assert [(f.line, f.command) for f in result.failures] == [(SCRIPT.count("\n"), "assert_return")]
    assert result.skipped == 0 and result.passed == len(script.commands) - 1


def test_bad_commands_fail_without_stopping_the_script(tmp_path):
    script = parse_wast("bad", tmp_path / "bad.wast", '(assert_return (invoke "f" (i32.const 1x)))\n(frobnicate)')
    assert [c.error is not None for c in script.commands] == [True, True]
    assert "unknown command frobnicate" in script.commands[1].error


def test_load_script_reads_wast_files(tmp_path):
    path = tmp_path / "one.wast"
    path.write_text('(module (func (export "f") (result i32) (i32.const 4)))\n'
                    '(assert_return (invoke "f") (i32.const 4))\n')
    script = load_script(path)
    assert script.name == "one" and len(script.commands) == 2
    assert run_script(script, EngineConfig("interpreter")).passed == 2


ROOT = Path(__file__).resolve().parents[2].parent / "shared" / "wasm-testsuite"


def _outcomes(suite):
    return {(result.name, failure.line, failure.command) for result in suite.files for failure in result.failures}


@pytest.mark.slow
@pytest.mark.parametrize("suite, text_dir, json_dir", [("v3", "v3", "v3-json"), ("v2", "v2", "v2-json")])
def test_suite_from_wast_matches_suite_from_json(suite, text_dir, json_dir):
    if not (ROOT / text_dir).is_dir() or not (ROOT / json_dir).is_dir():
        pytest.skip("testsuite data not found")
    config = EngineConfig("interpreter")
    from_text = run_suite(list_files(ROOT / text_dir), config, suite_name=suite)
    from_json = run_suite(list_files(ROOT / json_dir), config, suite_name=suite)
    totals = lambda s: (sum(f.passed for f in s.files), sum(f.failed for f in s.files),
                        sum(f.skipped for f in s.files))
    assert totals(from_text) == totals(from_json)
    assert totals(from_text)[2] == 0
    assert _outcomes(from_text) == _outcomes(from_json)
