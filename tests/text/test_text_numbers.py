"""Numeric literals (pywaz/text/numbers.py): integers in range, floats rounded once to nearest-even."""

from __future__ import annotations

import random
import struct

import pytest

from pywaz.text.numbers import NumberError, parse_float, parse_int, parse_nat


def _f32(value: float) -> int:
    return struct.unpack("<I", struct.pack("<f", value))[0]


def _f64(value: float) -> int:
    return struct.unpack("<Q", struct.pack("<d", value))[0]


@pytest.mark.parametrize("text, bits, value", [
    ("0", 32, 0), ("-1", 32, 0xFFFFFFFF), ("4294967295", 32, 0xFFFFFFFF), ("-2147483648", 32, 0x80000000),
    ("+2147483647", 32, 0x7FFFFFFF), ("0x1_0000", 32, 0x10000), ("-0x8000_0000_0000_0000", 64, 1 << 63),
    ("18_446_744_073_709_551_615", 64, (1 << 64) - 1),
])
def test_integers(text, bits, value):
    assert parse_int(text, bits) == value


@pytest.mark.parametrize("text, bits", [("4294967296", 32), ("-2147483649", 32), ("+2147483648", 32),
                                        ("0x1_0000_0000_0000_0000", 64)])
def test_integers_out_of_range(text, bits):
    with pytest.raises(NumberError, match="constant out of range"):
        parse_int(text, bits)


@pytest.mark.parametrize("text", ["_1", "1_", "1__0", "0x", "0xg", "1x", "--1", "1.0"])
def test_integer_shapes_rejected(text):
    with pytest.raises(NumberError):
        parse_int(text, 32)


def test_naturals_have_no_sign():
    assert parse_nat("0x10") == 16 and parse_nat("-1") is None and parse_nat("+1") is None


@pytest.mark.parametrize("text, bits, pattern", [
    ("0x1p-149", 32, 1), ("0x1.fffffep127", 32, 0x7F7FFFFF), ("-0x0p0", 32, 0x80000000),
    ("inf", 32, 0x7F800000), ("-inf", 64, 0xFFF0000000000000), ("nan", 32, 0x7FC00000),
    ("-nan:0x1", 32, 0xFF800001), ("nan:0x8_0000_0000_0000", 64, 0x7FF8000000000000),
    ("0x1.fffffe7p127", 32, 0x7F7FFFFF),  # below the midpoint to 2^128: rounds down to the largest
    ("1e38", 32, 0x7E967699), ("0x1.000001p0", 32, 0x3F800000),  # a tie, to even
    ("0x1.000003p0", 32, 0x3F800002), ("1.", 64, 0x3FF0000000000000), ("0x.8", 64, 0x3FE0000000000000),
    ("1e-400", 64, 0),
])
def test_floats(text, bits, pattern):
    assert parse_float(text, bits) == pattern


@pytest.mark.parametrize("text, bits", [("0x1p128", 32), ("1e39", 32), ("0x1.ffffffp127", 32), ("1e309", 64),
                                        ("nan:0x0", 32), ("nan:0x80_0000", 32)])
def test_floats_out_of_range(text, bits):
    with pytest.raises(NumberError, match="constant out of range"):
        parse_float(text, bits)


def test_f64_decimals_agree_with_python():
    rng = random.Random(15)
    for _ in range(3000):
        text = f"{rng.randrange(10 ** rng.randint(1, 30))}e{rng.randint(-330, 300)}"
        expected = float(text)
        if expected == float("inf"):
            continue
        assert parse_float(text, 64) == _f64(expected), text


def test_f32_decimals_round_once():
    # A decimal just above an f32 midpoint: rounding through f64 first would land on the midpoint, then tie
    # to even (down); the exact value is above the midpoint and must round up.
    midpoint = 1 + 2 ** -24  # between 1.0 and the next f32
    text = f"{midpoint:.20f}1"
    assert parse_float(text, 32) == 0x3F800001
    assert parse_float("0.1", 32) == _f32(0.1)
