"""How the harness sees a raw reference value: its kind, so that spec results match by category.

Input: a raw reference value as an engine returns it. Output: a
:class:`RefKind` plus, for the two conversion wrappers, the value inside.
The 3.0 testsuite (``v3-json/README.md``) expects reference results by
category rather than by identity -- ``(ref.func)``, ``(ref.extern)``,
``(ref.any)``, ``(ref.eq)``, ``(ref.struct)``, ``(ref.array)``,
``(ref.i31)`` mean "any non-null reference of that kind"; ``(ref.null)``
in any spelling means a null of any type (the reference interpreter's rule,
execution §4.2.1: nulls of one hierarchy are indistinguishable) -- and host
references by number: ``ref.extern N`` and ``ref.host N`` are one host
value N seen as extern and as any (``extern.wast``).

**The contract for raw reference values** (what engines must return so that
results compare correctly):

* ``None`` is a null of any type;
* a :class:`pywaz.vm.objects.Function` is a function reference;
* an object that is not wasm's (such as the harness's ``HostRef``, or
  anything an embedder passes in) is a host reference;
* any other wasm object says what it is with a ``wasm_ref_kind`` class
  attribute holding one of the :class:`RefKind` values ("i31", "struct",
  "array", "exn"), or its type is registered here with
  :func:`register_ref_kind` (for representations that are built-in Python
  types, such as an ``int`` for i31 or a ``list`` for an array);
* the results of ``any.convert_extern`` on a host value and of
  ``extern.convert_any`` on an internal value, when an engine wraps them,
  have kind "any" / "extern" and hold the converted value in
  ``wasm_ref_inner``. Matching looks through wrappers: host value 1
  converted to any still matches ``ref.host 1``.

pywaz's own values (:mod:`pywaz.gcvalues`) declare their kinds: structs,
arrays and the two conversion wrappers by ``wasm_ref_kind``; an i31 is a
plain ``int``, registered below (the harness's host values are
:class:`~pywaz.spectest.values.HostRef` objects, never ints).
"""

from __future__ import annotations

import enum

from ..vm.objects import Function


class RefKind(enum.Enum):
    """What a raw reference value is; the value is the spelling of ``wasm_ref_kind``."""

    NULL = "null"
    FUNC = "func"
    HOST = "host"
    I31 = "i31"
    STRUCT = "struct"
    ARRAY = "array"
    EXN = "exn"
    ANY = "any"  # a host value seen as any (any.convert_extern), wrapped
    EXTERN = "extern"  # an internal value seen as extern (extern.convert_any), wrapped


_DECLARABLE = {kind.value: kind for kind in RefKind if kind not in (RefKind.NULL, RefKind.FUNC, RefKind.HOST)}
_registered: dict[type, RefKind] = {}

# The kinds inside the "any" hierarchy that ref.eq compares (GC §3.3.2: eq covers i31, structs and arrays).
EQ_KINDS = frozenset({RefKind.I31, RefKind.STRUCT, RefKind.ARRAY})
# Non-null kinds an anyref result may have: eq values, host values converted by any.convert_extern.
ANY_KINDS = EQ_KINDS | {RefKind.ANY, RefKind.HOST}


def register_ref_kind(python_type: type, kind: RefKind | str) -> None:
    """Declare that raw values of ``python_type`` (exactly, not subclasses) are references of ``kind``.

    Raises:
        ValueError: ``kind`` is null, func or host (those are fixed by the contract above) or unknown.
    """
    found = _DECLARABLE.get(kind.value if isinstance(kind, RefKind) else kind)
    if found is None:
        raise ValueError(f"cannot register {python_type.__name__} as reference kind {kind!r}")
    _registered[python_type] = found


def ref_kind(value) -> RefKind:
    """The :class:`RefKind` of one raw reference value (see the module docstring)."""
    if value is None:
        return RefKind.NULL
    if isinstance(value, Function):
        return RefKind.FUNC
    value_type = type(value)
    kind = _registered.get(value_type)
    if kind is not None:
        return kind
    declared = getattr(value_type, "wasm_ref_kind", None)
    if isinstance(declared, str):
        kind = _DECLARABLE.get(declared)
        if kind is not None:
            return kind
    return RefKind.HOST


def unwrap(value):
    """``value`` with any/extern conversion wrappers removed (a bounded walk: wrappers never nest deeply)."""
    for _ in range(8):
        if ref_kind(value) not in (RefKind.ANY, RefKind.EXTERN):
            return value
        value = getattr(value, "wasm_ref_inner", None)
    return value


def describe_ref(value) -> str:
    """A short rendering for failure messages ("ref.null", "ref.struct <...>")."""
    kind = ref_kind(value)
    if kind is RefKind.NULL:
        return "ref.null"
    if kind is RefKind.HOST:
        return f"host value {value!r}"
    if kind in (RefKind.ANY, RefKind.EXTERN):
        inner = unwrap(value)
        shown = repr(inner) if ref_kind(inner) in (RefKind.ANY, RefKind.EXTERN) else describe_ref(inner)
        return f"ref.{kind.value} of ({shown})"
    return f"ref.{kind.value} {value!r}"


register_ref_kind(int, RefKind.I31)  # pywaz.gcvalues: an i31 is its unsigned 31-bit payload, a plain int
