"""The WASI test programs under wasmtime (the native reference): recorded expectations.

These pin down what each program in src/ does on a correct WASI runtime, so the
differential tests that run pywaz against :func:`reference.run_wasmtime` compare
against known-good behaviour. Expected values are computed from the inputs
(Python's own count of words, sorted directory names, ...), not copied from a run.
"""

from __future__ import annotations

import os
import random

import pytest
from reference import PROGRAM_NAMES, program_path, run_wasmtime

wasmtime = pytest.importorskip("wasmtime")


def run(name, *args, **kwargs):
    return run_wasmtime(program_path(name), [name, *args], **kwargs)


@pytest.fixture
def sandbox(tmp_path):
    """A host dir with <tmp>/outside.txt (a secret) and <tmp>/sandbox (to preopen)."""
    (tmp_path / "outside.txt").write_bytes(b"SECRET outside the sandbox\n")
    inside = tmp_path / "sandbox"
    inside.mkdir()
    return inside


def test_every_source_has_a_built_wasi_command():
    engine = wasmtime.Engine()
    assert PROGRAM_NAMES, "no programs in tests/programs/src"
    for name in PROGRAM_NAMES:
        module = wasmtime.Module.from_file(engine, str(program_path(name)))
        assert {i.module for i in module.imports} == {"wasi_snapshot_preview1"}, name
        assert "_start" in [e.name for e in module.exports], name


def test_hello():
    assert run("hello") == (0, b"hello, world\n", b"")


def test_cat_copies_binary_stdin_exactly():
    data = bytes(range(256)) * 40 + random.Random(7).randbytes(5000)
    assert run("cat", stdin=data) == (0, data, b"")


def test_cat_empty_stdin():
    assert run("cat") == (0, b"", b"")


def test_cat_files_in_order_and_reports_missing(sandbox):
    (sandbox / "a").write_bytes(b"first\n")
    (sandbox / "b").write_bytes(b"second\n")
    result = run("cat", "/sandbox/a", "/sandbox/missing", "/sandbox/b", preopens={"/sandbox": sandbox})
    assert result.exit_code == 1
    assert result.stdout == b"first\nsecond\n"
    assert result.stderr == b"cat: /sandbox/missing: No such file or directory\n"


@pytest.mark.parametrize(
    "text",
    [b"", b"one", b"hello world\n", b"  lead and trail  \n\n", b"a\tb\rc\vd\fe\n" * 3, bytes(range(256)) * 20],
)
def test_wc_counts_like_python(text):
    lines = text.count(b"\n")
    expected = f"{lines} {len(text.split())} {len(text)}\n".encode()
    assert run("wc", stdin=text) == (0, expected, b"")


def test_copy_inside_preopen(sandbox):
    data = random.Random(1).randbytes(20_000)
    (sandbox / "src.bin").write_bytes(data)
    (sandbox / "out").mkdir()
    result = run("copy", "/sandbox/src.bin", "/sandbox/out/dst.bin", preopens={"/sandbox": sandbox})
    assert result == (0, b"copied 20000 bytes\n", b"")
    assert (sandbox / "out" / "dst.bin").read_bytes() == data


def test_copy_errors(sandbox):
    assert run("copy").exit_code == 2
    result = run("copy", "/sandbox/nope", "/sandbox/x", preopens={"/sandbox": sandbox})
    assert result == (1, b"", b"copy: /sandbox/nope: No such file or directory\n")
    assert not (sandbox / "x").exists()


def test_ls_sorted_with_kinds(sandbox):
    names = ["zeta.txt", "Alpha", "beta", "a b", "_u", "10", "9"]
    for i, name in enumerate(names):
        (sandbox / name).write_bytes(b"x" * i)
    (sandbox / "dir").mkdir()
    (sandbox / "dir" / "nested").write_bytes(b"")
    os.symlink("zeta.txt", sandbox / "link")
    expected = []
    for name in sorted(names + ["dir", "link"], key=os.fsencode):
        if name == "dir":
            expected.append("dir/")
        elif name == "link":
            expected.append("link@")
        else:
            expected.append(f"{name} {names.index(name)}")
    result = run("ls", "/sandbox", preopens={"/sandbox": sandbox})
    assert result == (0, ("\n".join(expected) + "\n").encode(), b"")
    result = run("ls", "/sandbox/dir", "/sandbox/dir", preopens={"/sandbox": sandbox})
    assert result.stdout == b"/sandbox/dir:\nnested 0\n/sandbox/dir:\nnested 0\n"


def test_ls_errors(sandbox):
    assert run("ls").exit_code == 2
    result = run("ls", "/sandbox/none", preopens={"/sandbox": sandbox})
    assert result == (1, b"", b"ls: /sandbox/none: No such file or directory\n")


def test_args_and_env_echo_in_order():
    args = ["plain", "with space", "", "ünïcode", "--flag=1"]
    env = [("B", "2"), ("A", "1"), ("EMPTY", ""), ("EQ", "x=y")]
    result = run("args", *args, env=env)
    lines = [f"argc {len(args) + 1}", "argv[0]=args"] + [f"argv[{i + 1}]={a}" for i, a in enumerate(args)]
    lines += [f"env {k}={v}" for k, v in env] + [f"envc {len(env)}"]
    assert result == (0, ("\n".join(lines) + "\n").encode(), b"")


def test_clock_facts():
    expected = b"monotonic: ok\nrealtime after 2020: yes\nresolution positive: yes\ntime() after 2020: yes\n"
    assert run("clock") == (0, expected, b"")


def test_random_facts():
    assert run("random") == (0, b"bytes not all equal: yes\ntwo draws differ: yes\n", b"")


@pytest.mark.parametrize("code", [0, 1, 3, 42, 125])
def test_exit_code(code):
    assert run("exitcode", str(code)) == (code, f"exiting with {code}\n".encode(), b"")


def test_exit_code_default_is_zero():
    assert run("exitcode") == (0, b"exiting with 0\n", b"")


# Attempts that are allowed to succeed because they stay inside the sandbox:
# creating a symlink (the link itself lives inside; following it must fail)
# and creating a plain file inside.
ALLOWED_OK = {"symlink ../outside.txt -> link-relative", "symlink .. -> link-parent", "create inside.txt"}


def test_escape_attempts_all_fail(sandbox):
    outside_before = sorted(os.listdir(sandbox.parent))
    result = run("escape", "/sandbox", preopens={"/sandbox": sandbox})
    assert result.exit_code == 0 and result.stderr == b""
    out = result.stdout.decode()
    assert "SECRET" not in out and "read:" not in out and "root:" not in out
    lines = out.splitlines()
    assert len(lines) == 17
    for line in lines:
        what, _, outcome = line.rpartition(": ")
        if what in ALLOWED_OK:
            continue
        assert outcome != "ok", line
        assert outcome.split()[0] in {"EPERM", "ENOTCAPABLE", "ENOENT", "EACCES", "ELOOP"}, line
    assert sorted(os.listdir(sandbox.parent)) == outside_before  # nothing created, moved or linked outside
    assert (sandbox / "inside.txt").read_bytes() == b"inside\n"


def test_escape_without_preopen_touches_nothing(tmp_path):
    result = run("escape")
    assert result.exit_code == 0
    assert "read:" not in result.stdout.decode()
    assert all(not line.endswith(": ok") for line in result.stdout.decode().splitlines())
