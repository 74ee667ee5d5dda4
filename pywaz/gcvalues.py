"""GC and typed-reference values: how structs, arrays, i31 and converted references live in Python.

Execution §4.2 (heap values) for the GC proposal. Enters: a canonical defined
type (anything with ``.depth`` and ``.chain``, see the validator's type
canonicalisation) and raw wasm values; leaves: the Python objects both engines,
the VM and the host API agree on. Every engine must use exactly these, because
an interpreted and a compiled function of one store pass them to each other.

* null of every reference type: ``None``.
* struct: an instance of a ``__slots__`` class made once per canonical struct
  type (:func:`struct_class`); field ``i`` is the slot ``f{i}``, so compiled
  code reads ``obj.f3``. The class attribute ``rtt`` is the defined type.
* array: an instance of a ``list`` subclass made once per canonical array type
  (:func:`array_class`), class attribute ``rtt``. Elements are stored as in
  locals; packed ``i8``/``i16`` elements are stored unsigned (masked on write).
* i31: a plain ``int`` holding the unsigned 31-bit payload (0 <= v < 2**31).
* ``any.convert_extern`` wraps a host value in :class:`InternalizedExtern`
  (so a host ``int`` is never taken for an i31), and ``extern.convert_any``
  wraps a wasm value in :class:`ExternalizedAny`; each conversion undoes the
  other, so values round-trip unchanged and null stays ``None`` both ways.

Casts are constant time: a defined type ``u`` is a subtype of ``t`` exactly
when ``len(u.chain) > t.depth and u.chain[t.depth] is t`` (the supertype chain
is precomputed at canonicalisation, as mature engines do).
"""

from __future__ import annotations

import struct as _struct

I31_MASK = 0x7FFFFFFF
_I31_SIGN = 0x40000000


class StructRef:
    """Base class of every struct class (``isinstance(v, StructRef)`` is the ``struct`` heap type test)."""

    __slots__ = ()
    rtt = None

    def __repr__(self) -> str:
        fields = ", ".join(repr(getattr(self, name)) for name in self.__slots__)
        return f"<wasm struct ({fields})>"


class ArrayRef(list):
    """Base class of every array class (``isinstance(v, ArrayRef)`` is the ``array`` heap type test)."""

    __slots__ = ()
    rtt = None

    def __repr__(self) -> str:
        return f"<wasm array of {len(self)}>"

    # Arrays have reference identity in wasm: two arrays with equal elements are different values.
    __eq__ = object.__eq__
    __ne__ = object.__ne__
    __hash__ = object.__hash__


class InternalizedExtern:
    """A host (extern) value seen as ``anyref`` after ``any.convert_extern``."""

    __slots__ = ("value",)

    def __init__(self, value) -> None:
        self.value = value

    def __repr__(self) -> str:
        return f"<internalized {self.value!r}>"


class ExternalizedAny:
    """A wasm (any) value seen as ``externref`` after ``extern.convert_any``."""

    __slots__ = ("value",)

    def __init__(self, value) -> None:
        self.value = value

    def __repr__(self) -> str:
        return f"<externalized {self.value!r}>"


# One class per canonical type. Keyed by id() because canonical types are interned for the process
# (the value keeps the type alive, so its id is never reused while the entry exists).
_struct_classes: dict[int, tuple[object, type]] = {}
_array_classes: dict[int, tuple[object, type]] = {}


def struct_class(deftype, field_count: int) -> type:
    """The struct class of canonical struct type ``deftype`` with ``field_count`` fields.

    ``cls(v0, v1, ...)`` makes a struct from its field values in order.
    """
    entry = _struct_classes.get(id(deftype))
    if entry is not None and entry[0] is deftype:
        return entry[1]
    slots = tuple(f"f{i}" for i in range(field_count))
    namespace: dict = {"__slots__": slots, "rtt": deftype}
    params = ", ".join(slots)
    body = "".join(f"\n    self.{name} = {name}" for name in slots) or "\n    pass"
    source = f"def __init__(self{', ' if params else ''}{params}):{body}\n"
    exec(compile(source, f"<wasm struct type {id(deftype):x}>", "exec"), namespace)  # noqa: S102 - field names are ours
    cls = type("WasmStruct", (StructRef,), namespace)
    _struct_classes[id(deftype)] = (deftype, cls)
    return cls


def array_class(deftype) -> type:
    """The array class of canonical array type ``deftype``: ``cls(iterable)`` makes an array."""
    entry = _array_classes.get(id(deftype))
    if entry is not None and entry[0] is deftype:
        return entry[1]
    cls = type("WasmArray", (ArrayRef,), {"__slots__": (), "rtt": deftype})
    _array_classes[id(deftype)] = (deftype, cls)
    return cls


def is_subtype(sub, sup) -> bool:
    """Whether canonical defined type ``sub`` matches ``sup`` (constant time)."""
    chain = sub.chain
    depth = sup.depth
    return len(chain) > depth and chain[depth] is sup


def ref_i31(value: int) -> int:
    """``ref.i31``: the low 31 bits of an i32."""
    return value & I31_MASK


def i31_get_s(value: int) -> int:
    """``i31.get_s``: sign-extend 31 bits to an i32 (unsigned canonical form)."""
    return value | 0x80000000 if value & _I31_SIGN else value


def any_convert_extern(value):
    """``any.convert_extern``: a host value as ``anyref`` (undoes :func:`extern_convert_any`)."""
    if value is None:
        return None
    if type(value) is ExternalizedAny:
        return value.value
    return InternalizedExtern(value)


def extern_convert_any(value):
    """``extern.convert_any``: a wasm value as ``externref`` (undoes :func:`any_convert_extern`)."""
    if value is None:
        return None
    if type(value) is InternalizedExtern:
        return value.value
    return ExternalizedAny(value)


def is_eq(value) -> bool:
    """Whether a non-null ``anyref`` value is in ``eq`` (i31, struct or array)."""
    return type(value) is int or isinstance(value, (StructRef, ArrayRef))


# Packed and numeric storage for array.new_data / array.init_data (little-endian, execution §4.4.8).
PACKED_I8 = 0x78
PACKED_I16 = 0x77
_ELEMENT_FORMATS = {
    PACKED_I8: ("B", 1),
    PACKED_I16: ("H", 2),
    0x7F: ("I", 4),  # i32
    0x7E: ("Q", 8),  # i64
    0x7D: ("f", 4),  # f32 (converted below: a float round-trip would quiet NaNs)
    0x7C: ("d", 8),  # f64
    0x7B: (None, 16),  # v128
}


def element_size(storage: int) -> int:
    """Bytes one element of ``storage`` type (value type or packed type code) takes in a data segment."""
    return _ELEMENT_FORMATS[storage][1]


def elements_from_bytes(storage: int, data, offset: int, count: int) -> list:
    """``count`` elements of ``storage`` type read little-endian from ``data`` at ``offset``.

    The caller has checked the bounds.
    """
    fmt, size = _ELEMENT_FORMATS[storage]
    end = offset + count * size
    if fmt is None:
        return [int.from_bytes(data[i:i + 16], "little") for i in range(offset, end, 16)]
    if fmt == "f":
        from .numeric import f32_from_bits

        return [f32_from_bits(v) for v in _struct.unpack_from(f"<{count}I", data, offset)]
    if fmt == "d":
        return list(_struct.unpack_from(f"<{count}d", data, offset))
    return list(_struct.unpack_from(f"<{count}{fmt}", data, offset))


__all__ = [
    "StructRef", "ArrayRef", "InternalizedExtern", "ExternalizedAny", "struct_class", "array_class",
    "is_subtype", "ref_i31", "i31_get_s", "any_convert_extern", "extern_convert_any", "is_eq",
    "element_size", "elements_from_bytes", "PACKED_I8", "PACKED_I16", "I31_MASK",
]
