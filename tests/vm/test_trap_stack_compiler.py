"""Traps from the compiler engine carry a wasm stack trace with name-section names."""

import pytest

import pywaz
from pywaz.text import wat2wasm

WAT = """
(module
  (func $inner (param i32) (result i32) (i32.div_u (i32.const 1) (local.get 0)))
  (func $middle (param i32) (result i32) (call $inner (local.get 0)))
  (func (export "outer") (param i32) (result i32) (call $middle (local.get 0)))
  (func $runaway (export "runaway") (call $runaway)))
"""


@pytest.mark.parametrize("mode", ["eager", "lazy"])
def test_compiled_trap_lists_wasm_frames_innermost_first(mode):
    with pywaz.Runtime("compiler", compile_mode=mode) as runtime:
        instance = runtime.instantiate(wat2wasm(WAT))
        with pytest.raises(pywaz.Trap) as info:
            instance.exports["outer"](0)
        assert info.value.kind is pywaz.TrapKind.INT_DIV_BY_ZERO
        assert info.value.wasm_stack[:2] == ["inner", "middle"]
        assert "at inner" in info.value.format_stack()
        assert instance.exports["outer"](1) == 1


def test_stack_exhaustion_trace_is_collapsed():
    with pywaz.Runtime("compiler", max_call_depth=2000) as runtime:
        instance = runtime.instantiate(wat2wasm(WAT))
        with pytest.raises(pywaz.Trap) as info:
            instance.exports["runaway"]()
        assert info.value.kind is pywaz.TrapKind.CALL_STACK_EXHAUSTED
        stack = info.value.wasm_stack
        assert len(stack) >= 2000 and set(stack) == {"runaway"}
        lines = info.value.format_stack().splitlines()
        assert len(lines) == 3, lines
        assert lines[1].startswith("  at runaway (<module> @ 0x")
        assert lines[2] == f"  ... {len(stack) - 1:,} more frames of runaway"
