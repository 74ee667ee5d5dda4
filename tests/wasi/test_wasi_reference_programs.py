"""The C programs of tests/programs under pywaz vs tests/programs/reference.py (wasmtime).

Each case gives argv, environment, stdin and a sandbox layout; both runtimes
start from identical fresh sandboxes, with a file outside the sandbox to
tempt escapes. Exit code, stdout, stderr and the sandbox afterwards (and the
untouched outside) must be equal.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import pytest
from _wasireference import run_pywaz, snapshot

pytest.importorskip("wasmtime")

PROGRAMS = Path(__file__).resolve().parents[1] / "programs"


def _load_reference():
    path = PROGRAMS / "reference.py"
    if not path.is_file():
        return None
    spec = importlib.util.spec_from_file_location("_pywaz_wasi_reference_programs", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


reference = _load_reference()

TEXT = b"first line\nsecond  line with\twords\n\nlast line without newline"
CASES = {
    "hello": dict(args=["hello"]),
    "args": dict(args=["args", "a b", "", "\u00fcml\u00e4ut", "--flag=1"], env=[("A", "1"), ("B", "x=y"), ("EMPTY", "")]),
    "cat-stdin": dict(program="cat", args=["cat"], stdin=TEXT + bytes(range(256))),
    "cat-files": dict(program="cat", args=["cat", "/sandbox/data.txt", "/sandbox/sub/inner.txt"]),
    "cat-missing": dict(program="cat", args=["cat", "/sandbox/data.txt", "/sandbox/nope"]),
    "cat-outside": dict(program="cat", args=["cat", "/sandbox/../outside.txt"]),
    "copy": dict(args=["copy", "/sandbox/data.txt", "/sandbox/sub/copied.txt"]),
    "copy-big": dict(program="copy", args=["copy", "/sandbox/big.bin", "/sandbox/big-copy.bin"]),
    "copy-escape": dict(program="copy", args=["copy", "/sandbox/data.txt", "/sandbox/../stolen.txt"]),
    "copy-usage": dict(program="copy", args=["copy"]),
    "escape": dict(args=["escape", "/sandbox"]),
    "exitcode": dict(args=["exitcode", "42"]),
    "exitcode-zero": dict(program="exitcode", args=["exitcode"]),
    "ls": dict(args=["ls", "/sandbox", "/sandbox/sub"]),
    "ls-missing": dict(program="ls", args=["ls", "/sandbox/nope"]),
    "wc": dict(args=["wc"], stdin=TEXT * 50),
    "clock": dict(args=["clock"]),
    "random": dict(args=["random"]),
}


def populate(base: Path) -> Path:
    sandbox = base / "sandbox"
    (sandbox / "sub").mkdir(parents=True)
    (sandbox / "data.txt").write_bytes(TEXT)
    (sandbox / "sub" / "inner.txt").write_bytes(b"inner\n")
    (sandbox / "big.bin").write_bytes(bytes(range(256)) * 700)
    os.symlink("data.txt", sandbox / "link")
    (base / "outside.txt").write_bytes(b"OUTSIDE - must never be read\n")
    return sandbox


@pytest.mark.skipif(reference is None, reason="tests/programs/reference.py has not landed")
@pytest.mark.parametrize("case", sorted(CASES))
def test_program_matches_reference(case, tmp_path):
    spec = CASES[case]
    program = reference.program_path(spec.get("program", case))
    if not program.is_file():
        pytest.skip(f"{program.name} is not built")
    args, env, stdin = spec["args"], spec.get("env", []), spec.get("stdin", b"")
    ref_sandbox = populate(tmp_path / "ref")
    expected = reference.run_wasmtime(program, args, env, stdin, {"/sandbox": ref_sandbox})
    our_sandbox = populate(tmp_path / "ours")
    actual = run_pywaz(str(program), args, env, stdin, str(our_sandbox), "interpreter")
    assert actual.stdout.decode(errors="replace") == expected.stdout.decode(errors="replace")
    assert (actual.exit_code, actual.stdout, actual.stderr) == tuple(expected)
    assert actual.tree == snapshot(str(ref_sandbox))
    assert snapshot(str(tmp_path / "ours")) == snapshot(str(tmp_path / "ref"))  # outside.txt untouched too
