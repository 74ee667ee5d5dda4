"""A cursor over module bytes for the section-level grammar (binary format §5.1-§5.3).

Enters: the module bytes. Leaves: values (bytes, LEB128 integers, names,
types, limits) read at an advancing ``pos``. Reads are bounded by the end of
the module, as in the reference interpreter; the section decoder checks each
section's declared size afterwards. Hot instruction decoding does not use this
class (see :mod:`.instructions`).
"""

from __future__ import annotations

from ..errors import DecodeError
from ..ir import (
    EXTERNREF,
    FUNCREF,
    VALUE_TYPES,
    GlobalType,
    Limits,
    MemoryType,
    TableType,
)
from ..features import DEFAULT as DEFAULT_FEATURES
from . import proposals
from .leb import UNEXPECTED_END, read_signed, read_unsigned


def type_code_error(message: str, code: int, pos: int) -> DecodeError:
    """The error for a bad one-byte type code.

    Type codes are signed 7-bit LEB128 values in the reference interpreter, so a
    byte with the continuation bit set is reported as an over-long integer.
    """
    if code & 0x80:
        return DecodeError("integer representation too long", pos + 1)
    return DecodeError(f"{message} 0x{code:02x}", pos)


class Reader:
    """Reads binary-format values from ``data`` starting at ``pos``."""

    __slots__ = ("data", "pos", "size", "features", "deferred")

    def __init__(self, data: bytes, pos: int = 0, features=DEFAULT_FEATURES):
        self.data = data
        self.pos = pos
        self.size = len(data)
        self.features = features  # the proposals this module may use (a pywaz.Features)
        # The first use of a proposal pywaz does not implement, read past so that a malformed binary is
        # still reported as malformed; the module decoder raises it once the whole module has decoded.
        self.deferred: list = []

    def at_end(self) -> bool:
        return self.pos >= self.size

    def byte(self) -> int:
        """One byte. Raises: DecodeError at the end of the module."""
        pos = self.pos
        if pos >= self.size:
            raise DecodeError(UNEXPECTED_END, pos)
        self.pos = pos + 1
        return self.data[pos]

    def bytes(self, count: int) -> bytes:
        """``count`` raw bytes. Raises: DecodeError if fewer remain."""
        pos = self.pos
        end = pos + count
        if end > self.size:
            raise DecodeError(UNEXPECTED_END, self.size)
        self.pos = end
        return self.data[pos:end]

    def u32(self) -> int:
        """A u32 LEB128. Raises: DecodeError (see :mod:`.leb`)."""
        pos = self.pos
        if pos < self.size:
            byte = self.data[pos]
            if byte < 0x80:
                self.pos = pos + 1
                return byte
        value, self.pos = read_unsigned(self.data, pos, 32)
        return value

    def unsigned(self, bits: int) -> int:
        value, self.pos = read_unsigned(self.data, self.pos, bits)
        return value

    def signed(self, bits: int) -> int:
        value, self.pos = read_signed(self.data, self.pos, bits)
        return value

    def length(self) -> int:
        """A u32 length or count that cannot exceed the bytes left (reference ``len32``).

        Raises:
            DecodeError: "length out of bounds" if it does.
        """
        pos = self.pos
        value = self.u32()
        if value > self.size - pos:
            raise DecodeError("length out of bounds", pos)
        return value

    def name(self) -> str:
        """A name: length-prefixed UTF-8 (§5.2.4).

        Raises:
            DecodeError: "malformed UTF-8 encoding", or the bytes run out.
        """
        pos = self.pos
        raw = self.bytes(self.length())
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            raise DecodeError("malformed UTF-8 encoding", pos) from None

    def expect_zero(self) -> None:
        pos = self.pos
        if self.byte() != 0:
            raise DecodeError("zero byte expected", pos)

    # -- types (§5.3)

    def value_type(self) -> int:
        pos = self.pos
        code = self.byte()
        if code not in VALUE_TYPES:
            proposals.check(proposals.TYPE_CODES, code, pos, self.features, f"malformed value type 0x{code:02x}")
            raise type_code_error("malformed value type", code, pos)
        return code

    def ref_type(self) -> int:
        pos = self.pos
        code = self.byte()
        if code != FUNCREF and code != EXTERNREF:
            proposals.check(proposals.TYPE_CODES, code, pos, self.features, f"malformed reference type 0x{code:02x}")
            raise type_code_error("malformed reference type", code, pos)
        return code

    def limits(self) -> Limits:
        """Limits (§5.3.7): a 1-bit LEB128 flag, min, optional max.

        Raises:
            DecodeError: flag not 0/1 ("integer too large" / "integer
                representation too long", as the reference reads it as a vu1).
        """
        has_max = self.unsigned(1)
        minimum = self.u32()
        maximum = self.u32() if has_max else None
        return Limits(minimum, maximum)

    def table_type(self) -> TableType:
        if self.pos < self.size and self.data[self.pos] == 0x40:
            proposals.check({0x40: ("function_references", "table with an initializer expression")},
                            0x40, self.pos, self.features, "malformed reference type 0x40")
        elem_type = self.ref_type()
        return TableType(elem_type, self.limits())

    def memory_type(self) -> MemoryType:
        return MemoryType(self.limits())

    def global_type(self) -> GlobalType:
        valtype = self.value_type()
        pos = self.pos
        mutability = self.byte()
        if mutability > 1:
            raise DecodeError("malformed mutability", pos)
        return GlobalType(valtype, mutability == 1)
