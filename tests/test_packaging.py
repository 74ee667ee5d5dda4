"""What ``pip install pywaz`` and an sdist deliver: license metadata, the type marker, the files the CLI
reads at run time, the version from one place, and an sdist that carries the tests.

Builds with the pinned ``build`` frontend and setuptools from the test extra, without build isolation
(offline, a few seconds)."""

from __future__ import annotations

import os
import subprocess
import sys
import tarfile
import zipfile
from email.parser import Parser
from pathlib import Path

import pytest

import pywaz

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def dist(tmp_path_factory) -> dict[str, Path]:
    pytest.importorskip("build", reason="the build frontend is in the test extra")
    if not (REPO / "pyproject.toml").is_file():
        pytest.skip("not a source checkout")
    out = tmp_path_factory.mktemp("dist")
    proc = subprocess.run(
        [sys.executable, "-m", "build", "--no-isolation", "--outdir", str(out), str(REPO)],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    # setuptools reports a deprecated or invalid project table as a warning on every install.
    assert "Deprecat" not in proc.stdout + proc.stderr
    (sdist,) = out.glob("*.tar.gz")
    (wheel,) = out.glob("*.whl")
    return {"sdist": sdist, "wheel": wheel}


def _metadata(wheel: Path):
    with zipfile.ZipFile(wheel) as archive:
        (name,) = [n for n in archive.namelist() if n.endswith(".dist-info/METADATA")]
        return Parser().parsestr(archive.read(name).decode())


def test_wheel_metadata(dist):
    meta = _metadata(dist["wheel"])
    assert meta["Version"] == pywaz.__version__
    assert meta["License-Expression"] == "Apache-2.0"
    assert meta["Requires-Python"] == ">=3.11"
    runtime_deps = [d for d in meta.get_all("Requires-Dist") if "extra ==" not in d]
    assert sorted(d.split(">")[0].split("=")[0] for d in runtime_deps) == ["msgpack", "numpy"]
    test_deps = [d for d in meta.get_all("Requires-Dist") if 'extra == "test"' in d]
    assert test_deps and all("==" in d for d in test_deps), "test-only tools are pinned to exact versions"
    assert "Typing :: Typed" in meta.get_all("Classifier")


def test_wheel_ships_license_type_marker_and_data_files(dist):
    with zipfile.ZipFile(dist["wheel"]) as archive:
        names = set(archive.namelist())
    assert "pywaz/py.typed" in names
    assert "pywaz/inspect/schema.json" in names
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names)
    source_modules = {p.relative_to(REPO).as_posix() for p in (REPO / "pywaz").rglob("*.py")}
    assert source_modules <= names


def test_installed_wheel_serves_the_inspect_schema(dist, tmp_path):
    with zipfile.ZipFile(dist["wheel"]) as archive:
        archive.extractall(tmp_path / "site")
    code = (
        "import pywaz, sys\n"
        "from pywaz.cli import main\n"
        "assert pywaz.__file__.startswith(sys.argv[1]), pywaz.__file__\n"
        "sys.exit(main(['inspect', '--schema']))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(tmp_path / "site")}
    proc = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path / "site")], capture_output=True, text=True, env=env, cwd=tmp_path
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == (REPO / "pywaz" / "inspect" / "schema.json").read_text()


def test_sdist_carries_tests_and_the_files_make_test_needs(dist):
    with tarfile.open(dist["sdist"]) as archive:
        names = {name.split("/", 1)[1] for name in archive.getnames() if "/" in name}
    for required in ("LICENSE", "README.md", "Makefile", "constraints.txt", "pyproject.toml", ".ci/run"):
        assert required in names
    missing = _source_files() - names
    assert not missing, f"the sdist lacks {sorted(missing)[:5]}"


def _source_files() -> set[str]:
    """The files of the package, tests and benchmarks: git's list in a clone, else the tree minus build output."""
    trees = ("tests", "spec-tests", "bench", "pywaz")
    if (REPO / ".git").exists():
        proc = subprocess.run(["git", "ls-files", *trees], capture_output=True, text=True, cwd=REPO)
        if proc.returncode == 0:
            return {line for line in proc.stdout.splitlines() if (REPO / line).is_file()}
    skipped = {"__pycache__", ".data", ".benchmarks"}
    return {
        p.relative_to(REPO).as_posix()
        for tree in trees
        for p in (REPO / tree).rglob("*")
        if p.is_file() and not skipped & set(p.parts)
    }


def test_installed_wheel_spectest_without_data_says_where_it_looked(dist, tmp_path):
    """Installed from a wheel there is no checkout: the default is relative to the working directory only."""
    with zipfile.ZipFile(dist["wheel"]) as archive:
        archive.extractall(tmp_path / "site")
    work = tmp_path / "work"
    work.mkdir()
    env = {key: value for key, value in os.environ.items() if key != "PYWAZ_TESTSUITE"}
    env["PYTHONPATH"] = str(tmp_path / "site")
    proc = subprocess.run(
        [sys.executable, "-c", "import sys\nfrom pywaz.cli import main\nsys.exit(main(['spectest']))"],
        capture_output=True, text=True, env=env, cwd=work,
    )
    assert proc.returncode == 66 and proc.stdout == ""
    assert proc.stderr.strip().endswith(f"Searched: {tmp_path / 'shared' / 'wasm-testsuite' / 'v3-json'}.")
    assert "PYWAZ_TESTSUITE" in proc.stderr and str(tmp_path / "site") not in proc.stderr
