"""Function bodies whose instruction lists are decoded on first use (binary format §5.5.13).

Enters: a body that :func:`pywaz.validator._prevalidate.check_body` has already
shown to be well formed and valid while the code section was read: its locals,
its span and where its instructions start. Leaves: a
:class:`~pywaz.ir.FunctionBody` whose ``ops``/``imms``/``offsets`` are produced by
the ordinary :func:`~pywaz.decoder.instructions.decode_expr` the first time any
of them is read, so the lists exist only for the functions a program runs or
compiles. Equal to the eagerly decoded body in every field; pickling or
``replace`` gives a plain :class:`~pywaz.ir.FunctionBody`.
"""

from __future__ import annotations

import gc
import threading
from array import array

from ..ir import FunctionBody
from .instructions import decode_expr

_SLOTS = {name: FunctionBody.__dict__[name] for name in ("locals", "ops", "imms", "offsets", "offset", "end")}
_OPS_SLOT = _SLOTS["ops"]
_IMMS_SLOT = _SLOTS["imms"]
_OFFSETS_SLOT = _SLOTS["offsets"]


class LazySource:
    """What the bodies of one module need to decode later: their bytes, the memarg cache, the features, a lock.

    ``code`` is a copy of the module's bytes ``start:end`` (the code section's
    bodies), so the module IR does not keep the caller's bytes object alive;
    module offsets are ``start`` plus offsets into it.
    """

    __slots__ = ("code", "features", "lock", "memargs", "start")

    def __init__(self, data: bytes, start: int, end: int, memargs: dict, features):
        self.code = data[start:end]
        self.start = start
        self.memargs = memargs
        self.features = features
        self.lock = threading.Lock()


class LazyFunctionBody(FunctionBody):
    """A :class:`~pywaz.ir.FunctionBody` whose instruction lists are decoded on first access.

    ``verdict`` is the :class:`~pywaz.validator._prevalidate.FastContext` the body
    was shown valid in (the validator trusts it only for a module that still has
    that context's sections).
    """

    __slots__ = ("_code_pos", "_source", "verdict")

    @classmethod
    def deferred(cls, locals_: tuple, offset: int, end: int, code_pos: int, source: LazySource, verdict):
        self = object.__new__(cls)
        _SLOTS["locals"].__set__(self, locals_)
        _SLOTS["offset"].__set__(self, offset)
        _SLOTS["end"].__set__(self, end)
        object.__setattr__(self, "_code_pos", code_pos)
        object.__setattr__(self, "_source", source)
        object.__setattr__(self, "verdict", verdict)
        return self

    @property
    def decoded(self) -> bool:
        """Whether the instruction lists exist yet."""
        try:
            _OFFSETS_SLOT.__get__(self)
        except AttributeError:
            return False
        return True

    def _materialize(self) -> None:
        source = self._source
        with source.lock:
            if self.decoded:
                return
            # Decoding allocates many small containers and forms no cycles (see decode_module).
            gc_was_enabled = gc.isenabled()
            gc.disable()
            try:
                start = source.start
                ops, imms, offsets, _end, _uses = decode_expr(source.code, self._code_pos - start, source.memargs,
                                                              source.features)
                if start:
                    offsets = array("L", map(start.__add__, offsets))  # module offsets, at C speed
            finally:
                if gc_was_enabled:
                    gc.enable()
            _OPS_SLOT.__set__(self, ops)
            _IMMS_SLOT.__set__(self, imms)
            _OFFSETS_SLOT.__set__(self, offsets)  # last: ``decoded`` tests it

    @property
    def ops(self) -> list:
        try:
            return _OPS_SLOT.__get__(self)
        except AttributeError:
            self._materialize()
            return _OPS_SLOT.__get__(self)

    @property
    def imms(self) -> list:
        try:
            return _IMMS_SLOT.__get__(self)
        except AttributeError:
            self._materialize()
            return _IMMS_SLOT.__get__(self)

    @property
    def offsets(self):
        try:
            return _OFFSETS_SLOT.__get__(self)
        except AttributeError:
            self._materialize()
            return _OFFSETS_SLOT.__get__(self)

    def __eq__(self, other):
        if isinstance(other, FunctionBody):
            return self._record_values(self) == other._record_values(other)
        return NotImplemented

    __hash__ = FunctionBody.__hash__

    def __reduce__(self):
        return FunctionBody, self._record_values(self)

    def __replace__(self, /, **changes):
        values = dict(zip(self.__record_fields__, self._record_values(self)))
        values.update(changes)
        return FunctionBody(**values)
