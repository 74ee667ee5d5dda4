"""Instructions the interpreter's dispatch loop runs out of line, by opcode.

The memory and table families live in :mod:`.memory` and :mod:`.tables`;
``ref.func`` is here. Each helper is ``fn(instance, stack, imm)``.
"""

from __future__ import annotations

from .memory import MEMORY_OPS
from .tables import TABLE_OPS


def ref_func(instance, stack, imm):
    stack.append(instance.funcs[imm])


MISC_OPS = {**MEMORY_OPS, **TABLE_OPS, 0xD2: ref_func}
"""Opcode -> out-of-line helper ``fn(instance, stack, imm)``."""
