"""wat spellings of float constants and memargs: every printed literal must read back to the same bits."""

import random
import struct

import pytest

from pywaz.decoder import decode_module
from pywaz.inspect.wat import f32_text, f64_text, memarg_text, signed, v128_text
from pywaz.opcodes import OPS_BY_NAME
from pywaz.text import wat2wasm

F32_CASES = [
    0x00000000,
    0x80000000,
    0x3F800000,
    0xBF800000,
    0x00000001,
    0x807FFFFF,
    0x7F7FFFFF,
    0xFF7FFFFF,
    0x7F800000,
    0xFF800000,
    0x7FC00000,
    0xFFC00000,
    0x7FA00000,
    0x7F800001,
    0xFFBFFFFF,
    0x3DCCCCCD,
]
F64_CASES = [
    0x0,
    0x8000000000000000,
    0x3FF0000000000000,
    0x0000000000000001,
    0x7FEFFFFFFFFFFFFF,
    0x7FF0000000000000,
    0xFFF0000000000000,
    0x7FF8000000000000,
    0xFFF8000000000000,
    0x7FF0000000000001,
    0x7FF4000000000000,
    0x3FB999999999999A,
]


def _random_bits(seed, width, count):
    rng = random.Random(seed)
    return [rng.getrandbits(width) for _ in range(count)]


def _round_trip(kind, texts):
    funcs = "".join(f"(func (result {kind}) ({kind}.const {text}))" for text in texts)
    module = decode_module(wat2wasm(f"(module {funcs})"))
    return [code.imms[0] for code in module.codes]


def test_f32_literals_read_back_to_the_same_bits():
    cases = F32_CASES + _random_bits(1, 32, 300)
    assert _round_trip("f32", [f32_text(bits) for bits in cases]) == cases


def test_f64_literals_read_back_to_the_same_bits():
    cases = F64_CASES + _random_bits(2, 64, 300)
    assert _round_trip("f64", [f64_text(bits) for bits in cases]) == cases


@pytest.mark.parametrize(
    "bits, text",
    [
        (0x3F800000, "1"),
        (0x3DCCCCCD, "0.1"),
        (0x7FC00000, "nan"),
        (0xFFC00000, "-nan"),
        (0x7FA00000, "nan:0x200000"),
        (0x7F800001, "nan:0x1"),
        (0xFF800000, "-inf"),
        (0x00000001, "1e-45"),
    ],
)
def test_f32_text_is_short_and_names_nan_payloads(bits, text):
    assert f32_text(bits) == text


def test_f64_text_examples():
    assert f64_text(0x3FB999999999999A) == "0.1"
    assert f64_text(0x7FF4000000000000) == "nan:0x4000000000000"
    assert f64_text(0x8000000000000000) == "-0.0"
    assert f64_text(struct.unpack("<Q", struct.pack("<d", 1e-300))[0]) == "1e-300"


def test_memarg_leaves_out_defaults():
    load = OPS_BY_NAME["i32.load"]
    load8 = OPS_BY_NAME["i64.load8_u"]
    assert memarg_text(load, 2, 0) == ""
    assert memarg_text(load, 0, 16) == "offset=16 align=1"
    assert memarg_text(load8, 0, 4) == "offset=4"
    assert memarg_text(OPS_BY_NAME["v128.load"], 4, 0) == ""
    assert memarg_text(OPS_BY_NAME["v128.load32_zero"], 3, 0) == "align=8"


def test_integers_print_signed_and_v128_as_lanes():
    assert signed(0xFFFFFFFF, 32) == -1
    assert signed(0x7FFFFFFF, 32) == 0x7FFFFFFF
    assert signed(1 << 63, 64) == -(1 << 63)
    assert v128_text(0x00000004_00000003_00000002_00000001) == "i32x4 0x00000001 0x00000002 0x00000003 0x00000004"


def test_relaxed_simd_and_extended_const_text_reads_back_to_the_same_instructions():
    from pywaz.inspect.wat import const_expr_text, instruction_text
    from pywaz.opcodes import OP_NAMES

    relaxed = sorted(op for op, name in OP_NAMES.items() if "relaxed_" in name)
    texts = [instruction_text(op, None) for op in relaxed]
    assert texts[0] == "i8x16.relaxed_swizzle" and texts[-1] == "i32x4.relaxed_dot_i8x16_i7x16_add_s"
    body = " ".join(f"(func {text})" for text in texts)  # unvalidated bodies: the parser only needs the names
    module = decode_module(wat2wasm(f"(module {body})"))
    assert [code.ops[0] for code in module.codes] == relaxed

    expression = "global.get 0 i32.const -3 i32.mul i32.const 7 i32.sub"
    module = decode_module(wat2wasm(f"(module (global i32 (i32.const 5)) (global i32 {expression}))"))
    assert const_expr_text(module.globals_[1].init) == expression
