"""Engine registry: engine names -> engine instances for :class:`pywaz.Runtime`.

Engines are imported lazily, so the interpreter works even where the compiler
package is missing or broken. "tiered" (the default of :class:`pywaz.Runtime`
and of the CLI) interprets each function until it is hot, then runs it
compiled (:mod:`pywaz.tiered`).
"""

from __future__ import annotations

import importlib

from ..errors import PywazError

_ENGINES = {
    "tiered": ("pywaz.tiered.engine", "TieredEngine"),
    "interpreter": ("pywaz.interpreter.engine", "InterpreterEngine"),
    "compiler": ("pywaz.compiler.engine", "CompilerEngine"),
}


DEFAULT_ENGINE = "tiered"


def engine_names() -> tuple[str, ...]:
    """The names :func:`create_engine` accepts."""
    return tuple(_ENGINES)


def create_engine(name):
    """A new engine for ``name`` ("tiered", "interpreter" or "compiler"), or ``name`` itself if it is an engine.

    Raises:
        ValueError: unknown engine name.
        PywazError: the engine's module cannot be imported.
    """
    if not isinstance(name, str):
        if hasattr(name, "compile") and hasattr(name, "bind"):
            return name
        raise TypeError(f"engine must be a name or an Engine object, not {type(name).__name__}")
    try:
        module_name, class_name = _ENGINES[name]
    except KeyError:
        raise ValueError(f"unknown engine {name!r} (choose from {', '.join(_ENGINES)})") from None
    try:
        module = importlib.import_module(module_name)
        engine_class = getattr(module, class_name)
    except (ImportError, AttributeError) as exc:
        raise PywazError(f"the {name} engine is not available: {exc}") from exc
    return engine_class()
