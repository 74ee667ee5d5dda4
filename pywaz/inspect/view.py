"""Function views: one function's wasm listing plus, when the compiler can provide them, its Python.

Enters: a module (validated, or only decoded) and a function index, optionally
an already compiled function from a compiled artifact. Leaves: a
:class:`FunctionView` with ``wasm`` (the listing), ``python_source`` and
``code`` (the generated Python and its code object; None when not
available, with ``python_unavailable`` saying why).

The compiler is imported lazily and only when Python is asked for, so the
listing works without it. The VM can build its ``CompiledModule.functions``
on :func:`function_view` by passing the artifact's compiled function as
``compiled`` (anything with ``source`` and ``code`` attributes).
"""

from __future__ import annotations

import types
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from ..errors import PywazError
from ..ir import EXTERN_FUNC, FuncType, Module, ValidatedModule
from .disasm import (
    Instruction,
    Namer,
    NoFunctionBodyError,
    as_module,
    check_defined,
    function_type,
    iter_instructions,
    num_imported_funcs,
)


@dataclass(frozen=True, slots=True)
class FunctionView:
    """Everything ``pywaz inspect --func`` shows about one function.

    ``wasm`` is the listing (empty for an imported function; ``import_name``
    is then ``"module.name"``). ``python_source``/``code`` are the compiler's
    generated source and code object when available; otherwise
    ``python_unavailable`` holds the one-line reason (None when Python was
    not asked for).
    """

    func_index: int
    name: str | None
    type: FuncType | None
    locals: tuple[int, ...]
    wasm: tuple[Instruction, ...] | Iterable[Instruction]
    import_name: str | None = None
    python_source: str | None = None
    code: types.CodeType | None = None
    python_unavailable: str | None = None


def function_view(
    module: ValidatedModule | Module,
    func_index: int,
    *,
    python: bool = False,
    compiled=None,
    stream: bool = False,
    namer=None,
) -> FunctionView:
    """The :class:`FunctionView` of ``func_index``.

    With ``python`` true (or a ``compiled`` function given) the Python view is
    filled: from ``compiled`` if given, else by compiling this one function
    with :mod:`pywaz.compiler` (which needs a ValidatedModule). With
    ``stream`` true ``wasm`` is a one-shot iterator instead of a tuple.

    Raises:
        UnknownFunctionError: ``func_index`` is not a function of the module.
    """
    decoded = as_module(module)
    namer = namer or Namer(decoded)
    imported = num_imported_funcs(decoded)
    check_defined_or_imported(decoded, func_index)
    name = namer.function_names.get(func_index)
    func_type = function_type(decoded, func_index)
    if func_index < imported:
        imp = [i for i in decoded.imports if i.kind == EXTERN_FUNC][func_index]
        reason = "imported function: no body" if (python or compiled is not None) else None
        return FunctionView(func_index, name, func_type, (), (), f"{imp.module}.{imp.name}", python_unavailable=reason)
    body = decoded.codes[func_index - imported]
    listing: Iterator[Instruction] | tuple = iter_instructions(decoded, func_index, namer=namer)
    if not stream:
        listing = tuple(listing)
    source = code = reason = None
    if compiled is not None:
        source, code = getattr(compiled, "source", None), getattr(compiled, "code", None)
    elif python:
        source, code, reason = _compile_one(module, func_index - imported)
    return FunctionView(func_index, name, func_type, body.locals, listing, None, source, code, reason)


def check_defined_or_imported(module: Module, func_index: int) -> None:
    """Raises UnknownFunctionError unless ``func_index`` is in the function index space."""
    try:
        check_defined(module, func_index)
    except NoFunctionBodyError:
        pass


def _compile_one(module, local_index: int):
    """(source, code, None) from the compiler engine, or (None, None, reason) when it cannot."""
    if not isinstance(module, ValidatedModule):
        return (
            None,
            None,
            "python view not available: needs a validated module (this one was not validated, or is invalid)",
        )
    try:
        from ..compiler.artifact import compile_function
    except ImportError as exc:  # the compiler engine is optional for inspect
        return None, None, f"python view not available yet ({exc})"
    try:
        compiled = compile_function(module, local_index)
    except PywazError as exc:
        return None, None, f"python view not available: {exc}"
    except (RecursionError, MemoryError) as exc:
        return None, None, f"python view not available: the compiler gave up ({type(exc).__name__})"
    return compiled.source, compiled.code, None
