import pytest

import pywaz
from pywaz.text import wat2wasm


@pytest.fixture
def runtime():
    with pywaz.Runtime("interpreter") as rt:
        yield rt


@pytest.fixture
def load(runtime):
    """Instantiate a WAT module in the test runtime."""

    def load(wat: str, name: str | None = None):
        return runtime.instantiate(wat2wasm(wat), pywaz.ModuleConfig(name=name))

    return load
