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

What the pass accepts is deliberately narrow: the single-byte opcodes of the
core 1.0 instruction set and sign extension, multi-value blocks, 0xFC's
saturating truncations, ``memory.copy`` and ``memory.fill``; numeric value
types only (i32, i64, f32, f64); memory 0 only; and no code after
``br``/``return``/``unreachable``/``br_table`` other than the ``end`` or
``else`` that follows it. Anything else (another prefixed opcode, a reference
type, a block type index above 63, dead code) answers False. Of esbuild's
5,307 bodies 5,144 pass (99.7% of its instructions), of swc's all 16,346.
"""

from __future__ import annotations

from ..errors import DecodeError
from ..ir import EXTERN_FUNC, EXTERN_GLOBAL, EXTERN_MEMORY, EXTERN_TABLE, F32, F64, FUNCREF, I32, I64
from ..decoder.leb import read_signed, read_unsigned
from ._tables import NATURAL_ALIGN_BY_OP, SHAPE_BINARY, SHAPE_UNARY, SIG, SIG64, SIMPLE_BY_OP

NUMERIC = frozenset((I32, I64, F32, F64))

# Opcode classes of the pass. The loop dispatches on them through a small decision tree (``cls < 4``,
# ``cls < 8``, ...), so the classes that real code uses most get the smallest numbers (esbuild:
# local.get 19%, constants 14%, local.set/tee 10%, conversions 14%, loads and stores 14%,
# arithmetic and comparisons 9%, end 6%, blocks 6%).
_LOCAL_GET = 0
_CONST = 1  # i32.const / i64.const: a signed LEB128, the type from CONST_TYPES
_LOCAL_SET = 2  # local.set and local.tee
_UNARY = 3
_MEMORY = 4  # loads and stores
_BINARY = 5
_END = 6
_BLOCK = 7  # block, loop and if
_GLOBAL_GET = 8
_GLOBAL_SET = 9
_BR = 10
_CALL = 11
_BR_IF = 12
_NOP = 13
_RETURN = 14
_DROP = 15
_SELECT = 16
_ELSE = 17
_UNREACHABLE = 18
_BR_TABLE = 19
_CALL_INDIRECT = 20
_F32_CONST = 21
_F64_CONST = 22
_MEMORY_SIZE = 23
_MEMORY_GROW = 24
_PREFIX_FC = 25  # saturating truncations, memory.copy and memory.fill
_OTHER = 26  # not handled: the body takes the ordinary path

# The loop's decision tree relies on these numbers (it compares with literals, which CPython loads
# faster than module globals).
if (_LOCAL_GET, _CONST, _LOCAL_SET, _UNARY, _MEMORY, _BINARY, _END, _BLOCK) != tuple(range(8)):
    raise ImportError("pywaz.validator._prevalidate: the opcode classes were renumbered")  # pragma: no cover

_OP_IF = 0x04
_OP_LOOP = 0x03
_OP_FIRST_STORE = 0x36
_FC_MEMORY_COPY = 10
_FC_MEMORY_FILL = 11

# Frame kinds (first entry of a control frame tuple).
_FRAME_BLOCK = 0
_FRAME_IF = 1  # an if still without its else
_FRAME_ELSE = 2  # an if after its else

_EMPTY: list = []
_SINGLE = {valtype: [valtype] for valtype in NUMERIC}  # block type [] -> [t]

_OP_END = 0x0B
_OP_ELSE = 0x05


def _build_tables():
    classes = [_OTHER] * 256
    const_types = [None] * 256
    const_types[0x41] = I32
    const_types[0x42] = I64
    fixed = {
        0x00: _UNREACHABLE, 0x01: _NOP, 0x02: _BLOCK, 0x03: _BLOCK, 0x04: _BLOCK, 0x05: _ELSE, 0x0B: _END,
        0x0C: _BR, 0x0D: _BR_IF, 0x0E: _BR_TABLE, 0x0F: _RETURN, 0x10: _CALL, 0x11: _CALL_INDIRECT,
        0x1A: _DROP, 0x1B: _SELECT, 0x20: _LOCAL_GET, 0x21: _LOCAL_SET, 0x22: _LOCAL_SET,
        0x23: _GLOBAL_GET, 0x24: _GLOBAL_SET, 0x3F: _MEMORY_SIZE, 0x40: _MEMORY_GROW,
        0x41: _CONST, 0x42: _CONST, 0x43: _F32_CONST, 0x44: _F64_CONST, 0xFC: _PREFIX_FC,
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
        if len(params) == 1 and len(pushed) == 1 and params[0] == I32 and op < _OP_FIRST_STORE:
            classes[op] = _MEMORY
            access[op] = pushed[0]
        elif len(params) == 2 and not pushed and params[0] == I32 and op >= _OP_FIRST_STORE:
            classes[op] = _MEMORY
            access[op] = params[1]
        if SIG64[op][4][0] != I64:  # pragma: no cover - guards the tables this pass reads
            raise ValueError(f"opcode 0x{op:x}: a 64-bit memory's address is not its first operand")
    fc_unary = [None] * 8  # 0xFC 0..7: the saturating truncations
    for sub in range(8):
        shape, first, _second, result, params, pushed = SIMPLE_BY_OP[0xFC00 + sub]
        if shape != SHAPE_UNARY or not NUMERIC.issuperset(params) or not NUMERIC.issuperset(pushed):
            raise ValueError(f"opcode 0xfc 0x{sub:x} is not a numeric conversion")  # pragma: no cover
        fc_unary[sub] = (first, result)
    return classes, const_types, unary, binary, access, fc_unary


CLASSES, CONST_TYPES, UNARY, BINARY, ACCESS, FC_UNARY = _build_tables()


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

    The operand stack holds type codes (all positive). Each control frame's
    values sit above a *marker*, a negative number unique to the frame's depth,
    so an instruction that would pop below its frame meets a marker, which
    equals no type: the comparison that checks an operand's type also checks
    that the operand exists, and no stack height is compared per instruction.
    The body's bytes are copied into a list first, because CPython indexes a
    list of small ints faster than bytes; reading past the body raises
    IndexError, which answers False like every other surprise.
    """
    return _check(list(data[pos:end]), local_types, results, context)


def _check(code: list, local_types: tuple, results: list, context: FastContext) -> bool:
    classes = CLASSES
    const_types = CONST_TYPES
    unary = UNARY
    binary = BINARY
    access = ACCESS
    natural = NATURAL_ALIGN_BY_OP
    stack: list[int] = [-1]
    push = stack.append
    height = 1  # index of the current frame's first value (just above its marker)
    unreachable = False
    # Control frames: (frame kind, params, results, height, label types).
    ctrls = [(_FRAME_BLOCK, [], results, 1, results)]
    address = context.address_type
    pos = 0
    try:
        while True:
            op = code[pos]
            pos += 1
            cls = classes[op]
            if cls < 4:
                if cls < 2:
                    if cls == 0:  # _LOCAL_GET
                        byte = code[pos]
                        if byte < 0x80:
                            pos += 1
                            push(local_types[byte])
                        else:
                            high = code[pos + 1]
                            if high < 0x80:
                                pos += 2
                                push(local_types[(byte & 0x7F) | high << 7])
                            else:
                                index, pos = read_unsigned(code, pos, 32)
                                push(local_types[index])
                    else:  # _CONST
                        if code[pos] < 0x80:
                            pos += 1
                        elif code[pos + 1] < 0x80:
                            pos += 2
                        elif code[pos + 2] < 0x80:
                            pos += 3
                        elif code[pos + 3] < 0x80:  # 28 bits: in range for both i32 and i64
                            pos += 4
                        else:
                            pos = read_signed(code, pos, 32 if op == 0x41 else 64)[1]
                        push(const_types[op])
                elif cls == 2:  # _LOCAL_SET, and local.tee
                    byte = code[pos]
                    if byte < 0x80:
                        pos += 1
                        want = local_types[byte]
                    else:
                        high = code[pos + 1]
                        if high < 0x80:
                            pos += 2
                            want = local_types[(byte & 0x7F) | high << 7]
                        else:
                            index, pos = read_unsigned(code, pos, 32)
                            want = local_types[index]
                    if stack[-1] != want:
                        return False
                    if op == 0x21:  # local.set (local.tee keeps its operand)
                        del stack[-1]
                else:  # _UNARY
                    operand, result = unary[op]
                    if stack[-1] != operand:
                        return False
                    stack[-1] = result
            elif cls < 8:
                if cls < 6:
                    if cls == 4:  # _MEMORY
                        if code[pos] > natural[op] or address is None:
                            return False
                        if code[pos + 1] < 0x80:
                            pos += 2
                        elif code[pos + 2] < 0x80:
                            pos += 3
                        else:
                            pos = read_unsigned(code, pos + 1, 32)[1]
                        if op < 0x36:  # a load (0x36 is the first store)
                            if stack[-1] != address:
                                return False
                            stack[-1] = access[op]
                        else:
                            if stack[-1] != access[op] or stack[-2] != address:
                                return False
                            del stack[-2:]
                    else:  # _BINARY
                        first, second, result = binary[op]
                        if stack[-1] != second or stack[-2] != first:
                            return False
                        del stack[-1]
                        stack[-1] = result
                elif cls == 6:  # _END
                    kind, params, frame_results, frame_height, _label = ctrls.pop()
                    if unreachable:
                        unreachable = False
                    elif len(stack) - frame_height != len(frame_results) or (
                            frame_results and stack[frame_height:] != frame_results):
                        return False
                    if kind == _FRAME_IF and params != frame_results:
                        return False
                    if not ctrls:
                        return pos == len(code)
                    del stack[frame_height - 1:]
                    stack += frame_results
                    height = ctrls[-1][3]
                else:  # _BLOCK: block, loop, if
                    if op == 0x04:  # if
                        if stack[-1] != I32:
                            return False
                        del stack[-1]
                    byte = code[pos]
                    pos += 1
                    if byte == 0x40:
                        params = block_results = _EMPTY
                    elif byte in NUMERIC:
                        params = _EMPTY
                        block_results = _SINGLE[byte]
                    elif byte < 0x40:  # a type index (a one-byte s33)
                        sig = context.block_sigs[byte]
                        if sig is None:
                            return False
                        params, block_results = sig
                    else:
                        return False
                    count = len(params)
                    if count:
                        if stack[-count:] != params:
                            return False
                        stack.insert(len(stack) - count, -1 - len(ctrls))
                    else:
                        push(-1 - len(ctrls))
                    height = len(stack) - count
                    ctrls.append((_FRAME_IF if op == _OP_IF else _FRAME_BLOCK, params, block_results, height,
                                  params if op == _OP_LOOP else block_results))
            elif cls == _GLOBAL_GET:
                byte = code[pos]
                if byte < 0x80:
                    pos += 1
                    valtype = context.global_get[byte]
                else:
                    index, pos = read_unsigned(code, pos, 32)
                    valtype = context.global_get[index]
                if valtype is None:
                    return False
                push(valtype)
            elif cls == _GLOBAL_SET:
                byte = code[pos]
                if byte < 0x80:
                    pos += 1
                    want = context.global_set[byte]
                else:
                    index, pos = read_unsigned(code, pos, 32)
                    want = context.global_set[index]
                if want is None or stack[-1] != want:
                    return False
                del stack[-1]
            elif cls == _BR or cls == _RETURN:
                if cls == _BR:
                    byte = code[pos]
                    if byte < 0x80:
                        pos += 1
                        depth = byte
                    else:
                        depth, pos = read_unsigned(code, pos, 32)
                    label = ctrls[-1 - depth][4]
                else:
                    label = results
                if label and stack[-len(label):] != label:
                    return False
                del stack[height:]
                unreachable = True
                if code[pos] != _OP_END and code[pos] != _OP_ELSE:
                    return False
            elif cls == _CALL:
                byte = code[pos]
                if byte < 0x80:
                    pos += 1
                    sig = context.func_sigs[byte]
                else:
                    high = code[pos + 1]
                    if high < 0x80:
                        pos += 2
                        sig = context.func_sigs[(byte & 0x7F) | high << 7]
                    else:
                        index, pos = read_unsigned(code, pos, 32)
                        sig = context.func_sigs[index]
                if sig is None:
                    return False
                params, pushed = sig
                if params:
                    if stack[-len(params):] != params:
                        return False
                    del stack[-len(params):]
                if pushed:
                    stack += pushed
            elif cls == _BR_IF:
                if stack[-1] != I32:
                    return False
                del stack[-1]
                byte = code[pos]
                if byte < 0x80:
                    pos += 1
                    depth = byte
                else:
                    depth, pos = read_unsigned(code, pos, 32)
                label = ctrls[-1 - depth][4]
                if label and stack[-len(label):] != label:
                    return False
            elif cls == _NOP:
                pass
            elif cls == _DROP:
                if stack.pop() < 0:
                    return False
            elif cls == _SELECT:
                # Markers differ by depth, so two equal operands are two values of one (numeric) type.
                if stack[-1] != I32 or stack[-2] != stack[-3] or stack[-2] < 0:
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
                if code[pos] != _OP_END and code[pos] != _OP_ELSE:
                    return False
            elif cls == _BR_TABLE:
                if stack[-1] != I32:
                    return False
                del stack[-1]
                count, pos = read_unsigned(code, pos, 32)
                if count > len(code) - pos:
                    return False
                labels = []
                for _ in range(count + 1):
                    byte = code[pos]
                    if byte < 0x80:
                        pos += 1
                        depth = byte
                    else:
                        depth, pos = read_unsigned(code, pos, 32)
                    labels.append(ctrls[-1 - depth][4])
                arity = len(labels[-1])
                for label in labels:
                    if len(label) != arity or (arity and stack[-arity:] != label):
                        return False
                del stack[height:]
                unreachable = True
                if code[pos] != _OP_END and code[pos] != _OP_ELSE:
                    return False
            elif cls == _CALL_INDIRECT:
                type_index, pos = read_unsigned(code, pos, 32)
                table_index, pos = read_unsigned(code, pos, 32)
                if type_index >= len(context.indirect_sigs) or table_index >= len(context.table_ok):
                    return False
                sig = context.indirect_sigs[type_index]
                if sig is None or not context.table_ok[table_index]:
                    return False
                params, pushed = sig
                if stack[-len(params):] != params:
                    return False
                del stack[-len(params):]
                stack += pushed
            elif cls == _F32_CONST:
                pos += 4
                push(F32)
            elif cls == _F64_CONST:
                pos += 8
                push(F64)
            elif cls == _MEMORY_SIZE or cls == _MEMORY_GROW:
                if code[pos] != 0 or address is None:
                    return False
                pos += 1
                if cls == _MEMORY_SIZE:
                    push(address)
                elif stack[-1] != address:
                    return False
            elif cls == _PREFIX_FC:
                sub = code[pos]
                pos += 1
                if sub < 8:
                    operand, result = FC_UNARY[sub]
                    if stack[-1] != operand:
                        return False
                    stack[-1] = result
                    continue
                if sub == _FC_MEMORY_COPY:
                    if code[pos] != 0 or code[pos + 1] != 0:
                        return False
                    pos += 2
                    params = context.copy_params
                elif sub == _FC_MEMORY_FILL:
                    if code[pos] != 0:
                        return False
                    pos += 1
                    params = context.fill_params
                else:
                    return False
                if address is None or stack[-3:] != params:
                    return False
                del stack[-3:]
            else:
                return False
    except (IndexError, DecodeError):
        return False


# Below this much code the one-pass check takes well under 0.1 s and a second process cannot pay for itself.
FORK_THRESHOLD = 2 << 20


def check_many(data: bytes, jobs: list, context: FastContext, fork: bool = True) -> list[bool]:
    """:func:`check_body` for each ``(pos, end, local_types, results)`` in ``jobs``, in order.

    With ``fork`` (and at least :data:`FORK_THRESHOLD` bytes of code, Linux, more
    than one usable CPU, this thread the process's only Python thread, and the
    environment variable ``PYWAZ_DECODE_FORK`` not ``0``), a forked child checks
    the second half of the bodies while this process checks the first. The child
    only runs this pure-Python check over memory it inherited and reports one
    byte per body through a pipe; if it fails in any way, its half is checked
    here instead, so the answer never depends on it.
    """
    if fork and _fork_allowed(jobs):
        verdicts = _check_forked(data, jobs, context)
        if verdicts is not None:
            return verdicts
    return [check_body(data, pos, end, local_types, results, context) for pos, end, local_types, results in jobs]


def _fork_allowed(jobs: list) -> bool:
    import os
    import sys
    import threading

    if sys.platform != "linux" or not hasattr(os, "fork") or os.environ.get("PYWAZ_DECODE_FORK") == "0":
        return False
    if threading.active_count() != 1 or len(os.sched_getaffinity(0)) < 2:
        return False
    return sum(end - pos for pos, end, _types, _results in jobs) >= FORK_THRESHOLD


def _check_forked(data: bytes, jobs: list, context: FastContext) -> list[bool] | None:
    import os
    import signal

    total = sum(end - pos for pos, end, _types, _results in jobs)
    done = 0
    half = len(jobs)
    for index, (pos, end, _types, _results) in enumerate(jobs):
        done += end - pos
        if done * 2 >= total:
            half = index + 1
            break
    mine, theirs = jobs[:half], jobs[half:]
    try:
        read_fd, write_fd = os.pipe()
    except OSError:
        return None
    try:
        pid = os.fork()
    except OSError:
        os.close(read_fd)
        os.close(write_fd)
        return None
    if pid == 0:  # the child: check its half, write one byte per body, leave without any cleanup of the parent's
        status = 1
        try:
            os.close(read_fd)
            view = memoryview(bytes([check_body(data, *job, context) for job in theirs]))
            while view:
                view = view[os.write(write_fd, view):]
            status = 0
        finally:
            os._exit(status)
    os.close(write_fd)
    chunks = []
    try:
        first = [check_body(data, *job, context) for job in mine]
        while chunk := os.read(read_fd, 1 << 16):
            chunks.append(chunk)
    except BaseException:
        os.kill(pid, signal.SIGKILL)
        raise
    finally:
        os.close(read_fd)
        try:
            _pid, status = os.waitpid(pid, 0)
        except ChildProcessError:  # reaped by the embedder's own SIGCHLD handling: its answer is not trusted
            status = -1
    answer = b"".join(chunks)
    if status != 0 or len(answer) != len(theirs) or answer.strip(b"\x00\x01"):
        return first + [check_body(data, *job, context) for job in theirs]
    return first + [byte == 1 for byte in answer]
