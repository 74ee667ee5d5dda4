"""Eager compile over worker processes (pywaz.compiler.parallel): same bytes, typed errors, clean stops."""

from __future__ import annotations

import io
import multiprocessing
import os
import sys
import threading
from pathlib import Path

import pytest

import pywaz
from pywaz.api import CompileOptions
from pywaz.cache.cli import Progress
from pywaz.cache.key import compute_key
from pywaz.compiler import _worker, parallel
from pywaz.compiler.artifact import CompileFailure
from pywaz.compiler.engine import CompilerEngine
from pywaz.decoder import decode_module
from pywaz.errors import PywazError, Trap
from pywaz.text import wat2wasm
from pywaz.validator import validate

PROGRAMS = Path(__file__).resolve().parent.parent / "programs"


def _functions_wat(count: int) -> str:
    """``count`` functions of a few shapes: arithmetic, a loop over memory, a NaN constant, a trap."""
    funcs = []
    for i in range(count):
        funcs.append(
            f"""(func $f{i} (export "f{i}") (param i32) (result i32) (local i32)
                 (block (loop
                   (br_if 1 (i32.ge_u (local.get 1) (local.get 0)))
                   (i32.store (i32.mul (local.get 1) (i32.const 4)) (i32.add (local.get 1) (i32.const {i})))
                   (local.set 1 (i32.add (local.get 1) (i32.const 1)))
                   (br 0)))
                 (i32.add (i32.load (i32.const 8)) (i32.div_u (i32.const {i + 100}) (local.get 0))))"""
        )
    funcs.append('(func (export "nan") (result f64) (f64.const nan:0x4000000000001))')
    funcs.append('(func (export "oob") (result i32) (i32.load (i32.const 70000)))')
    return "(module (memory 1) " + "\n".join(funcs) + ")"


DATA = wat2wasm(_functions_wat(40))


def _payload(validated, workers: int, keep_sources: bool = True):
    engine = CompilerEngine()
    artifact = engine.compile(validated, CompileOptions(compile_mode="eager", workers=workers,
                                                         keep_sources=keep_sources))
    return artifact, engine.serialize(artifact)


@pytest.fixture(params=["fork", "fresh"])
def start(request, monkeypatch):
    """Workers forked (when that is safe) or started as fresh interpreters."""
    if request.param == "fork":
        if not parallel.fork_is_safe():
            pytest.skip("fork is not safe here (not Linux, or other threads are running)")
    else:
        monkeypatch.setattr(parallel, "fork_is_safe", lambda: False)
    return request.param


@pytest.mark.parametrize("keep_sources", [True, False])
def test_workers_store_the_same_bytes_as_one_process(start, keep_sources):
    validated = validate(decode_module(DATA))
    _, one = _payload(validated, 1, keep_sources)
    artifact, two = _payload(validated, 3, keep_sources)
    assert one.code_blobs == two.code_blobs
    assert one.sources == two.sources and one.metadata == two.metadata
    assert all(blob for blob in two.code_blobs) and artifact.complete
    if keep_sources:
        assert all("def f" in source for source in two.sources)


@pytest.mark.parametrize("program", ["wasm/wc", "wasm/ls", "gc/gc_program"])
def test_a_real_program_compiles_to_the_same_bytes_with_workers(start, program):
    """C programs, and a GC program (struct and array types rebuilt in a fresh worker from module information)."""
    data = (PROGRAMS / f"{program}.wasm").read_bytes()
    validated = validate(decode_module(data))
    assert _payload(validated, 1)[1].code_blobs == _payload(validated, 2)[1].code_blobs


def test_code_compiled_by_workers_runs_and_traps_with_offsets(start):
    with pywaz.Runtime(engine="compiler", compile_mode="eager") as reference_runtime:
        expected = reference_runtime.instantiate(DATA).exports["f7"](5)
    runtime = pywaz.Runtime(engine="compiler", compile_mode="eager")
    engine = CompilerEngine()
    artifact = engine.compile(validate(decode_module(DATA)), CompileOptions(compile_mode="eager", workers=2))
    assert all(f is not None for f in artifact.functions)
    with runtime:
        instance = runtime.instantiate(DATA)
        exports = instance.exports
        assert exports["f7"](5) == expected == 9 + 107 // 5
        nan = exports["nan"]()
        assert nan != nan
        with pytest.raises(Trap) as caught:
            exports["oob"]()
        assert caught.value.frames and caught.value.frames[0].offset is not None


def test_workers_option_is_not_part_of_the_cache_key():
    digest = b"\x00" * 32
    keys = {compute_key(digest, "compiler", frozenset(), CompileOptions(compile_mode="eager", workers=w))
            for w in (None, 1, 4)}
    assert len(keys) == 1


@pytest.mark.parametrize("bad", [0, -2, 1.5, "2"])
def test_a_bad_worker_count_is_refused_at_compile(bad):
    validated = validate(decode_module(DATA))
    with pytest.raises(PywazError, match="workers"):
        CompilerEngine().compile(validated, CompileOptions(compile_mode="eager", workers=bad))


def test_small_modules_stay_in_process_by_default():
    cpus = os.cpu_count() or 1
    assert parallel.worker_count(None, parallel.PARALLEL_ABOVE - 1, 100, forked=True) == 1
    assert parallel.worker_count(None, parallel.PARALLEL_ABOVE, 100, forked=True) == cpus
    assert parallel.worker_count(None, parallel.PARALLEL_ABOVE, 100, forked=False) == 1  # fresh workers cost more
    assert parallel.worker_count(None, parallel.PARALLEL_FRESH_ABOVE, 100, forked=False) == cpus
    assert parallel.worker_count(4, 10, 2) == 2  # never more workers than functions


def test_a_frozen_application_compiles_in_process_unless_workers_are_asked_for(monkeypatch):
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    assert parallel.worker_count(None, 10**9, 100, forked=False) == 1
    monkeypatch.setattr(parallel, "fork_is_safe", lambda: False)
    validated = validate(decode_module(DATA))
    with pytest.raises(CompileFailure, match="not a Python interpreter"):
        _payload(validated, 2)
    assert parallel.worker_count(1, 10**9, 100) == 1


def test_tasks_cover_every_function_once_biggest_first():
    indexes = list(range(50))
    sizes = [1000 * (i % 7 + 1) for i in indexes]
    tasks = parallel.tasks_of(indexes, sizes)
    assert sorted(i for task in tasks for i in task) == indexes
    weights = [sum(sizes[i] for i in task) for task in tasks]
    assert weights == sorted(weights, reverse=True)


def test_fork_is_not_used_while_another_thread_runs():
    if not parallel.fork_is_safe():
        pytest.skip("fork is never used here")
    release = threading.Event()
    thread = threading.Thread(target=release.wait)
    thread.start()
    try:
        assert not parallel.fork_is_safe()
    finally:
        release.set()
        thread.join()


def _no_workers_left():
    assert multiprocessing.active_children() == []


def test_a_worker_that_dies_becomes_a_compile_failure(monkeypatch):
    if not parallel.fork_is_safe():
        pytest.skip("needs forked workers (they inherit the patched function)")

    def die(*args):
        os._exit(3)

    monkeypatch.setattr(_worker, "_outcome", die)
    validated = validate(decode_module(DATA))
    with pytest.raises(CompileFailure, match="compile worker exited with status 3 while compiling defined function"):
        _payload(validated, 2)
    _no_workers_left()


def test_an_error_inside_a_worker_comes_back_typed(start, monkeypatch):
    import pywaz.compiler.artifact as artifact_module

    real = artifact_module.compile_function

    def failing(validated, local_index, *rest):
        if local_index == 5:
            raise CompileFailure("function 5: generated code does not compile: testing")
        return real(validated, local_index, *rest)

    if start == "fresh":
        pytest.skip("a fresh interpreter does not see this process's patch")
    monkeypatch.setattr(artifact_module, "compile_function", failing)
    validated = validate(decode_module(DATA))
    with pytest.raises(CompileFailure, match="function 5: generated code does not compile: testing"):
        _payload(validated, 2)
    _no_workers_left()


def test_a_fresh_worker_that_cannot_start_is_a_compile_failure(monkeypatch):
    monkeypatch.setattr(parallel, "fork_is_safe", lambda: False)
    monkeypatch.setattr(parallel, "_BOOT", "import sys; sys.exit(7)")
    validated = validate(decode_module(DATA))
    with pytest.raises(CompileFailure, match="exited with status 7"):
        _payload(validated, 2)


def test_an_interrupt_stops_every_worker(start, monkeypatch):
    from pywaz.compiler.artifact import CompiledArtifact

    def interrupted(self, local_index, outcome, module):
        raise KeyboardInterrupt

    monkeypatch.setattr(CompiledArtifact, "_deliver", interrupted)
    started = []
    real_fresh = parallel._start_fresh

    def remember(count, init, workers):
        real_fresh(count, init, workers)
        started.extend(workers)

    monkeypatch.setattr(parallel, "_start_fresh", remember)
    validated = validate(decode_module(DATA))
    with pytest.raises(KeyboardInterrupt):
        _payload(validated, 2)
    _no_workers_left()
    assert all(worker.popen.returncode is not None for worker in started)


def test_progress_reports_every_function_and_its_bytes(start):
    validated = validate(decode_module(DATA))
    artifact = CompilerEngine().compile(validated, CompileOptions(compile_mode="lazy"))
    seen = []
    artifact.compile_all(workers=2, progress=lambda *args: seen.append(args))
    total = len(validated.functions)
    assert [done for done, *_ in seen] == list(range(1, total + 1))
    code = sum(body.end - body.offset for body in validated.module.codes)
    assert seen[-1] == (total, total, code, code)


def test_progress_bar_shows_rate_and_time_left():
    stream = io.StringIO()
    bar = Progress("compiling", 10, stream, enabled=True)
    line = bar.line(5, 2.0, 3_000_000, 4_000_000)
    assert "5/10" in line and "1.50 MB/s" in line and "ETA 0:01" in line
    line = bar.line(4, 2.0)
    assert "2 functions/s" in line and "ETA 0:03" in line
    assert "0:02" in bar.line(10, 2.0) and "ETA" not in bar.line(10, 2.0)
    assert "ETA" not in bar.line(1, 0.5)  # no guess in the first second


@pytest.mark.parametrize("mode", ["eager", "lazy"])
def test_ahead_of_time_compile_uses_workers_and_stores_every_function(tmp_path, mode):
    from pywaz.cache import CompilationCache
    from pywaz.cache.cli import compile_ahead

    entries = {}
    for workers in (1, 2):
        directory = tmp_path / f"w{workers}"
        seen = []
        with CompilationCache(str(directory)) as cache:
            report = compile_ahead(DATA, cache, CompilerEngine(), CompileOptions(compile_mode=mode, workers=workers),
                                   lambda done, total: seen.append(done),
                                   progress_bytes=lambda done, total: seen.append((done, total)))
        assert report["compiled"] and report["functions"] == 42 and report["unsupported"] == 0
        assert seen[-1] == 42 and seen[-2][0] == seen[-2][1] > 0
        with CompilationCache(str(directory)) as cache:
            engine = CompilerEngine()
            loaded = cache.get_or_compile(report["key"], lambda: pytest.fail("must not compile"), engine.serialize,
                                          engine.deserialize)
            assert loaded.compiled_count() == 42 and loaded.compile_mode == mode
            entries[workers] = [loaded._stored.blob(i) for i in range(42)]
    assert entries[1] == entries[2]
