"""Bounds-checked access to a guest's linear memory for WASI calls.

Every pointer a guest hands to a WASI function goes through these helpers:
they take the memory's current ``bytearray`` (callers read ``memory.data``
fresh on every call, since ``Memory.grow`` may replace it), check that the
whole region lies inside it and is aligned for its witx type, and raise
:class:`GuestFault` otherwise. The WASI dispatcher turns a fault into a trap
(wasmtime's behaviour) or into ``EFAULT``, as configured.
"""

from __future__ import annotations

import struct

from .codes import Errno


class WasiError(Exception):
    """Internal: abort a WASI call and return ``errno`` to the guest."""

    __slots__ = ("errno",)

    def __init__(self, errno: int):
        super().__init__(errno)
        self.errno = errno


class GuestFault(Exception):
    """Internal: the guest passed a pointer outside its memory or misaligned."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class InvalidArgument(Exception):
    """Internal: an enum or flags argument has a value the witx does not define.

    wasmtime traps on these (wiggle's "Invalid flag value"/"Invalid enum value").
    """


_U32 = struct.Struct("<I")
_U64 = struct.Struct("<Q")
_IOVEC = struct.Struct("<II")


def check(data: bytearray, ptr: int, size: int, align: int = 1) -> None:
    """Raise GuestFault unless ``[ptr, ptr+size)`` is inside ``data`` and aligned."""
    if ptr & (align - 1):
        raise GuestFault(f"pointer not aligned to {align}: region {{start: {ptr}, len: {size}}}")
    if ptr + size > len(data):
        raise GuestFault(f"pointer out of bounds: region {{start: {ptr}, len: {size}}}")


def read_bytes(data: bytearray, ptr: int, size: int) -> bytes:
    if ptr + size > len(data):
        raise GuestFault(f"pointer out of bounds: region {{start: {ptr}, len: {size}}}")
    return bytes(data[ptr : ptr + size])


def write_bytes(data: bytearray, ptr: int, payload: bytes) -> None:
    end = ptr + len(payload)
    if end > len(data):
        raise GuestFault(f"pointer out of bounds: region {{start: {ptr}, len: {len(payload)}}}")
    data[ptr:end] = payload


def write_u32(data: bytearray, ptr: int, value: int) -> None:
    check(data, ptr, 4, 4)
    _U32.pack_into(data, ptr, value)


def write_u64(data: bytearray, ptr: int, value: int) -> None:
    check(data, ptr, 8, 8)
    _U64.pack_into(data, ptr, value)


# wasmtime (51) lets one preview1 call copy at most 128 MiB of guest data ("hostcall fuel"): the
# iovec array (8 bytes an entry) and then the buffer used are charged against it, and a call that
# would overdraw it fails with ENOMEM before anything else is looked at.
HOSTCALL_BUDGET = 1 << 27


def first_iovec(data: bytearray, iovs: int, count: int) -> tuple[int, int]:
    """The first non-empty buffer of an iovec/ciovec array as ``(ptr, len)``; ``(0, 0)`` if all are empty.

    wasmtime's preview1 reads or writes only that buffer per call (a short
    transfer, which callers of readv/writev must handle anyway); the others
    are neither used nor bounds-checked. This also bounds one call's work by
    the memory size, however many overlapping buffers the guest passes. The
    array itself must lie in memory (GuestFault); the buffer is checked by
    the caller with :func:`check`, after the descriptor, as wasmtime does.

    Raises:
        GuestFault: the array is outside memory or misaligned.
        WasiError: ENOMEM when the array and the buffer exceed :data:`HOSTCALL_BUDGET`.
    """
    budget = HOSTCALL_BUDGET - 8 * count
    if budget < 0:
        raise WasiError(Errno.NOMEM)
    check(data, iovs, count * 8, 4)
    for offset in range(iovs, iovs + 8 * count, 8):
        buf, buf_len = _IOVEC.unpack_from(data, offset)
        if buf_len:
            if buf_len > budget:
                raise WasiError(Errno.NOMEM)
            return buf, buf_len
    return 0, 0


def read_path(data: bytearray, ptr: int, size: int) -> str:
    """Read a guest path string: UTF-8, no NUL (EINVAL); bad UTF-8 gives EILSEQ."""
    raw = read_bytes(data, ptr, size)
    if b"\0" in raw:
        raise WasiError(Errno.INVAL)
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise WasiError(Errno.ILSEQ) from None
