"""Data segments of a module loaded from the cache, with and without the stored memory image.

Each case instantiates a module twice over: from a fresh decode and validate,
and from its module information after a msgpack round trip (as a cache hit
does). Memory, the data segment instances and what the module's functions
see must be byte-identical, on the first instantiation (a fresh process) and
on later ones (the plan is kept per artifact).
"""

import hashlib
import os
import types

import msgpack
import pytest
import wasmtime

from pywaz import Trap
from pywaz.api import CompileOptions
from pywaz.cache.moduleinfo import ModuleBodies, decode_module_info, encode_module_info
from pywaz.decoder import decode_module
from pywaz.ir import Limits, MemoryType, TableType
from pywaz.text import wat2wasm
from pywaz.validator import validate
from pywaz.vm.engines import create_engine
from pywaz.vm.exports import invoke
from pywaz.vm.instantiate import SegmentPlan, apply_segments, instantiate
from pywaz.vm.objects import Memory, Table

FUNCREF = 0x70
ESBUILD = os.path.join(os.path.dirname(__file__), "..", "..", "bench", ".data", "esbuild-0.28.2.wasm")


def through_cache(data: bytes):
    """The module as a cache hit rebuilds it: encoded, packed, unpacked, decoded (bodies from ``data``)."""
    fresh = validate(decode_module(data))
    packed = msgpack.packb(encode_module_info(fresh, hashlib.sha256(data).digest()))
    bodies = ModuleBodies(hashlib.sha256(data).digest(), len(data))
    bodies.provide(data)
    return fresh, decode_module_info(msgpack.unpackb(packed, raw=False, strict_map_key=True), bodies)


def fresh_imports():
    """A memory (every byte 0xAA, so untouched bytes show) and a table, as "env" "mem" / "env" "tab"."""
    memory = Memory(MemoryType(Limits(1, None)))
    memory.data[:] = b"\xaa" * len(memory.data)
    return {("env", "mem"): memory, ("env", "tab"): Table(TableType(FUNCREF, Limits(2, None)))}


def observe(validated, artifact, engine, calls):
    """Instantiate once; return (outcome, memory bytes, data segments, results of ``calls`` as (name, args))."""
    imports = fresh_imports()
    try:
        instance = instantiate(validated, artifact, engine, lambda module, name: imports.get((module, name)))
    except Trap as trap:
        # The instance is gone, but functions its element segments put into the imported table live on.
        table = imports[("env", "tab")].elements
        late = [repr(_call(table[0], ())) if table[0] is not None else None]
        return ("trap", trap.kind), bytes(imports[("env", "mem")].data), None, late
    memory = instance.memories[0].data
    results = [repr(_call(instance.exports[name], args)) for name, args in calls]
    return "ok", bytes(memory), [bytes(d) for d in instance.data_segments], results


def _call(function, args):
    try:
        return invoke(function, args)
    except Trap as trap:
        return trap.kind


CASES = {
    # name: (module text, image expected, exported calls after instantiation)
    "unsorted disjoint, passive, empty, at the very end": (
        """(module (memory (export "m") 1)
          (data (i32.const 9) "late")
          (data $p "pas")
          (data (i32.const 2) "early")
          (data (i32.const 40) "")
          (data (i32.const 65530) "tail!!")
          (data (i32.const 65536) "")
          (func (export "init_passive") (param i32) (result i32)
            i32.const 40 i32.const 0 local.get 0 memory.init $p i32.const 41 i32.load8_u)
          (func (export "init_active") (param i32) i32.const 0 i32.const 0 local.get 0 memory.init 0)
          (func (export "drop_passive") data.drop $p))""",
        True,
        [
            ("init_passive", (3,)),
            ("init_active", (0,)),
            ("init_active", (1,)),
            ("drop_passive", ()),
            ("init_passive", (1,)),
            ("init_passive", (0,)),
        ],
    ),
    "overlapping": (
        """(module (memory (export "m") 1)
          (data (i32.const 4) "abcdef") (data (i32.const 6) "XY") (data (i32.const 5) "q") (data "pp"))""",
        False,
        [],
    ),
    "imported memory": (
        """(module (import "env" "mem" (memory 1))
          (data (i32.const 8) "\\01\\02\\03") (data (i32.const 2) "\\04\\05") (data $p "pp")
          (func (export "init") (result i32) i32.const 20 i32.const 0 i32.const 2 memory.init $p
            i32.const 21 i32.load8_u))""",
        False,
        [("init", ())],
    ),
    "sparse": (
        """(module (memory (export "m") 20) (data (i32.const 7) "a") (data (i32.const 1000000) "b"))""",
        False,
        [],
    ),
    "image past the memory traps, later segments stay": (
        """(module (import "env" "tab" (table 2 funcref)) (memory 1)
          (elem (i32.const 0) $late)
          (func $late (result i32)
            i32.const 0 i32.const 0 i32.const 1 memory.init 2 i32.const 0 i32.load8_u)
          (data (i32.const 10) "a")
          (data (i32.const 65535) "bc")
          (data (i32.const 20) "z"))""",
        True,
        [],
    ),
}


def observations(text: str, engine_name: str):
    """Per side (fresh decode, cache round trip): three instantiations' observations; and the image, if stored."""
    data = wat2wasm(text)
    fresh, cached = through_cache(data)
    sides = []
    for validated in (fresh, cached):
        engine = create_engine(engine_name)
        artifact = engine.compile(validated, CompileOptions())
        # First instantiation (a fresh process), then later ones from the plan kept with the artifact.
        sides.append([observe(validated, artifact, engine, calls_of(text)) for _ in range(3)])
    return sides, cached.module.datas.data_image


def calls_of(text: str):
    return next(calls for case_text, _, calls in CASES.values() if case_text == text)


@pytest.mark.parametrize("engine_name", ["interpreter", "compiler"])
@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_cached_segments_instantiate_like_fresh_ones(case, engine_name):
    text, image_expected, _ = case
    (fresh, cached), image = observations(text, engine_name)
    assert (image is not None) == image_expected
    assert cached == fresh
    assert fresh[0] == fresh[1] == fresh[2]


def test_the_fresh_side_is_what_the_spec_says():
    """The reference side of the comparison above, checked on its own against wasmtime and by hand."""
    text = CASES["unsorted disjoint, passive, empty, at the very end"][0]
    outcome, memory, segments, results = observations(text, "interpreter")[0][0][0]
    assert outcome == "ok" and segments == [b"", b"", b"", b"", b"", b""]  # passive one dropped by a call
    store = wasmtime.Store()
    reference = wasmtime.Instance(store, wasmtime.Module(store.engine, wat2wasm(text)), [])
    exports = reference.exports(store)
    exports["init_passive"](store, 3)
    assert memory == bytes(exports["m"].read(store, 0, 65536))
    assert memory[2:13] == b"early\0\0late" and memory[-6:] == b"tail!!"
    assert results[0] == repr(ord("a")) and "OUT_OF_BOUNDS_MEMORY" in results[2] and results[4] == results[2]
    trapping = CASES["image past the memory traps, later segments stay"][0]
    outcome, _, _, late = observations(trapping, "interpreter")[0][0][0]
    assert outcome[0] == "trap" and "OUT_OF_BOUNDS_MEMORY" in repr(outcome[1])
    assert late == [repr(ord("z"))]  # segment 2 was never applied, so it was never dropped either


def test_cached_image_plan_slices_no_active_segment():
    data = wat2wasm(CASES["unsorted disjoint, passive, empty, at the very end"][0])
    _, cached = through_cache(data)
    datas = cached.module.datas
    plan = SegmentPlan(cached.module)
    assert datas._items is None  # no DataSegment objects were built
    assert plan.data_bytes == (b"", b"pas", b"", b"", b"", b"")
    assert plan.max_end == 65536 and plan.image() is datas.data_image
    start, image = datas.data_image
    assert start == 2 and len(image) == 65534 and bytes(image[-6:]) == b"tail!!"
    assert plan.active_indices == (0, 2, 3, 4, 5)


def test_esbuild_memory_is_the_same_through_the_cache():
    if not os.path.exists(ESBUILD):
        pytest.skip("bench/.data/esbuild-0.28.2.wasm is not present")
    with open(ESBUILD, "rb") as f:
        data = f.read()
    fresh, cached = through_cache(data)
    assert cached.module.datas.data_image is not None
    memories = []
    for module in (fresh.module, cached.module):
        plan = SegmentPlan(module)
        plan.elem_actions = ()  # only the data segments are compared
        for _ in range(2):  # first and later instantiations
            memory = Memory(module.memories[0])
            instance = types.SimpleNamespace(
                tables=[], elem_segments=[], memories=[memory], data_segments=list(plan.data_bytes)
            )
            apply_segments(plan, instance)
            assert instance.data_segments == list(plan.data_dropped)
            memories.append(memory.data)
    assert memories[0] == memories[1] == memories[2] == memories[3]
    assert any(memories[0])
