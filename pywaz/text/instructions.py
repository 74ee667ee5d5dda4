"""The text format's instruction names, their binary opcodes and immediate shapes (Text §6.5, Binary §5.4).

Output: ``INSTRUCTIONS[name] = (opcode bytes, immediate kind)``. The numeric,
memory and vector instructions come from :mod:`pywaz.opcodes` (one table for
the decoder and the assembler); control, reference, GC, exception and
tail-call instructions, which that table does not list, are spelled here.
"""

from __future__ import annotations

from ..opcodes import IMMEDIATES, OP_NAMES, split_opcode
from .leb import uleb

# name  opcode  immediate kind
_EXTRA = """
unreachable 00 -
nop 01 -
block 02 block
loop 03 block
if 04 block
else 05 -
try 06 block
catch 07 tag
throw 08 tag
rethrow 09 label
throw_ref 0a -
end 0b -
br 0c label
br_if 0d label
br_table 0e br_table
return 0f -
call 10 func
call_indirect 11 call_indirect
return_call 12 func
return_call_indirect 13 call_indirect
call_ref 14 type
return_call_ref 15 type
delegate 18 label
catch_all 19 -
drop 1a -
select 1b select
try_table 1f block
local.get 20 local
local.set 21 local
local.tee 22 local
global.get 23 global
global.set 24 global
table.get 25 table
table.set 26 table
memory.size 3f memidx
memory.grow 40 memidx
ref.null d0 heaptype
ref.is_null d1 -
ref.func d2 func
ref.eq d3 -
ref.as_non_null d4 -
br_on_null d5 label
br_on_non_null d6 label
struct.new fb00 type
struct.new_default fb01 type
struct.get fb02 field
struct.get_s fb03 field
struct.get_u fb04 field
struct.set fb05 field
array.new fb06 type
array.new_default fb07 type
array.new_fixed fb08 type_nat
array.new_data fb09 type_data
array.new_elem fb0a type_elem
array.get fb0b type
array.get_s fb0c type
array.get_u fb0d type
array.set fb0e type
array.len fb0f -
array.fill fb10 type
array.copy fb11 type_type
array.init_data fb12 type_data
array.init_elem fb13 type_elem
ref.test fb14 ref_test
ref.cast fb16 ref_test
br_on_cast fb18 br_on_cast
br_on_cast_fail fb19 br_on_cast
any.convert_extern fb1a -
extern.convert_any fb1b -
ref.i31 fb1c -
i31.get_s fb1d -
i31.get_u fb1e -
memory.init fc08 memory.init
data.drop fc09 data
memory.copy fc0a memory.copy
memory.fill fc0b memidx
table.init fc0c table.init
elem.drop fc0d elem
table.copy fc0e table.copy
table.grow fc0f table
table.size fc10 table
table.fill fc11 table
"""


def _encode_opcode(code: int) -> bytes:
    prefix, sub = split_opcode(code)
    if prefix is None:
        return bytes((sub,))
    return bytes((prefix,)) + uleb(sub)


def _build() -> dict[str, tuple[bytes, str]]:
    table: dict[str, tuple[bytes, str]] = {}
    for code, name in OP_NAMES.items():
        table[name] = (_encode_opcode(code), IMMEDIATES[code])
    for line in _EXTRA.strip().splitlines():
        name, code_text, kind = line.split()
        if len(code_text) == 2:
            opcode = bytes((int(code_text, 16),))
        else:
            opcode = bytes((int(code_text[:2], 16),)) + uleb(int(code_text[2:], 16))
        table[name] = (opcode, kind)
    del table["select_t"]  # the decoder's name for typed select, written `select (result t)` in text
    return table


INSTRUCTIONS = _build()
"""Instruction name -> (opcode bytes, immediate kind)."""


def natural_alignment(name: str) -> int:
    """The natural alignment (in bytes) of a memory instruction, from its name (Text §6.5.6)."""
    op = name.split(".", 1)[1]
    for width, size in (("128", 16), ("8x8", 8), ("16x4", 8), ("32x2", 8), ("64", 8), ("32", 4),
                        ("16", 2), ("8", 1)):
        if width in op:
            return size
    if name.startswith(("i64", "f64")):
        return 8
    if name.startswith("v128"):
        return 16
    return 4
