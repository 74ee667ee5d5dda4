"""Compiled artifacts: one code object per defined function, no instance state.

Enters: a :class:`~pywaz.ir.ValidatedModule` and the compile mode. Leaves: a
:class:`CompiledArtifact` whose functions are compiled either all at once
(eager) or one by one on first use (lazy; thread-safe, once per artifact, then
shared by every instance bound to it).

Each :class:`CompiledFunction` is plain data plus a code object: its generated
source (with ``# wasm@0x...`` offset comments), the float constants the code
reads as globals (NaNs cannot be written as literals), and whether it was
lowered in flat mode. Each code object carries its line table (the wasm
offset of every trap and call site, :mod:`.linetable`) among its constants, so
the table reaches the disk cache inside the marshalled code and is read only
when a trap is formatted (:func:`trap_frames_of`). :func:`serialize` /
:func:`deserialize` turn an artifact into the cache's
:class:`~pywaz.cache.payload.ArtifactPayload` and back.
"""

from __future__ import annotations

import collections
import re
import threading
import types
import warnings
import weakref
from typing import TYPE_CHECKING

from .._records import record, replace
from ..deftypes import def_types_of
from ..errors import PywazError, TrapFrame
from ..ir import I64, ValidatedModule
from . import linetable

if TYPE_CHECKING:
    from .lower import LoweredFunction, UnsupportedOpcode

_FILENAME_PREFIX = "<wasm function "

# Generated code may subscript or compare a literal (``None[i]`` for array.get of a ref.null, ``5 is None``
# for ref.test of a constant i31): correct, since the TypeError it raises is the null trap and the test's
# answer is right, but CPython's compile() warns about such literals. The warnings concern no code of the
# user's: they are silenced for generated functions only (a compile-time warning's module is its filename),
# by a filter put first again before each compile (a caller's ``catch_warnings`` may have dropped it).
_GENERATED_MODULE = r"<wasm function \d+>\Z"

# Functions whose body (binary §5.5.13, after the size field) is longer than
# this run in the interpreter's loop inside the compiler engine. CPython's
# compile() of one ``def`` holds the whole function's syntax tree and control
# flow graph at once: ~1,000 bytes of peak memory per byte of wasm at every
# size (a 2 MB body took 1.8 GB), where the interpreter's lowering takes ~40.
# At this size a compile peaks near 100 MiB. Measured by
# bench/compile_memory.py.
INTERPRET_ABOVE = 96 * 1024

# 2: the metadata carries the module information (pywaz.cache.moduleinfo).
# 3: code objects carry a line table (older code would give traps no offsets).
ARTIFACT_FORMAT = 3


@record
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


# Tracebacks through generated code show its source for the most recently
# compiled functions only: linecache is process-global and never shrinks by
# itself, and a 14 MB module's sources are ~100 MB of lines (memory that would
# outlive the module, and millions of strings for every full GC to walk).
# ``CompiledFunction.source`` and ``pywaz inspect --python`` keep all of it.
_LINECACHE_FUNCTIONS = 256
_registered_sources: collections.OrderedDict = collections.OrderedDict()
_registered_lock = threading.Lock()


def _register_source(filename: str, source: str) -> None:
    import linecache  # with tokenize: not needed by a process that only loads cached code

    with _registered_lock:
        _registered_sources[filename] = None
        _registered_sources.move_to_end(filename)
        linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
        while len(_registered_sources) > _LINECACHE_FUNCTIONS:
            old, _ = _registered_sources.popitem(last=False)
            linecache.cache.pop(old, None)


def _compile_source(lowered: LoweredFunction, func_index: int, register: bool = True) -> types.CodeType:
    filename = f"{_FILENAME_PREFIX}{func_index}>"
    warnings.filterwarnings("ignore", category=SyntaxWarning, module=_GENERATED_MODULE)
    module_code = compile(lowered.source, filename, "exec", dont_inherit=True)
    for constant in module_code.co_consts:
        if isinstance(constant, types.CodeType) and constant.co_name == lowered.name:
            if register:
                _register_source(filename, lowered.source)
            return linetable.attach(constant, lowered.line_table)
    raise CompileFailure(f"generated source for function {func_index} defines no function")


def unsupported_opcode_class() -> type:
    """:class:`~pywaz.compiler.lower.UnsupportedOpcode`, imported on first need (lowering is costly to import)."""
    from .lower import UnsupportedOpcode

    return UnsupportedOpcode


def compile_function(
    validated: ValidatedModule, local_index: int, fuel: bool = False, info=None, register: bool = True,
    functions=None,
) -> CompiledFunction:
    """Lower and compile defined function ``local_index`` of ``validated``.

    Structured lowering is tried first; if CPython still refuses it (a static
    limit the pre-pass did not foresee), the function is lowered flat.
    ``fuel`` emits fuel metering (``CompileOptions.fuel``). ``info`` is the
    function's :class:`~pywaz.ir.FunctionInfo` when the caller has it (a
    compile worker), else it is read from ``validated``; ``register`` puts the
    source into :mod:`linecache` for tracebacks. ``functions`` stands for
    ``validated.functions`` where the module has no bodies (a fresh worker): it
    must hold the functions the lowering looks at (callees, see
    :func:`callee_closure`).

    Raises:
        UnsupportedOpcode: the function uses an instruction the engine cannot lower yet.
        CompileFailure: neither form compiled.
    """
    from .lower import lower_function

    if info is None:
        info = validated.functions[local_index]
    module = validated.module
    func_index = info.func_index
    name = _python_name(func_index, module.names.function_names.get(func_index))
    global_mutable = tuple(g.mutable for g in validated.global_types)
    imported = validated.num_imported_funcs
    widths = {
        "def_types": def_types_of(validated),
        "memory64": tuple(memory.address_type == I64 for memory in validated.memory_types),
        "table64": tuple(table.address_type == I64 for table in validated.table_types),
        "functions": validated.functions if functions is None else functions,
    }
    lowered = lower_function(
        info, validated.func_types, global_mutable, module.types, name, num_imported=imported, fuel=fuel,
        tag_types=validated.tag_types, **widths
    )
    try:
        code = _compile_source(lowered, func_index, register)
    except (SyntaxError, RecursionError, MemoryError, ValueError) as exc:
        if lowered.flat:
            raise CompileFailure(f"function {func_index}: generated code does not compile: {exc}") from exc
        lowered = lower_function(
            info,
            validated.func_types,
            global_mutable,
            module.types,
            name,
            force_flat=True,
            num_imported=imported,
            fuel=fuel,
            **widths,
            tag_types=validated.tag_types,
        )
        try:
            code = _compile_source(lowered, func_index, register)
        except (SyntaxError, RecursionError, MemoryError, ValueError) as exc2:
            raise CompileFailure(f"function {func_index}: generated code does not compile: {exc2}") from exc2
    flat = lowered.flat or lowered.islands > 0
    return CompiledFunction(func_index, name, code, lowered.source, tuple(lowered.consts.items()), flat)


def canonical_blob(code: types.CodeType) -> bytes:
    """``code`` marshalled as the cache stores it: the same bytes for the same code, wherever it was made.

    marshal flags an object for back-references when its reference count is
    above one, so ``marshal.dumps`` of one code object gives different bytes
    depending on what else holds its parts at that moment (the compiler's
    constant cache, linecache holding the filename, a bound function).
    Marshalling the unmarshalled copy, whose objects nothing else holds,
    makes the bytes depend on the code alone: a function compiled in a
    worker process and sent over as marshalled code stores exactly what the
    same function compiled here does.
    """
    import marshal

    return marshal.dumps(marshal.loads(marshal.dumps(code)))


def compile_marshalled(
    validated: ValidatedModule, local_index: int, fuel: bool, keep_sources: bool, info=None, functions=None
) -> tuple[CompiledFunction, bytes]:
    """:func:`compile_function` (source not registered for tracebacks) and its code marshalled: a worker's result.

    Raises:
        UnsupportedOpcode, CompileFailure: as :func:`compile_function`.
    """
    import marshal

    if functions is None:  # positional: tests wrap it
        compiled = compile_function(validated, local_index, fuel, info, False)
    else:
        compiled = compile_function(validated, local_index, fuel, info, False, functions)
    if not keep_sources:
        compiled = replace(compiled, source="")
    return compiled, marshal.dumps(compiled.code)


_CALL, _RETURN_CALL = 0x10, 0x12


def callee_closure(functions, local_indexes, num_imported: int) -> dict:
    """The FunctionInfos lowering ``local_indexes`` may read besides their own, by local index.

    Lowering looks at direct callees (pure leaf calls are inlined) and follows
    ``return_call`` edges transitively (tail-call groups, whose members' callees
    it reads too); nothing else.
    """
    found: dict = {}
    todo = list(local_indexes)
    while todo:
        local_index = todo.pop()
        body = functions[local_index].body
        for code, imm in zip(body.ops, body.imms):
            if code not in (_CALL, _RETURN_CALL) or imm < num_imported:
                continue
            callee = imm - num_imported
            if callee not in found:
                found[callee] = functions[callee]
                if code == _RETURN_CALL:  # a group member: lowered with its own callees
                    todo.append(callee)
    return found


class FunctionsView:
    """A sequence of ``count`` FunctionInfos of which only ``known`` (local index -> info) are present."""

    __slots__ = ("_count", "_known")

    def __init__(self, count: int, known: dict):
        self._count = count
        self._known = known

    def __len__(self) -> int:
        return self._count

    def __bool__(self) -> bool:
        return self._count > 0

    def __getitem__(self, local_index: int):
        try:
            return self._known[local_index]
        except KeyError:
            raise CompileFailure(f"defined function {local_index} was not sent to this compile worker") from None


class CompiledArtifact:
    """The compiler engine's artifact for one module.

    ``functions[i]`` is the :class:`CompiledFunction` of defined function ``i``,
    or None while it is neither compiled nor loaded (lazy mode, or a cached
    entry whose code object is unmarshalled on first use: see
    :meth:`has_code`). ``errors[i]`` holds the :class:`UnsupportedOpcode` of a
    function that cannot be compiled; calling that function raises it.
    ``validated`` is the module: the validator's for a fresh compile, a
    rebuilt one without bodies for a cache hit (its bodies are decoded from
    the module bytes on first need, see :mod:`pywaz.cache.moduleinfo`).
    """

    def __init__(
        self,
        validated: ValidatedModule | None,
        num_functions: int,
        compile_mode: str,
        keep_sources: bool = True,
        fuel: bool = False,
    ):
        self.validated = validated
        self.compile_mode = compile_mode
        #: Whether the code meters fuel (``CompileOptions.fuel``); every function of an artifact agrees.
        self.fuel = fuel
        #: Whether compiled functions keep their generated source (``""`` when not: regenerate to read it).
        self.keep_sources = keep_sources
        self.functions: list[CompiledFunction | None] = [None] * num_functions
        self.errors: list[UnsupportedOpcode | None] = [None] * num_functions
        self._lock = threading.Lock()
        # Cached form (set by deserialize, extended by serialize): code not unmarshalled yet.
        self._stored = None  # LazyCodeList or None
        self._stored_meta: list | None = None
        self._stored_sources: tuple | None = None
        self._blobs: list[bytes | None] = [None] * num_functions  # marshalled code, reused by every flush
        self._module_info: dict | None = None
        self._bodies = None  # pywaz.cache.moduleinfo.ModuleBodies of a rebuilt module
        #: Per function: whether it is interpreted (body above INTERPRET_ABOVE); None: not decided yet.
        self._interpreted: list[bool | None] = [None] * num_functions
        self._interpreter = None  # the _InterpretedFunctions running those, made on first need

    def has_code(self, local_index: int) -> bool:
        """Whether function ``local_index`` is compiled or loadable from the cache without compiling."""
        if self.functions[local_index] is not None:
            return True
        stored = self._stored
        return stored is not None and stored.present(local_index)

    def compiled_count(self) -> int:
        """Functions compiled or loadable without compiling."""
        return sum(1 for i in range(len(self.functions)) if self.has_code(i))

    def provide_module_bytes(self, data) -> None:
        """Give a cache-loaded artifact its module's bytes, so functions not compiled yet can be.

        Raises:
            PywazError: the bytes are not this artifact's module.
        """
        if self._bodies is not None:
            self._bodies.provide(data)

    def _from_store(self, local_index: int) -> CompiledFunction | None:
        stored = self._stored
        if stored is None or not stored.present(local_index):
            return None
        code = stored[local_index]
        if code is None:  # unreadable, corrupt, or not a code object: compile the function instead
            return None
        entry = self._stored_meta[local_index]
        sources = self._stored_sources
        return CompiledFunction(
            entry["func_index"],
            entry["name"],
            code,
            (sources[local_index] if sources else None) or "",
            tuple((name, bits) for name, bits in entry["consts"]),
            bool(entry["flat"]),
        )

    def _module_for(self, validated: ValidatedModule | None, local_index: int) -> ValidatedModule:
        """The module whose bodies a compile (or the interpreter) reads: this artifact's, or ``validated``.

        Raises:
            PywazError: neither has the bodies.
        """
        source = self.validated
        if source is None or (self._bodies is not None and not self._bodies.available and validated is not None):
            source = validated
        if source is None:
            raise PywazError(f"function {local_index} was not compiled and the module is not available")
        return source

    def interprets(self, local_index: int, validated: ValidatedModule | None = None) -> bool:
        """Whether function ``local_index`` runs in the interpreter: no code for it, and its body is too large.

        The choice depends on the body alone, so a cache-loaded artifact (which
        stores no code for such a function) makes it again on first call.

        Raises:
            PywazError: the body must be read but the module's bodies are unavailable.
        """
        decided = self._interpreted[local_index]
        if decided is None:
            if self.has_code(local_index):
                decided = False
            else:
                body = self._module_for(validated, local_index).functions[local_index].body
                decided = body.end - body.offset > INTERPRET_ABOVE
            self._interpreted[local_index] = decided
        return decided

    def interpret_instead(self, local_index: int) -> None:
        """Run function ``local_index`` in the interpreter's loop: the compiler cannot lower it.

        Used when lowering raises ``UnsupportedOpcode`` (an instruction the
        compiler has no lowering for in that function's shape, such as a
        ``try_table`` in a function lowered flat), so the compiler engine still
        runs every valid module. The error stays recorded in :attr:`errors`.
        """
        self._interpreted[local_index] = True

    def interpreter(self, local_index: int, validated: ValidatedModule | None = None):
        """The interpreter's programs of the functions this artifact interprets (made once).

        ``local_index`` is the function that needs them (named in the error).

        Raises:
            PywazError: the module's bodies are unavailable.
        """
        found = self._interpreter
        if found is None:
            with self._lock:
                found = self._interpreter
                if found is None:
                    module = self._module_for(validated, local_index)
                    # Weakly: a cycle would keep the artifact (and a cache entry's open file) until a full GC.
                    artifact = weakref.ref(self)
                    found = self._interpreter = _interpreted_functions(
                        module, self.fuel, lambda index: artifact().interprets(index, validated)
                    )
        return found

    def function(self, local_index: int, validated: ValidatedModule | None = None) -> CompiledFunction:
        """The compiled function ``local_index``: loaded from the cache, or compiled now (once, under a lock).

        Raises:
            UnsupportedOpcode: the function cannot be compiled by this engine.
            PywazError: it must be compiled but the module's bodies are unavailable.
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
            found = self._from_store(local_index)
            if found is None:
                source = self._module_for(validated, local_index)
                unsupported = unsupported_opcode_class()
                try:
                    found = compile_function(source, local_index, self.fuel)
                except unsupported as exc:
                    self.errors[local_index] = exc
                    raise
                if not self.keep_sources:
                    found = replace(found, source="")
            self.functions[local_index] = found
            return found

    def compile_all(self, workers: int | None = 1, progress=None) -> None:
        """Compile every function not compiled yet (unsupported ones record their error and run interpreted).

        A function too large to compile (:meth:`interprets`) gets its
        interpreter program instead. ``workers`` processes share the compiling
        (:mod:`.parallel`; None: one per CPU when the module is large enough to
        gain, 1: in this process); each function's code is the same bytes
        either way. ``progress(done, total, done_bytes, total_bytes)`` is called as
        functions complete (bytes: the wasm code of the functions compiled now).

        Raises:
            CompileFailure: generated code did not compile, or a compile worker failed.
        """
        total = len(self.functions)
        todo = []
        interpreted = []
        done = 0
        for i in range(total):
            if self.interprets(i):
                interpreted.append(i)
                done += 1
            elif self.has_code(i) or self.errors[i] is not None:
                done += 1
            else:
                todo.append(i)
        module = self._module_for(None, todo[0]) if todo else None
        codes = module.module.codes if todo else ()
        sizes = [codes[i].end - codes[i].offset for i in todo]
        total_bytes = sum(sizes)
        done_bytes = 0
        def prepare_interpreted() -> None:
            for i in interpreted:
                self.interpreter(i).get_code(i)

        if progress is not None and done:
            progress(done, total, done_bytes, total_bytes)
        if not todo:
            prepare_interpreted()
            return
        count = 1
        if workers != 1:
            from . import parallel

            count = parallel.worker_count(workers, total_bytes, len(todo))
        if count <= 1:
            prepare_interpreted()
            for i, size in zip(todo, sizes):
                self._compile_here(i, module)
                done += 1
                done_bytes += size
                if progress is not None:
                    progress(done, total, done_bytes, total_bytes)
            return
        size_of = dict(zip(todo, sizes))

        def deliver(local_index: int, outcome) -> None:
            nonlocal done, done_bytes
            self._deliver(local_index, outcome, module)
            done += 1
            done_bytes += size_of[local_index]
            if progress is not None:
                progress(done, total, done_bytes, total_bytes)

        parallel.compile_functions(
            module, todo, sizes, count, self.fuel, self.keep_sources, self._info_of, deliver, prepare_interpreted
        )
        if self.keep_sources:  # tracebacks show the source of the last functions, as after an in-process compile
            for i in todo[-_LINECACHE_FUNCTIONS:]:
                compiled = self.functions[i]
                if compiled is not None:
                    _register_source(f"{_FILENAME_PREFIX}{compiled.func_index}>", compiled.source)

    def _info_of(self) -> dict:
        """The module information (:func:`pywaz.cache.moduleinfo.encode_module_info`), computed once."""
        if self._module_info is None:
            from ..cache.moduleinfo import encode_module_info

            self._module_info = encode_module_info(self.validated)
        return self._module_info

    def _compile_here(self, local_index: int, module: ValidatedModule) -> None:
        """Compile one function in this process for :meth:`compile_all` (unsupported: run it interpreted)."""
        try:
            self.function(local_index, module)
        except unsupported_opcode_class():
            self.interpret_instead(local_index)
            self.interpreter(local_index).get_code(local_index)

    def _deliver(self, local_index: int, outcome, module: ValidatedModule) -> None:
        """Install what a compile worker made of function ``local_index`` (see :mod:`.parallel`).

        Raises:
            CompileFailure: the worker could not compile it.
        """
        import marshal

        kind = outcome[0]
        if kind == "code":
            _, name, blob, source, consts, flat = outcome
            func_index = module.num_imported_funcs + local_index
            compiled = CompiledFunction(func_index, name, marshal.loads(blob), source, tuple(consts), flat)
            del blob  # not kept: serialize marshals every function's code the same way (canonical_blob)
            with self._lock:
                if self.functions[local_index] is None:
                    self.functions[local_index] = compiled
        elif kind == "unsupported":
            self.errors[local_index] = unsupported_opcode_class()(*outcome[1:])
            self.interpret_instead(local_index)
            self.interpreter(local_index).get_code(local_index)
        else:
            raise CompileFailure(outcome[1])

    @property
    def complete(self) -> bool:
        return all(self.has_code(i) or e is not None for i, e in enumerate(self.errors))


def _interpreted_functions(validated: ValidatedModule, fuel: bool, interprets):
    """An interpreter artifact for ``validated`` whose calls to compiled functions go through the instance.

    The interpreter's own artifact runs a call to a function of the same
    instance in its loop. Here a direct call to a function that is compiled
    (``interprets(local_index)`` is false) goes through ``instance.funcs[i].call``
    instead (the interpreter's import-call path), so it runs the compiled
    code; a call between interpreted functions stays in the loop, which keeps
    recursion among them off the Python stack. (``call_indirect`` to a function
    of the same instance is the interpreter's own path: it runs the callee in
    the loop whichever it is.)
    """
    from ..interpreter.engine import InterpreterArtifact
    from ..interpreter.misc import MISC_OPS
    from ..interpreter.prepare import CALL_IMPORT, CALL_LOCAL, prepare_function

    class _InterpretedFunctions(InterpreterArtifact):
        def prepare(self, def_index: int):
            module = self.validated
            code = prepare_function(module, module.functions[def_index], MISC_OPS, self.fuel)
            prog = code.prog
            nimports = self.nimports
            func_types = module.func_types
            for k, (op, arg) in enumerate(prog):
                if op == CALL_LOCAL and not interprets(arg):
                    callee = arg + nimports
                    ftype = func_types[callee]
                    prog[k] = (CALL_IMPORT, (callee, len(ftype.params), len(ftype.results)))
            return code

    return _InterpretedFunctions(validated, fuel)


def _function_meta(compiled: CompiledFunction) -> dict:
    return {
        "func_index": compiled.func_index,
        "name": compiled.name,
        "consts": [[name, bits] for name, bits in compiled.consts],
        "flat": compiled.flat,
    }


def serialize(artifact: CompiledArtifact):
    """The artifact as an :class:`~pywaz.cache.payload.ArtifactPayload` (uncompiled functions as None).

    The metadata holds the module information instantiation needs
    (:func:`pywaz.cache.moduleinfo.encode_module_info`), computed once per artifact.

    Raises:
        PywazError: the artifact has no module information (nothing to instantiate from).
    """
    from ..cache.moduleinfo import encode_module_info
    from ..cache.payload import ArtifactPayload

    if artifact._module_info is None:
        if artifact.validated is None:
            raise PywazError("the artifact carries no module to serialise")
        artifact._module_info = encode_module_info(artifact.validated)
    stored = artifact._stored
    meta_functions = []
    blobs = []
    sources = []
    for i, compiled in enumerate(artifact.functions):
        blob = None
        if stored is not None and stored.present(i) and artifact._stored_meta[i] is not None:
            blob = stored.blob(i)  # None if it turned out unreadable: then the code compiled since is used
            meta = artifact._stored_meta[i]
            source = artifact._stored_sources[i] if artifact._stored_sources else None
        if blob is None and compiled is not None:
            blob = artifact._blobs[i]
            if blob is None:
                blob = artifact._blobs[i] = canonical_blob(compiled.code)
            meta = _function_meta(compiled)
            source = compiled.source
        if blob is None:
            meta = source = None
        meta_functions.append(meta)
        blobs.append(blob)
        sources.append(source)
    metadata = {
        "format": ARTIFACT_FORMAT,
        "compile_mode": artifact.compile_mode,
        "fuel": artifact.fuel,
        "module": artifact._module_info,
        "functions": meta_functions,
    }
    return ArtifactPayload(metadata=metadata, code_blobs=tuple(blobs), sources=tuple(sources))


def deserialize(payload) -> CompiledArtifact:
    """Rebuild an artifact from :func:`serialize`'s payload, without decoding, validating or compiling.

    Code objects are unmarshalled per function on first use. ``.validated`` is
    rebuilt from the stored module information; functions not compiled yet
    need the module bytes (:meth:`CompiledArtifact.provide_module_bytes`).

    Raises:
        PywazError: the payload is not a compiler-engine artifact of this format.
    """
    from ..cache.moduleinfo import decode_module_info, module_bodies_of
    from ..cache.payload import presence

    metadata = payload.metadata
    if not isinstance(metadata, dict) or metadata.get("format") != ARTIFACT_FORMAT:
        raise PywazError("not a compiler artifact of this format")
    entries = metadata["functions"]
    if not isinstance(entries, list) or len(entries) != len(payload.code_blobs):
        raise PywazError("compiler artifact metadata does not match its code")
    validated = decode_module_info(metadata["module"])
    if len(validated.functions) != len(entries):
        raise PywazError("compiler artifact and its module have different function counts")
    mode = metadata.get("compile_mode", "lazy")
    fuel = metadata.get("fuel", False)
    if not isinstance(fuel, bool):
        raise PywazError("compiler artifact metadata has a malformed fuel flag")
    artifact = CompiledArtifact(validated, len(entries), mode if mode in ("lazy", "eager") else "lazy", fuel=fuel)
    has_code = presence(payload.code_blobs)
    if [entry is not None for entry in entries] != has_code:
        i = next(i for i, entry in enumerate(entries) if (entry is not None) != has_code[i])
        raise PywazError(f"function {i}: metadata and code disagree")
    artifact._module_info = metadata["module"]
    artifact._bodies = module_bodies_of(validated)
    artifact._stored = payload.code_list(on_invalid=lambda index, reason: None)
    artifact._stored_meta = entries
    artifact._stored_sources = payload.sources
    return artifact


def trap_frames_of(exc: BaseException) -> list[TrapFrame]:
    """The wasm frames of generated code in ``exc``'s traceback, innermost first.

    A trap made from another exception (CALL_STACK_EXHAUSTED from a
    RecursionError) was raised outside the wasm frames, so the traceback of its
    ``__cause__``/``__context__`` is searched too. A trap raised by a generated
    function's ``except`` clause (out-of-bounds memory, division by zero) was
    caused by the exception it handles: that exception's traceback says where
    in the function it happened. Offsets come from each code object's line
    table; this runs only when a trap is being reported. The interpreter's
    frames (``exc.interpreted_runs``, per Python frame of its loop, see
    :mod:`pywaz.interpreter.machine`) go where their loop is in the traceback.
    """
    runs = getattr(exc, "interpreted_runs", None) or {}
    for current in (exc, exc.__cause__, exc.__context__):
        if current is None or current.__traceback__ is None:
            continue
        handled: dict = {}  # frame -> where the exception its except clause turned into this trap was raised
        context = current.__context__
        tb = context.__traceback__ if context is not None else None
        while tb is not None:
            handled.setdefault(tb.tb_frame, tb.tb_lasti)
            tb = tb.tb_next
        frames = []
        made: dict = {}
        positions: dict = {}
        tb = current.__traceback__
        while tb is not None:
            frame = tb.tb_frame
            code = frame.f_code
            if frame in runs:
                frames.extend(reversed(runs[frame]))
            elif code.co_filename.startswith(_FILENAME_PREFIX):
                lasti = handled.get(frame, tb.tb_lasti)
                key = (code, lasti, id(frame.f_globals))
                found = made.get(key)
                if found is None:
                    found = made[key] = _trap_frame(frame, code, lasti, positions)
                frames.append(found)
            tb = tb.tb_next
        if frames:
            frames.reverse()
            return frames
    return []


def _trap_frame(frame, code: types.CodeType, lasti: int, positions: dict) -> TrapFrame:
    func_index = int(code.co_filename[len(_FILENAME_PREFIX) : -1])
    offset = linetable.offset_at(code, lasti, positions)
    instance = frame.f_globals.get("_inst")
    if instance is not None and hasattr(instance, "trap_frame"):
        return instance.trap_frame(func_index, offset)
    index, _, name = code.co_name[1:].partition("_")  # generated functions are f<index>_<wasm name>
    return TrapFrame(func_index, name or f"func[{func_index}]", "<module>", offset)
