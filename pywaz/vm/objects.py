"""Runtime objects of the store: functions, memories, tables, globals (execution §4.2).

These are the contract between the VM and the engines. An engine turns each
defined function into a Python callable; every function -- interpreted,
compiled or host -- is called the same way: positional arguments in pywaz's
value representation (:mod:`pywaz.numeric`), returning None for no result, the
value for one result, and a tuple for several.
"""

from __future__ import annotations

import threading

from ..errors import Trap, TrapFrame, TrapKind
from ..ir import PAGE_SIZE, FuncType, GlobalType, MemoryType, TableType
from ..deftypes import host_func_def
from .fuel import UNMETERED

MAX_TABLE_SIZE = 0xFFFFFFFF


class Function:
    """A function instance. ``call(*args)`` runs it with raw wasm values.

    ``type`` is an interned :class:`FuncType` (as the module declares it:
    a concrete reference type in it names a type index of the module).
    ``def_type`` is its canonical :class:`~pywaz.deftypes.DefType`, the same
    object for equal types of any module: ``call_indirect`` compares it (with
    ``is``, then the supertype chain). ``instance`` is the owning module
    instance (None for host functions), ``index`` its index in that module's
    function index space.
    """

    __slots__ = ("type", "def_type", "call", "name", "instance", "index", "host", "__weakref__")

    def __init__(self, type: FuncType, call, name: str = "", instance=None, index: int = -1, host: bool = False,
                 def_type=None):
        self.type = type
        self.def_type = def_type if def_type is not None else host_func_def(type)
        self.call = call
        self.name = name
        self.instance = instance
        self.index = index
        self.host = host

    def __repr__(self) -> str:
        return f"<wasm function {self.name or self.index} {self.type}>"


class Memory:
    """A linear memory instance. ``data`` is the bytearray engines read and write.

    ``grow`` may replace ``data`` with a new, larger bytearray (when an exported
    buffer such as a numpy view pins the old one), so code that keeps ``data`` in
    a local must reload it after any call or ``memory.grow``.
    """

    __slots__ = ("type", "data", "max_pages", "__weakref__")

    def __init__(self, type: MemoryType, limit_pages: int | None = None):
        self.type = type
        declared = type.limits.max if type.limits.max is not None else 65536
        self.max_pages = declared if limit_pages is None else min(declared, limit_pages)
        self.data = bytearray(type.limits.min * PAGE_SIZE)

    @property
    def pages(self) -> int:
        return len(self.data) // PAGE_SIZE

    def grow(self, delta: int) -> int:
        """Grow by ``delta`` pages; return the old size in pages, or -1 (never raises)."""
        old = len(self.data) // PAGE_SIZE
        new = old + delta
        if new > self.max_pages:
            return -1
        if delta:
            try:
                self.data.extend(bytes(delta * PAGE_SIZE))
            except BufferError:
                grown = bytearray(new * PAGE_SIZE)
                grown[: len(self.data)] = self.data
                self.data = grown
            except (MemoryError, OverflowError):
                return -1
        return old


class Table:
    """A table instance: ``elements`` holds Function objects, externrefs or None."""

    __slots__ = ("type", "elements", "max_size", "__weakref__")

    def __init__(self, type: TableType, init=None, limit_size: int | None = None):
        self.type = type
        declared = type.limits.max if type.limits.max is not None else MAX_TABLE_SIZE
        self.max_size = declared if limit_size is None else min(declared, limit_size)
        self.elements = [init] * type.limits.min

    def grow(self, delta: int, init=None) -> int:
        """Grow by ``delta`` entries filled with ``init``; return the old size or -1."""
        old = len(self.elements)
        if old + delta > self.max_size:
            return -1
        try:
            self.elements.extend([init] * delta)
        except (MemoryError, OverflowError):
            return -1
        return old


class Global:
    """A global instance; engines read and write ``value`` directly."""

    __slots__ = ("type", "value", "__weakref__")

    def __init__(self, type: GlobalType, value):
        self.type = type
        self.value = value


class Tag:
    """A tag instance (exception handling): an exception's identity and its payload type.

    ``type`` is an interned :class:`FuncType` with no results (the payload is
    its parameters). Tags match by identity: two tags of the same type from
    two instantiations are different tags.
    """

    __slots__ = ("type", "def_type", "name", "__weakref__")

    def __init__(self, type: FuncType, name: str = "", def_type=None):
        self.type = type
        self.def_type = def_type if def_type is not None else host_func_def(type)  # canonical: import matching
        self.name = name

    def __repr__(self) -> str:
        return f"<wasm tag {self.name or hex(id(self))} {self.type}>"


class CallDepth(threading.local):
    """The wasm call depth of one runtime, per thread, and its limit.

    Engines that count calls themselves read and write ``depth``; a runtime
    gives every instance the same object (``instance.runtime.call_depth``).
    Being thread-local, two threads calling into one runtime each get their
    own count.

    ``fuel`` is the budget of the metered call running on this thread (an
    iterator metered code spends with ``next``; :data:`~pywaz.vm.fuel.UNMETERED`
    when none runs), and ``fuel_consumed``/``fuel_remaining`` what the last
    metered call finished on this thread left (None before any); see
    :mod:`pywaz.vm.fuel`.
    """

    def __init__(self, max_depth: int = 10000, frames_per_call: int = 1):
        self.depth = 0
        self.max_depth = max_depth
        # Python frames one wasm call takes in the engine (0: the engine does
        # not recurse in Python); entry points size the recursion limit by it.
        self.frames_per_call = frames_per_call
        # Host functions active on the stack: each recursion through a host
        # function costs C stack, so the host wrapper bounds this separately.
        self.host_nesting = 0
        self.fuel = UNMETERED
        self.fuel_consumed: int | None = None
        self.fuel_remaining: int | None = None


def trap(kind: TrapKind):
    """Raise a :class:`Trap` of ``kind`` (a helper generated code can call)."""
    raise Trap(kind)


class ModuleInstance:
    """A module instance (execution §4.2.5): the module's resolved index spaces.

    ``funcs``/``tables``/``memories``/``globals_`` hold the full index spaces,
    imports first. ``elem_segments[i]`` is the tuple of resolved references of
    element segment i (empty once dropped); ``data_segments[i]`` the bytes of
    data segment i (``b""`` once dropped). ``exports`` maps export names to the
    objects above. ``engine_state`` is private to the engine that bound the
    instance's functions.
    """

    def __init__(self, module, runtime=None, name: str | None = None, source_name: str | None = None):
        self.module = module  # ValidatedModule
        self.runtime = runtime
        self.name = name
        self.source_name = source_name  # how trap frames name the module (e.g. its file name)
        self.funcs: list[Function] = []
        self.tables: list[Table] = []
        self.memories: list[Memory] = []
        self.globals_: list[Global] = []
        self.tags: list[Tag] = []
        self.elem_segments: list[tuple] = []
        self.data_segments: list[bytes] = []
        self.exports: dict[str, object] = {}
        self.engine_state = None

    def trap_frame(self, func_index: int, offset: int | None) -> TrapFrame:
        """A trap stack frame for function ``func_index`` of this instance at byte ``offset``.

        The module is named by ``source_name`` (given when it was compiled),
        else by its name section, else ``<module>``; the function as
        :meth:`pywaz.ir.Module.function_name` names it.
        """
        module = self.module.module if self.module is not None else None
        module_name = self.source_name or (module.names.module_name if module is not None else None) or "<module>"
        func_name = module.function_name(func_index) if module is not None else f"func[{func_index}]"
        return TrapFrame(func_index, func_name, module_name, offset)
