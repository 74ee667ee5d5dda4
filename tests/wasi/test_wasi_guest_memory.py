"""Guest pointers: bounds and alignment checks, trap vs EFAULT policy, memory growth."""

from __future__ import annotations

import pytest

from pywaz import PywazError, Trap, TrapKind
from pywaz.wasi import Errno, Wasi, WasiConfig

from _wasiguest import Guest, new_memory

END = 65536


@pytest.mark.parametrize(
    "name, args",
    [
        ("args_sizes_get", (END - 2, 0)),
        ("args_sizes_get", (0, END)),
        ("clock_time_get", (0, 0, END - 4)),
        ("random_get", (END - 10, 11)),
        ("fd_fdstat_get", (3, END - 16)),
        ("fd_prestat_get", (3, END - 4)),
        ("fd_filestat_get", (3, END - 8)),
        ("fd_write", (1, END - 4, 1, 0)),
        ("fd_read", (0, 0, 9000, 0)),  # 72000 bytes of iovecs: past memory, within the 128 MiB budget
        ("path_open", (3, 0, END - 2, 5, 0, 0, 0, 0, 0)),
        ("path_create_directory", (3, 2**32 - 1, 2)),
        ("poll_oneoff", (0, END - 32, 2, 0)),
    ],
)
def test_out_of_bounds_pointer_traps_by_default(guest, name, args):
    with pytest.raises(Trap) as info:
        guest(name, *args)
    assert info.value.kind is TrapKind.OUT_OF_BOUNDS_MEMORY
    assert name in str(info.value)


def test_iovec_buffer_out_of_bounds_traps(guest):
    iov = guest.iovecs((END - 4, 10))
    with pytest.raises(Trap, match="out of bounds"):
        guest("fd_write", 1, iov, 1, 0)


@pytest.mark.parametrize(
    "name, args",
    [
        ("args_sizes_get", (1, 8)),
        ("clock_time_get", (1, 0, 4)),
        ("fd_fdstat_get", (3, 4)),
        ("path_open", (3, 0, 100, 1, 0, 0, 0, 0, 2)),
        ("fd_write", (1, 2, 0, 8)),
    ],
)
def test_misaligned_pointer_traps_like_wasmtime(guest, name, args):
    guest.data[100] = ord(".")
    with pytest.raises(Trap, match="aligned"):
        guest(name, *args)


def test_errno_policy_returns_efault(make_guest):
    guest = make_guest(memory_fault="errno")
    assert guest("args_sizes_get", END - 2, 0) == Errno.FAULT
    assert guest("fd_write", 1, guest.iovecs((END - 4, 10)), 1, 0) == Errno.FAULT
    assert guest("clock_time_get", 0, 0, 3) == Errno.FAULT


def test_unknown_policy_is_rejected_at_creation():
    with pytest.raises(PywazError, match="memory_fault"):
        Wasi(WasiConfig(memory_fault="ignore"))


def test_memory_data_is_read_fresh_after_growth(make_guest):
    guest = make_guest()
    memory = guest.memory
    memory.data = bytearray(memory.data)  # as Memory.grow may do when the old buffer is pinned
    assert memory.grow(1) == 1
    assert guest("clock_time_get", 1, 0, END + 8) == 0
    assert guest.u64(END + 8) > 0


def test_imports_need_bind_and_use_the_bound_memory(sandbox):
    wasi = Wasi(WasiConfig(args=["a", "bc"]))
    imports = wasi.imports()
    params, results, args_sizes_get = imports["args_sizes_get"]
    with pytest.raises(Trap, match="bind"):
        args_sizes_get(0, 4)

    class FakeInstance:
        exports = {"memory": new_memory()}

    wasi.bind(FakeInstance())
    assert args_sizes_get(0, 4) == 0
    guest = Guest(wasi, FakeInstance.exports["memory"])
    assert (guest.u32(0), guest.u32(4)) == (2, 5)
    with pytest.raises(PywazError, match="memory"):
        wasi.bind(object())
    wasi.close()


def test_bad_config_values_raise_pywaz_errors(tmp_path):
    with pytest.raises(PywazError, match="preopen"):
        Wasi(WasiConfig(preopens=[("/x", tmp_path / "missing")]))
    with pytest.raises(PywazError, match="stdio"):
        Wasi(WasiConfig(stdout=tmp_path / "missing-dir" / "out"))
    with pytest.raises(PywazError, match="unsupported"):
        Wasi(WasiConfig(stdin=3.5))
