"""Opcode tables for generic dispatch of the SIMD instructions.

``SIMD_OPS[op]`` is the pure lane function of every non-memory 0xFD
instruction except ``v128.const`` (whose value is its immediate). It is called
with the operands in stack order (deepest first) and, for instructions with an
immediate, the immediate last: a lane index for extract/replace_lane, the 16
lane-index bytes for ``i8x16.shuffle``. ``SIMD_ARITY[op]`` is
``(operand_count, immediate_kind)`` with immediate kinds as in
:mod:`pywaz.opcodes` (``"-"``, ``"lane"``, ``"shuffle"``).
"""

from __future__ import annotations

from ..opcodes import IMMEDIATES, OP_NAMES, SIGNATURES, is_simd
from . import convert, floating, integer, lanes, relaxed
from .memory import MEMORY_OPS

_MODULES = (integer, floating, convert, lanes, relaxed)


def _build():
    ops = {}
    arity = {}
    for code, name in OP_NAMES.items():
        if not is_simd(code) or code in MEMORY_OPS or code == 0xFD0C:
            continue
        attr = name.replace(".", "_")
        for module in _MODULES:
            function = getattr(module, attr, None)
            if function is not None:
                break
        else:  # pragma: no cover - the import-time check below is the test
            raise ImportError(f"pywaz.simd has no function for {name}")
        ops[code] = function
        arity[code] = (len(SIGNATURES[code][0]), IMMEDIATES[code])
    return ops, arity


SIMD_OPS, SIMD_ARITY = _build()


def generated_name(op: int) -> str:
    """The global name generated code uses for the SIMD helper of ``op`` (``_v_i8x16_add``)."""
    return "_v_" + OP_NAMES[op].replace(".", "_")


def generated_namespace() -> dict:
    """Every SIMD helper (lane functions and memory forms) under its :func:`generated_name`."""
    return {generated_name(op): function for op, function in {**SIMD_OPS, **MEMORY_OPS}.items()}
