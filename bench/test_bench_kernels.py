"""Kernel benchmarks: one pytest-benchmark group per kernel, one row per runner.

Each row instantiates the kernel's module once (not measured), then times
calls of the export at the kernel's ``bench_size``. Slow runners get fewer
rounds (pywasm takes 15-70 s per call), so a full run stays within minutes.
The result of every measured call is checked against plain Python -- a wrong
answer is a failure, never a number -- but nothing here asserts on time.

``test_kernel_fuel`` measures what fuel metering costs: a call-heavy and a
loop-heavy kernel, each engine, on a runtime without fuel and on one metering
a budget the call never exhausts (``bench/report.py`` prints the overhead).
"""

from __future__ import annotations

import pytest
import runners
from benchutil import environment_info, quick, selected_runners

# rounds, warmup rounds per runner: enough for a stable median where it is cheap.
ROUNDS = {
    "pywaz-compiler": (5, 1),
    "pywaz-tiered": (5, 1),
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


# Kernels for the fuel overhead: fib spends a unit per call, sieve per loop back-edge.
FUEL_KERNELS = ("fib", "sieve")
FUEL_BUDGET = 10**15  # never runs out: only the metering is measured
FUEL_CASES = [
    pytest.param(runners.catalog.BY_NAME[name], engine, metered, id=f"{name}-{engine}-{'fuel' if metered else 'plain'}")
    for name in FUEL_KERNELS
    for engine in ("compiler", "interpreter")
    for metered in (False, True)
]


@pytest.mark.parametrize("kernel,engine,metered", FUEL_CASES)
def test_kernel_fuel(benchmark, kernel, engine, metered):
    size = max(kernel.test_sizes) if quick() else kernel.bench_size
    benchmark.group = f"fuel {kernel.name} ({engine}, n={size})"
    benchmark.extra_info.update(
        environment_info(), fuel_kernel=kernel.name, engine=engine, metered=metered, size=size
    )
    try:
        if metered:
            call = runners.prepare_metered(engine, kernel, FUEL_BUDGET)
        else:
            call = runners.prepare(f"pywaz-{engine}", kernel)
    except runners.RunnerUnavailable as exc:
        pytest.skip(f"pywaz-{engine}: {exc}")
    expected = runners.python_kernels.KERNELS[kernel.export](size)
    call(min(s for s in kernel.test_sizes if s > 0))  # lazy compilation happens before timing
    rounds, warmup = ROUNDS[f"pywaz-{engine}"]
    result = benchmark.pedantic(call, args=(size,), rounds=rounds, warmup_rounds=warmup, iterations=1)
    assert result == expected, f"{engine} (fuel={metered}) computed {kernel.name}({size}) = {result}"
