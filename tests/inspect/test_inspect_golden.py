"""Golden tests of ``pywaz inspect MOD.wasm --func main --python``: the generated Python a user sees.

Each ``golden/<name>.wat`` (one per control construct and numeric family)
sits next to ``<name>.py.txt``, the reviewed output of the command. These go
through the CLI (argument parsing, function selection by name, rendering),
unlike tests/compiler/test_golden.py, which checks the compiler's source directly.
After an intended change, regenerate with ``PYWAZ_UPDATE_GOLDEN=1`` and review the diff.
"""

from __future__ import annotations

import math
import os
import subprocess
import sys
from pathlib import Path

import pytest
import wasmtime

from pywaz.cli import main
from pywaz.text import wat2wasm

GOLDEN = Path(__file__).parent / "golden"
CASES = sorted(p.stem for p in GOLDEN.glob("*.wat"))
REPO = Path(__file__).resolve().parents[2]


def inspect_python(tmp_path, name, capsys) -> str:
    module = tmp_path / f"{name}.wasm"
    module.write_bytes(wat2wasm((GOLDEN / f"{name}.wat").read_text()))
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


# The golden files are reviewed by eye; this checks the code they show also computes what a
# native runtime computes (including traps) on a few inputs per case.
INPUTS = {
    "block": [(0,), (5,)],
    "loop": [(0,), (10,), (100000,)],
    "if_else": [(0,), (5,), (200,), (-1,)],
    "br_table": [(0,), (1,), (2,), (3,), (-1,)],
    "nested_exit": [(0,), (1,), (7,)],
    "call": [(3, 0), (3, 1), (3, 2)],
    "return": [(0,), (1,)],
    "i32": [(7, -2), (123456789, 31), (5, 0), (-(2**31), -1)],
    "i64": [(2**62, 3), (-5, 7), (1, 0)],
    "f32": [(2.0, 3.5), (0.25, -0.0), (-4.0, 1.0)],
    "f64": [(2.5, -3.0), (-0.0, 0.0), (7.75, 2.0)],
    "conversions": [(1.5, 200), (-3.75, -1), (1e30, 5)],
    "memory": [(0,), (100,), (65530,)],
    "bulk_memory": [(0,), (65530,)],
    "reference_types": [(0,), (1,), (5,)],
    "simd": [(5,), (-1,)],
    "atomics": [(0,), (4,), (2,), (65528,), (65532,)],  # aligned, unaligned, out of bounds
}


def _outcome(function, *args):
    try:
        value = function(*args)
    except Exception as exc:  # noqa: BLE001 - a trap from either runtime; its kind is not compared
        return ("trap", type(exc).__name__.lower().endswith("trap") or "trap" in str(exc).lower())
    if isinstance(value, float) and math.isnan(value):
        return ("value", "nan")
    return ("value", value)


@pytest.mark.parametrize("name", CASES)
def test_golden_code_computes_what_wasmtime_computes(name):
    import pywaz

    wasm = wat2wasm((GOLDEN / f"{name}.wat").read_text())
    for args in INPUTS[name]:
        store = wasmtime.Store()
        native = wasmtime.Instance(store, wasmtime.Module(store.engine, wasm), [])
        expected = _outcome(native.exports(store)["main"], store, *args)
        with pywaz.Runtime(engine="compiler") as runtime:
            ours = runtime.instantiate(wasm).exports["main"]
            got = _outcome(ours, *args)
        assert got == expected, (name, args)
