"""The tiered engine (pywaz's default): interpreted first, compiled once hot.

``compile`` is the compiler engine's (:class:`~pywaz.compiler.artifact.CompiledArtifact`,
lazy by default), and so are ``serialize``/``deserialize`` and the cache key
(``cache_name = "compiler"``): the tiered and compiler engines share cache
entries, so a function compiled by either (and written back to a disk cache,
see :mod:`pywaz.cache.autoflush`) starts compiled in both.

``bind`` gives each defined function of an instance:

* its compiled code, if the artifact has it (compiled, or in the cache entry);
* otherwise the interpreter (:mod:`pywaz.interpreter.machine`) running the
  tiered programs of :mod:`pywaz.interpreter.prepare` (``tier=True``), which
  count calls and loop back-edges per function and instance.

When a function's calls reach :data:`CALL_THRESHOLD` it is compiled and
installed the way the compiler engine's lazy loader does it (rebinding
``_f<i>`` in the instance's globals and ``funcs[i].call``), so every later
call, from compiled code, the interpreter or Python, runs compiled code. When
one of its loops' back-edges reach :data:`LOOP_THRESHOLD` inside a call, that
call goes on in compiled code from the loop's label (:mod:`pywaz.compiler.loopentry`):
a program's ``main`` or a kernel called once spends its time there. The
thresholds were measured (README.md in this package says how); the
environment variable ``PYWAZ_TIER_THRESHOLDS=CALLS,LOOPS`` overrides them for
such measurements.

A function the compiler cannot take (too large to compile, see
:data:`~pywaz.compiler.artifact.INTERPRET_ABOVE`, or an instruction it cannot
lower) stays interpreted; traps, exceptions, fuel, interrupts and the call
depth behave as in the other engines whichever tier each frame runs in.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
import types
import weakref

from ..compiler.artifact import CompiledArtifact, unsupported_opcode_class
from ..compiler.engine import CompilerEngine, _install, instance_globals
from ..errors import PywazError

#: Calls of a function (per instance) after which it is compiled (see README.md).
CALL_THRESHOLD = 100
#: Loop back-edges within a function's calls (per instance) after which the running call goes on compiled.
LOOP_THRESHOLD = 2000

_COMPILE_DEPTH_MARGIN = 3000
_logger = logging.getLogger("pywaz.tiered")


def _thresholds_from_environment() -> tuple[int, int] | None:
    text = os.environ.get("PYWAZ_TIER_THRESHOLDS")
    if not text:
        return None
    try:
        calls, loops = (int(part) for part in text.split(","))
    except ValueError:
        raise ValueError(f"PYWAZ_TIER_THRESHOLDS must be CALLS,LOOPS (two ints), not {text!r}") from None
    return calls, loops


class _ArtifactTiers:
    """Per artifact (shared by its instances): the tiered programs, arities and loop entries."""

    __slots__ = ("programs", "arity", "entries", "lock", "compile_first", "__weakref__")

    def __init__(self, artifact: CompiledArtifact, validated):
        from ..interpreter.engine import InterpreterArtifact
        from ..interpreter.misc import MISC_OPS
        from ..interpreter.prepare import prepare_function

        module = artifact._module_for(validated, 0) if artifact.functions else validated

        class _TieredPrograms(InterpreterArtifact):
            def prepare(self, def_index: int):
                function = self.validated.functions[def_index]
                return prepare_function(self.validated, function, MISC_OPS, self.fuel, tier=True)

        self.programs = _TieredPrograms(module, artifact.fuel)
        nimports = validated.num_imported_funcs
        self.arity = tuple(
            (len(ftype.params), len(ftype.results)) for ftype in validated.func_types[nimports:]
        )
        #: Per function: its LoopEntry, False when it has none, None until asked.
        self.entries: list = [None] * len(artifact.functions)
        self.lock = threading.Lock()
        self.compile_first = _compiled_at_first_call(artifact)


def _compiled_at_first_call(artifact: CompiledArtifact) -> tuple[int, ...]:
    """Functions compiled at their first call: those with a loop and exception handlers.

    A long loop in such a function cannot switch to compiled code inside the running call (no
    loop entry), so a C++ ``main`` whose loop sits among ``try_table`` landing pads would run
    interpreted to its end: they are compiled as the lazy compiler does instead (measured on
    icepack, README.md). Decided only for a fresh compile, whose bodies are all decoded; a cache
    entry's module decodes each body on first need, so there they keep the usual thresholds.
    """
    if artifact._bodies is not None or artifact.validated is None:
        return ()
    found = []
    for local_index, info in enumerate(artifact.validated.functions):
        ops = info.body.ops
        if 0x03 in ops and (0x1F in ops or 0x06 in ops):
            found.append(local_index)
    return tuple(found)


_artifact_tiers: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_artifact_tiers_lock = threading.Lock()


def _tiers_of(artifact: CompiledArtifact, validated) -> _ArtifactTiers:
    found = _artifact_tiers.get(artifact)
    if found is None:
        with _artifact_tiers_lock:
            found = _artifact_tiers.get(artifact)
            if found is None:
                found = _artifact_tiers[artifact] = _ArtifactTiers(artifact, validated)
    return found


class TierState:
    """One instance's tiering: counts, the compiled callables, and how to make more.

    The interpreter's loop reads ``calls``, ``counts``, ``loops``, ``arity``,
    the thresholds, ``hot`` and ``osr`` (see :func:`~pywaz.interpreter.machine.make_runner`).
    """

    __slots__ = (
        "artifact", "tiers", "plan", "instance", "globals", "num_imported", "calls", "counts", "loops", "arity",
        "call_threshold", "loop_threshold", "entries", "run",
    )

    def __init__(self, artifact, tiers, plan, instance, instance_globals_, call_threshold, loop_threshold):
        n = len(artifact.functions)
        self.artifact = artifact
        self.tiers = tiers
        self.plan = plan
        self.instance = instance
        self.globals = instance_globals_
        self.num_imported = len(instance.funcs) - n
        self.calls: list = [None] * n
        self.counts = [0] * n
        self.loops = [0] * n
        self.arity = tiers.arity
        self.call_threshold = call_threshold
        self.loop_threshold = loop_threshold
        self.entries: list = [None] * n  # this instance's loop-entry functions
        self.run = None
        for local_index in tiers.compile_first:
            self.counts[local_index] = call_threshold - 1

    def hot(self, local_index: int):
        """Compile (or load) function ``local_index`` and install it; its callable, or None if it stays interpreted."""
        found = self.calls[local_index]
        if found is not None and type(found) is not types.MethodType:
            return found
        try:
            return self._install(local_index)
        except RecursionError:
            # Called deep in a wasm call chain: CPython's compiler counts the caller's depth (see
            # pywaz.compiler.engine's loader), so give the compile its bounded depth once.
            limit = sys.getrecursionlimit()
            sys.setrecursionlimit(limit + _COMPILE_DEPTH_MARGIN)
            try:
                return self._install(local_index)
            finally:
                sys.setrecursionlimit(limit)

    def _install(self, local_index: int):
        artifact = self.artifact
        module = self.instance.module
        if artifact.interprets(local_index, module):
            return None
        try:
            compiled = artifact.function(local_index, module)
        except unsupported_opcode_class():
            artifact.interpret_instead(local_index)
            return None
        except PywazError as exc:  # a compile failure is a pywaz bug: the interpreter still runs the function
            _logger.debug("function %d stays interpreted: %s", local_index + self.num_imported, exc)
            artifact.interpret_instead(local_index)
            return None
        fn = _install(self.globals, compiled, self.plan.simd, local_index)
        func_index = self.num_imported + local_index
        self.globals[f"_f{func_index}"] = fn
        self.instance.funcs[func_index].call = fn
        self.calls[local_index] = fn
        return fn

    def osr(self, local_index: int, wasm_index: int, handlers):
        """The compiled loop entry for the loop at ``wasm_index`` of function ``local_index``: (fn, label), or None.

        ``handlers`` is the interpreted function's exception handler table: a function with handlers
        (``try_table``, legacy ``try``) has no loop entry (the flat lowering has no ``try_table``).
        Either way the function's next call compiles it (a call-boundary switch), if it is not compiled yet.
        """
        if self.calls[local_index] is None:
            self.counts[local_index] = self.call_threshold - 1
        if handlers:
            return None
        fn = self.entries[local_index]
        if fn is None:
            entry = self._loop_entry(local_index)
            if entry is None:
                return None
            fn = self.entries[local_index] = _install(self.globals, entry.function, self.plan.simd, local_index)
            getattr(fn, "tail_body", fn).__defaults__ = (None,) * entry.slots
        label = self.tiers.entries[local_index].labels.get(wasm_index)
        if label is None:
            return None
        return fn, label

    def _loop_entry(self, local_index: int):
        tiers = self.tiers
        entry = tiers.entries[local_index]
        if entry is None:
            with tiers.lock:
                entry = tiers.entries[local_index]
                if entry is None:
                    entry = tiers.entries[local_index] = self._compile_loop_entry(local_index)
        return entry or None

    def _compile_loop_entry(self, local_index: int):
        from ..compiler.loopentry import NoLoopEntry, compile_loop_entry

        artifact = self.artifact
        module = artifact._module_for(self.instance.module, local_index)
        if artifact.interprets(local_index, module):
            return False
        limit = sys.getrecursionlimit()
        sys.setrecursionlimit(limit + _COMPILE_DEPTH_MARGIN)
        try:
            return compile_loop_entry(module, local_index, artifact.fuel)
        except (NoLoopEntry, PywazError, unsupported_opcode_class()) as exc:
            _logger.debug("function %d has no loop entry: %s", local_index + self.num_imported, exc)
            return False
        finally:
            sys.setrecursionlimit(limit)

    def first_call(self, func_index: int, *args):
        """A function whose code is in the cache entry: load and install it, then run it."""
        local_index = func_index - self.num_imported
        fn = self.hot(local_index)
        if fn is None:  # its stored code was unreadable and it cannot be compiled: interpret it
            fn = self.interpreted(local_index)
            self.calls[local_index] = None
            self.globals[f"_f{func_index}"] = fn
            self.instance.funcs[func_index].call = fn
        return fn(*args)

    def interpreted(self, local_index: int):
        """The ``call`` of function ``local_index`` while it is interpreted: counts, and compiles it when hot."""
        run = self.run
        counts = self.counts
        threshold = self.call_threshold
        hot = self.hot

        def call(*args):
            n = counts[local_index] + 1
            counts[local_index] = n
            if n == threshold:
                fn = hot(local_index)
                if fn is not None:
                    return fn(*args)
            return run(local_index, args)

        call.interpreter_entry = (run, local_index)  # another interpreted instance enters the loop directly
        return call


def tier_state(module_instance) -> TierState | None:
    """The :class:`TierState` of a module instance the tiered engine bound (None for other engines)."""
    state = module_instance.engine_state
    return state if isinstance(state, TierState) else None


class TieredEngine(CompilerEngine):
    """Interprets each function until it is hot, then runs its compiled code (see module docs)."""

    name = "tiered"
    #: The cache key's engine name: artifacts are the compiler engine's, and so are cache entries.
    cache_name = "compiler"
    # An interpreted call entered from compiled code takes the call closure and the loop; one into
    # compiled code from the loop _call_python and the function: three covers the worst mix.
    python_frames_per_call = 3

    def __init__(self, call_threshold: int | None = None, loop_threshold: int | None = None):
        """Thresholds default to :data:`CALL_THRESHOLD` and :data:`LOOP_THRESHOLD` (or ``PYWAZ_TIER_THRESHOLDS``).

        Raises:
            ValueError: a threshold below 1, or a malformed ``PYWAZ_TIER_THRESHOLDS``.
        """
        from_environment = _thresholds_from_environment()
        calls, loops = from_environment or (CALL_THRESHOLD, LOOP_THRESHOLD)
        self.call_threshold = calls if call_threshold is None else call_threshold
        self.loop_threshold = loops if loop_threshold is None else loop_threshold
        for label, value in (("call_threshold", self.call_threshold), ("loop_threshold", self.loop_threshold)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{label} must be an int >= 1, not {value!r}")

    def bind(self, artifact: CompiledArtifact, instance) -> None:
        """Build ``instance``'s globals and bind each defined function to its code or to the counting interpreter."""
        from ..interpreter.machine import CallDepth, make_runner

        plan, g, num_imported = instance_globals(artifact, instance)
        validated = instance.module
        tiers = _tiers_of(artifact, validated)
        state = TierState(artifact, tiers, plan, instance, g, self.call_threshold, self.loop_threshold)
        call_depth = getattr(instance.runtime, "call_depth", None) or CallDepth()
        state.run = make_runner(instance, tiers.programs, call_depth, state)
        funcs = instance.funcs
        method = types.MethodType
        simd = plan.simd
        calls = state.calls
        for local_index, compiled in enumerate(artifact.functions):
            func_index = num_imported + local_index
            if compiled is not None:
                fn = calls[local_index] = _install(g, compiled, simd, local_index)
            elif artifact.has_code(local_index):  # in the cache entry: unmarshalled on first call
                fn = calls[local_index] = method(state.first_call, func_index)
            else:
                fn = state.interpreted(local_index)
            g[f"_f{func_index}"] = fn
            funcs[func_index].call = fn
        instance.engine_state = state
