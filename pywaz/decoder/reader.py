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
    ABSTRACT_REF_CODES,
    I8,
    I16,
    I32,
    I64,
    VALUE_TYPES,
    FieldType,
    GlobalType,
    Limits,
    MemoryType,
    TableType,
    ref_type,
)
from ..features import DEFAULT as DEFAULT_FEATURES
from . import proposals
from .leb import UNEXPECTED_END, read_signed, read_unsigned


def read_heap_type(data: bytes, pos: int, features) -> tuple[int, int]:
    """A heap type at ``pos`` (an s33: negative abstract code or a type index) and the position after it.

    Raises:
        DecodeError: a negative code that is no heap type ("malformed heap type"), a bad LEB128.
        ProposalError: the heap type belongs to an unavailable proposal.
    """
    heap, end = read_signed(data, pos, 33)
    if heap < 0:
        code = heap + 0x80
        if code not in ABSTRACT_REF_CODES:
            raise DecodeError("malformed heap type", pos)
        if code != 0x70 and code != 0x6F:
            proposals.check(proposals.TYPE_CODES, code, pos, features, "malformed heap type")
    elif not features.function_references:
        proposals.check(proposals.TYPE_CODES, 0x63, pos, features, "malformed heap type")
    return heap, end


def read_value_type(data: bytes, pos: int, features):
    """A value type at ``pos`` (see :meth:`Reader.value_type`) and the position after it.

    Raises:
        DecodeError: malformed; the module ends.
        ProposalError: the type belongs to an unavailable proposal.
    """
    if pos >= len(data):
        raise DecodeError(UNEXPECTED_END, pos)
    code = data[pos]
    if code in VALUE_TYPES:
        return code, pos + 1
    if code in ABSTRACT_REF_CODES or code == 0x63 or code == 0x64:
        proposals.check(proposals.TYPE_CODES, code, pos, features, f"malformed value type 0x{code:02x}")
        if code > 0x64:
            return code, pos + 1
        heap, end = read_heap_type(data, pos + 1, features)
        return ref_type(code == 0x63, heap), end
    raise type_code_error("malformed value type", code, pos)


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

    def value_type(self):
        """A value type (§5.3.4): a one-byte code, or ``(ref null? heaptype)`` (typed function references)."""
        pos = self.pos
        if pos < self.size:
            code = self.data[pos]
            if code in VALUE_TYPES:
                self.pos = pos + 1
                return code
        valtype, self.pos = read_value_type(self.data, pos, self.features)
        return valtype

    def ref_type(self):
        """A reference type (§5.3.3): a nullable abstract shorthand or ``(ref null? heaptype)``."""
        pos = self.pos
        code = self.byte()
        if code in ABSTRACT_REF_CODES or code == 0x63 or code == 0x64:
            if code != 0x70 and code != 0x6F:
                proposals.check(proposals.TYPE_CODES, code, pos, self.features,
                                f"malformed reference type 0x{code:02x}")
            return code if code > 0x64 else ref_type(code == 0x63, self.heap_type())
        proposals.check(proposals.TYPE_CODES, code, pos, self.features, f"malformed reference type 0x{code:02x}")
        raise type_code_error("malformed reference type", code, pos)

    def heap_type(self) -> int:
        """A heap type (§5.3.2): an abstract one (negative, ``HT_*``) or a type index, as the s33 it is."""
        pos = self.pos
        heap, self.pos = read_heap_type(self.data, pos, self.features)
        return heap

    def storage_type(self):
        """A field's storage type (GC): a value type or packed i8 / i16."""
        if self.pos < self.size and self.data[self.pos] in (I8, I16):
            self.pos += 1
            return self.data[self.pos - 1]
        return self.value_type()

    def field_type(self) -> FieldType:
        storage = self.storage_type()
        pos = self.pos
        mutability = self.byte()
        if mutability > 1:
            raise DecodeError("malformed mutability", pos)
        return FieldType(storage, mutability == 1)

    def limits(self, memory: bool = False) -> tuple[Limits, int, bool]:
        """Limits (§5.3.7), the address type they are for and whether shared: ``(limits, I32 or I64, shared)``.

        The flag byte says whether a maximum follows (bit 0), whether the memory is
        shared (bit 1, threads; memories only) and whether the table or memory is
        64-bit (bit 2, memory64, whose sizes are u64). Without those proposals the
        flag is read as 2.0 reads it, a 1-bit LEB128.

        Raises:
            DecodeError: a flag no enabled proposal defines ("malformed limits flags";
                "integer too large" / "integer representation too long" as 2.0 says),
                or a size does not fit its width.
            ProposalError: the flag needs memory64 or threads and it is unavailable.
        """
        features = self.features
        pos = self.pos
        flags = self.data[pos] if pos < self.size else None
        if flags is None or flags <= 1:
            has_max = self.unsigned(1)
            # 3.0 reads every size as a u64 (validation bounds it by the address type); 2.0 as a u32.
            bits = 64 if features.memory64 else 32
            minimum = self.unsigned(bits)
            return Limits(minimum, self.unsigned(bits) if has_max else None), I32, False
        spec_text = "integer representation too long" if flags & 0x80 else "integer too large"
        known = flags <= 7 and (memory or flags & 2 == 0)
        if known and flags & 4 and not features.memory64:
            raise proposals.proposal_off("memory64", f"64-bit {'memory' if memory else 'table'} limits", pos,
                                         features, spec_text)
        if known and flags & 2:
            if features.threads is None:
                # Read on as unshared; the module decoder raises the proposal error at the end.
                if not self.deferred:
                    self.deferred.append(proposals.proposal_off("threads", "shared memory", pos, features))
            elif not features.threads:
                raise proposals.proposal_off("threads", "shared memory", pos, features, spec_text)
        if not known:
            if not (features.memory64 or features.threads):
                self.unsigned(1)  # raises as 2.0's reader does
            raise DecodeError(f"malformed limits flags 0x{flags:02x}", pos)
        self.pos = pos + 1
        bits = 64 if flags & 4 else 32
        minimum = self.unsigned(bits)
        maximum = self.unsigned(bits) if flags & 1 else None
        shared = bool(flags & 2) and bool(features.threads)
        return Limits(minimum, maximum), I64 if flags & 4 else I32, shared

    def table_type(self) -> TableType:
        if self.pos < self.size and self.data[self.pos] == 0x40:
            proposals.check({0x40: ("function_references", "table with an initializer expression")},
                            0x40, self.pos, self.features, "malformed reference type 0x40")
            raise DecodeError("malformed reference type 0x40 (a table initializer is only allowed in a table "
                              "definition)", self.pos)
        elem_type = self.ref_type()
        limits, address_type, _shared = self.limits()
        return TableType(elem_type, limits, address_type)

    def memory_type(self) -> MemoryType:
        limits, address_type, shared = self.limits(memory=True)
        return MemoryType(limits, address_type, shared)

    def global_type(self) -> GlobalType:
        valtype = self.value_type()
        pos = self.pos
        mutability = self.byte()
        if mutability > 1:
            raise DecodeError("malformed mutability", pos)
        return GlobalType(valtype, mutability == 1)
