"""program_offsets: every entry of a lowered program points at an instruction of the kind it runs.

Checked over every function of the C programs in tests/programs (clang output:
fused loads, compares and branches everywhere), so a fusion rule added to
prepare._append without its line in prepare._FUSED shows up here.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from pywaz import numeric
from pywaz.decoder import decode_module
from pywaz.interpreter import prepare as p
from pywaz.interpreter.misc import MISC_OPS
from pywaz.validator import validate

PROGRAMS = sorted((Path(__file__).resolve().parents[1] / "programs" / "wasm").glob("*.wasm"))

LOADS = set(range(0x28, 0x36))
STORES = set(range(0x36, 0x3F))
BINARY = set(numeric.BINARY_OPS)
# The instruction each code's offset must name (codes not listed are not checked).
EXPECTED = {
    p.CALL_LOCAL: {0x10},
    p.CALL_IMPORT: {0x10},
    p.CALL_INDIRECT: {0x11},
    p.UNREACHABLE: {0x00},
    p.LOAD: LOADS,
    p.LOAD_S32: LOADS,
    p.LOAD_S64: LOADS,
    p.LOAD_F32: LOADS,
    p.GET_LOAD: LOADS,
    p.STORE: STORES,
    p.STORE_NARROW: STORES,
    p.STORE_F32: STORES,
    p.LOCAL_GET: {0x20},
    p.LOCAL_GET2: {0x20},
    p.LOCAL_SET: {0x21},
    p.BR_IF_EQZ: {0x45},
    **{
        code: BINARY
        for code in (
            p.GET_GET_BINOP,
            p.GET_CONST_BINOP,
            p.GET_CONST_BINOP_SET,
            p.GET_GET_BINOP_SET,
            p.BINOP_BR_IF,
            p.GET_CONST_BINOP_BR_IF,
            p.GET_GET_BINOP_BR_IF,
            p.GET_BINOP,
            p.I32_ADD_CONST,
            p.CONST_BINOP,
            p.GET_CONST_BINOP_TEE,
            p.GET_GET_BINOP_TEE,
            p.TEE_GET_BINOP_BR_IF,
            p.GET_BINOP_BR_IF,
            p.I32_ADD,
            p.I32_SUB,
        )
    },
}


@pytest.mark.skipif(not PROGRAMS, reason="tests/programs/wasm is not present")
@pytest.mark.parametrize("path", PROGRAMS, ids=lambda path: path.name)
def test_each_entry_names_the_instruction_it_runs(path):
    validated = validate(decode_module(path.read_bytes()))
    checked = 0
    for info in validated.functions:
        body = info.body
        op_at = dict(zip(body.offsets, body.ops))
        code = p.prepare_function(validated, info, MISC_OPS)
        offsets = p.program_offsets(code.prog, body)
        assert len(offsets) == len(code.prog)
        assert list(offsets) == sorted(offsets), f"function {info.func_index}: entries out of instruction order"
        assert offsets[-1] == body.offsets[-1], f"function {info.func_index}: the final return is not the final end"
        for (entry, _), offset in zip(code.prog, offsets):
            wanted = EXPECTED.get(entry)
            if wanted is not None:
                assert op_at[offset] in wanted, f"function {info.func_index}: code {entry} at 0x{offset:x}"
                checked += 1
    assert checked > 100
