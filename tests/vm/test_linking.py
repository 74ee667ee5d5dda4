"""Import resolution and the spec's import subtyping rules: every LinkError."""

import pytest

import pywaz
from pywaz import LinkError
from pywaz.text import wat2wasm


@pytest.fixture
def env(runtime):
    (
        runtime.new_host_module("env")
        .function("f_i32", lambda x: None, params=["i32"], results=[])
        .global_("g_i32", "i32", 7)
        .global_("g_mut", "i32", 1, mutable=True)
        .memory("mem", 1, 4)
        .memory("mem_unbounded", 2)
        .table("tab", "funcref", 10, 20)
        .table("ext", "externref", 3)
        .instantiate()
    )
    return runtime


def link(runtime, imports: str):
    return runtime.instantiate(wat2wasm(f"(module {imports})"))


@pytest.mark.parametrize(
    "imports",
    [
        '(import "env" "f_i32" (func (param i32)))',
        '(import "env" "g_i32" (global i32))',
        '(import "env" "g_mut" (global (mut i32)))',
        '(import "env" "mem" (memory 1))',
        '(import "env" "mem" (memory 0 4))',
        '(import "env" "mem" (memory 1 5))',
        '(import "env" "mem_unbounded" (memory 2))',
        '(import "env" "tab" (table 10 funcref))',
        '(import "env" "tab" (table 5 30 funcref))',
        '(import "env" "ext" (table 3 externref))',
    ],
)
def test_compatible_imports_link(env, imports):
    assert link(env, imports) is not None


@pytest.mark.parametrize(
    "imports",
    [
        '(import "env" "f_i32" (func (param i64)))',
        '(import "env" "f_i32" (func (param i32) (result i32)))',
        '(import "env" "g_i32" (global i64))',
        '(import "env" "g_i32" (global (mut i32)))',
        '(import "env" "g_mut" (global i32))',
        '(import "env" "mem" (memory 2))',
        '(import "env" "mem" (memory 1 3))',
        '(import "env" "mem_unbounded" (memory 1 100))',
        '(import "env" "tab" (table 11 funcref))',
        '(import "env" "tab" (table 10 15 funcref))',
        '(import "env" "tab" (table 10 externref))',
        '(import "env" "f_i32" (global i32))',
        '(import "env" "mem" (table 1 funcref))',
        '(import "env" "g_i32" (func))',
        '(import "env" "tab" (memory 1))',
    ],
)
def test_incompatible_imports_raise(env, imports):
    with pytest.raises(LinkError) as info:
        link(env, imports)
    assert "incompatible import type" in str(info.value)
    assert '"env"' in str(info.value)


@pytest.mark.parametrize(
    "imports",
    ['(import "nowhere" "f" (func))', '(import "env" "missing" (func))', '(import "env" "missing" (memory 1))'],
)
def test_unknown_imports_raise(env, imports):
    with pytest.raises(LinkError, match="unknown import"):
        link(env, imports)


def test_limits_use_current_size_after_growth(env):
    memory = env._registry["env"]["mem"]
    assert memory.grow(1) == 1
    assert link(env, '(import "env" "mem" (memory 2))') is not None


def test_register_and_shared_globals_and_memory(runtime):
    exporter = runtime.instantiate(
        wat2wasm(
            """(module (global (export "g") (mut i32) (i32.const 5)) (memory (export "m") 1)
               (func (export "get") (result i32) global.get 0))"""
        ),
        pywaz.ModuleConfig(name="a"),
    )
    runtime.register("alias", exporter)
    importer = runtime.instantiate(
        wat2wasm(
            """(module (import "alias" "g" (global $g (mut i32))) (import "a" "m" (memory 1))
               (func (export "bump") global.get $g i32.const 1 i32.add global.set $g
                 i32.const 0 i32.const 42 i32.store8))"""
        )
    )
    importer.exports["bump"]()
    assert exporter.exports["get"]() == 6
    assert exporter.exports["g"].value == 6
    assert exporter.exports["m"].read(0, 1) == b"\x2a"


def test_cross_module_function_call(runtime):
    runtime.instantiate(
        wat2wasm(
            '(module (func (export "sub") (param i32 i32) (result i32) local.get 0 local.get 1 i32.sub))'
        ),
        pywaz.ModuleConfig().with_name("math"),
    )
    user = runtime.instantiate(
        wat2wasm(
            """(module (import "math" "sub" (func $sub (param i32 i32) (result i32)))
               (func (export "f") (result i32) i32.const 3 i32.const 10 call $sub))"""
        )
    )
    assert user.exports["f"]() == -7


def test_failed_instantiation_does_not_register(runtime):
    data = wat2wasm('(module (import "x" "y" (func)) (func (export "f")))')
    with pytest.raises(LinkError):
        runtime.instantiate(data, pywaz.ModuleConfig(name="broken"))
    assert "broken" not in runtime._registry


def test_closed_instance_is_no_longer_importable(runtime):
    exporter = runtime.instantiate(wat2wasm('(module (func (export "f")))'), pywaz.ModuleConfig(name="lib"))
    runtime.register("alias", exporter)
    importer = wat2wasm('(module (import "lib" "f" (func)) (import "alias" "f" (func)))')
    assert runtime.instantiate(importer) is not None
    exporter.close()
    with pytest.raises(LinkError, match="unknown import"):
        runtime.instantiate(importer)


def _value_module(value: int) -> bytes:
    return wat2wasm(f'(module (func (export "v") (result i32) i32.const {value}))')


CALLS_V = wat2wasm(
    '(module (import "lib" "v" (func $v (result i32))) (func (export "f") (result i32) call $v))'
)


def test_second_host_module_with_a_taken_name_is_refused(runtime):
    first = runtime.new_host_module("env").function("v", lambda: 1, params=[], results=["i32"]).instantiate()
    second = runtime.new_host_module("env").function("v", lambda: 2, params=[], results=["i32"])
    with pytest.raises(pywaz.DuplicateModuleError, match="'env' is already registered") as info:
        second.instantiate()
    assert info.value.name == "env" and isinstance(info.value, LinkError)
    user = wat2wasm(
        '(module (import "env" "v" (func $v (result i32))) (func (export "f") (result i32) call $v))'
    )
    assert runtime.instantiate(user).exports["f"]() == 1  # the first module is still the one imported
    first.close()  # frees the name
    second.instantiate()
    assert runtime.instantiate(user).exports["f"]() == 2


def test_instance_name_taken_is_refused_before_the_start_function_runs(runtime):
    runtime.instantiate(_value_module(1), pywaz.ModuleConfig(name="lib"))
    counter = []
    runtime.new_host_module("host").function("tick", lambda: counter.append(1), params=[], results=[]).instantiate()
    starts = wat2wasm('(module (import "host" "tick" (func $tick)) (start $tick))')
    with pytest.raises(pywaz.DuplicateModuleError, match="'lib'"):
        runtime.instantiate(starts, pywaz.ModuleConfig(name="lib"))
    assert counter == []
    with pytest.raises(pywaz.DuplicateModuleError, match="'host'"):
        runtime.instantiate(starts, pywaz.ModuleConfig(name="host"))
    assert counter == []
    assert runtime.instantiate(CALLS_V).exports["f"]() == 1


def test_register_refuses_a_taken_name_unless_replacing(runtime):
    first = runtime.instantiate(_value_module(1), pywaz.ModuleConfig(name="lib"))
    second = runtime.instantiate(_value_module(2))
    runtime.register("lib", first)  # the same instance again: nothing changes
    with pytest.raises(pywaz.DuplicateModuleError, match="replace=True"):
        runtime.register("lib", second)
    assert runtime.instantiate(CALLS_V).exports["f"]() == 1
    linked_before = runtime.instantiate(CALLS_V)
    runtime.register("lib", second, replace=True)
    assert runtime.instantiate(CALLS_V).exports["f"]() == 2
    assert linked_before.exports["f"]() == 1  # what was linked stays linked
    first.close()  # no longer bound to "lib": closing it leaves the replacement registered
    assert runtime.instantiate(CALLS_V).exports["f"]() == 2


def test_duplicate_module_error_pickles():
    import pickle

    error = pickle.loads(pickle.dumps(pywaz.DuplicateModuleError("env")))
    assert type(error) is pywaz.DuplicateModuleError
    assert error.name == "env" and str(error) == str(pywaz.DuplicateModuleError("env"))


def test_check_imports_reports_link_errors_without_instantiating(runtime):
    counter = []
    runtime.new_host_module("host").function("tick", lambda: counter.append(1), params=[], results=[]).instantiate()
    good = runtime.compile_module(wat2wasm('(module (import "host" "tick" (func $t)) (start $t))'))
    runtime.check_imports(good)
    assert counter == []
    bad = runtime.compile_module(wat2wasm('(module (import "host" "tick" (func (param i32))))'))
    with pytest.raises(LinkError, match='incompatible import type "host" "tick"'):
        runtime.check_imports(bad)
    with pytest.raises(TypeError):
        runtime.check_imports(b"\0asm")
    bad.close()
    with pytest.raises(pywaz.ClosedError):
        runtime.check_imports(bad)
