import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))

from _cachefake import FakeEngine  # noqa: E402


@pytest.fixture
def engine():
    return FakeEngine()


@pytest.fixture
def cache_dir(tmp_path):
    path = tmp_path / "cache"
    return str(path)
