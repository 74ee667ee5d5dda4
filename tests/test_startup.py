"""Start-up cost guards: what ``import pywaz`` and a warm ``pywaz run`` import.

Issue 6 wants ``pywaz run hello.wasm`` on a warm cache close to a bare Python
start. The expensive parts (decoder, validator, the ``Op`` enum, the compiler's
lowering, SIMD tables, numpy) are only needed when something is decoded or
compiled, so these tests check, in fresh processes, that they are not
imported when nothing is. They assert module names, never times. The lazy
package and ``Op`` must still behave exactly as eager ones: every public name
importable, listed by ``dir``, identical objects from every route.
"""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
HELLO = REPO / "tests" / "programs" / "wasm" / "hello.wasm"

# Needed only to decode, validate or compile a module, or by other subsystems.
HEAVY = (
    "numpy",
    "msgpack",
    "pywaz.decoder",
    "pywaz.validator",
    "pywaz.opcodes",
    "pywaz.compiler.lower",
    "pywaz.simd",
    "pywaz.interpreter",
)


def _environ() -> dict:
    environ = dict(os.environ)
    environ["PYTHONPATH"] = str(REPO) + os.pathsep + environ.get("PYTHONPATH", "")
    return environ


def _python(*argv: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *argv], capture_output=True, env=_environ(), timeout=300, check=False)


def _modules_after(code: str) -> set[str]:
    """The names in ``sys.modules`` after running ``code`` in a fresh interpreter."""
    proc = _python("-c", code + "\nimport sys\nprint('\\n'.join(sys.modules))")
    assert proc.returncode == 0, proc.stderr.decode(errors="replace")
    return set(proc.stdout.decode().split())


def _imported_by(modules: set[str], prefix: str) -> bool:
    return prefix in modules or any(name.startswith(prefix + ".") for name in modules)


def test_import_pywaz_loads_no_subsystem():
    modules = _modules_after("import pywaz")
    loaded = [name for name in HEAVY + ("pywaz.cache", "pywaz.vm", "pywaz.wasi") if _imported_by(modules, name)]
    assert loaded == []


def test_import_pywaz_opcodes_does_not_build_op():
    modules = _modules_after("import pywaz.opcodes as o\nassert 'Op' not in vars(o), 'Op built eagerly'")
    assert "pywaz.opcodes" in modules


def test_every_public_name_resolves_to_its_submodule_object():
    import pywaz

    for name in pywaz.__all__:
        assert name in dir(pywaz)
        value = getattr(pywaz, name)
        if name != "__version__":
            home = sys.modules[f"pywaz{pywaz._LAZY[name]}"]
            assert value is getattr(home, name), name
    assert set(pywaz.__all__) == set(pywaz._LAZY) | {"__version__"}


def test_from_imports_and_star_import_bind_the_public_names():
    namespace: dict = {}
    exec("from pywaz import *", namespace)
    import pywaz

    assert {name for name in namespace if name != "__builtins__"} == set(pywaz.__all__)
    from pywaz import Runtime, TrapKind, validate

    assert Runtime is pywaz.vm.Runtime and TrapKind is pywaz.errors.TrapKind
    assert validate is pywaz.validator.validate


def test_unknown_package_attribute_is_an_attribute_error():
    import pywaz

    with pytest.raises(AttributeError, match="no attribute 'NoSuchName'"):
        pywaz.NoSuchName  # noqa: B018
    with pytest.raises(ImportError):
        exec("from pywaz import NoSuchName", {})


def test_lazy_op_matches_the_opcode_tables():
    import enum

    from pywaz import opcodes

    op = opcodes.Op
    assert op is opcodes.Op and "Op" in dir(opcodes)
    assert issubclass(op, enum.IntEnum) and op.__module__ == "pywaz.opcodes" and op.__qualname__ == "Op"
    assert {member.value: member.name for member in op} == {
        code: name.upper().replace(".", "_") for code, name in opcodes.OP_NAMES.items()
    }
    assert op(0x6A) is op.I32_ADD and op["V128_LOAD8X8_S"] == 0xFD01
    assert pickle.loads(pickle.dumps(op.I32_ADD)) is op.I32_ADD
    with pytest.raises(AttributeError):
        opcodes.NoSuchName  # noqa: B018


def test_concurrent_first_use_of_op_builds_one_class():
    code = (
        "import sys, threading, pywaz.opcodes as o\n"
        "sys.setswitchinterval(1e-6)  # switch threads often so an unlocked build would race\n"
        "seen = []\n"
        "barrier = threading.Barrier(8)\n"
        "def use():\n"
        "    barrier.wait()\n"
        "    seen.append(o.Op)\n"
        "threads = [threading.Thread(target=use) for _ in range(8)]\n"
        "[t.start() for t in threads]\n"
        "[t.join() for t in threads]\n"
        "assert len(seen) == 8 and all(op is o.Op for op in seen), seen\n"
    )
    proc = _python("-c", code)
    assert proc.returncode == 0, proc.stderr.decode(errors="replace")


def _warm_run_modules(cache_dir: Path) -> tuple[bytes, set[str]]:
    """Stdout and imported module names of ``python -m pywaz run`` (from ``-X importtime``)."""
    # The compiler engine: its warm run has every function's code. (The tiered default compiles only hot
    # functions, so a warm run still decodes and interprets the others.)
    proc = _python("-X", "importtime", "-m", "pywaz", "run", "--engine", "compiler", "--cache-dir", str(cache_dir),
                   str(HELLO))
    assert proc.returncode == 0, proc.stderr.decode(errors="replace")
    modules = set()
    for line in proc.stderr.decode(errors="replace").splitlines():
        if line.startswith("import time:") and line.count("|") == 2:
            modules.add(line.rsplit("|", 1)[1].strip())
    assert "pywaz.vm" in modules  # the trace really is the run's
    return proc.stdout, modules


@pytest.mark.skipif(not HELLO.is_file(), reason="tests/programs are not present")
def test_warm_pywaz_run_decodes_and_compiles_nothing(tmp_path):
    cold_stdout, cold_modules = _warm_run_modules(tmp_path)
    assert cold_stdout == b"hello, world\n"
    assert "pywaz.decoder" in cold_modules  # the cold run did decode, so the probe sees imports

    warm_stdout, warm_modules = _warm_run_modules(tmp_path)
    assert warm_stdout == b"hello, world\n"
    # msgpack is left out: the cache entry format reads its header with it.
    heavy = [name for name in HEAVY if name != "msgpack" and _imported_by(warm_modules, name)]
    # ctypes (timeouts) and socket (WASI sockets) are for programs that use them; dataclasses and
    # inspect (with ast, dis, tokenize) cost a fifth of a warm run and the records in pywaz._records
    # replace them (unless the interpreter's own start-up, site-packages hooks included, loads them).
    baseline = _bare_start_modules()
    heavy += [name for name in ("ctypes", "socket", "dataclasses", "inspect") if name in warm_modules - baseline]
    assert heavy == []


def _bare_start_modules() -> set[str]:
    proc = _python("-X", "importtime", "-c", "pass")
    return {
        line.rsplit("|", 1)[1].strip()
        for line in proc.stderr.decode(errors="replace").splitlines()
        if line.startswith("import time:") and line.count("|") == 2
    }
