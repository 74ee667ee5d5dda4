"""``pywaz run`` error paths and ``--invoke``: one clear stderr line and the documented exit code.

Each bad input (missing file, malformed or invalid module, unknown import,
missing entry point, bad options, unsafe cache directory) must give exactly
one line starting ``pywaz run:`` and no Python traceback; a trap gives the
trap line plus the wasm stack, exit 134. ``--invoke`` parses arguments by the
export's parameter types and prints results one per line.
"""

from __future__ import annotations

import math
import os
import struct

import pytest

from pywaz.cli import run as run_cli_module
from pywaz.text import wat2wasm

ENGINES = ["compiler", "interpreter"]


def wasm(tmp_path, text: str, name: str = "m.wasm"):
    path = tmp_path / name
    path.write_bytes(wat2wasm(text))
    return path


def one_line_error(result, code: int) -> str:
    """Assert ``result`` failed with ``code`` and a single ``pywaz run:`` line; return it."""
    text = result.stderr.decode()
    assert result.exit_code == code, text
    lines = text.splitlines()
    assert len(lines) == 1, text
    assert lines[0].startswith("pywaz run: ")
    assert "Traceback" not in text
    return lines[0]


MATH = """
(module
  (func (export "add") (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1)))
  (func (export "mul64") (param i64 i64) (result i64) (i64.mul (local.get 0) (local.get 1)))
  (func (export "half") (param f32) (result f32) (f32.mul (local.get 0) (f32.const 0.5)))
  (func (export "sqrt") (param f64) (result f64) (f64.sqrt (local.get 0)))
  (func (export "swap") (param i32 f64) (result f64 i32) (local.get 1) (local.get 0))
  (func (export "nothing"))
  (func (export "div") (param i32 i32) (result i32) (i32.div_s (local.get 0) (local.get 1)))
  (global (export "g") i32 (i32.const 1)))
"""


@pytest.mark.parametrize("engine", ENGINES)
def test_invoke_prints_typed_results(pywaz_run, tmp_path, engine):
    path = wasm(tmp_path, MATH)
    assert pywaz_run("--engine", engine, "--invoke", "add", path, "40", "2").stdout == b"42\n"
    # i32 arguments take the signed or the unsigned range; results print signed.
    assert pywaz_run("--engine", engine, "--invoke", "add", path, "4294967295", "-1").stdout == b"-2\n"
    assert pywaz_run("--engine", engine, "--invoke", "add", path, "0x10", "1").stdout == b"17\n"
    product = (3 << 40) * 5
    assert pywaz_run("--engine", engine, "--invoke", "mul64", path, str(3 << 40), "5").stdout == f"{product}\n".encode()
    half = struct.unpack("<f", struct.pack("<f", 0.1))[0] * 0.5
    out = pywaz_run("--engine", engine, "--invoke", "half", path, "0.1").stdout.decode().strip()
    assert struct.pack("<f", float(out)) == struct.pack("<f", half)
    assert float(pywaz_run("--engine", engine, "--invoke", "sqrt", path, "2").stdout) == math.sqrt(2)
    assert pywaz_run("--engine", engine, "--invoke", "sqrt", path, "-1").stdout == b"nan\n"
    assert pywaz_run("--engine", engine, "--invoke", "swap", path, "-7", "2.5").stdout == b"2.5\n-7\n"
    result = pywaz_run("--engine", engine, "--invoke", "nothing", path)
    assert (result.exit_code, result.stdout) == (0, b"")


def test_invoke_bad_arguments(pywaz_run, tmp_path):
    path = wasm(tmp_path, MATH)
    assert "not an integer" in one_line_error(pywaz_run("--invoke", "add", path, "1", "x"), 2)
    assert "out of range" in one_line_error(pywaz_run("--invoke", "add", path, "1", str(1 << 32)), 2)
    assert "out of range" in one_line_error(pywaz_run("--invoke", "add", path, "1", str(-(1 << 31) - 1)), 2)
    assert "takes 2 argument(s)" in one_line_error(pywaz_run("--invoke", "add", path, "1"), 2)
    assert "out of range" in one_line_error(pywaz_run("--invoke", "half", path, "1e39"), 2)
    assert pywaz_run("--invoke", "half", path, "inf").stdout == b"inf\n"
    assert "not a function" in one_line_error(pywaz_run("--invoke", "g", path), 2)
    assert "does not export 'nope'" in one_line_error(pywaz_run("--invoke", "nope", path), 67)


@pytest.mark.parametrize("engine", ENGINES)
def test_invoke_trap_prints_the_wasm_trap(pywaz_run, tmp_path, engine):
    result = pywaz_run("--engine", engine, "--invoke", "div", wasm(tmp_path, MATH), "1", "0")
    assert result.exit_code == 134
    assert result.stderr.decode().splitlines()[0].endswith("wasm trap: integer divide by zero")
    assert b"Traceback" not in result.stderr


TRAPPING_COMMAND = """
(module
  (memory (export "memory") 1)
  (func $inner (unreachable))
  (func $middle (call $inner))
  (func (export "_start") (call $middle)))
"""


@pytest.mark.parametrize("engine", ENGINES)
def test_trap_prints_the_wasm_stack(pywaz_run, tmp_path, engine):
    result = pywaz_run("--engine", engine, wasm(tmp_path, TRAPPING_COMMAND))
    lines = result.stderr.decode().splitlines()
    assert result.exit_code == 134, lines
    assert lines[0] == f"pywaz run: {tmp_path / 'm.wasm'}: wasm trap: unreachable"
    frames = [line for line in lines[1:] if line.startswith("  at ")]
    assert len(frames) == 3 and frames == lines[1:], lines
    assert "inner" in frames[0] and "middle" in frames[1]
    assert b"Traceback" not in result.stderr


def test_missing_module_file(pywaz_run, tmp_path):
    assert "cannot read" in one_line_error(pywaz_run(tmp_path / "absent.wasm"), 66)
    assert "cannot read" in one_line_error(pywaz_run(tmp_path), 66)


def test_malformed_module(pywaz_run, tmp_path):
    path = tmp_path / "bad.wasm"
    path.write_bytes(b"\x00asm\x01\x00\x00\x00\x01\xff")
    assert "malformed module" in one_line_error(pywaz_run(path), 65)
    path.write_bytes(b"not wasm at all")
    assert "malformed module" in one_line_error(pywaz_run(path), 65)


def test_invalid_module(pywaz_run, tmp_path):
    from tests.wasmgen import END, I32, code_section, func_body, function_section, functype, module, type_section

    path = tmp_path / "invalid.wasm"
    # (func (result i32)) with an empty body: the operand stack is short at `end`.
    path.write_bytes(module(type_section(functype([], [I32])), function_section(0), code_section(func_body([], END))))
    assert "invalid module" in one_line_error(pywaz_run(path), 65)


def test_unknown_import_is_a_link_error(pywaz_run, tmp_path):
    path = wasm(tmp_path, '(module (import "env" "missing" (func)) (memory (export "memory") 1) '
                          '(func (export "_start")))')
    line = one_line_error(pywaz_run(path), 67)
    assert "link error" in line and "missing" in line


def test_wasi_import_with_a_wrong_type_is_a_link_error(pywaz_run, tmp_path):
    path = wasm(tmp_path, '(module (import "wasi_snapshot_preview1" "proc_exit" (func (param i64))) '
                          '(memory (export "memory") 1) (func (export "_start")))')
    assert "link error" in one_line_error(pywaz_run(path), 67)


def test_module_without_start(pywaz_run, tmp_path):
    assert "'_start'" in one_line_error(pywaz_run(wasm(tmp_path, MATH)), 67)


PROC_EXIT = '(import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))'
FD_WRITE = '(import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))'


@pytest.mark.parametrize("engine", ENGINES)
def test_module_without_memory_runs_until_a_call_needs_memory(pywaz_run, tmp_path, engine):
    empty = wasm(tmp_path, '(module (func (export "_start")))', "empty.wasm")
    assert pywaz_run("--engine", engine, empty) == (0, b"", b"")
    exits = wasm(tmp_path, f'(module {PROC_EXIT} (func (export "_start") (call $proc_exit (i32.const 3))))',
                 "exit.wasm")
    assert pywaz_run("--engine", engine, exits) == (3, b"", b"")
    writes = wasm(tmp_path, f'(module {FD_WRITE} (memory 1) (func (export "_start") '
                            '(drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 0) (i32.const 8)))))',
                  "write.wasm")
    result = pywaz_run("--engine", engine, writes)
    lines = result.stderr.decode().splitlines()
    assert result.exit_code == 134, lines
    assert lines[0].endswith('wasm trap: host function error: wasi_snapshot_preview1.fd_write: missing required '
                             'memory export (the calling module must export its memory as "memory")')


def test_link_errors_come_before_entry_point_and_memory_checks(pywaz_run, tmp_path):
    # No memory, no _start, and an import nobody provides: the import is what gets reported.
    path = wasm(tmp_path, '(module (import "env" "missing" (func)))')
    line = one_line_error(pywaz_run(path), 67)
    assert 'link error: unknown import "env" "missing"' in line, line
    path = wasm(tmp_path, '(module (import "wasi_snapshot_preview1" "no_such_call" (func)))', "wasi.wasm")
    line = one_line_error(pywaz_run(path), 67)
    assert 'unknown import "wasi_snapshot_preview1" "no_such_call"' in line, line


@pytest.mark.parametrize("engine", ENGINES)
def test_start_function_uses_wasi(pywaz_run, tmp_path, engine):
    # The start function prints, then _start exits with 5: both see a working WASI.
    path = wasm(tmp_path, f"""(module {FD_WRITE} {PROC_EXIT}
      (memory (export "memory") 1)
      (data (i32.const 0) "\\10\\00\\00\\00\\06\\00\\00\\00")
      (data (i32.const 16) "start\\n")
      (func $init (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8))))
      (start $init)
      (func (export "_start") (call $proc_exit (i32.const 5))))""")
    assert pywaz_run("--engine", engine, path) == (5, b"start\n", b"")
    exits_early = wasm(tmp_path, f'(module {PROC_EXIT} (func $init (call $proc_exit (i32.const 9))) (start $init) '
                                 '(func (export "_start") unreachable))', "early.wasm")
    assert pywaz_run("--engine", engine, exits_early) == (9, b"", b"")


def test_start_that_returns_exits_zero_without_output(pywaz_run, tmp_path):
    result = pywaz_run(wasm(tmp_path, '(module (memory (export "memory") 1) (func (export "_start")))'))
    assert result == (0, b"", b"")


@pytest.mark.parametrize(
    ("options", "needle"),
    [
        (["--dir", "/definitely/not/here"], "is not a directory"),
        (["--dir", "::/guest"], "expected HOST or HOST::GUEST"),
        (["--env", "NOEQUALS"], "expected NAME=VALUE"),
        (["--env", "=value"], "expected NAME=VALUE"),
        (["--engine", "jit"], "unknown engine"),
    ],
)
def test_bad_options_are_usage_errors(pywaz_run, tmp_path, options, needle):
    path = wasm(tmp_path, '(module (memory (export "memory") 1) (func (export "_start")))')
    assert needle in one_line_error(pywaz_run(*options, path), 2)


def test_unsafe_cache_directory(pywaz_run, tmp_path):
    unsafe = tmp_path / "shared-cache"
    unsafe.mkdir()
    os.chmod(unsafe, 0o777)
    path = wasm(tmp_path, '(module (memory (export "memory") 1) (func (export "_start")))')
    line = one_line_error(pywaz_run(path, cache=unsafe), 73)
    assert str(unsafe) in line
    # The same run without the disk cache works.
    assert pywaz_run(path, cache=False).exit_code == 0


def test_help_documents_every_exit_code(pywaz_run):
    from tests.cli.conftest import run_cli

    result = run_cli(["run", "--help"])
    assert result.exit_code == 0
    for code, _meaning in run_cli_module.EXIT_CODES:
        assert f" {code}  " in result.stdout.decode()


def test_top_level_help_lists_run_and_the_other_commands():
    from pywaz.cli import SUBCOMMANDS
    from tests.cli.conftest import run_cli

    out = run_cli(["--help"]).stdout.decode()
    assert all(f"    {name}" in out for name in SUBCOMMANDS) and "run" in SUBCOMMANDS


@pytest.mark.parametrize("engine", ENGINES)
def test_runaway_recursion_traps_with_a_shortened_stack(pywaz_run, tmp_path, engine):
    path = wasm(tmp_path, '(module (memory (export "memory") 1) (func $down (call $down)) '
                          '(func (export "_start") (call $down)))')
    result = pywaz_run("--engine", engine, path)
    lines = result.stderr.decode().splitlines()
    assert result.exit_code == 134, lines
    assert lines[0].endswith("wasm trap: call stack exhausted")
    assert len(lines) <= 40 and all(line.startswith("  ") for line in lines[1:])
    assert lines[1].startswith("  at down (m.wasm @ 0x")
    assert lines[2].startswith("  ... ") and lines[2].endswith(" more frames of down")
    assert lines[3].startswith("  at _start (m.wasm @ 0x") and len(lines) == 4, lines
