"""Control instructions and calls: blocks, loops, branches, ``br_table``, returns, ``call`` and ``call_indirect``."""

from __future__ import annotations

from .core import (
    DISPATCH, EXPR, SLOT, FunctionLowering, MAX_DEPTH, MAX_TEXT, _BLOCK, _FUNC, _Frame, _IF, _LOOP, memory_local,
)


def _block_arity(blocks, pc):
    info = blocks[pc]
    return info, len(info.type.params), len(info.type.results)


def _enter(low: FunctionLowering, kind: int, pc: int, blocks) -> _Frame:
    info, n_params, n_results = _block_arity(blocks, pc)
    # Every entry below the block is forced (a conditional path inside must not
    # be the one that assigns it); the parameters go to their canonical slots.
    low.flush_all()
    for pos in range(info.height, len(low.stack)):
        low._assign(pos)
    frame = _Frame(kind, pc, info.height, n_params, n_results, info.else_pc, info.end_pc)
    frame.in_flat = low.flat
    low.frames.append(frame)
    if pc in low.islands and not low.flat:
        _open_island(low, frame)
    return frame


def _open_island(low: FunctionLowering, frame: _Frame) -> None:
    """Start a flat island rooted at ``frame``: one dispatch loop inside structured code.

    The island's regions are collected apart and emitted as a binary dispatch
    tree inside ``while True:`` when the root ends. Leaving the root is a
    ``break`` of that loop; branches to frames outside use the ``_br`` protocol.
    """
    label = low.new_label()
    frame.island = True
    frame.in_flat = True
    frame.pyloop = True
    low.pydepth += 1
    frame.pydepth = low.pydepth
    low.out.line(f"_pc = {label}")
    low.out.open("while True:")
    low.island_saved = (low.out, low.regions)
    low.regions = {}
    low.out = low.regions.setdefault(label, low.new_out())
    low.flat = True
    frame.start_label = label


def _close_island(low: FunctionLowering, frame: _Frame, fall: bool) -> None:
    if fall:
        low.out.line("break")
    if frame.kind != _LOOP and frame.end_label >= 0 and frame.end_label in low.label_used:
        low.regions.setdefault(frame.end_label, low.new_out()).line("break")
    saved_out, saved_regions = low.island_saved
    low._emit_tree(saved_out, sorted(low.regions))
    saved_out.close()
    low.out = saved_out
    low.regions = saved_regions
    low.island_saved = None
    low.flat = False
    low.pydepth -= 1


def _lower_block(low, code, imm, pc, offset, blocks):
    low.out.comment(f"# wasm@0x{offset:x} block")
    frame = _enter(low, _BLOCK, pc, blocks)
    if pc in low.targeted:
        if low.flat:
            frame.end_label = low.new_label()
        elif pc in low.elided:
            low.pending_exit[low.elided[pc]] = frame
        else:
            frame.pyloop = True
            low.pydepth += 1
            frame.pydepth = low.pydepth
            low.out.open("while True:")


def _lower_loop(low, code, imm, pc, offset, blocks):
    frame = _enter(low, _LOOP, pc, blocks)
    if frame.island:
        # The island's first region is the loop head.
        low.out.comment(f"# wasm@0x{offset:x} loop (flat island)")
        exiting = low.pending_exit.pop(pc, None)
        if exiting is not None:
            exiting.exit_frame = frame
    elif pc in low.targeted:
        if low.flat:
            frame.start_label = low.new_label()
            low.start_region(frame.start_label)
            low.out.comment(f"# wasm@0x{offset:x} loop")
        else:
            low.out.comment(f"# wasm@0x{offset:x} loop")
            frame.pyloop = True
            low.pydepth += 1
            frame.pydepth = low.pydepth
            low.out.open("while True:")
            exiting = low.pending_exit.pop(pc, None)
            if exiting is not None:
                exiting.exit_frame = frame
    else:
        low.out.comment(f"# wasm@0x{offset:x} loop (no back edge)")


def _lower_if(low, code, imm, pc, offset, blocks):
    low.out.comment(f"# wasm@0x{offset:x} if")
    cond = low.stack.pop()
    if cond[3] > MAX_DEPTH or len(cond[0]) > MAX_TEXT:
        low.stack.append(cond)
        low.materialize(len(low.stack) - 1)
        cond = low.stack.pop()
    frame = _enter(low, _IF, pc, blocks)
    text = cond[0]
    if low.flat:
        if frame.else_pc >= 0:
            frame.else_label = low.new_label()
        frame.end_label = low.new_label()
        low.out.open(f"if not {text}:")
        low.jump(frame.else_label if frame.else_pc >= 0 else frame.end_label)
        low.out.close()
        return
    if pc in low.targeted:
        frame.pyloop = True
        low.pydepth += 1
        frame.pydepth = low.pydepth
        low.out.open("while True:")
    low.out.open(f"if {text}:")


def _lower_else(low, code, imm, pc, offset, blocks):
    frame = low.frames[-1]
    if low.reachable:
        for pos in range(frame.height, len(low.stack)):
            low.materialize(pos)
    frame.then_fall = low.reachable
    frame.else_seen = True
    del low.stack[frame.height :]
    if low.pending_sites:
        low.drop_stale_sites()
    for i in range(frame.n_params):
        low.push_slot()
    if low.flat:
        if low.reachable:
            low.jump(frame.end_label)
        low.reachable = False
        low.start_region(frame.else_label)
        low.reachable = True
        low.out.comment(f"# wasm@0x{offset:x} else")
        return
    low.out.close()
    low.out.open("else:")
    low.out.comment(f"# wasm@0x{offset:x} else")
    low.reachable = True


def _lower_end(low, code, imm, pc, offset, blocks):
    frame = low.frames.pop()
    if frame.kind == _FUNC:
        if low.reachable:
            low.emit_return()
        low.frames.append(frame)
        return
    fall = low.reachable
    if fall:
        for pos in range(frame.height, len(low.stack)):
            low.materialize(pos)
    del low.stack[frame.height :]
    if low.pending_sites:
        low.drop_stale_sites()
    if frame.catches is not None:
        low.frames.append(frame)  # branches from its handlers leave its Python loop too
        close_try(low, frame)
        low.frames.pop()
    elif frame.legacy is not None:
        frame.legacy.close(low, imm if code == 0x18 else None)
    for i in range(frame.n_results):
        low.push_slot()
    if frame.kind == _IF:
        fall_any = fall or frame.then_fall or not frame.else_seen
    else:
        fall_any = fall
    if frame.island:
        _close_island(low, frame, fall)
        low.out.comment(f"# wasm@0x{offset:x} end (flat island)")
        _after_python_loop(low, frame)
        low.reachable = fall_any or (frame.branched and frame.kind != _LOOP)
        return
    if low.flat:
        if frame.kind == _IF:
            if not frame.else_seen:
                low.label_used.add(frame.end_label)
            low.reachable = fall
            low.start_region(frame.end_label)
            low.out.comment(f"# wasm@0x{offset:x} end if")
        elif frame.kind == _BLOCK and frame.end_label >= 0:
            low.reachable = fall
            low.start_region(frame.end_label)
            low.out.comment(f"# wasm@0x{offset:x} end block")
        else:
            low.reachable = fall
        return
    if frame.kind == _IF:
        low.out.close()
    if frame.pyloop:
        if fall_any:
            low.out.line("break")
        low.out.close()
        low.pydepth -= 1
    low.out.comment(f"# wasm@0x{offset:x} end")
    after = fall_any or (frame.branched and frame.kind != _LOOP)
    _after_python_loop(low, frame)
    low.reachable = after


def close_try(low, frame: _Frame) -> None:
    """End a ``try_table``'s ``try:`` with its handlers: each matching clause branches to its label."""
    out = low.out
    out.close()
    out.open("except _WasmException as _e:")
    pass_on_delegated(low)
    reload_memories(low)  # a call that threw may have grown a memory
    for kind, tag, target in frame.catches:
        if kind < 2:
            out.open(f"if _e.tag is _tag{tag}:")
        names = [f"s{target.height + i}" for i in range(target.label_arity)]
        payload = names[:-1] if kind & 1 else names
        if payload:
            out.line(", ".join(payload) + ("," if len(payload) == 1 else "") + " = _e.payload")
        if kind & 1:
            out.line(f"{names[-1]} = _e")
        for name in names:
            low.stack.append((name, SLOT, None, 0))
        low.emit_branch(target)
        if names:
            del low.stack[-len(names) :]
        if kind < 2:
            out.close()
        else:
            break  # catch_all: later clauses never run
    else:
        out.line("raise")
    out.close()


def reload_memories(low) -> None:
    """Re-read each memory's bytearray into its local (after code that may have grown a memory)."""
    for memory_index in low.memory_indexes:
        low.out.line(f"{memory_local(memory_index)} = _mem{memory_index}.data")


def pass_on_delegated(low) -> None:
    """In a function with a legacy ``delegate``: a handler first passes on an exception delegated past it."""
    if low.has_delegate:
        low.out.open("if _e.delegate:")
        low.out.line("_e.delegate -= 1")
        low.out.line("raise")
        low.out.close()


def _after_python_loop(low, frame: _Frame) -> None:
    """After a Python loop exits: pass on a pending multi-level branch (``_br``)."""
    if frame.check_after:
        low.out.open("if _br:")
        if frame.cont_check:
            low.out.open("if _br == 1:")
            low.out.line("_br = 0")
            low.out.line("continue")
            low.out.close()
        low.out.line("_br -= 2")
        low.out.line("break")
        low.out.close()


def _lower_br(low, code, imm, pc, offset, blocks):
    low.out.comment(f"# wasm@0x{offset:x} br {imm}")
    # The moves evaluate the branch values in order; a move writes only slots
    # below the value it reads, so nothing above needs forcing.
    low.flush_below(low.label_frame(imm).label_arity)
    low.emit_branch(low.label_frame(imm))
    low.reachable = False


def _lower_br_if(low, code, imm, pc, offset, blocks):
    low.out.comment(f"# wasm@0x{offset:x} br_if {imm}")
    cond = low.take(1)[0]
    low.flush()
    low.out.open(f"if {cond[0]}:")
    low.emit_branch(low.label_frame(imm))
    low.out.close()


def _lower_br_table(low, code, imm, pc, offset, blocks):
    low.out.comment(f"# wasm@0x{offset:x} br_table")
    if low.stack[-1][1] >= EXPR:
        low.materialize(len(low.stack) - 1)
    index = low.stack.pop()[0]
    low.flush()
    depths = imm
    table = depths[:-1]
    frames = [low.label_frame(d) for d in depths]
    distinct: list[_Frame] = []
    case_of: dict[int, int] = {}
    for frame in frames:
        if id(frame) not in case_of:
            case_of[id(frame)] = len(distinct)
            distinct.append(frame)
    low.reachable = False
    if len(distinct) == 1:
        low.emit_branch(distinct[0])
        return
    # The direct label lookup cannot tell a loop target (which costs fuel) from another.
    metered_loop = low.fuel and any(f.kind == _LOOP for f in distinct)
    if low.flat and not metered_loop and all(f.kind != _FUNC and f.in_flat for f in distinct):
        arity = distinct[0].label_arity
        if arity == 0 or all(f.height == distinct[0].height for f in distinct):
            low.move_to(distinct[0])
            labels = []
            for frame in frames:
                frame.branched = True
                label = frame.start_label if frame.kind == _LOOP else frame.end_label
                low.label_used.add(label)
                labels.append(label)
            low.out.line(f"_pc = {_tuple_text(labels[:-1])}[{index}] if {index} < {len(table)} else {labels[-1]}")
            low.out.line("continue")
            return
    cases = [case_of[id(low.label_frame(d))] for d in table]
    default_case = case_of[id(frames[-1])]
    low.out.line(f"_c = {_tuple_text(cases)}[{index}] if {index} < {len(table)} else {default_case}")

    def tree(lo, hi):
        if hi - lo == 1:
            low.emit_branch(distinct[lo])
            return
        mid = (lo + hi) // 2
        low.out.open(f"if _c < {mid}:")
        tree(lo, mid)
        low.out.close()
        low.out.open("else:")
        tree(mid, hi)
        low.out.close()

    tree(0, len(distinct))


def _tuple_text(items) -> str:
    if len(items) == 1:
        return f"({items[0]},)"
    return "(" + ", ".join(str(i) for i in items) + ")"


def _lower_return(low, code, imm, pc, offset, blocks):
    low.flush_below(len(low.info.type.results))
    low.emit_return()
    low.reachable = False


def _lower_unreachable(low, code, imm, pc, offset, blocks):
    low.flush()
    low.out.line(low.site("raise _Trap(_TK_UNREACHABLE)", offset))
    low.reachable = False


def _lower_nop(low, code, imm, pc, offset, blocks):
    pass




def _finish_call(low, call_text: str, n_results: int) -> None:
    if n_results == 0:
        low.out.line(call_text)
    elif n_results == 1:
        name = f"s{len(low.stack)}"
        low.out.line(f"{name} = {call_text}")
        low.push_slot()
    else:
        base = len(low.stack)
        names = ", ".join(f"s{base + i}" for i in range(n_results))
        low.out.line(f"{names} = {call_text}")
        for _ in range(n_results):
            low.push_slot()
    for memory_index in low.memory_indexes:  # the callee may have grown a memory into a new bytearray
        low.out.line(f"{memory_local(memory_index)} = _mem{memory_index}.data")


def _lower_call(low, code, imm, pc, offset, blocks):
    ftype = low.func_types[imm]
    if imm >= low.num_imported and not low.fuel and _inline_leaf(low, imm, len(ftype.params)):
        return
    args = low.take(len(ftype.params))
    low.flush()
    # An imported function is called through its Function object: its
    # ``call`` may still be a lazy stub of another instance when this instance
    # is bound, and is replaced by the compiled function on first use.
    callee = f"_F{imm}.call" if imm < low.num_imported else f"_f{imm}"
    text = f"{callee}(" + ", ".join(low.val(a) for a in args) + ")"
    _finish_call(low, low.site(text, offset), len(ftype.results))


# A defined function whose body is one pure expression of its parameters (constants, local.get of a
# parameter, numeric operators that cannot trap) is lowered in place of a call to it: what its body
# computes is what any implementation of it (interpreted, compiled) returns, it cannot trap, and it
# touches no state, so only the call's cost goes. Not under fuel metering, which charges calls.
MAX_INLINE_OPS = 16


def _leaf_body(low, func_index: int):
    return pure_leaf(low.functions, low.num_imported, func_index)


def pure_leaf(functions, num_imported: int, func_index: int):
    """The body of defined function ``func_index`` if it is a pure expression of its parameters, else None.

    ``functions`` is every defined function's FunctionInfo; a call of such a function is lowered in place.
    """
    from .numeric import PURE_NUMERIC

    local_index = func_index - num_imported
    if local_index >= len(functions):
        return None
    info = functions[local_index]
    body = info.body
    ops = body.ops
    if len(ops) > MAX_INLINE_OPS or len(info.type.results) != 1 or len(info.local_types) != len(info.type.params):
        return None
    if ops[-1] != 0x0B or not all(code == 0x20 or code in PURE_NUMERIC for code in ops[:-1]):
        return None
    return body


def _inline_leaf(low, func_index: int, n_params: int) -> bool:
    body = _leaf_body(low, func_index)
    if body is None:
        return False
    # The arguments become the callee's parameters: entries without effects, so that reading a
    # parameter twice reads one value, and the callee's operators see them as they see locals.
    stack = low.stack
    for pos in range(len(stack) - n_params, len(stack)):
        if stack[pos][1] >= EXPR:
            low.materialize(pos)
    params = low.take(n_params)
    dispatch = DISPATCH
    ops = body.ops
    imms = body.imms
    offsets = body.offsets
    for pc in range(len(ops) - 1):
        code = ops[pc]
        if code == 0x20:
            low.push(*params[imms[pc]])
        else:
            dispatch[code](low, code, imms[pc], pc, offsets[pc], None)
    return True


def _lower_call_indirect(low, code, imm, pc, offset, blocks):
    type_index, table_index = imm
    ftype = low.types[type_index]
    n = len(ftype.params)
    # The callee is looked up before the arguments are evaluated in Python, so
    # the arguments (pushed earlier in wasm) are forced first.
    low.materialize(len(low.stack) - 1)
    index = low.stack.pop()[0]
    low.flush()
    args = low.take(n)
    text = f"_call_indirect(_t{table_index}, {index}, _ty{type_index})(" + ", ".join(low.val(a) for a in args) + ")"
    _finish_call(low, low.site(text, offset), len(ftype.results))


def _tail_call(low, callee: str, args: list) -> None:
    values = ", ".join(low.val(a) for a in args)
    if len(args) == 1:
        values += ","
    low.out.line(f"return _Tail(({callee}, ({values})))")
    low.reachable = False


def _lower_return_call(low, code, imm, pc, offset, blocks):
    """``return_call``: hand the callee to the trampoline (see :mod:`pywaz.compiler._tailcall`).

    A function calling itself in structured code instead assigns its parameters and starts its
    body again (``finish`` wraps the body in ``while True:``, which re-zeroes the other locals):
    a loop, with no call at all.
    """
    low.out.comment(f"# wasm@0x{offset:x} return_call {imm}")
    args = low.take(len(low.func_types[imm].params))
    low.flush()
    if (imm == low.func_index or imm in low.tail_group) and not low.flat:
        if args:
            names = ", ".join(f"l{i}" for i in range(len(args)))
            values = ", ".join(low.val(a) for a in args)
            low.out.line(f"{names} = {values}")
        if imm != low.func_index:  # another member of this def's tail-call group (see lower_function)
            low.out.line(f"_fn = {low.tail_group[imm]}")
        low.self_tail_loop = True
        start = _Frame(_LOOP, -1, 0, 0, 0, -1, -1)  # the wrapper loop: pydepth 0, no values to move
        start.pyloop = True
        low.emit_branch(start)
        low.reachable = False
        return
    _tail_call(low, low.site(f"_F{imm}.call" if imm < low.num_imported else f"_f{imm}", offset), args)


def _lower_return_call_indirect(low, code, imm, pc, offset, blocks):
    type_index, table_index = imm
    low.out.comment(f"# wasm@0x{offset:x} return_call_indirect")
    low.materialize(len(low.stack) - 1)
    index = low.stack.pop()[0]
    low.flush()
    args = low.take(len(low.types[type_index].params))
    callee = low.site(f"_call_indirect(_t{table_index}, {index}, _ty{type_index})", offset)
    _tail_call(low, callee, args)


LOWERERS = {
    0x00: _lower_unreachable,
    0x01: _lower_nop,
    0x02: _lower_block,
    0x03: _lower_loop,
    0x04: _lower_if,
    0x05: _lower_else,
    0x0B: _lower_end,
    0x0C: _lower_br,
    0x0D: _lower_br_if,
    0x0E: _lower_br_table,
    0x0F: _lower_return,
    0x10: _lower_call,
    0x11: _lower_call_indirect,
    0x12: _lower_return_call,
    0x13: _lower_return_call_indirect,
}
