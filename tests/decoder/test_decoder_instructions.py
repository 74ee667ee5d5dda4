"""Function bodies and instructions (binary §5.4, §5.5.13): every opcode, every immediate shape."""

import struct

import pytest

from pywaz.decoder import decode_module
from pywaz.decoder.sections import MAX_LOCALS
from pywaz.errors import DecodeError
from pywaz.features import Features
from pywaz.ir import ANYREF, HT_ANY, I31REF, NULLREF, func_type, ref_type
from pywaz.opcodes import IMMEDIATES, OP_NAMES, Op
from tests.wasmgen import (
    END,
    EXTERNREF,
    F32,
    F64,
    FUNCREF,
    HEADER,
    I32,
    I64,
    V128,
    block,
    blocktype,
    br_table,
    call_indirect,
    code_section,
    f32_const,
    f64_const,
    func_body,
    function_section,
    functype,
    i32_const,
    i64_const,
    if_,
    local_get,
    loop,
    memarg,
    module,
    op,
    opcode,
    s32,
    s64,
    single_func_module,
    type_section,
    u32,
    u64,
    v128_const,
    vec,
)


def body_of(code: bytes, locals_=(), features=None):
    """Decode a one-function module whose body is ``code`` (END included)."""
    return decode_module(single_func_module(code, locals_=locals_), features).codes[0]


def malformed_body(code: bytes, message: str, locals_=(), features=None) -> DecodeError:
    with pytest.raises(DecodeError) as info:
        body_of(code, locals_, features)
    assert info.value.message.startswith(message), info.value.message
    return info.value


# One sample encoding per immediate kind and the value the decoder must store.
SHUFFLE = bytes(range(15, -1, -1))
SAMPLES = {
    "-": (b"", None),
    "blocktype": (blocktype(I32), func_type((), (I32,))),
    "label": (u32(3), 3),
    "br_table": (vec([u32(0), u32(1), u32(200)]) + u32(2), (0, 1, 200, 2)),
    "func": (u32(70000), 70000),
    "call_indirect": (u32(5) + u32(1), (5, 1)),
    "local": (u32(128), 128),
    "global": (u32(1), 1),
    "table": (u32(2), 2),
    "elem": (u32(4), 4),
    "data": (u32(0), 0),
    "memarg": (memarg(2, 1 << 20), (2, 1 << 20, 0)),
    "memarg_lane": (memarg(0, 16) + b"\x07", (0, 16, 0, 7)),
    "atomic": (memarg(2, 1 << 20), (2, 1 << 20, 0)),  # threads: the validator, not the decoder, checks alignment
    "fence": (b"\x00", None),
    "memidx": (b"\x00", 0),
    "memory.init": (u32(9) + b"\x00", (9, 0)),
    "memory.copy": (b"\x00\x00", (0, 0)),
    "table.init": (u32(6) + u32(2), (6, 2)),
    "table.copy": (u32(1) + u32(3), (1, 3)),
    "i32": (s32(-2), 0xFFFFFFFE),
    "i64": (s64(-(1 << 63)), 1 << 63),
    "f32": (struct.pack("<I", 0x7FA00001), 0x7FA00001),
    "f64": (struct.pack("<Q", 0xFFF0000000000001), 0xFFF0000000000001),
    "v128": (bytes(range(16)), int.from_bytes(bytes(range(16)), "little")),
    "shuffle": (SHUFFLE, SHUFFLE),
    "lane": (b"\x0f", 15),
    "reftype": (bytes([EXTERNREF]), EXTERNREF),
    "select_t": (vec([bytes([V128])]), (V128,)),
    "tag": (u32(300), 300),
    # GC and typed function references (0xFB prefix, call_ref, br_on_null, ...)
    "type": (u32(7), 7),
    "field": (u32(7) + u32(2), (7, 2)),
    "type_nat": (u32(7) + u32(300), (7, 300)),
    "type_data": (u32(7) + u32(1), (7, 1)),
    "type_elem": (u32(7) + u32(1), (7, 1)),
    "type_type": (u32(7) + u32(8), (7, 8)),
    "ref_test": (u32(3), None),  # the nullable or non-null (ref 3): see the test
    # br_on_cast flags 1 (source nullable), label 2, anyref -> (ref 3)
    "br_on_cast": (b"\x01" + u32(2) + b"\x6e" + u32(3), (2, ANYREF, ref_type(False, 3))),
    # try_table (block type, clauses): catch 1 0, catch_ref 2 1, catch_all 0, catch_all_ref 3
    "try_table": (
        blocktype(I32)
        + vec([b"\x00" + u32(1) + u32(0), b"\x01" + u32(2) + u32(1), b"\x02" + u32(0), b"\x03" + u32(3)]),
        (func_type((), (I32,)), ((0, 1, 0), (1, 2, 1), (2, None, 0), (3, None, 3))),
    ),
}


@pytest.mark.parametrize("code", sorted(OP_NAMES), ids=lambda c: OP_NAMES[c])
def test_every_opcode_decodes_with_its_immediate(code):
    name = OP_NAMES[code]
    encoded_imm, expected = SAMPLES[IMMEDIATES[code]]
    instr = opcode(name) + encoded_imm
    if name in ("block", "loop", "if", "try", "try_table"):
        instr += END
    elif name in ("catch", "catch_all"):
        instr = opcode("try") + blocktype(I32) + instr + END
    elif name == "delegate":
        instr = opcode("try") + blocktype(I32) + instr
    elif name == "else":
        instr = if_() + instr + END
    elif name == "end":
        instr = block() + instr
    body = body_of(instr + END)
    index = body.ops.index(code)
    if IMMEDIATES[code] == "ref_test":
        expected = ref_type(name.endswith("_null"), 3)
    assert body.imms[index] == expected
    assert body.ops[-1] == Op.END and body.imms[-1] is None


def test_offsets_are_module_byte_offsets():
    code = i32_const(1000) + local_get(0) + op("drop") + op("drop") + END
    data = single_func_module(code, locals_=[(1, I32)])
    body = decode_module(data).codes[0]
    assert body.ops == [Op.I32_CONST, Op.LOCAL_GET, Op.DROP, Op.DROP, Op.END]
    assert body.offsets.typecode == "L"
    assert [data[o] for o in body.offsets] == [0x41, 0x20, 0x1A, 0x1A, 0x0B]
    assert data[body.offset : body.end].endswith(code)
    assert body.end == len(data)


@pytest.mark.parametrize(
    "encoded, value",
    [
        (i32_const(0), 0),
        (i32_const(63), 63),
        (i32_const(64), 64),
        (i32_const(-1), 0xFFFFFFFF),
        (i32_const(-64), 0xFFFFFFC0),
        (i32_const(-65), 0xFFFFFFBF),
        (i32_const(8191), 8191),
        (i32_const(-8192), 0xFFFFE000),
        (i32_const(0x7FFFFFFF), 0x7FFFFFFF),
        (i32_const(-(1 << 31)), 0x80000000),
        (b"\x41" + s32(-1, pad_to=5), 0xFFFFFFFF),
        (i64_const(-1), 0xFFFFFFFFFFFFFFFF),
        (i64_const(-65), 0xFFFFFFFFFFFFFFBF),
        (i64_const(-8192), 0xFFFFFFFFFFFFE000),
        (i64_const(8191), 8191),
        (i64_const((1 << 63) - 1), (1 << 63) - 1),
        (b"\x42" + s64(5, pad_to=10), 5),
    ],
)
def test_integer_constants_in_unsigned_canonical_form(encoded, value):
    assert body_of(encoded + op("drop") + END).imms[0] == value


def test_float_constants_keep_raw_bits():
    body = body_of(f32_const(bits=0xFFC00001) + f64_const(-0.0) + v128_const(1 << 127) + END)
    assert body.imms[:3] == [0xFFC00001, 0x8000000000000000, 1 << 127]


@pytest.mark.parametrize(
    "encoded, message",
    [
        (b"\x41\x80\x80\x80\x80\x80\x00", "integer representation too long"),
        (b"\x41\x80\x80\x80\x80\x70", "integer too large"),
        (b"\x41\xff\xff\xff\xff\x0f", "integer too large"),
        (b"\x42" + b"\x80" * 10 + b"\x00", "integer representation too long"),
        (b"\x42" + b"\x80" * 9 + b"\x7e", "integer too large"),
        (b"\x20\x80\x80\x80\x80\x10", "integer too large"),
        (b"\x20\x80\x80\x80\x80\x80\x00", "integer representation too long"),
    ],
)
def test_malformed_immediates(encoded, message):
    malformed_body(encoded + END, message)


def test_block_types():
    data = module(
        type_section(functype(), functype([I32], [I32, I64])),
        function_section(0),
        code_section(
            func_body(
                (),
                block(blocktype())
                + END
                + loop(blocktype(F64))
                + END
                + if_(blocktype(type_index=1))
                + END
                + block(blocktype(type_index=200))  # index range is the validator's business
                + END
                + END,
            )
        ),
    )
    imms = decode_module(data).codes[0].imms
    assert imms[0] is func_type((), ())
    assert imms[2] is func_type((), (F64,))
    assert imms[4] == 1
    assert imms[6] == 200


def test_malformed_block_types():
    malformed_body(block(b"\x7a") + END + END, "malformed value type")
    malformed_body(block(b"\xc0\x7f") + END + END, "malformed block type")  # negative s33
    malformed_body(block(b"\x80\x80\x80\x80\x20") + END + END, "integer too large")  # beyond s33


def test_deep_nesting_is_iterative():
    depth = 20000
    body = body_of(block() * depth + END * depth + END)
    assert len(body.ops) == 2 * depth + 1
    assert body.ops.count(Op.BLOCK) == depth


def test_else_must_be_inside_if():
    body = body_of(i32_const(1) + if_() + op("nop") + op("else") + op("nop") + END + END)
    assert body.ops == [Op.I32_CONST, Op.IF, Op.NOP, Op.ELSE, Op.NOP, Op.END, Op.END]
    malformed_body(block() + op("else") + END + END, "END opcode expected")
    malformed_body(op("else") + END, "END opcode expected")
    malformed_body(i32_const(1) + if_() + op("else") + op("else") + END + END, "END opcode expected")


def test_missing_end_at_end_of_module():
    data = HEADER + b"\x01\x04\x01\x60\x00\x00\x03\x02\x01\x00\x0a\x06\x01\x04\x00\x41\x01\x1a"
    with pytest.raises(DecodeError, match="^unexpected end of section or function"):
        decode_module(data)


def test_missing_end_reads_into_next_section_like_the_reference():
    # the data section id 0x0b is consumed as `end`, so the body overruns its size
    data = (
        HEADER + b"\x01\x04\x01\x60\x00\x00\x03\x02\x01\x00\x0a\x06\x01\x04\x00\x41\x01\x1a" + b"\x0b\x03\x01\x01\x00"
    )
    with pytest.raises(DecodeError, match="^section size mismatch"):
        decode_module(data)


def test_missing_end_followed_by_next_body():
    data = (
        HEADER
        + b"\x01\x04\x01\x60\x00\x00\x03\x03\x02\x00\x00\x0a\x0c\x02"
        + b"\x04\x00\x41\x01\x1a"  # no end
        + b"\x05\x00\x41\x01\x1a\x0b"
    )
    with pytest.raises(DecodeError, match="^END opcode expected"):
        decode_module(data)


def test_code_after_final_end_is_size_mismatch():
    data = module(type_section(functype()), function_section(0), code_section(func_body((), END + op("nop"))))
    with pytest.raises(DecodeError, match="^section size mismatch"):
        decode_module(data)


def test_body_size_beyond_module():
    data = module(type_section(functype()), function_section(0), code_section(u32(100) + b"\x00\x0b"))
    with pytest.raises(DecodeError, match="^length out of bounds"):
        decode_module(data)


@pytest.mark.parametrize(
    "code",
    [
        b"\x27",
        b"\xc5",
        b"\xd7",
        b"\xff",
        b"\xfc\x12",
        b"\xfc\x80\x01",
        b"\xfd\x9a\x01",
        b"\xfd\x94\x02",  # 0x114, one past relaxed SIMD's last sub-opcode
        b"\xfd\x80\x04",
    ],
)
def test_illegal_opcodes(code):
    err = malformed_body(code + END, "illegal opcode")
    assert err.offset is not None


def test_prefixed_subopcode_may_use_padded_leb():
    body = body_of(b"\xfc\x80\x00" + END)  # i32.trunc_sat_f32_s with a two-byte sub-opcode
    assert body.ops[0] == Op.I32_TRUNC_SAT_F32_S


@pytest.mark.parametrize(
    "code",
    [
        b"\x41\x00\x40\x01\x1a",  # memory.grow reserved byte 1
        b"\x41\x00\x40\x80\x00\x1a",  # memory.grow reserved byte as 2-byte LEB
        b"\x3f\x01\x1a",
        b"\x3f\x80\x80\x80\x80\x00\x1a",
        b"\xfc\x0b\x01",  # memory.fill
        b"\xfc\x0a\x00\x01",  # memory.copy
        b"\xfc\x08\x00\x01",  # memory.init
    ],
)
def test_zero_byte_expected(code):
    """2.0 reserves a zero byte where multiple memories put a memory index."""
    error = malformed_body(code + END, "zero byte expected", features=Features.wasm2())
    assert error.proposal == "multi_memory"


@pytest.mark.parametrize(
    "code,expected",
    [
        (b"\x41\x00\x40\x80\x00\x1a", 0),  # memory.grow, memory index 0 as a 2-byte LEB
        (b"\x3f\x01\x1a", 1),
        (b"\x3f\x80\x80\x80\x80\x00\x1a", 0),
        (b"\x41\x00\x41\x00\x41\x00\xfc\x0b\x02", 2),  # memory.fill 2
        (b"\x41\x00\x41\x00\x41\x00\xfc\x0a\x00\x03", (0, 3)),  # memory.copy 0 3
        (b"\x41\x00\x41\x00\x41\x00\xfc\x08\x05\x01", (5, 1)),  # memory.init data 5, memory 1
    ],
)
def test_memory_indexes(code, expected):
    body = body_of(code + END)
    assert expected in body.imms


@pytest.mark.parametrize("align", [32, 33, 63, 64, 65])
def test_memop_flags_2_0(align):
    wasm2 = Features.wasm2()
    malformed_body(i32_const(0) + op("i32.load", memarg(align, 0)) + op("drop") + END, "malformed memop flags",
                   features=wasm2)
    malformed_body(i32_const(0) + op("v128.load", memarg(align, 0)) + op("drop") + END, "malformed memop flags",
                   features=wasm2)


@pytest.mark.parametrize("flags", [0x80, 0xFF, 0x100])
def test_memop_flags(flags):
    malformed_body(i32_const(0) + op("i32.load", memarg(flags, 0)) + op("drop") + END, "malformed memop flags")


def test_memarg_flags_3_0():
    """Below 2**6 the flags are the alignment; bit 6 says a memory index follows the flags."""
    assert body_of(i32_const(0) + op("i32.load", memarg(63, 0)) + op("drop") + END).imms[1] == (63, 0, 0)
    load = op("i32.load", u32(0x42) + u32(3) + u64(1 << 40))
    assert body_of(i32_const(0) + load + op("drop") + END).imms[1] == (2, 1 << 40, 3)
    lane = op("v128.load8_lane", u32(0x40) + u32(1) + u64(7)) + b"\x0f"
    assert body_of(i32_const(0) + op("v128.const") + bytes(16) + lane + op("drop") + END).imms[2] == (0, 7, 1, 15)


def test_memarg_offset_64_bit_needs_memory64():
    code = i32_const(0) + op("i32.load", u32(2) + u64(1 << 40)) + op("drop") + END
    error = malformed_body(code, "integer representation too long", features=Features.wasm2())
    assert error.proposal == "memory64"
    malformed_body(i32_const(0) + op("i32.load", u32(2) + b"\x80" * 10 + b"\x02") + op("drop") + END,
                   "integer")


def test_large_alignment_below_32_is_left_to_the_validator():
    body = body_of(i32_const(0) + op("i32.load", memarg(31, 0)) + op("drop") + END)
    assert body.imms[1] == (31, 0, 0)


def test_memargs_are_interned():
    load = op("i32.load", memarg(2, 8))
    body = body_of(i32_const(0) + load + op("drop") + i32_const(0) + load + op("drop") + END)
    assert body.imms[1] is body.imms[4]


def test_ref_null_and_select_type_errors():
    malformed_body(b"\xd0\x7f" + END, "malformed heap type")  # 3.0: ref.null takes a heap type (an s33)
    malformed_body(b"\xd0\x7f" + END, "malformed reference type", features=Features.wasm2())
    malformed_body(b"\x1c\x01\x7a" + END, "malformed value type")


def test_select_t_any_arity_decodes():
    body = body_of(b"\x1c\x02\x7f\x7e" + END)
    assert body.imms[0] == (I32, I64)


def test_call_indirect_and_br_table_shapes():
    body = body_of(call_indirect(3, 0) + br_table([], 0) + END)
    assert body.imms[:2] == [(3, 0), (0,)]
    malformed_body(b"\x0e\xff\xff\xff\xff\x0f" + END, "length out of bounds")


# ---------------------------------------------------------------- locals


def test_locals_expanded():
    body = body_of(END, locals_=[(2, I32), (0, F32), (1, F64), (3, FUNCREF)])
    assert body.locals == (I32, I32, F64, FUNCREF, FUNCREF, FUNCREF)


def test_too_many_locals_spec_limit():
    # 0xFFFFFFFF i32 + 2 i64 overflows u32
    code = b"\x02\xff\xff\xff\xff\x0f\x7f\x02\x7e\x0b"
    data = module(type_section(functype()), function_section(0), code_section(u32(len(code)) + code))
    with pytest.raises(DecodeError, match="^too many locals"):
        decode_module(data)


def test_too_many_locals_implementation_limit():
    malformed_body(END, "too many locals", locals_=[(MAX_LOCALS, I32), (1, I64)])
    assert len(body_of(END, locals_=[(MAX_LOCALS, I32)]).locals) == MAX_LOCALS


def test_local_count_too_large_for_u32():
    code = b"\x01\x80\x80\x80\x80\x10\x7f\x0b"
    data = module(type_section(functype()), function_section(0), code_section(u32(len(code)) + code))
    with pytest.raises(DecodeError, match="^integer too large"):
        decode_module(data)


def test_malformed_local_type():
    malformed_body(END, "malformed value type", locals_=[(1, 0x40)])


def test_random_constants_and_indices_round_trip():
    import random

    rng = random.Random(99)
    values32 = [rng.getrandbits(rng.choice([3, 7, 13, 14, 20, 31, 32])) for _ in range(300)]
    values64 = [rng.getrandbits(rng.choice([6, 7, 13, 14, 40, 63, 64])) for _ in range(300)]
    code = b"".join(i32_const(v) + op("drop") for v in values32)
    code += b"".join(i64_const(v) + op("drop") for v in values64)
    code += b"".join(local_get(v) + op("drop") for v in values32)
    body = body_of(code + END)
    decoded = body.imms[0::2][:-1]
    assert decoded == values32 + values64 + values32


# ---------------------------------------------------------------- typed references and GC (3.0)


def test_gc_immediates_are_checked_as_the_binary_grammar_says():
    malformed_body(b"\xfb\x18\x04\x00\x6e\x6c" + END, "malformed br_on_cast flags")  # flags above 3
    malformed_body(b"\xfb\x1f" + END, "illegal opcode 0xfb 0x1f")  # past i31.get_u
    malformed_body(b"\xfb\x14\x50" + END, "malformed heap type")  # -0x30 is no abstract heap type
    malformed_body(b"\xfb\x00", "unexpected end")


def test_typed_block_select_and_ref_null_immediates():
    # block (result (ref null 3)), select (result (ref any)), ref.null 5, ref.null none
    body = body_of(b"\x02\x63\x03\x0b" + b"\x1c\x01\x64\x6e" + b"\xd0\x05" + b"\xd0\x71" + END)
    assert body.imms[0] == func_type((), (ref_type(True, 3),))
    assert body.imms[2] == (ref_type(False, HT_ANY),)
    assert body.imms[3] == ref_type(True, 5)
    assert body.imms[4] == NULLREF


def test_br_on_cast_flags_give_each_side_its_nullability():
    body = body_of(b"\xfb\x19\x02\x00\x6e\x6c" + END)  # br_on_cast_fail 0 (ref any) (ref null i31)
    assert body.imms[0] == (0, ref_type(False, HT_ANY), I31REF)


def test_gc_data_instructions_need_a_data_count_section():
    from tests.wasmgen import code_section, data_passive, data_section, func_body, function_section, functype, module, \
        type_section
    code = b"\xfb\x09\x00\x00" + END  # array.new_data 0 0
    binary = module(type_section(functype([], [])), function_section(0), code_section(func_body(code=code)),
                    data_section(data_passive(b"")))
    with pytest.raises(DecodeError, match="data count section required"):
        decode_module(binary)
