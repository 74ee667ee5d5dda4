"""Opening files inside the cache directory: never block, never follow a link, regular files only.

Enters: a path under the cache root. Leaves: an open descriptor on a regular
file, or an error the caller turns into a miss. Anything can sit where an
entry should be -- a FIFO (an ``open`` without ``O_NONBLOCK`` waits forever
for a writer), a socket, a device, a directory, a symlink -- and none of it
may hang or confuse a loader, ``pywaz cache ls`` or ``verify``. So every cache
file is opened with ``O_NONBLOCK`` (an open that would wait returns at once;
reads of a regular file are unaffected), ``O_NOFOLLOW`` (a symlink fails with
``ELOOP``) and ``O_CLOEXEC``, and the *opened* descriptor is ``fstat``-ed, so
a file swapped between a directory scan and the open is still caught.
"""

from __future__ import annotations

import os
import stat

from .entry import InvalidEntry

_READ_FLAGS = (
    os.O_RDONLY
    | getattr(os, "O_NONBLOCK", 0)
    | getattr(os, "O_NOFOLLOW", 0)
    | getattr(os, "O_CLOEXEC", 0)
    | getattr(os, "O_BINARY", 0)
)
_DIRECTORY_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_CLOEXEC", 0)


def _kind(mode: int) -> str:
    for test, name in (
        (stat.S_ISDIR, "a directory"),
        (stat.S_ISFIFO, "a FIFO"),
        (stat.S_ISSOCK, "a socket"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISLNK, "a symlink"),
    ):
        if test(mode):
            return name
    return f"file type 0o{stat.S_IFMT(mode):o}"


def open_regular(path: str) -> tuple[int, os.stat_result]:
    """Open ``path`` read-only without blocking or following a symlink; ``(fd, fstat)`` of a regular file.

    The caller owns ``fd`` and closes it.

    Raises:
        OSError: the open failed (missing, permissions, a symlink: ``ELOOP``, a socket: ``ENXIO``...).
        InvalidEntry: the opened file is not a regular file (the descriptor is closed).
    """
    fd = os.open(path, _READ_FLAGS)
    try:
        st = os.fstat(fd)
    except BaseException:
        os.close(fd)
        raise
    if not stat.S_ISREG(st.st_mode):
        os.close(fd)
        raise InvalidEntry(f"not a regular file ({_kind(st.st_mode)})")
    return fd, st


def read_regular(path: str, limit: int | None = None) -> bytes:
    """The contents of the regular file ``path`` (at most ``limit`` bytes), opened as :func:`open_regular` does.

    Raises:
        OSError: the file cannot be opened or read.
        InvalidEntry: it is not a regular file.
    """
    fd, st = open_regular(path)
    try:
        want = st.st_size if limit is None else min(limit, st.st_size)
        chunks = []
        while want > 0:
            chunk = os.read(fd, want)
            if not chunk:
                break
            chunks.append(chunk)
            want -= len(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)


def open_directory(path: str) -> int:
    """A descriptor on the directory ``path`` (for ``fsync``), opened without blocking.

    ``O_DIRECTORY`` refuses anything else, so a FIFO swapped in cannot make this wait.

    Raises:
        OSError: it cannot be opened or is not a directory.
    """
    return os.open(path, _DIRECTORY_FLAGS)
