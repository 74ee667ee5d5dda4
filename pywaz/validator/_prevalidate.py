"""A one-pass check that a function body is well formed and valid, straight from the bytes (§5.4, §3.3).

Enters: the module bytes, one body's instruction span and its local types, and
a :class:`FastContext` built from the sections before the code section.
Leaves: True when the body is certainly well formed (binary §5.4) and valid
(validation §3.3) in that context, False when it is not *or when this pass
does not know*. It never raises and never reports an error itself: a False
sends the body down the ordinary path (:func:`~pywaz.decoder.instructions.decode_expr`
at decode time, :func:`~pywaz.validator._function.validate_function` at
validation time), which produces the exact typed error and offset.

Why: on large modules (esbuild, 4.7 million instructions) decoding every body
into instruction lists and then walking the lists again to validate them costs
two Python loops and three list appends per instruction. Real compilers'
output is nearly all core 1.0 instructions with numeric types, and for those
one loop over the bytes, keeping only an operand stack of type codes, settles
validity. The instruction lists and the validator's per-function facts are then
built lazily, by the ordinary decoder and validator, for the functions that
are actually run or compiled (see :mod:`pywaz.validator._lazy`).

What the pass accepts is deliberately narrow: single-byte opcodes of the
core 1.0 instruction set plus multi-value blocks, numeric value types only
(i32, i64, f32, f64), memory 0 only, and no code after ``br``/``return``/
``unreachable``/``br_table`` other than the ``end`` or ``else`` that follows
it. Anything else (a prefixed opcode, a reference type, a long LEB128 where
a short one is usual, dead code) answers False.
"""

from __future__ import annotations

from ..errors import DecodeError
from ..ir import EXTERN_FUNC, EXTERN_GLOBAL, EXTERN_MEMORY, EXTERN_TABLE, F32, F64, FUNCREF, I32, I64
from ..decoder.leb import read_signed, read_unsigned
from ._tables import NATURAL_ALIGN_BY_OP, SHAPE_BINARY, SHAPE_UNARY, SIG, SIG64, SIMPLE_BY_OP

NUMERIC = frozenset((I32, I64, F32, F64))

# Opcode classes of the pass, numbered by how often real code uses them (esbuild: local.get 19%,
# the constants 15%, local.set 7%, conversions and arithmetic 20%, loads and stores 12%).
_OTHER = 0  # not handled: the body takes the ordinary path
_LOCAL_GET = 1
_I64_CONST = 2
_LOCAL_SET = 3
_UNARY = 4
_STORE = 5
_END = 6
_LOAD = 7
_I32_CONST = 8
_BINARY = 9
_BLOCK = 10
_LOCAL_TEE = 11
_GLOBAL_SET = 12
_GLOBAL_GET = 13
_BR = 14
_IF = 15
_CALL = 16
_BR_IF = 17
_NOP = 18
_RETURN = 19
_DROP = 20
_SELECT = 21
_LOOP = 22
_ELSE = 23
_UNREACHABLE = 24
_BR_TABLE = 25
_CALL_INDIRECT = 26
_F32_CONST = 27
_F64_CONST = 28
_MEMORY_SIZE = 29
_MEMORY_GROW = 30
_PREFIX_FC = 31  # saturating truncations, memory.copy and memory.fill

_FC_MEMORY_COPY = 10
_FC_MEMORY_FILL = 11

# Frame kinds (first entry of a control frame tuple).
_FRAME_BLOCK = 0
_FRAME_IF = 1  # an if still without its else
_FRAME_ELSE = 2  # an if after its else

_OP_END = 0x0B
_OP_ELSE = 0x05


def _build_tables():
    classes = [_OTHER] * 256
    fixed = {
        0x00: _UNREACHABLE, 0x01: _NOP, 0x02: _BLOCK, 0x03: _LOOP, 0x04: _IF, 0x05: _ELSE, 0x0B: _END,
        0x0C: _BR, 0x0D: _BR_IF, 0x0E: _BR_TABLE, 0x0F: _RETURN, 0x10: _CALL, 0x11: _CALL_INDIRECT,
        0x1A: _DROP, 0x1B: _SELECT, 0x20: _LOCAL_GET, 0x21: _LOCAL_SET, 0x22: _LOCAL_TEE,
        0x23: _GLOBAL_GET, 0x24: _GLOBAL_SET, 0x3F: _MEMORY_SIZE, 0x40: _MEMORY_GROW,
        0x41: _I32_CONST, 0x42: _I64_CONST, 0x43: _F32_CONST, 0x44: _F64_CONST, 0xFC: _PREFIX_FC,
    }
    for op, cls in fixed.items():
        classes[op] = cls
    unary = [None] * 256  # op -> (operand type, result type)
    binary = [None] * 256  # op -> (first operand, second operand, result)
    access = [None] * 256  # load: the type loaded; store: the type stored
    for op in range(0x45, 0xC5):  # the numeric instructions of 1.0 and 2.0 (sign extension included)
        sig = SIMPLE_BY_OP[op]
        if sig is None:
            continue
        shape, first, second, result, params, pushed = sig
        if not NUMERIC.issuperset(params) or not NUMERIC.issuperset(pushed):
            continue
        if shape == SHAPE_UNARY:
            classes[op] = _UNARY
            unary[op] = (first, result)
        elif shape == SHAPE_BINARY:
            classes[op] = _BINARY
            binary[op] = (first, second, result)
    for op in range(0x28, 0x3F):
        params, pushed = SIG[op][4], SIG[op][5]
        if len(params) == 1 and len(pushed) == 1 and params[0] == I32:
            classes[op] = _LOAD
            access[op] = pushed[0]
        elif len(params) == 2 and not pushed and params[0] == I32:
            classes[op] = _STORE
            access[op] = params[1]
        if SIG64[op][4][0] != I64:  # pragma: no cover - guards the tables this pass reads
            raise ValueError(f"opcode 0x{op:x}: a 64-bit memory's address is not its first operand")
    fc_unary = [None] * 8  # 0xFC 0..7: the saturating truncations
    for sub in range(8):
        shape, first, _second, result, params, pushed = SIMPLE_BY_OP[0xFC00 + sub]
        if shape != SHAPE_UNARY or not NUMERIC.issuperset(params) or not NUMERIC.issuperset(pushed):
            raise ValueError(f"opcode 0xfc 0x{sub:x} is not a numeric conversion")  # pragma: no cover
        fc_unary[sub] = (first, result)
    return classes, unary, binary, access, fc_unary


CLASSES, UNARY, BINARY, ACCESS, FC_UNARY = _build_tables()


def _numeric_signature(func_type):
    """``(params list, results list)`` of a function type whose types are all numeric, else None."""
    if getattr(func_type, "kind", None) != "func":
        return None
    if not NUMERIC.issuperset(func_type.params) or not NUMERIC.issuperset(func_type.results):
        return None
    return list(func_type.params), list(func_type.results)


class FastContext:
    """What the pass knows of a module before its code section (the parts of validation's C it uses).

    Built by :meth:`build` from the decoder's section fields; ``sources`` keeps
    the very tuples it was built from, so :func:`trusted` can tell whether a
    module still has them (a verdict holds only in the context it was made in).
    """

    __slots__ = ("address_type", "block_sigs", "copy_params", "fill_params", "func_sigs", "global_get",
                 "global_set", "indirect_sigs", "sources", "table_ok")

    @classmethod
    def build(cls, types, imports, functions, tables, memories, globals_):
        """A context, or None when the module uses what the pass does not handle (GC types)."""
        if any(getattr(t, "kind", None) != "func" for t in types):
            return None
        self = cls()
        self.sources = (types, imports, functions, tables, memories, globals_)
        signatures = [_numeric_signature(t) for t in types]
        type_count = len(types)
        func_sigs = []
        table_types = []
        memory_types = []
        global_types = []
        for import_ in imports:
            kind, desc = import_.kind, import_.desc
            if kind == EXTERN_FUNC:
                func_sigs.append(signatures[desc] if type(desc) is int and desc < type_count else None)
            elif kind == EXTERN_TABLE:
                table_types.append(desc)
            elif kind == EXTERN_MEMORY:
                memory_types.append(desc)
            elif kind == EXTERN_GLOBAL:
                global_types.append(desc)
        for type_index in functions:
            func_sigs.append(signatures[type_index] if type_index < type_count else None)
        table_types += tables
        memory_types += memories
        global_types += [global_.type for global_ in globals_]
        self.func_sigs = func_sigs
        # Block types by type index: (params, results); a 1.0 block type byte is handled inline.
        self.block_sigs = signatures
        # call_indirect through table t: only a funcref table with 32-bit indexes is handled.
        self.table_ok = [t.elem_type == FUNCREF and t.address_type == I32 for t in table_types]
        self.indirect_sigs = [None if s is None else (s[0] + [I32], s[1]) for s in signatures]
        self.global_get = [g.valtype if g.valtype in NUMERIC else None for g in global_types]
        self.global_set = [g.valtype if g.valtype in NUMERIC and g.mutable else None for g in global_types]
        # Memory 0's address type (i64 for a 64-bit memory), None without a memory.
        address = self.address_type = memory_types[0].address_type if memory_types else None
        # memory.copy within memory 0: [d s n]; memory.fill: [d value n] (memory64: addresses and sizes i64).
        self.copy_params = [address, address, address]
        self.fill_params = [address, I32, address]
        return self

    def trusted(self, module) -> bool:
        """Whether ``module`` still has the sections this context was built from."""
        types, imports, functions, tables, memories, globals_ = self.sources
        return (module.types is types and module.imports is imports and module.functions is functions
                and module.tables is tables and module.memories is memories and module.globals_ is globals_)


def check_body(data: bytes, pos: int, end: int, local_types: tuple, results: list, context: FastContext) -> bool:
    """Whether the instructions from ``pos`` are well formed and valid, their final ``end`` ending at ``end``.

    ``local_types`` are the parameters' and locals' types (all numeric), ``results`` the function's
    result types. False means "not shown": the ordinary decoder and validator decide.
    """
    classes = CLASSES
    stack: list[int] = []
    push = stack.append
    height = 0
    unreachable = False
    # Control frames: (frame kind, params, results, height, label types).
    ctrls = [(_FRAME_BLOCK, [], results, 0, results)]
    address = context.address_type
    try:
        while True:
            op = data[pos]
            pos += 1
            cls = classes[op]
            if cls == _LOCAL_GET:
                byte = data[pos]
                if byte < 0x80:
                    pos += 1
                    push(local_types[byte])
                else:
                    index, pos = read_unsigned(data, pos, 32)
                    push(local_types[index])
            elif cls == _I64_CONST:
                byte = data[pos]
                if byte < 0x80:
                    pos += 1
                elif data[pos + 1] < 0x80:
                    pos += 2
                else:
                    pos = read_signed(data, pos, 64)[1]
                push(I64)
            elif cls == _LOCAL_SET or cls == _LOCAL_TEE:
                byte = data[pos]
                if byte < 0x80:
                    pos += 1
                    want = local_types[byte]
                else:
                    index, pos = read_unsigned(data, pos, 32)
                    want = local_types[index]
                if len(stack) <= height or stack[-1] != want:
                    return False
                if cls == _LOCAL_SET:
                    del stack[-1]
            elif cls == _UNARY:
                operand, result = UNARY[op]
                if len(stack) <= height or stack[-1] != operand:
                    return False
                stack[-1] = result
            elif cls == _STORE:
                if data[pos] > NATURAL_ALIGN_BY_OP[op] or address is None:
                    return False
                if data[pos + 1] < 0x80:
                    pos += 2
                else:
                    pos = read_unsigned(data, pos + 1, 32)[1]
                if len(stack) - 2 < height or stack[-1] != ACCESS[op] or stack[-2] != address:
                    return False
                del stack[-2:]
            elif cls == _END:
                kind, params, frame_results, frame_height, _label = ctrls.pop()
                if unreachable:
                    del stack[frame_height:]
                    stack += frame_results
                    unreachable = False
                elif len(stack) - frame_height != len(frame_results) or (
                        frame_results and stack[frame_height:] != frame_results):
                    return False
                if kind == _FRAME_IF and params != frame_results:
                    return False
                if not ctrls:
                    return pos == end
                height = ctrls[-1][3]
            elif cls == _LOAD:
                if data[pos] > NATURAL_ALIGN_BY_OP[op] or address is None:
                    return False
                if data[pos + 1] < 0x80:
                    pos += 2
                else:
                    pos = read_unsigned(data, pos + 1, 32)[1]
                if len(stack) <= height or stack[-1] != address:
                    return False
                stack[-1] = ACCESS[op]
            elif cls == _I32_CONST:
                byte = data[pos]
                if byte < 0x80:
                    pos += 1
                elif data[pos + 1] < 0x80:
                    pos += 2
                else:
                    pos = read_signed(data, pos, 32)[1]
                push(I32)
            elif cls == _BINARY:
                first, second, result = BINARY[op]
                if len(stack) - 2 < height or stack[-1] != second or stack[-2] != first:
                    return False
                del stack[-1]
                stack[-1] = result
            elif cls == _BLOCK or cls == _IF or cls == _LOOP:
                if cls == _IF:
                    if len(stack) <= height or stack[-1] != I32:
                        return False
                    del stack[-1]
                byte = data[pos]
                pos += 1
                if byte == 0x40:
                    params = []
                    block_results = []
                elif byte in NUMERIC:
                    params = []
                    block_results = [byte]
                elif byte < 0x40:  # a type index (a one-byte s33)
                    sig = context.block_sigs[byte]
                    if sig is None:
                        return False
                    params, block_results = sig
                else:
                    return False
                count = len(params)
                if count and (len(stack) - count < height or stack[-count:] != params):
                    return False
                height = len(stack) - count
                ctrls.append((_FRAME_IF if cls == _IF else _FRAME_BLOCK, params, block_results, height,
                              params if cls == _LOOP else block_results))
            elif cls == _GLOBAL_SET:
                byte = data[pos]
                if byte < 0x80:
                    pos += 1
                    want = context.global_set[byte]
                else:
                    index, pos = read_unsigned(data, pos, 32)
                    want = context.global_set[index]
                if want is None or len(stack) <= height or stack[-1] != want:
                    return False
                del stack[-1]
            elif cls == _GLOBAL_GET:
                byte = data[pos]
                if byte < 0x80:
                    pos += 1
                    valtype = context.global_get[byte]
                else:
                    index, pos = read_unsigned(data, pos, 32)
                    valtype = context.global_get[index]
                if valtype is None:
                    return False
                push(valtype)
            elif cls == _BR or cls == _RETURN:
                if cls == _BR:
                    byte = data[pos]
                    if byte < 0x80:
                        pos += 1
                        depth = byte
                    else:
                        depth, pos = read_unsigned(data, pos, 32)
                    label = ctrls[-1 - depth][4]
                else:
                    label = results
                count = len(label)
                if count and (len(stack) - count < height or stack[-count:] != label):
                    return False
                del stack[height:]
                unreachable = True
                if data[pos] != _OP_END and data[pos] != _OP_ELSE:
                    return False
            elif cls == _CALL:
                byte = data[pos]
                if byte < 0x80:
                    pos += 1
                    sig = context.func_sigs[byte]
                else:
                    index, pos = read_unsigned(data, pos, 32)
                    sig = context.func_sigs[index]
                if sig is None:
                    return False
                params, pushed = sig
                count = len(params)
                if count:
                    if len(stack) - count < height or stack[-count:] != params:
                        return False
                    del stack[-count:]
                stack += pushed
            elif cls == _BR_IF:
                if len(stack) <= height or stack[-1] != I32:
                    return False
                del stack[-1]
                byte = data[pos]
                if byte < 0x80:
                    pos += 1
                    depth = byte
                else:
                    depth, pos = read_unsigned(data, pos, 32)
                label = ctrls[-1 - depth][4]
                count = len(label)
                if count and (len(stack) - count < height or stack[-count:] != label):
                    return False
            elif cls == _NOP:
                pass
            elif cls == _DROP:
                if len(stack) <= height:
                    return False
                del stack[-1]
            elif cls == _SELECT:
                if len(stack) - 3 < height or stack[-1] != I32 or stack[-2] != stack[-3]:
                    return False
                del stack[-2:]
            elif cls == _ELSE:
                kind, params, frame_results, frame_height, label = ctrls[-1]
                if kind != _FRAME_IF:
                    return False
                if unreachable:
                    unreachable = False
                elif len(stack) - frame_height != len(frame_results) or (
                        frame_results and stack[frame_height:] != frame_results):
                    return False
                del stack[frame_height:]
                stack += params
                ctrls[-1] = (_FRAME_ELSE, params, frame_results, frame_height, label)
            elif cls == _UNREACHABLE:
                del stack[height:]
                unreachable = True
                if data[pos] != _OP_END and data[pos] != _OP_ELSE:
                    return False
            elif cls == _BR_TABLE:
                if len(stack) <= height or stack[-1] != I32:
                    return False
                del stack[-1]
                count, pos = read_unsigned(data, pos, 32)
                if count > end - pos:
                    return False
                labels = []
                for _ in range(count + 1):
                    byte = data[pos]
                    if byte < 0x80:
                        pos += 1
                        depth = byte
                    else:
                        depth, pos = read_unsigned(data, pos, 32)
                    labels.append(ctrls[-1 - depth][4])
                arity = len(labels[-1])
                for label in labels:
                    if len(label) != arity:
                        return False
                    if arity and (len(stack) - arity < height or stack[-arity:] != label):
                        return False
                del stack[height:]
                unreachable = True
                if data[pos] != _OP_END and data[pos] != _OP_ELSE:
                    return False
            elif cls == _CALL_INDIRECT:
                type_index, pos = read_unsigned(data, pos, 32)
                table_index, pos = read_unsigned(data, pos, 32)
                if type_index >= len(context.indirect_sigs) or table_index >= len(context.table_ok):
                    return False
                sig = context.indirect_sigs[type_index]
                if sig is None or not context.table_ok[table_index]:
                    return False
                params, pushed = sig
                count = len(params)
                if len(stack) - count < height or stack[-count:] != params:
                    return False
                del stack[-count:]
                stack += pushed
            elif cls == _F32_CONST:
                pos += 4
                push(F32)
            elif cls == _F64_CONST:
                pos += 8
                push(F64)
            elif cls == _MEMORY_SIZE or cls == _MEMORY_GROW:
                if data[pos] != 0 or address is None:
                    return False
                pos += 1
                if cls == _MEMORY_SIZE:
                    push(address)
                elif len(stack) <= height or stack[-1] != address:
                    return False
            elif cls == _PREFIX_FC:
                sub = data[pos]
                pos += 1
                if sub < 8:
                    operand, result = FC_UNARY[sub]
                    if len(stack) <= height or stack[-1] != operand:
                        return False
                    stack[-1] = result
                    continue
                if sub == _FC_MEMORY_COPY:
                    if data[pos] != 0 or data[pos + 1] != 0:
                        return False
                    pos += 2
                    params = context.copy_params
                elif sub == _FC_MEMORY_FILL:
                    if data[pos] != 0:
                        return False
                    pos += 1
                    params = context.fill_params
                else:
                    return False
                if address is None or len(stack) - 3 < height or stack[-3:] != params:
                    return False
                del stack[-3:]
            else:
                return False
    except (IndexError, DecodeError):
        return False
