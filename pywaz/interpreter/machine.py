"""The interpreter's dispatch loop (execution §4.4, instructions; §4.4.10 calls).

Enters a module instance and a lowered function (:mod:`.prepare`), leaves the
function's results. Calls between functions of the same instance push an
explicit frame instead of recursing in Python, so the call depth is exact and
cheap to check; calls to imports (host functions or other instances) are
ordinary Python calls that share the runtime's depth counter.

The loop dispatches on the small-int codes of :mod:`.prepare` through an
``if`` tree: the sixteen most frequent codes (measured on the bench kernels)
take four compares, the next sixteen five, the rest a few more. The numbers
are literals because a global lookup per compare would cost more than the
compare itself; ``prepare.py`` names them.
"""

from __future__ import annotations

import struct
import sys

from ..errors import PywazError, Trap, TrapKind, WasmException
from ..numeric import f32_from_bits, f32_to_bits
from ..vm.interrupt import Interrupted
from ..vm.objects import CallDepth
from .exceptions import find_handler, throw, throw_ref

# What an inline load or store past the end raises: struct.error, or OverflowError (unpack) /
# IndexError (pack) when a 64-bit memory's effective address (memory64) is beyond what struct takes
# as an offset. The operand stack is validated, so its pops never raise IndexError themselves.
_struct_error = (struct.error, OverflowError, IndexError)


class UnsupportedInstruction(PywazError, NotImplementedError):
    """The interpreter reached an instruction it has no lowering for.

    Also a NotImplementedError, so tools (such as the spec harness) can tell
    "not built yet" apart from a wrong result.
    """


def _unsupported(op):
    from ..opcodes import OP_NAMES

    raise UnsupportedInstruction(f"instruction not supported by the interpreter: {OP_NAMES.get(op, hex(op))}")


class _Gone:
    """Stands for the code of a frame whose rest runs as compiled code (the tiered engine's loop switch)."""

    handlers = ()


_GONE = _Gone()


def make_runner(instance, artifact, call_depth: CallDepth, tier=None):
    """Return ``run(def_index, args)`` executing defined function ``def_index`` of ``instance``.

    ``tier`` is the tiered engine's per-instance state (:class:`pywaz.tiered.engine.TierState`); only the
    programs it prepares (``prepare_function(..., tier=True)``) hold the instructions that read it.
    """
    if tier is not None:
        tier_calls = tier.calls  # per defined function: its compiled callable, or None while interpreted
        tier_counts = tier.counts  # calls so far
        tier_loops = tier.loops  # loop back-edges so far
        tier_arity = tier.arity  # (params, results) per defined function
        call_threshold = tier.call_threshold
        loop_threshold = tier.loop_threshold
        tier_hot = tier.hot  # compile and install; the compiled callable, or None
        tier_osr = tier.osr  # the loop entry of a function's compiled code: (fn, label), or None
    funcs = instance.funcs
    globals_ = instance.globals_
    tables = instance.tables
    codes = artifact.codes
    get_code = artifact.get_code
    nimports = artifact.nimports
    tags = instance.tags
    ctx = call_depth
    OOB_MEMORY = TrapKind.OUT_OF_BOUNDS_MEMORY

    def run(def_index, args):
        code = codes[def_index] or get_code(def_index)
        entry_depth = ctx.depth
        depth = entry_depth + 1
        max_depth = ctx.max_depth
        if depth > max_depth:
            raise Trap(TrapKind.CALL_STACK_EXHAUSTED)
        mem0 = instance.memories[0] if instance.memories else None
        frames = []
        prog = code.prog
        locals_ = list(args)
        locals_ += code.zeros
        stack = []
        push = stack.append
        pop = stack.pop
        pc = 0
        try:
            while True:
                try:
                    while True:
                        c, a = prog[pc]
                        pc += 1
                        if c < 16:
                            if c < 8:
                                if c < 4:
                                    if c == 0:  # local.get
                                        push(locals_[a])
                                    elif c == 1:  # local.set
                                        locals_[a] = pop()
                                    elif c == 2:  # local.tee
                                        locals_[a] = stack[-1]
                                    else:  # const
                                        push(a)
                                elif c < 6:
                                    if c == 4:  # binop
                                        b = pop()
                                        stack[-1] = a(stack[-1], b)
                                    else:  # local.get x; local.get y; binop
                                        push(a[2](locals_[a[0]], locals_[a[1]]))
                                elif c == 6:  # local.get x; const k; binop
                                    push(a[2](locals_[a[0]], a[1]))
                                elif pop():  # br_if (taken)
                                    t, h, n = a
                                    if n:
                                        del stack[h:-n]
                                    else:
                                        del stack[h:]
                                    pc = t
                            elif c < 12:
                                if c < 10:
                                    if c == 8:  # local.get x; const k; binop; local.set y
                                        locals_[a[3]] = a[2](locals_[a[0]], a[1])
                                    else:  # local.get x; local.get y; binop; local.set z
                                        locals_[a[3]] = a[2](locals_[a[0]], locals_[a[1]])
                                elif c == 10:  # binop; br_if
                                    b = pop()
                                    if a[0](pop(), b):
                                        h = a[2]
                                        n = a[3]
                                        if n:
                                            del stack[h:-n]
                                        else:
                                            del stack[h:]
                                        pc = a[1]
                                elif a[2](locals_[a[0]], a[1]):  # local.get x; const k; binop; br_if (taken)
                                    h = a[4]
                                    n = a[5]
                                    if n:
                                        del stack[h:-n]
                                    else:
                                        del stack[h:]
                                    pc = a[3]
                            elif c < 14:
                                if c == 12:  # local.get x; local.get y; binop; br_if
                                    if a[2](locals_[a[0]], locals_[a[1]]):
                                        h = a[4]
                                        n = a[5]
                                        if n:
                                            del stack[h:-n]
                                        else:
                                            del stack[h:]
                                        pc = a[3]
                                else:  # local.get x; load
                                    try:
                                        push(a[1](mem0.data, locals_[a[0]] + a[2])[0])
                                    except _struct_error:
                                        raise Trap(OOB_MEMORY) from None
                            elif c == 14:  # load
                                try:
                                    stack[-1] = a[0](mem0.data, stack[-1] + a[1])[0]
                                except _struct_error:
                                    raise Trap(OOB_MEMORY) from None
                            else:  # store
                                v = pop()
                                try:
                                    a[0](mem0.data, pop() + a[1], v)
                                except _struct_error:
                                    raise Trap(OOB_MEMORY) from None
                        elif c < 32:
                            if c < 24:
                                if c < 20:
                                    if c == 16:  # unop
                                        stack[-1] = a(stack[-1])
                                    elif c == 17:  # br
                                        t, h, n = a
                                        if n:
                                            del stack[h:-n]
                                        else:
                                            del stack[h:]
                                        pc = t
                                    elif c == 18:  # if
                                        if not pop():
                                            pc = a
                                    else:  # else reached from the then-arm: jump to end
                                        pc = a
                                elif c == 20:  # local.get y; binop
                                    stack[-1] = a[1](stack[-1], locals_[a[0]])
                                elif c == 21:  # local.get x; local.get y
                                    push(locals_[a[0]])
                                    push(locals_[a[1]])
                                elif c == 22:  # call (a function of this instance)
                                    callee = codes[a] or get_code(a)
                                    n = callee.nparams
                                    if n:
                                        new_locals = stack[-n:]
                                        del stack[-n:]
                                        new_locals += callee.zeros
                                    else:
                                        new_locals = callee.zeros[:]
                                    depth += 1
                                    if depth > max_depth:
                                        raise Trap(TrapKind.CALL_STACK_EXHAUSTED)
                                    frames.append((code, pc, locals_, stack))
                                    code = callee
                                    prog = callee.prog
                                    pc = 0
                                    locals_ = new_locals
                                    stack = []
                                    push = stack.append
                                    pop = stack.pop
                                else:  # return (and the function's final end)
                                    n = code.nresults
                                    if not frames:
                                        if n == 1:
                                            return stack[-1]
                                        if n == 0:
                                            return None
                                        return tuple(stack[-n:])
                                    results = stack
                                    code, pc, locals_, stack = frames.pop()
                                    prog = code.prog
                                    push = stack.append
                                    pop = stack.pop
                                    depth -= 1
                                    if n == 1:
                                        push(results[-1])
                                    elif n:
                                        stack += results[-n:]
                            elif c < 28:
                                if c == 24:  # global.get
                                    push(globals_[a].value)
                                elif c == 25:  # global.set
                                    globals_[a].value = pop()
                                elif c == 26:  # i32.const k; i32.add
                                    stack[-1] = (stack[-1] + a) & 0xFFFFFFFF
                                elif not pop():  # i32.eqz; br_if (taken)
                                    t, h, n = a
                                    if n:
                                        del stack[h:-n]
                                    else:
                                        del stack[h:]
                                    pc = t
                            elif c == 28:  # select
                                cond = pop()
                                b = pop()
                                if not cond:
                                    stack[-1] = b
                            elif c == 29:  # drop
                                del stack[-1]
                            elif c == 30:  # narrow store
                                v = pop() & a[2]
                                try:
                                    a[0](mem0.data, pop() + a[1], v)
                                except _struct_error:
                                    raise Trap(OOB_MEMORY) from None
                            else:  # signed narrow load into i32
                                try:
                                    stack[-1] = a[0](mem0.data, stack[-1] + a[1])[0] & 0xFFFFFFFF
                                except _struct_error:
                                    raise Trap(OOB_MEMORY) from None
                        elif c < 40:
                            if c < 36:
                                if c < 34:
                                    if c == 32:  # const k; binop
                                        stack[-1] = a[1](stack[-1], a[0])
                                    else:  # local.get x; const k; binop; local.tee y
                                        v = a[2](locals_[a[0]], a[1])
                                        locals_[a[3]] = v
                                        push(v)
                                elif c == 34:  # local.get x; local.get y; binop; local.tee z
                                    v = a[2](locals_[a[0]], locals_[a[1]])
                                    locals_[a[3]] = v
                                    push(v)
                                else:  # local.tee x; local.get y; binop; br_if
                                    v = pop()
                                    locals_[a[0]] = v
                                    if a[2](v, locals_[a[1]]):
                                        h = a[4]
                                        n = a[5]
                                        if n:
                                            del stack[h:-n]
                                        else:
                                            del stack[h:]
                                        pc = a[3]
                            elif c == 36:  # local.get y; binop; br_if
                                if a[1](pop(), locals_[a[0]]):
                                    h = a[3]
                                    n = a[4]
                                    if n:
                                        del stack[h:-n]
                                    else:
                                        del stack[h:]
                                    pc = a[2]
                            elif c == 37:  # i32.sub
                                b = pop()
                                stack[-1] = (stack[-1] - b) & 0xFFFFFFFF
                            elif c == 38:  # i32.and
                                b = pop()
                                stack[-1] &= b
                            else:  # i32.eqz
                                stack[-1] = 0 if stack[-1] else 1
                        elif c < 48:
                            if c < 44:
                                if c == 40:  # i32.lt_u
                                    b = pop()
                                    stack[-1] = 1 if stack[-1] < b else 0
                                elif c == 41:  # i32.eq
                                    b = pop()
                                    stack[-1] = 1 if stack[-1] == b else 0
                                elif c == 42:  # i32.ne
                                    b = pop()
                                    stack[-1] = 1 if stack[-1] != b else 0
                                else:  # i32.gt_u
                                    b = pop()
                                    stack[-1] = 1 if stack[-1] > b else 0
                            elif c == 44:  # i32.lt_s: flipping the sign bit maps signed order onto unsigned
                                b = pop()
                                stack[-1] = 1 if (stack[-1] ^ 0x80000000) < (b ^ 0x80000000) else 0
                            elif c == 45:  # i32.ge_s
                                b = pop()
                                stack[-1] = 1 if (stack[-1] ^ 0x80000000) >= (b ^ 0x80000000) else 0
                            elif c == 46:  # signed narrow load into i64
                                try:
                                    stack[-1] = a[0](mem0.data, stack[-1] + a[1])[0] & 0xFFFFFFFFFFFFFFFF
                                except _struct_error:
                                    raise Trap(OOB_MEMORY) from None
                            else:  # f32.load: a NaN is re-read as bits to keep it signalling
                                try:
                                    v = a[0](mem0.data, stack[-1] + a[1])[0]
                                    if v != v:
                                        v = f32_from_bits(a[2](mem0.data, stack[-1] + a[1])[0])
                                    stack[-1] = v
                                except _struct_error:
                                    raise Trap(OOB_MEMORY) from None
                        elif c == 48:  # f32.store: a NaN is written as bits to keep its payload
                            v = pop()
                            try:
                                if v != v:
                                    a[2](mem0.data, pop() + a[1], f32_to_bits(v))
                                else:
                                    a[0](mem0.data, pop() + a[1], v)
                            except _struct_error:
                                raise Trap(OOB_MEMORY) from None
                        elif c == 49:  # br_table
                            i = pop()
                            t, h, n = a[i] if i < len(a) - 1 else a[-1]
                            if n:
                                del stack[h:-n]
                            else:
                                del stack[h:]
                            pc = t
                        elif c == 50:  # call_indirect
                            ftype, table_index = a
                            i = pop()
                            elements = tables[table_index].elements
                            if i >= len(elements):
                                raise Trap(TrapKind.UNDEFINED_ELEMENT)
                            f = elements[i]
                            if f is None:
                                raise Trap(TrapKind.UNINITIALIZED_ELEMENT)
                            d = f.def_type  # ftype is the canonical DefType: identity, else its supertype chain
                            if d is not ftype and (len(d.chain) <= ftype.depth or d.chain[ftype.depth] is not ftype):
                                raise Trap(TrapKind.INDIRECT_CALL_TYPE_MISMATCH)
                            if f.instance is instance and not f.host:
                                callee = codes[f.index - nimports] or get_code(f.index - nimports)
                                n = callee.nparams
                                if n:
                                    new_locals = stack[-n:]
                                    del stack[-n:]
                                    new_locals += callee.zeros
                                else:
                                    new_locals = callee.zeros[:]
                                depth += 1
                                if depth > max_depth:
                                    raise Trap(TrapKind.CALL_STACK_EXHAUSTED)
                                frames.append((code, pc, locals_, stack))
                                code = callee
                                prog = callee.prog
                                pc = 0
                                locals_ = new_locals
                                stack = []
                                push = stack.append
                                pop = stack.pop
                            else:
                                ctx.depth = depth
                                r = _call_python(f.call, stack, len(ftype.params))
                                n = len(ftype.results)
                                if n == 1:
                                    push(r)
                                elif n:
                                    stack += r
                        elif c == 51:  # call an import (host function or another instance)
                            fidx, n, nres = a
                            ctx.depth = depth
                            r = _call_python(funcs[fidx].call, stack, n)
                            if nres == 1:
                                push(r)
                            elif nres:
                                stack += r
                        elif c == 52:  # out-of-line instruction
                            a[0](instance, stack, a[1])
                        elif c == 53:
                            raise Trap(TrapKind.UNREACHABLE)
                        elif c == 55:  # i32.add
                            b = pop()
                            stack[-1] = (stack[-1] + b) & 0xFFFFFFFF
                        elif c == 57:  # fuel: a loop back-edge's trampoline (metered programs only)
                            next(ctx.fuel)
                            pc = a
                        elif c == 56:  # fuel: a function entry (metered programs only)
                            next(ctx.fuel)
                        elif c == 61:  # throw (see .exceptions)
                            throw(tags[a[0]], stack, a[1])
                        elif c == 62:  # throw_ref
                            throw_ref(pop())
                        elif c == 63:  # legacy rethrow: the exception its catch keeps in a hidden local
                            throw_ref(locals_[a])
                        elif 58 <= c <= 60 or c == 65:  # tail calls (see .tailcalls)
                            if c == 65:  # return_call_ref
                                f = pop()
                                if f is None:
                                    raise Trap(TrapKind.NULL_FUNCTION_REFERENCE)
                                if f.instance is instance and not f.host:
                                    callee = codes[f.index - nimports] or get_code(f.index - nimports)
                                else:
                                    callee = None
                                    fn = f.call
                                    n, nres = a
                            elif c == 60:  # return_call_indirect
                                ftype, table_index = a
                                i = pop()
                                elements = tables[table_index].elements
                                if i >= len(elements):
                                    raise Trap(TrapKind.UNDEFINED_ELEMENT)
                                f = elements[i]
                                if f is None:
                                    raise Trap(TrapKind.UNINITIALIZED_ELEMENT)
                                d = f.def_type
                                if d is not ftype and (len(d.chain) <= ftype.depth
                                                       or d.chain[ftype.depth] is not ftype):
                                    raise Trap(TrapKind.INDIRECT_CALL_TYPE_MISMATCH)
                                if f.instance is instance and not f.host:
                                    callee = codes[f.index - nimports] or get_code(f.index - nimports)
                                else:
                                    callee = None
                                    fn = f.call
                                    n = len(ftype.params)
                                    nres = len(ftype.results)
                            elif c == 58:  # return_call: a function of this instance
                                callee = codes[a] or get_code(a)
                            else:  # return_call: an import
                                fidx, n, nres = a
                                callee = None
                                fn = funcs[fidx].call
                            if callee is not None:  # replace the running frame: constant space
                                n = callee.nparams
                                if n:
                                    locals_ = stack[-n:]
                                    locals_ += callee.zeros
                                else:
                                    locals_ = callee.zeros[:]
                                code = callee
                                prog = callee.prog
                                pc = 0
                                stack = []
                                push = stack.append
                                pop = stack.pop
                            else:  # an ordinary call, then this frame returns its results
                                ctx.depth = depth
                                r = _call_python(fn, stack, n)
                                if not frames:
                                    return r
                                code, pc, locals_, stack = frames.pop()
                                prog = code.prog
                                push = stack.append
                                pop = stack.pop
                                depth -= 1
                                if nres == 1:
                                    push(r)
                                elif nres:
                                    stack += r
                        elif c == 64:  # call_ref (see .gc)
                            f = pop()
                            if f is None:
                                raise Trap(TrapKind.NULL_FUNCTION_REFERENCE)
                            if f.instance is instance and not f.host:
                                callee = codes[f.index - nimports] or get_code(f.index - nimports)
                                n = callee.nparams
                                if n:
                                    new_locals = stack[-n:]
                                    del stack[-n:]
                                    new_locals += callee.zeros
                                else:
                                    new_locals = callee.zeros[:]
                                depth += 1
                                if depth > max_depth:
                                    raise Trap(TrapKind.CALL_STACK_EXHAUSTED)
                                frames.append((code, pc, locals_, stack))
                                code = callee
                                prog = callee.prog
                                pc = 0
                                locals_ = new_locals
                                stack = []
                                push = stack.append
                                pop = stack.pop
                            else:
                                ctx.depth = depth
                                r = _call_python(f.call, stack, a[0])
                                n = a[1]
                                if n == 1:
                                    push(r)
                                elif n:
                                    stack += r
                        elif c == 66:  # br_on_null: a null is dropped and branches
                            if stack[-1] is None:
                                pop()
                                t, h, n = a
                                if n:
                                    del stack[h:-n]
                                else:
                                    del stack[h:]
                                pc = t
                        elif c == 67:  # br_on_non_null: branches with the reference, a null is dropped
                            if stack[-1] is None:
                                pop()
                            else:
                                t, h, n = a
                                del stack[h:-n]
                                pc = t
                        elif c == 68:  # br_on_cast / br_on_cast_fail: branches with the reference
                            if a[0](stack[-1]) is a[1]:
                                h = a[3]
                                del stack[h:-a[4]]
                                pc = a[2]
                        elif c == 69:  # call (tiered programs): the callee's compiled code once it has some
                            fn = tier_calls[a]
                            if fn is None:
                                n = tier_counts[a] + 1
                                tier_counts[a] = n
                                if n == call_threshold:
                                    fn = tier_hot(a)
                            if fn is None:
                                callee = codes[a] or get_code(a)
                                n = callee.nparams
                                if n:
                                    new_locals = stack[-n:]
                                    del stack[-n:]
                                    new_locals += callee.zeros
                                else:
                                    new_locals = callee.zeros[:]
                                depth += 1
                                if depth > max_depth:
                                    raise Trap(TrapKind.CALL_STACK_EXHAUSTED)
                                frames.append((code, pc, locals_, stack))
                                code = callee
                                prog = callee.prog
                                pc = 0
                                locals_ = new_locals
                                stack = []
                                push = stack.append
                                pop = stack.pop
                            else:
                                n, nres = tier_arity[a]
                                ctx.depth = depth
                                r = _call_python(fn, stack, n)
                                if nres == 1:
                                    push(r)
                                elif nres:
                                    stack += r
                        elif c == 70:  # a loop back-edge (tiered programs): counts; may go on in compiled code
                            pc = a[0]
                            k = code.func_index - nimports
                            n = tier_loops[k] + 1
                            tier_loops[k] = n
                            if n == loop_threshold:
                                entry = tier_osr(k, a[1], code.handlers)
                                if entry is not None:
                                    # This frame's rest runs as the compiled function entered at the loop's
                                    # label: it returns the frame's results, as a call would.
                                    fn, label = entry
                                    args = [label]
                                    args += locals_
                                    args += stack
                                    nres = code.nresults
                                    ctx.depth = depth
                                    if frames:
                                        code, pc, locals_, stack = frames.pop()
                                        prog = code.prog
                                        push = stack.append
                                        pop = stack.pop
                                        depth -= 1
                                    else:
                                        code = _GONE
                                    r = fn(*args)
                                    if code is _GONE:
                                        return r
                                    if nres == 1:
                                        push(r)
                                    elif nres:
                                        stack += r
                        elif c == 72:  # return_call (tiered programs): the callee's compiled code once it has some
                            fn = tier_calls[a]
                            if fn is None:
                                n = tier_counts[a] + 1
                                tier_counts[a] = n
                                if n == call_threshold:
                                    fn = tier_hot(a)
                            if fn is None:  # replace the running frame: constant space
                                callee = codes[a] or get_code(a)
                                n = callee.nparams
                                if n:
                                    locals_ = stack[-n:]
                                    locals_ += callee.zeros
                                else:
                                    locals_ = callee.zeros[:]
                                code = callee
                                prog = callee.prog
                                pc = 0
                                stack = []
                                push = stack.append
                                pop = stack.pop
                            else:  # a call, then this frame returns its results (the callee's trampoline
                                # runs the rest of the chain of tail calls in constant space)
                                n, nres = tier_arity[a]
                                ctx.depth = depth
                                r = _call_python(fn, stack, n)
                                if not frames:
                                    return r
                                code, pc, locals_, stack = frames.pop()
                                prog = code.prog
                                push = stack.append
                                pop = stack.pop
                                depth -= 1
                                if nres == 1:
                                    push(r)
                                elif nres:
                                    stack += r
                        elif c == 71:  # call_indirect (tiered programs): compiled callees run their code
                            ftype, table_index = a
                            i = pop()
                            elements = tables[table_index].elements
                            if i >= len(elements):
                                raise Trap(TrapKind.UNDEFINED_ELEMENT)
                            f = elements[i]
                            if f is None:
                                raise Trap(TrapKind.UNINITIALIZED_ELEMENT)
                            d = f.def_type
                            if d is not ftype and (len(d.chain) <= ftype.depth or d.chain[ftype.depth] is not ftype):
                                raise Trap(TrapKind.INDIRECT_CALL_TYPE_MISMATCH)
                            fn = f.call
                            if f.instance is instance and not f.host:
                                k = f.index - nimports
                                fn = tier_calls[k]
                                if fn is None:
                                    n = tier_counts[k] + 1
                                    tier_counts[k] = n
                                    if n == call_threshold:
                                        fn = tier_hot(k)
                                if fn is None:
                                    callee = codes[k] or get_code(k)
                                    n = callee.nparams
                                    if n:
                                        new_locals = stack[-n:]
                                        del stack[-n:]
                                        new_locals += callee.zeros
                                    else:
                                        new_locals = callee.zeros[:]
                                    depth += 1
                                    if depth > max_depth:
                                        raise Trap(TrapKind.CALL_STACK_EXHAUSTED)
                                    frames.append((code, pc, locals_, stack))
                                    code = callee
                                    prog = callee.prog
                                    pc = 0
                                    locals_ = new_locals
                                    stack = []
                                    push = stack.append
                                    pop = stack.pop
                            if fn is not None:
                                ctx.depth = depth
                                r = _call_python(fn, stack, len(ftype.params))
                                n = len(ftype.results)
                                if n == 1:
                                    push(r)
                                elif n:
                                    stack += r
                        else:
                            _unsupported(a)
                except WasmException as exception:  # find the try_table that catches it (see .exceptions)
                    while True:
                        found = code.handlers and find_handler(code.handlers, pc, exception, tags)
                        if found:
                            break
                        if not frames:
                            raise
                        code, pc, locals_, stack = frames.pop()
                        depth -= 1
                    prog = code.prog
                    push = stack.append
                    pop = stack.pop
                    pc, height, values, slot = found
                    if slot is not None:  # a legacy catch keeps the exception for rethrow
                        locals_[slot] = exception
                    del stack[height:]
                    stack += values
        except Trap as trap:
            _annotate(trap, instance, code, pc, frames)
            raise
        except RecursionError:
            trap = Trap(TrapKind.CALL_STACK_EXHAUSTED)
            _annotate(trap, instance, code, pc, frames)
            raise trap from None
        except Interrupted as interrupted:  # becomes a trap at the entry point, with these frames
            _annotate(interrupted, instance, code, pc, frames)
            raise
        except StopIteration:  # next(ctx.fuel) on a spent budget (see pywaz.vm.fuel)
            trap = Trap(TrapKind.OUT_OF_FUEL)
            _annotate(trap, instance, code, pc, frames)
            raise trap from None
        finally:
            ctx.depth = entry_depth

    return run


def _call_python(fn, stack, n):
    """Call ``fn`` with the top ``n`` stack values (popped).

    Small arities use a plain call: CPython 3.11 runs a Python-to-Python call
    made with fixed arguments in the same C frame, while ``fn(*args)`` recurses
    in C, so chains of cross-instance calls cannot exhaust the C stack.
    """
    if n == 0:
        return fn()
    if n == 1:
        return fn(stack.pop())
    if n == 2:
        b = stack.pop()
        return fn(stack.pop(), b)
    if n == 3:
        c = stack.pop()
        b = stack.pop()
        return fn(stack.pop(), b, c)
    args = tuple(stack[-n:])
    del stack[-n:]
    entry = getattr(fn, "interpreter_entry", None)
    if entry is not None:  # another interpreted instance: call its loop directly
        return entry[0](entry[1], args)
    return fn(*args)


def _annotate(owner, instance, code, pc: int, frames) -> None:
    """Append this run's wasm frames (innermost first) to ``owner.frames``, a trap's stack trace.

    ``pc`` is one past the instruction that trapped; each saved frame's ``pc``
    is one past its call. Runs only when a trap leaves the loop. The frames
    are also kept per Python frame of the loop in ``owner.interpreted_runs``,
    so a stack trace that crosses compiled code puts them in their place
    (:func:`pywaz.compiler.artifact.trap_frames_of`).
    """
    out = owner.frames
    start = len(out)
    made: dict = {}  # (function, pc) -> TrapFrame: runaway recursion repeats a few frames thousands of times
    for frame_code, frame_pc in [(code, pc), *((frame[0], frame[1]) for frame in reversed(frames))]:
        if frame_code is _GONE:  # its compiled code's frame is in the traceback (see run's code 70)
            continue
        key = (frame_code.func_index, frame_pc)
        found = made.get(key)
        if found is None:
            offsets = frame_code.offsets
            if offsets is None:
                offsets = frame_code.offsets = _program_offsets(instance, frame_code)
            # pc is 0 only when an interruption lands just after a branch to the start.
            index = frame_pc - 1 if frame_pc > 0 else 0
            offset = offsets[index] if index < len(offsets) else None
            found = made[key] = instance.trap_frame(frame_code.func_index, offset)
        out.append(found)
    runs = getattr(owner, "interpreted_runs", None)
    if runs is None:
        runs = owner.interpreted_runs = {}
    runs[sys._getframe(1)] = out[start:]


def _program_offsets(instance, code):
    """The byte offsets of ``code``'s program (see :func:`~.prepare.program_offsets`); empty if unavailable."""
    from .prepare import program_offsets

    module = instance.module
    try:
        info = module.functions[code.func_index - module.num_imported_funcs]
        return program_offsets(code.prog, info.body)
    except PywazError:  # a cache-loaded module whose bytes are gone: frames without offsets
        return ()
