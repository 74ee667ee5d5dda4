"""Protocols shared between the VM and the engines.

An engine compiles a :class:`~pywaz.ir.ValidatedModule` into an artifact once,
and binds that artifact to any number of module instances. Artifacts hold no
instance state, so one artifact serves many instances (and can be cached).
"""

from __future__ import annotations

from typing import Any, Protocol

from ._records import record


@record
class CompileOptions:
    """Options that change what an engine produces (part of the cache key, except ``keep_sources`` and ``workers``)."""

    compile_mode: str = "lazy"  # "eager" or "lazy" (compiler engine)
    # Keep each function's generated Python source with its code (compiler engine). Without it,
    # sources are regenerated when asked for: a 14 MB module's are a quarter of its compiled size.
    keep_sources: bool = True
    # Meter fuel: one unit per wasm function entry and per taken branch back to a loop; code made
    # without it carries no check at all (see pywaz/vm/fuel.py). Both engines count the same.
    fuel: bool = False
    # Worker processes for an eager compile (compiler engine; pywaz.compiler.parallel): None is one per CPU
    # for modules large enough to gain (small ones stay in process), 1 compiles in this process. The code is
    # the same bytes whatever the count.
    workers: int | None = None


class Engine(Protocol):
    """What the VM needs from an execution engine."""

    name: str

    def compile(self, validated, options: CompileOptions) -> Any:
        """Produce an engine artifact for ``validated`` (a ValidatedModule)."""

    def bind(self, artifact: Any, instance) -> None:
        """Set ``.call`` on every defined function of ``instance`` (a ModuleInstance).

        Called after the instance's funcs, tables, memories and globals exist
        and before element/data segments are applied and the start function runs.
        """
