"""The interpreter engine: runs validated function bodies without generating code.

:class:`InterpreterEngine` implements :class:`pywaz.api.Engine`. Each function
is lowered once, on its first call, to a flat program of small-int codes
(:mod:`.prepare`) that one dispatch loop (:mod:`.machine`) executes with an
explicit frame stack.
"""

from .engine import InterpreterArtifact, InterpreterEngine

__all__ = ["InterpreterArtifact", "InterpreterEngine"]
