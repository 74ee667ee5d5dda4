"""wasi_snapshot_preview1: every function of the witx, over a sandboxed fd table.

Input: a :class:`~pywaz.wasi.config.WasiConfig`. Output: :class:`Wasi`, whose
:meth:`Wasi.functions` gives ``{name: (params, results, fn)}`` where ``fn``
takes ``(memory, *raw_args)`` -- a :class:`pywaz.vm.objects.Memory` and the
raw wasm values (i32/i64 as unsigned ints) -- and returns the errno as an int
(``proc_exit`` raises :class:`pywaz.ExitError` instead).
:meth:`Wasi.caller_functions` gives the same functions taking a
:class:`pywaz.Caller` first, whose ``memory`` export they use (what
:func:`pywaz.wasi.link` registers); :meth:`Wasi.imports` gives them taking
only the raw arguments, over the memory attached by :meth:`Wasi.bind`.

Error behaviour follows wasmtime (the reference runner) where preview1 leaves
it open: a pointer outside memory or misaligned traps (or returns ``EFAULT``
with ``memory_fault="errno"``), an undefined flag or enum value traps, host
``OSError``\\s become their WASI errno, path escapes are ``EPERM``.
"""

from __future__ import annotations

import os
import stat as _stat
import struct
import time

from ..errors import ExitError, PywazError, Trap, TrapKind
from ..ir import I32, I64
from .codes import (
    EVENT_SIZE,
    FDSTAT_SIZE,
    FILESTAT_SIZE,
    PREOPENTYPE_DIR,
    PRESTAT_SIZE,
    RIFLAGS_ALL,
    RIFLAGS_RECV_PEEK,
    RIFLAGS_RECV_WAITALL,
    ROFLAGS_RECV_DATA_TRUNCATED,
    SDFLAGS_ALL,
    SDFLAGS_RD,
    SDFLAGS_WR,
    SUBSCRIPTION_SIZE,
    Advice,
    Clockid,
    Errno,
    Fdflags,
    Filetype,
    Fstflags,
    Lookupflags,
    Oflags,
    Rights,
    Whence,
    wasi_errno_from_os,
)
from .config import MEMORY_FAULT_POLICIES, WasiConfig
from .fdtable import DirectoryDescriptor, FdTable, FileDescriptor, SocketDescriptor, StreamDescriptor
from .guest import (
    GuestFault,
    InvalidArgument,
    WasiError,
    check,
    first_iovec,
    read_path,
    write_bytes,
    write_u32,
    write_u64,
)
from .sandbox import ESCAPE_ERRNO, resolve
from .streams import make_stream

MODULE_NAME = "wasi_snapshot_preview1"

_FDSTAT = struct.Struct("<BxHxxxxQQ")
_FILESTAT = struct.Struct("<QQBxxxxxxxQQQQQ")
_PRESTAT = struct.Struct("<BxxxI")
_DIRENT = struct.Struct("<QQIBxxx")
_EVENT = struct.Struct("<QHBxxxxxQHxxxxxx")
_U32 = struct.Struct("<I")
_U16 = struct.Struct("<H")

_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
_MAX_I64 = (1 << 63) - 1
# Largest single read into the one buffer a call uses (see guest.first_iovec): a
# shorter read is always a valid answer, and it bounds what one call allocates.
_MAX_READ = 1 << 26
_U64 = (1 << 64) - 1

_POSIX_ADVICE = {
    Advice.NORMAL: getattr(os, "POSIX_FADV_NORMAL", None),
    Advice.SEQUENTIAL: getattr(os, "POSIX_FADV_SEQUENTIAL", None),
    Advice.RANDOM: getattr(os, "POSIX_FADV_RANDOM", None),
    Advice.WILLNEED: getattr(os, "POSIX_FADV_WILLNEED", None),
    Advice.DONTNEED: getattr(os, "POSIX_FADV_DONTNEED", None),
    Advice.NOREUSE: getattr(os, "POSIX_FADV_NOREUSE", None),
}

_STDIN_RIGHTS = Rights.FD_READ
_STDOUT_RIGHTS = Rights.FD_WRITE


def _signature(spec: str) -> tuple[tuple[int, ...], tuple[int, ...]]:
    codes = {"i": I32, "I": I64}
    params, _, results = spec.partition("->")
    return tuple(codes[c] for c in params), tuple(codes[c] for c in results)


# name -> wasm signature ("i" = i32, "I" = i64), in witx order.
SIGNATURES = {
    name: _signature(spec)
    for name, spec in (
        ("args_get", "ii->i"),
        ("args_sizes_get", "ii->i"),
        ("environ_get", "ii->i"),
        ("environ_sizes_get", "ii->i"),
        ("clock_res_get", "ii->i"),
        ("clock_time_get", "iIi->i"),
        ("fd_advise", "iIIi->i"),
        ("fd_allocate", "iII->i"),
        ("fd_close", "i->i"),
        ("fd_datasync", "i->i"),
        ("fd_fdstat_get", "ii->i"),
        ("fd_fdstat_set_flags", "ii->i"),
        ("fd_fdstat_set_rights", "iII->i"),
        ("fd_filestat_get", "ii->i"),
        ("fd_filestat_set_size", "iI->i"),
        ("fd_filestat_set_times", "iIIi->i"),
        ("fd_pread", "iiiIi->i"),
        ("fd_prestat_get", "ii->i"),
        ("fd_prestat_dir_name", "iii->i"),
        ("fd_pwrite", "iiiIi->i"),
        ("fd_read", "iiii->i"),
        ("fd_readdir", "iiiIi->i"),
        ("fd_renumber", "ii->i"),
        ("fd_seek", "iIii->i"),
        ("fd_sync", "i->i"),
        ("fd_tell", "ii->i"),
        ("fd_write", "iiii->i"),
        ("path_create_directory", "iii->i"),
        ("path_filestat_get", "iiiii->i"),
        ("path_filestat_set_times", "iiiiIIi->i"),
        ("path_link", "iiiiiii->i"),
        ("path_open", "iiiiiIIii->i"),
        ("path_readlink", "iiiiii->i"),
        ("path_remove_directory", "iii->i"),
        ("path_rename", "iiiiii->i"),
        ("path_symlink", "iiiii->i"),
        ("path_unlink_file", "iii->i"),
        ("poll_oneoff", "iiii->i"),
        ("proc_exit", "i->"),
        ("proc_raise", "i->i"),
        ("sched_yield", "->i"),
        ("random_get", "ii->i"),
        ("sock_accept", "iii->i"),
        ("sock_recv", "iiiiii->i"),
        ("sock_send", "iiiii->i"),
        ("sock_shutdown", "ii->i"),
    )
}

# The functions that take no pointer: they never touch guest memory, so they
# work for a caller that exports none (as in wazero; wasmtime requires the
# export for every call, even proc_exit).
MEMORYLESS = frozenset((
    "fd_advise", "fd_allocate", "fd_close", "fd_datasync", "fd_fdstat_set_flags", "fd_fdstat_set_rights",
    "fd_filestat_set_size", "fd_filestat_set_times", "fd_renumber", "fd_sync", "proc_exit", "proc_raise",
    "sched_yield", "sock_shutdown",
))

# wasmtime's words for a caller without a "memory" export, then what to do about it.
MISSING_MEMORY = 'missing required memory export (the calling module must export its memory as "memory")'


def _filetype_of(mode: int) -> int:
    if _stat.S_ISREG(mode):
        return Filetype.REGULAR_FILE
    if _stat.S_ISDIR(mode):
        return Filetype.DIRECTORY
    if _stat.S_ISLNK(mode):
        return Filetype.SYMBOLIC_LINK
    if _stat.S_ISCHR(mode):
        return Filetype.CHARACTER_DEVICE
    if _stat.S_ISBLK(mode):
        return Filetype.BLOCK_DEVICE
    if _stat.S_ISSOCK(mode):
        return Filetype.SOCKET_STREAM
    return Filetype.UNKNOWN


def _pack_filestat(info: os.stat_result) -> bytes:
    return _FILESTAT.pack(
        info.st_dev & _U64, info.st_ino & _U64, _filetype_of(info.st_mode), info.st_nlink,
        info.st_size, info.st_atime_ns & _U64, info.st_mtime_ns & _U64, info.st_ctime_ns & _U64,
    )


def _c_string(value, what: str) -> bytes:
    """``value`` (str or bytes) as UTF-8 bytes; NUL would cut the guest's C string short."""
    raw = value if isinstance(value, bytes) else str(value).encode("utf-8", "surrogateescape")
    if b"\0" in raw:
        raise PywazError(f"{what} {value!r} contains a NUL byte")
    return raw


def _find_memory(target):
    if hasattr(target, "data") and hasattr(target, "grow"):
        return target  # a raw Memory
    inner = getattr(target, "memory", None)
    if inner is not None and hasattr(inner, "data"):
        return inner  # an ExportedMemory
    instance = getattr(target, "module_instance", target)  # a pywaz.Instance wraps a ModuleInstance
    exports = getattr(instance, "exports", None)
    if isinstance(exports, dict):
        memory = exports.get("memory")
        if memory is not None and hasattr(memory, "data"):
            return memory
    raise PywazError('a WASI module must export its linear memory as "memory"')


def _as_s64(value: int) -> int:
    return value - (1 << 64) if value & (1 << 63) else value


def _check_flags(value: int, allowed: int, what: str) -> None:
    if value & ~allowed:
        raise InvalidArgument(f"invalid flag value {value:#x} for {what}")


class Wasi:
    """One WASI environment: its fd table, argv, environment and clocks.

    Raises (from the constructor):
        PywazError: an invalid config (unknown memory_fault policy, a preopen
            that is not an openable directory, an unusable stdio value).
    """

    module_name = MODULE_NAME

    def __init__(self, config: WasiConfig | None = None):
        config = config or WasiConfig()
        if config.memory_fault not in MEMORY_FAULT_POLICIES:
            raise PywazError(f"memory_fault must be one of {MEMORY_FAULT_POLICIES}, not {config.memory_fault!r}")
        self.config = config
        self._trap_on_fault = config.memory_fault == "trap"
        self._args = [_c_string(arg, "argument") for arg in config.args]
        self._environ = []
        for entry in config.env:
            if isinstance(entry, (str, bytes)):
                variable = _c_string(entry, "environment entry")
                if b"=" not in variable:
                    raise PywazError(f"environment entry {entry!r} has no '='")
            elif len(entry) == 2:
                name = _c_string(entry[0], "environment name")
                if not name or b"=" in name:
                    raise PywazError(f"bad environment variable name {entry[0]!r}")
                variable = name + b"=" + _c_string(entry[1], "environment value")
            else:
                raise PywazError(f"environment entries are (name, value) pairs, not {entry!r}")
            self._environ.append(variable)
        self.fds = FdTable()
        self.memory = None
        try:
            self.fds.put(0, StreamDescriptor(make_stream(config.stdin, output=False), _STDIN_RIGHTS))
            self.fds.put(1, StreamDescriptor(make_stream(config.stdout, output=True), _STDOUT_RIGHTS))
            self.fds.put(2, StreamDescriptor(make_stream(config.stderr, output=True), _STDOUT_RIGHTS))
            for guest_path, host_path in config.preopens:
                try:
                    host_fd = os.open(host_path, os.O_RDONLY | os.O_DIRECTORY | _CLOEXEC)
                except OSError as error:
                    raise PywazError(
                        f"cannot preopen {os.fspath(host_path)!r} as {guest_path!r}: {error.strerror}") from None
                self.fds.insert(DirectoryDescriptor(
                    host_fd, Rights.DIRECTORY_BASE, Rights.DIRECTORY_INHERITING, preopen_name=str(guest_path)))
            for sock in config.sockets:
                if not (hasattr(sock, "fileno") and hasattr(sock, "accept") and hasattr(sock, "type")):
                    raise PywazError(f"WASI sockets must be socket.socket objects, not {sock!r}")
                if sock.fileno() < 0:
                    raise PywazError(f"WASI socket {sock!r} is closed")
                self.fds.insert(SocketDescriptor(sock, Rights.SOCKET))
        except BaseException:
            self.fds.close_all()
            raise

    # -- embedding -----------------------------------------------------------

    def functions(self) -> dict:
        """``{name: (params, results, fn(memory, *raw_args))}`` for every preview1 function."""
        return {name: (params, results, self._wrap(name, "memory")) for name, (params, results) in SIGNATURES.items()}

    def caller_functions(self) -> dict:
        """``{name: (params, results, fn, takes_caller)}``: what :func:`pywaz.wasi.link` registers.

        When ``takes_caller`` is true, ``fn(caller, *raw_args)`` takes the
        :class:`pywaz.Caller` and finds the calling instance's exported
        ``memory`` at each call, so one environment serves any instance
        that imports it, from its start function on; otherwise (the
        :data:`MEMORYLESS` functions) ``fn(*raw_args)``. A caller without a
        ``memory`` export traps at the first call that needs memory (after
        trying the memory given to :meth:`bind`, if any).
        """
        return {name: (params, results, self._wrap(name, "caller"), name not in MEMORYLESS)
                for name, (params, results) in SIGNATURES.items()}

    def bind(self, target) -> None:
        """Use ``target``'s memory for :meth:`imports` (not needed with :func:`pywaz.wasi.link`).

        Functions registered by :func:`~pywaz.wasi.link` use the calling
        instance's ``memory`` export; they fall back to the memory bound here
        only for a caller that exports none (e.g. a module exporting its memory
        under another name: ``wasi.bind(instance.exports["mem"])``).
        ``target`` is a :class:`pywaz.Instance`, a ``ModuleInstance``, an
        exported or raw ``Memory``; an instance must export ``memory``.

        Raises:
            PywazError: no memory named ``memory`` can be found in ``target``.
        """
        self.memory = _find_memory(target)

    def imports(self) -> dict:
        """``{name: (params, results, fn(*raw_args))}`` using the memory given to :meth:`bind`.

        For embedders wiring the functions up by hand; :func:`pywaz.wasi.link`
        needs no :meth:`bind`. Calling one that needs memory before
        :meth:`bind` traps.
        """
        return {name: (params, results, self._wrap(name, "bound"))
                for name, (params, results) in SIGNATURES.items()}

    def close(self) -> None:
        """Close every host fd this environment holds (idempotent)."""
        self.fds.close_all()

    def __enter__(self) -> Wasi:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _wrap(self, name: str, mode: str):
        """The callable for one function: errno on failure, Trap for faults and bad flags.

        ``mode``: "memory" (the memory is the first argument), "bound" (the
        memory given to :meth:`bind`) or "caller" (a :class:`pywaz.Caller`
        first, whose ``memory`` export is used). Memoryless functions take
        no memory or caller in "bound" and "caller" modes.
        """
        method = getattr(self, "_" + name)
        trap_on_fault = self._trap_on_fault
        qualified = f"{MODULE_NAME}.{name}"

        def failure(error: Exception) -> int:
            if isinstance(error, WasiError):
                return error.errno
            if isinstance(error, OSError):
                return wasi_errno_from_os(error)
            if isinstance(error, GuestFault):
                if trap_on_fault:
                    raise Trap(TrapKind.OUT_OF_BOUNDS_MEMORY, f"{qualified}: {error.message}") from None
                return Errno.FAULT
            if isinstance(error, InvalidArgument):
                raise Trap(TrapKind.HOST_ERROR, f"{qualified}: {error}") from None
            if isinstance(error, (OverflowError, ValueError)):
                return Errno.INVAL  # a value the host call cannot represent (e.g. off_t overflow)
            if isinstance(error, MemoryError):
                return Errno.NOMEM
            raise error

        if mode == "memory":
            def call(memory, *args):
                try:
                    return method(memory.data, *args)
                except Exception as error:
                    return failure(error)
        elif name in MEMORYLESS:
            def call(*args):
                try:
                    return method(None, *args)
                except Exception as error:
                    return failure(error)
        elif mode == "bound":
            def call(*args):
                memory = self.memory
                if memory is None:
                    raise Trap(TrapKind.HOST_ERROR, f"{qualified} called before Wasi.bind()")
                try:
                    return method(memory.data, *args)
                except Exception as error:
                    return failure(error)
        else:
            def without_export():
                if self.memory is None:  # the memory given to bind(), for a module exporting it otherwise
                    raise Trap(TrapKind.HOST_ERROR, f"{qualified}: {MISSING_MEMORY}")
                return self.memory.data

            def call(caller, *args):
                # Looked up on every call (a few attribute reads): exports exist before the start
                # function runs. Only a Memory has ``data``; no caller (None) has no module_instance.
                try:
                    data = caller.module_instance.exports["memory"].data
                except (AttributeError, KeyError):
                    data = without_export()
                try:
                    return method(data, *args)
                except Exception as error:
                    return failure(error)

        call.__name__ = name
        call.__qualname__ = f"Wasi.{name}"
        call.__doc__ = f"{qualified}{SIGNATURES[name]}"
        return call

    # -- descriptor lookup ---------------------------------------------------

    def _file(self, fd: int, right: int) -> FileDescriptor:
        """The open non-directory file ``fd`` holding ``right`` (EBADF for streams and directories)."""
        entry = self.fds.get(fd)
        if type(entry) is not FileDescriptor:
            raise WasiError(Errno.BADF)
        if not entry.rights_base & right:
            raise WasiError(Errno.NOTCAPABLE)
        return entry

    def _dir(self, fd: int, right: int) -> DirectoryDescriptor:
        """The open directory ``fd`` holding ``right``."""
        entry = self.fds.get(fd)
        if type(entry) is not DirectoryDescriptor:
            raise WasiError(Errno.BADF)  # wasmtime's answer for a file or stream (POSIX would say ENOTDIR)
        if not entry.rights_base & right:
            raise WasiError(Errno.NOTCAPABLE)
        return entry

    def _host_fd(self, fd: int, right: int) -> int:
        """The host fd of a file or directory (not a stream) holding ``right``."""
        entry = self.fds.get(fd)
        if type(entry) is StreamDescriptor:
            raise WasiError(Errno.BADF)
        if not entry.rights_base & right:
            raise WasiError(Errno.NOTCAPABLE)
        return entry.host_fd

    # -- args, environ, clocks, random -------------------------------------

    @staticmethod
    def _put_strings(data: bytearray, strings: list[bytes], pointers: int, buffer: int) -> int:
        check(data, pointers, 4 * len(strings), 4)
        check(data, buffer, sum(len(s) + 1 for s in strings))
        for i, item in enumerate(strings):
            _U32.pack_into(data, pointers + 4 * i, buffer)
            end = buffer + len(item)
            data[buffer:end] = item
            data[end] = 0
            buffer = end + 1
        return Errno.SUCCESS

    @staticmethod
    def _put_sizes(data: bytearray, strings: list[bytes], count_ptr: int, size_ptr: int) -> int:
        write_u32(data, count_ptr, len(strings))
        write_u32(data, size_ptr, sum(len(s) + 1 for s in strings))
        return Errno.SUCCESS

    def _args_get(self, data, argv, argv_buf):
        return self._put_strings(data, self._args, argv, argv_buf)

    def _args_sizes_get(self, data, argc_ptr, size_ptr):
        return self._put_sizes(data, self._args, argc_ptr, size_ptr)

    def _environ_get(self, data, environ, environ_buf):
        return self._put_strings(data, self._environ, environ, environ_buf)

    def _environ_sizes_get(self, data, count_ptr, size_ptr):
        return self._put_sizes(data, self._environ, count_ptr, size_ptr)

    @staticmethod
    def _clock_now(clock_id: int) -> int:
        if clock_id == Clockid.REALTIME:
            return time.time_ns()
        if clock_id == Clockid.MONOTONIC:
            return time.monotonic_ns()
        if clock_id == Clockid.PROCESS_CPUTIME_ID:
            return time.process_time_ns()
        if clock_id == Clockid.THREAD_CPUTIME_ID:
            return time.thread_time_ns()
        raise InvalidArgument(f"invalid enum value {clock_id} for clockid")

    @staticmethod
    def _clock_resolution(clock_id: int) -> int:
        host_clock = {
            Clockid.PROCESS_CPUTIME_ID: getattr(time, "CLOCK_PROCESS_CPUTIME_ID", None),
            Clockid.THREAD_CPUTIME_ID: getattr(time, "CLOCK_THREAD_CPUTIME_ID", None),
        }
        if clock_id in (Clockid.REALTIME, Clockid.MONOTONIC):
            return 1  # what wasmtime reports: the clocks' values are whole nanoseconds
        if clock_id not in host_clock:
            raise InvalidArgument(f"invalid enum value {clock_id} for clockid")
        try:
            return max(1, round(time.clock_getres(host_clock[clock_id]) * 1e9))
        except (OSError, TypeError, AttributeError):
            return 1000

    def _clock_res_get(self, data, clock_id, resolution_ptr):
        write_u64(data, resolution_ptr, self._clock_resolution(clock_id))
        return Errno.SUCCESS

    def _clock_time_get(self, data, clock_id, precision, time_ptr):
        write_u64(data, time_ptr, self._clock_now(clock_id) & _U64)
        return Errno.SUCCESS

    def _random_get(self, data, buf, buf_len):
        check(data, buf, buf_len)
        data[buf : buf + buf_len] = os.urandom(buf_len)
        return Errno.SUCCESS

    # -- fd operations -------------------------------------------------------

    def _fd_advise(self, data, fd, offset, length, advice):
        if advice not in _POSIX_ADVICE:
            raise InvalidArgument(f"invalid enum value {advice} for advice")
        entry = self._file(fd, Rights.FD_ADVISE)
        if offset > _MAX_I64 or length > _MAX_I64:
            return Errno.INVAL
        host_advice = _POSIX_ADVICE[advice]
        if host_advice is not None and hasattr(os, "posix_fadvise"):
            os.posix_fadvise(entry.host_fd, offset, length, host_advice)
        return Errno.SUCCESS

    def _fd_allocate(self, data, fd, offset, length):
        entry = self._file(fd, Rights.FD_ALLOCATE)
        if offset > _MAX_I64 or length > _MAX_I64 or offset + length > _MAX_I64:
            return Errno.FBIG
        if not entry.writable:
            return Errno.BADF
        if hasattr(os, "posix_fallocate"):
            os.posix_fallocate(entry.host_fd, offset, length)
        else:  # pragma: no cover - non-Linux fallback
            if os.fstat(entry.host_fd).st_size < offset + length:
                os.ftruncate(entry.host_fd, offset + length)
        return Errno.SUCCESS

    def _fd_close(self, data, fd):
        self.fds.remove(fd).close()
        return Errno.SUCCESS

    def _fd_datasync(self, data, fd):
        host_fd = self._file(fd, Rights.FD_DATASYNC).host_fd
        (os.fdatasync if hasattr(os, "fdatasync") else os.fsync)(host_fd)
        return Errno.SUCCESS

    def _fd_sync(self, data, fd):
        os.fsync(self._file(fd, Rights.FD_SYNC).host_fd)
        return Errno.SUCCESS

    def _fd_fdstat_get(self, data, fd, stat_ptr):
        entry = self.fds.get(fd)
        check(data, stat_ptr, FDSTAT_SIZE, 8)
        _FDSTAT.pack_into(data, stat_ptr, entry.filetype, entry.fdflags, entry.rights_base, entry.rights_inheriting)
        return Errno.SUCCESS

    def _fd_fdstat_set_flags(self, data, fd, flags):
        _check_flags(flags, Fdflags.ALL, "fdflags")
        entry = self.fds.get(fd)
        if type(entry) is SocketDescriptor:
            if not entry.rights_base & Rights.FD_FDSTAT_SET_FLAGS:
                return Errno.NOTCAPABLE
            if flags & ~Fdflags.NONBLOCK:
                return Errno.INVAL
            entry.sock.setblocking(not flags)
            entry.fdflags = flags
            return Errno.SUCCESS
        entry = self._file(fd, Rights.FD_FDSTAT_SET_FLAGS)
        sync_bits = Fdflags.DSYNC | Fdflags.RSYNC | Fdflags.SYNC
        if (flags ^ entry.fdflags) & sync_bits:
            return Errno.INVAL  # the host cannot change O_SYNC-style flags after open (wasmtime: EINVAL)
        import fcntl

        host_flags = fcntl.fcntl(entry.host_fd, fcntl.F_GETFL)
        for wasi_bit, host_bit in ((Fdflags.APPEND, os.O_APPEND), (Fdflags.NONBLOCK, os.O_NONBLOCK)):
            host_flags = host_flags | host_bit if flags & wasi_bit else host_flags & ~host_bit
        fcntl.fcntl(entry.host_fd, fcntl.F_SETFL, host_flags)
        entry.fdflags = flags
        return Errno.SUCCESS

    def _fd_fdstat_set_rights(self, data, fd, rights_base, rights_inheriting):
        _check_flags(rights_base, Rights.ALL, "rights")
        _check_flags(rights_inheriting, Rights.ALL, "rights")
        entry = self.fds.get(fd)
        # Rights may only be dropped, never gained (preview1 capability model).
        if rights_base & ~entry.rights_base or rights_inheriting & ~entry.rights_inheriting:
            return Errno.NOTCAPABLE
        entry.rights_base = rights_base
        entry.rights_inheriting = rights_inheriting
        return Errno.SUCCESS

    def _fd_filestat_get(self, data, fd, buf):
        entry = self.fds.get(fd)
        check(data, buf, FILESTAT_SIZE, 8)
        if type(entry) is StreamDescriptor:
            _FILESTAT.pack_into(data, buf, 0, 0, entry.filetype, 0, 0, 0, 0, 0)
            return Errno.SUCCESS
        if not entry.rights_base & Rights.FD_FILESTAT_GET:
            return Errno.NOTCAPABLE
        data[buf : buf + FILESTAT_SIZE] = _pack_filestat(os.fstat(entry.host_fd))
        return Errno.SUCCESS

    def _fd_filestat_set_size(self, data, fd, size):
        entry = self._file(fd, Rights.FD_FILESTAT_SET_SIZE)
        if size > _MAX_I64:
            return Errno.FBIG
        if not entry.writable:
            return Errno.BADF
        os.ftruncate(entry.host_fd, size)
        return Errno.SUCCESS

    @staticmethod
    def _new_times(atim: int, mtim: int, fst_flags: int, current) -> tuple[int, int]:
        """The (atime, mtime) in ns to set; ``current()`` gives the stat for omitted ones."""
        _check_flags(fst_flags, Fstflags.ALL, "fstflags")
        if (fst_flags & Fstflags.ATIM and fst_flags & Fstflags.ATIM_NOW) or (
            fst_flags & Fstflags.MTIM and fst_flags & Fstflags.MTIM_NOW
        ):
            raise WasiError(Errno.INVAL)
        now = time.time_ns()
        info = None
        if fst_flags & Fstflags.ATIM_NOW:
            new_atime = now
        elif fst_flags & Fstflags.ATIM:
            new_atime = atim
        else:
            info = current()
            new_atime = info.st_atime_ns
        if fst_flags & Fstflags.MTIM_NOW:
            new_mtime = now
        elif fst_flags & Fstflags.MTIM:
            new_mtime = mtim
        else:
            info = info or current()
            new_mtime = info.st_mtime_ns
        if new_atime > _MAX_I64 or new_mtime > _MAX_I64:
            raise WasiError(Errno.OVERFLOW)
        return new_atime, new_mtime

    def _fd_filestat_set_times(self, data, fd, atim, mtim, fst_flags):
        host_fd = self._host_fd(fd, Rights.FD_FILESTAT_SET_TIMES)
        times = self._new_times(atim, mtim, fst_flags, lambda: os.fstat(host_fd))
        os.utime(host_fd, ns=times)
        return Errno.SUCCESS

    def _readable_file(self, fd: int, positional: bool):
        """The descriptor for a read; streams are allowed only when not positional."""
        return self._io_descriptor(fd, positional, "readable", Rights.FD_READ)

    def _writable_file(self, fd: int, positional: bool):
        """The descriptor for a write; streams are allowed only when not positional."""
        return self._io_descriptor(fd, positional, "writable", Rights.FD_WRITE)

    def _io_descriptor(self, fd: int, positional: bool, direction: str, right: int):
        entry = self.fds.get(fd)
        kind = type(entry)
        if kind is StreamDescriptor or kind is SocketDescriptor:
            if positional:
                raise WasiError(Errno.SPIPE)
            if kind is StreamDescriptor and not getattr(entry.stream, direction):
                raise WasiError(Errno.BADF)
        elif kind is FileDescriptor:
            if not getattr(entry, direction):
                raise WasiError(Errno.BADF)
        else:
            raise WasiError(Errno.BADF)
        if not entry.rights_base & right:
            raise WasiError(Errno.NOTCAPABLE)
        return entry

    # fd_read/fd_pread/fd_write/fd_pwrite transfer only the first non-empty buffer, as wasmtime does
    # (see guest.first_iovec); the buffer is bounds-checked after the descriptor, whole, before any I/O.

    def _fd_read(self, data, fd, iovs, iovs_len, nread_ptr):
        buf, size = first_iovec(data, iovs, iovs_len)
        check(data, nread_ptr, 4, 4)
        entry = self._readable_file(fd, positional=False)
        check(data, buf, size)
        if not size:
            payload = b""
        elif type(entry) is StreamDescriptor:
            payload = entry.stream.read(min(size, _MAX_READ))
        else:
            payload = os.read(entry.host_fd, min(size, _MAX_READ))
        data[buf : buf + len(payload)] = payload
        _U32.pack_into(data, nread_ptr, len(payload))
        return Errno.SUCCESS

    def _fd_pread(self, data, fd, iovs, iovs_len, offset, nread_ptr):
        buf, size = first_iovec(data, iovs, iovs_len)
        check(data, nread_ptr, 4, 4)
        entry = self._readable_file(fd, positional=True)
        if offset > _MAX_I64:
            return Errno.INVAL
        check(data, buf, size)
        payload = os.pread(entry.host_fd, min(size, _MAX_READ), offset) if size else b""
        data[buf : buf + len(payload)] = payload
        _U32.pack_into(data, nread_ptr, len(payload))
        return Errno.SUCCESS

    def _fd_write(self, data, fd, iovs, iovs_len, nwritten_ptr):
        buf, size = first_iovec(data, iovs, iovs_len)
        check(data, nwritten_ptr, 4, 4)
        entry = self._writable_file(fd, positional=False)
        check(data, buf, size)
        payload = bytes(data[buf : buf + size])
        if type(entry) is StreamDescriptor:
            written = entry.stream.write(payload) if payload else 0
        else:
            written = os.write(entry.host_fd, payload)
        _U32.pack_into(data, nwritten_ptr, written)
        return Errno.SUCCESS

    def _fd_pwrite(self, data, fd, iovs, iovs_len, offset, nwritten_ptr):
        buf, size = first_iovec(data, iovs, iovs_len)
        check(data, nwritten_ptr, 4, 4)
        entry = self._writable_file(fd, positional=True)
        if offset > _MAX_I64:
            return Errno.INVAL
        check(data, buf, size)
        written = os.pwrite(entry.host_fd, bytes(data[buf : buf + size]), offset)
        _U32.pack_into(data, nwritten_ptr, written)
        return Errno.SUCCESS

    def _fd_prestat_get(self, data, fd, buf):
        entry = self.fds.get(fd)
        if type(entry) is not DirectoryDescriptor or entry.preopen_name is None:
            return Errno.BADF
        check(data, buf, PRESTAT_SIZE, 4)
        _PRESTAT.pack_into(data, buf, PREOPENTYPE_DIR, len(entry.preopen_name.encode("utf-8")))
        return Errno.SUCCESS

    def _fd_prestat_dir_name(self, data, fd, path, path_len):
        entry = self.fds.get(fd)
        if type(entry) is not DirectoryDescriptor or entry.preopen_name is None:
            return Errno.BADF
        name = entry.preopen_name.encode("utf-8")
        if path_len < len(name):
            return Errno.NAMETOOLONG
        write_bytes(data, path, name)
        return Errno.SUCCESS

    @staticmethod
    def _list_directory(host_fd: int) -> list[bytes]:
        """Every entry of the directory as a packed dirent header + name (d_next filled later)."""
        records = []

        def record(name: bytes, ino: int, filetype: int) -> None:
            records.append((name, ino, filetype))

        record(b".", os.fstat(host_fd).st_ino, Filetype.DIRECTORY)
        try:
            parent_ino = os.stat("..", dir_fd=host_fd).st_ino
        except OSError:
            parent_ino = 0
        record(b"..", parent_ino, Filetype.DIRECTORY)
        with os.scandir(host_fd) as entries:
            for entry in entries:
                try:
                    if entry.is_symlink():
                        filetype = Filetype.SYMBOLIC_LINK
                    elif entry.is_dir(follow_symlinks=False):
                        filetype = Filetype.DIRECTORY
                    elif entry.is_file(follow_symlinks=False):
                        filetype = Filetype.REGULAR_FILE
                    else:
                        filetype = _filetype_of(entry.stat(follow_symlinks=False).st_mode)
                except OSError:
                    filetype = Filetype.UNKNOWN
                record(os.fsencode(entry.name), entry.inode(), filetype)
        return [
            _DIRENT.pack(index + 1, ino & _U64, len(name), filetype) + name
            for index, (name, ino, filetype) in enumerate(records)
        ]

    def _fd_readdir(self, data, fd, buf, buf_len, cookie, bufused_ptr):
        entry = self._dir(fd, Rights.FD_READDIR)
        check(data, buf, buf_len)
        check(data, bufused_ptr, 4, 4)
        # A cookie is the index of the next entry (d_next of the previous one).
        # Reading from cookie 0 takes a fresh snapshot; later cookies index it.
        if cookie == 0 or entry.listing is None:
            entry.listing = self._list_directory(entry.host_fd)
        listing = entry.listing
        out = bytearray()
        index = cookie
        while index < len(listing) and len(out) < buf_len:
            out += listing[index]
            index += 1
        del out[buf_len:]
        data[buf : buf + len(out)] = out
        _U32.pack_into(data, bufused_ptr, len(out))
        return Errno.SUCCESS

    def _fd_renumber(self, data, fd, to):
        self.fds.renumber(fd, to)
        return Errno.SUCCESS

    def _fd_seek(self, data, fd, offset, whence, newoffset_ptr):
        if whence not in (Whence.SET, Whence.CUR, Whence.END):
            raise InvalidArgument(f"invalid enum value {whence} for whence")
        entry = self.fds.get(fd)
        if type(entry) is StreamDescriptor or type(entry) is SocketDescriptor:
            return Errno.SPIPE
        if type(entry) is not FileDescriptor:
            return Errno.BADF
        delta = _as_s64(offset)
        needed = Rights.FD_TELL if (delta == 0 and whence == Whence.CUR) else Rights.FD_SEEK
        if not entry.rights_base & needed:
            return Errno.NOTCAPABLE
        check(data, newoffset_ptr, 8, 8)
        host_whence = (os.SEEK_SET, os.SEEK_CUR, os.SEEK_END)[whence]
        write_u64(data, newoffset_ptr, os.lseek(entry.host_fd, delta, host_whence))
        return Errno.SUCCESS

    def _fd_tell(self, data, fd, offset_ptr):
        entry = self.fds.get(fd)
        if type(entry) is StreamDescriptor or type(entry) is SocketDescriptor:
            return Errno.SPIPE
        if type(entry) is not FileDescriptor:
            return Errno.BADF
        if not entry.rights_base & Rights.FD_TELL:
            return Errno.NOTCAPABLE
        check(data, offset_ptr, 8, 8)
        write_u64(data, offset_ptr, os.lseek(entry.host_fd, 0, os.SEEK_CUR))
        return Errno.SUCCESS

    # -- path operations -----------------------------------------------------

    def _resolve(self, data, fd: int, right: int, path_ptr: int, path_len: int, follow: bool):
        directory = self._dir(fd, right)
        path = read_path(data, path_ptr, path_len)
        return resolve(directory.host_fd, path, follow)

    def _path_create_directory(self, data, fd, path, path_len):
        with self._resolve(data, fd, Rights.PATH_CREATE_DIRECTORY, path, path_len, False) as target:
            os.mkdir(target.name, 0o777, dir_fd=target.dir_fd)
        return Errno.SUCCESS

    def _path_filestat_get(self, data, fd, flags, path, path_len, buf):
        _check_flags(flags, Lookupflags.ALL, "lookupflags")
        check(data, buf, FILESTAT_SIZE, 8)
        follow = bool(flags & Lookupflags.SYMLINK_FOLLOW)
        with self._resolve(data, fd, Rights.PATH_FILESTAT_GET, path, path_len, follow) as target:
            info = os.stat(target.name, dir_fd=target.dir_fd, follow_symlinks=False)
        if target.must_be_directory and not _stat.S_ISDIR(info.st_mode):
            return Errno.NOTDIR
        data[buf : buf + FILESTAT_SIZE] = _pack_filestat(info)
        return Errno.SUCCESS

    def _path_filestat_set_times(self, data, fd, flags, path, path_len, atim, mtim, fst_flags):
        _check_flags(flags, Lookupflags.ALL, "lookupflags")
        _check_flags(fst_flags, Fstflags.ALL, "fstflags")
        follow = bool(flags & Lookupflags.SYMLINK_FOLLOW)
        with self._resolve(data, fd, Rights.PATH_FILESTAT_SET_TIMES, path, path_len, follow) as target:
            name, dir_fd = target.name, target.dir_fd
            times = self._new_times(
                atim, mtim, fst_flags, lambda: os.stat(name, dir_fd=dir_fd, follow_symlinks=False))
            os.utime(name, ns=times, dir_fd=dir_fd, follow_symlinks=False)
        return Errno.SUCCESS

    def _path_link(self, data, old_fd, old_flags, old_path, old_path_len, new_fd, new_path, new_path_len):
        _check_flags(old_flags, Lookupflags.ALL, "lookupflags")
        follow = bool(old_flags & Lookupflags.SYMLINK_FOLLOW)
        with self._resolve(data, old_fd, Rights.PATH_LINK_SOURCE, old_path, old_path_len, follow) as source:
            with self._resolve(data, new_fd, Rights.PATH_LINK_TARGET, new_path, new_path_len, False) as target:
                if source.must_be_directory or target.must_be_directory:
                    return Errno.NOTDIR if source.must_be_directory else Errno.NOENT
                os.link(source.name, target.name, src_dir_fd=source.dir_fd, dst_dir_fd=target.dir_fd,
                        follow_symlinks=False)
        return Errno.SUCCESS

    def _path_open(self, data, fd, dirflags, path, path_len, oflags, rights_base, rights_inheriting,
                   fdflags, fd_ptr):
        _check_flags(dirflags, Lookupflags.ALL, "lookupflags")
        _check_flags(oflags, Oflags.ALL, "oflags")
        _check_flags(rights_base, Rights.ALL, "rights")
        _check_flags(rights_inheriting, Rights.ALL, "rights")
        _check_flags(fdflags, Fdflags.ALL, "fdflags")
        check(data, fd_ptr, 4, 4)
        directory = self._dir(fd, Rights.PATH_OPEN)
        if oflags & Oflags.CREAT and not directory.rights_base & Rights.PATH_CREATE_FILE:
            return Errno.NOTCAPABLE
        guest_path = read_path(data, path, path_len)
        # A new descriptor never holds more than its directory lets it inherit.
        base = rights_base & directory.rights_inheriting
        inheriting = rights_inheriting & directory.rights_inheriting
        want_write = bool(base & Rights.WRITE_MASK) and not oflags & Oflags.DIRECTORY
        want_read = bool(base & Rights.READ_MASK) or not want_write
        if want_read and want_write:
            flags = os.O_RDWR
        elif want_write:
            flags = os.O_WRONLY
        else:
            flags = os.O_RDONLY
        flags |= _CLOEXEC | os.O_NOFOLLOW  # symlinks were resolved by the sandbox walk
        if oflags & Oflags.CREAT:
            flags |= os.O_CREAT
        if oflags & Oflags.EXCL:
            flags |= os.O_EXCL
        if oflags & Oflags.TRUNC:
            flags |= os.O_TRUNC
        if oflags & Oflags.DIRECTORY:
            flags |= os.O_DIRECTORY
        for wasi_bit, host_name in ((Fdflags.APPEND, "O_APPEND"), (Fdflags.DSYNC, "O_DSYNC"),
                                    (Fdflags.NONBLOCK, "O_NONBLOCK"), (Fdflags.RSYNC, "O_RSYNC"),
                                    (Fdflags.SYNC, "O_SYNC")):
            if fdflags & wasi_bit:
                host_bit = getattr(os, host_name, None)
                if host_bit is None:
                    return Errno.NOTSUP
                flags |= host_bit
        follow = bool(dirflags & Lookupflags.SYMLINK_FOLLOW)
        with resolve(directory.host_fd, guest_path, follow) as target:
            if target.must_be_directory:
                flags |= os.O_DIRECTORY
            if target.name == "." and flags & os.O_CREAT and flags & os.O_EXCL:
                return Errno.EXIST
            host_fd = os.open(target.name, flags, 0o666, dir_fd=target.dir_fd)
        try:
            mode = os.fstat(host_fd).st_mode
            if _stat.S_ISDIR(mode):
                # wasmtime refuses fd_write rights on a directory even with oflags DIRECTORY (which opened
                # it read-only here): a directory descriptor never claims a right it cannot have.
                if want_write or base & Rights.FD_WRITE:
                    raise WasiError(Errno.ISDIR)
                descriptor = DirectoryDescriptor(
                    host_fd, base & Rights.DIRECTORY_BASE, inheriting, fdflags=fdflags)
            else:
                descriptor = FileDescriptor(
                    host_fd, _filetype_of(mode), base & Rights.REGULAR_FILE_BASE, inheriting, fdflags,
                    readable=want_read, writable=want_write)
        except BaseException:
            os.close(host_fd)
            raise
        _U32.pack_into(data, fd_ptr, self.fds.insert(descriptor))
        return Errno.SUCCESS

    def _path_readlink(self, data, fd, path, path_len, buf, buf_len, bufused_ptr):
        with self._resolve(data, fd, Rights.PATH_READLINK, path, path_len, False) as target:
            contents = os.fsencode(os.readlink(target.name, dir_fd=target.dir_fd))
        if contents.startswith(b"/"):
            # An absolute target names a host path outside every preopen: wasmtime (cap-std) answers
            # EPERM instead of showing it, before it looks at the buffers.
            return ESCAPE_ERRNO
        contents = contents[:buf_len]
        check(data, buf, len(contents))  # as wasmtime: only the bytes written must fit
        check(data, bufused_ptr, 4, 4)
        data[buf : buf + len(contents)] = contents
        _U32.pack_into(data, bufused_ptr, len(contents))
        return Errno.SUCCESS

    def _path_remove_directory(self, data, fd, path, path_len):
        with self._resolve(data, fd, Rights.PATH_REMOVE_DIRECTORY, path, path_len, False) as target:
            if target.name == ".":
                return Errno.INVAL
            os.rmdir(target.name, dir_fd=target.dir_fd)
        return Errno.SUCCESS

    def _path_rename(self, data, fd, old_path, old_path_len, new_fd, new_path, new_path_len):
        with self._resolve(data, fd, Rights.PATH_RENAME_SOURCE, old_path, old_path_len, False) as source:
            with self._resolve(data, new_fd, Rights.PATH_RENAME_TARGET, new_path, new_path_len, False) as target:
                if source.name == "." or target.name == ".":
                    return Errno.BUSY
                if source.must_be_directory or target.must_be_directory:
                    info = os.stat(source.name, dir_fd=source.dir_fd, follow_symlinks=False)
                    if not _stat.S_ISDIR(info.st_mode):
                        return Errno.NOTDIR
                os.rename(source.name, target.name, src_dir_fd=source.dir_fd, dst_dir_fd=target.dir_fd)
        return Errno.SUCCESS

    def _path_symlink(self, data, old_path, old_path_len, fd, new_path, new_path_len):
        link_target = read_path(data, old_path, old_path_len)
        if link_target.startswith("/"):
            return ESCAPE_ERRNO  # it could never be followed inside the sandbox
        with self._resolve(data, fd, Rights.PATH_SYMLINK, new_path, new_path_len, False) as target:
            if target.name == ".":
                return Errno.EXIST
            if target.must_be_directory:
                return Errno.NOENT
            os.symlink(link_target, target.name, dir_fd=target.dir_fd)
        return Errno.SUCCESS

    def _path_unlink_file(self, data, fd, path, path_len):
        with self._resolve(data, fd, Rights.PATH_UNLINK_FILE, path, path_len, False) as target:
            if target.name == ".":
                return Errno.ISDIR
            if target.must_be_directory:
                info = os.stat(target.name, dir_fd=target.dir_fd, follow_symlinks=False)
                return Errno.ISDIR if _stat.S_ISDIR(info.st_mode) else Errno.NOTDIR
            os.unlink(target.name, dir_fd=target.dir_fd)
        return Errno.SUCCESS

    # -- poll, process, scheduling, sockets ------------------------------------

    def _poll_oneoff(self, data, in_ptr, out_ptr, nsubscriptions, nevents_ptr):
        if nsubscriptions == 0:
            return Errno.INVAL
        check(data, in_ptr, nsubscriptions * SUBSCRIPTION_SIZE, 8)
        check(data, out_ptr, nsubscriptions * EVENT_SIZE, 8)
        check(data, nevents_ptr, 4, 4)
        from .poll import poll_subscriptions

        events = poll_subscriptions(self, data, in_ptr, nsubscriptions)
        for i, (userdata, error, kind, nbytes, rwflags) in enumerate(events):
            _EVENT.pack_into(data, out_ptr + i * EVENT_SIZE, userdata, error, kind, nbytes, rwflags)
        _U32.pack_into(data, nevents_ptr, len(events))
        return Errno.SUCCESS

    def _proc_exit(self, data, code):
        raise ExitError(code)

    def _proc_raise(self, data, sig):
        return Errno.NOSYS

    def _sched_yield(self, data):
        if hasattr(os, "sched_yield"):
            os.sched_yield()
        return Errno.SUCCESS

    def _socket(self, fd: int, right: int) -> SocketDescriptor:
        entry = self.fds.get(fd)
        if type(entry) is not SocketDescriptor:
            raise WasiError(Errno.NOTSOCK)
        if not entry.rights_base & right:
            raise WasiError(Errno.NOTCAPABLE)
        return entry

    def _sock_accept(self, data, fd, flags, fd_ptr):
        _check_flags(flags, Fdflags.ALL, "fdflags")
        listener = self._socket(fd, Rights.SOCK_ACCEPT)
        if flags & ~Fdflags.NONBLOCK:
            return Errno.INVAL
        check(data, fd_ptr, 4, 4)  # before accepting, so a fault cannot drop a connection
        connection, _address = listener.sock.accept()
        connection.setblocking(not flags)
        try:
            new_fd = self.fds.insert(SocketDescriptor(connection, listener.rights_inheriting & Rights.SOCKET
                                                      & ~Rights.SOCK_ACCEPT, flags))
        except WasiError:
            connection.close()
            raise
        _U32.pack_into(data, fd_ptr, new_fd)
        return Errno.SUCCESS

    def _sock_recv(self, data, fd, ri_data, ri_data_len, ri_flags, ro_datalen_ptr, ro_flags_ptr):
        _check_flags(ri_flags, RIFLAGS_ALL, "riflags")
        buf, size = first_iovec(data, ri_data, ri_data_len)  # one buffer a call, as fd_read
        check(data, ro_datalen_ptr, 4, 4)
        check(data, ro_flags_ptr, 2, 2)
        entry = self._socket(fd, Rights.FD_READ)
        check(data, buf, size)
        import socket  # only socket guests pay for the module at start-up

        host_flags = 0
        if ri_flags & RIFLAGS_RECV_PEEK:
            host_flags |= socket.MSG_PEEK
        if ri_flags & RIFLAGS_RECV_WAITALL:
            host_flags |= socket.MSG_WAITALL
        payload, _ancillary, msg_flags, _address = entry.sock.recvmsg(min(size, _MAX_READ), 0, host_flags)
        data[buf : buf + len(payload)] = payload
        _U32.pack_into(data, ro_datalen_ptr, len(payload))
        truncated = msg_flags & getattr(socket, "MSG_TRUNC", 0)
        _U16.pack_into(data, ro_flags_ptr, ROFLAGS_RECV_DATA_TRUNCATED if truncated else 0)
        return Errno.SUCCESS

    def _sock_send(self, data, fd, si_data, si_data_len, si_flags, so_datalen_ptr):
        _check_flags(si_flags, 0, "siflags")
        buf, size = first_iovec(data, si_data, si_data_len)  # one buffer a call, as fd_write
        check(data, so_datalen_ptr, 4, 4)
        entry = self._socket(fd, Rights.FD_WRITE)
        check(data, buf, size)
        sent = entry.sock.send(bytes(data[buf : buf + size]))
        _U32.pack_into(data, so_datalen_ptr, sent)
        return Errno.SUCCESS

    def _sock_shutdown(self, data, fd, how):
        _check_flags(how, SDFLAGS_ALL, "sdflags")
        entry = self._socket(fd, Rights.SOCK_SHUTDOWN)
        import socket

        modes = {SDFLAGS_RD: socket.SHUT_RD, SDFLAGS_WR: socket.SHUT_WR, SDFLAGS_ALL: socket.SHUT_RDWR}
        if how not in modes:
            return Errno.INVAL
        entry.sock.shutdown(modes[how])
        return Errno.SUCCESS

