"""The public API as type checkers see it: every name resolves through ``pywaz/__init__.py``'s
TYPE_CHECKING imports (not to ``Any``), and mypy checks real embedding code against the annotations."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

import pywaz

INIT = Path(pywaz.__file__)


def _type_checking_imports() -> set[str]:
    tree = ast.parse(INIT.read_text())
    for node in tree.body:
        if isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING":
            return {alias.asname or alias.name for imp in node.body for alias in imp.names}
    raise AssertionError("pywaz/__init__.py has no `if TYPE_CHECKING:` block")


def test_lazy_names_type_checking_imports_and_all_agree():
    public = set(pywaz.__all__) - {"__version__"}
    assert set(pywaz._LAZY) == public
    assert _type_checking_imports() == public


def test_type_checking_is_false_at_run_time_and_imports_nothing():
    assert pywaz.TYPE_CHECKING is False
    assert "typing" not in pywaz.__dict__


def _mypy(tmp_path: Path, source: str) -> list[str]:
    pytest.importorskip("mypy", reason="mypy is in the test extra")
    path = tmp_path / "embedder.py"
    path.write_text(source)
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--cache-dir",
            str(tmp_path / ".mypy_cache"),
            "--follow-imports=silent",  # judge the embedder's code, not pywaz's internals
            "--no-error-summary",
            "--show-error-codes",
            str(path),
        ],
        capture_output=True,
        text=True,
        cwd=INIT.parents[1],
    )
    assert proc.returncode in (0, 1), proc.stderr
    return [line.split(": ", 1)[1] for line in proc.stdout.splitlines() if line.startswith(str(path))]


def test_every_public_name_resolves_to_its_definition(tmp_path):
    names = sorted(set(pywaz.__all__) - {"__version__"})
    lines = _mypy(tmp_path, "import pywaz\n" + "".join(f"reveal_type(pywaz.{name})\n" for name in names))
    revealed = [line for line in lines if line.startswith("note: Revealed type is")]
    assert len(revealed) == len(names), lines
    for name, line in zip(names, revealed, strict=True):
        assert "Any" != line.split('"')[1], f"pywaz.{name} is Any to a type checker: {line}"
        # A class or a function over pywaz types names the package; a function over builtins only
        # (wat2wasm: str | bytes -> bytes) shows its full signature, which is resolution too.
        revealed_type = line.split('"')[1]
        assert "pywaz." in line or revealed_type.startswith("def ("), (
            f"pywaz.{name} does not resolve into the package: {line}")
    assert not [line for line in lines if line.startswith("error")]


EMBEDDER = '''
import pywaz

def run(data: bytes) -> int:
    cache = pywaz.CompilationCache()
    with pywaz.Runtime("compiler", cache=cache, max_memory_pages=16) as runtime:
        compiled: pywaz.CompiledModule = runtime.compile_module(data)
        instance: pywaz.Instance = runtime.instantiate_module(compiled)
        try:
            result = instance.exports["add"](2, 3)
        except pywaz.Trap as trap:
            kind: pywaz.TrapKind = trap.kind
            print(kind)
            return -1
        return int(result)
'''


def test_embedding_code_type_checks(tmp_path):
    assert _mypy(tmp_path, EMBEDDER) == []


def test_a_type_error_in_embedding_code_is_reported(tmp_path):
    lines = _mypy(tmp_path, EMBEDDER + "\nnot_a_runtime: int = pywaz.Runtime('compiler')\n")
    assert len(lines) == 1 and "Incompatible types in assignment" in lines[0] and '"Runtime"' in lines[0]
