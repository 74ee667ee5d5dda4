"""Correctness of the benchmark kernels (bench/kernels/).

The C kernels built to wasm must compute what their plain-Python versions
compute: wasmtime (native reference) runs the wasm, and the results must equal
python_kernels.py at several sizes, including sizes that make the kernel grow
memory. When pywaz's engines exist, they must agree too.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def _load_runners():
    spec = importlib.util.spec_from_file_location("_pywaz_bench_runners", REPO / "bench" / "runners.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


runners = _load_runners()
KERNELS = runners.catalog.KERNELS
CASES = [pytest.param(k, size, id=f"{k.name}-{size}") for k in KERNELS for size in k.test_sizes]


@pytest.fixture(scope="module")
def reference_calls():
    return {k.name: runners.prepare("wasmtime", k) for k in KERNELS}


def _engine(wasmtime, simd=True):
    config = wasmtime.Config()
    config.wasm_exceptions = True  # the exceptions kernels; off in wasmtime's defaults
    config.wasm_gc = True  # binary_trees
    config.wasm_function_references = True
    config.wasm_simd = simd
    config.wasm_relaxed_simd = simd
    return wasmtime.Engine(config)


def test_every_kernel_module_is_built_and_import_free():
    wasmtime = pytest.importorskip("wasmtime")
    engine = _engine(wasmtime)
    for kernel in KERNELS:
        module = wasmtime.Module(engine, kernel.wasm_bytes())
        assert [i.name for i in module.imports] == [], kernel.name
        assert kernel.export in [e.name for e in module.exports], kernel.name


def test_simd_kernel_really_uses_simd_and_scalar_build_does_not():
    wasmtime = pytest.importorskip("wasmtime")
    engine = _engine(wasmtime, simd=False)
    for kernel in KERNELS:
        if kernel.simd:
            with pytest.raises(wasmtime.WasmtimeError):
                wasmtime.Module(engine, kernel.wasm_bytes())
        else:
            wasmtime.Module(engine, kernel.wasm_bytes())


@pytest.mark.parametrize("kernel,size", CASES)
def test_wasm_kernel_matches_plain_python(reference_calls, kernel, size):
    expected = runners.python_kernels.KERNELS[kernel.export](size)
    assert reference_calls[kernel.name](size) == expected


def test_known_values_of_python_kernels():
    # Independent facts, so the Python side is not only checked against itself.
    k = runners.python_kernels
    assert [k.fib(n) for n in range(10)] == [0, 1, 1, 2, 3, 5, 8, 13, 21, 34]
    assert k.fib(25) == 75025  # naive recursion: keep n small
    assert k.sieve(100) == 25 and k.sieve(10_000) == 1229
    assert k.fnv1a(0) == 0x811C9DC5  # FNV-1a offset basis: hash of the empty input
    assert k.mandelbrot(1) == 0  # the single point (-2, -1.25) escapes
    # x = 7919 i + 17 is a multiple of 1009 for i = 897 (mod 1009): one error per 1009 steps.
    assert [i for i in range(3000) if (i * 7919 + 17) % 1009 == 0] == [897, 1906, 2915]
    assert k.try_idle(5000) == k.try_none(5000) != k.rare_errors(5000)
    assert k.tokens(0) == 0 and k.tokens(1) in (0, 1, 1 << 16)
    # binary_trees(6): stretch tree 2^8 - 1 nodes, long-lived 2^7 - 1, and 2^6 trees of 2^5 - 1 plus 2^4 of 2^7 - 1
    assert k.binary_trees(6) == 255 + 127 + 64 * 31 + 16 * 127 == 4398


def test_wasm_3_kernels_use_their_proposals():
    wasmtime = pytest.importorskip("wasmtime")
    for kernel in KERNELS:
        if not kernel.proposals:
            continue
        config = wasmtime.Config()
        config.wasm_exceptions = "exceptions" not in kernel.proposals
        config.wasm_tail_call = "tail_call" not in kernel.proposals
        config.wasm_gc = config.wasm_function_references = "gc" not in kernel.proposals
        with pytest.raises(wasmtime.WasmtimeError):
            wasmtime.Module(wasmtime.Engine(config), kernel.wasm_bytes())


def test_pywasm_cannot_run_the_wasm_3_kernels():
    pytest.importorskip("pywasm")
    for kernel in KERNELS:
        if kernel.proposals:
            with pytest.raises(runners.RunnerUnavailable, match="pywasm 2.2.3 cannot run"):
                runners.prepare("pywasm", kernel)


@pytest.mark.parametrize("runner", runners.PYWAZ_RUNNERS)
@pytest.mark.parametrize("kernel,size", CASES)
def test_pywaz_kernel_matches_plain_python(runner, kernel, size):
    expected = runners.python_kernels.KERNELS[kernel.export](size)
    try:
        call = runners.prepare(runner, kernel)
    except runners.RunnerUnavailable as exc:
        pytest.skip(str(exc))
    try:
        result = call(size)
    except NotImplementedError as exc:
        # An engine may reject instructions it does not lower yet (SIMD in the
        # compiler); that is a known gap, not a wrong answer.
        if kernel.simd:
            pytest.xfail(f"{runner} cannot run SIMD yet: {exc}")
        raise
    assert result == expected
