"""Host functions: types from annotations, the Caller, results checking, errors."""

from __future__ import annotations

import pytest

import pywaz
from pywaz import Trap, TrapKind
from pywaz.ir import F32, F64, I32, I64
from pywaz.text import wat2wasm

ENGINES = ["interpreter", "compiler"]


@pytest.fixture(params=ENGINES)
def rt(request):
    with pywaz.Runtime(request.param) as runtime:
        yield runtime


def _wasm(wat):
    return wat2wasm(wat)


def add(a: pywaz.i32, b: pywaz.i32) -> pywaz.i32:
    return a + b


def divmod64(a: pywaz.i64, b: pywaz.i64) -> tuple[pywaz.i64, pywaz.i64]:
    return a // b, a % b


def test_types_inferred_from_annotations(rt):
    rt.new_host_module("env").function("add", add).function("divmod", divmod64).instantiate()
    instance = rt.instantiate(
        _wasm(
            """(module
              (import "env" "add" (func $add (param i32 i32) (result i32)))
              (import "env" "divmod" (func $dm (param i64 i64) (result i64 i64)))
              (func (export "add") (param i32 i32) (result i32) local.get 0 local.get 1 call $add)
              (func (export "dm") (param i64 i64) (result i64 i64) local.get 0 local.get 1 call $dm))"""
        )
    )
    assert instance.exports["add"](40, 2) == 42
    # Host sees signed ints; -7 arrives as -7, not 2**32-7.
    assert instance.exports["add"](-7, 2) == -5
    assert instance.exports["dm"](17, 5) == (3, 2)
    compiled_imports = {
        i.name: i.type
        for i in rt.compile_module(_wasm('(module (import "env" "add" (func (param i32 i32) (result i32))))')).imports
    }
    assert compiled_imports["add"].params == (I32, I32)


def test_string_annotations_and_type_names():
    def scale(x: f32, k: pywaz.f64) -> f64:  # noqa: F821 - bare type names: strings under postponed evaluation
        return x * k

    with pywaz.Runtime() as runtime:
        builder = runtime.new_host_module("m").function("scale", scale)
        host = builder.instantiate()
        fn = host.exports["scale"]
        assert fn.type.params == (F32, F64) and fn.type.results == (F64,)
        assert fn(1.5, 2.0) == 3.0


def test_explicit_types_override_annotations_and_no_annotation_means_no_results():
    calls = []

    def note(v):
        calls.append(v)

    with pywaz.Runtime() as runtime:
        host = runtime.new_host_module("m").function("note", note, params=["i64"]).instantiate()
        fn = host.exports["note"]
        assert fn.type.params == (I64,) and fn.type.results == ()
        fn(-1)
        assert calls == [-1]


@pytest.mark.parametrize(
    "fn, message",
    [
        (lambda x: x, "has no annotation"),
        (lambda *args: None, r"\*args"),
    ],
)
def test_unannotated_parameters_are_refused(fn, message):
    with pywaz.Runtime() as runtime, pytest.raises(TypeError, match=message):
        runtime.new_host_module("m").function("f", fn)


def test_ambiguous_python_annotations_are_refused():
    def f_int(x: int) -> None: ...

    def f_float() -> float: ...

    def f_unknown(x: NoSuchName) -> None: ...  # noqa: F821

    def f_varlen() -> tuple[pywaz.i32, ...]: ...

    def f_caller_late(x: pywaz.i32, c: pywaz.Caller) -> None: ...

    def f_caller_result() -> pywaz.Caller: ...

    with pywaz.Runtime() as runtime:
        builder = runtime.new_host_module("m")
        with pytest.raises(TypeError, match="int is ambiguous"):
            builder.function("a", f_int)
        with pytest.raises(TypeError, match="float is ambiguous"):
            builder.function("b", f_float)
        with pytest.raises(TypeError, match="cannot resolve annotation 'NoSuchName'"):
            builder.function("c", f_unknown)
        with pytest.raises(TypeError, match="variable-length"):
            builder.function("d", f_varlen)
        with pytest.raises(TypeError, match="only the first parameter"):
            builder.function("e", f_caller_late)
        with pytest.raises(TypeError, match="not a wasm value type"):
            builder.function("g", f_caller_result)
        with pytest.raises(TypeError, match="signature cannot be read"):
            builder.function("h", max)  # a builtin without a readable signature, no explicit types
        with pytest.raises(TypeError, match="list of value type names"):
            builder.function("i", add, params="i32")
        with pytest.raises(TypeError, match="caller must be a bool"):
            builder.function("j", add, caller="yes")
        with pytest.raises(TypeError, match="export name must be a str"):
            builder.function(3, add)
        with pytest.raises(ValueError, match="duplicate"):
            builder.function("k", add).function("k", add)


def test_builtin_with_explicit_types_is_accepted():
    with pywaz.Runtime() as runtime:
        host = runtime.new_host_module("m").function("absval", abs, params=["i32"], results=["i32"]).instantiate()
        assert host.exports["absval"](-5) == 5


WAT_CALLER = """(module
  (import "env" "log" (func $log (param i32 i32)))
  (import "env" "who" (func $who (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "hello, host")
  (global (export "tag") i32 (i32.const TAG))
  (func (export "run") i32.const 16 i32.const 11 call $log)
  (func (export "who") (result i32) call $who))"""


def test_caller_gives_the_calling_instance_memory_and_exports(rt):
    seen = []

    def log(caller: pywaz.Caller, ptr: pywaz.i32, n: pywaz.i32) -> None:
        seen.append((caller.name, caller.memory.read_string(ptr, n), caller.exports["tag"].value))
        raw = caller.module_instance.exports["memory"]  # the raw store object, as WASI uses it
        assert bytes(raw.data[ptr : ptr + n]).decode() == seen[-1][1]

    def who(caller) -> pywaz.i32:
        return caller.get_export("tag").value

    rt.new_host_module("env").function("log", log).function("who", who, caller=True).instantiate()
    first = rt.instantiate(_wasm(WAT_CALLER.replace("TAG", "1")), pywaz.ModuleConfig(name="first"))
    second = rt.instantiate(_wasm(WAT_CALLER.replace("TAG", "2")), pywaz.ModuleConfig(name="second"))
    second.exports["memory"].write_string(16, "HELLO, HOST")
    first.exports["run"]()
    second.exports["run"]()
    assert seen == [("first", "hello, host", 1), ("second", "HELLO, HOST", 2)]
    # Each importing instance gets its own binding.
    assert first.exports["who"]() == 1 and second.exports["who"]() == 2


def test_caller_get_export_and_missing_memory(rt):
    got = []

    def probe(caller: pywaz.Caller) -> None:
        got.append((caller.memory, caller.get_export("nope"), repr(caller)))
        with pytest.raises(TypeError):
            caller.get_export(1)

    rt.new_host_module("env").function("probe", probe).instantiate()
    instance = rt.instantiate(_wasm('(module (import "env" "probe" (func $p)) (func (export "go") call $p))'))
    instance.exports["go"]()
    assert got == [(None, None, "<Caller (anonymous)>")]


def test_caller_is_none_when_called_from_python():
    got = []

    def probe(caller: pywaz.Caller, x: pywaz.i32) -> pywaz.i32:
        got.append(caller)
        return x + 1

    with pywaz.Runtime() as runtime:
        host = runtime.new_host_module("env").function("probe", probe).instantiate()
        assert host.exports["probe"](1) == 2
        assert got == [None]


def test_caller_reexported_is_rebound_to_the_final_importer(rt):
    names = []

    def who(caller: pywaz.Caller) -> None:
        names.append(caller.name)

    rt.new_host_module("env").function("who", who).instantiate()
    rt.instantiate(
        _wasm('(module (import "env" "who" (func $w)) (export "who" (func $w)) (func (export "go") call $w))'),
        pywaz.ModuleConfig(name="middle"),
    )
    last = rt.instantiate(
        _wasm('(module (import "middle" "who" (func $w)) (func (export "go") call $w))'),
        pywaz.ModuleConfig(name="last"),
    )
    last.exports["go"]()
    assert names == ["last"]


def test_multi_value_results_are_checked(rt):
    def pair_wrong_len() -> tuple[pywaz.i32, pywaz.i32]:
        return (1, 2, 3)

    def pair_wrong_type() -> tuple[pywaz.i32, pywaz.f64]:
        return (1, "x")

    def none_but_value() -> None:
        return 5

    def out_of_range() -> pywaz.i32:
        return 1 << 40

    builder = rt.new_host_module("h")
    for fn in (pair_wrong_len, pair_wrong_type, none_but_value, out_of_range):
        builder.function(fn.__name__, fn)
    builder.instantiate()
    instance = rt.instantiate(
        _wasm(
            """(module
              (import "h" "pair_wrong_len" (func $a (result i32 i32)))
              (import "h" "pair_wrong_type" (func $b (result i32 f64)))
              (import "h" "none_but_value" (func $c))
              (import "h" "out_of_range" (func $d (result i32)))
              (func (export "a") (result i32 i32) call $a)
              (func (export "b") (result i32 f64) call $b)
              (func (export "c") call $c)
              (func (export "d") (result i32) call $d))"""
        )
    )
    for name, text in (
        ("a", "tuple of 2 values, got a tuple of 3"),
        ("b", "expected a float"),
        ("c", "declares no results"),
        ("d", "out of range"),
    ):
        with pytest.raises(Trap) as info:
            instance.exports[name]()
        assert info.value.kind is TrapKind.HOST_ERROR
        assert text in str(info.value)
        assert isinstance(info.value.__cause__, (TypeError, ValueError))


def test_host_exception_cause_is_kept_and_runtime_stays_usable(rt):
    class Boom(RuntimeError):
        pass

    def boom(x: pywaz.i32) -> pywaz.i32:
        if x:
            raise Boom(f"bad {x}")
        return 7

    rt.new_host_module("h").function("boom", boom).instantiate()
    instance = rt.instantiate(
        _wasm(
            '(module (import "h" "boom" (func $b (param i32) (result i32))) (func (export "f") (param i32) (result i32) local.get 0 call $b))'
        )
    )
    with pytest.raises(Trap) as info:
        instance.exports["f"](3)
    assert isinstance(info.value.__cause__, Boom) and "bad 3" in str(info.value)
    assert instance.exports["f"](0) == 7


def test_explicit_types_ignore_other_annotations():
    def legacy(fd: int, data: bytes) -> int:  # annotations outside the scheme
        return fd + len(data)

    def with_caller(c: pywaz.Caller, x: int) -> int:
        return x if c is None else -x

    with pywaz.Runtime() as runtime:
        host = (
            runtime.new_host_module("m")
            .function("legacy", lambda fd, n: legacy(fd, b"x" * n), params=["i32", "i32"], results=["i32"])
            .function("typed", legacy, params=["i32", "i32"], results=["i32"], raw=True)
            .function("caller", with_caller, params=["i32"], results=["i32"])
            .instantiate()
        )
        assert host.exports["legacy"](1, 2) == 3
        assert host.exports["typed"].type.params == (I32, I32)
        assert host.exports.raw("caller").takes_caller
        assert host.exports["caller"](4) == 4  # called from Python: the caller is None
