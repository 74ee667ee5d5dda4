"""Artifacts with atomic instructions and shared memories round-trip through the disk cache, in both engines."""

from __future__ import annotations

import pytest

import pywaz
from pywaz.text import wat2wasm

WAT = """(module
  (memory (export "mem") 1 4 shared)
  (memory $b i64 1 1 shared)
  (func (export "add") (param i32 i32) (result i32) (i32.atomic.rmw.add (local.get 0) (local.get 1)))
  (func (export "cmpxchg64") (param i64 i64 i64) (result i64)
    (atomic.fence)
    (i64.atomic.rmw.cmpxchg $b offset=8 (local.get 0) (local.get 1) (local.get 2)))
  (func (export "wait") (param i32 i32 i64) (result i32)
    (memory.atomic.wait32 (local.get 0) (local.get 1) (local.get 2))))
"""

CONFIGS = [("interpreter", None), ("compiler", "lazy"), ("compiler", "eager")]


@pytest.mark.parametrize(("engine", "mode"), CONFIGS)
def test_atomics_and_shared_memories_survive_a_disk_hit(engine, mode, tmp_path):
    data = wat2wasm(WAT)
    for round_ in range(2):
        with (
            pywaz.CompilationCache(tmp_path) as cache,
            pywaz.Runtime(engine, compile_mode=mode, cache=cache) as rt,
        ):
            compiled = rt.compile_module(data)
            assert [m.shared for m in compiled.validated.memory_types] == [True, True]
            exports = rt.instantiate_module(compiled).exports
            assert exports["mem"].shared
            assert (exports["add"](4, 3), exports["add"](4, 3)) == (0, 3)
            assert exports["wait"](4, 6, 0) == 2 and exports["wait"](4, 7, 0) == 1
            assert exports["cmpxchg64"](0, 0, 9) == 0 and exports["cmpxchg64"](0, 9, 1) == 9
            with pytest.raises(pywaz.Trap, match="unaligned atomic"):
                exports["add"](2, 1)
            if round_ == 1:
                assert rt.stats()["disk_hits"] == 1
