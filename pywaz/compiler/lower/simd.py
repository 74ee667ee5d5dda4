"""Vector instructions: ``v128.const`` and every 0xFD instruction as a call of the :mod:`pywaz.simd` lane library."""

from __future__ import annotations

from ... import opcodes as op
from .core import CONST, EXPR
from .memory import _address, memory_access


def _lower_v128_const(low, code, imm, pc, offset, blocks):
    low.push(str(imm), CONST, None, 0)


# Every 0xFD instruction is a call of the pywaz.simd lane library's helper,
# bound in the instance globals under simd.generated_name(op).


def _simd_lowerers():
    try:
        from ...simd import MEMORY_OPS, SIMD_ARITY, generated_name
    except ImportError:  # the lane library is optional: SIMD then stays unsupported
        return {}
    lowerers = {}

    def value_op(name: str, count: int, immediate: str):
        def lower(low, code, imm, pc, offset, blocks):
            operands = low.take(count)
            args = [low.val(e) for e in operands]
            if immediate == "lane":
                args.append(str(imm))
            elif immediate == "shuffle":
                args.append(repr(bytes(imm)))
            depth = max((e[3] for e in operands), default=0) + 1
            low.push(f"{name}({', '.join(args)})", EXPR, None, depth)

        return lower

    def memory_op(name: str, is_store: bool, has_lane: bool):
        def lower(low, code, imm, pc, offset, blocks):
            local = memory_access(low, imm[2])
            count = 2 if (is_store or has_lane) else 1
            operands = low.take(count)
            address = (low.val(operands[0]), operands[0][1], None, operands[0][3])
            args = [local, _address(address, imm[1])] + [low.val(e) for e in operands[1:]]
            if has_lane:
                args.append(str(imm[3]))
            text = low.site(f"{name}({', '.join(args)})", offset)
            if is_store:
                low.flush()
                low.out.line(text)
            else:
                low.push(text, EXPR, None, max(e[3] for e in operands) + 1)

        return lower

    for code, (count, immediate) in SIMD_ARITY.items():
        lowerers[code] = value_op(generated_name(code), count, immediate)
    for code in MEMORY_OPS:
        name = op.OP_NAMES[code]
        lowerers[code] = memory_op(generated_name(code), "store" in name, "lane" in name)
    return lowerers


LOWERERS = {0xFD0C: _lower_v128_const}
LOWERERS.update(_simd_lowerers())
