"""Mutation fuzzing of the disk cache: real entries, damaged at random, must never hurt a loader.

A real entry is written for each engine configuration (the compiler eager and lazy, with every function
compiled, and the interpreter), then replaced, one mutant at a time, by a damaged copy: bits flipped,
bytes set, ranges deleted or duplicated, truncated, extended with garbage, emptied, swapped for another
configuration's valid entry, or replaced by a directory, FIFO, socket or symlink. A fresh cache and
runtime then load the module and call every export. The rule: each mutant is a miss (recompiled) or a
hit, and either way every call gives the reference result; never an exception, a wrong result, a hang or
a crashed process. Each load runs with a deadline, and ``campaign`` is meant to run in a child process
(see test_fuzz_campaign.py) so that even a crash of the interpreter would be reported, not fatal.
"""

from __future__ import annotations

import os
import random
import shutil
import socket
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from pywaz.text import wat2wasm

PROGRAM = """(module
  (memory (export "memory") 1)
  (table 2 funcref)
  (elem (i32.const 0) $fib $sum)
  (type $unary (func (param i32) (result i32)))
  (func $fib (export "fib") (param i32) (result i32)
    (if (result i32) (i32.lt_u (local.get 0) (i32.const 2))
      (then (local.get 0))
      (else (i32.add (call $fib (i32.sub (local.get 0) (i32.const 1)))
                     (call $fib (i32.sub (local.get 0) (i32.const 2)))))))
  (func $sum (export "sum") (param i32) (result i32) (local i32)
    (block (loop
      (br_if 1 (i32.eqz (local.get 0)))
      (local.set 1 (i32.add (local.get 1) (local.get 0)))
      (local.set 0 (i32.sub (local.get 0) (i32.const 1)))
      (br 0)))
    (local.get 1))
  (func (export "indirect") (param i32 i32) (result i32)
    (call_indirect (type $unary) (local.get 1) (local.get 0)))
  (func (export "bytes") (param i32) (result i64) (local i32)
    (loop
      (i32.store8 (local.get 1) (i32.mul (local.get 1) (i32.const 7)))
      (local.set 1 (i32.add (local.get 1) (i32.const 1)))
      (br_if 0 (i32.lt_u (local.get 1) (local.get 0))))
    (i64.load (i32.const 3)))
  (func (export "float") (param f64) (result f64)
    (f64.add (f64.sqrt (local.get 0)) (f64.convert_i64_s (i64.trunc_f64_s (local.get 0)))))
  (type $cell (sub (struct (field $value i32) (field $next (ref null $cell)))))
  (type $box (sub final $cell (struct (field i32) (field (ref null $cell)) (field (mut i16)))))
  (type $words (array (mut i32)))
  (global $none (ref null $cell) (ref.null $cell))
  (func (export "gc") (param i32) (result i32) (local $list (ref null $cell)) (local $a (ref $words))
    (local.set $a (array.new_fixed $words 2 (i32.const 3) (i32.const 4)))
    (local.set $list (global.get $none))
    (block (loop
      (br_if 1 (i32.eqz (local.get 0)))
      (local.set $list (struct.new $box (local.get 0) (local.get $list) (local.get 0)))
      (local.set 0 (i32.sub (local.get 0) (i32.const 1)))
      (br 0)))
    (block $done (loop $sum
      (br_if $done (ref.is_null (local.get $list)))
      (array.set $words (local.get $a) (i32.const 0)
        (i32.add (array.get $words (local.get $a) (i32.const 0)) (struct.get $cell $value (local.get $list))))
      (local.set $list (struct.get $cell $next (ref.cast (ref $box) (local.get $list))))
      (br $sum)))
    (i32.add (array.get $words (local.get $a) (i32.const 0)) (array.len (local.get $a)))))"""

CALLS = (("fib", (15,)), ("sum", (1000,)), ("indirect", (1, 10)), ("indirect", (0, 12)), ("bytes", (64,)),
         ("float", (2.5,)), ("gc", (50,)), ("indirect", (5, 1)))  # the last one traps: table index 5 is out of bounds
CONFIGS = (("compiler", "eager"), ("compiler", "lazy"), ("interpreter", None))
DEADLINE = 30.0  # seconds per load and call: far beyond a real run, only a hang gets near it


@dataclass
class CacheTally:
    mutants: int = 0
    hits: int = 0
    misses: int = 0
    late: int = 0  # hits whose damage was found at a function's first call (entry discarded, code recompiled)
    control_hits: int = 0
    by_kind: dict = field(default_factory=dict)
    findings: list = field(default_factory=list)


def program() -> bytes:

    return bytes(wat2wasm(PROGRAM))


def _run(data: bytes, engine: str, mode: str | None, cache) -> list:
    """Instantiate ``data`` and make every call of CALLS; each outcome is a result or a trap message."""
    import pywaz

    outcomes = []
    with pywaz.Runtime(engine, compile_mode=mode, cache=cache, deadline=DEADLINE) as runtime:
        instance = runtime.instantiate(data)
        for name, args in CALLS:
            try:
                outcomes.append(("ok", instance.exports[name](*args)))
            except pywaz.Trap as trap:
                outcomes.append(("trap", str(trap)))
    return outcomes


def _entry_files(directory: Path) -> list[Path]:
    return [p for p in directory.rglob("*") if p.is_file() and not p.name.startswith(".") and ".tmp" not in p.name
            and not p.name.endswith(".lock")]


def build_entries(root: Path, data: bytes) -> dict:
    """One complete entry per configuration: ``{config: (relative path, bytes)}``."""
    import pywaz

    entries = {}
    for engine, mode in CONFIGS:
        directory = root / f"{engine}-{mode}"
        cache = pywaz.CompilationCache(directory)
        _run(data, engine, mode, cache)  # runs every function, so a lazy entry holds all of them
        cache.close()  # writes the lazily compiled functions back
        (path,) = _entry_files(directory)
        entries[(engine, mode)] = (path.relative_to(directory), path.read_bytes())
        shutil.rmtree(directory)
    return entries


def _mutate_bytes(entry: bytes, rng: random.Random, others: list[bytes]) -> tuple[str, bytes]:
    buf = bytearray(entry)
    kind = rng.choice(("flip", "flip", "set", "delete", "duplicate", "truncate", "extend", "empty", "swap"))
    if kind == "flip":
        for _ in range(rng.randint(1, 3)):
            at = rng.randrange(len(buf))
            buf[at] ^= 1 << rng.randrange(8)
    elif kind == "set":
        buf[rng.randrange(len(buf))] = rng.randrange(256)
    elif kind == "delete":
        at = rng.randrange(len(buf))
        del buf[at : at + rng.randint(1, 64)]
    elif kind == "duplicate":
        at = rng.randrange(len(buf))
        buf[at:at] = buf[at : at + rng.randint(1, 64)]
    elif kind == "truncate":
        del buf[rng.randrange(len(buf)) :]
    elif kind == "extend":
        buf += rng.randbytes(rng.randint(1, 256))
    elif kind == "empty":
        buf = bytearray()
    else:  # another configuration's valid entry, under this key
        buf = bytearray(rng.choice(others))
    if buf == entry:  # a byte set to its own value, a bit flipped twice: no damage, so flip one bit for real
        buf[rng.randrange(len(buf))] ^= 1 << rng.randrange(8)
    return kind, bytes(buf)


def _place_special(path: Path, kind: str, valid: bytes) -> object:
    """Put a non-regular file where the entry goes; return what must stay alive while it is used."""
    if kind == "directory":
        path.mkdir()
    elif kind == "fifo":
        os.mkfifo(path, 0o600)
    elif kind == "symlink":
        target = path.with_name(path.name + ".target")
        target.write_bytes(valid)
        os.chmod(target, 0o600)
        path.symlink_to(target)
    elif kind == "socket":
        here = os.getcwd()
        os.chdir(path.parent)  # AF_UNIX paths are short: bind relative to the shard directory
        try:
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            sock.bind(path.name)
        finally:
            os.chdir(here)
        return sock
    return None


SPECIAL = ("directory", "fifo", "symlink", "socket")


def check_mutant(root: Path, data: bytes, config, entry, others, expected, rng: random.Random | None,
                 tally: CacheTally) -> None:
    """Place one mutant of ``entry`` (``rng`` None: the entry itself) in a fresh cache directory, load and
    call; record the outcome."""
    import pywaz

    relative, valid = entry
    directory = Path(tempfile.mkdtemp(dir=root))
    path = directory / relative
    path.parent.mkdir(parents=True, mode=0o700, exist_ok=True)
    for parent in [path.parent, *path.parent.relative_to(directory).parents]:
        os.chmod(directory / parent, 0o700)
    keep = None
    if rng is None:  # the control: the entry undamaged, which must be a hit
        kind = "none"
        path.write_bytes(valid)
        os.chmod(path, 0o600)
    elif rng.random() < 0.08:
        kind = rng.choice(SPECIAL)
        keep = _place_special(path, kind, valid)
    else:
        kind, mutant = _mutate_bytes(valid, rng, others)
        path.write_bytes(mutant)
        os.chmod(path, 0o600)
    tally.mutants += kind != "none"
    tally.by_kind[kind] = tally.by_kind.get(kind, 0) + 1
    engine, mode = config
    try:
        cache = pywaz.CompilationCache(directory)
        try:
            got = _run(data, engine, mode, cache)
            stats = cache.stats()
        finally:
            cache.close()
        if got != expected:
            tally.findings.append((config, kind, f"wrong results: {got} != {expected}"))
        elif stats.get("disk_hits", 0) and stats.get("invalid_entries", 0) and kind != "none":
            # Damage in the code region: a disk hit reads no code, so it shows when that function is first
            # called; the entry is discarded and the function compiled from the module's bytes instead.
            tally.late += 1
        elif stats.get("disk_hits", 0):
            if kind == "none":
                tally.control_hits += 1
            else:
                tally.hits += 1
        else:
            tally.misses += 1
    except Exception as exc:  # noqa: BLE001 - anything escaping the cache is a finding
        tally.findings.append((config, kind, f"{type(exc).__name__}: {exc}"))
    finally:
        if keep is not None:
            keep.close()
        shutil.rmtree(directory, ignore_errors=True)


def campaign(seed: int, mutants: int) -> CacheTally:
    """``mutants`` damaged entries, spread over every configuration, from ``seed``."""
    data = program()
    expected = _run(data, "interpreter", None, None)
    tally = CacheTally()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        os.chmod(root, 0o700)
        entries = build_entries(root, data)
        for config in CONFIGS:  # controls: an undamaged entry is a hit, so the campaign really reads entries
            others = [body for other, (_, body) in entries.items() if other != config]
            check_mutant(root, data, config, entries[config], others, expected, None, tally)
        rng = random.Random(seed)
        for _ in range(mutants):
            config = rng.choice(CONFIGS)
            others = [body for other, (_, body) in entries.items() if other != config]
            check_mutant(root, data, config, entries[config], others, expected, rng, tally)
    return tally


if __name__ == "__main__":
    import argparse
    import json

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--mutants", type=int, default=1000)
    args = parser.parse_args()
    result = campaign(args.seed, args.mutants)
    print(json.dumps({"mutants": result.mutants, "hits": result.hits, "misses": result.misses,
                      "late": result.late, "control_hits": result.control_hits,
                      "by_kind": result.by_kind, "findings": result.findings}, indent=1))
    raise SystemExit(1 if result.findings else 0)
