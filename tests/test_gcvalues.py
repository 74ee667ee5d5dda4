"""The GC value representation both engines share (pywaz/gcvalues.py)."""

import struct

from pywaz import gcvalues as gv
from pywaz.numeric import f32_to_bits


class _Type:
    """A stand-in canonical defined type: only ``chain`` and ``depth`` matter here."""

    def __init__(self, parent=None):
        self.chain = (parent.chain if parent else ()) + (self,)
        self.depth = len(self.chain) - 1


def test_struct_class_is_made_once_per_type_and_has_identity():
    t = _Type()
    cls = gv.struct_class(t, 3)
    assert gv.struct_class(t, 3) is cls
    a, b = cls.new(1, 2.5, None), cls.new(1, 2.5, None)
    assert (a.f0, a.f1, a.f2) == (1, 2.5, None)
    assert a is not b and type(a).rtt is t and isinstance(a, gv.StructRef)
    assert gv.struct_class(_Type(), 3) is not cls


def test_empty_struct():
    cls = gv.struct_class(_Type(), 0)
    assert isinstance(cls(), gv.StructRef)


def test_array_class_compares_by_identity():
    t = _Type()
    cls = gv.array_class(t)
    a, b = cls([0] * 4), cls([0] * 4)
    assert len(a) == 4 and a != b and a == a and type(a).rtt is t
    assert {a: 1}[a] == 1


def test_subtype_chain():
    root = _Type()
    mid = _Type(root)
    leaf = _Type(mid)
    other = _Type(root)
    assert gv.is_subtype(leaf, root) and gv.is_subtype(leaf, mid) and gv.is_subtype(leaf, leaf)
    assert not gv.is_subtype(root, leaf) and not gv.is_subtype(other, mid) and not gv.is_subtype(mid, other)


def test_i31():
    assert gv.ref_i31(0xFFFFFFFF) == 0x7FFFFFFF
    assert gv.i31_get_s(gv.ref_i31(0xFFFFFFFF)) == 0xFFFFFFFF
    assert gv.i31_get_s(gv.ref_i31(0x3FFFFFFF)) == 0x3FFFFFFF
    assert gv.i31_get_s(gv.ref_i31(0x40000000)) == 0xC0000000


def test_conversions_round_trip_and_keep_host_ints_apart_from_i31():
    host = 5
    internal = gv.any_convert_extern(host)
    assert type(internal) is gv.InternalizedExtern and not gv.is_eq(internal)
    assert gv.extern_convert_any(internal) is host
    wasm_value = gv.struct_class(_Type(), 0)()
    external = gv.extern_convert_any(wasm_value)
    assert gv.any_convert_extern(external) is wasm_value
    assert gv.any_convert_extern(None) is None and gv.extern_convert_any(None) is None
    assert gv.is_eq(7) and gv.is_eq(wasm_value)


def test_elements_from_bytes():
    data = bytes(range(1, 17)) + struct.pack("<f", -1.5) + struct.pack("<I", 0x7FA00001)
    assert gv.elements_from_bytes(gv.PACKED_I8, data, 1, 3) == [2, 3, 4]
    assert gv.elements_from_bytes(gv.PACKED_I16, data, 0, 2) == [0x0201, 0x0403]
    assert gv.elements_from_bytes(0x7E, data, 0, 1) == [0x0807060504030201]
    assert gv.elements_from_bytes(0x7B, data, 0, 1) == [int.from_bytes(data[:16], "little")]
    floats = gv.elements_from_bytes(0x7D, data, 16, 2)
    assert floats[0] == -1.5 and f32_to_bits(floats[1]) == 0x7FA00001  # the signalling NaN keeps its payload
    assert gv.element_size(0x7C) == 8


def test_storage_helpers():
    masks = (gv.storage_mask(gv.PACKED_I8), gv.storage_mask(gv.PACKED_I16), gv.storage_mask(0x7F))
    assert masks == (0xFF, 0xFFFF, None)
    defaults = [gv.storage_default(t) for t in (0x7F, 0x7E, 0x7D, 0x7C, 0x7B, gv.PACKED_I8, 0x6E)]
    assert defaults == [0, 0, 0.0, 0.0, 0, 0, None]
    assert type(gv.storage_default(0x7D)) is float
    assert gv.extend_signed(gv.PACKED_I8, 0x80) == 0xFFFFFF80 and gv.extend_signed(gv.PACKED_I8, 0x7F) == 0x7F
    assert gv.extend_signed(gv.PACKED_I16, 0x8000) == 0xFFFF8000 and gv.extend_signed(gv.PACKED_I16, 0x7FFF) == 0x7FFF


class _Kind(_Type):
    def __init__(self, kind, parent=None):
        super().__init__(parent)
        self.kind = kind


class _Func:
    def __init__(self, def_type):
        self.def_type = def_type


def test_heap_and_ref_tests():
    from pywaz.ir import HT_ANY, HT_ARRAY, HT_EQ, HT_FUNC, HT_I31, HT_NONE, HT_STRUCT

    base = _Kind("struct")
    derived = _Kind("struct", base)
    point = gv.struct_class(derived, 0)()
    row = gv.array_class(_Kind("array"))([1])
    host = gv.any_convert_extern("host")
    values = [point, row, 5, host]
    table = {HT_ANY: [1, 1, 1, 1], HT_EQ: [1, 1, 1, 0], HT_I31: [0, 0, 1, 0], HT_STRUCT: [1, 0, 0, 0],
             HT_ARRAY: [0, 1, 0, 0], HT_NONE: [0, 0, 0, 0], base: [1, 0, 0, 0], derived: [1, 0, 0, 0]}
    for heap, expected in table.items():
        assert [int(gv.heap_test(heap)(v)) for v in values] == expected, heap
    assert not gv.heap_test(_Kind("struct", derived))(point)  # a subtype of the value's type does not match
    assert gv.ref_test(True, HT_STRUCT)(None) and not gv.ref_test(False, HT_STRUCT)(None)
    func_base = _Kind("func")
    func_derived = _Kind("func", func_base)
    assert gv.heap_test(func_base)(_Func(func_derived)) and not gv.heap_test(func_derived)(_Func(func_base))
    assert gv.heap_test(HT_FUNC)(_Func(func_base))


def test_classes_live_on_the_type_and_values_declare_their_kind():
    t = _Kind("array")
    cls = gv.array_class(t)
    assert t.cls is cls and gv.array_class(t) is cls
    assert gv.struct_class(_Kind("struct"), 1).new(3).wasm_ref_kind == "struct" and cls([]).wasm_ref_kind == "array"
    inner = object()
    assert gv.InternalizedExtern(inner).wasm_ref_inner is inner and gv.InternalizedExtern.wasm_ref_kind == "any"
    assert gv.ExternalizedAny(inner).wasm_ref_inner is inner and gv.ExternalizedAny.wasm_ref_kind == "extern"
