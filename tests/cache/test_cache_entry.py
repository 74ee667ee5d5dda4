"""The entry format and lazy code lists, below the store."""

import importlib.util
import marshal
import struct
import types

import pytest

import pywaz
from _cachefake import FakeEngine, expected_results, key_for, results
from pywaz.cache import ArtifactPayload, CacheError, LazyCodeList, module_digest
from pywaz.cache.entry import (
    ENTRY_FORMAT_VERSION,
    FLAG_SOURCES,
    PREAMBLE_SIZE,
    InvalidEntry,
    decode_entry,
    decode_header,
    encode_entry,
    encode_preamble,
)

DATA = b"\0asm entry test module"
KEY = key_for(DATA)


def make_entry(keep_sources=False, key=KEY):
    engine = FakeEngine()
    payload = engine.serialize(engine.compile(DATA))
    return encode_entry(key, "fake", module_digest(DATA), payload, keep_sources)


def test_round_trip_behaves_like_the_original():
    header, payload = decode_entry(make_entry(), KEY)
    assert header.key == KEY and header.engine == "fake" and header.module_sha256 == module_digest(DATA)
    assert header.function_count == len(payload.code_blobs)
    assert payload.sources is None and not header.flags & FLAG_SOURCES
    assert results(FakeEngine.deserialize(payload)) == expected_results(DATA)


def test_sources_are_kept_only_when_asked():
    header, payload = decode_entry(make_entry(keep_sources=True), KEY)
    assert header.flags & FLAG_SOURCES
    assert payload.sources is not None and len(payload.sources) == len(payload.code_blobs)
    assert "x *" in payload.sources[0]


def _flip(data: bytes, index: int) -> bytes:
    out = bytearray(data)
    out[index] ^= 0x40
    return bytes(out)


def _with_preamble(data: bytes, **fields) -> bytes:
    """``data`` with preamble fields replaced and the header digest recomputed (so only the field is wrong)."""
    magic, version, flags, length = struct.unpack_from("<4sHHI", data)
    header = data[PREAMBLE_SIZE : PREAMBLE_SIZE + length]
    values = {"magic": magic, "version": version, "flags": flags, "length": length, **fields}
    preamble = encode_preamble(
        values["flags"], header, magic=values["magic"], version=values["version"], length=values["length"]
    )
    return preamble + data[PREAMBLE_SIZE:]


@pytest.mark.parametrize(
    "mutate, reason",
    [
        (lambda d: b"", "truncated preamble"),
        (lambda d: d[:7], "truncated preamble"),
        (lambda d: d[:60], "truncated header"),
        (lambda d: _flip(d, PREAMBLE_SIZE + 3), "header digest mismatch"),
        (lambda d: _flip(d, 20), "header digest mismatch"),
        (lambda d: _with_preamble(d, flags=FLAG_SOURCES)[:12] + d[12:], "header digest mismatch"),
        (lambda d: d[:-1], "entry is"),
        (lambda d: d + b"\0", "entry is"),
        (lambda d: _flip(d, len(d) - 5), "code digest mismatch for function"),
        (lambda d: _flip(d, _metadata_start(d) + 20), "metadata digest mismatch"),
        (lambda d: _with_preamble(d, magic=b"PYWX"), "bad magic"),
        (lambda d: _with_preamble(d, version=ENTRY_FORMAT_VERSION + 1), "entry format version"),
        (lambda d: _with_preamble(d, flags=0x8000), "unknown flag bits"),
        (lambda d: _with_preamble(d, length=1 << 20), "implausible"),
        (lambda d: b"\x00" * len(d), "bad magic"),
        (lambda d: encode_preamble(0, b"\xc1" * 5) + b"\xc1" * 40, "not msgpack"),
    ],
)
def test_structural_damage_is_rejected(mutate, reason):
    with pytest.raises(InvalidEntry, match=reason):
        decode_entry(mutate(make_entry()), KEY)


def test_wrong_key_echo_is_rejected():
    with pytest.raises(InvalidEntry, match="key echo"):
        decode_entry(make_entry(key="0" * 64), KEY)


def test_other_python_is_rejected(monkeypatch):
    monkeypatch.setattr(importlib.util, "MAGIC_NUMBER", b"\x99\x0d\r\n")
    data = make_entry()
    monkeypatch.undo()
    with pytest.raises(InvalidEntry, match="another Python"):
        decode_entry(data, KEY)


def test_other_pywaz_is_rejected(monkeypatch):
    monkeypatch.setattr(pywaz, "__version__", "0.0.1")
    data = make_entry()
    monkeypatch.undo()
    with pytest.raises(InvalidEntry, match="written by pywaz 0.0.1"):
        decode_entry(data, KEY)


def test_other_interpreter_entries_still_decode_structurally(monkeypatch):
    monkeypatch.setattr(importlib.util, "MAGIC_NUMBER", b"\x99\x0d\r\n")
    data = make_entry()
    monkeypatch.undo()
    header, _ = decode_entry(data, None)  # verify() of a foreign entry
    assert header.python_magic == b"\x99\x0d\r\n"


def test_header_decodes_without_the_payload():
    data = make_entry()
    header = decode_header(data[: PREAMBLE_SIZE + struct.unpack_from("<I", data, 8)[0]])
    assert header.key == KEY and header.payload_length > 0


def test_metadata_that_msgpack_cannot_encode_raises_for_the_caller_to_log():
    payload = ArtifactPayload({"bad": object()}, (), None)
    with pytest.raises(TypeError):
        encode_entry(KEY, "fake", module_digest(DATA), payload, False)


# -- LazyCodeList ----------------------------------------------------------


def _blobs(n=3):
    return [marshal.dumps(compile(f"x + {i}", f"<f{i}>", "eval")) for i in range(n)]


def test_lazy_code_list_unmarshals_each_entry_on_first_access_only():
    codes = LazyCodeList(_blobs())
    assert len(codes) == 3 and codes.loaded_count() == 0
    first = codes[1]
    assert isinstance(first, types.CodeType) and eval(first, {"x": 10}) == 11
    assert codes.loaded_count() == 1 and codes.is_loaded(1) and not codes.is_loaded(0)
    assert codes[1] is first
    assert [eval(c, {"x": 1}) for c in codes] == [1, 2, 3]


def test_lazy_code_list_keeps_uncompiled_functions_as_none():
    codes = LazyCodeList([None, *_blobs(1)])
    assert codes[0] is None and codes.is_loaded(0)
    assert eval(codes[1], {"x": 5}) == 5


def test_lazy_code_list_rejects_non_code_blobs():
    codes = LazyCodeList([marshal.dumps(42), b"\xff\xfe garbage"])
    with pytest.raises(CacheError, match="function 0 is invalid: unmarshalled a int"):
        codes[0]
    with pytest.raises(CacheError, match="function 1 is invalid: cannot unmarshal"):
        codes[1]


def test_lazy_code_list_on_invalid_supplies_a_replacement():
    replacement = compile("x * 100", "<recompiled>", "eval")
    seen = []

    def on_invalid(index, reason):
        seen.append((index, reason))
        return replacement

    codes = LazyCodeList([marshal.dumps("not code")], on_invalid=on_invalid)
    assert codes[0] is replacement
    assert seen and seen[0][0] == 0 and "not a code object" in seen[0][1]


def test_eager_code_list_loads_everything_now():
    payload = ArtifactPayload({}, tuple(_blobs()))
    assert payload.code_list(lazy_unmarshal=False).loaded_count() == 3
    assert payload.code_list().loaded_count() == 0


def test_blob_round_trips_before_and_after_loading():
    blobs = _blobs(2)
    codes = LazyCodeList(blobs)
    assert codes.blob(0) == blobs[0]
    codes[0]
    assert eval(marshal.loads(codes.blob(0)), {"x": 7}) == 7


def _metadata_start(data: bytes) -> int:
    return PREAMBLE_SIZE + struct.unpack_from("<I", data, 8)[0]


def _rewritten(data: bytes, **changes) -> bytes:
    """``data`` with its payload fields changed and every digest and length in the header made to agree."""
    import hashlib

    import msgpack

    start = _metadata_start(data)
    header = msgpack.unpackb(data[PREAMBLE_SIZE:start])
    fields_length = struct.unpack_from("<Q", data, start)[0]
    fields = msgpack.unpackb(data[start + 8 : start + 8 + fields_length])
    code = data[start + 8 + fields_length :]
    fields.update(changes)
    packed = msgpack.packb(fields, use_bin_type=True)
    prefix = struct.pack("<Q", len(packed)) + packed
    header.update(metadata_sha256=hashlib.sha256(prefix).digest(), payload_len=len(prefix) + len(code))
    raw_header = msgpack.packb(header, use_bin_type=True)
    return encode_preamble(struct.unpack_from("<H", data, 6)[0], raw_header) + raw_header + prefix + code


def test_rewritten_entry_helper_keeps_a_valid_entry_valid():
    header, payload = decode_entry(_rewritten(make_entry()), KEY)
    assert header.key == KEY and results(FakeEngine.deserialize(payload)) == expected_results(DATA)


def test_code_lengths_that_do_not_tile_the_code_region_are_rejected():
    data = make_entry()
    start = _metadata_start(data)
    import msgpack

    fields = msgpack.unpackb(data[start + 8 : start + 8 + struct.unpack_from("<Q", data, start)[0]])
    lengths = list(struct.unpack(f"<{len(fields['code']) // 4}I", fields["code"]))
    lengths[0] += 1
    with pytest.raises(InvalidEntry, match="code region"):
        decode_entry(_rewritten(data, code=struct.pack(f"<{len(lengths)}I", *lengths)), KEY)


@pytest.mark.parametrize(
    "changes, reason",
    [
        ({"digests": b"short"}, "digests do not match"),
        ({"code": b"abc"}, "not a list of lengths"),
        ({"metadata": [1, 2]}, "metadata is not a map"),
        ({"sources": "text"}, "sources are not a list"),
    ],
)
def test_malformed_fields_are_rejected(changes, reason):
    with pytest.raises(InvalidEntry, match=reason):
        decode_entry(_rewritten(make_entry(), **changes), KEY)


def test_a_blob_with_the_wrong_digest_is_rejected():
    data = make_entry()
    start = _metadata_start(data)
    import msgpack

    fields = msgpack.unpackb(data[start + 8 : start + 8 + struct.unpack_from("<Q", data, start)[0]])
    digests = bytearray(fields["digests"])
    digests[33] ^= 1  # function 1
    with pytest.raises(InvalidEntry, match="code digest mismatch for function 1"):
        decode_entry(_rewritten(data, digests=bytes(digests)), KEY)


@pytest.mark.parametrize("compiled, reason", [(1, "header says 1"), (99, "99 compiled of"), (-1, "-1 compiled of")])
def test_a_compiled_count_that_disagrees_with_the_code_is_rejected(compiled, reason):
    import msgpack

    data = make_entry()
    start = _metadata_start(data)
    header = msgpack.unpackb(data[PREAMBLE_SIZE:start])
    assert header["compiled"] == len(FakeEngine().compile(DATA).codes)
    header["compiled"] = compiled
    raw = msgpack.packb(header, use_bin_type=True)
    with pytest.raises(InvalidEntry, match=reason):
        decode_entry(encode_preamble(0, raw) + raw + data[start:], KEY)
