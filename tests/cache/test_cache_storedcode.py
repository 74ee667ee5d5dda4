"""Code blobs read from the entry file one at a time, on first call.

A small module takes the path a 100 MB entry takes: header and metadata read
at load, each blob read with pread and
digest-checked right before it is unmarshalled. Damage found then is not an
exception: that function is compiled from the module's bytes, the entry is
deleted, and the next load recompiles and rewrites it.
"""

import gc
import logging
import os
import sys

import pytest

import pywaz
from pywaz.cache import storedcode
from pywaz.text import wat2wasm

FUNCS = 6
WAT = (
    "(module\n"
    + "\n".join(
        f'  (func (export "f{i}") (param i32) (result i32) (i32.add (i32.mul (local.get 0) (i32.const {i + 3})) (i32.const {i})))'
        for i in range(FUNCS)
    )
    + "\n)"
)
DATA = bytes(wat2wasm(WAT))


def expected(i, x=10):
    return x * (i + 3) + i


@pytest.fixture
def lazy_regions(monkeypatch):
    """Every code region is read lazily from the file, as a large module's is (the default for any size now)."""
    assert storedcode.MAX_OPEN_REGIONS > 0


def write_entry(directory):
    with (
        pywaz.CompilationCache(directory) as cache,
        pywaz.Runtime(engine="compiler", compile_mode="eager", cache=cache) as runtime,
    ):
        runtime.compile_module(DATA)
        assert cache.stats()["disk_writes"] == 1
        (entry,) = cache.entries()
        return entry.path


def code_offsets(path):
    """``(offset, length)`` of each function's blob in the entry at ``path``."""
    from pywaz.cache.entry import decode_entry_lazily

    with open(path, "rb") as f:
        data = f.read()
    header, _, table, _ = decode_entry_lazily(lambda o, n: data[o : o + n], len(data), None)
    return [(table.offsets[i], table.lengths[i]) for i in range(len(table.lengths))]


def assert_complete_entry(directory):
    """The store holds one valid entry with code for every function."""
    from pywaz.cache import DiskStore
    from pywaz.cache.payload import presence

    store = DiskStore(directory)
    (entry,) = store.entries()
    assert store.verify(remove_invalid=False).valid == 1
    assert presence(store.load(entry.key).payload.code_blobs) == [True] * FUNCS


def open_descriptors():
    return len(os.listdir("/proc/self/fd"))


linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="counts /proc/self/fd")


def test_a_disk_hit_reads_no_code_until_a_function_runs(tmp_path, lazy_regions, monkeypatch):
    directory = str(tmp_path / "cache")
    write_entry(directory)
    reads = []
    real_read = storedcode.StoredCode._read

    def counting(self, index):
        reads.append(index)
        return real_read(self, index)

    monkeypatch.setattr(storedcode.StoredCode, "_read", counting)
    with (
        pywaz.CompilationCache(directory) as cache,
        pywaz.Runtime(engine="compiler", compile_mode="eager", cache=cache) as runtime,
    ):
        instance = runtime.instantiate(DATA)
        assert runtime.stats() == {"compilations": 0, "memory_hits": 0, "disk_hits": 1}
        assert reads == []
        assert instance.exports["f4"](10) == expected(4)
        assert reads == [4]
        for i in range(FUNCS):
            assert instance.exports[f"f{i}"](10) == expected(i)
        assert sorted(reads) == list(range(FUNCS))


def _count_entry_reads(monkeypatch, path):
    """Bytes read from the entry file at ``path``, by offset: every pread/read on a descriptor opened on it."""
    from pywaz.cache import files

    reads = []
    descriptors = set()
    real_open, real_pread, real_read = files.os.open, os.pread, os.read

    def opening(p, flags, *args, **kwargs):
        fd = real_open(p, flags, *args, **kwargs)
        if os.fspath(p) == path:
            descriptors.add(fd)
        return fd

    def pread(fd, length, offset):
        data = real_pread(fd, length, offset)
        if fd in descriptors:
            reads.append((offset, len(data)))
        return data

    def read(fd, length):
        data = real_read(fd, length)
        if fd in descriptors:
            reads.append((None, len(data)))
        return data

    monkeypatch.setattr(files.os, "open", opening)
    monkeypatch.setattr(os, "pread", pread)
    monkeypatch.setattr(os, "read", read)
    return reads


def _header_and_metadata_size(path):
    from pywaz.cache.entry import decode_entry_lazily

    with open(path, "rb") as f:
        data = f.read()
    header, _, _, _ = decode_entry_lazily(lambda o, n: data[o : o + n], len(data), None)
    return header.code_offset, header.code_length


@pytest.mark.parametrize("descriptors", ["kept open", "none left"])
def test_a_disk_hit_reads_exactly_the_header_and_metadata(tmp_path, monkeypatch, descriptors):
    """Issue 17: loading reads the preamble, the header and the metadata fields: not one byte of code.

    With a descriptor budget left, each function's blob is then read alone when
    it first runs; past the budget, the whole code region once, through a
    fresh descriptor, when the first function runs.
    """
    directory = str(tmp_path / "cache")
    path = write_entry(directory)
    code_offset, code_length = _header_and_metadata_size(path)
    blobs = code_offsets(path)
    if descriptors == "none left":
        monkeypatch.setattr(storedcode, "MAX_OPEN_REGIONS", 0)
    reads = _count_entry_reads(monkeypatch, path)
    with (
        pywaz.CompilationCache(directory) as cache,
        pywaz.Runtime(engine="compiler", compile_mode="eager", cache=cache) as runtime,
    ):
        instance = runtime.instantiate(DATA)
        assert runtime.stats() == {"compilations": 0, "memory_hits": 0, "disk_hits": 1}
        assert sum(n for _, n in reads) == code_offset  # preamble + header + metadata fields
        assert all(offset is None or offset + n <= code_offset for offset, n in reads)
        reads.clear()
        assert instance.exports["f2"](10) == expected(2)
        if descriptors == "kept open":
            assert reads == [blobs[2]]
        else:
            assert reads == [(code_offset, code_length)]
        reads.clear()
        for i in range(FUNCS):
            assert instance.exports[f"f{i}"](10) == expected(i)
        assert sum(n for _, n in reads) == (sum(n for _, n in blobs) - blobs[2][1] if descriptors == "kept open" else 0)


def test_the_code_region_may_be_unreadable_until_a_function_runs(tmp_path, monkeypatch):
    """The code region zeroed in place after load: the hit stands, and only calling a function notices."""
    directory = str(tmp_path / "cache")
    path = write_entry(directory)
    code_offset, code_length = _header_and_metadata_size(path)
    monkeypatch.setattr(storedcode, "MAX_OPEN_REGIONS", 0)  # no descriptor: the region is read on first call
    with (
        pywaz.CompilationCache(directory) as cache,
        pywaz.Runtime(engine="compiler", compile_mode="eager", cache=cache) as runtime,
    ):
        instance = runtime.instantiate(DATA)
        assert runtime.stats()["disk_hits"] == 1
        with open(path, "r+b") as f:  # damage every blob, in place (same file, same size)
            f.seek(code_offset)
            f.write(bytes(code_length))
        # Every function is compiled from the module's bytes instead, and answers right.
        assert [instance.exports[f"f{i}"](10) for i in range(FUNCS)] == [expected(i) for i in range(FUNCS)]
        assert not os.path.exists(path)  # the damaged entry was deleted
    assert_complete_entry(directory)  # and a good one written back on close


@pytest.mark.parametrize("victim", [0, FUNCS - 1])
def test_a_damaged_blob_is_compiled_instead_and_the_entry_replaced(tmp_path, lazy_regions, caplog, victim):
    directory = str(tmp_path / "cache")
    path = write_entry(directory)
    offset, length = code_offsets(path)[victim]
    with open(path, "r+b") as f:
        f.seek(offset + length // 2)
        byte = f.read(1)
        f.seek(offset + length // 2)
        f.write(bytes([byte[0] ^ 0x20]))
    caplog.set_level(logging.DEBUG, logger="pywaz.cache")
    with (
        pywaz.CompilationCache(directory) as cache,
        pywaz.Runtime(engine="compiler", compile_mode="eager", cache=cache) as runtime,
    ):
        instance = runtime.instantiate(DATA)
        assert runtime.stats()["disk_hits"] == 1
        for i in range(FUNCS):
            assert instance.exports[f"f{i}"](10) == expected(i)
        assert any("digest mismatch" in r.getMessage() for r in caplog.records)
        assert not os.path.exists(path)
    # Closing wrote a good entry back (the victim's code compiled anew), so the next process hits.
    assert_complete_entry(directory)
    with (
        pywaz.CompilationCache(directory) as cache,
        pywaz.Runtime(engine="compiler", compile_mode="eager", cache=cache) as runtime,
    ):
        instance = runtime.instantiate(DATA)
        assert [instance.exports[f"f{i}"](10) for i in range(FUNCS)] == [expected(i) for i in range(FUNCS)]
        assert runtime.stats()["disk_hits"] == 1 and cache.verify().valid == 1


def test_an_entry_truncated_in_place_after_loading_still_runs(tmp_path, lazy_regions):
    directory = str(tmp_path / "cache")
    path = write_entry(directory)
    first_code = code_offsets(path)[0][0]
    with (
        pywaz.CompilationCache(directory) as cache,
        pywaz.Runtime(engine="compiler", compile_mode="eager", cache=cache) as runtime,
    ):
        instance = runtime.instantiate(DATA)
        assert runtime.stats()["disk_hits"] == 1
        os.truncate(path, first_code + 3)  # another program damages the open file
        for i in range(FUNCS):
            assert instance.exports[f"f{i}"](10) == expected(i)


def test_an_entry_replaced_after_loading_keeps_serving_the_loaded_one(tmp_path, lazy_regions):
    """os.replace (what every writer does) leaves the open file intact: no recompilation."""
    directory = str(tmp_path / "cache")
    path = write_entry(directory)
    with (
        pywaz.CompilationCache(directory) as cache,
        pywaz.Runtime(engine="compiler", compile_mode="eager", cache=cache) as runtime,
    ):
        instance = runtime.instantiate(DATA)
        replacement = path + ".new"
        with open(replacement, "wb") as f:
            f.write(os.urandom(os.path.getsize(path)))
        os.replace(replacement, path)
        for i in range(FUNCS):
            assert instance.exports[f"f{i}"](10) == expected(i)
        assert runtime.stats()["compilations"] == 0


@linux_only
def test_the_entry_file_is_closed_when_its_artifact_is_released(tmp_path, lazy_regions):
    directory = str(tmp_path / "cache")
    write_entry(directory)
    gc.collect()
    baseline = open_descriptors()
    cache = pywaz.CompilationCache(directory)
    with pywaz.Runtime(engine="compiler", compile_mode="eager", cache=cache) as runtime:
        with runtime.instantiate(DATA) as instance:
            assert instance.exports["f2"](10) == expected(2)
            assert open_descriptors() == baseline + 1
    cache.close()
    del cache, runtime, instance
    gc.collect()
    assert open_descriptors() == baseline


@linux_only
def test_past_the_open_file_limit_regions_are_read_whole(tmp_path, lazy_regions, monkeypatch):
    monkeypatch.setattr(storedcode, "MAX_OPEN_REGIONS", 0)
    directory = str(tmp_path / "cache")
    write_entry(directory)
    gc.collect()
    baseline = open_descriptors()
    with (
        pywaz.CompilationCache(directory) as cache,
        pywaz.Runtime(engine="compiler", compile_mode="eager", cache=cache) as runtime,
    ):
        instance = runtime.instantiate(DATA)
        assert open_descriptors() == baseline
        assert runtime.stats()["disk_hits"] == 1
        assert [instance.exports[f"f{i}"](10) for i in range(FUNCS)] == [expected(i) for i in range(FUNCS)]


def test_a_read_error_on_a_blob_is_compiled_instead_and_the_entry_deleted(tmp_path, lazy_regions, monkeypatch):
    import errno

    directory = str(tmp_path / "cache")
    path = write_entry(directory)
    real = storedcode.read_at

    def failing(fd, offset, length):
        if length and offset >= code_offsets(path)[2][0]:
            raise OSError(errno.EIO, "Input/output error")
        return real(fd, offset, length)

    with (
        pywaz.CompilationCache(directory) as cache,
        pywaz.Runtime(engine="compiler", compile_mode="eager", cache=cache) as runtime,
    ):
        instance = runtime.instantiate(DATA)
        monkeypatch.setattr(storedcode, "read_at", failing)
        assert [instance.exports[f"f{i}"](10) for i in range(FUNCS)] == [expected(i) for i in range(FUNCS)]
        assert runtime.stats()["disk_hits"] == 1 and cache.stats()["invalid_entries"] == 1
        assert not os.path.exists(path)
    monkeypatch.undo()
    assert_complete_entry(directory)  # written back on close


@pytest.mark.parametrize("code", ["EBADF", "ENOMEM", "EINTR"])
def test_a_read_error_of_this_process_compiles_instead_and_keeps_the_entry(code, tmp_path, lazy_regions, monkeypatch):
    """A descriptor closed under us (weakref's exit hook) or no memory says nothing about the file."""
    import errno

    directory = str(tmp_path / "cache")
    path = write_entry(directory)
    real = storedcode.read_at

    def failing(fd, offset, length):
        if length and offset >= code_offsets(path)[2][0]:
            raise OSError(getattr(errno, code), os.strerror(getattr(errno, code)))
        return real(fd, offset, length)

    with (
        pywaz.CompilationCache(directory) as cache,
        pywaz.Runtime(engine="compiler", compile_mode="eager", cache=cache) as runtime,
    ):
        instance = runtime.instantiate(DATA)
        monkeypatch.setattr(storedcode, "read_at", failing)
        assert [instance.exports[f"f{i}"](10) for i in range(FUNCS)] == [expected(i) for i in range(FUNCS)]
        assert runtime.stats()["disk_hits"] == 1 and cache.stats()["invalid_entries"] == 0
    monkeypatch.undo()
    assert os.path.exists(path)
    with (
        pywaz.CompilationCache(directory) as cache,
        pywaz.Runtime(engine="compiler", compile_mode="eager", cache=cache) as runtime,
    ):
        assert runtime.instantiate(DATA).exports["f4"](10) == expected(4)
        assert runtime.stats()["disk_hits"] == 1 and cache.stats()["invalid_entries"] == 0
