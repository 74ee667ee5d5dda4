"""Generated Python for people: the source the compiler engine emits for a function.

Enters: wasm bytes (or a ValidatedModule) and a function index. Leaves: the
generated source, with ``# wasm@0x...`` comments giving the byte offset of
each control instruction, exactly as the engine compiles it.
"""

from __future__ import annotations

from ..errors import PywazError
from .artifact import compile_function


def generated_source(module, func_index: int) -> str:
    """The generated Python source of function ``func_index``.

    ``module`` is wasm bytes or a :class:`~pywaz.ir.ValidatedModule`.

    Raises:
        DecodeError / ValidationError: ``module`` is bytes that do not decode or validate.
        PywazError: ``func_index`` is imported or out of range.
        UnsupportedOpcode: the function uses an instruction the engine cannot lower yet.
    """
    if isinstance(module, (bytes, bytearray, memoryview)):
        from ..decoder import decode_module
        from ..validator import validate

        module = validate(decode_module(bytes(module)))
    first = module.num_imported_funcs
    if not first <= func_index < first + len(module.functions):
        raise PywazError(
            f"function {func_index} is not a defined function "
            f"(defined functions are {first}..{first + len(module.functions) - 1})"
        )
    return compile_function(module, func_index - first).source
