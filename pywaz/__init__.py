"""pywaz: a WebAssembly runtime in pure Python.

Assemble WebAssembly text (``wat2wasm``), decode and validate wasm binaries, run them with an interpreter or compile each
function to a Python code object, cache compiled artifacts, and instantiate
modules with explicit lifetimes. See README.md for the embedding guide.
"""

import importlib as _importlib

# Type checkers and IDEs read these imports to resolve ``pywaz.Runtime`` and friends; at run time
# TYPE_CHECKING is False (not imported from typing, which `import pywaz` does not need) and the names come
# from the lazy loader below. Keep this list and _LAZY in step (tests/test_public_api.py checks).
TYPE_CHECKING = False
if TYPE_CHECKING:
    from .cache import CacheError, CompilationCache
    from .decoder import decode_module
    from .features import (
        Features,
        ProposalDisabledError,
        ProposalDisabledInvalid,
        ProposalError,
        ProposalNotImplementedError,
    )
    from .errors import (
        ArgumentError,
        ClosedError,
        DecodeError,
        DuplicateModuleError,
        ExitError,
        InstantiationError,
        LinkError,
        PywazError,
        Trap,
        TrapFrame,
        TrapKind,
        ValidationError,
        WasmException,
    )
    from .text import WatError, wat2wasm
    from .validator import validate
    from .vm import (
        Caller,
        CompiledModule,
        ExportedFunction,
        ExportedGlobal,
        ExportedMemory,
        ExportedTable,
        Instance,
        ModuleConfig,
        Runtime,
        Tag,
        anyref,
        arrayref,
        eqref,
        externref,
        f32,
        f64,
        funcref,
        i31ref,
        i32,
        i64,
        structref,
        v128,
    )
    from .wasi import Wasi, WasiConfig

# Public name -> submodule that defines it. Nothing is imported until a name is
# first used (PEP 562), so `import pywaz` and `pywaz run` on a warm cache do not
# pay for the decoder, validator or compiler they never touch.
_LAZY = {
    "ArgumentError": ".errors",
    "CacheError": ".cache",
    "CompilationCache": ".cache",
    "decode_module": ".decoder",
    "ClosedError": ".errors",
    "DecodeError": ".errors",
    "DuplicateModuleError": ".errors",
    "ExitError": ".errors",
    "InstantiationError": ".errors",
    "LinkError": ".errors",
    "PywazError": ".errors",
    "Trap": ".errors",
    "TrapFrame": ".errors",
    "TrapKind": ".errors",
    "ValidationError": ".errors",
    "WasmException": ".errors",
    "Tag": ".vm",
    "Features": ".features",
    "ProposalError": ".features",
    "ProposalDisabledError": ".features",
    "ProposalDisabledInvalid": ".features",
    "ProposalNotImplementedError": ".features",
    "validate": ".validator",
    "WatError": ".text",
    "wat2wasm": ".text",
    "Caller": ".vm",
    "CompiledModule": ".vm",
    "ExportedFunction": ".vm",
    "ExportedGlobal": ".vm",
    "ExportedMemory": ".vm",
    "ExportedTable": ".vm",
    "Instance": ".vm",
    "ModuleConfig": ".vm",
    "Runtime": ".vm",
    "anyref": ".vm",
    "arrayref": ".vm",
    "eqref": ".vm",
    "i31ref": ".vm",
    "structref": ".vm",
    "externref": ".vm",
    "f32": ".vm",
    "f64": ".vm",
    "funcref": ".vm",
    "i32": ".vm",
    "i64": ".vm",
    "v128": ".vm",
    "Wasi": ".wasi",
    "WasiConfig": ".wasi",
}


def __getattr__(name: str):
    """Import a public name's submodule on first use and cache the name here."""
    module_name = _LAZY.get(name)
    if module_name is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(_importlib.import_module(module_name, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


__version__ = "0.1.0"

__all__ = [
    "ArgumentError",
    "CacheError",
    "Caller",
    "ClosedError",
    "CompilationCache",
    "CompiledModule",
    "DecodeError",
    "DuplicateModuleError",
    "ExitError",
    "ExportedFunction",
    "ExportedGlobal",
    "ExportedMemory",
    "ExportedTable",
    "Features",
    "Instance",
    "InstantiationError",
    "LinkError",
    "ModuleConfig",
    "ProposalDisabledError",
    "ProposalDisabledInvalid",
    "ProposalError",
    "ProposalNotImplementedError",
    "PywazError",
    "Runtime",
    "Tag",
    "Trap",
    "TrapFrame",
    "TrapKind",
    "ValidationError",
    "Wasi",
    "WasmException",
    "WasiConfig",
    "WatError",
    "__version__",
    "anyref",
    "arrayref",
    "decode_module",
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
    "validate",
    "wat2wasm",
]
