"""Per-function validation facts computed on first use (spec §3.3, for bodies already shown valid).

Enters: a function whose body the decoder's one-pass check
(:mod:`pywaz.validator._prevalidate`) showed valid, and the module's validation
context. Leaves: a :class:`~pywaz.ir.FunctionInfo` whose ``blocks`` and
``max_height`` come from the ordinary :func:`~pywaz.validator._function.validate_function`
the first time either is read (for the functions a program runs or compiles).
The module was fully validated before :func:`~pywaz.validator.validate` returned;
only these derived facts wait. Pickling or ``replace`` gives a plain FunctionInfo.
"""

from __future__ import annotations

import gc
import threading

from ..ir import FunctionInfo
from ._function import validate_function

_BLOCKS_SLOT = FunctionInfo.__dict__["blocks"]
_MAX_HEIGHT_SLOT = FunctionInfo.__dict__["max_height"]
_SLOTS = {name: FunctionInfo.__dict__[name] for name in ("func_index", "type", "local_types", "body")}


class LazyFunctionInfo(FunctionInfo):
    """A :class:`~pywaz.ir.FunctionInfo` whose ``blocks`` and ``max_height`` are computed on first access."""

    __slots__ = ("_context", "_lock")

    @classmethod
    def deferred(cls, func_index: int, func_type, local_types: tuple, body, context, lock: threading.Lock):
        self = object.__new__(cls)
        _SLOTS["func_index"].__set__(self, func_index)
        _SLOTS["type"].__set__(self, func_type)
        _SLOTS["local_types"].__set__(self, local_types)
        _SLOTS["body"].__set__(self, body)
        object.__setattr__(self, "_context", context)
        object.__setattr__(self, "_lock", lock)
        return self

    def _materialize(self) -> None:
        body = self.body
        body.ops  # noqa: B018 - decode the body first, outside this lock (it takes the module's own)
        with self._lock:
            try:
                _MAX_HEIGHT_SLOT.__get__(self)
                return
            except AttributeError:
                pass
            gc_was_enabled = gc.isenabled()  # as in validate(): no cycles, and the collector's passes cost
            gc.disable()
            try:
                info = validate_function(self.func_index, self.type, body, self._context)
            finally:
                if gc_was_enabled:
                    gc.enable()
            _BLOCKS_SLOT.__set__(self, info.blocks)
            _MAX_HEIGHT_SLOT.__set__(self, info.max_height)  # last: tested above

    @property
    def blocks(self) -> dict:
        try:
            return _BLOCKS_SLOT.__get__(self)
        except AttributeError:
            self._materialize()
            return _BLOCKS_SLOT.__get__(self)

    @property
    def max_height(self) -> int:
        try:
            return _MAX_HEIGHT_SLOT.__get__(self)
        except AttributeError:
            self._materialize()
            return _MAX_HEIGHT_SLOT.__get__(self)

    def __eq__(self, other):
        if isinstance(other, FunctionInfo):
            return self._record_values(self) == other._record_values(other)
        return NotImplemented

    __hash__ = FunctionInfo.__hash__

    def __reduce__(self):
        return FunctionInfo, self._record_values(self)

    def __replace__(self, /, **changes):
        values = dict(zip(self.__record_fields__, self._record_values(self)))
        values.update(changes)
        return FunctionInfo(**values)
