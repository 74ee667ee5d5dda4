"""Relaxed SIMD for the reference runtime: the spec's deterministic profile, spelled in 2.0 instructions.

The native reference is free to give any allowed result of a relaxed instruction (its host CPU's, or its own
"deterministic" choice, which is not the specification's deterministic profile: it fuses ``relaxed_madd``).
pywaz always gives the deterministic profile's result (``R = 0`` for every parameter; see
pywaz/simd/relaxed.py). So before the reference runs a generated module, every relaxed instruction is
rewritten into the 2.0 instructions that compute exactly the deterministic result: the module the reference
runs has no relaxed instruction left, and any disagreement is a real one.

The rewrite works on ``wasm-tools print`` output and assembles the result with ``wasm-tools parse``. Each
function gets three spare v128 locals (named, after its own, so no existing index moves) for the
instructions that need an operand twice or out of order.
"""

from __future__ import annotations

import re
import subprocess

#: Relaxed instructions whose deterministic result is one 2.0 instruction with the same operands.
SAME_SHAPE = {
    "i8x16.relaxed_swizzle": "i8x16.swizzle",
    "i32x4.relaxed_trunc_f32x4_s": "i32x4.trunc_sat_f32x4_s",
    "i32x4.relaxed_trunc_f32x4_u": "i32x4.trunc_sat_f32x4_u",
    "i32x4.relaxed_trunc_f64x2_s_zero": "i32x4.trunc_sat_f64x2_s_zero",
    "i32x4.relaxed_trunc_f64x2_u_zero": "i32x4.trunc_sat_f64x2_u_zero",
    "f32x4.relaxed_min": "f32x4.min",
    "f32x4.relaxed_max": "f32x4.max",
    "f64x2.relaxed_min": "f64x2.min",
    "f64x2.relaxed_max": "f64x2.max",
    "i16x8.relaxed_q15mulr_s": "i16x8.q15mulr_sat_s",
    "i8x16.relaxed_laneselect": "v128.bitselect",
    "i16x8.relaxed_laneselect": "v128.bitselect",
    "i32x4.relaxed_laneselect": "v128.bitselect",
    "i64x2.relaxed_laneselect": "v128.bitselect",
}

_EVEN = "i8x16.shuffle 0 2 4 6 8 10 12 14 0 2 4 6 8 10 12 14"
_ODD = "i8x16.shuffle 1 3 5 7 9 11 13 15 1 3 5 7 9 11 13 15"
# i16x8 dot with each pair's sum saturated: the even and the odd bytes of a and b (from $__r0, $__r1), each
# multiplied lane-wise into i16, then added with signed saturation.
_DOT16 = [
    "local.get $__r0", "local.get $__r0", _EVEN, "local.get $__r1", "local.get $__r1", _EVEN,
    "i16x8.extmul_low_i8x16_s",
    "local.get $__r0", "local.get $__r0", _ODD, "local.get $__r1", "local.get $__r1", _ODD,
    "i16x8.extmul_low_i8x16_s",
    "i16x8.add_sat_s",
]


def _madd(shape: str, negate: bool) -> list[str]:
    # [a b c] -> fadd(fmul(a, b), c), each rounded (unfused); nmadd negates a first.
    if not negate:
        return ["local.set $__r0", f"{shape}.mul", "local.get $__r0", f"{shape}.add"]
    return ["local.set $__r0", "local.set $__r1", f"{shape}.neg", "local.get $__r1", f"{shape}.mul",
            "local.get $__r0", f"{shape}.add"]


#: Relaxed instructions that need a sequence (and the spare locals).
SEQUENCES = {
    "f32x4.relaxed_madd": _madd("f32x4", False),
    "f32x4.relaxed_nmadd": _madd("f32x4", True),
    "f64x2.relaxed_madd": _madd("f64x2", False),
    "f64x2.relaxed_nmadd": _madd("f64x2", True),
    "i16x8.relaxed_dot_i8x16_i7x16_s": ["local.set $__r1", "local.set $__r0", *_DOT16],
    "i32x4.relaxed_dot_i8x16_i7x16_add_s": ["local.set $__r2", "local.set $__r1", "local.set $__r0", *_DOT16,
                                            "i32x4.extadd_pairwise_i16x8_s", "local.get $__r2", "i32x4.add"],
}

SPARE_LOCALS = "(local $__r0 v128) (local $__r1 v128) (local $__r2 v128)"
#: Relaxed SIMD sub-opcodes are 0x100-0x113: LEB128 bytes 0x80-0x93 then 0x02, after the 0xFD prefix.
_MAYBE_RELAXED = re.compile(rb"\xfd[\x80-\x93]\x02")


def deterministic_text(text: str) -> str:
    """``wasm-tools print`` text with every relaxed instruction replaced by its deterministic 2.0 form."""
    lines = text.split("\n")
    out = []
    in_header = False
    for line in lines:
        stripped = line.strip()
        if in_header and not stripped.startswith("(local"):
            out.append("    " + SPARE_LOCALS)
            in_header = False
        if stripped.startswith("(func "):
            in_header = True
            out.append(line)
            continue
        name = stripped.split(" ", 1)[0] if stripped else ""
        indent = line[: len(line) - len(line.lstrip())]
        if name in SAME_SHAPE:
            out.append(indent + SAME_SHAPE[name] + stripped[len(name):])
        elif name in SEQUENCES:
            out.extend(indent + instruction for instruction in SEQUENCES[name])
        elif "relaxed_" in name:
            raise ValueError(f"no deterministic rewrite for {name}")
        else:
            out.append(line)
    return "\n".join(out)


def deterministic_module(data: bytes, wasm_tools: str) -> bytes:
    """``data`` with relaxed instructions rewritten (unchanged when it has none)."""
    if not _MAYBE_RELAXED.search(data):
        return data
    printed = subprocess.run([wasm_tools, "print"], input=data, capture_output=True, check=True).stdout.decode()
    if "relaxed_" not in printed:
        return data
    rewritten = deterministic_text(printed)
    return subprocess.run([wasm_tools, "parse", "-"], input=rewritten.encode(), capture_output=True,
                          check=True).stdout
