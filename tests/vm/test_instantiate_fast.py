"""Segment application at instantiation: the precomputed fast path and the per-segment fallback.

Both must give the spec 2.0 result: active element segments, then active data
segments, in order, each bounds-checked and dropped after use; a trap keeps
the earlier writes (and drops) and leaves the later segments untouched.
Results are checked against wasmtime (a native reference runtime) or against
the segments applied one by one in Python.
"""

import itertools
import random

import pytest
import wasmtime

import pywaz
from pywaz import Trap, TrapKind
from pywaz.text import wat2wasm
from pywaz.vm.instantiate import SegmentPlan, _coalesce, segment_plan

ENGINES = ["interpreter", "compiler"]


@pytest.fixture(params=ENGINES)
def engine(request):
    return request.param


@pytest.fixture
def runtime(engine):
    with pywaz.Runtime(engine) as rt:
        yield rt


def wasm(text: str) -> bytes:
    return wat2wasm(text)


def wat_bytes(data: bytes) -> str:
    return "".join(f"\\{b:02x}" for b in data)


def shared_memory(runtime, pages: int = 1, fill: int = 0xAA):
    """A memory of ``pages`` pages exported as "shared" "m", every byte set to ``fill``."""
    instance = runtime.instantiate(
        wasm(f'(module (memory (export "m") {pages}) (table (export "t") 4 funcref))'),
        pywaz.ModuleConfig(name="shared"),
    )
    memory = instance.exports["m"]
    memory.write(0, bytes([fill]) * (pages * 65536))
    return instance


def wasmtime_memory(text: str, size: int) -> bytes:
    store = wasmtime.Store()
    instance = wasmtime.Instance(store, wasmtime.Module(store.engine, wasm(text)), [])
    return bytes(instance.exports(store)["m"].read(store, 0, size))


def test_overlapping_constant_segments_match_wasmtime(runtime):
    rng = random.Random(5)
    segments = []
    for _ in range(60):
        offset = rng.randrange(0, 400)
        segments.append((offset, bytes(rng.randrange(256) for _ in range(rng.randrange(0, 40)))))
    segments.append((10, b""))  # empty segments are fine anywhere in bounds
    segments.append((65536, b""))
    text = (
        '(module (memory (export "m") 1) '
        + " ".join(f'(data (i32.const {offset}) "{wat_bytes(data)}")' for offset, data in segments)
        + ")"
    )
    compiled = runtime.compile_module(wasm(text))
    expected = wasmtime_memory(text, 600)
    for _ in range(3):  # the first instantiation writes segment by segment, later ones a precomputed image
        instance = runtime.instantiate_module(compiled)
        assert instance.exports["m"].read(0, 600) == expected


def test_sparse_segments_of_a_defined_memory(runtime):
    text = """(module (memory (export "m") 2)
      (data (i32.const 131000) "end") (data (i32.const 1) "start") (data (i32.const 3) "AR"))"""
    compiled = runtime.compile_module(wasm(text))
    expected = wasmtime_memory(text, 131072)
    for _ in range(3):  # too sparse for an image: coalesced runs from the second instantiation on
        assert runtime.instantiate_module(compiled).exports["m"].read(0, 131072) == expected


def test_fast_path_leaves_gaps_of_an_imported_memory_alone(runtime):
    shared = shared_memory(runtime)
    compiled = runtime.compile_module(
        wasm(
            """(module (import "shared" "m" (memory 1))
              (data (i32.const 8) "\\01\\02\\03")
              (data (i32.const 2) "\\04\\05")
              (data (i32.const 9) "\\06"))"""
        )
    )
    expected = bytearray([0xAA] * 16)
    expected[8:11] = b"\x01\x02\x03"
    expected[2:4] = b"\x04\x05"
    expected[9:10] = b"\x06"
    memory = shared.exports["m"]
    for fill in (b"\xaa", b"\xbb", b"\xcc"):  # per-segment writes first, coalesced runs afterwards
        memory.write(0, fill * 16)
        runtime.instantiate_module(compiled)
        assert memory.read(0, 16) == bytes(expected).replace(b"\xaa", fill)


def data_user_text() -> str:
    # memory.init needs a constant segment index: one function per segment, dispatched via the table.
    funcs = "\n".join(
        f"(func $i{k} (param i32) i32.const 100 i32.const 0 local.get 0 memory.init {k})" for k in range(4)
    )
    return f"""(module (import "shared" "m" (memory 1)) (import "shared" "t" (table 4 funcref))
      {funcs}
      (elem (i32.const 0) $i0 $i1 $i2 $i3)
      (data (i32.const 0) "ab")
      (data (i32.const 65534) "cd")
      (data (i32.const 65535) "ef")
      (data (i32.const 4) "gh"))"""


def init_through_table(shared, runtime, segment: int, length: int) -> None:
    caller = runtime.instantiate(
        wasm(
            """(module (import "shared" "t" (table 4 funcref)) (type $t (func (param i32)))
              (func (export "go") (param i32 i32) local.get 1 local.get 0 call_indirect (type $t)))"""
        )
    )
    caller.exports["go"](segment, length)


def test_out_of_bounds_segment_keeps_earlier_writes_and_drops(runtime):
    shared = shared_memory(runtime)
    with pytest.raises(Trap) as info:
        runtime.instantiate(wasm(data_user_text()))
    assert info.value.kind is TrapKind.OUT_OF_BOUNDS_MEMORY
    memory = shared.exports["m"]
    assert memory.read(0, 2) == b"ab"
    assert memory.read(65534, 2) == b"cd"  # segment 2 trapped: nothing of it written
    assert memory.read(4, 2) == b"\xaa\xaa"  # segment 3 never ran
    # The element segment ran, so the instance's functions are reachable: segments 0 and 1 were
    # dropped (memory.init of one byte traps), segments 2 and 3 were not (the spec's instantiation order).
    for segment, dropped in [(0, True), (1, True), (2, False), (3, False)]:
        if dropped:
            with pytest.raises(Trap):
                init_through_table(shared, runtime, segment, 1)
        else:
            init_through_table(shared, runtime, segment, 1)
    assert memory.read(100, 1) == b"g"  # the last successful init copied segment 3's first byte


def test_element_trap_leaves_every_data_segment_in_place(runtime):
    shared = shared_memory(runtime)
    text = data_user_text().replace(
        '(data (i32.const 65534) "cd")', '(elem (i32.const 3) $i0 $i0) (data (i32.const 65534) "cd")'
    )
    with pytest.raises(Trap) as info:
        runtime.instantiate(wasm(text))
    assert info.value.kind is TrapKind.OUT_OF_BOUNDS_TABLE
    assert shared.exports["m"].read(0, 2) == b"\xaa\xaa"
    init_through_table(shared, runtime, 0, 2)  # not dropped: the data segments never ran
    assert shared.exports["m"].read(100, 2) == b"ab"


def test_same_module_takes_fallback_then_fast_path_by_memory_size(runtime):
    # The plan is made once per module; whether the bulk path applies depends on each instance's memory.
    text = """(module (import "shared" "m" (memory 1))
      (data (i32.const 0) "ab") (data (i32.const 65536) "cd") (data (i32.const 4) "ef"))"""
    compiled = runtime.compile_module(wasm(text))
    shared = shared_memory(runtime, pages=1)
    memory = shared.exports["m"]
    with pytest.raises(Trap) as info:
        runtime.instantiate_module(compiled)
    assert info.value.kind is TrapKind.OUT_OF_BOUNDS_MEMORY
    assert memory.read(0, 6) == b"ab\xaa\xaa\xaa\xaa"  # segment 0 written, segment 2 never ran
    memory.grow(1)
    runtime.instantiate_module(compiled)
    assert memory.read(0, 6) == b"ab\xaa\xaaef"
    assert memory.read(65536, 3) == b"cd\x00"


def test_global_get_offsets_are_evaluated_per_instance(runtime, engine):
    text = """(module (import "env" "base" (global $base i32)) (memory (export "m") 1)
      (data (i32.const 0) "xyz")
      (data (global.get $base) "AB")
      (data (i32.const 2) "Q"))"""
    runtime.new_host_module("env").global_("base", "i32", 1).instantiate()
    instance = runtime.instantiate(wasm(text))
    assert instance.exports["m"].read(0, 4) == b"xAQ\x00"
    with pywaz.Runtime(engine) as other:
        other.new_host_module("env").global_("base", "i32", 65535).instantiate()
        with pytest.raises(Trap) as info:
            other.instantiate(wasm(text))
        assert info.value.kind is TrapKind.OUT_OF_BOUNDS_MEMORY


def test_element_segments_with_global_offset_and_null_items(runtime):
    runtime.new_host_module("env").global_("at", "i32", 2).instantiate()
    instance = runtime.instantiate(
        wasm(
            """(module (import "env" "at" (global $at i32)) (table (export "t") 4 funcref)
              (func $a (result i32) i32.const 7)
              (elem (global.get $at) funcref (ref.func $a) (ref.null func))
              (elem (i32.const 0) $a))"""
        )
    )
    table = instance.exports["t"]
    assert table.get(0) is not None and table.get(2) is not None
    assert table.get(1) is None and table.get(3) is None


def test_active_segments_are_dropped_and_passive_kept(runtime):
    instance = runtime.instantiate(
        wasm(
            """(module (memory 1)
              (data $a (i32.const 0) "act")
              (data $p "pas")
              (func (export "init_active") (param i32) i32.const 10 i32.const 0 local.get 0 memory.init $a)
              (func (export "init_passive") (result i32)
                i32.const 10 i32.const 0 i32.const 3 memory.init $p i32.const 12 i32.load8_u))"""
        )
    )
    instance.exports["init_active"](0)  # a dropped segment has length 0
    with pytest.raises(Trap):
        instance.exports["init_active"](1)
    assert instance.exports["init_passive"]() == ord("s")


def reference_apply(memory: bytearray, writes) -> None:
    for offset, data in writes:
        memory[offset : offset + len(data)] = data


@pytest.mark.parametrize("seed", range(20))
def test_coalesced_runs_equal_writes_in_order(seed):
    rng = random.Random(seed)
    writes = [
        (rng.randrange(0, 300), bytes(rng.randrange(256) for _ in range(rng.randrange(0, 30))))
        for _ in range(rng.randrange(1, 50))
    ]
    expected = bytearray(b"\xee" * 400)
    reference_apply(expected, writes)
    got = bytearray(b"\xee" * 400)
    runs = _coalesce(writes)
    reference_apply(got, runs)
    assert got == expected
    starts = [start for start, _ in runs]
    assert starts == sorted(starts)
    assert all(a + len(b) < c for (a, b), (c, _) in itertools.pairwise(runs))  # disjoint, not touching


def test_plan_is_made_once_per_artifact():
    with pywaz.Runtime("interpreter") as rt:
        compiled = rt.compile_module(wasm('(module (memory 1) (data (i32.const 3) "z") (data (i32.const 1) "yy"))'))
        validated, artifact = compiled_parts(compiled)
    plan = segment_plan(validated, artifact)
    assert isinstance(plan, SegmentPlan)
    assert segment_plan(validated, artifact) is plan
    assert plan.max_end == 4
    assert plan.runs() == ((1, b"yyz"),)
    assert plan.image() == (1, b"yyz")


def compiled_parts(compiled):
    for validated_name, artifact_name in [("validated", "artifact"), ("_validated", "_artifact")]:
        validated = getattr(compiled, validated_name, None)
        artifact = getattr(compiled, artifact_name, None)
        if validated is not None and artifact is not None:
            return validated, artifact
    pytest.fail(f"cannot find the validated module and artifact on {type(compiled).__name__}")


CACHED_DATA_WAT = """(module (memory (export "m") 1)
  (data (i32.const 9) "late")
  (data $p "pas")
  (data (i32.const 2) "early")
  (func (export "init_passive") (result i32)
    i32.const 40 i32.const 0 i32.const 3 memory.init $p i32.const 41 i32.load8_u))"""


def test_plan_from_cached_columns_equals_plan_from_segments():
    from pywaz.cache.moduleinfo import decode_module_info, encode_module_info
    from pywaz.decoder import decode_module
    from pywaz.validator import validate

    for text in (CACHED_DATA_WAT, CACHED_DATA_WAT.replace('(memory (export "m") 1)', '(import "e" "m" (memory 1))')):
        original = validate(decode_module(wasm(text)))
        cached = decode_module_info(encode_module_info(original))
        direct, columns = SegmentPlan(original.module), SegmentPlan(cached.module)
        assert cached.module.datas._items is None  # planned without building DataSegment objects
        for name in ("active_indices", "data_dropped", "max_end"):
            assert getattr(columns, name) == getattr(direct, name), name
        assert columns.data_dropped == (b"", b"pas", b"")
        if columns.memory_defined:  # planned from the stored image: no active segment's bytes sliced
            assert columns.data_bytes == columns.data_dropped
            assert columns.image() is cached.module.datas.data_image
            assert columns.image() == direct.image() == (2, b"early\0\0late")
            assert columns.runs() == direct.runs()
        else:
            for name in ("data_bytes", "_offsets", "_active_data"):
                assert getattr(columns, name) == getattr(direct, name), name
        assert columns.data_actions == direct.data_actions


@pytest.mark.parametrize("mode", ["lazy", "eager"])
def test_disk_cache_hit_applies_and_keeps_segments(mode, tmp_path):  # the cache serves the compiler engine
    data = wasm(CACHED_DATA_WAT)
    expected = None
    for round_ in range(2):  # compile into the disk cache, then load from it in a fresh runtime
        with pywaz.CompilationCache(str(tmp_path)) as cache, pywaz.Runtime("compiler", compile_mode=mode, cache=cache) as rt:
            instance = rt.instantiate(data)
            memory = instance.exports["m"].read(0, 48)
            assert instance.exports["init_passive"]() == ord("a")
            if expected is None:
                expected = memory
            else:
                assert rt.stats()["disk_hits"] == 1 and rt.stats()["compilations"] == 0
    assert memory == expected
    assert expected[:13] == b"\0\0early\0\0late"
