"""Marker types for host-function annotations: ``pywaz.i32``, ``i64``, ``f32``, ``f64``, ``v128``,
``funcref``, ``externref``, and the GC reference types ``anyref``, ``eqref``, ``i31ref``, ``structref``,
``arrayref`` (all nullable; see the embedding guide, pywaz/vm/README.md, for their values).

The scheme is deliberately explicit: a host function's wasm signature is read
from annotations only when each one *is* one of these markers (or its name as
a string, e.g. ``"i32"``, which is what ``from __future__ import annotations``
leaves). Plain ``int`` and ``float`` are refused, because ``int`` could be i32
or i64 and ``float`` f32 or f64. The return annotation is a marker, a
``tuple[...]`` of markers for several results, or ``None`` (also when absent)
for none. The markers are never instantiated: values arrive as plain ints,
floats and objects. ``i32``/``i64``/``v128`` subclass ``int`` and
``f32``/``f64`` subclass ``float`` only so that type checkers accept
arithmetic on annotated parameters.
"""

from __future__ import annotations

from ..ir import ANYREF, ARRAYREF, EQREF, EXTERNREF, F32, F64, FUNCREF, I31REF, I32, I64, STRUCTREF, V128


class i32(int):
    """Annotation marker for a wasm i32 (values are plain signed ints)."""

    __wasm_valtype__ = I32


class i64(int):
    """Annotation marker for a wasm i64 (values are plain signed ints)."""

    __wasm_valtype__ = I64


class f32(float):
    """Annotation marker for a wasm f32 (values are plain floats)."""

    __wasm_valtype__ = F32


class f64(float):
    """Annotation marker for a wasm f64 (values are plain floats)."""

    __wasm_valtype__ = F64


class v128(int):
    """Annotation marker for a wasm v128 (values are unsigned 128-bit ints)."""

    __wasm_valtype__ = V128


class funcref:
    """Annotation marker for a wasm funcref (an exported function or None)."""

    __wasm_valtype__ = FUNCREF


class externref:
    """Annotation marker for a wasm externref (any Python object; None is null)."""

    __wasm_valtype__ = EXTERNREF


class anyref:
    """Annotation marker for a wasm anyref: None, an i31 (int), a struct, an array or an internalized host value."""

    __wasm_valtype__ = ANYREF


class eqref:
    """Annotation marker for a wasm eqref: None, an i31 (int), a struct or an array."""

    __wasm_valtype__ = EQREF


class i31ref:
    """Annotation marker for a wasm i31ref: None or an int (its unsigned 31-bit payload)."""

    __wasm_valtype__ = I31REF


class structref:
    """Annotation marker for a wasm structref: None or a struct (pywaz.gcvalues.StructRef)."""

    __wasm_valtype__ = STRUCTREF


class arrayref:
    """Annotation marker for a wasm arrayref: None or an array (pywaz.gcvalues.ArrayRef)."""

    __wasm_valtype__ = ARRAYREF


MARKERS = (i32, i64, f32, f64, v128, funcref, externref, anyref, eqref, i31ref, structref, arrayref)

__all__ = ["MARKERS", "anyref", "arrayref", "eqref", "externref", "f32", "f64", "funcref", "i31ref", "i32", "i64",
           "structref", "v128"]
