"""Random structured control flow, lowered structured, with flat islands and fully flat.

Each generated function nests blocks, loops and ifs and branches between them
with br, br_if, br_table and return; a fuel counter bounds every loop. The
result (an accumulator folding in every step taken) must equal wasmtime's
under every lowering strategy, which exercises the ``_br`` unwinding, the
island entry/exit paths and the flat dispatch on shapes no one wrote by hand.
"""

from __future__ import annotations

import random

import pytest
import wasmtime

from pywaz.compiler.lower import core as lower
from pywaz.text import wat2wasm

from .support import call, instantiate


class _Generator:
    def __init__(self, rng: random.Random):
        self.rng = rng
        self.labels: list[str] = []  # enclosing label names, innermost last
        self.count = 0

    def step(self) -> str:
        k = self.rng.randrange(1, 1000)
        return f"(local.set 3 (i32.add (i32.mul (local.get 3) (i32.const 31)) (i32.const {k})))"

    def cond(self) -> str:
        mask = self.rng.choice((1, 3, 7))
        return f"(i32.eqz (i32.and (i32.xor (local.get 3) (local.get 0)) (i32.const {mask})))"

    def label(self) -> str:
        self.count += 1
        return f"$L{self.count}"

    def statements(self, depth: int) -> list[str]:
        out = []
        for _ in range(self.rng.randrange(1, 4)):
            out.append(self.statement(depth))
        return out

    def statement(self, depth: int) -> str:
        rng = self.rng
        roll = rng.random()
        if depth <= 0 or roll < 0.25:
            return self.step()
        if roll < 0.45:
            name = self.label()
            self.labels.append(name)
            body = self.statements(depth - 1)
            self.labels.pop()
            return f"(block {name} {' '.join(body)})"
        if roll < 0.6:
            name = self.label()
            self.labels.append(name)
            body = self.statements(depth - 1)
            self.labels.pop()
            fuel = "(local.set 2 (i32.sub (local.get 2) (i32.const 1))) (if (i32.eqz (local.get 2)) (then (return (local.get 3))))"
            back = f"(br_if {name} {self.cond()})" if rng.random() < 0.7 else ""
            return f"(loop {name} {fuel} {' '.join(body)} {back})"
        if roll < 0.7:
            name = self.label()
            self.labels.append(name)
            then = self.statements(depth - 1)
            other = self.statements(depth - 1)
            self.labels.pop()
            return f"(if {name} {self.cond()} (then {' '.join(then)}) (else {' '.join(other)}))"
        if not self.labels:
            return self.step()
        if roll < 0.85:
            return f"(br_if {rng.choice(self.labels)} {self.cond()})"
        if roll < 0.93:
            targets = [rng.choice(self.labels) for _ in range(rng.randrange(1, 6))]
            return (
                f"(br_table {' '.join(targets)} {rng.choice(self.labels)} "
                f"(i32.rem_u (local.get 3) (i32.const {len(targets) + 1})))"
            )
        if roll < 0.97:
            return f"(br {rng.choice(self.labels)})"
        return "(return (local.get 3))"


def random_module(seed: int) -> str:
    rng = random.Random(seed)
    generator = _Generator(rng)
    body = " ".join(generator.statements(rng.randrange(4, 9)))
    return (
        '(module (func (export "f") (param i32 i32) (result i32) (local i32 i32)'
        " (local.set 2 (i32.const 300)) (local.set 3 (local.get 1)) "
        f"{body} (local.get 3)))"
    )


@pytest.mark.parametrize("max_loops", [lower.MAX_PY_LOOPS, 3, 1, -1], ids=["default", "islands-3", "islands-1", "flat"])
@pytest.mark.parametrize("seed", range(40))
def test_random_control_flow_matches_wasmtime(seed, max_loops, monkeypatch):
    wat = random_module(seed)
    store = wasmtime.Store()
    native = wasmtime.Instance(store, wasmtime.Module(store.engine, wat), []).exports(store)["f"]
    monkeypatch.setattr(lower, "MAX_PY_LOOPS", max_loops)
    instance, _ = instantiate(wat2wasm(wat), "eager")
    for a, b in ((0, 1), (5, 77), (0xFFFF, 3), (12345, 0xFFFFFFF)):
        assert call(instance, "f", a, b) == native(store, a, b) & 0xFFFFFFFF, (seed, a, b)
