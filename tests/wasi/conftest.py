"""Fixtures for WASI tests: a sandbox directory and a guest bound to it."""

from __future__ import annotations

import pytest
from _wasiguest import Guest, new_memory

from pywaz.wasi import Wasi, WasiConfig


@pytest.fixture
def sandbox(tmp_path):
    """A host directory tree: sandbox/{hello.txt, sub/inner.txt} and a sibling secret."""
    root = tmp_path / "sandbox"
    (root / "sub").mkdir(parents=True)
    (root / "hello.txt").write_bytes(b"hello world")
    (root / "sub" / "inner.txt").write_bytes(b"inner")
    (tmp_path / "secret.txt").write_bytes(b"TOP SECRET")
    return root


@pytest.fixture
def make_guest(sandbox):
    created = []

    def make(**config) -> Guest:
        config.setdefault("preopens", [("/sandbox", str(sandbox))])
        wasi = Wasi(WasiConfig(**config))
        created.append(wasi)
        return Guest(wasi, new_memory())

    yield make
    for wasi in created:
        wasi.close()


@pytest.fixture
def guest(make_guest) -> Guest:
    return make_guest()
