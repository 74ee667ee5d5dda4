"""``pywaz run`` and ``pywaz inspect`` on WebAssembly text files: assembled first, errors at file:line:column."""

from __future__ import annotations

import pytest

from tests.cli.conftest import run_cli

HELLO = """;; hello world over WASI
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 8) "hello, world\\n")
  (func (export "_start")
    (i32.store (i32.const 0) (i32.const 8))
    (i32.store (i32.const 4) (i32.const 13))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 100)))))
"""


@pytest.mark.parametrize("engine", ["compiler", "interpreter"])
def test_run_hello_wat(pywaz_run, tmp_path, engine):
    path = tmp_path / "hello.wat"
    path.write_text(HELLO)
    result = pywaz_run("--engine", engine, path)
    assert result.exit_code == 0, result.stderr
    assert result.stdout == b"hello, world\n"


def test_run_invoke_on_text(pywaz_run, tmp_path):
    path = tmp_path / "add.wat"
    path.write_text('(module (func (export "add") (param i32 i32) (result i32) local.get 0 local.get 1 i32.add))')
    assert pywaz_run("--invoke", "add", path, "40", "2").stdout == b"42\n"


def test_malformed_text_names_file_line_and_column(pywaz_run, tmp_path):
    path = tmp_path / "bad.wat"
    path.write_text("(module\n  (func (result i32)\n    i32.const 1\n    i32.bogus))\n")
    result = pywaz_run(path)
    assert result.exit_code == 65
    lines = result.stderr.decode().splitlines()
    assert lines == [f"pywaz run: {path}:4:5: malformed module: unknown operator i32.bogus"]


def test_inspect_text(tmp_path):
    path = tmp_path / "add.wat"
    path.write_text('(module (func $add (export "add") (param i32 i32) (result i32) local.get 0 local.get 1 i32.add))')
    result = run_cli(["inspect", "--func", "add", "--wasm", path])
    assert result.exit_code == 0, result.stderr
    assert b"local.get 0" in result.stdout and b"i32.add" in result.stdout
    path.write_text("(module (func i32.bogus))")
    result = run_cli(["inspect", path])
    assert result.exit_code == 65
    assert f"{path}:1:15: malformed module: unknown operator i32.bogus".encode() in result.stderr


def test_compile_text_then_run_it_from_the_disk_cache(tmp_path):
    path = tmp_path / "add.wat"
    path.write_text('(module (func (export "add") (param i32 i32) (result i32) local.get 0 local.get 1 i32.add))')
    cache = tmp_path / "cache"
    result = run_cli(["compile", "--cache-dir", cache, path])
    assert result.exit_code == 0, result.stderr
    result = run_cli(["run", "--stats", "--cache-dir", cache, "--invoke", "add", path, "1", "2"])
    assert result.stdout == b"3\n"
    assert b"disk cache hit" in result.stderr  # text is cached under the binary it assembles to
    path.write_text("(module (func i32.bogus))")
    result = run_cli(["compile", "--cache-dir", cache, path])
    assert result.exit_code == 65
    assert f"{path}:1:15: malformed module: unknown operator i32.bogus".encode() in result.stderr
