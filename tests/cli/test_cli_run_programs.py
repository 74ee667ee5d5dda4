"""Each WASI program in tests/programs through ``pywaz run`` matches wasmtime (tests/programs/reference.py).

Same stdout, stderr, exit code, and the same files left in the preopened
directory. Programs run with the default engine (the compiler) and a disk
cache; ``--dir HOST::GUEST`` and ``--dir HOST`` preopen like wasmtime's
``preopen_dir(host, guest)``. Skips when the programs or wasmtime are absent.
"""

from __future__ import annotations

import os
import random

import pytest


def snapshot(root) -> dict:
    """Every entry under ``root``: file contents, "dir", or ("symlink", target)."""
    tree = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            path = os.path.join(dirpath, name)
            rel = os.path.relpath(path, root)
            if os.path.islink(path):
                tree[rel] = ("symlink", os.readlink(path))
            elif os.path.isdir(path):
                tree[rel] = "dir"
            else:
                with open(path, "rb") as handle:
                    tree[rel] = handle.read()
    return tree


@pytest.fixture
def both(reference, pywaz_run, tmp_path):
    """``compare(name, *args, stdin=b"", populate=None)``: run under both with a fresh /sandbox each.

    ``populate(dir)`` fills each sandbox identically before the run. Returns the
    pywaz result after asserting it equals wasmtime's (output, exit code, files).
    """

    def compare(name, *args, stdin=b"", populate=None, guest="/sandbox"):
        trees = {}
        results = {}
        runs = len(list(tmp_path.iterdir()))
        for side in ("ref", "ours"):
            base = tmp_path / f"{side}{runs}"
            sandbox = base / "sandbox"
            sandbox.mkdir(parents=True)
            (base / "outside.txt").write_bytes(b"SECRET outside the sandbox\n")
            if populate is not None:
                populate(sandbox)
            path = reference.program_path(name)
            if side == "ref":
                results[side] = tuple(reference.run_wasmtime(
                    path, [str(path), *args], stdin=stdin, preopens={guest: sandbox}))
            else:
                results[side] = tuple(pywaz_run("--dir", f"{sandbox}::{guest}", path, *args, stdin=stdin))
            trees[side] = snapshot(base)
        assert results["ours"] == results["ref"]
        assert trees["ours"] == trees["ref"]
        return results["ours"]

    return compare


def test_hello(both):
    assert both("hello") == (0, b"hello, world\n", b"")


def test_cat_binary_stdin(both):
    data = bytes(range(256)) * 20 + random.Random(1).randbytes(3000)
    assert both("cat", stdin=data)[1] == data


def test_cat_files_and_a_missing_one(both):
    def populate(sandbox):
        (sandbox / "a").write_bytes(b"first\n")
        (sandbox / "b").write_bytes(b"second\n")

    code, out, err = both("cat", "/sandbox/a", "/sandbox/missing", "/sandbox/b", populate=populate)
    assert (code, out) == (1, b"first\nsecond\n") and b"missing" in err


def test_wc(both):
    text = b"one two  three\n\tfour\nfive six\r\nseven"
    _, out, _ = both("wc", stdin=text)
    lines = text.count(b"\n")
    assert out == f"{lines} {len(text.split())} {len(text)}\n".encode()


def test_copy_creates_the_file_inside_the_preopen(both):
    payload = random.Random(2).randbytes(70000)

    def populate(sandbox):
        (sandbox / "src.bin").write_bytes(payload)
        (sandbox / "out").mkdir()

    code, out, _ = both("copy", "/sandbox/src.bin", "/sandbox/out/dst.bin", populate=populate)
    assert (code, out) == (0, f"copied {len(payload)} bytes\n".encode())


def test_copy_errors(both):
    assert both("copy")[0] == 2
    assert both("copy", "/sandbox/nope", "/sandbox/x")[0] == 1


def test_ls(both):
    def populate(sandbox):
        (sandbox / "dir").mkdir()
        (sandbox / "dir" / "inner").write_bytes(b"12345")
        (sandbox / "b.txt").write_bytes(b"xy")
        os.symlink("b.txt", sandbox / "link")

    code, out, _ = both("ls", "/sandbox", "/sandbox/dir", populate=populate)
    assert code == 0 and b"dir/" in out and b"link@" in out


def test_args_env_and_option_like_arguments(reference, pywaz_run):
    path = reference.program_path("args")
    args = ["--dir", "x", "--env", "A=B", "--", "-v", "two words", ""]
    env = [("ZED", "last"), ("ALPHA", "a=b=c"), ("EMPTY", "")]
    expected = reference.run_wasmtime(path, [str(path), *args], env=env)
    actual = pywaz_run(*[f"--env={k}={v}" for k, v in env], path, *args)
    assert tuple(actual) == tuple(expected)
    assert b"argv[2]=x\n" in actual.stdout and b"env ALPHA=a=b=c\n" in actual.stdout


@pytest.mark.parametrize("code", [0, 1, 3, 42, 125])
def test_exit_codes(reference, pywaz_run, code):
    path = reference.program_path("exitcode")
    expected = reference.run_wasmtime(path, [str(path), str(code)])
    assert tuple(pywaz_run(path, str(code))) == tuple(expected)
    assert expected.exit_code == code


@pytest.mark.parametrize("name", ["clock", "random"])
def test_clock_and_random_facts(both, name):
    assert both(name)[0] == 0


def test_escape_attempts_are_refused_like_wasmtime(both):
    _, out, _ = both("escape", "/sandbox")
    assert b"SECRET" not in out


def test_dir_without_guest_name_uses_the_host_path(reference, pywaz_run, tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    (data / "f").write_bytes(b"abc")
    path = reference.program_path("ls")
    expected = reference.run_wasmtime(path, [str(path), "data"], preopens={"data": data})
    actual = pywaz_run("--dir", "data", path, "data", cwd=tmp_path)
    assert tuple(actual) == tuple(expected)
    assert actual.stdout == b"f 3\n"


def test_exit_status_beyond_eight_bits_is_not_reported_as_success(reference, pywaz_run):
    result = pywaz_run(reference.program_path("exitcode"), "256")
    assert result.stdout == b"exiting with 256\n"
    assert result.exit_code == 1
    assert result.stderr.decode().splitlines() == [
        (f"pywaz run: {reference.program_path('exitcode')}: the program exited with status 256, which does not "
         "fit a process exit status (0-255); exiting with 1")]


@pytest.mark.parametrize("engine", ["interpreter", "compiler"])
@pytest.mark.parametrize("mode", ["lazy", "eager"])
def test_every_engine_and_mode_gives_the_same_wc(reference, pywaz_run, engine, mode):
    text = b"alpha beta\ngamma\n\n delta "
    path = reference.program_path("wc")
    expected = reference.run_wasmtime(path, [str(path)], stdin=text)
    assert tuple(pywaz_run("--engine", engine, "--compile-mode", mode, path, stdin=text)) == tuple(expected)
