"""The interpreter engine: implements :class:`pywaz.api.Engine` by interpretation.

``compile`` does no work up front: it returns an :class:`InterpreterArtifact`
that lowers each function (:mod:`.prepare`) the first time it is called and
keeps the result, so one artifact serves every instance of the module.
``bind`` gives each defined function of an instance a ``call`` that runs the
dispatch loop of :mod:`.machine`.

With a disk cache, ``serialize``/``deserialize`` store the module
information (:mod:`pywaz.cache.moduleinfo`): a later process instantiates
with no decode and no validation, and each function is decoded, validated
and lowered on its first call.
"""

from __future__ import annotations

import gc
import threading

from ..api import CompileOptions
from .machine import CallDepth, make_runner
from .misc import MISC_OPS
from .prepare import FuncCode, prepare_function

_ARTIFACT_FORMAT = 1


class InterpreterArtifact:
    """Per-module state of the interpreter: the lazily lowered function bodies."""

    def __init__(self, validated, fuel: bool = False):
        self.validated = validated
        #: Whether the lowered programs meter fuel (``CompileOptions.fuel``).
        self.fuel = fuel
        self.nimports = validated.num_imported_funcs
        self.codes: list[FuncCode | None] = [None] * len(validated.functions)
        self._lock = threading.Lock()
        self._module_info: dict | None = None  # cached form of the module (see serialize)
        self._bodies = None  # pywaz.cache.moduleinfo.ModuleBodies of a module rebuilt from the cache

    def provide_module_bytes(self, data) -> None:
        """Give a cache-loaded artifact its module's bytes, from which each function is decoded on first call.

        Raises:
            PywazError: the bytes are not this artifact's module.
        """
        if self._bodies is not None:
            self._bodies.provide(data)

    def compiled_count(self) -> int:
        """Functions stored in a cache entry beyond the module information: none (lowering is not cached)."""
        return 0

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
                        code = self.prepare(def_index)
                    finally:
                        if gc_was_enabled:
                            gc.enable()
                    self.codes[def_index] = code
        return code

    def prepare(self, def_index: int) -> FuncCode:
        """Lower defined function ``def_index`` (called once, under the lock, by :meth:`get_code`)."""
        return prepare_function(self.validated, self.validated.functions[def_index], MISC_OPS, self.fuel)

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
        artifact = InterpreterArtifact(validated, bool(getattr(options, "fuel", False)))
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

    def serialize(self, artifact: InterpreterArtifact):
        """``artifact`` as a cache payload: the module information only (lowered code is not stored)."""
        from ..cache.moduleinfo import encode_module_info
        from ..cache.payload import ArtifactPayload

        if artifact._module_info is None:
            artifact._module_info = encode_module_info(artifact.validated)
        metadata = {"format": _ARTIFACT_FORMAT, "fuel": artifact.fuel, "module": artifact._module_info}
        return ArtifactPayload(metadata=metadata, code_blobs=(None,) * len(artifact.codes))

    def deserialize(self, payload) -> InterpreterArtifact:
        """An artifact from :meth:`serialize`'s payload: no decode and no validation until a function runs.

        Raises:
            PywazError: not an interpreter artifact of this format (the cache treats it as a miss).
        """
        from ..cache.moduleinfo import decode_module_info, module_bodies_of
        from ..errors import PywazError

        metadata = payload.metadata
        if not isinstance(metadata, dict) or metadata.get("format") != _ARTIFACT_FORMAT:
            raise PywazError("not an interpreter artifact of this format")
        validated = decode_module_info(metadata["module"])
        if len(payload.code_blobs) != len(validated.functions):
            raise PywazError("interpreter artifact and its module have different function counts")
        fuel = metadata.get("fuel", False)
        if not isinstance(fuel, bool):
            raise PywazError("interpreter artifact metadata has a malformed fuel flag")
        artifact = InterpreterArtifact(validated, fuel)
        artifact._module_info = metadata["module"]
        artifact._bodies = module_bodies_of(validated)
        return artifact


def _make_call(run, def_index):
    def call(*args):
        return run(def_index, args)

    # Lets another interpreted instance enter the loop without an argument
    # unpacking call (which CPython 3.11 runs as a C-level recursion).
    call.interpreter_entry = (run, def_index)
    return call
