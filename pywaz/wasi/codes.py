"""Constants of wasi_snapshot_preview1 (witx ``typenames.witx``).

Plain ints grouped in namespaces, so hot paths compare and return ``int`` and
never an enum member. ``ERRNO_NAMES`` maps an errno value back to its witx name
for messages and tests. Also maps host ``OSError.errno`` values to WASI errnos.
"""

from __future__ import annotations

import errno as _host_errno

# errno (u16), in witx order.
_ERRNO_ORDER = (
    "SUCCESS 2BIG ACCES ADDRINUSE ADDRNOTAVAIL AFNOSUPPORT AGAIN ALREADY BADF BADMSG BUSY "
    "CANCELED CHILD CONNABORTED CONNREFUSED CONNRESET DEADLK DESTADDRREQ DOM DQUOT EXIST FAULT "
    "FBIG HOSTUNREACH IDRM ILSEQ INPROGRESS INTR INVAL IO ISCONN ISDIR LOOP MFILE MLINK MSGSIZE "
    "MULTIHOP NAMETOOLONG NETDOWN NETRESET NETUNREACH NFILE NOBUFS NODEV NOENT NOEXEC NOLCK "
    "NOLINK NOMEM NOMSG NOPROTOOPT NOSPC NOSYS NOTCONN NOTDIR NOTEMPTY NOTRECOVERABLE NOTSOCK "
    "NOTSUP NOTTY NXIO OVERFLOW OWNERDEAD PERM PIPE PROTO PROTONOSUPPORT PROTOTYPE RANGE ROFS "
    "SPIPE SRCH STALE TIMEDOUT TXTBSY XDEV NOTCAPABLE"
).split()
ERRNO_NAMES = {value: name for value, name in enumerate(_ERRNO_ORDER)}


class Errno:
    """WASI errno values (``errno`` in the witx)."""

    SUCCESS = 0
    TOOBIG = 1  # witx "2big"
    ACCES = 2
    ADDRINUSE = 3
    AGAIN = 6
    BADF = 8
    BUSY = 10
    EXIST = 20
    FAULT = 21
    FBIG = 22
    ILSEQ = 25
    INTR = 27
    INVAL = 28
    IO = 29
    ISDIR = 31
    LOOP = 32
    MFILE = 33
    NAMETOOLONG = 37
    NOENT = 44
    NOMEM = 48
    NOSPC = 51
    NOSYS = 52
    NOTCONN = 53
    NOTDIR = 54
    NOTEMPTY = 55
    NOTSOCK = 57
    NOTSUP = 58
    NOTTY = 59
    OVERFLOW = 61
    PERM = 63
    PIPE = 64
    SPIPE = 70
    XDEV = 75
    NOTCAPABLE = 76


def _build_host_errno_map() -> dict[int, int]:
    table: dict[int, int] = {}
    for value, name in enumerate(_ERRNO_ORDER):
        host_name = "E2BIG" if name == "2BIG" else "E" + name
        host_value = getattr(_host_errno, host_name, None)
        if host_value is not None and value:
            table.setdefault(host_value, value)
    for alias, target in (("EWOULDBLOCK", Errno.AGAIN), ("EOPNOTSUPP", Errno.NOTSUP)):
        host_value = getattr(_host_errno, alias, None)
        if host_value is not None:
            table.setdefault(host_value, target)
    return table


HOST_ERRNO_TO_WASI = _build_host_errno_map()


def wasi_errno_from_os(error: OSError) -> int:
    """The WASI errno for a host ``OSError`` (EIO when the host code has no WASI twin)."""
    return HOST_ERRNO_TO_WASI.get(error.errno, Errno.IO) if error.errno else Errno.IO


class Filetype:
    UNKNOWN = 0
    BLOCK_DEVICE = 1
    CHARACTER_DEVICE = 2
    DIRECTORY = 3
    REGULAR_FILE = 4
    SOCKET_DGRAM = 5
    SOCKET_STREAM = 6
    SYMBOLIC_LINK = 7


class Rights:
    """``rights`` bit flags (u64)."""

    FD_DATASYNC = 1 << 0
    FD_READ = 1 << 1
    FD_SEEK = 1 << 2
    FD_FDSTAT_SET_FLAGS = 1 << 3
    FD_SYNC = 1 << 4
    FD_TELL = 1 << 5
    FD_WRITE = 1 << 6
    FD_ADVISE = 1 << 7
    FD_ALLOCATE = 1 << 8
    PATH_CREATE_DIRECTORY = 1 << 9
    PATH_CREATE_FILE = 1 << 10
    PATH_LINK_SOURCE = 1 << 11
    PATH_LINK_TARGET = 1 << 12
    PATH_OPEN = 1 << 13
    FD_READDIR = 1 << 14
    PATH_READLINK = 1 << 15
    PATH_RENAME_SOURCE = 1 << 16
    PATH_RENAME_TARGET = 1 << 17
    PATH_FILESTAT_GET = 1 << 18
    PATH_FILESTAT_SET_SIZE = 1 << 19
    PATH_FILESTAT_SET_TIMES = 1 << 20
    FD_FILESTAT_GET = 1 << 21
    FD_FILESTAT_SET_SIZE = 1 << 22
    FD_FILESTAT_SET_TIMES = 1 << 23
    PATH_SYMLINK = 1 << 24
    PATH_REMOVE_DIRECTORY = 1 << 25
    PATH_UNLINK_FILE = 1 << 26
    POLL_FD_READWRITE = 1 << 27
    SOCK_SHUTDOWN = 1 << 28
    SOCK_ACCEPT = 1 << 29

    ALL = (1 << 30) - 1
    # What wasmtime reports for a preopened directory and what it lets files
    # and directories opened beneath it inherit (fd_fdstat_get on a preopen).
    DIRECTORY_BASE = 0x07B7FE00
    DIRECTORY_INHERITING = 0x0FF7FFFF
    REGULAR_FILE_BASE = (
        FD_DATASYNC | FD_READ | FD_SEEK | FD_FDSTAT_SET_FLAGS | FD_SYNC | FD_TELL | FD_WRITE | FD_ADVISE
        | FD_ALLOCATE | FD_FILESTAT_GET | FD_FILESTAT_SET_SIZE | FD_FILESTAT_SET_TIMES | POLL_FD_READWRITE
    )
    SOCKET = (
        FD_READ | FD_WRITE | FD_FDSTAT_SET_FLAGS | FD_FILESTAT_GET | POLL_FD_READWRITE | SOCK_SHUTDOWN | SOCK_ACCEPT
    )
    # Rights that need the host file opened for reading / writing.
    READ_MASK = FD_READ | FD_READDIR
    WRITE_MASK = FD_WRITE | FD_DATASYNC | FD_ALLOCATE | FD_FILESTAT_SET_SIZE


class Fdflags:
    APPEND = 1 << 0
    DSYNC = 1 << 1
    NONBLOCK = 1 << 2
    RSYNC = 1 << 3
    SYNC = 1 << 4
    ALL = (1 << 5) - 1


class Oflags:
    CREAT = 1 << 0
    DIRECTORY = 1 << 1
    EXCL = 1 << 2
    TRUNC = 1 << 3
    ALL = (1 << 4) - 1


class Lookupflags:
    SYMLINK_FOLLOW = 1 << 0
    ALL = 1


class Fstflags:
    ATIM = 1 << 0
    ATIM_NOW = 1 << 1
    MTIM = 1 << 2
    MTIM_NOW = 1 << 3
    ALL = (1 << 4) - 1


class Whence:
    SET = 0
    CUR = 1
    END = 2


class Clockid:
    REALTIME = 0
    MONOTONIC = 1
    PROCESS_CPUTIME_ID = 2
    THREAD_CPUTIME_ID = 3


class Advice:
    NORMAL = 0
    SEQUENTIAL = 1
    RANDOM = 2
    WILLNEED = 3
    DONTNEED = 4
    NOREUSE = 5


class Eventtype:
    CLOCK = 0
    FD_READ = 1
    FD_WRITE = 2


EVENTRWFLAGS_FD_READWRITE_HANGUP = 1
SUBCLOCKFLAGS_ABSTIME = 1
PREOPENTYPE_DIR = 0
RIFLAGS_RECV_PEEK = 1
RIFLAGS_RECV_WAITALL = 2
RIFLAGS_ALL = 0b11
ROFLAGS_RECV_DATA_TRUNCATED = 1
SDFLAGS_RD = 1
SDFLAGS_WR = 2
SDFLAGS_ALL = 0b11

# Struct sizes (bytes) of the witx records, all little-endian.
FDSTAT_SIZE = 24
FILESTAT_SIZE = 64
PRESTAT_SIZE = 8
DIRENT_SIZE = 24
IOVEC_SIZE = 8
SUBSCRIPTION_SIZE = 48
EVENT_SIZE = 32
