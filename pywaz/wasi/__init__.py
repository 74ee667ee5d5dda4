"""WASI snapshot preview1 for pywaz guests.

Build a :class:`WasiConfig` (argv, environment, stdio, preopened directories)
and call :func:`run_command` -- or, step by step: create a :class:`Wasi`,
:func:`link` it into a Runtime (it becomes the ``wasi_snapshot_preview1``
host module), then instantiate guests and call them. As in wasmtime and
wazero, WASI is defined before instantiation: each call finds its caller's
exported ``memory`` when it runs, so a start function can use WASI and one
environment serves every instance that imports it (no :meth:`Wasi.bind`).
Functions that take no pointer (``proc_exit``, ``fd_close``, ...; see
:data:`MEMORYLESS`) work without a memory export, as in wazero (wasmtime
requires it for every call); the others trap with wasmtime's "missing
required memory export". ``proc_exit`` raises
:class:`pywaz.ExitError`. Guest paths can never leave a preopened directory
(see :mod:`pywaz.wasi.sandbox`).

Behaviour follows wasmtime (checked by ``tests/wasi/test_wasi_differential.py``),
including its limits on one call: ``fd_read``/``fd_pread``/``fd_write``/``fd_pwrite``
(and ``sock_recv``/``sock_send``) move only the first non-empty buffer of their
iovec array, a short transfer callers of readv/writev already handle, and the
array plus that buffer may total 128 MiB (more is ``ENOMEM``). It differs
where preview1 itself is clearer: rights are enforced (wasmtime ignores
them), ``fd_fdstat_set_rights``, ``fd_allocate``, ``path_link`` with
``symlink_follow`` and the process/thread CPU-time clocks are implemented
(wasmtime refuses them), and
``proc_raise`` returns ``ENOSYS`` (wasmtime: ``ENOTSUP``).
"""

from .codes import Errno, Filetype, Rights
from .command import link, run_command
from .config import WasiConfig
from .preview1 import MEMORYLESS, MODULE_NAME, SIGNATURES, Wasi

__all__ = [
    "Errno", "Filetype", "MEMORYLESS", "MODULE_NAME", "Rights", "SIGNATURES", "Wasi", "WasiConfig", "link",
    "run_command",
]
