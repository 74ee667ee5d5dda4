"""Typing of the typed-function-reference and GC instructions (spec §3.3.2 reference, §3.3.5 aggregate, §3.3.8 control).

Enters: one instruction (opcode, kind from :mod:`._tables`, immediate), the
function validator's operand stack, control frames and module context.
Leaves: the stack updated as the instruction's type says, or an
:class:`_Invalid`. Value types on the stack are the module-relative ones of
:mod:`pywaz.ir` (a concrete heap type is a type index); 0 is the unknown
(bottom) type of unreachable code. Subtyping goes through the module's
canonical types (:mod:`pywaz.deftypes`).
"""

from __future__ import annotations

from ..deftypes import is_subtype, resolve_heap, top_heap
from ..ir import (
    HT_ANY,
    HT_EXTERN,
    HT_I31,
    I8,
    I16,
    I32,
    ArrayType,
    ref_parts,
    ref_type,
    valtype_name,
)
from ._tables import (
    _F_LABEL,
    K_BR_ON_NON_NULL,
    K_BR_ON_NULL,
    K_CALL_REF,
    K_REF_AS_NON_NULL,
    K_RETURN_CALL_REF,
    UNKNOWN,
)


class _Invalid(Exception):
    """Raised inside the validator loop; converted to ValidationError with the offset of the current pc."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


_ANYREF = ref_type(True, HT_ANY)
_EXTERNREF = ref_type(True, HT_EXTERN)
_I31_NON_NULL = ref_type(False, HT_I31)
_PACKED = (I8, I16)


def _names(types) -> str:
    return "[" + " ".join("_" if t == UNKNOWN else valtype_name(t) for t in types) + "]"


def _pop(stack: list, height: int, unreachable: bool, context, expected: list) -> list:
    """Pop ``expected`` (top last), each operand matching its type by subtyping; return what was popped."""
    count = len(expected)
    popped = [UNKNOWN] * count
    defs = context.def_types
    for i in range(count - 1, -1, -1):
        want = expected[i]
        if len(stack) == height:
            if unreachable:
                continue
            raise _Invalid(f"type mismatch: instruction requires {_names(expected)} but stack has "
                           f"{_names(stack[height:] + popped[i + 1:])}")
        got = stack.pop()
        if got != want and got != UNKNOWN and not is_subtype(got, want, defs):
            raise _Invalid(f"type mismatch: instruction requires {_names(expected)} but stack has "
                           f"{_names(stack[height:] + [got] + popped[i + 1:])}")
        popped[i] = got
    return popped


def _pop_ref(stack: list, height: int, unreachable: bool):
    """Pop any reference; UNKNOWN from the polymorphic stack."""
    if len(stack) > height:
        got = stack.pop()
        if got != UNKNOWN and ref_parts(got) is None:
            raise _Invalid(f"type mismatch: instruction requires a reference but stack has {_names([got])}")
        return got
    if unreachable:
        return UNKNOWN
    raise _Invalid("type mismatch: instruction requires a reference but stack has []")


def _label(ctrls: list, depth: int) -> list:
    if depth >= len(ctrls):
        raise _Invalid(f"unknown label {depth}")
    return ctrls[-1 - depth][_F_LABEL]


def _composite(context, type_index: int, kind: str):
    if type_index >= len(context.types):
        raise _Invalid(f"unknown type {type_index}")
    composite = context.types[type_index]
    if composite.kind != kind:
        raise _Invalid(f"type mismatch: type {type_index} is a {composite.kind} type, not a {kind} type")
    return composite


def _unpacked(storage):
    return I32 if storage in _PACKED else storage


def _field(context, type_index: int, field_index: int):
    struct = _composite(context, type_index, "struct")
    if field_index >= len(struct.fields):
        raise _Invalid(f"unknown field {field_index} of type {type_index}")
    return struct.fields[field_index]


def _check_get(op_sub: int, storage) -> None:
    """struct.get / array.get read unpacked fields; the _s / _u forms (sub-opcodes odd/even after) packed ones."""
    packed = storage in _PACKED
    if packed and op_sub == 0:
        raise _Invalid("type mismatch: a packed field needs get_s or get_u")
    if not packed and op_sub != 0:
        raise _Invalid("type mismatch: get_s / get_u need a packed field")


def _numeric_array(context, type_index: int):
    array = _composite(context, type_index, "array")
    storage = array.field.storage
    if type(storage) is not int or ref_parts(storage) is not None:
        raise _Invalid(f"array type is not numeric or vector: array type {type_index} holds references")
    return array


def _check_data(context, data_index: int) -> None:
    if data_index >= context.data_count:
        raise _Invalid(f"unknown data segment {data_index}")


def _elem_array(context, type_index: int, elem_index: int):
    array = _composite(context, type_index, "array")
    if elem_index >= len(context.elem_types):
        raise _Invalid(f"unknown elem segment {elem_index}")
    if not is_subtype(context.elem_types[elem_index], array.field.storage, context.def_types):
        raise _Invalid(f"type mismatch: elem segment {elem_index} does not match array type {type_index}")
    return array


def _mutable(array_or_field, what: str):
    """The (mutable) field of an array type or struct field. Raises: _Invalid "immutable array/field"."""
    is_array = type(array_or_field) is ArrayType
    field = array_or_field.field if is_array else array_or_field
    if not field.mutable:
        raise _Invalid(f"immutable {'array' if is_array else 'field'}: {what} is immutable")
    return field


def _top_ref(rt, context):
    """``(ref null top)`` of the hierarchy reference type ``rt`` belongs to."""
    _, heap = ref_parts(rt)
    return ref_type(True, top_heap(resolve_heap(heap, context.def_types)))


def _diff(rt1, rt2):
    """rt1 minus rt2 (spec "type difference"): non-null if rt2 catches the null."""
    nullable1, heap1 = ref_parts(rt1)
    nullable2, _ = ref_parts(rt2)
    return ref_type(nullable1 and not nullable2, heap1)


def _non_null(valtype):
    if valtype == UNKNOWN:
        return UNKNOWN
    _, heap = ref_parts(valtype)
    return ref_type(False, heap)


def _call_ref(stack, height, unreachable, context, type_index) -> list:
    functype = _composite(context, type_index, "func")
    _pop(stack, height, unreachable, context, [ref_type(True, type_index)])
    _pop(stack, height, unreachable, context, list(functype.params))
    return list(functype.results)


def typed_reference(op: int, kind: int, imm, stack: list, height: int, unreachable: bool, ctrls: list, context,
                    results: list) -> bool:
    """Type one typed-reference or GC instruction on ``stack``. Returns True when it ends reachable code.

    Raises:
        _Invalid: the instruction is not well typed here.
    """
    if kind == K_CALL_REF or kind == K_RETURN_CALL_REF:
        callee_results = _call_ref(stack, height, unreachable, context, imm)
        if kind == K_CALL_REF:
            stack += callee_results
            return False
        if len(callee_results) != len(results) or not all(
                is_subtype(a, b, context.def_types) for a, b in zip(callee_results, results)):
            raise _Invalid(f"type mismatch: return_call_ref returns {_names(callee_results)} "
                           f"but the function returns {_names(results)}")
        return True
    if kind == K_REF_AS_NON_NULL:
        stack.append(_non_null(_pop_ref(stack, height, unreachable)))
        return False
    if kind == K_BR_ON_NULL:
        label = _label(ctrls, imm)
        operand = _pop_ref(stack, height, unreachable)
        head = list(label)
        _pop(stack, height, unreachable, context, head)
        stack += head
        stack.append(_non_null(operand))
        return False
    if kind == K_BR_ON_NON_NULL:
        label = _label(ctrls, imm)
        if not label or ref_parts(label[-1]) is None:
            raise _Invalid(f"type mismatch: br_on_non_null's label {imm} must take a reference last, "
                           f"it takes {_names(label)}")
        operand = _pop_ref(stack, height, unreachable)
        if operand != UNKNOWN and not is_subtype(_non_null(operand), label[-1], context.def_types):
            raise _Invalid(f"type mismatch: br_on_non_null passes {_names([_non_null(operand)])} "
                           f"to a label taking {_names(label[-1:])}")
        head = list(label[:-1])
        _pop(stack, height, unreachable, context, head)
        stack += head
        return False
    sub = op - 0xFB00
    if 0 <= sub <= 0x1E:
        _gc(sub, imm, stack, height, unreachable, ctrls, context)
        return False
    raise _Invalid(f"unknown opcode 0x{op:x}")


def _gc(sub: int, imm, stack: list, height: int, unreachable: bool, ctrls: list, context) -> None:
    """The 0xFB-prefixed instructions (sub-opcode ``sub``)."""
    pop = _pop
    if sub == 0x00:  # struct.new
        struct = _composite(context, imm, "struct")
        pop(stack, height, unreachable, context, [_unpacked(f.storage) for f in struct.fields])
        stack.append(ref_type(False, imm))
    elif sub == 0x01:  # struct.new_default
        struct = _composite(context, imm, "struct")
        for field in struct.fields:
            if not _defaultable(field.storage):
                raise _Invalid(f"type mismatch: struct.new_default of type {imm}, whose field "
                               f"{valtype_name(field.storage)} has no default value")
        stack.append(ref_type(False, imm))
    elif sub <= 0x04:  # struct.get, struct.get_s, struct.get_u
        type_index, field_index = imm
        field = _field(context, type_index, field_index)
        _check_get(sub - 0x02, field.storage)
        pop(stack, height, unreachable, context, [ref_type(True, type_index)])
        stack.append(_unpacked(field.storage))
    elif sub == 0x05:  # struct.set
        type_index, field_index = imm
        field = _mutable(_field(context, type_index, field_index), f"field {field_index} of type {type_index}")
        pop(stack, height, unreachable, context, [ref_type(True, type_index), _unpacked(field.storage)])
    elif sub == 0x06:  # array.new
        array = _composite(context, imm, "array")
        pop(stack, height, unreachable, context, [_unpacked(array.field.storage), I32])
        stack.append(ref_type(False, imm))
    elif sub == 0x07:  # array.new_default
        array = _composite(context, imm, "array")
        if not _defaultable(array.field.storage):
            raise _Invalid(f"type mismatch: array.new_default of type {imm}, whose elements have no default value")
        pop(stack, height, unreachable, context, [I32])
        stack.append(ref_type(False, imm))
    elif sub == 0x08:  # array.new_fixed
        type_index, count = imm
        array = _composite(context, type_index, "array")
        available = len(stack) - height
        if count > available:  # the count is a u32: never build a list of it, the stack cannot hold that many
            if not unreachable:
                raise _Invalid(f"type mismatch: array.new_fixed needs {count} operands but the stack has {available}")
            count = available
        pop(stack, height, unreachable, context, [_unpacked(array.field.storage)] * count)
        stack.append(ref_type(False, type_index))
    elif sub == 0x09:  # array.new_data
        type_index, data_index = imm
        _numeric_array(context, type_index)
        _check_data(context, data_index)
        pop(stack, height, unreachable, context, [I32, I32])
        stack.append(ref_type(False, type_index))
    elif sub == 0x0A:  # array.new_elem
        type_index, elem_index = imm
        _elem_array(context, type_index, elem_index)
        pop(stack, height, unreachable, context, [I32, I32])
        stack.append(ref_type(False, type_index))
    elif sub <= 0x0D:  # array.get, array.get_s, array.get_u
        array = _composite(context, imm, "array")
        _check_get(sub - 0x0B, array.field.storage)
        pop(stack, height, unreachable, context, [ref_type(True, imm), I32])
        stack.append(_unpacked(array.field.storage))
    elif sub == 0x0E:  # array.set
        field = _mutable(_composite(context, imm, "array"), f"array type {imm}")
        pop(stack, height, unreachable, context, [ref_type(True, imm), I32, _unpacked(field.storage)])
    elif sub == 0x0F:  # array.len
        pop(stack, height, unreachable, context, [ref_type(True, -0x16)])
        stack.append(I32)
    elif sub == 0x10:  # array.fill
        field = _mutable(_composite(context, imm, "array"), f"array type {imm}")
        pop(stack, height, unreachable, context, [ref_type(True, imm), I32, _unpacked(field.storage), I32])
    elif sub == 0x11:  # array.copy
        destination, source = imm
        field = _mutable(_composite(context, destination, "array"), f"array type {destination}")
        source_field = _composite(context, source, "array").field
        if not _storage_matches(source_field.storage, field.storage, context):
            raise _Invalid(f"array types do not match: array.copy from array type {source} to array type {destination}")
        pop(stack, height, unreachable, context,
            [ref_type(True, destination), I32, ref_type(True, source), I32, I32])
    elif sub == 0x12:  # array.init_data
        type_index, data_index = imm
        _mutable(_numeric_array(context, type_index), f"array type {type_index}")
        _check_data(context, data_index)
        pop(stack, height, unreachable, context, [ref_type(True, type_index), I32, I32, I32])
    elif sub == 0x13:  # array.init_elem
        type_index, elem_index = imm
        _mutable(_elem_array(context, type_index, elem_index), f"array type {type_index}")
        pop(stack, height, unreachable, context, [ref_type(True, type_index), I32, I32, I32])
    elif sub <= 0x17:  # ref.test, ref.test null, ref.cast, ref.cast null
        context.check_type(imm)
        pop(stack, height, unreachable, context, [_top_ref(imm, context)])
        stack.append(I32 if sub <= 0x15 else imm)
    elif sub <= 0x19:  # br_on_cast, br_on_cast_fail
        depth, source, target = imm
        context.check_type(source)
        context.check_type(target)
        defs = context.def_types
        if not is_subtype(target, source, defs):
            raise _Invalid(f"type mismatch: br_on_cast target {valtype_name(target)} "
                           f"is not a subtype of its source {valtype_name(source)}")
        label = _label(ctrls, depth)
        if not label or ref_parts(label[-1]) is None:
            raise _Invalid(f"type mismatch: label {depth} must take a reference last, it takes {_names(label)}")
        branch, fallthrough = (target, _diff(source, target)) if sub == 0x18 else (_diff(source, target), target)
        if not is_subtype(branch, label[-1], defs):
            raise _Invalid(f"type mismatch: the branch passes {valtype_name(branch)} "
                           f"to label {depth}, which takes {valtype_name(label[-1])}")
        pop(stack, height, unreachable, context, [source])
        head = list(label[:-1])
        pop(stack, height, unreachable, context, head)
        stack += head
        stack.append(fallthrough)
    elif sub == 0x1A or sub == 0x1B:  # any.convert_extern, extern.convert_any
        want, heap = (_EXTERNREF, HT_ANY) if sub == 0x1A else (_ANYREF, HT_EXTERN)
        got = pop(stack, height, unreachable, context, [want])[0]
        nullable = got != UNKNOWN and ref_parts(got)[0]
        stack.append(ref_type(nullable, heap))
    elif sub == 0x1C:  # ref.i31
        pop(stack, height, unreachable, context, [I32])
        stack.append(_I31_NON_NULL)
    else:  # i31.get_s, i31.get_u
        pop(stack, height, unreachable, context, [ref_type(True, HT_I31)])
        stack.append(I32)


def _defaultable(storage) -> bool:
    return type(storage) is int or storage.nullable


def _storage_matches(sub, sup, context) -> bool:
    if sub in _PACKED or sup in _PACKED:
        return sub == sup
    return is_subtype(sub, sup, context.def_types)


__all__ = ["typed_reference", "_Invalid"]
