"""LEB128 encoding (binary format §5.2.2): the one encoder the assembler, its opcode table and the demo share."""

from __future__ import annotations


def uleb(value: int) -> bytes:
    """``value`` (>= 0) as unsigned LEB128, in the fewest bytes."""
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def sleb(value: int) -> bytes:
    """``value`` as signed LEB128, in the fewest bytes."""
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if (value == 0 and not byte & 0x40) or (value == -1 and byte & 0x40):
            out.append(byte)
            return bytes(out)
        out.append(byte | 0x80)
