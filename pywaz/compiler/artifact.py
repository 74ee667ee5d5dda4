"""Compiled artifacts: one code object per defined function, no instance state.

Enters: a :class:`~pywaz.ir.ValidatedModule` and the compile mode. Leaves: a
:class:`CompiledArtifact` whose functions are compiled either all at once
(eager) or one by one on first use (lazy; thread-safe, once per artifact, then
shared by every instance bound to it).

Each :class:`CompiledFunction` is plain data plus a code object: its generated
source (with ``# wasm@0x...`` offset comments), the float constants the code
reads as globals (NaNs cannot be written as literals), and whether it was
lowered in flat mode. :func:`serialize` / :func:`deserialize` turn an artifact
into the cache's :class:`~pywaz.cache.payload.ArtifactPayload` and back.
"""

from __future__ import annotations

import linecache
import re
import threading
import types
from dataclasses import dataclass

from ..errors import PywazError
from ..ir import ValidatedModule
from .lower import LoweredFunction, UnsupportedOpcode, lower_function

ARTIFACT_FORMAT = 1


@dataclass(frozen=True, slots=True)
class CompiledFunction:
    """One compiled wasm function: ``code`` defines it; ``consts`` are (global name, f64 bits).

    ``flat`` says some or all of it was lowered in flat (region dispatch) form.
    """

    func_index: int
    name: str
    code: types.CodeType
    source: str
    consts: tuple[tuple[str, int], ...]
    flat: bool


class CompileFailure(PywazError):
    """The generated Python for a function could not be compiled (a pywaz bug, reported with the function index)."""


def _python_name(func_index: int, wasm_name: str | None) -> str:
    if not wasm_name:
        return f"f{func_index}"
    cleaned = re.sub(r"[^0-9A-Za-z_]", "_", wasm_name)[:40]
    return f"f{func_index}_{cleaned}"


def _compile_source(lowered: LoweredFunction, func_index: int) -> types.CodeType:
    filename = f"<wasm function {func_index}>"
    module_code = compile(lowered.source, filename, "exec", dont_inherit=True)
    for constant in module_code.co_consts:
        if isinstance(constant, types.CodeType) and constant.co_name == lowered.name:
            linecache.cache[filename] = (len(lowered.source), None, lowered.source.splitlines(True), filename)
            return constant
    raise CompileFailure(f"generated source for function {func_index} defines no function")


def compile_function(validated: ValidatedModule, local_index: int) -> CompiledFunction:
    """Lower and compile defined function ``local_index`` of ``validated``.

    Structured lowering is tried first; if CPython still refuses it (a static
    limit the pre-pass did not foresee), the function is lowered flat.

    Raises:
        UnsupportedOpcode: the function uses an instruction the engine cannot lower yet.
        CompileFailure: neither form compiled.
    """
    info = validated.functions[local_index]
    module = validated.module
    func_index = info.func_index
    name = _python_name(func_index, module.names.function_names.get(func_index))
    global_mutable = tuple(g.mutable for g in validated.global_types)
    imported = validated.num_imported_funcs
    lowered = lower_function(info, validated.func_types, global_mutable, module.types, name, num_imported=imported)
    try:
        code = _compile_source(lowered, func_index)
    except (SyntaxError, RecursionError, MemoryError, ValueError) as exc:
        if lowered.flat:
            raise CompileFailure(f"function {func_index}: generated code does not compile: {exc}") from exc
        lowered = lower_function(
            info, validated.func_types, global_mutable, module.types, name, force_flat=True, num_imported=imported
        )
        try:
            code = _compile_source(lowered, func_index)
        except (SyntaxError, RecursionError, MemoryError, ValueError) as exc2:
            raise CompileFailure(f"function {func_index}: generated code does not compile: {exc2}") from exc2
    flat = lowered.flat or lowered.islands > 0
    return CompiledFunction(func_index, name, code, lowered.source, tuple(lowered.consts.items()), flat)


class CompiledArtifact:
    """The compiler engine's artifact for one module.

    ``functions[i]`` is the :class:`CompiledFunction` of defined function ``i``,
    or None until it is compiled (lazy mode). ``errors[i]`` holds the
    :class:`UnsupportedOpcode` of a function that cannot be compiled; calling
    that function raises it. ``validated`` is kept only to compile lazily and
    is not part of the serialised form.
    """

    def __init__(self, validated: ValidatedModule | None, num_functions: int, compile_mode: str):
        self.validated = validated
        self.compile_mode = compile_mode
        self.functions: list[CompiledFunction | None] = [None] * num_functions
        self.errors: list[UnsupportedOpcode | None] = [None] * num_functions
        self._lock = threading.Lock()

    def function(self, local_index: int, validated: ValidatedModule | None = None) -> CompiledFunction:
        """The compiled function ``local_index``, compiling it now if needed (once, under a lock).

        Raises:
            UnsupportedOpcode: the function cannot be compiled by this engine.
        """
        found = self.functions[local_index]
        if found is not None:
            return found
        with self._lock:
            found = self.functions[local_index]
            if found is not None:
                return found
            error = self.errors[local_index]
            if error is not None:
                raise error
            source = self.validated if self.validated is not None else validated
            if source is None:
                raise PywazError(f"function {local_index} was not compiled and the module is not available")
            try:
                found = compile_function(source, local_index)
            except UnsupportedOpcode as exc:
                self.errors[local_index] = exc
                raise
            self.functions[local_index] = found
            return found

    def compile_all(self) -> None:
        """Compile every function not compiled yet (unsupported ones record their error)."""
        for i in range(len(self.functions)):
            try:
                self.function(i)
            except UnsupportedOpcode:
                pass

    @property
    def complete(self) -> bool:
        return all(f is not None or e is not None for f, e in zip(self.functions, self.errors))


def serialize(artifact: CompiledArtifact):
    """The artifact as an :class:`~pywaz.cache.payload.ArtifactPayload` (uncompiled functions as None)."""
    import marshal

    from ..cache.payload import ArtifactPayload

    meta_functions = []
    blobs = []
    sources = []
    for compiled in artifact.functions:
        if compiled is None:
            meta_functions.append(None)
            blobs.append(None)
            sources.append(None)
        else:
            meta_functions.append(
                {
                    "func_index": compiled.func_index,
                    "name": compiled.name,
                    "consts": [[name, bits] for name, bits in compiled.consts],
                    "flat": compiled.flat,
                }
            )
            blobs.append(marshal.dumps(compiled.code))
            sources.append(compiled.source)
    metadata = {"format": ARTIFACT_FORMAT, "compile_mode": artifact.compile_mode, "functions": meta_functions}
    return ArtifactPayload(metadata=metadata, code_blobs=tuple(blobs), sources=tuple(sources))


def deserialize(payload) -> CompiledArtifact:
    """Rebuild an artifact from :func:`serialize`'s payload.

    Raises:
        PywazError: the payload is not a compiler-engine artifact of this format.
    """
    metadata = payload.metadata
    if not isinstance(metadata, dict) or metadata.get("format") != ARTIFACT_FORMAT:
        raise PywazError("not a compiler artifact of this format")
    entries = metadata["functions"]
    codes = payload.code_list(lazy_unmarshal=False)
    sources = payload.sources or (None,) * len(entries)
    artifact = CompiledArtifact(None, len(entries), metadata.get("compile_mode", "lazy"))
    for i, entry in enumerate(entries):
        if entry is None:
            continue
        code = codes[i]
        if not isinstance(code, types.CodeType):
            raise PywazError(f"function {i}: payload holds no code object")
        artifact.functions[i] = CompiledFunction(
            entry["func_index"],
            entry["name"],
            code,
            sources[i] or "",
            tuple((name, bits) for name, bits in entry["consts"]),
            bool(entry["flat"]),
        )
    return artifact
