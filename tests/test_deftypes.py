"""Canonical defined types (GC): iso-recursive hash-consing, supertype chains, the cache's plain-data form."""

import msgpack
import pytest

from pywaz.decoder import decode_module
from pywaz.deftypes import (
    DefType,
    canonicalize,
    def_types_from_data,
    host_func_def,
    is_subtype,
    types_to_data,
)
from pywaz.ir import (
    ANYREF,
    EQREF,
    EXTERNREF,
    FUNCREF,
    HT_ANY,
    HT_EQ,
    HT_FUNC,
    HT_I31,
    HT_NONE,
    HT_STRUCT,
    I32,
    I31REF,
    NULLFUNCREF,
    NULLREF,
    STRUCTREF,
    func_type,
    ref_type,
)
from pywaz.text import wat2wasm
from pywaz.validator import validate


def def_types(wat: str):
    return validate(decode_module(wat2wasm(wat))).def_types


RECURSIVE_PAIR = """(module
  (rec (type $a (sub (struct (field (ref null $b)))))
       (type $b (struct (field (ref null $a)))))
  (type $c (sub $a (struct (field (ref null $b)) (field i32)))))"""


def test_equal_types_of_different_modules_are_the_same_object():
    first = def_types(RECURSIVE_PAIR)
    second = def_types("(module (type (func)) " + RECURSIVE_PAIR[len("(module"):])
    assert first[0] is second[1] and first[1] is second[2] and first[2] is second[3]


def test_rec_groups_are_compared_whole_iso_recursively():
    # The same struct alone, or in a group with another type, is a different type.
    alone = def_types("(module (type $t (struct (field (ref null $t)))))")[0]
    grouped = def_types("(module (rec (type $t (struct (field (ref null $t)))) (type (func))))")[0]
    again = def_types("(module (rec (type $u (struct (field (ref null $u))))))")[0]
    assert alone is not grouped
    assert alone is again


def test_finality_and_supertypes_are_part_of_the_type():
    final = def_types("(module (type (struct)))")[0]
    open_ = def_types("(module (type (sub (struct))))")[0]
    assert final is not open_ and final.final and not open_.final


def test_supertype_chain_gives_constant_time_subtyping():
    types = def_types(RECURSIVE_PAIR)
    a, b, c = types
    assert c.supertype is a and c.depth == 1 and c.chain == (a, c)
    assert a.depth == 0 and a.chain == (a,)
    assert c.is_subtype_of(a) and a.is_subtype_of(a)
    assert not a.is_subtype_of(c) and not b.is_subtype_of(a)
    assert len(c.chain) > a.depth and c.chain[a.depth] is a


def test_structure_uses_closed_types():
    a, b, c = def_types(RECURSIVE_PAIR)
    assert a.kind == "struct" and a.fields[0].storage == ref_type(True, b)
    assert c.fields[1].storage == I32 and not c.fields[1].mutable


def test_plain_function_types_share_the_host_function_type():
    (deftype,) = def_types("(module (type (func (param i32) (result i32))))")
    functype = func_type((I32,), (I32,))
    assert deftype is host_func_def(functype)
    assert deftype.kind == "func" and deftype.final and deftype.params == (I32,) and deftype.func_type is functype
    assert canonicalize((functype,))[0] is deftype


def test_type_data_round_trips_through_msgpack_to_the_same_objects():
    module = decode_module(wat2wasm(RECURSIVE_PAIR + ""))
    original = validate(module).def_types
    data = msgpack.unpackb(msgpack.packb(types_to_data(module)))
    assert def_types_from_data(data) == original
    assert all(type(d) is DefType for d in original)


@pytest.mark.parametrize("data", [None, [[[9]], [], []], [[[1, [[[True], False]]]], [], []], [[], [], [3]]])
def test_malformed_type_data_is_a_value_error(data):
    with pytest.raises(ValueError):
        def_types_from_data(data)


@pytest.mark.parametrize(
    ("sub", "sup", "expected"),
    [
        (I31REF, EQREF, True),
        (I31REF, ANYREF, True),
        (STRUCTREF, EQREF, True),
        (NULLREF, I31REF, True),
        (NULLFUNCREF, FUNCREF, True),
        (FUNCREF, ANYREF, False),
        (EXTERNREF, ANYREF, False),
        (ANYREF, EQREF, False),
        (ref_type(False, HT_I31), I31REF, True),
        (ref_type(False, HT_I31), ANYREF, True),
        (ref_type(False, HT_NONE), EQREF, True),
        (ref_type(True, HT_FUNC), ANYREF, False),
        (ref_type(False, HT_FUNC), FUNCREF, True),
        (ref_type(False, HT_FUNC), I32, False),
        (I31REF, ref_type(False, HT_I31), False),
        (ref_type(False, HT_NONE), ref_type(False, HT_STRUCT), True),
        (I32, I32, True),
        (I32, ANYREF, False),
        (0, ref_type(False, HT_EQ), True),  # the validator's unknown (bottom) type
    ],
)
def test_abstract_subtyping(sub, sup, expected):
    assert is_subtype(sub, sup) is expected


def test_concrete_heap_types_resolve_through_the_module():
    a, b, c = types = def_types(RECURSIVE_PAIR)
    assert is_subtype(ref_type(False, 2), ref_type(True, 0), types)
    assert not is_subtype(ref_type(True, 2), ref_type(False, 0), types)
    assert is_subtype(ref_type(False, 2), ref_type(False, HT_STRUCT), types)
    assert is_subtype(ref_type(True, 1), ref_type(True, HT_ANY), types)
    assert not is_subtype(ref_type(True, 1), ref_type(True, HT_FUNC), types)
    assert is_subtype(ref_type(True, HT_NONE), ref_type(True, 1), types)
    assert is_subtype(ref_type(True, 1), EQREF, types) and is_subtype(ref_type(False, 2), STRUCTREF, types)
    assert not is_subtype(ref_type(True, 1), FUNCREF, types)
    assert is_subtype(ref_type(True, c), ref_type(True, a))  # closed types need no module
