"""``pywaz run`` and the disk cache: the second run loads compiled code and compiles nothing.

``--stats`` reports where the module's code came from and how many functions
this run compiled (counted on the engine artifact: compiled functions after
the run minus those loaded). The cache is flushed at exit, so functions the
lazy compiler compiled during the first run are in the entry the second run
loads.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.cli.conftest import PROGRAMS, run_cli

HELLO = PROGRAMS / "wasm" / "hello.wasm"
WC = PROGRAMS / "wasm" / "wc.wasm"

pytestmark = pytest.mark.skipif(not HELLO.is_file() or not WC.is_file(), reason="tests/programs are not present")

STATS = re.compile(
    rb"pywaz run: module (?P<origin>compiled|disk cache hit|memory cache hit), "
    rb"functions compiled this run (?P<compiled>\d+) \(cached (?P<cached>\d+) of (?P<total>\d+)\), "
    rb".*disk writes (?P<writes>\d+)$"
)


def stats_of(result) -> dict:
    lines = result.stderr.splitlines()
    match = STATS.match(lines[-1]) if lines else None
    assert match is not None, result.stderr
    found = match.groupdict()
    return {key: value if key == "origin" else int(value) for key, value in found.items()}


def entries(cache_dir: Path) -> list[Path]:
    return sorted(cache_dir.rglob("*.pwz"))


@pytest.mark.parametrize("program,stdin,expected", [
    (HELLO, b"", b"hello, world\n"),
    (WC, b"a b c\nd e\n", b"2 5 10\n"),
])
def test_second_run_is_a_disk_hit_that_compiles_nothing(pywaz_run, tmp_path, program, stdin, expected):
    cache = tmp_path / "cache"
    first = pywaz_run("--engine", "compiler", "--stats", program, stdin=stdin, cache=cache)
    assert first.stdout == expected and first.exit_code == 0
    first_stats = stats_of(first)
    assert first_stats["origin"] == b"compiled"
    assert first_stats["compiled"] > 0 and first_stats["writes"] >= 1
    assert len(entries(cache)) == 1

    second = pywaz_run("--engine", "compiler", "--stats", program, stdin=stdin, cache=cache)
    assert second.stdout == expected and second.exit_code == 0
    second_stats = stats_of(second)
    assert second_stats["origin"] == b"disk cache hit"
    assert second_stats["compiled"] == 0
    # Everything the first run compiled lazily was written back at exit.
    assert second_stats["cached"] == first_stats["compiled"]
    assert second_stats["writes"] == 0
    assert len(entries(cache)) == 1


def test_a_run_taking_a_new_path_adds_its_functions_to_the_entry(pywaz_run, tmp_path):
    cache = tmp_path / "cache"
    cat = PROGRAMS / "wasm" / "cat.wasm"
    first = stats_of(pywaz_run("--engine", "compiler", "--stats", cat, stdin=b"x", cache=cache))
    # Reading a missing file runs code (error reporting) the stdin path never called.
    second = pywaz_run("--engine", "compiler", "--stats", cat, "/nowhere", cache=cache)
    assert second.exit_code == 1
    second_stats = stats_of(second)
    assert second_stats["origin"] == b"disk cache hit" and second_stats["cached"] == first["compiled"]
    assert second_stats["compiled"] > 0 and second_stats["writes"] == 1
    third = stats_of(pywaz_run("--engine", "compiler", "--stats", cat, "/nowhere", cache=cache))
    assert third["compiled"] == 0 and third["cached"] == first["compiled"] + second_stats["compiled"]


def test_default_cache_follows_xdg_cache_home(tmp_path):
    xdg = tmp_path / "xdg"
    xdg.mkdir()
    result = run_cli(["run", HELLO], env={"XDG_CACHE_HOME": str(xdg)})
    assert result.stdout == b"hello, world\n"
    assert len(entries(xdg / "pywaz")) == 1


def test_no_cache_writes_nothing(tmp_path):
    xdg = tmp_path / "xdg"
    xdg.mkdir()
    result = run_cli(["run", "--no-cache", "--stats", HELLO], env={"XDG_CACHE_HOME": str(xdg)})
    assert result.stdout == b"hello, world\n"
    stats = stats_of(result)
    assert (stats["origin"], stats["writes"]) == (b"compiled", 0)
    assert list(xdg.iterdir()) == []


def test_eager_mode_caches_every_function(pywaz_run, tmp_path):
    cache = tmp_path / "cache"
    first = stats_of(pywaz_run("--engine", "compiler", "--stats", "--compile-mode", "eager", HELLO, cache=cache))
    second = stats_of(pywaz_run("--engine", "compiler", "--stats", "--compile-mode", "eager", HELLO, cache=cache))
    assert first["compiled"] == first["total"]
    assert (second["origin"], second["compiled"], second["cached"]) == (b"disk cache hit", 0, first["total"])


def test_ahead_of_time_compile_serves_pywaz_run(tmp_path):
    cache = tmp_path / "cache"
    compiled = run_cli(["compile", "--cache-dir", cache, "--no-progress", WC])
    if b"cannot store its artifacts on disk" in compiled.stderr:
        # pywaz run adds (de)serialisation for the compiler engine itself; `pywaz compile`
        # needs CompilerEngine.serialize/deserialize (pywaz/cache/README.md), not there yet.
        pytest.skip("pywaz compile: the compiler engine has no serialize/deserialize yet")
    assert compiled.exit_code == 0, compiled.stderr
    result = run_cli(["run", "--cache-dir", cache, "--stats", WC], stdin=b"one two\n")
    assert result.stdout == b"1 2 8\n"
    stats = stats_of(result)
    assert stats["origin"] == b"disk cache hit"
    assert stats["compiled"] == 0 and stats["cached"] == stats["total"]


def test_stats_are_not_printed_when_the_module_never_loaded(tmp_path):
    result = run_cli(["run", "--no-cache", "--stats", tmp_path / "absent.wasm"])
    assert result.exit_code == 66
    assert len(result.stderr.splitlines()) == 1
