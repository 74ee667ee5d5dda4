"""Conversions between embedder values and pywaz's raw value representation.

Raw values (:mod:`pywaz.numeric`) are what engines use: i32/i64 as unsigned
ints. Embedders pass i32/i64 arguments in either the signed or the unsigned
range and get results back as *signed* ints (the usual reading of a C ``int``);
f32/f64 travel as Python floats, funcref as a function (or None), externref as
any Python object (None is the null reference), v128 as an unsigned 128-bit
int.

A runtime's functions, memories, tables and globals belong to it: a function
of another :class:`~pywaz.Runtime` is refused wherever a funcref enters
(arguments, table entries, global values, host results), as native runtimes
refuse mixing stores. Runtimes differ in limits, call-depth accounting and
lifetime, so a foreign function would run outside its own runtime's rules.
"""

from __future__ import annotations

from .. import gcvalues
from ..deftypes import top_heap
from ..errors import ArgumentError
from ..ir import (
    EXTERNREF,
    F32,
    F64,
    FUNCREF,
    HT_ANY,
    HT_EXTERN,
    HT_FUNC,
    I32,
    I64,
    V128,
    VALTYPE_NAMES,
    ref_parts,
    valtype_name,
)
from ..numeric import f32_round
from .objects import Function


def owner_runtime(function: Function):
    """The Runtime ``function`` belongs to, or None for one made outside any runtime."""
    instance = function.instance
    if instance is not None:
        return instance.runtime
    return getattr(function, "runtime", None)  # host functions record their builder's runtime


def check_owner(function: Function, runtime, what: str) -> None:
    """Refuse a function of a runtime other than ``runtime`` (None: no runtime to enforce).

    Raises:
        ArgumentError: ``function`` belongs to another Runtime.
    """
    owner = owner_runtime(function)
    if owner is not None and runtime is not None and owner is not runtime:
        raise ArgumentError(
            f"{what}: {function.name or 'the function'} belongs to another Runtime; functions cannot be "
            "shared between runtimes (to call it from this one, import a host function that calls it)"
        )


def to_raw(valtype: int, value, what: str = "value", runtime=None):
    """Check an embedder value against ``valtype`` and return its raw form.

    ``runtime``: where the value goes; a function of another runtime is refused.

    Raises:
        ArgumentError: the Python type does not fit the wasm type, an integer
            is outside both the signed and unsigned range, or a function
            belongs to another runtime.
    """
    if valtype == I32 or valtype == I64:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ArgumentError(f"{what}: expected an int for {VALTYPE_NAMES[valtype]}, got {type(value).__name__}")
        bits = 32 if valtype == I32 else 64
        if not -(1 << (bits - 1)) <= value < (1 << bits):
            raise ArgumentError(f"{what}: {value} is out of range for {VALTYPE_NAMES[valtype]}")
        return value & ((1 << bits) - 1)
    if valtype == F32 or valtype == F64:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ArgumentError(f"{what}: expected a float for {VALTYPE_NAMES[valtype]}, got {type(value).__name__}")
        try:
            value = float(value)
        except OverflowError:
            raise ArgumentError(f"{what}: {value} is too large for {VALTYPE_NAMES[valtype]}") from None
        return f32_round(value) if valtype == F32 else value
    if valtype == FUNCREF:
        if value is None:
            return None
        function = value if isinstance(value, Function) else getattr(value, "function", None)
        if isinstance(function, Function):
            check_owner(function, runtime, what)
            return function
        raise ArgumentError(f"{what}: expected a wasm function or None for funcref, got {type(value).__name__}")
    if valtype == EXTERNREF:
        return value
    if valtype == V128:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ArgumentError(f"{what}: expected an int for v128, got {type(value).__name__}")
        if not 0 <= value < (1 << 128):
            raise ArgumentError(f"{what}: {value} is out of range for v128")
        return value
    if ref_parts(valtype) is not None:
        return ref_to_raw(valtype, value, what, runtime)
    raise ArgumentError(f"{what}: unknown value type {valtype!r}")


def _describe_ref(value) -> str:
    if isinstance(value, gcvalues.StructRef):
        return "a struct of another type"
    if isinstance(value, gcvalues.ArrayRef):
        return "an array of another type"
    if value.__class__ is int:
        return f"i31 {value}"
    if isinstance(value, Function):
        return f"function {value.name or '(anonymous)'} of another type"
    if isinstance(value, gcvalues.InternalizedExtern):
        return f"a host value ({type(value.value).__name__})"
    return type(value).__name__


def ref_to_raw(valtype, value, what: str = "value", runtime=None):
    """Check an embedder value against reference type ``valtype`` (closed: concrete heap types are DefTypes).

    func types take a wasm function (or an exported-function wrapper), extern
    types any object. The ``any`` hierarchy takes a plain ``int`` as an i31
    (``-2**30 <= v < 2**31``; the low 31 bits are kept), structs, arrays and
    :class:`~pywaz.gcvalues.InternalizedExtern` handles as themselves, and
    internalizes any other object as ``any.convert_extern`` would (so a host
    object passed as ``anyref`` comes back out of ``extern.convert_any``
    unchanged). The result must then be in the heap type (a struct of the
    right type, an i31 for ``i31ref``, ...). None is the null of a nullable type.

    Raises:
        ArgumentError: None for a non-nullable type, a value of another kind
            or type, an i31 out of range, or a function of another runtime.
    """
    nullable, heap = ref_parts(valtype)
    if value is None:
        if nullable:
            return None
        raise ArgumentError(f"{what}: None given for the non-nullable {valtype_name(valtype)}")
    if type(heap) is int and heap >= 0:
        raise ArgumentError(f"{what}: {valtype_name(valtype)} names a type index of its module; "
                            "the boundary needs its canonical type")
    top = top_heap(heap)
    if top == HT_FUNC:
        function = value if isinstance(value, Function) else getattr(value, "function", None)
        if not isinstance(function, Function):
            raise ArgumentError(
                f"{what}: expected a wasm function or None for {valtype_name(valtype)}, got {type(value).__name__}")
        check_owner(function, runtime, what)
        value = function
    elif top == HT_ANY:
        if value.__class__ is int:
            if not -(1 << 30) <= value < (1 << 31):
                raise ArgumentError(f"{what}: {value} is out of range for an i31 (-2**30 <= v < 2**31)")
            value &= gcvalues.I31_MASK
        elif isinstance(value, Function) or _is_exported_function(value):
            raise ArgumentError(f"{what}: a function is not a {valtype_name(valtype)} (functions are funcref)")
        elif not isinstance(value, (gcvalues.StructRef, gcvalues.ArrayRef, gcvalues.InternalizedExtern)):
            value = gcvalues.any_convert_extern(value)
    elif top == HT_EXTERN:
        return value
    if not gcvalues.heap_test(heap)(value):
        raise ArgumentError(f"{what}: expected {valtype_name(valtype)}, got {_describe_ref(value)}")
    return value


def _is_exported_function(value) -> bool:
    from .exports import ExportedFunction

    return isinstance(value, ExportedFunction)


def _is_func_type(valtype) -> bool:
    parts = ref_parts(valtype)
    return parts is not None and not (type(parts[1]) is int and parts[1] >= 0) and top_heap(parts[1]) == HT_FUNC


def from_raw(valtype: int, value):
    """The embedder view of a raw value: i32/i64 signed, funcref wrapped.

    A wrapped function calls through its own runtime (deadline, call depth).
    """
    if valtype == I32:
        return value - 0x100000000 if value & 0x80000000 else value
    if valtype == I64:
        return value - 0x10000000000000000 if value & 0x8000000000000000 else value
    if value is not None and isinstance(value, Function) and (valtype == FUNCREF or _is_func_type(valtype)):
        from .exports import ExportedFunction

        return ExportedFunction(value, None, owner_runtime(value))
    return value


def parse_valtype(name):
    """A value type from a text name ("i32", "anyref", "(ref null struct)"), a code, or a reference type.

    A :class:`~pywaz.ir.RefType` is taken as it is when its heap type is abstract or a
    canonical DefType (a module's type index means nothing outside it).

    Raises:
        ValueError: not a known value type.
    """
    from ..ir import HEAP_TYPE_NAMES, I8, I16, VALTYPE_BY_NAME, RefType, ref_type

    if isinstance(name, int) and not isinstance(name, bool) and name in VALTYPE_NAMES and name not in (I8, I16):
        return name
    if isinstance(name, RefType) and not (type(name.heap) is int and name.heap >= 0):
        return name
    if isinstance(name, str):
        code = VALTYPE_BY_NAME.get(name)
        if code is not None and code not in (I8, I16):
            return code
        words = name.replace("(", " ( ").replace(")", " ) ").split()
        if len(words) in (4, 5) and words[:2] == ["(", "ref"] and words[-1] == ")":
            nullable = len(words) == 5 and words[2] == "null"
            heap_names = {text: heap for heap, text in HEAP_TYPE_NAMES.items()}
            if (len(words) == 4 or nullable) and words[-2] in heap_names:
                return ref_type(nullable, heap_names[words[-2]])
    raise ValueError(f"unknown value type {name!r} (use i32, i64, f32, f64, v128, funcref, externref, anyref, "
                     "eqref, i31ref, structref, arrayref, or (ref null? HEAP) with an abstract heap type)")


def _check_int(bits: int, name: str):
    low = -(1 << (bits - 1))
    high = 1 << bits
    mask = high - 1

    def convert(value, what="value"):
        if value.__class__ is int and low <= value < high:  # the common case, one test
            return value & mask
        return to_raw(I32 if bits == 32 else I64, value, what)

    return convert


def _check_f64(value, what="value"):
    if value.__class__ is float:
        return value
    return to_raw(F64, value, what)


def _check_f32(value, what="value"):
    if value.__class__ is float:
        return f32_round(value)
    return to_raw(F32, value, what)


_FAST_TO_RAW = {I32: _check_int(32, "i32"), I64: _check_int(64, "i64"), F32: _check_f32, F64: _check_f64}


def to_raw_converter(valtype: int, runtime=None):
    """A function ``(value, what) -> raw`` equivalent to :func:`to_raw` for ``valtype``, but faster."""
    found = _FAST_TO_RAW.get(valtype)
    if found is not None:
        return found
    return lambda value, what="value": to_raw(valtype, value, what, runtime)


def _s32(value):
    return value - 0x100000000 if value & 0x80000000 else value


def _s64(value):
    return value - 0x10000000000000000 if value & 0x8000000000000000 else value


def _identity(value):
    return value


def from_raw_converter(valtype: int):
    """A function ``raw -> value`` equivalent to :func:`from_raw` for ``valtype``."""
    if valtype == I32:
        return _s32
    if valtype == I64:
        return _s64
    if valtype == FUNCREF or _is_func_type(valtype):
        return lambda value: from_raw(valtype, value)
    return _identity
