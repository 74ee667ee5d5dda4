"""The VM: the store's runtime objects, linking, instantiation and the public Runtime API.

:mod:`.objects` holds the engine contract (Function, Memory, Table, Global,
ModuleInstance); :mod:`.instantiate` links and instantiates; :mod:`.runtime`
is the embedder API re-exported from :mod:`pywaz`; :mod:`.exports` and
:mod:`.host` are the wrappers embedders see and the host-module builder.
"""

from .exports import ExportedFunction, ExportedGlobal, ExportedMemory, ExportedTable, Exports
from .functions import FunctionViews
from .host import Caller, HostModuleBuilder
from .objects import Tag
from .runtime import CompiledModule, ExportType, ImportType, Instance, ModuleConfig, Runtime
from .valtypes import anyref, arrayref, eqref, externref, f32, f64, funcref, i31ref, i32, i64, structref, v128

__all__ = [
    "Caller",
    "CompiledModule",
    "ExportType",
    "ExportedFunction",
    "ExportedGlobal",
    "ExportedMemory",
    "ExportedTable",
    "Exports",
    "FunctionViews",
    "HostModuleBuilder",
    "ImportType",
    "Instance",
    "ModuleConfig",
    "Runtime",
    "Tag",
    "anyref",
    "arrayref",
    "eqref",
    "externref",
    "f32",
    "f64",
    "funcref",
    "i31ref",
    "i32",
    "i64",
    "structref",
    "v128",
]
