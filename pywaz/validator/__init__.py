"""Validation (spec §3): ``validate(Module) -> ValidatedModule``.

Takes a decoded :class:`~pywaz.ir.Module`, checks every module-level rule and
every function body with the spec's algorithm, and returns the
:class:`~pywaz.ir.ValidatedModule` later stages read (resolved index spaces,
per-function block tables and stack heights). Faults raise
:class:`~pywaz.errors.ValidationError`.
"""

from .module import validate

__all__ = ["validate"]
