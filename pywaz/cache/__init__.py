"""The content-addressed compilation cache and the lifetimes of compiled code.

Compile once, load in milliseconds. :class:`CompilationCache` keeps engine
artifacts in memory (shared by any number of runtimes in the process) and,
given a directory, in a persistent store shared across processes. Keys come
from :func:`compute_key` (module digest, engine, features, every compile
option, interpreter and pywaz build). Artifacts are opaque to the cache: an
engine that wants disk caching provides ``serialize(artifact) ->
ArtifactPayload`` and ``deserialize(payload) -> artifact`` (see
:mod:`pywaz.cache.payload`); code objects travel as ``marshal`` blobs and are
read from disk, digest-checked and unmarshalled lazily, one function at a
time, through :class:`LazyCodeList` (see :mod:`pywaz.cache.storedcode`).

**Trust boundary.** A cache entry contains code objects that pywaz unmarshals
and runs: whoever can write the cache directory can run code in your process.
pywaz therefore creates cache directories with mode 0700 and refuses (with
:class:`CacheError`) a directory that is not owned by you (or root) or that
group or others can write. Do not point the cache at a shared directory, and
do not copy entries from sources you would not run code from. Digests inside
entries detect corruption, not tampering.

**Faults are misses.** A missing, truncated, bit-flipped, foreign (other
Python or pywaz build) or unreadable entry, or anything that is not a regular
file in its place (never opened in a way that could block), is deleted,
logged at debug level on the ``pywaz.cache`` logger, recompiled and
rewritten; the user never sees an exception or a wrong result.

**Write-back.** Code compiled lazily after an entry was written reaches disk
without ``close()``: when an entry's last reference is released, periodically
while code keeps compiling, and at interpreter exit (:mod:`pywaz.cache.autoflush`).

**Lifetimes.** The cache owns residency; handles own references. A runtime
takes a :class:`CodeRef` with :meth:`CompilationCache.acquire` per compiled
module and releases it exactly once when that module (or the instance that
owns it) closes. With a user cache, release never evicts; a runtime without
one uses :func:`private_cache`, which frees an entry on its last release.
Live instances keep their code alive through ordinary references whatever
the cache evicts. See README.md in this package for the rules as a table.
"""

from .compilation import RESIDENCY_REFERENCED, RESIDENCY_RETAIN, CompilationCache, private_cache
from .errors import CacheError
from .key import ARTIFACT_FORMAT_VERSION, EXCLUDED_OPTIONS, compute_key, module_digest, source_fingerprint
from .lifetimes import CodeRef
from .payload import ArtifactCodec, ArtifactPayload, LazyCodeList
from .store import DiskStore, EntryInfo, VerifyReport, default_cache_dir

__all__ = [
    "ARTIFACT_FORMAT_VERSION",
    "EXCLUDED_OPTIONS",
    "RESIDENCY_REFERENCED",
    "RESIDENCY_RETAIN",
    "ArtifactCodec",
    "ArtifactPayload",
    "CacheError",
    "CodeRef",
    "CompilationCache",
    "DiskStore",
    "EntryInfo",
    "LazyCodeList",
    "VerifyReport",
    "compute_key",
    "default_cache_dir",
    "module_digest",
    "private_cache",
    "source_fingerprint",
]
