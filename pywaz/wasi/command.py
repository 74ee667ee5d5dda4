"""Define a :class:`~pywaz.wasi.Wasi` environment in a Runtime and run WASI commands.

Input: a :class:`pywaz.Runtime` and wasm bytes (or a CompiledModule) of a
WASI *command* (exports ``_start``, and ``memory`` once it calls a WASI
function that takes a pointer). Output: the exit status -- 0 when ``_start``
returns, the ``proc_exit`` code otherwise (also from a start function).
Traps propagate.

WASI is defined before instantiation, as in wasmtime and wazero: :func:`link`
registers the ``wasi_snapshot_preview1`` host module, whose functions find the
calling instance's ``memory`` export at each call, so a start function can
already print.
"""

from __future__ import annotations

from ..errors import ExitError, PywazError
from ..ir import VALTYPE_NAMES
from .config import WasiConfig
from .preview1 import MODULE_NAME, Wasi


def link(wasi: Wasi, runtime):
    """Register ``wasi``'s functions in ``runtime`` as the ``wasi_snapshot_preview1`` host module.

    Returns the host Instance (closing it unregisters the name). Every module
    the runtime instantiates afterwards may import WASI; each call uses the
    memory its caller exports as ``memory``, so no :meth:`Wasi.bind` is needed.

    Raises:
        DuplicateModuleError: a module named ``wasi_snapshot_preview1`` is
            already registered in ``runtime`` (close it first).
    """
    builder = runtime.new_host_module(MODULE_NAME)
    for name, (params, results, fn, takes_caller) in wasi.caller_functions().items():
        builder.function(name, fn, params=[VALTYPE_NAMES[t] for t in params],
                         results=[VALTYPE_NAMES[t] for t in results], raw=True, caller=takes_caller)
    return builder.instantiate()


def run_command(runtime, module, config: WasiConfig | Wasi | None = None, entry: str = "_start") -> int:
    """Instantiate a WASI command with ``config``, call ``entry`` and return the exit status.

    ``module`` is wasm bytes or a CompiledModule of ``runtime``. A ``Wasi``
    passed as ``config`` is used as is (and left open); otherwise one is
    created from the config and closed afterwards. ``proc_exit`` in the
    module's start function ends the command with that status too.

    Raises:
        DuplicateModuleError: ``runtime`` already has a ``wasi_snapshot_preview1`` module.
        LinkError: an import cannot be satisfied (reported before ``entry`` is looked for).
        PywazError: the module does not export ``entry``, or the config is invalid.
        Trap: the guest trapped (a WASI call that needs memory, from a module
            exporting none, traps with "missing required memory export").
    """
    wasi = config if isinstance(config, Wasi) else Wasi(config)
    host = None
    try:
        host = link(wasi, runtime)
        try:
            if isinstance(module, (bytes, bytearray, memoryview)):
                instance = runtime.instantiate(bytes(module))
            else:
                instance = runtime.instantiate_module(module)
        except ExitError as exit_:
            return exit_.code
        try:
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
