"""Golden tests of ``pywaz inspect MOD.wasm --func main --python``: the generated Python a user sees.

Each ``golden/<name>.wat`` (one per control construct and numeric family)
sits next to ``<name>.py.txt``, the reviewed output of the command. These go
through the CLI (argument parsing, function selection by name, rendering),
unlike tests/compiler/test_golden.py, which checks the compiler's source directly.
After an intended change, regenerate with ``PYWAZ_UPDATE_GOLDEN=1`` and review the diff.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import wasmtime

from pywaz.cli import main

GOLDEN = Path(__file__).parent / "golden"
CASES = sorted(p.stem for p in GOLDEN.glob("*.wat"))
REPO = Path(__file__).resolve().parents[2]


def inspect_python(tmp_path, name, capsys) -> str:
    module = tmp_path / f"{name}.wasm"
    module.write_bytes(wasmtime.wat2wasm((GOLDEN / f"{name}.wat").read_text()))
    status = main(["inspect", str(module), "--func", "main", "--python", "--color", "never"])
    captured = capsys.readouterr()
    assert status == 0 and captured.err == ""
    return captured.out


def generated_part(output: str) -> str:
    """The Python source after the ``# generated Python`` marker."""
    marker = "# generated Python\n"
    assert marker in output
    return output.split(marker, 1)[1]


def test_every_construct_and_family_has_a_case():
    wanted = {"block", "loop", "if_else", "br_table", "nested_exit", "call", "return"}
    wanted |= {"i32", "i64", "f32", "f64", "conversions", "memory", "bulk_memory", "reference_types", "simd"}
    assert wanted <= set(CASES)
    assert all((GOLDEN / f"{name}.py.txt").exists() for name in CASES)


@pytest.mark.parametrize("name", CASES)
def test_inspect_python_matches_golden(name, tmp_path, capsys):
    output = inspect_python(tmp_path, name, capsys)
    expected_path = GOLDEN / f"{name}.py.txt"
    if os.environ.get("PYWAZ_UPDATE_GOLDEN"):
        expected_path.write_text(output)
    assert output == expected_path.read_text()
    source = generated_part(output)
    compile(source, f"{name}.py.txt", "exec")  # what the user sees is valid Python
    assert "# wasm@0x" in source  # with the offset comments that map it back to the wasm


def test_module_entry_point_prints_the_same(tmp_path, capsys):
    expected = inspect_python(tmp_path, "br_table", capsys)
    proc = subprocess.run(
        [sys.executable, "-m", "pywaz", "inspect", str(tmp_path / "br_table.wasm"), "--func", "main", "--python"],
        capture_output=True,
        text=True,
        check=False,
        cwd=REPO,
        env={**os.environ, "NO_COLOR": "1"},
    )
    assert proc.returncode == 0 and proc.stdout == expected
