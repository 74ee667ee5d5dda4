"""Run a WASI command under wasmtime, the native reference, and capture everything.

Differential tests run the same program under pywaz and compare with
:func:`run_wasmtime`. Import it by path (tests/ is not a package), e.g.::

    sys.path.insert(0, str(REPO / "tests" / "programs"))
    from reference import PROGRAMS_WASM, program_path, run_wasmtime

    code, out, err = run_wasmtime(program_path("wc"), ["wc"], stdin=b"a b\\n")

stdin/stdout/stderr go through temporary files, because wasmtime's Python
binding exposes WASI stdio as host files.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import NamedTuple

PROGRAMS_DIR = Path(__file__).resolve().parent
PROGRAMS_SRC = PROGRAMS_DIR / "src"
PROGRAMS_WASM = PROGRAMS_DIR / "wasm"

# Every program built by build.sh, by name (src/<name>.c -> wasm/<name>.wasm).
PROGRAM_NAMES = tuple(sorted(p.stem for p in PROGRAMS_SRC.glob("*.c")))


class RunResult(NamedTuple):
    """What a WASI command did: its exit code and its output bytes."""

    exit_code: int
    stdout: bytes
    stderr: bytes


def program_path(name: str) -> Path:
    """Path of the built program ``name`` (e.g. "hello")."""
    return PROGRAMS_WASM / f"{name}.wasm"


def _env_pairs(env: Mapping[str, str] | Iterable[tuple[str, str]] | None) -> list[list[str]]:
    if env is None:
        return []
    items = env.items() if isinstance(env, Mapping) else env
    return [[name, value] for name, value in items]


def run_wasmtime(
    wasm_path: str | os.PathLike,
    args: Iterable[str] = (),
    env: Mapping[str, str] | Iterable[tuple[str, str]] | None = None,
    stdin: bytes = b"",
    preopens: Mapping[str, str | os.PathLike] | None = None,
    wasm_exceptions: bool = False,
) -> RunResult:
    """Run the command ``wasm_path`` to completion under wasmtime.

    ``args`` is the full argv (argv[0] included; pass the program name first).
    ``env`` is a mapping or ordered pairs, passed in order. ``preopens`` maps
    guest paths (e.g. "/sandbox") to host directories, opened read-write.
    The exit code is 0 when ``_start`` returns, the ``proc_exit`` code
    otherwise. ``wasm_exceptions`` switches on wasmtime's exception-handling
    proposal (off in its default configuration), for C++ built with
    ``-fwasm-exceptions``.

    Raises:
        wasmtime.WasmtimeError: the module is invalid, or it trapped (other
            than by exiting) -- the reference never traps on our programs.
    """
    import wasmtime

    engine_config = wasmtime.Config()
    engine_config.wasm_exceptions = wasm_exceptions
    engine = wasmtime.Engine(engine_config)
    module = wasmtime.Module.from_file(engine, str(wasm_path))
    with tempfile.TemporaryDirectory(prefix="pywaz-ref-") as scratch:
        stdin_path = os.path.join(scratch, "stdin")
        stdout_path = os.path.join(scratch, "stdout")
        stderr_path = os.path.join(scratch, "stderr")
        with open(stdin_path, "wb") as handle:
            handle.write(stdin)

        config = wasmtime.WasiConfig()
        config.argv = list(args)
        config.env = _env_pairs(env)
        config.stdin_file = stdin_path
        config.stdout_file = stdout_path
        config.stderr_file = stderr_path
        for guest, host in (preopens or {}).items():
            config.preopen_dir(str(host), guest)

        store = wasmtime.Store(engine)
        store.set_wasi(config)
        linker = wasmtime.Linker(engine)
        linker.define_wasi()
        instance = linker.instantiate(store, module)
        start = instance.exports(store)["_start"]
        try:
            start(store)
            exit_code = 0
        except wasmtime.ExitTrap as exc:
            exit_code = exc.code
        # The store owns the open stdio files; drop it so everything is flushed.
        del instance, start, store
        with open(stdout_path, "rb") as handle:
            stdout = handle.read()
        with open(stderr_path, "rb") as handle:
            stderr = handle.read()
    return RunResult(exit_code, stdout, stderr)
