"""Standard-stream endpoints for a WASI guest (fds 0, 1, 2).

Input: what the embedder configured -- ``None`` (stdin reads EOF, output is
discarded), ``bytes`` (stdin contents), a ``str``/``PathLike`` path (a host file, opened
when the WASI instance is created), an ``int`` host fd (not closed by us;
0/1/2 inherit the host's stdio), or a Python stream (binary or text file
object). Output: a small object with ``read(n)``, ``write(data)``,
``isatty()`` and ``fileno()`` used by the fd table.
"""

from __future__ import annotations

import io
import os

from ..errors import PywazError


class Stream:
    """Base stdio endpoint: not readable, not writable, not a tty."""

    readable = False
    writable = False

    def read(self, size: int) -> bytes:
        raise OSError(9, "not readable")

    def write(self, data: bytes) -> int:
        raise OSError(9, "not writable")

    def isatty(self) -> bool:
        return False

    def fileno(self) -> int | None:
        """A host fd for readiness polling, or None (always ready)."""
        return None

    def close(self) -> None:
        pass


class EmptyInput(Stream):
    readable = True

    def read(self, size: int) -> bytes:
        return b""


class Discard(Stream):
    writable = True

    def write(self, data: bytes) -> int:
        return len(data)


class BytesInput(Stream):
    readable = True

    def __init__(self, data: bytes):
        self._data = bytes(data)
        self._pos = 0

    def read(self, size: int) -> bytes:
        chunk = self._data[self._pos : self._pos + size]
        self._pos += len(chunk)
        return chunk


class HostFdStream(Stream):
    """A host file descriptor, read/written with os.read/os.write."""

    def __init__(self, fd: int, readable: bool, writable: bool, owned: bool):
        self._fd = fd
        self.readable = readable
        self.writable = writable
        self._owned = owned

    def read(self, size: int) -> bytes:
        return os.read(self._fd, size)

    def write(self, data: bytes) -> int:
        return os.write(self._fd, data)

    def isatty(self) -> bool:
        try:
            return os.isatty(self._fd)
        except OSError:
            return False

    def fileno(self) -> int | None:
        return self._fd

    def close(self) -> None:
        if self._owned:
            self._owned = False
            os.close(self._fd)


class PythonStream(Stream):
    """A Python file object; text streams get UTF-8 (undecodable bytes replaced)."""

    def __init__(self, stream, readable: bool, writable: bool):
        self._text = isinstance(stream, io.TextIOBase) and not hasattr(stream, "buffer")
        if isinstance(stream, io.TextIOBase) and hasattr(stream, "buffer"):
            stream.flush()
            self._flush_text = stream
            stream = stream.buffer
        else:
            self._flush_text = None
        self._stream = stream
        self.readable = readable
        self.writable = writable

    def read(self, size: int) -> bytes:
        stream = self._stream
        reader = getattr(stream, "read1", None) or stream.read
        chunk = reader(size)
        if isinstance(chunk, str):
            chunk = chunk.encode("utf-8")
        return chunk or b""

    def write(self, data: bytes) -> int:
        if self._flush_text is not None:
            self._flush_text.flush()  # keep order with text already written
        if self._text:
            self._stream.write(data.decode("utf-8", "replace"))
        else:
            self._stream.write(data)
        flush = getattr(self._stream, "flush", None)
        if flush is not None:
            flush()
        return len(data)

    def isatty(self) -> bool:
        try:
            return bool(self._stream.isatty())
        except (AttributeError, ValueError, OSError):
            return False

    def fileno(self) -> int | None:
        try:
            return self._stream.fileno()
        except (AttributeError, ValueError, OSError, io.UnsupportedOperation):
            return None


def make_stream(spec, *, output: bool) -> Stream:
    """Build the endpoint for one configured stdio value.

    Raises:
        PywazError: ``spec`` has an unsupported type or a host file cannot be opened.
    """
    if spec is None:
        return Discard() if output else EmptyInput()
    if isinstance(spec, Stream):
        return spec
    if isinstance(spec, bool):
        raise PywazError(f"unsupported WASI stdio value {spec!r}")
    if isinstance(spec, int):
        return HostFdStream(spec, readable=not output, writable=output, owned=False)
    if isinstance(spec, (bytes, bytearray, memoryview)) and not output:
        return BytesInput(bytes(spec))
    if isinstance(spec, (str, os.PathLike)):
        flags = (os.O_WRONLY | os.O_CREAT | os.O_TRUNC) if output else os.O_RDONLY
        try:
            fd = os.open(spec, flags | getattr(os, "O_CLOEXEC", 0), 0o644)
        except OSError as error:
            raise PywazError(f"cannot open WASI stdio file {os.fspath(spec)!r}: {error.strerror}") from None
        return HostFdStream(fd, readable=not output, writable=output, owned=True)
    if hasattr(spec, "write" if output else "read"):
        return PythonStream(spec, readable=not output, writable=output)
    raise PywazError(f"unsupported WASI {'output' if output else 'input'} value {spec!r}")
