"""Validator throughput: instructions validated per second (not a test; run by hand).

    python3 tests/validator/bench_validator.py [--instructions N] [extra.wasm ...]

Generates a module of N instructions (default 4 million) whose instruction mix follows
compiled C/Rust/Go code (local.get/set/tee, constants, i32/i64 arithmetic, loads and
stores, nested blocks with br_if/br, calls), decodes it once, then reports the best of
three validations in CPU time (process time, so other load on a shared machine skews it
less than wall time). Any extra .wasm files given are measured the same way.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time

_REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, _REPO_ROOT)

from pywaz.decoder import decode_module
from pywaz.validator import validate
from tests import wasmgen as g

_LOCALS = 8  # locals 0-3 are i32, 4-7 are i64


def _statement(rng: random.Random) -> bytes:
    """One stack-neutral statement (its bytes), chosen with weights that mimic compiled code."""
    i32 = rng.randrange(4)
    i64 = 4 + rng.randrange(4)
    choice = rng.random()
    if choice < 0.25:  # x = y + c
        return g.local_get(i32) + g.i32_const(rng.randrange(1 << 12)) + g.op("i32.add") + g.local_set(i32)
    if choice < 0.40:  # x = load(p + k)
        return g.local_get(i32) + g.op("i32.load", g.memarg(2, rng.randrange(64))) + g.local_set(rng.randrange(4))
    if choice < 0.52:  # store(p, x)
        return g.local_get(i32) + g.local_get(i64) + g.op("i64.store", g.memarg(3, 8))
    if choice < 0.62:  # y = wrap(z) & x
        return (
            g.local_get(i64)
            + g.op("i32.wrap_i64")
            + g.local_get(i32)
            + g.op("i32.and")
            + g.local_tee(i32)
            + g.op("drop")
        )
    if choice < 0.72:  # z = extend(x) + c
        return g.local_get(i32) + g.op("i64.extend_i32_u") + g.i64_const(7) + g.op("i64.add") + g.local_set(i64)
    if choice < 0.82:  # block { br_if 0 (x == 0); x = x - 1 }
        return (
            g.block()
            + g.local_get(i32)
            + g.op("i32.eqz")
            + g.br_if(0)
            + g.local_get(i32)
            + g.i32_const(1)
            + g.op("i32.sub")
            + g.local_set(i32)
            + g.END
        )
    if choice < 0.90:  # x = f(x, y)
        return g.local_get(i32) + g.local_get(rng.randrange(4)) + g.call(0) + g.local_set(i32)
    if choice < 0.96:  # if (x) { z = z * 3 } else { z = 0 }
        return (
            g.local_get(i32)
            + g.if_()
            + g.local_get(i64)
            + g.i64_const(3)
            + g.op("i64.mul")
            + g.local_set(i64)
            + g.ELSE
            + g.i64_const(0)
            + g.local_set(i64)
            + g.END
        )
    # loop { x = x >> 1; br_if 0 (x) }
    return g.loop() + g.local_get(i32) + g.i32_const(1) + g.op("i32.shr_u") + g.local_tee(i32) + g.br_if(0) + g.END


def generate(instructions: int, seed: int = 1) -> bytes:
    """A valid module with about ``instructions`` instructions in functions of ~2,000."""
    rng = random.Random(seed)
    callee = g.func_body((), g.local_get(0) + g.local_get(1) + g.op("i32.add") + g.END)
    bodies = [callee]
    total = 0
    while total < instructions:
        code = b"".join(_statement(rng) for _ in range(300)) + g.END  # about 2,000 instructions
        bodies.append(g.func_body([(4, g.I32), (4, g.I64)], code))
        total += len(code) // 2  # instructions average close to 2 bytes here
    count = len(bodies) - 1
    return g.module(
        g.type_section(g.functype([g.I32, g.I32], [g.I32]), g.functype()),
        g.function_section(0, *([1] * count)),
        g.memory_section(g.memory_type(1)),
        g.code_section(*bodies),
    )


def measure(label: str, data: bytes) -> None:
    module = decode_module(data)
    count = sum(len(body.ops) for body in module.codes)
    best = float("inf")
    for _ in range(3):
        start = time.process_time()
        validate(module)
        best = min(best, time.process_time() - start)
    print(
        f"{label}: {len(data) / 1e6:.1f} MB, {count:,} instructions, best {best:.2f} s, {count / best / 1e6:.2f} M instr/s"
    )


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--instructions", type=int, default=4_000_000)
    parser.add_argument("wasm", nargs="*")
    args = parser.parse_args(argv)
    print(f"Python {sys.version.split()[0]}")
    measure("generated", generate(args.instructions))
    for path in args.wasm:
        with open(path, "rb") as handle:
            measure(os.path.basename(path), handle.read())


if __name__ == "__main__":
    main()
