"""The WebAssembly spec-suite harness.

Runs the official core testsuites -- WebAssembly 3.0 (``v3``) and 2.0
(``v2``), converted to a JSON command list plus ``.wasm`` files per ``.wast``
by wasm-tools' ``json-from-wast`` or wabt's ``wast2json`` (both dialects are
read, detected per file) -- against pywaz and counts each command as passed,
failed or skipped. Used by ``pywaz spectest`` and by ``spec-tests/test_spec.py``.

Typical use::

    from pywaz.spectest import EngineConfig, find_testsuite, list_files, run_suite
    suite = run_suite(list_files(find_testsuite(suite="v3")), EngineConfig("interpreter"))
    print(suite.totals_line())
"""

from __future__ import annotations

from pathlib import Path

from .backend import Stages
from .locate import (
    ENV_VAR,
    MISSING_MESSAGE,
    SpecFile,
    TestsuiteNotFound,
    default_locations,
    find_testsuite,
    list_files,
    missing_message,
    select_files,
)
from .report import FileResult, SuiteResult, report_document, write_report
from .runner import DEFAULT_TIMEOUT, EngineConfig, run_script
from .script import load_script
from .values import SpecFormatError

__all__ = [
    "DEFAULT_TIMEOUT",
    "ENV_VAR",
    "MISSING_MESSAGE",
    "EngineConfig",
    "FileResult",
    "SpecFile",
    "SuiteResult",
    "TestsuiteNotFound",
    "default_locations",
    "find_testsuite",
    "list_files",
    "missing_message",
    "report_document",
    "run_file",
    "run_suite",
    "select_files",
    "write_report",
]


def run_file(spec_file: SpecFile, config: EngineConfig, stages: Stages | None = None,
             timeout: float | None = DEFAULT_TIMEOUT) -> FileResult:
    """Run one spec file; a file that cannot be loaded is one failure, not an exception.

    ``timeout`` limits each command in seconds (None: no limit).
    """
    try:
        script = load_script(spec_file.path, spec_file.name)
    except SpecFormatError as exc:
        result = FileResult(spec_file.name)
        result.add_failure("load", 0, str(exc))
        return result
    return run_script(script, config, stages, timeout)


def run_suite(files, config: EngineConfig, testsuite: Path | str = "", on_file=None,
              timeout: float | None = DEFAULT_TIMEOUT, suite_name: str = "v3") -> SuiteResult:
    """Run ``files`` (SpecFile list) of suite ``suite_name`` in order; ``on_file(result)`` is called after each."""
    suite = SuiteResult(config.engine, config.compile_mode, str(testsuite))
    stages = Stages.discover(suite_name)
    for spec_file in files:
        result = run_file(spec_file, config, stages, timeout)
        suite.files.append(result)
        if on_file is not None:
            on_file(result)
    return suite
