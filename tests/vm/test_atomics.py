"""Atomic instructions and shared memories (threads proposal, one thread) in both engines.

``wast/atomic.wast`` is pywaz's own script in the spirit of the proposal's
``test/core/atomic.wast`` (loads, stores, every read-modify-write and cmpxchg
at every width, alignment and bounds traps, wait/notify on shared and unshared
memories, validation, linking, the binary format); it runs in the interpreter
and the compiler (eager and lazy), and its expectations are checked against
wasmtime (threads and shared memory enabled), which assembles the text itself.
The rest: the embedding API, the features switch, timeouts (the disk cache: tests/cache/test_cache_atomics.py).
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

import pywaz
from pywaz import LinkError, Trap, TrapKind
from pywaz.errors import ValidationError
from pywaz.features import Features, ProposalDisabledError
from pywaz.spectest.runner import EngineConfig, run_script
from pywaz.spectest.wast import load_wast
from pywaz.text import wat2wasm

SCRIPT = Path(__file__).resolve().parent / "wast" / "atomic.wast"
CONFIGS = [("interpreter", None), ("compiler", "eager"), ("compiler", "lazy")]
LABELS = ["interpreter", "compiler-eager", "compiler-lazy"]
# wasmtime's single thread hangs where pywaz traps instead (see pywaz/atomics.py).
_HANGS_IN_WASMTIME = "atomic wait would block forever"


@pytest.fixture(params=CONFIGS, ids=LABELS)
def runtime(request):
    engine, mode = request.param
    with pywaz.Runtime(engine, compile_mode=mode) as rt:
        yield rt


@pytest.mark.parametrize(("engine", "mode"), CONFIGS, ids=LABELS)
def test_atomic_script_passes(engine, mode):
    script = load_wast(SCRIPT)
    assert not [c.error for c in script.commands if c.error]
    result = run_script(script, EngineConfig(engine, mode))
    assert result.failures == []
    assert result.skipped == 0
    assert result.passed == len(script.commands) > 750


# ------------------------------------------------------------------ the script against wasmtime


def _wasmtime_engine(wasmtime):
    config = wasmtime.Config()
    config.wasm_threads = True
    config.shared_memory = True
    config.wasm_memory64 = True
    config.wasm_multi_memory = True
    return wasmtime.Engine(config)


def _signed(value: int, bits: int) -> int:
    return value - (1 << bits) if value >> (bits - 1) else value


def test_script_expectations_agree_with_wasmtime():
    wasmtime = pytest.importorskip("wasmtime")
    engine = _wasmtime_engine(wasmtime)
    store = wasmtime.Store(engine)
    linker = wasmtime.Linker(engine)
    script = load_wast(SCRIPT)
    current = None
    checked = 0

    def module_of(command):
        return wasmtime.Module(engine, script.binary(command.filename))

    def call(action):
        func = current.exports(store)[action.field]
        params = func.type(store).params
        args = [_signed(a, 32 if str(p) == "i32" else 64) for a, p in zip(action.args, params, strict=True)]
        results = func(store, *args)
        if results is None:
            return ()
        results = results if isinstance(results, list) else [results]
        return tuple(r & ((1 << (32 if str(t) == "i32" else 64)) - 1)
                     for r, t in zip(results, func.type(store).results, strict=True))

    for command in script.commands:
        kind = command.type
        if kind == "module":
            current = linker.instantiate(store, module_of(command))
        elif kind == "register":
            linker.define_instance(store, command.as_name, current)
        elif kind in ("action", "assert_return"):
            results = call(command.action)
            if kind == "assert_return":
                assert len(results) == len(command.expected), command.line
                for matcher, actual in zip(command.expected, results, strict=True):
                    assert matcher.match(actual) is None, (command.line, matcher.match(actual))
        elif kind == "assert_trap":
            if command.text.startswith(_HANGS_IN_WASMTIME):
                continue
            with pytest.raises(wasmtime.Trap) as info:
                call(command.action)
            expected = command.text.replace("expected shared memory", "atomic wait on non-shared memory")
            assert expected in str(info.value), (command.line, str(info.value))
        elif kind in ("assert_invalid", "assert_malformed"):
            with pytest.raises(wasmtime.WasmtimeError):
                module_of(command)
        elif kind == "assert_unlinkable":
            with pytest.raises(wasmtime.WasmtimeError, match="incompatible import type|shared"):
                linker.instantiate(store, module_of(command))
        else:  # pragma: no cover - the script uses only the forms above
            raise AssertionError(f"unexpected command {kind} at line {command.line}")
        checked += 1
    assert checked > 750


# ------------------------------------------------------------------ embedding API and switches


SHARED = """(module
  (memory (export "mem") 1 4 shared)
  (func (export "wait") (param i32 i32 i64) (result i32)
    (memory.atomic.wait32 (local.get 0) (local.get 1) (local.get 2)))
  (func (export "add") (param i32 i32) (result i32) (i32.atomic.rmw.add (local.get 0) (local.get 1))))"""


def test_the_api_reports_shared_memories(runtime):
    compiled = runtime.compile_module(wat2wasm(SHARED))
    (export,) = [e for e in compiled.exports if e.kind == "memory"]
    assert export.type.shared and export.type.limits.max == 4
    instance = runtime.instantiate_module(compiled)
    memory = instance.exports["mem"]
    assert memory.shared is True
    assert instance.exports["add"](8, 5) == 0 and instance.exports["add"](8, 5) == 5
    assert memory.read(8, 4) == (10).to_bytes(4, "little")
    plain = runtime.instantiate(wat2wasm('(module (memory (export "m") 1))'))
    assert plain.exports["m"].shared is False


def test_host_shared_memory_links_only_to_shared_imports(runtime):
    with pytest.raises(ValueError, match="shared memory must have maximum"):
        runtime.new_host_module("bad").memory("m", 1, shared=True)
    runtime.new_host_module("env").memory("shared", 1, 2, shared=True).memory("plain", 1, 2).instantiate()
    importer = '(module (import "env" "{}" (memory 1 2 {})) (func (export "size") (result i32) memory.size))'
    assert runtime.instantiate(wat2wasm(importer.format("shared", "shared"))).exports["size"]() == 1
    assert runtime.instantiate(wat2wasm(importer.format("plain", ""))).exports["size"]() == 1
    compiled = runtime.compile_module(wat2wasm(importer.format("shared", "shared")))
    assert compiled.imports[0].type.shared
    with pytest.raises(LinkError, match=r"incompatible import type.*expected memory 1 2, got memory 1 2 shared"):
        runtime.instantiate(wat2wasm(importer.format("shared", "")))
    with pytest.raises(LinkError, match=r"expected memory 1 2 shared, got memory 1 2"):
        runtime.instantiate(wat2wasm(importer.format("plain", "shared")))


def test_threads_can_be_switched_off():
    binary = wat2wasm(SHARED)
    with pywaz.Runtime(features={"threads": False}) as rt, pytest.raises(ProposalDisabledError) as info:
        rt.compile_module(binary)
    assert info.value.proposal == "threads"
    fence_only = wat2wasm("(module (func (atomic.fence)))")
    with pywaz.Runtime(features=Features(threads=False)) as rt, pytest.raises(ProposalDisabledError) as info:
        rt.compile_module(fence_only)
    assert str(info.value).startswith("illegal opcode 0xfe (the threads proposal is not enabled")
    with pywaz.Runtime() as rt:
        rt.compile_module(fence_only)


def test_shared_memory_needs_a_maximum():
    with pywaz.Runtime() as rt, pytest.raises(ValidationError, match="shared memory must have maximum"):
        rt.compile_module(wat2wasm("(module (memory 1 shared))"))


def test_a_timed_wait_sleeps_for_its_timeout(runtime):
    wait = runtime.instantiate(wat2wasm(SHARED)).exports["wait"]
    start = time.monotonic()
    assert wait(0, 0, 30_000_000) == 2  # 30 ms, then "timed-out"
    assert time.monotonic() - start >= 0.03
    assert wait(0, 1, 10**18) == 1  # not equal: at once, whatever the timeout


def test_a_long_wait_is_interrupted_by_the_call_timeout(runtime):
    wait = runtime.instantiate(wat2wasm(SHARED)).exports["wait"]
    start = time.monotonic()
    with pytest.raises(Trap) as info:
        wait(0, 0, 60 * 10**9, timeout=0.1)  # a 60 s wait under a 0.1 s deadline
    assert info.value.kind is TrapKind.INTERRUPTED
    assert time.monotonic() - start < 5


def test_an_endless_wait_traps_instead_of_hanging(runtime):
    wait = runtime.instantiate(wat2wasm(SHARED)).exports["wait"]
    with pytest.raises(Trap) as info:
        wait(0, 0, (1 << 64) - 1)  # timeout -1: for ever
    assert info.value.kind is TrapKind.WAIT_FOREVER
    assert info.value.frames and info.value.frames[0].func_name == "wait"


def test_atomic_script_in_the_flat_lowering(monkeypatch):
    from pywaz.compiler.lower import core

    monkeypatch.setattr(core, "MAX_PY_LOOPS", -1)  # every function lowered flat (region dispatch)
    result = run_script(load_wast(SCRIPT), EngineConfig("compiler", "eager"))
    assert result.failures == [] and result.passed > 750


LOOP = """(module
  (memory 1 1 shared)
  ;; a spin lock around a counter: cmpxchg to take it, atomic store to release, xadd on the counter
  (func (export "count") (param $n i32) (result i64)
    (local $i i32)
    (loop $next
      (block $locked
        (loop $spin
          (br_if $locked (i32.eqz (i32.atomic.rmw.cmpxchg (i32.const 0) (i32.const 0) (i32.const 1))))
          (br $spin)))
      (drop (i64.atomic.rmw.add (i32.const 8) (i64.extend_i32_u (local.get $i))))
      (i32.atomic.store (i32.const 0) (i32.const 0))
      (br_if $next (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1))) (local.get $n))))
    (i64.atomic.load (i32.const 8))))"""


@pytest.mark.parametrize("flat", [False, True], ids=["structured", "flat"])
def test_atomics_in_loops_agree_across_engines(flat, monkeypatch):
    from pywaz.compiler.lower import core

    if flat:
        monkeypatch.setattr(core, "MAX_PY_LOOPS", -1)
    binary = wat2wasm(LOOP)
    for engine, mode in CONFIGS:
        with pywaz.Runtime(engine, compile_mode=mode) as rt:
            assert rt.instantiate(binary).exports["count"](1000) == 999 * 1000 // 2


# ------------------------------------------------------------------ random calls against wasmtime

_RANDOM_OPS = [
    ("i32.atomic.load16_u", "i32", 0), ("i64.atomic.load", "i64", 0), ("i64.atomic.load32_u", "i64", 0),
    ("i32.atomic.store8", "i32", 1), ("i64.atomic.store16", "i64", 1), ("i32.atomic.store", "i32", 1),
    ("i32.atomic.rmw.sub", "i32", 1), ("i64.atomic.rmw8.add_u", "i64", 1), ("i32.atomic.rmw16.xor_u", "i32", 1),
    ("i64.atomic.rmw32.xchg_u", "i64", 1), ("i64.atomic.rmw.or", "i64", 1), ("i32.atomic.rmw8.and_u", "i32", 1),
    ("i32.atomic.rmw.cmpxchg", "i32", 2), ("i64.atomic.rmw16.cmpxchg_u", "i64", 2),
    ("i64.atomic.rmw32.cmpxchg_u", "i64", 2), ("memory.atomic.notify", "i32", 1),
]


def _random_module(memory: str, address: str) -> str:
    funcs = []
    for name, t, extra in _RANDOM_OPS:
        for offset in (0, 6):
            params = " ".join([f"(param {address})"] + [f"(param {t})"] * extra)
            result = "" if ".store" in name else f"(result {t})"
            operands = " ".join(f"(local.get {i})" for i in range(extra + 1))
            funcs.append(f'(func (export "{name}/{offset}") {params} {result} ({name} offset={offset} {operands}))')
    return f"(module (memory (export \"m\") {memory}) {' '.join(funcs)})"


@pytest.mark.parametrize(("memory", "address"), [("1 1", "i32"), ("1 2 shared", "i32"), ("i64 1 1 shared", "i64")])
def test_random_atomic_calls_agree_with_wasmtime(memory, address):
    import ctypes
    import hashlib
    import random

    wasmtime = pytest.importorskip("wasmtime")
    text = _random_module(memory, address)
    rng = random.Random(f"{memory}/{address}")
    edges = [0, 1, 2, 3, 4, 6, 7, 8, 64, 65528, 65530, 65531, 65532, 65534, 65535, 65536, 0xFFFFFFFC]
    calls = []
    for _ in range(600):
        name, t, extra = rng.choice(_RANDOM_OPS)
        offset = rng.choice((0, 6))
        bits = 32 if t == "i32" else 64
        operands = [rng.choice((0, 1, 0xFF, 0xFFFF, (1 << bits) - 1, rng.getrandbits(bits))) for _ in range(extra)]
        if name == "memory.atomic.notify":
            operands = [rng.getrandbits(32)]
        address_value = rng.choice(edges) if rng.random() < 0.5 else rng.randrange(0, 96)
        calls.append((f"{name}/{offset}", [address_value, *operands]))

    engine = _wasmtime_engine(wasmtime)
    store = wasmtime.Store(engine)
    native = wasmtime.Instance(store, wasmtime.Module(engine, text), []).exports(store)

    def native_call(name, args):
        func = native[name]
        types = [str(p) for p in func.type(store).params]
        try:
            result = func(store, *[_signed(a, 32 if t == "i32" else 64) for a, t in zip(args, types, strict=True)])
        except wasmtime.Trap as trap:
            code = trap.trap_code.name
            return ("trap", {"HEAP_MISALIGNED": "unaligned atomic", "MEMORY_OUT_OF_BOUNDS":
                             "out of bounds memory access"}.get(code, code))
        if result is None:
            return ("ok",)
        bits = 32 if str(func.type(store).results[0]) == "i32" else 64
        return ("ok", result & ((1 << bits) - 1))

    expected = [native_call(name, args) for name, args in calls]
    memory_object = native["m"]
    if hasattr(memory_object, "read"):
        expected_bytes = bytes(memory_object.read(store))
    else:
        expected_bytes = ctypes.string_at(memory_object.data_ptr(), memory_object.data_len())
    assert {outcome[0] for outcome in expected} == {"ok", "trap"}
    assert ("trap", "unaligned atomic") in expected and ("trap", "out of bounds memory access") in expected

    binary = wat2wasm(text)
    for engine_name, mode in CONFIGS:
        with pywaz.Runtime(engine_name, compile_mode=mode) as rt:
            exports = rt.instantiate(binary).exports
            got = []
            for name, args in calls:
                try:
                    result = exports[name].call_raw(*args)  # unsigned results, as compared
                except Trap as trap:
                    got.append(("trap", trap.kind.value))
                    continue
                got.append(("ok",) if result in (None, ()) else ("ok", result[0] if type(result) is tuple else result))
            assert got == expected, (engine_name, mode)
            mine = exports["m"].read(0, exports["m"].data_size)
            assert hashlib.sha256(mine).digest() == hashlib.sha256(expected_bytes).digest()


def test_trap_frames_point_at_the_atomic_instruction_in_every_engine():
    text = """(module (memory 1 1)
      (func $inner (param i32) (result i32)
        (i32.add (i32.const 1) (i32.atomic.rmw.xor offset=4 (local.get 0) (i32.const 3))))
      (func (export "outer") (param i32) (result i32) (call $inner (local.get 0))))"""
    binary = wat2wasm(text)
    seen = set()
    for engine, mode in CONFIGS:
        with pywaz.Runtime(engine, compile_mode=mode) as rt:
            outer = rt.instantiate(binary).exports["outer"]
            for address, kind in ((1, TrapKind.UNALIGNED_ATOMIC), (65532, TrapKind.OUT_OF_BOUNDS_MEMORY)):
                with pytest.raises(Trap) as info:
                    outer(address)
                assert info.value.kind is kind
                frames = info.value.frames
                assert [f.func_index for f in frames] == [0, 1]
                seen.add((kind, frames[0].offset, frames[1].offset))
    assert len(seen) == 2  # one place per trap kind, the same in all three configurations
    rmw_offset = binary.index(bytes([0xFE, 0x3A]))  # i32.atomic.rmw.xor
    assert {offset for _, offset, _ in seen} == {rmw_offset}
