"""``pywaz inspect``: module summaries, wasm function listings and feature detection.

Enters: wasm bytes, a path, a decoded :class:`~pywaz.ir.Module` or a
:class:`~pywaz.ir.ValidatedModule`. Leaves: plain data for people and tools.

- :func:`summarize` -> ``dict`` (sections, types, imports/exports, tables,
  memories, globals, segments, customs, functions, features), shaped by
  ``pywaz/inspect/schema.json``.
- :func:`disassemble` -> list of :class:`Instruction` (offset, depth, wat text).
- :func:`function_view` -> :class:`FunctionView` (listing plus generated
  Python and code object when the compiler engine can provide them).
- :func:`detect_features` -> the post-MVP features in use (2.0, extended-const, relaxed-simd), with evidence.

Submodules: :mod:`.wat` (text spellings), :mod:`.disasm`, :mod:`.features`,
:mod:`.summary`, :mod:`.select` (``--func`` selectors), :mod:`.view`,
:mod:`.render` (text tables, streamed JSON).
"""

from .disasm import Instruction, NoFunctionBodyError, UnknownFunctionError, disassemble, iter_instructions
from .features import FEATURES, FeatureUse, detect_features
from .select import select_functions
from .summary import InspectInputError, load, summarize
from .view import FunctionView, function_view

__all__ = [
    "FEATURES",
    "FeatureUse",
    "FunctionView",
    "InspectInputError",
    "Instruction",
    "NoFunctionBodyError",
    "UnknownFunctionError",
    "detect_features",
    "disassemble",
    "function_view",
    "iter_instructions",
    "load",
    "select_functions",
    "summarize",
]
