"""The persistent, content-addressed store: one file per key under a private root.

Layout: ``<root>/pywaz-<version>-<cache_tag>/<key[:2]>/<key>.pwz`` (format in
:mod:`pywaz.cache.entry`). Directories are created with mode 0700. The root is
a trust boundary: loading an entry unmarshals code objects that will run, so
a root that is not a directory owned by this user (or root) or that group or
others can write is refused with :class:`CacheError`.

Every fault while reading (missing, unreadable, truncated, corrupt, written by
another interpreter or pywaz) is a miss: it is logged at debug level on the
``pywaz.cache`` logger, the bad file is deleted, and the caller recompiles and
rewrites. Writes go to a temp file in the same directory, are flushed and
fsynced, then ``os.replace``d into place, so concurrent writers of one key
leave exactly one complete entry and readers never see a partial one.
"""

from __future__ import annotations

import errno
import marshal
import os
import re
import stat
import sys
import tempfile
import threading
import time
import types
from collections.abc import Callable

from .._records import record
from .entry import (
    MAX_HEADER_SIZE,
    PREAMBLE_SIZE,
    EntryHeader,
    InvalidEntry,
    check_header,
    decode_entry,
    decode_entry_lazily,
    decode_header,
    encode_entry,
)
from .errors import CacheError, logger
from .files import open_directory, open_regular, read_regular
from .key import pywaz_version
from .payload import ArtifactPayload
from .storedcode import StoredCode, open_region, read_at

_KEY_RE = re.compile(r"[0-9a-f]{64}")
_SUFFIX = ".pwz"
_TEMP_PREFIX = ".tmp-"
_TRANSIENT_ERRNOS = frozenset(
    code for code in (getattr(errno, name, None) for name in ("EMFILE", "ENFILE", "ENOMEM", "EINTR", "EAGAIN")) if code
)
STALE_TEMP_SECONDS = 3600.0  # a temp file this old belongs to a writer that died


@record
class EntryInfo:
    """What :meth:`DiskStore.entries` reports about one stored entry."""

    key: str
    module_sha256: str
    size: int
    created: float
    last_used: float
    pywaz_version: str
    python_version: str
    cache_tag: str
    engine: str
    function_count: int
    path: str


@record
class VerifyReport:
    """Result of :meth:`DiskStore.verify`: ``invalid`` lists ``(path, reason)``."""

    checked: int
    valid: int
    invalid: tuple[tuple[str, str], ...]
    removed: int


@record
class LoadedEntry:
    header: EntryHeader
    payload: ArtifactPayload
    size: int


def version_dir_name() -> str:
    """``pywaz-<version>-<cache_tag>`` with anything path-unsafe replaced."""
    raw = f"pywaz-{pywaz_version()}-{sys.implementation.cache_tag}"
    return re.sub(r"[^A-Za-z0-9._+-]", "_", raw)


def default_cache_dir() -> str:
    """The user's cache directory for pywaz (XDG: ``$XDG_CACHE_HOME/pywaz`` or ``~/.cache/pywaz``)."""
    if os.name == "nt":
        base = os.environ.get("LOCALAPPDATA") or os.path.expanduser("~\\AppData\\Local")
    else:
        base = os.environ.get("XDG_CACHE_HOME") or ""
        if not os.path.isabs(base):  # the XDG spec says relative values are ignored
            base = os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "pywaz")


def _check_private(path: str, st: os.stat_result, what: str) -> str | None:
    """Why ``path`` is not a safe cache directory, or None if it is."""
    if not stat.S_ISDIR(st.st_mode):
        return f"{what} {path} is not a directory"
    if os.name != "posix":
        return None
    if st.st_uid not in (os.geteuid(), 0):
        return f"{what} {path} is owned by uid {st.st_uid}, not by this user"
    if st.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        return (
            f"{what} {path} is writable by group or others (mode {stat.S_IMODE(st.st_mode):o}); "
            "cache entries contain code that pywaz runs, so refuse to use it (chmod 700 it or pick another directory)"
        )
    return None


def _make_private_dirs(path: str) -> None:
    """Create ``path`` and missing parents with mode 0700 (not subject to a lax umask)."""
    missing = []
    probe = path
    while not os.path.isdir(probe):
        missing.append(probe)
        parent = os.path.dirname(probe)
        if parent == probe:
            break
        probe = parent
    for directory in reversed(missing):
        try:
            os.mkdir(directory, 0o700)
        except FileExistsError:
            continue
        os.chmod(directory, 0o700)


def expand_directory(directory: str | os.PathLike[str]) -> str:
    """``directory`` as a ``str`` path with ``~`` and ``~user`` expanded, as a shell would.

    Raises:
        CacheError: ``directory`` is not a ``str`` or path-like (bytes paths are decoded as the OS does).
    """
    try:
        path = os.fspath(directory)
    except TypeError:
        raise CacheError(f"directory must be a str or os.PathLike, not {type(directory).__name__}") from None
    if isinstance(path, bytes):
        path = os.fsdecode(path)
    if not path:
        raise CacheError("directory must not be empty (use None for a memory-only cache)")
    return os.path.expanduser(path)


class DiskStore:
    """Entries on disk for the running interpreter and pywaz version (see module docs).

    Thread- and process-safe: every operation is a single atomic filesystem
    step or tolerates a concurrent one.

    Raises (constructor):
        CacheError: the root cannot be created or is not private to this user.
    """

    def __init__(self, root: str | os.PathLike[str], max_bytes: int | None = None, keep_sources: bool = False):
        if max_bytes is not None and (not isinstance(max_bytes, int) or max_bytes < 0):
            raise CacheError(f"max_bytes must be a non-negative int or None, got {max_bytes!r}")
        self.root = os.path.abspath(expand_directory(root))
        self.max_bytes = max_bytes
        self.keep_sources = keep_sources
        self.directory = os.path.join(self.root, version_dir_name())
        self._safe_shards: set[str] = set()
        self._lock = threading.Lock()
        self.invalid_count = 0
        try:
            _make_private_dirs(self.root)
            problem = _check_private(self.root, os.stat(self.root), "cache directory")
            if problem is None:
                if not os.path.isdir(self.directory):
                    _make_private_dirs(self.directory)
                problem = _check_private(self.directory, os.lstat(self.directory), "cache directory")
        except OSError as exc:
            raise CacheError(f"cannot use cache directory {self.root}: {exc.strerror or exc}") from None
        if problem is not None:
            raise CacheError(problem)

    # -- paths -----------------------------------------------------------

    def path_for(self, key: str) -> str:
        """Where the entry for ``key`` lives.

        Raises:
            CacheError: ``key`` is not 64 lowercase hex digits.
        """
        if not isinstance(key, str) or not _KEY_RE.fullmatch(key):
            raise CacheError(f"cache key must be 64 lowercase hex digits, got {key!r}")
        return os.path.join(self.directory, key[:2], key + _SUFFIX)

    def _shard_ready(self, shard: str, create: bool) -> bool:
        """Whether ``shard`` exists (creating it if asked) and is private."""
        if shard in self._safe_shards:
            return True
        try:
            if create:
                try:
                    os.mkdir(shard, 0o700)
                    os.chmod(shard, 0o700)
                except FileExistsError:
                    pass
            st = os.lstat(shard)
        except OSError as exc:
            if exc.errno != errno.ENOENT:
                logger.debug("cache shard %s unusable: %s", shard, exc)
            return False
        problem = _check_private(shard, st, "cache shard")
        if problem is not None:
            logger.warning("ignoring unsafe %s", problem)
            return False
        with self._lock:
            self._safe_shards.add(shard)
        return True

    # -- read ------------------------------------------------------------

    def load(self, key: str, on_discard: Callable[[], None] | None = None) -> LoadedEntry | None:
        """The validated entry for ``key``, or None (missing, or invalid and now deleted).

        Reads and checks the header and metadata, and nothing else: the code
        blobs are read and digest-checked when the engine first needs them
        (see :mod:`.storedcode`; past the open-file budget the region is read
        whole then, through a fresh descriptor on the same file). A blob found
        bad then deletes the entry and calls ``on_discard()`` (so the caller
        can write a good one back).
        """
        path = self.path_for(key)
        if not self._shard_ready(os.path.dirname(path), create=False):
            return None
        identity = None
        try:
            fd, st = open_regular(path)
        except FileNotFoundError:
            return None
        except InvalidEntry as exc:
            self._discard(path, None, str(exc))
            return None
        except OSError as exc:
            self._unreadable(path, None, exc)
            return None
        owned = True
        try:
            identity = (st.st_dev, st.st_ino)

            def read(offset: int, length: int) -> bytes:
                return read_at(fd, offset, length)

            header, metadata, table, sources = decode_entry_lazily(read, st.st_size, key)

            def reread(offset: int, length: int, path=path, identity=identity, size=st.st_size) -> bytes:
                return _read_same_entry(path, identity, size, offset, length)

            region, taken = open_region(fd, header.code_offset, header.code_length, reread)
            owned = not taken
        except InvalidEntry as exc:
            self._discard(path, identity, str(exc))
            return None
        except OSError as exc:
            self._unreadable(path, identity, exc)
            return None
        finally:
            if owned:
                os.close(fd)

        def on_corrupt(reason: str, path=path, identity=identity) -> None:
            self._discard(path, identity, reason)
            if on_discard is not None:
                on_discard()

        code = StoredCode(table, region, on_corrupt)
        try:
            os.utime(path)  # last use drives oldest-first pruning
        except OSError:
            pass
        payload = ArtifactPayload(metadata, code, tuple(sources) if sources is not None else None)
        return LoadedEntry(header, payload, st.st_size)

    def _unreadable(self, path: str, identity, exc: OSError) -> None:
        """A read failed: a miss; the entry is deleted unless the failure is this process's, not the file's."""
        if exc.errno in _TRANSIENT_ERRNOS:  # out of descriptors or memory, interrupted: the entry may be fine
            logger.debug("cache miss: cannot read %s now: %s", path, exc.strerror or exc)
            return
        self._discard(path, identity, f"unreadable: {exc.strerror or exc}")

    def compiled_on_disk(self, key: str) -> int | None:
        """How many functions have code in the stored entry for ``key`` (header only), or None if there is none valid."""
        try:
            header = decode_header(read_regular(self.path_for(key), PREAMBLE_SIZE + MAX_HEADER_SIZE))
            check_header(header, key)
        except (OSError, InvalidEntry):
            return None
        return header.compiled_count

    def discard(self, key: str, reason: str) -> None:
        """Delete the entry for ``key`` because a later stage rejected it (logged at debug)."""
        self._discard(self.path_for(key), None, reason)

    def _discard(self, path: str, identity, reason: str) -> None:
        with self._lock:
            self.invalid_count += 1
        logger.debug("cache miss: discarding invalid entry %s: %s", path, reason)
        try:
            st = os.lstat(path)
            if identity is not None and (st.st_dev, st.st_ino) != identity:
                return  # another process already replaced it with a fresh entry
            if stat.S_ISDIR(st.st_mode):
                os.rmdir(path)
            else:
                os.unlink(path)
        except OSError as exc:
            if exc.errno != errno.ENOENT:
                logger.debug("could not delete invalid cache entry %s: %s", path, exc)

    # -- write -----------------------------------------------------------

    def store(self, key: str, engine: str, module_sha256: bytes, payload: ArtifactPayload) -> int | None:
        """Write the entry for ``key`` atomically; return its size, or None if it could not be written.

        Failures (unserialisable metadata, a full disk, ...) are logged, never raised.
        """
        path = self.path_for(key)
        try:
            data = encode_entry(key, engine, module_sha256, payload, self.keep_sources)
        except Exception as exc:  # an engine handed us metadata msgpack cannot encode
            logger.warning("not caching %s: artifact payload cannot be serialised: %s", key, exc)
            return None
        shard = os.path.dirname(path)
        if not self._shard_ready(shard, create=True):
            return None
        tmp = None
        try:
            fd, tmp = tempfile.mkstemp(prefix=_TEMP_PREFIX, suffix=_SUFFIX, dir=shard)
            try:
                view = memoryview(data)
                while view:
                    view = view[os.write(fd, view) :]
                os.fsync(fd)
            finally:
                os.close(fd)
            os.replace(tmp, path)
            tmp = None
            _fsync_dir(shard)
        except OSError as exc:
            logger.debug("could not write cache entry %s: %s", path, exc)
            return None
        finally:
            if tmp is not None:
                try:
                    os.unlink(tmp)
                except OSError:
                    pass
        if self.max_bytes is not None:
            self.prune(self.max_bytes)
        return len(data)

    # -- maintenance -----------------------------------------------------

    def _version_dirs(self) -> list[str]:
        try:
            names = os.listdir(self.root)
        except OSError:
            return []
        return [os.path.join(self.root, n) for n in sorted(names) if n.startswith("pywaz-")]

    def _scan(self, all_versions: bool = True):
        """Yield ``(path, stat)`` for every entry file and every stale temp file (path, None)."""
        now = time.time()
        for version_dir in self._version_dirs() if all_versions else [self.directory]:
            try:
                shards = sorted(os.scandir(version_dir), key=lambda e: e.name)
            except OSError:
                continue
            for shard in shards:
                if len(shard.name) != 2 or not shard.is_dir(follow_symlinks=False):
                    continue
                try:
                    files = list(os.scandir(shard.path))
                except OSError:
                    continue
                for f in files:
                    try:
                        st = f.stat(follow_symlinks=False)
                    except OSError:
                        continue
                    if f.name.startswith(_TEMP_PREFIX):
                        if now - st.st_mtime > STALE_TEMP_SECONDS:
                            yield f.path, None
                    elif f.name.endswith(_SUFFIX):
                        yield f.path, st

    def usage(self) -> tuple[int, int]:
        """``(entries, bytes)`` stored for this interpreter and pywaz version."""
        count = total = 0
        for _, st in self._scan(all_versions=False):
            if st is not None:
                count += 1
                total += st.st_size
        return count, total

    def entries(self) -> list[EntryInfo]:
        """Every readable entry under the root (all pywaz/Python versions), oldest use first."""
        result = []
        for path, st in self._scan():
            if st is None:
                continue
            try:
                header = decode_header(read_regular(path, PREAMBLE_SIZE + MAX_HEADER_SIZE))
            except (OSError, InvalidEntry):
                continue
            result.append(
                EntryInfo(
                    key=header.key,
                    module_sha256=header.module_sha256.hex(),
                    size=st.st_size,
                    created=header.created,
                    last_used=st.st_mtime,
                    pywaz_version=header.pywaz_version,
                    python_version=header.python_version,
                    cache_tag=header.cache_tag,
                    engine=header.engine,
                    function_count=header.function_count,
                    path=path,
                )
            )
        result.sort(key=lambda e: e.last_used)
        return result

    def prune(self, max_bytes: int) -> int:
        """Delete least recently used entries (all versions) until at most ``max_bytes`` remain.

        Also removes temp files left by writers that died and anything that
        is not a regular file (a FIFO, socket, device or symlink in an
        entry's place). Returns how many entries were deleted.

        Raises:
            CacheError: ``max_bytes`` is not a non-negative int.
        """
        if not isinstance(max_bytes, int) or max_bytes < 0:
            raise CacheError(f"max_bytes must be a non-negative int, got {max_bytes!r}")
        files = []
        for path, st in self._scan():
            if st is None or not stat.S_ISREG(st.st_mode):
                _unlink_quietly(path)
            else:
                files.append((st.st_mtime, path, st.st_size))
        total = sum(size for _, _, size in files)
        removed = 0
        for _, path, size in sorted(files):
            if total <= max_bytes:
                break
            if _unlink_quietly(path):
                removed += 1
                logger.debug("pruned cache entry %s (%d bytes)", path, size)
            total -= size
        return removed

    def clear(self) -> int:
        """Delete every entry under the root (all versions); return how many."""
        removed = 0
        for path, st in self._scan():
            if _unlink_quietly(path) and st is not None:
                removed += 1
        return removed

    def verify(self, remove_invalid: bool = True) -> VerifyReport:
        """Fully validate every entry (digests, payload, and for this interpreter the code blobs).

        Entries of other pywaz or Python versions are checked structurally only.
        Invalid entries are deleted unless ``remove_invalid`` is False.
        """
        checked = valid = removed = 0
        invalid = []
        for path, st in self._scan():
            if st is None:
                continue
            checked += 1
            name = os.path.basename(path)[: -len(_SUFFIX)]
            ours = os.path.dirname(os.path.dirname(path)) == self.directory
            try:
                if not _KEY_RE.fullmatch(name):
                    raise InvalidEntry("file name is not a key")
                data = read_regular(path)
                header, payload = decode_entry(data, name if ours else None)
                if header.key != name:
                    raise InvalidEntry("key echo does not match the file name")
                if ours:
                    for i, blob in enumerate(payload.code_blobs):
                        if blob is not None and not isinstance(_unmarshal(blob), types.CodeType):
                            raise InvalidEntry(f"code blob {i} is not a code object")
            except (OSError, InvalidEntry) as exc:
                reason = str(exc)
                invalid.append((path, reason))
                logger.debug("verify: invalid cache entry %s: %s", path, reason)
                if remove_invalid and _unlink_quietly(path):
                    removed += 1
                continue
            valid += 1
        return VerifyReport(checked, valid, tuple(invalid), removed)


def _read_same_entry(path: str, identity: tuple[int, int], size: int, offset: int, length: int) -> bytes:
    """``length`` bytes at ``offset`` of the entry at ``path``, if it is still the file loaded as ``identity``.

    Raises:
        OSError: it cannot be read, or another writer replaced it since (``ESTALE``: the new
            entry is left alone, see :meth:`DiskStore._discard`).
    """
    try:
        fd, st = open_regular(path)
    except InvalidEntry as exc:
        raise OSError(errno.ESTALE, f"the entry was replaced since it was loaded ({exc})") from None
    try:
        if (st.st_dev, st.st_ino) != identity or st.st_size != size:
            raise OSError(errno.ESTALE, "the entry was replaced since it was loaded")
        return read_at(fd, offset, length)
    finally:
        os.close(fd)


def _unmarshal(blob: bytes):
    try:
        return marshal.loads(blob)
    except (ValueError, EOFError, TypeError) as exc:
        raise InvalidEntry(f"code blob does not unmarshal: {exc}") from None


def _fsync_dir(path: str) -> None:
    """Make the rename durable where the platform allows fsync on a directory."""
    try:
        fd = open_directory(path)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _unlink_quietly(path: str) -> bool:
    try:
        os.unlink(path)
        return True
    except OSError:
        return False
