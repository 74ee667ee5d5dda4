"""Lower one validated wasm function to Python source (execution §4.4, instructions).

Enters: a :class:`~pywaz.ir.FunctionInfo` (the validator's block table, stack
heights and local types) plus the module-level facts the code needs (function
types, which globals are mutable). Leaves: a :class:`LoweredFunction` holding
the source text of one ``def`` and the float constants it refers to.

How the code is shaped (see DESIGN.md, "Lowering"):

* The operand stack exists only at compile time. Stack position ``i`` is the
  Python local ``s<i>``, wasm local ``i`` is ``l<i>`` (parameters included).
  Pushed values stay unevaluated expressions ("entries") until an operator
  consumes them or a statement forces them out; every statement first writes
  pending compound entries to their slots, bottom up, so evaluation and trap
  order are exactly wasm's. Expression depth and length are bounded.
* Structured mode: a branch target becomes ``while True:`` (``continue`` is a
  loop's back edge, ``break`` leaves a block); untargeted blocks and loops emit
  no Python construct at all. A branch out of several Python loops sets the
  small int ``_br`` (2 per loop left, +1 for "then continue") and each loop it
  crosses checks ``_br`` once after it exits.
* Flat mode, used when structured code would pass CPython's static limits
  (20 nested loops, 100 indentation levels): the body is cut into regions at
  branch targets, numbered by int labels, and one ``while True:`` dispatches on
  ``_pc`` through a binary tree of ``if _pc < N`` tests.
* ``br_table`` is a tuple lookup followed by a binary tree over its distinct
  targets (or, when no values move, a direct tuple lookup of the label).
* Fuel metering (``fuel=True``, see :mod:`pywaz.vm.fuel`): the body starts
  with ``next(_meter.fuel)``, and every taken branch to a loop label runs
  ``next(_fuel)`` after moving its values, before it jumps (a body with such
  branches starts ``_fuel = _meter.fuel; next(_fuel)`` instead). Without
  metering none of these lines exists.
"""

from __future__ import annotations

import math
import struct

from .. import opcodes as op
from ..errors import PywazError
from ..ir import EXTERNREF, F32, F64, FUNCREF, FunctionInfo
from ..numeric import f32_from_bits, f64_from_bits
from . import linetable

# Entry kinds. CONST and SLOT entries never change value while on the stack;
# LOCAL entries change when their local is written; EXPR/COND entries are
# compound (may trap, read memory or globals) and are forced out before any
# statement. A COND is a Python bool expression, used as-is by br_if/if.
CONST, LOCAL, SLOT, EXPR, COND = range(5)

# Bounds on folding: CPython allows 200 nested parentheses, and compile() is
# recursive in expression depth.
MAX_DEPTH = 24
MAX_TEXT = 400

# Static limits of structured mode (CPython: 20 nested loop/try blocks; one is
# the body's try, and fewer than 100 indentation levels).
MAX_PY_LOOPS = 17
MAX_INDENT = 80

_BLOCK, _LOOP, _IF, _FUNC = range(4)


class UnsupportedOpcode(PywazError, NotImplementedError):
    """The compiler engine cannot lower this instruction yet (SIMD in this version).

    It derives from NotImplementedError, so the spec harness counts commands
    that hit it as skipped rather than failed.
    """

    def __init__(self, opcode: int, offset: int, func_index: int):
        self.opcode = opcode
        self.offset = offset
        self.func_index = func_index
        name = op.OP_NAMES.get(opcode, hex(opcode))
        super().__init__(
            f"{name} is not supported by the compiler engine yet "
            f"(function {func_index}, byte offset {offset} (0x{offset:x}))"
        )


class LoweredFunction:
    """The output of lowering: ``source`` defines ``name``; ``consts`` maps global names to f64 bit patterns.

    ``flat`` says the whole body was lowered flat; ``islands`` counts the flat
    islands inside an otherwise structured body. ``line_table`` maps source
    positions back to wasm offsets (:mod:`pywaz.compiler.linetable`).
    """

    __slots__ = ("consts", "flat", "islands", "line_table", "name", "source")

    def __init__(
        self, name: str, source: str, consts: dict[str, int], flat: bool, islands: int = 0, line_table: bytes = b""
    ):
        self.name = name
        self.source = source
        self.consts = consts
        self.flat = flat
        self.islands = islands
        self.line_table = line_table


def _claim(pending: list, text: str):
    """The spans ``(first column, end column, offset)`` of the ``pending`` sites found in ``text``, or None.

    A site is the text of an instruction that can trap or call, with its byte
    offset, recorded when it is lowered. Its text is folded into later
    expressions unchanged, so the line that finally contains it is found by a
    substring search when that line is emitted; found sites leave ``pending``.
    """
    if len(pending) == 1:  # the common case
        site, offset = pending[0]
        column = text.find(site)
        if column < 0:
            return None
        pending.clear()
        return [(column, column + len(site), offset)]
    spans = []
    keep = []
    search_from: dict[str, int] = {}
    for site, offset in pending:
        column = text.find(site, search_from.get(site, 0))
        if column < 0:
            keep.append((site, offset))
        else:
            spans.append((column, column + len(site), offset))
            search_from[site] = column + 1
    if not spans:
        return None
    pending[:] = keep
    return spans


class _Out:
    """Indented source lines; ``close`` inserts ``pass`` into an empty suite.

    ``pending`` is the lowering's list of sites not emitted yet (see
    :func:`_claim`), shared by all its outputs; ``marks`` maps the index of a
    line holding sites to their spans, columns relative to the line's text
    after its indentation.
    """

    __slots__ = ("has", "level", "lines", "marks", "pending")

    def __init__(self, level: int = 0, pending: list | None = None):
        self.lines: list[str] = []
        self.marks: dict[int, list] = {}
        self.level = level
        self.has = [True]
        self.pending = pending

    def line(self, text: str) -> None:
        lines = self.lines
        lines.append("    " * self.level + text)
        if self.pending:
            spans = _claim(self.pending, text)
            if spans is not None:
                self.marks[len(lines) - 1] = spans
        self.has[-1] = True

    def comment(self, text: str) -> None:
        self.lines.append("    " * self.level + text)

    def extend(self, other: _Out, pad: str) -> None:
        """Append ``other``'s lines, indented by ``pad``."""
        base = len(self.lines)
        self.lines.extend(pad + line for line in other.lines)
        marks = self.marks
        for index, spans in other.marks.items():
            marks[base + index] = spans

    def open(self, header: str) -> None:
        self.line(header)
        self.level += 1
        self.has.append(False)

    def close(self) -> None:
        if not self.has[-1]:
            self.line("pass")
        self.has.pop()
        self.level -= 1


class _Frame:
    __slots__ = (
        "branched",
        "check_after",
        "cont_check",
        "else_label",
        "else_pc",
        "else_seen",
        "end_label",
        "end_pc",
        "exit_frame",
        "height",
        "in_flat",
        "island",
        "kind",
        "n_params",
        "n_results",
        "pc",
        "pydepth",
        "pyloop",
        "start_label",
        "then_fall",
    )

    def __init__(self, kind, pc, height, n_params, n_results, else_pc, end_pc):
        self.kind = kind
        self.pc = pc
        self.height = height
        self.n_params = n_params
        self.n_results = n_results
        self.else_pc = else_pc
        self.end_pc = end_pc
        self.pyloop = False
        self.pydepth = 0
        self.exit_frame = None
        self.check_after = False
        self.cont_check = False
        self.branched = False
        self.else_seen = False
        self.then_fall = False
        self.start_label = -1
        self.else_label = -1
        self.end_label = -1
        self.in_flat = False  # lowered in flat form: branches to it are label jumps
        self.island = False  # root of a flat island inside structured code

    @property
    def label_arity(self) -> int:
        return self.n_params if self.kind == _LOOP else self.n_results


def _float_text(value: float, consts: dict[str, int], bits: int, prefix: str) -> str:
    if value != value:
        name = f"_k{prefix}_{len(consts)}"
        consts[name] = bits
        return name
    if value == math.inf:
        return "1e309"
    if value == -math.inf:
        return "(-1e309)"
    text = repr(value)
    return f"({text})" if text.startswith("-") else text


def _zero_text(valtype: int) -> str:
    if valtype in (F32, F64):
        return "0.0"
    if valtype in (FUNCREF, EXTERNREF):
        return "None"
    return "0"


class _PrePass:
    """Branch targets, elidable blocks and the nesting the structured form would need."""

    def __init__(self, info: FunctionInfo):
        body = info.body
        ops = body.ops
        imms = body.imms
        blocks = info.blocks
        targeted: set[int] = set()
        branch_range: dict[int, list[int]] = {}
        last_child_loop: dict[int, int] = {}
        stack: list[int] = []
        for pc, code in enumerate(ops):
            if code == 0x02 or code == 0x03 or code == 0x04:
                stack.append(pc)
            elif code == 0x0B:
                if stack:
                    closed = stack.pop()
                    if ops[closed] == 0x03 and stack and blocks[stack[-1]].end_pc == pc + 1:
                        last_child_loop[stack[-1]] = closed
            elif code == 0x0C or code == 0x0D or code == 0x0E:
                depths = imms[pc] if code == 0x0E else (imms[pc],)
                for depth in depths:
                    if depth < len(stack):
                        start = stack[-1 - depth]
                        targeted.add(start)
                        found = branch_range.get(start)
                        if found is None:
                            branch_range[start] = [pc, pc]
                        else:
                            found[1] = pc
        self.targeted = targeted
        # A targeted block whose body ends with a targeted loop, and which is
        # only branched to from inside that loop, needs no Python loop of its
        # own: leaving the loop is reaching the block's end.
        elided: dict[int, int] = {}
        for start, loop_pc in last_child_loop.items():
            if start not in targeted or ops[start] != 0x02 or loop_pc not in targeted:
                continue
            if blocks[start].type.results or blocks[loop_pc].type.results:
                continue
            low, high = branch_range[start]
            if loop_pc < low and high < blocks[loop_pc].end_pc:
                elided[start] = loop_pc
        self.elided = elided
        # Nesting the structured form needs.
        max_loops = 0
        max_indent = 0
        loops = 0
        indent = 0
        nest: list[tuple[int, int]] = []
        for pc, code in enumerate(ops):
            if code == 0x02 or code == 0x03 or code == 0x04:
                add_loops = 1 if (pc in targeted and pc not in elided) else 0
                add_indent = add_loops + (1 if code == 0x04 else 0)
                loops += add_loops
                indent += add_indent
                nest.append((add_loops, add_indent))
                max_loops = max(max_loops, loops)
                max_indent = max(max_indent, indent)
            elif code == 0x0B and nest:
                add_loops, add_indent = nest.pop()
                loops -= add_loops
                indent -= add_indent
            elif code == 0x0E:
                extra = len(imms[pc]).bit_length() + 2
                max_indent = max(max_indent, indent + extra)
        self.flat = False
        self.islands: set[int] = set()
        if max_loops > MAX_PY_LOOPS or max_indent + _BASE_INDENT > MAX_INDENT:
            self._choose_islands(ops, imms, blocks, targeted, elided)
        self.uses_memory = any(code in _MEMORY_DATA_OPS for code in ops)

    def _choose_islands(self, ops, imms, blocks, targeted, elided) -> None:
        """Pick the subtrees lowered flat so the structured rest fits CPython's limits.

        Loops (hot, and cheap in structured form), ifs and blocks whose depth
        comes from a loop or an if are kept structured while there is room below
        them for an island; the outermost block of a chain of nested blocks
        whose subtree does not fit becomes a flat island (typically a C switch
        or a Go dispatch). If even that cannot fit, the whole function goes flat.
        """
        own: dict[int, tuple[int, int]] = {}
        sub: dict[int, tuple[int, int]] = {}
        chain: set[int] = set()  # blocks whose deepest child is itself a block
        stack: list[list[int]] = []
        for pc, code in enumerate(ops):
            if code == 0x02 or code == 0x03 or code == 0x04:
                loops = 1 if (pc in targeted and pc not in elided) else 0
                own[pc] = (loops, loops + (1 if code == 0x04 else 0))
                stack.append([pc, 0, 0, 0])
            elif code == 0x0B and stack:
                start, child_loops, child_indent, deepest = stack.pop()
                if deepest == 0x02:
                    chain.add(start)
                total = (own[start][0] + child_loops, own[start][1] + child_indent + 2)
                sub[start] = total
                if stack:
                    parent = stack[-1]
                    if total[0] > parent[1] or (total[0] == parent[1] and total[1] > parent[2]):
                        parent[3] = ops[start]
                    parent[1] = max(parent[1], total[0])
                    parent[2] = max(parent[2], total[1])
            elif code == 0x0E and stack:
                stack[-1][2] = max(stack[-1][2], len(imms[pc]).bit_length() + 2)
        islands = self.islands
        depth = indent = 0
        descended: list[tuple[int, int]] = []
        pc = 0
        end = len(ops)
        while pc < end:
            code = ops[pc]
            if code == 0x02 or code == 0x03 or code == 0x04:
                sub_loops, sub_indent = sub[pc]
                if depth + sub_loops <= MAX_PY_LOOPS and indent + sub_indent + _BASE_INDENT <= MAX_INDENT:
                    pc = blocks[pc].end_pc + 1
                    continue
                own_loops, own_indent = own[pc]
                if (
                    (code != 0x02 or pc not in chain)
                    and depth + own_loops + 1 <= MAX_PY_LOOPS
                    and indent + own_indent + _ISLAND_INDENT <= MAX_INDENT
                ):
                    descended.append((own_loops, own_indent))
                    depth += own_loops
                    indent += own_indent
                    pc += 1
                    continue
                if depth + 1 <= MAX_PY_LOOPS and indent + _ISLAND_INDENT <= MAX_INDENT:
                    islands.add(pc)
                    pc = blocks[pc].end_pc + 1
                    continue
                self.flat = True
                islands.clear()
                return
            if code == 0x0B and descended:
                own_loops, own_indent = descended.pop()
                depth -= own_loops
                indent -= own_indent
            pc += 1


# Indentation outside the body (def, try) and what an island needs below its
# root (its loop, the binary dispatch tree, region code).
_BASE_INDENT = 4
_ISLAND_INDENT = 28

# Instructions that read the local ``_m`` (memory 0's bytearray).
_MEMORY_DATA_OPS = frozenset(range(0x28, 0x41)) | frozenset(range(0xFD00, 0xFD0C)) | frozenset(range(0xFD54, 0xFD5E))


class FunctionLowering:
    """Lower one function. Use :func:`lower_function`."""

    def __init__(
        self,
        info: FunctionInfo,
        func_types,
        global_mutable,
        types,
        name: str,
        force_flat: bool = False,
        num_imported: int = 0,
        fuel: bool = False,
    ):
        self.num_imported = num_imported
        self.fuel = fuel
        self.fuel_back_edges = False  # whether a loop back-edge spends fuel (the body then keeps _fuel)
        self.info = info
        self.func_types = func_types
        self.global_mutable = global_mutable
        self.types = types
        self.name = name
        self.consts: dict[str, int] = {}
        self.const_prefix = str(info.func_index)
        self.stack: list[tuple] = []
        self.frames: list[_Frame] = []
        self.reachable = True
        self.pydepth = 0
        self.uses_br = False
        self.catch_index = False
        self.catch_div = False
        self.func_index = info.func_index
        pre = _PrePass(info)
        self.targeted = pre.targeted
        self.elided = pre.elided
        self.flat = pre.flat or force_flat
        self.islands = set() if self.flat else pre.islands
        self.island_saved = None  # (structured out, structured regions) while inside an island
        self.uses_memory = pre.uses_memory
        self.regions: dict[int, _Out] = {}
        self.label_count = 0
        self.label_used: set[int] = set()
        self.pending_sites: list[tuple[str, int]] = []
        self.out = self.new_out()
        if self.flat:
            self.out = self.regions.setdefault(self.new_label(), self.new_out())
        self.pending_exit: dict[int, _Frame] = {}

    def new_out(self) -> _Out:
        return _Out(0, self.pending_sites)

    def site(self, text: str, offset: int) -> str:
        """Record ``text`` as the code of the instruction at ``offset`` that can trap or call; returns it."""
        self.pending_sites.append((text, offset))
        return text

    def drop_stale_sites(self) -> None:
        """Forget sites whose text left the stack unemitted (discarded in unreachable code)."""
        pending = self.pending_sites
        if pending:
            texts = [entry[0] for entry in self.stack]
            pending[:] = [site for site in pending if any(site[0] in text for text in texts)]

    # ------------------------------------------------------------ entries

    @staticmethod
    def val(entry) -> str:
        if entry[1] == COND:
            return f"(1 if {entry[0]} else 0)"
        return entry[0]

    def push(self, text: str, kind: int = EXPR, aux=None, depth: int = 1) -> None:
        self.stack.append((text, kind, aux, depth))

    def push_slot(self) -> str:
        name = f"s{len(self.stack)}"
        self.stack.append((name, SLOT, None, 0))
        return name

    def materialize(self, pos: int) -> None:
        """Make stack position ``pos`` the slot variable ``s<pos>`` (forcing compound entries below first)."""
        entry = self.stack[pos]
        kind = entry[1]
        if kind == SLOT and entry[0] == f"s{pos}":
            return
        if kind >= EXPR:
            for below in range(pos):
                if self.stack[below][1] >= EXPR:
                    self._assign(below)
        self._assign(pos)

    def _assign(self, pos: int) -> None:
        entry = self.stack[pos]
        name = f"s{pos}"
        if not (entry[1] == SLOT and entry[0] == name):
            self.out.line(f"{name} = {self.val(entry)}")
        self.stack[pos] = (name, SLOT, None, 0)

    def flush(self) -> None:
        """Force every compound entry into its slot, bottom up (before any statement)."""
        stack = self.stack
        for pos in range(len(stack)):
            if stack[pos][1] >= EXPR:
                self._assign(pos)

    def flush_below(self, count: int) -> None:
        """Force compound entries below the top ``count`` (which the next statement evaluates in order)."""
        stack = self.stack
        for pos in range(len(stack) - count):
            if stack[pos][1] >= EXPR:
                self._assign(pos)

    def flush_local(self, index: int) -> None:
        for pos, entry in enumerate(self.stack):
            if entry[1] == LOCAL and entry[2] == index:
                self._assign(pos)

    def flush_all(self, keep_consts: bool = True) -> None:
        """Force every entry that is not a constant (or slot) into its slot."""
        self.flush()
        for pos, entry in enumerate(self.stack):
            if entry[1] == LOCAL or (not keep_consts and entry[1] == CONST):
                self._assign(pos)

    def take(self, count: int) -> list:
        """Pop ``count`` operands, forcing ones too deep or long to fold."""
        stack = self.stack
        base = len(stack) - count
        for pos in range(base, len(stack)):
            entry = stack[pos]
            if entry[3] > MAX_DEPTH or len(entry[0]) > MAX_TEXT:
                self.materialize(pos)
        operands = stack[base:]
        del stack[base:]
        return operands

    # ------------------------------------------------------------ labels (flat mode)

    def new_label(self) -> int:
        label = self.label_count
        self.label_count += 1
        return label

    def jump(self, label: int) -> None:
        self.out.line(f"_pc = {label}")
        self.out.line("continue")
        self.label_used.add(label)

    def start_region(self, label: int) -> None:
        if self.reachable:
            self.jump(label)
        self.out = self.regions.setdefault(label, self.new_out())
        self.reachable = self.reachable or label in self.label_used

    # ------------------------------------------------------------ branches

    def move_to(self, frame: _Frame) -> None:
        """Copy the top label-arity values into the target's slots."""
        arity = frame.label_arity
        if not arity:
            return
        base = len(self.stack) - arity
        for i in range(arity):
            entry = self.stack[base + i]
            target = f"s{frame.height + i}"
            if entry[0] != target:
                self.out.line(f"{target} = {self.val(entry)}")

    def emit_return(self) -> None:
        n = len(self.info.type.results)
        if n == 0:
            self.out.line("return")
        elif n == 1:
            self.out.line(f"return {self.val(self.stack[-1])}")
        else:
            values = ", ".join(self.val(e) for e in self.stack[-n:])
            self.out.line(f"return ({values})")

    def emit_branch(self, frame: _Frame) -> None:
        """Move values and transfer control to ``frame``'s label (values already forced)."""
        if frame.kind == _FUNC:
            self.emit_return()
            return
        self.move_to(frame)
        frame.branched = True
        if self.fuel and frame.kind == _LOOP:
            self.out.line("next(_fuel)")  # a loop back-edge costs one unit (see pywaz.vm.fuel)
            self.fuel_back_edges = True
        if frame.in_flat:
            if frame.kind == _LOOP:
                self.jump(frame.start_label)
            elif frame.island:
                self.out.line("break")  # leaving the island's root is leaving its loop
            else:
                self.jump(frame.end_label)
            return
        # Structured target (possibly from inside an island, whose dispatch
        # loop is the innermost Python loop here).
        cont = frame.kind == _LOOP
        target = frame if frame.pyloop else frame.exit_frame
        x = target.pydepth
        d = self.pydepth
        if d == x:
            self.out.line("continue" if cont else "break")
            return
        for f in self.frames:
            if f.pyloop and x < f.pydepth <= d:
                f.check_after = True
                if cont and f.pydepth == x + 1:
                    f.cont_check = True
        self.uses_br = True
        self.out.line(f"_br = {2 * (d - x - 1) + 1 if cont else 2 * (d - x)}")
        self.out.line("break")

    def label_frame(self, depth: int) -> _Frame:
        return self.frames[-1 - depth]

    # ------------------------------------------------------------ main loop

    def lower(self) -> LoweredFunction:
        info = self.info
        body = info.body
        ops = body.ops
        imms = body.imms
        offsets = body.offsets
        blocks = info.blocks
        n_results = len(info.type.results)
        func_frame = _Frame(_FUNC, -1, 0, 0, n_results, -1, len(ops) - 1)
        self.frames.append(func_frame)
        self.out.comment(f"# wasm@0x{body.offset:x} function {info.func_index}")
        pc = 0
        end = len(ops)
        dispatch = _DISPATCH
        while pc < end:
            if not self.reachable:
                frame = self.frames[-1]
                if frame.kind == _IF and not frame.else_seen and frame.else_pc >= 0 and pc <= frame.else_pc:
                    pc = frame.else_pc
                else:
                    pc = frame.end_pc
            code = ops[pc]
            handler = dispatch.get(code)
            if handler is None:
                raise UnsupportedOpcode(code, offsets[pc], info.func_index)
            handler(self, code, imms[pc], pc, offsets[pc], blocks)
            pc += 1
        return self.finish()

    # ------------------------------------------------------------ assembling

    def finish(self) -> LoweredFunction:
        info = self.info
        n_params = len(info.type.params)
        params = ", ".join(f"l{i}" for i in range(n_params))
        head = _Out()
        head.open(f"def {self.name}({params}):")
        if self.fuel_back_edges:
            head.line("_fuel = _meter.fuel")
            head.line("next(_fuel)")  # entering a function costs one unit
        elif self.fuel:
            head.line("next(_meter.fuel)")  # entering a function costs one unit
        by_zero: dict[str, list[str]] = {}
        for i in range(n_params, len(info.local_types)):
            by_zero.setdefault(_zero_text(info.local_types[i]), []).append(f"l{i}")
        for zero, names in by_zero.items():
            for start in range(0, len(names), 64):
                head.line(" = ".join(names[start : start + 64]) + f" = {zero}")
        if self.uses_memory:
            head.line("_m = _mem0.data")
        if self.uses_br:
            head.line("_br = 0")
        if self.flat:
            head.line("_pc = 0")
        guarded = self.catch_index or self.catch_div
        if guarded:
            head.open("try:")
        level = head.level
        if self.flat:
            head.open("while True:")
            self._emit_tree(head, sorted(self.regions))
            head.close()
        else:
            head.extend(self.out, "    " * level)
            head.has[-1] = True
        if guarded:
            head.close()
            if self.catch_index:
                head.open("except (IndexError, _StructError):")
                head.line("_trap_oob_memory()")
                head.close()
            if self.catch_div:
                head.open("except ZeroDivisionError:")
                head.line("_trap_div_zero()")
                head.close()
        head.close()
        source = "\n".join(head.lines) + "\n"
        return LoweredFunction(self.name, source, self.consts, self.flat, len(self.islands), _line_table(head))

    def _emit_tree(self, out: _Out, labels: list[int]) -> None:
        if len(labels) == 1:
            region = self.regions[labels[0]]
            out.extend(region, "    " * out.level)
            if any(not line.lstrip().startswith("#") for line in region.lines):
                out.has[-1] = True
            return
        mid = len(labels) // 2
        out.open(f"if _pc < {labels[mid]}:")
        self._emit_tree(out, labels[:mid])
        out.close()
        out.open("else:")
        self._emit_tree(out, labels[mid:])
        out.close()


def _line_table(out: _Out) -> bytes:
    """The line table of the assembled function ``out`` (line numbers from 1, absolute columns)."""
    records = []
    lines = out.lines
    for index in sorted(out.marks):
        line = lines[index]
        indent = len(line) - len(line.lstrip(" "))
        records.append((index + 1, [(indent + a, indent + b, offset) for a, b, offset in out.marks[index]]))
    return linetable.encode(records)


# ---------------------------------------------------------------- control


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


# ---------------------------------------------------------------- calls


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
    if low.uses_memory:
        low.out.line("_m = _mem0.data")


def _lower_call(low, code, imm, pc, offset, blocks):
    ftype = low.func_types[imm]
    args = low.take(len(ftype.params))
    low.flush()
    # An imported function is called through its Function object: its
    # ``call`` may still be a lazy stub of another instance when this instance
    # is bound, and is replaced by the compiled function on first use.
    callee = f"_F{imm}.call" if imm < low.num_imported else f"_f{imm}"
    text = f"{callee}(" + ", ".join(low.val(a) for a in args) + ")"
    _finish_call(low, low.site(text, offset), len(ftype.results))


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


# ---------------------------------------------------------------- parametric / variables


def _lower_drop(low, code, imm, pc, offset, blocks):
    entry = low.stack.pop()
    if entry[1] >= EXPR:
        low.flush()
        low.out.line(low.val(entry) if entry[1] != COND else entry[0])


def _lower_select(low, code, imm, pc, offset, blocks):
    # Python's conditional expression evaluates only one arm, so both arms are
    # made side-effect free first; the condition (pushed last) is evaluated last.
    top = len(low.stack)
    for pos in (top - 3, top - 2):
        if low.stack[pos][1] >= EXPR:
            low.materialize(pos)
    a, b, c = low.take(3)
    low.push(f"({low.val(a)} if {c[0]} else {low.val(b)})", EXPR, None, max(a[3], b[3], c[3]) + 1)


def _lower_local_get(low, code, imm, pc, offset, blocks):
    low.push(f"l{imm}", LOCAL, imm, 0)


def _lower_local_set(low, code, imm, pc, offset, blocks):
    value = low.take(1)[0]
    low.flush()
    low.flush_local(imm)
    low.out.line(f"l{imm} = {low.val(value)}")


def _lower_local_tee(low, code, imm, pc, offset, blocks):
    _lower_local_set(low, code, imm, pc, offset, blocks)
    low.push(f"l{imm}", LOCAL, imm, 0)


def _lower_global_get(low, code, imm, pc, offset, blocks):
    if low.global_mutable[imm]:
        low.push(f"_g{imm}.value", EXPR, None, 1)
    else:
        low.push(f"_g{imm}", CONST, None, 0)


def _lower_global_set(low, code, imm, pc, offset, blocks):
    value = low.take(1)[0]
    low.flush()
    low.out.line(f"_g{imm}.value = {low.val(value)}")


# ---------------------------------------------------------------- tables and references


def _lower_table_get(low, code, imm, pc, offset, blocks):
    (index,) = low.take(1)
    low.push(low.site(f"_table_get(_t{imm}, {low.val(index)})", offset), EXPR, None, index[3] + 1)


def _lower_table_set(low, code, imm, pc, offset, blocks):
    index, value = low.take(2)
    low.flush()
    low.out.line(low.site(f"_table_set(_t{imm}, {low.val(index)}, {low.val(value)})", offset))


def _lower_table_size(low, code, imm, pc, offset, blocks):
    low.push(f"len(_t{imm}.elements)", EXPR, None, 1)


def _lower_table_grow(low, code, imm, pc, offset, blocks):
    value, delta = low.take(2)
    low.flush()
    name = f"s{len(low.stack)}"
    low.out.line(f"{name} = _table_grow(_t{imm}, {low.val(value)}, {low.val(delta)})")
    low.push_slot()


def _statement(template: str, count: int):
    def lower(low, code, imm, pc, offset, blocks):
        args = [low.val(e) for e in low.take(count)]
        low.flush()
        if isinstance(imm, tuple):
            text = template.format(*args, imm=imm, i0=imm[0], i1=imm[1])
        else:
            text = template.format(*args, imm=imm)
        low.out.line(low.site(text, offset))

    return lower


def _lower_ref_null(low, code, imm, pc, offset, blocks):
    low.push("None", CONST, None, 0)


def _lower_ref_is_null(low, code, imm, pc, offset, blocks):
    (value,) = low.take(1)
    low.push(f"({low.val(value)} is None)", COND, None, value[3] + 1)


def _lower_ref_func(low, code, imm, pc, offset, blocks):
    low.push(f"_F{imm}", CONST, None, 0)


# ---------------------------------------------------------------- memory

_LOADS = {
    0x28: "_ld_u32(_m, {a})[0]",
    0x29: "_ld_u64(_m, {a})[0]",
    0x2A: "_f32_load(_m, {a})",
    0x2B: "_ld_f64(_m, {a})[0]",
    0x2C: "(_ld_s8(_m, {a})[0] & 0xFFFFFFFF)",
    0x2D: "_m[{a}]",
    0x2E: "(_ld_s16(_m, {a})[0] & 0xFFFFFFFF)",
    0x2F: "_ld_u16(_m, {a})[0]",
    0x30: "(_ld_s8(_m, {a})[0] & 0xFFFFFFFFFFFFFFFF)",
    0x31: "_m[{a}]",
    0x32: "(_ld_s16(_m, {a})[0] & 0xFFFFFFFFFFFFFFFF)",
    0x33: "_ld_u16(_m, {a})[0]",
    0x34: "(_ld_s32(_m, {a})[0] & 0xFFFFFFFFFFFFFFFF)",
    0x35: "_ld_u32(_m, {a})[0]",
}

_STORES = {
    0x36: "_st_u32(_m, {a}, {v})",
    0x37: "_st_u64(_m, {a}, {v})",
    0x38: "_f32_store(_m, {a}, {v})",
    0x39: "_st_f64(_m, {a}, {v})",
    0x3A: "_m[{a}] = {v} & 0xFF",
    0x3B: "_st_u16(_m, {a}, {v} & 0xFFFF)",
    0x3C: "_m[{a}] = {v} & 0xFF",
    0x3D: "_st_u16(_m, {a}, {v} & 0xFFFF)",
    0x3E: "_st_u32(_m, {a}, {v} & 0xFFFFFFFF)",
}


def _address(entry, offset: int) -> str:
    # The effective address is the unsigned base plus the offset: never
    # negative, so Python's negative indexing cannot leak through.
    if entry[1] == CONST and entry[0].isdigit():
        return str(int(entry[0]) + offset)
    if offset:
        return f"{entry[0]} + {offset}"
    return entry[0]


def _lower_load(low, code, imm, pc, offset, blocks):
    (address,) = low.take(1)
    low.uses_memory = True
    low.catch_index = True
    address = (low.val(address), address[1], None, address[3])
    text = _LOADS[code].format(a=_address(address, imm[1]))
    low.push(low.site(text, offset), EXPR, None, address[3] + 2)


def _lower_store(low, code, imm, pc, offset, blocks):
    low.uses_memory = True
    low.catch_index = True
    template = _STORES[code]
    if template.startswith("_m["):
        # Python evaluates an assignment's value before its subscript: when
        # the value can trap or has effects, the address (pushed first in
        # wasm) is computed first.
        pos = len(low.stack) - 2
        if low.stack[pos][1] >= EXPR and low.stack[pos + 1][1] >= EXPR:
            low.materialize(pos)
    address, value = low.take(2)
    low.flush()
    address = (low.val(address), address[1], None, address[3])
    value_text = low.val(value)
    constant = _int_const(value)
    if constant is not None and template.endswith("& 0xFF") and constant <= 0xFF:
        template = template[: -len(" & 0xFF")]
    # Every entry text is atomic (a name, literal, call, subscript or
    # parenthesised), so "{v} & 0xFF" needs no extra parentheses.
    low.out.line(low.site(template.format(a=_address(address, imm[1]), v=value_text), offset))


def _lower_memory_size(low, code, imm, pc, offset, blocks):
    low.uses_memory = True
    low.push("(len(_m) >> 16)", EXPR, None, 1)


def _lower_memory_grow(low, code, imm, pc, offset, blocks):
    low.uses_memory = True
    (delta,) = low.take(1)
    low.flush()
    name = f"s{len(low.stack)}"
    low.out.line(f"{name} = _memory_grow(_mem0, {low.val(delta)})")
    low.out.line("_m = _mem0.data")
    low.push_slot()


# ---------------------------------------------------------------- constants


def _lower_i_const(low, code, imm, pc, offset, blocks):
    low.push(str(imm), CONST, None, 0)


def _lower_f32_const(low, code, imm, pc, offset, blocks):
    value = f32_from_bits(imm)
    bits = struct.unpack("<Q", struct.pack("<d", value))[0]
    low.push(_float_text(value, low.consts, bits, low.const_prefix), CONST, None, 0)


def _lower_f64_const(low, code, imm, pc, offset, blocks):
    value = f64_from_bits(imm)
    low.push(_float_text(value, low.consts, imm, low.const_prefix), CONST, None, 0)


def _lower_v128_const(low, code, imm, pc, offset, blocks):
    low.push(str(imm), CONST, None, 0)


# ---------------------------------------------------------------- numeric templates
# {a}/{b} are operand texts. Signed views use the xor trick: (x ^ 2**31) - 2**31
# maps an unsigned i32 to its two's-complement value, and comparing x ^ 2**31
# orders unsigned values as signed ones.

_S32 = "(({x} ^ 0x80000000) - 0x80000000)"
_S64 = "(({x} ^ 0x8000000000000000) - 0x8000000000000000)"

_BINARY = {
    # i32 comparisons (COND)
    0x46: ("({a} == {b})", COND),
    0x47: ("({a} != {b})", COND),
    0x48: ("(({a} ^ 0x80000000) < ({b} ^ 0x80000000))", COND),
    0x49: ("({a} < {b})", COND),
    0x4A: ("(({a} ^ 0x80000000) > ({b} ^ 0x80000000))", COND),
    0x4B: ("({a} > {b})", COND),
    0x4C: ("(({a} ^ 0x80000000) <= ({b} ^ 0x80000000))", COND),
    0x4D: ("({a} <= {b})", COND),
    0x4E: ("(({a} ^ 0x80000000) >= ({b} ^ 0x80000000))", COND),
    0x4F: ("({a} >= {b})", COND),
    # i64 comparisons
    0x51: ("({a} == {b})", COND),
    0x52: ("({a} != {b})", COND),
    0x53: ("(({a} ^ 0x8000000000000000) < ({b} ^ 0x8000000000000000))", COND),
    0x54: ("({a} < {b})", COND),
    0x55: ("(({a} ^ 0x8000000000000000) > ({b} ^ 0x8000000000000000))", COND),
    0x56: ("({a} > {b})", COND),
    0x57: ("(({a} ^ 0x8000000000000000) <= ({b} ^ 0x8000000000000000))", COND),
    0x58: ("({a} <= {b})", COND),
    0x59: ("(({a} ^ 0x8000000000000000) >= ({b} ^ 0x8000000000000000))", COND),
    0x5A: ("({a} >= {b})", COND),
    # float comparisons: Python's float comparisons are IEEE's (NaN unordered)
    0x5B: ("({a} == {b})", COND),
    0x5C: ("({a} != {b})", COND),
    0x5D: ("({a} < {b})", COND),
    0x5E: ("({a} > {b})", COND),
    0x5F: ("({a} <= {b})", COND),
    0x60: ("({a} >= {b})", COND),
    0x61: ("({a} == {b})", COND),
    0x62: ("({a} != {b})", COND),
    0x63: ("({a} < {b})", COND),
    0x64: ("({a} > {b})", COND),
    0x65: ("({a} <= {b})", COND),
    0x66: ("({a} >= {b})", COND),
    # i32 arithmetic
    0x6A: ("(({a} + {b}) & 0xFFFFFFFF)", EXPR),
    0x6B: ("(({a} - {b}) & 0xFFFFFFFF)", EXPR),
    0x6C: ("(({a} * {b}) & 0xFFFFFFFF)", EXPR),
    0x6D: ("_i32_div_s({a}, {b})", EXPR),
    0x6E: ("({a} // {b})", EXPR),
    0x6F: ("_i32_rem_s({a}, {b})", EXPR),
    0x70: ("({a} % {b})", EXPR),
    0x71: ("({a} & {b})", EXPR),
    0x72: ("({a} | {b})", EXPR),
    0x73: ("({a} ^ {b})", EXPR),
    0x74: ("(({a} << ({b} & 31)) & 0xFFFFFFFF)", EXPR),
    0x75: ("((" + _S32.format(x="{a}") + " >> ({b} & 31)) & 0xFFFFFFFF)", EXPR),
    0x76: ("({a} >> ({b} & 31))", EXPR),
    0x77: ("_rotl32({a}, {b})", EXPR),
    0x78: ("_rotr32({a}, {b})", EXPR),
    # i64 arithmetic
    0x7C: ("(({a} + {b}) & 0xFFFFFFFFFFFFFFFF)", EXPR),
    0x7D: ("(({a} - {b}) & 0xFFFFFFFFFFFFFFFF)", EXPR),
    0x7E: ("(({a} * {b}) & 0xFFFFFFFFFFFFFFFF)", EXPR),
    0x7F: ("_i64_div_s({a}, {b})", EXPR),
    0x80: ("({a} // {b})", EXPR),
    0x81: ("_i64_rem_s({a}, {b})", EXPR),
    0x82: ("({a} % {b})", EXPR),
    0x83: ("({a} & {b})", EXPR),
    0x84: ("({a} | {b})", EXPR),
    0x85: ("({a} ^ {b})", EXPR),
    0x86: ("(({a} << ({b} & 63)) & 0xFFFFFFFFFFFFFFFF)", EXPR),
    0x87: ("((" + _S64.format(x="{a}") + " >> ({b} & 63)) & 0xFFFFFFFFFFFFFFFF)", EXPR),
    0x88: ("({a} >> ({b} & 63))", EXPR),
    0x89: ("_rotl64({a}, {b})", EXPR),
    0x8A: ("_rotr64({a}, {b})", EXPR),
    # f32 arithmetic: computed in double and rounded once (exact for + - * / sqrt)
    0x92: ("_f32r({a} + {b})", EXPR),
    0x93: ("_f32r({a} - {b})", EXPR),
    0x94: ("_f32r({a} * {b})", EXPR),
    0x95: ("_f32_div({a}, {b})", EXPR),
    0x96: ("_fmin({a}, {b})", EXPR),
    0x97: ("_fmax({a}, {b})", EXPR),
    0x98: ("_copysign({a}, {b})", EXPR),
    # f64 arithmetic
    0xA0: ("({a} + {b})", EXPR),
    0xA1: ("({a} - {b})", EXPR),
    0xA2: ("({a} * {b})", EXPR),
    0xA3: ("_fdiv({a}, {b})", EXPR),
    0xA4: ("_fmin({a}, {b})", EXPR),
    0xA5: ("_fmax({a}, {b})", EXPR),
    0xA6: ("_copysign({a}, {b})", EXPR),
}

_DIV_OPS = {0x6E, 0x70, 0x80, 0x82}
# Numeric instructions that can trap: integer division and remainder, float-to-int truncation.
_TRAPPING = frozenset((0x6D, 0x6E, 0x6F, 0x70, 0x7F, 0x80, 0x81, 0x82, 0xA8, 0xA9, 0xAA, 0xAB, 0xAE, 0xAF, 0xB0, 0xB1))

_UNARY = {
    0x45: ("({a} == 0)", COND),
    0x50: ("({a} == 0)", COND),
    0x67: ("(32 - ({a}).bit_length())", EXPR),
    0x68: ("_ctz32({a})", EXPR),
    0x69: ("({a}).bit_count()", EXPR),
    0x79: ("(64 - ({a}).bit_length())", EXPR),
    0x7A: ("_ctz64({a})", EXPR),
    0x7B: ("({a}).bit_count()", EXPR),
    0x8B: ("abs({a})", EXPR),
    0x8C: ("(-{a})", EXPR),
    0x8D: ("_fceil({a})", EXPR),
    0x8E: ("_ffloor({a})", EXPR),
    0x8F: ("_ftrunc({a})", EXPR),
    0x90: ("_fnearest({a})", EXPR),
    0x91: ("_f32_sqrt({a})", EXPR),
    0x99: ("abs({a})", EXPR),
    0x9A: ("(-{a})", EXPR),
    0x9B: ("_fceil({a})", EXPR),
    0x9C: ("_ffloor({a})", EXPR),
    0x9D: ("_ftrunc({a})", EXPR),
    0x9E: ("_fnearest({a})", EXPR),
    0x9F: ("_fsqrt({a})", EXPR),
    0xA7: ("({a} & 0xFFFFFFFF)", EXPR),
    0xA8: ("_i32_trunc_s({a})", EXPR),
    0xA9: ("_i32_trunc_u({a})", EXPR),
    0xAA: ("_i32_trunc_s({a})", EXPR),
    0xAB: ("_i32_trunc_u({a})", EXPR),
    0xAC: ("(" + _S32.format(x="{a}") + " & 0xFFFFFFFFFFFFFFFF)", EXPR),
    0xAD: None,  # i64.extend_i32_u: the value is unchanged
    0xAE: ("_i64_trunc_s({a})", EXPR),
    0xAF: ("_i64_trunc_u({a})", EXPR),
    0xB0: ("_i64_trunc_s({a})", EXPR),
    0xB1: ("_i64_trunc_u({a})", EXPR),
    # int -> f32: below 2**53 the double is exact, so one f32 rounding is correct.
    0xB2: ("_f32r(float(" + _S32.format(x="{a}") + "))", EXPR),
    0xB3: ("_f32r(float({a}))", EXPR),
    0xB4: ("_f32_from_int(" + _S64.format(x="{a}") + ")", EXPR),
    0xB5: ("_f32_from_int({a})", EXPR),
    0xB6: ("_f32r({a})", EXPR),
    0xB7: ("float(" + _S32.format(x="{a}") + ")", EXPR),
    0xB8: ("float({a})", EXPR),
    0xB9: ("float(" + _S64.format(x="{a}") + ")", EXPR),
    0xBA: ("float({a})", EXPR),
    # promote: the f32 value is already a double; "* 1.0" quiets a signalling NaN
    # (the spec wants an arithmetic NaN) and keeps -0.0.
    0xBB: ("({a} * 1.0)", EXPR),
    0xBC: ("_f32_bits({a})", EXPR),
    0xBD: ("_f64_bits({a})", EXPR),
    0xBE: ("_f32_from_bits({a})", EXPR),
    0xBF: ("_f64_from_bits({a})", EXPR),
    0xC0: ("(((({a} & 0xFF) ^ 0x80) - 0x80) & 0xFFFFFFFF)", EXPR),
    0xC1: ("(((({a} & 0xFFFF) ^ 0x8000) - 0x8000) & 0xFFFFFFFF)", EXPR),
    0xC2: ("(((({a} & 0xFF) ^ 0x80) - 0x80) & 0xFFFFFFFFFFFFFFFF)", EXPR),
    0xC3: ("(((({a} & 0xFFFF) ^ 0x8000) - 0x8000) & 0xFFFFFFFFFFFFFFFF)", EXPR),
    0xC4: ("(((({a} & 0xFFFFFFFF) ^ 0x80000000) - 0x80000000) & 0xFFFFFFFFFFFFFFFF)", EXPR),
    0xFC00: ("_i32_trunc_sat_s({a})", EXPR),
    0xFC01: ("_i32_trunc_sat_u({a})", EXPR),
    0xFC02: ("_i32_trunc_sat_s({a})", EXPR),
    0xFC03: ("_i32_trunc_sat_u({a})", EXPR),
    0xFC04: ("_i64_trunc_sat_s({a})", EXPR),
    0xFC05: ("_i64_trunc_sat_u({a})", EXPR),
    0xFC06: ("_i64_trunc_sat_s({a})", EXPR),
    0xFC07: ("_i64_trunc_sat_u({a})", EXPR),
}


# i32 add/sub/mul/shl: masking with 0xFFFFFFFF always takes CPython's slow
# multi-digit path, so the result is range-checked first and masked only when
# it actually wrapped. One temp ``_t`` serves every such expression: each use
# reads it right after assigning it, before any other assignment can happen.
# The range check compares with 0x3FFFFFFF, not 0xFFFFFFFF: CPython 3.11 only
# specialises int compares whose operands are single 30-bit digits.
_WRAP_UP = "(_t if (_t := {x}) <= 0x3FFFFFFF else _t & 0xFFFFFFFF)"
_WRAP_DOWN = "(_t if (_t := {x}) >= 0 else _t + 0x100000000)"

# Signed comparisons against a constant 0 <= c < 2**31 avoid the xor trick: as
# unsigned ints, x >=s c exactly when c <= x <= 0x7FFFFFFF (one chained compare,
# x evaluated once).
_SIGNED_CONST = {
    # code: (max, template with c on the right, template with c on the left)
    0x48: (0x7FFFFFFF, "(not {c} <= {x} <= {m})", "({c} < {x} <= {m})"),
    0x4A: (0x7FFFFFFF, "({c} < {x} <= {m})", "(not {c} <= {x} <= {m})"),
    0x4C: (0x7FFFFFFF, "(not {c} < {x} <= {m})", "({c} <= {x} <= {m})"),
    0x4E: (0x7FFFFFFF, "({c} <= {x} <= {m})", "(not {c} < {x} <= {m})"),
    0x53: (0x7FFFFFFFFFFFFFFF, "(not {c} <= {x} <= {m})", "({c} < {x} <= {m})"),
    0x55: (0x7FFFFFFFFFFFFFFF, "({c} < {x} <= {m})", "(not {c} <= {x} <= {m})"),
    0x57: (0x7FFFFFFFFFFFFFFF, "(not {c} < {x} <= {m})", "({c} <= {x} <= {m})"),
    0x59: (0x7FFFFFFFFFFFFFFF, "({c} <= {x} <= {m})", "(not {c} < {x} <= {m})"),
}


def _int_const(entry):
    if entry[1] == CONST and entry[0].isdigit():
        return int(entry[0])
    return None


def _i32_arith(low, code, a, b):
    """Text for i32 add/sub/mul/shl, or None to use the plain template."""
    ca = _int_const(a)
    cb = _int_const(b)
    if ca is not None and cb is not None:
        return None  # CPython folds constant expressions itself
    if code == 0x6A and ca is not None:
        a, b, ca, cb = b, a, cb, ca  # a constant has no effects: operand order is free
    if code == 0x6A or code == 0x6B:
        if cb is not None:
            if cb == 0:
                return low.val(a)
            add = cb if code == 0x6A else (0x100000000 - cb)
            if a[1] < EXPR:
                x = low.val(a)
                sub = 0x100000000 - add
                if add <= 0x3FFFFFFF:
                    return f"({x} + {add} if {x} <= {0x3FFFFFFF - add} else ({x} + {add}) & 0xFFFFFFFF)"
                if sub <= 0x3FFFFFFF:
                    return f"({x} - {sub} if {x} >= {sub} else {x} + {add})"
        if code == 0x6A:
            return _WRAP_UP.format(x=f"{low.val(a)} + {low.val(b)}")
        return _WRAP_DOWN.format(x=f"{low.val(a)} - {low.val(b)}")
    if code == 0x6C:
        return _WRAP_UP.format(x=f"{low.val(a)} * {low.val(b)}")
    if cb is not None:
        return _WRAP_UP.format(x=f"{low.val(a)} << {cb & 31}")
    return _WRAP_UP.format(x=f"{low.val(a)} << ({low.val(b)} & 31)")


def _lower_binary(low, code, imm, pc, offset, blocks):
    a, b = low.take(2)
    template, kind = _BINARY[code]
    if code == 0x6A or code == 0x6B or code == 0x6C or code == 0x74:
        text = _i32_arith(low, code, a, b)
        if text is not None:
            low.push(text, EXPR, None, max(a[3], b[3]) + 2)
            return
    elif code in _SIGNED_CONST:
        limit, right, left = _SIGNED_CONST[code]
        cb = _int_const(b)
        ca = _int_const(a)
        if cb is not None and cb <= limit and ca is None:
            low.push(right.format(c=cb, x=low.val(a), m=limit), COND, None, a[3] + 1)
            return
        if ca is not None and ca <= limit and cb is None:
            low.push(left.format(c=ca, x=low.val(b), m=limit), COND, None, b[3] + 1)
            return
    if code in _DIV_OPS:
        low.catch_div = True
    if code == 0xA3 and b[1] == CONST and b[0] not in ("0.0", "(-0.0)") and not b[0].startswith("_k"):
        template = "({a} / {b})"
    text = template.format(a=low.val(a), b=low.val(b))
    if code in _TRAPPING:
        low.site(text, offset)
    low.push(text, kind, None, max(a[3], b[3]) + 2)


def _lower_unary(low, code, imm, pc, offset, blocks):
    spec = _UNARY[code]
    if spec is None:
        return
    (a,) = low.take(1)
    template, kind = spec
    if (code == 0x45 or code == 0x50) and a[1] == COND:
        low.push(f"(not {a[0]})", COND, None, a[3] + 1)
        return
    text = template.format(a=low.val(a))
    if code in _TRAPPING:
        low.site(text, offset)
    low.push(text, kind, None, a[3] + 2)


_DISPATCH = {
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
    0x1A: _lower_drop,
    0x1B: _lower_select,
    0x1C: _lower_select,
    0x20: _lower_local_get,
    0x21: _lower_local_set,
    0x22: _lower_local_tee,
    0x23: _lower_global_get,
    0x24: _lower_global_set,
    0x25: _lower_table_get,
    0x26: _lower_table_set,
    0x3F: _lower_memory_size,
    0x40: _lower_memory_grow,
    0x41: _lower_i_const,
    0x42: _lower_i_const,
    0x43: _lower_f32_const,
    0x44: _lower_f64_const,
    0xD0: _lower_ref_null,
    0xD1: _lower_ref_is_null,
    0xD2: _lower_ref_func,
    0xFC08: _statement("_memory_init(_inst, {i0}, _mem0, {0}, {1}, {2})", 3),
    0xFC09: _statement("_data_drop(_inst, {imm})", 0),
    0xFC0A: _statement("_memory_copy(_mem0, _mem0, {0}, {1}, {2})", 3),
    0xFC0B: _statement("_memory_fill(_mem0, {0}, {1}, {2})", 3),
    0xFC0C: _statement("_table_init(_inst, {i0}, _t{i1}, {0}, {1}, {2})", 3),
    0xFC0D: _statement("_elem_drop(_inst, {imm})", 0),
    0xFC0E: _statement("_table_copy(_t{i0}, _t{i1}, {0}, {1}, {2})", 3),
    0xFC0F: _lower_table_grow,
    0xFC10: _lower_table_size,
    0xFC11: _statement("_table_fill(_t{imm}, {0}, {1}, {2})", 3),
    0xFD0C: _lower_v128_const,
}
for _code in _LOADS:
    _DISPATCH[_code] = _lower_load
for _code in _STORES:
    _DISPATCH[_code] = _lower_store
for _code in _BINARY:
    _DISPATCH[_code] = _lower_binary
for _code in _UNARY:
    _DISPATCH[_code] = _lower_unary


# ---------------------------------------------------------------- SIMD
# Every 0xFD instruction is a call of the pywaz.simd lane library's helper,
# bound in the instance globals under simd.generated_name(op).


def _simd_lowerers():
    try:
        from ..simd import MEMORY_OPS, SIMD_ARITY, generated_name
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
            low.catch_index = True
            count = 2 if (is_store or has_lane) else 1
            operands = low.take(count)
            address = (low.val(operands[0]), operands[0][1], None, operands[0][3])
            args = ["_m", _address(address, imm[1])] + [low.val(e) for e in operands[1:]]
            if has_lane:
                args.append(str(imm[2]))
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


_DISPATCH.update(_simd_lowerers())


def lower_function(
    info: FunctionInfo,
    func_types,
    global_mutable,
    types,
    name: str,
    force_flat: bool = False,
    num_imported: int = 0,
    fuel: bool = False,
) -> LoweredFunction:
    """Lower ``info`` to the source of ``def name(l0, ...)``.

    ``func_types`` is the module's function index space types, ``global_mutable``
    one bool per global, ``types`` the module's type section, ``num_imported``
    how many functions are imported. ``force_flat`` lowers the whole body flat;
    ``fuel`` emits fuel metering (see the module docstring).

    Raises:
        UnsupportedOpcode: the body uses an instruction this engine cannot lower.
    """
    lowering = FunctionLowering(info, func_types, global_mutable, types, name, force_flat, num_imported, fuel)
    return lowering.lower()
