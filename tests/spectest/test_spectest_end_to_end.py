"""The harness against the real pywaz runtime on a small script built here.

Checks what only the real runtime can show: the ``spectest`` host module's
exact contents (666.6 as f32 bits, the shared memory and table sizes), raw
results (unsigned ints, f32 signalling NaN bits, multi-value, externref
identity), linking through ``register``, and that a wrong expectation fails.
"""

from __future__ import annotations

import pytest

import pywaz
from pywaz.spectest.runner import EngineConfig, run_script
from pywaz.spectest.script import parse_script

wasmtime = pytest.importorskip("wasmtime")
if not hasattr(pywaz, "Runtime"):
    pytest.skip("pywaz.Runtime is not available yet", allow_module_level=True)

MAIN = """
(module
  (import "spectest" "global_f32" (global $gf f32))
  (import "spectest" "global_f64" (global $gd f64))
  (import "spectest" "global_i64" (global $gi i64))
  (import "spectest" "print_i32" (func $print (param i32)))
  (import "spectest" "memory" (memory 1 2))
  (import "spectest" "table" (table 10 20 funcref))
  (func (export "gf_bits") (result i32) global.get $gf i32.reinterpret_f32)
  (func (export "gf") (result f32) global.get $gf)
  (func (export "gd") (result f64) global.get $gd)
  (func (export "gi") (result i64) global.get $gi)
  (func (export "nan") (result f32) f32.const 0 f32.const 0 f32.div)
  (func (export "same") (param f32) (result f32) local.get 0)
  (func (export "div") (param i32 i32) (result i32) local.get 0 local.get 1 i32.div_u)
  (func (export "print") (param i32) local.get 0 call $print)
  (func (export "two") (result i32 i64) i32.const -1 i64.const 2)
  (func $rec (export "rec") call $rec)
  (func (export "ext") (param externref) (result externref) local.get 0)
  (func (export "mem_size") (result i32) memory.size)
  (func (export "tab_size") (result i32) table.size 0)
  (global (export "g") i32 (i32.const 7))
)
"""
USER = '(module (import "Mod" "div" (func (param i32 i32) (result i32))) (export "d" (func 0)))'
UNLINKABLE = '(module (import "Mod" "missing" (func)))'
START_TRAPS = "(module (func $s unreachable) (start $s))"


def i32(value):
    return {"type": "i32", "value": str(value)}


def invoke(field, *args, module=None):
    action = {"type": "invoke", "field": field, "args": list(args)}
    if module:
        action["module"] = module
    return action


COMMANDS = [
    {"type": "module", "line": 1, "name": "$A", "filename": "main.wasm"},
    {"type": "assert_return", "line": 2, "action": invoke("gf_bits"), "expected": [i32(0x4426A666)]},
    {"type": "assert_return", "line": 3, "action": invoke("gf"), "expected": [{"type": "f32", "value": "1143383654"}]},
    {"type": "assert_return", "line": 4, "action": invoke("gd"),
     "expected": [{"type": "f64", "value": str(0x4084D4CCCCCCCCCD)}]},
    {"type": "assert_return", "line": 5, "action": invoke("gi"), "expected": [{"type": "i64", "value": "666"}]},
    {"type": "assert_return", "line": 6, "action": invoke("nan"), "expected": [{"type": "f32", "value": "nan:arithmetic"}]},
    {"type": "assert_return", "line": 7, "action": invoke("same", {"type": "f32", "value": str(0x7FA00001)}),
     "expected": [{"type": "f32", "value": str(0x7FA00001)}]},
    {"type": "assert_trap", "line": 8, "action": invoke("div", i32(1), i32(0)), "text": "integer divide by zero",
     "expected": [{"type": "i32"}]},
    {"type": "assert_return", "line": 9, "action": invoke("two"),
     "expected": [i32(4294967295), {"type": "i64", "value": "2"}]},
    {"type": "assert_exhaustion", "line": 10, "action": invoke("rec"), "text": "call stack exhausted", "expected": []},
    {"type": "assert_return", "line": 11, "action": invoke("ext", {"type": "externref", "value": "5"}),
     "expected": [{"type": "externref", "value": "5"}]},
    {"type": "assert_return", "line": 12, "action": invoke("mem_size"), "expected": [i32(1)]},
    {"type": "assert_return", "line": 13, "action": invoke("tab_size"), "expected": [i32(10)]},
    {"type": "action", "line": 14, "action": invoke("print", i32(5)), "expected": []},
    {"type": "assert_return", "line": 15, "action": {"type": "get", "field": "g"}, "expected": [i32(7)]},
    {"type": "register", "line": 16, "name": "$A", "as": "Mod"},
    {"type": "module", "line": 17, "filename": "user.wasm"},
    {"type": "assert_return", "line": 18, "action": invoke("d", i32(6), i32(3)), "expected": [i32(2)]},
    {"type": "assert_return", "line": 19, "action": invoke("div", i32(6), i32(3), module="$A"), "expected": [i32(2)]},
    {"type": "assert_unlinkable", "line": 20, "filename": "unlinkable.wasm", "text": "unknown import",
     "module_type": "binary"},
    {"type": "assert_uninstantiable", "line": 21, "filename": "start.wasm", "text": "unreachable",
     "module_type": "binary"},
    {"type": "assert_return", "line": 22, "action": invoke("d", i32(6), i32(3)), "expected": [i32(3)]},  # wrong
]


@pytest.fixture(scope="module")
def script():
    built = parse_script("e2e", None, {"commands": COMMANDS})
    for filename, text in (("main.wasm", MAIN), ("user.wasm", USER), ("unlinkable.wasm", UNLINKABLE),
                           ("start.wasm", START_TRAPS)):
        built._binaries[filename] = wasmtime.wat2wasm(text)
    return built


def test_script_passes_except_the_wrong_expectation(script):
    result = run_script(script, EngineConfig("interpreter"))
    assert [(f.line, f.command) for f in result.failures] == [(22, "assert_return")], result.failures
    assert "expected i32:3" in result.failures[0].message
    assert result.passed == len(COMMANDS) - 1 and result.skipped == 0


@pytest.mark.parametrize("mode", ["eager", "lazy"])
def test_compiler_engine_runs_the_same_script(script, mode):
    pytest.importorskip("pywaz.compiler.engine")
    result = run_script(script, EngineConfig("compiler", mode))
    assert [f.line for f in result.failures] == [22], result.failures
    assert result.passed + result.skipped == len(COMMANDS) - 1
