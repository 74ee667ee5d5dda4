"""The VM: the store's runtime objects, linking, instantiation and the public Runtime API.

:mod:`.objects` holds the engine contract (Function, Memory, Table, Global,
ModuleInstance); :mod:`.instantiate` links and instantiates; :mod:`.runtime`
is the embedder API re-exported from :mod:`pywaz`; :mod:`.exports` and
:mod:`.host` are the wrappers embedders see and the host-module builder.
"""

from .exports import ExportedFunction, ExportedGlobal, ExportedMemory, ExportedTable, Exports
from .host import HostModuleBuilder
from .runtime import CompiledModule, ExportType, ImportType, Instance, ModuleConfig, Runtime

__all__ = [
    "CompiledModule",
    "ExportType",
    "ExportedFunction",
    "ExportedGlobal",
    "ExportedMemory",
    "ExportedTable",
    "Exports",
    "HostModuleBuilder",
    "ImportType",
    "Instance",
    "ModuleConfig",
    "Runtime",
]
