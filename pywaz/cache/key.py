"""Cache keys: what makes two compilations interchangeable.

Enters: the wasm bytes' SHA-256, an engine name, the enabled features and a
:class:`pywaz.api.CompileOptions`. Leaves: a 64-character hex SHA-256 key.

The key covers everything that can change an artifact or make it unloadable:
a domain tag, :data:`ARTIFACT_FORMAT_VERSION`, pywaz's version plus a
fingerprint of the sources that shape artifacts (so two development builds of
one version never alias), ``importlib.util.MAGIC_NUMBER`` and
``sys.implementation.cache_tag`` (marshal and bytecode are interpreter
specific), the engine, the features, every field of ``CompileOptions`` not
listed in :data:`EXCLUDED_OPTIONS`, and the module digest. Not in the key:
module name, module config, host implementations, lifetime flags.

Every field is encoded as ``len(tag) tag len(value) value`` with 4-byte
little-endian lengths, so no two different field sequences encode alike.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import struct
import sys
import threading
from collections.abc import Iterable, Mapping

from .errors import CacheError

#: Bump when the artifact payload layout (metadata / blob list) changes meaning.
ARTIFACT_FORMAT_VERSION = 3

_DOMAIN_TAG = b"pywaz.compilation-cache.key"

#: Compile options deliberately left out of the key, with the reason. A field
#: belongs here only if it cannot change the artifact's bytes or behaviour.
EXCLUDED_OPTIONS: Mapping[str, str] = {
    "keep_sources": "the generated source kept beside each code object is informational: code objects are "
    "identical either way, and a reader that wants a source not kept regenerates it",
    "workers": "how many processes share an eager compile: each function is compiled and marshalled by the same "
    "code in whichever process, so the stored bytes are identical for every count",
}

#: Package-relative sources whose bytes feed the fingerprint: everything that
#: decides what an engine emits or how an artifact is read back.
FINGERPRINT_SOURCES = (
    "api.py",
    "ir.py",
    "numeric.py",
    "opcodes.py",
    "compiler",
    "decoder",
    "validator",
    "interpreter",
    "cache/key.py",
    "cache/payload.py",
    "cache/moduleinfo.py",
)

_fingerprint: bytes | None = None
_fingerprint_lock = threading.Lock()


def pywaz_version() -> str:
    """pywaz's version string (read at call time: ``pywaz/__init__`` imports this package)."""
    from .. import __version__

    return __version__


def source_fingerprint() -> bytes:
    """SHA-256 over the artifact-shaping sources, computed once per process.

    Files are hashed in sorted package-relative order with their paths, so a
    rename or a new file changes the fingerprint too.
    """
    global _fingerprint
    if _fingerprint is None:
        with _fingerprint_lock:
            if _fingerprint is None:
                _fingerprint = _hash_sources(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    return _fingerprint


def _hash_sources(package_dir: str) -> bytes:
    files: list[str] = []
    for entry in FINGERPRINT_SOURCES:
        path = os.path.join(package_dir, entry)
        if os.path.isdir(path):
            for dirpath, dirnames, filenames in os.walk(path):
                dirnames[:] = sorted(d for d in dirnames if d != "__pycache__")
                files.extend(os.path.join(dirpath, name) for name in filenames if name.endswith(".py"))
        elif os.path.isfile(path):
            files.append(path)
    digest = hashlib.sha256()
    for path in sorted(files):
        rel = os.path.relpath(path, package_dir).replace(os.sep, "/").encode()
        try:
            with open(path, "rb") as f:
                data = f.read()
        except OSError:
            data = b"<unreadable>"
        _field(digest, rel, data)
    return digest.digest()


def module_digest(data: bytes | bytearray | memoryview) -> bytes:
    """The SHA-256 digest (32 raw bytes) of a module's wasm bytes."""
    return hashlib.sha256(data).digest()


def compute_key(wasm_bytes_digest: bytes, engine, features, options) -> str:
    """The cache key (64 hex digits) for compiling a module with these settings.

    ``wasm_bytes_digest`` is :func:`module_digest` of the module (32 bytes);
    ``engine`` an engine name or an object with a ``name``; ``features`` None,
    an iterable of enabled feature names, or a mapping name -> enabled;
    ``options`` a ``CompileOptions`` (any record or dataclass: every field is encoded
    unless listed in :data:`EXCLUDED_OPTIONS`).

    Raises:
        CacheError: the digest is not 32 bytes, or an option or feature has a
            type the key cannot encode unambiguously.
    """
    if not isinstance(wasm_bytes_digest, (bytes, bytearray)) or len(wasm_bytes_digest) != 32:
        raise CacheError("wasm_bytes_digest must be the 32-byte SHA-256 digest of the module (see module_digest)")
    engine_name = engine if isinstance(engine, str) else getattr(engine, "name", None)
    if not isinstance(engine_name, str):
        raise CacheError(f"engine must be a name or have a str .name, got {engine!r}")
    option_names = _option_names(options)

    h = hashlib.sha256()
    _field(h, b"domain", _DOMAIN_TAG)
    _field(h, b"format", str(ARTIFACT_FORMAT_VERSION).encode())
    _field(h, b"pywaz", pywaz_version().encode())
    _field(h, b"sources", source_fingerprint())
    _field(h, b"python-magic", importlib.util.MAGIC_NUMBER)
    _field(h, b"cache-tag", str(sys.implementation.cache_tag).encode())
    _field(h, b"engine", engine_name.encode())
    _field(h, b"features", _encode_value(_normalise_features(features), "features"))
    for name in option_names:
        if name in EXCLUDED_OPTIONS:
            continue
        value = getattr(options, name)
        _field(h, b"option:" + name.encode(), _encode_value(value, f"compile option {name!r}"))
    _field(h, b"module-sha256", bytes(wasm_bytes_digest))
    return h.hexdigest()


def _option_names(options) -> tuple[str, ...]:
    """Every field of an options object: a record (``CompileOptions``) or a dataclass instance.

    Raises:
        CacheError: ``options`` is neither (or is a class).
    """
    if not isinstance(options, type):
        names = getattr(type(options), "__record_fields__", None)
        if names is not None:
            return names
        if hasattr(type(options), "__dataclass_fields__"):
            import dataclasses

            return tuple(f.name for f in dataclasses.fields(options))
    raise CacheError(f"options must be a CompileOptions instance, got {options!r}")


def _field(h, tag: bytes, value: bytes) -> None:
    h.update(struct.pack("<I", len(tag)))
    h.update(tag)
    h.update(struct.pack("<I", len(value)))
    h.update(value)


def _normalise_features(features):
    if features is None:
        return ()
    if isinstance(features, Mapping):
        return tuple(sorted(str(name) for name, enabled in features.items() if enabled))
    if isinstance(features, str):
        return (features,)
    if isinstance(features, Iterable):
        return tuple(sorted({str(name) for name in features}))
    # An int bit set or an enum.Flag is encoded as its value.
    return features


def _encode_value(value, what: str) -> bytes:
    """A canonical, type-tagged encoding (so 1, True, "1" and 1.0 never collide)."""
    if value is None:
        return b"n"
    if value is True or value is False:
        return b"b1" if value else b"b0"
    if isinstance(value, int):  # also IntEnum/IntFlag: their value is what matters
        return b"i" + str(int(value)).encode()
    if isinstance(value, float):
        return b"f" + value.hex().encode()
    if isinstance(value, str):
        return b"s" + value.encode("utf-8", "surrogatepass")
    if isinstance(value, (bytes, bytearray)):
        return b"y" + bytes(value)
    if isinstance(value, (tuple, list)):
        parts = [_encode_value(v, what) for v in value]
        return b"t" + b"".join(struct.pack("<I", len(p)) + p for p in parts)
    if isinstance(value, (frozenset, set)):
        parts = sorted(_encode_value(v, what) for v in value)
        return b"S" + b"".join(struct.pack("<I", len(p)) + p for p in parts)
    if hasattr(value, "value") and hasattr(type(value), "__members__"):  # a non-int Enum
        return b"e" + type(value).__name__.encode() + b":" + _encode_value(value.value, what)
    raise CacheError(f"{what} has type {type(value).__name__}, which the cache key cannot encode")
