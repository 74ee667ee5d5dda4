"""The WASI file-descriptor table: guest fd numbers to host resources.

A guest fd names one of four kinds of descriptor: a standard stream
(:class:`StreamDescriptor`), a host regular file or other non-directory
(:class:`FileDescriptor`), a host directory (:class:`DirectoryDescriptor`,
possibly a preopen) or a socket given by the embedder
(:class:`SocketDescriptor`). Each carries the preview1 rights and fdflags.
Lookups that fail raise ``WasiError(EBADF)``.
"""

from __future__ import annotations

import os

from .codes import Errno, Filetype
from .guest import WasiError
from .streams import Stream


class Descriptor:
    __slots__ = ("filetype", "rights_base", "rights_inheriting", "fdflags")

    def __init__(self, filetype: int, rights_base: int, rights_inheriting: int, fdflags: int = 0):
        self.filetype = filetype
        self.rights_base = rights_base
        self.rights_inheriting = rights_inheriting
        self.fdflags = fdflags

    def close(self) -> None:
        pass


class StreamDescriptor(Descriptor):
    """A standard stream; not seekable (ESPIPE), not a file (EBADF for file ops)."""

    __slots__ = ("stream",)

    def __init__(self, stream: Stream, rights: int):
        filetype = Filetype.CHARACTER_DEVICE if stream.isatty() else Filetype.UNKNOWN
        super().__init__(filetype, rights, rights)
        self.stream = stream

    def close(self) -> None:
        self.stream.close()


class FileDescriptor(Descriptor):
    """A host fd for anything that is not a directory (regular file, device, fifo...)."""

    __slots__ = ("host_fd", "readable", "writable")

    def __init__(self, host_fd: int, filetype: int, rights_base: int, rights_inheriting: int,
                 fdflags: int, readable: bool, writable: bool):
        super().__init__(filetype, rights_base, rights_inheriting, fdflags)
        self.host_fd = host_fd
        self.readable = readable
        self.writable = writable

    def close(self) -> None:
        if self.host_fd >= 0:
            fd, self.host_fd = self.host_fd, -1
            os.close(fd)


class DirectoryDescriptor(Descriptor):
    """A host directory fd. ``preopen_name`` is the guest path of a preopen, else None.

    ``listing`` caches the entries fd_readdir enumerates so that cookies stay
    meaningful between calls; it is rebuilt when a read starts at cookie 0.
    """

    __slots__ = ("host_fd", "preopen_name", "listing")

    def __init__(self, host_fd: int, rights_base: int, rights_inheriting: int,
                 preopen_name: str | None = None, fdflags: int = 0):
        super().__init__(Filetype.DIRECTORY, rights_base, rights_inheriting, fdflags)
        self.host_fd = host_fd
        self.preopen_name = preopen_name
        self.listing: list[bytes] | None = None

    def close(self) -> None:
        if self.host_fd >= 0:
            fd, self.host_fd = self.host_fd, -1
            os.close(fd)


class SocketDescriptor(Descriptor):
    """A host socket the embedder handed in (or one accepted from it).

    ``host_fd`` is the socket's fileno, owned by ``sock``; fd_read/fd_write
    work on it as on a pipe, seeking is ESPIPE.
    """

    __slots__ = ("sock", "host_fd")

    def __init__(self, sock, rights: int, fdflags: int = 0):
        import socket as _socket

        filetype = Filetype.SOCKET_DGRAM if sock.type == _socket.SOCK_DGRAM else Filetype.SOCKET_STREAM
        super().__init__(filetype, rights, rights, fdflags)
        self.sock = sock
        self.host_fd = sock.fileno()

    def close(self) -> None:
        self.host_fd = -1
        self.sock.close()


class FdTable:
    """Guest fd number -> Descriptor; new descriptors take the lowest free number."""

    MAX_FDS = 1 << 16  # beyond this, path_open reports EMFILE

    def __init__(self):
        self._entries: dict[int, Descriptor] = {}

    def __contains__(self, fd: int) -> bool:
        return fd in self._entries

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, fd: int) -> Descriptor:
        entry = self._entries.get(fd)
        if entry is None:
            raise WasiError(Errno.BADF)
        return entry

    def items(self):
        return sorted(self._entries.items())

    def insert(self, descriptor: Descriptor) -> int:
        fd = 0
        entries = self._entries
        while fd in entries:
            fd += 1
        if fd >= self.MAX_FDS:
            descriptor.close()
            raise WasiError(Errno.MFILE)
        entries[fd] = descriptor
        return fd

    def put(self, fd: int, descriptor: Descriptor) -> None:
        self._entries[fd] = descriptor

    def remove(self, fd: int) -> Descriptor:
        entry = self._entries.pop(fd, None)
        if entry is None:
            raise WasiError(Errno.BADF)
        return entry

    def renumber(self, fd: int, to: int) -> None:
        """Move ``fd`` onto ``to``, closing what ``to`` held; both must be open."""
        source = self.get(fd)
        target = self.get(to)
        if fd == to:
            return
        del self._entries[fd]
        self._entries[to] = source
        target.close()

    def close_all(self) -> None:
        entries, self._entries = self._entries, {}
        for entry in entries.values():
            try:
                entry.close()
            except OSError:
                pass
