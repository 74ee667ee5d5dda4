"""``CompilationCache``: the in-memory layer, single-flight, and the disk store below it.

Enters: a cache key, a ``compile_fn`` and the engine's ``serialize`` /
``deserialize`` (see :mod:`pywaz.cache.payload`). Leaves: an artifact (or a
:class:`CodeRef` on it). Lookup order: memory, then disk, then compile; a
compilation writes through to disk. Concurrent callers for one key wait on a
single in-flight load or compilation.

Residency policies:

* ``"retain"`` (every user-created cache): entries stay resident until
  ``close()``/``clear()`` or the ``max_entries`` bound evicts them (least
  recently used first). Releasing a reference never evicts.
* ``"referenced"`` (a runtime's private cache, :func:`private_cache`): an entry
  is resident only while some :class:`CodeRef` holds it; the last release
  frees it, so a runtime without a cache does not grow.
"""

from __future__ import annotations

import collections
import os
import threading
import time
from collections.abc import Callable
from typing import Any

from ..errors import ClosedError
from . import autoflush
from .errors import CacheError, logger
from .key import module_digest
from .lifetimes import CacheEntry, CodeRef
from .payload import ArtifactPayload
from .store import DiskStore

RESIDENCY_RETAIN = "retain"
RESIDENCY_REFERENCED = "referenced"
#: How many ``bytes`` objects a cache remembers the digest of (see :meth:`CompilationCache.digest_of`).
DIGEST_MEMO_SIZE = 8


class _Flight:
    """One in-progress load-or-compile that other callers of the same key wait on."""

    __slots__ = ("done", "entry", "error", "owner", "waiters")

    def __init__(self, owner: int):
        self.done = threading.Event()
        self.entry: CacheEntry | None = None
        self.error: BaseException | None = None
        self.owner = owner
        self.waiters = 0


class CompilationCache:
    """A compilation cache shared by any number of runtimes in this process (thread-safe).

    ``CompilationCache()`` lives in memory. ``CompilationCache(directory=PATH,
    max_bytes=N)`` adds a persistent store below memory, shared across
    processes and bounded to ``N`` bytes by least-recently-used pruning after
    each write. ``PATH`` is a ``str`` or :class:`os.PathLike`; a leading ``~``
    is expanded to the home directory, as the command line does. ``max_entries`` bounds the memory layer. ``keep_sources``
    stores the generated source of each function in disk entries too.

    With a directory, code compiled lazily after an entry was written reaches
    disk without ``close()``: at interpreter exit, when the last reference on
    an entry is released (closed or garbage-collected), and periodically while
    code keeps compiling (see :mod:`pywaz.cache.autoflush`).
    ``auto_flush=False`` leaves that to :meth:`flush`/:meth:`close` alone.

    The directory is a trust boundary: entries contain code objects that
    pywaz unmarshals and runs, so use a directory only you can write.

    Raises (constructor):
        CacheError: unsafe or unusable directory, or invalid bounds.
    """

    def __init__(
        self,
        directory: str | os.PathLike[str] | None = None,
        max_bytes: int | None = None,
        *,
        max_entries: int | None = None,
        keep_sources: bool = False,
        residency: str = RESIDENCY_RETAIN,
        auto_flush: bool = True,
    ):
        if residency not in (RESIDENCY_RETAIN, RESIDENCY_REFERENCED):
            raise CacheError(f"residency must be {RESIDENCY_RETAIN!r} or {RESIDENCY_REFERENCED!r}, got {residency!r}")
        if max_entries is not None and (not isinstance(max_entries, int) or max_entries < 0):
            raise CacheError(f"max_entries must be a non-negative int or None, got {max_entries!r}")
        if directory is None and max_bytes is not None:
            raise CacheError("max_bytes bounds the disk store; give a directory (or use max_entries for memory)")
        self._store = DiskStore(directory, max_bytes, keep_sources) if directory is not None else None
        self._residency = residency
        self._max_entries = max_entries
        self._lock = threading.Lock()
        self._entries: collections.OrderedDict[str, CacheEntry] = collections.OrderedDict()
        self._flights: dict[str, _Flight] = {}
        self._pending_releases: collections.deque[CacheEntry] = collections.deque()
        self._closed = False
        self._counts = dict.fromkeys(
            (
                "compilations",
                "hits",
                "misses",
                "shared",
                "disk_hits",
                "disk_misses",
                "disk_writes",
                "evictions",
                "freed",
            ),
            0,
        )
        self._references = 0
        self._flush_lock = threading.Lock()  # one write-back at a time: explicit, background or at exit
        self._flush_requested = False  # a background write-back is queued (see autoflush.request)
        # Entries the max_entries bound evicted before their lazily compiled code was written back.
        self._evicted_unsaved: list[CacheEntry] = []
        # id(bytes) -> (that bytes object, its module digest), least recently used first: see digest_of.
        self._digests: collections.OrderedDict[int, tuple[bytes, bytes]] = collections.OrderedDict()
        self._digests_lock = threading.Lock()
        self._auto_flush = bool(auto_flush) and self._store is not None
        if self._auto_flush:
            autoflush.register(self)

    # -- introspection -----------------------------------------------------

    @property
    def directory(self) -> str | None:
        """The disk store's root, or None for a memory-only cache."""
        return self._store.root if self._store is not None else None

    @property
    def store(self) -> DiskStore | None:
        """The disk store (for ``entries()``/``verify()``), or None."""
        return self._store

    @property
    def residency(self) -> str:
        """``"retain"`` (a user cache) or ``"referenced"`` (a runtime-private cache)."""
        return self._residency

    @property
    def closed(self) -> bool:
        return self._closed

    def stats(self) -> dict[str, int]:
        """Counters and sizes.

        ``compilations``: calls of a ``compile_fn``; ``hits``: served from memory
        (``shared`` of them by waiting on another caller's in-flight work);
        ``misses``: memory misses; ``disk_hits``/``disk_misses``/``disk_writes``:
        the store; ``invalid_entries``: bad disk entries discarded;
        ``evictions``: entries removed by a size bound; ``freed``: private
        entries freed on their last release; ``entries``: artifacts resident in
        memory; ``references``: live :class:`CodeRef`s; ``in_flight``:
        compilations under way, ``waiting`` callers blocked on them; ``bytes``/``disk_entries``: what the disk store
        holds for this interpreter and pywaz version (0 without a directory;
        this scans the store directory).
        """
        disk_entries, disk_bytes = self._store.usage() if self._store is not None else (0, 0)
        with self._lock:
            self._drain_releases()
            result = dict(self._counts)
            result["entries"] = len(self._entries)
            result["references"] = self._references
            result["in_flight"] = len(self._flights)
            result["waiting"] = sum(flight.waiters for flight in self._flights.values())
        result["invalid_entries"] = self._store.invalid_count if self._store is not None else 0
        result["bytes"] = disk_bytes
        result["disk_entries"] = disk_entries
        return result

    def __contains__(self, key: str) -> bool:
        """Whether ``key`` is resident in memory (the disk store is not consulted)."""
        with self._lock:
            return key in self._entries

    # -- lookup ------------------------------------------------------------

    def digest_of(self, data) -> bytes:
        """``module_digest(data)``, remembered for the last :data:`DIGEST_MEMO_SIZE` ``bytes`` objects.

        Every runtime sharing this cache asks here, so re-instantiating the
        very same bytes object through any of them is a pure memory hit: no
        SHA-256 over a 14 MB module. The memo is keyed by the object's
        identity and holds the object itself, so its id cannot be reused while
        it is remembered (immutable ``bytes`` only; a bytearray or memoryview
        can change, so it is hashed every time). A runtime-private cache
        (``"referenced"`` residency) remembers nothing: it must let a module's
        bytes go when its users close. ``clear()`` and ``close()`` forget all.
        """
        if type(data) is not bytes or self._residency != RESIDENCY_RETAIN:
            return module_digest(data)
        key = id(data)
        with self._digests_lock:
            found = self._digests.get(key)
            if found is not None and found[0] is data:
                self._digests.move_to_end(key)
                return found[1]
        digest = module_digest(data)  # outside the lock: other runtimes' hits need not wait for it
        with self._digests_lock:
            self._digests[key] = (data, digest)
            self._digests.move_to_end(key)
            while len(self._digests) > DIGEST_MEMO_SIZE:
                self._digests.popitem(last=False)
        return digest

    def get_or_compile(
        self,
        key: str,
        compile_fn: Callable[[], Any],
        serialize: Callable[[Any], ArtifactPayload] | None = None,
        deserialize: Callable[[ArtifactPayload], Any] | None = None,
        *,
        engine: str = "",
        module_sha256: bytes = b"",
    ):
        """The artifact for ``key``: from memory, else disk, else ``compile_fn()``.

        Without ``serialize``/``deserialize`` the disk store is skipped for this
        key. ``engine`` and ``module_sha256`` are recorded in the disk entry for
        ``entries()``. Concurrent callers for one key share one compilation;
        if it raises, every waiting caller gets that exception and nothing is
        cached.

        Raises:
            ClosedError: the cache is closed.
            CacheError: ``compile_fn`` asked this cache for its own key.
            Whatever ``compile_fn`` raises (decode, validation errors...).
        """
        entry, _ = self._obtain(key, compile_fn, serialize, deserialize, engine, module_sha256, take_ref=False)
        return entry.artifact

    def acquire(
        self,
        key: str,
        compile_fn: Callable[[], Any],
        serialize: Callable[[Any], ArtifactPayload] | None = None,
        deserialize: Callable[[ArtifactPayload], Any] | None = None,
        *,
        engine: str = "",
        module_sha256: bytes = b"",
    ) -> CodeRef:
        """Like :meth:`get_or_compile`, but return a :class:`CodeRef` the caller must release once.

        Raises:
            Same as :meth:`get_or_compile`.
        """
        entry, origin = self._obtain(key, compile_fn, serialize, deserialize, engine, module_sha256, take_ref=True)
        return CodeRef(self, entry, origin)

    def _obtain(self, key, compile_fn, serialize, deserialize, engine, module_sha256, take_ref: bool):
        if not isinstance(key, str):
            raise CacheError(f"cache key must be a str, got {type(key).__name__}")
        if self._store is not None:
            self._store.path_for(key)  # a malformed key fails here, before any compilation
        while True:
            found = self._try_obtain(key, compile_fn, serialize, deserialize, engine, module_sha256, take_ref)
            if found is not None:
                return found
            # The compilation we waited on was interrupted (KeyboardInterrupt,
            # SystemExit in its thread): nothing wrong with the module, so retry.

    def _try_obtain(self, key, compile_fn, serialize, deserialize, engine, module_sha256, take_ref: bool):
        with self._lock:
            self._drain_releases()
            if self._closed:
                raise ClosedError("compilation cache is closed")
            entry = self._entries.get(key)
            if entry is not None:
                self._entries.move_to_end(key)
                self._counts["hits"] += 1
                if take_ref:
                    self._add_ref(entry)
                return entry, "memory"
            flight = self._flights.get(key)
            leader = flight is None
            if leader:
                flight = self._flights[key] = _Flight(threading.get_ident())
                self._counts["misses"] += 1
            else:
                flight.waiters += 1

        if not leader:
            if flight.owner == threading.get_ident():
                raise CacheError(f"compilation of {key[:12]}... asked the cache for its own key")
            flight.done.wait()
            if flight.error is not None:
                if not isinstance(flight.error, Exception):
                    return None
                raise flight.error
            entry = flight.entry
            with self._lock:
                self._counts["hits"] += 1
                self._counts["shared"] += 1
                if take_ref:
                    self._add_ref(entry)
                    # Under "referenced" residency the leader may already have
                    # released and freed it; our reference makes it resident again.
                    if not self._closed and key not in self._entries:
                        self._insert(entry)
                self._drain_releases()
            return entry, "shared"

        owner: list[CacheEntry] = []  # the entry, once made: a blob found damaged later marks it unwritten
        try:
            artifact, origin, size, stored = self._load_or_compile(
                key, compile_fn, serialize, deserialize, engine, module_sha256, owner
            )
        except BaseException as exc:
            with self._lock:
                del self._flights[key]
                flight.error = exc
                flight.done.set()
            raise
        entry = CacheEntry(key, artifact, size)
        owner.append(entry)
        if self._store is not None and serialize is not None:
            entry.persist = (serialize, engine, bytes(module_sha256))
            entry.stored_functions = stored
            entry.written_at = time.monotonic()
            if self._auto_flush:
                autoflush.watch()
        with self._lock:
            del self._flights[key]
            if take_ref:
                self._add_ref(entry)
            if not self._closed and (take_ref or self._residency == RESIDENCY_RETAIN):
                self._insert(entry)
            flight.entry = entry
            flight.done.set()
            self._drain_releases()
        return entry, origin

    def _load_or_compile(self, key, compile_fn, serialize, deserialize, engine, module_sha256, owner):
        store = self._store
        if store is not None and deserialize is not None:
            try:
                loaded = store.load(key, lambda: self._disk_entry_lost(owner))
            except Exception as exc:  # the store already turns every known fault into None
                logger.debug("cache miss: loading %s failed unexpectedly: %r", key, exc)
                loaded = None
            if loaded is not None:
                try:
                    artifact = deserialize(loaded.payload)
                except Exception as exc:  # an engine rejecting a payload is a miss, never the user's problem
                    store.discard(key, f"engine could not deserialize it: {exc!r}")
                else:
                    self._count("disk_hits")
                    return artifact, "disk", loaded.size, loaded.payload.compiled_count()
            self._count("disk_misses")
        self._count("compilations")
        artifact = compile_fn()
        size, stored = None, -1
        if store is not None and serialize is not None:
            size, stored = self._write(key, artifact, serialize, engine, module_sha256)
        return artifact, "compiled", size, stored

    def _write(self, key, artifact, serialize, engine, module_sha256) -> tuple[int | None, int]:
        """Serialise and store ``artifact``; ``(size, compiled functions)`` or ``(None, -1)``."""
        try:
            payload = serialize(artifact)
            if not isinstance(payload, ArtifactPayload):
                raise TypeError(f"serialize returned {type(payload).__name__}, not ArtifactPayload")
        except Exception as exc:
            logger.warning("not caching %s on disk: serialize failed: %r", key, exc)
            return None, -1
        size = self._store.store(key, engine, bytes(module_sha256), payload)
        if size is None:
            return None, -1
        self._count("disk_writes")
        return size, payload.compiled_count()

    def flush(self) -> int:
        """Write back resident artifacts that gained compiled functions since they were stored.

        With lazy compilation an entry written at compile time holds little
        code; flushing (``close()`` does it too) stores what has been compiled
        since, so the next process starts with it. Returns entries rewritten.
        Failures are logged, never raised.
        """
        if self._store is None:
            return 0
        with self._flush_lock:
            evicted, resident = self._persistable()
            rewritten = 0
            for entry in evicted + resident:
                known = _cheap_compiled_count(entry.artifact)
                if known is not None and known <= entry.stored_functions:
                    continue  # nothing new: skip serialising (costly for a big module)
                rewritten += self._write_back(entry)
            return rewritten

    def _flush_due(self, released: bool) -> int:
        """Write back the entries :func:`autoflush.is_due` selects (the background worker's call).

        ``released``: a reference on one of this cache's entries was released
        since the last call (else this is a periodic poll). Returns entries rewritten.
        """
        if self._store is None or self._closed:
            return 0
        with self._flush_lock:
            evicted, resident = self._persistable()
            rewritten = sum(self._write_back(entry) for entry in evicted)  # last chance: no longer tracked
            for entry in resident:
                known = _cheap_compiled_count(entry.artifact)
                idle = entry.refs == 0
                if known is None:  # only serialising tells: do it when an idle entry was just released
                    new = 1 if released and idle else 0
                else:
                    new = known - entry.stored_functions
                if autoflush.is_due(new, idle, released, time.monotonic() - entry.written_at):
                    rewritten += self._write_back(entry)
            return rewritten

    def _disk_entry_lost(self, owner: list[CacheEntry]) -> None:
        """The store deleted the entry a resident artifact was loaded from: write it back (never blocks)."""
        for entry in owner:
            entry.stored_functions = -1  # nothing on disk: the next write-back stores everything again
        if owner and self._auto_flush and not self._closed:
            autoflush.request(self)

    def _persistable(self) -> tuple[list[CacheEntry], list[CacheEntry]]:
        """Evicted entries still owed a write-back (taken from the list), and resident ones that can be written."""
        with self._lock:
            self._drain_releases()
            evicted, self._evicted_unsaved = self._evicted_unsaved, []
            return evicted, [e for e in self._entries.values() if e.persist is not None]

    def _write_back(self, entry: CacheEntry) -> int:
        """Store ``entry`` again if it has more compiled functions than its disk entry; 1 if written."""
        serialize, engine, module_sha256 = entry.persist
        entry.written_at = time.monotonic()  # an attempt: a failing write is retried by age, not every poll
        try:
            payload = serialize(entry.artifact)
        except Exception as exc:
            logger.warning("not writing back %s: serialize failed: %r", entry.key, exc)
            return 0
        if not isinstance(payload, ArtifactPayload):
            return 0
        compiled = payload.compiled_count()
        if compiled <= entry.stored_functions:
            return 0
        on_disk = self._store.compiled_on_disk(entry.key)
        if on_disk is not None and on_disk > compiled:
            # Another process stored more code since this one loaded or wrote the entry: keep theirs
            # (functions only this process compiled are compiled again by whoever needs them).
            logger.debug("not writing back %s: the stored entry has %d compiled functions, this one %d",
                         entry.key, on_disk, compiled)
            entry.stored_functions = compiled
            return 0
        size = self._store.store(entry.key, engine, module_sha256, payload)
        if size is None:
            return 0
        self._count("disk_writes")
        entry.size, entry.stored_functions = size, compiled
        return 1

    # -- references (called by CodeRef) ---------------------------------------

    def _add_ref(self, entry: CacheEntry) -> None:
        entry.refs += 1
        self._references += 1

    def _release(self, entry: CacheEntry) -> None:
        with self._lock:
            self._drop_ref(entry)
            self._drain_releases()
            idle = entry.refs == 0 and not self._closed
        if idle and entry.persist is not None and self._auto_flush:
            autoflush.request(self)  # written back off this thread (the caller is closing something)

    def _release_from_gc(self, entry: CacheEntry) -> None:
        # A garbage-collected CodeRef may be finalized while this very thread
        # holds the lock (gc runs at arbitrary allocations), so never block here:
        # queue the release for whoever holds the lock next.
        self._pending_releases.append(entry)
        if self._lock.acquire(blocking=False):
            try:
                self._drain_releases()
            finally:
                self._lock.release()
        if entry.persist is not None and self._auto_flush and not self._closed:
            autoflush.request(self)  # non-blocking; the worker drains the release first

    def _drain_releases(self) -> None:
        pending = self._pending_releases
        while pending:
            try:
                entry = pending.popleft()
            except IndexError:
                break
            self._drop_ref(entry)

    def _drop_ref(self, entry: CacheEntry) -> None:
        entry.refs -= 1
        self._references -= 1
        if entry.refs == 0 and self._residency == RESIDENCY_REFERENCED and self._entries.get(entry.key) is entry:
            del self._entries[entry.key]
            self._counts["freed"] += 1

    def _insert(self, entry: CacheEntry) -> None:
        self._entries[entry.key] = entry
        self._entries.move_to_end(entry.key)
        if self._max_entries is not None:
            while len(self._entries) > self._max_entries:
                _, evicted = self._entries.popitem(last=False)
                self._counts["evictions"] += 1
                if evicted.persist is not None and _cheap_compiled_count(evicted.artifact) != evicted.stored_functions:
                    self._evicted_unsaved.append(evicted)  # written back by the next flush
                    if self._auto_flush:
                        autoflush.request(self)

    def _count(self, name: str) -> None:
        with self._lock:
            self._counts[name] += 1

    # -- maintenance -------------------------------------------------------------

    def prune(self, max_bytes: int) -> int:
        """Shrink the disk store to ``max_bytes`` (least recently used first); return entries removed.

        Memory-resident artifacts are unaffected. Without a directory this does nothing.

        Raises:
            CacheError: ``max_bytes`` is not a non-negative int.
        """
        if self._store is None:
            if not isinstance(max_bytes, int) or max_bytes < 0:
                raise CacheError(f"max_bytes must be a non-negative int, got {max_bytes!r}")
            return 0
        removed = self._store.prune(max_bytes)
        with self._lock:
            self._counts["evictions"] += removed
        return removed

    def clear(self) -> None:
        """Drop every resident artifact and every disk entry. Live references keep working."""
        with self._lock:
            self._entries.clear()
            self._evicted_unsaved.clear()
            self._drain_releases()
        with self._digests_lock:
            self._digests.clear()
        if self._store is not None:
            self._store.clear()

    def entries(self):
        """The disk store's entries (see :meth:`DiskStore.entries`); empty without a directory."""
        return self._store.entries() if self._store is not None else []

    def verify(self, remove_invalid: bool = True):
        """Validate every disk entry (see :meth:`DiskStore.verify`); None without a directory."""
        return self._store.verify(remove_invalid) if self._store is not None else None

    def close(self) -> None:
        """Write back lazily compiled code (:meth:`flush`), drop the memory layer, refuse further lookups.

        Idempotent. Disk entries stay; live :class:`CodeRef`s and instances keep their code.
        """
        if not self._closed:
            self.flush()
        with self._lock:
            self._closed = True
            self._entries.clear()
            self._drain_releases()
        with self._digests_lock:
            self._digests.clear()
        if self._auto_flush:
            autoflush.unregister(self)

    def __enter__(self) -> CompilationCache:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def __repr__(self) -> str:
        where = f"directory={self.directory!r}" if self._store is not None else "memory"
        state = " closed" if self._closed else ""
        return f"<CompilationCache {where} residency={self._residency}{state}>"


def _cheap_compiled_count(artifact) -> int | None:
    """The artifact's own count of compiled functions, if it keeps one (``compiled_count()``).

    A Runtime caches ``(validated, artifact)`` pairs, so the last item of a tuple is asked too.
    """
    if isinstance(artifact, tuple) and artifact:
        artifact = artifact[-1]
    count = getattr(artifact, "compiled_count", None)
    if not callable(count):
        return None
    try:
        return int(count())
    except Exception:
        return None


def private_cache() -> CompilationCache:
    """A memory-only cache whose entries live only while referenced (a runtime without a user cache)."""
    return CompilationCache(residency=RESIDENCY_REFERENCED)
