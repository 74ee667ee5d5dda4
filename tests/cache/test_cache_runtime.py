"""The cache behind pywaz.Runtime: the wazero faults reproduced with the real Runtime.

Uses the interpreter engine (always available); which engine compiles does
not matter to the lifetime rules.
"""

import gc
import threading
import weakref

import pytest

import pywaz
from pywaz import ClosedError, CompilationCache
from pywaz.text import wat2wasm

WAT = """
(module
  (func (export "mul_add") (param i32 i32) (result i32)
    local.get 0 local.get 1 i32.mul i32.const 7 i32.add))
"""


@pytest.fixture(scope="module")
def data():
    return wat2wasm(WAT)


def call(instance, a=6, b=9):
    return instance.exports["mul_add"](a, b)


def test_two_runtimes_sharing_a_cache_compile_once(data):
    """wazero #2197: instantiate(data) then close, twice, with one cache -> one compilation."""
    cache = CompilationCache()
    runtimes = [pywaz.Runtime(cache=cache) for _ in range(2)]
    for runtime in runtimes:
        instance = runtime.instantiate(data)
        assert call(instance) == 61
        instance.close()
    assert cache.stats()["compilations"] == 1
    assert [r.stats()["compilations"] for r in runtimes] == [1, 0]
    assert runtimes[1].stats()["memory_hits"] == 1
    for runtime in runtimes:
        runtime.close()
    assert cache.stats()["entries"] == 1 and not cache.closed  # a user cache outlives runtimes


def test_same_runtime_instantiates_from_the_cache_after_close(data):
    cache = CompilationCache()
    with pywaz.Runtime(cache=cache) as runtime:
        for _ in range(3):
            with runtime.instantiate(data) as instance:
                assert call(instance, 2, 3) == 13
        assert runtime.stats()["compilations"] == 1


def test_two_compiled_handles_are_independent(data):
    """wazero #2336: closing one of two handles from the same bytes must not break the other."""
    for cache in (None, CompilationCache()):
        with pywaz.Runtime(cache=cache) as runtime:
            first = runtime.compile_module(data)
            second = runtime.compile_module(data)
            first.close()
            first.close()
            with pytest.raises(ClosedError):
                runtime.instantiate_module(first)
            assert call(runtime.instantiate_module(second)) == 61
            assert runtime.stats()["compilations"] == 1


def test_without_a_cache_closing_releases_the_compiled_code(data):
    runtime = pywaz.Runtime()
    instance = runtime.instantiate(data)
    artifact = weakref.ref(instance._owned.artifact)
    instance.close()
    del instance
    gc.collect()
    assert artifact() is None, "a runtime without a cache must not keep closed modules' code"
    compiled = runtime.compile_module(data)
    artifact = weakref.ref(compiled.artifact)
    compiled.close()
    del compiled
    gc.collect()
    assert artifact() is None
    assert runtime.stats()["compilations"] == 2  # nothing retained, so the second compile is real
    runtime.close()


def test_live_instances_survive_cache_eviction(data):
    cache = CompilationCache(max_entries=1)
    with pywaz.Runtime(cache=cache) as runtime:
        instance = runtime.instantiate(data)
        cache.clear()
        cache.close()
        assert call(instance, 1, 1) == 8


def test_concurrent_runtimes_compile_once(data):
    cache = CompilationCache()
    barrier = threading.Barrier(6)
    results = []

    def worker():
        runtime = pywaz.Runtime(cache=cache)
        barrier.wait()
        for _ in range(5):
            with runtime.instantiate(data) as instance:
                results.append(call(instance))
        runtime.close()

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [61] * 30
    assert cache.stats()["compilations"] == 1 and cache.stats()["references"] == 0


def test_compile_errors_still_surface_and_are_not_cached():
    cache = CompilationCache()
    with pywaz.Runtime(cache=cache) as runtime:
        for _ in range(2):
            with pytest.raises(pywaz.DecodeError):
                runtime.compile_module(b"\0asm\x01\0\0\0\x01")
    assert cache.stats()["entries"] == 0 and cache.stats()["compilations"] == 2


def test_runtime_rejects_a_non_cache():
    with pytest.raises(TypeError):
        pywaz.Runtime(cache="/tmp/somewhere")


class DiskCapableEngine:
    """The interpreter with serialize/deserialize, to exercise the Runtime's disk path.

    Its payload names the validated module by a token into an in-process
    registry, so it only round-trips within one process; what it tests is the
    Runtime <-> cache wiring, not the payload.
    """

    name = "disk-capable-interpreter"
    registry: list = []

    def __init__(self):
        from pywaz.interpreter.engine import InterpreterEngine

        self.inner = InterpreterEngine()
        self.compilations = 0

    def compile(self, validated, options):
        self.compilations += 1
        return self.inner.compile(validated, options)

    def bind(self, artifact, instance):
        self.inner.bind(artifact, instance)

    def serialize(self, artifact):
        from pywaz.cache import ArtifactPayload

        self.registry.append(artifact.validated)
        return ArtifactPayload({"token": len(self.registry) - 1}, ())

    def deserialize(self, payload):
        return self.inner.compile(self.registry[payload.metadata["token"]], None)


def test_runtime_writes_through_to_disk_and_a_fresh_cache_hits_it(data, tmp_path):
    directory = str(tmp_path / "cache")
    first_engine = DiskCapableEngine()
    with pywaz.Runtime(engine=first_engine, cache=CompilationCache(directory)) as runtime:
        assert call(runtime.instantiate(data)) == 61
        assert runtime._cache.stats()["disk_writes"] == 1
    second_engine = DiskCapableEngine()
    with pywaz.Runtime(engine=second_engine, cache=CompilationCache(directory)) as runtime:
        assert call(runtime.instantiate(data)) == 61
        assert runtime.stats() == {"compilations": 0, "memory_hits": 0, "disk_hits": 1}
    assert (first_engine.compilations, second_engine.compilations) == (1, 0)


def test_engine_artifact_without_a_module_is_a_miss_not_a_crash(data, tmp_path):
    directory = str(tmp_path / "cache")

    class NoModule(DiskCapableEngine):
        def deserialize(self, payload):
            artifact = super().deserialize(payload)
            artifact.validated = None
            return artifact

    with pywaz.Runtime(engine=DiskCapableEngine(), cache=CompilationCache(directory)) as runtime:
        runtime.instantiate(data).close()
    engine = NoModule()
    with pywaz.Runtime(engine=engine, cache=CompilationCache(directory)) as runtime:
        assert call(runtime.instantiate(data)) == 61
        assert engine.compilations == 1


def _count_digests(monkeypatch):
    """Count SHA-256 passes over module bytes, wherever they happen (a runtime's own, a shared cache's memo)."""
    from pywaz.cache import compilation as compilation_module
    from pywaz.vm import runtime as runtime_module

    calls = []
    real = runtime_module.module_digest

    def counting(data):
        calls.append(bytes(data[:0]))
        return real(data)

    monkeypatch.setattr(runtime_module, "module_digest", counting)
    monkeypatch.setattr(compilation_module, "module_digest", counting)
    return calls


def test_the_same_bytes_object_is_hashed_once_with_a_shared_cache(data, monkeypatch):
    calls = _count_digests(monkeypatch)
    data = bytes(data)
    with CompilationCache() as cache, pywaz.Runtime(engine="interpreter", cache=cache) as runtime:
        for _ in range(3):
            with runtime.instantiate(data) as instance:
                assert call(instance) == 61
        assert len(calls) == 1
        copy = bytes(bytearray(data))  # equal contents, another object: hashed again, still a hit
        with runtime.instantiate(copy) as instance:
            assert call(instance) == 61
        assert len(calls) == 2
        assert cache.stats()["compilations"] == 1


def test_runtimes_sharing_a_cache_share_its_digest_memo(data, monkeypatch):
    """Issue 17: a second runtime on the same cache does not hash the same bytes object again."""
    calls = _count_digests(monkeypatch)
    data = bytes(data)
    with CompilationCache() as cache:
        with pywaz.Runtime(engine="interpreter", cache=cache) as first, first.instantiate(data) as instance:
            assert call(instance) == 61
        assert len(calls) == 1
        for _ in range(3):  # new runtimes, after the first one closed: still no hashing
            with pywaz.Runtime(engine="interpreter", cache=cache) as runtime, runtime.instantiate(data) as instance:
                assert call(instance) == 61
        assert len(calls) == 1
        assert cache.stats()["compilations"] == 1 and cache.stats()["hits"] == 3
    # A closed cache forgets: nothing it remembered is kept alive any more.
    assert cache._digests == {}


def test_the_digest_memo_is_bounded_and_forgets_the_oldest(monkeypatch):
    import gc
    import hashlib

    from pywaz.cache import compilation as compilation_module

    calls = _count_digests(monkeypatch)
    cache = CompilationCache()

    class Probe(bytes):  # bytes subclasses are hashed every time (only exact bytes are remembered)
        pass

    assert cache.digest_of(Probe(b"abc")) == hashlib.sha256(b"abc").digest()
    assert cache.digest_of(Probe(b"abc")) == hashlib.sha256(b"abc").digest()
    assert cache._digests == {} and len(calls) == 2
    calls.clear()
    blobs = [bytes([i]) * 1000 for i in range(compilation_module.DIGEST_MEMO_SIZE + 3)]
    for blob in blobs:
        assert cache.digest_of(blob) == hashlib.sha256(blob).digest()
    assert len(calls) == len(blobs) and len(cache._digests) == compilation_module.DIGEST_MEMO_SIZE
    newest = blobs[-compilation_module.DIGEST_MEMO_SIZE:]
    for blob in newest:  # remembered: no hashing
        assert cache.digest_of(blob) == hashlib.sha256(blob).digest()
    assert len(calls) == len(blobs)
    cache.digest_of(blobs[0])  # forgotten, so hashed again; it evicts the least recently used
    assert len(calls) == len(blobs) + 1
    assert id(newest[0]) not in cache._digests
    # The memo holds what it remembers alive, and lets go of what it forgot or cleared.
    remembered = bytes(range(256)) * 4
    identity = id(remembered)
    cache.digest_of(remembered)
    del remembered
    gc.collect()
    assert cache._digests[identity][0] == bytes(range(256)) * 4
    cache.clear()
    assert cache._digests == {}
    cache.close()


def test_the_digest_memo_is_thread_safe():
    import hashlib
    import threading

    cache = CompilationCache()
    blobs = [bytes([i % 251]) * (10_000 + i) for i in range(40)]
    expected = [hashlib.sha256(b).digest() for b in blobs]
    failures = []

    def worker(seed):
        for round_ in range(200):
            index = (seed * 7 + round_ * 13) % len(blobs)
            if cache.digest_of(blobs[index]) != expected[index]:
                failures.append(index)

    threads = [threading.Thread(target=worker, args=(seed,)) for seed in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert len(cache._digests) <= 8
    cache.close()


def test_mutable_module_bytes_are_hashed_every_time(data, monkeypatch):
    """A bytearray can change between two compiles: the second must see the new module."""
    calls = _count_digests(monkeypatch)
    other = wat2wasm(WAT.replace("i32.const 7", "i32.const 8"))
    assert len(other) == len(data)
    buffer = bytearray(data)
    with CompilationCache() as cache, pywaz.Runtime(engine="interpreter", cache=cache) as runtime:
        with runtime.instantiate(buffer) as instance:
            assert call(instance) == 61
        buffer[:] = other
        with runtime.instantiate(buffer) as instance:
            assert call(instance) == 62
    assert len(calls) == 2


def test_without_a_cache_the_runtime_keeps_no_module_bytes(monkeypatch):
    """The digest memo holds bytes objects alive, so it is off when nothing outlives the runtime's handles."""
    import sys

    calls = _count_digests(monkeypatch)
    data = bytes(wat2wasm(WAT))
    references = sys.getrefcount(data)
    with pywaz.Runtime(engine="interpreter") as runtime:
        for _ in range(2):
            with runtime.instantiate(data) as instance:
                assert call(instance) == 61
        assert len(calls) == 2
        assert sys.getrefcount(data) == references
