"""args/environ, clocks, random_get, proc_*, sched_yield and sock_* (preview1)."""

from __future__ import annotations

import time

import pytest

from pywaz import ExitError, Trap, TrapKind
from pywaz.wasi import SIGNATURES, Errno
from pywaz.ir import I32, I64


def test_every_preview1_function_is_provided_with_its_witx_signature(guest):
    assert len(SIGNATURES) == 46
    assert SIGNATURES["path_open"] == ((I32, I32, I32, I32, I32, I64, I64, I32, I32), (I32,))
    assert SIGNATURES["proc_exit"] == ((I32,), ())
    assert SIGNATURES["fd_seek"] == ((I32, I64, I32, I32), (I32,))
    assert set(guest.wasi.functions()) == set(SIGNATURES)


def test_args_sizes_and_layout(make_guest):
    guest = make_guest(args=["prog", "héllo", b"raw\xff"])
    assert guest("args_sizes_get", 0, 4) == 0
    expected = [b"prog", "héllo".encode(), b"raw\xff"]
    assert guest.u32(0) == 3
    assert guest.u32(4) == sum(len(a) + 1 for a in expected)
    assert guest("args_get", 16, 100) == 0
    pointers = [guest.u32(16 + 4 * i) for i in range(3)]
    assert pointers[0] == 100
    for ptr, arg in zip(pointers, expected):
        assert guest.bytes(ptr, len(arg) + 1) == arg + b"\0"
    assert pointers[2] + len(expected[2]) + 1 == 100 + guest.u32(4)


def test_environ_layout(make_guest):
    guest = make_guest(env={"HOME": "/sandbox", "EMPTY": ""})
    assert guest("environ_sizes_get", 0, 4) == 0
    assert (guest.u32(0), guest.u32(4)) == (2, len(b"HOME=/sandbox\0EMPTY=\0"))
    assert guest("environ_get", 8, 64) == 0
    assert guest.bytes(guest.u32(8), 14) == b"HOME=/sandbox\0"
    assert guest.bytes(guest.u32(12), 7) == b"EMPTY=\0"


def test_no_args_writes_zero_sizes(guest):
    guest.data[0:8] = b"\xff" * 8
    assert guest("args_sizes_get", 0, 4) == 0
    assert guest.u32(0) == 0 and guest.u32(4) == 0
    assert guest("args_get", 0, 4) == 0


@pytest.mark.parametrize("clock_id", [0, 1, 2, 3])
def test_clock_res_get_is_positive(guest, clock_id):
    assert guest("clock_res_get", clock_id, 8) == 0
    assert guest.u64(8) >= 1


def test_clock_time_get_reads_each_clock(guest):
    assert guest("clock_time_get", 0, 0, 0) == 0
    assert abs(guest.u64(0) - time.time_ns()) < 5 * 10**9
    assert guest("clock_time_get", 1, 0, 8) == 0
    first = guest.u64(8)
    assert guest("clock_time_get", 1, 0, 8) == 0
    assert guest.u64(8) >= first
    for clock_id in (2, 3):
        assert guest("clock_time_get", clock_id, 1000, 16) == 0
        before = guest.u64(16)
        sum(range(200000))  # burn a little CPU so the cputime clocks advance
        assert guest("clock_time_get", clock_id, 1000, 16) == 0
        assert guest.u64(16) > before


def test_invalid_clock_id_traps_like_wasmtime(guest):
    with pytest.raises(Trap) as info:
        guest("clock_time_get", 4, 0, 0)
    assert info.value.kind is TrapKind.HOST_ERROR
    assert "clockid" in str(info.value)
    with pytest.raises(Trap):
        guest("clock_res_get", 99, 0)


def test_random_get_fills_exactly_the_buffer(guest):
    guest.data[0:80] = bytes(80)
    assert guest("random_get", 8, 64) == 0
    assert guest.data[0:8] == bytes(8) and guest.data[72:80] == bytes(8)
    first = guest.bytes(8, 64)
    assert guest("random_get", 8, 64) == 0
    assert guest.bytes(8, 64) != first  # 2**-512 chance of a false failure
    assert guest("random_get", 0, 0) == 0


def test_proc_exit_raises_exit_error_with_code(guest):
    with pytest.raises(ExitError) as info:
        guest("proc_exit", 42)
    assert info.value.code == 42


def test_proc_raise_and_sched_yield(guest):
    assert guest("proc_raise", 9) == Errno.NOSYS
    assert guest("sched_yield") == 0


@pytest.mark.parametrize("fd", [0, 1, 3])
def test_socket_calls_on_non_sockets_are_enotsock(guest, fd):
    assert guest("sock_accept", fd, 0, 0) == Errno.NOTSOCK
    assert guest("sock_recv", fd, 0, 0, 0, 0, 4) == Errno.NOTSOCK
    assert guest("sock_send", fd, 0, 0, 0, 0) == Errno.NOTSOCK
    assert guest("sock_shutdown", fd, 3) == Errno.NOTSOCK


def test_socket_calls_on_closed_fd_are_ebadf(guest):
    assert guest("sock_accept", 77, 0, 0) == Errno.BADF
    assert guest("sock_recv", 77, 0, 0, 0, 0, 4) == Errno.BADF
    assert guest("sock_send", 77, 0, 0, 0, 0) == Errno.BADF
    assert guest("sock_shutdown", 77, 1) == Errno.BADF


def test_socket_flag_values_are_checked(guest):
    with pytest.raises(Trap):
        guest("sock_shutdown", 0, 4)
    with pytest.raises(Trap):
        guest("sock_recv", 0, 0, 0, 4, 0, 4)


def test_errno_constants_match_the_witx_order():
    from pywaz.wasi.codes import ERRNO_NAMES

    assert len(ERRNO_NAMES) == 77 and ERRNO_NAMES[76] == "NOTCAPABLE"
    for name, value in vars(Errno).items():
        if name.isupper():
            assert ERRNO_NAMES[value] == ("2BIG" if name == "TOOBIG" else name)
