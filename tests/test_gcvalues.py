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
    a, b = cls(1, 2.5, None), cls(1, 2.5, None)
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
