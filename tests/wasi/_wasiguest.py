"""Helpers for WASI tests: a guest-side call wrapper over a Memory."""

from __future__ import annotations

import struct

from pywaz.ir import Limits, MemoryType
from pywaz.vm.objects import Memory
from pywaz.wasi import Rights, Wasi
from pywaz.wasi.codes import Oflags

SCRATCH = 4096  # guest addresses below this are left for tests to use directly


class Guest:
    """Calls WASI functions the way a guest would: raw ints and pointers into memory."""

    def __init__(self, wasi: Wasi, memory: Memory):
        self.wasi = wasi
        self.memory = memory
        self.fns = {name: fn for name, (_, _, fn) in wasi.functions().items()}
        self._next = SCRATCH

    def __call__(self, name: str, *args) -> int:
        return self.fns[name](self.memory, *args)

    @property
    def data(self) -> bytearray:
        return self.memory.data

    def alloc(self, size: int, align: int = 8) -> int:
        ptr = (self._next + align - 1) & ~(align - 1)
        self._next = ptr + size
        return ptr

    def put(self, payload: bytes) -> tuple[int, int]:
        ptr = self.alloc(len(payload) or 1)
        self.data[ptr : ptr + len(payload)] = payload
        return ptr, len(payload)

    def str(self, text: str) -> tuple[int, int]:
        return self.put(text.encode())

    def u16(self, ptr: int) -> int:
        return struct.unpack_from("<H", self.data, ptr)[0]

    def u32(self, ptr: int) -> int:
        return struct.unpack_from("<I", self.data, ptr)[0]

    def u64(self, ptr: int) -> int:
        return struct.unpack_from("<Q", self.data, ptr)[0]

    def bytes(self, ptr: int, size: int) -> bytes:
        return bytes(self.data[ptr : ptr + size])

    def iovecs(self, *buffers: tuple[int, int]) -> int:
        ptr = self.alloc(8 * len(buffers))
        for i, (buf, size) in enumerate(buffers):
            struct.pack_into("<II", self.data, ptr + 8 * i, buf, size)
        return ptr

    # Convenience wrappers returning (errno, value).

    def open(self, path: str, oflags: int = 0, rights: int | None = None, fdflags: int = 0,
             follow: bool = True, fd: int = 3, inheriting: int = Rights.ALL) -> tuple[int, int | None]:
        """path_open; ``rights`` defaults to every right, less fd_write for a directory (EISDIR, as wasmtime)."""
        if rights is None:
            rights = Rights.ALL & ~Rights.FD_WRITE if oflags & Oflags.DIRECTORY else Rights.ALL
        out = self.alloc(4, 4)
        errno = self("path_open", fd, int(follow), *self.str(path), oflags, rights, inheriting, fdflags, out)
        return errno, (self.u32(out) if errno == 0 else None)

    def write(self, fd: int, payload: bytes) -> tuple[int, int]:
        iov = self.iovecs(self.put(payload))
        out = self.alloc(4, 4)
        errno = self("fd_write", fd, iov, 1, out)
        return errno, self.u32(out)

    def read(self, fd: int, size: int) -> tuple[int, bytes]:
        buf = self.alloc(size or 1)
        iov = self.iovecs((buf, size))
        out = self.alloc(4, 4)
        errno = self("fd_read", fd, iov, 1, out)
        return errno, self.bytes(buf, self.u32(out)) if errno == 0 else b""

    def filestat(self, fd: int) -> tuple[int, dict]:
        out = self.alloc(64)
        errno = self("fd_filestat_get", fd, out)
        return errno, unpack_filestat(self.data, out)

    def path_filestat(self, path: str, follow: bool = True, fd: int = 3) -> tuple[int, dict]:
        out = self.alloc(64)
        errno = self("path_filestat_get", fd, int(follow), *self.str(path), out)
        return errno, unpack_filestat(self.data, out)


def unpack_filestat(data, ptr: int) -> dict:
    dev, ino, filetype, nlink, size, atim, mtim, ctim = struct.unpack_from("<QQB7xQQQQQ", data, ptr)
    return dict(dev=dev, ino=ino, filetype=filetype, nlink=nlink, size=size, atim=atim, mtim=mtim, ctim=ctim)


def new_memory(pages: int = 1) -> Memory:
    return Memory(MemoryType(Limits(pages)))

