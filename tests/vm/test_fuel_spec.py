"""Fuel metering against the spec suite's control-flow scripts, in every engine and mode.

With an ample budget a metered runtime passes every command (metering never
changes a result); with a small one, exactly the same commands run out of
fuel in every engine and compile mode, and running out is the only failure.
Skipped without the testsuite data.
"""

from __future__ import annotations

import dataclasses

import pytest

import pywaz
from pywaz.spectest import EngineConfig, find_testsuite, list_files, run_file, select_files
from pywaz.spectest.backend import Stages

FILES = ("block", "br", "br_if", "br_table", "call", "call_indirect", "fac", "func", "if", "labels", "left-to-right")
FILES += ("loop", "return", "stack", "switch", "unwind")
CONFIGS = [EngineConfig("interpreter", "lazy"), EngineConfig("compiler", "eager"), EngineConfig("compiler", "lazy")]
SMALL_BUDGET = 300


def _files():
    try:
        testsuite = find_testsuite()
    except Exception:  # noqa: BLE001 - a bad location is test_spec's business
        testsuite = None
    if testsuite is None:
        pytest.skip("spec testsuite data not found (see spec-tests/README.md)")
    files, missing = select_files(list_files(testsuite), FILES)
    assert not missing, missing
    return files


def _metered_stages(fuel: int) -> Stages:
    def runtime_class(**kwargs):
        return pywaz.Runtime(fuel=fuel, **kwargs)

    return dataclasses.replace(Stages.discover(), runtime_class=runtime_class)


def _failures(config: EngineConfig, fuel: int) -> tuple[int, list]:
    stages = _metered_stages(fuel)
    passed = 0
    failures = []
    for spec_file in _files():
        result = run_file(spec_file, config, stages, timeout=None)
        passed += result.passed
        failures.extend((spec_file.name, failure) for failure in result.failures)
    return passed, failures


@pytest.mark.parametrize("config", CONFIGS, ids=lambda c: c.label)
def test_metering_with_an_ample_budget_changes_no_result(config):
    passed, failures = _failures(config, 10**12)
    assert passed > 1000 and not failures, failures[:5]


def test_a_small_budget_runs_out_in_the_same_commands_everywhere():
    outcomes = [_failures(config, SMALL_BUDGET) for config in CONFIGS]
    first_passed, first_failures = outcomes[0]
    # Infinite recursion (assert_exhaustion) and the larger factorials, among others, run out.
    assert len(first_failures) > 10
    for _, failure in first_failures:
        assert "all fuel consumed by WebAssembly" in str(failure), failure
    for passed, failures in outcomes[1:]:
        assert passed == first_passed
        assert failures == first_failures
