"""TEMPORARY: the 3.0 testsuite's relaxed SIMD files, through tests/v3json.py, in every engine.

Goes when ``pywaz spectest`` reads the v3-json dialect (issue 12, item 1); those
files must then pass there with 0 failed and 0 skipped. Every command here must
pass, an ``either`` by any of its alternatives.
"""

from __future__ import annotations

import json

import pytest

from tests.v3json import MISSING, V3_JSON, matches, run_file

FILES = [
    "i16x8_relaxed_q15mulr_s",
    "i32x4_relaxed_trunc",
    "i8x16_relaxed_swizzle",
    "relaxed_dot_product",
    "relaxed_laneselect",
    "relaxed_madd_nmadd",
    "relaxed_min_max",
]
ENGINES = [("interpreter", None), ("compiler", "eager"), ("compiler", "lazy")]

pytestmark = pytest.mark.skipif(V3_JSON is None, reason=MISSING)


def test_the_list_is_every_relaxed_file():
    names = {path.name for path in V3_JSON.iterdir() if "relaxed" in path.name}
    assert names == set(FILES)


@pytest.mark.parametrize("engine, mode", ENGINES, ids=["interpreter", "compiler-eager", "compiler-lazy"])
@pytest.mark.parametrize("name", FILES)
def test_relaxed_file_passes(name, engine, mode):
    commands = json.loads((V3_JSON / name / f"{name}.json").read_text())["commands"]
    outcome = run_file(name, engine, mode)
    assert not outcome.failures, "\n".join(outcome.failures)
    assert not outcome.skipped, "\n".join(outcome.skipped)
    assert outcome.passed == len(commands)


def test_the_reader_rejects_what_it_should():
    v = {"type": "v128", "lane_type": "i16", "value": ["-1", "0", "0", "0", "0", "0", "0", "0"]}
    assert matches(v, 0xFFFF)
    assert not matches(v, 0x7FFF)
    either = {"type": "either", "values": [v, {"type": "v128", "lane_type": "i16", "value": ["1"] + ["0"] * 7}]}
    assert matches(either, 1) and matches(either, 0xFFFF) and not matches(either, 2)
    canonical = {"type": "v128", "lane_type": "f32", "value": ["nan:canonical", "0", "0", "0"]}
    assert matches(canonical, 0x7FC00000) and matches(canonical, 0xFFC00000)
    assert not matches(canonical, 0x7FC00001)  # arithmetic, not canonical
    assert not matches(canonical, 0x7F800000)  # infinity
    arithmetic = {"type": "v128", "lane_type": "f32", "value": ["nan:arithmetic", "0", "0", "0"]}
    assert matches(arithmetic, 0x7FC00001) and not matches(arithmetic, 0x7FA00000)
