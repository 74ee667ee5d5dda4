"""Shared helpers for validator tests: wat text or bytes in, validated module or error out.

A plain module (not conftest) so its name cannot clash with other test folders' conftests."""

import os
import sys

import pytest

_REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
if _REPO_ROOT not in sys.path:
    sys.path.insert(0, _REPO_ROOT)

from pywaz.decoder import decode_module  # noqa: E402
from pywaz.errors import ValidationError  # noqa: E402
from pywaz.validator import validate  # noqa: E402


def wat_bytes(text: str) -> bytes:
    """Encode wat text with wasmtime's parser (which does not validate)."""
    wasmtime = pytest.importorskip("wasmtime")
    return bytes(wasmtime.wat2wasm(text))


def validate_bytes(data: bytes):
    return validate(decode_module(data))


def validate_wat(text: str):
    return validate_bytes(wat_bytes(text))


def invalid(data_or_text, prefix: str) -> ValidationError:
    """Assert the module (wat text or bytes) is invalid with a message starting with ``prefix``."""
    data = wat_bytes(data_or_text) if isinstance(data_or_text, str) else data_or_text
    module = decode_module(data)
    with pytest.raises(ValidationError) as caught:
        validate(module)
    assert caught.value.message.startswith(prefix), caught.value.message
    return caught.value
