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
