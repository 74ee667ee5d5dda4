"""The interpreter engine: runs validated function bodies without generating code.

:class:`InterpreterEngine` implements :class:`pywaz.api.Engine` for every
WebAssembly 2.0 instruction, SIMD included. Each function is lowered once, on
its first call, to a flat program of small-int codes with resolved branch
targets and fused instruction sequences (:mod:`.prepare`); one dispatch loop
(:mod:`.machine`) runs it with an explicit frame stack. Out-of-line helpers:
:mod:`.misc` (table, bulk memory), :mod:`.vector` (vector instructions, on the
shared lane library :mod:`pywaz.simd`).
"""

from .engine import InterpreterArtifact, InterpreterEngine

__all__ = ["InterpreterArtifact", "InterpreterEngine"]
