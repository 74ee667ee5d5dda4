"""Every trap kind the interpreter raises, with the spec text and a wasm stack trace."""

import pytest

import pywaz
from pywaz import Trap, TrapKind
from pywaz.text import wat2wasm

TRAPS_WAT = """(module
  (memory 1)
  (table 2 funcref)
  (type $v (func))
  (type $i (func (param i32)))
  (func $nop)
  (elem (i32.const 1) $nop)
  (func (export "unreachable") unreachable)
  (func (export "div0") (result i32) i32.const 1 i32.const 0 i32.div_s)
  (func (export "rem0") (result i64) i64.const 1 i64.const 0 i64.rem_u)
  (func (export "overflow") (result i32) i32.const 0x80000000 i32.const -1 i32.div_s)
  (func (export "nan_trunc") (result i32) f32.const nan i32.trunc_f32_s)
  (func (export "big_trunc") (result i64) f64.const 1e300 i64.trunc_f64_u)
  (func (export "load_oob") (result i32) i32.const 65533 i32.load)
  (func (export "store_oob") i32.const -1 i64.const 0 i64.store offset=0)
  (func (export "fill_oob") i32.const 65536 i32.const 0 i32.const 1 memory.fill)
  (func (export "table_oob") (result funcref) i32.const 2 table.get 0)
  (func (export "undefined_elem") i32.const 5 call_indirect (type $v))
  (func (export "uninit_elem") i32.const 0 call_indirect (type $v))
  (func (export "type_mismatch") i32.const 0 i32.const 1 call_indirect (type $i))
  (func $deep (export "deep") (param i32) (result i32)
    local.get 0 i32.const 1 i32.add call $deep)
  (func $inner i32.const 1 i32.const 0 i32.div_u drop)
  (func $middle call $inner)
  (func (export "outer") call $middle)
)"""

CASES = [
    ("unreachable", TrapKind.UNREACHABLE),
    ("div0", TrapKind.INT_DIV_BY_ZERO),
    ("rem0", TrapKind.INT_DIV_BY_ZERO),
    ("overflow", TrapKind.INT_OVERFLOW),
    ("nan_trunc", TrapKind.INVALID_CONVERSION),
    ("big_trunc", TrapKind.INT_OVERFLOW),
    ("load_oob", TrapKind.OUT_OF_BOUNDS_MEMORY),
    ("store_oob", TrapKind.OUT_OF_BOUNDS_MEMORY),
    ("fill_oob", TrapKind.OUT_OF_BOUNDS_MEMORY),
    ("table_oob", TrapKind.OUT_OF_BOUNDS_TABLE),
    ("undefined_elem", TrapKind.UNDEFINED_ELEMENT),
    ("uninit_elem", TrapKind.UNINITIALIZED_ELEMENT),
    ("type_mismatch", TrapKind.INDIRECT_CALL_TYPE_MISMATCH),
]


@pytest.mark.parametrize("export, kind", CASES)
def test_trap_kind_and_text(load, export, kind):
    instance = load(TRAPS_WAT)
    with pytest.raises(Trap) as info:
        instance.exports[export]()
    assert info.value.kind is kind
    assert str(info.value) == kind.value


def test_wasm_stack_names_frames_innermost_first(load):
    instance = load(TRAPS_WAT.replace("(func $inner", '(func $inner (export "inner")'))
    with pytest.raises(Trap) as info:
        instance.exports["outer"]()
    assert info.value.wasm_stack == ["inner", "middle", "outer"]
    assert "at inner" in info.value.format_stack()


def test_call_stack_exhaustion_is_a_trap_and_the_process_keeps_working(runtime, load):
    instance = load(TRAPS_WAT)
    for _ in range(2):
        with pytest.raises(Trap) as info:
            instance.exports["deep"](0)
        assert info.value.kind is TrapKind.CALL_STACK_EXHAUSTED
    assert runtime.call_depth.depth == 0
    assert instance.exports["div0"] is not None
    with pytest.raises(Trap):
        instance.exports["div0"]()


def test_call_depth_limit_is_exact():

    wat = """(module
      (func $count (export "count") (param i32) (result i32)
        local.get 0 i32.eqz if (result i32) i32.const 0 else
        local.get 0 i32.const 1 i32.sub call $count i32.const 1 i32.add end))"""
    with pywaz.Runtime("interpreter", max_call_depth=50) as rt:
        count = rt.instantiate(wat2wasm(wat)).exports["count"]
        assert count(49) == 49  # 50 frames: depths 1..50
        with pytest.raises(Trap) as info:
            count(50)  # 51 frames
        assert info.value.kind is TrapKind.CALL_STACK_EXHAUSTED
        assert count(10) == 10


def test_host_recursion_is_bounded_without_crashing(runtime):

    holder = {}
    runtime.new_host_module("env").function(
        "cb", lambda x: holder["f"](x), params=["i32"], results=["i32"]
    ).instantiate()
    wat = """(module (import "env" "cb" (func $cb (param i32) (result i32)))
      (func (export "f") (param i32) (result i32) local.get 0 i32.const 1 i32.add call $cb))"""
    instance = runtime.instantiate(wat2wasm(wat))
    holder["f"] = instance.exports["f"]
    with pytest.raises(Trap) as info:
        instance.exports["f"](0)
    assert info.value.kind is TrapKind.CALL_STACK_EXHAUSTED
    assert runtime.call_depth.host_nesting == 0 and runtime.call_depth.depth == 0


def test_cross_instance_recursion_goes_deep_without_c_recursion():

    wat = """(module
      (import "env" "t" (table 2 funcref))
      (import "cfg" "which" (global i32))
      (type $t (func (param i32) (result i32)))
      (func (export "rec") (param i32) (result i32)
        local.get 0 i32.eqz if (result i32) i32.const 0 else
        local.get 0 i32.const 1 i32.sub global.get 0 call_indirect (type $t) i32.const 1 i32.add end))"""
    data = wat2wasm(wat)
    with pywaz.Runtime(max_call_depth=100000) as rt:
        table = rt.new_host_module("env").table("t", "funcref", 2).instantiate().exports["t"]
        config = rt.new_host_module("cfg").global_("which", "i32", 1).instantiate()
        first = rt.instantiate(data)
        config.close()  # frees the name "cfg" for the second instance's own value
        rt.new_host_module("cfg").global_("which", "i32", 0).instantiate()
        second = rt.instantiate(data)
        table.set(0, first.exports["rec"])
        table.set(1, second.exports["rec"])
        assert first.exports["rec"](3000) == 3000
        with pytest.raises(Trap) as info:
            first.exports["rec"](10**6)
        assert info.value.kind is TrapKind.CALL_STACK_EXHAUSTED
        assert first.exports["rec"](5) == 5


def test_cross_instance_recursion_with_many_parameters():

    wat = """(module
      (import "env" "t" (table 2 funcref))
      (import "cfg" "which" (global i32))
      (type $t (func (param i32 i64 f32 f64 i32) (result i32)))
      (func (export "rec") (param i32 i64 f32 f64 i32) (result i32)
        local.get 0 i32.eqz if (result i32) local.get 4 else
        local.get 0 i32.const 1 i32.sub local.get 1 local.get 2 local.get 3
        local.get 4 i32.const 1 i32.add
        global.get 0 call_indirect (type $t) end))"""
    data = wat2wasm(wat)
    with pywaz.Runtime(max_call_depth=100000) as rt:
        table = rt.new_host_module("env").table("t", "funcref", 2).instantiate().exports["t"]
        config = rt.new_host_module("cfg").global_("which", "i32", 1).instantiate()
        first = rt.instantiate(data)
        config.close()  # frees the name "cfg" for the second instance's own value
        rt.new_host_module("cfg").global_("which", "i32", 0).instantiate()
        second = rt.instantiate(data)
        table.set(0, first.exports["rec"])
        table.set(1, second.exports["rec"])
        assert first.exports["rec"](8000, 1, 1.0, 1.0, 0) == 8000
        with pytest.raises(Trap) as info:
            first.exports["rec"](10**6, 1, 1.0, 1.0, 0)
        assert info.value.kind is TrapKind.CALL_STACK_EXHAUSTED
