"""Resolve guest paths beneath a directory descriptor without escaping it.

Input: a host directory fd (a preopen or a directory opened beneath one) and a
guest path. Output: a :class:`Resolved` -- a host fd of the directory holding
the final component plus that component's name -- for the caller to use with
``dir_fd=``-style calls (openat, mkdirat, unlinkat...), never with a host path.

The walk is component by component, openat-style: every intermediate directory
is opened with ``O_NOFOLLOW | O_DIRECTORY`` relative to the previous one, and
symbolic links are read and expanded here, never by the kernel. ``..`` pops
our own stack of open directories instead of asking the host for a parent, so
it cannot climb above the starting directory even if a directory is renamed
mid-walk; a concurrent swap of a directory for a symlink makes the
``O_NOFOLLOW`` open fail rather than follow it. Absolute paths, absolute
symlink targets and ``..`` past the start are refused with ``EPERM`` (what
wasmtime/cap-std return for "a path led outside of the filesystem").
"""

from __future__ import annotations

import errno as _errno
import os
import stat as _stat
from collections import deque

from .codes import Errno, wasi_errno_from_os
from .guest import WasiError

ESCAPE_ERRNO = Errno.PERM
MAX_SYMLINK_EXPANSIONS = 40  # Linux MAXSYMLINKS
_ELOOP, _ENOTDIR = _errno.ELOOP, _errno.ENOTDIR
_EMLINK = _errno.EMLINK  # what FreeBSD's O_NOFOLLOW gives for a symlink
_DIR_OPEN_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)


class Resolved:
    """The directory fd holding a path's final component, and that component.

    ``name`` is ``"."`` when the path names the directory itself (``"."``,
    ``"a/.."``). ``must_be_directory`` is set by a trailing slash. Use as a
    context manager: closing releases the intermediate directory fd.
    """

    __slots__ = ("dir_fd", "name", "must_be_directory", "_owned")

    def __init__(self, dir_fd: int, name: str, must_be_directory: bool, owned: bool):
        self.dir_fd = dir_fd
        self.name = name
        self.must_be_directory = must_be_directory
        self._owned = owned

    def close(self) -> None:
        if self._owned:
            self._owned = False
            os.close(self.dir_fd)

    def __enter__(self) -> Resolved:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _components(path: str) -> list[str]:
    return [c for c in path.split("/") if c and c != "."]


def resolve(root_fd: int, path: str, follow_final: bool) -> Resolved:
    """Walk ``path`` beneath ``root_fd``; follow a final symlink only if ``follow_final``.

    A trailing slash forces the final component to be followed and to be a
    directory. A missing final component is not an error (callers may create
    it); a missing intermediate one is ``ENOENT``.

    Raises:
        WasiError: EPERM on any escape attempt, ENOENT for an empty path or a
            missing directory, ENOTDIR, ELOOP after 40 symlinks, or the mapped
            host error.
    """
    if not path:
        raise WasiError(Errno.NOENT)
    if path.startswith("/"):
        raise WasiError(ESCAPE_ERRNO)
    trailing_slash = path.endswith("/")
    pending = deque(_components(path))
    stack = [root_fd]  # stack[0] is borrowed, the rest are ours
    name = "."
    expansions = 0
    try:
        while pending:
            component = pending.popleft()
            if component == "..":
                if len(stack) == 1:
                    raise WasiError(ESCAPE_ERRNO)
                os.close(stack.pop())
                name = "."
                continue
            is_last = not pending
            follow = not is_last or follow_final or trailing_slash
            top = stack[-1]
            if is_last and not follow:
                name = component
                break
            if not is_last:
                try:
                    stack.append(os.open(component, _DIR_OPEN_FLAGS, dir_fd=top))
                    name = "."
                    continue
                except OSError as error:
                    if error.errno not in (_ELOOP, _ENOTDIR, _EMLINK):
                        raise
            # A final component to follow, or an intermediate one that is not a
            # plain directory: find out whether it is a symlink.
            try:
                info = os.stat(component, dir_fd=top, follow_symlinks=False)
            except FileNotFoundError:
                if is_last:
                    name = component
                    break
                raise
            if _stat.S_ISLNK(info.st_mode):
                expansions += 1
                if expansions > MAX_SYMLINK_EXPANSIONS:
                    raise WasiError(Errno.LOOP)
                target = os.readlink(component, dir_fd=top)
                if not target:
                    raise WasiError(Errno.NOENT)  # what Linux says for an empty symlink
                if target.startswith("/"):
                    raise WasiError(ESCAPE_ERRNO)
                if is_last and target.endswith("/"):
                    trailing_slash = True
                pending.extendleft(reversed(_components(target)))
                name = "."
                continue
            if not is_last:
                raise WasiError(Errno.NOTDIR)
            if trailing_slash and not _stat.S_ISDIR(info.st_mode):
                raise WasiError(Errno.NOTDIR)
            name = component
        top = stack.pop()
        return Resolved(top, name, trailing_slash, owned=bool(stack))
    except OSError as error:
        raise WasiError(wasi_errno_from_os(error)) from None
    finally:
        for fd in stack[1:]:
            os.close(fd)

