"""LEB128 integers (binary format §5.2.2) with the spec's exact malformed rules.

Each reader takes ``(data, pos)`` and returns ``(value, new_pos)``. An
N-bit integer may use at most ceil(N/7) bytes ("integer representation too
long"), and the unused high bits of its last byte must be zero (unsigned) or
copies of the sign bit (signed), else "integer too large". Both checks are
made byte by byte in the order the reference interpreter makes them, so the
first problem found is the one reported.

These are the slow paths; hot loops inline a one-byte fast path and call
here only when the continuation bit is set.
"""

from __future__ import annotations

from ..errors import DecodeError

UNEXPECTED_END = "unexpected end of section or function"


def read_unsigned(data: bytes, pos: int, bits: int) -> tuple[int, int]:
    """Read an unsigned ``bits``-wide LEB128 at ``pos``.

    Raises:
        DecodeError: too many bytes, unused bits set, or the data ends.
    """
    result = 0
    shift = 0
    remaining = bits
    end = len(data)
    while True:
        if remaining <= 0:
            raise DecodeError("integer representation too long", pos)
        if pos >= end:
            raise DecodeError(UNEXPECTED_END, pos)
        byte = data[pos]
        if remaining < 7 and (byte & 0x7F) >= (1 << remaining):
            raise DecodeError("integer too large", pos)
        result |= (byte & 0x7F) << shift
        pos += 1
        if not byte & 0x80:
            return result, pos
        shift += 7
        remaining -= 7


def read_signed(data: bytes, pos: int, bits: int) -> tuple[int, int]:
    """Read a signed ``bits``-wide LEB128 at ``pos`` (result is a signed Python int).

    Raises:
        DecodeError: too many bytes, unused bits not a sign extension, or the data ends.
    """
    result = 0
    shift = 0
    remaining = bits
    end = len(data)
    while True:
        if remaining <= 0:
            raise DecodeError("integer representation too long", pos)
        if pos >= end:
            raise DecodeError(UNEXPECTED_END, pos)
        byte = data[pos]
        if remaining < 7:
            # Bits above the value's top bit (bit remaining-1 of this byte) must all
            # equal that sign bit: 0 for non-negative, 1 for negative.
            mask = (-1 << (remaining - 1)) & 0x7F
            if byte & mask not in (0, mask):
                raise DecodeError("integer too large", pos)
        result |= (byte & 0x7F) << shift
        pos += 1
        shift += 7
        if not byte & 0x80:
            if byte & 0x40:
                result -= 1 << shift
            return result, pos
        remaining -= 7


def read_u32(data: bytes, pos: int) -> tuple[int, int]:
    """Read a u32 (one-byte fast path). Raises: DecodeError."""
    if pos < len(data):
        byte = data[pos]
        if byte < 0x80:
            return byte, pos + 1
    return read_unsigned(data, pos, 32)
