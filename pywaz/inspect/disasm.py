"""Function listings: one wasm function as indented, text-format-like lines with byte offsets.

Enters: a :class:`~pywaz.ir.ValidatedModule` (or a decoded
:class:`~pywaz.ir.Module`, so a module that fails validation can still be
read) and a function index in the function index space. Leaves:
:class:`Instruction` records, one per instruction including ``else`` and
``end``, each with its absolute byte offset in the module, its block depth and
its wat text (binary format §5.4, text format §6.5).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import NamedTuple

from ..errors import PywazError
from ..ir import EXTERN_FUNC, FuncType, Module, ValidatedModule
from .wat import PLAIN_NAMES, instruction_text

_BLOCK, _LOOP, _IF, _ELSE, _END = 0x02, 0x03, 0x04, 0x05, 0x0B
_TRY, _TRY_TABLE, _DELEGATE = 0x06, 0x1F, 0x18  # exception handling (legacy try and delegate, try_table)
_HANDLER_OPS = frozenset((0x07, 0x19, _DELEGATE))  # catch, catch_all, delegate: at their try's depth
_BR, _BR_IF, _BR_TABLE = 0x0C, 0x0D, 0x0E


class UnknownFunctionError(PywazError):
    """A function index or name does not name a function of the module."""


class NoFunctionBodyError(PywazError):
    """The function is imported, so there is no body to list or compile."""


class Instruction(NamedTuple):
    """One line of a listing.

    ``offset`` is the instruction's byte offset in the module, ``depth`` the
    number of enclosing blocks (the function body is depth 0; ``else`` and
    ``end`` sit at the depth of their ``block``/``if``), ``text`` the wat
    spelling with immediates, e.g. ``i32.load offset=8`` or ``call 3 <fib>``.
    Branches name their target as wasm2wat does, ``br 1 (;@2;)``, where
    ``@2`` is the block whose opening line says ``label = @2`` (``@0`` is
    the function body).
    A named tuple rather than a dataclass: listings of large modules create
    millions of these, and tuple construction is several times cheaper.
    """

    offset: int
    depth: int
    opcode: int
    text: str

    def render(self, indent: str = "  ") -> str:
        """``0x00001f:     i32.add`` (offset, then the text indented by depth)."""
        return f"0x{self.offset:06x}: {indent * self.depth}{self.text}"


def as_module(module: ValidatedModule | Module) -> Module:
    return module.module if isinstance(module, ValidatedModule) else module


def num_imported_funcs(module: Module) -> int:
    return sum(1 for imp in module.imports if imp.kind == EXTERN_FUNC)


def function_type(module: Module, func_index: int) -> FuncType | None:
    """The type of function ``func_index`` (imported or defined), or None if the type index is bad."""
    imported = num_imported_funcs(module)
    if func_index < imported:
        type_index = [imp.desc for imp in module.imports if imp.kind == EXTERN_FUNC][func_index]
    else:
        type_index = module.functions[func_index - imported]
    return module.types[type_index] if 0 <= type_index < len(module.types) else None


def check_defined(module: Module, func_index: int) -> int:
    """The defined-function (code section) index of ``func_index``.

    Raises:
        UnknownFunctionError: no function has that index.
        NoFunctionBodyError: the function is imported.
    """
    imported = num_imported_funcs(module)
    total = imported + len(module.codes)
    if not isinstance(func_index, int) or not 0 <= func_index < total:
        raise UnknownFunctionError(
            f"function index {func_index} is out of range (the module has {total} functions, 0..{total - 1})"
        )
    if func_index < imported:
        raise NoFunctionBodyError(f"function {func_index} is imported; it has no body")
    return func_index - imported


class Namer:
    """Function and local names for ``<name>`` annotations; build once per module and pass to each listing."""

    __slots__ = ("function_names", "local_names")

    def __init__(self, module: Module):
        names = dict(module.names.function_names)
        for export in module.exports:
            if export.kind == EXTERN_FUNC:
                names.setdefault(export.index, export.name)
        self.function_names = names
        self.local_names = module.names.local_names


def iter_instructions(module: ValidatedModule | Module, func_index: int, *, namer=None) -> Iterator[Instruction]:
    """Yield the :class:`Instruction` lines of function ``func_index`` one at a time.

    Raises:
        UnknownFunctionError / NoFunctionBodyError: see :func:`check_defined`.
    """
    module = as_module(module)
    body = module.codes[check_defined(module, func_index)]
    namer = namer or Namer(module)
    func_name = namer.function_names.get
    local_name = namer.local_names.get(func_index, {}).get
    types = module.types
    plain = PLAIN_NAMES  # instructions without immediates: the text is the name
    # Texts that depend only on (op, immediate) repeat a lot (i32.const 0,
    # local.get 1 in unnamed code, memargs); remember them for this listing.
    memo: dict = {}
    depth = 0
    for op, imm, offset in zip(body.ops, body.imms, body.offsets, strict=False):
        if op == _END or op == _ELSE or op in _HANDLER_OPS:
            depth_here = max(depth - 1, 0)
            if op == _END or op == _DELEGATE:
                depth = depth_here
        else:
            depth_here = depth
        text = plain.get(op)
        if text is None:
            key = (op, imm)
            try:
                text = memo.get(key)
            except TypeError:  # an unhashable immediate; never produced by the decoder, but cheap to allow
                key = None
            if text is None:
                text = instruction_text(op, imm, types=types, func_name=func_name, local_name=local_name)
                if key is not None:
                    memo[key] = text
        if op == _BLOCK or op == _LOOP or op == _IF or op == _TRY or op == _TRY_TABLE:
            depth += 1
            text = f"{text}  ;; label = @{depth}"
        elif op == _BR or op == _BR_IF:
            text = f"{text} (;@{depth - imm};)"
        elif op == _BR_TABLE:
            text = "br_table " + " ".join(f"{label} (;@{depth - label};)" for label in imm)
        yield Instruction(offset, depth_here, op, text)


def disassemble(module: ValidatedModule | Module, func_index: int) -> list[Instruction]:
    """The listing of function ``func_index`` as a list of :class:`Instruction`.

    ``str(line)``-ready text comes from :meth:`Instruction.render`. For very
    large functions prefer :func:`iter_instructions`, which streams.

    Raises:
        UnknownFunctionError: ``func_index`` is not a function of the module.
        NoFunctionBodyError: the function is imported.
    """
    return list(iter_instructions(module, func_index))
