"""A fake engine for the cache tests: real code objects, no compiler needed.

A "module" is any bytes; "compiling" it makes one expression code object per
function whose constants derive from the bytes, so different modules behave
differently and a wrong artifact gives wrong answers. ``FakeArtifact.call``
evaluates function i on x. Also used by the multi-process tests, which put
this directory on sys.path.
"""

from __future__ import annotations

import hashlib
import marshal
import threading
import time

from pywaz.api import CompileOptions
from pywaz.cache import ArtifactPayload, compute_key, module_digest


class FakeArtifact:
    def __init__(self, metadata: dict, codes, sources=None):
        self.metadata = metadata
        self.codes = codes
        self.sources = sources

    def call(self, index: int, x: int) -> int:
        return eval(self.codes[index], {"x": x})


def function_sources(data: bytes) -> list[str]:
    digest = hashlib.sha256(data).digest()
    count = 2 + digest[0] % 4
    return [f"(x * {digest[i + 1] + 2} + {digest[i + 10]}) & 0xFFFFFFFF" for i in range(count)]


class FakeEngine:
    """Counts its compilations (thread-safe); ``delay`` makes compiles slow enough to overlap."""

    name = "fake"

    def __init__(self, delay: float = 0.0):
        self.delay = delay
        self.compilations = 0
        self._lock = threading.Lock()

    def compile(self, data: bytes) -> FakeArtifact:
        with self._lock:
            self.compilations += 1
        if self.delay:
            time.sleep(self.delay)
        sources = function_sources(data)
        codes = [compile(src, f"<fake function {i}>", "eval") for i, src in enumerate(sources)]
        return FakeArtifact({"functions": len(codes), "module_size": len(data)}, codes, sources)

    @staticmethod
    def serialize(artifact: FakeArtifact) -> ArtifactPayload:
        codes = artifact.codes
        if hasattr(codes, "blob"):  # a LazyCodeList from a disk hit: reuse its blobs, no unmarshal
            blobs = tuple(codes.blob(i) for i in range(len(codes)))
        else:
            blobs = tuple(None if code is None else marshal.dumps(code) for code in codes)
        return ArtifactPayload(dict(artifact.metadata), blobs, tuple(artifact.sources or ()) or None)

    @staticmethod
    def deserialize(payload: ArtifactPayload) -> FakeArtifact:
        if payload.metadata.get("functions") != len(payload.code_blobs):
            raise ValueError("function count mismatch")
        return FakeArtifact(dict(payload.metadata), payload.code_list(), payload.sources)


def expected_results(data: bytes, x: int = 12345) -> list[int]:
    """What a correct artifact for ``data`` returns, computed without any cache."""
    return [eval(src, {"x": x}) for src in function_sources(data)]


def results(artifact: FakeArtifact, x: int = 12345) -> list[int]:
    return [artifact.call(i, x) for i in range(len(artifact.codes))]


def key_for(data: bytes, engine: str = "fake", features=None, options: CompileOptions | None = None) -> str:
    return compute_key(module_digest(data), engine, features, options or CompileOptions())


def lookup(cache, engine: FakeEngine, data: bytes):
    """get_or_compile ``data`` the way a runtime would."""
    return cache.get_or_compile(
        key_for(data),
        lambda: engine.compile(data),
        engine.serialize,
        engine.deserialize,
        engine=engine.name,
        module_sha256=module_digest(data),
    )


def acquire(cache, engine: FakeEngine, data: bytes):
    return cache.acquire(
        key_for(data),
        lambda: engine.compile(data),
        engine.serialize,
        engine.deserialize,
        engine=engine.name,
        module_sha256=module_digest(data),
    )
