"""The in-memory layer: hits, single-flight under thread contention, bounds, closing."""

import threading
import time

import pytest

from _cachefake import FakeEngine, expected_results, key_for, lookup, results
from pywaz import ClosedError
from pywaz.cache import CacheError, CompilationCache

DATA = b"\0asm memory test module"
REQUIRED_STATS = {"compilations", "hits", "misses", "disk_hits", "disk_writes", "evictions", "entries", "bytes"}


def test_second_lookup_is_a_memory_hit(engine):
    cache = CompilationCache()
    first = lookup(cache, engine, DATA)
    second = lookup(cache, engine, DATA)
    assert second is first and engine.compilations == 1
    stats = cache.stats()
    assert REQUIRED_STATS <= set(stats)
    assert (stats["compilations"], stats["hits"], stats["misses"], stats["entries"]) == (1, 1, 1, 1)
    assert stats["bytes"] == 0 and stats["disk_hits"] == 0 and stats["disk_writes"] == 0


def test_different_modules_do_not_alias(engine):
    cache = CompilationCache()
    a = lookup(cache, engine, DATA)
    b = lookup(cache, engine, DATA + b"!")
    assert a is not b and engine.compilations == 2
    assert results(b) == expected_results(DATA + b"!") != results(a)


def test_memory_layer_sits_above_disk(engine, cache_dir):
    cache = CompilationCache(cache_dir)
    lookup(cache, engine, DATA)
    lookup(cache, engine, DATA)
    stats = cache.stats()
    assert (stats["compilations"], stats["disk_writes"], stats["disk_hits"], stats["hits"]) == (1, 1, 0, 1)
    other = CompilationCache(cache_dir)
    assert results(lookup(other, engine, DATA)) == expected_results(DATA)
    lookup(other, engine, DATA)
    stats = other.stats()
    assert (stats["compilations"], stats["disk_hits"], stats["hits"]) == (0, 1, 1)
    assert engine.compilations == 1


def _hammer(cache, engine, modules, threads=8, iterations=25):
    barrier = threading.Barrier(threads)
    seen = [[] for _ in range(threads)]
    errors = []

    def worker(slot):
        try:
            barrier.wait()
            for i in range(iterations):
                data = modules[(slot + i) % len(modules)]
                seen[slot].append((data, lookup(cache, engine, data)))
        except BaseException as exc:  # report, the main thread asserts
            errors.append(exc)

    pool = [threading.Thread(target=worker, args=(n,)) for n in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    assert errors == []
    return [pair for per_thread in seen for pair in per_thread]


def test_threads_hammering_one_key_compile_exactly_once():
    engine = FakeEngine(delay=0.05)
    cache = CompilationCache()
    seen = _hammer(cache, engine, [DATA])
    assert engine.compilations == 1
    assert len({id(artifact) for _, artifact in seen}) == 1
    stats = cache.stats()
    assert stats["compilations"] == 1 and stats["misses"] == 1
    assert stats["hits"] == len(seen) - 1 and stats["shared"] >= 1  # some waited on the flight
    assert stats["in_flight"] == 0


def test_threads_hammering_several_keys_with_disk(cache_dir):
    engine = FakeEngine(delay=0.02)
    modules = [b"\0asm hammer %d" % i for i in range(3)]
    cache = CompilationCache(cache_dir)
    seen = _hammer(cache, engine, modules)
    assert engine.compilations == 3
    by_module = {}
    for data, artifact in seen:
        by_module.setdefault(data, set()).add(id(artifact))
        assert results(artifact) == expected_results(data)
    assert all(len(ids) == 1 for ids in by_module.values())
    stats = cache.stats()
    assert stats["disk_writes"] == 3 and stats["disk_entries"] == 3
    assert stats["hits"] + stats["misses"] == len(seen)


def test_compile_error_reaches_every_waiter_and_is_not_cached():
    cache = CompilationCache()
    started = threading.Event()
    release = threading.Event()
    calls = []

    def failing():
        calls.append(1)
        started.set()
        release.wait(5)
        raise ValueError("bad module")

    outcomes = []

    def call():
        try:
            cache.get_or_compile(key_for(DATA), failing)
        except ValueError as exc:
            outcomes.append(str(exc))

    leader = threading.Thread(target=call)
    leader.start()
    started.wait(5)
    waiters = [threading.Thread(target=call) for _ in range(3)]
    for t in waiters:
        t.start()
    wait_for_waiters(cache, 3)
    release.set()
    for t in [leader, *waiters]:
        t.join()
    assert outcomes == ["bad module"] * 4
    assert len(calls) == 1
    assert cache.stats()["entries"] == 0
    assert cache.get_or_compile(key_for(DATA), lambda: "recovered") == "recovered"


def wait_for_waiters(cache, count, timeout=10.0):
    """Block until ``count`` callers are waiting on an in-flight compilation."""
    deadline = time.monotonic() + timeout
    while cache.stats()["waiting"] < count:
        if time.monotonic() > deadline:
            raise AssertionError("waiters never arrived")
        time.sleep(0.005)


class _Interrupt(BaseException):
    pass


def test_interrupted_compilation_lets_a_waiter_retry():
    cache = CompilationCache()
    started = threading.Event()
    release = threading.Event()

    def interrupted():
        started.set()
        release.wait(5)
        raise _Interrupt()

    def leader():
        with pytest.raises(_Interrupt):
            cache.get_or_compile(key_for(DATA), interrupted)

    got = []
    t1 = threading.Thread(target=leader)
    t1.start()
    started.wait(5)
    t2 = threading.Thread(target=lambda: got.append(cache.get_or_compile(key_for(DATA), lambda: "second try")))
    t2.start()
    wait_for_waiters(cache, 1)
    release.set()
    t1.join()
    t2.join()
    assert got == ["second try"]
    stats = cache.stats()
    # The waiter saw the interruption and retried as the new leader.
    assert stats["compilations"] == 2 and stats["misses"] == 2 and stats["entries"] == 1


def test_recursive_compile_of_the_same_key_is_an_error_not_a_deadlock():
    cache = CompilationCache()
    key = key_for(DATA)
    with pytest.raises(CacheError, match="its own key"):
        cache.get_or_compile(key, lambda: cache.get_or_compile(key, lambda: "inner"))


def test_max_entries_evicts_least_recently_used(engine):
    cache = CompilationCache(max_entries=2)
    a, b, c = (b"\0asm %d" % i for i in range(3))
    lookup(cache, engine, a)
    lookup(cache, engine, b)
    lookup(cache, engine, a)  # a is now the most recently used
    lookup(cache, engine, c)
    assert key_for(a) in cache and key_for(c) in cache and key_for(b) not in cache
    assert cache.stats()["evictions"] == 1
    lookup(cache, engine, b)
    assert engine.compilations == 4


def test_close_is_idempotent_and_a_closed_cache_refuses_lookups(engine):
    cache = CompilationCache()
    artifact = lookup(cache, engine, DATA)
    cache.close()
    cache.close()
    assert cache.closed and cache.stats()["entries"] == 0
    with pytest.raises(ClosedError, match="closed"):
        lookup(cache, engine, DATA)
    assert results(artifact) == expected_results(DATA)  # what callers hold keeps working


def test_clear_drops_memory_and_disk(engine, cache_dir):
    cache = CompilationCache(cache_dir)
    lookup(cache, engine, DATA)
    cache.clear()
    stats = cache.stats()
    assert stats["entries"] == 0 and stats["disk_entries"] == 0
    lookup(cache, engine, DATA)
    assert engine.compilations == 2


def test_prune_without_directory_is_a_no_op(engine):
    cache = CompilationCache()
    lookup(cache, engine, DATA)
    assert cache.prune(0) == 0 and key_for(DATA) in cache
    with pytest.raises(CacheError):
        cache.prune(-1)


def test_non_str_key_is_a_clear_error():
    with pytest.raises(CacheError):
        CompilationCache().get_or_compile(b"bytes key", lambda: None)


def test_malformed_key_with_a_disk_store_fails_before_compiling(cache_dir):
    calls = []
    with pytest.raises(CacheError, match="64 lowercase hex"):
        CompilationCache(cache_dir).get_or_compile("not-a-key", lambda: calls.append(1))
    assert calls == []


def test_unexpected_store_failure_is_a_miss(engine, cache_dir, monkeypatch):
    cache = CompilationCache(cache_dir)

    def explode(key):
        raise MemoryError("simulated")

    monkeypatch.setattr(cache.store, "load", explode)
    assert results(lookup(cache, engine, DATA)) == expected_results(DATA)
    assert engine.compilations == 1
