"""The engine-side serialisation interface: artifacts to plain data and back.

An engine that wants its artifacts cached provides two functions:

* ``serialize(artifact) -> ArtifactPayload``: ``metadata`` is a msgpack-able
  dict (everything needed to instantiate without decoding, validating or
  compiling again), ``code_blobs`` holds ``marshal.dumps(code)`` per function
  (``None`` for a function not compiled yet, e.g. in lazy mode), and
  ``sources`` optionally holds the generated source per function.
* ``deserialize(payload) -> artifact``: rebuild an artifact. Use
  :meth:`ArtifactPayload.code_list` so each code object is read and
  unmarshalled on first use only; a hit on a huge module then costs little
  more than reading its metadata. ``payload.code_blobs`` of a disk hit is a
  lazy sequence (:class:`~pywaz.cache.storedcode.StoredCode`): ask
  :func:`has_blob` / :meth:`ArtifactPayload.compiled_count` rather than
  reading items to learn which functions have code.

Unmarshalling is code execution: payloads must only come from a trusted cache
directory (see :mod:`pywaz.cache`).
"""

from __future__ import annotations

import marshal
import types
from collections.abc import Callable, Sequence
from typing import Any, Protocol

from .._records import record
from .errors import CacheError


def has_blob(blobs: Sequence, index: int) -> bool:
    """Whether ``blobs[index]`` holds code, without reading it from disk."""
    present = getattr(blobs, "present", None)
    return present(index) if present is not None else blobs[index] is not None


def presence(blobs: Sequence) -> list[bool]:
    """``has_blob(blobs, i)`` for every ``i``, computed in one pass."""
    flags = getattr(blobs, "present_flags", None)
    return flags() if flags is not None else [blob is not None for blob in blobs]


@record
class ArtifactPayload:
    """An artifact as plain data: msgpack-able ``metadata``, marshal blobs, optional sources."""

    metadata: dict
    code_blobs: tuple[bytes | None, ...]
    sources: tuple[str | None, ...] | None = None

    def compiled_count(self) -> int:
        """How many functions have code (no I/O)."""
        return sum(presence(self.code_blobs))

    def code_list(self, lazy_unmarshal: bool = True, on_invalid=None) -> LazyCodeList:
        """The code objects as a :class:`LazyCodeList` (loaded now if not ``lazy_unmarshal``).

        A disk hit's blobs are read from the entry when first used, so a
        damaged one shows only then; ``on_invalid(index, reason)`` lets the
        engine replace it (the compiler compiles that function instead).
        Without ``on_invalid`` nothing could, so every blob of a disk hit is
        read and digest-checked here, and a bad one makes the hit a miss.

        Raises:
            CacheError: a blob of a disk hit is unreadable or damaged and there is no ``on_invalid``
                (the cache turns it into a miss); (eager only) a blob is not a marshalled code
                object and ``on_invalid`` did not supply a replacement.
        """
        if on_invalid is None:
            check = getattr(self.code_blobs, "first_problem", None)
            problem = check() if check is not None else None
            if problem is not None:
                raise CacheError(f"cached {problem}")
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
    """A sequence of code objects read and unmarshalled one by one on first access.

    ``codes[i]`` is a ``types.CodeType`` or None (the function had not been
    compiled when the artifact was stored). Concurrent first accesses may
    both unmarshal; either result is equivalent.

    ``on_invalid(index, reason)``, if given, is called when blob ``index``
    cannot be read, fails its digest, or is not a marshalled code object; it
    returns a replacement (for example None, and the engine recompiles that
    one function). Without it such an access raises :class:`CacheError`.
    """

    __slots__ = ("_blobs", "_codes", "_on_invalid")

    def __init__(self, blobs: Sequence[bytes | None], on_invalid: Callable[[int, str], Any] | None = None):
        self._blobs = blobs if hasattr(blobs, "present") else tuple(blobs)
        self._codes: list = [None] * len(self._blobs)
        self._on_invalid = on_invalid

    def __len__(self) -> int:
        return len(self._blobs)

    def present(self, index: int) -> bool:
        """Whether entry ``index`` has code (without reading it)."""
        return has_blob(self._blobs, index)

    def __getitem__(self, index):
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self._blobs)))]
        code = self._codes[index]
        if code is not None or not self.present(index):
            return code
        index = index if index >= 0 else index + len(self._blobs)
        try:
            blob = self._blobs[index]
        except CacheError as exc:
            code = self._invalid(index, str(exc))
        else:
            code = self._load(index, blob)
        self._codes[index] = code
        return code

    def _load(self, index: int, blob) -> types.CodeType:
        try:
            code = marshal.loads(blob)
        except (ValueError, EOFError, TypeError) as exc:
            return self._invalid(index, f"cannot unmarshal: {exc}")
        if not isinstance(code, types.CodeType):
            return self._invalid(index, f"unmarshalled a {type(code).__name__}, not a code object")
        return code

    def _invalid(self, index: int, reason: str):
        if self._on_invalid is not None:
            return self._on_invalid(index, reason)
        raise CacheError(f"cached code for function {index} is invalid: {reason}")

    def is_loaded(self, index: int) -> bool:
        """Whether entry ``index`` has been unmarshalled (None entries count as loaded)."""
        return self._codes[index] is not None or not self.present(index)

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
        """The marshalled form of entry ``index``, for re-serialising (None: no code, or unreadable).

        Read again from the entry (cheap, and byte-identical); marshalled again
        from the loaded code object only if the entry cannot be read any more.
        """
        if not self.present(index):
            return None
        try:
            return self._blobs[index]
        except CacheError:
            code = self._codes[index]
            return marshal.dumps(code) if code is not None else None
