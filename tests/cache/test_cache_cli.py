"""``python -m pywaz.cache``: ahead-of-time compile and maintenance commands."""

import os
import subprocess
import sys
import types

import pytest
from _cachefake import FakeEngine, lookup

from pywaz.api import CompileOptions
from pywaz.cache import CompilationCache, LazyCodeList
from pywaz.cache.cli import compile_ahead, main
from pywaz.text import wat2wasm

WAT = """
(module
  (func (export "inc") (param i32) (result i32) local.get 0 i32.const 1 i32.add)
  (func (export "five") (result i32) i32.const 5)
  (func (export "twice") (param i32) (result i32) local.get 0 call 0 call 0))
"""


@pytest.fixture(scope="module")
def wasm():
    return wat2wasm(WAT)


def storable_compiler_engine():
    """The compiler engine (it serialises its own artifacts)."""
    from pywaz.compiler.engine import CompilerEngine

    return CompilerEngine()


def test_compile_ahead_stores_every_function_and_reports(wasm, cache_dir):
    engine = storable_compiler_engine()
    seen = []
    with CompilationCache(cache_dir) as cache:
        report = compile_ahead(
            wasm, cache, engine, CompileOptions(compile_mode="lazy"), lambda d, t: seen.append((d, t))
        )
    assert report["compiled"] and report["functions"] == 3 and report["unsupported"] == 0
    assert seen == [(1, 3), (2, 3), (3, 3)]
    assert report["size"] == os.path.getsize(report["path"]) and report["key"] in report["path"]
    # A fresh cache (as in a fresh process) loads it without compiling, every function present.
    with CompilationCache(cache_dir) as cache:
        again = compile_ahead(wasm, cache, engine, CompileOptions(compile_mode="lazy"))
        assert not again["compiled"] and again["key"] == report["key"]
        assert cache.stats()["disk_hits"] == 1 and cache.stats()["compilations"] == 0
        loaded = cache.get_or_compile(report["key"], lambda: pytest.fail("must not compile"))
        # Loaded without the module bytes: any compile would raise, so these come from the entry.
        assert loaded.compiled_count() == 3
        assert all(isinstance(loaded.function(i).code, types.CodeType) for i in range(3))


def test_compile_mode_is_part_of_the_entry_key(wasm, cache_dir):
    engine = storable_compiler_engine()
    with CompilationCache(cache_dir) as cache:
        lazy = compile_ahead(wasm, cache, engine, CompileOptions(compile_mode="lazy"))
        eager = compile_ahead(wasm, cache, engine, CompileOptions(compile_mode="eager"))
    assert lazy["key"] != eager["key"] and eager["compiled"]


def test_cli_compile_for_the_interpreter_stores_the_module_so_a_run_decodes_nothing(
    wasm, tmp_path, capsys, monkeypatch
):
    import pywaz
    import pywaz.decoder
    import pywaz.validator

    module = tmp_path / "m.wasm"
    module.write_bytes(wasm)
    status = main(["compile", str(module), "--cache-dir", str(tmp_path / "c"), "--engine", "interpreter"])
    out, err = capsys.readouterr()
    assert status == 0, err
    assert "functions: 3" in out
    monkeypatch.setattr(pywaz.decoder, "decode_module", lambda *a: pytest.fail("decoded the whole module"))
    monkeypatch.setattr(pywaz.validator, "validate", lambda *a: pytest.fail("validated the whole module"))
    with CompilationCache(str(tmp_path / "c")) as cache, pywaz.Runtime(engine="interpreter", cache=cache) as rt:
        instance = rt.instantiate(wasm)
        assert rt.stats() == {"compilations": 0, "memory_hits": 0, "disk_hits": 1}
        exports = instance.exports
        assert (exports["inc"](1), exports["five"](), exports["twice"](3)) == (2, 5, 5)


def test_cli_compile_missing_file_and_unsafe_dir(tmp_path, capsys, wasm):
    assert main(["compile", str(tmp_path / "missing.wasm"), "--cache-dir", str(tmp_path / "c")]) == 66
    assert "cannot read" in capsys.readouterr().err
    module = tmp_path / "m.wasm"
    module.write_bytes(wasm)
    shared = tmp_path / "shared"
    shared.mkdir()
    os.chmod(shared, 0o777)
    assert main(["compile", str(module), "--cache-dir", str(shared)]) == 73
    assert "writable by group or others" in capsys.readouterr().err


def _populate(cache_dir, count=3):
    engine = FakeEngine()
    with CompilationCache(cache_dir) as cache:
        for i in range(count):
            lookup(cache, engine, b"\0asm cli %d" % i)


def test_list_prune_verify_clear(cache_dir, capsys):
    _populate(cache_dir)
    assert main(["list", "--cache-dir", cache_dir]) == 0
    out = capsys.readouterr().out
    assert out.count(" fake ") == 3 and "3 entries" in out
    assert main(["verify", "--cache-dir", cache_dir]) == 0
    assert "3 checked, 3 valid, 0 invalid" in capsys.readouterr().out
    entry = CompilationCache(cache_dir).entries()[0].path
    with open(entry, "r+b") as f:
        f.write(b"JUNK")
    assert main(["verify", "--keep", "--cache-dir", cache_dir]) == 1
    assert "bad magic" in capsys.readouterr().out and os.path.exists(entry)
    assert main(["verify", "--cache-dir", cache_dir]) == 1
    assert "1 removed" in capsys.readouterr().out and not os.path.exists(entry)
    assert main(["prune", "0", "--cache-dir", cache_dir]) == 0
    assert "removed 2 entries" in capsys.readouterr().out
    _populate(cache_dir, 2)
    assert main(["clear", "--cache-dir", cache_dir]) == 0
    assert "removed 2 entries" in capsys.readouterr().out


def test_size_argument_accepts_units(cache_dir, capsys):
    _populate(cache_dir)
    assert main(["prune", "1G", "--cache-dir", cache_dir]) == 0
    assert "removed 0 entries" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        main(["prune", "lots", "--cache-dir", cache_dir])


def test_module_entry_point_runs(tmp_path):
    (tmp_path / "c").mkdir(mode=0o700)
    proc = subprocess.run(
        [sys.executable, "-m", "pywaz.cache", "list", "--cache-dir", str(tmp_path / "c")],
        capture_output=True,
        text=True,
        check=False,
        cwd=os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
    )
    assert proc.returncode == 0 and "0 entries" in proc.stdout


def test_lazy_code_list_is_what_a_hit_hands_the_engine(cache_dir):
    _populate(cache_dir, 1)
    engine = FakeEngine()
    with CompilationCache(cache_dir) as cache:
        artifact = lookup(cache, engine, b"\0asm cli 0")
        assert isinstance(artifact.codes, LazyCodeList) and artifact.codes.loaded_count() == 0
        artifact.call(0, 1)
        assert artifact.codes.loaded_count() == 1


def test_register_plugs_into_an_outer_cli(cache_dir, capsys):
    import argparse

    from pywaz.cache.cli import register

    parser = argparse.ArgumentParser(prog="pywaz")
    register(parser.add_subparsers(dest="command"))
    _populate(cache_dir, 2)
    args = parser.parse_args(["cache", "list", "--cache-dir", cache_dir])
    assert args.handler(args) == 0 and "2 entries" in capsys.readouterr().out
    args = parser.parse_args(["compile", "x.wasm", "--engine", "interpreter", "--cache-dir", cache_dir])
    assert args.module == "x.wasm" and args.engine == "interpreter"


def test_compile_ahead_completes_a_lazy_entry_a_run_left_partial(wasm, cache_dir):
    import pywaz

    with CompilationCache(cache_dir) as cache, pywaz.Runtime(engine="compiler", cache=cache) as runtime:
        assert runtime.instantiate(wasm).exports["five"]() == 5  # only "five" compiled and stored
    engine = storable_compiler_engine()
    with CompilationCache(cache_dir) as cache:
        report = compile_ahead(wasm, cache, engine, CompileOptions(compile_mode="lazy"))
    assert not report["compiled"] and report["completed"] and report["functions"] == 3
    with CompilationCache(cache_dir) as cache:
        loaded = cache.get_or_compile(
            report["key"], lambda: pytest.fail("must not compile"), engine.serialize, engine.deserialize
        )
        assert loaded.compiled_count() == 3
