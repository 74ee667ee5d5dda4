"""The flat (region dispatch) lowering against the spec suite's control-flow files.

Real spec functions are shallow, so they would all take the structured path;
here the static limit is lowered so that every function goes flat, or keeps
one or two structured levels with flat islands below, and the
control-flow-heavy spec files must still pass completely. spec-tests/
runs the whole suite with the default lowering.
"""

from __future__ import annotations

import pytest

from pywaz.compiler.lower import core as lower
from pywaz.spectest import EngineConfig, TestsuiteNotFound, find_testsuite, list_files, run_file

FILES = (
    "block",
    "br",
    "br_if",
    "br_table",
    "call_indirect",
    "fac",
    "if",
    "labels",
    "left-to-right",
    "local_tee",
    "loop",
    "memory_trap",
    "return",
    "select",
    "stack",
    "switch",
    "unreachable",
    "unreached-valid",
    "unwind",
)


def _spec_files():
    try:
        root = find_testsuite()
    except TestsuiteNotFound:
        return {}
    return {f.name: f for f in list_files(root)}


SPEC_FILES = _spec_files()


@pytest.mark.parametrize("max_loops", [-1, 1, 2], ids=["whole-function", "islands-1", "islands-2"])
@pytest.mark.parametrize("name", FILES)
def test_spec_file_in_flat_mode(name, max_loops, monkeypatch):
    if name not in SPEC_FILES:
        pytest.skip("spec testsuite not found")
    # -1 leaves no room for any Python loop: every function is lowered flat.
    # 1 or 2 keep the outer structure and turn deeper subtrees into islands.
    monkeypatch.setattr(lower, "MAX_PY_LOOPS", max_loops)
    result = run_file(SPEC_FILES[name], EngineConfig("compiler", "eager"))
    assert result.failed == 0, result.failures[:5]
    assert result.passed > 0
