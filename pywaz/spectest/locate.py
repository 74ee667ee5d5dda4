"""Find the spec testsuite data and select test files by name or glob.

Two testsuites exist (see ``../shared/wasm-testsuite/README.md``): ``v3``,
the WebAssembly 3.0 tests (``v3-json/``, converted by wasm-tools, plus the
legacy exception-handling tests in ``v3-legacy-json/``, converted by wabt),
and ``v2``, the 2.0 tests (``v2-json/``, wabt). ``pywaz spectest`` runs
:data:`DEFAULT_SUITE`; :func:`find_testsuite` defaults to v2, the suite the
library's own callers (CI, differential tests) were written against.

Where the data lives, first match wins: an explicit directory (``--testsuite``),
the ``PYWAZ_TESTSUITE`` environment variable, then the suite's folder under the
default roots (:func:`default_roots`): ``../shared/wasm-testsuite`` relative to
the current directory and, when pywaz is imported from a source checkout,
relative to that checkout. An installed wheel has no checkout, so only the
current directory and the variable count. A data directory holds
``<name>/<name>.json`` plus module files; a directory that instead contains the
suite's folder (``v3-json/``, ``v2-json/``) is accepted as well. Listing a
``v3-json`` directory includes the files of a ``v3-legacy-json`` directory
beside it, named ``legacy/<name>`` (the two folders share names such as
``throw``).
"""

from __future__ import annotations

import fnmatch
import os
from dataclasses import dataclass
from pathlib import Path

ENV_VAR = "PYWAZ_TESTSUITE"
#: The default root, relative to the current directory (and to a source checkout): one folder per suite.
DEFAULT_RELATIVE = Path("..", "shared", "wasm-testsuite")
# A source checkout holds these next to the package; an installed wheel does not.
_CHECKOUT_MARKERS = ("pyproject.toml", "spec-tests")

# Suite name -> its main data folder; a main folder's companions are listed with it, under a prefix.
SUITES = {"v3": "v3-json", "v2": "v2-json"}
DEFAULT_SUITE = "v3"
COMPANIONS = {"v3-json": (("v3-legacy-json", "legacy/"),)}

# Pinned in /work/shared/wasm-testsuite/README.md; repeated here so the message
# is useful on a machine without that copy.
TESTSUITE_REPO = "https://github.com/WebAssembly/testsuite"
TESTSUITE_COMMIT = "a8101597d3c3c660086c3cd1eedee608ff18d3c3"

MISSING_MESSAGE = (
    "WebAssembly spec testsuite data not found. To get it: clone "
    f"{TESTSUITE_REPO} (the Wasm 3.0 tests at the top level; the 2.0 tests at commit {TESTSUITE_COMMIT}) and "
    "convert each top-level .wast file, with wasm-tools (`wasm-tools json-from-wast NAME.wast -o "
    "v3-json/NAME/NAME.json --wasm-dir v3-json/NAME`) or wabt's wast2json (`wast2json NAME.wast -o "
    f"v2-json/NAME/NAME.json`); then pass --testsuite DIR or set {ENV_VAR}=DIR (DIR is a converted folder, or "
    "the folder holding v3-json/ and v2-json/). Without either, pywaz looks in "
    f"{DEFAULT_RELATIVE.as_posix()} relative to the current directory (and to a pywaz source checkout)."
)


def checkout_root() -> Path | None:
    """The source checkout this pywaz is imported from, or None (installed from a wheel)."""
    root = Path(__file__).resolve().parents[2]
    return root if all((root / marker).exists() for marker in _CHECKOUT_MARKERS) else None


def default_roots() -> tuple[Path, ...]:
    """The folders holding ``v3-json/`` and ``v2-json/`` looked in by default, in order (absolute paths)."""
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


def default_locations(suite: str = "v2") -> tuple[Path, ...]:
    """Where ``suite``'s data is looked for without ``--testsuite`` or ``$PYWAZ_TESTSUITE``, in order."""
    folder = _suite_folder(suite)
    return tuple(root / folder for root in default_roots())


def missing_message(searched=None, suite: str = "v2") -> str:
    """:data:`MISSING_MESSAGE` followed by the absolute paths searched (default: :func:`default_locations`)."""
    searched = default_locations(suite) if searched is None else searched
    return f"{MISSING_MESSAGE} Searched: {', '.join(str(path) for path in searched)}."


class TestsuiteNotFound(Exception):
    """No testsuite data at the requested or default location."""

    __test__ = False  # not a pytest test class

@dataclass(frozen=True, slots=True)
class SpecFile:
    """One converted ``.wast`` file: its base name and the path of its JSON."""

    name: str
    path: Path


def _suite_folder(suite: str) -> str:
    try:
        return SUITES[suite]
    except KeyError:
        raise ValueError(f"unknown testsuite {suite!r}; known: {', '.join(SUITES)}") from None


def _has_files(directory: Path) -> bool:
    if any(directory.glob("*.wast")):
        return True
    return any(path.stem == path.parent.name for path in directory.glob("*/*.json"))


def _data_dir(candidate: Path, suite: str) -> Path | None:
    if not candidate.is_dir():
        return None
    nested = candidate / _suite_folder(suite)
    if nested.is_dir() and not _has_files(candidate):
        return nested
    return candidate


def find_testsuite(explicit: str | os.PathLike | None = None, environ=None, suite: str = "v2") -> Path | None:
    """The data directory of ``suite`` ("v3" or "v2"), or None when no default location has one.

    Raises:
        TestsuiteNotFound: ``explicit`` or ``$PYWAZ_TESTSUITE`` names a missing
            directory (asking for a location that does not exist is an error;
            only the default locations may be absent, or hold no test files).
        ValueError: ``suite`` is not a known suite name.
    """
    _suite_folder(suite)
    environ = os.environ if environ is None else environ
    for source, value in (("--testsuite", explicit), (ENV_VAR, environ.get(ENV_VAR) or None)):
        if value is not None:
            found = _data_dir(Path(value).expanduser(), suite)
            if found is None:
                raise TestsuiteNotFound(f"{source}: {value} is not a directory. {MISSING_MESSAGE}")
            return found
    for candidate in default_locations(suite):
        found = _data_dir(candidate, suite)
        if found is not None and _has_files(found):
            return found
    return None


def _files_in(directory: Path, prefix: str) -> list[SpecFile]:
    return [SpecFile(prefix + path.stem, path) for path in directory.glob("*/*.json") if path.stem == path.parent.name]


def _wast_files(directory: Path) -> list[SpecFile]:
    # The JSON conversions name custom/NAME plain NAME and legacy/NAME "legacy/NAME"; so do these.
    found = [SpecFile(path.stem, path) for path in directory.glob("*.wast")]
    found += [SpecFile(path.stem, path) for path in directory.glob("custom/*.wast")]
    found += [SpecFile("legacy/" + path.stem, path) for path in directory.glob("legacy/*.wast")]
    return found


def list_files(testsuite: Path) -> list[SpecFile]:
    """Every ``<name>/<name>.json`` in ``testsuite`` (and in its companion folders), sorted by name.

    A directory of ``.wast`` scripts (the testsuite itself, as in ``v3/``) lists
    those instead, with its ``custom/`` and ``legacy/`` folders.
    """
    if any(testsuite.glob("*.wast")):
        found = _wast_files(testsuite)
        found.sort(key=lambda f: f.name)
        return found
    found = _files_in(testsuite, "")
    for companion, prefix in COMPANIONS.get(testsuite.name, ()):
        beside = testsuite.parent / companion
        if beside.is_dir():
            found.extend(_files_in(beside, prefix))
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
            pattern = pattern.removesuffix(suffix)
        cleaned.append(pattern)
    selected = [f for f in files if any(fnmatch.fnmatchcase(f.name, p) for p in cleaned)]
    unmatched = [raw for raw, p in zip(patterns, cleaned) if not any(fnmatch.fnmatchcase(f.name, p) for f in files)]
    return selected, unmatched
