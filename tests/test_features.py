"""Proposal switches: typed errors that name the proposal and the offset, runtime settings, cache keys."""

import pytest

import pywaz
from pywaz.decoder import decode_module
from pywaz.errors import DecodeError, ValidationError
from pywaz.features import (
    IMPLEMENTED,
    PROPOSAL_NAMES,
    Features,
    ProposalDisabledError,
    ProposalDisabledInvalid,
    ProposalError,
    ProposalNotImplementedError,
)
from pywaz.validator import validate
from tests.wasmgen import (
    END,
    HEADER,
    I32,
    export,
    export_section,
    func_body,
    function_section,
    functype,
    global_entry,
    global_section,
    i32_const,
    module,
    section,
    single_func_module,
    type_section,
    u32,
    vec,
)

UNIMPLEMENTED_GC = Features(function_references=None, gc=None)
RELAXED_SWIZZLE = b"\xfd\x80\x02"  # i8x16.relaxed_swizzle (sub-opcode 0x100)
V128_ZERO = b"\xfd\x0c" + bytes(16)


def _body_offset(binary: bytes, code: bytes) -> int:
    return binary.index(code + END)


@pytest.mark.parametrize(
    ("code", "proposal"),
    [
        (b"\xd4", "function_references"),  # ref.as_non_null
        (b"\xfb\x00\x00", "gc"),  # struct.new 0
    ],
)
def test_unimplemented_proposal_opcode_names_the_proposal_and_offset(code, proposal):
    # Typed references and GC are implemented; marking them unimplemented (None) exercises the same path.
    binary = single_func_module(code + END)
    with pytest.raises(ProposalNotImplementedError) as info:
        decode_module(binary, UNIMPLEMENTED_GC)
    error = info.value
    assert error.proposal == proposal
    assert error.offset == _body_offset(binary, code)
    assert f"the {PROPOSAL_NAMES[proposal]} proposal is not implemented by pywaz" in str(error)
    assert f"byte offset {error.offset}" in str(error)
    assert not isinstance(error, DecodeError)  # a valid binary pywaz cannot run does not look corrupt


def test_switched_off_tag_section_names_exception_handling():
    binary = module(section(13, vec([b"\x00" + u32(0)])))
    with pytest.raises(ProposalDisabledError) as info:
        decode_module(binary, Features(exceptions=False))
    assert info.value.proposal == "exceptions"
    assert info.value.offset == 8
    assert "exception-handling proposal" in str(info.value) and "tag section" in str(info.value)


@pytest.mark.parametrize(
    ("code", "proposal"),
    [
        (b"\x08\x00", "exceptions"),  # throw 0
        (b"\x1f\x40\x00\x0b", "exceptions"),  # try_table end
        (b"\x06\x40\x0b", "legacy_exceptions"),  # try end
        (b"\x06\x40\x18\x00", "legacy_exceptions"),  # try delegate 0
    ],
)
def test_switched_off_exception_opcodes_are_malformed_and_named(code, proposal):
    binary = single_func_module(code + END)
    decode_module(binary)  # on by default
    with pytest.raises(ProposalDisabledError) as info:
        decode_module(binary, Features(**{proposal: False}))
    assert info.value.proposal == proposal
    assert info.value.offset == _body_offset(binary, code)


@pytest.mark.parametrize(
    ("entry", "what"),
    [(b"\x5f\x00", "struct type"), (b"\x5e\x78\x01", "array type"), (b"\x4e\x01\x50\x00\x60\x00\x00", "rec group")],
)
def test_gc_type_forms_name_gc(entry, what):
    binary = module(type_section(entry))
    decode_module(binary)  # on by default
    with pytest.raises(ProposalNotImplementedError) as info:
        decode_module(binary, UNIMPLEMENTED_GC)
    assert info.value.proposal == "gc" and what in str(info.value)
    with pytest.raises(ProposalDisabledError) as info:
        decode_module(binary, Features(gc=False))
    assert info.value.proposal == "gc"


def test_typed_reference_value_type_names_its_proposal():
    binary = module(type_section(b"\x60\x01\x64\x70\x00"))  # [(ref func)] -> []
    decode_module(binary)  # on by default
    with pytest.raises(ProposalNotImplementedError) as info:
        decode_module(binary, UNIMPLEMENTED_GC)
    assert info.value.proposal == "function_references"


def test_a_malformed_binary_using_an_unimplemented_proposal_is_still_malformed():
    for features in (None, UNIMPLEMENTED_GC):
        with pytest.raises(DecodeError, match="malformed mutability"):
            decode_module(module(type_section(b"\x5e\x7f\x02")), features)  # array type, mutability byte 2
        with pytest.raises(DecodeError, match="unexpected end"):
            decode_module(single_func_module(b"\x14\x04"), features)  # call_ref 4, the module ends before `end`


def test_truly_unknown_bytes_stay_malformed():
    with pytest.raises(DecodeError) as info:
        decode_module(single_func_module(b"\xd7" + END))
    assert not isinstance(info.value, ProposalError)
    with pytest.raises(DecodeError) as info:
        decode_module(module(section(14, b"")))
    assert "malformed section id 14" in str(info.value)


def test_switched_off_tail_calls_are_malformed_and_named():
    code = b"\x12\x00"  # return_call 0
    binary = single_func_module(code + END)
    validate(decode_module(binary))  # on by default
    with pytest.raises(ProposalDisabledError) as info:
        decode_module(binary, Features(tail_call=False))
    assert info.value.proposal == "tail_call"
    assert info.value.offset == _body_offset(binary, code)
    assert str(info.value).startswith("illegal opcode 0x12 (the tail-call proposal is not enabled")


def _relaxed_module() -> bytes:
    return single_func_module(V128_ZERO + V128_ZERO + RELAXED_SWIZZLE + b"\x1a" + END)


def test_switched_off_relaxed_simd_is_malformed_and_named():
    binary = _relaxed_module()
    decode_module(binary)  # on by default
    with pytest.raises(ProposalDisabledError) as info:
        decode_module(binary, Features(relaxed_simd=False))
    error = info.value
    assert isinstance(error, DecodeError) and isinstance(error, ProposalError)
    assert error.proposal == "relaxed_simd"
    assert error.offset == binary.index(RELAXED_SWIZZLE)
    assert str(error).startswith("illegal opcode 0xfd 0x100 (the relaxed-simd proposal is not enabled: instruction 0xfd 0x100)")


def _extended_const_module() -> bytes:
    init = i32_const(1) + i32_const(2) + b"\x6a" + END  # i32.add
    return module(global_section(global_entry(I32, False, init)))


def test_switched_off_extended_const_is_invalid_and_named():
    parsed = decode_module(_extended_const_module())
    validate(parsed)
    with pytest.raises(ProposalDisabledInvalid) as info:
        validate(parsed, features=Features(extended_const=False))
    error = info.value
    assert isinstance(error, ValidationError)
    assert error.proposal == "extended_const" and error.offset is not None
    assert "extended-const proposal is not enabled" in str(error) and "i32.add" in str(error)


def test_wasm2_switches_every_proposal_off():
    assert Features.wasm2().enabled() == ()
    assert set(Features().enabled()) == IMPLEMENTED


def test_runtime_features_setting():
    binary = _relaxed_module()
    pywaz.Runtime().compile_module(binary)
    with pytest.raises(ProposalDisabledError):
        pywaz.Runtime(features={"relaxed-simd": False}).compile_module(binary)
    with pytest.raises(ProposalDisabledError):
        pywaz.Runtime(features=Features().replace(relaxed_simd=False)).compile_module(binary)


def test_runtime_refuses_unknown_or_unimplemented_proposals():
    with pytest.raises(ValueError, match="unknown WebAssembly proposal 'simd128'"):
        pywaz.Runtime(features={"simd128": True})
    unimplemented = sorted(set(PROPOSAL_NAMES) - IMPLEMENTED)
    if unimplemented:
        with pytest.raises(ProposalNotImplementedError):
            pywaz.Runtime(features={unimplemented[0]: True})
    with pytest.raises(TypeError):
        pywaz.Runtime(features=["relaxed_simd"])
    with pytest.raises(TypeError):
        pywaz.Runtime(features=Features(relaxed_simd=1))


def test_features_are_part_of_the_cache_key(tmp_path):
    binary = single_func_module(i32_const(7) + b"\x1a" + END)
    cache = pywaz.CompilationCache(tmp_path)
    pywaz.Runtime(cache=cache).compile_module(binary).close()
    pywaz.Runtime(cache=cache, features=Features.wasm2()).compile_module(binary).close()
    entries = [p for p in tmp_path.rglob("*") if p.is_file() and p.suffix != ".lock"]
    keys = {p.name for p in entries}
    assert len(keys) >= 2, keys
