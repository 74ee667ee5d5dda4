"""The binary decoder: ``decode_module(bytes) -> pywaz.ir.Module`` (binary format §5).

Submodules: :mod:`.leb` (LEB128), :mod:`.reader` (section-level values),
:mod:`.instructions` (bodies and constant expressions, iterative),
:mod:`.sections` (one reader per section), :mod:`.names` (the name section),
:mod:`.module` (header, framing, order and cross-section checks).
"""

from .module import decode_module

__all__ = ["decode_module"]
