"""Artifacts with tags, handlers and tail calls round-trip through the disk cache, in both engines."""

from __future__ import annotations

import pytest

import pywaz
from pywaz.text import wat2wasm

WAT = """(module
  (import "host" "err" (tag $host_err (param i32)))
  (tag $e (export "e") (param i32))
  (func $thrower (export "throw") (param i32) (throw $e (local.get 0)))
  (func (export "catch") (param i32) (result i32)
    (block $h (result i32)
      (try_table (catch $e $h) (call $thrower (local.get 0)))
      (i32.const -1)))
  (func (export "legacy") (param i32) (result i32)
    (try (result i32)
      (do (call $thrower (local.get 0)) (i32.const -1))
      (catch $e (i32.add (i32.const 1)))))
  (func $loop (export "loop") (param i32) (result i32)
    (if (result i32) (i32.eqz (local.get 0))
      (then (i32.const 5))
      (else (return_call $loop (i32.sub (local.get 0) (i32.const 1)))))))
"""

CONFIGS = [("interpreter", None), ("compiler", "lazy"), ("compiler", "eager")]


@pytest.mark.parametrize(("engine", "mode"), CONFIGS)
def test_tags_handlers_and_tail_calls_survive_a_disk_hit(engine, mode, tmp_path):
    data = wat2wasm(WAT)
    for round_ in range(2):
        with (
            pywaz.CompilationCache(tmp_path) as cache,
            pywaz.Runtime(engine, compile_mode=mode, cache=cache) as rt,
        ):
            rt.new_host_module("host").tag("err", ["i32"]).instantiate()
            instance = rt.instantiate(data)
            assert instance.exports["catch"](41) == 41
            assert instance.exports["legacy"](41) == 42
            assert instance.exports["loop"](100_000) == 5
            with pytest.raises(pywaz.WasmException) as info:
                instance.exports["throw"](7)
            assert info.value.tag is instance.exports["e"] and info.value.payload == (7,)
            kinds = {e.name: e.kind for e in rt.compile_module(data).exports}
            assert kinds["e"] == "tag"
            if round_ == 1:
                assert rt.stats()["disk_hits"] == 1

