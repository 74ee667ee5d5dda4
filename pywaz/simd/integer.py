"""Integer lane arithmetic, comparisons and bitwise ops on v128 ints (execution §4.4.3, vector instructions).

Every function takes and returns v128 ints (lane 0 in the low bits), shift
counts and reductions excepted (an i32 count in, an i32 result out). Results
wrap into the lane (``iadd``/``isub``/``imul`` are modular) unless the op is
saturating (``sat_s``/``sat_u`` clamp to the lane's signed/unsigned range).

Two techniques, picked by measurement (see :mod:`pywaz.simd`): add/sub/neg,
saturating add/sub, avgr_u, comparisons, min/max, abs, shifts, extadd_pairwise, bitmask, bitwise ops and
i32x4/i64x2 mul work on the whole 128-bit int ("SIMD within a register":
masks keep carries and borrows out of the next lane); everything else splits
lanes with one ``struct`` unpack and joins them with one pack
(:func:`~pywaz.simd._lanes.lanewise`).
"""

from __future__ import annotations

from ._lanes import HIGH_BITS, LOW_BITS, M32, M64, M128, STRUCTS, lanewise

_from_bytes = int.from_bytes

# ------------------------------------------------------------------ add / sub / neg (SWAR)


def _swar_add(width: int):
    high = HIGH_BITS[width]
    low = LOW_BITS[width]

    def add(a: int, b: int) -> int:
        # Adding with every lane's top bit cleared cannot carry into the next
        # lane; the top bit is then the xor of both top bits and the carry in.
        return ((a & low) + (b & low)) ^ ((a ^ b) & high)

    return add


def _swar_sub(width: int):
    high = HIGH_BITS[width]
    low = LOW_BITS[width]

    def sub(a: int, b: int) -> int:
        # a's top bits set and b's cleared: no lane borrows from the next one.
        return ((a | high) - (b & low)) ^ ((a ^ ~b) & high)

    return sub


def _named(function, name: str, doc: str):
    function.__name__ = function.__qualname__ = name
    function.__doc__ = doc
    return function


i8x16_add = _named(_swar_add(8), "i8x16_add", "i8x16.add: lane-wise modular addition.")
i16x8_add = _named(_swar_add(16), "i16x8_add", "i16x8.add: lane-wise modular addition.")
i32x4_add = _named(_swar_add(32), "i32x4_add", "i32x4.add: lane-wise modular addition.")
i64x2_add = _named(_swar_add(64), "i64x2_add", "i64x2.add: lane-wise modular addition.")
i8x16_sub = _named(_swar_sub(8), "i8x16_sub", "i8x16.sub: lane-wise modular subtraction.")
i16x8_sub = _named(_swar_sub(16), "i16x8_sub", "i16x8.sub: lane-wise modular subtraction.")
i32x4_sub = _named(_swar_sub(32), "i32x4_sub", "i32x4.sub: lane-wise modular subtraction.")
i64x2_sub = _named(_swar_sub(64), "i64x2_sub", "i64x2.sub: lane-wise modular subtraction.")


def _neg(sub):
    return lambda a: sub(0, a)


i8x16_neg = _named(_neg(i8x16_sub), "i8x16_neg", "i8x16.neg: lane-wise two's-complement negation.")
i16x8_neg = _named(_neg(i16x8_sub), "i16x8_neg", "i16x8.neg: lane-wise two's-complement negation.")
i32x4_neg = _named(_neg(i32x4_sub), "i32x4_neg", "i32x4.neg: lane-wise two's-complement negation.")
i64x2_neg = _named(_neg(i64x2_sub), "i64x2_neg", "i64x2.neg: lane-wise two's-complement negation.")

# ------------------------------------------------------------------ multiplication


def i64x2_mul(a: int, b: int) -> int:
    """i64x2.mul: lane-wise modular multiplication."""
    return (((a & M64) * (b & M64)) & M64) | ((((a >> 64) * (b >> 64)) & M64) << 64)


i16x8_mul = lanewise("i16x8_mul", "u16 u16", "x * y & 0xFFFF", "u16", "i16x8.mul: lane-wise modular multiplication.")


def i32x4_mul(a: int, b: int) -> int:
    """i32x4.mul: lane-wise modular multiplication."""
    # Four products on shifted ints beat a struct round trip (measured ~2x).
    return (
        (((a & M32) * (b & M32)) & M32)
        | (((((a >> 32) & M32) * ((b >> 32) & M32)) & M32) << 32)
        | (((((a >> 64) & M32) * ((b >> 64) & M32)) & M32) << 64)
        | ((((a >> 96) * (b >> 96)) & M32) << 96)
    )


# Q15 rounding multiply (spec iq15mulr_sat_s): (x*y + 2**14) >> 15, saturated.
# Only -32768 * -32768 overflows, to 32768.
i16x8_q15mulr_sat_s = lanewise(
    "i16x8_q15mulr_sat_s",
    "i16 i16",
    "(32767 if (v := (x * y + 0x4000) >> 15) > 32767 else v)",
    "i16",
    "i16x8.q15mulr_sat_s: lane-wise Q15 rounding multiply, saturated.",
)


# ------------------------------------------------------------------ lane comparisons (SWAR)
# Hacker's Delight 2-12: x <u y exactly when the top bit of
# (~x & y) | (~(x ^ y) & (x - y)) is set; with a lane-wise x - y it holds per
# lane. Flipping every lane's sign bit first turns signed order into unsigned
# order. A lane's top bit, shifted to the lane's bit 0 and multiplied by the
# lane mask, becomes an all-ones lane (no carries cross lanes).


def _swar_compare(width: int):
    high = HIGH_BITS[width]
    low = LOW_BITS[width]
    top = width - 1
    lane = (1 << width) - 1

    def lt_u(a: int, b: int) -> int:
        d = ((a | high) - (b & low)) ^ ((a ^ ~b) & high)
        return ((((~a & b) | (~(a ^ b) & d)) & high) >> top) * lane

    def lt_s(a: int, b: int) -> int:
        return lt_u(a ^ high, b ^ high)

    def eq(a: int, b: int) -> int:
        z = a ^ b
        # top bit of each lane set when any bit of the lane is set
        nonzero = (((z & low) + low) | z) & high
        return ((nonzero ^ high) >> top) * lane

    return lt_u, lt_s, eq


def _compare_ops(prefix: str, width: int, unsigned_too: bool = True) -> dict:
    lt_u, lt_s, eq = _swar_compare(width)
    ops = {
        "eq": eq,
        "ne": lambda a, b: eq(a, b) ^ M128,
        "lt_s": lt_s,
        "gt_s": lambda a, b: lt_s(b, a),
        "le_s": lambda a, b: lt_s(b, a) ^ M128,
        "ge_s": lambda a, b: lt_s(a, b) ^ M128,
    }
    if unsigned_too:
        ops.update(
            {
                "lt_u": lt_u,
                "gt_u": lambda a, b: lt_u(b, a),
                "le_u": lambda a, b: lt_u(b, a) ^ M128,
                "ge_u": lambda a, b: lt_u(a, b) ^ M128,
            }
        )
    named = {}
    for op, function in ops.items():
        name = f"{prefix}_{op}"
        named[name] = _named(function, name, f"{prefix}.{op}: all ones in lanes where the comparison holds, else zero.")
    if unsigned_too:
        for which, signed in (("min", True), ("min", False), ("max", True), ("max", False)):
            less = lt_s if signed else lt_u
            suffix = "s" if signed else "u"
            if which == "min":

                def select(a, b, less=less):
                    m = less(a, b)
                    return (a & m) | (b & (m ^ M128))

            else:

                def select(a, b, less=less):
                    m = less(b, a)
                    return (a & m) | (b & (m ^ M128))

            name = f"{prefix}_{which}_{suffix}"
            named[name] = _named(
                select,
                name,
                f"{prefix}.{which}_{suffix}: lane-wise {which} of {'signed' if signed else 'unsigned'} lanes.",
            )
    return named


_BITS = {"i8x16": 8, "i16x8": 16, "i32x4": 32, "i64x2": 64}
globals().update(_compare_ops("i8x16", 8))
globals().update(_compare_ops("i16x8", 16))
globals().update(_compare_ops("i32x4", 32))
globals().update(_compare_ops("i64x2", 64, unsigned_too=False))

# ------------------------------------------------------------------ saturating add / sub (SWAR)
# Unsigned: a lane carries out of add when the top bit of (a & b) | ((a | b) & ~sum)
# is set (borrows as in lt_u); such lanes become all ones (add) or zero (sub).
# Signed: add overflows when both operands share a sign the sum lacks, sub
# when the operands' signs differ and the difference's sign is not a's; the
# lane then becomes 0x7F.. or, when a is negative, 0x7F.. + 1 = 0x80.. .


def _saturating(width: int):
    high = HIGH_BITS[width]
    low = LOW_BITS[width]
    top = width - 1
    lane = (1 << width) - 1
    add = _swar_add(width)
    sub = _swar_sub(width)

    def add_sat_u(a: int, b: int) -> int:
        total = add(a, b)
        carry = ((a & b) | ((a | b) & ~total)) & high
        return total | ((carry >> top) * lane)

    def sub_sat_u(a: int, b: int) -> int:
        diff = sub(a, b)
        borrow = ((~a & b) | (~(a ^ b) & diff)) & high
        return diff & ~((borrow >> top) * lane)

    def add_sat_s(a: int, b: int) -> int:
        total = add(a, b)
        overflow = ((~(a ^ b) & (a ^ total)) & high) >> top
        if not overflow:
            return total
        mask = overflow * lane
        return (total & ~mask) | ((low + ((a & high) >> top)) & mask)

    def sub_sat_s(a: int, b: int) -> int:
        diff = sub(a, b)
        overflow = (((a ^ b) & (a ^ diff)) & high) >> top
        if not overflow:
            return diff
        mask = overflow * lane
        return (diff & ~mask) | ((low + ((a & high) >> top)) & mask)

    return add_sat_s, add_sat_u, sub_sat_s, sub_sat_u


for _prefix in ("i8x16", "i16x8"):
    for _op, _function in zip(("add_sat_s", "add_sat_u", "sub_sat_s", "sub_sat_u"), _saturating(_BITS[_prefix])):
        _kind = "signed" if _op.endswith("s") else "unsigned"
        globals()[f"{_prefix}_{_op}"] = _named(
            _function,
            f"{_prefix}_{_op}",
            f"{_prefix}.{_op}: lane-wise {_op[:3]}, saturated to the {_kind} lane range.",
        )
del _prefix, _op, _function, _kind

# avgr_u = (a | b) - ((a ^ b) >> 1) per lane: each lane of a | b is at least
# the lane of (a ^ b) >> 1, so a plain subtraction never borrows across lanes.


def _avgr(prefix: str):
    width = _BITS[prefix]
    keep = LOW_BITS[width]  # a lane shifted right by one loses its top bit

    def avgr_u(a: int, b: int) -> int:
        return (a | b) - (((a ^ b) >> 1) & keep)

    return _named(avgr_u, f"{prefix}_avgr_u", f"{prefix}.avgr_u: lane-wise unsigned average, rounding up.")


i8x16_avgr_u = _avgr("i8x16")
i16x8_avgr_u = _avgr("i16x8")

# ------------------------------------------------------------------ avgr / abs


# abs as (x ^ m) - m with m the lane's sign spread over the lane, i.e.
# (x ^ m) + (1 if negative): the most negative lane value maps to itself.
def _swar_abs(prefix: str):
    width = _BITS[prefix]
    high = HIGH_BITS[width]
    top = width - 1
    lane = (1 << width) - 1
    add = _swar_add(width)

    def abs_(a: int) -> int:
        negative = (a & high) >> top
        return add(a ^ (negative * lane), negative)

    return _named(abs_, f"{prefix}_abs", f"{prefix}.abs: lane-wise absolute value (wrapping).")


i8x16_abs = _swar_abs("i8x16")
i16x8_abs = _swar_abs("i16x8")
i32x4_abs = _swar_abs("i32x4")
i64x2_abs = _swar_abs("i64x2")

# popcnt: bytes.translate maps every byte through a 256-entry table in C.
_POPCOUNT_TABLE = bytes(i.bit_count() for i in range(256))


def i8x16_popcnt(a: int) -> int:
    """i8x16.popcnt: number of set bits in each byte lane."""
    return _from_bytes(a.to_bytes(16, "little").translate(_POPCOUNT_TABLE), "little")


# ------------------------------------------------------------------ widening multiplies and sums


def _extmul(name: str, in_shape: str, out_shape: str, half: str):
    unpack = STRUCTS[in_shape].unpack
    pack = STRUCTS[out_shape].pack
    sl = slice(0, 8) if half == "low" else slice(8, 16)

    def extmul(a: int, b: int) -> int:
        # The half's lanes occupy that half's 8 bytes; products fit the wider lane.
        xs = unpack(a.to_bytes(16, "little")[sl])
        ys = unpack(b.to_bytes(16, "little")[sl])
        return _from_bytes(pack(*[x * y for x, y in zip(xs, ys)]), "little")

    return _named(extmul, name, f"{name.replace('_', '.', 1)}: {half} half lanes multiplied into double-width lanes.")


i16x8_extmul_low_i8x16_s = _extmul("i16x8_extmul_low_i8x16_s", "i8h", "i16", "low")
i16x8_extmul_high_i8x16_s = _extmul("i16x8_extmul_high_i8x16_s", "i8h", "i16", "high")
i16x8_extmul_low_i8x16_u = _extmul("i16x8_extmul_low_i8x16_u", "u8h", "u16", "low")
i16x8_extmul_high_i8x16_u = _extmul("i16x8_extmul_high_i8x16_u", "u8h", "u16", "high")
i32x4_extmul_low_i16x8_s = _extmul("i32x4_extmul_low_i16x8_s", "i16h", "i32", "low")
i32x4_extmul_high_i16x8_s = _extmul("i32x4_extmul_high_i16x8_s", "i16h", "i32", "high")
i32x4_extmul_low_i16x8_u = _extmul("i32x4_extmul_low_i16x8_u", "u16h", "u32", "low")
i32x4_extmul_high_i16x8_u = _extmul("i32x4_extmul_high_i16x8_u", "u16h", "u32", "high")
i64x2_extmul_low_i32x4_s = _extmul("i64x2_extmul_low_i32x4_s", "i32h", "i64", "low")
i64x2_extmul_high_i32x4_s = _extmul("i64x2_extmul_high_i32x4_s", "i32h", "i64", "high")
i64x2_extmul_low_i32x4_u = _extmul("i64x2_extmul_low_i32x4_u", "u32h", "u64", "low")
i64x2_extmul_high_i32x4_u = _extmul("i64x2_extmul_high_i32x4_u", "u32h", "u64", "high")


def _extadd_pairwise(name: str, width: int, signed: bool):
    # Even and odd lanes moved into double-width slots and added: no carry can
    # leave a slot. Signed lanes are biased by 2**(w-1) (x ^ sign bit) so they
    # are non-negative, and the two biases (2**w per slot) are subtracted after.
    even = sum(((1 << width) - 1) << i for i in range(0, 128, 2 * width))
    high = HIGH_BITS[width]
    bias = sum(1 << (i + width) for i in range(0, 128, 2 * width))
    sub = _swar_sub(2 * width)

    if signed:

        def extadd(a: int) -> int:
            a ^= high
            return sub((a & even) + ((a >> width) & even), bias)

    else:

        def extadd(a: int) -> int:
            return (a & even) + ((a >> width) & even)

    return _named(extadd, name, f"{name.replace('_', '.', 1)}: adjacent lane pairs summed into double-width lanes.")


i16x8_extadd_pairwise_i8x16_s = _extadd_pairwise("i16x8_extadd_pairwise_i8x16_s", 8, True)
i16x8_extadd_pairwise_i8x16_u = _extadd_pairwise("i16x8_extadd_pairwise_i8x16_u", 8, False)
i32x4_extadd_pairwise_i16x8_s = _extadd_pairwise("i32x4_extadd_pairwise_i16x8_s", 16, True)
i32x4_extadd_pairwise_i16x8_u = _extadd_pairwise("i32x4_extadd_pairwise_i16x8_u", 16, False)

_unpack_i16 = STRUCTS["i16"].unpack
_pack_u32 = STRUCTS["u32"].pack


def i32x4_dot_i16x8_s(a: int, b: int) -> int:
    """i32x4.dot_i16x8_s: signed products of lane pairs summed (wrapping: 2 * (-32768)**2 overflows)."""
    # Unrolled: no per-lane lists or tuples (dot products are hot loops' bodies). A sum of two products
    # lies in [-2**31, 2**31]; only 2**31 itself (both pairs -32768 * -32768) needs the wrap.
    a0, a1, a2, a3, a4, a5, a6, a7 = _unpack_i16(a.to_bytes(16, "little"))
    b0, b1, b2, b3, b4, b5, b6, b7 = _unpack_i16(b.to_bytes(16, "little"))
    return _from_bytes(
        _pack_u32((a0 * b0 + a1 * b1) & M32, (a2 * b2 + a3 * b3) & M32, (a4 * b4 + a5 * b5) & M32,
                  (a6 * b6 + a7 * b7) & M32),
        "little",
    )


# ------------------------------------------------------------------ shifts (SWAR)


def _shifts(width: int):
    """shl/shr_s/shr_u for ``width``-bit lanes; the count is taken modulo the lane width (spec ishl)."""
    lane = (1 << width) - 1
    count_mask = width - 1
    keep_shl = [0] * width
    keep_shr = [0] * width
    fill = [0] * width
    for s in range(width):
        keep_shl[s] = sum(((lane << s) & lane) << i for i in range(0, 128, width))
        keep_shr[s] = sum((lane >> s) << i for i in range(0, 128, width))
        fill[s] = ((1 << s) - 1) << (width - s)  # top s bits of one lane
    high = HIGH_BITS[width]
    top = width - 1

    def shl(a: int, count: int) -> int:
        s = count & count_mask
        return (a << s) & keep_shl[s]

    def shr_u(a: int, count: int) -> int:
        s = count & count_mask
        return (a >> s) & keep_shr[s]

    def shr_s(a: int, count: int) -> int:
        s = count & count_mask
        # (lane sign bit as 0/1 in the lane's bit 0) * fill: the top s bits of
        # every negative lane, no carries between lanes.
        return ((a >> s) & keep_shr[s]) | (((a & high) >> top) * fill[s])

    return shl, shr_s, shr_u


def _shift_set(prefix: str):
    shl, shr_s, shr_u = _shifts(_BITS[prefix])
    return (
        _named(shl, f"{prefix}_shl", f"{prefix}.shl: lanes shifted left by the count modulo the lane width."),
        _named(shr_s, f"{prefix}_shr_s", f"{prefix}.shr_s: arithmetic right shift, count modulo the lane width."),
        _named(shr_u, f"{prefix}_shr_u", f"{prefix}.shr_u: logical right shift, count modulo the lane width."),
    )


i8x16_shl, i8x16_shr_s, i8x16_shr_u = _shift_set("i8x16")
i16x8_shl, i16x8_shr_s, i16x8_shr_u = _shift_set("i16x8")
i32x4_shl, i32x4_shr_s, i32x4_shr_u = _shift_set("i32x4")
i64x2_shl, i64x2_shr_s, i64x2_shr_u = _shift_set("i64x2")

# ------------------------------------------------------------------ reductions


def v128_any_true(a: int) -> int:
    """v128.any_true: 1 if any bit is set."""
    return 1 if a else 0


def i8x16_all_true(a: int) -> int:
    """i8x16.all_true: 1 if every lane is non-zero."""
    return 0 if 0 in a.to_bytes(16, "little") else 1


def _all_true(prefix: str):
    unpack = STRUCTS[f"u{_BITS[prefix]}"].unpack

    def all_true(a: int) -> int:
        return 0 if 0 in unpack(a.to_bytes(16, "little")) else 1

    return _named(all_true, f"{prefix}_all_true", f"{prefix}.all_true: 1 if every lane is non-zero.")


i16x8_all_true = _all_true("i16x8")
i32x4_all_true = _all_true("i32x4")
i64x2_all_true = _all_true("i64x2")


def _bitmask(prefix: str):
    # Each lane's sign bit moved to the lane's bit 0 (bit w*i), then one
    # multiply gathers them: term 2**(w*j + n-1-j) sends bit w*i to w*(n-1) + i
    # when i + j == n - 1, and every other product lands in a disjoint range
    # below or above (n <= w keeps the ranges apart), so nothing carries.
    width = _BITS[prefix]
    count = 128 // width
    high = HIGH_BITS[width]
    top = width - 1
    magic = sum(1 << (width * j + count - 1 - j) for j in range(count))
    shift = width * (count - 1)
    low_bits = (1 << count) - 1

    def bitmask(a: int) -> int:
        return (((a & high) >> top) * magic >> shift) & low_bits

    return _named(
        bitmask, f"{prefix}_bitmask", f"{prefix}.bitmask: lane sign bits gathered into an i32, lane 0 lowest."
    )


_HIGH8_LOW64 = HIGH_BITS[8] & M64
_GATHER8 = 0x0102040810204080  # the i8 gather constant for 8 lanes (w = n = 8)


def i8x16_bitmask(a: int) -> int:
    """i8x16.bitmask: lane sign bits gathered into an i32, lane 0 lowest."""
    # 16 lanes of 8 bits break the single-multiply gather (n > w): gather each 64-bit half.
    low = (((a & _HIGH8_LOW64) >> 7) * _GATHER8 >> 56) & 0xFF
    high = ((((a >> 64) & _HIGH8_LOW64) >> 7) * _GATHER8 >> 56) & 0xFF
    return low | (high << 8)


i16x8_bitmask = _bitmask("i16x8")
i32x4_bitmask = _bitmask("i32x4")
i64x2_bitmask = _bitmask("i64x2")

# ------------------------------------------------------------------ bitwise


def v128_not(a: int) -> int:
    """v128.not: bitwise complement."""
    return a ^ M128


def v128_and(a: int, b: int) -> int:
    """v128.and: bitwise and."""
    return a & b


def v128_andnot(a: int, b: int) -> int:
    """v128.andnot: ``a & ~b``."""
    return a & (b ^ M128)


def v128_or(a: int, b: int) -> int:
    """v128.or: bitwise or."""
    return a | b


def v128_xor(a: int, b: int) -> int:
    """v128.xor: bitwise xor."""
    return a ^ b


def v128_bitselect(a: int, b: int, c: int) -> int:
    """v128.bitselect: bits of ``a`` where ``c`` is set, bits of ``b`` elsewhere."""
    return (a & c) | (b & (c ^ M128))
