"""The code blobs of a disk entry, read and checked one at a time when first needed.

A disk hit decodes an entry's header and metadata (a few MB for a 14 MB
module) and hands the engine a :class:`StoredCode`: a sequence whose item
``i`` is function ``i``'s marshal blob, read from the file and checked against
its SHA-256 only when asked for. Functions that never run cost nothing.

The descriptor is the one :meth:`DiskStore.load` opened through
:func:`pywaz.cache.files.open_regular` (a regular file, opened without
blocking or following a symlink), so a lazy read can never wait on a FIFO.
The file stays open as long as the StoredCode lives, one descriptor per
resident entry, up to :data:`MAX_OPEN_REGIONS` entries whose code region is
larger than :data:`SMALL_REGION_BYTES` and as many smaller ones (two budgets,
so many small modules never take the descriptors a large one needs). Past
them, an entry keeps no descriptor: its whole region is read, through a fresh
descriptor on the same file, when a function first needs its blob (see
:class:`_DeferredRegion`; if another writer replaced the file meanwhile, the
function is compiled instead). Either way a disk hit reads the header and the
metadata and no code until a function is called. Reads use ``os.pread`` on that
descriptor, so a concurrent ``os.replace`` by another writer does not affect
them, and a file changed in place shows up as a short read or a digest
mismatch: the blob is then refused (:class:`~pywaz.cache.errors.CacheError`),
``on_corrupt`` is told once (the store deletes the entry so the next load is a
miss), and the engine compiles that function from the module's bytes instead.
"""

from __future__ import annotations

import errno
import hashlib
import os
import threading
import weakref
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from .entry import NO_CODE as _NO_CODE
from .errors import CacheError

if TYPE_CHECKING:
    from .entry import CodeTable

#: Code regions up to this size count against the small regions' descriptor budget.
SMALL_REGION_BYTES = 4 << 20
#: At most this many entries with a large code region, and as many with a small one, keep their file
#: open at once; further ones read their region whole when a function first needs it.
MAX_OPEN_REGIONS = 32

# Read errors that say the descriptor or this process is in trouble, not the entry
# (a descriptor closed under us, e.g. by weakref's exit hook; no memory; a signal):
# the function is compiled instead, but the entry is kept.
_PROCESS_ERRNOS = frozenset(
    code for code in (getattr(errno, name, None) for name in ("EBADF", "ENOMEM", "EINTR", "EAGAIN")) if code
)

_open_regions = {True: 0, False: 0}  # small region? -> entries holding a descriptor
# Reentrant: a region's finalizer takes it, and the garbage collector may run a finalizer at any allocation.
_open_lock = threading.RLock()


def read_at(fd: int, offset: int, length: int) -> bytes:
    """Up to ``length`` bytes of ``fd`` at ``offset`` (fewer only at the end of the file).

    ``os.pread`` where the platform has it (no shared file position, so
    threads may read one descriptor at once); ``lseek`` + ``read`` otherwise.
    """
    chunks = []
    pread = getattr(os, "pread", None)
    if pread is None:
        os.lseek(fd, offset, os.SEEK_SET)
    while length > 0:
        chunk = pread(fd, length, offset) if pread is not None else os.read(fd, length)
        if not chunk:
            break
        chunks.append(chunk)
        offset += len(chunk)
        length -= len(chunk)
    return chunks[0] if len(chunks) == 1 else b"".join(chunks)


def _close_descriptor(fd: int, small: bool = False) -> None:
    try:
        os.close(fd)
    except OSError:
        pass
    with _open_lock:
        _open_regions[small] -= 1


class _FileRegion:
    """Positional reads from an open entry file, closed once nothing references it."""

    __slots__ = ("_fd", "_finalizer", "__weakref__")

    def __init__(self, fd: int, small: bool = False):
        self._fd = fd
        self._finalizer = weakref.finalize(self, _close_descriptor, fd, small)

    def read(self, offset: int, length: int) -> bytes:
        return read_at(self._fd, offset, length)

    def close(self) -> None:
        self._finalizer()


class _MemoryRegion:
    """The code region read whole; offsets stay absolute file positions."""

    __slots__ = ("_data", "_base")

    def __init__(self, data: bytes, base: int):
        self._data = memoryview(data)
        self._base = base

    def read(self, offset: int, length: int):
        start = offset - self._base
        return self._data[start : start + length]

    def close(self) -> None:
        pass


class _DeferredRegion:
    """The code region read whole when a blob is first asked for, then served from memory.

    ``load()`` returns the region's bytes (the store reopens the entry's path
    and checks it is still the same file); an OSError from it is raised again
    for every later read, so a region that cannot be read is not retried per
    function.
    """

    __slots__ = ("_load", "_base", "_region", "_error", "_lock")

    def __init__(self, load: Callable[[], bytes], base: int):
        self._load = load
        self._base = base
        self._region: _MemoryRegion | None = None
        self._error: OSError | None = None
        self._lock = threading.Lock()

    def read(self, offset: int, length: int):
        region = self._region
        if region is None:
            with self._lock:
                if self._region is None:
                    if self._error is None:
                        try:
                            self._region = _MemoryRegion(self._load(), self._base)
                        except OSError as exc:
                            self._error = exc
                    if self._error is not None:
                        raise OSError(self._error.errno, self._error.strerror)
                region = self._region
        return region.read(offset, length)

    def close(self) -> None:
        pass


def open_region(
    fd: int, code_offset: int, code_length: int, read_whole
) -> tuple[_FileRegion | _DeferredRegion, bool]:
    """A reader for the code region of the entry open as ``fd``, and whether it took ``fd`` over.

    When it did, the region closes ``fd`` once unreferenced and the caller
    must not close it. When the region is empty, the platform has no
    ``os.pread``, or its budget of open files is spent, ``read_whole(offset,
    length)`` reads the region instead, on the first read of any blob (it
    must not use ``fd``, which the caller closes). Nothing is read here.
    """
    if code_length > 0 and hasattr(os, "pread"):
        small = code_length <= SMALL_REGION_BYTES
        with _open_lock:
            reserved = _open_regions[small] < MAX_OPEN_REGIONS
            if reserved:
                _open_regions[small] += 1
        if reserved:
            # Built outside the lock: allocating may run the garbage collector, which may run another
            # region's finalizer, which takes the lock (a deadlock seen on CPython 3.12).
            return _FileRegion(fd, small), True
    return _DeferredRegion(lambda: read_whole(code_offset, code_length), code_offset), False


class StoredCode(Sequence):
    """Function ``i``'s marshal blob (or None) from an entry's code region, digest-checked on first access.

    ``present(i)`` says whether there is a blob without reading it. A blob that
    cannot be read or does not match its digest raises :class:`CacheError`
    (after calling ``on_corrupt(reason)`` once for the whole entry).
    """

    __slots__ = ("_table", "_region", "_on_corrupt", "_lock", "_corrupt")

    def __init__(self, table: CodeTable, region, on_corrupt: Callable[[str], None] | None = None):
        self._table = table
        self._region = region
        self._on_corrupt = on_corrupt
        self._lock = threading.Lock()
        self._corrupt = False

    def __len__(self) -> int:
        return len(self._table.lengths)

    def present(self, index: int) -> bool:
        """Whether function ``index`` has a blob (no I/O)."""
        return self._table.present(index)

    def present_flags(self) -> list[bool]:
        """``present(i)`` for every function, in one pass (no I/O)."""
        return list(map(_NO_CODE.__ne__, self._table.lengths))

    def _read(self, index: int):
        """``(blob, None)`` or ``(None, problem)`` for a function that has a blob.

        Raises:
            CacheError: the read failed for a reason that is not the entry's (see _PROCESS_ERRNOS).
        """
        table = self._table
        length = table.lengths[index]
        try:
            blob = self._region.read(table.offsets[index], length)
        except OSError as exc:
            if exc.errno in _PROCESS_ERRNOS:
                raise CacheError(f"cached code of function {index} cannot be read now: {exc.strerror or exc}") from None
            return None, f"unreadable: {exc.strerror or exc}"
        if len(blob) != length:
            return None, f"truncated: {len(blob)} of {length} bytes"
        if hashlib.sha256(blob).digest() != table.digest(index):
            return None, "digest mismatch"
        return blob, None

    def first_problem(self) -> str | None:
        """Read and check every blob now; the first problem found, or None."""
        for index in range(len(self)):
            if self._table.present(index):
                problem = self._read(index)[1]
                if problem is not None:
                    return f"code of function {index}: {problem}"
        return None

    def __getitem__(self, index):
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        if not self._table.present(index):
            return None
        index = index if index >= 0 else index + len(self)
        blob, problem = self._read(index)
        if problem is None:
            return blob
        reason = f"code of function {index}: {problem}"
        with self._lock:
            report = not self._corrupt
            self._corrupt = True
        if report and self._on_corrupt is not None:
            self._on_corrupt(reason)
        raise CacheError(f"cached {reason}")
