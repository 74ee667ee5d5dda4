"""CompiledModule.functions: per-function views for both engines and compile modes."""

from __future__ import annotations

import pytest

import pywaz
from pywaz.ir import I32
from pywaz.text import wat2wasm

WAT = """(module
  (import "env" "ext" (func $ext (param i32)))
  (func $square (export "sq") (param i32) (result i32) local.get 0 local.get 0 i32.mul)
  (func $helper (result i32) (local i64) i32.const 2))"""


def _compiled(runtime):
    return runtime.compile_module(wat2wasm(WAT))


def test_views_cover_the_function_index_space_by_index_and_name():
    # The interpreter engine (this test's engine before the tiered default) keeps one view per function.
    with pywaz.Runtime("interpreter") as runtime:
        fns = _compiled(runtime).functions
        assert len(fns) == 3
        imported, square, helper = fns
        assert imported.func_index == 0 and imported.import_name == "env.ext" and imported.wasm == ()
        assert square.func_index == 1 and square.name == "square" and square.type.params == (I32,)
        assert [i.text for i in square.wasm][:2] == ["local.get 0", "local.get 0"]
        assert helper.locals and fns["helper"] is helper and fns["sq"] is square and fns[-1] is helper
        assert fns[1:] == [square, helper]
        with pytest.raises(IndexError):
            fns[3]
        with pytest.raises(KeyError, match="no function named"):
            fns["nope"]
        with pytest.raises(TypeError):
            fns[1.0]


def test_interpreter_engine_gives_listing_only():
    with pywaz.Runtime("interpreter") as runtime:
        view = _compiled(runtime).functions.view(1, python=True)
        assert view.code is None and view.python_source is None
        assert "interpreter engine generates no Python" in view.python_unavailable
        assert len(view.wasm) == 4


def test_compiler_lazy_mode_compiles_on_demand_and_shares_with_instances():
    with pywaz.Runtime("compiler", compile_mode="lazy") as runtime:
        compiled = _compiled(runtime)
        fns = compiled.functions
        lazy = fns[1]
        assert lazy.code is None and "not compiled yet" in lazy.python_unavailable
        view = fns.view("sq", python=True)
        assert view.code is not None and "def " in view.python_source
        assert compiled.artifact.functions[0] is not None  # kept by the artifact for later instances
        assert fns[1] is view  # cached once compiled
        runtime.new_host_module("env").function("ext", lambda x: None, params=["i32"]).instantiate()
        instance = runtime.instantiate_module(compiled)
        assert instance.exports["sq"](-3) == 9


def test_compiler_eager_mode_has_code_up_front():
    with pywaz.Runtime("compiler", compile_mode="eager") as runtime:
        fns = _compiled(runtime).functions
        square = fns[1]
        assert square.code is not None and square.code.co_name.startswith("f1")
        # The source is not kept (no cache stores it) but regenerated on request, for the same code.
        assert square.python_source is None and "python=True" in square.python_unavailable
        shown = fns.view(1, python=True)
        assert shown.python_source.startswith("def f1") and shown.code is square.code
        assert fns[0].python_unavailable is None and fns[0].code is None  # an import: no body, no Python asked


def test_closed_compiled_module_refuses():
    with pywaz.Runtime() as runtime:
        compiled = _compiled(runtime)
        fns = compiled.functions
        compiled.close()
        with pytest.raises(pywaz.ClosedError):
            _ = fns[1]
        with pytest.raises(pywaz.ClosedError):
            _ = compiled.functions


def test_code_loaded_from_a_disk_cache_is_shown_without_compiling(tmp_path):
    data = wat2wasm(WAT)
    for expected_compilations in (1, 0):
        with (
            pywaz.CompilationCache(tmp_path) as cache,
            pywaz.Runtime("compiler", compile_mode="eager", cache=cache) as runtime,
        ):
            compiled = runtime.compile_module(data)
            square = compiled.functions["sq"]
            assert runtime.stats()["compilations"] == expected_compilations
            assert square.code is not None
            if square.python_source is None:  # a cache entry without sources
                assert "python=True" in square.python_unavailable
            full = compiled.functions.view("sq", python=True)
            assert full.code is square.code and "def " in full.python_source
