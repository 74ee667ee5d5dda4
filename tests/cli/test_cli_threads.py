"""The CLI with the threads proposal: atomics run, ``--disable threads`` refuses them, inspect shows them."""

from __future__ import annotations

import json

import pytest

from pywaz.cli import exitcodes, main

WAT = """(module
  (memory (export "memory") 1 2 shared)
  (func (export "bump") (param i32) (result i32) (i32.atomic.rmw.add (local.get 0) (i32.const 1)))
  (func (export "fence") (atomic.fence)))"""


def cli(capsys, *argv):
    try:
        status = main([str(arg) for arg in argv])
    except SystemExit as exit_:
        status = exit_.code
    captured = capsys.readouterr()
    return status, captured.out, captured.err


@pytest.fixture
def module(tmp_path):
    path = tmp_path / "atomics.wat"
    path.write_text(WAT)
    return path


def test_run_invokes_atomics_and_reports_their_traps(capsys, module):
    status, out, _ = cli(capsys, "run", "--no-cache", "--invoke", "bump", module, "8")
    assert status == exitcodes.OK and out.strip() == "0"
    status, _, err = cli(capsys, "run", "--no-cache", "--invoke", "bump", module, "2")
    assert status == exitcodes.TRAP and "unaligned atomic" in err and "Traceback" not in err


def test_disable_threads_refuses_shared_memories_and_atomics(capsys, module, tmp_path):
    status, _, err = cli(capsys, "run", "--no-cache", "--disable", "threads", "--invoke", "fence", module)
    assert status == exitcodes.UNSUPPORTED
    assert "threads proposal is not enabled: shared memory" in err and err.count("\n") == 1
    fence_only = tmp_path / "fence.wat"
    fence_only.write_text("(module (func (export \"f\") (atomic.fence)))")
    status, _, err = cli(capsys, "run", "--no-cache", "--disable", "threads", "--invoke", "f", fence_only)
    assert status == exitcodes.UNSUPPORTED and "illegal opcode 0xfe (the threads proposal" in err


def test_inspect_shows_shared_memories_and_atomic_instructions(capsys, module):
    status, out, _ = cli(capsys, "inspect", module, "--color", "never")
    assert status == exitcodes.OK
    assert "features: threads" in out
    header = next(line for line in out.splitlines() if "min pages" in line)
    assert header.split() == ["index", "min", "pages", "max", "pages", "address", "shared", "imported"]
    status, out, _ = cli(capsys, "inspect", module, "--func", "bump", "--wasm", "--python", "--color", "never")
    assert "i32.atomic.rmw.add" in out and "if l0 & 3: _trap_unaligned()" in out
    assert "_st_u32(_m, l0, (_ta + 1) & 0xFFFFFFFF)" in out
    status, out, _ = cli(capsys, "inspect", module, "--json")
    summary = json.loads(out)["summary"]
    assert summary["memories"][0]["shared"] is True
    assert "threads" in [feature["name"] for feature in summary["features"]]
