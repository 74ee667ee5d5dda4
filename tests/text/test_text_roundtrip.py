"""Round trip: ``pywaz inspect --wasm`` listings assemble back to the same function.

For every function of every module binary in ``v3-json`` that pywaz decodes,
the listing's instruction lines (offsets and ``<name>`` notes removed, the
module's function types declared so ``(type N)`` block types resolve) are
assembled by :func:`pywaz.wat2wasm`; decoding the result must give the same
instructions and immediates. This checks the listing's spellings of every
immediate (floats and NaN payloads, v128 lanes, memargs, block types) and the
assembler's reading of them against each other.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from pywaz.decoder import decode_module
from pywaz.errors import PywazError
from pywaz.inspect.disasm import disassemble, num_imported_funcs
from pywaz.inspect.wat import functype_text
from pywaz.ir import FuncType
from pywaz.text import wat2wasm

V3_JSON = Path(__file__).resolve().parents[2].parent / "shared" / "wasm-testsuite" / "v3-json"


def _listing_text(module, index: int) -> str:
    lines = []
    for instruction in disassemble(module, index)[:-1]:  # the function's final `end` is implied
        text = instruction.text
        if text.endswith(">"):  # `call 3 <name>`: the note is for readers, not wat
            text = text.split(" <", 1)[0]
        lines.append(text)
    return "\n".join(lines)


def _roundtrip_module(data: bytes) -> int:
    try:
        module = decode_module(data)
    except PywazError:
        return 0  # a module pywaz does not decode (malformed on purpose, or a feature not implemented)
    if not all(isinstance(t, FuncType) for t in module.types):
        return 0
    types = "".join(f"(type (func {functype_text(t)}))" for t in module.types)
    first = num_imported_funcs(module)
    for position, body in enumerate(module.codes):
        text = _listing_text(module, first + position)
        again = decode_module(wat2wasm(f"(module {types} (func {text}))")).codes[0]
        assert list(zip(again.ops, map(repr, again.imms))) == list(zip(body.ops, map(repr, body.imms))), text
    return len(module.codes)


@pytest.mark.skipif(not V3_JSON.is_dir(), reason="3.0 testsuite data not found")
def test_listings_of_every_v3_function_assemble_back():
    functions = 0
    for path in sorted(V3_JSON.glob("*/*.wasm")):
        functions += _roundtrip_module(path.read_bytes())
    assert functions > 9000
