"""Numeric literals of the text format (Text §6.3.1-6.3.2) to integers and IEEE bit patterns.

Input: a token's text and the target type. Output: an unsigned integer
(integers in canonical unsigned form; floats as their bit pattern, so NaN
payloads and signed zeros survive). Decimal and hexadecimal floats round to
nearest, ties to even, exactly: the value is parsed as an exact rational and
rounded once, because going through a Python ``float`` first would round twice
for f32 and could land on the wrong neighbour.
"""

from __future__ import annotations

import re
import struct

_DEC = r"[0-9](?:_?[0-9])*"
_HEX = r"[0-9a-fA-F](?:_?[0-9a-fA-F])*"
_INT = re.compile(rf"([+-]?)(?:0x({_HEX})|({_DEC}))\Z")
_NAT = re.compile(rf"(?:0x({_HEX})|({_DEC}))\Z")
_FLOAT = re.compile(
    rf"([+-]?)(?:"
    rf"0x(?P<hm>{_HEX})?(?:\.(?P<hf>{_HEX})?)?(?:[pP](?P<he>[+-]?{_DEC}))?"
    rf"|(?P<dm>{_DEC})(?:\.(?P<df>{_DEC})?)?(?:[eE](?P<de>[+-]?{_DEC}))?"
    rf"|(?P<inf>inf)|(?P<nan>nan)(?::0x(?P<payload>{_HEX}))?"
    rf")\Z"
)


class NumberError(ValueError):
    """The token is not a number of the wanted kind (``message`` is the spec's text)."""


def parse_nat(text: str) -> int | None:
    """An unsigned literal's value, or None if ``text`` is not one (no sign allowed)."""
    m = _NAT.match(text)
    if m is None:
        return None
    hexdigits, decimal = m.groups()
    if hexdigits is not None:
        return int(hexdigits.replace("_", ""), 16)
    return int(decimal.replace("_", ""))


def is_int_literal(text: str) -> bool:
    """Whether ``text`` has the shape of an integer literal (signed or not)."""
    return _INT.match(text) is not None


def parse_int(text: str, bits: int) -> int:
    """An ``iN`` literal in unsigned canonical form.

    Signed literals range over [-2^(N-1), 2^(N-1)); unsigned ones over [0, 2^N).

    Raises:
        NumberError: not an integer ("unknown operator"), or out of range ("constant out of range").
    """
    m = _INT.match(text)
    if m is None:
        raise NumberError("unexpected token")
    sign, hexdigits, decimal = m.groups()
    value = int(hexdigits.replace("_", ""), 16) if hexdigits is not None else int(decimal.replace("_", ""))
    if sign == "-":
        if value > 1 << (bits - 1):
            raise NumberError("constant out of range")
        return -value & ((1 << bits) - 1)
    if sign == "+":
        if value >= 1 << (bits - 1):
            raise NumberError("constant out of range")
        return value
    if value >> bits:
        raise NumberError("constant out of range")
    return value


_FORMATS = {32: (23, 8), 64: (52, 11)}


def _round(num: int, den: int, mant_bits: int, exp_bits: int) -> int:
    """The bits (sign excluded) of the float nearest num/den > 0, ties to even.

    Raises:
        NumberError: the value rounds to infinity.
    """
    bias = (1 << (exp_bits - 1)) - 1
    exponent = num.bit_length() - den.bit_length()
    # Normalise so that 2^exponent <= num/den < 2^(exponent+1).
    if (num << max(0, -exponent)) < (den << max(0, exponent)):
        exponent -= 1
    exponent = max(exponent, 1 - bias)  # below the smallest normal exponent the value is subnormal
    shift = mant_bits - exponent
    divisor = den if shift >= 0 else den << -shift
    q, r = divmod(num << shift if shift >= 0 else num, divisor)
    twice = r * 2
    if twice > divisor or (twice == divisor and q & 1):
        q += 1
    if q >> (mant_bits + 1):
        q >>= 1
        exponent += 1
    if exponent > bias:
        raise NumberError("constant out of range")
    if q >> mant_bits == 0:  # subnormal (or zero)
        return q
    return ((exponent + bias) << mant_bits) | (q & ((1 << mant_bits) - 1))


def parse_float(text: str, bits: int) -> int:
    """An ``fN`` literal's IEEE bit pattern.

    Raises:
        NumberError: not a float literal, a NaN payload of 0 or too wide, or a finite
            literal that rounds to infinity ("constant out of range").
    """
    m = _FLOAT.match(text)
    if m is None:
        raise NumberError("unexpected token")
    mant_bits, exp_bits = _FORMATS[bits]
    sign_bit = (1 << (bits - 1)) if m.group(1) == "-" else 0
    exp_all = ((1 << exp_bits) - 1) << mant_bits
    if m.group("inf"):
        return sign_bit | exp_all
    if m.group("nan"):
        payload_text = m.group("payload")
        if payload_text is None:
            payload = 1 << (mant_bits - 1)
        else:
            payload = int(payload_text.replace("_", ""), 16)
            if payload == 0 or payload >> mant_bits:
                raise NumberError("constant out of range")
        return sign_bit | exp_all | payload
    fast = _via_double(text, m, bits)
    if fast is not None:
        return fast
    if text.startswith(("0x", "+0x", "-0x")):
        hm, hf, he = m.group("hm"), m.group("hf"), m.group("he")
        if hm is None and hf is None:
            raise NumberError("unexpected token")
        hm = (hm or "").replace("_", "")
        hf = (hf or "").replace("_", "")
        mantissa = int((hm + hf) or "0", 16)
        exponent = (int(he.replace("_", "")) if he else 0) - 4 * len(hf)
    else:
        dm, df, de = m.group("dm"), m.group("df"), m.group("de")
        dm = dm.replace("_", "")
        df = (df or "").replace("_", "")
        mantissa = int(dm + df)
        exponent10 = (int(de.replace("_", "")) if de else 0) - len(df)
        if mantissa == 0:
            return sign_bit
        if bits == 64 and -300 < exponent10 < 300 and mantissa < (1 << 53) and abs(exponent10) <= 22:
            # Both operands are exact doubles, so one IEEE multiply/divide rounds correctly.
            value = mantissa * 10.0 ** exponent10 if exponent10 >= 0 else mantissa / 10.0 ** -exponent10
            return sign_bit | int.from_bytes(_pack_double(value), "little")
        if exponent10 > 400:
            raise NumberError("constant out of range")
        if exponent10 < -800:
            return sign_bit  # far below the smallest subnormal: rounds to zero
        if exponent10 >= 0:
            num, den = mantissa * 10 ** exponent10, 1
        else:
            num, den = mantissa, 10 ** -exponent10
        return sign_bit | _round(num, den, mant_bits, exp_bits)
    if mantissa == 0:
        return sign_bit
    if exponent > 20000:
        raise NumberError("constant out of range")
    if exponent < -20000:
        return sign_bit
    if exponent >= 0:
        num, den = mantissa << exponent, 1
    else:
        num, den = mantissa, 1 << -exponent
    return sign_bit | _round(num, den, mant_bits, exp_bits)


_F32_MIN_NORMAL = 2.0 ** -126


def _via_double(text: str, m: re.Match, bits: int) -> int | None:
    """The literal's bits through Python's correctly rounded ``float``, or None where that is not exact.

    ``float()`` and ``float.fromhex`` round the exact value to the nearest
    double. That is the f64 answer. For f32, rounding that double again gives
    the same f32 as rounding the exact value once, unless the double lies
    exactly on an f32 midpoint (every f32 midpoint is a double, and rounding
    is monotonic, so a double off the midpoint is on the exact value's side of
    it); midpoints, f32 subnormals and overflow take the exact path.
    """
    cleaned = text.replace("_", "") if "_" in text else text
    try:
        value = float.fromhex(cleaned) if m.group("hm") is not None or m.group("hf") is not None else float(cleaned)
    except (ValueError, OverflowError):
        return None
    if value in (_INF, -_INF):
        return None
    if bits == 64:
        return _double_bits(value)
    if value == 0.0:
        return 0x80000000 if cleaned.startswith("-") else 0
    if abs(value) < _F32_MIN_NORMAL:
        return None
    double = _double_bits(value)
    if double & 0x1FFFFFFF == 0x10000000:  # exactly halfway between two f32 values
        return None
    try:
        return _single_bits(value)
    except OverflowError:
        return None


_INF = float("inf")


def _double_bits(value: float) -> int:
    return _UNPACK_Q(_PACK_D(value))[0]


def _single_bits(value: float) -> int:
    return _UNPACK_I(_PACK_F(value))[0]


_PACK_D = struct.Struct("<d").pack
_PACK_F = struct.Struct("<f").pack
_UNPACK_Q = struct.Struct("<Q").unpack
_UNPACK_I = struct.Struct("<I").unpack


def _pack_double(value: float) -> bytes:
    return _PACK_D(value)
