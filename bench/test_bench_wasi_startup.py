"""Whole-process start-up: a WASI hello world through ``pywaz run`` (warm cache) vs pywasm.

Issue 6's target: ``pywaz run hello.wasm`` with a warm disk cache takes at
most 1.5x the whole-process time of the leading pure-Python runtime's hello
world. pywasm 2.2.3 (the ``bench`` extra) runs WASI preview1 commands itself
(``python -m pywasm --wasi preview1 hello.wasm``), so both sides run the same
tests/programs/wasm/hello.wasm and print ``hello, world``.

Measured, one fresh process per round: bare ``python -c pass`` (the floor
both share), pywasm, ``pywaz run`` with a warm cache (the target), and
``pywaz run --no-cache`` (compiling every time) for context. Bytecode is
cached for every contender (see :func:`_environ`). Nothing here
asserts on time; each round checks the output. ``python3
bench/test_bench_wasi_startup.py [ROUNDS]`` prints the same comparison as a
table with the ratio to the target.
"""

from __future__ import annotations

import importlib.util
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
HELLO = REPO / "tests" / "programs" / "wasm" / "hello.wasm"
EXPECTED = b"hello, world\n"
TARGET_RATIO = 1.5
ROUNDS = 15


def _environ(pycache_dir: str) -> dict:
    """The contenders' environment: pywaz importable from this checkout, bytecode cached in ``pycache_dir``.

    Installed packages run from cached bytecode (pip compiles it at install
    time); a checkout run with PYTHONDONTWRITEBYTECODE=1 would recompile all of
    pywaz's sources in every process (about half its start-up) while pywasm
    loads its site-packages bytecode. A temporary PYTHONPYCACHEPREFIX gives
    every contender cached bytecode after the warm-up without writing into
    the source tree.
    """
    env = dict(os.environ)
    env["PYTHONPATH"] = str(REPO) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = pycache_dir
    return env


def commands(cache_dir: str) -> dict[str, list[str]]:
    """The command line of each contender, by name."""
    python = sys.executable
    return {
        "python -c pass": [python, "-c", "pass"],
        "pywasm": [python, "-m", "pywasm", "--wasi", "preview1", str(HELLO)],
        "pywaz warm cache": [python, "-m", "pywaz", "run", "--cache-dir", cache_dir, str(HELLO)],
        "pywaz no cache": [python, "-m", "pywaz", "run", "--no-cache", str(HELLO)],
    }


def unavailable(name: str) -> str | None:
    """Why contender ``name`` cannot run here, or None."""
    if not HELLO.is_file():
        return f"{HELLO} is absent"
    if name == "pywasm" and importlib.util.find_spec("pywasm") is None:
        return "pywasm is not installed (pip install -e '.[bench]')"
    return None


def run_once(command: list[str], env: dict, check: bool) -> float:
    """Wall time of one process; with ``check``, its stdout must be the hello line and its status 0."""
    start = time.perf_counter()
    proc = subprocess.run(command, env=env, capture_output=True, timeout=120, check=False)
    seconds = time.perf_counter() - start
    if check and (proc.returncode != 0 or proc.stdout != EXPECTED):
        raise RuntimeError(f"{command} exited {proc.returncode} with {proc.stdout!r} {proc.stderr[-300:]!r}")
    return seconds


def warm(cache_dir: str, env: dict) -> None:
    """Fill the cache: the first run compiles and writes the entry back at exit."""
    run_once(commands(cache_dir)["pywaz warm cache"], env, check=True)


@pytest.fixture(scope="module")
def cache_dir():
    with tempfile.TemporaryDirectory(prefix="pywaz-bench-cache-") as directory:
        yield directory


@pytest.fixture(scope="module")
def pycache_dir():
    with tempfile.TemporaryDirectory(prefix="pywaz-bench-pycache-") as directory:
        yield directory


@pytest.mark.parametrize("name", ["python -c pass", "pywasm", "pywaz warm cache", "pywaz no cache"])
def test_wasi_hello_whole_process(benchmark, cache_dir, pycache_dir, name):
    reason = unavailable(name)
    if reason:
        pytest.skip(reason)
    env = _environ(pycache_dir)
    command = commands(cache_dir)[name]
    if name == "pywaz warm cache":
        warm(cache_dir, env)
    check = name != "python -c pass"
    benchmark.extra_info.update({"command": " ".join(command[1:]), "python": sys.version.split()[0]})
    benchmark.pedantic(run_once, args=(command, env, check), rounds=ROUNDS, iterations=1, warmup_rounds=1)


def measure(rounds: int) -> dict[str, list[float]]:
    """Interleaved rounds of every available contender (so load changes hit all alike)."""
    times: dict[str, list[float]] = {}
    with tempfile.TemporaryDirectory(prefix="pywaz-bench-") as scratch:
        directory = os.path.join(scratch, "cache")
        env = _environ(os.path.join(scratch, "pycache"))
        warm(directory, env)
        available = {name: cmd for name, cmd in commands(directory).items() if unavailable(name) is None}
        for name, command in available.items():
            run_once(command, env, check=name != "python -c pass")  # warm the OS caches
        for _ in range(rounds):
            for name, command in available.items():
                times.setdefault(name, []).append(run_once(command, env, check=name != "python -c pass"))
    return times


def main(argv: list[str]) -> int:
    rounds = int(argv[0]) if argv else ROUNDS
    times = measure(rounds)
    print(f"whole-process time of a WASI hello world, {rounds} interleaved rounds (ms)")
    print(f"  {'':18} {'min':>8} {'median':>8}")
    for name, values in times.items():
        print(f"  {name:18} {min(values) * 1000:8.1f} {statistics.median(values) * 1000:8.1f}")
    if "pywasm" in times:
        for label, pick in (("min", min), ("median", statistics.median)):
            ratio = pick(times["pywaz warm cache"]) / pick(times["pywasm"])
            print(f"  pywaz warm / pywasm ({label}): {ratio:.2f}x (target <= {TARGET_RATIO}x)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
