"""Inputs no well-formed binary can carry, built directly as IR: the validator must still
answer with a ValidationError (offset and function index included), never a traceback."""

from array import array

import pytest

from pywaz.errors import ValidationError
from pywaz.ir import (
    EXTERN_FUNC,
    FUNCREF,
    I32,
    I64,
    Export,
    FunctionBody,
    Import,
    Limits,
    MemoryType,
    Module,
    TableType,
    func_type,
)
from pywaz.opcodes import OPS_BY_NAME
from pywaz.validator import validate

EMPTY = func_type((), ())


def body(*instrs, locals_=()):
    """A FunctionBody from (name, immediate) pairs; instruction i sits at byte offset 100 + 2*i."""
    ops = [OPS_BY_NAME[name] if isinstance(name, str) else name for name, _ in instrs]
    imms = [imm for _, imm in instrs]
    return FunctionBody(tuple(locals_), ops, imms, array("I", (100 + 2 * i for i in range(len(ops)))), 100, 200)


def module(*bodies, types=(EMPTY,), **fields):
    return Module(types=types, functions=tuple(0 for _ in bodies), codes=bodies, **fields)


def rejects(mod, prefix):
    with pytest.raises(ValidationError) as caught:
        validate(mod)
    assert caught.value.message.startswith(prefix), caught.value.message
    return caught.value


def test_unknown_opcode_number():
    error = rejects(module(body((0x17, None), ("end", None))), "unknown opcode")
    assert error.offset == 100


def test_opcode_number_outside_every_table():
    rejects(module(body((0x123456, None), ("end", None))), "unknown opcode")


def test_else_without_if():
    error = rejects(module(body(("block", EMPTY), ("else", None), ("end", None), ("end", None))), "else without")
    assert error.offset == 102


def test_body_without_final_end():
    error = rejects(module(body(("nop", None))), "function body does not end")
    assert error.offset == 200  # the body's end: there is no instruction to blame


def test_empty_body():
    rejects(module(body()), "function body does not end")


def test_instructions_after_final_end():
    rejects(module(body(("end", None), ("nop", None))), "instructions after the end")


def test_memory_index_other_than_zero():
    memories = (MemoryType(Limits(1)),)
    size = body(("memory.size", 1), ("drop", None), ("end", None))
    rejects(module(size, memories=memories), "unknown memory 1")
    copy = body(("i32.const", 0), ("i32.const", 0), ("i32.const", 0), ("memory.copy", (0, 1)), ("end", None))
    rejects(module(copy, memories=memories), "unknown memory 1")


def test_error_names_function_in_index_space():
    # The second defined function (index 1) is the bad one.
    good = body(("end", None))
    bad = body(("nop", None), ("i64.const", 0), ("end", None))
    error = rejects(module(good, bad), "type mismatch")
    assert error.func_index == 1
    assert error.offset == 104  # the end that finds an i64 left over


def test_table_index_out_of_range_in_table_copy():
    tables = (TableType(FUNCREF, Limits(1)),)
    code = body(("i32.const", 0), ("i32.const", 0), ("i32.const", 0), ("table.copy", (3, 0)), ("end", None))
    rejects(module(code, tables=tables), "unknown table 3")


def test_inconsistent_function_and_code_counts():
    mod = Module(types=(EMPTY,), functions=(0, 0), codes=(body(("end", None)),))
    rejects(mod, "function and code section have inconsistent lengths")


def test_export_of_unknown_kind():
    rejects(Module(exports=(Export("x", 9, 0),)), "unknown export kind")


def test_declared_refs_come_from_exports():
    mod = module(
        body(("ref.func", 0), ("drop", None), ("end", None)),
        exports=(Export("f", EXTERN_FUNC, 0),),
    )
    assert validate(mod).declared_func_refs == frozenset({0})


def test_locals_follow_params():
    sig = func_type((I32,), ())
    mod = Module(
        types=(sig,),
        functions=(0,),
        codes=(body(("local.get", 2), ("drop", None), ("end", None), locals_=(I64, I32)),),
    )
    info = validate(mod).functions[0]
    assert info.local_types == (I32, I64, I32)
    bad = Module(
        types=(sig,), functions=(0,), codes=(body(("local.get", 3), ("drop", None), ("end", None), locals_=(I64, I32)),)
    )
    rejects(bad, "unknown local 3")


def test_import_of_unknown_kind():
    rejects(Module(imports=(Import("m", "x", 7, 0, offset=11),)), "unknown import kind")
