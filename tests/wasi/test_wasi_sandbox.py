"""No guest path may leave its preopened directory: each escape route is tried."""

from __future__ import annotations

import os
import shutil
import threading

import pytest

from pywaz.wasi import Errno
from pywaz.wasi.codes import Oflags
from pywaz.wasi.sandbox import resolve
from pywaz.wasi.guest import WasiError

ESCAPES = [
    "..",
    "../secret.txt",
    "sub/../../secret.txt",
    "sub/../sub/../../secret.txt",
    "/etc/passwd",
    "/",
    "./../sandbox/hello.txt",  # even a path that leads back inside is refused once it leaves
]


@pytest.mark.parametrize("path", ESCAPES)
def test_dotdot_and_absolute_paths_are_refused(guest, path):
    assert guest.open(path) == (Errno.PERM, None)
    assert guest.path_filestat(path)[0] == Errno.PERM


@pytest.mark.parametrize("path", ["../evil", "sub/../../evil", "/tmp/evil"])
def test_every_path_call_refuses_escapes(guest, sandbox, path):
    outside = sandbox.parent
    assert guest("path_create_directory", 3, *guest.str(path)) == Errno.PERM
    assert guest("path_unlink_file", 3, *guest.str("../secret.txt")) == Errno.PERM
    assert guest("path_remove_directory", 3, *guest.str(path)) == Errno.PERM
    assert guest("path_rename", 3, *guest.str("hello.txt"), 3, *guest.str(path)) == Errno.PERM
    assert guest("path_rename", 3, *guest.str("../secret.txt"), 3, *guest.str("stolen")) == Errno.PERM
    assert guest("path_link", 3, 0, *guest.str("../secret.txt"), 3, *guest.str("stolen")) == Errno.PERM
    assert guest("path_link", 3, 0, *guest.str("hello.txt"), 3, *guest.str(path)) == Errno.PERM
    assert guest("path_symlink", *guest.str("hello.txt"), 3, *guest.str(path)) == Errno.PERM
    assert guest("path_readlink", 3, *guest.str(path), 0, 10, 16) == Errno.PERM
    assert guest("path_filestat_set_times", 3, 0, *guest.str("../secret.txt"), 0, 0, 2) == Errno.PERM
    assert guest.open(path, oflags=Oflags.CREAT)[0] == Errno.PERM
    assert not (outside / "evil").exists()
    assert (outside / "secret.txt").read_bytes() == b"TOP SECRET"
    assert not (sandbox / "stolen").exists()


def test_symlink_to_absolute_path(guest, sandbox):
    os.symlink("/etc", sandbox / "abs")
    assert guest.open("abs/passwd") == (Errno.PERM, None)
    assert guest.open("abs", follow=True) == (Errno.PERM, None)
    assert guest.open("abs", follow=False) == (Errno.LOOP, None)  # O_NOFOLLOW on a symlink
    assert guest.path_filestat("abs", follow=True)[0] == Errno.PERM
    assert guest.path_filestat("abs", follow=False)[0] == 0  # the link itself is inside


def test_relative_symlink_climbing_out(guest, sandbox):
    os.symlink("../..", sandbox / "sub" / "up")
    os.symlink("../secret.txt", sandbox / "leak")
    assert guest.open("sub/up/secret.txt") == (Errno.PERM, None)
    assert guest.open("leak") == (Errno.PERM, None)
    assert guest.open("sub/up", follow=False) == (Errno.LOOP, None)
    assert guest.open("leak", oflags=Oflags.CREAT) == (Errno.PERM, None)


def test_symlink_chain_escaping(guest, sandbox):
    os.symlink("b", sandbox / "a")
    os.symlink("sub/c", sandbox / "b")
    os.symlink("../../secret.txt", sandbox / "sub" / "c")
    assert guest.open("a") == (Errno.PERM, None)


def test_symlink_chain_staying_inside_is_fine(guest, sandbox):
    os.symlink("b", sandbox / "a")
    os.symlink("sub/c", sandbox / "b")
    os.symlink("../hello.txt", sandbox / "sub" / "c")
    errno, fd = guest.open("a")
    assert errno == 0 and guest.read(fd, 5) == (0, b"hello")


def test_dangling_symlink_create_outside_is_refused(guest, sandbox):
    os.symlink("../created-outside", sandbox / "trap")
    assert guest.open("trap", oflags=Oflags.CREAT) == (Errno.PERM, None)
    assert not (sandbox.parent / "created-outside").exists()


def test_symlink_loops(guest, sandbox):
    os.symlink("loop", sandbox / "loop")
    os.symlink("ping", sandbox / "pong")
    os.symlink("pong", sandbox / "ping")
    assert guest.open("loop") == (Errno.LOOP, None)
    assert guest.open("ping/x") == (Errno.LOOP, None)


def test_dotdot_is_relative_to_the_descriptor_not_the_host(guest, sandbox, tmp_path):
    """A directory fd moved outside the sandbox still cannot reach its new parent."""
    errno, sub = guest.open("sub", oflags=Oflags.DIRECTORY)
    assert errno == 0
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "neighbour.txt").write_bytes(b"not yours")
    os.rename(sandbox / "sub", elsewhere / "sub")
    assert guest.open("../neighbour.txt", fd=sub) == (Errno.PERM, None)
    assert guest.open("..", fd=sub) == (Errno.PERM, None)
    errno, fd = guest.open("inner.txt", fd=sub)  # what is beneath it is still reachable
    assert errno == 0


def test_directory_replaced_by_symlink_between_calls(guest, sandbox, tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "inner.txt").write_bytes(b"outside!")
    assert guest.open("sub/inner.txt")[0] == 0
    shutil.rmtree(sandbox / "sub")
    os.symlink(str(outside), sandbox / "sub")
    assert guest.open("sub/inner.txt") == (Errno.PERM, None)


def test_swap_race_never_reaches_outside(guest, sandbox, tmp_path):
    """A thread flips `d` between a real directory and a symlink to outside while the guest opens d/f."""
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "f").write_bytes(b"OUTSIDE")
    inside = sandbox / "d_real"
    inside.mkdir()
    (inside / "f").write_bytes(b"inside")
    os.symlink(str(outside), sandbox / "d_evil")
    os.symlink("d_real", sandbox / "d_good")
    stop = threading.Event()

    def flipper():
        while not stop.is_set():
            for source in ("d_evil", "d_good"):
                os.symlink(os.readlink(sandbox / source), sandbox / "d_tmp")
                os.replace(sandbox / "d_tmp", sandbox / "d")

    thread = threading.Thread(target=flipper)
    thread.start()
    results = set()
    try:
        for _ in range(400):
            errno, fd = guest.open("d/f")
            if errno == 0:
                results.add(guest.read(fd, 10)[1])
                guest("fd_close", fd)
            else:
                results.add(errno)
    finally:
        stop.set()
        thread.join()
    assert b"OUTSIDE" not in results
    assert results <= {b"inside", Errno.PERM, Errno.NOENT, Errno.LOOP, Errno.NOTDIR}


def test_resolver_directly(sandbox):
    root = os.open(sandbox, os.O_RDONLY | os.O_DIRECTORY)
    try:
        with resolve(root, "sub/inner.txt", follow_final=False) as target:
            assert target.name == "inner.txt" and target.dir_fd != root
            assert os.stat(target.name, dir_fd=target.dir_fd).st_size == 5
        with resolve(root, "sub/..", follow_final=True) as target:
            assert (target.name, target.dir_fd) == (".", root)
        with resolve(root, "sub/", follow_final=False) as target:
            assert target.name == "sub" and target.must_be_directory
        with pytest.raises(WasiError) as info:
            resolve(root, "sub/../..", follow_final=False)
        assert info.value.errno == Errno.PERM
        before = len(os.listdir("/proc/self/fd"))
        for _ in range(50):
            with resolve(root, "sub/../sub/inner.txt", follow_final=True):
                pass
        assert len(os.listdir("/proc/self/fd")) == before  # no fd leaks on success
    finally:
        os.close(root)
