"""Link a :class:`~pywaz.wasi.Wasi` environment into a Runtime and run WASI commands.

Input: a :class:`pywaz.Runtime` and wasm bytes (or a CompiledModule) of a
WASI *command* (exports ``_start`` and ``memory``). Output: the exit status --
0 when ``_start`` returns, the ``proc_exit`` code otherwise. Traps propagate.
"""

from __future__ import annotations

from ..errors import ExitError, PywazError
from ..ir import VALTYPE_NAMES
from .config import WasiConfig
from .preview1 import MODULE_NAME, Wasi


def link(wasi: Wasi, runtime):
    """Register ``wasi``'s functions in ``runtime`` as the ``wasi_snapshot_preview1`` host module.

    Returns the host Instance. Instantiate the guest afterwards, then call
    ``wasi.bind(instance)`` before running it.
    """
    builder = runtime.new_host_module(MODULE_NAME)
    for name, (params, results, fn) in wasi.imports().items():
        builder.function(name, fn, params=[VALTYPE_NAMES[t] for t in params],
                         results=[VALTYPE_NAMES[t] for t in results], raw=True)
    return builder.instantiate()


def run_command(runtime, module, config: WasiConfig | Wasi | None = None, entry: str = "_start") -> int:
    """Instantiate a WASI command with ``config``, call ``entry`` and return the exit status.

    ``module`` is wasm bytes or a CompiledModule of ``runtime``. A ``Wasi``
    passed as ``config`` is used as is (and left open); otherwise one is
    created from the config and closed afterwards.

    Raises:
        PywazError: the module does not export ``entry`` or ``memory``, or the
            config is invalid.
        Trap: the guest trapped.
    """
    wasi = config if isinstance(config, Wasi) else Wasi(config)
    host = None
    try:
        host = link(wasi, runtime)
        if isinstance(module, (bytes, bytearray, memoryview)):
            instance = runtime.instantiate(bytes(module))
        else:
            instance = runtime.instantiate_module(module)
        try:
            wasi.bind(instance)
            exports = instance.exports
            if entry not in exports:
                raise PywazError(f"the module does not export {entry!r}")
            try:
                exports[entry]()
            except ExitError as exit_:
                return exit_.code
            return 0
        finally:
            instance.close()
    finally:
        if host is not None:
            host.close()
        if wasi is not config:
            wasi.close()
