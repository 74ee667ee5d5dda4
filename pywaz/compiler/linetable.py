"""Line tables: from a position in generated Python back to the wasm instruction.

Enters: per generated source line, the wasm byte offsets of the instructions
whose text lowering put on that line, each with the column span of that text
(:class:`~pywaz.compiler.lower.FunctionLowering` records them). Leaves: a
compact ``bytes`` table carried inside the function's code object, and, at
trap time, the byte offset of the instruction a Python frame was executing.

One line of generated code often holds several wasm instructions (operands
fold into expressions), so a line number alone is not enough. CPython 3.11
records a column span for every bytecode instruction (``co_positions``); the
instruction a frame stopped at (``tb_lasti``) lies inside the text of exactly
the wasm instructions that contain it, and the innermost of those is the one
that trapped or called. Only instructions that can trap or call are recorded.

The table is appended to the code object's constants, so it travels with the
code through ``marshal`` and the disk cache and is read only when a trap is
being formatted; the generated code never refers to it. Without column
information (``python -X no_debug_ranges``) a line reports its widest site:
the statement the others are operands of.
"""

from __future__ import annotations

import types

MAGIC = b"pywaz-lines\x02"

# The table after MAGIC is a sequence of unsigned LEB128 numbers. Per line that
# holds sites: the line number minus the previous such line's, the span count,
# then per span its first column, its length, and its offset as a zigzag delta
# from the previous span's offset (sites on nearby lines are nearby in the
# binary, so most numbers take one byte).


def _put(out: bytearray, value: int) -> None:
    while value >= 0x80:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)


def encode(lines: list[tuple[int, list[tuple[int, int, int]]]]) -> bytes:
    """The table for ``(line number, spans)`` records in increasing line order; a span is
    ``(first column, end column, wasm offset)``."""
    out = bytearray(MAGIC)
    append = out.append
    previous_line = 0
    previous_offset = 0
    for number, spans in lines:
        # Most numbers fit one byte: append those directly (this runs for every site of every function).
        value = number - previous_line
        append(value) if value < 0x80 else _put(out, value)
        previous_line = number
        value = len(spans)
        append(value) if value < 0x80 else _put(out, value)
        for first, stop, offset in spans:
            append(first) if first < 0x80 else _put(out, first)
            value = stop - first
            append(value) if value < 0x80 else _put(out, value)
            delta = offset - previous_offset
            value = delta * 2 if delta >= 0 else -delta * 2 - 1
            append(value) if value < 0x80 else _put(out, value)
            previous_offset = offset
    return bytes(out)


def records(table: bytes) -> list[tuple[int, list[tuple[int, int, int]]]]:
    """The ``(line number, spans)`` records of ``table``; empty if it is damaged."""
    values = []
    value = shift = 0
    for byte in memoryview(table)[len(MAGIC) :]:
        value |= (byte & 0x7F) << shift
        if byte & 0x80:
            shift += 7
        else:
            values.append(value)
            value = shift = 0
    out = []
    line = offset = 0
    i = 0
    end = len(values)
    while i + 2 <= end:
        line += values[i]
        count = values[i + 1]
        i += 2
        if i + 3 * count > end:
            return []
        spans = []
        for _ in range(count):
            first, length, zigzag = values[i], values[i + 1], values[i + 2]
            i += 3
            offset += zigzag >> 1 if not zigzag & 1 else -((zigzag + 1) >> 1)
            spans.append((first, first + length, offset))
        out.append((line, spans))
    return out if i == end else []


def attach(code: types.CodeType, table: bytes) -> types.CodeType:
    """``code`` with ``table`` appended to its constants (the bytecode never loads it).

    A bytes constant can never be taken for a docstring (CPython only takes a
    leading ``str`` constant).
    """
    return code.replace(co_consts=(*code.co_consts, table))


def table_of(code: types.CodeType) -> bytes | None:
    """The line table attached to ``code``, or None (code from before line tables, or not generated)."""
    consts = code.co_consts
    if consts:
        last = consts[-1]
        if type(last) is bytes and last.startswith(MAGIC):
            return last
    return None


# Parsed tables of the functions traps went through lately (a bytes object caches
# its hash, so a repeated lookup costs one dict probe): a program that traps in a
# loop, caught by the embedder each time, parses each table once.
_PARSED_MAX = 64
_parsed: dict[bytes, list] = {}


def lookup(table: bytes, line: int, column: int | None, end_column: int | None) -> int | None:
    """The wasm offset for a frame stopped at ``line`` (and that column span, if known).

    The innermost recorded span containing the columns wins; otherwise (or
    without column information) the line's widest span, which is the
    statement its other sites are operands of. None if the line holds no site.
    """
    parsed = _parsed.get(table)
    if parsed is None:
        if len(_parsed) >= _PARSED_MAX:
            _parsed.clear()
        parsed = _parsed[table] = records(table)
    for number, spans in parsed:
        if number != line:
            continue
        widest = max(spans, key=lambda span: span[1] - span[0])
        if column is None or end_column is None:
            return widest[2]
        best = None
        for first, stop, offset in spans:
            if first <= column and end_column <= stop and (best is None or stop - first < best[1] - best[0]):
                best = (first, stop, offset)
        return widest[2] if best is None else best[2]
    return None


def offset_at(code: types.CodeType, lasti: int, positions_cache: dict | None = None) -> int | None:
    """The wasm offset of the instruction generated ``code`` was executing at bytecode offset ``lasti``.

    ``positions_cache`` (code -> list of positions) saves re-reading a code's
    positions when many frames run the same function (runaway recursion).
    """
    table = table_of(code)
    if table is None or lasti < 0:
        return None
    positions = positions_cache.get(code) if positions_cache is not None else None
    if positions is None:
        positions = list(code.co_positions())
        if positions_cache is not None:
            positions_cache[code] = positions
    if lasti // 2 >= len(positions):
        return None
    line, _end_line, column, end_column = positions[lasti // 2]
    if line is None:
        return None
    return lookup(table, line, column, end_column)
