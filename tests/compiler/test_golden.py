"""Golden tests: each ``golden/<name>.wat`` next to the Python the compiler generates for it.

The expected files are reviewed like code. After an intended change to the
lowering, regenerate them with ``PYWAZ_UPDATE_GOLDEN=1`` and review the diff.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from pywaz.compiler.inspect import generated_source
from pywaz.text import wat2wasm

GOLDEN = Path(__file__).parent / "golden"
CASES = sorted(p.stem for p in GOLDEN.glob("*.wat"))


@pytest.mark.parametrize("name", CASES)
def test_generated_source_matches_golden(name):
    wasm = wat2wasm((GOLDEN / f"{name}.wat").read_text())
    source = generated_source(wasm, 0)
    expected_path = GOLDEN / f"{name}.py.txt"
    if os.environ.get("PYWAZ_UPDATE_GOLDEN"):
        expected_path.write_text(source)
    assert source == expected_path.read_text()
    compile(source, name, "exec")  # the golden file itself is valid Python
