"""WASI snapshot preview1 for pywaz guests.

Build a :class:`WasiConfig` (argv, environment, stdio, preopened directories)
and call :func:`run_command` -- or, step by step: create a :class:`Wasi`,
:func:`link` it into a Runtime (its :meth:`Wasi.imports` become the
``wasi_snapshot_preview1`` host module), instantiate the guest, then
:meth:`Wasi.bind` the instance so the functions can reach its memory.
``proc_exit`` raises :class:`pywaz.ExitError`. Guest paths can never leave a
preopened directory (see :mod:`pywaz.wasi.sandbox`).

Behaviour follows wasmtime (checked by ``tests/wasi/test_wasi_differential.py``)
except where preview1 itself is clearer: rights are enforced (wasmtime ignores
them), ``fd_fdstat_set_rights``, ``fd_allocate``, ``path_link`` with
``symlink_follow`` and the process/thread CPU-time clocks are implemented
(wasmtime refuses them), and
``proc_raise`` returns ``ENOSYS`` (wasmtime: ``ENOTSUP``).
"""

from .codes import Errno, Filetype, Rights
from .command import link, run_command
from .config import WasiConfig
from .preview1 import MODULE_NAME, SIGNATURES, Wasi

__all__ = ["Errno", "Filetype", "MODULE_NAME", "Rights", "SIGNATURES", "Wasi", "WasiConfig", "link", "run_command"]
