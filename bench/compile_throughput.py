"""Compile throughput of large real modules against the native reference, in one run (issue 17, item 3).

For each module (default: esbuild and swc from ``scripts/fetch_modules.py``, or
``--module PATH``), in fresh subprocesses, interleaved round by round so every
configuration sees the same machine load:

* ``native``: ``wasmtime.Module(wasmtime.Engine(), data)`` (the reference,
  wasmtime-py pinned in constraints.txt; it compiles on every core);
* ``eager wN``: bytes to a fully compiled pywaz artifact (decode, validate and
  compile every function: ``Runtime(engine="compiler", compile_mode="eager")``
  ``.compile_module``) with ``CompileOptions.workers = N``;
* ``lazy ready``: bytes to a callable lazy-compiler module (decode, validate,
  nothing compiled).

Each child reports its wall time and the CPU time of itself and its workers.
The table gives the best of ``--rounds`` per configuration and each one's ratio
to the native compile of the same round (median over rounds). On a shared
machine the wall times follow the load (Linux schedules each session as one
group, so workers gain nothing while other sessions keep the cores busy); the
idle-core estimate (this process's CPU plus its workers' CPU divided by their
number) is what the wall time would be on otherwise idle cores.

    .venv/bin/python bench/compile_throughput.py                    # esbuild and swc, markdown table
    .venv/bin/python bench/compile_throughput.py --only esbuild --rounds 3 --json out.json
    .venv/bin/python bench/compile_throughput.py --module some.wasm --workers 1 2 4
    .venv/bin/python bench/compile_throughput.py --break-even      # in-process vs 2 workers on small modules
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYWAZ_ROOT = ROOT  # the pywaz tree measured (--pywaz: another checkout, for before/after figures)
sys.path.insert(0, str(ROOT / "scripts"))

_CHILD = r"""
import json, resource, sys, time
sys.path.insert(0, {root!r})
kind, path, workers = {kind!r}, {path!r}, {workers!r}
data = open(path, "rb").read()
def cpu():
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime, children.ru_utime + children.ru_stime
if kind == "native":
    import wasmtime
    engine = wasmtime.Engine()
    start, cpu0 = time.perf_counter(), cpu()
    wasmtime.Module(engine, data)
else:
    import pywaz
    assert pywaz.__file__.startswith({root!r}), pywaz.__file__
    from pywaz.api import CompileOptions
    mode = "lazy" if kind == "lazy" else "eager"
    runtime = pywaz.Runtime(engine="compiler", compile_mode=mode)
    if "workers" in getattr(CompileOptions, "__record_fields__", ()):
        runtime.options = CompileOptions(compile_mode=mode, keep_sources=runtime.options.keep_sources,
                                         workers=workers)
    import pywaz.compiler.lower, pywaz.decoder, pywaz.validator  # imports are not compile time
    start, cpu0 = time.perf_counter(), cpu()
    module = runtime.compile_module(data)
wall = time.perf_counter() - start
own, children = cpu()
print(json.dumps({{"wall": wall, "cpu": own + children - sum(cpu0), "own_cpu": own - cpu0[0],
                  "workers_cpu": children - cpu0[1]}}))
"""


def measure(kind: str, path: Path, workers: int | None = None) -> dict:
    """Run one configuration in a fresh interpreter; its wall and CPU seconds."""
    script = _CHILD.format(root=str(PYWAZ_ROOT), kind=kind, path=str(path), workers=workers)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=3600)
    if done.returncode != 0:
        raise SystemExit(f"{kind} on {path.name} failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def modules(args) -> list[tuple[str, Path]]:
    if args.module:
        return [(Path(p).stem, Path(p)) for p in args.module]
    import fetch_modules

    found = []
    for key in args.only or ("esbuild", "swc"):
        path = fetch_modules.module_path(key)
        if not path.is_file():
            raise SystemExit(f"{path} is absent: run `python3 scripts/fetch_modules.py --only {key}` first")
        found.append((key, path))
    return found


def run(args) -> list[dict]:
    rows = []
    for name, path in modules(args):
        configs = [("native", None)] + [("eager", w) for w in args.workers] + ([] if args.no_lazy else [("lazy", 1)])
        rounds: dict = {config: [] for config in configs}
        for _ in range(args.rounds):
            for kind, workers in configs:
                result = measure(kind, path, workers)
                rounds[(kind, workers)].append(result)
                print(f"  {name} {kind} w={workers}: {result['wall']:.2f} s wall, {result['cpu']:.2f} s cpu",
                      file=sys.stderr, flush=True)
        native = [r["wall"] for r in rounds[("native", None)]]
        for (kind, workers), results in rounds.items():
            walls = [r["wall"] for r in results]
            rows.append({
                "module": name,
                "bytes": path.stat().st_size,
                "config": "native" if kind == "native" else "lazy ready" if kind == "lazy" else f"eager w{workers}",
                "best_wall": min(walls),
                "best_cpu": min(r["cpu"] for r in results),
                # On idle cores: this process's CPU plus the busiest worker's (work is shared out evenly).
                "idle_estimate": min(r.get("own_cpu", r["cpu"]) + r.get("workers_cpu", 0.0) / (workers or 1)
                                     for r in results) if kind != "native" else None,
                "ratio_to_native": statistics.median(w / n for w, n in zip(walls, native)),
                "walls": walls,
            })
    return rows


def table(rows: list[dict]) -> str:
    lines = [
        f"Python {platform.python_version()}, {os.cpu_count()} CPUs; best wall (CPU incl. workers) and the median "
        "ratio to the native compile of the same round",
        "",
        "| module | configuration | wall s | CPU s | idle-core estimate s | MB/s | x native (wall) |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        rate = row["bytes"] / row["best_wall"] / 1e6
        estimate = f"{row['idle_estimate']:.2f}" if row.get("idle_estimate") is not None else ""
        lines.append(
            f"| {row['module']} ({row['bytes'] / 1e6:.1f} MB) | {row['config']} | {row['best_wall']:.2f} | "
            f"{row['best_cpu']:.2f} | {estimate} | {rate:.2f} | {row['ratio_to_native']:.2f} |"
        )
    return "\n".join(lines)


def break_even(args) -> None:
    """In-process against two workers on modules of increasing code size (the PARALLEL_ABOVE choice)."""
    candidates = sorted((ROOT / "tests" / "programs").glob("**/*.wasm")) + [Path(p) for p in args.module or ()]
    data_dir = ROOT / "bench" / ".data"
    candidates += sorted(data_dir.glob("*/*.wasm"))[:3] if data_dir.is_dir() else []
    print("| module | KB | eager w1 s | eager w2 s |")
    print("|---|---|---|---|")
    seen = set()
    for path in candidates:
        if path.stat().st_size in seen or path.stat().st_size > 3_000_000:
            continue
        seen.add(path.stat().st_size)
        one = min(measure("eager", path, 1)["wall"] for _ in range(args.rounds))
        two = min(measure("eager", path, 2)["wall"] for _ in range(args.rounds))
        print(f"| {path.stem} | {path.stat().st_size // 1024} | {one:.3f} | {two:.3f} |", flush=True)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", action="append", metavar="KEY", help="a fetch_modules key (repeatable)")
    parser.add_argument("--module", action="append", metavar="PATH", help="a .wasm file instead (repeatable)")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2], help="worker counts (default: 1 2)")
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--no-lazy", action="store_true", help="skip the lazy ready time")
    parser.add_argument("--json", metavar="FILE", help="also write the rows as JSON")
    parser.add_argument("--break-even", action="store_true", help="measure where workers start to pay")
    parser.add_argument("--pywaz", metavar="DIR", help="measure the pywaz package of this source tree instead")
    args = parser.parse_args(argv)
    if args.pywaz:
        global PYWAZ_ROOT
        PYWAZ_ROOT = Path(args.pywaz).resolve()
    if args.break_even:
        break_even(args)
        return 0
    rows = run(args)
    print(table(rows))
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
