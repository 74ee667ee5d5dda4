"""The founding faults, through the real Runtime with the compiler engine, in both compile modes.

A disk hit must instantiate with no decode, validate or compile: the tests
replace those entry points with functions that fail, then load from disk.
"""

import gc
import json
import os
import subprocess
import sys
import threading
import weakref

import pytest

import pywaz
import pywaz.compiler.artifact as artifact_module
import pywaz.decoder
import pywaz.validator
from pywaz.api import CompileOptions
from pywaz.compiler.engine import CompilerEngine
from pywaz.errors import PywazError
from pywaz.text import wat2wasm

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

WAT = """
(module
  (type $t (func (param i32) (result i32)))
  (memory (export "mem") 1)
  (data (i32.const 16) "hello")
  (data $p "passive")
  (table 4 funcref)
  (elem (i32.const 1) $inc $dbl)
  (elem declare func $inc)
  (global $g (mut i32) (i32.const 41))
  (global $v v128 (v128.const i64x2 1 2))
  (func $inc (export "inc") (type $t) (i32.add (local.get 0) (i32.const 1)))
  (func $dbl (type $t) (i32.mul (local.get 0) (i32.const 2)))
  (func (export "call_ind") (param i32 i32) (result i32) (call_indirect (type $t) (local.get 1) (local.get 0)))
  (func (export "load") (result i32) (i32.load8_u (i32.const 16)))
  (func (export "g") (result i32) (global.get $g))
  (func (export "lane") (result i64) (i64x2.extract_lane 1 (global.get $v)))
  (func $start (global.set $g (i32.add (global.get $g) (i32.const 1))))
  (start $start))
"""
DATA = wat2wasm(WAT)
CALLS = (
    ("inc", (1,), 2),
    ("call_ind", (1, 5), 6),
    ("call_ind", (2, 5), 10),
    ("load", (), 104),
    ("g", (), 42),
    ("lane", (), 2),
)
MODES = ("lazy", "eager")


def check_all(instance):
    for name, args, expected in CALLS:
        assert instance.exports[name](*args) == expected, name


def forbid_decode_validate_compile(monkeypatch):
    """Make decoding, validating and compiling a function fail loudly for the rest of the test."""

    def refuse(*args, **kwargs):
        raise AssertionError("a cache hit must not decode, validate or compile")

    monkeypatch.setattr(pywaz.decoder, "decode_module", refuse)
    monkeypatch.setattr(pywaz.validator, "validate", refuse)
    monkeypatch.setattr(artifact_module, "compile_function", refuse)


@pytest.mark.parametrize("mode", MODES)
def test_two_runtimes_sharing_a_memory_cache_compile_once(mode):
    cache = pywaz.CompilationCache()
    for _ in range(2):
        with pywaz.Runtime(engine="compiler", compile_mode=mode, cache=cache) as runtime:
            instance = runtime.instantiate(DATA)
            check_all(instance)
            instance.close()
    assert cache.stats()["compilations"] == 1 and cache.stats()["hits"] == 1


@pytest.mark.parametrize("mode", MODES)
def test_disk_hit_instantiates_with_no_decode_validate_or_compile(mode, cache_dir, monkeypatch):
    with (
        pywaz.CompilationCache(cache_dir) as cache,
        pywaz.Runtime(engine="compiler", compile_mode=mode, cache=cache) as rt,
    ):
        check_all(rt.instantiate(DATA))
    forbid_decode_validate_compile(monkeypatch)
    with (
        pywaz.CompilationCache(cache_dir) as cache,
        pywaz.Runtime(engine="compiler", compile_mode=mode, cache=cache) as rt,
    ):
        instance = rt.instantiate(DATA)
        check_all(instance)
        assert rt.stats() == {"compilations": 0, "memory_hits": 0, "disk_hits": 1}
        compiled = rt.compile_module(DATA)  # a memory hit now; imports/exports from the stored information
        assert [e.name for e in compiled.exports] == ["mem", "inc", "call_ind", "load", "g", "lane"]
        assert str(compiled.exports[1].type) == "[i32] -> [i32]"


def test_lazy_function_never_compiled_is_decoded_from_the_bytes_and_written_back(cache_dir, monkeypatch):
    with pywaz.CompilationCache(cache_dir) as cache, pywaz.Runtime(engine="compiler", cache=cache) as rt:
        assert rt.instantiate(DATA).exports["inc"](1) == 2  # only inc (and the start function) compiled
    compiles = []
    real = artifact_module.compile_function
    monkeypatch.setattr(
        artifact_module, "compile_function", lambda v, i, *rest: compiles.append(i) or real(v, i, *rest)
    )
    with pywaz.CompilationCache(cache_dir) as cache:
        with pywaz.Runtime(engine="compiler", cache=cache) as rt:
            instance = rt.instantiate(DATA)
            assert instance.exports["inc"](1) == 2 and compiles == []  # stored code, not recompiled
            assert instance.exports["load"]() == 104 and compiles == [3]
        assert cache.stats()["disk_writes"] == 1  # Runtime.close flushed the new function
    monkeypatch.setattr(artifact_module, "compile_function", lambda v, i, *rest: pytest.fail("compiled again"))
    monkeypatch.setattr(pywaz.decoder, "decode_module", lambda *a: pytest.fail("decoded again"))
    with pywaz.CompilationCache(cache_dir) as cache, pywaz.Runtime(engine="compiler", cache=cache) as rt:
        assert rt.instantiate(DATA).exports["load"]() == 104


def test_artifact_loaded_without_bytes_explains_why_it_cannot_compile():
    engine = CompilerEngine()
    validated = pywaz.validator.validate(pywaz.decoder.decode_module(DATA))
    payload = engine.serialize(engine.compile(validated, CompileOptions(compile_mode="lazy")))
    loaded = engine.deserialize(payload)
    with pytest.raises(PywazError, match="without its wasm bytes"):
        loaded.function(0)
    with pytest.raises(PywazError, match="do not match"):
        loaded.provide_module_bytes(DATA + b"\0")
    loaded.provide_module_bytes(DATA)
    assert loaded.function(0).name == "f0_inc"


@pytest.mark.parametrize("mode", MODES)
def test_two_compiled_handles_are_independent(mode):
    for cache in (pywaz.CompilationCache(), None):
        with pywaz.Runtime(engine="compiler", compile_mode=mode, cache=cache) as rt:
            first, second = rt.compile_module(DATA), rt.compile_module(DATA)
            first.close()
            first.close()
            with pytest.raises(pywaz.ClosedError):
                rt.instantiate_module(first)
            check_all(rt.instantiate_module(second))


@pytest.mark.parametrize("mode", MODES)
def test_concurrent_threads_compile_once(mode):
    cache = pywaz.CompilationCache()
    barrier = threading.Barrier(4)
    errors = []

    def work():
        try:
            with pywaz.Runtime(engine="compiler", compile_mode=mode, cache=cache) as rt:
                barrier.wait()
                check_all(rt.instantiate(DATA))
        except BaseException as exc:  # reported below; a thread cannot fail the test itself
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert cache.stats()["compilations"] == 1 and cache.stats()["hits"] == 3


@pytest.mark.parametrize("damage", ["flip", "truncate", "garbage", "empty"])
def test_corrupt_compiler_entry_is_a_miss_and_replaced(damage, cache_dir):
    with pywaz.CompilationCache(cache_dir) as cache, pywaz.Runtime(engine="compiler", cache=cache) as rt:
        check_all(rt.instantiate(DATA))
        (info,) = cache.entries()
    with open(info.path, "rb") as f:
        raw = bytearray(f.read())
    if damage == "flip":
        raw[len(raw) // 2] ^= 0x40
    elif damage == "truncate":
        raw = raw[: len(raw) - 7]
    elif damage == "garbage":
        raw = bytearray(os.urandom(len(raw)))
    else:
        raw = bytearray()
    with open(info.path, "wb") as f:
        f.write(raw)
    with pywaz.CompilationCache(cache_dir) as cache, pywaz.Runtime(engine="compiler", cache=cache) as rt:
        check_all(rt.instantiate(DATA))
        stats = cache.stats()
        assert (stats["compilations"], stats["invalid_entries"], stats["disk_hits"]) == (1, 1, 0)
    with pywaz.CompilationCache(cache_dir) as cache, pywaz.Runtime(engine="compiler", cache=cache) as rt:
        check_all(rt.instantiate(DATA))
        assert cache.stats()["disk_hits"] == 1  # the bad entry was replaced by a good one


@pytest.mark.parametrize("mode", MODES)
def test_without_a_cache_closing_frees_the_compiled_code(mode):
    rt = pywaz.Runtime(engine="compiler", compile_mode=mode)
    instance = rt.instantiate(DATA)
    check_all(instance)
    artifact = weakref.ref(instance.module_instance.engine_state)
    instance.close()
    del instance
    gc.collect()
    assert artifact() is None
    assert rt._cache.stats()["entries"] == 0
    rt.close()


_CHILD = """
import json, sys
sys.path.insert(0, {repo!r})
import pywaz, pywaz.compiler.artifact as a
count = [0]
real = a.compile_function
a.compile_function = lambda v, i, *rest: count.__setitem__(0, count[0] + 1) or real(v, i, *rest)
data = bytes.fromhex({hex!r})
cache = pywaz.CompilationCache({directory!r})
with pywaz.Runtime(engine="compiler", compile_mode={mode!r}, cache=cache) as rt:
    instance = rt.instantiate(data)
    results = [instance.exports[n](*args) for n, args in {calls!r}]
    stats = rt.stats()
cache.close()
print(json.dumps({{"results": results, "stats": stats, "functions_compiled": count[0]}}))
"""


def run_child(directory, mode):
    calls = [(name, args) for name, args, _ in CALLS]
    script = _CHILD.format(repo=REPO, hex=DATA.hex(), directory=directory, mode=mode, calls=calls)
    return subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def child_result(proc):
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err.decode()
    return json.loads(out)


@pytest.mark.parametrize("mode", MODES)
def test_second_process_compiles_nothing(mode, cache_dir):
    first = child_result(run_child(cache_dir, mode))
    second = child_result(run_child(cache_dir, mode))
    expected = [expected for _, _, expected in CALLS]
    assert first["results"] == second["results"] == expected
    assert first["stats"]["compilations"] == 1 and first["functions_compiled"] == 7
    assert second["stats"] == {"compilations": 0, "memory_hits": 0, "disk_hits": 1}
    assert second["functions_compiled"] == 0


def test_concurrent_processes_all_succeed_and_leave_one_valid_entry(cache_dir):
    procs = [run_child(cache_dir, "eager") for _ in range(3)]
    results = [child_result(p) for p in procs]
    assert all(r["results"] == [expected for _, _, expected in CALLS] for r in results)
    with pywaz.CompilationCache(cache_dir) as cache:
        report = cache.verify()
        assert len(cache.entries()) == 1
    assert (report.checked, report.valid, report.invalid) == (1, 1, ())


@pytest.mark.parametrize("lazy_region", [False, True], ids=["read whole", "read lazily"])
def test_random_damage_anywhere_in_a_compiler_entry_never_gives_a_wrong_answer(lazy_region, cache_dir, monkeypatch):
    """300 seeded mutations (flips, truncations, insertions) spread over the whole entry, each loaded fresh."""
    import random
    import shutil

    from pywaz.cache import storedcode

    if not lazy_region:  # no descriptor to keep: the region is read whole when a function first needs it
        monkeypatch.setattr(storedcode, "MAX_OPEN_REGIONS", 0)
    with (
        pywaz.CompilationCache(cache_dir) as cache,
        pywaz.Runtime(engine="compiler", compile_mode="eager", cache=cache) as rt,
    ):
        check_all(rt.instantiate(DATA))
        (info,) = cache.entries()
    with open(info.path, "rb") as f:
        original = f.read()
    rng = random.Random(20261125)
    outcomes = {"hit": 0, "miss": 0}
    for round_ in range(300):
        raw = bytearray(original)
        kind = round_ % 3
        position = rng.randrange(len(raw))
        if kind == 0:
            raw[position] ^= 1 << rng.randrange(8)
        elif kind == 1:
            del raw[position:]
        else:
            raw[position:position] = os.urandom(rng.randrange(1, 9))
        shutil.rmtree(os.path.dirname(info.path))
        os.makedirs(os.path.dirname(info.path), mode=0o700)
        with open(info.path, "wb") as f:
            f.write(raw)
        with (
            pywaz.CompilationCache(cache_dir) as cache,
            pywaz.Runtime(engine="compiler", compile_mode="eager", cache=cache) as rt,
        ):
            check_all(rt.instantiate(DATA))
            outcomes["hit" if rt.stats()["disk_hits"] else "miss"] += 1
    # Read lazily, a damaged blob is found only when its function is first called (a hit that then
    # compiles that function); everything else, and everything when read whole, is a miss.
    assert outcomes["miss"] >= 200 and outcomes["miss"] + outcomes["hit"] == 300, outcomes


def test_a_function_first_compiled_after_a_disk_hit_decodes_and_validates_only_itself(cache_dir, monkeypatch):
    """Lazy mode: the next process compiles a new function from its own bytes, not the whole module."""
    with pywaz.CompilationCache(cache_dir) as cache, pywaz.Runtime(engine="compiler", cache=cache) as rt:
        assert rt.instantiate(DATA).exports["inc"](1) == 2
    fresh = pywaz.validator.validate(pywaz.decoder.decode_module(DATA))
    monkeypatch.setattr(pywaz.decoder, "decode_module", lambda *a: pytest.fail("decoded the whole module"))
    monkeypatch.setattr(pywaz.validator, "validate", lambda *a: pytest.fail("validated the whole module"))
    with pywaz.CompilationCache(cache_dir) as cache, pywaz.Runtime(engine="compiler", cache=cache) as rt:
        instance = rt.instantiate(DATA)
        check_all(instance)  # compiles call_ind, load, g, lane (never compiled before) one by one
        assert rt.stats()["disk_hits"] == 1
        rebuilt = instance.module_instance.module
        for i, expected in enumerate(fresh.functions):
            got = rebuilt.functions[i]
            assert (got.func_index, got.type, got.local_types, got.max_height) == (
                expected.func_index,
                expected.type,
                expected.local_types,
                expected.max_height,
            )
            assert got.blocks == expected.blocks
            assert (list(got.body.ops), list(got.body.imms), list(got.body.offsets)) == (
                list(expected.body.ops),
                list(expected.body.imms),
                list(expected.body.offsets),
            )
            assert rebuilt.module.codes[i].offset == expected.body.offset


def test_sources_are_kept_only_where_a_cache_stores_them(tmp_path):
    with pywaz.Runtime(engine="compiler", compile_mode="eager") as rt:
        compiled = rt.compile_module(DATA)
        assert all(f.source == "" for f in compiled.artifact.functions)
        assert compiled.functions.view("inc", python=True).python_source.startswith("def f")
    with (
        pywaz.CompilationCache(str(tmp_path / "kept"), keep_sources=True) as cache,
        pywaz.Runtime(engine="compiler", compile_mode="eager", cache=cache) as rt,
    ):
        compiled = rt.compile_module(DATA)
        assert all(f.source.startswith("def f") for f in compiled.artifact.functions)
    with (
        pywaz.CompilationCache(str(tmp_path / "kept")) as cache,
        pywaz.Runtime(engine="compiler", compile_mode="eager", cache=cache) as rt,
    ):
        view = rt.compile_module(DATA).functions.view("inc")  # a disk hit: the stored source, no regeneration
        assert rt.stats()["disk_hits"] == 1 and view.python_source.startswith("def f")
