"""The on-disk entry format: bytes in, validated header and payload out.

Layout (all integers little-endian)::

    0   4  magic b"PYWZ"
    4   2  entry format version (ENTRY_FORMAT_VERSION)
    6   2  flags (FLAG_*; unknown bits reject the entry)
    8   4  header length H
    12  H  header: msgpack map (key echo, versions, digests, lengths)
    ..     payload: u64 length F, msgpack map {"metadata", "code", "sources"} (F bytes), code region

``code`` holds one u32 LE length per function (0xFFFFFFFF: no code) and the
code region the marshal blobs back to back. Loading slices the region
without copying it, so a hit on a 100 MB entry does not allocate 100 MB of
little bytes objects; each blob is unmarshalled on first use.

:func:`decode_entry` validates in a fixed order -- magic, version, flags,
header, key, interpreter, pywaz version, lengths, payload digest, payload
decode, types -- and raises :class:`InvalidEntry` with the first failure.
The store turns that into a miss; nothing here ever reaches the user.
"""

from __future__ import annotations

import hashlib
import importlib.util
import struct
import sys
import time
from array import array
from dataclasses import dataclass

import msgpack

from .key import ARTIFACT_FORMAT_VERSION, pywaz_version
from .payload import ArtifactPayload

MAGIC = b"PYWZ"
ENTRY_FORMAT_VERSION = 2
_NO_CODE = 0xFFFFFFFF
FLAG_SOURCES = 0x0001  # the payload carries generated sources
KNOWN_FLAGS = FLAG_SOURCES

_PREAMBLE = struct.Struct("<4sHHI")
_FIELDS_LEN = struct.Struct("<Q")  # payload prefix: length of the msgpack fields before the code region
PREAMBLE_SIZE = _PREAMBLE.size
MAX_HEADER_SIZE = 1 << 16  # a real header is a few hundred bytes


class InvalidEntry(Exception):
    """An entry failed validation (internal: always turned into a cache miss)."""


@dataclass(frozen=True, slots=True)
class EntryHeader:
    """The decoded envelope of one entry."""

    key: str
    pywaz_version: str
    python_magic: bytes
    cache_tag: str
    python_version: str
    engine: str
    module_sha256: bytes
    payload_sha256: bytes
    payload_length: int
    created: float
    function_count: int
    artifact_format: int
    flags: int


def encode_entry(key: str, engine: str, module_sha256: bytes, payload: ArtifactPayload, keep_sources: bool) -> bytes:
    """Serialise one entry.

    Raises:
        TypeError, ValueError, OverflowError: the metadata is not msgpack-able
            (an engine bug; the caller logs it and skips the write).
    """
    sources = list(payload.sources) if keep_sources and payload.sources is not None else None
    lengths = array("I", (_NO_CODE if blob is None else len(blob) for blob in payload.code_blobs))
    if sys.byteorder != "little":
        lengths.byteswap()
    fields = msgpack.packb(
        {"metadata": payload.metadata, "code": lengths.tobytes(), "sources": sources},
        use_bin_type=True,
    )
    body = b"".join((_FIELDS_LEN.pack(len(fields)), fields, *(blob for blob in payload.code_blobs if blob is not None)))
    header = msgpack.packb(
        {
            "key": key,
            "pywaz": pywaz_version(),
            "python_magic": importlib.util.MAGIC_NUMBER,
            "cache_tag": str(sys.implementation.cache_tag),
            "python": sys.version.split()[0],
            "engine": engine,
            "module_sha256": bytes(module_sha256),
            "payload_sha256": hashlib.sha256(body).digest(),
            "payload_len": len(body),
            "created": time.time(),
            "functions": len(payload.code_blobs),
            "artifact_format": ARTIFACT_FORMAT_VERSION,
        },
        use_bin_type=True,
    )
    flags = FLAG_SOURCES if sources is not None else 0
    return _PREAMBLE.pack(MAGIC, ENTRY_FORMAT_VERSION, flags, len(header)) + header + body


def header_length(preamble: bytes) -> int:
    """The header length announced by the first PREAMBLE_SIZE bytes.

    Raises:
        InvalidEntry: wrong magic, format version or flags.
    """
    if len(preamble) < PREAMBLE_SIZE:
        raise InvalidEntry(f"truncated preamble ({len(preamble)} bytes)")
    magic, version, flags, length = _PREAMBLE.unpack_from(preamble)
    if magic != MAGIC:
        raise InvalidEntry(f"bad magic {magic!r}")
    if version != ENTRY_FORMAT_VERSION:
        raise InvalidEntry(f"entry format version {version}, expected {ENTRY_FORMAT_VERSION}")
    if flags & ~KNOWN_FLAGS:
        raise InvalidEntry(f"unknown flag bits 0x{flags & ~KNOWN_FLAGS:04x}")
    if length > MAX_HEADER_SIZE:
        raise InvalidEntry(f"header length {length} is implausible")
    return length


def decode_header(data: bytes) -> EntryHeader:
    """Decode the preamble and header of ``data`` (which may stop after the header).

    Raises:
        InvalidEntry: any structural problem up to and including the header.
    """
    length = header_length(data)
    flags = _PREAMBLE.unpack_from(data)[2]
    raw = data[PREAMBLE_SIZE : PREAMBLE_SIZE + length]
    if len(raw) != length:
        raise InvalidEntry(f"truncated header ({len(raw)} of {length} bytes)")
    try:
        fields = msgpack.unpackb(raw, raw=False, strict_map_key=True)
    except Exception as exc:  # msgpack raises several unrelated types on garbage
        raise InvalidEntry(f"header is not msgpack: {exc}") from None
    if not isinstance(fields, dict):
        raise InvalidEntry("header is not a map")
    try:
        header = EntryHeader(
            key=_typed(fields, "key", str),
            pywaz_version=_typed(fields, "pywaz", str),
            python_magic=_typed(fields, "python_magic", bytes),
            cache_tag=_typed(fields, "cache_tag", str),
            python_version=_typed(fields, "python", str),
            engine=_typed(fields, "engine", str),
            module_sha256=_typed(fields, "module_sha256", bytes),
            payload_sha256=_typed(fields, "payload_sha256", bytes),
            payload_length=_typed(fields, "payload_len", int),
            created=float(_typed(fields, "created", (int, float))),
            function_count=_typed(fields, "functions", int),
            artifact_format=_typed(fields, "artifact_format", int),
            flags=flags,
        )
    except KeyError as exc:
        raise InvalidEntry(f"header field {exc.args[0]!r} missing") from None
    return header


def _typed(fields: dict, name: str, kind):
    value = fields[name]
    if not isinstance(value, kind) or isinstance(value, bool):
        raise InvalidEntry(f"header field {name!r} has type {type(value).__name__}")
    return value


def check_header(header: EntryHeader, expected_key: str) -> None:
    """Check that an entry was written for this key by this interpreter and pywaz.

    Raises:
        InvalidEntry: the first mismatch.
    """
    if header.key != expected_key:
        raise InvalidEntry(f"key echo {header.key[:16]}... does not match {expected_key[:16]}...")
    if header.python_magic != importlib.util.MAGIC_NUMBER or header.cache_tag != sys.implementation.cache_tag:
        raise InvalidEntry(f"written by another Python ({header.cache_tag}, magic {header.python_magic.hex()})")
    if header.pywaz_version != pywaz_version():
        raise InvalidEntry(f"written by pywaz {header.pywaz_version}, this is {pywaz_version()}")
    if header.artifact_format != ARTIFACT_FORMAT_VERSION:
        raise InvalidEntry(f"artifact format {header.artifact_format}, expected {ARTIFACT_FORMAT_VERSION}")


def decode_entry(data: bytes, expected_key: str | None) -> tuple[EntryHeader, ArtifactPayload]:
    """Validate a whole entry and return its header and payload.

    ``expected_key`` None skips the key/interpreter/version checks (used by
    ``verify()`` for entries of other pywaz or Python versions).

    Raises:
        InvalidEntry: the first failed check, in the documented order.
    """
    header = decode_header(data)
    if expected_key is not None:
        check_header(header, expected_key)
    start = PREAMBLE_SIZE + _header_len_of(data)
    body = memoryview(data)[start:]
    if len(body) != header.payload_length:
        raise InvalidEntry(f"payload is {len(body)} bytes, header says {header.payload_length}")
    if hashlib.sha256(body).digest() != header.payload_sha256:
        raise InvalidEntry("payload digest mismatch")
    if len(body) < _FIELDS_LEN.size:
        raise InvalidEntry("payload too short")
    region_start = _FIELDS_LEN.size + _FIELDS_LEN.unpack_from(body)[0]
    if region_start > len(body):
        raise InvalidEntry("payload fields run past its end")
    try:
        fields = msgpack.unpackb(body[_FIELDS_LEN.size : region_start], raw=False, strict_map_key=True)
    except Exception as exc:
        raise InvalidEntry(f"payload is not msgpack: {exc}") from None
    if not isinstance(fields, dict) or set(fields) != {"metadata", "code", "sources"}:
        raise InvalidEntry("payload is not a {metadata, code, sources} map")
    metadata, lengths, sources = fields["metadata"], fields["code"], fields["sources"]
    if not isinstance(metadata, dict):
        raise InvalidEntry("payload metadata is not a map")
    if not isinstance(lengths, bytes) or len(lengths) % 4:
        raise InvalidEntry("payload code is not a list of lengths")
    code = _slice_code(body, region_start, lengths)
    if len(code) != header.function_count:
        raise InvalidEntry(f"payload has {len(code)} functions, header says {header.function_count}")
    if sources is not None:
        if not isinstance(sources, list) or not all(s is None or isinstance(s, str) for s in sources):
            raise InvalidEntry("payload sources are not a list of strings")
        if len(sources) != len(code):
            raise InvalidEntry("payload has a different number of sources and functions")
    if bool(header.flags & FLAG_SOURCES) != (sources is not None):
        raise InvalidEntry("sources flag does not match the payload")
    return header, ArtifactPayload(metadata, tuple(code), tuple(sources) if sources is not None else None)


def _slice_code(body: memoryview, start: int, raw_lengths: bytes) -> list:
    """The code blobs as zero-copy slices of ``body`` (None where a function has no code).

    Raises:
        InvalidEntry: the lengths do not tile the code region exactly.
    """
    lengths = array("I")
    lengths.frombytes(raw_lengths)
    if sys.byteorder != "little":
        lengths.byteswap()
    code = []
    position = start
    for length in lengths:
        if length == _NO_CODE:
            code.append(None)
        else:
            code.append(body[position : position + length])
            position += length
    if position != len(body):
        raise InvalidEntry(f"code region is {len(body) - start} bytes, the lengths say {position - start}")
    return code


def _header_len_of(data: bytes) -> int:
    return _PREAMBLE.unpack_from(data)[3]
