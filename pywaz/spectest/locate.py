"""Find the spec testsuite data and select test files by name or glob.

Where the data lives, first match wins: an explicit directory (``--testsuite``),
the ``PYWAZ_TESTSUITE`` environment variable, then the default locations
(:func:`default_locations`): ``../shared/wasm-testsuite/v2-json`` relative to
the current directory and, when pywaz is imported from a source checkout,
relative to that checkout. An installed wheel has no checkout, so only the
current directory and the variable count. A data directory holds
``<name>/<name>.json`` plus module files (wabt ``wast2json`` layout); a
directory that instead contains ``v2-json/`` is accepted as well.
"""

from __future__ import annotations

import fnmatch
import os
from dataclasses import dataclass
from pathlib import Path

ENV_VAR = "PYWAZ_TESTSUITE"
#: The default location, relative to the current directory (and to a source checkout).
DEFAULT_RELATIVE = Path("..", "shared", "wasm-testsuite", "v2-json")
# A source checkout holds these next to the package; an installed wheel does not.
_CHECKOUT_MARKERS = ("pyproject.toml", "spec-tests")

# Pinned in /work/shared/wasm-testsuite/README.md; repeated here so the message
# is useful on a machine without that copy.
TESTSUITE_REPO = "https://github.com/WebAssembly/testsuite"
TESTSUITE_COMMIT = "a8101597d3c3c660086c3cd1eedee608ff18d3c3"

MISSING_MESSAGE = (
    "WebAssembly spec testsuite data not found. To get it: clone "
    f"{TESTSUITE_REPO} at commit {TESTSUITE_COMMIT} (the Wasm 2.0 tests) and convert each top-level "
    ".wast file, with wabt's wast2json (`wast2json NAME.wast -o v2-json/NAME/NAME.json`) or wasm-tools "
    "(`wasm-tools json-from-wast NAME.wast -o v2-json/NAME/NAME.json --wasm-dir v2-json/NAME`); then pass "
    f"--testsuite DIR or set {ENV_VAR}=DIR (DIR is the v2-json folder). Without either, pywaz looks in "
    f"{DEFAULT_RELATIVE.as_posix()} relative to the current directory (and to a pywaz source checkout)."
)


def checkout_root() -> Path | None:
    """The source checkout this pywaz is imported from, or None (installed from a wheel)."""
    root = Path(__file__).resolve().parents[2]
    return root if all((root / marker).exists() for marker in _CHECKOUT_MARKERS) else None


def default_locations() -> tuple[Path, ...]:
    """Where the data is looked for without ``--testsuite`` or ``$PYWAZ_TESTSUITE``, in order (absolute paths)."""
    bases = [Path.cwd()]
    checkout = checkout_root()
    if checkout is not None:
        bases.append(checkout)
    found: list[Path] = []
    for base in bases:
        candidate = Path(os.path.normpath(base / DEFAULT_RELATIVE))
        if candidate not in found:
            found.append(candidate)
    return tuple(found)


def missing_message(searched=None) -> str:
    """:data:`MISSING_MESSAGE` followed by the absolute paths searched (default: :func:`default_locations`)."""
    searched = default_locations() if searched is None else searched
    return f"{MISSING_MESSAGE} Searched: {', '.join(str(path) for path in searched)}."


class TestsuiteNotFound(Exception):
    """No testsuite data at the requested or default location."""

    __test__ = False  # not a pytest test class


@dataclass(frozen=True, slots=True)
class SpecFile:
    """One converted ``.wast`` file: its base name and the path of its JSON."""

    name: str
    path: Path


def _data_dir(candidate: Path) -> Path | None:
    if not candidate.is_dir():
        return None
    nested = candidate / "v2-json"
    if nested.is_dir() and not any(candidate.glob("*/*.json")):
        return nested
    return candidate


def find_testsuite(explicit: str | os.PathLike | None = None, environ=None) -> Path | None:
    """The testsuite data directory, or None when no default location has one.

    Raises:
        TestsuiteNotFound: ``explicit`` or ``$PYWAZ_TESTSUITE`` names a missing
            directory (asking for a location that does not exist is an error;
            only the default locations may be absent, or hold no test files).
    """
    environ = os.environ if environ is None else environ
    for source, value in (("--testsuite", explicit), (ENV_VAR, environ.get(ENV_VAR) or None)):
        if value is not None:
            found = _data_dir(Path(value).expanduser())
            if found is None:
                raise TestsuiteNotFound(f"{source}: {value} is not a directory. {MISSING_MESSAGE}")
            return found
    for candidate in default_locations():
        found = _data_dir(candidate)
        if found is not None and any(found.glob("*/*.json")):
            return found
    return None


def list_files(testsuite: Path) -> list[SpecFile]:
    """Every ``<name>/<name>.json`` in ``testsuite``, sorted by name."""
    found = []
    for path in testsuite.glob("*/*.json"):
        if path.stem == path.parent.name:
            found.append(SpecFile(path.stem, path))
    found.sort(key=lambda f: f.name)
    return found


def select_files(files: list[SpecFile], patterns) -> tuple[list[SpecFile], list[str]]:
    """Files whose base name equals or glob-matches any pattern, plus patterns that matched nothing.

    No patterns selects every file. A pattern may be written with a ``.wast``
    or ``.json`` suffix (``i32.wast``). Order follows ``files``.
    """
    if not patterns:
        return list(files), []
    cleaned = []
    for pattern in patterns:
        for suffix in (".wast", ".json"):
            if pattern.endswith(suffix):
                pattern = pattern[: -len(suffix)]
        cleaned.append(pattern)
    selected = [f for f in files if any(fnmatch.fnmatchcase(f.name, p) for p in cleaned)]
    unmatched = [raw for raw, p in zip(patterns, cleaned) if not any(fnmatch.fnmatchcase(f.name, p) for f in files)]
    return selected, unmatched
