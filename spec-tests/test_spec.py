"""The WebAssembly spec testsuites, one test per .wast file and engine configuration.

Runs the same harness as ``pywaz spectest`` (pywaz.spectest) over both
suites: ``v2`` (the 2.0 tests, which pass completely) and ``v3`` (the 3.0
tests, v3-json plus v3-legacy-json). A test fails when a command fails that
the suite's expected-failure list (``expected_failures.py``,
``expected_failures_v3.py``) does not list, or when a listed command passes.
A file whose commands were all skipped (text-format modules only) is
reported as skipped. Without testsuite data every test is skipped with
instructions for getting it.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from pywaz.spectest import EngineConfig, MISSING_MESSAGE, TestsuiteNotFound, find_testsuite, list_files, run_file
from pywaz.spectest.backend import Stages
from pywaz.spectest.expectations import compare, parse_entries
from pywaz.spectest.locate import SUITES

# Suite -> the file of its expected-failure list, beside this one.
EXPECTED_LISTS = {"v2": "expected_failures.py", "v3": "expected_failures_v3.py"}


def _load_expected_failures(filename: str):
    path = Path(__file__).with_name(filename)
    spec = importlib.util.spec_from_file_location(f"_pywaz_spec_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return parse_entries(module.EXPECTED_FAILURES)


EXPECTED = {suite: _load_expected_failures(filename) for suite, filename in EXPECTED_LISTS.items()}


def _compiler_available() -> bool:
    """False only while pywaz.compiler.engine does not exist; a broken one must fail, not skip."""
    try:
        importlib.import_module("pywaz.compiler.engine")
    except ModuleNotFoundError as exc:
        return exc.name not in ("pywaz.compiler", "pywaz.compiler.engine")
    except Exception:
        return True
    return True


_NO_COMPILER = pytest.mark.skip(reason="pywaz.compiler.engine is not importable yet")
CONFIGS = [
    pytest.param(EngineConfig("interpreter"), id="interpreter"),
    pytest.param(EngineConfig("compiler", "eager"), id="compiler-eager",
                 marks=() if _compiler_available() else _NO_COMPILER),
    pytest.param(EngineConfig("compiler", "lazy"), id="compiler-lazy",
                 marks=() if _compiler_available() else _NO_COMPILER),
    # Low thresholds (EngineConfig's default for "tiered"): functions switch to compiled code mid-script.
    pytest.param(EngineConfig("tiered"), id="tiered", marks=() if _compiler_available() else _NO_COMPILER),
]


class _BadLocation:
    def __init__(self, message: str):
        self.message = message


def _suite_files(suite: str):
    try:
        testsuite = find_testsuite(suite=suite)
    except TestsuiteNotFound as exc:
        # An explicitly configured location that does not exist is an error, not a skip.
        return [pytest.param(suite, _BadLocation(str(exc)), id=f"{suite}-testsuite-not-found")]
    if testsuite is None:
        return [pytest.param(suite, None, id=f"{suite}-no-testsuite", marks=pytest.mark.skip(reason=MISSING_MESSAGE))]
    if testsuite.name in SUITES.values() and testsuite.name != SUITES[suite]:
        message = (f"the testsuite location is {testsuite}, another suite's folder; point it at the folder that "
                   f"holds {SUITES[suite]}/ to run the {suite} suite")
        return [pytest.param(suite, None, id=f"{suite}-other-suite", marks=pytest.mark.skip(reason=message))]
    files = list_files(testsuite)
    if not files:
        message = f"no <name>/<name>.json files in {testsuite}. {MISSING_MESSAGE}"
        return [pytest.param(suite, None, id=f"{suite}-empty-testsuite", marks=pytest.mark.skip(reason=message))]
    return [pytest.param(suite, spec_file, id=f"{suite}/{spec_file.name}") for spec_file in files]


def _files():
    return [param for suite in EXPECTED_LISTS for param in _suite_files(suite)]


FILES = _files()
_stages: dict[str, Stages] = {}


def _shared_stages(suite: str) -> Stages:
    if suite not in _stages:
        _stages[suite] = Stages.discover(suite)
    return _stages[suite]


@pytest.mark.parametrize("config", CONFIGS)
@pytest.mark.parametrize("suite,spec_file", FILES)
def test_spec(suite, spec_file, config):
    if isinstance(spec_file, _BadLocation):
        pytest.fail(spec_file.message, pytrace=False)
    result = run_file(spec_file, config, _shared_stages(suite))
    comparison = compare(result, EXPECTED[suite], config.label, f"spec-tests/{EXPECTED_LISTS[suite]}")
    if not comparison.ok:
        pytest.fail(comparison.explain(f"{suite}/{spec_file.name} [{config.label}]"), pytrace=False)
    if result.passed == 0 and result.skipped:
        reasons = "; ".join(f"{reason} ({n})" for reason, n in result.skip_reasons.most_common(3))
        pytest.skip(f"all {result.skipped} commands skipped: {reasons}")


@pytest.mark.parametrize("suite", list(EXPECTED_LISTS))
def test_expected_failures_name_real_commands(suite):
    """Every listed entry names an existing file and a command line in it."""
    try:
        testsuite = find_testsuite(suite=suite)
    except TestsuiteNotFound as exc:
        pytest.fail(str(exc), pytrace=False)
    if testsuite is None:
        pytest.skip(MISSING_MESSAGE)
    if testsuite.name in SUITES.values() and testsuite.name != SUITES[suite]:
        pytest.skip(f"the testsuite location is {testsuite}, another suite's folder")
    from pywaz.spectest.script import load_script

    files = {f.name: f for f in list_files(testsuite)}
    problems = []
    for entry in EXPECTED[suite]:
        spec_file = files.get(entry.file)
        if spec_file is None:
            problems.append(f"{entry.file}:{entry.line}: no such spec file")
            continue
        lines = {command.line for command in load_script(spec_file.path, spec_file.name).commands}
        if entry.line not in lines:
            problems.append(f"{entry.file}:{entry.line}: no command on that line")
        for label in entry.engines or ():
            if label not in ("interpreter", "compiler-eager", "compiler-lazy", "tiered"):
                problems.append(f"{entry.file}:{entry.line}: unknown engine configuration {label!r}")
    assert not problems, "\n".join(problems)
