"""Writing lazily compiled code back to disk without the embedder's help.

Enters: disk-backed :class:`~pywaz.cache.CompilationCache` objects (held
weakly, so a runtime and its cache can still be collected) and requests ("a
reference on one of this cache's entries was released"). Leaves: calls of the
cache's write-back, off the caller's path:

* **at interpreter exit** -- one ``atexit`` handler flushes every live cache,
  so a process that never calls ``close()`` still leaves a complete entry for
  the next one (``sys.exit``, an uncaught exception and a normal end all run
  it; ``os._exit``, ``SIGKILL`` and an unhandled ``SIGTERM`` do not);
* **when the last reference on an entry is released** -- an instance or
  compiled module closed, or garbage-collected unclosed: the entry is idle,
  so what it gained is written now;
* **while code keeps running** -- every :data:`POLL_SECONDS` the worker writes
  back entries that gained :data:`FLUSH_BATCH` functions, or any function at
  least :data:`FLUSH_MAX_DELAY` seconds after the entry was last written, so
  a long-lived process that is later killed loses little.

The work happens on one daemon thread, started when a cache first holds an
entry it can write back; requests are put on a :class:`queue.SimpleQueue`,
which is safe from a garbage-collection callback. Writes are the store's
usual temp file + ``os.replace``, so a process exiting or killed mid-write, or
several processes writing one entry at once, never leave a partial entry: the
last complete write wins. Nothing here runs for caches without a directory,
and a cache made with ``auto_flush=False`` is left alone.
"""

from __future__ import annotations

import atexit
import os
import queue
import sys
import threading
import time
import weakref
from typing import TYPE_CHECKING

from .errors import logger

if TYPE_CHECKING:
    from .compilation import CompilationCache

#: Seconds between the worker's checks of running caches for code to write back.
POLL_SECONDS = 5.0
#: A poll writes back an entry that gained at least this many compiled functions...
FLUSH_BATCH = 64
#: ...or any at all, once its last write is this many seconds old.
FLUSH_MAX_DELAY = 60.0
#: After handling releases, the worker gathers further ones this long before checking again,
#: so a loop that instantiates and closes a module costs one check per interval, not one per close.
COALESCE_SECONDS = 1.0

_STOP = object()

_caches: weakref.WeakSet[CompilationCache] = weakref.WeakSet()
_requests: queue.SimpleQueue = queue.SimpleQueue()
# Re-entrant: a garbage-collection callback may request a write-back (and start
# the worker) in a thread that is registering a cache under this lock.
_state_lock = threading.RLock()
_worker: threading.Thread | None = None
_exit_handler_installed = False
_exiting = False
_hurry = threading.Event()  # set by drain(): end a coalescing wait now
# Held by the worker while it writes; fork() waits for it so a child never
# inherits a lock held by a thread that does not exist there.
_activity = threading.Lock()


def is_due(new: int, idle: bool, released: bool, since_write: float) -> bool:
    """Whether an entry that gained ``new`` compiled functions should be written back now.

    ``idle``: no live reference holds it; ``released``: a reference was just
    released (else this is a periodic poll); ``since_write``: seconds since
    its last write (or load).
    """
    if new <= 0:
        return False
    if released and idle:
        return True
    return new >= FLUSH_BATCH or since_write >= FLUSH_MAX_DELAY


def register(cache: CompilationCache) -> None:
    """Flush ``cache`` at interpreter exit (weakly held) and let it :func:`request` write-backs."""
    global _exit_handler_installed
    with _state_lock:
        _caches.add(cache)
        if not _exit_handler_installed:
            # atexit runs handlers last-registered first. weakref.finalize's own
            # exit hook closes the files lazily read cache entries keep open, and
            # a flush still reads code from them, so make sure that hook is
            # registered (creating any finalizer does it) before ours.
            weakref.finalize(register, _nothing).atexit = False
            atexit.register(_flush_at_exit)
            _exit_handler_installed = True


def unregister(cache: CompilationCache) -> None:
    """Stop watching ``cache`` (it was closed)."""
    with _state_lock:
        _caches.discard(cache)


def watch() -> None:
    """Make sure the worker runs: some cache now holds an entry it can write back."""
    _ensure_worker()


def request(cache: CompilationCache) -> None:
    """Ask the worker to write back ``cache``'s idle entries that gained code.

    Never blocks and never raises, so it may be called from a garbage-collection
    callback. The queue holds ``cache`` until the worker has handled it.
    """
    if _exiting:
        return  # the exit handler flushes everything itself
    if cache._flush_requested:
        return  # one pending request per cache covers every release until the worker takes it
    cache._flush_requested = True
    _requests.put(cache)
    _ensure_worker()


def drain(timeout: float | None = None) -> bool:
    """Wait until every request made before this call has been handled; False on timeout."""
    if _worker is None or not _worker.is_alive():
        return True
    done = threading.Event()
    _requests.put(done)
    _hurry.set()
    return done.wait(timeout)


def _nothing() -> None:
    pass


def _ensure_worker() -> None:
    global _worker
    if _worker is not None or _exiting or sys.is_finalizing():
        return
    with _state_lock:
        if _worker is not None or _exiting:
            return
        thread = threading.Thread(target=_run, name="pywaz-cache-flush", daemon=True)
        try:
            thread.start()
        except RuntimeError:  # the interpreter is shutting down: the exit handler flushes
            return
        _worker = thread


def _run() -> None:
    last_release = float("-inf")  # when releases were last handled
    while True:
        watched = len(_caches) > 0
        try:
            item = _requests.get(timeout=POLL_SECONDS if watched else None)
        except queue.Empty:
            item = None
        wait = last_release + COALESCE_SECONDS - time.monotonic()
        if wait > 0 and item is not None and item is not _STOP and not isinstance(item, threading.Event):
            _hurry.wait(wait)  # sleep through the burst rather than wake once per release
        _hurry.clear()
        batch = [item]
        while True:  # handle everything queued at once: many releases, one check per cache
            try:
                batch.append(_requests.get_nowait())
            except queue.Empty:
                break
        if any(entry is _STOP for entry in batch):
            _signal(batch)
            return
        if _handle(batch, polled=item is None):
            last_release = time.monotonic()
        del batch, item  # hold no cache while waiting


def _handle(batch: list, polled: bool) -> bool:
    """Write back what ``batch`` asks for (and, on a poll, what every watched cache has due).

    Returns whether it handled any release.
    """
    released = {id(c): c for c in batch if c is not None and not isinstance(c, threading.Event)}
    for cache in released.values():
        cache._flush_requested = False  # releases from now on ask again
    with _activity:
        if polled:
            for cache in list(_caches):
                _flush_quietly(cache, released=released.pop(id(cache), None) is not None)
        for cache in released.values():
            _flush_quietly(cache, released=True)
    _signal(batch)
    return bool(released)


def _flush_quietly(cache: CompilationCache, released: bool) -> None:
    try:
        cache._flush_due(released=released)
    except Exception as exc:  # a write-back failing must never take the worker down
        logger.debug("background cache flush failed: %r", exc)


def _signal(batch) -> None:
    for entry in batch:
        if isinstance(entry, threading.Event):
            entry.set()


def _flush_at_exit() -> None:
    global _exiting
    _exiting = True
    _requests.put(_STOP)
    _hurry.set()
    for cache in list(_caches):
        try:
            cache.flush()
        except Exception as exc:  # the process is exiting: log, never raise
            logger.debug("cache flush at exit failed: %r", exc)


def _before_fork() -> None:
    _activity.acquire()


def _after_fork_in_parent() -> None:
    _activity.release()


def _after_fork_in_child() -> None:
    global _worker, _requests, _activity, _state_lock, _hurry
    _worker = None  # threads do not survive fork; the next request starts one
    _requests = queue.SimpleQueue()
    _activity = threading.Lock()
    _state_lock = threading.RLock()
    _hurry = threading.Event()
    for cache in list(_caches):
        cache._flush_requested = False  # the requests were in the parent's queue


if hasattr(os, "register_at_fork"):
    os.register_at_fork(
        before=_before_fork, after_in_parent=_after_fork_in_parent, after_in_child=_after_fork_in_child
    )
