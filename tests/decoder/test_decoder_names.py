"""The ``name`` custom section (appendix §7.4) and its leniency: a bad one is ignored."""

import pytest

from pywaz.decoder import decode_module
from pywaz.decoder.names import parse_name_section
from pywaz.errors import DecodeError
from tests.wasmgen import (
    HEADER,
    KIND_FUNC,
    code_section,
    custom_section,
    export,
    export_section,
    func_body,
    function_section,
    functype,
    module,
    name,
    name_section,
    type_section,
    u32,
    vec,
)


def subsection(sub_id: int, content: bytes) -> bytes:
    return bytes([sub_id]) + u32(len(content)) + content


def name_map(entries: dict) -> bytes:
    return vec(u32(index) + name(text) for index, text in sorted(entries.items()))


def two_funcs(*extra) -> bytes:
    return module(
        type_section(functype()),
        function_section(0, 0),
        export_section(export("exported", KIND_FUNC, 1)),
        code_section(func_body(), func_body()),
        *extra,
    )


GOOD_NAMES = (
    subsection(0, name("mod"))
    + subsection(1, name_map({0: "first", 1: "second"}))
    + subsection(2, vec([u32(0) + name_map({0: "x", 3: "y"})]))
)


def test_wasmgen_name_section_builder():
    data = two_funcs(name_section("m", {1: "g"}, {1: {0: "p"}}))
    names = decode_module(data).names
    assert (names.module_name, names.function_names, names.local_names) == ("m", {1: "g"}, {1: {0: "p"}})


def test_name_section_parsed():
    m = decode_module(two_funcs(custom_section("name", GOOD_NAMES)))
    assert m.names.module_name == "mod"
    assert m.names.function_names == {0: "first", 1: "second"}
    assert m.names.local_names == {0: {0: "x", 3: "y"}}
    assert m.function_name(1) == "second"
    assert [c.name for c in m.customs] == ["name"]


def test_unknown_subsections_are_skipped():
    payload = subsection(1, name_map({0: "f"})) + subsection(7, b"\x01\x02\x03")
    assert parse_name_section(payload).function_names == {0: "f"}


def test_function_name_falls_back_to_export_then_index():
    m = decode_module(two_funcs())
    assert m.function_name(1) == "exported"
    assert m.function_name(0) == "func[0]"


def test_malformed_name_sections_are_ignored():
    bad_payloads = [
        b"\x01",  # subsection id without size
        subsection(1, b"\x05\x00"),  # vector of 5 names, one partial entry
        subsection(1, name_map({0: "f"}) + b"junk"),  # subsection size mismatch
        subsection(0, name(b"\xff")),  # bad UTF-8
        subsection(1, name_map({0: "a"})) + subsection(0, name("m")),  # out of order
        subsection(1, name_map({0: "a"})) + subsection(1, name_map({0: "b"})),  # duplicate
        b"\x01\x40" + name_map({0: "a"}),  # size beyond the section
    ]
    for payload in bad_payloads:
        assert parse_name_section(payload) is None, payload
        m = decode_module(two_funcs(custom_section("name", payload)))
        assert m.names.function_names == {} and m.names.module_name is None
        assert m.customs[0].data == payload  # still kept as a custom section


def test_name_section_must_still_be_a_well_formed_custom_section():
    # the custom section framing itself (its name) is part of the binary format
    with pytest.raises(DecodeError, match="^unexpected end"):
        decode_module(HEADER + b"\x00\x03\x04name")
