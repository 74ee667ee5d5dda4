"""pywaz.cache.moduleinfo: a module's instantiation information as plain data, rebuilt into the same IR."""

import random

import msgpack
import pytest

from pywaz._records import fields
from pywaz.cache.moduleinfo import ModuleBodies, decode_module_info, encode_module_info, module_bodies_of
from pywaz.decoder import decode_module
from pywaz.errors import PywazError
from pywaz.text import wat2wasm
from pywaz.validator import validate

WAT = """
(module $m
  (import "env" "f" (func $imp (param i64 f32) (result f64)))
  (import "env" "t" (table 2 10 externref))
  (import "env" "mem" (memory 1 3))
  (import "env" "g" (global $ig (mut f64)))
  (import "env" "c" (global $ic i32))
  (type $t (func (param i32) (result i32)))
  (table $tab 3 funcref)
  (global $a i64 (i64.const 0xFFFFFFFFFFFFFFFF))
  (global $b f32 (f32.const nan:0x200001))
  (global $c v128 (v128.const i32x4 -1 2 3 0x80000000))
  (global $d funcref (ref.func $two))
  (global $e externref (ref.null extern))
  (global $f i32 (global.get $ic))
  (func $one (export "one") (type $t) (local $x i64) (local.get 0))
  (func $two (param i32) (result i32) (call $one (local.get 0)))
  (elem (table $tab) (i32.const 0) func $one $two)
  (elem $pe funcref (ref.func $one) (ref.null func))
  (elem declare func $two)
  (data (i32.const 8) "\\00\\01\\02")
  (data $pd "passive")
  (export "tab" (table $tab))
  (export "g" (global $a))
  (start $start)
  (func $start))
"""


@pytest.fixture(scope="module")
def validated():
    return validate(decode_module(wat2wasm(WAT)))


def rebuilt(validated, bodies=None):
    info = msgpack.unpackb(msgpack.packb(encode_module_info(validated)), raw=False, strict_map_key=True)
    return decode_module_info(info, bodies)


def test_every_field_but_bodies_round_trips_through_msgpack(validated):
    again = rebuilt(validated)
    lazy = {"codes", "customs"}
    for name in fields(validated.module):
        if name not in lazy:
            assert getattr(again.module, name) == getattr(validated.module, name), name
    for name in fields(validated):
        if name not in {"module", "functions"}:
            assert getattr(again, name) == getattr(validated, name), name
    assert len(again.functions) == len(validated.functions) == len(again.module.codes) == 3
    assert len(again.module.customs) == len(validated.module.customs)
    assert again.num_imported_funcs == 1
    # Function types stay interned, so call_indirect's identity check holds across the two.
    assert all(a is b for a, b in zip(again.func_types, validated.func_types))


def test_bodies_come_from_the_bytes_on_first_use(validated):
    data = wat2wasm(WAT)
    again = rebuilt(validated, ModuleBodies(None, len(data)))
    with pytest.raises(PywazError, match="without its wasm bytes"):
        again.functions[0]
    bodies = module_bodies_of(again)
    with pytest.raises(PywazError, match="do not match"):
        bodies.provide(data[:-1])
    bodies.provide(data)
    assert again.functions[1].body.ops == validated.functions[1].body.ops
    assert list(again.module.codes)[0].locals == validated.module.codes[0].locals
    assert module_bodies_of(validated) is None


def test_foreign_or_malformed_information_is_refused(validated):
    with pytest.raises(PywazError):
        decode_module_info({"format": 999})
    info = encode_module_info(validated)
    info["imports"][0][2] = 9  # unknown kind
    with pytest.raises(PywazError, match="unknown kind"):
        decode_module_info(info)


def test_cached_data_segments_stay_columns_until_read(validated):
    again = rebuilt(validated).module.datas
    assert again._items is None  # no DataSegment built by loading
    assert len(again) == 2
    blob, starts, ends, active, memory, consts = again.data_columns[:6]
    assert [blob[s:e] for s, e in zip(starts, ends)] == [b"\x00\x01\x02", b"passive"]
    assert list(active) == [1, 0] and list(consts) == [8, 0] and list(memory) == [0, 0]
    assert again._items is None
    assert again[1] == validated.module.datas[1]
    assert list(again) == list(validated.module.datas)
    assert again[-1:] == validated.module.datas[-1:]
    assert hash(again) == hash(validated.module.datas)


def test_data_segments_with_a_computed_offset_round_trip():
    text = '(module (import "e" "g" (global i32)) (memory 1) (data (global.get 0) "x") (data (i32.const 3) "yz"))'
    original = validate(decode_module(wat2wasm(text)))
    again = rebuilt(original)
    assert again.module.datas == original.module.datas
    assert again.module.datas[0].offset_expr.ops == original.module.datas[0].offset_expr.ops


def encoded_datas(text: str) -> dict:
    return encode_module_info(validate(decode_module(wat2wasm(text))))


IMAGE_WAT = """(module (memory 1)
  (data (i32.const 9) "late") (data $p "pas") (data (i32.const 2) "early") (data (i32.const 30) ""))"""


def lanes(raw: bytes) -> list:
    return [int.from_bytes(raw[i : i + 4], "little") for i in range(0, len(raw), 4)]


def test_disjoint_segments_of_a_defined_memory_are_stored_as_its_image():
    datas = encoded_datas(IMAGE_WAT)["datas"]
    assert datas["image"] == [2, 28]  # from the lowest offset to the highest end, the empty segment included
    blob, starts, ends = datas["blob"], lanes(datas["starts"]), lanes(datas["ends"])
    assert blob[:28] == b"early\0\0late" + bytes(17)
    assert [blob[s:e] for s, e in zip(starts, ends)] == [b"late", b"pas", b"early", b""]
    assert starts == [7, 28, 0, 28]  # actives at const - image_start, the passive one after the image
    assert len(blob) == 31


@pytest.mark.parametrize(
    "text",
    [
        '(module (memory 1) (data (i32.const 4) "abcdef") (data (i32.const 6) "XY"))',  # overlapping
        '(module (import "e" "m" (memory 1)) (data (i32.const 4) "ab") (data (i32.const 0) "cd"))',  # imported
        '(module (memory 20) (data (i32.const 0) "a") (data (i32.const 1000000) "b"))',  # sparse
    ],
    ids=["overlapping", "imported", "sparse"],
)
def test_other_data_segments_are_stored_back_to_back(text):
    datas = encoded_datas(text)["datas"]
    assert datas["image"] is None
    starts, ends = lanes(datas["starts"]), lanes(datas["ends"])
    assert starts[0] == 0 and starts[1:] == ends[:-1] and ends[-1] == len(datas["blob"])
    original = validate(decode_module(wat2wasm(text))).module.datas
    assert [datas["blob"][s:e] for s, e in zip(starts, ends)] == [bytes(d.data) for d in original]


def test_image_and_back_to_back_layouts_round_trip(validated):
    for text in (IMAGE_WAT, WAT):
        original = validate(decode_module(wat2wasm(text)))
        again = rebuilt(original).module.datas
        assert (again.data_image is not None) == (text is IMAGE_WAT)
        assert list(again) == list(original.module.datas)
    start, image = rebuilt(validate(decode_module(wat2wasm(IMAGE_WAT)))).module.datas.data_image
    assert start == 2 and bytes(image) == b"early\0\0late" + bytes(17)


def test_bounds_check_on_whole_columns_agrees_with_pairwise_comparison():
    from pywaz.cache.moduleinfo import _bounds_hold, _u32s

    rng = random.Random(3)
    edges = [0, 1, 0xFFFF, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFE, 0xFFFFFFFF]
    for _ in range(400):
        count = rng.randrange(0, 12)
        starts = [rng.choice(edges) if rng.random() < 0.5 else rng.randrange(1 << 32) for _ in range(count)]
        ends = [value if rng.random() < 0.3 else rng.choice(edges) for value in starts]
        limit = rng.choice(edges + ends)
        expected = all(s <= e <= limit for s, e in zip(starts, ends))
        assert _bounds_hold(_u32s(starts), _u32s(ends), limit) == expected, (starts, ends, limit)


def _corrupt_lane(name, index, value):
    def corrupt(datas):
        raw = bytearray(datas[name])
        raw[4 * index : 4 * index + 4] = value.to_bytes(4, "little")
        datas[name] = bytes(raw)

    return corrupt


def _set(name, value):
    def corrupt(datas):
        datas[name] = value

    return corrupt


def _drop(name):
    def corrupt(datas):
        del datas[name]

    return corrupt


MALFORMED = {
    "start after end": _corrupt_lane("starts", 0, 12),
    "end past the blob": _corrupt_lane("ends", 1, 1000),
    "end past the image": _corrupt_lane("ends", 0, 29),
    "start not at its offset": _corrupt_lane("starts", 2, 1),
    "const not at its start": _corrupt_lane("const", 0, 10),
    "other memory": _corrupt_lane("memory", 2, 1),
    "short column": lambda datas: datas.update(offset=datas["offset"][:-4]),
    "short active": lambda datas: datas.update(active=datas["active"][:-1]),
    "image longer than the blob": _set("image", [2, 1000]),
    "image past 4 GiB": _set("image", [0xFFFFFFF0, 28]),
    "negative image start": _set("image", [-1, 28]),
    "image of bools": _set("image", [True, 28]),
    "image of three": _set("image", [2, 28, 0]),
    "image not a list": _set("image", b"\2\0"),
    "blob not bytes": _set("blob", "text"),
    "starts missing": _drop("starts"),
    "image missing": _drop("image"),
    "not a dict": lambda datas: datas.clear() or datas.update(blob=None),
}


@pytest.mark.parametrize("corrupt", MALFORMED.values(), ids=MALFORMED.keys())
def test_malformed_data_columns_are_refused(corrupt):
    info = encoded_datas(IMAGE_WAT)
    decode_module_info(encoded_datas(IMAGE_WAT))  # intact, it decodes
    corrupt(info["datas"])
    with pytest.raises(PywazError, match="cached data"):
        decode_module_info(info)


def test_an_image_for_an_imported_memory_is_refused():
    info = encoded_datas('(module (import "e" "m" (memory 1)) (data (i32.const 4) "ab"))')
    info["datas"]["image"] = [4, 2]
    with pytest.raises(PywazError, match="imported memory"):
        decode_module_info(info)
    info["datas"]["image"] = None
    assert decode_module_info(info).module.datas[0].data == b"ab"


def test_back_to_back_columns_with_crossed_bounds_are_refused(validated):
    info = encode_module_info(validated)
    starts = bytearray(info["datas"]["starts"])
    starts[4:8] = (11).to_bytes(4, "little")  # second segment starts past its end (10)
    info["datas"]["starts"] = bytes(starts)
    with pytest.raises(PywazError, match="do not match"):
        decode_module_info(info)


def _spec_modules():
    """Every valid binary module of the spec suite (skipped when the suite is absent)."""
    from pywaz.errors import DecodeError, ValidationError
    from pywaz.features import ProposalNotImplementedError
    from pywaz.spectest.locate import find_testsuite

    testsuite = find_testsuite()
    if testsuite is None:
        pytest.skip("the spec testsuite is absent (see README: ../shared/wasm-testsuite)")
    for path in sorted(testsuite.glob("*/*.wasm")):
        data = path.read_bytes()
        try:
            yield path.name, data, validate(decode_module(data))
        except (DecodeError, ValidationError, ProposalNotImplementedError):
            continue


def test_each_function_decoded_alone_equals_full_validation_over_the_spec_suite():
    """Differential: every function of every valid spec module, through the per-function path."""
    from pywaz.cache.moduleinfo import module_bodies_of

    modules = functions = 0
    for name, data, validated in _spec_modules():
        again = rebuilt(validated)
        bodies = module_bodies_of(again)
        bodies.provide(data)
        for i, expected in enumerate(validated.functions):
            got = again.functions[i]
            assert (got.func_index, got.type, got.local_types, got.max_height) == (
                expected.func_index,
                expected.type,
                expected.local_types,
                expected.max_height,
            ), (name, i)
            assert got.blocks == expected.blocks, (name, i)
            body, want = got.body, expected.body
            assert (body.locals, body.ops, body.imms, list(body.offsets), body.offset, body.end) == (
                want.locals,
                want.ops,
                want.imms,
                list(want.offsets),
                want.offset,
                want.end,
            ), (name, i)
            functions += 1
        assert bodies._validated is None, name  # no function needed the whole module
        modules += 1
    assert modules > 1000 and functions > 5000, (modules, functions)


def test_each_esbuild_function_decoded_alone_equals_full_validation():
    """The same differential on a real 14 MB Go module (bench/.data, fetched by scripts/fetch_modules.py)."""
    import os

    from pywaz.cache.moduleinfo import module_bodies_of

    path = os.path.join(os.path.dirname(__file__), "..", "..", "bench", ".data", "esbuild-0.28.2.wasm")
    if not os.path.isfile(path):
        pytest.skip("bench/.data/esbuild-0.28.2.wasm is not present (python3 scripts/fetch_modules.py)")
    with open(path, "rb") as f:
        data = f.read()
    validated = validate(decode_module(data))
    again = rebuilt(validated)
    bodies = module_bodies_of(again)
    bodies.provide(data)
    for i, expected in enumerate(validated.functions):
        got = again.functions[i]
        assert (got.blocks, got.max_height, got.local_types) == (
            expected.blocks,
            expected.max_height,
            expected.local_types,
        ), i
        assert (got.body.ops, got.body.imms, got.body.offsets) == (
            expected.body.ops,
            expected.body.imms,
            expected.body.offsets,
        ), i
    assert bodies._validated is None


def _info_of(validated) -> dict:
    return msgpack.unpackb(msgpack.packb(encode_module_info(validated)), raw=False, strict_map_key=True)


@pytest.mark.parametrize(
    "spans",
    [
        "not a list",
        [b"\0\0\0\0"],
        [b"\0\0\0\0" * 3, "ends"],
        [b"\0\0\0\0", b"\0\0\0\0"],  # one span for three functions
        [(40).to_bytes(4, "little") * 3, (30).to_bytes(4, "little") * 3],  # start after end
        [(0).to_bytes(4, "little") * 3, (1 << 20).to_bytes(4, "little") * 3],  # past the module's end
    ],
)
def test_malformed_body_spans_are_a_clear_error(validated, spans):
    info = _info_of(validated)
    info["body_spans"] = spans
    with pytest.raises(PywazError, match="body spans"):
        decode_module_info(info)


def test_bytes_that_disagree_with_a_body_span_are_a_clear_error(validated):
    """Same size, no digest recorded, a body damaged: the one-function decode says so (never a bare error)."""
    from pywaz.cache.moduleinfo import module_bodies_of

    data = bytearray(wat2wasm(WAT))
    body = validated.functions[1].body  # $two: local.get 0, call $one
    data[body.offset + 1 : body.end] = b"\xff" * (body.end - body.offset - 1)
    again = decode_module_info(_info_of(validated))
    module_bodies_of(again).provide(bytes(data))
    assert again.functions[0].func_index == validated.functions[0].func_index  # an intact body still decodes
    with pytest.raises(PywazError, match="does not match function 1"):
        again.functions[1]
