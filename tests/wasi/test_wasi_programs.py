"""End to end: C programs built for wasm32-wasi behave under pywaz exactly as under wasmtime.

Each program runs twice on identical fresh sandboxes -- once with wasmtime
(the native reference), once with pywaz -- and stdout, stderr, the exit code
and the final sandbox tree must be equal.
"""

from __future__ import annotations

import pytest
from _wasireference import compile_program, run_pywaz, run_wasmtime

pytest.importorskip("wasmtime")

CASES = {
    "files": dict(args=["files"], env=[], stdin=b""),
    "stdio": dict(args=["stdio", "42", "two words"], env=[("GREETING", "hi there"), ("X", "1")],
                  stdin=b"some input\nline two\n\xff\x00end"),
    "timing": dict(args=["timing"], env=[], stdin=b""),
    "meta": dict(args=["meta"], env=[], stdin=b""),
    "dirs": dict(args=["dirs"], env=[], stdin=b"typed on stdin\n"),
}


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    out_dir = str(tmp_path_factory.mktemp("wasm"))
    programs = {name: compile_program(name, out_dir) for name in CASES}
    if not all(programs.values()):
        pytest.skip("clang with the wasm32-wasi sysroot is not available")
    return programs


def fresh_sandbox(base):
    base.mkdir()
    (base / "sandbox").mkdir()
    (base / "sandbox" / "data.txt").write_bytes(b"existing file\n")
    (base / "secret.txt").write_bytes(b"outside the sandbox\n")
    return str(base / "sandbox")


@pytest.mark.parametrize("engine", ["interpreter", "compiler"])
@pytest.mark.parametrize("name", sorted(CASES))
def test_program_matches_wasmtime(built, tmp_path, name, engine):
    case = CASES[name]
    expected = run_wasmtime(built[name], case["args"], case["env"], case["stdin"],
                            fresh_sandbox(tmp_path / "reference"), str(tmp_path))
    actual = run_pywaz(built[name], case["args"], case["env"], case["stdin"],
                       fresh_sandbox(tmp_path / "pywaz"), engine)
    assert actual.stdout.decode(errors="replace") == expected.stdout.decode(errors="replace")
    assert actual.stderr == expected.stderr
    assert actual.exit_code == expected.exit_code
    assert actual.tree == expected.tree
    assert expected.stdout  # the program really ran
