"""Peak memory of compiling one giant function, per byte of its body (issue 18, "bounded memory").

Builds two modules with ``tests/wasmgen.py`` (nothing is checked in):

* ``straight``: one function whose body is ~2 MB of straight-line i32
  arithmetic on locals (no branches);
* ``nested``: one function made of 50,000 nested ``if``/``else``.

Each engine configuration (compiler eager, compiler lazy, interpreter) runs in
a fresh subprocess that compiles the module, instantiates it and calls the
function once, checking the result against the value computed here. The child
reports its peak RSS (``resource.getrusage(RUSAGE_SELF).ru_maxrss``) before and
after that work and the wall time; the figure of merit is the growth of the
peak divided by the body size (bytes of RSS per byte of wasm).

    .venv/bin/python bench/compile_memory.py                 # both modules, a markdown table
    .venv/bin/python bench/compile_memory.py --json out.json
    .venv/bin/python bench/compile_memory.py --shape straight --size 500000 --config compiler-eager
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

CONFIGS = {
    "compiler-eager": ("compiler", "eager"),
    "compiler-lazy": ("compiler", "lazy"),
    "interpreter": ("interpreter", None),
}

_MASK = 0xFFFFFFFF


def straight_module(body_size: int) -> tuple[bytes, int, int, int]:
    """(module bytes, body size, argument, expected result) for the straight-line function.

    Each step is ``l1 = l0 * k + l1; l0 = (l1 ^ l0) >> 3 ... `` in wasm terms,
    with a constant that changes per step so the lowered text does not repeat.
    """
    from tests import wasmgen as w

    steps = []
    size = 0
    l0, l1 = 7, 0  # mirror of the computation, to check the answer
    k = 1
    while size < body_size:
        step = (
            w.local_get(0)
            + w.i32_const(k)
            + w.op("i32.mul")
            + w.local_get(1)
            + w.op("i32.add")
            + w.local_set(1)
            + w.local_get(1)
            + w.local_get(0)
            + w.op("i32.xor")
            + w.i32_const(k & 31)
            + w.op("i32.shr_u")
            + w.i32_const(k)
            + w.op("i32.add")
            + w.local_set(0)
        )
        l1 = (l0 * k + l1) & _MASK
        l0 = (((l1 ^ l0) >> (k & 31)) + k) & _MASK
        steps.append(step)
        size += len(step)
        k = (k * 1103515245 + 12345) & 0x7FFFFFFF
    code = b"".join(steps) + w.local_get(0) + w.local_get(1) + w.op("i32.add") + w.END
    body = w.func_body([(1, w.I32)], code)
    data = w.module(
        w.type_section(w.functype([w.I32], [w.I32])),
        w.function_section(0),
        w.export_section(w.export("f", w.KIND_FUNC, 0)),
        w.code_section(body),
    )
    return data, len(body), 7, (l0 + l1) & _MASK


def nested_module(depth: int) -> tuple[bytes, int, int, int]:
    """(module bytes, body size, argument, expected result) for ``depth`` nested if/else.

    Level i is ``if (l0 & bit_i) then {l1 += i; <level i+1>} else {l1 ^= i}``;
    the argument takes the then-branch at every level whose bit is set.
    """
    from tests import wasmgen as w

    head = []
    tail = []
    for i in range(depth):
        head.append(
            w.local_get(0)
            + w.i32_const(1 << (i % 31))
            + w.op("i32.and")
            + w.op("if", w.EMPTY_BLOCK)
            + w.local_get(1)
            + w.i32_const(i)
            + w.op("i32.add")
            + w.local_set(1)
        )
        tail.append(w.ELSE + w.local_get(1) + w.i32_const(i) + w.op("i32.xor") + w.local_set(1) + w.END)
    code = b"".join(head) + b"".join(reversed(tail)) + w.local_get(1) + w.END
    body = w.func_body([(1, w.I32)], code)
    data = w.module(
        w.type_section(w.functype([w.I32], [w.I32])),
        w.function_section(0),
        w.export_section(w.export("f", w.KIND_FUNC, 0)),
        w.code_section(body),
    )
    argument = 0x7FFFFFFF  # every level's bit is set: the then-branch all the way down
    expected = 0
    for i in range(depth):
        expected = (expected + i) & _MASK
    return data, len(body), argument, expected


def _child(path: str, engine: str, mode: str | None, argument: int) -> None:
    import resource
    import time

    import pywaz

    with open(path, "rb") as f:
        data = f.read()
    # Import and warm up everything a compile uses, so "before" leaves out the fixed cost of the code itself.
    warm, _, warm_argument, _ = straight_module(100)
    warm_runtime = pywaz.Runtime(engine, compile_mode=mode) if mode else pywaz.Runtime(engine)
    warm_runtime.instantiate(warm).exports["f"](warm_argument)
    warm_runtime.close()
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    start = time.perf_counter()
    runtime = pywaz.Runtime(engine, compile_mode=mode) if mode else pywaz.Runtime(engine)
    instance = runtime.instantiate(data)
    function = instance.exports["f"]
    result = function(argument)
    elapsed = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    # Both engines mark a call that runs the interpreter's loop this way.
    interpreted = getattr(function.function.call, "interpreter_entry", None) is not None
    report = {"before": before, "peak": peak, "seconds": elapsed, "result": result, "interpreted": interpreted}
    print(json.dumps(report))


def measure(data: bytes, config: str, argument: int, timeout: float = 600.0) -> dict:
    """Run one compile+call of ``data`` in a fresh interpreter; its peak RSS (bytes), growth and time.

    Raises:
        RuntimeError: the child failed (its stderr is in the message).
    """
    engine, mode = CONFIGS[config]
    with tempfile.NamedTemporaryFile(suffix=".wasm", delete=False) as f:
        f.write(data)
        path = f.name
    try:
        command = [sys.executable, os.path.abspath(__file__), "--child", path, engine, mode or "-", str(argument)]
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, cwd=ROOT)
    finally:
        os.unlink(path)
    if done.returncode != 0:
        raise RuntimeError(f"{config} failed:\n{done.stderr[-3000:]}")
    report = json.loads(done.stdout.strip().splitlines()[-1])
    report["growth"] = report["peak"] - report["before"]
    return report


SHAPES = {"straight": (straight_module, 2_000_000), "nested": (nested_module, 50_000)}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shape", choices=sorted(SHAPES), action="append")
    parser.add_argument("--size", type=int, help="body bytes (straight) or depth (nested)")
    parser.add_argument("--config", choices=sorted(CONFIGS), action="append")
    parser.add_argument("--json", help="also write the figures to this file")
    parser.add_argument("--child", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        path, engine, mode, argument = args.child
        _child(path, engine, None if mode == "-" else mode, int(argument))
        return 0
    rows = []
    for shape in args.shape or ["straight", "nested"]:
        build, default = SHAPES[shape]
        data, body_size, argument, expected = build(args.size or default)
        for config in args.config or list(CONFIGS):
            report = measure(data, config, argument)
            if report["result"] & _MASK != expected:
                raise SystemExit(f"{shape}/{config}: wrong result {report['result']} (expected {expected})")
            report.update(shape=shape, config=config, body=body_size)
            rows.append(report)
            print(
                f"{shape:9} {config:15} body {body_size:>9,} B  peak {report['peak'] / 2**20:8.1f} MiB  "
                f"growth {report['growth'] / 2**20:8.1f} MiB  {report['growth'] / body_size:7.1f} B/B  "
                f"{report['seconds']:6.2f} s{'  (interpreted)' if report['interpreted'] else ''}",
                flush=True,
            )
    print()
    print("| function | engine | body | peak RSS | growth | growth per body byte | time |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for r in rows:
        print(
            f"| {r['shape']} | {r['config']} | {r['body']:,} B | {r['peak'] / 2**20:.0f} MiB | "
            f"{r['growth'] / 2**20:.0f} MiB | {r['growth'] / r['body']:.0f} | {r['seconds']:.1f} s |"
        )
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rows, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
