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
from .core import DISPATCH, FunctionLowering, LoweredFunction, UnsupportedOpcode
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
    lowering = FunctionLowering(info, func_types, global_mutable, types, name, force_flat, num_imported, fuel,
                                tag_types)
    lowering.memory64 = memory64
    lowering.table64 = table64
    lowering.def_types = def_types
    lowering.functions = functions
    return lowering.lower()
