"""Compare a file's results with the list of known (expected) spec failures.

The lists (``spec-tests/expected_failures.py`` for the 2.0 suite,
``spec-tests/expected_failures_v3.py`` for 3.0) only shrink: a listed command
that now passes must be removed, and a failure that is not listed is a
regression. Entries are ``(file, line, reason)`` tuples -- ``line`` may be a
tuple of lines that fail for the same reason -- optionally with a fourth
element naming the engine configurations (``EngineConfig.label`` values) the
entry applies to; without it, it applies to all.
"""

from __future__ import annotations

from dataclasses import dataclass

from .report import FileResult

EXPLAIN_LIMIT = 40  # failures listed in a test failure message; the rest are counted


@dataclass(frozen=True, slots=True)
class ExpectedFailure:
    file: str
    line: int
    reason: str
    engines: tuple[str, ...] | None = None

    def applies_to(self, label: str) -> bool:
        return self.engines is None or label in self.engines


def parse_entries(entries) -> list[ExpectedFailure]:
    """Turn the raw tuples of the list into :class:`ExpectedFailure` records.

    Raises:
        ValueError: an entry has the wrong shape, an empty reason, or is listed twice.
    """
    parsed = []
    seen = set()
    for entry in entries:
        if not isinstance(entry, tuple) or len(entry) not in (3, 4):
            raise ValueError(f"expected failure entry must be (file, line, reason[, engines]): {entry!r}")
        file, lines, reason = entry[:3]
        engines = tuple(entry[3]) if len(entry) == 4 else None
        if isinstance(lines, int):
            lines = (lines,)
        if (not isinstance(file, str) or not isinstance(lines, tuple) or not lines
                or not all(isinstance(line, int) and not isinstance(line, bool) for line in lines)):
            raise ValueError(f"expected failure entry needs a file name and a line number (or a tuple of them): "
                             f"{entry!r}")
        if not isinstance(reason, str) or not reason.strip():
            raise ValueError(f"expected failure entry needs a reason: {entry!r}")
        for label in engines or ():
            if not isinstance(label, str):
                raise ValueError(f"engine labels must be strings: {entry!r}")
        for line in lines:
            for label in engines or (None,):
                key = (file, line, label)
                if key in seen or (file, line, None) in seen:
                    raise ValueError(f"expected failure listed twice: {file}:{line}")
                seen.add(key)
            parsed.append(ExpectedFailure(file, line, reason, engines))
    return parsed


@dataclass(frozen=True, slots=True)
class Comparison:
    """``unexpected``: failures not on the list; ``now_passing``: listed entries that passed."""

    unexpected: tuple
    now_passing: tuple[ExpectedFailure, ...]
    list_name: str = "spec-tests/expected_failures.py"

    @property
    def ok(self) -> bool:
        return not self.unexpected and not self.now_passing

    def explain(self, name: str) -> str:
        lines = []
        if self.unexpected:
            lines.append(f"{len(self.unexpected)} unexpected failure(s) in {name}:")
            shown = self.unexpected[:EXPLAIN_LIMIT]
            lines.extend(f"  line {f.line} {f.command}: {f.message}" for f in shown)
            if len(shown) < len(self.unexpected):
                lines.append(f"  ... and {len(self.unexpected) - len(shown)} more")
        if self.now_passing:
            lines.append(f"{len(self.now_passing)} expected failure(s) in {name} now pass; remove these lines "
                         f"from {self.list_name}:")
            lines.extend(f"  ({e.file!r}, {e.line}, {e.reason!r})" for e in self.now_passing)
        return "\n".join(lines)


def compare(result: FileResult, expected: list[ExpectedFailure], label: str,
            list_name: str = "spec-tests/expected_failures.py") -> Comparison:
    """Check ``result`` (one file under engine configuration ``label``) against the list (named ``list_name``)."""
    listed = {e.line: e for e in expected if e.file == result.name and e.applies_to(label)}
    failed_lines = {f.line for f in result.failures}
    unexpected = tuple(f for f in result.failures if f.line not in listed)
    now_passing = tuple(
        e for line, e in sorted(listed.items()) if line in result.passed_lines and line not in failed_lines
    )
    return Comparison(unexpected, now_passing, list_name)
