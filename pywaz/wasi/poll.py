"""poll_oneoff: wait for clock and fd-readiness subscriptions (preview1 ``poll_oneoff``).

Input: the guest's ``subscription`` array (48 bytes each, already bounds
checked). Output: the ``event`` tuples to write back. Regular files and
directories are always ready (as on POSIX); a stream backed by a host fd is
polled with ``select``; an in-memory or Python stream without a host fd is
always ready. Clock subscriptions time out relative to now, or at an absolute
time with ``subscription_clock_abstime``. The call blocks until at least one
event is ready.
"""

from __future__ import annotations

import os
import select
import struct
import time

from .codes import (
    EVENTRWFLAGS_FD_READWRITE_HANGUP,
    SUBCLOCKFLAGS_ABSTIME,
    SUBSCRIPTION_SIZE,
    Clockid,
    Errno,
    Eventtype,
    Rights,
)
from .fdtable import FileDescriptor, SocketDescriptor, StreamDescriptor
from .guest import InvalidArgument, WasiError

# Wait in slices of at most this many seconds: select/sleep reject huge
# timeouts, and a u64 nanosecond timeout can be ~584 years.
_MAX_WAIT = 3600.0
_SUB_HEAD = struct.Struct("<QB")
_SUB_CLOCK = struct.Struct("<IxxxxQQH")
_SUB_FD = struct.Struct("<I")


def _clock_deadline(wasi, clock_id: int, timeout: int, flags: int) -> float:
    """Seconds on the monotonic clock at which a clock subscription fires."""
    now_mono = time.monotonic()
    if not flags & SUBCLOCKFLAGS_ABSTIME:
        return now_mono + timeout / 1e9
    current = wasi._clock_now(clock_id)
    return now_mono + max(0, timeout - current) / 1e9


def _fd_readiness(wasi, fd: int, kind: int):
    """``(error, nbytes, flags, host_fd_to_select)`` for one fd subscription."""
    try:
        entry = wasi.fds.get(fd)
    except WasiError as error:
        return error.errno, 0, 0, None
    kind_right = Rights.FD_READ if kind == Eventtype.FD_READ else Rights.FD_WRITE
    if type(entry) is FileDescriptor:
        if not entry.rights_base & (Rights.POLL_FD_READWRITE | kind_right):
            return Errno.NOTCAPABLE, 0, 0, None
        nbytes = 0
        if kind == Eventtype.FD_READ:
            try:
                size = os.fstat(entry.host_fd).st_size
                nbytes = max(0, size - os.lseek(entry.host_fd, 0, os.SEEK_CUR))
            except OSError:
                nbytes = 0
        return Errno.SUCCESS, nbytes, 0, None
    if type(entry) is StreamDescriptor:
        stream = entry.stream
        if kind == Eventtype.FD_READ and not stream.readable or kind == Eventtype.FD_WRITE and not stream.writable:
            return Errno.BADF, 0, 0, None
        if not entry.rights_base & (Rights.POLL_FD_READWRITE | kind_right):
            return Errno.NOTCAPABLE, 0, 0, None
        return Errno.SUCCESS, 0, 0, stream.fileno()
    if type(entry) is SocketDescriptor:
        if not entry.rights_base & (Rights.POLL_FD_READWRITE | kind_right):
            return Errno.NOTCAPABLE, 0, 0, None
        return Errno.SUCCESS, 0, 0, entry.host_fd
    return Errno.BADF, 0, 0, None  # directories are never ready for I/O


def poll_subscriptions(wasi, data: bytearray, in_ptr: int, count: int) -> list[tuple]:
    """Block until at least one subscription is ready; return its events.

    Raises:
        InvalidArgument: an undefined event type or clock id (wasmtime traps).
    """
    clocks = []  # (deadline, userdata)
    ready = []  # events ready without waiting
    waiting = []  # (host_fd, kind, userdata)
    for i in range(count):
        base = in_ptr + i * SUBSCRIPTION_SIZE
        userdata, tag = _SUB_HEAD.unpack_from(data, base)
        if tag == Eventtype.CLOCK:
            clock_id, timeout, _precision, flags = _SUB_CLOCK.unpack_from(data, base + 16)
            if clock_id > Clockid.THREAD_CPUTIME_ID:
                raise InvalidArgument(f"invalid enum value {clock_id} for clockid")
            if flags & ~SUBCLOCKFLAGS_ABSTIME:
                raise InvalidArgument(f"invalid flag value {flags:#x} for subclockflags")
            clocks.append((_clock_deadline(wasi, clock_id, timeout, flags), userdata))
        elif tag in (Eventtype.FD_READ, Eventtype.FD_WRITE):
            (fd,) = _SUB_FD.unpack_from(data, base + 16)
            error, nbytes, flags, host_fd = _fd_readiness(wasi, fd, tag)
            if host_fd is None:
                ready.append((userdata, error, tag, nbytes, flags))
            else:
                waiting.append((host_fd, tag, userdata))
        else:
            raise InvalidArgument(f"invalid enum value {tag} for eventtype")

    while True:
        if ready:
            timeout = 0.0
        elif clocks:
            timeout = max(0.0, min(deadline for deadline, _ in clocks) - time.monotonic())
            timeout = min(timeout, _MAX_WAIT)
        else:
            timeout = None
        if waiting:
            readers = [fd for fd, kind, _ in waiting if kind == Eventtype.FD_READ]
            writers = [fd for fd, kind, _ in waiting if kind == Eventtype.FD_WRITE]
            try:
                can_read, can_write, _ = select.select(readers, writers, [], timeout)
            except (OSError, ValueError):
                can_read, can_write = readers, writers  # unselectable: report ready, let the I/O decide
            for host_fd, kind, userdata in waiting:
                if kind == Eventtype.FD_READ and host_fd in can_read:
                    ready.append((userdata, Errno.SUCCESS, kind, _pending_bytes(host_fd), _hangup(host_fd)))
                elif kind == Eventtype.FD_WRITE and host_fd in can_write:
                    ready.append((userdata, Errno.SUCCESS, kind, 0, 0))
        elif timeout:
            time.sleep(timeout)
        now = time.monotonic()
        for deadline, userdata in clocks:
            if deadline <= now:
                ready.append((userdata, Errno.SUCCESS, Eventtype.CLOCK, 0, 0))
        if ready:
            return ready


def _pending_bytes(host_fd: int) -> int:
    try:
        import fcntl
        import termios

        buf = fcntl.ioctl(host_fd, termios.FIONREAD, b"\0\0\0\0")
        return int.from_bytes(buf, "little")
    except (OSError, ImportError, AttributeError):
        return 0


def _hangup(host_fd: int) -> int:
    try:
        poller = select.poll()
        poller.register(host_fd, select.POLLIN)
        for _, mask in poller.poll(0):
            if mask & select.POLLHUP:
                return EVENTRWFLAGS_FD_READWRITE_HANGUP
    except (OSError, AttributeError, ValueError):
        pass
    return 0
