"""Type section validation and canonicalization (spec §3.2 types, §3.4.1 rec groups and sub types).

Enters: a decoded :class:`~pywaz.ir.Module`'s ``types``, ``sub_types`` and
``rec_groups``. Leaves: the canonical :class:`~pywaz.deftypes.DefType` of
every type index, or a :class:`~pywaz.errors.ValidationError`. A type may only
refer to types defined before its rec group ends; a supertype must be defined
before the type, must not be final, must be of the same kind, and the
subtype's structure must match it (function parameters contravariant, results
covariant; struct fields a prefix-extended list of matching fields; a mutable
field's type must be equal, an immutable one's a subtype).

Also the checks of value types elsewhere in a module (a concrete heap type
must name an existing type) live here.
"""

from __future__ import annotations

from ..deftypes import DefType, canonicalize, heap_subtype, is_subtype, plain_def_types
from ..errors import ValidationError
from ..ir import FieldType, FuncType, StructType, valtype_name


MAX_SUBTYPING_DEPTH = 63
"""Implementation limit on the length of a supertype chain (the JS API's and the engines' limit)."""


def _type_refs(composite):
    """Every value type a composite type mentions."""
    if type(composite) is FuncType:
        yield from composite.params
        yield from composite.results
    elif type(composite) is StructType:
        for field in composite.fields:
            yield field.storage
    else:
        yield composite.field.storage


def check_valtype(valtype, type_count: int, offset: int | None, func_index: int | None = None) -> None:
    """A value type is valid: a concrete heap type names one of the module's ``type_count`` types.

    Raises:
        ValidationError: "unknown type N".
    """
    if type(valtype) is not int:
        heap = valtype.heap
        if type(heap) is int and heap >= type_count:
            raise ValidationError(f"unknown type {heap}", offset, func_index)


def validate_types(module) -> tuple[DefType, ...]:
    """Validate the type section and return the canonical DefType of each type index.

    Raises:
        ValidationError: an unknown type index, a bad supertype, a sub type that does not match its supertype.
    """
    types = module.types
    plain = not module.rec_groups and not module.sub_types
    if plain:
        known = plain_def_types(types)  # plain function types met before: nothing to check
        if known is not None:
            return known
    offset = next((offset for section_id, offset, _size in module.section_sizes if section_id == 1), None)
    if plain:
        # Every type is a rec group of its own: it may refer to itself and to earlier types.
        for index, composite in enumerate(types):
            for valtype in _type_refs(composite):
                if type(valtype) is not int:
                    check_valtype(valtype, index + 1, offset)
        return canonicalize(types)
    subs = module.sub_types
    start = 0
    for size in module.rec_groups:
        end = start + size
        for index in range(start, end):
            for valtype in _type_refs(types[index]):
                check_valtype(valtype, end, offset)
            supertypes = subs[index].supertypes
            if len(supertypes) > 1:
                raise ValidationError(f"type {index} has {len(supertypes)} supertypes; at most one is allowed", offset)
            for supertype in supertypes:
                if supertype >= index:
                    raise ValidationError(f"unknown type {supertype} (a supertype must be defined before type {index})",
                                          offset)
        start = end
    if start != len(types):
        raise ValidationError("rec groups do not cover the type section", offset)
    # Each canonical type holds its whole supertype chain, so the depth is bounded (as in the JS API and
    # the engines: 63); a declared supertype always comes first, so one pass finds every depth.
    depths = [0] * len(types)
    for index, sub in enumerate(subs):
        if sub.supertypes:
            depth = depths[index] = depths[sub.supertypes[0]] + 1
            if depth > MAX_SUBTYPING_DEPTH:
                raise ValidationError(f"subtyping depth of type {index} exceeds the implementation limit of "
                                      f"{MAX_SUBTYPING_DEPTH}", offset)
    def_types = canonicalize(types, subs, module.rec_groups)
    for index, deftype in enumerate(def_types):
        supertype = deftype.supertype
        if supertype is not None and not _matches_supertype(deftype, supertype):
            raise ValidationError(f"sub type {index} does not match its supertype {subs[index].supertypes[0]}", offset)
    return def_types


def _matches_supertype(sub: DefType, sup: DefType) -> bool:
    """The declared supertype is not final and ``sub``'s structure matches it (closed types)."""
    if sup.final or sub.kind != sup.kind:
        return False
    if sub.kind == "func":
        if len(sub.params) != len(sup.params) or len(sub.results) != len(sup.results):
            return False
        return all(is_subtype(b, a) for a, b in zip(sub.params, sup.params)) and all(
            is_subtype(a, b) for a, b in zip(sub.results, sup.results))
    if sub.kind == "struct":
        if len(sub.fields) < len(sup.fields):
            return False
        return all(field_matches(a, b) for a, b in zip(sub.fields, sup.fields))
    return field_matches(sub.field, sup.field)


def field_matches(sub: FieldType, sup: FieldType) -> bool:
    """Field subtyping: same mutability; a mutable field's storage type equal, an immutable one's a subtype."""
    if sub.mutable != sup.mutable:
        return False
    if sub.mutable:
        return storage_equal(sub.storage, sup.storage)
    return sub.storage == sup.storage or is_subtype(sub.storage, sup.storage)


def storage_equal(a, b) -> bool:
    """Equality of closed storage types (subtypes of each other)."""
    return a == b or (is_subtype(a, b) and is_subtype(b, a))


def type_text(valtype) -> str:
    return valtype_name(valtype)


__all__ = ["validate_types", "check_valtype", "field_matches", "storage_equal", "heap_subtype"]
