"""GC and typed-reference instructions in the interpreter (GC proposal; execution §4.4.6-§4.4.7 of 3.0).

Enters one instruction of the 0xFB family, or ``ref.eq`` / ``ref.as_non_null``
/ the ``br_on_*`` branches, with its immediate and the module's canonical
types; leaves the ``(code, arg)`` program entry the dispatch loop in
:mod:`.machine` runs. Everything the instruction needs is resolved here, once
per function: the struct or array class of a type index, its field masks and
defaults, and cast predicates (constant time, :func:`pywaz.gcvalues.ref_test`).
Values are :mod:`pywaz.gcvalues`' (shared with the compiler). Pure value
operations become ``UNOP``/``BINOP`` entries (so they fuse like arithmetic);
allocation and mutation run out of line as ``MISC`` helpers
``fn(instance, stack, imm)``; the four conditional branches get their own
codes (:data:`BR_ON_NULL`, :data:`BR_ON_NON_NULL`, :data:`BR_ON_CAST`), whose
argument ends with the label the lowering resolves.

Traps, with the reference interpreter's texts and check order: a null
operand first ("null structure reference", "null array reference", "null i31
reference", "null reference"), then the array range ("out of bounds array
access"), then the data or element segment range ("out of bounds memory
access" / "out of bounds table access"). An array longer than
:data:`MAX_ARRAY_LENGTH` elements, or one the host has no memory for, traps
"allocation too large" instead of exhausting the host.
"""

from __future__ import annotations

from operator import attrgetter

from .. import gcvalues as gv
from ..deftypes import resolve_heap
from ..errors import Trap, TrapKind
from ..ir import ref_parts

CALL_REF = 64
RETURN_CALL_REF = 65
BR_ON_NULL = 66  # (label): pop a null and branch, else keep the reference
BR_ON_NON_NULL = 67  # (label): branch with a non-null reference, else drop the null
BR_ON_CAST = 68  # (test, branch_if, label): branch with the reference when test(ref) == branch_if

MAX_ARRAY_LENGTH = gv.MAX_ARRAY_LENGTH

_NULL_STRUCT = TrapKind.NULL_STRUCT_REFERENCE
_NULL_ARRAY = TrapKind.NULL_ARRAY_REFERENCE
_OOB_ARRAY = TrapKind.OUT_OF_BOUNDS_ARRAY


def _trap(kind):
    raise Trap(kind)


# -- references ------------------------------------------------------------------------------------------------


def ref_eq(a, b) -> int:
    # i31 values are ints, compared by value; structs and arrays (and null) by identity.
    return 1 if a is b or (a.__class__ is int and a == b) else 0


def ref_as_non_null(value):
    if value is None:
        raise Trap(TrapKind.NULL_REFERENCE)
    return value


def i31_get_s(value):
    if value is None:
        raise Trap(TrapKind.NULL_I31_REFERENCE)
    return gv.i31_get_s(value)


def i31_get_u(value):
    if value is None:
        raise Trap(TrapKind.NULL_I31_REFERENCE)
    return value


def _target_test(target, types):
    """The predicate of a ``ref.test``/``ref.cast`` target reference type (module-relative)."""
    nullable, heap = ref_parts(target)
    return gv.ref_test(nullable, resolve_heap(heap, types))


def _lower_test(target, types):
    test = _target_test(target, types)

    def ref_test(value) -> int:
        return 1 if test(value) else 0

    return ref_test


def _lower_cast(target, types):
    test = _target_test(target, types)

    def ref_cast(value):
        if test(value):
            return value
        raise Trap(TrapKind.CAST_FAILURE)

    return ref_cast


# -- structs ---------------------------------------------------------------------------------------------------


def _struct_parts(type_index, types):
    deftype = types[type_index]
    fields = deftype.fields
    return gv.struct_class(deftype, len(fields)), fields


def struct_new(instance, stack, imm):
    cls, n, masks = imm
    if n == 0:
        stack.append(cls())
        return
    values = stack[-n:]
    del stack[-n:]
    if masks is not None:
        values = [v if m is None else v & m for v, m in zip(values, masks)]
    stack.append(cls.new(*values))


def struct_new_default(instance, stack, imm):
    cls, defaults = imm
    stack.append(cls.new(*defaults))


def _lower_struct_get(imm, types, signed: bool):
    type_index, field_index = imm
    _, fields = _struct_parts(type_index, types)
    getter = attrgetter(f"f{field_index}")
    storage = fields[field_index].storage
    if signed:

        def struct_get_s(ref):
            if ref is None:
                raise Trap(_NULL_STRUCT)
            return gv.extend_signed(storage, getter(ref))

        return struct_get_s

    def struct_get(ref):
        try:
            return getter(ref)
        except AttributeError:  # only None lacks the field: validation typed the operand
            raise Trap(_NULL_STRUCT) from None

    return struct_get


def struct_set(instance, stack, imm):
    name, mask = imm
    value = stack.pop()
    ref = stack.pop()
    if ref is None:
        raise Trap(_NULL_STRUCT)
    setattr(ref, name, value if mask is None else value & mask)


# -- arrays ----------------------------------------------------------------------------------------------------


def _array_parts(type_index, types):
    deftype = types[type_index]
    return gv.array_class(deftype), deftype.field.storage


def array_new(instance, stack, imm):
    cls, mask = imm
    n = stack.pop()
    value = stack[-1]
    stack[-1] = gv.array_new(cls, value if mask is None else value & mask, n)


def array_new_default(instance, stack, imm):
    cls, default = imm
    stack[-1] = gv.array_new(cls, default, stack[-1])


def array_new_fixed(instance, stack, imm):
    cls, n, mask = imm
    if n == 0:
        stack.append(cls())
        return
    values = stack[-n:]
    del stack[-n:]
    if mask is not None:
        values = [v & mask for v in values]
    stack.append(cls(values))


def array_new_data(instance, stack, imm):
    cls, storage, data_index = imm
    n = stack.pop()
    stack[-1] = gv.array_new_data(instance, cls, storage, data_index, stack[-1], n)


def array_new_elem(instance, stack, imm):
    cls, elem_index = imm
    n = stack.pop()
    stack[-1] = gv.array_new_elem(instance, cls, elem_index, stack[-1], n)


def array_get(ref, index):
    if ref is None:
        raise Trap(_NULL_ARRAY)
    if index >= len(ref):
        raise Trap(_OOB_ARRAY)
    return ref[index]


def _lower_array_get_s(storage):
    def array_get_s(ref, index):
        if ref is None:
            raise Trap(_NULL_ARRAY)
        if index >= len(ref):
            raise Trap(_OOB_ARRAY)
        return gv.extend_signed(storage, ref[index])

    return array_get_s


def array_set(instance, stack, imm):
    value = stack.pop()
    index = stack.pop()
    ref = stack.pop()
    if ref is None:
        raise Trap(_NULL_ARRAY)
    if index >= len(ref):
        raise Trap(_OOB_ARRAY)
    ref[index] = value if imm is None else value & imm


def array_len(ref):
    if ref is None:
        raise Trap(_NULL_ARRAY)
    return len(ref)


def array_fill(instance, stack, imm):
    n = stack.pop()
    value = stack.pop()
    offset = stack.pop()
    gv.array_fill(stack.pop(), offset, value if imm is None else value & imm, n)


def array_copy(instance, stack, imm):
    n = stack.pop()
    src_offset = stack.pop()
    src = stack.pop()
    dst_offset = stack.pop()
    gv.array_copy(stack.pop(), dst_offset, src, src_offset, n)


def array_init_data(instance, stack, imm):
    storage, data_index = imm
    n = stack.pop()
    src_offset = stack.pop()
    dst_offset = stack.pop()
    gv.array_init_data(instance, storage, data_index, stack.pop(), dst_offset, src_offset, n)


def array_init_elem(instance, stack, imm):
    n = stack.pop()
    src_offset = stack.pop()
    dst_offset = stack.pop()
    gv.array_init_elem(instance, imm, stack.pop(), dst_offset, src_offset, n)


def lower(op: int, imm, types, unop: int, binop: int, misc: int):
    """The program entry ``(code, arg)`` of a non-branching GC instruction, or None if it is not one.

    ``types`` are the module's canonical defined types; ``unop``/``binop``/``misc``
    the loop's codes for a unary function, a binary function and an out-of-line helper.
    """
    if op == 0xD3:
        return (binop, ref_eq)
    if op == 0xD4:
        return (unop, ref_as_non_null)
    sub = op - 0xFB00
    if not 0 <= sub <= 0x1E:
        return None
    if sub == 0x00:  # struct.new
        cls, fields = _struct_parts(imm, types)
        masks = tuple(gv.storage_mask(f.storage) for f in fields)
        return (misc, (struct_new, (cls, len(fields), masks if any(m is not None for m in masks) else None)))
    if sub == 0x01:  # struct.new_default
        cls, fields = _struct_parts(imm, types)
        return (misc, (struct_new_default, (cls, tuple(gv.storage_default(f.storage) for f in fields))))
    if sub in (0x02, 0x03, 0x04):  # struct.get, struct.get_s, struct.get_u
        return (unop, _lower_struct_get(imm, types, sub == 0x03))
    if sub == 0x05:  # struct.set
        type_index, field_index = imm
        _, fields = _struct_parts(type_index, types)
        return (misc, (struct_set, (f"f{field_index}", gv.storage_mask(fields[field_index].storage))))
    if sub == 0x06:  # array.new
        cls, storage = _array_parts(imm, types)
        return (misc, (array_new, (cls, gv.storage_mask(storage))))
    if sub == 0x07:  # array.new_default
        cls, storage = _array_parts(imm, types)
        return (misc, (array_new_default, (cls, gv.storage_default(storage))))
    if sub == 0x08:  # array.new_fixed
        type_index, count = imm
        cls, storage = _array_parts(type_index, types)
        return (misc, (array_new_fixed, (cls, count, gv.storage_mask(storage))))
    if sub == 0x09:  # array.new_data
        type_index, data_index = imm
        cls, storage = _array_parts(type_index, types)
        return (misc, (array_new_data, (cls, storage, data_index)))
    if sub == 0x0A:  # array.new_elem
        type_index, elem_index = imm
        cls, _ = _array_parts(type_index, types)
        return (misc, (array_new_elem, (cls, elem_index)))
    if sub == 0x0B or sub == 0x0D:  # array.get, array.get_u (packed elements are stored unsigned)
        return (binop, array_get)
    if sub == 0x0C:  # array.get_s
        return (binop, _lower_array_get_s(_array_parts(imm, types)[1]))
    if sub == 0x0E:  # array.set
        return (misc, (array_set, gv.storage_mask(_array_parts(imm, types)[1])))
    if sub == 0x0F:
        return (unop, array_len)
    if sub == 0x10:  # array.fill
        return (misc, (array_fill, gv.storage_mask(_array_parts(imm, types)[1])))
    if sub == 0x11:  # array.copy
        return (misc, (array_copy, None))
    if sub == 0x12:  # array.init_data
        type_index, data_index = imm
        return (misc, (array_init_data, (_array_parts(type_index, types)[1], data_index)))
    if sub == 0x13:  # array.init_elem
        return (misc, (array_init_elem, imm[1]))
    if sub == 0x14 or sub == 0x15:  # ref.test, ref.test null (the immediate is the full target type)
        return (unop, _lower_test(imm, types))
    if sub == 0x16 or sub == 0x17:  # ref.cast, ref.cast null
        return (unop, _lower_cast(imm, types))
    if sub == 0x1A:
        return (unop, gv.any_convert_extern)
    if sub == 0x1B:
        return (unop, gv.extern_convert_any)
    if sub == 0x1C:
        return (unop, gv.ref_i31)
    if sub == 0x1D:
        return (unop, i31_get_s)
    if sub == 0x1E:
        return (unop, i31_get_u)
    return None


BRANCHES = frozenset((0xD5, 0xD6, 0xFB18, 0xFB19))
"""The conditional branches lowered by :func:`lower_branch`."""


def lower_branch(op: int, imm, label, types):
    """The program entry of ``br_on_null``, ``br_on_non_null``, ``br_on_cast`` or ``br_on_cast_fail``.

    ``label`` is the target's label (resolved to ``(target, height, arity)`` with the other branches).
    """
    if op == 0xD5:
        return (BR_ON_NULL, (label,))
    if op == 0xD6:
        return (BR_ON_NON_NULL, (label,))
    _, _, target = imm
    return (BR_ON_CAST, (_target_test(target, types), op == 0xFB18, label))


__all__ = ["BRANCHES", "BR_ON_CAST", "BR_ON_NON_NULL", "BR_ON_NULL", "CALL_REF", "MAX_ARRAY_LENGTH",
           "RETURN_CALL_REF", "lower", "lower_branch"]
