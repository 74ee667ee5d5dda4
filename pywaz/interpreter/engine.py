"""The interpreter engine: implements :class:`pywaz.api.Engine` by interpretation.

``compile`` does no work up front: it returns an :class:`InterpreterArtifact`
that lowers each function (:mod:`.prepare`) the first time it is called and
keeps the result, so one artifact serves every instance of the module.
``bind`` gives each defined function of an instance a ``call`` that runs the
dispatch loop of :mod:`.machine`.
"""

from __future__ import annotations

import gc
import threading

from ..api import CompileOptions
from .machine import CallDepth, make_runner
from .misc import MISC_OPS
from .prepare import FuncCode, prepare_function


class InterpreterArtifact:
    """Per-module state of the interpreter: the lazily lowered function bodies."""

    def __init__(self, validated):
        self.validated = validated
        self.nimports = validated.num_imported_funcs
        self.codes: list[FuncCode | None] = [None] * len(validated.functions)
        self._lock = threading.Lock()

    def get_code(self, def_index: int) -> FuncCode:
        """The lowered form of defined function ``def_index``, lowering it on first use."""
        code = self.codes[def_index]
        if code is None:
            with self._lock:
                code = self.codes[def_index]
                if code is None:
                    # Lowering allocates many small objects; with a large module
                    # alive, the cyclic GC's full passes over it cost several times
                    # the lowering itself, and nothing here can form a cycle.
                    gc_was_enabled = gc.isenabled()
                    gc.disable()
                    try:
                        code = prepare_function(self.validated, self.validated.functions[def_index], MISC_OPS)
                    finally:
                        if gc_was_enabled:
                            gc.enable()
                    self.codes[def_index] = code
        return code

    def prepare_all(self) -> None:
        """Lower every function now (what an eager compile mode would do)."""
        for i in range(len(self.codes)):
            self.get_code(i)


class InterpreterEngine:
    """Executes validated function bodies directly; no code generation."""

    name = "interpreter"
    # Calls within an instance use the explicit frame stack; only a call into
    # another instance takes Python frames (run -> _call_python -> run: three
    # at most), so entry points size the recursion limit for that worst case.
    python_frames_per_call = 3

    def __init__(self):
        self._private_depth = CallDepth()

    def compile(self, validated, options: CompileOptions) -> InterpreterArtifact:
        artifact = InterpreterArtifact(validated)
        if options is not None and getattr(options, "compile_mode", "lazy") == "eager":
            artifact.prepare_all()
        return artifact

    def bind(self, artifact: InterpreterArtifact, instance) -> None:
        runtime = instance.runtime
        call_depth = getattr(runtime, "call_depth", None) or self._private_depth
        run = make_runner(instance, artifact, call_depth)
        nimports = artifact.nimports
        for def_index in range(len(artifact.codes)):
            instance.funcs[nimports + def_index].call = _make_call(run, def_index)
        instance.engine_state = artifact


def _make_call(run, def_index):
    def call(*args):
        return run(def_index, args)

    # Lets another interpreted instance enter the loop without an argument
    # unpacking call (which CPython 3.11 runs as a C-level recursion).
    call.interpreter_entry = (run, def_index)
    return call
