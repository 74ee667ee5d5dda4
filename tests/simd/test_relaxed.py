"""Relaxed SIMD through both engines, against results worked out here from first principles.

pywaz takes the deterministic profile's result for every relaxed instruction
(see pywaz/simd/relaxed.py). Each test computes that result independently --
f32 arithmetic in numpy.float32 (single-precision operations, not pywaz's
double-then-round), integer lanes with plain Python ints -- and checks the
interpreter and the compiler (eager and lazy) bit for bit, plus the vectors
that tell the allowed choices apart (fused against unfused madd, saturating
against wrapping dot, bitwise against top-bit laneselect, zero against modulo
swizzle).
"""

from __future__ import annotations

import math
import random
import struct

import numpy
import pytest

from pywaz import CompilationCache, DecodeError, Runtime, ValidationError, decode_module, validate
from pywaz.opcodes import OP_NAMES
from pywaz.text import wat2wasm

ENGINES = [("interpreter", None), ("compiler", "eager"), ("compiler", "lazy")]
RELAXED = sorted(name for name in OP_NAMES.values() if "relaxed_" in name)
TERNARY = {name for name in RELAXED if "madd" in name or "laneselect" in name or "add_s" in name}
UNARY = {name for name in RELAXED if "trunc" in name}


def _wat() -> str:
    funcs = []
    for name in RELAXED:
        arity = 3 if name in TERNARY else 1 if name in UNARY else 2
        params = " ".join(["v128"] * arity)
        operands = " ".join(f"(local.get {i})" for i in range(arity))
        funcs.append(f'(func (export "{name}") (param {params}) (result v128) ({name} {operands}))')
    return "(module " + "\n".join(funcs) + ")"


@pytest.fixture(scope="module")
def instances():
    data = wat2wasm(_wat())
    runtimes = [Runtime(engine=engine, compile_mode=mode) for engine, mode in ENGINES]
    yield [runtime.instantiate(data) for runtime in runtimes]
    for runtime in runtimes:
        runtime.close()


def run(instances, name: str, *args: int) -> int:
    """The result of ``name`` in every engine; they must agree bit for bit."""
    results = {instance.exports[name].call_raw(*args) for instance in instances}
    assert len(results) == 1, f"{name}: engines disagree: {[hex(r) for r in results]}"
    return results.pop()


def pack(fmt: str, *lanes) -> int:
    return int.from_bytes(struct.pack("<" + fmt, *lanes), "little")


def unpack(fmt: str, value: int) -> tuple:
    return struct.unpack("<" + fmt, value.to_bytes(16, "little"))


F32_MAX = 3.4028234663852886e38
F64_MAX = 1.7976931348623157e308


# ------------------------------------------------------------------ multiply-add: unfused


def test_f32_madd_is_unfused_where_fused_differs(instances):
    # FLT_MAX * 2 - FLT_MAX: the f32 product overflows to +inf (fused would give FLT_MAX).
    assert (
        unpack(
            "4f",
            run(
                instances,
                "f32x4.relaxed_madd",
                pack("4f", *[F32_MAX] * 4),
                pack("4f", *[2.0] * 4),
                pack("4f", *[-F32_MAX] * 4),
            ),
        )
        == (math.inf,) * 4
    )
    # (1 + 2^-22)(1 + 2^-15) = 1 + 2^-15 + 2^-22 + 2^-37: the f32 product drops the 2^-37, so the sum
    # is 0. Fused (and a double product never rounded to f32) would keep 2^-37.
    x, y, z = 1 + 2**-22, 1 + 2**-15, -(1 + 2**-15 + 2**-22)
    got = run(instances, "f32x4.relaxed_madd", pack("4f", *[x] * 4), pack("4f", *[y] * 4), pack("4f", *[z] * 4))
    assert unpack("4f", got) == (0.0,) * 4
    got = run(instances, "f32x4.relaxed_nmadd", pack("4f", *[-x] * 4), pack("4f", *[y] * 4), pack("4f", *[z] * 4))
    assert unpack("4f", got) == (0.0,) * 4


def test_f64_madd_is_unfused_where_fused_differs(instances):
    got = run(
        instances,
        "f64x2.relaxed_madd",
        pack("2d", F64_MAX, F64_MAX),
        pack("2d", 2.0, 2.0),
        pack("2d", -F64_MAX, -F64_MAX),
    )
    assert unpack("2d", got) == (math.inf, math.inf)
    x, y, z = 1 + 2**-30, 1 + 2**-23, -(1 + 2**-23 + 2**-30)  # the product's 2^-53 rounds away
    got = run(instances, "f64x2.relaxed_nmadd", pack("2d", x, -x), pack("2d", -y, y), pack("2d", z, z))
    assert unpack("2d", got) == (0.0, 0.0)


def _random_f32_bits(rng: random.Random) -> int:
    roll = rng.random()
    if roll < 0.1:
        return rng.choice((0x7F800000, 0xFF800000, 0x7FC00000, 0x7FA00001, 0x80000000, 0, 0x00000001, 0x7F7FFFFF))
    if roll < 0.3:  # near 1.0 and near each other, where the rounding of the product matters
        return 0x3F800000 | rng.getrandbits(23) | rng.getrandbits(1) << 31
    return rng.getrandbits(32)


def _same_float(expected, actual_bits: int, width: int) -> bool:
    if numpy.isnan(expected):
        exponent = 0x7F800000 if width == 32 else 0x7FF0000000000000
        return actual_bits & exponent == exponent and actual_bits & ~exponent & ((1 << (width - 1)) - 1) != 0
    dtype = numpy.uint32 if width == 32 else numpy.uint64
    return int(numpy.array(expected).view(dtype)) == actual_bits


@pytest.mark.parametrize("negate", [False, True], ids=["madd", "nmadd"])
def test_f32_madd_rounds_twice_in_single_precision(instances, negate):
    rng = random.Random(12)
    name = "f32x4.relaxed_nmadd" if negate else "f32x4.relaxed_madd"
    for _ in range(60):
        bits = [[_random_f32_bits(rng) for _ in range(4)] for _ in range(3)]
        a, b, c = (pack("4I", *lanes) for lanes in bits)
        got = unpack("4I", run(instances, name, a, b, c))
        xs, ys, zs = (numpy.array(lanes, dtype=numpy.uint32).view(numpy.float32) for lanes in bits)
        with numpy.errstate(all="ignore"):
            expected = ((-xs if negate else xs) * ys) + zs  # two float32 operations, each rounded once
        for lane in range(4):
            assert _same_float(expected[lane], got[lane], 32), (name, [hex(b[lane]) for b in bits], hex(got[lane]))


def test_f64_madd_rounds_twice(instances):
    rng = random.Random(13)
    for _ in range(40):
        bits = [
            [rng.getrandbits(64) if rng.random() < 0.5 else 0x3FF0000000000000 | rng.getrandbits(52) for _ in range(2)]
            for _ in range(3)
        ]
        a, b, c = (pack("2Q", *lanes) for lanes in bits)
        for name, sign in (("f64x2.relaxed_madd", 1), ("f64x2.relaxed_nmadd", -1)):
            got = unpack("2Q", run(instances, name, a, b, c))
            xs, ys, zs = (numpy.array(lanes, dtype=numpy.uint64).view(numpy.float64) for lanes in bits)
            with numpy.errstate(all="ignore"):
                expected = (sign * xs * ys) + zs
            for lane in range(2):
                assert _same_float(expected[lane], got[lane], 64), (name, bits, got)


# ------------------------------------------------------------------ integer instructions


def test_laneselect_selects_every_bit(instances):
    rng = random.Random(14)
    for name in (
        "i8x16.relaxed_laneselect",
        "i16x8.relaxed_laneselect",
        "i32x4.relaxed_laneselect",
        "i64x2.relaxed_laneselect",
    ):
        for _ in range(20):
            a, b, mask = rng.getrandbits(128), rng.getrandbits(128), rng.getrandbits(128)
            # A mask lane mixing set and clear bits: bitselect, not "top bit decides the lane".
            assert run(instances, name, a, b, mask) == (a & mask) | (b & ~mask & (2**128 - 1))
        assert run(instances, name, 2**128 - 1, 0, 1 << 127) == 1 << 127


def test_swizzle_gives_zero_for_every_index_from_16(instances):
    source = pack("16B", *range(100, 116))
    indices = list(range(0, 256, 17)) + [15, 16, 31, 127, 128, 255]
    for start in range(0, len(indices), 16):
        chunk = (indices[start : start + 16] + [0] * 16)[:16]
        got = unpack("16B", run(instances, "i8x16.relaxed_swizzle", source, pack("16B", *chunk)))
        assert got == tuple(100 + i if i < 16 else 0 for i in chunk)


def _trunc_sat(x: float, low: int, high: int) -> int:
    if math.isnan(x):
        return 0
    if math.isinf(x):
        return high if x > 0 else low
    return max(low, min(high, math.trunc(x)))


def test_trunc_saturates_and_maps_nan_to_zero(instances):
    values = [1.5, -1.5, 2.5e9, -2.5e9, 4.5e9, math.inf, -math.inf, math.nan, -0.0, 2147483520.0, 4294967040.0, -0.9]
    for start in range(0, len(values), 4):
        lanes = (values[start : start + 4] + [0.0] * 4)[:4]
        got = unpack("4i", run(instances, "i32x4.relaxed_trunc_f32x4_s", pack("4f", *lanes)))
        assert got == tuple(_trunc_sat(x, -(2**31), 2**31 - 1) for x in lanes)
        got = unpack("4I", run(instances, "i32x4.relaxed_trunc_f32x4_u", pack("4f", *lanes)))
        assert got == tuple(_trunc_sat(x, 0, 2**32 - 1) for x in lanes)
    for start in range(0, len(values), 2):
        lanes = values[start : start + 2]
        got = unpack("4i", run(instances, "i32x4.relaxed_trunc_f64x2_s_zero", pack("2d", *lanes)))
        assert got == tuple(_trunc_sat(x, -(2**31), 2**31 - 1) for x in lanes) + (0, 0)
        got = unpack("4I", run(instances, "i32x4.relaxed_trunc_f64x2_u_zero", pack("2d", *lanes)))
        assert got == tuple(_trunc_sat(x, 0, 2**32 - 1) for x in lanes) + (0, 0)


def test_q15mulr_saturates_the_one_overflow(instances):
    rng = random.Random(15)
    for _ in range(20):
        xs = [rng.choice((-32768, 32767, 0)) if rng.random() < 0.3 else rng.randrange(-32768, 32768) for _ in range(8)]
        ys = [rng.choice((-32768, 32767, 0)) if rng.random() < 0.3 else rng.randrange(-32768, 32768) for _ in range(8)]
        got = unpack("8h", run(instances, "i16x8.relaxed_q15mulr_s", pack("8h", *xs), pack("8h", *ys)))
        assert got == tuple(min(32767, (x * y + 0x4000) >> 15) for x, y in zip(xs, ys))
    got = run(instances, "i16x8.relaxed_q15mulr_s", pack("8h", *[-32768] * 8), pack("8h", *[-32768] * 8))
    assert unpack("8h", got) == (32767,) * 8


def _dot_pairs(xs, ys) -> list[int]:
    return [max(-32768, min(32767, xs[i] * ys[i] + xs[i + 1] * ys[i + 1])) for i in range(0, 16, 2)]


def test_dot_products_are_signed_and_saturate_pairs_to_i16(instances):
    rng = random.Random(16)
    extremes = (-128, 127, -127, 0)
    for _ in range(30):
        xs = [rng.choice(extremes) if rng.random() < 0.4 else rng.randrange(-128, 128) for _ in range(16)]
        ys = [rng.choice(extremes) if rng.random() < 0.4 else rng.randrange(-128, 128) for _ in range(16)]
        acc = [rng.randrange(-(2**31), 2**31) for _ in range(4)]
        got = unpack("8h", run(instances, "i16x8.relaxed_dot_i8x16_i7x16_s", pack("16b", *xs), pack("16b", *ys)))
        pairs = _dot_pairs(xs, ys)
        assert got == tuple(pairs)
        got = unpack(
            "4i",
            run(instances, "i32x4.relaxed_dot_i8x16_i7x16_add_s", pack("16b", *xs), pack("16b", *ys), pack("4i", *acc)),
        )
        want = [((pairs[2 * i] + pairs[2 * i + 1] + acc[i] + 2**31) % 2**32) - 2**31 for i in range(4)]
        assert got == tuple(want)
    # -128 * -128 twice is 32768: saturated to 32767 (wrapping would give -32768, unsigned b 33024).
    minus = pack("16b", *[-128] * 16)
    assert unpack("8h", run(instances, "i16x8.relaxed_dot_i8x16_i7x16_s", minus, minus)) == (32767,) * 8
    got = run(instances, "i32x4.relaxed_dot_i8x16_i7x16_add_s", minus, minus, pack("4i", 1, -1, 2**31 - 1, 0))
    assert unpack("4i", got) == (65535, 65533, -(2**31) + 65533, 65534)


# ------------------------------------------------------------------ min/max


def test_min_max_are_the_2_0_instructions(instances):
    nan, inf = math.nan, math.inf
    a = pack("4f", -0.0, 0.0, nan, 1.0)
    b = pack("4f", 0.0, -0.0, 1.0, -inf)
    got = unpack("4I", run(instances, "f32x4.relaxed_min", a, b))
    assert got[:2] == (0x80000000, 0x80000000)  # -0 < +0, whichever operand it is
    assert got[2] & 0x7FC00000 == 0x7FC00000  # NaN wins
    assert got[3] == 0xFF800000
    got = unpack("4I", run(instances, "f32x4.relaxed_max", a, b))
    assert got[:2] == (0, 0)
    assert got[2] & 0x7FC00000 == 0x7FC00000
    assert got[3] == 0x3F800000
    got = unpack("2Q", run(instances, "f64x2.relaxed_min", pack("2d", 0.0, 2.0), pack("2d", -0.0, nan)))
    assert got[0] == 0x8000000000000000 and got[1] & 0x7FF8000000000000 == 0x7FF8000000000000
    got = unpack("2Q", run(instances, "f64x2.relaxed_max", pack("2d", -0.0, 2.0), pack("2d", 0.0, 3.0)))
    assert got == (0, 0x4008000000000000)


# ------------------------------------------------------------------ decoding, validation, generated code


def test_every_relaxed_instruction_is_covered_here():
    assert len(RELAXED) == 20
    assert {OP_NAMES[op] for op in range(0xFE00, 0xFE14)} == set(RELAXED)


def test_relaxed_operands_are_type_checked():
    data = wat2wasm(
        "(module (func (param v128 v128) (result v128) local.get 0 local.get 1 f32x4.relaxed_madd))"
    )
    with pytest.raises(ValidationError, match="^type mismatch"):
        validate(decode_module(data))


def test_sub_opcode_past_relaxed_simd_is_illegal():
    body = bytes.fromhex("0020002001fd94020b")  # local.get 0, local.get 1, 0xFD 0x114
    data = bytes.fromhex("0061736d0100000001070160027b7b017b030201000a0b0109") + body
    with pytest.raises(DecodeError, match="illegal opcode 0xfd 0x114"):
        decode_module(data)


def test_compiler_calls_the_lane_helper_only_where_the_instruction_is():
    wat = (
        '(module (func (export "f") (param v128 v128 v128) (result v128)'
        " (f32x4.relaxed_madd (local.get 0) (local.get 1) (local.get 2)))"
        ' (func (export "g") (param i32) (result i32) (i32.add (local.get 0) (i32.const 1))))'
    )
    with Runtime(engine="compiler", compile_mode="eager") as runtime:
        compiled = runtime.compile_module(wat2wasm(wat))
        assert "_v_f32x4_relaxed_madd(l0, l1, l2)" in compiled.functions.view("f", python=True).python_source
        assert "_v_" not in compiled.functions.view("g", python=True).python_source


@pytest.mark.parametrize("engine, mode", ENGINES, ids=["interpreter", "compiler-eager", "compiler-lazy"])
def test_relaxed_code_from_a_disk_cache_entry_gives_the_same_bits(engine, mode, tmp_path):
    data = wat2wasm(_wat())
    x, y, z = pack("4f", 1 + 2**-22, 3.0, -1.5, F32_MAX), pack("4f", 1 + 2**-15, 0.5, 2.0, 2.0), pack("4f", 1, 2, 3, 4)
    results = []
    for _ in range(2):
        with CompilationCache(tmp_path) as cache, Runtime(engine=engine, compile_mode=mode, cache=cache) as runtime:
            instance = runtime.instantiate(data)
            results.append(
                (
                    instance.exports["f32x4.relaxed_madd"].call_raw(x, y, z),
                    instance.exports["i32x4.relaxed_dot_i8x16_i7x16_add_s"].call_raw(x, y, z),
                )
            )
            stats = cache.stats()
    assert stats["disk_hits"] == 1 and stats["compilations"] == 0, stats
    assert results[0] == results[1]
    assert unpack("4f", results[0][0])[3] == math.inf
