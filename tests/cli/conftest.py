"""Fixtures for ``pywaz run`` tests: run the CLI in a subprocess, as users do.

``pywaz_run(*argv, stdin=b"", cache=..., cwd=None)`` runs ``python -m pywaz run
--cache-dir CACHE *argv`` and returns a :class:`Completed` (exit code, stdout,
stderr). The cache directory is shared by the session so each program is
compiled once; tests that are about the cache pass their own.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import NamedTuple

import pytest

REPO = Path(__file__).resolve().parents[2]
PROGRAMS = REPO / "tests" / "programs"


class Completed(NamedTuple):
    exit_code: int
    stdout: bytes
    stderr: bytes


def run_cli(argv, stdin: bytes = b"", cwd=None, env=None) -> Completed:
    """``python -m pywaz ARGV`` in a subprocess with pywaz importable from this checkout."""
    environ = dict(os.environ)
    environ["PYTHONPATH"] = str(REPO) + os.pathsep + environ.get("PYTHONPATH", "")
    environ.update(env or {})
    proc = subprocess.run(
        [sys.executable, "-m", "pywaz", *map(str, argv)],
        input=stdin, capture_output=True, cwd=cwd, env=environ, timeout=300, check=False,
    )
    return Completed(proc.returncode, proc.stdout, proc.stderr)


@pytest.fixture(scope="session")
def shared_cache(tmp_path_factory):
    return tmp_path_factory.mktemp("pywaz-cache")


@pytest.fixture
def pywaz_run(shared_cache):
    def run(*argv, stdin: bytes = b"", cache=None, cwd=None, env=None) -> Completed:
        cache_args = ["--no-cache"] if cache is False else ["--cache-dir", cache or shared_cache]
        return run_cli(["run", *cache_args, *argv], stdin=stdin, cwd=cwd, env=env)

    return run


@pytest.fixture(scope="session")
def reference():
    """tests/programs/reference.py (wasmtime), or skip when the programs or wasmtime are absent."""
    if not (PROGRAMS / "reference.py").is_file() or not any((PROGRAMS / "wasm").glob("*.wasm")):
        pytest.skip("tests/programs (the WASI C programs) are not present")
    pytest.importorskip("wasmtime")
    sys.path.insert(0, str(PROGRAMS))
    try:
        import reference as module
    finally:
        sys.path.remove(str(PROGRAMS))
    return module
