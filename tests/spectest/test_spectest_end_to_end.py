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
from pywaz.text import wat2wasm

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
        built._binaries[filename] = wat2wasm(text)
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


# -- the same against a script in wasm-tools' dialect (the 3.0 testsuite's) -------------------

DEFINED = """
(module
  (global $count (mut i32) (i32.const 0))
  (func (export "inc") (result i32)
    (global.set $count (i32.add (global.get $count) (i32.const 1)))
    (global.get $count)))
"""
VALUES = """
(module
  (func $f)
  (elem declare func $f)
  (func (export "neg32") (param i32) (result i32) (i32.sub (i32.const 0) (local.get 0)))
  (func (export "neg64") (param i64) (result i64) (i64.sub (i64.const 0) (local.get 0)))
  (func (export "neg8x16") (param v128) (result v128) (i8x16.neg (local.get 0)))
  (func (export "null") (result funcref) (ref.null func))
  (func (export "func") (result funcref) (ref.func $f))
  (func (export "ext") (param externref) (result externref) (local.get 0)))
"""


def wt_value(vtype, value):
    return {"type": vtype, "value": value}


def lanes(lane_type, values):
    return {"type": "v128", "lane_type": lane_type, "value": [str(v) for v in values]}


WT_COMMANDS = [
    {"type": "module_definition", "line": 1, "name": "M", "filename": "defined.wasm", "module_type": "binary"},
    {"type": "module_instance", "line": 2, "instance": "I1", "module": "M"},
    {"type": "module_instance", "line": 3, "instance": "I2", "module": "M"},
    {"type": "assert_return", "line": 4, "action": invoke("inc", module="I1"), "expected": [wt_value("i32", "1")]},
    {"type": "assert_return", "line": 5, "action": invoke("inc", module="I1"), "expected": [wt_value("i32", "2")]},
    {"type": "assert_return", "line": 6, "action": invoke("inc", module="I2"), "expected": [wt_value("i32", "1")]},
    {"type": "register", "line": 7, "name": "I2", "as": "counter"},
    {"type": "module", "line": 8, "filename": "values.wat", "module_type": "text", "binary_filename": "values.wasm"},
    {"type": "assert_return", "line": 9, "action": invoke("neg32", wt_value("i32", "5")),
     "expected": [wt_value("i32", "-5")]},
    {"type": "assert_return", "line": 10, "action": invoke("neg32", wt_value("i32", "-2147483648")),
     "expected": [wt_value("i32", "-2147483648")]},
    {"type": "assert_return", "line": 11, "action": invoke("neg64", wt_value("i64", "-1")),
     "expected": [wt_value("i64", "1")]},
    {"type": "assert_return", "line": 12, "action": invoke("neg8x16", lanes("i8", [-128, -1, 1, 127] + [0] * 12)),
     "expected": [lanes("i8", [-128, 1, -1, -127] + [0] * 12)]},
    {"type": "assert_return", "line": 13, "action": invoke("neg8x16", lanes("i8", [1] * 16)),
     "expected": [{"type": "either", "values": [lanes("i8", [0] * 16), lanes("i8", [-1] * 16)]}]},
    {"type": "assert_return", "line": 14, "action": invoke("null"), "expected": [{"type": "refnull"}]},
    {"type": "assert_return", "line": 15, "action": invoke("null"), "expected": [{"type": "nullfuncref"}]},
    {"type": "assert_return", "line": 16, "action": invoke("func"), "expected": [{"type": "funcref"}]},
    {"type": "assert_return", "line": 17, "action": invoke("ext", wt_value("externref", "3")),
     "expected": [wt_value("externref", "3")]},
    # Wrong on purpose: each must fail.
    {"type": "assert_return", "line": 18, "action": invoke("neg32", wt_value("i32", "5")),
     "expected": [wt_value("i32", "5")]},
    {"type": "assert_return", "line": 19, "action": invoke("func"), "expected": [{"type": "refnull"}]},
    {"type": "assert_return", "line": 20, "action": invoke("neg8x16", lanes("i8", [1] * 16)),
     "expected": [{"type": "either", "values": [lanes("i8", [1] * 16), lanes("i8", [0] * 16)]}]},
    {"type": "assert_exception", "line": 21, "action": invoke("neg32", wt_value("i32", "5"))},
]


@pytest.fixture(scope="module")
def wt_script():
    built = parse_script("e2e-wt", None, {"commands": WT_COMMANDS})
    built._binaries["defined.wasm"] = wat2wasm(DEFINED)
    built._binaries["values.wasm"] = wat2wasm(VALUES)
    return built


@pytest.mark.parametrize("config", [EngineConfig("interpreter"), EngineConfig("compiler", "eager"),
                                    EngineConfig("compiler", "lazy")], ids=lambda c: c.label)
def test_wasm_tools_script_against_the_real_runtime(wt_script, config):
    if config.engine == "compiler":
        pytest.importorskip("pywaz.compiler.engine")
    assert wt_script.dialect.value == "wasm-tools"
    result = run_script(wt_script, config)
    assert [(f.line, f.command) for f in result.failures] == [
        (18, "assert_return"), (19, "assert_return"), (20, "assert_return"), (21, "assert_exception")], result.failures
    assert result.passed == len(WT_COMMANDS) - 4 and result.skipped == 0
    messages = {f.line: f.message for f in result.failures}
    assert "expected i32:5" in messages[18] and "i32:4294967291" in messages[18]
    assert "expected ref.null" in messages[19]
    assert "no alternative matched" in messages[20]
    assert "but it returned" in messages[21]
