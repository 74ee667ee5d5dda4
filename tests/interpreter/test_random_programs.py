"""Random structured programs (blocks, loops, if, br_if, br_table, tees), interpreter vs wasmtime.

The generator mixes the instruction sequences the lowering fuses into
superinstructions with branch targets in every position, so a fusion that
swallowed a target or a wrongly resolved label shows up as a different result.
"""

import random

import pytest
import wasmtime

import pywaz
from pywaz.text import wat2wasm

BINOPS = [
    "i32.add",
    "i32.sub",
    "i32.mul",
    "i32.and",
    "i32.or",
    "i32.xor",
    "i32.shl",
    "i32.shr_u",
    "i32.shr_s",
    "i32.rotl",
    "i32.eq",
    "i32.ne",
    "i32.lt_s",
    "i32.lt_u",
    "i32.gt_s",
    "i32.ge_u",
    "i32.le_s",
]
LOCALS = 4


class Gen:
    def __init__(self, rng):
        self.rng = rng
        self.labels = 0
        self.counters = 0

    def expr(self, depth):
        rng = self.rng
        roll = rng.random()
        if depth <= 0 or roll < 0.3:
            if rng.random() < 0.6:
                return f"(local.get {rng.randrange(LOCALS)})"
            return f"(i32.const {rng.choice([0, 1, 2, 3, 7, -1, 255, 0x7FFFFFFF, -0x80000000, rng.getrandbits(32) - (1 << 31)])})"
        if roll < 0.8:
            return f"({rng.choice(BINOPS)} {self.expr(depth - 1)} {self.expr(depth - 1)})"
        if roll < 0.9:
            return f"(local.tee {rng.randrange(LOCALS)} {self.expr(depth - 1)})"
        if roll < 0.95:
            return f"(i32.eqz {self.expr(depth - 1)})"
        return f"(select {self.expr(depth - 1)} {self.expr(depth - 1)} {self.expr(depth - 1)})"

    def label(self, prefix):
        self.labels += 1
        return f"${prefix}{self.labels}"

    def stmts(self, depth, labels):
        return " ".join(self.stmt(depth, labels) for _ in range(self.rng.randint(1, 3)))

    def stmt(self, depth, labels):
        rng = self.rng
        roll = rng.random()
        if depth <= 0 or roll < 0.35:
            return f"(local.set {rng.randrange(LOCALS)} {self.expr(2)})"
        if roll < 0.5:
            name = self.label("b")
            inner = self.stmts(depth - 1, [*labels, name])
            tail = self.stmts(depth - 1, [*labels, name])
            return f"(block {name} {inner} (br_if {name} {self.expr(2)}) {tail})"
        if roll < 0.65:
            return f"(if {self.expr(2)} (then {self.stmts(depth - 1, labels)}) (else {self.stmts(depth - 1, labels)}))"
        if roll < 0.8:
            name = self.label("l")
            self.counters += 1
            counter = LOCALS + self.counters - 1
            body = self.stmts(depth - 1, labels)
            return (
                f"(local.set {counter} (i32.const {rng.randint(1, 5)}))"
                f"(loop {name} {body}"
                f" (local.set {counter} (i32.sub (local.get {counter}) (i32.const 1)))"
                f" (br_if {name} (local.get {counter})))"
            )
        if roll < 0.9 and labels:
            target = rng.choice(labels)
            return f"(br_if {target} {self.expr(2)})"
        outer, inner = self.label("o"), self.label("i")
        table = " ".join(rng.choice([outer, inner]) for _ in range(rng.randint(1, 4)))
        rest = self.stmts(depth - 1, labels)
        return f"(block {outer} (block {inner} (br_table {table} {self.expr(2)})) {rest})"

    def module(self):
        body = self.stmts(4, [])
        locals_ = " ".join(["i32"] * (LOCALS - 2 + self.counters))
        result = "(i32.xor (i32.xor (local.get 0) (local.get 1)) (i32.add (local.get 2) (local.get 3)))"
        return f'(module (func (export "f") (param i32 i32) (result i32) (local {locals_}) {body} {result}))'


@pytest.mark.parametrize("seed", range(60))
def test_random_program_matches_wasmtime(seed):
    rng = random.Random(seed)
    wat = Gen(rng).module()
    data = wat2wasm(wat)
    store = wasmtime.Store()
    reference = wasmtime.Instance(store, wasmtime.Module(store.engine, data), []).exports(store)["f"]
    with pywaz.Runtime() as runtime:
        ours = runtime.instantiate(data).exports["f"]
        for _ in range(6):
            args = (rng.getrandbits(32) - (1 << 31), rng.choice([0, 1, 5, rng.getrandbits(32) - (1 << 31)]))
            assert ours(*args) == reference(store, *args), (wat, args)
