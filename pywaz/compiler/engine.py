"""The compiler engine: implements :class:`pywaz.api.Engine` with generated Python.

``compile(validated, options)`` returns a :class:`~.artifact.CompiledArtifact`.
``CompileOptions.compile_mode`` picks when functions are compiled:

* ``"lazy"`` (the default): each function is lowered and ``compile()``d the
  first time any instance calls it, once per artifact (under a lock), and then
  shared by every instance. Start-up cost is proportional to what runs.
* ``"eager"``: every function is compiled inside ``compile``.

``bind(artifact, instance)`` builds the instance's globals dict (the only
place instance state lives: memory, tables, globals, callees, helpers) and sets
``.call`` on every defined function to a function object made from the
artifact's code object and that dict.

A function whose body is larger than
:data:`~.artifact.INTERPRET_ABOVE` is not compiled: CPython's ``compile()``
of one huge ``def`` needs about a thousand bytes of memory per byte of wasm.
On first call it is bound to the interpreter's loop (:mod:`pywaz.interpreter`)
instead, whose program calls the instance's other functions through their
``.call``, compiled or not. The choice depends on the body only, so an artifact
loaded from the cache (which stores no code for it) makes it again.
"""

from __future__ import annotations

import itertools
import struct
import sys
import threading
import types
import weakref

from ..api import CompileOptions
from ..errors import PywazError, Trap, TrapKind, WasmException
from ..deftypes import def_types_of
from .. import gcvalues
from ..numeric import f32_round
from . import _helpers as h
from ._tailcall import TailCall, has_tail_calls, tail_entry
from .artifact import CompiledArtifact, unsupported_opcode_class
from .artifact import deserialize as _deserialize
from .artifact import serialize as _serialize

COMPILE_MODES = ("lazy", "eager")
_COMPILE_DEPTH_MARGIN = 3000

_U64 = struct.Struct("<Q")
_F64 = struct.Struct("<d")


def _base_namespace() -> dict:
    """Names every generated function may use, shared (read-only) by all instances."""
    import builtins
    import math

    return {
        "__builtins__": builtins,
        "_Trap": Trap,
        "_TK_UNREACHABLE": TrapKind.UNREACHABLE,
        "_StructError": struct.error,
        "_trap_oob_memory": h.trap_oob_memory,
        "_trap_div_zero": h.trap_div_zero,
        "_trap_unaligned": h.trap_unaligned_atomic,
        "_ld_u32": struct.Struct("<I").unpack_from,
        "_ld_s32": struct.Struct("<i").unpack_from,
        "_ld_u64": struct.Struct("<Q").unpack_from,
        "_ld_f64": struct.Struct("<d").unpack_from,
        "_ld_u16": struct.Struct("<H").unpack_from,
        "_ld_s16": struct.Struct("<h").unpack_from,
        "_ld_s8": struct.Struct("<b").unpack_from,
        "_st_u32": struct.Struct("<I").pack_into,
        "_st_u64": struct.Struct("<Q").pack_into,
        "_st_f64": struct.Struct("<d").pack_into,
        "_st_u16": struct.Struct("<H").pack_into,
        "_f32_load": h.f32_load,
        "_f32_store": h.f32_store,
        "_f32r": f32_round,
        "_f32_div": h.f32_div,
        "_f32_sqrt": h.f32_sqrt,
        "_f32_from_int": h.f32_from_int,
        "_f32_bits": h.f32_bits,
        "_f32_from_bits": h.f32_reinterpret_bits,
        "_f64_bits": h.f64_bits,
        "_f64_from_bits": h.f64_from_bits,
        "_fdiv": h.fdiv,
        "_fsqrt": h.fsqrt,
        "_fmin": h.fmin,
        "_fmax": h.fmax,
        "_fceil": h.fceil,
        "_ffloor": h.ffloor,
        "_ftrunc": h.ftrunc,
        "_fnearest": h.fnearest,
        "_copysign": math.copysign,
        "_i32_div_s": h.i32_div_s,
        "_i32_rem_s": h.i32_rem_s,
        "_i64_div_s": h.i64_div_s,
        "_i64_rem_s": h.i64_rem_s,
        "_rotl32": h.rotl32,
        "_rotr32": h.rotr32,
        "_rotl64": h.rotl64,
        "_rotr64": h.rotr64,
        "_ctz32": h.ctz32,
        "_ctz64": h.ctz64,
        "_i32_trunc_s": h.i32_trunc_s,
        "_i32_trunc_u": h.i32_trunc_u,
        "_i64_trunc_s": h.i64_trunc_s,
        "_i64_trunc_u": h.i64_trunc_u,
        "_i32_trunc_sat_s": h.i32_trunc_sat_s,
        "_i32_trunc_sat_u": h.i32_trunc_sat_u,
        "_i64_trunc_sat_s": h.i64_trunc_sat_s,
        "_i64_trunc_sat_u": h.i64_trunc_sat_u,
        "_memory_grow": h.memory_grow,
        "_memory_grow64": h.memory_grow64,
        "_memory_fill": h.memory_fill,
        "_memory_copy": h.memory_copy,
        "_memory_init": h.memory_init,
        "_data_drop": h.data_drop,
        "_table_get": h.table_get,
        "_table_set": h.table_set,
        "_table_grow": h.table_grow,
        "_table_grow64": h.table_grow64,
        "_table_fill": h.table_fill,
        "_table_copy": h.table_copy,
        "_table_init": h.table_init,
        "_elem_drop": h.elem_drop,
        "_call_indirect": h.call_indirect_target,
        "_Tail": TailCall,
        "_WasmException": WasmException,
        "_throw_ref": h.throw_ref,
        # GC and typed function references (lower.gc); the struct/array classes are per module (_BindPlan).
        "_StructRef": gcvalues.StructRef,
        "_ArrayRef": gcvalues.ArrayRef,
        "_is_eq": gcvalues.is_eq,
        "_any_convert_extern": gcvalues.any_convert_extern,
        "_extern_convert_any": gcvalues.extern_convert_any,
        "_i31_get_s": h.i31_get_s,
        "_i31_get_u": h.i31_get_u,
        "_trap_null_struct": h.trap_null_struct,
        "_trap_null_array": h.trap_null_array,
        "_trap_null_func": h.trap_null_func,
        "_trap_null": h.trap_null,
        "_trap_cast": h.trap_cast,
        "_trap_oob_array": h.trap_oob_array,
        "_array_new": gcvalues.array_new,
        "_array_new_data": gcvalues.array_new_data,
        "_array_new_elem": gcvalues.array_new_elem,
        "_array_fill": gcvalues.array_fill,
        "_array_copy": gcvalues.array_copy,
        "_array_init_data": gcvalues.array_init_data,
        "_array_init_elem": gcvalues.array_init_elem,
    }


def _simd_namespace() -> dict:
    try:
        from ..simd import generated_namespace
    except ImportError:  # the lane library is optional; SIMD functions then fail to lower
        return {}
    return generated_namespace()


_BASE = _base_namespace()
# The lane library's names all start with this prefix, the atomics' (pywaz.atomics) with the other. They
# are added to an instance's globals only when one of its functions uses them, so a module without SIMD
# or atomics (or loaded from the cache) never imports pywaz.simd or pywaz.atomics.
_SIMD_PREFIX = "_v_"
_ATOMICS_PREFIX = "_a_"
_USES_SIMD = 1
_USES_ATOMICS = 2
_simd_names: dict | None = None


def _uses_simd(code: types.CodeType) -> int:
    """Which optional name sets ``code`` uses: ``_USES_SIMD`` and/or ``_USES_ATOMICS`` (0: none)."""
    uses = 0
    for name in code.co_names:
        if name.startswith(_SIMD_PREFIX):
            uses |= _USES_SIMD
        elif name.startswith(_ATOMICS_PREFIX):
            uses |= _USES_ATOMICS
    return uses


def _add_simd_names(instance_globals: dict, uses: int = _USES_SIMD) -> None:
    global _simd_names
    if uses & _USES_ATOMICS and "_a_atomics_loaded" not in instance_globals:
        from ..atomics import generated_namespace

        instance_globals.update(generated_namespace())
        instance_globals["_a_atomics_loaded"] = True
    if not uses & _USES_SIMD or "_v_simd_loaded" in instance_globals:
        return
    if _simd_names is None:
        _simd_names = _simd_namespace()
    instance_globals.update(_simd_names)
    instance_globals["_v_simd_loaded"] = True


def _const_value(bits: int) -> float:
    return _F64.unpack(_U64.pack(bits))[0]


def _install(instance_globals, compiled, simd_flags: list, local_index: int) -> types.FunctionType:
    """``compiled`` as a function of the instance whose globals are ``instance_globals``.

    Its float constants and (if its code uses them) the SIMD lane names and the
    atomics go into the globals first; ``simd_flags`` caches, per artifact, which codes do.
    """
    for name, bits in compiled.consts:
        instance_globals[name] = _const_value(bits)
    uses_simd = simd_flags[local_index]
    if uses_simd is None:
        uses_simd = simd_flags[local_index] = _uses_simd(compiled.code)
    if uses_simd:
        _add_simd_names(instance_globals, uses_simd)
    function = types.FunctionType(compiled.code, instance_globals, compiled.name)
    if has_tail_calls(compiled.code):  # only functions with tail calls pay for the trampoline
        return tail_entry(function)
    return function


class _Unmetered:
    """The fuel state of an instance bound without a runtime: a budget that never runs out."""

    fuel = itertools.repeat(None)


_UNMETERED_STATE = _Unmetered()


def _failing_call(error):
    def call(*args):
        raise error

    return call


class _BindPlan:
    """What binding an artifact to an instance needs, worked out once per artifact."""

    __slots__ = ("function_names", "ref_names", "simd", "template")

    def __init__(self, validated, num_functions: int):
        total = len(validated.func_types)
        self.function_names = tuple(f"_f{i}" for i in range(total))
        self.ref_names = tuple(f"_F{i}" for i in range(total))
        template = dict(_BASE)
        for i, def_type in enumerate(def_types_of(validated)):
            template[f"_ty{i}"] = def_type  # call_indirect and casts compare canonical types
            # The runtime class of each struct and array type (one per canonical type, made on first need).
            if def_type.kind == "struct":
                template[f"_S{i}"] = gcvalues.struct_class(def_type, len(def_type.fields))
            elif def_type.kind == "array":
                template[f"_A{i}"] = gcvalues.array_class(def_type)
        self.template = template
        #: Per defined function: whether its code uses the SIMD lane library or the atomics (a _USES_* mask;
        #: None: not looked at yet).
        self.simd: list = [None] * num_functions


_bind_plans: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_bind_plans_lock = threading.Lock()


def _bind_plan(artifact: CompiledArtifact, validated) -> _BindPlan:
    plan = _bind_plans.get(artifact)
    if plan is None:
        with _bind_plans_lock:
            plan = _bind_plans.get(artifact)
            if plan is None:
                plan = _bind_plans[artifact] = _BindPlan(validated, len(artifact.functions))
    return plan


def _loader(artifact: CompiledArtifact, plan: _BindPlan, instance, instance_globals, num_imported: int):
    """The instance's first-call handler: ``call(func_index, *args)`` loads or compiles, installs and runs.

    A function with no code yet is bound to ``MethodType(call, func_index)``:
    one small object per function per instance (not a closure with its
    cells), so binding 5,000 functions is cheap and leaves the cyclic GC
    little to walk. The first call replaces it everywhere it is looked up.
    """
    funcs = instance.funcs
    runner = None  # the interpreter's loop for this instance, made when a function too large to compile is called

    def interpreted(local_index):
        nonlocal runner
        if runner is None:
            from ..interpreter.machine import CallDepth, make_runner

            call_depth = getattr(instance.runtime, "call_depth", None) or CallDepth()
            runner = make_runner(instance, artifact.interpreter(local_index, instance.module), call_depth)
        run = runner

        def call(*args):
            return run(local_index, args)

        call.interpreter_entry = (run, local_index)  # lets the interpreter's loop enter it without unpacking
        return call

    def install(func_index):
        local_index = func_index - num_imported
        if artifact.interprets(local_index, instance.module):
            fn = interpreted(local_index)
        else:
            try:
                compiled = artifact.function(local_index, instance.module)
            except unsupported_opcode_class():  # no lowering for it here: the interpreter's loop runs it
                artifact.interpret_instead(local_index)
                fn = interpreted(local_index)
            else:
                fn = _install(instance_globals, compiled, plan.simd, local_index)
        instance_globals[f"_f{func_index}"] = fn
        funcs[func_index].call = fn
        return fn

    def load(func_index):
        try:
            return install(func_index)
        except RecursionError:
            # The first call came deep in a wasm call chain and CPython's
            # compiler (which counts the caller's depth) ran out of room. The
            # compile itself needs a bounded depth, so give it that once.
            limit = sys.getrecursionlimit()
            sys.setrecursionlimit(limit + _COMPILE_DEPTH_MARGIN)
            try:
                return install(func_index)
            finally:
                sys.setrecursionlimit(limit)

    def call(func_index, *args):
        return load(func_index)(*args)

    return call


def instance_globals(artifact: CompiledArtifact, instance) -> tuple:
    """``(plan, globals, num_imported)``: the artifact's bind plan and a new globals dict for ``instance``.

    The dict holds the instance's state (memories, tables, tags, globals, function references) but no
    ``_f<i>`` entries yet: the caller binds each function (see :meth:`CompilerEngine.bind`).
    """
    validated = instance.module
    plan = _bind_plan(artifact, validated)
    g = plan.template.copy()
    g["_inst"] = instance
    if artifact.fuel:  # metered code reads the running call's fuel from the runtime's per-thread state
        runtime_depth = getattr(instance.runtime, "call_depth", None)
        g["_meter"] = runtime_depth if runtime_depth is not None else _UNMETERED_STATE
    for i, memory in enumerate(instance.memories):
        g[f"_mem{i}"] = memory
    for i, table in enumerate(instance.tables):
        g[f"_t{i}"] = table
    for i, tag in enumerate(instance.tags):
        g[f"_tag{i}"] = tag
    for i, global_ in enumerate(instance.globals_):
        g[f"_g{i}"] = global_ if global_.type.mutable else global_.value
    funcs = instance.funcs
    g.update(zip(plan.ref_names, funcs))
    return plan, g, len(funcs) - len(artifact.functions)


class CompilerEngine:
    """Lowers each wasm function to a Python code object (see module docs)."""

    name = "compiler"

    def compile(self, validated, options: CompileOptions | None = None) -> CompiledArtifact:
        """Compile ``validated`` (a ValidatedModule) per ``options.compile_mode``.

        Raises:
            PywazError: unknown compile mode, or ``workers`` is not None or a positive int.
            CompileFailure: generated code did not compile (a pywaz bug), or a compile worker failed.
        """
        mode = getattr(options, "compile_mode", "lazy") if options is not None else "lazy"
        if mode not in COMPILE_MODES:
            raise PywazError(f"unknown compile mode {mode!r} (choose from {', '.join(COMPILE_MODES)})")
        keep_sources = getattr(options, "keep_sources", True) if options is not None else True
        fuel = bool(getattr(options, "fuel", False)) if options is not None else False
        artifact = CompiledArtifact(validated, len(validated.functions), mode, keep_sources, fuel)
        workers = getattr(options, "workers", None) if options is not None else None
        if workers is not None and (type(workers) is not int or workers < 1):
            raise PywazError(f"CompileOptions.workers must be None or a positive int, not {workers!r}")
        if mode == "eager":
            artifact.compile_all(workers=workers)
        return artifact

    def bind(self, artifact: CompiledArtifact, instance) -> None:
        """Build ``instance``'s globals dict and set ``.call`` on each defined function."""
        plan, g, num_imported = instance_globals(artifact, instance)
        funcs = instance.funcs
        first_call = _loader(artifact, plan, instance, g, num_imported)
        method = types.MethodType
        calls = [function.call for function in funcs[:num_imported]]
        errors = artifact.errors
        simd = plan.simd
        for local_index, compiled in enumerate(artifact.functions):
            if compiled is not None:
                calls.append(_install(g, compiled, simd, local_index))
            elif errors[local_index] is not None and not artifact.interprets(local_index, instance.module):
                calls.append(_failing_call(errors[local_index]))
            else:  # compiled on first call, or (cache hit) its code unmarshalled on first call
                calls.append(method(first_call, num_imported + local_index))
        g.update(zip(plan.function_names, calls))
        for function, call in zip(funcs[num_imported:], calls[num_imported:]):
            function.call = call
        instance.engine_state = artifact

    def serialize(self, artifact: CompiledArtifact):
        """``artifact`` as a cache payload: module information, per-function marshal blobs (see :mod:`.artifact`)."""
        return _serialize(artifact)

    def deserialize(self, payload) -> CompiledArtifact:
        """An artifact from a cache payload, instantiable with no decode, validate or compile.

        Raises:
            PywazError: not a compiler artifact of this format (the cache treats it as a miss).
        """
        return _deserialize(payload)


def __getattr__(name):
    if name == "UnsupportedOpcode":  # lowering is imported only when something is compiled
        from .lower import UnsupportedOpcode

        return UnsupportedOpcode
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["COMPILE_MODES", "CompilerEngine", "UnsupportedOpcode"]  # noqa: F822 (provided by __getattr__)
