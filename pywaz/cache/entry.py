"""The on-disk entry format: bytes in, validated header and payload out.

Layout (all integers little-endian)::

    0   4  magic b"PYWZ"
    4   2  entry format version (ENTRY_FORMAT_VERSION)
    6   2  flags (FLAG_*; unknown bits reject the entry)
    8   4  header length H
    12  32 header digest: SHA-256 of bytes 0..12 and the H header bytes
    44  H  header: msgpack map (key echo, versions, digests, lengths)
    ..     payload: u64 length F, msgpack map {"metadata", "code", "digests", "sources"} (F bytes), code region

``code`` holds one u32 LE length per function (0xFFFFFFFF: no code),
``digests`` the SHA-256 of each function's blob (32 zero bytes where there is
none), and the code region the marshal blobs back to back. The header
digest covers the preamble and every header field (so a flipped bit in
``python``, ``engine``, ``module_sha256`` or ``created`` is caught like one
anywhere else); the header's ``metadata_sha256`` covers the u64 and the
fields; each blob is covered by its own digest. So a loader checks the small part up front and each blob right
before it unmarshals it: a hit on a 100 MB entry reads a few MB, never the
code of functions that are not called (:mod:`.storedcode`).

:func:`decode_entry` validates a whole entry in memory in a fixed order --
magic, version, flags, header digest, header, key, interpreter, pywaz version, lengths,
metadata digest, payload decode, types, every blob digest -- and raises
:class:`InvalidEntry` with the first failure. :func:`decode_entry_lazily`
does the same up to the blobs, which it leaves to a reader. The store turns
any failure into a miss; nothing here ever reaches the user.
"""

from __future__ import annotations

import hashlib
import importlib.util
import struct
import sys
import time
from array import array

import msgpack

from .._records import record
from .key import ARTIFACT_FORMAT_VERSION, pywaz_version
from .payload import ArtifactPayload

MAGIC = b"PYWZ"
ENTRY_FORMAT_VERSION = 4  # 4: the header digest; entries of other versions are misses
NO_CODE = 0xFFFFFFFF  # the length recorded for a function without code
_NO_CODE = NO_CODE
FLAG_SOURCES = 0x0001  # the payload carries generated sources
KNOWN_FLAGS = FLAG_SOURCES

_PREAMBLE = struct.Struct("<4sHHI32s")
_DIGESTED_PREAMBLE = 12  # magic, version, flags, header length: the bytes before the header digest
_FIELDS_LEN = struct.Struct("<Q")  # payload prefix: length of the msgpack fields before the code region
PREAMBLE_SIZE = _PREAMBLE.size
MAX_HEADER_SIZE = 1 << 16  # a real header is a few hundred bytes
DIGEST_SIZE = 32
_NO_DIGEST = bytes(DIGEST_SIZE)


class InvalidEntry(Exception):
    """An entry failed validation (internal: always turned into a cache miss)."""


@record
class EntryHeader:
    """The decoded envelope of one entry."""

    key: str
    pywaz_version: str
    python_magic: bytes
    cache_tag: str
    python_version: str
    engine: str
    module_sha256: bytes
    metadata_sha256: bytes
    payload_length: int
    code_length: int
    created: float
    function_count: int
    compiled_count: int
    artifact_format: int
    flags: int
    header_length: int = 0

    @property
    def size(self) -> int:
        """The whole entry's size in bytes, as the header announces it."""
        return PREAMBLE_SIZE + self.header_length + self.payload_length

    @property
    def code_offset(self) -> int:
        """Where the code region starts in the entry."""
        return self.size - self.code_length


def encode_entry(key: str, engine: str, module_sha256: bytes, payload: ArtifactPayload, keep_sources: bool) -> bytes:
    """Serialise one entry.

    Raises:
        TypeError, ValueError, OverflowError: the metadata is not msgpack-able
            (an engine bug; the caller logs it and skips the write).
    """
    sources = list(payload.sources) if keep_sources and payload.sources is not None else None
    blobs = [None if blob is None else bytes(blob) for blob in payload.code_blobs]
    lengths = array("I", (_NO_CODE if blob is None else len(blob) for blob in blobs))
    if sys.byteorder != "little":
        lengths.byteswap()
    digests = b"".join(_NO_DIGEST if blob is None else hashlib.sha256(blob).digest() for blob in blobs)
    fields = msgpack.packb(
        {"metadata": payload.metadata, "code": lengths.tobytes(), "digests": digests, "sources": sources},
        use_bin_type=True,
    )
    prefix = _FIELDS_LEN.pack(len(fields)) + fields
    code = [blob for blob in blobs if blob is not None]
    code_length = sum(map(len, code))
    header = msgpack.packb(
        {
            "key": key,
            "pywaz": pywaz_version(),
            "python_magic": importlib.util.MAGIC_NUMBER,
            "cache_tag": str(sys.implementation.cache_tag),
            "python": sys.version.split()[0],
            "engine": engine,
            "module_sha256": bytes(module_sha256),
            "metadata_sha256": hashlib.sha256(prefix).digest(),
            "payload_len": len(prefix) + code_length,
            "code_len": code_length,
            "created": time.time(),
            "functions": len(blobs),
            "compiled": len(code),
            "artifact_format": ARTIFACT_FORMAT_VERSION,
        },
        use_bin_type=True,
    )
    flags = FLAG_SOURCES if sources is not None else 0
    return b"".join((encode_preamble(flags, header), header, prefix, *code))


def encode_preamble(
    flags: int, header: bytes, *, magic: bytes = MAGIC, version: int = ENTRY_FORMAT_VERSION, length: int | None = None
) -> bytes:
    """The PREAMBLE_SIZE bytes before ``header``: magic, version, flags, header length, header digest.

    The digest covers the first four fields and ``header``. ``magic``,
    ``version`` and ``length`` are for tests that build damaged entries.
    """
    start = struct.pack("<4sHHI", magic, version, flags, len(header) if length is None else length)
    return start + hashlib.sha256(start + header).digest()


def header_length(preamble: bytes) -> int:
    """The header length announced by the first PREAMBLE_SIZE bytes.

    Raises:
        InvalidEntry: wrong magic, format version or flags.
    """
    if len(preamble) < PREAMBLE_SIZE:
        raise InvalidEntry(f"truncated preamble ({len(preamble)} bytes)")
    magic, version, flags, length, _ = _PREAMBLE.unpack_from(preamble)
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
        InvalidEntry: any structural problem up to and including the header, or a header digest mismatch.
    """
    length = header_length(data)
    _, _, flags, _, digest = _PREAMBLE.unpack_from(data)
    raw = data[PREAMBLE_SIZE : PREAMBLE_SIZE + length]
    if len(raw) != length:
        raise InvalidEntry(f"truncated header ({len(raw)} of {length} bytes)")
    if hashlib.sha256(bytes(data[:_DIGESTED_PREAMBLE]) + bytes(raw)).digest() != digest:
        raise InvalidEntry("header digest mismatch")
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
            metadata_sha256=_typed(fields, "metadata_sha256", bytes),
            payload_length=_typed(fields, "payload_len", int),
            code_length=_typed(fields, "code_len", int),
            created=float(_typed(fields, "created", (int, float))),
            function_count=_typed(fields, "functions", int),
            compiled_count=_typed(fields, "compiled", int),
            artifact_format=_typed(fields, "artifact_format", int),
            flags=flags,
            header_length=length,
        )
    except KeyError as exc:
        raise InvalidEntry(f"header field {exc.args[0]!r} missing") from None
    if not 0 <= header.code_length <= header.payload_length - _FIELDS_LEN.size:
        raise InvalidEntry(
            f"code region of {header.code_length} bytes does not fit a {header.payload_length}-byte payload"
        )
    if not 0 <= header.compiled_count <= header.function_count:
        raise InvalidEntry(f"{header.compiled_count} compiled of {header.function_count} functions")
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


@record
class CodeTable:
    """Where each function's blob lies in the entry and what it must hash to.

    ``offsets[i]``/``lengths[i]`` are absolute file positions (length
    ``_NO_CODE`` where there is none); ``digests`` holds 32 bytes per function.
    """

    offsets: array
    lengths: array
    digests: bytes

    def present(self, index: int) -> bool:
        return self.lengths[index] != _NO_CODE

    def digest(self, index: int) -> bytes:
        return self.digests[index * DIGEST_SIZE : (index + 1) * DIGEST_SIZE]


def _decode_fields(header: EntryHeader, prefix) -> tuple[dict, CodeTable, list | None]:
    """Check and decode the u64 + msgpack fields of an entry (``prefix``, exactly that many bytes).

    Raises:
        InvalidEntry: digest mismatch, malformed fields, or lengths that do not tile the code region.
    """
    if hashlib.sha256(prefix).digest() != header.metadata_sha256:
        raise InvalidEntry("metadata digest mismatch")
    try:
        fields = msgpack.unpackb(prefix[_FIELDS_LEN.size :], raw=False, strict_map_key=True)
    except Exception as exc:  # msgpack raises several unrelated types on garbage
        raise InvalidEntry(f"payload is not msgpack: {exc}") from None
    if not isinstance(fields, dict) or set(fields) != {"metadata", "code", "digests", "sources"}:
        raise InvalidEntry("payload is not a {metadata, code, digests, sources} map")
    metadata, raw_lengths, digests, sources = fields["metadata"], fields["code"], fields["digests"], fields["sources"]
    if not isinstance(metadata, dict):
        raise InvalidEntry("payload metadata is not a map")
    if not isinstance(raw_lengths, bytes) or len(raw_lengths) % 4:
        raise InvalidEntry("payload code is not a list of lengths")
    lengths = array("I")
    lengths.frombytes(raw_lengths)
    if sys.byteorder != "little":
        lengths.byteswap()
    if len(lengths) != header.function_count:
        raise InvalidEntry(f"payload has {len(lengths)} functions, header says {header.function_count}")
    if not isinstance(digests, bytes) or len(digests) != DIGEST_SIZE * len(lengths):
        raise InvalidEntry("payload digests do not match its functions")
    offsets = array("Q", bytes(8 * len(lengths)))
    position = header.code_offset
    for i, length in enumerate(lengths):
        if length != _NO_CODE:
            offsets[i] = position
            position += length
    if position != header.size:
        raise InvalidEntry(
            f"code region is {header.code_length} bytes, the lengths say {position - header.code_offset}"
        )
    compiled = len(lengths) - lengths.count(_NO_CODE)
    if compiled != header.compiled_count:
        raise InvalidEntry(f"payload has code for {compiled} functions, header says {header.compiled_count}")
    if sources is not None:
        if not isinstance(sources, list) or not all(s is None or isinstance(s, str) for s in sources):
            raise InvalidEntry("payload sources are not a list of strings")
        if len(sources) != len(lengths):
            raise InvalidEntry("payload has a different number of sources and functions")
    if bool(header.flags & FLAG_SOURCES) != (sources is not None):
        raise InvalidEntry("sources flag does not match the payload")
    return metadata, CodeTable(offsets, lengths, digests), sources


def decode_entry_lazily(read_at, file_size: int, expected_key: str | None):
    """Validate an entry up to its code region; return ``(header, metadata, code table, sources)``.

    ``read_at(offset, length)`` returns up to ``length`` bytes of the entry at
    ``offset``. The blobs are left for the caller to read and check against
    the table's digests (:class:`pywaz.cache.storedcode.StoredCode`).

    Raises:
        InvalidEntry: the first failed check, in the documented order.
    """
    preamble = bytes(read_at(0, PREAMBLE_SIZE))
    raw_header = bytes(read_at(PREAMBLE_SIZE, header_length(preamble)))  # exactly the header, no further
    header = decode_header(preamble + raw_header)
    if expected_key is not None:
        check_header(header, expected_key)
    if file_size != header.size:
        raise InvalidEntry(f"entry is {file_size} bytes, its header says {header.size}")
    start = PREAMBLE_SIZE + header.header_length
    prefix_length = header.payload_length - header.code_length
    prefix = read_at(start, prefix_length)
    if len(prefix) != prefix_length:
        raise InvalidEntry(f"truncated payload fields ({len(prefix)} of {prefix_length} bytes)")
    if _FIELDS_LEN.unpack_from(prefix)[0] != prefix_length - _FIELDS_LEN.size:
        raise InvalidEntry("payload fields length does not match the header")
    metadata, table, sources = _decode_fields(header, prefix)
    return header, metadata, table, sources


def decode_entry(data: bytes, expected_key: str | None) -> tuple[EntryHeader, ArtifactPayload]:
    """Validate a whole entry held in memory, every blob digest included; return its header and payload.

    ``expected_key`` None skips the key/interpreter/version checks (used by
    ``verify()`` for entries of other pywaz or Python versions). The payload's
    blobs are zero-copy slices of ``data``.

    Raises:
        InvalidEntry: the first failed check, in the documented order.
    """
    view = memoryview(data)

    def read_at(offset: int, length: int):
        return view[offset : offset + length]

    header, metadata, table, sources = decode_entry_lazily(read_at, len(data), expected_key)
    code = []
    for i, (offset, length) in enumerate(zip(table.offsets, table.lengths)):
        if length == _NO_CODE:
            code.append(None)
            continue
        blob = view[offset : offset + length]
        if hashlib.sha256(blob).digest() != table.digest(i):
            raise InvalidEntry(f"code digest mismatch for function {i}")
        code.append(blob)
    return header, ArtifactPayload(metadata, tuple(code), tuple(sources) if sources is not None else None)
