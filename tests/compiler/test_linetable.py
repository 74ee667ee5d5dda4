"""Line tables of compiled functions: every recorded site is an instruction that can trap or call,
every call is recorded, and each span covers text of the line it names.

Checked over every function of the C programs in tests/programs.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from pywaz.compiler import linetable
from pywaz.compiler.artifact import compile_function
from pywaz.compiler.lower.control import pure_leaf
from pywaz.decoder import decode_module
from pywaz.validator import validate

PROGRAMS = sorted((Path(__file__).resolve().parents[1] / "programs" / "wasm").glob("*.wasm"))

CAN_TRAP_OR_CALL = (
    {0x00, 0x10, 0x11, 0x25, 0x26}  # unreachable, call, call_indirect, table.get/set
    | set(range(0x28, 0x3F))  # loads and stores
    | {0x6D, 0x6E, 0x6F, 0x70, 0x7F, 0x80, 0x81, 0x82}  # integer division and remainder
    | {0xA8, 0xA9, 0xAA, 0xAB, 0xAE, 0xAF, 0xB0, 0xB1}  # float-to-int truncation
    | set(range(0xFC08, 0xFC12))  # bulk memory and table instructions
    | set(range(0xFD00, 0xFD0C))
    | set(range(0xFD54, 0xFD5E))  # SIMD loads and stores
)


def test_tables_round_trip():
    records = [(3, [(4, 20, 40), (10, 18, 41)]), (7, [(8, 30, 50)]), (900, [(0, 300, 7), (2, 3, 70000)])]
    table = linetable.encode(records)
    assert linetable.records(table) == records
    assert linetable.lookup(table, 3, 11, 17) == 41  # innermost span containing the position
    assert linetable.lookup(table, 3, 4, 20) == 40
    assert linetable.lookup(table, 3, 0, 2) == 40  # no span contains it: the line's widest span
    assert linetable.lookup(table, 3, None, None) == 40  # no column information: the widest span
    assert linetable.lookup(table, 7, None, None) == 50
    assert linetable.lookup(table, 900, 2, 3) == 70000
    assert linetable.lookup(table, 5, 0, 1) is None
    assert linetable.records(table[:-1]) == []  # damaged: no records rather than wrong ones
    assert linetable.lookup(linetable.MAGIC + b"\x81", 1, 0, 1) is None


@pytest.mark.skipif(not PROGRAMS, reason="tests/programs/wasm is not present")
@pytest.mark.parametrize("path", PROGRAMS, ids=lambda path: path.name)
def test_sites_are_trapping_or_calling_instructions_on_their_lines(path):
    validated = validate(decode_module(path.read_bytes()))
    sites = 0
    for local_index, info in enumerate(validated.functions):
        compiled = compile_function(validated, local_index)
        table = linetable.table_of(compiled.code)
        assert table is not None
        lines = compiled.source.splitlines()
        op_at = dict(zip(info.body.offsets, info.body.ops))
        recorded = set()
        for number, spans in linetable.records(table):
            text = lines[number - 1]
            for first, stop, offset in spans:
                assert op_at[offset] in CAN_TRAP_OR_CALL, f"function {info.func_index}: 0x{offset:x}"
                assert 0 <= first < stop <= len(text) and text[first:stop].strip() == text[first:stop]
                recorded.add(offset)
                sites += 1
        # Code after an unconditional branch is never lowered; these programs have no call there.
        # A call of a pure one-expression function is lowered in place: nothing there can trap or call.
        imported = validated.num_imported_funcs
        calls = {
            offset
            for offset, op, imm in zip(info.body.offsets, info.body.ops, info.body.imms)
            if op == 0x11 or (op == 0x10 and pure_leaf(validated.functions, imported, imm) is None)
        }
        assert calls <= recorded, f"function {info.func_index}: calls without a site"
    assert sites > 100
