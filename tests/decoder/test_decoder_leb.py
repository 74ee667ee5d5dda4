"""LEB128 decoding (binary §5.2.2): fast paths, size limits and unused-bit rules."""

import random

import pytest

from pywaz.decoder.leb import read_signed, read_u32, read_unsigned
from pywaz.errors import DecodeError
from tests.wasmgen import leb_s, leb_u


@pytest.mark.parametrize("bits", [1, 7, 32, 64])
def test_unsigned_round_trip_at_the_edges(bits):
    for value in {0, 1, 63, 64, 127, 128, (1 << bits) - 1, (1 << bits) >> 1}:
        if value >= 1 << bits:
            continue
        encoded = leb_u(value)
        assert read_unsigned(encoded + b"\xff", 0, bits) == (value, len(encoded))


@pytest.mark.parametrize("bits", [32, 33, 64])
def test_signed_round_trip_at_the_edges(bits):
    low, high = -(1 << (bits - 1)), (1 << (bits - 1)) - 1
    for value in {0, 1, -1, 63, 64, -64, -65, low, high, low + 1, high - 1}:
        encoded = leb_s(value)
        assert read_signed(encoded, 0, bits) == (value, len(encoded))


def test_random_round_trips_with_padding():
    rng = random.Random(1234)
    for _ in range(500):
        value = rng.getrandbits(32)
        encoded = leb_u(value, pad_to=5)
        assert len(encoded) == 5
        assert read_unsigned(encoded, 0, 32) == (value, 5)
        signed = rng.randrange(-(1 << 63), 1 << 63)
        encoded = leb_s(signed, pad_to=10)
        assert read_signed(encoded, 0, 64) == (signed, 10)


def test_read_u32_fast_and_slow_path():
    assert read_u32(b"\x05", 0) == (5, 1)
    assert read_u32(b"\x00\xe5\x8e\x26", 1) == (624485, 4)


@pytest.mark.parametrize(
    "encoded, bits, message",
    [
        (b"\x80\x80\x80\x80\x80\x00", 32, "integer representation too long"),  # 6 bytes for a u32
        (b"\x80\x80\x80\x80\x10", 32, "integer too large"),  # bit 32 set
        (b"\x82\x80\x80\x80\x70", 32, "integer too large"),
        (b"\xff\xff\xff\xff\x1f", 32, "integer too large"),
        (b"\x80" * 10 + b"\x00", 64, "integer representation too long"),
        (b"\x80" * 9 + b"\x02", 64, "integer too large"),
        (b"\x02", 1, "integer too large"),  # limits flag
        (b"\x81\x00", 1, "integer representation too long"),
        (b"\x80\x80", 32, "unexpected end"),
        (b"", 32, "unexpected end"),
    ],
)
def test_unsigned_malformed(encoded, bits, message):
    with pytest.raises(DecodeError) as info:
        read_unsigned(encoded, 0, bits)
    assert info.value.message.startswith(message)


@pytest.mark.parametrize(
    "encoded, bits, message",
    [
        (b"\xff\xff\xff\xff\xff\x00", 32, "integer representation too long"),
        (b"\x80\x80\x80\x80\x08", 32, "integer too large"),  # positive, but bit 31+ set: overflow
        (b"\xff\xff\xff\xff\x4f", 32, "integer too large"),  # negative with a clear unused bit
        (b"\x80\x80\x80\x80\x70", 32, "integer too large"),
        (b"\x80\x80\x80\x80\x10", 33, "integer too large"),
        (b"\xff" * 9 + b"\x7e", 64, "integer too large"),
        (b"\x80" * 9 + b"\x01", 64, "integer too large"),
        (b"\xff" * 10 + b"\x7f", 64, "integer representation too long"),
        (b"\xe0", 7, "integer representation too long"),  # a type code with a continuation bit
        (b"\xe0", 32, "unexpected end"),
    ],
)
def test_signed_malformed(encoded, bits, message):
    with pytest.raises(DecodeError) as info:
        read_signed(encoded, 0, bits)
    assert info.value.message.startswith(message)


def test_signed_accepts_sign_extended_padding():
    assert read_signed(b"\xff\xff\xff\xff\x7f", 0, 32) == (-1, 5)
    assert read_signed(b"\x80\x80\x80\x80\x78", 0, 32) == (-(1 << 31), 5)
    assert read_signed(b"\xff" * 9 + b"\x7f", 0, 64) == (-1, 10)
    assert read_signed(b"\x80" * 9 + b"\x00", 0, 64) == (0, 10)


def test_error_offset_points_at_offending_byte():
    with pytest.raises(DecodeError) as info:
        read_unsigned(b"\x00\x00\x80\x80\x80\x80\x10", 2, 32)
    assert info.value.offset == 6
