"""Data tests over the official Wasm 2.0 spec testsuite (wabt wast2json layout).

Every ``module`` (and every module of ``assert_unlinkable`` / ``assert_uninstantiable``,
which fail only when linked or run) must validate; every binary ``assert_invalid``
module must raise ValidationError whose message starts with the suite's text.
``assert_malformed`` is the decoder's business. Located through $PYWAZ_TESTSUITE or
``<repo>/../shared/wasm-testsuite/v2-json``; skipped with a message when absent.

This is the 2.0 suite, so modules are validated with 2.0's constant-expression rule
(``features=Features.wasm2()``); pywaz's default is 3.0's, which accepts a few of its
``assert_invalid`` modules.
"""

import json
from pathlib import Path

import pytest
from validator_helpers import MISSING, SUITE, decode_module, validate

from pywaz.errors import ValidationError
from pywaz.features import Features

SPEC_FILES = sorted(SUITE.glob("*/*.json")) if SUITE else []

# Valid modules: they fail only at link or instantiation time, never validation.
VALID_COMMANDS = ("module", "assert_unlinkable", "assert_uninstantiable")

# Where the binary cannot carry what the .wast text meant, so the suite's message cannot
# be the one a binary validator gives (the module is still invalid, just for another reason).
TEXT_EXCEPTIONS = {
    # `(select (result) ...)`: wabt 1.0.32 encodes an empty result list as plain
    # `select` (0x1b), so the binary is an untyped select with too few operands.
    ("select", "select.2.wasm"): "type mismatch",
}


def _commands(spec_file: Path, types):
    data = json.loads(spec_file.read_text())
    for command in data["commands"]:
        if command["type"] in types and command.get("module_type", "binary") == "binary" and "filename" in command:
            yield command


def _load(spec_file: Path, command):
    return decode_module((spec_file.parent / command["filename"]).read_bytes(), Features.wasm2())


def _ids(paths):
    return [p.stem for p in paths]


@pytest.mark.skipif(SUITE is None, reason=MISSING)
@pytest.mark.parametrize("spec_file", SPEC_FILES, ids=_ids(SPEC_FILES))
def test_valid_modules_validate(spec_file):
    failures = []
    for command in _commands(spec_file, VALID_COMMANDS):
        try:
            validate(_load(spec_file, command), features=Features.wasm2())
        except ValidationError as error:
            failures.append(f"line {command['line']} {command['filename']}: {error}")
    assert not failures, "\n".join(failures)


@pytest.mark.skipif(SUITE is None, reason=MISSING)
@pytest.mark.parametrize("spec_file", SPEC_FILES, ids=_ids(SPEC_FILES))
def test_invalid_modules_are_rejected(spec_file):
    failures = []
    for command in _commands(spec_file, ("assert_invalid",)):
        module = _load(spec_file, command)
        expected = TEXT_EXCEPTIONS.get((spec_file.stem, command["filename"]), command["text"])
        try:
            validate(module, features=Features.wasm2())
        except ValidationError as error:
            if not error.message.startswith(expected):
                failures.append(f"line {command['line']}: got {error.message!r}, suite expects {command['text']!r}")
        else:
            failures.append(
                f"line {command['line']} {command['filename']}: validated, suite expects {command['text']!r}"
            )
    assert not failures, "\n".join(failures)


@pytest.mark.skipif(SUITE is None, reason=MISSING)
def test_suite_has_assert_invalid_commands_and_none_are_text():
    # Guards the harness itself: a layout change must not silently turn the tests above into no-ops.
    binary = text = 0
    for spec_file in SPEC_FILES:
        for command in json.loads(spec_file.read_text())["commands"]:
            if command["type"] == "assert_invalid":
                if command.get("module_type") == "binary":
                    binary += 1
                else:
                    text += 1
    assert binary > 2000
    assert text == 0
