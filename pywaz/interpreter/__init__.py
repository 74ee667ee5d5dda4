"""The interpreter engine: runs validated function bodies without generating code.

:class:`InterpreterEngine` implements :class:`pywaz.api.Engine` for every
WebAssembly 2.0 instruction, SIMD included, and the 3.0 proposals pywaz runs
(relaxed SIMD, 64-bit memories and tables, multiple memories, tail calls, exception handling, typed
function references and GC). Each function is lowered once, on
its first call, to a flat program of small-int codes with resolved branch
targets and fused instruction sequences (:mod:`.prepare`); one dispatch loop
(:mod:`.machine`) runs it with an explicit frame stack; loads and stores of
memory 0 run inline there. Out-of-line helpers, gathered by opcode in
:mod:`.misc`: :mod:`.memory` (memory management, bulk memory, and loads and
stores of the other memories), :mod:`.tables` (table
instructions), :mod:`.vector` (vector instructions, on the shared lane
library :mod:`pywaz.simd`), :mod:`.gc` (structs, arrays, i31, casts and
conversions, on the value representation of :mod:`pywaz.gcvalues`).
"""

from .engine import InterpreterArtifact, InterpreterEngine

__all__ = ["InterpreterArtifact", "InterpreterEngine"]
