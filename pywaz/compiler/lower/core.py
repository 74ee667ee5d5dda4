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
import re
from itertools import compress
from itertools import count as _counter

from ... import opcodes as op
from ...errors import PywazError
from ...ir import F32, F64, FunctionInfo, is_ref
from .. import linetable

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



# br_on_null, br_on_non_null, br_on_cast, br_on_cast_fail: branches whose label the pre-pass must see.
_TYPED_BRANCHES = frozenset((0xD5, 0xD6, 0xFB18, 0xFB19))

# Opcode -> lowering function, filled by the package from the family modules.
DISPATCH: dict = {}

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
        "catches",
        "check_after",
        "legacy",
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
        self.catches = None  # a try_table's catch clauses: (kind, tag index, target frame)
        self.legacy = None  # a legacy try's state (see .exceptions)
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
    if is_ref(valtype):
        return "None"
    return "0"


# What the pre-pass scans look at (every other instruction leaves their state alone): block starts
# (block, loop, if, try_table, try), ends (end, delegate), branches, and for the nesting also br_table.
_NEST_SCAN_OPS = frozenset((0x02, 0x03, 0x04, 0x1F, 0x06, 0x0B, 0x18, 0x0E))
_BRANCH_SCAN_OPS = _NEST_SCAN_OPS | {0x0C, 0x0D} | _TYPED_BRANCHES


def _positions(ops, wanted: frozenset):
    """The instruction indexes whose opcode is in ``wanted``, in order (the test runs in C, not per instruction)."""
    return compress(_counter(), map(wanted.__contains__, ops))


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
        for pc in _positions(ops, _BRANCH_SCAN_OPS):
            code = ops[pc]
            if code == 0x02 or code == 0x03 or code == 0x04 or code == 0x1F or code == 0x06:
                if code == 0x1F:  # a try_table's catch clauses branch (to labels outside it)
                    for _kind, _tag, depth in imms[pc][1]:
                        if depth < len(stack):
                            start = stack[-1 - depth]
                            targeted.add(start)
                            found = branch_range.get(start)
                            if found is None:
                                branch_range[start] = [pc, pc]
                            else:
                                found[1] = pc
                stack.append(pc)
            elif code == 0x0B or code == 0x18:
                if stack:
                    closed = stack.pop()
                    if ops[closed] == 0x03 and stack and blocks[stack[-1]].end_pc == pc + 1:
                        last_child_loop[stack[-1]] = closed
            elif code == 0x0C or code == 0x0D or code == 0x0E or (code >= 0xD5 and code in _TYPED_BRANCHES):
                imm = imms[pc]
                depths = imm if code == 0x0E else (imm[0],) if code >= 0xFB18 else (imm,)
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
        for pc in _positions(ops, _NEST_SCAN_OPS):
            code = ops[pc]
            if code == 0x02 or code == 0x03 or code == 0x04 or code == 0x1F or code == 0x06:
                add_loops = 1 if (pc in targeted and pc not in elided) else 0
                add_indent = add_loops + (1 if code == 0x04 else 0)
                if code == 0x1F or code == 0x06:  # the try statement, and the handler's if inside except
                    add_loops += 1
                    add_indent += 2
                loops += add_loops
                indent += add_indent
                nest.append((add_loops, add_indent))
                max_loops = max(max_loops, loops)
                max_indent = max(max_indent, indent)
            elif (code == 0x0B or code == 0x18) and nest:
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
        self.memory_indexes = memory_data_indexes(ops, imms)

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
        for pc in _positions(ops, _NEST_SCAN_OPS):
            code = ops[pc]
            if code == 0x02 or code == 0x03 or code == 0x04 or code == 0x1F or code == 0x06:
                loops = 1 if (pc in targeted and pc not in elided) else 0
                own[pc] = (loops, loops + (1 if code == 0x04 else 0))
                stack.append([pc, 0, 0, 0])
            elif (code == 0x0B or code == 0x18) and stack:
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
            if code == 0x02 or code == 0x03 or code == 0x04 or code == 0x1F or code == 0x06:
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
            if (code == 0x0B or code == 0x18) and descended:
                own_loops, own_indent = descended.pop()
                depth -= own_loops
                indent -= own_indent
            pc += 1


# Indentation outside the body (def, try) and what an island needs below its
# root (its loop, the binary dispatch tree, region code).
_BASE_INDENT = 4
_ISLAND_INDENT = 28

# Instructions that read a memory's bytearray local (``_m`` for memory 0, ``_m1``... for the others).
_MEMORY_DATA_OPS = frozenset(range(0x28, 0x41)) | frozenset(range(0xFD00, 0xFD0C)) | frozenset(range(0xFD54, 0xFD5E))
_MEMORY_DATA_OPS |= frozenset(range(0xFF10, 0xFF4F))  # atomic loads, stores, read-modify-writes (lower/atomics.py)


def memory_local(memory_index: int) -> str:
    """The generated-code local holding memory ``memory_index``'s bytearray: ``_m``, ``_m1``, ..."""
    return f"_m{memory_index}" if memory_index else "_m"


def memory_data_indexes(ops, imms) -> tuple[int, ...]:
    """The memories whose bytearray a body reads through a local, sorted (``()`` for none)."""
    # compress/map keep the scan over every instruction in C; memory.size/grow carry the index itself,
    # memargs (align, offset, index, ...) carry it third.
    used = compress(imms, map(_MEMORY_DATA_OPS.__contains__, ops))
    return tuple(sorted({imm if type(imm) is int else imm[2] for imm in used}))


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
        tag_types=(),
    ):
        self.tag_types = tag_types  # exception handling: each tag's FuncType
        self.functions = ()  # every defined function's FunctionInfo (calls inline pure leaves; set by lower_function)
        self.has_delegate = 0x18 in info.body.ops  # every handler then passes on delegated exceptions
        self.self_tail_loop = False  # a self tail call became a jump back to the start (finish wraps the body)
        self.tail_group: dict[int, int] = {}  # tail-call group: member func_index -> its number (see lower_function)
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
        self.catch_null_struct = False  # struct access of null: AttributeError (see .gc)
        self.catch_null_array = False  # array access of null: TypeError (see .gc)
        self.catch_array_index = False  # array index out of bounds: IndexError, if no memory access (see .gc)
        self.def_types = ()  # the canonical DefType of each type index (casts; set by lower_function)
        self.func_index = info.func_index
        pre = _PrePass(info)
        self.targeted = pre.targeted
        self.elided = pre.elided
        self.flat = pre.flat or force_flat
        self.islands = set() if self.flat else pre.islands
        self.island_saved = None  # (structured out, structured regions) while inside an island
        self.memory_indexes = pre.memory_indexes  # memories with a bytearray local (see memory_local)
        self.uses_memory = bool(self.memory_indexes)
        # Per memory and table: True when 64-bit (memory64), set by lower_function.
        self.memory64: tuple[bool, ...] = ()
        self.table64: tuple[bool, ...] = ()
        # A 64-bit address may be too large for struct's ssize_t offset, which raises OverflowError.
        self.catch_overflow = False
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
        if count == 1:  # the common case, without the slice
            entry = stack[-1]
            if entry[3] > MAX_DEPTH or len(entry[0]) > MAX_TEXT:
                self.materialize(len(stack) - 1)
            return [stack.pop()]
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
        self.lower_body()
        return self.finish()

    def lower_body(self) -> None:
        """Lower every instruction into ``self.out`` (or the flat regions); :meth:`finish` assembles the def."""
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
        dispatch = DISPATCH
        while pc < end:
            if not self.reachable:
                frame = self.frames[-1]
                if frame.kind == _IF and not frame.else_seen and frame.else_pc >= 0 and pc <= frame.else_pc:
                    pc = frame.else_pc
                elif frame.legacy is not None and frame.legacy.next_handler(pc) is not None:
                    pc = frame.legacy.next_handler(pc)  # a legacy try's next catch
                else:
                    pc = frame.end_pc
            code = ops[pc]
            handler = dispatch.get(code)
            if handler is None:
                raise UnsupportedOpcode(code, offsets[pc], info.func_index)
            handler(self, code, imms[pc], pc, offsets[pc], blocks)
            pc += 1

    # ------------------------------------------------------------ assembling

    def finish(self) -> LoweredFunction:
        head, body, body_at, level = self._assemble_parts()
        if body is None or not body.lines:
            source = "\n".join(head.lines) + "\n"
            return LoweredFunction(self.name, source, self.consts, self.flat, len(self.islands), _line_table(head))
        # The same text as extending ``head`` with the body's lines each prefixed by ``pad``, but the
        # prefix goes in with the join's separator (the body is most of the source, and of its bytes).
        pad = "    " * level
        before, after = head.lines[:body_at], head.lines[body_at:]
        pieces = ["\n".join(before), pad + ("\n" + pad).join(body.lines)]  # before: at least the def line
        if after:
            pieces.append("\n".join(after))
        source = "\n".join(pieces) + "\n"
        shift = len(body.lines)
        head_marks = head.marks
        parts = (
            (before, {i: m for i, m in head_marks.items() if i < body_at}, 0, 0),
            (body.lines, body.marks, len(pad), body_at),
            (after, {i - body_at: m for i, m in head_marks.items() if i >= body_at}, 0, body_at + shift),
        )
        return LoweredFunction(self.name, source, self.consts, self.flat, len(self.islands), _line_table_of(parts))

    def assemble(self, member: bool = False) -> _Out:
        """The function's lines as one output (a tail-call group ``member``: no ``def``, no restart loop)."""
        head, body, body_at, level = self._assemble_parts(member)
        if body is None or not body.lines:
            return head
        out = _Out(head.level)
        out.lines = head.lines[:body_at]
        out.marks = {i: m for i, m in head.marks.items() if i < body_at}
        out.extend(body, "    " * level)
        shift = len(out.lines) - body_at
        out.lines.extend(head.lines[body_at:])
        for i, m in head.marks.items():
            if i >= body_at:
                out.marks[i + shift] = m
        return out

    def _assemble_parts(self, member: bool = False):
        """``(head, body, body_at, level)``: the lines around the structured body, the body (None when flat),
        where it goes in ``head`` and at which indentation level."""
        info = self.info
        n_params = len(info.type.params)
        params = ", ".join(f"l{i}" for i in range(n_params))
        head = _Out()
        if not member:
            head.open(f"def {self.name}({params}):")
        if self.fuel_back_edges:
            head.line("_fuel = _meter.fuel")
            head.line("next(_fuel)")  # entering a function costs one unit
        elif self.fuel:
            head.line("next(_meter.fuel)")  # entering a function costs one unit
        if self.self_tail_loop and not member:  # a self tail call starts the body again (control._lower_return_call)
            head.open("while True:")
        by_zero: dict[str, list[str]] = {}
        for i in range(n_params, len(info.local_types)):
            by_zero.setdefault(_zero_text(info.local_types[i]), []).append(f"l{i}")
        for zero, names in by_zero.items():
            for start in range(0, len(names), 64):
                head.line(" = ".join(names[start : start + 64]) + f" = {zero}")
        for memory_index in self.memory_indexes:
            head.line(f"{memory_local(memory_index)} = _mem{memory_index}.data")
        if self.uses_br:
            head.line("_br = 0")
        if self.flat:
            head.line("_pc = 0")
        guarded = (self.catch_index or self.catch_div or self.catch_null_struct or self.catch_null_array
                   or self.catch_array_index)
        if guarded:
            head.open("try:")
        level = head.level
        if self.flat:
            head.open("while True:")
            self._emit_tree(head, sorted(self.regions))
            head.close()
        body = None  # the structured body, joined in below at ``level`` rather than copied line by line
        body_at = len(head.lines)
        if not self.flat:
            body = self.out
            head.has[-1] = True
        if guarded:
            head.close()
            if self.catch_index:
                head.open("except (IndexError, _StructError, OverflowError):" if self.catch_overflow
                          else "except (IndexError, _StructError):")
                head.line("_trap_oob_memory()")
                head.close()
            if self.catch_div:
                head.open("except ZeroDivisionError:")
                head.line("_trap_div_zero()")
                head.close()
            if self.catch_array_index:
                head.open("except IndexError:")
                head.line("_trap_oob_array()")
                head.close()
            if self.catch_null_struct:
                head.open("except AttributeError:")
                head.line("_trap_null_struct()")
                head.close()
            if self.catch_null_array:
                head.open("except TypeError:")
                head.line("_trap_null_array()")
                head.close()
        if self.self_tail_loop and not member:
            head.close()
        if not member:
            head.close()
        return head, body, body_at, level

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


_LEADING_SPACES = re.compile(" *").match  # the indentation of a line, without copying the rest of it


def _line_table(out: _Out) -> bytes:
    """The line table of the assembled function ``out`` (line numbers from 1, absolute columns)."""
    return _line_table_of(((out.lines, out.marks, 0, 0),))


def _line_table_of(parts) -> bytes:
    """The line table of a function assembled from ``(lines, marks, extra indent, first line index)`` parts."""
    records = []
    leading = _LEADING_SPACES
    for lines, marks, extra, base in parts:
        for index in sorted(marks):
            indent = extra + leading(lines[index]).end()
            records.append((base + index + 1, [(indent + a, indent + b, offset) for a, b, offset in marks[index]]))
    return linetable.encode(records)


def _int_const(entry):
    if entry[1] == CONST and entry[0].isdigit():
        return int(entry[0])
    return None


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




# ------------------------------------------------------------ value ranges
#
# An integer entry may carry a range fact in its aux slot: ``(raw, lo, hi,
# depth, large)``. ``raw`` is Python text whose value v satisfies
# ``lo <= v <= hi`` and equals the wasm value modulo 2**32 (i32) or 2**64
# (i64); the entry's own text is the canonical (masked) form of the same
# value, so every consumer that only knows canonical texts stays correct.
# Consumers that know the wrap-around laws (add, sub, mul, shl, and, or, xor,
# narrow stores, wrap, sign extension) fold ``raw`` and mask once at the end:
# the laws hold for Python's unbounded two's-complement ints, negative ones
# included. ``large`` says the raw value is probably past 2**30 (a product
# with a big constant), where one plain mask is cheaper than a range check.
# Both texts contain every sub-expression exactly once, so either one keeps
# wasm's evaluation order.

RAW_LIMIT = {32: 1 << 64, 64: 1 << 129}  # raw values grow no further: operands are masked first


def int_range(low, entry, bits: int) -> tuple:
    """``(raw, lo, hi, depth, large)`` of an integer operand entry (full range when nothing is known)."""
    kind = entry[1]
    if kind == CONST:
        value = _int_const(entry)
        if value is not None:
            return entry[0], value, value, 0, False
    elif kind == COND:
        return low.val(entry), 0, 1, entry[3] + 1, False
    elif kind == EXPR and type(entry[2]) is tuple:
        return entry[2]
    return entry[0], 0, (1 << bits) - 1, entry[3], False


def canonical_range(low, entry, bits: int) -> tuple:
    """Like :func:`int_range`, but of the canonical value: the text is the entry's canonical text."""
    fact = int_range(low, entry, bits)
    if fact[1] >= 0 and fact[2] < (1 << bits):
        return fact
    return low.val(entry), 0, (1 << bits) - 1, entry[3], False


def push_int(low, raw: str, lo: int, hi: int, depth: int, bits: int, large: bool = False) -> None:
    """Push an integer entry whose raw text ``raw`` lies in ``[lo, hi]`` (see the range facts above)."""
    modulus = 1 << bits
    mask = "0xFFFFFFFF" if bits == 32 else "0xFFFFFFFFFFFFFFFF"
    inner = _unwrap(raw)
    if lo >= 0 and hi < modulus:
        text, text_depth = raw, depth
    elif lo >= 0:
        # Masking always takes CPython's multi-digit path: skip it when the value is small.
        if large:
            text = f"({raw} & {mask})"
        else:
            text = f"(_t if (_t := {inner}) <= 0x3FFFFFFF else _t & {mask})"
        text_depth = depth + 2
    elif lo >= -modulus and hi < modulus:
        text, text_depth = f"(_t if (_t := {inner}) >= 0 else _t + 0x{modulus:X})", depth + 2
    else:
        text, text_depth = f"({raw} & {mask})", depth + 1
    low.push(text, EXPR, (raw, lo, hi, depth, large), text_depth)


def _unwrap(text: str) -> str:
    """``text`` without its outer parentheses when they enclose all of it (a walrus needs none)."""
    if not (text.startswith("(") and text.endswith(")")):
        return text
    depth = 0
    for index, char in enumerate(text):
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth == 0 and index < len(text) - 1:
                return text
    return text[1:-1]
