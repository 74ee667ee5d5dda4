"""Artifacts: one artifact serves many instances, lazy compilation is once and thread-safe,
serialisation round-trips, and generated source keeps its wasm offsets."""

from __future__ import annotations

import threading

import pytest

from pywaz.api import CompileOptions
from pywaz.compiler import artifact as artifact_module
from pywaz.compiler.artifact import deserialize, serialize
from pywaz.compiler.engine import CompilerEngine
from pywaz.compiler.lower import UnsupportedOpcode
from pywaz.decoder import decode_module
from pywaz.errors import PywazError, Trap, TrapKind
from pywaz.text import wat2wasm
from pywaz.validator import validate

from .support import bind_instance, call, instantiate

COUNTER = """
(module
  (memory 1)
  (global $g (mut i32) (i32.const 0))
  (func $bump (export "bump") (param i32) (result i32)
    (global.set $g (i32.add (global.get $g) (local.get 0)))
    (i32.store (i32.const 0) (global.get $g))
    (global.get $g))
  (func (export "peek") (result i32) (i32.load (i32.const 0)))
  (func (export "twice") (param i32) (result i32) (drop (call $bump (local.get 0))) (call $bump (local.get 0))))
"""


def validated_of(wat: str):
    return validate(decode_module(wat2wasm(wat)))


@pytest.mark.parametrize("mode", ["eager", "lazy"])
def test_one_artifact_serves_independent_instances(mode):
    engine = CompilerEngine()
    validated = validated_of(COUNTER)
    artifact = engine.compile(validated, CompileOptions(compile_mode=mode))
    first = bind_instance(validated, artifact, engine)
    second = bind_instance(validated, artifact, engine)
    assert call(first, "bump", 5) == 5
    assert call(first, "twice", 1) == 7
    assert call(second, "bump", 2) == 2
    assert call(first, "peek") == 7
    assert call(second, "peek") == 2
    # Both instances run the very same code objects.
    assert first.funcs[0].call.__code__ is second.funcs[0].call.__code__


def test_lazy_mode_compiles_on_first_call_only():
    engine = CompilerEngine()
    validated = validated_of(COUNTER)
    artifact = engine.compile(validated, CompileOptions(compile_mode="lazy"))
    assert artifact.functions == [None, None, None]
    instance = bind_instance(validated, artifact, engine)
    assert call(instance, "peek") == 0
    assert [f is not None for f in artifact.functions] == [False, True, False]
    compiled = artifact.functions[1]
    call(instance, "peek")
    assert artifact.functions[1] is compiled


def test_default_mode_is_lazy():
    artifact = CompilerEngine().compile(validated_of(COUNTER), CompileOptions())
    assert artifact.compile_mode == "lazy"
    assert artifact.functions == [None, None, None]


def test_unknown_compile_mode_is_rejected():
    with pytest.raises(PywazError, match="compile mode"):
        CompilerEngine().compile(validated_of(COUNTER), CompileOptions(compile_mode="sometimes"))


def test_lazy_compilation_hammer(monkeypatch):
    # 8 threads behind a barrier make the first calls of the same functions
    # on one artifact (several instances): every function is compiled once and
    # every call sees correct results.
    funcs = " ".join(
        f'(func (export "f{i}") (param i32) (result i32) (i32.mul (i32.add (local.get 0) (i32.const {i})) (i32.const 3)))'
        for i in range(40)
    )
    engine = CompilerEngine()
    validated = validated_of(f"(module {funcs})")
    artifact = engine.compile(validated, CompileOptions(compile_mode="lazy"))
    compiles = []
    original = artifact_module.compile_function

    def counting(validated, index, *rest):
        compiles.append(index)
        return original(validated, index, *rest)

    monkeypatch.setattr(artifact_module, "compile_function", counting)

    instances = [bind_instance(validated, artifact, engine) for _ in range(4)]
    barrier = threading.Barrier(8)
    errors = []

    def worker(seed):
        try:
            barrier.wait()
            for iteration in range(30):
                for i in range(40):
                    instance = instances[(seed + i) % 4]
                    value = seed * 100 + iteration
                    if call(instance, f"f{i}", value) != ((value + i) * 3) & 0xFFFFFFFF:
                        errors.append((seed, i))
        except Exception as exc:  # noqa: BLE001 -- collected, asserted below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sorted(compiles) == list(range(40))
    assert all(f is not None for f in artifact.functions)
    # Each function's code object is unique and shared by every instance.
    codes = {id(artifact.functions[i].code) for i in range(40)}
    assert len(codes) == 40
    for instance in instances:
        for i in range(40):
            assert instance.funcs[i].call.__code__ is artifact.functions[i].code


def test_serialize_round_trip_behaves_identically():
    engine = CompilerEngine()
    wat = """(module (memory 1)
      (func (export "nan") (result i32) (i32.reinterpret_f32 (f32.const nan:0x200001)))
      (func (export "fnan") (result f64) (f64.const -nan:0x4000000000001))
      (func (export "sum") (param i32) (result i32) (local i32)
        (block (loop (br_if 1 (i32.eqz (local.get 0)))
          (local.set 1 (i32.add (local.get 1) (local.get 0)))
          (local.set 0 (i32.sub (local.get 0) (i32.const 1))) (br 0)))
        (local.get 1)))"""
    validated = validated_of(wat)
    artifact = engine.compile(validated, CompileOptions(compile_mode="eager"))
    payload = serialize(artifact)
    assert all(isinstance(blob, bytes) for blob in payload.code_blobs)
    import msgpack

    msgpack.packb(payload.metadata)  # metadata is plain data
    restored = deserialize(payload)
    original_instance = bind_instance(validated, artifact, engine)
    restored_instance = bind_instance(validated, restored, engine)
    for name, args in (("nan", ()), ("sum", (100,))):
        assert call(restored_instance, name, *args) == call(original_instance, name, *args)
    assert call(restored_instance, "nan") == 0x7FA00001  # the signalling NaN constant survived
    import struct

    bits = struct.unpack("<Q", struct.pack("<d", call(restored_instance, "fnan")))[0]
    assert bits == 0xFFF4000000000001
    assert restored.functions[2].source == artifact.functions[2].source


def test_lazy_artifact_serialises_uncompiled_functions_as_none():
    engine = CompilerEngine()
    validated = validated_of(COUNTER)
    artifact = engine.compile(validated, CompileOptions(compile_mode="lazy"))
    instance = bind_instance(validated, artifact, engine)
    call(instance, "peek")
    payload = serialize(artifact)
    assert [blob is None for blob in payload.code_blobs] == [True, False, True]
    restored = deserialize(payload)
    # A restored lazy artifact compiles the rest from the instance's module.
    fresh = bind_instance(validated, restored, engine)
    assert call(fresh, "twice", 3) == 6


def test_generated_source_maps_to_wasm_offsets():
    validated = validated_of(COUNTER)
    artifact = CompilerEngine().compile(validated, CompileOptions(compile_mode="eager"))
    body = validated.functions[0].body
    source = artifact.functions[0].source
    assert f"# wasm@0x{body.offset:x}" in source
    assert source.startswith("def f0_bump(l0):")
    import linecache

    filename = artifact.functions[0].code.co_filename
    assert linecache.getline(filename, 1).startswith("def f0_bump")


def test_simd_runs_through_the_lane_library():
    wat = """(module (memory 1)
      (func (export "lane") (param i32) (result i32) (i32x4.extract_lane 2 (i32x4.splat (local.get 0))))
      (func (export "mem") (param i32) (result i64)
        (v128.store offset=16 (local.get 0) (v128.const i64x2 5 7))
        (i64x2.extract_lane 1 (v128.load offset=16 (local.get 0)))))"""
    instance, _ = instantiate(wat2wasm(wat), "eager")
    assert call(instance, "lane", 0xDEADBEEF) == 0xDEADBEEF
    assert call(instance, "mem", 32) == 7
    with pytest.raises(Trap) as info:
        call(instance, "mem", 65536 - 20)
    assert info.value.kind is TrapKind.OUT_OF_BOUNDS_MEMORY


@pytest.mark.parametrize("mode", ["eager", "lazy"])
def test_an_instruction_the_compiler_cannot_lower_runs_only_its_function_interpreted(monkeypatch, mode):
    from pywaz.compiler import lower

    monkeypatch.delitem(lower._DISPATCH, 0xFD11)  # as if the lane library lacked i32x4.splat
    wat = """(module
      (func (export "ok") (result i32) (i32.const 7))
      (func (export "simd") (result i32) (i32x4.extract_lane 0 (i32x4.splat (i32.const 3)))))"""
    instance, artifact = instantiate(wat2wasm(wat), mode)
    assert call(instance, "ok") == 7
    assert call(instance, "simd") == 3
    assert "i32x4.splat is not supported" in str(artifact.errors[1])
    assert artifact.interprets(1) and not artifact.interprets(0)
    assert isinstance(UnsupportedOpcode(0xFD11, 3, 1), NotImplementedError)


def test_traps_are_typed():
    wat = """(module (memory 1) (table 2 funcref) (type $t (func (result i32)))
      (func $a (result i32) (i32.const 1))
      (func $b (param i32) (result i32) (local.get 0))
      (elem (i32.const 0) $a $b)
      (func (export "oob") (param i32) (result i32) (i32.load offset=4 (local.get 0)))
      (func (export "div") (param i32) (result i32) (i32.rem_u (i32.const 1) (local.get 0)))
      (func (export "ovf") (result i32) (i32.div_s (i32.const 0x80000000) (i32.const -1)))
      (func (export "ci") (param i32) (result i32) (call_indirect (type $t) (local.get 0)))
      (func (export "unr") (unreachable))
      (func (export "cvt") (param f64) (result i32) (i32.trunc_f64_u (local.get 0))))"""
    instance, _ = instantiate(wat2wasm(wat), "eager")
    cases = [
        ("oob", (0xFFFFFFFF,), TrapKind.OUT_OF_BOUNDS_MEMORY),
        ("oob", (65532,), TrapKind.OUT_OF_BOUNDS_MEMORY),
        ("div", (0,), TrapKind.INT_DIV_BY_ZERO),
        ("ovf", (), TrapKind.INT_OVERFLOW),
        ("ci", (1,), TrapKind.INDIRECT_CALL_TYPE_MISMATCH),
        ("ci", (2,), TrapKind.UNDEFINED_ELEMENT),
        ("unr", (), TrapKind.UNREACHABLE),
        ("cvt", (float("nan"),), TrapKind.INVALID_CONVERSION),
        ("cvt", (-1.0,), TrapKind.INT_OVERFLOW),
    ]
    for name, args, kind in cases:
        with pytest.raises(Trap) as info:
            call(instance, name, *args)
        assert info.value.kind is kind, name
    assert call(instance, "oob", 65528) == 0
    assert call(instance, "ci", 0) == 1


def test_inspect_rejects_imported_function():
    from pywaz.compiler.inspect import generated_source

    wasm = wat2wasm('(module (import "a" "b" (func)) (func (result i32) (i32.const 1)))')
    assert "return 1" in generated_source(wasm, 1)
    with pytest.raises(PywazError, match="not a defined function"):
        generated_source(wasm, 0)


def test_memory_replaced_by_grow_is_reloaded():
    # A pinned bytearray cannot be resized, so Memory.grow replaces ``data``;
    # generated code must reload it after memory.grow and after any call.
    from pywaz.ir import func_type
    from pywaz.vm.objects import Function

    wat = """(module
      (import "host" "grow" (func $host_grow))
      (memory (export "mem") 1)
      (func (export "own") (result i32)
        (drop (memory.grow (i32.const 1)))
        (i32.store (i32.const 70000) (i32.const 0x1234))
        (i32.load (i32.const 70000)))
      (func (export "via_host") (result i32)
        (call $host_grow)
        (i32.store (i32.const 140000) (i32.const 0x5678))
        (i32.load (i32.const 140000))))"""
    holder = {}

    def host_grow():
        holder["instance"].memories[0].grow(1)

    host = Function(func_type((), ()), host_grow, host=True)
    instance, _ = instantiate(wat2wasm(wat), "eager", imports={("host", "grow"): host})
    holder["instance"] = instance
    memory = instance.memories[0]
    pin = memoryview(memory.data)
    before = memory.data
    assert call(instance, "own") == 0x1234
    assert memory.data is not before  # grow really replaced the bytearray
    pin.release()
    pin = memoryview(memory.data)
    assert call(instance, "via_host") == 0x5678
    assert memory.data[140000] == 0x78
    pin.release()


def test_runaway_recursion_is_call_stack_exhausted():
    from pywaz import Runtime

    wat = '(module (func $f (export "f") (param i32) (result i32) (i32.add (call $f (local.get 0)) (i32.const 1))))'
    for mode in ("eager", "lazy"):
        runtime = Runtime(engine="compiler", compile_mode=mode)
        with pytest.raises(Trap) as info:
            runtime.instantiate(wat2wasm(wat)).exports["f"](1)
        assert info.value.kind is TrapKind.CALL_STACK_EXHAUSTED


def test_cross_instance_calls_reach_the_compiled_callee():
    # B imports A's lazily compiled function; once A's function has run, B's
    # calls go straight to the compiled code (no stub frame in between).
    a_wat = '(module (func (export "f") (param i32) (result i32) (i32.mul (local.get 0) (i32.const 3))))'
    b_wat = """(module (import "a" "f" (func $f (param i32) (result i32)))
      (func (export "g") (param i32) (result i32) (i32.add (call $f (local.get 0)) (i32.const 1))))"""
    a, _ = instantiate(wat2wasm(a_wat), "lazy")
    b, b_artifact = instantiate(wat2wasm(b_wat), "lazy", imports={("a", "f"): a.exports["f"]})
    assert call(b, "g", 5) == 16
    compiled = a.exports["f"].call
    assert compiled.__code__.co_name.startswith("f0")  # the stub was replaced
    assert "_F0.call(" in b_artifact.functions[0].source
    assert b.funcs[1].call.__globals__["_F0"] is a.exports["f"]
    assert call(b, "g", 7) == 22


def test_only_recent_generated_sources_stay_in_linecache(monkeypatch):
    """linecache is process-global: a big module's sources must not stay there after it is gone."""
    import linecache

    monkeypatch.setattr(artifact_module, "_LINECACHE_FUNCTIONS", 3)
    wat = "(module " + " ".join(f"(func (export \"f{i}\") (result i32) (i32.const {i}))" for i in range(8)) + ")"
    validated = validated_of(wat)
    artifact = CompilerEngine().compile(validated, CompileOptions(compile_mode="eager"))
    names = [compiled.code.co_filename for compiled in artifact.functions]
    assert [name in linecache.cache for name in names] == [False] * 5 + [True] * 3
    assert linecache.getline(names[-1], 1).startswith("def f7")
