"""Telling wabt's wast2json JSON from wasm-tools' json-from-wast JSON (pywaz.spectest.dialect)."""

from __future__ import annotations

import json

import pytest

from pywaz.spectest.dialect import Dialect, DialectError, detect_dialect
from pywaz.spectest.locate import find_testsuite, list_files


def doc(*commands):
    return {"source_filename": "x.wast", "commands": list(commands)}


WASM_TOOLS_MODULE = {"type": "module", "line": 1, "filename": "x.0.wasm", "module_type": "binary"}
WABT_MODULE = {"type": "module", "line": 1, "filename": "x.0.wasm"}


@pytest.mark.parametrize("command", [
    WASM_TOOLS_MODULE,
    {"type": "module_definition", "line": 1, "filename": "x.0.wasm", "module_type": "binary"},
    {"type": "module_instance", "line": 2, "instance": "I", "module": "M"},
    {"type": "assert_malformed_custom", "line": 3, "filename": "x.1.wat", "module_type": "text", "text": "t"},
    {"type": "assert_invalid_custom", "line": 3, "filename": "x.1.wasm", "module_type": "binary", "text": "t"},
])
def test_wasm_tools_evidence(command):
    assert detect_dialect(doc(command)) is Dialect.WASM_TOOLS
    assert Dialect.WASM_TOOLS.signed_integers


@pytest.mark.parametrize("command", [
    WABT_MODULE,
    {"type": "register", "line": 2, "name": "$M", "as": "M"},
    {"type": "assert_trap", "line": 3, "action": {"type": "invoke", "field": "f"}, "text": "unreachable",
     "expected": []},
    {"type": "instance", "line": 4, "instance": "$I", "definition": "$M"},
])
def test_wabt_evidence(command):
    assert detect_dialect(doc(command)) is Dialect.WABT
    assert not Dialect.WABT.signed_integers


def test_no_evidence_reads_as_wabt():
    malformed = {"type": "assert_malformed", "line": 1, "filename": "x.0.wasm", "module_type": "binary", "text": "t"}
    assert detect_dialect(doc(malformed)) is Dialect.WABT
    assert detect_dialect({}) is Dialect.WABT


def test_mixed_evidence_is_an_error_naming_both():
    with pytest.raises(DialectError) as info:
        detect_dialect(doc(WASM_TOOLS_MODULE, {"type": "register", "line": 2, "name": "$M", "as": "M"}))
    assert "module_type on a module command" in str(info.value) and "$-prefixed" in str(info.value)


@pytest.mark.parametrize("suite,folder,dialect", [
    ("v3", "v3-json", Dialect.WASM_TOOLS),
    ("v3", "v3-legacy-json", Dialect.WABT),
    ("v2", "v2-json", Dialect.WABT),
])
def test_every_file_of_the_shared_data_is_detected_as_its_converter(suite, folder, dialect):
    testsuite = find_testsuite(suite=suite)
    if testsuite is None:
        pytest.skip("the shared testsuite data is absent (see README: ../shared/wasm-testsuite)")
    files = [f for f in list_files(testsuite) if f.path.parent.parent.name == folder]
    assert files, f"no files in {folder}"
    wrong = []
    for spec_file in files:
        document = json.loads(spec_file.path.read_bytes())
        # A file without modules (only assert_malformed, say) has no values: either reading is right.
        undecided = not any(c["type"] in ("module", "module_definition") for c in document["commands"])
        if detect_dialect(document) is not dialect and not undecided:
            wrong.append(spec_file.name)
    assert wrong == []
