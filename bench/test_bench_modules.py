"""Front-end and compile throughput on real modules.

- decode + validate of large real modules (esbuild-wasm, Go, 14 MB; @swc/wasm,
  Rust, 18 MB) -- fetched by ``python3 scripts/fetch_modules.py`` into
  bench/.data/, skipped with that hint when absent;
- cold eager compile (fresh runtime, private cache, so nothing is reused) of
  the C programs in tests/programs/wasm (30-40 KB of wasi-libc code each) and of
  the large modules.

``extra_info["bytes"]`` holds the module size so bench/report.py can print
MB/s. Nothing here asserts on time.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from benchutil import environment_info

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "scripts"))
import fetch_modules

LARGE = [pytest.param(m.key, id=m.key) for m in fetch_modules.MODULES]
PROGRAMS = sorted((REPO / "tests" / "programs" / "wasm").glob("*.wasm"))
MEDIUM = [pytest.param(p, id=p.stem) for p in PROGRAMS if p.stem in ("escape", "ls", "hello")]


def large_module_bytes(key: str) -> bytes:
    module = fetch_modules.BY_KEY[key]
    path = fetch_modules.module_path(key)
    if not path.is_file():
        pytest.skip(f"{path.name} is absent: run `python3 scripts/fetch_modules.py` first")
    data = path.read_bytes()
    if len(data) != module.size:
        pytest.skip(f"{path.name} looks damaged: rerun `python3 scripts/fetch_modules.py`")
    return data


def _front_end():
    try:
        from pywaz.decoder import decode_module
        from pywaz.validator import validate
    except ImportError as exc:
        pytest.skip(f"pywaz decoder/validator not available: {exc}")
    return decode_module, validate


def _compiler_runtime_class():
    import pywaz

    runtime_class = getattr(pywaz, "Runtime", None)
    if runtime_class is None:
        pytest.skip("pywaz.Runtime does not exist yet")
    try:
        runtime_class(engine="compiler", compile_mode="eager").close()
    except (ValueError, NotImplementedError) as exc:
        pytest.skip(f"pywaz compiler engine not available: {exc}")
    return runtime_class


@pytest.mark.parametrize("key", LARGE)
def test_decode_validate_large(benchmark, key):
    data = large_module_bytes(key)
    decode_module, validate = _front_end()
    benchmark.group = "decode+validate (large modules)"
    benchmark.extra_info.update(environment_info(), module=key, bytes=len(data))

    def front_end():
        return validate(decode_module(data))

    validated = benchmark.pedantic(front_end, rounds=2, iterations=1)
    assert len(validated.module.functions) > 1000


@pytest.mark.parametrize("key", LARGE)
def test_decode_only_large(benchmark, key):
    data = large_module_bytes(key)
    decode_module, _ = _front_end()
    benchmark.group = "decode (large modules)"
    benchmark.extra_info.update(environment_info(), module=key, bytes=len(data))
    module = benchmark.pedantic(decode_module, args=(data,), rounds=2, iterations=1)
    assert len(module.functions) > 1000


def _cold_compile(runtime_class, data, mode):
    def compile_once():
        runtime = runtime_class(engine="compiler", compile_mode=mode)
        try:
            runtime.compile_module(data).close()
        finally:
            runtime.close()

    return compile_once


@pytest.mark.parametrize("path", MEDIUM)
@pytest.mark.parametrize("mode", ["eager", "lazy"])
def test_compile_cold_program(benchmark, path, mode):
    runtime_class = _compiler_runtime_class()
    data = path.read_bytes()
    benchmark.group = f"compile cold, {mode} (C programs)"
    benchmark.extra_info.update(environment_info(), module=path.stem, bytes=len(data), mode=mode)
    benchmark.pedantic(_cold_compile(runtime_class, data, mode), rounds=3, iterations=1)


@pytest.mark.parametrize("key", LARGE)
@pytest.mark.parametrize("mode", ["eager", "lazy"])
def test_compile_cold_large(benchmark, key, mode):
    data = large_module_bytes(key)
    runtime_class = _compiler_runtime_class()
    benchmark.group = f"compile cold, {mode} (large modules)"
    benchmark.extra_info.update(environment_info(), module=key, bytes=len(data), mode=mode)
    benchmark.pedantic(_cold_compile(runtime_class, data, mode), rounds=1, iterations=1)


def _best_of(rounds: int, action) -> float:
    """The fastest of ``rounds`` wall-clock runs of ``action()``, in seconds (garbage collected in between)."""
    import gc
    import time

    best = float("inf")
    for _ in range(rounds):
        gc.collect()
        start = time.perf_counter()
        action()
        best = min(best, time.perf_counter() - start)
    return best


def _ready(engine: str, data: bytes, **options):
    """Bytes to a compiled module whose functions can be called once instantiated (a private, memory-only cache)."""
    import pywaz

    def compile_once():
        runtime = pywaz.Runtime(engine=engine, **options)
        try:
            runtime.compile_module(data).close()
        finally:
            runtime.close()

    return compile_once


@pytest.mark.parametrize("key", LARGE)
def test_front_end_against_native(benchmark, key):
    """Issue 17 item 3, in one run: decode, decode + validate and the default engines' bytes-to-callable
    against wasmtime's compile of the same bytes (``wasmtime.Module(wasmtime.Engine(), data)``).

    Each pywaz figure is the best of two runs; wasmtime's is one run (it compiles on every core).
    ``extra_info`` holds seconds and the ratios to wasmtime's compile time.
    """
    import pywaz

    data = large_module_bytes(key)
    decode_module, validate = _front_end()
    benchmark.group = "front end vs native compile (large modules)"
    info = benchmark.extra_info
    info.update(environment_info(), module=key, bytes=len(data))
    info["decode_s"] = _best_of(2, lambda: decode_module(data))
    info["decode_eager_s"] = _best_of(1, lambda: decode_module(data, lazy_bodies=False))
    info["ready_interpreter_s"] = _best_of(2, _ready("interpreter", data))
    info["ready_lazy_compiler_s"] = _best_of(2, _ready("compiler", data, compile_mode="lazy"))
    try:
        pywaz.Runtime(engine="tiered").close()
    except ValueError as exc:
        info["ready_tiered_s"] = f"skipped: {exc}"
    else:
        info["ready_tiered_s"] = _best_of(2, _ready("tiered", data))
    try:
        import wasmtime
    except ImportError:
        info["wasmtime_compile_s"] = "skipped: wasmtime is not installed (pip install -e '.[bench]')"
        native = None
    else:
        native = info["wasmtime_compile_s"] = _best_of(1, lambda: wasmtime.Module(wasmtime.Engine(), data))
    validated = benchmark.pedantic(lambda: validate(decode_module(data)), rounds=2, iterations=1)
    info["decode_validate_s"] = benchmark.stats.stats.min
    info["decode_validate_mb_s"] = len(data) / 1e6 / info["decode_validate_s"]
    if native is not None:
        for name in ("decode_validate_s", "ready_interpreter_s", "ready_lazy_compiler_s", "ready_tiered_s"):
            if isinstance(info[name], float):
                info[name.removesuffix("_s") + "_vs_native"] = info[name] / native
    print(f"\n{key}: " + ", ".join(f"{name} {value:.3f}" if isinstance(value, float) else f"{name} {value}"
                                   for name, value in info.items() if name.endswith(("_s", "_native", "mb_s"))))
    assert len(validated.module.functions) > 1000
