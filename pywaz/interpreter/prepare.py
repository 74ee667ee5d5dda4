"""Lower one validated function body into the interpreter's flat program.

Enters a :class:`~pywaz.ir.FunctionInfo` (with the validator's block facts),
leaves a :class:`FuncCode`: a list of ``(code, arg)`` pairs where ``code`` is a
small int the dispatch loop in :mod:`.machine` switches on and ``arg`` is
everything the instruction needs, resolved once. ``block``/``loop``/``end``
disappear (they do nothing at run time); every branch carries its target index
in the program, the operand-stack height of its label and the label's arity
(execution §4.4.8, control instructions).
"""

from __future__ import annotations

import struct

from .. import numeric
from ..ir import EXTERNREF, F32, F64, FUNCREF, V128
from . import simd

# Instruction codes. The dispatch loop in machine.py uses the literal numbers;
# keep the two in step.
LOCAL_GET = 0
LOCAL_SET = 1
LOCAL_TEE = 2
CONST = 3
BINOP = 4
GET_GET_BINOP = 5  # local.get x; local.get y; binop
GET_CONST_BINOP = 6  # local.get x; const k; binop (or const k; local.get x; commutative binop)
BR_IF = 7
GET_CONST_BINOP_SET = 8  # GET_CONST_BINOP; local.set y
GET_GET_BINOP_SET = 9  # GET_GET_BINOP; local.set z
BINOP_BR_IF = 10  # binop; br_if
GET_CONST_BINOP_BR_IF = 11  # GET_CONST_BINOP; br_if
GET_GET_BINOP_BR_IF = 12  # GET_GET_BINOP; br_if
GET_LOAD = 13  # local.get x; load
LOAD = 14
STORE = 15
UNOP = 16
BR = 17
IF = 18
JUMP = 19  # else: skip to the end of the if
GET_BINOP = 20  # local.get y; binop
LOCAL_GET2 = 21  # local.get x; local.get y
CALL_LOCAL = 22
RETURN = 23
GLOBAL_GET = 24
GLOBAL_SET = 25
I32_ADD_CONST = 26  # i32.const k; i32.add
BR_IF_EQZ = 27  # i32.eqz; br_if
SELECT = 28
DROP = 29
STORE_NARROW = 30
LOAD_S32 = 31
CONST_BINOP = 32  # const k; binop
GET_CONST_BINOP_TEE = 33  # GET_CONST_BINOP; local.tee y
GET_GET_BINOP_TEE = 34  # GET_GET_BINOP; local.tee z
TEE_GET_BINOP_BR_IF = 35  # local.tee x; local.get y; binop; br_if
GET_BINOP_BR_IF = 36  # local.get y; binop; br_if
I32_SUB = 37
I32_AND = 38
I32_EQZ = 39
I32_LT_U = 40
I32_EQ = 41
I32_NE = 42
I32_GT_U = 43
I32_LT_S = 44
I32_GE_S = 45
LOAD_S64 = 46
LOAD_F32 = 47
STORE_F32 = 48
BR_TABLE = 49
CALL_INDIRECT = 50
CALL_IMPORT = 51
MISC = 52  # rare ops run out of line: fn(instance, stack, imm)
UNREACHABLE = 53
UNSUPPORTED = 54
I32_ADD = 55

# Loads: opcode -> (struct format, code). Signed narrow loads read with a
# signed format and are masked back to unsigned canonical form.
_LOADS = {
    0x28: ("<I", LOAD),
    0x29: ("<Q", LOAD),
    0x2A: ("<f", LOAD_F32),
    0x2B: ("<d", LOAD),
    0x2C: ("<b", LOAD_S32),
    0x2D: ("<B", LOAD),
    0x2E: ("<h", LOAD_S32),
    0x2F: ("<H", LOAD),
    0x30: ("<b", LOAD_S64),
    0x31: ("<B", LOAD),
    0x32: ("<h", LOAD_S64),
    0x33: ("<H", LOAD),
    0x34: ("<i", LOAD_S64),
    0x35: ("<I", LOAD),
}
# Stores: opcode -> (struct format, mask or None).
_STORES = {
    0x36: ("<I", None),
    0x37: ("<Q", None),
    0x38: ("<f", None),
    0x39: ("<d", None),
    0x3A: ("<B", 0xFF),
    0x3B: ("<H", 0xFFFF),
    0x3C: ("<B", 0xFF),
    0x3D: ("<H", 0xFFFF),
    0x3E: ("<I", 0xFFFFFFFF),
}

_INLINE_BINOPS = {
    0x6A: I32_ADD,
    0x6B: I32_SUB,
    0x71: I32_AND,
    0x49: I32_LT_U,
    0x46: I32_EQ,
    0x47: I32_NE,
    0x4B: I32_GT_U,
    0x48: I32_LT_S,
    0x4E: I32_GE_S,
}

_STRUCTS: dict[str, struct.Struct] = {}


def _struct(fmt: str) -> struct.Struct:
    found = _STRUCTS.get(fmt)
    if found is None:
        found = _STRUCTS[fmt] = struct.Struct(fmt)
    return found


def zero_value(valtype: int):
    """The default value of a value type (execution §4.2.1: zero or null)."""
    if valtype in (F32, F64):
        return 0.0
    if valtype in (FUNCREF, EXTERNREF):
        return None
    return 0


class Label:
    """A branch target while lowering; resolved to ``(target, height, arity)``."""

    __slots__ = ("target", "height", "arity")

    def __init__(self, target: int, height: int, arity: int):
        self.target = target
        self.height = height
        self.arity = arity


class FuncCode:
    """A lowered function: its program and what a call needs to set up a frame."""

    __slots__ = ("prog", "nparams", "nresults", "zeros", "func_index", "name")

    def __init__(self, prog, nparams, nresults, zeros, func_index, name):
        self.prog = prog
        self.nparams = nparams
        self.nresults = nresults
        self.zeros = zeros
        self.func_index = func_index
        self.name = name


def _resolve(arg):
    if isinstance(arg, Label):
        return (arg.target, arg.height, arg.arity)
    return arg


def prepare_function(validated, info, misc_ops) -> FuncCode:
    """Lower ``info`` (a FunctionInfo of ``validated``) to a :class:`FuncCode`.

    ``misc_ops`` maps opcodes the loop runs out of line to ``fn(instance, stack, imm)``.
    """
    module = validated.module
    body = info.body
    ops = body.ops
    imms = body.imms
    blocks = info.blocks
    nimports = validated.num_imported_funcs
    func_types = validated.func_types
    types = module.types
    unary = numeric.UNARY_OPS
    binary = numeric.BINARY_OPS
    nparams = len(info.type.params)
    nresults = len(info.type.results)

    prog: list = []
    emit = prog.append
    # Control stack: (kind, label, else_label); kind 0 = function, 1 = block, 2 = loop, 3 = if.
    func_label = Label(-1, 0, nresults)
    ctrl: list = [(0, func_label, None)]

    for i, op in enumerate(ops):
        imm = imms[i]
        if op == 0x20:
            emit((LOCAL_GET, imm))
        elif op == 0x21:
            emit((LOCAL_SET, imm))
        elif op == 0x22:
            emit((LOCAL_TEE, imm))
        elif op == 0x41 or op == 0x42:
            emit((CONST, imm))
        elif op == 0x43:
            emit((CONST, numeric.f32_from_bits(imm)))
        elif op == 0x44:
            emit((CONST, numeric.f64_from_bits(imm)))
        elif op in _INLINE_BINOPS:
            emit((_INLINE_BINOPS[op], binary[op]))
        elif op == 0x45:
            emit((I32_EQZ, None))
        elif op in binary:
            emit((BINOP, binary[op]))
        elif op in unary:
            emit((UNOP, unary[op]))
        elif op == 0x02 or op == 0x03:
            block = blocks[i]
            if op == 0x02:
                ctrl.append((1, Label(-1, block.height, len(block.type.results)), None))
            else:
                ctrl.append((2, Label(len(prog), block.height, len(block.type.params)), None))
        elif op == 0x04:
            block = blocks[i]
            else_label = Label(-1, 0, 0)
            ctrl.append((3, Label(-1, block.height, len(block.type.results)), else_label))
            emit((IF, else_label))
        elif op == 0x05:
            kind, label, else_label = ctrl[-1]
            emit((JUMP, label))
            else_label.target = len(prog)
            ctrl[-1] = (kind, label, None)
        elif op == 0x0B:
            # block/loop/end emit nothing, so a block's end is the next emitted index.
            kind, label, else_label = ctrl.pop()
            if kind != 2:
                label.target = len(prog)
            if else_label is not None:
                else_label.target = len(prog)
            if kind == 0:
                emit((RETURN, None))
                break
        elif op == 0x0C or op == 0x0D:
            label = ctrl[-1 - imm][1]
            if label is func_label and op == 0x0C:
                emit((RETURN, None))
            else:
                # A branch to the function's label lands on the final RETURN.
                emit((BR if op == 0x0C else BR_IF, label))
        elif op == 0x0E:
            emit((BR_TABLE, [ctrl[-1 - depth][1] for depth in imm]))
        elif op == 0x0F:
            emit((RETURN, None))
        elif op == 0x10:
            if imm >= nimports:
                emit((CALL_LOCAL, imm - nimports))
            else:
                ftype = func_types[imm]
                emit((CALL_IMPORT, (imm, len(ftype.params), len(ftype.results))))
        elif op == 0x11:
            type_index, table_index = imm
            emit((CALL_INDIRECT, (types[type_index], table_index)))
        elif op == 0x1A:
            emit((DROP, None))
        elif op == 0x1B or op == 0x1C:
            emit((SELECT, None))
        elif op == 0x23:
            emit((GLOBAL_GET, imm))
        elif op == 0x24:
            emit((GLOBAL_SET, imm))
        elif op in _LOADS:
            fmt, code = _LOADS[op]
            if code == LOAD_F32:
                emit((code, (_struct(fmt).unpack_from, imm[1], _struct("<I").unpack_from)))
            else:
                emit((code, (_struct(fmt).unpack_from, imm[1])))
        elif op in _STORES:
            fmt, mask = _STORES[op]
            if op == 0x38:
                emit((STORE_F32, (_struct(fmt).pack_into, imm[1], _struct("<I").pack_into)))
            elif mask is None:
                emit((STORE, (_struct(fmt).pack_into, imm[1])))
            else:
                emit((STORE_NARROW, (_struct(fmt).pack_into, imm[1], mask)))
        elif op == 0x00:
            emit((UNREACHABLE, None))
        elif op == 0x01:
            pass
        elif op == 0xD0:
            emit((CONST, None))
        elif op == 0xD1:
            emit((UNOP, _is_null))
        elif op in misc_ops:
            emit((MISC, (misc_ops[op], imm)))
        elif op >= 0xFD00:
            emit(_lower_simd(op, imm))
        else:
            # The validator accepted an opcode this engine has no lowering for.
            emit((UNSUPPORTED, op))
    prog = _fuse(prog)

    # Resolve labels into plain tuples the loop can unpack without attribute lookups.
    final = []
    for code, arg in prog:
        if code == BR_TABLE:
            arg = tuple(_resolve(t) for t in arg)
        elif code in (IF, JUMP):
            arg = arg.target
        elif code in _FLATTEN_LABEL:
            # (..., label) -> (..., target, height, arity)
            label = arg[-1]
            arg = (*arg[:-1], label.target, label.height, label.arity)
        else:
            arg = _resolve(arg)
        final.append((code, arg))

    zeros = [zero_value(t) for t in info.local_types[nparams:]]
    return FuncCode(final, nparams, nresults, zeros, info.func_index, module.function_name(info.func_index))


def _lower_simd(op: int, imm):
    if op == 0xFD0C:  # v128.const
        return (CONST, imm)
    if op in simd.UNARY:
        return (UNOP, simd.UNARY[op])
    if op in simd.BINARY:
        return (BINOP, simd.BINARY[op])
    if op in simd.LANE_UNARY:
        return (UNOP, simd.LANE_UNARY[op](imm))
    if op in simd.LANE_BINARY:
        return (BINOP, simd.LANE_BINARY[op](imm))
    if op in simd.MISC:
        return (MISC, (simd.MISC[op], imm))
    return (UNSUPPORTED, op)


def _is_null(a):
    return 1 if a is None else 0


def _fuse(prog: list) -> list:
    """Combine frequent instruction sequences into one dispatch (superinstructions).

    Two passes: operand fusion first (``local.get``/``const`` feeding a binop),
    then consumers of the fused result (``local.set``, ``br_if``). Only
    sequences with no branch target inside them are fused.
    """
    prog = _peephole(prog, _match_operands)
    prog = _peephole(prog, _match_consumers)
    return _peephole(prog, _match_compare_branch)


def _match_compare_branch(prog, i, n, targets):
    """``[local.tee x;] local.get y; binop; br_if`` where binop+br_if already fused."""
    code, arg = prog[i]
    if code == LOCAL_TEE and i + 2 < n and i + 1 not in targets and i + 2 not in targets:
        code1, arg1 = prog[i + 1]
        code2, arg2 = prog[i + 2]
        if code1 == LOCAL_GET and code2 == BINOP_BR_IF:
            return (TEE_GET_BINOP_BR_IF, (arg, arg1, *arg2)), 3
    if code == LOCAL_GET and i + 1 < n and i + 1 not in targets:
        code1, arg1 = prog[i + 1]
        if code1 == BINOP_BR_IF:
            return (GET_BINOP_BR_IF, (arg, *arg1)), 2
    return None


def _match_operands(prog, i, n, targets):
    code, arg = prog[i]
    free1 = i + 1 < n and i + 1 not in targets
    free2 = free1 and i + 2 < n and i + 2 not in targets
    if code == LOCAL_GET and free1:
        code1, arg1 = prog[i + 1]
        if free2:
            code2, arg2 = prog[i + 2]
            if code2 == BINOP or code2 in _INLINE_FUSABLE:
                if code1 == LOCAL_GET:
                    return (GET_GET_BINOP, (arg, arg1, arg2)), 3
                if code1 == CONST:
                    return (GET_CONST_BINOP, (arg, arg1, arg2)), 3
        if code1 == LOAD:
            return (GET_LOAD, (arg, arg1[0], arg1[1])), 2
        if code1 == LOCAL_GET:
            return (LOCAL_GET2, (arg, arg1)), 2
        if code1 == BINOP or code1 in _INLINE_FUSABLE:
            return (GET_BINOP, (arg, arg1)), 2
    elif code == CONST and free1:
        code1, arg1 = prog[i + 1]
        if free2 and code1 == LOCAL_GET:
            code2, arg2 = prog[i + 2]
            if (code2 == BINOP or code2 in _INLINE_FUSABLE) and arg2 in _COMMUTATIVE:
                return (GET_CONST_BINOP, (arg1, arg, arg2)), 3
        if code1 == I32_ADD:
            return (I32_ADD_CONST, arg), 2
        if code1 == BINOP or code1 in _INLINE_FUSABLE:
            return (CONST_BINOP, (arg, arg1)), 2
    elif code == I32_EQZ and free1 and prog[i + 1][0] == BR_IF:
        return (BR_IF_EQZ, prog[i + 1][1]), 2
    return None


def _match_consumers(prog, i, n, targets):
    code, arg = prog[i]
    if i + 1 >= n or i + 1 in targets:
        return None
    code1, arg1 = prog[i + 1]
    if code1 == LOCAL_SET:
        if code == GET_CONST_BINOP:
            return (GET_CONST_BINOP_SET, (*arg, arg1)), 2
        if code == GET_GET_BINOP:
            return (GET_GET_BINOP_SET, (*arg, arg1)), 2
    elif code1 == LOCAL_TEE:
        if code == GET_CONST_BINOP:
            return (GET_CONST_BINOP_TEE, (*arg, arg1)), 2
        if code == GET_GET_BINOP:
            return (GET_GET_BINOP_TEE, (*arg, arg1)), 2
    elif code1 == BR_IF:
        if code == GET_BINOP:
            return (GET_BINOP_BR_IF, (*arg, arg1)), 2
        if code == GET_CONST_BINOP:
            return (GET_CONST_BINOP_BR_IF, (*arg, arg1)), 2
        if code == GET_GET_BINOP:
            return (GET_GET_BINOP_BR_IF, (*arg, arg1)), 2
        if code == BINOP or code in _INLINE_FUSABLE:
            return (BINOP_BR_IF, (arg, arg1)), 2
    return None


def _peephole(prog: list, match) -> list:
    """Rewrite ``prog`` with ``match``; branch targets are renumbered through every Label."""
    labels = {}
    for _, arg in prog:
        for item in arg if isinstance(arg, (tuple, list)) else (arg,):
            if isinstance(item, Label):
                labels[id(item)] = item
    targets = {label.target for label in labels.values()}
    out = []
    remap = {}
    i = 0
    n = len(prog)
    while i < n:
        found = match(prog, i, n, targets)
        remap[i] = len(out)
        if found is None:
            out.append(prog[i])
            i += 1
        else:
            out.append(found[0])
            i += found[1]
    remap[n] = len(out)
    for label in labels.values():
        label.target = remap[label.target]
    return out


# Inline-coded i32 binops can still be fused (their arg is the generic helper).
_INLINE_FUSABLE = frozenset(_INLINE_BINOPS.values())
_FLATTEN_LABEL = frozenset(
    (BINOP_BR_IF, GET_CONST_BINOP_BR_IF, GET_GET_BINOP_BR_IF, TEE_GET_BINOP_BR_IF, GET_BINOP_BR_IF)
)
# Binary helpers whose operands may be swapped (const k; local.get x; op).
_COMMUTATIVE = frozenset(
    numeric.BINARY_OPS[op]
    for op in (
        0x46,
        0x47,
        0x51,
        0x52,
        0x6A,
        0x6C,
        0x71,
        0x72,
        0x73,
        0x7C,
        0x7E,
        0x83,
        0x84,
        0x85,
    )
)

__all__ = ["FuncCode", "Label", "prepare_function", "zero_value"]
