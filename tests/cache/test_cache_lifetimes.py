"""Lifetimes (DESIGN.md "Lifetimes"): the cache owns residency, handles own references.

``MiniRuntime`` below is the cache's side of ``pywaz.Runtime`` reduced to the
calls it makes: one ``acquire`` per compiled module, one ``release`` when the
module (or the instance that owns it) closes. The wazero faults this project
was founded on are reproduced literally against it.
"""

import gc
import threading
import weakref

import pytest

from _cachefake import FakeEngine, acquire, expected_results, key_for, results
from pywaz import ClosedError
from pywaz.cache import CompilationCache, private_cache

DATA = b"\0asm lifetimes test module"


class MiniCompiled:
    def __init__(self, ref):
        self._ref = ref

    @property
    def artifact(self):
        return self._ref.artifact

    def close(self):
        self._ref.release()


class MiniInstance:
    def __init__(self, compiled, close_with_module):
        # Binding keeps ordinary references to the code, like engine.bind would.
        self.functions = list(compiled.artifact.codes)
        self._compiled = compiled if close_with_module else None

    def call(self, index, x):
        return eval(self.functions[index], {"x": x})

    def close(self):
        if self._compiled is not None:
            self._compiled.close()


class MiniRuntime:
    def __init__(self, engine, cache=None):
        self.engine = engine
        self.cache = cache if cache is not None else private_cache()
        self.compilations = 0

    def compile_module(self, data):
        ref = acquire(self.cache, self.engine, data)
        if ref.origin == "compiled":
            self.compilations += 1
        return MiniCompiled(ref)

    def instantiate(self, data):
        return MiniInstance(self.compile_module(data), close_with_module=True)


def instance_results(instance, x=12345):
    return [instance.call(i, x) for i in range(len(instance.functions))]


# -- wazero #2197: closing an instance evicted the cached compilation -------------


def test_two_runtimes_sharing_a_cache_compile_once_even_when_instances_close():
    engine = FakeEngine()
    cache = CompilationCache()
    for _ in range(2):
        runtime = MiniRuntime(engine, cache)
        instance = runtime.instantiate(DATA)
        assert instance_results(instance) == expected_results(DATA)
        instance.close()
    assert cache.stats()["compilations"] == 1 and engine.compilations == 1
    assert cache.stats()["entries"] == 1 and cache.stats()["references"] == 0


def test_closing_with_a_disk_cache_never_evicts_either(cache_dir):
    engine = FakeEngine()
    cache = CompilationCache(cache_dir)
    MiniRuntime(engine, cache).instantiate(DATA).close()
    second = MiniRuntime(engine, cache)
    second.instantiate(DATA).close()
    stats = cache.stats()
    assert stats["compilations"] == 1 and stats["hits"] == 1 and stats["disk_hits"] == 0
    assert second.compilations == 0


# -- wazero #2336: closing one handle broke the other ----------------------------


def test_two_handles_on_one_entry_are_independent():
    engine = FakeEngine()
    for cache in (CompilationCache(), private_cache()):
        runtime = MiniRuntime(engine, cache)
        first = runtime.compile_module(DATA)
        second = runtime.compile_module(DATA)
        assert first.artifact is second.artifact
        first.close()
        assert results(second.artifact) == expected_results(DATA)
        assert key_for(DATA) in cache  # still referenced, so resident under either policy
        with pytest.raises(ClosedError):
            first.artifact
        second.close()


def test_release_is_idempotent_and_a_released_handle_is_a_clear_error(engine):
    cache = CompilationCache()
    ref = acquire(cache, engine, DATA)
    assert not ref.released and ref.origin == "compiled"
    ref.release()
    ref.release()
    assert ref.released and cache.stats()["references"] == 0
    with pytest.raises(ClosedError, match="released"):
        ref.artifact
    with acquire(cache, engine, DATA) as again:
        assert again.origin == "memory"
    assert again.released and cache.stats()["references"] == 0


def test_origins_say_where_the_artifact_came_from(engine, cache_dir):
    cache = CompilationCache(cache_dir)
    assert acquire(cache, engine, DATA).origin == "compiled"
    assert acquire(cache, engine, DATA).origin == "memory"
    assert acquire(CompilationCache(cache_dir), engine, DATA).origin == "disk"


# -- residency ---------------------------------------------------------------------


def test_user_cache_release_never_evicts(engine):
    cache = CompilationCache()
    refs = [acquire(cache, engine, DATA) for _ in range(3)]
    for ref in refs:
        ref.release()
    assert key_for(DATA) in cache and cache.stats()["freed"] == 0


def test_private_cache_frees_an_entry_on_its_last_release():
    engine = FakeEngine()
    runtime = MiniRuntime(engine)
    a = runtime.compile_module(DATA)
    b = runtime.compile_module(DATA)
    artifact = weakref.ref(a.artifact)
    assert runtime.cache.stats()["references"] == 2
    a.close()
    assert key_for(DATA) in runtime.cache and artifact() is not None
    b.close()
    assert key_for(DATA) not in runtime.cache
    assert runtime.cache.stats()["freed"] == 1 and runtime.cache.stats()["entries"] == 0
    del a, b
    gc.collect()
    assert artifact() is None, "a released private entry must not stay in memory"
    # Memory does not grow: the next compilation is a fresh one.
    runtime.compile_module(DATA).close()
    assert engine.compilations == 2


def test_implicit_compilation_is_released_when_its_instance_closes():
    engine = FakeEngine()
    runtime = MiniRuntime(engine)
    instance = runtime.instantiate(DATA)
    artifact = weakref.ref(instance._compiled.artifact)
    instance.close()
    instance.close()  # idempotent all the way down
    assert runtime.cache.stats()["entries"] == 0 and runtime.cache.stats()["references"] == 0
    del instance
    gc.collect()
    assert artifact() is None


def test_forgotten_handle_releases_itself_when_collected():
    engine = FakeEngine()
    cache = private_cache()
    ref = acquire(cache, engine, DATA)
    artifact = weakref.ref(ref.artifact)
    del ref
    gc.collect()
    assert cache.stats()["references"] == 0 and cache.stats()["entries"] == 0
    assert artifact() is None


def test_handle_collected_while_the_cache_lock_is_held_does_not_deadlock():
    engine = FakeEngine()
    cache = private_cache()

    class Cycle:
        pass

    holder = Cycle()
    holder.self = holder
    holder.ref = acquire(cache, engine, DATA)
    del holder
    with cache._lock:  # a gc pass inside a locked section of this very thread
        gc.collect()
    assert cache.stats()["references"] == 0 and cache.stats()["entries"] == 0


# -- live users keep code alive ---------------------------------------------------


def test_live_instances_survive_whatever_the_cache_evicts(engine):
    cache = CompilationCache(max_entries=1)
    runtime = MiniRuntime(engine, cache)
    instance = runtime.instantiate(DATA)
    handle = runtime.compile_module(DATA)
    runtime.instantiate(DATA + b"other").close()  # evicts DATA's entry
    assert key_for(DATA) not in cache and cache.stats()["evictions"] == 1
    cache.clear()
    cache.close()
    assert instance_results(instance) == expected_results(DATA)
    assert results(handle.artifact) == expected_results(DATA)
    handle.close()
    instance.close()
    assert instance_results(instance) == expected_results(DATA)  # an instance's code is its own
    assert cache.stats()["references"] == 0


def test_release_after_eviction_does_not_touch_a_newer_entry():
    engine = FakeEngine()
    cache = private_cache()
    old = acquire(cache, engine, DATA)
    cache.clear()  # old entry no longer resident
    new = acquire(cache, engine, DATA)
    assert new.artifact is not old.artifact
    old.release()
    assert key_for(DATA) in cache and results(new.artifact) == expected_results(DATA)
    new.release()
    assert key_for(DATA) not in cache


# -- wazero #2447: concurrent compiles under-counted references -------------------


@pytest.mark.parametrize("make_cache", [CompilationCache, private_cache], ids=["user", "private"])
def test_concurrent_acquires_count_every_reference(make_cache):
    engine = FakeEngine(delay=0.05)
    cache = make_cache()
    threads = 8
    barrier = threading.Barrier(threads)
    refs = []
    lock = threading.Lock()

    def worker():
        barrier.wait()
        ref = acquire(cache, engine, DATA)
        with lock:
            refs.append(ref)

    pool = [threading.Thread(target=worker) for _ in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    assert engine.compilations == 1 and len(refs) == threads
    assert cache.stats()["references"] == threads
    for ref in refs[:-1]:
        ref.release()
        assert key_for(DATA) in cache
        assert results(refs[-1].artifact) == expected_results(DATA)
    refs[-1].release()
    assert cache.stats()["references"] == 0
    assert (key_for(DATA) in cache) == (make_cache is CompilationCache)


def test_hammer_acquire_and_release_keeps_counts_exact():
    engine = FakeEngine()
    modules = [b"\0asm hammer %d" % i for i in range(3)]
    for cache in (CompilationCache(), private_cache()):
        threads, iterations = 8, 200
        barrier = threading.Barrier(threads)
        errors = []

        def worker(slot):
            try:
                barrier.wait()
                held = []
                for i in range(iterations):
                    data = modules[(slot * 7 + i) % len(modules)]
                    ref = acquire(cache, engine, data)
                    if results(ref.artifact) != expected_results(data):
                        errors.append(f"wrong artifact for {data!r}")
                    held.append(ref)
                    if i % 3 == 2:
                        for r in held:
                            r.release()
                            r.release()
                        held.clear()
                for r in held:
                    r.release()
            except BaseException as exc:
                errors.append(exc)

        pool = [threading.Thread(target=worker, args=(n,)) for n in range(threads)]
        for t in pool:
            t.start()
        for t in pool:
            t.join()
        assert errors == []
        stats = cache.stats()
        assert stats["references"] == 0 and stats["in_flight"] == 0
        if cache.residency == "retain":
            assert stats["entries"] == 3 and stats["compilations"] == 3
        else:
            assert stats["entries"] == 0
