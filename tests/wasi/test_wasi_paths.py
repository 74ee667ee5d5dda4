"""path_* functions inside a preopened directory."""

from __future__ import annotations

import os

import pytest

from pywaz import Trap
from pywaz.wasi import Errno, Filetype, Rights
from pywaz.wasi.codes import Fdflags, Fstflags, Oflags


def test_open_existing_and_missing(guest):
    errno, fd = guest.open("hello.txt")
    assert errno == 0 and guest.read(fd, 100) == (0, b"hello world")
    assert guest.open("missing.txt") == (Errno.NOENT, None)
    assert guest.open("") == (Errno.NOENT, None)
    assert guest.open("missing/x.txt", oflags=Oflags.CREAT) == (Errno.NOENT, None)


def test_open_relative_forms_inside_the_sandbox(guest):
    for path in ("sub/../hello.txt", "./hello.txt", "sub//inner.txt", "sub/./inner.txt"):
        errno, fd = guest.open(path)
        assert errno == 0, path
        guest("fd_close", fd)


def test_open_create_exclusive_truncate(guest, sandbox):
    errno, fd = guest.open("made.txt", oflags=Oflags.CREAT | Oflags.EXCL)
    assert errno == 0 and (sandbox / "made.txt").exists()
    assert guest.open("made.txt", oflags=Oflags.CREAT | Oflags.EXCL)[0] == Errno.EXIST
    assert guest.open(".", oflags=Oflags.CREAT | Oflags.EXCL)[0] == Errno.EXIST
    errno, fd = guest.open("hello.txt", oflags=Oflags.TRUNC)
    assert errno == 0 and (sandbox / "hello.txt").read_bytes() == b""


def test_open_directory_flag(guest):
    errno, fd = guest.open("sub", oflags=Oflags.DIRECTORY)
    assert errno == 0
    assert guest.open("hello.txt", oflags=Oflags.DIRECTORY)[0] == Errno.NOTDIR
    assert guest.open("hello.txt/")[0] == Errno.NOTDIR
    assert guest.open("hello.txt/x")[0] == Errno.NOTDIR
    assert guest.open("sub", oflags=Oflags.TRUNC)[0] == Errno.ISDIR
    errno, fd = guest.open(".", rights=Rights.FD_READDIR)
    assert errno == 0


def test_open_append(guest, sandbox):
    errno, fd = guest.open("hello.txt", fdflags=Fdflags.APPEND, rights=Rights.FD_WRITE)
    assert errno == 0
    assert guest.write(fd, b"!!") == (0, 2)
    assert (sandbox / "hello.txt").read_bytes() == b"hello world!!"


def test_open_beneath_an_opened_directory(guest):
    _, sub = guest.open("sub", oflags=Oflags.DIRECTORY)
    errno, fd = guest.open("inner.txt", fd=sub)
    assert errno == 0 and guest.read(fd, 10) == (0, b"inner")
    assert guest.open("inner.txt", fd=fd)[0] == Errno.BADF  # a file is no directory (wasmtime: EBADF)
    assert guest.open("inner.txt", fd=0)[0] == Errno.BADF
    assert guest.open("inner.txt", fd=77)[0] == Errno.BADF


@pytest.mark.parametrize("argument, value", [("oflags", 16), ("fdflags", 32), ("rights", 1 << 30)])
def test_open_undefined_flags_trap(guest, argument, value):
    with pytest.raises(Trap):
        guest.open("hello.txt", **{argument: value})


def test_open_symlink_follow_and_nofollow(guest, sandbox):
    os.symlink("hello.txt", sandbox / "link")
    os.symlink("sub", sandbox / "dirlink")
    errno, fd = guest.open("link", follow=True)
    assert errno == 0 and guest.read(fd, 5) == (0, b"hello")
    assert guest.open("link", follow=False)[0] == Errno.LOOP
    errno, fd = guest.open("dirlink/inner.txt", follow=False)  # only the last component is not followed
    assert errno == 0


def test_open_create_through_dangling_symlink_inside(guest, sandbox):
    os.symlink("sub/created.txt", sandbox / "dangling")
    errno, fd = guest.open("dangling", oflags=Oflags.CREAT)
    assert errno == 0 and (sandbox / "sub" / "created.txt").exists()


def test_invalid_path_strings(guest):
    ptr, size = guest.put(b"a\0b")
    assert guest("path_open", 3, 0, ptr, size, 0, 0, 0, 0, 0) == Errno.INVAL
    ptr, size = guest.put(b"\xff\xfe")
    assert guest("path_open", 3, 0, ptr, size, 0, 0, 0, 0, 0) == Errno.ILSEQ


def test_create_and_remove_directory(guest, sandbox):
    assert guest("path_create_directory", 3, *guest.str("newdir")) == 0
    assert (sandbox / "newdir").is_dir()
    assert guest("path_create_directory", 3, *guest.str("newdir")) == Errno.EXIST
    assert guest("path_create_directory", 3, *guest.str("a/b")) == Errno.NOENT
    assert guest("path_create_directory", 3, *guest.str("sub/deeper/")) == 0
    assert (sandbox / "sub" / "deeper").is_dir()
    assert guest("path_remove_directory", 3, *guest.str("sub")) == Errno.NOTEMPTY
    assert guest("path_remove_directory", 3, *guest.str("hello.txt")) == Errno.NOTDIR
    assert guest("path_remove_directory", 3, *guest.str(".")) == Errno.INVAL
    assert guest("path_remove_directory", 3, *guest.str("newdir")) == 0
    assert not (sandbox / "newdir").exists()
    assert guest("path_remove_directory", 3, *guest.str("newdir")) == Errno.NOENT


def test_unlink_file(guest, sandbox):
    os.symlink("sub", sandbox / "dirlink")
    assert guest("path_unlink_file", 3, *guest.str("sub")) == Errno.ISDIR
    assert guest("path_unlink_file", 3, *guest.str("dirlink")) == 0  # removes the link, not the target
    assert (sandbox / "sub").is_dir() and not (sandbox / "dirlink").exists()
    assert guest("path_unlink_file", 3, *guest.str("hello.txt/")) == Errno.NOTDIR
    assert guest("path_unlink_file", 3, *guest.str("hello.txt")) == 0
    assert guest("path_unlink_file", 3, *guest.str("hello.txt")) == Errno.NOENT


def test_rename(guest, sandbox):
    _, sub = guest.open("sub", oflags=Oflags.DIRECTORY)
    assert guest("path_rename", 3, *guest.str("hello.txt"), sub, *guest.str("moved.txt")) == 0
    assert (sandbox / "sub" / "moved.txt").read_bytes() == b"hello world"
    assert guest("path_rename", 3, *guest.str("hello.txt"), 3, *guest.str("x")) == Errno.NOENT
    assert guest("path_rename", sub, *guest.str("moved.txt/"), 3, *guest.str("x")) == Errno.NOTDIR
    (sandbox / "other").mkdir()
    (sandbox / "other" / "f").write_bytes(b"")
    assert guest("path_rename", 3, *guest.str("sub"), 3, *guest.str("other")) == Errno.NOTEMPTY
    assert guest("path_rename", 3, *guest.str("sub"), 3, *guest.str("renamed/")) == 0
    assert (sandbox / "renamed" / "moved.txt").exists()


def test_link(guest, sandbox):
    assert guest("path_link", 3, 0, *guest.str("hello.txt"), 3, *guest.str("hard")) == 0
    assert os.stat(sandbox / "hard").st_ino == os.stat(sandbox / "hello.txt").st_ino
    assert guest("path_link", 3, 0, *guest.str("hello.txt"), 3, *guest.str("hard")) == Errno.EXIST
    assert guest("path_link", 3, 0, *guest.str("sub"), 3, *guest.str("dirhard")) == Errno.PERM
    os.symlink("hello.txt", sandbox / "soft")
    assert guest("path_link", 3, 1, *guest.str("soft"), 3, *guest.str("followed")) == 0
    assert os.stat(sandbox / "followed").st_ino == os.stat(sandbox / "hello.txt").st_ino
    assert guest("path_link", 3, 0, *guest.str("soft"), 3, *guest.str("notfollowed")) == 0
    assert os.path.islink(sandbox / "notfollowed")


def test_symlink_and_readlink(guest, sandbox):
    assert guest("path_symlink", *guest.str("sub/inner.txt"), 3, *guest.str("ln")) == 0
    assert os.readlink(sandbox / "ln") == "sub/inner.txt"
    buf = guest.alloc(64)
    assert guest("path_readlink", 3, *guest.str("ln"), buf, 64, 0) == 0
    assert guest.u32(0) == 13 and guest.bytes(buf, 13) == b"sub/inner.txt"
    assert guest("path_readlink", 3, *guest.str("ln"), buf, 3, 0) == 0
    assert guest.u32(0) == 3 and guest.bytes(buf, 3) == b"sub"
    assert guest("path_readlink", 3, *guest.str("hello.txt"), buf, 64, 0) == Errno.INVAL
    assert guest("path_symlink", *guest.str("x"), 3, *guest.str("ln")) == Errno.EXIST
    assert guest("path_symlink", *guest.str("../outside"), 3, *guest.str("up")) == 0  # creating is allowed
    assert os.readlink(sandbox / "up") == "../outside"


def test_path_filestat_get_follow_and_nofollow(guest, sandbox):
    os.symlink("hello.txt", sandbox / "link")
    errno, stat = guest.path_filestat("link", follow=True)
    assert errno == 0 and stat["filetype"] == Filetype.REGULAR_FILE and stat["size"] == 11
    errno, stat = guest.path_filestat("link", follow=False)
    assert errno == 0 and stat["filetype"] == Filetype.SYMBOLIC_LINK and stat["size"] == len("hello.txt")
    errno, stat = guest.path_filestat("sub")
    assert errno == 0 and stat["filetype"] == Filetype.DIRECTORY
    assert stat["ino"] == os.stat(sandbox / "sub").st_ino
    assert guest.path_filestat("nope")[0] == Errno.NOENT
    assert guest.path_filestat("hello.txt/")[0] == Errno.NOTDIR
    with pytest.raises(Trap):
        guest("path_filestat_get", 3, 2, *guest.str("sub"), 0)


def test_path_filestat_set_times(guest, sandbox):
    os.symlink("hello.txt", sandbox / "link")
    flags = Fstflags.ATIM | Fstflags.MTIM
    assert guest("path_filestat_set_times", 3, 1, *guest.str("link"), 3_000_000_000, 4_000_000_000, flags) == 0
    info = os.stat(sandbox / "hello.txt")
    assert (info.st_atime_ns, info.st_mtime_ns) == (3_000_000_000, 4_000_000_000)
    assert guest("path_filestat_set_times", 3, 0, *guest.str("link"), 5_000_000_000, 6_000_000_000, flags) == 0
    assert os.lstat(sandbox / "link").st_mtime_ns == 6_000_000_000
    assert os.stat(sandbox / "hello.txt").st_mtime_ns == 4_000_000_000
    assert guest("path_filestat_set_times", 3, 0, *guest.str("x"), 0, 0, flags) == Errno.NOENT


def test_path_rights_are_enforced(guest):
    base = Rights.DIRECTORY_BASE & ~(Rights.PATH_CREATE_DIRECTORY | Rights.PATH_UNLINK_FILE | Rights.PATH_OPEN)
    assert guest("fd_fdstat_set_rights", 3, base, Rights.DIRECTORY_INHERITING) == 0
    assert guest("path_create_directory", 3, *guest.str("d")) == Errno.NOTCAPABLE
    assert guest("path_unlink_file", 3, *guest.str("hello.txt")) == Errno.NOTCAPABLE
    assert guest.open("hello.txt")[0] == Errno.NOTCAPABLE
    assert guest.path_filestat("hello.txt")[0] == 0


def test_path_calls_on_files_and_streams(guest):
    _, fd = guest.open("hello.txt")
    assert guest("path_create_directory", fd, *guest.str("d")) == Errno.BADF  # as wasmtime
    assert guest("path_create_directory", 1, *guest.str("d")) == Errno.BADF
    assert guest("path_unlink_file", 99, *guest.str("d")) == Errno.BADF
