"""The disk store: corruption is a logged miss that gets replaced, writes are atomic,
directories are private, pruning is least-recently-used first."""

import importlib.util
import logging
import os
import stat
import time

import pytest

import pywaz
from _cachefake import FakeEngine, expected_results, key_for, lookup, results
from pywaz.cache import CacheError, CompilationCache, DiskStore, module_digest
from pywaz.cache.entry import encode_entry

DATA = b"\0asm store test module"
KEY = key_for(DATA)


def populate(cache_dir, data=DATA):
    """Compile ``data`` into the disk store in a cache of its own; return the entry path."""
    engine = FakeEngine()
    with CompilationCache(cache_dir) as cache:
        lookup(cache, engine, data)
        assert cache.stats()["disk_writes"] == 1
        return cache.store.path_for(key_for(data))


def encoded_entry(**monkeypatches):
    engine = FakeEngine()
    payload = engine.serialize(engine.compile(DATA))
    return encode_entry(KEY, "fake", module_digest(DATA), payload, False)


def _flip_middle(path):
    data = bytearray(open(path, "rb").read())
    data[len(data) * 2 // 3] ^= 0x01
    return bytes(data)


def _foreign(monkeypatch, target, attr, value):
    monkeypatch.setattr(target, attr, value)
    data = encoded_entry()
    monkeypatch.undo()
    return data


CORRUPTIONS = {
    "truncated": lambda path, mp: open(path, "rb").read()[:-100],
    "bit-flipped": lambda path, mp: _flip_middle(path),
    "wrong magic": lambda path, mp: b"WASM" + open(path, "rb").read()[4:],
    "garbage": lambda path, mp: os.urandom(300),
    "empty": lambda path, mp: b"",
    "other python": lambda path, mp: _foreign(mp, importlib.util, "MAGIC_NUMBER", b"\x01\x02\r\n"),
    "other pywaz": lambda path, mp: _foreign(mp, pywaz, "__version__", "0.0.0-old"),
    "wrong key echo": lambda path, mp: encode_entry(
        "f" * 64, "fake", module_digest(DATA), FakeEngine.serialize(FakeEngine().compile(DATA)), False
    ),
}


def assert_replaced_miss(cache_dir, caplog, expect_log=True, between=None):
    """A fresh cache must treat the damaged entry as a miss, recompile, answer right, and rewrite."""
    engine = FakeEngine()
    caplog.set_level(logging.DEBUG, logger="pywaz.cache")
    with CompilationCache(cache_dir) as cache:
        artifact = lookup(cache, engine, DATA)
        assert results(artifact) == expected_results(DATA)
        stats = cache.stats()
        assert engine.compilations == 1 and stats["compilations"] == 1 and stats["disk_hits"] == 0
        assert stats["disk_writes"] == 1
        if expect_log:
            assert stats["invalid_entries"] == 1
            assert any("discarding invalid entry" in r.getMessage() for r in caplog.records)
        report = cache.verify(remove_invalid=False)
        assert report.valid == report.checked == 1
    if between is not None:
        between()
    # ... and the rewritten entry is a hit for the next process-like cache.
    engine = FakeEngine()
    with CompilationCache(cache_dir) as cache:
        assert results(lookup(cache, engine, DATA)) == expected_results(DATA)
        assert engine.compilations == 0 and cache.stats()["disk_hits"] == 1


@pytest.mark.parametrize("case", sorted(CORRUPTIONS))
def test_corrupt_entry_is_a_logged_miss_that_gets_replaced(case, cache_dir, caplog, monkeypatch):
    path = populate(cache_dir)
    damaged = CORRUPTIONS[case](path, monkeypatch)
    with open(path, "wb") as f:
        f.write(damaged)
    assert_replaced_miss(cache_dir, caplog)


def test_directory_in_place_of_an_entry_is_a_miss(cache_dir, caplog):
    path = populate(cache_dir)
    os.unlink(path)
    os.mkdir(path)
    assert_replaced_miss(cache_dir, caplog)


def test_symlinked_entry_is_not_followed(cache_dir, caplog, tmp_path):
    path = populate(cache_dir)
    elsewhere = tmp_path / "planted.pwz"
    os.replace(path, elsewhere)
    os.symlink(elsewhere, path)
    assert_replaced_miss(cache_dir, caplog)
    assert not os.path.islink(path)


def test_permission_denied_is_a_miss(cache_dir, caplog, monkeypatch):
    path = populate(cache_dir)
    real_open = os.open
    denied = []

    def deny(p, flags, *args, **kwargs):  # the first read of the entry only: verify() reads the rewritten one
        if os.fspath(p) == path and not flags & (os.O_WRONLY | os.O_RDWR) and not denied:
            denied.append(p)
            raise PermissionError(13, "Permission denied", p)
        return real_open(p, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", deny)
    assert_replaced_miss(cache_dir, caplog, between=monkeypatch.undo)


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root reads mode-000 files anyway")
def test_unreadable_entry_file_is_a_miss(cache_dir, caplog):
    path = populate(cache_dir)
    os.chmod(path, 0)
    assert_replaced_miss(cache_dir, caplog)


def test_engine_rejecting_a_payload_is_a_miss(cache_dir, caplog):
    populate(cache_dir)
    engine = FakeEngine()
    caplog.set_level(logging.DEBUG, logger="pywaz.cache")

    def refuse(payload):
        raise ValueError("payload from an older engine")

    with CompilationCache(cache_dir) as cache:
        artifact = cache.get_or_compile(KEY, lambda: engine.compile(DATA), engine.serialize, refuse)
        assert results(artifact) == expected_results(DATA) and engine.compilations == 1
        assert any("could not deserialize" in r.getMessage() for r in caplog.records)


# -- writes ------------------------------------------------------------------


def test_directories_are_created_private(tmp_path):
    root = tmp_path / "a" / "b" / "cache"
    populate(str(root))
    for directory in (tmp_path / "a", tmp_path / "a" / "b", root, *root.iterdir()):
        assert stat.S_IMODE(os.stat(directory).st_mode) == 0o700, directory
    shard = os.path.dirname(CompilationCache(str(root)).store.path_for(KEY))
    assert stat.S_IMODE(os.stat(shard).st_mode) == 0o700
    assert stat.S_IMODE(os.stat(os.path.join(shard, KEY + ".pwz")).st_mode) == 0o600


def test_write_leaves_no_temp_files_and_a_failed_write_is_harmless(cache_dir, monkeypatch, caplog):
    path = populate(cache_dir)
    assert os.listdir(os.path.dirname(path)) == [os.path.basename(path)]
    os.unlink(path)

    def broken_replace(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", broken_replace)
    engine = FakeEngine()
    caplog.set_level(logging.DEBUG, logger="pywaz.cache")
    with CompilationCache(cache_dir) as cache:
        assert results(lookup(cache, engine, DATA)) == expected_results(DATA)
        assert cache.stats()["disk_writes"] == 0
    assert os.listdir(os.path.dirname(path)) == []
    assert any("could not write" in r.getMessage() for r in caplog.records)


def test_unserialisable_metadata_is_not_cached_but_still_returned(cache_dir, caplog):
    engine = FakeEngine()
    artifact = engine.compile(DATA)
    artifact.metadata["host"] = object()
    with CompilationCache(cache_dir) as cache:
        got = cache.get_or_compile(KEY, lambda: artifact, engine.serialize, engine.deserialize)
        assert got is artifact
        assert cache.stats()["disk_writes"] == 0 and cache.entries() == []


def test_serialize_failure_is_not_cached_but_still_returned(cache_dir):
    engine = FakeEngine()

    def broken(artifact):
        raise RuntimeError("engine bug")

    with CompilationCache(cache_dir) as cache:
        got = cache.get_or_compile(KEY, lambda: engine.compile(DATA), broken, engine.deserialize)
        assert results(got) == expected_results(DATA)
        assert cache.stats()["disk_writes"] == 0


# -- trust boundary --------------------------------------------------------------


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
@pytest.mark.parametrize("mode", [0o777, 0o770, 0o702, 0o1777])
def test_root_writable_by_others_is_refused(tmp_path, mode):
    root = tmp_path / "shared"
    root.mkdir()
    os.chmod(root, mode)
    with pytest.raises(CacheError, match="writable by group or others"):
        CompilationCache(str(root))


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
def test_version_directory_writable_by_others_is_refused(cache_dir):
    path = populate(cache_dir)
    os.chmod(os.path.dirname(os.path.dirname(path)), 0o777)
    with pytest.raises(CacheError, match="writable by group or others"):
        CompilationCache(cache_dir)


@pytest.mark.skipif(os.name != "posix" or os.geteuid() != 0, reason="needs root to chown")
def test_root_owned_by_another_user_is_refused(tmp_path):
    root = tmp_path / "theirs"
    root.mkdir(mode=0o700)
    os.chown(root, 12345, 12345)
    with pytest.raises(CacheError, match="owned by uid 12345"):
        CompilationCache(str(root))


def test_root_that_is_a_file_is_refused(tmp_path):
    target = tmp_path / "file"
    target.write_text("")
    with pytest.raises(CacheError):
        CompilationCache(str(target))


def test_unsafe_shard_is_ignored_not_trusted(cache_dir, caplog):
    path = populate(cache_dir)
    os.chmod(os.path.dirname(path), 0o777)
    engine = FakeEngine()
    caplog.set_level(logging.DEBUG, logger="pywaz.cache")
    with CompilationCache(cache_dir) as cache:
        assert results(lookup(cache, engine, DATA)) == expected_results(DATA)
        assert engine.compilations == 1 and cache.stats()["disk_hits"] == 0
    assert any("unsafe" in r.getMessage() for r in caplog.records)


def test_bounds_are_validated(cache_dir):
    with pytest.raises(CacheError):
        CompilationCache(cache_dir, max_bytes=-1)
    with pytest.raises(CacheError):
        CompilationCache(max_bytes=100)  # no directory to bound
    with pytest.raises(CacheError):
        CompilationCache(max_entries=-2)


def test_malformed_key_is_a_clear_error(cache_dir):
    with pytest.raises(CacheError, match="64 lowercase hex"):
        DiskStore(cache_dir).path_for("../../etc/passwd")


# -- maintenance -----------------------------------------------------------------


MODULES = [b"\0asm module %d" % i for i in range(4)]


def _fill(cache_dir):
    engine = FakeEngine()
    with CompilationCache(cache_dir) as cache:
        for data in MODULES:
            lookup(cache, engine, data)
    store = DiskStore(cache_dir)
    now = time.time()
    paths = [store.path_for(key_for(d)) for d in MODULES]
    for age, path in zip((400, 300, 200, 100), paths):
        os.utime(path, (now - age, now - age))
    return store, paths


def test_prune_removes_least_recently_used_first_and_hits_count_as_use(cache_dir):
    store, paths = _fill(cache_dir)
    # Use the oldest entry: a hit refreshes its last-use time.
    assert store.load(key_for(MODULES[0])) is not None
    sizes = {p: os.path.getsize(p) for p in paths}
    keep = sizes[paths[0]] + sizes[paths[3]]
    removed = CompilationCache(cache_dir).prune(keep)
    assert removed == 2
    assert [os.path.exists(p) for p in paths] == [True, False, False, True]


def test_max_bytes_prunes_after_each_write(cache_dir):
    store, paths = _fill(cache_dir)
    limit = sum(os.path.getsize(p) for p in paths[2:]) + 10
    engine = FakeEngine()
    with CompilationCache(cache_dir, max_bytes=limit) as cache:
        lookup(cache, engine, b"\0asm newest")
        left = {e.key for e in cache.entries()}
        assert key_for(b"\0asm newest") in left
        assert key_for(MODULES[0]) not in left and key_for(MODULES[1]) not in left
        assert sum(e.size for e in cache.entries()) <= limit
        assert cache.stats()["bytes"] <= limit


def test_prune_removes_stale_temp_files(cache_dir):
    store, paths = _fill(cache_dir)
    shard = os.path.dirname(paths[0])
    stale = os.path.join(shard, ".tmp-dead.pwz")
    fresh = os.path.join(shard, ".tmp-writing.pwz")
    for p in (stale, fresh):
        with open(p, "wb") as f:
            f.write(b"partial")
    os.utime(stale, (time.time() - 7200, time.time() - 7200))
    store.prune(1 << 30)
    assert not os.path.exists(stale) and os.path.exists(fresh)


def test_entries_report(cache_dir):
    store, paths = _fill(cache_dir)
    infos = store.entries()
    assert [i.path for i in infos] == paths  # oldest use first
    info = infos[0]
    assert info.key == key_for(MODULES[0]) and info.module_sha256 == module_digest(MODULES[0]).hex()
    assert info.engine == "fake" and info.pywaz_version == pywaz.__version__
    assert info.function_count == len(expected_results(MODULES[0]))
    assert info.size == os.path.getsize(paths[0]) and info.created > info.last_used
    assert info.python_version and info.cache_tag


def test_clear_and_verify(cache_dir):
    store, paths = _fill(cache_dir)
    with open(paths[1], "r+b") as f:
        f.seek(-3, os.SEEK_END)
        f.write(b"XYZ")
    report = store.verify()
    assert report.checked == 4 and report.valid == 3 and report.removed == 1
    assert report.invalid[0][0] == paths[1] and "digest" in report.invalid[0][1]
    assert not os.path.exists(paths[1])
    assert store.clear() == 3
    assert store.entries() == [] and store.usage() == (0, 0)


def test_stats_report_disk_usage(cache_dir):
    store, paths = _fill(cache_dir)
    stats = CompilationCache(cache_dir).stats()
    assert stats["disk_entries"] == 4 and stats["bytes"] == sum(os.path.getsize(p) for p in paths)


def test_flush_writes_back_functions_compiled_after_the_entry_was_stored(cache_dir):
    engine = FakeEngine()
    full = engine.compile(DATA).codes
    lazy = engine.compile(DATA)
    lazy.codes = [None] * len(full)  # as a lazy engine's artifact is at compile time
    cache = CompilationCache(cache_dir)
    cache.get_or_compile(KEY, lambda: lazy, engine.serialize, engine.deserialize)
    assert cache.flush() == 0  # nothing new compiled yet
    lazy.codes[1] = full[1]  # a first call compiled function 1
    assert cache.flush() == 1 and cache.flush() == 0
    stats = cache.stats()
    assert stats["disk_writes"] == 2

    def stored_codes():
        with CompilationCache(cache_dir) as fresh:
            loaded = fresh.get_or_compile(
                KEY, lambda: pytest.fail("must be a disk hit"), engine.serialize, engine.deserialize
            )
            return [code is not None for code in loaded.codes], loaded

    present, loaded = stored_codes()
    assert present == [i == 1 for i in range(len(full))]
    assert loaded.call(1, 3) == eval(full[1], {"x": 3})
    lazy.codes[0] = full[0]
    cache.close()  # close() flushes too
    present, _ = stored_codes()
    assert present[:2] == [True, True] and not any(present[2:])


@pytest.mark.parametrize("code", ["EMFILE", "ENFILE", "ENOMEM"])
def test_running_out_of_descriptors_is_a_miss_that_keeps_the_entry(code, cache_dir, monkeypatch):
    """The process's trouble, not the file's: the entry must survive for the next load."""
    import errno

    path = populate(cache_dir)
    real_open = os.open

    def exhausted(p, flags, *args, **kwargs):
        if os.fspath(p) == path:
            raise OSError(getattr(errno, code), os.strerror(getattr(errno, code)), p)
        return real_open(p, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", exhausted)
    engine = FakeEngine()
    with CompilationCache(cache_dir) as cache:
        assert cache.store.load(KEY) is None
        assert cache.stats()["invalid_entries"] == 0
    monkeypatch.undo()
    assert os.path.exists(path)
    with CompilationCache(cache_dir) as cache:
        assert results(lookup(cache, engine, DATA)) == expected_results(DATA)
        assert engine.compilations == 0 and cache.stats()["disk_hits"] == 1
