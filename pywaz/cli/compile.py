"""``pywaz compile MODULE.wasm``: compile ahead of time into the disk cache (see :mod:`pywaz.cache.cli`)."""

from ..cache.cli import add_compile_command as register

__all__ = ["register"]
