"""What validate() hands to later stages: index spaces, C.refs, and per-function
FunctionInfo (local types, block table, max stack height), plus error locations."""


import pytest
from validator_helpers import decode_module, validate, validate_bytes, validate_wat

from pywaz._records import FrozenInstanceError
from pywaz.errors import ValidationError
from pywaz.ir import EXTERNREF, F32, F64, FUNCREF, I32, I64, BlockInfo, func_type
from pywaz.opcodes import OPS_BY_NAME
from tests import wasmgen as g


def pcs_of(info, name):
    """Instruction indexes of every ``name`` in the function body."""
    code = OPS_BY_NAME[name]
    return [pc for pc, op in enumerate(info.body.ops) if op == code]


def test_index_spaces_put_imports_first():
    validated = validate_wat(
        """(module
          (type $t (func (param i32) (result i64)))
          (import "m" "f" (func (type $t)))
          (import "m" "t" (table 1 externref))
          (import "m" "g" (global (mut f32)))
          (func (result f64) (f64.const 0))
          (table 2 funcref)
          (memory 1 3)
          (global i64 (i64.const 0)))"""
    )
    assert validated.func_types == (func_type((I32,), (I64,)), func_type((), (F64,)))
    assert [t.elem_type for t in validated.table_types] == [EXTERNREF, FUNCREF]
    assert [(m.limits.min, m.limits.max) for m in validated.memory_types] == [(1, 3)]
    assert [(t.valtype, t.mutable) for t in validated.global_types] == [(F32, True), (I64, False)]
    assert validated.num_imported_funcs == 1
    assert [f.func_index for f in validated.functions] == [1]
    assert validated.functions[0].type == func_type((), (F64,))


def test_declared_func_refs_collects_every_place_but_bodies():
    validated = validate_wat(
        """(module
          (func $a) (func $b) (func $c) (func $d) (func $e)
          (global funcref (ref.func $a))
          (elem declare func $b)
          (export "c" (func $c))
          (func (drop (ref.func $a)) (drop (ref.func $b)) (drop (ref.func $c))))"""
    )
    assert validated.declared_func_refs == frozenset({0, 1, 2})


def test_block_table_records_else_end_height_and_type():
    validated = validate_wat(
        """(module (func (param i32) (result i32)
          (i64.const 1)                              ;; pc 0, stack [i64]
          (drop)                                     ;; pc 1
          (local.get 0)                              ;; pc 2
          (local.get 0)                              ;; pc 3  stack [i32 i32]
          (if (param i32) (result i32)               ;; pc 4  pops cond, height 0 below param
            (then (i32.const 2) (i32.add))           ;; pc 5, 6
            (else (block (result i32) (i32.const 3)) ;; else pc 7, block pc 8, const 9, end 10
                  (i32.add)))                        ;; pc 11, end pc 12
          (loop (param i32) (result i32))            ;; loop pc 13, end pc 14
          ))"""
    )
    info = validated.functions[0]
    assert pcs_of(info, "if") == [4]
    if_info = info.blocks[4]
    assert (if_info.else_pc, if_info.end_pc, if_info.height) == (7, 12, 0)
    assert if_info.type == func_type((I32,), (I32,))
    inner = info.blocks[8]
    assert (inner.else_pc, inner.end_pc, inner.height) == (-1, 10, 1)
    assert inner.type == func_type((), (I32,))
    loop = info.blocks[13]
    assert (loop.else_pc, loop.end_pc, loop.height) == (-1, 14, 0)
    assert set(info.blocks) == {4, 8, 13}
    assert info.max_height == 2
    # The records are ordinary frozen BlockInfo values (the validator builds them fast).
    assert if_info == BlockInfo(func_type((I32,), (I32,)), 7, 12, 0)
    assert hash(if_info) == hash(BlockInfo(func_type((I32,), (I32,)), 7, 12, 0))
    with pytest.raises(FrozenInstanceError):
        if_info.end_pc = 0


def test_block_type_by_index_resolves_to_the_type():
    validated = validate_wat(
        """(module (type $pair (func (param i32) (result i32 i32)))
          (func (result i32 i32) (i32.const 1) (block (type $pair) (i32.const 2))))"""
    )
    info = validated.functions[0]
    (start,) = pcs_of(info, "block")
    assert info.blocks[start].type == func_type((I32,), (I32, I32))
    assert info.blocks[start].height == 0


def test_max_height_counts_values_not_blocks():
    validated = validate_wat(
        """(module (func (result i32)
          (i32.const 1) (i32.const 2) (i32.const 3) (i32.const 4)
          (i32.add) (i32.add) (i32.add)
          (block (result i32) (i32.const 5) (i32.const 6) (i32.add))
          (i32.add)))"""
    )
    assert validated.functions[0].max_height == 4


def test_max_height_with_calls_and_multi_value():
    validated = validate_wat(
        """(module
          (func $three (result i32 i64 f32) (i32.const 0) (i64.const 0) (f32.const 0))
          (func (param i32) (local.get 0) (call $three) (drop) (drop) (drop) (drop)))"""
    )
    assert [f.max_height for f in validated.functions] == [3, 4]


def test_deep_nesting_is_iterative():
    depth = 5000  # far past Python's recursion limit
    code = g.block() * depth + g.i32_const(1) + g.op("drop") + g.END * depth + g.END
    validated = validate_bytes(g.single_func_module(code))
    info = validated.functions[0]
    assert len(info.blocks) == depth
    assert info.blocks[0].end_pc == 2 * depth + 1
    assert info.blocks[depth - 1].end_pc == depth + 2
    assert all(b.height == 0 for b in info.blocks.values())


def test_deep_nesting_with_values_records_heights():
    depth = 3000
    # Each level pushes one i32 and opens a block that keeps it below: heights 1, 2, 3, ...
    code = (g.i32_const(0) + g.block()) * depth + (g.END + g.op("drop")) * depth + g.END
    info = validate_bytes(g.single_func_module(code)).functions[0]
    heights = [info.blocks[2 * level + 1].height for level in range(depth)]
    assert heights == list(range(1, depth + 1))
    assert info.max_height == depth


def test_deep_nesting_error_reports_offset():
    depth = 2000
    code = g.block() * depth + g.i64_const(5) + g.END * depth + g.END
    data = g.single_func_module(code)
    with pytest.raises(ValidationError) as caught:
        validate_bytes(data)
    error = caught.value
    assert error.message.startswith("type mismatch")
    # The innermost end is the first 0x0b after the i64.const.
    assert error.offset == data.index(g.i64_const(5) + g.END) + len(g.i64_const(5))
    assert error.func_index == 0


def test_error_offset_and_function_index_after_imports():
    bad = g.i32_const(1) + g.f32_const(2.0) + g.op("i32.add") + g.op("drop") + g.END
    data = g.module(
        g.type_section(g.functype()),
        g.import_section(g.import_func("m", "f", 0), g.import_func("m", "g", 0)),
        g.function_section(0, 0),
        g.code_section(g.func_body((), g.END), g.func_body((), bad)),
    )
    with pytest.raises(ValidationError) as caught:
        validate(decode_module(data))
    assert caught.value.func_index == 3
    assert caught.value.offset == data.index(g.op("i32.add") + g.op("drop") + g.END)
    assert "in function 3" in str(caught.value)


def test_validated_body_is_the_decoded_body():
    module = decode_module(g.single_func_module(g.i32_const(3) + g.op("drop") + g.END, locals_=[(2, F64)]))
    info = validate(module).functions[0]
    assert info.body is module.codes[0]
    assert info.local_types == (F64, F64)


def test_block_table_is_the_same_without_the_fast_constructor(monkeypatch):
    from pywaz.validator import _function

    text = """(module (func (result i32)
      (block (result i32) (loop (if (i32.const 1) (then) (else))) (i32.const 2))))"""
    fast = validate_wat(text).functions[0].blocks
    monkeypatch.setattr(_function, "_FAST_BLOCK_INFO", False)
    slow = validate_wat(text).functions[0].blocks
    assert fast == slow
    assert len(slow) == 3
