"""Build the C test programs and run them under wasmtime (reference) or pywaz, capturing everything."""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass

PROGRAM_DIR = os.path.join(os.path.dirname(__file__), "programs")


@dataclass(frozen=True)
class Outcome:
    exit_code: int
    stdout: bytes
    stderr: bytes
    tree: dict  # relative path -> file bytes, ("symlink", target) or "dir"


def compile_program(name: str, out_dir: str) -> str | None:
    """Compile programs/<name>.c to wasm32-wasi; None when clang/sysroot are unavailable."""
    clang = shutil.which("clang")
    if clang is None:
        return None
    output = os.path.join(out_dir, name + ".wasm")
    result = subprocess.run(
        [clang, "--target=wasm32-wasi", "--sysroot=/usr", "-O1", os.path.join(PROGRAM_DIR, name + ".c"), "-o", output],
        capture_output=True,
    )
    return output if result.returncode == 0 else None


def snapshot(root: str) -> dict:
    tree = {}
    for directory, dirs, files in os.walk(root):
        for name in dirs + files:
            path = os.path.join(directory, name)
            key = os.path.relpath(path, root)
            if os.path.islink(path):
                tree[key] = ("symlink", os.readlink(path))
            elif os.path.isdir(path):
                tree[key] = "dir"
            else:
                with open(path, "rb") as handle:
                    tree[key] = handle.read()
    return tree


def run_wasmtime(wasm: str, args, env, stdin: bytes, sandbox: str, scratch: str) -> Outcome:
    import wasmtime

    paths = {name: os.path.join(scratch, "wt_" + name) for name in ("stdin", "stdout", "stderr")}
    with open(paths["stdin"], "wb") as handle:
        handle.write(stdin)
    config = wasmtime.WasiConfig()
    config.argv = list(args)
    config.env = [list(pair) for pair in env]
    config.stdin_file = paths["stdin"]
    config.stdout_file = paths["stdout"]
    config.stderr_file = paths["stderr"]
    config.preopen_dir(sandbox, "/sandbox")
    engine = wasmtime.Engine()
    store = wasmtime.Store(engine)
    store.set_wasi(config)
    linker = wasmtime.Linker(engine)
    linker.define_wasi()
    instance = linker.instantiate(store, wasmtime.Module.from_file(engine, wasm))
    try:
        instance.exports(store)["_start"](store)
        code = 0
    except wasmtime.ExitTrap as exit_:
        code = exit_.code
    del store
    with open(paths["stdout"], "rb") as out, open(paths["stderr"], "rb") as err:
        return Outcome(code, out.read(), err.read(), snapshot(sandbox))


def run_pywaz(wasm: str, args, env, stdin: bytes, sandbox: str, engine: str) -> Outcome:
    import io

    import pywaz
    from pywaz.wasi import WasiConfig, run_command

    out, err = io.BytesIO(), io.BytesIO()
    config = WasiConfig(args=tuple(args), env=tuple(env), stdin=stdin, stdout=out, stderr=err,
                        preopens=(("/sandbox", sandbox),))
    with open(wasm, "rb") as handle:
        data = handle.read()
    with pywaz.Runtime(engine) as runtime:
        code = run_command(runtime, data, config)
    return Outcome(code, out.getvalue(), err.getvalue(), snapshot(sandbox))
