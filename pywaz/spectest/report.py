"""Results of spec runs: per-file counts, failures, totals and the JSON report.

Every command is counted exactly once, as passed, failed or skipped, overall
and under its command type (``by_command``). The JSON report shape is
documented on :func:`report_document`.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

OUTCOMES = ("passed", "failed", "skipped")
SKIP_REASONS_SHOWN = 20  # per file in the JSON report (reasons often name a function and offset)


@dataclass(frozen=True, slots=True)
class Failure:
    """One failed command: its ``.wast`` line, command type and what went wrong."""

    line: int
    command: str
    message: str

    def as_dict(self) -> dict:
        return {"line": self.line, "command": self.command, "message": self.message}


@dataclass(slots=True)
class FileResult:
    """What happened to the commands of one ``.wast`` file."""

    name: str
    passed: int = 0
    failed: int = 0
    skipped: int = 0
    by_command: dict = field(default_factory=dict)  # type -> [passed, failed, skipped]
    failures: list = field(default_factory=list)
    skip_reasons: Counter = field(default_factory=Counter)
    passed_lines: set = field(default_factory=set)

    def _count(self, ctype: str, slot: int) -> None:
        counts = self.by_command.get(ctype)
        if counts is None:
            counts = self.by_command[ctype] = [0, 0, 0]
        counts[slot] += 1

    def add_pass(self, ctype: str, line: int) -> None:
        self.passed += 1
        self._count(ctype, 0)
        self.passed_lines.add(line)

    def add_failure(self, ctype: str, line: int, message: str) -> None:
        self.failed += 1
        self._count(ctype, 1)
        self.failures.append(Failure(line, ctype, message))

    def add_skip(self, ctype: str, reason: str) -> None:
        self.skipped += 1
        self._count(ctype, 2)
        self.skip_reasons[reason] += 1

    def top_skip_reasons(self, limit: int = SKIP_REASONS_SHOWN) -> dict:
        """The most common skip reasons; the rest are summed under "(other reasons)"."""
        common = self.skip_reasons.most_common()
        shown = dict(common[:limit])
        rest = sum(n for _, n in common[limit:])
        if rest:
            shown["(other reasons)"] = rest
        return shown

    @property
    def total(self) -> int:
        return self.passed + self.failed + self.skipped

    def summary_line(self) -> str:
        status = "FAIL" if self.failed else ("skip" if not self.passed and self.skipped else "ok")
        return f"{status:4} {self.name:32} {self.passed:6} passed {self.failed:6} failed {self.skipped:6} skipped"

    def as_dict(self) -> dict:
        return {
            "passed": self.passed,
            "failed": self.failed,
            "skipped": self.skipped,
            "by_command": {ctype: dict(zip(OUTCOMES, counts)) for ctype, counts in sorted(self.by_command.items())},
            "failures": [failure.as_dict() for failure in self.failures],
            "skip_reasons": self.top_skip_reasons(),
        }


@dataclass(slots=True)
class SuiteResult:
    """The results of one run over many files, in run order."""

    engine: str
    compile_mode: str | None
    testsuite: str
    files: list = field(default_factory=list)

    @property
    def passed(self) -> int:
        return sum(f.passed for f in self.files)

    @property
    def failed(self) -> int:
        return sum(f.failed for f in self.files)

    @property
    def skipped(self) -> int:
        return sum(f.skipped for f in self.files)

    def totals_line(self) -> str:
        """The final summary, exactly ``N passed, N failed, N skipped``."""
        return f"{self.passed} passed, {self.failed} failed, {self.skipped} skipped"

    def by_command(self) -> dict:
        merged: dict = {}
        for result in self.files:
            for ctype, counts in result.by_command.items():
                into = merged.setdefault(ctype, [0, 0, 0])
                for i, n in enumerate(counts):
                    into[i] += n
        return {ctype: dict(zip(OUTCOMES, counts)) for ctype, counts in sorted(merged.items())}


def report_document(suite: SuiteResult) -> dict:
    """The JSON report::

        {"engine": str, "compile_mode": str | None, "testsuite": str,
         "files": {NAME: {"passed": n, "failed": n, "skipped": n,
                          "by_command": {TYPE: {"passed": n, "failed": n, "skipped": n}},
                          "failures": [{"line": n, "command": TYPE, "message": str}],
                          "skip_reasons": {REASON: n}}},
         "totals": {"passed": n, "failed": n, "skipped": n, "by_command": {...}}}
    """
    return {
        "engine": suite.engine,
        "compile_mode": suite.compile_mode,
        "testsuite": suite.testsuite,
        "files": {result.name: result.as_dict() for result in suite.files},
        "totals": {
            "passed": suite.passed,
            "failed": suite.failed,
            "skipped": suite.skipped,
            "by_command": suite.by_command(),
        },
    }


def write_report(suite: SuiteResult, path: str | os.PathLike) -> None:
    """Write :func:`report_document` as JSON to ``path`` (atomically replaced).

    Raises:
        OSError: the file cannot be written.
    """
    target = Path(path)
    temporary = target.with_name(target.name + ".tmp")
    temporary.write_text(json.dumps(report_document(suite), indent=1, sort_keys=False) + "\n", encoding="utf-8")
    os.replace(temporary, target)
