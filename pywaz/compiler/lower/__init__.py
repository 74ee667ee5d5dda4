"""Lower one validated wasm function to Python source.

The machinery (the compile-time operand stack, frames, flat and structured
modes, assembling the ``def``) lives in :mod:`.core`, whose docstring tells how
the generated code is shaped. Each instruction family has its own module,
mapping opcodes to lowering functions: :mod:`.control`, :mod:`.variables`,
:mod:`.references`, :mod:`.gc`, :mod:`.memory`, :mod:`.numeric`, :mod:`.simd`,
:mod:`.atomics`.
"""

from __future__ import annotations

from . import atomics, control, exceptions, gc, memory, numeric, references, simd, variables
from .core import DISPATCH, FunctionLowering, LoweredFunction, UnsupportedOpcode, _line_table, _Out
from ...ir import FunctionInfo

for _family in (control, exceptions, variables, references, gc, memory, numeric, simd, atomics):
    DISPATCH.update(_family.LOWERERS)
_DISPATCH = DISPATCH  # the table tests patch

__all__ = ["LoweredFunction", "UnsupportedOpcode", "lower_function"]


def lower_function(
    info: FunctionInfo,
    func_types,
    global_mutable,
    types,
    name: str,
    force_flat: bool = False,
    num_imported: int = 0,
    fuel: bool = False,
    memory64: tuple[bool, ...] = (),
    table64: tuple[bool, ...] = (),
    tag_types=(),
    def_types=(),
    functions=(),
) -> LoweredFunction:
    """Lower ``info`` to the source of ``def name(l0, ...)``.

    ``func_types`` is the module's function index space types, ``global_mutable``
    one bool per global, ``types`` the module's type section, ``num_imported``
    how many functions are imported, ``tag_types`` each tag's type (exception handling),
    ``def_types`` the canonical DefType of each type index (casts to concrete types),
    ``functions`` every defined function's FunctionInfo (a call of a pure one-expression function
    is lowered in place).
    ``force_flat`` lowers the whole body flat;
    ``fuel`` emits fuel metering (see the module docstring). ``memory64`` and
    ``table64`` say, per memory and per table, whether it is 64-bit: the
    generated code is specialised on it (i64 results, wider bounds).

    Raises:
        UnsupportedOpcode: the body uses an instruction this engine cannot lower.
    """
    def lowering_of(member: FunctionInfo) -> FunctionLowering:
        lowering = FunctionLowering(member, func_types, global_mutable, types, name, force_flat, num_imported,
                                    fuel, tag_types)
        lowering.memory64 = memory64
        lowering.table64 = table64
        lowering.def_types = def_types
        lowering.functions = functions
        return lowering

    group = () if force_flat or fuel else tail_group(info, functions, num_imported, func_types)
    if not group:
        return lowering_of(info).lower()
    members = []
    numbers = {member.func_index: number for number, member in enumerate(group)}
    for member in group:
        lowering = lowering_of(member)
        if lowering.flat:
            return lowering_of(info).lower()  # a flat body has no restart loop to jump back to
        lowering.tail_group = numbers
        lowering.lower_body()
        members.append(lowering)
    return _assemble_group(name, info, members)


# Tail-call groups. Functions of one type that reach each other by ``return_call`` (a state machine
# written as tail calls, as tailcalls.wat's tokenizer) are lowered into one ``def``: each member's body
# sits under ``if _fn == k:`` in a ``while True:``, and a tail call to a member assigns the parameters,
# sets ``_fn`` and jumps back to the loop (as a self tail call does), with no call and no trampoline
# hop. The other members stay functions of their own (calls and tail calls from elsewhere reach them
# as before, and the lazy loader switches them as any other); their code is repeated in the group.
MAX_GROUP_MEMBERS = 8
MAX_GROUP_OPS = 4000


def tail_group(info: FunctionInfo, functions, num_imported: int, func_types) -> tuple:
    """``info`` and the defined functions of its type it reaches by ``return_call``, or () if there are none."""
    if not functions:
        return ()
    ftype = func_types[info.func_index]
    group = [info]
    seen = {info.func_index}
    total = len(info.body.ops)
    for member in group:
        for code, imm in zip(member.body.ops, member.body.imms):
            if code != 0x12 or imm in seen or imm < num_imported or func_types[imm] != ftype:
                continue
            callee = functions[imm - num_imported]
            total += len(callee.body.ops)
            if len(group) == MAX_GROUP_MEMBERS or total > MAX_GROUP_OPS:
                return ()
            seen.add(imm)
            group.append(callee)
    return tuple(group) if len(group) > 1 else ()


def _assemble_group(name: str, info: FunctionInfo, members: list) -> LoweredFunction:
    head = _Out()
    head.open(f"def {name}({', '.join(f'l{i}' for i in range(len(info.type.params)))}):")
    head.line("_fn = 0")
    head.open("while True:")
    consts: dict = {}
    for number, member in enumerate(members):
        head.open(f"{'if' if number == 0 else 'elif'} _fn == {number}:")
        body = member.assemble(member=True)
        head.extend(body, "    " * head.level)
        head.has[-1] = True
        head.close()
        consts.update(member.consts)
    head.close()
    head.close()
    source = "\n".join(head.lines) + "\n"
    return LoweredFunction(name, source, consts, False, sum(len(m.islands) for m in members), _line_table(head))
