"""fd_* functions on stdio streams, files and directories."""

from __future__ import annotations

import io
import os
import struct

import pytest

from pywaz import Trap
from pywaz.wasi import Errno, Filetype, Rights
from pywaz.wasi.codes import Fdflags, Fstflags, Oflags


def fdstat(guest, fd):
    ptr = guest.alloc(24)
    errno = guest("fd_fdstat_get", fd, ptr)
    filetype, flags, base, inheriting = struct.unpack_from("<BxHxxxxQQ", guest.data, ptr)
    return errno, filetype, flags, base, inheriting


def test_fdstat_of_stdio_and_preopen_match_wasmtime(guest):
    assert fdstat(guest, 0) == (0, Filetype.UNKNOWN, 0, Rights.FD_READ, Rights.FD_READ)
    assert fdstat(guest, 1) == (0, Filetype.UNKNOWN, 0, Rights.FD_WRITE, Rights.FD_WRITE)
    assert fdstat(guest, 3) == (0, Filetype.DIRECTORY, 0, 0x07B7FE00, 0x0FF7FFFF)
    assert fdstat(guest, 9)[0] == Errno.BADF


def test_prestat_and_dir_name(make_guest, sandbox, tmp_path):
    other = tmp_path / "other"
    other.mkdir()
    guest = make_guest(preopens=[("/sandbox", str(sandbox)), ("data", other)])
    assert guest("fd_prestat_get", 3, 0) == 0
    assert (guest.data[0], guest.u32(4)) == (0, len("/sandbox"))
    assert guest("fd_prestat_get", 4, 0) == 0 and guest.u32(4) == 4
    assert guest("fd_prestat_dir_name", 3, 100, 8) == 0
    assert guest.bytes(100, 8) == b"/sandbox"
    assert guest("fd_prestat_dir_name", 3, 200, 3) == Errno.NAMETOOLONG
    assert guest("fd_prestat_get", 0, 0) == Errno.BADF
    assert guest("fd_prestat_get", 5, 0) == Errno.BADF
    errno, fd = guest.open("sub", oflags=Oflags.DIRECTORY)
    assert errno == 0 and guest("fd_prestat_get", fd, 0) == Errno.BADF


def test_stdout_and_stderr_to_python_streams(make_guest):
    out, err = io.BytesIO(), io.StringIO()
    guest = make_guest(stdout=out, stderr=err)
    iov = guest.iovecs(guest.put(b"hel"), guest.put(b"lo\n"))
    assert guest("fd_write", 1, iov, 2, 0) == 0
    assert guest.u32(0) == 3 and out.getvalue() == b"hel"  # one buffer a call, as wasmtime: a short write
    iov = guest.iovecs(guest.put(b""), guest.put(b"lo\n"), guest.put(b"ignored"))
    assert guest("fd_write", 1, iov, 3, 0) == 0
    assert guest.u32(0) == 3 and out.getvalue() == b"hello\n"  # empty buffers are skipped
    assert guest.write(2, "é!".encode()) == (0, 3)
    assert err.getvalue() == "é!"


def test_stdio_to_host_files(make_guest, tmp_path):
    (tmp_path / "in.txt").write_bytes(b"from a file")
    guest = make_guest(stdin=str(tmp_path / "in.txt"), stdout=tmp_path / "out.txt")
    assert guest.read(0, 100) == (0, b"from a file")
    assert guest.write(1, b"written") == (0, 7)
    guest.wasi.close()
    assert (tmp_path / "out.txt").read_bytes() == b"written"


def test_stdin_reads_fill_the_first_non_empty_buffer(make_guest):
    guest = make_guest(stdin=b"abcdefgh")
    a, b = guest.alloc(3), guest.alloc(10)
    iov = guest.iovecs((a, 0), (a, 3), (b, 10))
    assert guest("fd_read", 0, iov, 3, 0) == 0
    assert guest.u32(0) == 3 and guest.bytes(a, 3) == b"abc"
    assert guest.bytes(b, 10) == bytes(10)  # as wasmtime: one buffer a call, a short read
    assert guest("fd_read", 0, guest.iovecs((b, 10), (a, 3)), 2, 0) == 0
    assert guest.u32(0) == 5 and guest.bytes(b, 5) == b"defgh"
    assert guest.read(0, 4) == (0, b"")  # EOF


def test_default_stdio_is_empty_and_discarding(guest):
    assert guest.read(0, 10) == (0, b"")
    assert guest.write(1, b"gone") == (0, 4)


def test_wrong_direction_on_stdio_and_dirs_is_ebadf(guest):
    assert guest.write(0, b"x")[0] == Errno.BADF
    assert guest.read(1, 4)[0] == Errno.BADF
    assert guest.read(3, 4)[0] == Errno.BADF
    assert guest.write(3, b"x")[0] == Errno.BADF
    assert guest.read(42, 4)[0] == Errno.BADF


def test_streams_are_not_seekable(guest):
    assert guest("fd_seek", 0, 0, 0, 0) == Errno.SPIPE
    assert guest("fd_tell", 1, 0) == Errno.SPIPE
    assert guest("fd_pread", 0, 0, 0, 0, 0) == Errno.SPIPE
    assert guest("fd_pwrite", 1, 0, 0, 0, 0) == Errno.SPIPE
    assert guest("fd_seek", 3, 0, 0, 0) == Errno.BADF
    assert guest("fd_pread", 3, 0, 0, 0, 0) == Errno.BADF


def test_file_ops_on_streams_are_ebadf(guest):
    assert guest("fd_sync", 1) == Errno.BADF
    assert guest("fd_datasync", 1) == Errno.BADF
    assert guest("fd_allocate", 1, 0, 10) == Errno.BADF
    assert guest("fd_advise", 1, 0, 10, 0) == Errno.BADF
    assert guest("fd_filestat_set_size", 1, 0) == Errno.BADF
    assert guest("fd_filestat_set_size", 3, 0) == Errno.BADF
    assert guest("fd_fdstat_set_flags", 1, 1) == Errno.BADF
    assert guest("fd_filestat_set_times", 1, 0, 0, Fstflags.MTIM_NOW) == Errno.BADF


def test_filestat_of_stream_is_zero_with_filetype(guest):
    errno, stat = guest.filestat(0)
    assert errno == 0 and stat == dict(dev=0, ino=0, filetype=0, nlink=0, size=0, atim=0, mtim=0, ctim=0)


def test_read_write_seek_tell_on_a_file(guest, sandbox):
    errno, fd = guest.open("new.bin", oflags=Oflags.CREAT)
    assert errno == 0 and fd == 4
    assert guest.write(fd, b"0123456789") == (0, 10)
    assert guest("fd_tell", fd, 0) == 0 and guest.u64(0) == 10
    assert guest("fd_seek", fd, 2, 0, 0) == 0 and guest.u64(0) == 2
    assert guest.read(fd, 3) == (0, b"234")
    assert guest("fd_seek", fd, (-2) & (2**64 - 1), 1, 0) == 0 and guest.u64(0) == 3
    assert guest("fd_seek", fd, (-1) & (2**64 - 1), 2, 0) == 0 and guest.u64(0) == 9
    assert guest.read(fd, 10) == (0, b"9")
    assert guest("fd_seek", fd, (-100) & (2**64 - 1), 1, 0) == Errno.INVAL
    assert (sandbox / "new.bin").read_bytes() == b"0123456789"


def test_seek_with_undefined_whence_traps(guest):
    with pytest.raises(Trap):
        guest("fd_seek", 0, 0, 3, 0)


def test_pread_pwrite_do_not_move_the_offset(guest, sandbox):
    errno, fd = guest.open("hello.txt")
    assert errno == 0
    buf = guest.alloc(5)
    assert guest("fd_pread", fd, guest.iovecs((buf, 5)), 1, 6, 0) == 0
    assert guest.u32(0) == 5 and guest.bytes(buf, 5) == b"world"
    assert guest("fd_pwrite", fd, guest.iovecs(guest.put(b"W")), 1, 6, 0) == 0 and guest.u32(0) == 1
    assert guest("fd_tell", fd, 8) == 0 and guest.u64(8) == 0
    assert (sandbox / "hello.txt").read_bytes() == b"hello World"
    assert guest("fd_pread", fd, guest.iovecs((buf, 5)), 1, 100, 0) == 0 and guest.u32(0) == 0


def test_read_only_file_refuses_writes_and_write_only_refuses_reads(guest, sandbox):
    errno, fd = guest.open("hello.txt", rights=Rights.FD_READ | Rights.FD_SEEK)
    assert errno == 0
    assert guest.write(fd, b"x")[0] == Errno.BADF
    assert guest("fd_filestat_set_size", fd, 0) == Errno.NOTCAPABLE
    errno, fd2 = guest.open("hello.txt", rights=Rights.FD_WRITE)
    assert errno == 0
    assert guest.read(fd2, 3)[0] == Errno.BADF
    assert guest("fd_seek", fd2, 0, 0, 0) == Errno.NOTCAPABLE
    assert (sandbox / "hello.txt").read_bytes() == b"hello world"


def test_filestat_get_and_set_size(guest, sandbox):
    errno, fd = guest.open("hello.txt")
    errno, stat = guest.filestat(fd)
    host = os.stat(sandbox / "hello.txt")
    assert errno == 0
    assert stat["filetype"] == Filetype.REGULAR_FILE and stat["size"] == 11
    assert (stat["ino"], stat["nlink"], stat["mtim"]) == (host.st_ino, 1, host.st_mtime_ns)
    assert guest("fd_filestat_set_size", fd, 4) == 0
    assert (sandbox / "hello.txt").read_bytes() == b"hell"
    assert guest("fd_filestat_set_size", fd, 6) == 0
    assert (sandbox / "hello.txt").read_bytes() == b"hell\0\0"
    errno, stat = guest.filestat(3)
    assert errno == 0 and stat["filetype"] == Filetype.DIRECTORY


def test_filestat_set_times(guest, sandbox):
    errno, fd = guest.open("hello.txt")
    before = os.stat(sandbox / "hello.txt")
    assert guest("fd_filestat_set_times", fd, 1_000_000_000, 2_000_000_007, Fstflags.ATIM | Fstflags.MTIM) == 0
    after = os.stat(sandbox / "hello.txt")
    assert (after.st_atime_ns, after.st_mtime_ns) == (1_000_000_000, 2_000_000_007)
    assert guest("fd_filestat_set_times", fd, 0, 5_000_000_000, Fstflags.MTIM) == 0
    after = os.stat(sandbox / "hello.txt")
    assert (after.st_atime_ns, after.st_mtime_ns) == (1_000_000_000, 5_000_000_000)
    assert guest("fd_filestat_set_times", fd, 0, 0, Fstflags.MTIM_NOW) == 0
    assert os.stat(sandbox / "hello.txt").st_mtime_ns >= before.st_mtime_ns
    assert guest("fd_filestat_set_times", fd, 0, 0, Fstflags.ATIM | Fstflags.ATIM_NOW) == Errno.INVAL
    assert guest("fd_filestat_set_times", fd, 0, 0, Fstflags.MTIM | Fstflags.MTIM_NOW) == Errno.INVAL
    with pytest.raises(Trap):
        guest("fd_filestat_set_times", fd, 0, 0, 16)


def test_advise_allocate_sync(guest, sandbox):
    errno, fd = guest.open("hello.txt")
    assert guest("fd_advise", fd, 0, 100, 1) == 0
    with pytest.raises(Trap):
        guest("fd_advise", fd, 0, 100, 6)
    assert guest("fd_allocate", fd, 0, 4096) == 0
    assert (sandbox / "hello.txt").stat().st_size == 4096
    assert guest("fd_allocate", fd, 0, 10) == 0
    assert (sandbox / "hello.txt").stat().st_size == 4096
    assert guest("fd_sync", fd) == 0 and guest("fd_datasync", fd) == 0


def test_close_and_double_close(guest):
    errno, fd = guest.open("hello.txt")
    assert guest("fd_close", fd) == 0
    assert guest("fd_close", fd) == Errno.BADF
    assert guest.read(fd, 1)[0] == Errno.BADF
    errno, again = guest.open("hello.txt")
    assert again == fd  # lowest free number is reused


def test_renumber_moves_and_closes_target(guest):
    _, a = guest.open("hello.txt")
    _, b = guest.open("sub/inner.txt")
    assert guest("fd_renumber", a, b) == 0
    assert guest.read(b, 5) == (0, b"hello")
    assert guest.read(a, 1)[0] == Errno.BADF
    assert guest("fd_renumber", b, 99) == Errno.BADF
    assert guest("fd_renumber", 99, b) == Errno.BADF
    assert guest("fd_renumber", b, b) == 0


def test_fdstat_set_flags_append(guest, sandbox):
    _, fd = guest.open("hello.txt")
    assert guest("fd_fdstat_set_flags", fd, Fdflags.APPEND) == 0
    assert fdstat(guest, fd)[2] == Fdflags.APPEND
    assert guest.write(fd, b"!") == (0, 1)
    assert (sandbox / "hello.txt").read_bytes() == b"hello world!"
    assert guest("fd_fdstat_set_flags", fd, Fdflags.SYNC) == Errno.INVAL
    with pytest.raises(Trap):
        guest("fd_fdstat_set_flags", fd, 1 << 5)


def test_fdstat_set_rights_only_narrows(guest):
    _, fd = guest.open("hello.txt")
    _, _, _, base, inheriting = fdstat(guest, fd)
    assert base & Rights.FD_READ
    assert guest("fd_fdstat_set_rights", fd, base & ~Rights.FD_READ, inheriting) == 0
    assert guest.read(fd, 1)[0] == Errno.NOTCAPABLE
    assert guest("fd_fdstat_set_rights", fd, base, inheriting) == Errno.NOTCAPABLE
    with pytest.raises(Trap):
        guest("fd_fdstat_set_rights", fd, 1 << 40, 0)


def test_opened_file_rights_follow_the_request(guest):
    _, fd = guest.open("hello.txt", rights=Rights.FD_READ | Rights.FD_SEEK | Rights.PATH_OPEN)
    _, filetype, _, base, _ = fdstat(guest, fd)
    assert filetype == Filetype.REGULAR_FILE
    assert base == Rights.FD_READ | Rights.FD_SEEK  # path rights mean nothing on a file


def test_directory_rights_restrict_what_opens_beneath_it(guest):
    _, sub = guest.open("sub", oflags=Oflags.DIRECTORY, inheriting=Rights.FD_READ)
    _, fd = guest.open("inner.txt", fd=sub)
    _, _, _, base, _ = fdstat(guest, fd)
    assert base == Rights.FD_READ
    assert guest.read(fd, 5) == (0, b"inner")
    assert guest("fd_seek", fd, 0, 0, 0) == Errno.NOTCAPABLE


def test_overlapping_iovecs_larger_than_memory_read_into_the_first(guest):
    _, fd = guest.open("hello.txt")
    iov = guest.iovecs(*[(0, 60000)] * 1000)  # 60 MB of buffers, all over the same bytes
    assert guest("fd_read", fd, iov, 1000, 8) == 0
    assert guest.u32(8) == 11 and guest.bytes(0, 8) == b"hello wo"
