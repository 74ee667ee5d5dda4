"""Catalog of the benchmark kernels: which wasm file, which export, which sizes.

Shared by the benchmark suites (bench/) and the correctness tests
(tests/programs/test_bench_kernels.py), so both agree on what is measured. ``bench_size`` is
picked so that pywaz's compiler engine should take roughly 0.1-1 s per call
(measured: compiler ~0.1 s, interpreter ~1-3 s, plain CPython 0.05-0.1 s, pywasm 2.2.3 15-70 s). ``test_sizes``
are small, for fast correctness checks. Kernels whose ``wasm`` is a ``.wat``
file are WebAssembly text, assembled by ``pywaz.wat2wasm`` when loaded;
``proposals`` names the WebAssembly 3.0 proposals (pywaz.Features fields)
they need.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

KERNELS_DIR = Path(__file__).resolve().parent


@dataclass(frozen=True, slots=True)
class Kernel:
    """One benchmark kernel: a wasm module exporting ``export(size) -> i32``."""

    name: str  # benchmark group name, e.g. "fib"
    wasm: str  # file name in bench/kernels/
    export: str  # exported function; also the name in python_kernels.KERNELS
    bench_size: int
    test_sizes: tuple[int, ...]
    kind: str  # what the kernel stresses
    simd: bool = False
    proposals: tuple[str, ...] = ()

    @property
    def path(self) -> Path:
        """Absolute path of the built module."""
        return KERNELS_DIR / self.wasm

    def wasm_bytes(self) -> bytes:
        """The built module's bytes (a text kernel is assembled by pywaz.wat2wasm)."""
        if self.path.suffix == ".wat":
            import pywaz

            return pywaz.wat2wasm(self.path.read_text())
        return self.path.read_bytes()


KERNELS: tuple[Kernel, ...] = (
    Kernel("fib", "fib.wasm", "fib", 29, (0, 1, 2, 10, 20), "calls"),
    Kernel("sieve", "sieve.wasm", "sieve", 400_000, (0, 2, 3, 100, 10_000, 70_000), "branches"),
    Kernel("fnv1a", "fnv.wasm", "fnv1a", 300_000, (0, 1, 1000, 70_000), "loads/stores"),
    Kernel("mandelbrot", "mandelbrot.wasm", "mandelbrot", 200, (1, 7, 30), "f64"),
    Kernel("dot_scalar", "simd_dot_scalar.wasm", "dot", 150_000, (0, 7, 8, 1000, 40_000), "i16 dot, scalar"),
    Kernel("dot_simd", "simd_dot.wasm", "dot", 150_000, (0, 7, 8, 1000, 40_000), "i16 dot, v128", simd=True),
    Kernel("rare_errors", "exceptions.wat", "rare_errors", 200_000, (0, 1, 1009, 5000, 30_000),
           "throw 1 in 1009, caught", proposals=("exceptions",)),
    Kernel("try_idle", "exceptions.wat", "try_idle", 200_000, (0, 1, 1009, 5000, 30_000),
           "try_table, never throws", proposals=("exceptions",)),
    Kernel("try_none", "exceptions.wat", "try_none", 200_000, (0, 1, 1009, 5000, 30_000),
           "same loop, no try_table", proposals=("exceptions",)),
    Kernel("tokens", "tailcalls.wat", "tokens", 300_000, (0, 1, 2, 1000, 100_000),
           "return_call state machine", proposals=("tail_call",)),
    Kernel("binary_trees", "binary_trees.wat", "binary_trees", 12, (0, 6, 7, 8, 10),
           "GC struct allocation", proposals=("gc",)),
)

BY_NAME = {k.name: k for k in KERNELS}
