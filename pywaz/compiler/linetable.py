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
information (``python -X no_debug_ranges``) a line reports the instruction
that emitted it.
"""

from __future__ import annotations

import sys
import types
from array import array

MAGIC = b"pywaz-lines\x01"

# A line's record: its number, the offset to report when no span matches, the
# span count, then (first column, end column, offset) per span; all u32.


def encode(lines: list[tuple[int, int, tuple[tuple[int, int, int], ...]]]) -> bytes:
    """The table for ``(line number, default offset, spans)`` records, in line order."""
    values = array("I")
    for number, default, spans in lines:
        values.extend((number, default, len(spans)))
        for span in spans:
            values.extend(span)
    if sys.byteorder == "big":
        values.byteswap()
    return MAGIC + values.tobytes()


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


def records(table: bytes) -> list[tuple[int, int, list[tuple[int, int, int]]]]:
    """The ``(line number, default offset, spans)`` records of ``table`` (empty if it is damaged)."""
    values = array("I")
    try:
        values.frombytes(table[len(MAGIC) :])
    except ValueError:
        return []
    if sys.byteorder == "big":
        values.byteswap()
    out = []
    i = 0
    end = len(values)
    while i + 3 <= end:
        number, default, count = values[i], values[i + 1], values[i + 2]
        flat = values[i + 3 : i + 3 + 3 * count]
        i += 3 + 3 * count
        out.append((number, default, [tuple(flat[k : k + 3]) for k in range(0, len(flat) - 2, 3)]))
    return out


def lookup(table: bytes, line: int, column: int | None, end_column: int | None) -> int | None:
    """The wasm offset for a frame stopped at ``line`` (and that column span, if known).

    The innermost recorded span containing the columns wins; otherwise the
    line's default. None if the line carries nothing (it cannot trap or call).
    """
    for number, default, spans in records(table):
        if number != line:
            continue
        if column is None or end_column is None:
            return spans[0][2] if len(spans) == 1 else default
        best = None
        for first, stop, offset in spans:
            if first <= column and end_column <= stop and (best is None or stop - first < best[1] - best[0]):
                best = (first, stop, offset)
        return default if best is None else best[2]
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
