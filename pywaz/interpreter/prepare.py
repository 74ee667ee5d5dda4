"""Lower one validated function body into the interpreter's flat program.

Enters a :class:`~pywaz.ir.FunctionInfo` (with the validator's block facts),
leaves a :class:`FuncCode`: a list of ``(code, arg)`` pairs where ``code`` is a
small int the dispatch loop in :mod:`.machine` switches on and ``arg`` is
everything the instruction needs, resolved once. ``block``/``loop``/``end``
disappear (they do nothing at run time); every branch carries its target index
in the program, the operand-stack height of its label and the label's arity
(execution §4.4.8, control instructions).

With fuel metering (``CompileOptions.fuel``, see :mod:`pywaz.vm.fuel`) the
program starts with ``FUEL`` (one unit per function entry), and every branch
to a loop label lands on a ``FUEL_JUMP`` trampoline appended after the final
``RETURN``, which spends one unit and jumps to the loop head. So the branch
instructions, fused or not, are the same with and without metering, and an
unmetered program holds no fuel instruction at all.

The tiered engine's programs (``tier=True``, see :mod:`pywaz.tiered`) count:
a direct call is ``TIER_CALL``, ``call_indirect`` is ``TIER_CALL_INDIRECT`` and a
``return_call`` of a function of the instance is ``TIER_RETURN_CALL`` (which run
a callee's compiled code once it has some), and every loop label
lands on a ``TIER_JUMP`` trampoline (after the fuel one, when metered) that
counts back-edges. The interpreter engine's programs hold none of these.
"""

from __future__ import annotations

import struct
from array import array

from .. import numeric
from ..deftypes import def_types_of
from ..ir import F32, F64, is_ref
from ..simd import SIMD_ARITY, SIMD_OPS
from . import exceptions, gc, memory, tailcalls, vector

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
FUEL = 56  # spend one unit of fuel (function entry)
FUEL_JUMP = 57  # spend one unit of fuel, then jump (a loop back-edge's trampoline)
RETURN_CALL_LOCAL = tailcalls.RETURN_CALL_LOCAL  # 58-60: tail calls (see .tailcalls)
RETURN_CALL_IMPORT = tailcalls.RETURN_CALL_IMPORT
RETURN_CALL_INDIRECT = tailcalls.RETURN_CALL_INDIRECT
# 61-63: throw, throw_ref, legacy rethrow (see .exceptions)
CALL_REF = gc.CALL_REF  # 64-68: typed function references and GC branches (see .gc)
RETURN_CALL_REF = gc.RETURN_CALL_REF
BR_ON_NULL = gc.BR_ON_NULL
BR_ON_NON_NULL = gc.BR_ON_NON_NULL
BR_ON_CAST = gc.BR_ON_CAST
# 69-72: the tiered engine's programs only (see pywaz.tiered): a call that counts and runs the callee's
# compiled code once it has some, a loop back-edge's trampoline that counts (and may switch to compiled
# code on the stack), a call_indirect that runs compiled callees' code, and a return_call that does.
TIER_CALL = 69
TIER_JUMP = 70
TIER_CALL_INDIRECT = 71
TIER_RETURN_CALL = 72

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
    """The default value of a value type (execution §4.2.1: zero or null).

    A non-nullable reference local has none; it starts as None, which validation
    guarantees is never read (3.0 local initialisation).
    """
    if valtype in (F32, F64):
        return 0.0
    if is_ref(valtype):
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
    """A lowered function: its program and what a call needs to set up a frame.

    ``offsets`` is None until a trap first needs it, then
    :func:`program_offsets` of the program.
    """

    __slots__ = ("prog", "nparams", "nresults", "zeros", "func_index", "name", "offsets", "handlers")

    def __init__(self, prog, nparams, nresults, zeros, func_index, name, handlers=()):
        self.handlers = handlers  # try_table handlers, innermost first (see .exceptions)
        self.prog = prog
        self.nparams = nparams
        self.nresults = nresults
        self.zeros = zeros
        self.func_index = func_index
        self.name = name
        self.offsets = None


def prepare_function(validated, info, misc_ops, fuel: bool = False, tier: bool = False) -> FuncCode:
    """Lower ``info`` (a FunctionInfo of ``validated``) to a :class:`FuncCode`.

    ``misc_ops`` maps opcodes the loop runs out of line to ``fn(instance, stack, imm)``;
    ``fuel`` adds fuel metering, ``tier`` the tiered engine's counting (see the module docstring).
    One pass: each instruction is appended through :func:`_append`, which fuses
    it with the tail of the program unless a branch targets it.
    """
    module = validated.module
    body = info.body
    ops = body.ops
    imms = body.imms
    blocks = info.blocks
    nimports = validated.num_imported_funcs
    func_types = validated.func_types
    types = def_types_of(validated)  # call_indirect checks canonical types
    nparams = len(info.type.params)
    nresults = len(info.type.results)
    direct = _DIRECT
    fixed = _FIXED
    # Loads and stores of memory 0 (32- or 64-bit) run inline; other memories' run out of line (see .memory).
    inline_memory = bool(validated.memory_types)
    append = _append

    prog: list = []
    # Position in prog of the latest branch target; nothing may fuse across it.
    target = 0
    # Control stack: (kind, label, else_label); kind 0 = function, 1 = block, 2 = loop, 3 = if.
    func_label = Label(-1, 0, nresults)
    ctrl: list = [(0, func_label, None)]
    loop_labels: list = []  # with fuel or tier: every loop's (label, wasm index), to retarget at trampolines
    handlers = exceptions.HandlerTable(len(info.local_types))  # try_table and legacy try
    if fuel:
        prog.append((FUEL, None))
        target = 1

    for i, op in enumerate(ops):
        code = direct.get(op)
        if code is not None:
            append(prog, code, imms[i], target)
            continue
        instruction = fixed.get(op)
        if instruction is not None:
            append(prog, instruction[0], instruction[1], target)
            continue
        imm = imms[i]
        if op == 0x02:
            block = blocks[i]
            ctrl.append((1, Label(-1, block.height, len(block.type.results)), None))
            handlers.enter(ctrl[-1][1])
        elif op == 0x03:
            block = blocks[i]
            target = len(prog)
            label = Label(target, block.height, len(block.type.params))
            ctrl.append((2, label, None))
            handlers.enter(label)
            if fuel or tier:
                loop_labels.append((label, i))
        elif op == 0x0D:
            append(prog, BR_IF, ctrl[-1 - imm][1], target)  # to the function label: lands on the final RETURN
        elif op == 0x0B:
            # block/loop/end emit nothing, so a block's end is the next emitted index.
            kind, label, else_label = ctrl.pop()
            if kind != 2:
                target = label.target = len(prog)
            if kind == 4:
                handlers.close(len(prog))
            if else_label is not None:
                target = else_label.target = len(prog)
            if kind == 0:
                prog.append((RETURN, None))
                break
        elif op == 0x04:
            block = blocks[i]
            else_label = Label(-1, 0, 0)
            ctrl.append((3, Label(-1, block.height, len(block.type.results)), else_label))
            handlers.enter(ctrl[-1][1])
            prog.append((IF, else_label))
        elif op == 0x05:
            kind, label, else_label = ctrl[-1]
            prog.append((JUMP, label))
            target = else_label.target = len(prog)
            ctrl[-1] = (kind, label, None)
        elif op == 0x0C:
            label = ctrl[-1 - imm][1]
            prog.append((RETURN, None) if label is func_label else (BR, label))
        elif op == 0x0F:
            prog.append((RETURN, None))
        elif op == 0x0E:
            prog.append((BR_TABLE, [ctrl[-1 - depth][1] for depth in imm]))
        elif op == 0x10:
            if imm >= nimports:
                prog.append((TIER_CALL if tier else CALL_LOCAL, imm - nimports))
            else:
                ftype = func_types[imm]
                prog.append((CALL_IMPORT, (imm, len(ftype.params), len(ftype.results))))
        elif op == 0x11:
            type_index, table_index = imm
            prog.append((TIER_CALL_INDIRECT if tier else CALL_INDIRECT, (types[type_index], table_index)))
        elif op == 0x1F or op == 0x06:  # try_table, legacy try
            block = blocks[i]
            clauses = [(kind, tag, ctrl[-1 - depth][1]) for kind, tag, depth in imm[1]] if op == 0x1F else []
            target = len(prog)  # nothing fuses across the handler's boundary
            label = Label(-1, block.height, len(block.type.results))
            handlers.open_handler(target, clauses, label)
            ctrl.append((4, label, None))
        elif op == 0x07 or op == 0x19:  # legacy catch / catch_all: the previous part jumps to the end
            label = ctrl[-1][1]
            prog.append((JUMP, label))
            target = len(prog)
            handlers.catch(target, exceptions.CATCH if op == 0x07 else exceptions.CATCH_ALL, imm, label.height)
        elif op == 0x18:  # legacy delegate: ends the try
            kind, label, _ = ctrl.pop()
            target = label.target = len(prog)
            handlers.delegate(target, ctrl[-1 - imm][1])
        elif op == 0x09:  # legacy rethrow
            prog.append((exceptions.RETHROW, handlers.slot_of(ctrl[-1 - imm][1])))
        elif op == 0x08:
            prog.append(exceptions.lower_throw(imm, validated.tag_types))
        elif op == 0x0A:
            prog.append((exceptions.THROW_REF, None))
        elif op == 0x12 or op == 0x13:
            entry = tailcalls.lower(op, imm, nimports, func_types, types)
            prog.append((TIER_RETURN_CALL, entry[1]) if tier and entry[0] == RETURN_CALL_LOCAL else entry)
        elif op == 0x14 or op == 0x15:  # call_ref, return_call_ref: the arity of the callee's type
            callee_type = types[imm]
            arity = (len(callee_type.params), len(callee_type.results))
            prog.append((CALL_REF if op == 0x14 else RETURN_CALL_REF, arity))
        elif op in gc.BRANCHES:
            depth = imm if op < 0xFB00 else imm[0]
            prog.append(gc.lower_branch(op, imm, ctrl[-1 - depth][1], types))
        elif (0xFB00 <= op <= 0xFB1E or op == 0xD3 or op == 0xD4) and (
            lowered := gc.lower(op, imm, types, UNOP, BINOP, MISC)
        ) is not None:
            append(prog, lowered[0], lowered[1], target)
        elif op == 0x43:
            append(prog, CONST, numeric.f32_from_bits(imm), target)
        elif op == 0x44:
            append(prog, CONST, numeric.f64_from_bits(imm), target)
        elif op in _LOADS and (imm[2] or not inline_memory):
            fmt, code = _LOADS[op]
            bits = _struct("<I").unpack_from if code == LOAD_F32 else None
            prog.append((MISC, (memory.load(code), (_struct(fmt).unpack_from, imm[1], imm[2], bits))))
        elif op in _STORES and (imm[2] or not inline_memory):
            fmt, mask = _STORES[op]
            code = STORE_F32 if op == 0x38 else STORE if mask is None else STORE_NARROW
            bits = _struct("<I").pack_into if op == 0x38 else None
            prog.append((MISC, (memory.store(code), (_struct(fmt).pack_into, imm[1], imm[2], bits, mask))))
        elif op in _LOADS:
            fmt, code = _LOADS[op]
            if code == LOAD_F32:
                prog.append((code, (_struct(fmt).unpack_from, imm[1], _struct("<I").unpack_from)))
            else:
                append(prog, code, (_struct(fmt).unpack_from, imm[1]), target)
        elif op in _STORES:
            fmt, mask = _STORES[op]
            if op == 0x38:
                prog.append((STORE_F32, (_struct(fmt).pack_into, imm[1], _struct("<I").pack_into)))
            elif mask is None:
                prog.append((STORE, (_struct(fmt).pack_into, imm[1])))
            else:
                prog.append((STORE_NARROW, (_struct(fmt).pack_into, imm[1], mask)))
        elif op == 0x01:
            pass
        elif op in misc_ops:
            prog.append((MISC, (misc_ops[op], imm)))
        elif op >= 0xFF00:  # atomics (threads proposal); atomic.fence emits nothing
            from . import atomics  # on first use: a warm run of a module without atomics never loads them

            fn = atomics.lower(op, imm)
            if fn is not None:
                prog.append((MISC, (fn, imm)))
        elif op >= 0xFD00:
            code, arg = _lower_simd(op, imm)
            append(prog, code, arg, target)
        else:
            # The validator accepted an opcode this engine has no lowering for.
            prog.append((UNSUPPORTED, op))

    # Only branches reach a loop's label (entering it falls through), so pointing the
    # label at a trampoline makes exactly the back-edges pay.
    # A back-edge runs the fuel trampoline first, then the tier one: a switch to compiled code
    # there happens with this back-edge paid, as compiled code pays it before its jump.
    for label, wasm_index in loop_labels:
        if tier:
            prog.append((TIER_JUMP, (label.target, wasm_index)))
            label.target = len(prog) - 1
        if fuel:
            prog.append((FUEL_JUMP, label.target))
            label.target = len(prog) - 1

    # Resolve labels into plain tuples the loop can unpack without attribute lookups.
    for index, (code, arg) in enumerate(prog):
        if code in _LABELLED:
            if code == BR or code == BR_IF or code == BR_IF_EQZ:
                arg = (arg.target, arg.height, arg.arity)
            elif code == IF or code == JUMP:
                arg = arg.target
            elif code == BR_TABLE:
                arg = tuple((label.target, label.height, label.arity) for label in arg)
            else:  # fused compare-and-branch: (..., label) -> (..., target, height, arity)
                label = arg[-1]
                arg = (*arg[:-1], label.target, label.height, label.arity)
            prog[index] = (code, arg)

    zeros = [zero_value(t) for t in info.local_types[nparams:]] + [None] * handlers.slots
    return FuncCode(prog, nparams, nresults, zeros, info.func_index, module.function_name(info.func_index),
                    handlers.resolve())


# Fused codes: how many emitting instructions each stands for, and which of
# them (counting from 0) is the one that can trap. Keep in step with _append.
_FUSED = {
    GET_GET_BINOP: (3, 2),
    GET_CONST_BINOP: (3, 2),
    GET_CONST_BINOP_SET: (4, 2),
    GET_GET_BINOP_SET: (4, 2),
    BINOP_BR_IF: (2, 0),
    GET_CONST_BINOP_BR_IF: (4, 2),
    GET_GET_BINOP_BR_IF: (4, 2),
    GET_LOAD: (2, 1),
    GET_BINOP: (2, 1),
    LOCAL_GET2: (2, 0),
    I32_ADD_CONST: (2, 1),
    BR_IF_EQZ: (2, 0),
    CONST_BINOP: (2, 1),
    GET_CONST_BINOP_TEE: (4, 2),
    GET_GET_BINOP_TEE: (4, 2),
    TEE_GET_BINOP_BR_IF: (4, 2),
    GET_BINOP_BR_IF: (3, 1),
}
# Instructions that add nothing to the program (``end`` only when it is not the function's last).
_SILENT = frozenset((0x01, 0x02, 0x03, 0x0B, 0x06, 0x18, 0x1F))


def program_offsets(prog, body) -> array:
    """``offsets[k]``: the module byte offset of the instruction ``prog[k]`` stands for.

    Where :func:`_append` fused several instructions into one entry, the one
    that can trap. Rebuilt from the program and the body (each entry stands
    for the next few instructions that emit something), so lowering pays
    nothing for it: only a trap stack trace asks.
    """
    ops = body.ops
    offsets = body.offsets
    last = len(ops) - 1
    silent = _SILENT
    out = array("I")
    i = 0
    for code, _ in prog:
        if code == FUEL:  # the entry's fuel stands for no instruction of the body
            out.append(offsets[0])
            continue
        count, trapping = _FUSED.get(code, (1, 0))
        for k in range(count):
            while i < last and ops[i] in silent:
                i += 1
            if k == trapping:
                out.append(offsets[min(i, last)])
            i += 1
    return out


def _append(prog: list, code: int, arg, target: int) -> None:
    """Append ``(code, arg)``, fusing it with the end of ``prog`` where a rule applies.

    ``target`` is the position of the latest branch target: an instruction at
    that position (or before) starts a sequence, so nothing fuses across it.
    """
    p = len(prog)
    if p > target and code in _FUSING:
        prev_code, prev_arg = prog[-1]
        # prog[-2], prog[-1] and this instruction may fuse only if prog[-1] is no target.
        two = p - 1 > target
        if code in _BINOP_CODES:
            if prev_code == LOCAL_GET2:
                prog[-1] = (GET_GET_BINOP, (prev_arg[0], prev_arg[1], arg))
                return
            if two:
                code2, arg2 = prog[-2]
                if prev_code == CONST:
                    if code2 == LOCAL_GET:
                        prog[-2:] = [(GET_CONST_BINOP, (arg2, prev_arg, arg))]
                        return
                    if code2 == LOCAL_GET2:
                        prog[-2:] = [(LOCAL_GET, arg2[0]), (GET_CONST_BINOP, (arg2[1], prev_arg, arg))]
                        return
                elif prev_code == LOCAL_GET and code2 == CONST and arg in _COMMUTATIVE:
                    prog[-2:] = [(GET_CONST_BINOP, (prev_arg, arg2, arg))]
                    return
            if prev_code == LOCAL_GET:
                prog[-1] = (GET_BINOP, (prev_arg, arg))
                return
            if prev_code == CONST:
                prog[-1] = (I32_ADD_CONST, prev_arg) if code == I32_ADD else (CONST_BINOP, (prev_arg, arg))
                return
        elif code == LOCAL_GET:
            if prev_code == LOCAL_GET:
                prog[-1] = (LOCAL_GET2, (prev_arg, arg))
                return
        elif code == BR_IF:
            if prev_code == GET_BINOP:
                if two and prog[-2][0] == LOCAL_TEE:
                    prog[-2:] = [(TEE_GET_BINOP_BR_IF, (prog[-2][1], prev_arg[0], prev_arg[1], arg))]
                    return
                prog[-1] = (GET_BINOP_BR_IF, (prev_arg[0], prev_arg[1], arg))
                return
            if prev_code == GET_CONST_BINOP:
                prog[-1] = (GET_CONST_BINOP_BR_IF, (*prev_arg, arg))
                return
            if prev_code == GET_GET_BINOP:
                prog[-1] = (GET_GET_BINOP_BR_IF, (*prev_arg, arg))
                return
            if prev_code == I32_EQZ:
                prog[-1] = (BR_IF_EQZ, arg)
                return
            if prev_code in _BINOP_CODES:
                prog[-1] = (BINOP_BR_IF, (prev_arg, arg))
                return
        elif code == LOCAL_SET or code == LOCAL_TEE:
            if prev_code == GET_CONST_BINOP:
                prog[-1] = (GET_CONST_BINOP_SET if code == LOCAL_SET else GET_CONST_BINOP_TEE, (*prev_arg, arg))
                return
            if prev_code == GET_GET_BINOP:
                prog[-1] = (GET_GET_BINOP_SET if code == LOCAL_SET else GET_GET_BINOP_TEE, (*prev_arg, arg))
                return
        elif code == LOAD:
            if prev_code == LOCAL_GET:
                prog[-1] = (GET_LOAD, (prev_arg, arg[0], arg[1]))
                return
            if prev_code == LOCAL_GET2:
                prog[-1:] = [(LOCAL_GET, prev_arg[0]), (GET_LOAD, (prev_arg[1], arg[0], arg[1]))]
                return
    prog.append((code, arg))


def _lower_simd(op: int, imm):
    if op == 0xFD0C:  # v128.const
        return (CONST, imm)
    lowered = vector.lower(op, imm, UNOP, BINOP, MISC)
    return (UNSUPPORTED, op) if lowered is None else lowered


def _is_null(a):
    return 1 if a is None else 0


_BINOP_CODES = frozenset((BINOP, *_INLINE_BINOPS.values()))
_FUSING = _BINOP_CODES | {LOCAL_GET, BR_IF, LOCAL_SET, LOCAL_TEE, LOAD}
_LABELLED = frozenset(
    (BR, BR_IF, BR_IF_EQZ, IF, JUMP, BR_TABLE, BINOP_BR_IF, GET_CONST_BINOP_BR_IF, GET_GET_BINOP_BR_IF)
    + (TEE_GET_BINOP_BR_IF, GET_BINOP_BR_IF, BR_ON_NULL, BR_ON_NON_NULL, BR_ON_CAST)
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

__all__ = ["FuncCode", "Label", "prepare_function", "program_offsets", "zero_value"]


# Opcodes lowered to ``(code, immediate)`` as they are.
_DIRECT = {
    0x20: LOCAL_GET,
    0x21: LOCAL_SET,
    0x22: LOCAL_TEE,
    0x41: CONST,
    0x42: CONST,
    0x23: GLOBAL_GET,
    0x24: GLOBAL_SET,
}


def _fixed_table():
    """Opcodes whose lowering does not depend on the immediate: opcode -> (code, arg)."""
    table = {}
    for op, fn in numeric.UNARY_OPS.items():
        table[op] = (UNOP, fn)
    for op, fn in numeric.BINARY_OPS.items():
        table[op] = (_INLINE_BINOPS.get(op, BINOP), fn)
    table[0x45] = (I32_EQZ, None)
    table[0x00] = (UNREACHABLE, None)
    table[0x1A] = (DROP, None)
    table[0x1B] = (SELECT, None)
    table[0x1C] = (SELECT, None)
    table[0xD0] = (CONST, None)
    table[0xD1] = (UNOP, _is_null)
    for op, (count, kind) in SIMD_ARITY.items():
        if kind == "-" and count in (1, 2):
            table[op] = (UNOP if count == 1 else BINOP, SIMD_OPS[op])
    return table


_FIXED = _fixed_table()
