"""The public Runtime API: compile, instantiate, link, close.

A :class:`Runtime` owns an engine, a registry of named module instances (wasm
or host) that imports resolve against, and the call-depth limit shared by all
its code. ``compile_module`` decodes, validates and compiles once into a
:class:`CompiledModule`; ``instantiate_module`` makes any number of
:class:`Instance` objects from it. Every handle has an idempotent ``close()``
and is a context manager; using a closed handle raises :class:`~pywaz.ClosedError`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._records import record, replace
from ..api import CompileOptions
from ..cache import CompilationCache, compute_key, module_digest, private_cache
from ..errors import ClosedError, DuplicateModuleError, LinkError
from ..features import Features
from ..ir import EXTERN_FUNC, EXTERN_GLOBAL, EXTERN_KIND_NAMES, EXTERN_MEMORY, EXTERN_TABLE, EXTERN_TAG
from .engines import create_engine
from .exports import Exports
from .functions import FunctionViews
from .host import HostModuleBuilder
from .fuel import check_fuel, run_with_fuel
from .instantiate import instantiate, resolve_imports
from .interrupt import check_timeout, run_with_deadline
from .objects import CallDepth, Function, Memory, ModuleInstance, Table

if TYPE_CHECKING:
    from collections.abc import Mapping


DEFAULT_MAX_CALL_DEPTH = 10000
DEFAULT_MAX_TABLE_SIZE = 1 << 24


@record
class ModuleConfig:
    """Per-instantiation settings. ``name``: register the instance under this module name."""

    name: str | None = None

    def with_name(self, name: str | None) -> ModuleConfig:
        """A copy with ``name`` replaced."""
        return replace(self, name=name)


@record
class ImportType:
    """One import of a compiled module: ``kind`` is "func", "table", "memory" or "global"."""

    module: str
    name: str
    kind: str
    type: object


@record
class ExportType:
    """One export of a compiled module."""

    name: str
    kind: str
    type: object


class CompiledModule:
    """A decoded, validated and compiled module; instantiate it any number of times."""

    def __init__(self, runtime: Runtime, validated, artifact, code_ref=None, name: str | None = None):
        self._runtime = runtime
        #: How trap stack frames name this module (``compile_module(data, name=...)``); None: see :class:`~pywaz.TrapFrame`.
        self.name = name
        self.validated = validated
        self.artifact = artifact
        self._code_ref = code_ref  # one reference on the cache entry, released once by close()
        self._closed = False
        self._functions = None

    def _check(self):
        if self._closed:
            raise ClosedError("the compiled module is closed")

    @property
    def imports(self) -> list[ImportType]:
        """The module's imports, in order, with their types."""
        self._check()
        validated = self.validated
        out = []
        func_index = 0
        for imp in validated.module.imports:
            desc = imp.desc
            if imp.kind == EXTERN_FUNC:
                desc = validated.func_types[func_index]
                func_index += 1
            elif imp.kind == EXTERN_TAG:
                desc = validated.module.types[desc]
            out.append(ImportType(imp.module, imp.name, EXTERN_KIND_NAMES[imp.kind], desc))
        return out

    @property
    def exports(self) -> list[ExportType]:
        """The module's exports, in order, with their types."""
        self._check()
        validated = self.validated
        spaces = {
            EXTERN_FUNC: validated.func_types,
            EXTERN_TABLE: validated.table_types,
            EXTERN_MEMORY: validated.memory_types,
            EXTERN_GLOBAL: validated.global_types,
            EXTERN_TAG: validated.tag_types,
        }
        return [
            ExportType(e.name, EXTERN_KIND_NAMES[e.kind], spaces[e.kind][e.index]) for e in validated.module.exports
        ]

    @property
    def functions(self) -> FunctionViews:
        """Per-function views (name, index, type, wasm listing, generated Python); see :mod:`pywaz.vm.functions`."""
        self._check()
        if self._functions is None:
            self._functions = FunctionViews(self)
        return self._functions

    def close(self) -> None:
        """Release this handle (idempotent). Instances made from it keep working."""
        self._closed = True
        self._functions = None
        # Instances hold their own references to the code; the handle lets go of
        # its own so a runtime without a cache does not keep closed modules alive.
        self.validated = self.artifact = None
        self._runtime._compiled.pop(self, None)
        if self._code_ref is not None:
            self._code_ref.release()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class Instance:
    """A module instance. ``exports[name]`` gives embedder wrappers (see :mod:`pywaz.vm.exports`)."""

    def __init__(self, runtime: Runtime, module_instance: ModuleInstance, owned: CompiledModule | None = None):
        self._runtime = runtime
        self.module_instance = module_instance
        self._owned = owned
        self._closed = False
        self._exports = Exports(module_instance.exports, self, runtime)

    @property
    def name(self) -> str | None:
        return self.module_instance.name

    @property
    def exports(self) -> Exports:
        """The exports by name; raises ClosedError once closed."""
        if self._closed:
            raise ClosedError("the instance is closed")
        return self._exports

    def close(self) -> None:
        """Close the instance (idempotent); releases a compiled module it owns."""
        if self._closed:
            return
        self._closed = True
        self._runtime._instances.pop(self, None)
        self._runtime._unregister(self.module_instance.exports)
        if self._owned is not None:
            self._owned.close()

    @property
    def closed(self) -> bool:
        return self._closed

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __repr__(self) -> str:
        return f"<Instance {self.name or '(anonymous)'} exports={list(self.module_instance.exports)}>"


class Runtime:
    """Compiles and instantiates modules with one engine; links them by name.

    Args:
        engine: "tiered" (default: functions start interpreted and are compiled once hot),
            "interpreter" or "compiler", or an Engine object.
        compile_mode: "lazy" or "eager" (engines may ignore it); None for the default.
        max_call_depth: nested wasm calls allowed before ``Trap(CALL_STACK_EXHAUSTED)``.
        max_memory_pages: cap on every memory's size in 64 KiB pages (None: the
            spec's 65536); ``memory.grow`` past it returns -1.
        max_table_size: cap on every table's size in entries (default 2**24, so a
            runaway ``table.grow`` fails with -1 instead of exhausting host memory;
            None: the spec's 2**32-1).
        cache: a :class:`~pywaz.CompilationCache` to share compiled code with
            other runtimes (and, with a directory, other processes). Without
            one, the runtime keeps compiled code only while a handle or
            instance that owns it is open.
        deadline: seconds each call from Python into wasm (and each
            instantiation, start function included) may run before it is
            interrupted with ``Trap(INTERRUPTED)``; None (default), ``math.inf``
            or more than a year for no limit. A call's ``timeout=`` overrides it.
            See :mod:`pywaz.vm.interrupt`.
        fuel: meter execution with fuel (as wasmtime's ``consume_fuel``), and
            give each call from Python into wasm (and each instantiation's
            start function) this many units; running out raises
            ``Trap(OUT_OF_FUEL)``. A unit is spent on every wasm function entry
            and every taken branch back to a loop, identically in both
            engines and every compile mode; a host function calling back into
            wasm draws from its caller's budget. A call's ``fuel=`` overrides
            the budget; :attr:`fuel_consumed`/:attr:`fuel_remaining` report
            the last call. None (default): no metering, and metered code is
            never generated, so unmetered calls cost nothing extra. See
            :mod:`pywaz.vm.fuel`.
        features: which WebAssembly proposals modules may use: a
            :class:`~pywaz.Features` or a mapping of proposal to bool
            (``{"relaxed_simd": False}``); None (default): every proposal
            pywaz implements. A module needing one that is off fails to
            compile with a :class:`~pywaz.ProposalError` naming it. Part of
            the cache key.

    Raises:
        ValueError: unknown engine, bad limits, a zero, negative or NaN deadline, or negative fuel.
        TypeError: ``cache`` is not a CompilationCache, ``deadline`` is not a number, ``fuel`` not an int,
            or ``features`` not a Features or mapping.
        ProposalNotImplementedError: ``features`` switches on a proposal pywaz does not implement.
    """

    def __init__(
        self,
        engine="tiered",
        *,
        compile_mode: str | None = None,
        max_call_depth: int = DEFAULT_MAX_CALL_DEPTH,
        max_memory_pages: int | None = None,
        max_table_size: int | None = DEFAULT_MAX_TABLE_SIZE,
        cache: CompilationCache | None = None,
        deadline: float | None = None,
        fuel: int | None = None,
        features: Features | Mapping[str, bool] | None = None,
    ):
        if compile_mode not in (None, "lazy", "eager"):
            raise ValueError(f"compile_mode must be 'lazy' or 'eager', not {compile_mode!r}")
        for label, value, minimum in (
            ("max_call_depth", max_call_depth, 1),
            ("max_memory_pages", max_memory_pages, 0),
            ("max_table_size", max_table_size, 0),
        ):
            if value is None and label != "max_call_depth":
                continue
            if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
                raise ValueError(f"{label} must be an int >= {minimum}, not {value!r}")
        if cache is not None and not isinstance(cache, CompilationCache):
            raise TypeError(f"cache must be a CompilationCache, not {type(cache).__name__}")
        self.features = Features.coerce(features).check()
        self.deadline = check_timeout(deadline)
        self._fuel = check_fuel(fuel)
        self.engine = create_engine(engine)
        self._cache = cache if cache is not None else private_cache()
        self._owns_cache = cache is None
        self._compile_origins = dict.fromkeys(("compiled", "memory", "shared", "disk"), 0)
        # Generated sources are kept only where a cache stores them; otherwise they are regenerated on request.
        keep_sources = getattr(getattr(self._cache, "store", None), "keep_sources", False)
        metered = self._fuel is not None
        if compile_mode is None:
            self.options = CompileOptions(keep_sources=keep_sources, fuel=metered)
        else:
            self.options = CompileOptions(compile_mode=compile_mode, keep_sources=keep_sources, fuel=metered)
        self.call_depth = CallDepth(max_call_depth, getattr(self.engine, "python_frames_per_call", 1))
        self.max_memory_pages = max_memory_pages
        self.max_table_size = max_table_size
        self._registry: dict[str, dict] = {}
        # Open handles, as insertion-ordered sets: a handle leaves when it closes,
        # so closed modules and instances are not kept alive by the runtime.
        self._instances: dict[Instance, None] = {}
        self._compiled: dict[CompiledModule, None] = {}
        self._closed = False

    @property
    def max_call_depth(self) -> int:
        return self.call_depth.max_depth

    @property
    def fuel(self) -> int | None:
        """Each call's fuel budget (None: this runtime does not meter fuel)."""
        return self._fuel

    @property
    def fuel_consumed(self) -> int | None:
        """Fuel the last metered call (or instantiation) on this thread consumed, trapped or not; None before any."""
        return self.call_depth.fuel_consumed

    @property
    def fuel_remaining(self) -> int | None:
        """Fuel the last metered call (or instantiation) on this thread left unspent; None before any."""
        return self.call_depth.fuel_remaining

    def _check(self):
        if self._closed:
            raise ClosedError("the runtime is closed")

    # -- compilation ------------------------------------------------------

    def _compile(self, data):
        """A cache reference on ``(validated, artifact)`` for ``data``: the one place compilation happens.

        The caller owns the returned CodeRef and releases it once (CompiledModule.close).
        Disk caching applies when the engine has ``serialize(artifact)`` and
        ``deserialize(payload)`` and its artifacts carry ``.validated``.
        """
        engine = self.engine
        engine_name = getattr(engine, "name", None) or f"{type(engine).__module__}.{type(engine).__qualname__}"
        # Engines whose artifacts are another's (tiered: the compiler's) share that engine's cache entries.
        engine_name = getattr(engine, "cache_name", None) or engine_name
        digest = self._digest_of(data)
        key = compute_key(digest, engine_name, self.features.enabled(), self.options)
        serialize = deserialize = None
        if hasattr(engine, "serialize") and hasattr(engine, "deserialize"):

            def serialize(compiled):
                return engine.serialize(compiled[1])

            def deserialize(payload):
                artifact = engine.deserialize(payload)
                validated = getattr(artifact, "validated", None)
                if validated is None:  # the cache turns this into a miss and recompiles
                    raise ValueError("the engine's deserialized artifact carries no module to instantiate")
                # The bytes let a lazily compiled function be decoded when first called.
                provide = getattr(artifact, "provide_module_bytes", None)
                if provide is not None:
                    provide(data)
                return validated, artifact

        ref = self._cache.acquire(
            key,
            lambda: self._compile_uncached(data),
            serialize,
            deserialize,
            engine=engine_name,
            module_sha256=digest,
        )
        self._compile_origins[ref.origin] += 1
        return ref

    def _digest_of(self, data: bytes) -> bytes:
        """``module_digest(data)``, remembered by a shared cache for every runtime using it.

        The cache's memo (:meth:`CompilationCache.digest_of`) holds the last
        few ``bytes`` objects, so re-instantiating the same object through any
        runtime sharing the cache skips the SHA-256 (8 ms for a 14 MB module).
        A runtime's private cache remembers nothing: everything must go when
        its handles close.
        """
        if self._owns_cache:
            return module_digest(data)
        digest_of = getattr(self._cache, "digest_of", None)
        return module_digest(data) if digest_of is None else digest_of(data)

    def _compile_uncached(self, data):
        from ..decoder import decode_module
        from ..validator import validate

        # An eager compile needs every body's instruction lists and facts at once: decoding them now is
        # cheaper than the one-pass check followed by decoding each one lazily.
        eager = getattr(self.options, "compile_mode", None) == "eager"
        module = decode_module(data, self.features, lazy_bodies=not eager)
        validated = validate(module, features=self.features)
        return validated, self.engine.compile(validated, self.options)

    def stats(self) -> dict[str, int]:
        """What this runtime's compilations cost: ``compilations`` (compiled here) and
        ``memory_hits``/``disk_hits`` (served by the cache)."""
        origins = self._compile_origins
        return {
            "compilations": origins["compiled"],
            "memory_hits": origins["memory"] + origins["shared"],
            "disk_hits": origins["disk"],
        }

    def compile_module(self, data, name: str | None = None) -> CompiledModule:
        """Compile a module, binary or text, into a :class:`CompiledModule`.

        ``data`` is wasm bytes, or WebAssembly text: a ``str``, or bytes that
        are text rather than a binary (see :func:`pywaz.text.is_text`). Text is
        assembled first, so the compilation cache keys it by the binary.
        ``name`` (for example the file the bytes came from) is how the frames of
        a trap's stack trace name this module; without it they use the name
        section's module name, else ``<module>``. It is not part of the cache key.

        Raises:
            TypeError: ``data`` is neither bytes-like nor a ``str``.
            WatError: malformed text (a ``DecodeError`` with line and column).
            DecodeError: malformed binary.
            ValidationError: invalid module.
            ClosedError: the runtime is closed.
        """
        self._check()
        if not isinstance(data, (str, bytes, bytearray, memoryview)):
            raise TypeError(f"module data must be bytes-like or text, not {type(data).__name__}")
        from ..text import is_text, wat2wasm

        if is_text(data):
            data = wat2wasm(data if isinstance(data, str) else bytes(data))
        if name is not None and not isinstance(name, str):
            raise TypeError(f"module name must be a str or None, not {type(name).__name__}")
        ref = self._compile(bytes(data))
        validated, artifact = ref.artifact
        compiled = CompiledModule(self, validated, artifact, ref, name)
        self._compiled[compiled] = None
        return compiled

    # -- instantiation ----------------------------------------------------

    def _lookup(self, module: str, name: str):
        exports = self._registry.get(module)
        if exports is None:
            return None
        return exports.get(name)

    def check_imports(self, compiled: CompiledModule) -> None:
        """Raise the LinkError instantiating ``compiled`` now would raise, without instantiating it.

        Nothing runs and nothing is allocated: use it to report link errors
        before anything else (as ``pywaz run`` does).

        Raises:
            TypeError: ``compiled`` is not a CompiledModule.
            LinkError: an import is unknown or has an incompatible type.
            ClosedError: the runtime or the compiled module is closed.
        """
        self._check()
        if not isinstance(compiled, CompiledModule):
            raise TypeError(f"expected a CompiledModule, not {type(compiled).__name__}")
        compiled._check()
        resolve_imports(compiled.validated, self._lookup)

    def instantiate_module(self, compiled: CompiledModule, config: ModuleConfig | None = None) -> Instance:
        """Instantiate a compiled module (linking its imports against registered modules).

        Raises:
            TypeError: bad argument types.
            LinkError: an import is unknown or has an incompatible type.
            DuplicateModuleError: ``config.name`` is already registered (checked
                before anything is instantiated).
            Trap: a segment did not fit, or the start function trapped.
            ClosedError: the runtime or the compiled module is closed.
        """
        return self._instantiate(compiled, config, owned=None)

    def _instantiate(self, compiled, config, owned):
        self._check()
        if not isinstance(compiled, CompiledModule):
            raise TypeError(f"expected a CompiledModule, not {type(compiled).__name__}")
        compiled._check()
        if compiled._runtime is not self:
            raise ValueError("the compiled module belongs to another runtime")
        if config is None:
            config = ModuleConfig()
        elif not isinstance(config, ModuleConfig):
            raise TypeError(f"config must be a ModuleConfig, not {type(config).__name__}")
        if config.name is not None:
            if not isinstance(config.name, str):
                raise TypeError("ModuleConfig.name must be a str or None")
            if config.name in self._registry:
                raise DuplicateModuleError(config.name)
        module_instance = run_with_fuel(
            self._fuel,
            self.call_depth,
            run_with_deadline,
            self.deadline,
            self.call_depth,
            lambda: instantiate(
                compiled.validated,
                compiled.artifact,
                self.engine,
                self._lookup,
                runtime=self,
                name=config.name,
                max_memory_pages=self.max_memory_pages,
                max_table_size=self.max_table_size,
                source_name=compiled.name,
            ),
        )
        instance = Instance(self, module_instance, owned)
        self._instances[instance] = None
        if config.name is not None:
            self._bind_name(config.name, module_instance.exports, replace=False)
        return instance

    def instantiate(self, data, config: ModuleConfig | None = None) -> Instance:
        """Compile and instantiate a module (wasm bytes or text); the instance owns the compiled module.

        Raises:
            everything :meth:`compile_module` and :meth:`instantiate_module` raise.
        """
        compiled = self.compile_module(data)
        try:
            return self._instantiate(compiled, config, owned=compiled)
        except BaseException:
            compiled.close()
            raise

    def register(self, name: str, instance: Instance, *, replace: bool = False) -> None:
        """Make ``instance``'s exports importable under module name ``name``.

        A name registered to another instance is refused unless ``replace``
        is true (then modules instantiated from now on import from
        ``instance``; those already linked keep what they imported).
        Registering an instance again under its own name does nothing.

        Raises:
            TypeError: bad argument types.
            LinkError: ``instance`` belongs to another runtime (runtimes share no
                functions, memories, tables or globals; see :mod:`pywaz.vm.values`).
            DuplicateModuleError: ``name`` is registered to another instance and ``replace`` is false.
            ClosedError: the runtime or the instance is closed.
        """
        self._check()
        if not isinstance(name, str):
            raise TypeError("module name must be a str")
        if not isinstance(instance, Instance):
            raise TypeError(f"expected an Instance, not {type(instance).__name__}")
        if instance.closed:
            raise ClosedError("cannot register a closed instance")
        if instance._runtime is not self:
            raise LinkError(
                f"cannot register {name!r}: the instance belongs to another Runtime, and runtimes share no "
                "functions, memories, tables or globals (instantiate the module in this runtime, or import "
                "host functions that call the other runtime's exports)"
            )
        self._bind_name(name, instance.module_instance.exports, replace=bool(replace))

    def _bind_name(self, name: str, exports: dict, replace: bool) -> None:
        """Register ``exports`` as module ``name``; never silently over another module's."""
        bound = self._registry.get(name)
        if bound is not None and bound is not exports and not replace:
            raise DuplicateModuleError(name)
        self._registry[name] = exports

    def _unregister(self, exports: dict) -> None:
        """Forget every module name bound to ``exports`` (its instance closed)."""
        for name in [name for name, bound in self._registry.items() if bound is exports]:
            del self._registry[name]

    def new_host_module(self, name: str) -> HostModuleBuilder:
        """Start building a host module named ``name`` (see :mod:`pywaz.vm.host`)."""
        self._check()
        return HostModuleBuilder(self, name)

    def _instantiate_host(self, name: str, exports: dict) -> Instance:
        self._check()
        if name in self._registry:
            raise DuplicateModuleError(name)
        module_instance = ModuleInstance(None, self, name)
        module_instance.exports = exports
        for obj in exports.values():
            if isinstance(obj, Function):
                module_instance.funcs.append(obj)
            elif isinstance(obj, Table):
                module_instance.tables.append(obj)
            elif isinstance(obj, Memory):
                module_instance.memories.append(obj)
            else:
                module_instance.globals_.append(obj)
        instance = Instance(self, module_instance)
        self._instances[instance] = None
        self._registry[name] = exports
        return instance

    # -- lifetime ---------------------------------------------------------

    def close(self) -> None:
        """Close every instance and compiled module of this runtime (idempotent)."""
        if self._closed:
            return
        self._closed = True
        for instance in list(self._instances):
            instance.close()
        for compiled in list(self._compiled):
            compiled.close()
        self._instances.clear()
        self._compiled.clear()
        self._registry.clear()
        if self._owns_cache:
            self._cache.close()
        else:  # store what lazy compilation added, so the next process compiles nothing again
            self._cache.flush()

    @property
    def closed(self) -> bool:
        return self._closed

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
