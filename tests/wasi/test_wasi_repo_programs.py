"""Every WASI command checked into tests/programs/ behaves under pywaz as under wasmtime.

Picks up each ``tests/programs/**/*.wasm`` that imports
``wasi_snapshot_preview1`` and exports ``_start``; runs it without arguments
on an empty sandbox preopened as ``/sandbox`` and compares stdout, stderr,
exit code and the sandbox afterwards. Skips when there are none.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from _wasireference import run_pywaz, run_wasmtime

wasmtime = pytest.importorskip("wasmtime")

PROGRAMS = Path(__file__).resolve().parents[1] / "programs"


def _wasi_commands() -> list[Path]:
    found = []
    engine = wasmtime.Engine()
    for path in sorted(PROGRAMS.rglob("*.wasm")):
        try:
            module = wasmtime.Module.from_file(engine, str(path))
        except wasmtime.WasmtimeError:
            continue
        if any(i.module == "wasi_snapshot_preview1" for i in module.imports) and any(
            e.name == "_start" for e in module.exports
        ):
            found.append(path)
    return found


COMMANDS = _wasi_commands() if PROGRAMS.is_dir() else []


@pytest.mark.skipif(not COMMANDS, reason="no WASI commands in tests/programs yet")
@pytest.mark.parametrize("program", COMMANDS, ids=[p.stem for p in COMMANDS])
def test_repo_program_matches_wasmtime(program, tmp_path):
    (tmp_path / "ref").mkdir()
    (tmp_path / "ours").mkdir()
    expected = run_wasmtime(str(program), [program.stem], [], b"", str(tmp_path / "ref"), str(tmp_path))
    actual = run_pywaz(str(program), [program.stem], [], b"", str(tmp_path / "ours"), "interpreter")
    assert (actual.exit_code, actual.stdout, actual.stderr, actual.tree) == (
        expected.exit_code, expected.stdout, expected.stderr, expected.tree)
