"""``python -m pywaz.demo`` (``make demo``): runs WASI programs through ``pywaz run``, cold then warm.

The default demo summarises hello.wasm, runs it and wc twice each with a
temporary cache (the second run must be a disk hit that compiles nothing),
checks wc's count against Python's and deletes the cache afterwards.
"""

from __future__ import annotations

import re
import tempfile

import pytest

from pywaz import demo
from pywaz.text import wat2wasm
from tests.cli.conftest import PROGRAMS

HELLO = PROGRAMS / "wasm" / "hello.wasm"


@pytest.mark.skipif(not HELLO.is_file(), reason="tests/programs are not present")
def test_default_demo_runs_hello_and_wc_with_a_cache_hit(capsys, monkeypatch, tmp_path):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # where the demo's cache goes
    assert demo.main([]) == 0
    out = capsys.readouterr().out
    assert "$ pywaz run hello.wasm\n  | hello, world\n" in out
    assert "wc's count matches Python's" in out
    warm = re.findall(r"warm cache: .* exit 0; disk cache hit, functions compiled this run 0 ", out)
    assert len(warm) == 2
    # The default (tiered) engine compiles only hot functions: hello may compile none; the warm run none.
    assert re.search(r"hello .* functions compiled \d+ -> 0", out)
    assert "every second run was a disk-cache hit that compiled nothing" in out
    assert list(tmp_path.iterdir()) == []  # the temporary cache is gone


def test_non_wasi_module_is_only_summarised(tmp_path, capsys):
    path = tmp_path / "m.wasm"
    path.write_bytes(demo.builtin_module())
    assert demo.main([str(path)]) == 0
    out = capsys.readouterr().out
    assert "exports (3)" in out and "pywaz run" not in out


def test_a_failing_wasi_command_fails_the_demo(tmp_path, capsys):
    path = tmp_path / "boom.wasm"
    path.write_bytes(wat2wasm('(module (memory (export "memory") 1) (func (export "_start") unreachable))'))
    assert demo.main([str(path)]) == 1
    out = capsys.readouterr().out
    assert "exit 134" in out and "FAILED: boom exited with 134/134" in out


def test_python_dash_m_pywaz_demo(tmp_path):
    import subprocess
    import sys

    from tests.cli.conftest import REPO

    path = tmp_path / "m.wasm"
    path.write_bytes(demo.builtin_module())
    proc = subprocess.run([sys.executable, "-m", "pywaz.demo", str(path)], capture_output=True, cwd=REPO, timeout=300,
                          check=False)
    assert proc.returncode == 0, proc.stderr
    assert b"functions  3 (1 imported, 2 defined)" in proc.stdout
