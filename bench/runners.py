"""Uniform "call kernel export with a size" adapters for every runtime we compare.

``prepare(runner, kernel)`` instantiates the kernel's module once and returns a
callable ``size -> int`` (the i32 result as an unsigned int). Runners:

- ``pywaz-compiler`` / ``pywaz-interpreter`` / ``pywaz-tiered``: ``pywaz.Runtime(engine=...)``
  (the tiered engine, pywaz's default, in its default lazy mode: it tiers up while it runs)
- ``pywasm``: pywasm 2.2.3, the leading pure-Python runtime (the ``bench`` extra)
- ``python``: the same algorithm as plain Python (bench/kernels/python_kernels.py)
- ``wasmtime``: the native reference, for correctness checks only

A runner that cannot run here (package not installed, pywaz engine not written
yet) raises :class:`RunnerUnavailable` with the reason, so benchmarks and tests
can skip cleanly. Any other exception is a real failure and propagates.
"""

from __future__ import annotations

import importlib.util
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
MASK32 = 0xFFFFFFFF
PROPOSAL_NAMES = {"exceptions": "exception handling", "tail_call": "tail calls", "gc": "garbage collection"}

PYWAZ_RUNNERS = ("pywaz-compiler", "pywaz-interpreter", "pywaz-tiered")
RUNNERS = (*PYWAZ_RUNNERS, "pywasm", "python", "wasmtime")


class RunnerUnavailable(Exception):
    """This runner cannot run in this environment (the reason is the message)."""


def load_bench_module(name: str):
    """Import ``bench/kernels/<name>.py`` by path (bench/ is not a package)."""
    qualified = f"_pywaz_bench_{name}"
    if qualified in sys.modules:
        return sys.modules[qualified]
    spec = importlib.util.spec_from_file_location(qualified, BENCH_DIR / "kernels" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[qualified] = module  # dataclasses look the module up while it executes
    spec.loader.exec_module(module)
    return module


catalog = load_bench_module("catalog")
python_kernels = load_bench_module("python_kernels")


def pywaz_runtime(engine: str, compile_mode: str = "eager", fuel: int | None = None):
    """A ``pywaz.Runtime`` for ``engine`` (metering ``fuel`` when given); RunnerUnavailable while it does not exist."""
    try:
        import pywaz
    except ImportError as exc:
        raise RunnerUnavailable(f"pywaz is not importable: {exc}") from None
    runtime_class = getattr(pywaz, "Runtime", None)
    if runtime_class is None:
        raise RunnerUnavailable("pywaz.Runtime does not exist yet")
    metering = {} if fuel is None else {"fuel": fuel}
    try:
        if engine in ("interpreter", "tiered"):
            return runtime_class(engine=engine, **metering)
        return runtime_class(engine=engine, compile_mode=compile_mode, **metering)
    except (NotImplementedError, ValueError, TypeError) as exc:
        raise RunnerUnavailable(f"pywaz.Runtime(engine={engine!r}) is not available: {exc}") from None


def _pywaz(engine: str, kernel, fuel: int | None = None) -> Callable[[int], int]:
    runtime = pywaz_runtime(engine, fuel=fuel)
    import pywaz

    missing = [p for p in kernel.proposals if not getattr(pywaz.Features(), p, None)]
    if missing:
        needs = ", ".join(PROPOSAL_NAMES.get(p, p) for p in missing)
        raise RunnerUnavailable(f"pywaz does not implement {needs} yet (pywaz.Features())")
    instance = runtime.instantiate(kernel.wasm_bytes())
    function = instance.exports[kernel.export]
    # The public call returns i32 results as signed ints (like wasmtime);
    # the kernels' results are compared as unsigned.
    return lambda size: function(size) & MASK32


def _pywasm(kernel) -> Callable[[int], int]:
    try:
        import pywasm
    except ImportError:
        raise RunnerUnavailable("pywasm is not installed (pip install pywasm==2.2.3, or the 'bench' extra)") from None
    runtime = pywasm.core.Runtime()
    if kernel.proposals:
        # pywasm 2.2.3 implements WebAssembly 2.0: its decoder stops at the
        # first 3.0 opcode (throw, return_call) with a bare AssertionError.
        with tempfile.NamedTemporaryFile(suffix=".wasm") as handle:
            handle.write(kernel.wasm_bytes())
            handle.flush()
            try:
                instance = runtime.instance_from_file(handle.name)
            except Exception as exc:
                needs = ", ".join(PROPOSAL_NAMES.get(p, p) for p in kernel.proposals)
                raise RunnerUnavailable(
                    f"pywasm 2.2.3 cannot run {kernel.name}: it does not implement {needs} "
                    f"(loading fails: {type(exc).__name__} {exc})") from None
    else:
        instance = runtime.instance_from_file(str(kernel.path))
    invocate = runtime.invocate
    export = kernel.export

    def call(size: int) -> int:
        # pywasm returns i32 results as signed ints.
        return invocate(instance, export, [size])[0] & MASK32

    return call


def _wasmtime(kernel) -> Callable[[int], int]:
    try:
        import wasmtime
    except ImportError:
        raise RunnerUnavailable("wasmtime is not installed (the 'test' extra)") from None
    config = wasmtime.Config()
    config.wasm_exceptions = True  # off in wasmtime's defaults; tail calls are on
    config.wasm_gc = True
    config.wasm_function_references = True
    store = wasmtime.Store(wasmtime.Engine(config))
    module = wasmtime.Module(store.engine, kernel.wasm_bytes())
    function = wasmtime.Instance(store, module, []).exports(store)[kernel.export]
    return lambda size: function(store, size) & MASK32


def prepare_metered(engine: str, kernel, fuel: int) -> Callable[[int], int]:
    """``kernel`` on a pywaz runtime of ``engine`` that meters ``fuel`` units per call; ``size -> result``.

    Raises:
        RunnerUnavailable: the engine cannot run here.
    """
    return _pywaz(engine, kernel, fuel)


def prepare(runner: str, kernel) -> Callable[[int], int]:
    """Instantiate ``kernel`` under ``runner``; return ``size -> result``.

    Raises:
        RunnerUnavailable: the runner cannot run in this environment.
        ValueError: unknown runner name.
    """
    if runner == "pywaz-compiler":
        return _pywaz("compiler", kernel)
    if runner == "pywaz-interpreter":
        return _pywaz("interpreter", kernel)
    if runner == "pywaz-tiered":
        return _pywaz("tiered", kernel)
    if runner == "pywasm":
        return _pywasm(kernel)
    if runner == "python":
        return python_kernels.KERNELS[kernel.export]
    if runner == "wasmtime":
        return _wasmtime(kernel)
    raise ValueError(f"unknown runner {runner!r}; expected one of {RUNNERS}")
