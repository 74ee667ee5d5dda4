"""Canonical defined types: runtime type identity and subtyping (GC, spec §3.2 / §4.2 "type canonicalization").

Enters: a module's type section (``Module.types``, ``Module.sub_types``,
``Module.rec_groups``). Leaves: one canonical :class:`DefType` per type index.
Canonicalization is iso-recursive and process-wide: each rec group is
hash-consed on its structure, where a reference to a type of the same group is
its position in the group and a reference to an earlier type is that type's
canonical DefType. So equal types of different modules are the same object,
and type equality is identity.

Subtyping of defined types is declared: every DefType holds its supertype
chain, root first, itself last, so ``u <: t`` is
``len(u.chain) > t.depth and u.chain[t.depth] is t`` (constant time).
Value types are compared with :func:`is_subtype`, whose heap types are
abstract (``HT_*``), module type indexes (resolved through the module's
DefTypes) or DefTypes (closed types, as inside a DefType's structure).

:func:`types_to_data` turns a module's type section into plain lists and
ints (msgpack-able) and :func:`def_types_from_data` rebuilds the canonical
types from it without decoding or validating anything else (the disk cache).
"""

from __future__ import annotations

import threading

from .ir import (
    HT_ANY,
    HT_ARRAY,
    HT_EQ,
    HT_EXN,
    HT_EXTERN,
    HT_FUNC,
    HT_I31,
    HT_NOEXN,
    HT_NOEXTERN,
    HT_NOFUNC,
    HT_NONE,
    HT_STRUCT,
    PLAIN_SUBTYPE,
    ArrayType,
    FieldType,
    FuncType,
    RefType,
    StructType,
    SubType,
    func_type,
    ref_parts,
    ref_type,
    valtype_name,
)


class DefType:
    """A canonical defined type (one per distinct type in the process; compare with ``is``).

    ``kind`` is "func", "struct" or "array"; ``final``; ``supertype`` (a
    DefType or None); ``depth`` (0 without a supertype); ``chain`` (the
    supertypes from the root down to this type, so ``len(chain) == depth + 1``).
    Structure, with closed value types (a concrete heap type is a DefType):
    ``params``/``results`` for a function type, ``fields`` (FieldTypes) for a
    struct, ``field`` for an array. ``func_type`` is the function type as an
    interned :class:`~pywaz.ir.FuncType` of these closed types (None for
    struct and array types). ``group`` and ``index`` place it in its
    canonical rec group. ``cls`` is free for the runtime: the class the
    engines generate for this type's struct or array values (None until then).
    """

    __slots__ = ("kind", "final", "supertype", "depth", "chain", "params", "results", "fields", "field",
                 "func_type", "group", "index", "cls", "__weakref__")

    def __init__(self, kind: str, final: bool, group: tuple, index: int):
        self.kind = kind
        self.final = final
        self.supertype = None
        self.depth = 0
        self.chain: tuple = (self,)
        self.params: tuple = ()
        self.results: tuple = ()
        self.fields: tuple = ()
        self.field = None
        self.func_type = None
        self.group = group
        self.index = index
        self.cls = None  # the engines' runtime class for values of this type (pywaz.gcvalues), made on first use

    def is_subtype_of(self, other: DefType) -> bool:
        """Whether this type is declared a (reflexive, transitive) subtype of ``other``."""
        chain = self.chain
        return len(chain) > other.depth and chain[other.depth] is other

    def __repr__(self) -> str:
        return f"<DefType {self}>"

    def __str__(self) -> str:
        final = "final " if self.final else ""
        if self.kind == "func":
            body = str(self.func_type)
        elif self.kind == "struct":
            body = "(struct" + "".join(f" (field {_field_text(f)})" for f in self.fields) + ")"
        else:
            body = f"(array {_field_text(self.field)})"
        return f"{final}{self.kind}#{id(self) & 0xFFFF:04x} {body}"

    def __reduce__(self):
        # A DefType is identity: it is rebuilt from data (def_types_from_data), never pickled.
        raise TypeError("a DefType cannot be pickled; serialise the module's types with types_to_data")


def _field_text(field: FieldType) -> str:
    name = _closed_name(field.storage)
    return f"(mut {name})" if field.mutable else name


def _closed_name(valtype) -> str:
    if type(valtype) is RefType and type(valtype.heap) is DefType:
        null = "null " if valtype.nullable else ""
        return f"(ref {null}{valtype.heap.kind}#{id(valtype.heap) & 0xFFFF:04x})"
    return valtype_name(valtype)


_LOCK = threading.Lock()
_GROUPS: dict[tuple, tuple[DefType, ...]] = {}
_PLAIN_FUNCS: dict[FuncType, DefType] = {}  # singleton groups of a final func type without type references
# The same by id() of the *interned* FuncType (func_type's, which live as long as the process, so an id is
# never reused): looking a type up by id is several times cheaper than hashing its tuples.
_PLAIN_BY_ID: dict[int, DefType] = {}


def _plain_func_def(functype: FuncType) -> DefType:
    """The DefType of a final func type of its own rec group whose params/results are not concrete references."""
    found = _PLAIN_FUNCS.get(functype)
    if found is None:
        with _LOCK:
            found = _PLAIN_FUNCS.get(functype)
            if found is None:
                found = DefType("func", True, (), 0)
                found.params = functype.params
                found.results = functype.results
                found.func_type = functype
                found.group = (found,)
                _PLAIN_FUNCS[functype] = found
    if id(functype) not in _PLAIN_BY_ID and func_type(functype.params, functype.results) is functype:
        _PLAIN_BY_ID[id(functype)] = found
    return found


def plain_def_types(types) -> tuple[DefType, ...] | None:
    """The DefTypes of a type section of (interned) plain function types seen before (the common case), else None."""
    defs = tuple(map(_PLAIN_BY_ID.get, map(id, types)))
    return None if None in defs else defs


def host_func_def(functype: FuncType) -> DefType:
    """The canonical DefType of a host function's type (closed value types only).

    Raises:
        TypeError: the type names a module type index (it must be closed).
    """
    if not _is_plain(functype):
        closed = all(type(t) is int or type(t.heap) is not int or t.heap < 0 for t in functype.params + functype.results)
        if not closed:
            raise TypeError(f"a host function type must not use module type indexes: {functype}")
        return _canonical_group([(functype, PLAIN_SUBTYPE)], ())[0]
    return _plain_func_def(functype)


def _is_plain(composite) -> bool:
    if type(composite) is not FuncType:
        return False
    for t in composite.params:
        if type(t) is not int:
            return False
    for t in composite.results:
        if type(t) is not int:
            return False
    return True


class _Rec:
    """A reference to the type at ``position`` in the rec group being canonicalized (a hash-cons key part)."""

    __slots__ = ("position",)

    def __init__(self, position: int):
        self.position = position

    def __eq__(self, other):
        return type(other) is _Rec and other.position == self.position

    def __hash__(self):
        return hash(("rec", self.position))


def _key_type(valtype, start: int, end: int, defs):
    if type(valtype) is int:
        return valtype
    heap = valtype.heap
    if type(heap) is int and heap >= 0:
        if heap >= start:
            if heap >= end:
                raise IndexError(heap)
            return (valtype.nullable, _Rec(heap - start))
        return (valtype.nullable, defs[heap])
    return (valtype.nullable, heap)


def _key(composite, sub: SubType, start: int, end: int, defs) -> tuple:
    supers = tuple(_Rec(s - start) if s >= start else defs[s] for s in sub.supertypes)
    if type(composite) is FuncType:
        body = (tuple(_key_type(t, start, end, defs) for t in composite.params),
                tuple(_key_type(t, start, end, defs) for t in composite.results))
    elif type(composite) is StructType:
        body = tuple((_key_type(f.storage, start, end, defs), f.mutable) for f in composite.fields)
    else:
        body = (_key_type(composite.field.storage, start, end, defs), composite.field.mutable)
    return (composite.kind, sub.final, supers, body)


def _close(valtype, start: int, defs, group: tuple):
    if type(valtype) is int:
        return valtype
    heap = valtype.heap
    if type(heap) is int and heap >= 0:
        target = group[heap - start] if heap >= start else defs[heap]
        return ref_type(valtype.nullable, target)
    return valtype


def _canonical_group(members: list, defs: tuple, start: int = 0) -> tuple[DefType, ...]:
    """Canonical DefTypes of one rec group: ``members`` are (composite, SubType) for type indexes start.."""
    end = start + len(members)
    key = tuple(_key(composite, sub, start, end, defs) for composite, sub in members)
    found = _GROUPS.get(key)
    if found is not None:
        return found
    with _LOCK:
        found = _GROUPS.get(key)
        if found is not None:
            return found
        group: list[DefType] = []
        for position, (composite, sub) in enumerate(members):
            group.append(DefType(composite.kind, sub.final, (), position))
        frozen = tuple(group)
        for position, (composite, sub) in enumerate(members):
            deftype = group[position]
            deftype.group = frozen
            if sub.supertypes:
                index = sub.supertypes[0]
                supertype = frozen[index - start] if index >= start else defs[index]
                deftype.supertype = supertype
                deftype.depth = supertype.depth + 1
                deftype.chain = supertype.chain + (deftype,)
            if type(composite) is FuncType:
                deftype.params = tuple(_close(t, start, defs, frozen) for t in composite.params)
                deftype.results = tuple(_close(t, start, defs, frozen) for t in composite.results)
                deftype.func_type = func_type(deftype.params, deftype.results)
            elif type(composite) is StructType:
                deftype.fields = tuple(FieldType(_close(f.storage, start, defs, frozen), f.mutable)
                                       for f in composite.fields)
            else:
                field = composite.field
                deftype.field = FieldType(_close(field.storage, start, defs, frozen), field.mutable)
        _GROUPS[key] = frozen
        return frozen


def canonicalize(types: tuple, sub_types: tuple = (), rec_groups: tuple = ()) -> tuple[DefType, ...]:
    """The canonical DefType of every type index of a module's type section.

    ``types``/``sub_types``/``rec_groups`` are the :class:`~pywaz.ir.Module` fields.
    The caller (the validator) has checked that every type index used refers
    to a type defined earlier or in the same rec group, and that a supertype
    is defined earlier; this function only builds and looks up.
    """
    defs: list[DefType] = []
    if not rec_groups and not sub_types:
        for composite in types:
            if _is_plain(composite):
                defs.append(_plain_func_def(composite))
            else:
                start = len(defs)
                defs.extend(_canonical_group([(composite, PLAIN_SUBTYPE)], tuple(defs), start))
        return tuple(defs)
    subs = sub_types or (PLAIN_SUBTYPE,) * len(types)
    sizes = rec_groups or (1,) * len(types)
    start = 0
    for size in sizes:
        members = [(types[i], subs[i]) for i in range(start, start + size)]
        if size == 1 and subs[start] is PLAIN_SUBTYPE or (size == 1 and subs[start].final
                                                          and not subs[start].supertypes):
            if _is_plain(types[start]):
                defs.append(_plain_func_def(types[start]))
                start += 1
                continue
        defs.extend(_canonical_group(members, tuple(defs), start))
        start += size
    return tuple(defs)


def def_types_of(validated) -> tuple[DefType, ...]:
    """The canonical DefTypes of a validated module (rebuilt from its type section if it was made without them)."""
    def_types = validated.def_types
    if len(def_types) != len(validated.module.types):
        module = validated.module
        def_types = canonicalize(module.types, module.sub_types, module.rec_groups)
    return def_types


# -- subtyping (spec §3.3.x "Matching") ---------------------------------------------------------------------------

# The abstract heap types each abstract heap type is a subtype of.
_ABSTRACT_SUPERS = {
    HT_ANY: frozenset((HT_ANY,)),
    HT_EQ: frozenset((HT_EQ, HT_ANY)),
    HT_I31: frozenset((HT_I31, HT_EQ, HT_ANY)),
    HT_STRUCT: frozenset((HT_STRUCT, HT_EQ, HT_ANY)),
    HT_ARRAY: frozenset((HT_ARRAY, HT_EQ, HT_ANY)),
    HT_NONE: frozenset((HT_NONE, HT_I31, HT_STRUCT, HT_ARRAY, HT_EQ, HT_ANY)),
    HT_FUNC: frozenset((HT_FUNC,)),
    HT_NOFUNC: frozenset((HT_NOFUNC, HT_FUNC)),
    HT_EXTERN: frozenset((HT_EXTERN,)),
    HT_NOEXTERN: frozenset((HT_NOEXTERN, HT_EXTERN)),
    HT_EXN: frozenset((HT_EXN,)),
    HT_NOEXN: frozenset((HT_NOEXN, HT_EXN)),
}
# Pairs of nullable abstract shorthand codes (sub, sup) that match.
_CODE_PAIRS = frozenset((sub + 0x80, sup + 0x80) for sub, supers in _ABSTRACT_SUPERS.items() for sup in supers)
# The abstract supertypes of a defined type, by kind.
_KIND_SUPERS = {
    "func": frozenset((HT_FUNC,)),
    "struct": frozenset((HT_STRUCT, HT_EQ, HT_ANY)),
    "array": frozenset((HT_ARRAY, HT_EQ, HT_ANY)),
}
# The bottom heap type of each kind's hierarchy.
_KIND_BOTTOM = {"func": HT_NOFUNC, "struct": HT_NONE, "array": HT_NONE}
# The top heap type of each abstract heap type's hierarchy.
TOP_OF = {
    HT_ANY: HT_ANY, HT_EQ: HT_ANY, HT_I31: HT_ANY, HT_STRUCT: HT_ANY, HT_ARRAY: HT_ANY, HT_NONE: HT_ANY,
    HT_FUNC: HT_FUNC, HT_NOFUNC: HT_FUNC, HT_EXTERN: HT_EXTERN, HT_NOEXTERN: HT_EXTERN, HT_EXN: HT_EXN,
    HT_NOEXN: HT_EXN,
}
BOTTOM_OF = {
    HT_ANY: HT_NONE, HT_FUNC: HT_NOFUNC, HT_EXTERN: HT_NOEXTERN, HT_EXN: HT_NOEXN,
}
_KIND_TOP = {"func": HT_FUNC, "struct": HT_ANY, "array": HT_ANY}


def resolve_heap(heap, defs):
    """A heap type with a module type index replaced by its DefType."""
    if type(heap) is int and heap >= 0:
        return defs[heap]
    return heap


def heap_subtype(sub, sup) -> bool:
    """Whether heap type ``sub`` matches ``sup``; both abstract (``HT_*``) or DefTypes."""
    if sub is sup:
        return True
    if type(sub) is DefType:
        if type(sup) is DefType:
            chain = sub.chain
            return len(chain) > sup.depth and chain[sup.depth] is sup
        return sup in _KIND_SUPERS[sub.kind]
    if type(sup) is DefType:
        return sub == _KIND_BOTTOM[sup.kind]
    supers = _ABSTRACT_SUPERS.get(sub)
    return supers is not None and sup in supers


def top_heap(heap) -> int:
    """The top of the hierarchy a (resolved) heap type belongs to: HT_ANY, HT_FUNC, HT_EXTERN or HT_EXN."""
    if type(heap) is DefType:
        return _KIND_TOP[heap.kind]
    return TOP_OF[heap]


def bottom_heap(heap) -> int:
    """The bottom of the hierarchy a (resolved) heap type belongs to."""
    return BOTTOM_OF[top_heap(heap)]


def is_subtype(sub, sup, defs=()) -> bool:
    """Whether value type ``sub`` matches ``sup``; module type indexes in either are resolved through ``defs``.

    Numeric and vector types match only themselves. 0 (the validator's
    unknown type) is the bottom type and matches everything.
    """
    if sub is sup:  # value types are small ints or interned RefTypes: identity is equality
        return True
    if type(sub) is int:
        if sub == 0:
            return True
        if type(sup) is int:
            return (sub, sup) in _CODE_PAIRS
    elif type(sup) is int:  # a RefType against a nullable abstract type (or a numeric one): nullability matches
        sup_heap = sup - 0x80
        if sup_heap not in _ABSTRACT_SUPERS:
            return False
        heap = sub.heap
        if type(heap) is int and heap >= 0:
            heap = defs[heap]
        if type(heap) is DefType:
            return sup_heap in _KIND_SUPERS[heap.kind]
        supers = _ABSTRACT_SUPERS.get(heap)
        return supers is not None and sup_heap in supers
    sub_parts = ref_parts(sub)
    sup_parts = ref_parts(sup)
    if sub_parts is None or sup_parts is None:
        return False
    if sub_parts[0] and not sup_parts[0]:
        return False
    return heap_subtype(resolve_heap(sub_parts[1], defs), resolve_heap(sup_parts[1], defs))


def closed_type(valtype, defs):
    """A value type with module type indexes replaced by DefTypes (the same type in every module)."""
    if type(valtype) is int:
        return valtype
    heap = valtype.heap
    if type(heap) is int and heap >= 0:
        return ref_type(valtype.nullable, defs[heap])
    return valtype


# -- the disk-cache form ------------------------------------------------------------------------------------------


def valtype_to_data(valtype):
    """A module-relative value type as plain data: the int itself, or ``[nullable, heap]`` for a RefType."""
    if type(valtype) is int:
        return valtype
    return [bool(valtype.nullable), valtype.heap]


def valtype_from_data(data):
    """The value type :func:`valtype_to_data` made ``data`` from. Raises: ValueError, TypeError if malformed."""
    if type(data) is int:
        return data
    nullable, heap = data
    return ref_type(bool(nullable), int(heap))


_type_data = valtype_to_data
_type_from_data = valtype_from_data


def _field_data(field: FieldType) -> list:
    return [_type_data(field.storage), bool(field.mutable)]


def _field_from_data(data) -> FieldType:
    return FieldType(_type_from_data(data[0]), bool(data[1]))


def types_to_data(module) -> list:
    """A module's type section as plain data (lists, ints, bools; msgpack-able).

    ``[types, sub_types, rec_groups]``: each type is ``[0, params, results]``
    (func), ``[1, fields]`` (struct) or ``[2, field]`` (array), a value type is
    an int or ``[nullable, heap]`` and a field ``[storage, mutable]``; each sub
    type is ``[final, supertypes]``. :func:`types_from_data` inverts it.
    """
    types = []
    for composite in module.types:
        if type(composite) is FuncType:
            types.append([0, [_type_data(t) for t in composite.params], [_type_data(t) for t in composite.results]])
        elif type(composite) is StructType:
            types.append([1, [_field_data(f) for f in composite.fields]])
        else:
            types.append([2, _field_data(composite.field)])
    subs = [[bool(s.final), list(s.supertypes)] for s in module.sub_types]
    return [types, subs, list(module.rec_groups)]


def types_from_data(data) -> tuple[tuple, tuple, tuple]:
    """``(types, sub_types, rec_groups)`` (the Module fields) back from :func:`types_to_data`'s output.

    Raises:
        ValueError: the data is not in that form.
    """
    try:
        type_data, sub_data, group_data = data
        types = []
        for entry in type_data:
            tag = entry[0]
            if tag == 0:
                types.append(func_type([_type_from_data(t) for t in entry[1]], [_type_from_data(t) for t in entry[2]]))
            elif tag == 1:
                types.append(StructType(tuple(_field_from_data(f) for f in entry[1])))
            elif tag == 2:
                types.append(ArrayType(_field_from_data(entry[1])))
            else:
                raise ValueError(f"unknown composite type tag {tag!r}")
        subs = tuple(PLAIN_SUBTYPE if final and not supers else SubType(bool(final), tuple(int(s) for s in supers))
                     for final, supers in sub_data)
        groups = tuple(int(size) for size in group_data)
    except (TypeError, ValueError, IndexError, KeyError) as error:
        raise ValueError(f"malformed type data: {error}") from None
    if (subs and len(subs) != len(types)) or (groups and sum(groups) != len(types)):
        raise ValueError("malformed type data: counts do not match")
    return tuple(types), subs, groups


def def_types_from_data(data) -> tuple[DefType, ...]:
    """The canonical DefTypes of a module from :func:`types_to_data`'s output, without validation.

    Raises:
        ValueError: the data is malformed (as far as building needs to know).
    """
    types, subs, groups = types_from_data(data)
    try:
        return canonicalize(types, subs, groups)
    except (IndexError, TypeError, AttributeError) as error:
        raise ValueError(f"malformed type data: {error}") from None


__all__ = [
    "DefType", "canonicalize", "def_types_of", "plain_def_types", "host_func_def", "heap_subtype", "is_subtype", "resolve_heap", "closed_type",
    "top_heap", "bottom_heap", "types_to_data", "types_from_data", "valtype_to_data", "valtype_from_data", "def_types_from_data", "TOP_OF", "BOTTOM_OF",
]
