"""pywaz: a WebAssembly runtime in pure Python.

Decode and validate wasm binaries, run them with an interpreter or compile each
function to a Python code object, cache compiled artifacts, and instantiate
modules with explicit lifetimes. See README.md for the embedding guide.
"""

from .cache import CacheError, CompilationCache
from .decoder import decode_module
from .errors import (
    ClosedError,
    DecodeError,
    ExitError,
    InstantiationError,
    LinkError,
    PywazError,
    Trap,
    TrapKind,
    ValidationError,
)
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
    externref,
    f32,
    f64,
    funcref,
    i32,
    i64,
    v128,
)
from .wasi import Wasi, WasiConfig

__version__ = "0.1.0"

__all__ = [
    "CacheError",
    "Caller",
    "ClosedError",
    "CompilationCache",
    "CompiledModule",
    "DecodeError",
    "ExitError",
    "ExportedFunction",
    "ExportedGlobal",
    "ExportedMemory",
    "ExportedTable",
    "Instance",
    "InstantiationError",
    "LinkError",
    "ModuleConfig",
    "PywazError",
    "Runtime",
    "Trap",
    "TrapKind",
    "ValidationError",
    "Wasi",
    "WasiConfig",
    "__version__",
    "decode_module",
    "externref",
    "f32",
    "f64",
    "funcref",
    "i32",
    "i64",
    "v128",
    "validate",
]
