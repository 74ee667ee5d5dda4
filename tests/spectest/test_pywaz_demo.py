"""The demo (pywaz.demo): module choice, the built-in module, and the printed summary."""

from __future__ import annotations

import pytest

from pywaz import demo


def test_builtin_module_is_valid_for_the_reference_runtime():
    wasmtime = pytest.importorskip("wasmtime")
    engine = wasmtime.Engine()
    store = wasmtime.Store(engine)
    linker = wasmtime.Linker(engine)
    linker.define_func("env", "print_i32", wasmtime.FuncType([wasmtime.ValType.i32()], []), lambda x: None)
    instance = linker.instantiate(store, wasmtime.Module(engine, demo.builtin_module()))
    assert instance.exports(store)["fac"](store, 10) == 3628800
    assert instance.exports(store)["add"](store, 2, 40) == 42


def test_summary_of_the_builtin_module(tmp_path, capsys):
    path = tmp_path / "m.wasm"
    path.write_bytes(demo.builtin_module())
    assert demo.main([str(path)]) == 0
    out = capsys.readouterr().out
    assert "functions  3 (1 imported, 2 defined)" in out
    assert "env.print_i32" in out and "[i32] -> []" in out
    assert "fac" in out and "[i64] -> [i64]" in out
    assert "min 1, max 2 pages" in out
    for section in ("type", "import", "function", "memory", "export", "code", "data"):
        assert f"\n  {section} " in out


def test_module_choice(tmp_path):
    assert demo.find_demo_module(tmp_path) is None
    (tmp_path / "bench" / "kernels").mkdir(parents=True)
    (tmp_path / "bench" / "kernels" / "b.wasm").write_bytes(b"")
    (tmp_path / "bench" / "kernels" / "a.wasm").write_bytes(b"")
    assert demo.find_demo_module(tmp_path).name == "a.wasm"
    (tmp_path / "tests" / "programs").mkdir(parents=True)
    (tmp_path / "tests" / "programs" / "z.wasm").write_bytes(b"")
    assert demo.find_demo_module(tmp_path).name == "z.wasm"  # test programs come first


def test_falls_back_to_the_builtin_module(monkeypatch, capsys):
    monkeypatch.setattr(demo, "find_demo_module", lambda: None)
    assert demo.main([]) == 0
    assert "built-in example module" in capsys.readouterr().out


def test_bad_input_is_reported_not_raised(tmp_path, capsys):
    assert demo.main([str(tmp_path / "absent.wasm")]) == 66
    bad = tmp_path / "bad.wasm"
    bad.write_bytes(b"\x00asm\x01\x00\x00\x00\x01\x05")  # section runs past the end
    assert demo.main([str(bad)]) == 65
    assert "DecodeError" in capsys.readouterr().err
