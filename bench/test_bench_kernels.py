"""Kernel benchmarks: one pytest-benchmark group per kernel, one row per runner.

Each row instantiates the kernel's module once (not measured), then times
calls of the export at the kernel's ``bench_size``. Slow runners get fewer
rounds (pywasm takes 15-70 s per call), so a full run stays within minutes.
The result of every measured call is checked against plain Python -- a wrong
answer is a failure, never a number -- but nothing here asserts on time.
"""

from __future__ import annotations

import pytest
import runners
from benchutil import environment_info, quick, selected_runners

# rounds, warmup rounds per runner: enough for a stable median where it is cheap.
ROUNDS = {
    "pywaz-compiler": (5, 1),
    "pywaz-interpreter": (3, 0),
    "pywasm": (1, 0),
    "python": (5, 1),
    "wasmtime": (20, 2),
}

CASES = [
    pytest.param(kernel, runner, id=f"{kernel.name}-{runner}")
    for kernel in runners.catalog.KERNELS
    for runner in selected_runners()
]


@pytest.mark.parametrize("kernel,runner", CASES)
def test_kernel(benchmark, kernel, runner):
    size = max(kernel.test_sizes) if quick() else kernel.bench_size
    benchmark.group = f"kernel {kernel.name} ({kernel.kind}, n={size})"
    benchmark.extra_info.update(environment_info(), kernel=kernel.name, runner=runner, size=size)
    try:
        call = runners.prepare(runner, kernel)
    except runners.RunnerUnavailable as exc:
        pytest.skip(f"{runner}: {exc}")
    expected = runners.python_kernels.KERNELS[kernel.export](size)
    if runner.startswith("pywaz"):
        # A first call triggers lazy compilation and surfaces unsupported
        # instructions before anything is timed.
        try:
            call(min(s for s in kernel.test_sizes if s > 0))
        except NotImplementedError as exc:
            pytest.skip(f"{runner} cannot run {kernel.name}: {exc}")
    rounds, warmup = ROUNDS[runner]
    result = benchmark.pedantic(call, args=(size,), rounds=rounds, warmup_rounds=warmup, iterations=1)
    assert result == expected, f"{runner} computed {kernel.name}({size}) = {result}, expected {expected}"
