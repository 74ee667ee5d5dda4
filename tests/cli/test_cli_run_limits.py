"""``pywaz run --fuel N`` and ``--max-memory SIZE``: budgets and memory caps from the command line.

Running out of fuel is a trap (exit 134, the trap line and the wasm stack);
a memory that may not grow past the cap makes ``memory.grow`` return -1; a
module whose memory starts above the cap is refused with one clear line.
Bad values are usage errors (exit 2).
"""

from __future__ import annotations

import pytest

import pywaz
from pywaz.cli.run import RunFailure, parse_fuel, parse_size
from pywaz.text import wat2wasm
from pywaz.wasi import WasiConfig
from pywaz.wasi.command import run_command
from tests.cli.conftest import run_cli

ENGINES = ["compiler", "interpreter"]

# _start loops 100 times: 1 (entry) + 100 back-edges + 1 (entry of $step) = 102 units.
COMMAND = """
(module
  (memory (export "memory") 1)
  (global $i (mut i32) (i32.const 0))
  (func $step)
  (func (export "_start")
    (call $step)
    (loop $again
      (global.set $i (i32.add (global.get $i) (i32.const 1)))
      (br_if $again (i32.le_u (global.get $i) (i32.const 100)))))
  (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
  (func (export "fib") (param i32) (result i32)
    (if (result i32) (i32.lt_u (local.get 0) (i32.const 2))
      (then (local.get 0))
      (else (i32.add (call 3 (i32.sub (local.get 0) (i32.const 1)))
                     (call 3 (i32.sub (local.get 0) (i32.const 2))))))))
"""
NEEDED = 102


def wasm(tmp_path, text: str = COMMAND, name: str = "m.wasm"):
    path = tmp_path / name
    path.write_bytes(wat2wasm(text))
    return path


def one_line_error(result, code: int) -> str:
    text = result.stderr.decode()
    assert result.exit_code == code, text
    assert len(text.splitlines()) == 1 and text.startswith("pywaz run: ") and "Traceback" not in text
    return text.strip()


@pytest.mark.parametrize("engine", ENGINES)
def test_enough_fuel_runs_and_one_unit_less_traps(pywaz_run, tmp_path, engine):
    path = wasm(tmp_path)
    assert pywaz_run("--engine", engine, "--fuel", NEEDED, path).exit_code == 0
    result = pywaz_run("--engine", engine, "--fuel", NEEDED - 1, path)
    lines = result.stderr.decode().splitlines()
    assert result.exit_code == 134, lines
    assert lines[0] == f"pywaz run: {path}: wasm trap: all fuel consumed by WebAssembly"
    assert lines[1:] and all(line.startswith("  at ") for line in lines[1:])
    assert b"Traceback" not in result.stderr


@pytest.mark.parametrize("engine", ENGINES)
def test_fuel_with_invoke(pywaz_run, tmp_path, engine):
    path = wasm(tmp_path)
    calls = 177  # fib(10) makes 177 calls, one unit each
    result = pywaz_run("--engine", engine, "--fuel", calls, "--invoke", "fib", path, "10")
    assert (result.exit_code, result.stdout) == (0, b"55\n"), result.stderr
    result = pywaz_run("--engine", engine, "--fuel", calls - 1, "--invoke", "fib", path, "10")
    assert result.exit_code == 134 and b"all fuel consumed by WebAssembly" in result.stderr


@pytest.mark.parametrize("value", ["-1", "many", "1.5", ""])
def test_bad_fuel_is_a_usage_error(pywaz_run, tmp_path, value):
    assert "--fuel" in one_line_error(pywaz_run("--fuel", value, wasm(tmp_path)), 2)


@pytest.mark.parametrize(
    ("size", "delta", "printed"),
    [
        ("64KiB", 1, "-1"),  # the one page there is, and no more
        ("128KiB", 1, "1"),
        ("131072", 1, "1"),  # plain bytes
        ("131071", 1, "-1"),  # part of a page does not count
        ("2m", 31, "1"),
        ("2M", 32, "-1"),
        ("1g", 100, "1"),
    ],
)
def test_max_memory_caps_memory_grow(pywaz_run, tmp_path, size, delta, printed):
    result = pywaz_run("--max-memory", size, "--invoke", "grow", wasm(tmp_path), str(delta))
    assert (result.exit_code, result.stdout.decode()) == (0, printed + "\n"), result.stderr


def test_without_max_memory_grow_is_bounded_only_by_the_module(pywaz_run, tmp_path):
    result = pywaz_run("--invoke", "grow", wasm(tmp_path), "100")
    assert (result.exit_code, result.stdout) == (0, b"1\n")


def test_a_memory_starting_above_max_memory_is_refused(pywaz_run, tmp_path):
    path = wasm(tmp_path, '(module (memory (export "memory") 3) (func (export "_start")))')
    line = one_line_error(pywaz_run("--max-memory", "128k", path), 1)
    assert "needs at least 3 pages (192 KiB)" in line and "--max-memory 128k allows (2 pages of 64 KiB)" in line
    assert pywaz_run("--max-memory", "192k", path).exit_code == 0


@pytest.mark.parametrize("value", ["12XB", "-1", "1.5M", "M", ""])
def test_bad_max_memory_is_a_usage_error(pywaz_run, tmp_path, value):
    assert "--max-memory" in one_line_error(pywaz_run("--max-memory", value, wasm(tmp_path)), 2)


TEXT = b"the quick brown fox\njumps over\n\nthe lazy dog\n" * 20


def wasi_fuel_needed(engine: str, program) -> int:
    """The fuel a real C program (wc over TEXT) consumes, run in-process."""
    with pywaz.Runtime(engine, fuel=10**12) as runtime:
        assert run_command(runtime, program.read_bytes(), WasiConfig(args=("wc",), stdin=TEXT)) == 0
        return runtime.fuel_consumed


@pytest.mark.parametrize("engine", ENGINES)
def test_a_real_program_runs_on_exactly_its_fuel(pywaz_run, engine):
    from tests.cli.conftest import PROGRAMS

    program = PROGRAMS / "wasm" / "wc.wasm"
    if not program.is_file():
        pytest.skip("tests/programs/wasm/wc.wasm is not present")
    needed = wasi_fuel_needed(engine, program)
    assert needed == wasi_fuel_needed(ENGINES[1 - ENGINES.index(engine)], program) > 100
    full = pywaz_run("--engine", engine, "--fuel", needed, program, stdin=TEXT)
    assert full.exit_code == 0 and full.stdout.split()[:3] == [b"80", b"180", str(len(TEXT)).encode()], full
    short = pywaz_run("--engine", engine, "--fuel", needed - 1, program, stdin=TEXT)
    assert short.exit_code == 134 and b"wasm trap: all fuel consumed by WebAssembly" in short.stderr


def test_parse_size_units():
    assert parse_size(None) is None
    assert parse_size("65536") == 65536
    assert parse_size("64k") == parse_size("64KiB") == parse_size("64kb") == 64 * 1024
    assert parse_size("64MiB") == parse_size(" 64 m ") == 64 << 20
    assert parse_size("1g") == parse_size("1GiB") == 1 << 30
    assert parse_size("1_048_576") == 1 << 20
    for bad in ("", "k", "-1", "1.5M", "12XB", "1 t", "0x10"):
        with pytest.raises(RunFailure):
            parse_size(bad)


def test_parse_fuel():
    assert parse_fuel(None) is None
    assert parse_fuel("0") == 0 and parse_fuel("1_000") == 1000
    for bad in ("-5", "ten", "1e3", "0x10", ""):
        with pytest.raises(RunFailure):
            parse_fuel(bad)


@pytest.mark.parametrize("engine", ENGINES)
def test_compile_fuel_fills_the_cache_for_run_fuel(pywaz_run, tmp_path, engine):
    path, cache = wasm(tmp_path), tmp_path / "cache"
    compiled = run_cli(["compile", "--fuel", "--engine", engine, "--cache-dir", cache, "--no-progress", path])
    assert compiled.exit_code == 0, compiled.stderr
    metered = pywaz_run("--engine", engine, "--stats", "--fuel", NEEDED, path, cache=cache)
    assert metered.exit_code == 0 and b"disk cache hit" in metered.stderr, metered.stderr
    # Unmetered code is another entry: a plain run compiles its own.
    plain = pywaz_run("--engine", engine, "--stats", path, cache=cache)
    assert plain.exit_code == 0 and b"module compiled" in plain.stderr, plain.stderr
