"""``python -m pywaz.demo [FILE.wasm]`` (``make demo``): show pywaz running real programs.

First a readable summary of a module (sections, imports, exports, function
and instruction counts, decode/validate times). Then, when the module is a
WASI command, the demo runs it through ``pywaz run`` -- the real command line,
in a subprocess, exactly as a user would -- twice with a fresh temporary disk
cache: the first run compiles, the second is a cache hit, and the timings and
``--stats`` lines show the difference. Without FILE the module is
``tests/programs/wasm/hello.wasm`` and the demo also runs ``wc`` over a text
and checks its count against Python's. The temporary cache is deleted
afterwards. Without any ``.wasm`` in the repository, a small module built
in-process is summarised instead, so the demo works on a fresh clone.

The demo is a list of steps (:data:`STEPS`), each a function taking the
:class:`DemoContext` and printing its part.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from .errors import PywazError
from .ir import (
    EXTERN_FUNC,
    EXTERN_GLOBAL,
    EXTERN_KIND_NAMES,
    EXTERN_MEMORY,
    EXTERN_TABLE,
    VALTYPE_NAMES,
    GlobalType,
    Limits,
    MemoryType,
    TableType,
)
from .text.leb import uleb as _leb

REPO_ROOT = Path(__file__).resolve().parents[1]
# Where the demo looks for a real module, in order (a hello.wasm is preferred within a directory).
CANDIDATE_DIRS = ("tests/programs/wasm", "tests/programs", "bench/kernels")
PREFERRED_MODULE = "hello.wasm"
# The WASI command that counts words in the default demo, next to the summarised module.
WC_PROGRAM = "wc.wasm"
WC_TEXT = (
    "WebAssembly describes a memory-safe, sandboxed execution environment\n"
    "that may even be implemented inside existing JavaScript virtual machines.\n"
    "pywaz runs it in pure Python: decode, validate, compile to code objects, cache.\n"
) * 40

SECTION_NAMES = {
    0: "custom", 1: "type", 2: "import", 3: "function", 4: "table", 5: "memory", 6: "global",
    7: "export", 8: "start", 9: "element", 10: "code", 11: "data", 12: "data count",
}


@dataclass
class DemoContext:
    """What the steps share: the module's origin and bytes, and what earlier steps produced."""

    label: str
    data: bytes
    path: Path | None = None  # the module's file (None for the built-in module)
    default_run: bool = False  # no FILE given: also run wc next to the module
    module: object = None  # pywaz.ir.Module after the decode step
    validated: object = None  # pywaz.ir.ValidatedModule after the validate step
    timings: dict = field(default_factory=dict)
    summary: list = field(default_factory=list)  # (label, cold CliRun, warm CliRun) per program run
    failures: list = field(default_factory=list)  # what went wrong, for the summary and the exit status


def find_demo_module(root: Path = REPO_ROOT) -> Path | None:
    """The first ``.wasm`` file in the candidate directories (sorted by name), or None."""
    for directory in CANDIDATE_DIRS:
        found = sorted((root / directory).glob("*.wasm"))
        if found:
            preferred = [path for path in found if path.name == PREFERRED_MODULE]
            return (preferred or found)[0]
    return None


# -- a module built in-process (used when the repository holds no .wasm) --------


def _vec(items) -> bytes:
    items = list(items)
    return _leb(len(items)) + b"".join(items)


def _name(text: str) -> bytes:
    raw = text.encode()
    return _leb(len(raw)) + raw


def _section(section_id: int, payload: bytes) -> bytes:
    return bytes([section_id]) + _leb(len(payload)) + payload


def builtin_module() -> bytes:
    """A small valid module: imports a host print, exports memory, ``add`` and ``fac`` (iterative i64)."""
    i32, i64, func = 0x7F, 0x7E, 0x60
    types = _vec([
        bytes([func]) + _vec([bytes([i32])]) + _vec([]),  # 0: (i32) -> ()
        bytes([func]) + _vec([bytes([i32]), bytes([i32])]) + _vec([bytes([i32])]),  # 1: (i32 i32) -> i32
        bytes([func]) + _vec([bytes([i64])]) + _vec([bytes([i64])]),  # 2: (i64) -> i64
    ])
    imports = _vec([_name("env") + _name("print_i32") + b"\x00" + _leb(0)])
    functions = _vec([_leb(1), _leb(2)])
    memory = _vec([b"\x01\x01\x02"])  # min 1, max 2 pages
    exports = _vec([
        _name("memory") + b"\x02" + _leb(0),
        _name("add") + b"\x00" + _leb(1),
        _name("fac") + b"\x00" + _leb(2),
    ])
    add = b"\x00" + b"\x20\x00\x20\x01\x6a" + b"\x0b"  # local.get 0, local.get 1, i32.add
    # acc = 1; loop: if n == 0 break; acc *= n; n -= 1
    fac = (
        _vec([b"\x01" + bytes([i64])])
        + b"\x42\x01\x21\x01"  # i64.const 1, local.set 1
        + b"\x02\x40\x03\x40"  # block, loop
        + b"\x20\x00\x50\x0d\x01"  # local.get 0, i64.eqz, br_if 1
        + b"\x20\x01\x20\x00\x7e\x21\x01"  # acc = acc * n
        + b"\x20\x00\x42\x01\x7d\x21\x00"  # n = n - 1
        + b"\x0c\x00\x0b\x0b"  # br 0, end loop, end block
        + b"\x20\x01\x0b"  # local.get 1, end
    )
    code = _vec([_leb(len(add)) + add, _leb(len(fac)) + fac])
    data = _vec([b"\x00\x41\x00\x0b" + _vec([bytes([c]) for c in b"hello from pywaz"])])
    return b"\x00asm\x01\x00\x00\x00" + b"".join([
        _section(1, types), _section(2, imports), _section(3, functions), _section(5, memory),
        _section(7, exports), _section(10, code), _section(11, data),
    ])


# -- formatting ------------------------------------------------------------------


def _limits(limits: Limits, unit: str) -> str:
    top = "unbounded" if limits.max is None else str(limits.max)
    return f"min {limits.min}, max {top} {unit}"


def describe_desc(module, kind: int, desc) -> str:
    """A readable type for an import descriptor or an exported entity."""
    if kind == EXTERN_FUNC:
        return str(module.types[desc]) if isinstance(desc, int) and desc < len(module.types) else str(desc)
    if kind == EXTERN_TABLE and isinstance(desc, TableType):
        return f"{VALTYPE_NAMES.get(desc.elem_type, '?')}, {_limits(desc.limits, 'entries')}"
    if kind == EXTERN_MEMORY and isinstance(desc, MemoryType):
        return _limits(desc.limits, "pages")
    if kind == EXTERN_GLOBAL and isinstance(desc, GlobalType):
        return f"{'mut ' if desc.mutable else ''}{VALTYPE_NAMES.get(desc.valtype, '?')}"
    return str(desc)


def export_type(validated, kind: int, index: int) -> str:
    """The type of export ``index`` of ``kind``, from the validated index spaces."""
    spaces = {
        EXTERN_FUNC: validated.func_types,
        EXTERN_TABLE: validated.table_types,
        EXTERN_MEMORY: validated.memory_types,
        EXTERN_GLOBAL: validated.global_types,
    }
    space = spaces.get(kind, ())
    if not 0 <= index < len(space):
        return "?"
    entry = space[index]
    return str(entry) if kind == EXTERN_FUNC else describe_desc(validated.module, kind, entry)


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


# -- steps -------------------------------------------------------------------------


def step_decode(ctx: DemoContext) -> None:
    """Decode the bytes and print the section table."""
    from .decoder import decode_module

    start = time.perf_counter()
    ctx.module = module = decode_module(ctx.data)
    ctx.timings["decode"] = time.perf_counter() - start
    print(f"module   {ctx.label}")
    print(f"size     {len(ctx.data)} bytes, sha256 {hashlib.sha256(ctx.data).hexdigest()[:16]}...")
    print(f"decoded  in {_ms(ctx.timings['decode'])}")
    print()
    print("sections")
    customs = iter(module.customs)
    for section_id, offset, size in module.section_sizes:
        name = SECTION_NAMES.get(section_id, f"unknown {section_id}")
        if section_id == 0:
            custom = next(customs, None)
            name = f"custom {custom.name!r}" if custom is not None else name
        print(f"  {name:24} offset 0x{offset:06x}  {size:9} bytes")


def step_validate(ctx: DemoContext) -> None:
    """Validate the module and print its index spaces, imports and exports."""
    from .validator import validate

    module = ctx.module
    start = time.perf_counter()
    ctx.validated = validated = validate(module)
    ctx.timings["validate"] = time.perf_counter() - start
    imported = validated.num_imported_funcs
    instructions = sum(len(body.ops) for body in module.codes)
    code_bytes = sum(body.end - body.offset for body in module.codes)
    deepest = max((info.max_height for info in validated.functions), default=0)
    print()
    print(f"validated in {_ms(ctx.timings['validate'])}")
    print(f"  types      {len(module.types)}")
    print(f"  functions  {len(validated.func_types)} ({imported} imported, {len(validated.functions)} defined)")
    print(f"  code       {instructions} instructions in {code_bytes} bytes; deepest operand stack {deepest}")
    print(f"  tables     {len(validated.table_types)}, memories {len(validated.memory_types)}, "
          f"globals {len(validated.global_types)}")
    print(f"  segments   {len(module.elements)} element, {len(module.datas)} data")
    if module.start is not None:
        print(f"  start      function {module.start} ({module.function_name(module.start)})")
    print()
    print(f"imports ({len(module.imports)})")
    for entry in module.imports:
        kind = EXTERN_KIND_NAMES.get(entry.kind, "?")
        print(f"  {entry.module + '.' + entry.name:34} {kind:6} {describe_desc(module, entry.kind, entry.desc)}")
    print(f"exports ({len(module.exports)})")
    for entry in module.exports:
        kind = EXTERN_KIND_NAMES.get(entry.kind, "?")
        print(f"  {entry.name:34} {kind:6} {export_type(validated, entry.kind, entry.index)}")


def is_wasi_command(validated) -> bool:
    """Whether the module is a WASI command: imports only ``wasi_snapshot_preview1``, exports ``_start`` and memory."""
    module = validated.module
    exports = {entry.name: entry.kind for entry in module.exports}
    return (
        exports.get("_start") == EXTERN_FUNC
        and exports.get("memory") == EXTERN_MEMORY
        and all(entry.module == "wasi_snapshot_preview1" for entry in module.imports)
    )


@dataclass
class CliRun:
    """One ``pywaz run`` process: what it printed, its exit status, its wall time and its ``--stats`` line."""

    exit_code: int
    stdout: bytes
    stderr: bytes
    seconds: float
    stats: str


STATS_PREFIX = "pywaz run: module "


def pywaz_run(wasm: Path, args=(), stdin: bytes = b"", cache_dir: str | None = None) -> CliRun:
    """Run ``python -m pywaz run --stats [--cache-dir DIR] WASM ARGS`` in a subprocess and time the whole process."""
    env = dict(os.environ)
    env["PYTHONPATH"] = str(REPO_ROOT) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    cache = ["--cache-dir", cache_dir] if cache_dir else ["--no-cache"]
    command = [sys.executable, "-m", "pywaz", "run", "--stats", *cache, str(wasm), *args]
    start = time.perf_counter()
    proc = subprocess.run(command, input=stdin, capture_output=True, env=env, timeout=600, check=False)
    seconds = time.perf_counter() - start
    lines = proc.stderr.decode(errors="replace").splitlines()
    stats = lines[-1] if lines and lines[-1].startswith(STATS_PREFIX) else ""
    stderr = proc.stderr
    if stats:
        stderr = stderr[: stderr.rindex(STATS_PREFIX.encode())]
    return CliRun(proc.returncode, proc.stdout, stderr, seconds, stats[len(STATS_PREFIX):])


def _compiled_this_run(stats: str) -> int | None:
    found = re.search(r"functions compiled this run (\d+)", stats)
    return int(found.group(1)) if found else None


def _load_and_run(stats: str) -> float:
    """Seconds of ``load X ms`` plus ``run Y ms`` in a ``--stats`` line (0 when absent)."""
    return sum(float(ms) for ms in re.findall(r"(?:load|run) ([0-9.]+) ms", stats)) / 1000


def _show_output(data: bytes, limit: int = 6) -> None:
    lines = data.decode(errors="replace").splitlines()
    for line in lines[:limit]:
        print(f"  | {line}")
    if len(lines) > limit:
        print(f"  | ... ({len(lines) - limit} more lines)")


def run_twice(ctx: DemoContext, label: str, wasm: Path, args=(), stdin: bytes = b"", cache_dir: str = "") -> list:
    """Run ``wasm`` cold then warm; print both; return the two :class:`CliRun`s (recording failures in ctx)."""
    shown = " ".join(["pywaz run", wasm.name, *args]) + (f" < text ({len(stdin)} bytes)" if stdin else "")
    print(f"$ {shown}")
    runs = []
    for attempt in ("cold cache", "warm cache"):
        result = pywaz_run(wasm, args, stdin, cache_dir)
        runs.append(result)
        if attempt == "cold cache":
            _show_output(result.stdout)
            if result.stderr.strip():
                _show_output(result.stderr)
        print(f"  {attempt}: {_ms(result.seconds):>9} whole process, exit {result.exit_code}; {result.stats}")
    cold, warm = runs
    if cold.exit_code != 0 or warm.exit_code != 0:
        ctx.failures.append(f"{label} exited with {cold.exit_code}/{warm.exit_code}")
    if cold.stdout != warm.stdout:
        ctx.failures.append(f"{label}: the warm run printed something else than the cold run")
    if not warm.stats.startswith("disk cache hit") or _compiled_this_run(warm.stats) != 0:
        ctx.failures.append(f"{label}: the second run was not a cache hit that compiled nothing")
    ctx.summary.append((label, cold, warm))
    print()
    return runs


def step_wasi(ctx: DemoContext) -> None:
    """Run the module (and, by default, wc over a text) through ``pywaz run``, cold then warm."""
    if ctx.path is None or ctx.validated is None or not is_wasi_command(ctx.validated):
        return
    print()
    with tempfile.TemporaryDirectory(prefix="pywaz-demo-cache-") as cache_dir:
        print(f"running through `pywaz run` (the real CLI, one process per run; temporary cache {cache_dir})")
        print()
        run_twice(ctx, ctx.path.stem, ctx.path, cache_dir=cache_dir)
        wc = ctx.path.with_name(WC_PROGRAM)
        if ctx.default_run and wc.is_file():
            text = WC_TEXT.encode()
            cold, _ = run_twice(ctx, "wc", wc, stdin=text, cache_dir=cache_dir)
            newlines = text.count(b"\n")
            expected = f"{newlines} {len(text.split())} {len(text)}"
            matches = cold.stdout.decode(errors="replace").strip() == expected
            print(f"  wc's count {'matches' if matches else 'DIFFERS from'} Python's ({expected})")
            print()
            if not matches:
                ctx.failures.append("wc's count differs from Python's")


def step_summary(ctx: DemoContext) -> None:
    """One line per program run: cold vs warm whole-process time and what each run compiled."""
    if not ctx.summary:
        return
    print("summary")
    print("  (whole process includes Python start-up and imports; load + run is pywaz's work on the module)")
    for label, cold, warm in ctx.summary:
        print(f"  {label:6} whole process {_ms(cold.seconds):>9} -> {_ms(warm.seconds):>9};  "
              f"load + run {_ms(_load_and_run(cold.stats)):>9} -> {_ms(_load_and_run(warm.stats)):>9};  "
              f"functions compiled {_compiled_this_run(cold.stats)} -> {_compiled_this_run(warm.stats)}")
    if ctx.failures:
        for failure in ctx.failures:
            print(f"  FAILED: {failure}")
    else:
        print("  every run exited 0 and every second run was a disk-cache hit that compiled nothing")


STEPS = (step_decode, step_validate, step_wasi, step_summary)


def run_demo(wasm: str | None) -> int:
    """Run the demo on ``wasm`` (None: a module from the repository, else the built-in one).

    Returns the exit status (:mod:`pywaz.cli.exitcodes`): 0, 1 if a step
    failed, 65 if the module is malformed or invalid, 66 if it cannot be read.
    """
    from .cli import exitcodes
    from .errors import DecodeError, ValidationError

    path = Path(wasm) if wasm else find_demo_module()
    if path is None:
        ctx = DemoContext("built-in example module (no .wasm found in the repository)", builtin_module())
    else:
        try:
            ctx = DemoContext(str(path), path.read_bytes(), path=path, default_run=not wasm)
        except OSError as exc:
            print(f"pywaz demo: cannot read {path}: {exc.strerror or exc}", file=sys.stderr)
            return exitcodes.NO_INPUT
    try:
        for step in STEPS:
            step(ctx)
            sys.stdout.flush()
    except PywazError as exc:
        print(f"pywaz demo: {type(exc).__name__}: {exc}", file=sys.stderr)
        return exitcodes.DATA_ERROR if isinstance(exc, (DecodeError, ValidationError)) else exitcodes.FAILED
    return exitcodes.FAILED if ctx.failures else exitcodes.OK


def main(argv: list[str] | None = None) -> int:
    """``python -m pywaz.demo``: run the demo; returns the exit status (see :func:`run_demo`)."""
    parser = argparse.ArgumentParser(prog="python -m pywaz.demo", description=__doc__.splitlines()[0])
    parser.add_argument("wasm", nargs="?", help="a .wasm file (default: one from the repository)")
    from .cli import call_handler

    return call_handler("pywaz demo", lambda args: run_demo(args.wasm), parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
