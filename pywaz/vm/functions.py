"""``CompiledModule.functions``: a read-only sequence of per-function views.

Item ``i`` is the :class:`~pywaz.inspect.view.FunctionView` of function index
``i`` (imports first, so indices match the module's function index space):
name, type, locals, the wasm listing and -- with the compiler engine -- the
generated Python source and code object. Views are built on demand, once.

With the compiler engine in lazy mode a function not yet compiled has
``python_source``/``code`` None (``python_unavailable`` says so);
``functions.view(i, python=True)`` compiles it now (the result is kept by the
artifact, so the instance's later first call reuses it). Code loaded from
a disk cache is unmarshalled when viewed; if the cache entry kept no source,
``python=True`` regenerates it (the code object stays the cached one). With
the interpreter engine views carry the wasm listing only.
"""

from __future__ import annotations

from collections.abc import Sequence


def _replace(view, **changes):
    """``dataclasses.replace`` for the inspect views, imported only when a view is asked for."""
    import dataclasses

    return dataclasses.replace(view, **changes)


_NOT_YET = "not compiled yet (lazy mode): use functions.view(index, python=True) to compile it now"
# Functions whose code came from a disk cache are unmarshalled on demand (no compilation) instead;
# their source may not have been stored, and is then regenerated only when asked for.
_NO_SOURCE = "its source was not kept: use functions.view(index, python=True) to regenerate it"


class FunctionViews(Sequence):
    """The functions of a compiled module, indexable by function index or name."""

    def __init__(self, compiled_module):
        self._compiled = compiled_module
        self._cache: dict[int, object] = {}
        validated = compiled_module.validated
        self._num_imported = len(validated.func_types) - len(validated.module.functions)
        self._names = None

    def __len__(self) -> int:
        self._compiled._check()
        return len(self._compiled.validated.func_types)

    def __getitem__(self, key):
        if isinstance(key, slice):
            return [self[i] for i in range(*key.indices(len(self)))]
        return self.view(key)

    def _index(self, key) -> int:
        if isinstance(key, str):
            names = self._name_map()
            if key not in names:
                raise KeyError(f"no function named {key!r} (neither an export nor a name-section name)")
            return names[key]
        if isinstance(key, bool) or not isinstance(key, int):
            raise TypeError(f"function key must be an int index or a str name, not {type(key).__name__}")
        count = len(self)
        index = key + count if key < 0 else key
        if not 0 <= index < count:
            raise IndexError(f"function index {key} out of range ({count} functions)")
        return index

    def _name_map(self) -> dict[str, int]:
        if self._names is None:
            from ..ir import EXTERN_FUNC

            module = self._compiled.validated.module
            names: dict[str, int] = {}
            for index, name in sorted(module.names.function_names.items()):
                names.setdefault(name, index)
            for export in module.exports:  # export names win over debug names
                if export.kind == EXTERN_FUNC:
                    names[export.name] = export.index
            self._names = names
        return self._names

    def view(self, key, *, python: bool = False):
        """The view of function ``key`` (index or name); ``python`` compiles it now if needed (compiler engine).

        Raises:
            IndexError / KeyError: no such function.
            TypeError: ``key`` is neither an int nor a str.
            ClosedError: the compiled module is closed.
        """
        self._compiled._check()
        index = self._index(key)
        found = self._cache.get(index)
        if found is not None and (not python or found.python_source is not None or index < self._num_imported):
            return found
        found = self._build(index, python)
        if found.python_unavailable not in (_NOT_YET, _NO_SOURCE):
            self._cache[index] = found
        return found

    def _build(self, index: int, python: bool):
        from ..errors import PywazError
        from ..inspect.view import function_view

        compiled_module = self._compiled
        validated, artifact = compiled_module.validated, compiled_module.artifact
        local = index - self._num_imported
        if local < 0:
            return function_view(validated, index)
        if not (callable(getattr(artifact, "function", None)) and hasattr(artifact, "functions")):
            view = function_view(validated, index)
            return _replace(view, python_unavailable=f"the {_engine_name(compiled_module)} engine generates no Python")
        cf = artifact.functions[local]
        has_code = getattr(artifact, "has_code", None)
        if cf is None and (python or (has_code is not None and has_code(local))):
            # Compile now, or (code loaded from a disk cache) just unmarshal it.
            try:
                cf = artifact.function(local, validated)
            except PywazError as exc:
                return _replace(function_view(validated, index), python_unavailable=str(exc))
        if cf is None:
            errors = getattr(artifact, "errors", None)
            reason = str(errors[local]) if errors and errors[local] is not None else _NOT_YET
            return _replace(function_view(validated, index), python_unavailable=reason)
        view = function_view(validated, index, compiled=cf)
        if view.python_source:
            return view
        # Sources are kept only when a cache stores them (CompileOptions.keep_sources); otherwise regenerate.
        if python:
            try:
                from ..compiler.artifact import compile_function

                source = compile_function(validated, local, getattr(artifact, "fuel", False)).source
            except (ImportError, PywazError) as exc:
                return _replace(view, python_source=None, python_unavailable=f"source not kept: {exc}")
            return _replace(view, python_source=source)
        return _replace(view, python_source=None, python_unavailable=_NO_SOURCE)

    def __repr__(self) -> str:
        return f"<FunctionViews of {len(self)} functions>"


def _engine_name(compiled_module) -> str:
    engine = compiled_module._runtime.engine
    return getattr(engine, "name", None) or type(engine).__name__


__all__ = ["FunctionViews"]
