"""The compilation cache: cold compile vs memory hit vs disk hit in a fresh process.

For a small WASI program (tests/programs/wasm/hello.wasm) and a large real
module (esbuild-wasm, Go, 14 MB, fetched by ``python3 scripts/fetch_modules.py``
into bench/.data/; skipped when absent). Every scenario measures *load to
first call ready*: the module's bytes in hand until its entry export (``_start``, or
``run`` for Go's js/wasm) can be called (imports linked to stubs, instance made), all with the compiler engine in eager
mode, so the cached entry holds every function.

- ``cold``: a fresh runtime and an empty disk cache: decode, validate,
  compile every function, write the entry, instantiate.
- ``memory``: ``runtime.instantiate(data)`` on bytes already in the runtime's
  ``CompilationCache`` (look up, bind, instantiate; the same bytes object
  each round, as an embedder re-instantiating a module holds it).
- ``disk``: a fresh Python process with the entry on disk. The benchmark's own
  time is the whole process (interpreter start-up included);
  ``extra_info["ready_seconds"]`` is what the child measured from before
  ``import pywaz`` to first call ready (median of the rounds).

Targets (issue 5), shown in ``extra_info`` of the hit tests as ``speedup``
over this run's cold compile: disk hit >= 100x, memory hit >= 1000x. Nothing
here asserts on time. (Editing pywaz's sources while this runs changes the
cache key, so the disk-hit test then skips instead of measuring a compile.)

Measured 2026-11-25, 2 shared cores, CPython 3.11.7, esbuild (5,307 functions,
98,450 data segments, a 98 MB entry): cold 31.0 s; memory hit median 5.6 ms
(5,511x); disk hit in a fresh process 82 ms to ready (379x; 138 ms whole
process). A memory hit re-instantiates the same ``bytes`` object, so the
cache's digest memo skips the 8 ms SHA-256 (for every runtime sharing the cache,
since issue 17); a disk hit reads ~5 MB of header and metadata and no code until
a function is called.
"""

from __future__ import annotations

import gc
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from benchutil import environment_info

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "scripts"))
import fetch_modules

SMALL = REPO / "tests" / "programs" / "wasm" / "hello.wasm"
LARGE_KEY = "esbuild"
MODULES = ["small", "large"]
MODE = "eager"

# Per module: the disk cache directory holding its entry and the cold time measured in this run.
_prepared: dict[str, dict] = {}


def module_bytes(which: str) -> bytes:
    if which == "small":
        if not SMALL.is_file():
            pytest.skip("tests/programs/wasm/hello.wasm is absent (tests/programs/build.sh)")
        return SMALL.read_bytes()
    key = next((m.key for m in fetch_modules.MODULES if m.key.startswith(LARGE_KEY)), None)
    if key is None:
        pytest.skip("scripts/fetch_modules.py lists no esbuild module")
    path = fetch_modules.module_path(key)
    if not path.is_file():
        pytest.skip(f"{path.name} is absent: run `python3 scripts/fetch_modules.py` first")
    data = path.read_bytes()
    if len(data) != fetch_modules.BY_KEY[key].size:
        pytest.skip(f"{path.name} looks damaged: rerun `python3 scripts/fetch_modules.py`")
    return data


def link_stubs(runtime, compiled) -> None:
    """Register a host function that raises for every function import of ``compiled`` (not yet registered).

    Start-up is what is measured, not running, so WASI (hello) and Go's js/wasm
    imports (esbuild) are stubbed alike.
    """
    def stub(*args):
        raise RuntimeError("stub import called")

    builders = {}
    added = set()
    for imp in compiled.imports:
        if imp.kind != "func" or (imp.module, imp.name) in added or runtime._lookup(imp.module, imp.name) is not None:
            continue
        added.add((imp.module, imp.name))
        builder = builders.get(imp.module)
        if builder is None:
            builder = builders[imp.module] = runtime.new_host_module(imp.module)
        builder.function(imp.name, stub, params=list(imp.type.params), results=list(imp.type.results), raw=True)
    for builder in builders.values():
        builder.instantiate()


def load_to_ready(data: bytes, runtime):
    """Compile (or load) ``data``, link stub imports and instantiate until its entry is callable."""
    compiled = runtime.compile_module(data)
    link_stubs(runtime, compiled)
    instance = runtime.instantiate_module(compiled)
    entry = "_start" if "_start" in instance.module_instance.exports else "run"  # WASI command / Go js/wasm
    assert callable(instance.exports[entry])
    return instance


def cold_load(data: bytes, directory: str) -> None:
    import pywaz

    with pywaz.CompilationCache(directory) as cache, pywaz.Runtime(
        engine="compiler", compile_mode=MODE, cache=cache
    ) as runtime:
        load_to_ready(data, runtime)
        assert runtime.stats()["compilations"] == 1


def prepared(which: str, data: bytes) -> dict:
    """The disk cache holding ``which``'s entry (compiled now, unmeasured, if the cold test did not run)."""
    found = _prepared.get(which)
    if found is None:
        directory = tempfile.mkdtemp(prefix="pywaz-bench-cache-")
        start = time.perf_counter()
        cold_load(data, str(Path(directory) / "cache"))
        found = _prepared[which] = {"dir": directory, "cold": time.perf_counter() - start}
    return found


@pytest.fixture(scope="module", autouse=True)
def _cleanup():
    yield
    for entry in _prepared.values():
        shutil.rmtree(entry["dir"], ignore_errors=True)


def sources_changed() -> bool:
    """Whether the sources in the cache key changed since this process computed its fingerprint."""
    import pywaz
    from pywaz.cache import key

    return key._hash_sources(str(Path(pywaz.__file__).parent)) != key.source_fingerprint()


def _speedup(which: str, seconds: float) -> float | None:
    cold = _prepared.get(which, {}).get("cold")
    return round(cold / seconds, 1) if cold and seconds > 0 else None


@pytest.mark.parametrize("which", MODULES)
def test_cache_cold_compile(benchmark, which):
    data = module_bytes(which)
    benchmark.group = f"cache: load to first call ready ({which})"
    benchmark.extra_info.update(environment_info(), module=which, bytes=len(data), scenario="cold", mode=MODE)
    rounds = 1 if which == "large" else 3
    directories = []

    def setup():
        directories.append(tempfile.mkdtemp(prefix="pywaz-bench-cache-"))
        return (data, str(Path(directories[-1]) / "cache")), {}

    benchmark.pedantic(cold_load, setup=setup, rounds=rounds, iterations=1)
    # Keep the last round's entry for the hit scenarios.
    for stale in directories[:-1]:
        shutil.rmtree(stale, ignore_errors=True)
    old = _prepared.pop(which, None)
    if old is not None:
        shutil.rmtree(old["dir"], ignore_errors=True)
    _prepared[which] = {"dir": directories[-1], "cold": benchmark.stats.stats.median}


@pytest.mark.parametrize("which", MODULES)
def test_cache_memory_hit(benchmark, which):
    import pywaz

    data = module_bytes(which)
    entry = prepared(which, data)
    benchmark.group = f"cache: load to first call ready ({which})"
    with pywaz.CompilationCache(str(Path(entry["dir"]) / "cache")) as cache, pywaz.Runtime(
        engine="compiler", compile_mode=MODE, cache=cache
    ) as runtime:
        load_to_ready(data, runtime).close()  # the disk hit that makes it resident, and the stub imports
        # The cold compile before this test leaves ~290k objects of cyclic garbage (esbuild's IR): their
        # first collection (~0.3 s) belongs to that compile, not to whichever round it would land in.
        gc.collect()

        def memory_hit():
            runtime.instantiate(data).close()

        benchmark.pedantic(memory_hit, rounds=20 if which == "large" else 200, iterations=1, warmup_rounds=1)
        assert cache.stats()["compilations"] == 0
    median = benchmark.stats.stats.median
    benchmark.extra_info.update(
        environment_info(), module=which, bytes=len(data), scenario="memory hit", mode=MODE,
        cold_seconds=entry["cold"], speedup=_speedup(which, median),
    )


@pytest.mark.parametrize("which", MODULES)
def test_cache_memory_hit_second_runtime(benchmark, which):
    """Issue 17: a memory hit through another runtime sharing the cache, against one SHA-256 of the bytes.

    One runtime compiles (lazy mode, so the large module is resident in
    seconds; a hit does not depend on the mode) and closes; each round then
    makes a new runtime on the same cache (unmeasured) and measures its
    ``compile_module(data)``: the cache's digest memo knows these bytes, so
    there is no hashing, only the key and the lookup. ``extra_info`` holds
    the best SHA-256 time over the same bytes, measured in this run, and
    ``ratio`` = median hit / SHA-256 (target: at most 0.25; 1.2 before the
    memo moved from the runtime to the cache).
    """
    import hashlib

    import pywaz

    data = module_bytes(which)
    benchmark.group = f"cache: memory hit through a second runtime ({which})"
    sha_times = []
    for _ in range(20):
        start = time.perf_counter()
        hashlib.sha256(data).digest()
        sha_times.append(time.perf_counter() - start)
    sha256_seconds = min(sha_times)
    with pywaz.CompilationCache() as cache:
        with pywaz.Runtime(engine="compiler", compile_mode="lazy", cache=cache) as first:
            first.compile_module(data).close()
        gc.collect()
        runtimes = []

        def setup():
            runtimes.append(pywaz.Runtime(engine="compiler", compile_mode="lazy", cache=cache))
            return (runtimes[-1],), {}

        def memory_hit(runtime):
            runtime.compile_module(data).close()

        benchmark.pedantic(memory_hit, setup=setup, rounds=50, iterations=1)
        for runtime in runtimes:
            runtime.close()
        stats = cache.stats()
        assert stats["compilations"] == 1 and stats["hits"] == 50, stats
    median = benchmark.stats.stats.median
    benchmark.extra_info.update(
        environment_info(), module=which, bytes=len(data), scenario="memory hit, second runtime",
        sha256_seconds=sha256_seconds, ratio=round(median / sha256_seconds, 4),
    )


_CHILD = """
import time
start = time.perf_counter()
import json, sys
sys.path.insert(0, {repo!r})
import pywaz
data = open({path!r}, "rb").read()
cache = pywaz.CompilationCache({directory!r})
runtime = pywaz.Runtime(engine="compiler", compile_mode={mode!r}, cache=cache)
{link_stubs}
load_to_ready(data, runtime)
ready = time.perf_counter() - start
print(json.dumps({{"ready": ready, "stats": runtime.stats()}}))
"""


@pytest.mark.parametrize("which", MODULES)
def test_cache_disk_hit_fresh_process(benchmark, which, tmp_path):
    data = module_bytes(which)
    entry = prepared(which, data)
    path = tmp_path / "module.wasm"
    path.write_bytes(data)
    import inspect

    helpers = inspect.getsource(link_stubs) + "\n" + inspect.getsource(load_to_ready)
    script = _CHILD.format(
        link_stubs=helpers, repo=str(REPO), path=str(path), directory=str(Path(entry["dir"]) / "cache"), mode=MODE
    )
    benchmark.group = f"cache: load to first call ready ({which})"
    ready = []
    # Bytecode cached outside the tree, as an installed package has it (see test_bench_wasi_startup._environ):
    # the warm-up round writes it, the measured rounds read it.
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(tmp_path / "pycache")

    def fresh_process():
        done = subprocess.run([sys.executable, "-c", script], capture_output=True, timeout=600, check=False, env=env)
        if done.returncode != 0:
            raise RuntimeError(done.stderr.decode(errors="replace"))
        result = json.loads(done.stdout)
        if result["stats"]["compilations"] and sources_changed():
            pytest.skip("pywaz sources were edited during the run, so the child's cache key differs")
        assert result["stats"] == {"compilations": 0, "memory_hits": 0, "disk_hits": 1}, result
        ready.append(result["ready"])

    benchmark.pedantic(fresh_process, rounds=5, iterations=1, warmup_rounds=1)
    median_ready = statistics.median(ready[1:] or ready)
    benchmark.extra_info.update(
        environment_info(), module=which, bytes=len(data), scenario="disk hit, fresh process", mode=MODE,
        ready_seconds=median_ready, cold_seconds=entry["cold"], speedup=_speedup(which, median_ready),
        speedup_whole_process=_speedup(which, benchmark.stats.stats.median),
    )
