"""Shared helpers for validator tests: wat text or bytes in, validated module or error out.

A plain module (not conftest) so its name cannot clash with other test folders' conftests."""

import os
import sys
from pathlib import Path

import pytest

_REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
if _REPO_ROOT not in sys.path:
    sys.path.insert(0, _REPO_ROOT)

from pywaz.decoder import decode_module
from pywaz.errors import ValidationError
from pywaz.text import wat2wasm
from pywaz.validator import validate


def wat_bytes(text: str) -> bytes:
    """Encode wat text with pywaz's assembler (which does not validate)."""
    return bytes(wat2wasm(text))


def validate_bytes(data: bytes):
    return validate(decode_module(data))


def validate_wat(text: str):
    return validate_bytes(wat_bytes(text))


def invalid(data_or_text, prefix: str, features=None) -> ValidationError:
    """Assert the module (wat text or bytes) is invalid with a message starting with ``prefix``."""
    data = wat_bytes(data_or_text) if isinstance(data_or_text, str) else data_or_text
    module = decode_module(data, features)
    with pytest.raises(ValidationError) as caught:
        validate(module, features=features)
    assert caught.value.message.startswith(prefix), caught.value.message
    return caught.value


_SUITE_ENV_VAR = "PYWAZ_TESTSUITE"


def _suite_dir() -> Path | None:
    configured = os.environ.get(_SUITE_ENV_VAR)
    candidate = Path(configured) if configured else Path(_REPO_ROOT).parent / "shared" / "wasm-testsuite" / "v2-json"
    if (candidate / "v2-json").is_dir():
        candidate = candidate / "v2-json"
    return candidate if candidate.is_dir() else None


SUITE = _suite_dir()
"""The spec testsuite's v2-json folder ($PYWAZ_TESTSUITE or ../shared/wasm-testsuite/v2-json), or None."""

MISSING = (
    f"spec testsuite not found: set {_SUITE_ENV_VAR} to the v2-json folder (wast2json output of the "
    "WebAssembly/testsuite 2.0 .wast files) or place it at ../shared/wasm-testsuite/v2-json"
)
