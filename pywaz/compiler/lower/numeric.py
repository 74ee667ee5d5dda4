"""Numeric instructions: constants and the integer and float operators (templates over operand texts)."""

from __future__ import annotations

import struct

from ...numeric import f32_from_bits, f64_from_bits
from .core import COND, CONST, EXPR, LOCAL, RAW_LIMIT, _float_text, _int_const, canonical_range, int_range, push_int


def _lower_i_const(low, code, imm, pc, offset, blocks):
    low.push(str(imm), CONST, None, 0)


def _lower_f32_const(low, code, imm, pc, offset, blocks):
    value = f32_from_bits(imm)
    bits = struct.unpack("<Q", struct.pack("<d", value))[0]
    low.push(_float_text(value, low.consts, bits, low.const_prefix), CONST, None, 0)


def _lower_f64_const(low, code, imm, pc, offset, blocks):
    value = f64_from_bits(imm)
    low.push(_float_text(value, low.consts, imm, low.const_prefix), CONST, None, 0)


# {a}/{b} are operand texts. Signed views use the xor trick: (x ^ 2**31) - 2**31
# maps an unsigned i32 to its two's-complement value, and comparing x ^ 2**31
# orders unsigned values as signed ones.

_S32 = "(({x} ^ 0x80000000) - 0x80000000)"
_S64 = "(({x} ^ 0x8000000000000000) - 0x8000000000000000)"

_BINARY = {
    # i32 comparisons (COND)
    0x46: ("({a} == {b})", COND),
    0x47: ("({a} != {b})", COND),
    0x48: ("(({a} ^ 0x80000000) < ({b} ^ 0x80000000))", COND),
    0x49: ("({a} < {b})", COND),
    0x4A: ("(({a} ^ 0x80000000) > ({b} ^ 0x80000000))", COND),
    0x4B: ("({a} > {b})", COND),
    0x4C: ("(({a} ^ 0x80000000) <= ({b} ^ 0x80000000))", COND),
    0x4D: ("({a} <= {b})", COND),
    0x4E: ("(({a} ^ 0x80000000) >= ({b} ^ 0x80000000))", COND),
    0x4F: ("({a} >= {b})", COND),
    # i64 comparisons
    0x51: ("({a} == {b})", COND),
    0x52: ("({a} != {b})", COND),
    0x53: ("(({a} ^ 0x8000000000000000) < ({b} ^ 0x8000000000000000))", COND),
    0x54: ("({a} < {b})", COND),
    0x55: ("(({a} ^ 0x8000000000000000) > ({b} ^ 0x8000000000000000))", COND),
    0x56: ("({a} > {b})", COND),
    0x57: ("(({a} ^ 0x8000000000000000) <= ({b} ^ 0x8000000000000000))", COND),
    0x58: ("({a} <= {b})", COND),
    0x59: ("(({a} ^ 0x8000000000000000) >= ({b} ^ 0x8000000000000000))", COND),
    0x5A: ("({a} >= {b})", COND),
    # float comparisons: Python's float comparisons are IEEE's (NaN unordered)
    0x5B: ("({a} == {b})", COND),
    0x5C: ("({a} != {b})", COND),
    0x5D: ("({a} < {b})", COND),
    0x5E: ("({a} > {b})", COND),
    0x5F: ("({a} <= {b})", COND),
    0x60: ("({a} >= {b})", COND),
    0x61: ("({a} == {b})", COND),
    0x62: ("({a} != {b})", COND),
    0x63: ("({a} < {b})", COND),
    0x64: ("({a} > {b})", COND),
    0x65: ("({a} <= {b})", COND),
    0x66: ("({a} >= {b})", COND),
    # i32 arithmetic
    0x6A: ("(({a} + {b}) & 0xFFFFFFFF)", EXPR),
    0x6B: ("(({a} - {b}) & 0xFFFFFFFF)", EXPR),
    0x6C: ("(({a} * {b}) & 0xFFFFFFFF)", EXPR),
    0x6D: ("_i32_div_s({a}, {b})", EXPR),
    0x6E: ("({a} // {b})", EXPR),
    0x6F: ("_i32_rem_s({a}, {b})", EXPR),
    0x70: ("({a} % {b})", EXPR),
    0x71: ("({a} & {b})", EXPR),
    0x72: ("({a} | {b})", EXPR),
    0x73: ("({a} ^ {b})", EXPR),
    0x74: ("(({a} << ({b} & 31)) & 0xFFFFFFFF)", EXPR),
    0x75: ("((" + _S32.format(x="{a}") + " >> ({b} & 31)) & 0xFFFFFFFF)", EXPR),
    0x76: ("({a} >> ({b} & 31))", EXPR),
    0x77: ("_rotl32({a}, {b})", EXPR),
    0x78: ("_rotr32({a}, {b})", EXPR),
    # i64 arithmetic
    0x7C: ("(({a} + {b}) & 0xFFFFFFFFFFFFFFFF)", EXPR),
    0x7D: ("(({a} - {b}) & 0xFFFFFFFFFFFFFFFF)", EXPR),
    0x7E: ("(({a} * {b}) & 0xFFFFFFFFFFFFFFFF)", EXPR),
    0x7F: ("_i64_div_s({a}, {b})", EXPR),
    0x80: ("({a} // {b})", EXPR),
    0x81: ("_i64_rem_s({a}, {b})", EXPR),
    0x82: ("({a} % {b})", EXPR),
    0x83: ("({a} & {b})", EXPR),
    0x84: ("({a} | {b})", EXPR),
    0x85: ("({a} ^ {b})", EXPR),
    0x86: ("(({a} << ({b} & 63)) & 0xFFFFFFFFFFFFFFFF)", EXPR),
    0x87: ("((" + _S64.format(x="{a}") + " >> ({b} & 63)) & 0xFFFFFFFFFFFFFFFF)", EXPR),
    0x88: ("({a} >> ({b} & 63))", EXPR),
    0x89: ("_rotl64({a}, {b})", EXPR),
    0x8A: ("_rotr64({a}, {b})", EXPR),
    # f32 arithmetic: computed in double and rounded once (exact for + - * / sqrt)
    0x92: ("_f32r({a} + {b})", EXPR),
    0x93: ("_f32r({a} - {b})", EXPR),
    0x94: ("_f32r({a} * {b})", EXPR),
    0x95: ("_f32_div({a}, {b})", EXPR),
    0x96: ("_fmin({a}, {b})", EXPR),
    0x97: ("_fmax({a}, {b})", EXPR),
    0x98: ("_copysign({a}, {b})", EXPR),
    # f64 arithmetic
    0xA0: ("({a} + {b})", EXPR),
    0xA1: ("({a} - {b})", EXPR),
    0xA2: ("({a} * {b})", EXPR),
    0xA3: ("_fdiv({a}, {b})", EXPR),
    0xA4: ("_fmin({a}, {b})", EXPR),
    0xA5: ("_fmax({a}, {b})", EXPR),
    0xA6: ("_copysign({a}, {b})", EXPR),
}

_DIV_OPS = {0x6E, 0x70, 0x80, 0x82}
# Numeric instructions that can trap: integer division and remainder, float-to-int truncation.
_TRAPPING = frozenset((0x6D, 0x6E, 0x6F, 0x70, 0x7F, 0x80, 0x81, 0x82, 0xA8, 0xA9, 0xAA, 0xAB, 0xAE, 0xAF, 0xB0, 0xB1))

_UNARY = {
    0x45: ("({a} == 0)", COND),
    0x50: ("({a} == 0)", COND),
    0x67: ("(32 - ({a}).bit_length())", EXPR),
    0x68: ("_ctz32({a})", EXPR),
    0x69: ("({a}).bit_count()", EXPR),
    0x79: ("(64 - ({a}).bit_length())", EXPR),
    0x7A: ("_ctz64({a})", EXPR),
    0x7B: ("({a}).bit_count()", EXPR),
    0x8B: ("abs({a})", EXPR),
    0x8C: ("(-{a})", EXPR),
    0x8D: ("_fceil({a})", EXPR),
    0x8E: ("_ffloor({a})", EXPR),
    0x8F: ("_ftrunc({a})", EXPR),
    0x90: ("_fnearest({a})", EXPR),
    0x91: ("_f32_sqrt({a})", EXPR),
    0x99: ("abs({a})", EXPR),
    0x9A: ("(-{a})", EXPR),
    0x9B: ("_fceil({a})", EXPR),
    0x9C: ("_ffloor({a})", EXPR),
    0x9D: ("_ftrunc({a})", EXPR),
    0x9E: ("_fnearest({a})", EXPR),
    0x9F: ("_fsqrt({a})", EXPR),
    0xA7: ("({a} & 0xFFFFFFFF)", EXPR),
    0xA8: ("_i32_trunc_s({a})", EXPR),
    0xA9: ("_i32_trunc_u({a})", EXPR),
    0xAA: ("_i32_trunc_s({a})", EXPR),
    0xAB: ("_i32_trunc_u({a})", EXPR),
    0xAC: ("(" + _S32.format(x="{a}") + " & 0xFFFFFFFFFFFFFFFF)", EXPR),
    0xAD: None,  # i64.extend_i32_u: the value is unchanged
    0xAE: ("_i64_trunc_s({a})", EXPR),
    0xAF: ("_i64_trunc_u({a})", EXPR),
    0xB0: ("_i64_trunc_s({a})", EXPR),
    0xB1: ("_i64_trunc_u({a})", EXPR),
    # int -> f32: below 2**53 the double is exact, so one f32 rounding is correct.
    0xB2: ("_f32r(float(" + _S32.format(x="{a}") + "))", EXPR),
    0xB3: ("_f32r(float({a}))", EXPR),
    0xB4: ("_f32_from_int(" + _S64.format(x="{a}") + ")", EXPR),
    0xB5: ("_f32_from_int({a})", EXPR),
    0xB6: ("_f32r({a})", EXPR),
    0xB7: ("float(" + _S32.format(x="{a}") + ")", EXPR),
    0xB8: ("float({a})", EXPR),
    0xB9: ("float(" + _S64.format(x="{a}") + ")", EXPR),
    0xBA: ("float({a})", EXPR),
    # promote: the f32 value is already a double; "* 1.0" quiets a signalling NaN
    # (the spec wants an arithmetic NaN) and keeps -0.0.
    0xBB: ("({a} * 1.0)", EXPR),
    0xBC: ("_f32_bits({a})", EXPR),
    0xBD: ("_f64_bits({a})", EXPR),
    0xBE: ("_f32_from_bits({a})", EXPR),
    0xBF: ("_f64_from_bits({a})", EXPR),
    0xC0: ("(((({a} & 0xFF) ^ 0x80) - 0x80) & 0xFFFFFFFF)", EXPR),
    0xC1: ("(((({a} & 0xFFFF) ^ 0x8000) - 0x8000) & 0xFFFFFFFF)", EXPR),
    0xC2: ("(((({a} & 0xFF) ^ 0x80) - 0x80) & 0xFFFFFFFFFFFFFFFF)", EXPR),
    0xC3: ("(((({a} & 0xFFFF) ^ 0x8000) - 0x8000) & 0xFFFFFFFFFFFFFFFF)", EXPR),
    0xC4: ("(((({a} & 0xFFFFFFFF) ^ 0x80000000) - 0x80000000) & 0xFFFFFFFFFFFFFFFF)", EXPR),
    0xFC00: ("_i32_trunc_sat_s({a})", EXPR),
    0xFC01: ("_i32_trunc_sat_u({a})", EXPR),
    0xFC02: ("_i32_trunc_sat_s({a})", EXPR),
    0xFC03: ("_i32_trunc_sat_u({a})", EXPR),
    0xFC04: ("_i64_trunc_sat_s({a})", EXPR),
    0xFC05: ("_i64_trunc_sat_u({a})", EXPR),
    0xFC06: ("_i64_trunc_sat_s({a})", EXPR),
    0xFC07: ("_i64_trunc_sat_u({a})", EXPR),
}


# i32 add/sub/mul/shl: masking with 0xFFFFFFFF always takes CPython's slow
# multi-digit path, so the result is range-checked first and masked only when
# it actually wrapped. One temp ``_t`` serves every such expression: each use
# reads it right after assigning it, before any other assignment can happen.
# The range check compares with 0x3FFFFFFF, not 0xFFFFFFFF: CPython 3.11 only
# specialises int compares whose operands are single 30-bit digits.
_WRAP_UP = "(_t if (_t := {x}) <= 0x3FFFFFFF else _t & 0xFFFFFFFF)"
_WRAP_DOWN = "(_t if (_t := {x}) >= 0 else _t + 0x100000000)"

# Signed comparisons against a constant 0 <= c < 2**31 avoid the xor trick: as
# unsigned ints, x >=s c exactly when c <= x <= 0x7FFFFFFF (one chained compare,
# x evaluated once).
_SIGNED_CONST = {
    # code: (max, template with c on the right, template with c on the left)
    0x48: (0x7FFFFFFF, "(not {c} <= {x} <= {m})", "({c} < {x} <= {m})"),
    0x4A: (0x7FFFFFFF, "({c} < {x} <= {m})", "(not {c} <= {x} <= {m})"),
    0x4C: (0x7FFFFFFF, "(not {c} < {x} <= {m})", "({c} <= {x} <= {m})"),
    0x4E: (0x7FFFFFFF, "({c} <= {x} <= {m})", "(not {c} < {x} <= {m})"),
    0x53: (0x7FFFFFFFFFFFFFFF, "(not {c} <= {x} <= {m})", "({c} < {x} <= {m})"),
    0x55: (0x7FFFFFFFFFFFFFFF, "({c} < {x} <= {m})", "(not {c} <= {x} <= {m})"),
    0x57: (0x7FFFFFFFFFFFFFFF, "(not {c} < {x} <= {m})", "({c} <= {x} <= {m})"),
    0x59: (0x7FFFFFFFFFFFFFFF, "({c} <= {x} <= {m})", "(not {c} < {x} <= {m})"),
}


# Integer operators folded over range facts (see core's "value ranges"): opcode -> (operator, bits).
_RANGED_BINARY = {
    0x6A: ("+", 32), 0x6B: ("-", 32), 0x6C: ("*", 32), 0x71: ("&", 32), 0x72: ("|", 32), 0x73: ("^", 32),
    0x74: ("<<", 32), 0x76: (">>", 32),
    0x7C: ("+", 64), 0x7D: ("-", 64), 0x7E: ("*", 64), 0x83: ("&", 64), 0x84: ("|", 64), 0x85: ("^", 64),
    0x86: ("<<", 64), 0x88: (">>", 64),
}


def _signed_bits(lo: int, hi: int) -> int:
    """The n for which every value in [lo, hi] lies in [-2**n, 2**n - 1]."""
    return max(hi.bit_length(), (-lo - 1).bit_length() if lo < 0 else 0)


def _combine(symbol: str, fa: tuple, fb: tuple, shift):
    """Raw text and range of ``a <symbol> b`` over the raw operands, or None."""
    ta, la, ha, da, ga = fa
    tb, lb, hb, db, gb = fb
    depth = max(da, db) + 1
    large = ga or gb
    if symbol == "+":
        return f"({ta} + {tb})", la + lb, ha + hb, depth, large
    if symbol == "-":
        return f"({ta} - {tb})", la - hb, ha - lb, depth, large
    if symbol == "*":
        corners = (la * lb, la * hb, ha * lb, ha * hb)
        if (lb == hb and abs(lb) >= 1 << 16) or (la == ha and abs(la) >= 1 << 16):
            large = True
        return f"({ta} * {tb})", min(corners), max(corners), depth, large
    if symbol == "<<":
        return f"({ta} << {shift})", la << shift, ha << shift, da + 1, ga
    if symbol == "&" and (la >= 0 or lb >= 0):
        hi = min(h for l, h in ((la, ha), (lb, hb)) if l >= 0)
        return f"({ta} & {tb})", 0, hi, depth, False
    if la >= 0 and lb >= 0:
        bits = max(ha.bit_length(), hb.bit_length())
        return f"({ta} {symbol} {tb})", 0, (1 << bits) - 1, depth, large
    bits = max(_signed_bits(la, ha), _signed_bits(lb, hb))
    return f"({ta} {symbol} {tb})", -(1 << bits), (1 << bits) - 1, depth, large


def _ranged_binary(low, code, a, b) -> bool:
    """Lower an integer operator over range facts; False leaves it to the templates."""
    symbol, bits = _RANGED_BINARY[code]
    ca = _int_const(a)
    cb = _int_const(b)
    if ca is not None and cb is not None:
        return False  # CPython folds constant expressions itself
    shift = None
    if symbol == "<<" or symbol == ">>":
        if cb is None:
            return False
        shift = cb & (bits - 1)
    if symbol == ">>":
        fa = canonical_range(low, a, bits)
        if shift == 0:
            push_int(low, fa[0], fa[1], fa[2], fa[3], bits)
        else:
            push_int(low, f"({fa[0]} >> {shift})", fa[1] >> shift, fa[2] >> shift, fa[3] + 1, bits)
        return True
    if (symbol == "+" or symbol == "-") and cb == 0:
        low.push(*a)
        return True
    if symbol == "+" and ca is not None:
        a, b, ca, cb = b, a, cb, ca  # a constant has no effects: operand order is free
    if bits == 32 and (symbol == "+" or symbol == "-") and cb is not None and a[1] < EXPR:
        # A name plus a constant: the wrap test reads the name, not a temporary.
        fa = int_range(low, a, bits)
        if fa[1] == 0 and fa[2] == 0xFFFFFFFF:
            text = _i32_arith(low, code, a, b)
            raw = f"({fa[0]} {symbol} {cb})"
            lo, hi = (cb, 0xFFFFFFFF + cb) if symbol == "+" else (-cb, 0xFFFFFFFF - cb)
            low.push(text, EXPR, (raw, lo, hi, 1, False), 2)
            return True
    limit = RAW_LIMIT[bits]
    fa = int_range(low, a, bits)
    fb = int_range(low, b, bits)
    result = _combine(symbol, fa, fb, shift)
    if not (-limit <= result[1] and result[2] <= limit):
        result = _combine(symbol, canonical_range(low, a, bits), canonical_range(low, b, bits), shift)
        if not (-limit <= result[1] and result[2] <= limit):
            return False
    push_int(low, *result[:4], bits, result[4])
    return True


# Unary integer operators over range facts: wrap, extends, sign extensions.
_RANGED_UNARY = frozenset((0xA7, 0xAC, 0xAD, 0xC0, 0xC1, 0xC2, 0xC3, 0xC4))
# sign extension: opcode -> (operand bits, result bits, from bits)
_SIGN_EXTEND = {0xAC: (32, 64, 32), 0xC0: (32, 32, 8), 0xC1: (32, 32, 16), 0xC2: (64, 64, 8), 0xC3: (64, 64, 16),
                0xC4: (64, 64, 32)}


def _ranged_unary(low, code, a) -> None:
    if code == 0xA7:  # i32.wrap_i64: congruent mod 2**64 is congruent mod 2**32
        fa = int_range(low, a, 64)
        if not (-RAW_LIMIT[32] <= fa[1] and fa[2] <= RAW_LIMIT[32]):
            fa = (f"({low.val(a)} & 0xFFFFFFFF)", 0, 0xFFFFFFFF, a[3] + 1, False)
        push_int(low, *fa[:4], 32, fa[4])
        return
    if code == 0xAD:  # i64.extend_i32_u: the canonical i32 is the i64
        fa = canonical_range(low, a, 32)
        push_int(low, *fa[:4], 64)
        return
    source, bits, width = _SIGN_EXTEND[code]
    fa = int_range(low, a, source)
    half = 1 << (width - 1)
    if -half <= fa[1] and fa[2] < half:
        push_int(low, *fa[:4], bits)  # already the signed value
        return
    if 0 <= fa[1] and fa[2] < half:
        push_int(low, *fa[:4], bits)
        return
    push_int(low, f"((({fa[0]} & 0x{(half << 1) - 1:X}) ^ 0x{half:X}) - 0x{half:X})", -half, half - 1, fa[3] + 2, bits)


def _i32_arith(low, code, a, b):
    """Text for i32 add/sub/mul/shl, or None to use the plain template."""
    ca = _int_const(a)
    cb = _int_const(b)
    if ca is not None and cb is not None:
        return None  # CPython folds constant expressions itself
    if code == 0x6A and ca is not None:
        a, b, ca, cb = b, a, cb, ca  # a constant has no effects: operand order is free
    if code == 0x6A or code == 0x6B:
        if cb is not None:
            if cb == 0:
                return low.val(a)
            add = cb if code == 0x6A else (0x100000000 - cb)
            if a[1] < EXPR:
                x = low.val(a)
                sub = 0x100000000 - add
                if add <= 0x3FFFFFFF:
                    return f"({x} + {add} if {x} <= {0x3FFFFFFF - add} else ({x} + {add}) & 0xFFFFFFFF)"
                if sub <= 0x3FFFFFFF:
                    return f"({x} - {sub} if {x} >= {sub} else {x} + {add})"
        if code == 0x6A:
            return _WRAP_UP.format(x=f"{low.val(a)} + {low.val(b)}")
        return _WRAP_DOWN.format(x=f"{low.val(a)} - {low.val(b)}")
    if code == 0x6C:
        return _WRAP_UP.format(x=f"{low.val(a)} * {low.val(b)}")
    if cb is not None:
        return _WRAP_UP.format(x=f"{low.val(a)} << {cb & 31}")
    return _WRAP_UP.format(x=f"{low.val(a)} << ({low.val(b)} & 31)")


# i32/i64 div_s and rem_s: opcode -> (Python operator, helper, largest non-negative signed value).
_SIGNED_DIV = {
    0x6D: ("//", "_i32_div_s", 0x7FFFFFFF),
    0x6F: ("%", "_i32_rem_s", 0x7FFFFFFF),
    0x7F: ("//", "_i64_div_s", 0x7FFFFFFFFFFFFFFF),
    0x81: ("%", "_i64_rem_s", 0x7FFFFFFFFFFFFFFF),
}


def _signed_div_text(code: int, a: str, b: str, cb) -> str:
    operator, helper, top = _SIGNED_DIV[code]
    if cb is not None and 0 < cb <= top:
        test = f"{a} <= {top}"
    else:
        test = f"{a} <= {top} and 0 < {b} <= {top}"
    return f"({a} {operator} {b} if {test} else {helper}({a}, {b}))"


def _lower_binary(low, code, imm, pc, offset, blocks):
    a, b = low.take(2)
    template, kind = _BINARY[code]
    if code in _RANGED_BINARY and _ranged_binary(low, code, a, b):
        return
    if code == 0x6A or code == 0x6B or code == 0x6C or code == 0x74:
        text = _i32_arith(low, code, a, b)
        if text is not None:
            low.push(text, EXPR, None, max(a[3], b[3]) + 2)
            return
    elif code in _SIGNED_CONST:
        limit, right, left = _SIGNED_CONST[code]
        cb = _int_const(b)
        ca = _int_const(a)
        if cb is not None and cb <= limit and ca is None:
            low.push(right.format(c=cb, x=low.val(a), m=limit), COND, None, a[3] + 1)
            return
        if ca is not None and ca <= limit and cb is None:
            low.push(left.format(c=ca, x=low.val(b), m=limit), COND, None, b[3] + 1)
            return
    if code in _SIGNED_DIV and a[1] < EXPR and b[1] < EXPR:
        # Both operands non-negative as signed values (the common case): Python's floor division is
        # wasm's truncating one and nothing can trap; anything else goes to the helper, which traps.
        text = _signed_div_text(code, low.val(a), low.val(b), _int_const(b))
        low.site(text, offset)
        low.push(text, EXPR, None, max(a[3], b[3]) + 3)
        return
    if code in _DIV_OPS and not _int_const(b):
        low.catch_div = True  # a constant nonzero divisor cannot raise ZeroDivisionError
    if code == 0xA3 and b[1] == CONST and b[0] not in ("0.0", "(-0.0)") and not b[0].startswith("_k"):
        template = "({a} / {b})"
    text = template.format(a=low.val(a), b=low.val(b))
    if code in _TRAPPING:
        low.site(text, offset)
    low.push(text, kind, None, max(a[3], b[3]) + 2)


def _lower_unary(low, code, imm, pc, offset, blocks):
    spec = _UNARY[code]
    if code in _RANGED_UNARY:
        (a,) = low.take(1)
        _ranged_unary(low, code, a)
        return
    if spec is None:
        return
    (a,) = low.take(1)
    template, kind = spec
    if (code == 0x45 or code == 0x50) and a[1] == COND:
        low.push(f"(not {a[0]})", COND, None, a[3] + 1)
        return
    text = template.format(a=low.val(a))
    if code in _TRAPPING:
        low.site(text, offset)
    low.push(text, kind, None, a[3] + 2)


# Numeric instructions without traps or effects: what a call may inline (see control's _inline_leaf).
PURE_NUMERIC = frozenset((0x41, 0x42, 0x43, 0x44, *_BINARY, *_UNARY)) - _TRAPPING

LOWERERS = {
    0x41: _lower_i_const,
    0x42: _lower_i_const,
    0x43: _lower_f32_const,
    0x44: _lower_f64_const,
}
LOWERERS.update(dict.fromkeys(_BINARY, _lower_binary))
LOWERERS.update(dict.fromkeys(_UNARY, _lower_unary))
