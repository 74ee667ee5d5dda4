"""Lazily compiled code reaches disk without ``close()``: on release, on garbage collection, by batch or age.

The background worker is made deterministic with ``autoflush.drain()`` (wait
until every request made so far is handled); the periodic rules are tested
through ``_flush_due`` directly, with the clock moved by editing the entry's
last-write time, so nothing here depends on how fast the machine is. The
interpreter-exit flush is tested with real processes in test_cache_processes.py.
"""

import gc
import os
import weakref

import pytest

import pywaz
from pywaz.cache import CompilationCache, DiskStore, autoflush
from pywaz.cache.payload import presence
from pywaz.text import wat2wasm

FUNCTIONS = 6
WAT = (
    "(module "
    + " ".join(f'(func (export "f{i}") (result i32) (i32.mul (i32.const {i + 2}) (i32.const {i + 5})))' for i in range(FUNCTIONS))
    + ")"
)
DRAIN_BOUND = 120.0  # seconds; only a wedged worker gets near it


@pytest.fixture(scope="module")
def wasm():
    return wat2wasm(WAT)


def stored(cache_dir) -> list[int]:
    """The functions with code in the store's one entry (empty if there is no entry)."""
    store = DiskStore(cache_dir)
    entries = store.entries()
    if not entries:
        return []
    (entry,) = entries
    loaded = store.load(entry.key)
    return [i for i, present in enumerate(presence(loaded.payload.code_blobs)) if present]


def drain():
    assert autoflush.drain(DRAIN_BOUND), "the background flush worker did not answer"


def lazy_runtime(cache):
    return pywaz.Runtime(engine="compiler", compile_mode="lazy", cache=cache)


@pytest.mark.parametrize(
    "new, idle, released, since_write, due",
    [
        (0, True, True, 1e9, False),  # nothing new: never
        (1, True, True, 0.0, True),  # the last reference went: write what it gained
        (1, False, True, 0.0, False),  # still in use: wait for a batch or for age
        (1, True, False, 0.0, False),  # a poll of an idle entry: batch or age only
        (autoflush.FLUSH_BATCH, False, False, 0.0, True),
        (autoflush.FLUSH_BATCH - 1, False, False, 0.0, False),
        (1, False, False, autoflush.FLUSH_MAX_DELAY, True),
        (1, False, False, autoflush.FLUSH_MAX_DELAY - 1, False),
    ],
)
def test_when_an_entry_is_due(new, idle, released, since_write, due):
    assert autoflush.is_due(new, idle, released, since_write) is due


def test_closing_the_last_instance_writes_back_in_the_background(wasm, cache_dir):
    cache = CompilationCache(cache_dir)
    runtime = lazy_runtime(cache)
    instance = runtime.instantiate(wasm)
    assert stored(cache_dir) == []  # the entry written at compile time holds no code yet
    assert instance.exports["f2"]() == 4 * 7
    instance.close()  # releases the module's last reference; the runtime and cache stay open
    drain()
    assert stored(cache_dir) == [2]
    assert cache.stats()["disk_writes"] == 2
    again = runtime.instantiate(wasm)  # a memory hit on the same entry
    assert again.exports["f4"]() == 6 * 9
    again.close()
    drain()
    assert stored(cache_dir) == [2, 4]
    assert cache.stats()["disk_writes"] == 3
    runtime.close()
    cache.close()
    assert cache.stats()["disk_writes"] == 3  # close() found nothing left to write


def test_an_instance_still_open_is_left_to_the_batch_and_age_rules(wasm, cache_dir):
    cache = CompilationCache(cache_dir)
    runtime = lazy_runtime(cache)
    keep = runtime.instantiate(wasm)
    other = runtime.instantiate(wasm)
    assert keep.exports["f1"]() == 3 * 6
    other.close()  # a reference is released, but `keep` still holds the entry
    drain()
    assert stored(cache_dir) == []
    assert cache._flush_due(released=False) == 0  # one new function, entry just written: not due
    (entry,) = cache._persistable()[1]
    entry.written_at -= autoflush.FLUSH_MAX_DELAY  # as if a minute had passed
    assert cache._flush_due(released=False) == 1
    assert stored(cache_dir) == [1]
    runtime.close()
    cache.close()


def test_a_batch_of_new_functions_is_written_while_running(wasm, cache_dir, monkeypatch):
    monkeypatch.setattr(autoflush, "FLUSH_BATCH", 3)
    cache = CompilationCache(cache_dir)
    runtime = lazy_runtime(cache)
    instance = runtime.instantiate(wasm)
    for i in (0, 5):
        instance.exports[f"f{i}"]()
    assert cache._flush_due(released=False) == 0  # two new: below the batch
    instance.exports["f3"]()
    assert cache._flush_due(released=False) == 1
    assert stored(cache_dir) == [0, 3, 5]
    assert cache._flush_due(released=False) == 0  # written: nothing new
    runtime.close()
    cache.close()


def test_a_runtime_dropped_without_close_is_collected_and_its_code_written(wasm, cache_dir):
    cache = CompilationCache(cache_dir)

    def embed():
        runtime = lazy_runtime(cache)
        instance = runtime.instantiate(wasm)
        assert instance.exports["f5"]() == 7 * 10
        return weakref.ref(runtime), weakref.ref(instance)

    runtime_ref, instance_ref = embed()
    gc.collect()
    assert runtime_ref() is None and instance_ref() is None  # nothing in the flush machinery keeps them
    drain()
    assert stored(cache_dir) == [5]
    cache.close()


def test_the_exit_registry_does_not_keep_a_cache_alive(wasm, cache_dir):
    def embed():
        cache = CompilationCache(cache_dir)
        runtime = lazy_runtime(cache)
        runtime.instantiate(wasm).exports["f0"]()
        return weakref.ref(cache)

    cache_ref = embed()
    gc.collect()  # the runtime's cycles go; its references are released, which asks for a write-back
    drain()  # the worker lets go of a cache once it has handled it
    gc.collect()
    assert cache_ref() is None
    assert stored(cache_dir) == [0]  # written when its references were collected


def test_auto_flush_false_leaves_writing_back_to_flush_and_close(wasm, cache_dir):
    cache = CompilationCache(cache_dir, auto_flush=False)
    runtime = lazy_runtime(cache)
    instance = runtime.instantiate(wasm)
    instance.exports["f3"]()
    instance.close()
    drain()
    (entry,) = cache._persistable()[1]
    entry.written_at -= autoflush.FLUSH_MAX_DELAY
    assert stored(cache_dir) == []
    assert cache.flush() == 1 and stored(cache_dir) == [3]
    runtime.close()
    cache.close()


def test_a_closed_cache_is_not_written_by_the_worker(wasm, cache_dir):
    cache = CompilationCache(cache_dir)
    runtime = lazy_runtime(cache)
    instance = runtime.instantiate(wasm)
    cache.close()  # the runtime still runs on the cache's artifact
    instance.exports["f1"]()
    instance.close()
    drain()
    assert cache._flush_due(released=True) == 0
    assert stored(cache_dir) == []
    runtime.close()


def test_a_memory_only_cache_starts_no_worker_and_registers_nothing(wasm):
    before = len(autoflush._caches)
    with CompilationCache() as cache, lazy_runtime(cache) as runtime:
        runtime.instantiate(wasm).exports["f0"]()
        assert len(autoflush._caches) == before
    with lazy_runtime(None) as runtime:  # a runtime-private cache
        runtime.instantiate(wasm).exports["f0"]()
        assert len(autoflush._caches) == before


@pytest.mark.skipif(not hasattr(os, "fork"), reason="no os.fork on this platform")
def test_a_forked_child_writes_back_with_a_worker_of_its_own(wasm, cache_dir, monkeypatch):
    monkeypatch.setattr(autoflush, "COALESCE_SECONDS", 3600.0)
    cache = CompilationCache(cache_dir)
    runtime = lazy_runtime(cache)
    first = runtime.instantiate(wasm)
    first.exports["f0"]()
    first.close()
    drain()  # the parent's worker runs
    assert stored(cache_dir) == [0]
    runtime.instantiate(wasm).close()  # a request now waits in the parent's queue, inside the window
    pid = os.fork()
    if pid == 0:  # the child: threads did not survive fork, so a new worker must start
        status = 1
        try:
            child = runtime.instantiate(wasm)
            ok = child.exports["f1"]() == 3 * 6
            child.close()
            if ok and autoflush.drain(DRAIN_BOUND) and stored(cache_dir) == [0, 1]:
                status = 0
        finally:
            os._exit(status)
    _, wait_status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(wait_status) == 0
    assert stored(cache_dir) == [0, 1]
    again = runtime.instantiate(wasm)  # the parent's worker still answers
    again.exports["f2"]()
    again.close()
    drain()
    assert stored(cache_dir) == [0, 2]  # last writer wins: the parent never had f1's code
    runtime.close()
    cache.close()


def test_a_burst_of_releases_is_one_background_check(wasm, cache_dir, monkeypatch):
    checks = []
    real = CompilationCache._flush_due

    def counted(self, released):
        if released:
            checks.append(self)
        return real(self, released)

    monkeypatch.setattr(CompilationCache, "_flush_due", counted)
    monkeypatch.setattr(autoflush, "COALESCE_SECONDS", 3600.0)  # the burst below is inside one window
    cache = CompilationCache(cache_dir)
    runtime = lazy_runtime(cache)
    first = runtime.instantiate(wasm)
    first.exports["f0"]()
    first.close()
    drain()
    assert len(checks) == 1 and stored(cache_dir) == [0]
    for i in range(1, FUNCTIONS):  # instantiate, call, close: a release each time
        instance = runtime.instantiate(wasm)
        instance.exports[f"f{i}"]()
        instance.close()
    drain()  # ends the window at once
    assert len(checks) == 2, "each release was checked on its own"
    assert stored(cache_dir) == list(range(FUNCTIONS))
    runtime.close()
    cache.close()


def test_an_entry_evicted_by_max_entries_is_written_back_first(wasm, cache_dir):
    other = wat2wasm('(module (func (export "g") (result i32) (i32.const 7)))')
    cache = CompilationCache(cache_dir, max_entries=1)
    runtime = lazy_runtime(cache)
    instance = runtime.instantiate(wasm)  # stays open: no release writes it back
    assert instance.exports["f3"]() == 5 * 8
    runtime.instantiate(other).close()  # a second entry evicts the first from memory
    assert cache.stats()["evictions"] == 1
    drain()
    store = DiskStore(cache_dir)
    (entry,) = [e for e in store.entries() if e.function_count == FUNCTIONS]
    loaded = store.load(entry.key)
    assert [i for i, present in enumerate(presence(loaded.payload.code_blobs)) if present] == [3]
    runtime.close()
    cache.close()


def test_a_write_back_never_replaces_an_entry_with_more_code(wasm, cache_dir):
    """Two caches on one directory act as two processes: the one with less code keeps its hands off."""
    mine, theirs = CompilationCache(cache_dir, auto_flush=False), CompilationCache(cache_dir, auto_flush=False)
    my_runtime, their_runtime = lazy_runtime(mine), lazy_runtime(theirs)
    my_instance = my_runtime.instantiate(wasm)  # compiles and writes the (empty) entry
    their_instance = their_runtime.instantiate(wasm)  # a disk hit on it
    for i in (1, 2, 3):
        their_instance.exports[f"f{i}"]()
    assert theirs.flush() == 1 and stored(cache_dir) == [1, 2, 3]
    my_instance.exports["f0"]()
    assert mine.flush() == 0 and stored(cache_dir) == [1, 2, 3]  # one function here, three there
    for i in (4, 5, 0):
        my_instance.exports[f"f{i}"]()
    assert mine.flush() == 1 and stored(cache_dir) == [0, 4, 5]  # now more here: last writer wins again
    for runtime, cache in ((my_runtime, mine), (their_runtime, theirs)):
        runtime.close()
        cache.close()
