"""Embedding: stdio on host fds, fd lifetimes, linking into a Runtime and run_command."""

from __future__ import annotations

import os

import pytest

import pywaz
from pywaz import ExitError, PywazError, Trap
from pywaz.text import wat2wasm
from pywaz.wasi import Errno, Wasi, WasiConfig, link, run_command


def test_stdout_to_inherited_host_fd(make_guest):
    read_end, write_end = os.pipe()
    try:
        guest = make_guest(stdout=write_end)
        assert guest.write(1, b"through a pipe") == (0, 14)
        assert os.read(read_end, 100) == b"through a pipe"
        guest.wasi.close()
        os.write(write_end, b"!")  # not owned: still open after close()
    finally:
        os.close(read_end)
        os.close(write_end)


def test_broken_pipe_is_epipe_not_an_exception(make_guest):
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        guest = make_guest(stdout=write_end)
        assert guest.write(1, b"nobody listens")[0] == Errno.PIPE
    finally:
        os.close(write_end)


def test_close_releases_every_host_fd(sandbox, tmp_path):
    def open_fds():
        return len(os.listdir("/proc/self/fd"))

    before = open_fds()
    wasi = Wasi(WasiConfig(preopens=[("/a", sandbox), ("/b", sandbox / "sub")], stdout=tmp_path / "out"))
    from _wasiguest import Guest, new_memory

    guest = Guest(wasi, new_memory())
    assert guest.open("hello.txt")[0] == 0
    assert guest.open("sub", oflags=2)[0] == 0
    assert open_fds() == before + 5  # two preopens, the stdout file, two opened descriptors
    wasi.close()
    wasi.close()
    assert open_fds() == before
    assert guest.read(3, 1)[0] == Errno.BADF


def test_config_is_frozen_and_copies(sandbox):
    config = WasiConfig().with_args("prog", "x").with_env({"A": "1"}).with_preopen("/s", str(sandbox))
    assert config.args == ("prog", "x")
    assert config.env == (("A", "1"),)
    assert config.preopens == (("/s", str(sandbox)),)
    assert config.with_inherited_stdio().stdout == 1 and config.stdout is None
    with pytest.raises(AttributeError):
        config.args = ()


HELLO_WAT = """(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "hi from wasm\\n")
  (func (export "_start")
    (i32.store (i32.const 0) (i32.const 16))
    (i32.store (i32.const 4) (i32.const 13))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))
    (call $proc_exit (i32.load (i32.const 8))))
  (func (export "fault") (result i32)
    (call $fd_write (i32.const 1) (i32.const 65535) (i32.const 1) (i32.const 8))))
"""


@pytest.mark.parametrize("engine", ["interpreter", "compiler"])
def test_run_command_returns_the_exit_code(engine, tmp_path):
    wasm = wat2wasm(HELLO_WAT)
    out = tmp_path / "out.txt"
    with pywaz.Runtime(engine) as runtime:
        code = run_command(runtime, wasm, WasiConfig(stdout=out))
    assert code == 13  # proc_exit(nwritten)
    assert out.read_bytes() == b"hi from wasm\n"


# Multiple memories: memory 0 is scratch, the exported "memory" (memory 1) holds the iovec and the text.
TWO_MEMORIES_WAT = """(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (memory $scratch 1)
  (memory $shared (export "memory") 1)
  (data (memory $scratch) (i32.const 0) "\\ff\\ff\\ff\\ff\\ff\\ff\\ff\\ff")
  (data (memory $shared) (i32.const 16) "two memories\\n")
  (func (export "_start")
    (i32.store $shared (i32.const 0) (i32.const 16))
    (i32.store $shared (i32.const 4) (i32.const 13))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))
    (call $proc_exit (i32.load $shared (i32.const 8))))
)
"""


@pytest.mark.parametrize("engine", ["interpreter", "compiler"])
def test_wasi_uses_the_memory_exported_as_memory(engine, tmp_path):
    wasm = wat2wasm(TWO_MEMORIES_WAT)
    out = tmp_path / "out.txt"
    with pywaz.Runtime(engine) as runtime:
        assert run_command(runtime, wasm, WasiConfig(stdout=out)) == 13
    assert out.read_bytes() == b"two memories\n"


def test_run_command_without_start_is_an_error():
    wasm = wat2wasm('(module (memory (export "memory") 1))')
    with pywaz.Runtime() as runtime, pytest.raises(PywazError, match="_start"):
        run_command(runtime, wasm)


def test_memory_fault_traps_through_the_runtime():
    wasm = wat2wasm(HELLO_WAT)
    with pywaz.Runtime() as runtime, Wasi() as wasi:
        link(wasi, runtime)
        instance = runtime.instantiate(wasm)
        with pytest.raises(Trap, match="out of bounds"):
            instance.exports["fault"]()
        with pytest.raises(ExitError) as info:
            instance.exports["_start"]()
        assert info.value.code == 13


def test_environment_forms_and_bad_values(sandbox):
    from _wasiguest import Guest, new_memory

    wasi = Wasi(WasiConfig(env=["A=1", ("B", "x=y"), (b"C", b"")]))
    guest = Guest(wasi, new_memory())
    assert guest("environ_get", 0, 64) == 0
    assert guest.bytes(64, 13) == b"A=1\0B=x=y\0C=\0"
    for bad in (["NOEQUALS"], [("A=B", "1")], [("", "1")], [("A", "1", "2")], [("A", "x\0y")]):
        with pytest.raises(PywazError):
            Wasi(WasiConfig(env=bad))
    with pytest.raises(PywazError, match="NUL"):
        Wasi(WasiConfig(args=["a\0b"]))


def test_run_command_twice_in_one_runtime_leaves_no_wasi_module_behind(tmp_path):
    wasm = wat2wasm(HELLO_WAT)
    with pywaz.Runtime() as runtime:
        assert run_command(runtime, wasm, WasiConfig(stdout=tmp_path / "a")) == 13
        assert run_command(runtime, wasm, WasiConfig(stdout=tmp_path / "b")) == 13
        with pytest.raises(pywaz.LinkError):
            runtime.instantiate(wasm)  # its WASI imports were unregistered with the host module
    assert (tmp_path / "b").read_bytes() == b"hi from wasm\n"
