"""Loop entries: a function's compiled code that starts at one of its loops (for the tiered engine).

Enters: a :class:`~pywaz.ir.ValidatedModule` and a defined function's index.
Leaves: a :class:`LoopEntry`: the function lowered in flat mode (see
:mod:`.lower.core`: regions numbered by int labels, dispatched on ``_pc``) as
``def f(_pc, l0, ..., lN, s0=None, ..., sM=None, *_rest)``, plus the label of
each of its loops. Called with a loop's label, the values of all the
function's locals and the operand stack at that loop's label (execution
§4.4.8: a branch to a loop leaves exactly the label's height plus its
parameters), it runs the rest of the function and returns its results: the
on-stack switch of a long-running interpreted call to compiled code
(:mod:`pywaz.tiered`).

The lowering is the compiler's own; only the head differs from a flat
function's: the locals are parameters (so their zero-initialisation lines
become ``pass``, keeping every line number, hence the line table, valid),
entering costs no fuel (the back-edge that led here has paid), and ``_pc`` is
the given label. A function the flat lowering cannot express (a
``try_table``, or a self tail call turned into a restart loop) has no loop
entry: its call finishes in the interpreter.
"""

from __future__ import annotations

import re

from .._records import record
from ..deftypes import def_types_of
from ..ir import I64, ValidatedModule
from .artifact import CompiledFunction, _compile_source, _python_name

_ZERO_INIT = re.compile(r"    l\d+ = ")
_SLOT = re.compile(r"\bs(\d+)\b")


class NoLoopEntry(Exception):
    """The function has no loop entry (see the module docstring); its calls stay interpreted."""


@record
class LoopEntry:
    """A function's loop-entry code and ``labels``: wasm instruction index of each loop -> its ``_pc`` label.

    ``slots`` is how many ``s<i>`` parameters default to None: a function object made from the code
    needs ``__defaults__ = (None,) * slots`` (a code object does not carry defaults).
    """

    function: CompiledFunction
    labels: dict
    slots: int


def compile_loop_entry(validated: ValidatedModule, local_index: int, fuel: bool = False) -> LoopEntry:
    """Lower and compile the loop entry of defined function ``local_index``.

    Raises:
        NoLoopEntry: the function cannot have one.
        UnsupportedOpcode: the flat lowering has no lowering for one of its instructions.
        CompileFailure: the generated code did not compile (a pywaz bug).
    """
    from .lower import core

    class _Lowering(core.FunctionLowering):
        def start_region(self, label: int) -> None:
            frame = self.frames[-1]
            if frame.kind == core._LOOP and frame.start_label == label:
                loop_labels[frame.pc] = label
            super().start_region(label)

    loop_labels: dict[int, int] = {}
    info = validated.functions[local_index]
    module = validated.module
    func_index = info.func_index
    name = _python_name(func_index, module.names.function_names.get(func_index))
    lowering = _Lowering(
        info,
        validated.func_types,
        tuple(g.mutable for g in validated.global_types),
        module.types,
        name,
        True,
        validated.num_imported_funcs,
        fuel,
        validated.tag_types,
    )
    lowering.memory64 = tuple(memory.address_type == I64 for memory in validated.memory_types)
    lowering.table64 = tuple(table.address_type == I64 for table in validated.table_types)
    lowering.def_types = def_types_of(validated)
    lowered = lowering.lower()
    if lowering.self_tail_loop:
        raise NoLoopEntry(f"function {func_index} restarts itself on a self tail call")
    if not loop_labels:
        raise NoLoopEntry(f"function {func_index} has no loop with a back-edge")
    lines = lowered.source.split("\n")
    # The head: from the def line to the dispatch's "_pc = 0" (before "try:" or "while True:").
    for end, line in enumerate(lines):
        if line == "    _pc = 0":
            break
        if line in ("    while True:", "    try:"):
            raise NoLoopEntry(f"function {func_index}: unexpected head line {line!r}")
    else:
        raise NoLoopEntry(f"function {func_index}: no flat dispatch in its lowering")
    for index in range(1, end + 1):
        line = lines[index]
        if _ZERO_INIT.match(line) or line in ("    next(_fuel)", "    next(_meter.fuel)", "    _pc = 0"):
            lines[index] = "    pass"
    locals_count = len(info.local_types)
    slots = max((int(found) for found in _SLOT.findall(lowered.source)), default=-1) + 1
    params = ["_pc", *(f"l{i}" for i in range(locals_count)), *(f"s{i}=None" for i in range(slots)), "*_rest"]
    lines[0] = f"def {name}({', '.join(params)}):"
    source = "\n".join(lines)
    lowered = core.LoweredFunction(name, source, lowered.consts, True, 0, lowered.line_table)
    code = _compile_source(lowered, func_index)
    compiled = CompiledFunction(func_index, name, code, source, tuple(lowered.consts.items()), True)
    return LoopEntry(compiled, loop_labels, slots)
