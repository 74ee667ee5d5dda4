"""Peak memory of the compiler engine on one huge function, per byte of its body (issue 18).

Runs ``bench/compile_memory.py`` (each configuration in a fresh process,
peak RSS from ``getrusage``), which also checks the function's result. Before
functions above :data:`~pywaz.compiler.artifact.INTERPRET_ABOVE` went to the
interpreter, the 2 MB straight-line body cost ~920 bytes of peak RSS per body
byte and 50,000 nested if/else ~1,400; now both cost what the interpreter
costs (~35-50). The bounds here are several times the current figures: they
catch a return to compiling such functions whole, not noise.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from pywaz.compiler import artifact

SCRIPT = Path(__file__).resolve().parents[2] / "bench" / "compile_memory.py"


def _measure(tmp_path, shape: str, size: int, configs) -> list[dict]:
    out = tmp_path / f"{shape}.json"
    command = [sys.executable, str(SCRIPT), "--shape", shape, "--size", str(size), "--json", str(out)]
    for config in configs:
        command += ["--config", config]
    done = subprocess.run(command, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    return json.loads(out.read_text())


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="ru_maxrss is in KiB on Linux only")
@pytest.mark.parametrize(("shape", "size"), [("straight", 600_000), ("nested", 15_000)])
def test_huge_function_peak_memory_per_body_byte_is_bounded(tmp_path, shape, size):
    rows = _measure(tmp_path, shape, size, ["compiler-eager", "compiler-lazy", "interpreter"])
    by_config = {row["config"]: row for row in rows}
    assert all(row["body"] > artifact.INTERPRET_ABOVE for row in rows)
    interpreter = by_config["interpreter"]["growth"] / by_config["interpreter"]["body"]
    for config in ("compiler-eager", "compiler-lazy"):
        row = by_config[config]
        assert row["interpreted"]
        per_byte = row["growth"] / row["body"]
        # Whole-function compile: 920 (straight) and 1,400 (nested) bytes per body byte.
        assert per_byte < 200, f"{config}: {per_byte:.0f} bytes of peak RSS per body byte"
        assert per_byte < 3 * interpreter + 50, f"{config}: {per_byte:.0f} B/B, interpreter {interpreter:.0f}"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="ru_maxrss is in KiB on Linux only")
def test_largest_compiled_function_stays_within_its_bound(tmp_path):
    # Just under the limit the function is still compiled: CPython's compile()
    # costs ~940 bytes per body byte here, ~85 MiB in all.
    (row,) = _measure(tmp_path, "straight", artifact.INTERPRET_ABOVE - 1000, ["compiler-lazy"])
    assert row["body"] <= artifact.INTERPRET_ABOVE and not row["interpreted"]
    assert row["growth"] / row["body"] < 3000
    assert row["growth"] < 3000 * artifact.INTERPRET_ABOVE
