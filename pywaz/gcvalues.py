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
import threading

I31_MASK = 0x7FFFFFFF
MAX_ARRAY_LENGTH = 1 << 27
"""The most elements one array may have (2**27: a GiB of element pointers); longer traps
"allocation too large" rather than exhausting the host."""
_I31_SIGN = 0x40000000


class StructRef:
    """Base class of every struct class (``isinstance(v, StructRef)`` is the ``struct`` heap type test)."""

    __slots__ = ()
    rtt = None
    wasm_ref_kind = "struct"  # what the spec harness and other tools read (pywaz.spectest.refs)

    def __repr__(self) -> str:
        fields = ", ".join(repr(getattr(self, name)) for name in self.__slots__)
        return f"<wasm struct ({fields})>"


class ArrayRef(list):
    """Base class of every array class (``isinstance(v, ArrayRef)`` is the ``array`` heap type test)."""

    __slots__ = ()
    rtt = None
    wasm_ref_kind = "array"

    def __repr__(self) -> str:
        return f"<wasm array of {len(self)}>"

    # Arrays have reference identity in wasm: two arrays with equal elements are different values.
    __eq__ = object.__eq__
    __ne__ = object.__ne__
    __hash__ = object.__hash__


class InternalizedExtern:
    """A host (extern) value seen as ``anyref`` after ``any.convert_extern``."""

    __slots__ = ("value",)
    wasm_ref_kind = "any"

    @property
    def wasm_ref_inner(self):
        return self.value

    def __init__(self, value) -> None:
        self.value = value

    def __repr__(self) -> str:
        return f"<internalized {self.value!r}>"


class ExternalizedAny:
    """A wasm (any) value seen as ``externref`` after ``extern.convert_any``."""

    __slots__ = ("value",)
    wasm_ref_kind = "extern"

    @property
    def wasm_ref_inner(self):
        return self.value

    def __init__(self, value) -> None:
        self.value = value

    def __repr__(self) -> str:
        return f"<externalized {self.value!r}>"


# One class per canonical type, kept on the type itself (``DefType.cls``), so a type and its class live and
# die together. A stand-in type without that slot (tests) falls back to a table keyed by id(), whose entry
# keeps the type alive so the id is never reused while the entry exists.
_classes: dict[int, tuple[object, type]] = {}
_classes_lock = threading.Lock()


def _cached_class(deftype, make) -> type:
    cls = getattr(deftype, "cls", None)
    if cls is not None:
        return cls
    entry = _classes.get(id(deftype))
    if entry is not None and entry[0] is deftype:
        return entry[1]
    with _classes_lock:  # two threads lowering one type at once must get one class
        cls = getattr(deftype, "cls", None)
        if cls is not None:
            return cls
        entry = _classes.get(id(deftype))
        if entry is not None and entry[0] is deftype:
            return entry[1]
        cls = make()
        try:
            deftype.cls = cls
        except AttributeError:
            _classes[id(deftype)] = (deftype, cls)
        return cls


def struct_class(deftype, field_count: int) -> type:
    """The struct class of canonical struct type ``deftype`` with ``field_count`` fields.

    ``cls.new(v0, v1, ...)`` makes a struct from its field values in order. The
    class has no ``__init__``: ``cls()`` makes one without a Python frame, so
    compiled code allocates with ``o = cls(); o.f0 = v0; ...`` (about twice as
    fast as an ``__init__`` call; see pywaz/compiler/README.md).
    """

    def make() -> type:
        slots = tuple(f"f{i}" for i in range(field_count))
        cls = type("WasmStruct", (StructRef,), {"__slots__": slots, "rtt": deftype})
        namespace: dict = {"_cls": cls}
        params = ", ".join(slots)
        body = "".join(f"\n    self.{name} = {name}" for name in slots)
        source = f"def new({params}):\n    self = _cls(){body}\n    return self\n"
        exec(compile(source, f"<wasm struct type {id(deftype):x}>", "exec"), namespace)  # noqa: S102 - our names
        cls.new = staticmethod(namespace["new"])
        return cls

    return _cached_class(deftype, make)


def array_class(deftype) -> type:
    """The array class of canonical array type ``deftype``: ``cls(iterable)`` makes an array."""
    return _cached_class(deftype, lambda: type("WasmArray", (ArrayRef,), {"__slots__": (), "rtt": deftype}))


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


# Storage types (GC §3.2.1): packed i8/i16 or a value type. Codes as in pywaz.ir.
_F32 = 0x7D
_F64 = 0x7C
_NUMERIC_DEFAULTS = {0x7F: 0, 0x7E: 0, _F32: 0.0, _F64: 0.0, 0x7B: 0, 0x78: 0, 0x77: 0}


def storage_mask(storage) -> int | None:
    """The mask a write to a field of ``storage`` type applies: 0xFF (i8), 0xFFFF (i16), else None."""
    if storage == PACKED_I8:
        return 0xFF
    if storage == PACKED_I16:
        return 0xFFFF
    return None


def storage_default(storage):
    """The default value of a field of ``storage`` type (GC execution: zero, or null for references)."""
    if type(storage) is int:
        return _NUMERIC_DEFAULTS.get(storage)  # a reference type code (FUNCREF ...) defaults to None
    return None


def extend_signed(storage, value: int) -> int:
    """``get_s`` of a packed field: sign-extend its 8 or 16 bits to an i32 (unsigned canonical form)."""
    if storage == PACKED_I8:
        return value | 0xFFFFFF00 if value & 0x80 else value
    return value | 0xFFFF0000 if value & 0x8000 else value


# Heap types as in pywaz.ir (negative ints; a concrete heap type is a canonical DefType here).
_HT_NOEXN, _HT_NOFUNC, _HT_NOEXTERN, _HT_NONE = -0x0C, -0x0D, -0x0E, -0x0F
_HT_FUNC, _HT_EXTERN, _HT_ANY, _HT_EQ, _HT_I31, _HT_STRUCT, _HT_ARRAY, _HT_EXN = (
    -0x10, -0x11, -0x12, -0x13, -0x14, -0x15, -0x16, -0x17)


def _always(value) -> bool:
    return True


def _never(value) -> bool:
    return False


def _is_i31(value) -> bool:
    return value.__class__ is int


def _is_struct(value) -> bool:
    return isinstance(value, StructRef)


def _is_array(value) -> bool:
    return isinstance(value, ArrayRef)


_ABSTRACT_TESTS = {
    _HT_ANY: _always, _HT_FUNC: _always, _HT_EXTERN: _always, _HT_EXN: _always,
    _HT_NONE: _never, _HT_NOFUNC: _never, _HT_NOEXTERN: _never, _HT_NOEXN: _never,
    _HT_EQ: is_eq, _HT_I31: _is_i31, _HT_STRUCT: _is_struct, _HT_ARRAY: _is_array,
}


def heap_test(heap):
    """A predicate telling whether a non-null value of heap type ``heap``'s hierarchy is in ``heap``.

    ``heap`` is an abstract heap type (a negative ``HT_*`` int) or a canonical
    defined type. Validation has put the value in the right hierarchy, so the
    tops (any, func, extern, exn) accept every non-null value and the bottoms
    none; a defined type is matched by the constant-time chain test against
    the value's ``rtt`` (structs, arrays) or ``def_type`` (functions).
    """
    if type(heap) is int:
        return _ABSTRACT_TESTS[heap]
    target = heap
    depth = target.depth
    if target.kind == "func":
        def test_func(value) -> bool:
            chain = value.def_type.chain
            return len(chain) > depth and chain[depth] is target

        return test_func

    def test_data(value) -> bool:
        rtt = getattr(value.__class__, "rtt", None)  # i31 ints and internalized host values have none
        if rtt is None:
            return False
        chain = rtt.chain
        return len(chain) > depth and chain[depth] is target

    return test_data


def ref_test(nullable: bool, heap):
    """A predicate for ``ref.test``/``ref.cast``/``br_on_cast``: whether a value (None included) matches
    ``(ref null? heap)``; ``heap`` as for :func:`heap_test`."""
    test = heap_test(heap)
    if nullable:
        return lambda value: value is None or test(value)
    return lambda value: value is not None and test(value)


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



# -- array operations both engines call (execution §4.4.8): one home for their bounds, traps and order ------
# The checks come in the spec's order: null, then the array's range, then the segment's.


def _trap(kind_name: str):
    from .errors import Trap, TrapKind

    raise Trap(TrapKind[kind_name]) from None


def array_new(cls, value, length: int):
    """``array.new``: ``length`` copies of ``value`` (immutable Python values, so one object serves them all).

    Raises:
        Trap: allocation too large: a length above :data:`MAX_ARRAY_LENGTH`, or the host is out of memory.
    """
    if length > MAX_ARRAY_LENGTH:
        _trap("ALLOCATION_TOO_LARGE")
    try:
        return cls([value] * length)
    except MemoryError:
        _trap("ALLOCATION_TOO_LARGE")


def array_new_data(instance, cls, storage: int, data_index: int, source: int, length: int):
    """``array.new_data``: ``length`` elements read from data segment ``data_index`` at ``source``.

    Raises:
        Trap: out of bounds memory access (the segment is too short); allocation too large.
    """
    segment = instance.data_segments[data_index]
    if source + length * element_size(storage) > len(segment):
        _trap("OUT_OF_BOUNDS_MEMORY")
    if length > MAX_ARRAY_LENGTH:
        _trap("ALLOCATION_TOO_LARGE")
    return cls(elements_from_bytes(storage, segment, source, length))


def array_new_elem(instance, cls, elem_index: int, source: int, length: int):
    """``array.new_elem``: ``length`` references of element segment ``elem_index`` from ``source``.

    Raises:
        Trap: out of bounds table access (the segment is too short).
    """
    segment = instance.elem_segments[elem_index]
    if source + length > len(segment):
        _trap("OUT_OF_BOUNDS_TABLE")
    return cls(segment[source : source + length])


def _check_span(array, start: int, length: int) -> None:
    """Trap as the spec orders it: a null array first, then ``start + length`` past its end."""
    if array is None:
        _trap("NULL_ARRAY_REFERENCE")
    if start + length > len(array):
        _trap("OUT_OF_BOUNDS_ARRAY")


def array_fill(array, start: int, value, length: int) -> None:
    """``array.fill`` (``value`` already masked to a packed element's width).

    Raises:
        Trap: null array reference, out of bounds array access.
    """
    _check_span(array, start, length)
    array[start : start + length] = [value] * length


def array_copy(target, start: int, source, source_start: int, length: int) -> None:
    """``array.copy`` (overlapping ranges copy as if through a temporary: the slice is one).

    Raises:
        Trap: null array reference, out of bounds array access.
    """
    if target is None or source is None:
        _trap("NULL_ARRAY_REFERENCE")
    if start + length > len(target) or source_start + length > len(source):
        _trap("OUT_OF_BOUNDS_ARRAY")
    target[start : start + length] = source[source_start : source_start + length]


def array_init_data(instance, storage: int, data_index: int, array, start: int, source: int, length: int) -> None:
    """``array.init_data``.

    Raises:
        Trap: null array reference, out of bounds array access, out of bounds memory access.
    """
    _check_span(array, start, length)
    segment = instance.data_segments[data_index]
    if source + length * element_size(storage) > len(segment):
        _trap("OUT_OF_BOUNDS_MEMORY")
    array[start : start + length] = elements_from_bytes(storage, segment, source, length)


def array_init_elem(instance, elem_index: int, array, start: int, source: int, length: int) -> None:
    """``array.init_elem``.

    Raises:
        Trap: null array reference, out of bounds array access, out of bounds table access.
    """
    _check_span(array, start, length)
    segment = instance.elem_segments[elem_index]
    if source + length > len(segment):
        _trap("OUT_OF_BOUNDS_TABLE")
    array[start : start + length] = segment[source : source + length]


__all__ = [
    "StructRef", "ArrayRef", "InternalizedExtern", "ExternalizedAny", "struct_class", "array_class",
    "is_subtype", "ref_i31", "i31_get_s", "any_convert_extern", "extern_convert_any", "is_eq",
    "element_size", "elements_from_bytes", "PACKED_I8", "PACKED_I16", "I31_MASK", "storage_mask",
    "storage_default", "extend_signed", "heap_test", "ref_test", "MAX_ARRAY_LENGTH",
    "array_new", "array_new_data", "array_new_elem", "array_fill", "array_copy", "array_init_data",
    "array_init_elem",
]
