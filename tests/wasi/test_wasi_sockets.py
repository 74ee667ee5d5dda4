"""Sockets handed to the guest (WasiConfig.sockets): sock_accept/recv/send/shutdown and fd_read/fd_write."""

from __future__ import annotations

import socket
import struct

import pytest

from pywaz import PywazError, Trap
from pywaz.wasi import Errno, Filetype, Wasi, WasiConfig


@pytest.fixture
def listener():
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind(("127.0.0.1", 0))
    server.listen(4)
    yield server
    server.close()


@pytest.fixture
def net_guest(make_guest, listener):
    return make_guest(sockets=[listener])  # fd 3 is the preopen, fd 4 the listener


def accept(guest, flags=0):
    out = guest.alloc(4, 4)
    errno = guest("sock_accept", 4, flags, out)
    return errno, guest.u32(out) if errno == 0 else None


def recv(guest, fd, size, flags=0):
    buf = guest.alloc(size)
    iov = guest.iovecs((buf, size))
    out_len, out_flags = guest.alloc(4, 4), guest.alloc(2, 2)
    errno = guest("sock_recv", fd, iov, 1, flags, out_len, out_flags)
    return errno, guest.bytes(buf, guest.u32(out_len)) if errno == 0 else b"", guest.u16(out_flags)


def send(guest, fd, payload):
    out = guest.alloc(4, 4)
    errno = guest("sock_send", fd, guest.iovecs(guest.put(payload)), 1, 0, out)
    return errno, guest.u32(out)


def test_listener_fdstat(net_guest):
    ptr = net_guest.alloc(24)
    assert net_guest("fd_fdstat_get", 4, ptr) == 0
    assert net_guest.data[ptr] == Filetype.SOCKET_STREAM
    assert net_guest("fd_prestat_get", 4, 0) == Errno.BADF


def test_accept_recv_send_shutdown(net_guest, listener):
    client = socket.create_connection(listener.getsockname())
    try:
        errno, conn = accept(net_guest)
        assert errno == 0 and conn == 5
        client.sendall(b"ping!")
        assert recv(net_guest, conn, 4, flags=1) == (0, b"ping", 0)  # peek leaves the data
        assert recv(net_guest, conn, 5) == (0, b"ping!", 0)
        assert send(net_guest, conn, b"pong") == (0, 4)
        assert client.recv(16) == b"pong"
        assert net_guest.write(conn, b"via fd_write") == (0, 12)
        assert client.recv(64) == b"via fd_write"
        client.sendall(b"via fd_read")
        assert net_guest.read(conn, 64) == (0, b"via fd_read")
        assert net_guest("fd_seek", conn, 0, 0, 0) == Errno.SPIPE
        assert net_guest("sock_shutdown", conn, 2) == 0
        assert client.recv(16) == b""  # the guest closed its write side
        assert net_guest("sock_shutdown", conn, 0) == Errno.INVAL
        assert net_guest("fd_close", conn) == 0
    finally:
        client.close()


def test_waitall_and_peek_flags(net_guest, listener):
    client = socket.create_connection(listener.getsockname())
    try:
        _, conn = accept(net_guest)
        client.sendall(b"abcdef")
        assert recv(net_guest, conn, 3, flags=1) == (0, b"abc", 0)
        assert recv(net_guest, conn, 6, flags=2) == (0, b"abcdef", 0)
    finally:
        client.close()


def test_nonblocking_listener_without_client_is_eagain(net_guest):
    assert net_guest("fd_fdstat_set_flags", 4, 4) == 0  # sock_accept's flags only apply to the new socket
    assert accept(net_guest) == (Errno.AGAIN, None)


def test_nonblocking_recv_and_poll(net_guest, listener):
    client = socket.create_connection(listener.getsockname())
    try:
        _, conn = accept(net_guest, flags=4)
        assert recv(net_guest, conn, 8)[0] == Errno.AGAIN
        sub = bytearray(48)
        struct.pack_into("<QB", sub, 0, 9, 1)
        struct.pack_into("<I", sub, 16, conn)
        client.sendall(b"x")
        out_ptr, count, in_ptr = net_guest.alloc(32), net_guest.alloc(4, 4), net_guest.alloc(48)
        net_guest.data[in_ptr : in_ptr + 48] = sub
        assert net_guest("poll_oneoff", in_ptr, out_ptr, 1, count) == 0
        assert net_guest.u32(count) == 1 and net_guest.u64(out_ptr) == 9
        assert recv(net_guest, conn, 8)[:2] == (0, b"x")
        assert net_guest("fd_fdstat_set_flags", conn, 0) == 0  # back to blocking
        assert net_guest("fd_fdstat_set_flags", conn, 1) == Errno.INVAL
    finally:
        client.close()


def test_socket_calls_on_wrong_descriptors(net_guest):
    assert recv(net_guest, 4, 8)[0] == Errno.NOTCONN  # a listener is not connected
    assert send(net_guest, 1, b"x")[0] == Errno.NOTSOCK
    assert accept(net_guest, flags=1)[0] == Errno.INVAL
    with pytest.raises(Trap):
        net_guest("sock_send", 4, 0, 0, 1, 0)


def test_bad_socket_values(tmp_path):
    with pytest.raises(PywazError, match="socket"):
        Wasi(WasiConfig(sockets=[object()]))
    closed = socket.socket()
    closed.close()
    with pytest.raises(PywazError, match="closed"):
        Wasi(WasiConfig(sockets=[closed]))


def test_send_and_recv_use_the_first_non_empty_buffer(net_guest, listener):
    """As fd_write/fd_read (and wasmtime's preview1): one buffer a call, so a call's work is bounded."""
    client = socket.create_connection(listener.getsockname())
    try:
        _, conn = accept(net_guest)
        out = net_guest.alloc(4, 4)
        iov = net_guest.iovecs(net_guest.put(b""), net_guest.put(b"first"), net_guest.put(b"second"))
        assert net_guest("sock_send", conn, iov, 3, 0, out) == 0 and net_guest.u32(out) == 5
        assert client.recv(64) == b"first"
        client.sendall(b"abcdef")
        a, b = net_guest.alloc(4), net_guest.alloc(8)
        out_len, out_flags = net_guest.alloc(4, 4), net_guest.alloc(2, 2)
        iov = net_guest.iovecs((b, 0), (a, 4), (b, 8))
        assert net_guest("sock_recv", conn, iov, 3, 0, out_len, out_flags) == 0
        assert net_guest.u32(out_len) == 4 and net_guest.bytes(a, 4) == b"abcd"
        assert recv(net_guest, conn, 8) == (0, b"ef", 0)
    finally:
        client.close()
