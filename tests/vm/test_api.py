"""The public Runtime API: argument checking, conversions, host modules, lifetimes."""

import math

import pytest

import pywaz
from pywaz import ClosedError, ExitError, Trap, TrapKind
from pywaz.text import wat2wasm

MODULE = """(module
  (import "env" "twice" (func $twice (param i32) (result i32)))
  (memory (export "mem") 1 3)
  (table (export "tab") 2 funcref)
  (global (export "counter") (mut i64) (i64.const -1))
  (global (export "const") f32 (f32.const 1.5))
  (func $add (export "add") (param i32 i32) (result i32) local.get 0 local.get 1 i32.add)
  (func (export "neg64") (param i64) (result i64) i64.const 0 local.get 0 i64.sub)
  (func (export "pair") (param f64) (result f64 i32) local.get 0 i32.const -2)
  (func (export "half") (param f32) (result f32) local.get 0 f32.const 0.5 f32.mul)
  (func (export "twice") (param i32) (result i32) local.get 0 call $twice)
  (func (export "nothing"))
  (func (export "ref") (param externref) (result externref) local.get 0)
  (func (export "fref") (result funcref) ref.func $add)
)"""


@pytest.fixture
def instance(runtime):
    runtime.new_host_module("env").function("twice", lambda x: 2 * x, params=["i32"], results=["i32"]).instantiate()
    return runtime.instantiate(wat2wasm(MODULE))


def test_results_are_signed_and_raw_calls_are_unsigned(instance):
    add = instance.exports["add"]
    assert add(-1, 0) == -1
    assert add(0xFFFFFFFF, 0) == -1  # unsigned input accepted
    assert add.call_raw(0xFFFFFFFF, 0) == 0xFFFFFFFF
    assert instance.exports["neg64"](5) == -5
    assert instance.exports["neg64"].call_raw(5) == 0xFFFFFFFFFFFFFFFB


def test_multi_value_and_void_results(instance):
    assert instance.exports["pair"](2.5) == (2.5, -2)
    assert instance.exports["nothing"]() is None


def test_f32_arguments_are_rounded(instance):
    assert instance.exports["half"](0.1) == pytest.approx(0.05, rel=1e-6)
    assert instance.exports["half"](3) == 1.5
    assert math.isinf(instance.exports["half"](1e300))


def test_references_roundtrip(instance):
    token = object()
    assert instance.exports["ref"](token) is token
    assert instance.exports["ref"](None) is None
    fref = instance.exports["fref"]()
    assert fref(2, 3) == 5


def test_host_function_is_called_with_signed_values(instance):
    assert instance.exports["twice"](-4) == -8


@pytest.mark.parametrize(
    "args, error",
    [
        ((1,), TypeError),
        ((1, 2, 3), TypeError),
        ((1.0, 2), TypeError),
        (("1", 2), TypeError),
        ((True, 2), TypeError),
        ((2**32, 0), ValueError),
        ((-(2**31) - 1, 0), ValueError),
    ],
)
def test_argument_checking(instance, args, error):
    with pytest.raises(error):
        instance.exports["add"](*args)


def test_float_argument_type_checking(instance):
    with pytest.raises(TypeError):
        instance.exports["half"]("x")
    with pytest.raises(ValueError):
        instance.exports["half"](10**400)


def test_memory_wrapper(instance):
    mem = instance.exports["mem"]
    assert mem.size() == 1 and mem.data_size == 65536
    mem.write(100, b"abc")
    assert mem.read(100, 3) == b"abc"
    with pytest.raises(ValueError):
        mem.read(65535, 2)
    with pytest.raises(ValueError):
        mem.write(-1, b"x")
    with pytest.raises(TypeError):
        mem.read("0", 1)
    assert mem.grow(2) == 1
    assert mem.grow(1) == -1
    with pytest.raises(ValueError):
        mem.grow(-1)


def test_global_wrapper(instance):
    counter = instance.exports["counter"]
    assert counter.value == -1
    counter.value = 2**63
    assert counter.get() == -(2**63)
    with pytest.raises(ValueError):
        counter.set(2**64)
    const = instance.exports["const"]
    assert const.value == 1.5
    with pytest.raises(TypeError, match="immutable"):
        const.value = 2.0


def test_table_wrapper(instance):
    tab = instance.exports["tab"]
    assert tab.size() == 2 and tab.get(0) is None
    tab.set(1, instance.exports["add"])
    assert tab.get(1)(1, 1) == 2
    with pytest.raises(IndexError):
        tab.get(2)
    with pytest.raises(TypeError):
        tab.set(0, "not a function")
    assert tab.grow(3) == 2 and tab.size() == 5


def test_host_exceptions_become_host_error_traps(runtime):
    def boom(x):
        raise KeyError("nope")

    runtime.new_host_module("h").function("boom", boom, params=["i32"]).function(
        "bad_result", lambda: "str", results=["i32"]
    ).instantiate()
    instance = runtime.instantiate(
        wat2wasm(
            """(module (import "h" "boom" (func $b (param i32))) (import "h" "bad_result" (func $r (result i32)))
              (func (export "b") i32.const 1 call $b) (func (export "r") (result i32) call $r))"""
        )
    )
    with pytest.raises(Trap) as info:
        instance.exports["b"]()
    assert info.value.kind is TrapKind.HOST_ERROR
    assert isinstance(info.value.__cause__, KeyError)
    assert info.value.wasm_stack == ["b"]
    with pytest.raises(Trap) as info:
        instance.exports["r"]()
    assert info.value.kind is TrapKind.HOST_ERROR


def test_trap_and_exit_from_host_propagate_unchanged(runtime):
    def exit_now():
        raise ExitError(3)

    def trap_now():
        raise Trap(TrapKind.UNREACHABLE)

    runtime.new_host_module("h").function("exit", exit_now).function("trap", trap_now).instantiate()
    instance = runtime.instantiate(
        wat2wasm(
            """(module (import "h" "exit" (func $e)) (import "h" "trap" (func $t))
              (func (export "e") call $e) (func (export "t") call $t))"""
        )
    )
    with pytest.raises(ExitError) as info:
        instance.exports["e"]()
    assert info.value.code == 3
    with pytest.raises(Trap) as info:
        instance.exports["t"]()
    assert info.value.kind is TrapKind.UNREACHABLE


def test_host_builder_rejects_bad_definitions(runtime):
    builder = runtime.new_host_module("bad")
    with pytest.raises(ValueError):
        builder.function("f", lambda: None, params=["i33"])
    with pytest.raises(TypeError):
        builder.function("f", 42)
    with pytest.raises(ValueError):
        builder.global_("g", "i32", 2**40)
    with pytest.raises(ValueError):
        builder.memory("m", 5, 2)
    with pytest.raises(ValueError):
        builder.table("t", "i32", 1)
    builder.global_("g", "i32", 1)
    with pytest.raises(ValueError, match="duplicate"):
        builder.global_("g", "i32", 1)


def test_compiled_module_lists_imports_and_exports(runtime):
    compiled = runtime.compile_module(wat2wasm(MODULE))
    imports = compiled.imports
    assert [(i.module, i.name, i.kind) for i in imports] == [("env", "twice", "func")]
    assert str(imports[0].type) == "[i32] -> [i32]"
    kinds = {e.name: e.kind for e in compiled.exports}
    assert (
        kinds["mem"] == "memory" and kinds["tab"] == "table" and kinds["counter"] == "global" and kinds["add"] == "func"
    )


def test_close_is_idempotent_and_closed_handles_raise(runtime):
    instance = runtime.instantiate(wat2wasm('(module (func (export "f") (result i32) i32.const 1))'))
    f = instance.exports["f"]
    compiled = instance._owned
    instance.close()
    instance.close()
    assert compiled._closed  # the implicit compiled module is released with the instance
    with pytest.raises(ClosedError):
        instance.exports
    with pytest.raises(ClosedError):
        f()
    with pytest.raises(ClosedError):
        compiled.imports


def test_runtime_close_closes_everything():
    rt = pywaz.Runtime()
    compiled = rt.compile_module(wat2wasm("(module)"))
    instance = rt.instantiate_module(compiled)
    with rt:
        pass
    assert rt.closed and instance.closed
    rt.close()
    with pytest.raises(ClosedError):
        rt.compile_module(b"\0asm\1\0\0\0")
    with pytest.raises(ClosedError):
        rt.new_host_module("x")


def test_instances_share_one_compiled_module(runtime):
    compiled = runtime.compile_module(
        wat2wasm(
            '(module (global $g (mut i32) (i32.const 0)) (func (export "inc") (result i32) global.get $g i32.const 1 i32.add global.set $g global.get $g))'
        )
    )
    a = runtime.instantiate_module(compiled)
    b = runtime.instantiate_module(compiled)
    assert (a.exports["inc"](), a.exports["inc"](), b.exports["inc"]()) == (1, 2, 1)


def test_bad_inputs_to_runtime():
    with pytest.raises(ValueError):
        pywaz.Runtime("jit")
    with pytest.raises(ValueError):
        pywaz.Runtime(max_call_depth=0)
    with pytest.raises(ValueError):
        pywaz.Runtime(compile_mode="sometimes")
    with pywaz.Runtime() as rt:
        with pytest.raises(TypeError):
            rt.compile_module(["(module)"])
        with pytest.raises(pywaz.DecodeError):
            rt.compile_module(b"\0asm\2\0\0\0")
        with pytest.raises(TypeError):
            rt.instantiate_module(b"")
        with pytest.raises(TypeError):
            rt.instantiate(wat2wasm("(module)"), config={"name": "x"})
        with pytest.raises(TypeError):
            rt.register(5, None)


def test_module_config_is_frozen():
    config = pywaz.ModuleConfig()
    named = config.with_name("m")
    assert config.name is None and named.name == "m"
    with pytest.raises(Exception):
        config.name = "x"


def test_call_depth_is_per_thread():
    import threading

    rt = pywaz.Runtime()
    seen = []

    def worker():
        seen.append(rt.call_depth.depth)
        rt.call_depth.depth = 5

    rt.call_depth.depth = 3
    thread = threading.Thread(target=worker)
    thread.start()
    thread.join()
    assert seen == [0] and rt.call_depth.depth == 3 and rt.call_depth.max_depth == 10000
    rt.call_depth.depth = 0
    rt.close()


def test_default_table_cap_makes_runaway_growth_fail(runtime):
    instance = runtime.instantiate(
        wat2wasm(
            '(module (table 0 funcref) (func (export "grow") (param i32) (result i32) ref.null func local.get 0 table.grow 0))'
        )
    )
    assert instance.exports["grow"](-1) == -1
    assert instance.exports["grow"](1 << 25) == -1
    assert instance.exports["grow"](10) == 0


def test_memory_view_is_zero_copy_until_growth(instance):
    mem = instance.exports["mem"]
    view = mem.view()
    view[10] = 99
    assert mem.read(10, 1) == b"\x63"
    mem.write(11, b"\x07")
    assert view[11] == 7
    assert mem.grow(1) == 1  # the pinned buffer forces a move
    assert mem.read(10, 2) == b"\x63\x07" and mem.data_size == 2 * 65536
    assert len(mem.view()) == 2 * 65536


def test_raw_host_functions_see_unsigned_bits(runtime):
    seen = []
    runtime.new_host_module("h").function(
        "f", lambda a, b: seen.append((a, b)) or a, params=["i32", "f32"], results=["i32"], raw=True
    ).instantiate()
    instance = runtime.instantiate(
        wat2wasm(
            """(module (import "h" "f" (func $f (param i32 f32) (result i32)))
              (func (export "g") (result i32) i32.const -1 f32.const nan:0x200001 call $f))"""
        )
    )
    assert instance.exports["g"]() == -1
    bits, nan = seen[0]
    assert bits == 0xFFFFFFFF
    assert pywaz.numeric.f32_to_bits(nan) == 0x7FA00001  # the signalling payload arrives intact


def test_exports_mapping_and_raw_objects(instance):
    assert set(instance.exports) >= {"add", "mem", "tab", "counter"}
    assert len(instance.exports) == 12
    raw = instance.exports.raw("add")
    assert isinstance(raw, pywaz.vm.objects.Function) and raw.call(2, 3) == 5
    with pytest.raises(KeyError):
        instance.exports["missing"]


def test_compiled_modules_belong_to_their_runtime():
    data = wat2wasm("(module)")
    with pywaz.Runtime() as first, pywaz.Runtime() as second:
        compiled = first.compile_module(data)
        with pytest.raises(ValueError, match="another runtime"):
            second.instantiate_module(compiled)
    with pytest.raises(ClosedError):
        first.instantiate_module(compiled)
