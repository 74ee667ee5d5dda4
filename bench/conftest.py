"""pytest setup for the benchmark suites (``make bench``).

bench/ is not a package: put it on sys.path so the suites can import
``runners`` and ``benchutil`` (see benchutil.py for the environment knobs).
"""

from __future__ import annotations

import sys
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
if str(BENCH_DIR) not in sys.path:
    sys.path.insert(0, str(BENCH_DIR))
