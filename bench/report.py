#!/usr/bin/env python3
"""Turn a pytest-benchmark run into the markdown tables for the README.

Usage::

    python3 bench/report.py                      # run the suite, then report
    python3 bench/report.py --json results.json  # report an earlier --benchmark-json file
    python3 bench/report.py -- -k fib            # extra arguments go to pytest

Kernel table: median time per kernel and runner, and the ratios that matter
(pywaz compiler vs pywasm and vs plain Python, interpreter vs pywasm), each
with its geometric mean over the kernels measured by both sides. A ratio
"x N" reads "N times faster than" (the other time divided by pywaz's time).
Module tables: decode/validate throughput in MB/s and cold compile times.
The header records the date, Python version, machine and command.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import subprocess
import sys
import tempfile
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent

RUNNER_ORDER = ("pywaz-compiler", "pywaz-tiered", "pywaz-interpreter", "pywasm", "python", "wasmtime")
# (label, numerator runner, denominator runner): ratio = time(numerator) / time(denominator)
RATIOS = (
    ("compiler vs pywasm", "pywasm", "pywaz-compiler"),
    ("compiler vs plain Python", "python", "pywaz-compiler"),
    ("interpreter vs pywasm", "pywasm", "pywaz-interpreter"),
)


def format_seconds(seconds: float | None) -> str:
    """Human time with 3 significant digits ("12.3 ms", "4.56 s"); "-" for missing."""
    if seconds is None:
        return "-"
    if seconds >= 1:
        return f"{seconds:.3g} s"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.3g} ms"
    return f"{seconds * 1e6:.3g} µs"


def format_ratio(ratio: float | None) -> str:
    if ratio is None:
        return "-"
    if ratio >= 100:
        return f"x {ratio:,.0f}"
    return f"x {ratio:.3g}" if ratio >= 1 else f"x {ratio:.2g} (slower)"


def geometric_mean(values: list[float]) -> float | None:
    if not values:
        return None
    return math.exp(sum(math.log(v) for v in values) / len(values))


def kernel_table(benchmarks: list[dict]) -> list[str]:
    """Markdown lines: kernels x runners (median), ratio columns, geomean row."""
    times: dict[str, dict[str, float]] = {}
    sizes: dict[str, int] = {}
    for bench in benchmarks:
        info = bench.get("extra_info", {})
        if "kernel" not in info or "runner" not in info:
            continue
        times.setdefault(info["kernel"], {})[info["runner"]] = bench["stats"]["median"]
        sizes[info["kernel"]] = info.get("size")
    if not times:
        return []
    present = [r for r in RUNNER_ORDER if any(r in row for row in times.values())]
    ratios = [ratio for ratio in RATIOS if ratio[1] in present and ratio[2] in present]
    header = ["kernel", "n", *present, *(label for label, _, _ in ratios)]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    ratio_values: dict[str, list[float]] = {label: [] for label, _, _ in ratios}
    for kernel, row in times.items():
        cells = [kernel, str(sizes[kernel])] + [format_seconds(row.get(r)) for r in present]
        for label, slow, fast in ratios:
            ratio = row[slow] / row[fast] if slow in row and fast in row else None
            if ratio is not None:
                ratio_values[label].append(ratio)
            cells.append(format_ratio(ratio))
        lines.append("| " + " | ".join(cells) + " |")
    geo = ["**geometric mean**", ""] + [""] * len(present)
    geo += [format_ratio(geometric_mean(ratio_values[label])) for label, _, _ in ratios]
    lines.append("| " + " | ".join(geo) + " |")
    return lines


def _row_label(info: dict) -> str:
    """Module name, plus the scenario that tells rows of one group apart (cache suites)."""
    return " ".join(str(info[k]) for k in ("module", "scenario") if info.get(k) is not None)


def other_tables(benchmarks: list[dict]) -> list[str]:
    """Markdown lines for benchmarks that are neither kernels nor modules: name and times."""
    rows = [b for b in benchmarks if not {"kernel", "module", "fuel_kernel"} & set(b.get("extra_info", {}))]
    if not rows:
        return []
    lines = ["", "**other**", "", "| group | benchmark | min | median |", "|---|---|---|---|"]
    for bench in sorted(rows, key=lambda b: (b.get("group") or "", b["name"])):
        stats = bench["stats"]
        lines.append(
            f"| {bench.get('group') or '-'} | {bench['name']} | "
            f"{format_seconds(stats['min'])} | {format_seconds(stats['median'])} |"
        )
    return lines


def fuel_table(benchmarks: list[dict]) -> list[str]:
    """Markdown lines: each fuel kernel and engine without and with metering, and the overhead in %."""
    times: dict[tuple[str, str], dict[bool, float]] = {}
    for bench in benchmarks:
        info = bench.get("extra_info", {})
        if "fuel_kernel" in info:
            row = times.setdefault((info["fuel_kernel"], info["engine"]), {})
            row[bool(info["metered"])] = bench["stats"]["median"]
    if not times:
        return []
    lines = ["", "**fuel metering**", "", "| kernel | engine | no fuel | fuel | overhead |", "|---|---|---|---|---|"]
    for (kernel, engine), row in sorted(times.items()):
        plain, metered = row.get(False), row.get(True)
        overhead = f"{(metered / plain - 1) * 100:+.0f} %" if plain and metered else "-"
        lines.append(f"| {kernel} | {engine} | {format_seconds(plain)} | {format_seconds(metered)} | {overhead} |")
    return lines


def module_tables(benchmarks: list[dict]) -> list[str]:
    """Markdown lines: one table per non-kernel group (throughput where bytes are known)."""
    groups: dict[str, list[dict]] = {}
    for bench in benchmarks:
        info = bench.get("extra_info", {})
        if "module" in info:
            groups.setdefault(bench["group"], []).append(bench)
    lines: list[str] = []
    for group, rows in sorted(groups.items()):
        lines += ["", f"**{group}**", "", "| module | size | min | median | MB/s (median) |", "|---|---|---|---|---|"]
        for bench in sorted(rows, key=lambda b: _row_label(b["extra_info"])):
            info, stats = bench["extra_info"], bench["stats"]
            size = info.get("bytes")
            rate = f"{size / 1e6 / stats['median']:.3g}" if size else "-"
            size_text = f"{size / 1e6:.2f} MB" if size and size >= 1e6 else f"{size / 1e3:.1f} KB" if size else "-"
            lines.append(
                f"| {_row_label(info)} | {size_text} | {format_seconds(stats['min'])} | "
                f"{format_seconds(stats['median'])} | {rate} |"
            )
    return lines


def render(data: dict, command: str) -> str:
    """The whole markdown report for one pytest-benchmark JSON document."""
    machine = data.get("machine_info", {})
    benchmarks = data.get("benchmarks", [])
    python = machine.get("python_version") or platform.python_version()
    impl = machine.get("python_implementation") or platform.python_implementation()
    cpu = machine.get("cpu", {}).get("brand_raw") or machine.get("processor") or platform.processor() or "?"
    commit = data.get("commit_info", {}).get("id")
    lines = [
        "## Benchmarks",
        "",
        f"- date: {data.get('datetime', '?')}",
        f"- Python: {impl} {python}; machine: {machine.get('machine', platform.machine())}, {cpu}",
        f"- commit: {commit[:12] if commit else '?'}",
        f"- command: `{command}`",
        "",
        "Median wall time per call. Ratios: how many times faster pywaz is than the other runner.",
        "",
    ]
    kernels = kernel_table(benchmarks)
    lines += kernels if kernels else ["(no kernel benchmarks in this run)"]
    lines += module_tables(benchmarks)
    lines += fuel_table(benchmarks)
    lines += other_tables(benchmarks)
    return "\n".join(lines) + "\n"


def run_suite(json_path: Path, pytest_args: list[str]) -> tuple[int, str]:
    """Run ``pytest bench --benchmark-only`` writing JSON; return (exit code, command)."""
    # Paths among the extra arguments replace the default "whole bench/ directory".
    has_paths = any(not arg.startswith("-") and (REPO / arg.split("::")[0]).exists() for arg in pytest_args)
    targets = [] if has_paths else ["bench"]
    args = [sys.executable, "-m", "pytest", *targets, "--benchmark-only", f"--benchmark-json={json_path}", *pytest_args]
    command = " ".join(["python3", "-m", "pytest", *targets, "--benchmark-only", *pytest_args])
    env_knobs = [f"{k}={v}" for k, v in os.environ.items() if k.startswith("PYWAZ_BENCH_")]
    if env_knobs:
        command = " ".join(env_knobs) + " " + command
    return subprocess.run(args, cwd=REPO, check=False).returncode, command


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Markdown tables from pywaz's benchmark suite.")
    parser.add_argument("--json", type=Path, help="report this pytest-benchmark JSON instead of running")
    parser.add_argument("--output", type=Path, help="also write the markdown here")
    parser.add_argument("pytest_args", nargs="*", help="extra pytest arguments (after --)")
    args = parser.parse_args(argv)
    if args.json:
        data = json.loads(args.json.read_text())
        command = f"python3 bench/report.py --json {args.json}"
    else:
        with tempfile.TemporaryDirectory() as tmp:
            json_path = Path(tmp) / "bench.json"
            status, command = run_suite(json_path, args.pytest_args)
            if not json_path.exists():
                print(f"benchmark run failed (exit {status}) before writing results", file=sys.stderr)
                return status or 1
            data = json.loads(json_path.read_text())
    text = render(data, command)
    print(text)
    if args.output:
        args.output.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
