"""WASI snapshot preview1 for pywaz guests.

Build a :class:`WasiConfig` (argv, environment, stdio, preopened directories),
create a :class:`Wasi` from it, give its :meth:`Wasi.imports` to the module as
``wasi_snapshot_preview1`` imports, then :meth:`Wasi.bind` the instance so the
functions can reach its exported memory. ``proc_exit`` raises
:class:`pywaz.ExitError`. Guest paths can never leave a preopened directory
(see :mod:`pywaz.wasi.sandbox`).
"""

from .codes import Errno, Filetype, Rights
from .config import WasiConfig
from .preview1 import MODULE_NAME, SIGNATURES, Wasi

__all__ = ["Errno", "Filetype", "MODULE_NAME", "Rights", "SIGNATURES", "Wasi", "WasiConfig"]
