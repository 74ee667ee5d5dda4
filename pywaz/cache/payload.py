"""The engine-side serialisation interface: artifacts to plain data and back.

An engine that wants its artifacts cached provides two functions:

* ``serialize(artifact) -> ArtifactPayload``: ``metadata`` is a msgpack-able
  dict (everything needed to instantiate without decoding, validating or
  compiling again), ``code_blobs`` holds ``marshal.dumps(code)`` per function
  (``None`` for a function not compiled yet, e.g. in lazy mode), and
  ``sources`` optionally holds the generated source per function.
* ``deserialize(payload) -> artifact``: rebuild an artifact. Use
  :meth:`ArtifactPayload.code_list` so each code object is unmarshalled on
  first use only; a hit on a huge module then costs little more than reading
  the file.

Unmarshalling is code execution: payloads must only come from a trusted cache
directory (see :mod:`pywaz.cache`).
"""

from __future__ import annotations

import marshal
import types
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from .errors import CacheError

_LOADED = object()  # marks a blob that has been unmarshalled and dropped


@dataclass(frozen=True, slots=True)
class ArtifactPayload:
    """An artifact as plain data: msgpack-able ``metadata``, marshal blobs, optional sources."""

    metadata: dict
    code_blobs: tuple[bytes | None, ...]
    sources: tuple[str | None, ...] | None = None

    def code_list(self, lazy_unmarshal: bool = True, on_invalid=None) -> LazyCodeList:
        """The code objects as a :class:`LazyCodeList` (loaded now if not ``lazy_unmarshal``).

        Raises:
            CacheError: (eager only) a blob is not a marshalled code object and
                ``on_invalid`` did not supply a replacement.
        """
        codes = LazyCodeList(self.code_blobs, on_invalid=on_invalid)
        if not lazy_unmarshal:
            codes.load_all()
        return codes


class ArtifactCodec(Protocol):
    """What an engine provides so the cache can store its artifacts."""

    def serialize(self, artifact: Any) -> ArtifactPayload:
        """Turn ``artifact`` into plain data."""

    def deserialize(self, payload: ArtifactPayload) -> Any:
        """Rebuild an artifact from :meth:`serialize`'s output."""


class LazyCodeList(Sequence):
    """A sequence of code objects unmarshalled one by one on first access.

    ``codes[i]`` is a ``types.CodeType`` or None (the function had not been
    compiled when the artifact was stored). The blob is dropped once loaded.
    Concurrent first accesses may both unmarshal; either result is equivalent.

    ``on_invalid(index, reason)``, if given, is called when blob ``index`` is
    not a marshalled code object; it returns a replacement (for example the
    engine recompiles that one function). Without it such an access raises
    :class:`CacheError`. Entries are digest-checked before they get here, so
    this means a writer bug or a tampered (trusted!) cache directory.
    """

    __slots__ = ("_blobs", "_codes", "_on_invalid")

    def __init__(self, blobs: Sequence[bytes | None], on_invalid: Callable[[int, str], Any] | None = None):
        self._blobs: list = list(blobs)
        self._codes: list = [None] * len(self._blobs)
        self._on_invalid = on_invalid

    def __len__(self) -> int:
        return len(self._blobs)

    def __getitem__(self, index):
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self._blobs)))]
        code = self._codes[index]
        if code is not None:
            return code
        blob = self._blobs[index]
        if blob is None:
            return None
        if blob is _LOADED:  # another thread loaded it between our two reads
            return self._codes[index]
        code = self._load(index if index >= 0 else index + len(self._blobs), blob)
        self._codes[index] = code
        self._blobs[index] = _LOADED
        return code

    def _load(self, index: int, blob) -> types.CodeType:
        reason = None
        try:
            code = marshal.loads(blob)
        except (ValueError, EOFError, TypeError) as exc:
            reason = f"cannot unmarshal: {exc}"
        else:
            if not isinstance(code, types.CodeType):
                reason = f"unmarshalled a {type(code).__name__}, not a code object"
        if reason is None:
            return code
        if self._on_invalid is not None:
            return self._on_invalid(index, reason)
        raise CacheError(f"cached code for function {index} is invalid: {reason}")

    def is_loaded(self, index: int) -> bool:
        """Whether entry ``index`` has been unmarshalled (None entries count as loaded)."""
        return self._codes[index] is not None or self._blobs[index] is None

    def loaded_count(self) -> int:
        """How many code objects have been unmarshalled so far."""
        return sum(1 for code in self._codes if code is not None)

    def load_all(self) -> None:
        """Unmarshal every entry now.

        Raises:
            CacheError: a blob is invalid and no ``on_invalid`` replaced it.
        """
        for i in range(len(self._blobs)):
            self[i]

    def blob(self, index: int) -> bytes | None:
        """The marshalled form of entry ``index`` (re-marshalled if already loaded), for re-serialising."""
        blob = self._blobs[index]
        if blob is _LOADED:
            return marshal.dumps(self._codes[index])
        return blob
