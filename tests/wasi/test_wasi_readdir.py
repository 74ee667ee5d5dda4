"""fd_readdir: dirent layout (24-byte header + name), cookies and truncation."""

from __future__ import annotations

import os
import struct

from pywaz.wasi import Errno, Filetype, Rights
from pywaz.wasi.codes import Oflags


def parse_dirents(blob: bytes) -> list[tuple[int, int, bytes, int]]:
    """(d_next, d_ino, name, d_type) for each complete entry in ``blob``."""
    out = []
    pos = 0
    while pos + 24 <= len(blob):
        d_next, d_ino, d_namlen, d_type = struct.unpack_from("<QQIB", blob, pos)
        name = blob[pos + 24 : pos + 24 + d_namlen]
        if len(name) < d_namlen:
            break
        out.append((d_next, d_ino, name, d_type))
        pos += 24 + d_namlen
    return out


def readdir(guest, fd, size, cookie=0):
    buf = guest.alloc(size)
    errno = guest("fd_readdir", fd, buf, size, cookie, 0)
    used = guest.u32(0)
    return errno, guest.bytes(buf, used), used


def test_lists_every_entry_with_type_and_inode(guest, sandbox):
    os.symlink("hello.txt", sandbox / "link")
    errno, blob, used = readdir(guest, 3, 4096)
    assert errno == 0 and used == len(blob) < 4096
    entries = parse_dirents(blob)
    by_name = {name: (d_ino, d_type) for _, d_ino, name, d_type in entries}
    assert set(by_name) == {b".", b"..", b"hello.txt", b"sub", b"link"}
    assert by_name[b"hello.txt"] == (os.stat(sandbox / "hello.txt").st_ino, Filetype.REGULAR_FILE)
    assert by_name[b"sub"][1] == Filetype.DIRECTORY
    assert by_name[b"link"] == (os.lstat(sandbox / "link").st_ino, Filetype.SYMBOLIC_LINK)
    assert by_name[b"."][0] == os.stat(sandbox).st_ino
    assert [d_next for d_next, *_ in entries] == list(range(1, len(entries) + 1))
    assert sum(24 + len(name) for _, _, name, _ in entries) == used


def test_host_order_is_kept(guest, sandbox):
    errno, blob, _ = readdir(guest, 3, 4096)
    names = [name for _, _, name, _ in parse_dirents(blob)][2:]
    assert names == [os.fsencode(entry.name) for entry in os.scandir(sandbox)]


def test_cookie_resumes_after_the_last_complete_entry(guest, sandbox):
    for i in range(20):
        (sandbox / f"file{i:02}").write_bytes(b"")
    _, full, _ = readdir(guest, 3, 8192)
    expected = parse_dirents(full)
    seen = []
    cookie = 0
    while True:
        errno, blob, used = readdir(guest, 3, 100, cookie)
        assert errno == 0
        entries = parse_dirents(blob)
        seen.extend(entries)
        if used < 100:
            break
        assert entries, "a 100-byte buffer holds at least one entry here"
        cookie = entries[-1][0]
    assert seen == expected


def test_small_buffer_is_filled_completely(guest):
    errno, blob, used = readdir(guest, 3, 30)
    assert errno == 0 and used == 30
    d_next, d_ino, d_namlen, d_type = struct.unpack_from("<QQIB", blob)
    assert (d_next, d_namlen, d_type) == (1, 1, Filetype.DIRECTORY)
    assert blob[24:25] == b"."
    assert blob[25:30] == struct.pack("<Q", 2)[:5]  # the next header (d_next=2), truncated


def test_cookie_past_the_end_gives_nothing(guest):
    errno, blob, used = readdir(guest, 3, 256, 10_000)
    assert (errno, used) == (0, 0)


def test_snapshot_refreshes_at_cookie_zero(guest, sandbox):
    _, before, _ = readdir(guest, 3, 4096)
    (sandbox / "late").write_bytes(b"")
    _, after, _ = readdir(guest, 3, 4096)
    names = {name for _, _, name, _ in parse_dirents(after)}
    assert b"late" in names and len(parse_dirents(after)) == len(parse_dirents(before)) + 1


def test_readdir_on_subdirectory_and_errors(guest):
    errno, sub = guest.open("sub", oflags=Oflags.DIRECTORY)
    assert errno == 0
    _, blob, _ = readdir(guest, sub, 1024)
    assert {name for _, _, name, _ in parse_dirents(blob)} == {b".", b"..", b"inner.txt"}
    _, file_fd = guest.open("hello.txt")
    assert readdir(guest, file_fd, 64)[0] == Errno.BADF
    assert readdir(guest, 0, 64)[0] == Errno.BADF
    assert readdir(guest, 50, 64)[0] == Errno.BADF
    assert guest("fd_fdstat_set_rights", sub, Rights.PATH_OPEN, 0) == 0
    assert readdir(guest, sub, 64)[0] == Errno.NOTCAPABLE
