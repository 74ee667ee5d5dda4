import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))

from _cachefake import FakeEngine  # noqa: E402

from pywaz.cache import autoflush  # noqa: E402


@pytest.fixture(autouse=True)
def _background_flushes_finish_within_their_test():
    """Write-backs a test asked for in the background complete before the next test patches anything."""
    yield
    assert autoflush.drain(120.0), "the background cache flush worker did not answer"


@pytest.fixture
def engine():
    return FakeEngine()


@pytest.fixture
def cache_dir(tmp_path):
    path = tmp_path / "cache"
    return str(path)
