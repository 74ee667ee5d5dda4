"""poll_oneoff: clock subscriptions and fd readiness."""

from __future__ import annotations

import os
import struct
import time

import pytest

from pywaz import Trap
from pywaz.wasi import Errno

CLOCK, FD_READ, FD_WRITE = 0, 1, 2


def clock_sub(userdata, timeout_ns, clock_id=1, absolute=False):
    sub = bytearray(48)
    struct.pack_into("<QB", sub, 0, userdata, CLOCK)
    struct.pack_into("<IxxxxQQH", sub, 16, clock_id, timeout_ns, 0, int(absolute))
    return bytes(sub)


def fd_sub(userdata, kind, fd):
    sub = bytearray(48)
    struct.pack_into("<QB", sub, 0, userdata, kind)
    struct.pack_into("<I", sub, 16, fd)
    return bytes(sub)


def poll(guest, *subs):
    in_ptr = guest.alloc(48 * len(subs))
    guest.data[in_ptr : in_ptr + 48 * len(subs)] = b"".join(subs)
    out_ptr = guest.alloc(32 * len(subs))
    count_ptr = guest.alloc(4, 4)
    errno = guest("poll_oneoff", in_ptr, out_ptr, len(subs), count_ptr)
    events = []
    for i in range(guest.u32(count_ptr) if errno == 0 else 0):
        userdata, error, kind, nbytes, flags = struct.unpack_from("<QHBxxxxxQHxxxxxx", guest.data, out_ptr + 32 * i)
        events.append((userdata, error, kind, nbytes, flags))
    return errno, events


def test_no_subscriptions_is_einval(guest):
    assert guest("poll_oneoff", 0, 64, 0, 128) == Errno.INVAL


def test_relative_clock_sleeps_at_least_the_timeout(guest):
    start = time.monotonic()
    errno, events = poll(guest, clock_sub(7, 20_000_000))
    assert time.monotonic() - start >= 0.019
    assert errno == 0 and events == [(7, 0, CLOCK, 0, 0)]


def test_absolute_clock_in_the_past_fires_at_once(guest):
    errno, events = poll(guest, clock_sub(1, 5, clock_id=0, absolute=True))
    assert errno == 0 and events == [(1, 0, CLOCK, 0, 0)]


def test_only_expired_clocks_are_reported(guest):
    errno, events = poll(guest, clock_sub(1, 0), clock_sub(2, 60 * 10**9))
    assert errno == 0 and [e[0] for e in events] == [1]


def test_file_is_always_ready_with_remaining_bytes(guest):
    _, fd = guest.open("hello.txt")
    guest.read(fd, 2)
    errno, events = poll(guest, fd_sub(5, FD_READ, fd), fd_sub(6, FD_WRITE, fd), clock_sub(9, 60 * 10**9))
    assert errno == 0
    assert events == [(5, 0, FD_READ, 9, 0), (6, 0, FD_WRITE, 0, 0)]


def test_stdio_streams_without_host_fd_are_ready(make_guest):
    guest = make_guest(stdin=b"data")
    errno, events = poll(guest, fd_sub(1, FD_READ, 0), fd_sub(2, FD_WRITE, 1))
    assert errno == 0 and [(e[0], e[1], e[2]) for e in events] == [(1, 0, FD_READ), (2, 0, FD_WRITE)]


def test_bad_fd_and_wrong_direction_report_event_errors(guest):
    errno, events = poll(guest, fd_sub(1, FD_READ, 77), fd_sub(2, FD_WRITE, 0), fd_sub(3, FD_READ, 3))
    assert errno == 0
    assert [(e[0], e[1]) for e in events] == [(1, Errno.BADF), (2, Errno.BADF), (3, Errno.BADF)]


def test_pipe_stdin_readiness_follows_the_host(make_guest):
    read_end, write_end = os.pipe()
    try:
        guest = make_guest(stdin=read_end)
        errno, events = poll(guest, fd_sub(1, FD_READ, 0), clock_sub(2, 10_000_000))
        assert errno == 0 and [e[2] for e in events] == [CLOCK]  # nothing to read yet
        os.write(write_end, b"xyz")
        errno, events = poll(guest, fd_sub(1, FD_READ, 0), clock_sub(2, 60 * 10**9))
        assert errno == 0 and events == [(1, 0, FD_READ, 3, 0)]
        os.close(write_end)
        write_end = -1
        assert guest.read(0, 10) == (0, b"xyz")
        errno, events = poll(guest, fd_sub(1, FD_READ, 0))
        assert errno == 0 and events[0][4] == 1  # fd_readwrite_hangup
    finally:
        os.close(read_end)
        if write_end >= 0:
            os.close(write_end)


@pytest.mark.parametrize("sub", [
    bytes([0] * 8 + [3] + [0] * 39),  # undefined event type
    clock_sub(1, 0, clock_id=4),  # undefined clock
])
def test_undefined_subscription_values_trap(guest, sub):
    with pytest.raises(Trap):
        poll(guest, sub)


def test_huge_clock_timeout_with_a_ready_fd_returns_at_once(guest):
    _, fd = guest.open("hello.txt")
    errno, events = poll(guest, clock_sub(1, 2**64 - 1), fd_sub(2, FD_READ, fd))
    assert errno == 0 and [e[0] for e in events] == [2]
