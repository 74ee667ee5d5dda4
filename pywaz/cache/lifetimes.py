"""References to cached artifacts: who keeps code alive, and for how long.

The cache owns residency; handles own references (DESIGN.md, "Lifetimes").
A :class:`CodeRef` is one reference to one cache entry, taken by
``CompilationCache.acquire`` and given back exactly once by
:meth:`CodeRef.release` (idempotent, thread-safe). Releasing only drops a
reference: whether the entry stays resident is the cache's policy, never the
handle's. A ``CodeRef`` that is garbage-collected unreleased releases itself,
so a forgotten handle cannot pin a runtime-private entry forever.

The artifact itself is kept alive by ordinary Python references: whatever the
cache evicts, an instance bound to an artifact keeps running.
"""

from __future__ import annotations

import weakref

from ..errors import ClosedError

_RELEASED = object()


class CacheEntry:
    """One resident (or formerly resident) artifact and its live reference count."""

    __slots__ = ("key", "artifact", "refs", "size", "persist", "stored_functions", "written_at", "__weakref__")

    def __init__(self, key: str, artifact, size: int | None):
        self.key = key
        self.artifact = artifact
        self.refs = 0
        self.size = size  # bytes of the disk entry, when it came from or went to disk
        # (serialize, engine, module_sha256) when the artifact can be written back to disk.
        self.persist = None
        # Compiled functions in the disk entry (-1: none written), so flush() rewrites
        # an entry only when lazy compilation has added code since.
        self.stored_functions = -1
        # time.monotonic() of the last write (or load) of its disk entry: write-back by age.
        self.written_at = 0.0


class CodeRef:
    """One reference to a cached artifact. Release it once, in the owner's ``close()``.

    ``key`` is the cache key; ``origin`` says how the artifact was obtained:
    ``"memory"`` (resident), ``"shared"`` (waited on another thread's
    compilation), ``"disk"`` (loaded from the store) or ``"compiled"``.
    Two ``CodeRef``s on one entry are independent: releasing one never
    affects the other.
    """

    __slots__ = ("key", "origin", "_artifact", "_cache", "_finalizer", "__weakref__")

    def __init__(self, cache, entry: CacheEntry, origin: str):
        self.key = entry.key
        self.origin = origin
        self._artifact = entry.artifact
        self._cache = cache
        # The finalizer holds the cache and entry, not this handle, so a handle
        # dropped without release() still gives its reference back.
        self._finalizer = weakref.finalize(self, cache._release_from_gc, entry)
        self._finalizer.atexit = False

    @property
    def artifact(self):
        """The engine artifact.

        Raises:
            ClosedError: this reference was released.
        """
        artifact = self._artifact
        if artifact is _RELEASED:
            raise ClosedError(f"compiled code reference {self.key[:12]}... was released")
        return artifact

    @property
    def released(self) -> bool:
        """Whether :meth:`release` has run."""
        return self._artifact is _RELEASED

    def release(self) -> None:
        """Give the reference back to the cache. Idempotent and thread-safe."""
        self._artifact = _RELEASED
        detached = self._finalizer.detach()  # succeeds for exactly one caller
        if detached is not None:
            _, _, (entry,), _ = detached
            self._cache._release(entry)

    def __enter__(self) -> CodeRef:
        return self

    def __exit__(self, *exc_info) -> None:
        self.release()

    def __repr__(self) -> str:
        state = "released" if self.released else self.origin
        return f"<CodeRef {self.key[:12]}... {state}>"
