"""The spec testsuite's binaries: every well-formed module decodes, every malformed one is rejected.

Data: ``$PYWAZ_TESTSUITE`` (a v2-json folder, or a folder holding ``v2-json/``),
else ``<repo>/../shared/wasm-testsuite/v2-json``. Skipped when absent.
The 2.0 suite is read with 2.0 features (``Features.wasm2()``). Text-format modules (``module_type: "text"``) are not decoder input and are skipped.
"""

import json
import os
from pathlib import Path

import pytest

from pywaz.decoder import decode_module
from pywaz.errors import DecodeError
from pywaz.features import Features

REPO_ROOT = Path(__file__).resolve().parents[2]


def _testsuite() -> Path | None:
    value = os.environ.get("PYWAZ_TESTSUITE")
    candidate = Path(value) if value else REPO_ROOT.parent / "shared" / "wasm-testsuite" / "v2-json"
    if (candidate / "v2-json").is_dir():
        candidate = candidate / "v2-json"
    return candidate if candidate.is_dir() and any(candidate.glob("*/*.json")) else None


TESTSUITE = _testsuite()
pytestmark = pytest.mark.skipif(
    TESTSUITE is None,
    reason="spec testsuite data not found: set PYWAZ_TESTSUITE to the wast2json v2-json folder",
)

# Commands whose module must be well formed (it is run, or rejected only later).
WELL_FORMED = {"module", "assert_invalid", "assert_unlinkable", "assert_uninstantiable", "assert_trap"}


def _commands():
    if TESTSUITE is None:
        return [], []
    good, bad = [], []
    for path in sorted(TESTSUITE.glob("*/*.json")):
        for command in json.loads(path.read_text())["commands"]:
            filename = command.get("filename")
            if filename is None or command.get("module_type", "binary") != "binary":
                continue
            case = (path.parent / filename, command["line"], command.get("text"))
            if command["type"] == "assert_malformed":
                bad.append(case)
            elif command["type"] in WELL_FORMED:
                good.append(case)
    return good, bad


GOOD, BAD = _commands()


def _by_file(cases):
    grouped = {}
    for wasm, line, text in cases:
        grouped.setdefault(wasm.parent.name, []).append((wasm, line, text))
    return sorted(grouped.items())


@pytest.mark.parametrize("name, cases", _by_file(GOOD), ids=lambda v: v if isinstance(v, str) else "")
def test_well_formed_modules_decode(name, cases):
    failures = []
    for wasm, line, _ in cases:
        try:
            decode_module(wasm.read_bytes(), Features.wasm2())
        except DecodeError as err:
            failures.append(f"{wasm.name} (line {line}): {err}")
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("name, cases", _by_file(BAD), ids=lambda v: v if isinstance(v, str) else "")
def test_malformed_modules_are_rejected_with_the_spec_message(name, cases):
    failures = []
    for wasm, line, text in cases:
        try:
            decode_module(wasm.read_bytes(), Features.wasm2())
        except DecodeError as err:
            if not err.message.startswith(text):
                failures.append(f"{wasm.name} (line {line}): expected {text!r}, got {err.message!r}")
        else:
            failures.append(f"{wasm.name} (line {line}): accepted, expected {text!r}")
    assert not failures, "\n".join(failures)


def test_the_data_was_found_and_is_not_trivial():
    assert len(GOOD) > 1000 and len(BAD) > 500
