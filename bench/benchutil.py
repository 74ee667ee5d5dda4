"""Helpers shared by the benchmark suites: runner selection and environment info.

Environment knobs (all optional):

- ``PYWAZ_BENCH_RUNNERS``: comma-separated runners to measure
  (default: pywaz-compiler,pywaz-tiered,pywaz-interpreter,pywasm,python).
- ``PYWAZ_BENCH_QUICK=1``: use each kernel's largest test size instead of its
  benchmark size (a smoke run of the harness; numbers are not comparable).
"""

from __future__ import annotations

import os
import platform

import runners

DEFAULT_RUNNERS = ("pywaz-compiler", "pywaz-tiered", "pywaz-interpreter", "pywasm", "python")


def selected_runners() -> tuple[str, ...]:
    """Runners to measure, from PYWAZ_BENCH_RUNNERS or the default set."""
    raw = os.environ.get("PYWAZ_BENCH_RUNNERS", "")
    chosen = tuple(r.strip() for r in raw.split(",") if r.strip()) or DEFAULT_RUNNERS
    unknown = set(chosen) - set(runners.RUNNERS)
    if unknown:
        raise ValueError(f"PYWAZ_BENCH_RUNNERS: unknown runner(s) {sorted(unknown)}; known: {runners.RUNNERS}")
    return chosen


def quick() -> bool:
    return os.environ.get("PYWAZ_BENCH_QUICK", "") not in ("", "0")


def environment_info() -> dict:
    """Recorded next to every number (STYLE.md: record the Python version)."""
    return {
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "machine": platform.machine(),
    }
