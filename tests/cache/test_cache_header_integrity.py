"""Every bit of an entry's preamble and header is covered: one flipped bit anywhere there is a miss.

Before entry format 4, flips in the ``python``, ``engine``, ``module_sha256``
and ``created`` header fields were accepted. Here every bit of every byte up
to the end of the header is flipped in turn -- in memory (``decode_entry``)
and on disk (``DiskStore.load``) -- and each must be an ``InvalidEntry`` /
a miss, never another exception. Then one bit in each named header field is
flipped under a real Runtime: it recompiles and still answers correctly.
"""

import struct

import msgpack
import pytest
from _cachefake import FakeEngine, key_for

import pywaz
from pywaz.cache import CompilationCache, DiskStore, module_digest
from pywaz.cache.entry import ENTRY_FORMAT_VERSION, PREAMBLE_SIZE, InvalidEntry, decode_entry, encode_entry
from pywaz.text import wat2wasm

DATA = b"\0asm header integrity test module"
KEY = key_for(DATA)

WAT = """
(module
  (func $sq (export "square") (param i32) (result i32) (i32.mul (local.get 0) (local.get 0)))
  (func (export "sum_sq") (param i32 i32) (result i32) (i32.add (call $sq (local.get 0)) (call $sq (local.get 1)))))
"""


def make_entry() -> bytes:
    engine = FakeEngine()
    return encode_entry(KEY, "fake", module_digest(DATA), engine.serialize(engine.compile(DATA)), False)


def header_end(data: bytes) -> int:
    return PREAMBLE_SIZE + struct.unpack_from("<I", data, 8)[0]


def flipped(data: bytes, bit: int) -> bytes:
    out = bytearray(data)
    out[bit // 8] ^= 1 << (bit % 8)
    return bytes(out)


def test_every_bit_of_the_preamble_and_header_is_checked_in_memory():
    data = make_entry()
    decode_entry(data, KEY)  # the intact entry is valid
    end = header_end(data)
    accepted = []
    for bit in range(8 * end):
        try:
            decode_entry(flipped(data, bit), KEY)
        except InvalidEntry:
            continue
        accepted.append(divmod(bit, 8))
    assert accepted == [], f"(byte, bit) flips accepted: {accepted[:10]}"


def test_every_bit_of_the_preamble_and_header_is_a_miss_on_disk(cache_dir):
    data = make_entry()
    store = DiskStore(cache_dir)
    path = store.path_for(KEY)
    assert store.store(KEY, "fake", module_digest(DATA), FakeEngine.serialize(FakeEngine().compile(DATA)))
    assert store.load(KEY) is not None
    end = header_end(data)
    for bit in range(8 * end):
        with open(path, "wb") as f:
            f.write(flipped(data, bit))
        assert store.load(KEY) is None, f"flip of bit {bit % 8} of byte {bit // 8} was loaded"
    assert store.invalid_count == 8 * end


def test_an_entry_of_the_previous_format_is_a_miss():
    data = make_entry()
    old = data[:4] + struct.pack("<H", ENTRY_FORMAT_VERSION - 1) + data[6:]
    with pytest.raises(InvalidEntry, match=f"entry format version {ENTRY_FORMAT_VERSION - 1}"):
        decode_entry(old, KEY)


def field_value_offsets(data: bytes) -> dict[str, int]:
    """For each header field, the offset of the last byte of its encoded value."""
    end = header_end(data)
    raw = data[PREAMBLE_SIZE:end]
    header = msgpack.unpackb(raw, raw=False)
    offsets = {}
    for name, value in header.items():
        at = raw.index(msgpack.packb(name)) + len(msgpack.packb(name))
        offsets[name] = PREAMBLE_SIZE + at + len(msgpack.packb(value, use_bin_type=True)) - 1
    return offsets


def test_header_field_offsets_are_found():
    data = make_entry()
    offsets = field_value_offsets(data)
    assert {"python", "engine", "module_sha256", "created", "key"} <= set(offsets)
    assert data[offsets["module_sha256"]] == module_digest(DATA)[-1]


@pytest.mark.parametrize("engine_name", ["compiler", "interpreter"])
def test_a_flip_in_any_header_field_recompiles_and_answers_right(engine_name, tmp_path):
    wasm = wat2wasm(WAT)
    directory = str(tmp_path / "cache")
    with CompilationCache(directory) as cache, pywaz.Runtime(engine=engine_name, cache=cache) as runtime:
        assert runtime.instantiate(wasm).exports["sum_sq"](3, 4) == 25
    (entry,) = CompilationCache(directory).entries()
    with open(entry.path, "rb") as f:
        good = f.read()
    offsets = field_value_offsets(good)
    assert len(offsets) >= 13
    for name, offset in sorted(offsets.items()):
        for bit in (0, 7):
            with open(entry.path, "wb") as f:
                f.write(flipped(good, 8 * offset + bit))
            with CompilationCache(directory) as cache, pywaz.Runtime(engine=engine_name, cache=cache) as runtime:
                instance = runtime.instantiate(wasm)
                assert instance.exports["sum_sq"](5, 12) == 169, name
                assert instance.exports["square"](0xFFFF) == (0xFFFF * 0xFFFF & 0xFFFFFFFF) - (1 << 32), name
                assert runtime.stats() == {"compilations": 1, "memory_hits": 0, "disk_hits": 0}, name
                assert cache.stats()["invalid_entries"] == 1, name
            with open(entry.path, "rb") as f:  # the miss rewrote a valid entry
                decode_entry(f.read(), entry.key)
