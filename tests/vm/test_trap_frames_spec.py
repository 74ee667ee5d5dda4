"""Every ``assert_trap`` of the trap-heavy spec scripts gives the same frames in every engine.

The interpreter maps its program back to instructions and the compiler maps
Python positions through line tables: two independent routes to each offset,
which must agree on thousands of traps (loads and stores at every width and
offset, conversions, divisions, indirect calls, bulk instructions, imports).
"""

from __future__ import annotations

import pytest

from pywaz.compiler.lower import core as lower
from pywaz.errors import Trap
from pywaz.spectest import locate, runner
from pywaz.spectest.backend import Stages
from pywaz.spectest.script import load_script

SCRIPTS = [
    "address",
    "bulk",
    "call_indirect",
    "conversions",
    "i32",
    "i64",
    "imports",
    "int_exprs",
    "linking",
    "memory_init",
    "memory_trap",
    "simd_load_splat",
    "table_set",
    "traps",
    "unreachable",
    "unwind",
]
CONFIGS = [runner.EngineConfig("interpreter"), runner.EngineConfig("compiler", "eager"), runner.EngineConfig("compiler", "lazy")]


def _spec_files():
    suite = locate.find_testsuite(suite="v2")  # the 2.0 scripts, run by 2.0's rules (as test_spec runs them)
    if suite is None:
        pytest.skip("the spec testsuite data is not present")
    files = [f for f in locate.list_files(suite) if f.path.stem in SCRIPTS]
    assert {f.path.stem for f in files} == set(SCRIPTS)
    return files


def _traces(files, config, monkeypatch) -> list:
    """(trap kind, frames) of every assert_trap of ``files``, in order."""
    seen: list = []
    check_trap = runner.check_trap

    def recording_check_trap(error, text):
        if isinstance(error, Trap):
            seen.append((error.kind, tuple(error.frames)))
        return check_trap(error, text)

    with monkeypatch.context() as patch:
        patch.setattr(runner, "check_trap", recording_check_trap)
        for file in files:
            result = runner.run_script(load_script(file.path), config, Stages.discover("v2"))
            assert not result.failed, (file.path.stem, config.label)
    return seen


def test_spec_traps_have_the_same_frames_in_every_engine(monkeypatch):
    files = _spec_files()
    traces = {config.label: _traces(files, config, monkeypatch) for config in CONFIGS}
    reference = traces["interpreter"]
    assert len(reference) > 400, len(reference)
    assert traces["compiler-eager"] == reference
    assert traces["compiler-lazy"] == reference
    with_frames = [frames for _, frames in reference if frames]
    assert len(with_frames) > 400 and all(frame.offset is not None for frames in with_frames for frame in frames)


@pytest.mark.parametrize("max_loops", [-1, 1], ids=["whole-function-flat", "flat-islands"])
def test_flat_lowering_keeps_the_frames(max_loops, monkeypatch):
    """Region dispatch moves lines between outputs; their sites must move with them."""
    files = _spec_files()
    reference = _traces(files, CONFIGS[0], monkeypatch)
    monkeypatch.setattr(lower, "MAX_PY_LOOPS", max_loops)
    assert _traces(files, runner.EngineConfig("compiler", "eager"), monkeypatch) == reference
