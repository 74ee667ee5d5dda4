"""Validation of 64-bit memories and tables (memory64) and of multiple memories.

Each case states the typing rule of the 3.0 spec it checks: addresses, sizes and
table indexes take the address type; ``memory.copy``/``table.copy`` take the
length as i64 only when both sides are 64-bit; ``memory.init``/``table.init``
keep an i32 source and length (they index the segment); a memarg offset must fit
the memory's address width; segment offsets have the address type.
"""

import pytest
from validator_helpers import invalid, validate_wat, wat_bytes

from pywaz.decoder import decode_module
from pywaz.features import Features, ProposalDisabledError

VALID = [
    ("load-i64-address", "(module (memory i64 1) (func (result i32) (i32.load (i64.const 0))))"),
    ("store-i64-address", "(module (memory i64 1) (func (i64.store offset=0x100000000 (i64.const 0) (i64.const 1))))"),
    ("size-grow-i64", "(module (memory i64 1) (func (result i64) (memory.grow (memory.size))))"),
    ("fill-i64", "(module (memory i64 1) (func (memory.fill (i64.const 0) (i32.const 0) (i64.const 1))))"),
    ("init-i64", "(module (memory i64 1) (data \"x\")"
                 " (func (memory.init 0 (i64.const 0) (i32.const 0) (i32.const 1))))"),
    ("copy-64-64", "(module (memory i64 1) (func (memory.copy (i64.const 0) (i64.const 0) (i64.const 1))))"),
    ("copy-64-32", "(module (memory $a i64 1) (memory $b 1)"
                   " (func (memory.copy $a $b (i64.const 0) (i32.const 0) (i32.const 1))))"),
    ("copy-32-64", "(module (memory $a 1) (memory $b i64 1)"
                   " (func (memory.copy $a $b (i32.const 0) (i64.const 0) (i32.const 1))))"),
    ("second-memory-load", "(module (memory 1) (memory $b 1) (func (result i32) (i32.load $b (i32.const 0))))"),
    ("simd-lane-i64", "(module (memory i64 1)"
                      " (func (result v128) (v128.load8_lane 3 (i64.const 0) (v128.const i64x2 0 0))))"),
    ("data-i64-offset", "(module (memory i64 1) (data (i64.const 8) \"x\"))"),
    ("table64-ops", "(module (table $t i64 1 funcref) (func (result i64)"
                    " (drop (table.get $t (i64.const 0))) (table.set $t (i64.const 0) (ref.null func))"
                    " (table.fill $t (i64.const 0) (ref.null func) (i64.const 1))"
                    " (drop (table.grow $t (ref.null func) (i64.const 1))) (table.size $t)))"),
    ("table64-call-indirect", "(module (table i64 1 funcref) (func (call_indirect (i64.const 0))))"),
    ("table64-copy-mixed", "(module (table $a i64 1 funcref) (table $b 1 funcref)"
                           " (func (table.copy $a $b (i64.const 0) (i32.const 0) (i32.const 1))))"),
    ("table64-init", "(module (table i64 1 funcref) (elem func)"
                     " (func (table.init 0 (i64.const 0) (i32.const 0) (i32.const 0))))"),
    ("elem-i64-offset", "(module (table i64 1 funcref) (elem (i64.const 0) func))"),
]


@pytest.mark.parametrize("text", [case[1] for case in VALID], ids=[case[0] for case in VALID])
def test_valid(text):
    validate_wat(text)


INVALID = [
    ("load-i32-address-on-64", "(module (memory i64 1) (func (result i32) (i32.load (i32.const 0))))",
     "type mismatch"),
    ("load-i64-address-on-32", "(module (memory 1) (func (result i32) (i32.load (i64.const 0))))", "type mismatch"),
    ("size-is-i64", "(module (memory i64 1) (func (result i32) (memory.size)))", "type mismatch"),
    ("copy-64-32-i64-length", "(module (memory $a i64 1) (memory $b 1)"
                              " (func (memory.copy $a $b (i64.const 0) (i32.const 0) (i64.const 1))))",
     "type mismatch"),
    ("init-i64-length", "(module (memory i64 1) (data \"x\")"
                        " (func (memory.init 0 (i64.const 0) (i32.const 0) (i64.const 1))))", "type mismatch"),
    ("data-i32-offset-on-64", "(module (memory i64 1) (data (i32.const 8) \"x\"))", "type mismatch"),
    ("elem-i32-offset-on-64", "(module (table i64 1 funcref) (elem (i32.const 0) func))", "type mismatch"),
    ("call-indirect-i32-on-64", "(module (table i64 1 funcref) (func (call_indirect (i32.const 0))))", "type mismatch"),
    ("unknown-memory-1", "(module (memory 1) (func (result i32) (i32.load 1 (i32.const 0))))", "unknown memory 1"),
    ("memory64-too-big", "(module (memory i64 0x1_0000_0000_0001))", "memory size"),
]


@pytest.mark.parametrize("text,prefix", [case[1:] for case in INVALID], ids=[case[0] for case in INVALID])
def test_invalid(text, prefix):
    invalid(text, prefix)


def test_offset_must_fit_a_32_bit_memory():
    # i32.load offset=2**32 on a 32-bit memory: a u64 offset decodes (3.0), and is out of range there.
    from tests import wasmgen as g

    body = g.i32_const(0) + g.op("i32.load", g.u32(2) + g.u64(1 << 32)) + g.op("drop") + g.END
    data = g.module(
        g.type_section(g.functype([], [])), g.function_section(0), g.memory_section(g.memory_type(1)),
        g.code_section(g.func_body(code=body)),
    )
    invalid(data, "offset out of range")
    with pytest.raises(ProposalDisabledError):
        decode_module(data, Features.wasm2())


def test_64_bit_limits_need_memory64():
    data = wat_bytes("(module (memory i64 1))")
    with pytest.raises(ProposalDisabledError) as caught:
        decode_module(data, Features().replace(memory64=False))
    assert caught.value.proposal == "memory64"
