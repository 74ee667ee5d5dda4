"""``CompilationCache(directory=...)``: a ``str`` or ``os.PathLike``, with ``~`` expanded as on the command line.

The README's own example passes ``"~/.cache/pywaz-mine"``; before this was
expanded it created a directory literally named ``~`` under the current one.
"""

from __future__ import annotations

import os
import pathlib

import pytest

import pywaz
from pywaz.cache import CacheError, CompilationCache
from pywaz.text import wat2wasm

WASM = wat2wasm('(module (func (export "root")))')


@pytest.fixture
def home(tmp_path, monkeypatch):
    """A fresh home directory (``~``), and a working directory elsewhere so a literal ``./~`` would show."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    return home


@pytest.mark.parametrize("spelling", ["~/.cache/pywaz-mine", pathlib.Path("~/.cache/pywaz-mine")])
def test_tilde_is_the_home_directory(home, spelling):
    with CompilationCache(directory=spelling, max_bytes=1 << 20) as cache:
        assert cache.directory == str(home / ".cache" / "pywaz-mine")
        with pywaz.Runtime("interpreter", cache=cache) as runtime:
            runtime.instantiate(WASM).close()
        assert cache.stats()["disk_writes"] == 1
    assert [p.suffix for p in (home / ".cache" / "pywaz-mine").rglob("*.pwz")] == [".pwz"]
    assert not (pathlib.Path.cwd() / "~").exists()


def test_a_path_like_object_that_is_not_a_pathlib_path(home, tmp_path):
    class Where:
        def __fspath__(self) -> str:
            return str(tmp_path / "elsewhere")

    with CompilationCache(Where()) as cache:
        assert cache.directory == str(tmp_path / "elsewhere")
    assert os.path.isdir(tmp_path / "elsewhere")


def test_a_disk_hit_through_another_spelling_of_the_same_directory(home):
    with CompilationCache("~/c") as cache, pywaz.Runtime("interpreter", cache=cache) as runtime:
        runtime.instantiate(WASM).close()
    with CompilationCache(home / "c") as cache, pywaz.Runtime("interpreter", cache=cache) as runtime:
        runtime.instantiate(WASM).close()
        assert runtime.stats()["disk_hits"] == 1


@pytest.mark.parametrize("directory, message", [(42, "not int"), ("", "must not be empty"), (b"", "must not be empty")])
def test_a_directory_that_is_not_a_path_is_a_cache_error(home, directory, message):
    with pytest.raises(CacheError, match=message):
        CompilationCache(directory)
    assert list(pathlib.Path.cwd().iterdir()) == []  # nothing was created in the working directory
