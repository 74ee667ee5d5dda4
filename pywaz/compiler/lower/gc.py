"""GC and typed-reference instructions (execution §4.4.7-§4.4.8 of Wasm 3.0): structs, arrays, i31, casts.

Enters: the validated instruction with its immediates (see GC-CONTRACT.md);
leaves: Python text over the runtime values of :mod:`pywaz.gcvalues`. Each
canonical struct or array type the module declares is bound, once per
artifact, as a constant of the generated code: ``_S3`` is the struct class of
type index 3, ``_A4`` the array class of type 4, ``_ty3`` the canonical
DefType. So ``struct.new 3`` is ``_S3(a, b)`` and ``struct.get 3 1`` is
``x.f1``: no lookup per call.

Traps, without a check on the hot path where Python raises anyway:

* ``struct.get``/``struct.set`` of null: ``None.f1`` raises AttributeError,
  which the function's ``except AttributeError`` turns into "null structure
  reference" (no other AttributeError can arise in generated code of a
  validated module: callees trap or raise wasm exceptions, host errors become
  traps in their wrappers).
* array access of null: ``len(None)`` / ``None[i]`` raise TypeError, turned
  into "null array reference" the same way. Array bounds are checked inline
  only in a function that also accesses memory (``a[i] if i < len(a) else
  ...``), where an IndexError would be ambiguous; elsewhere ``a[i]`` runs
  unchecked and the function's ``except IndexError`` traps "out of bounds
  array access" (i32 indexes are unsigned, so ``a[-1]`` cannot happen).
* Casts are specialised on the target heap type at compile time: abstract
  targets are a type or isinstance test, a concrete one is ``type(v) is
  _S3`` for a final type, else that plus the constant-time supertype chain
  test ``len(c) > D and c[D] is _ty3`` on ``v.rtt.chain``.
"""

from __future__ import annotations

import re

from ...ir import HT_ANY, HT_ARRAY, HT_EQ, HT_EXN, HT_EXTERN, HT_FUNC, HT_I31, HT_STRUCT, I8, I16, ref_parts
from .control import _finish_call, _tail_call
from .core import COND, CONST, EXPR, _zero_text


def _simple(low, count: int) -> list:
    """Pop the top ``count`` operands, each made safe to evaluate more than once (forced to a slot if compound)."""
    stack = low.stack
    for pos in range(len(stack) - count, len(stack)):
        if stack[pos][1] >= EXPR:
            low.materialize(pos)
    return low.take(count)


def _pack_mask(storage) -> str | None:
    if storage == I8:
        return "255"
    if storage == I16:
        return "65535"
    return None


def _stored(text: str, storage) -> str:
    mask = _pack_mask(storage)
    if not mask:
        return text
    if text.isdigit():  # a constant, masked now
        return str(int(text) & int(mask))
    return f"({text} & {mask})"


def _signed(text: str, storage) -> str:
    """Sign-extend a packed field read (stored unsigned) to an i32 in unsigned form."""
    half = 128 if storage == I8 else 32768
    return f"(({text} ^ {half}) - {half} & 0xFFFFFFFF)"


def _zero(storage) -> str:
    return "0" if storage in (I8, I16) else _zero_text(storage)


# ------------------------------------------------------------ structs


def _lower_struct_new(low, code, imm, pc, offset, blocks):
    fields = low.types[imm].fields
    args = low.take(len(fields))
    _emit_struct(low, imm, [_stored(low.val(a), f.storage) for a, f in zip(args, fields)])


def _lower_struct_new_default(low, code, imm, pc, offset, blocks):
    _emit_struct(low, imm, [_zero(f.storage) for f in low.types[imm].fields])


def _emit_struct(low, type_index: int, values: list) -> None:
    """``s<n> = _S3(); s<n>.f0 = v0; ...`` (one line): struct classes have no ``__init__`` (a Python frame)."""
    if not values:
        low.push(f"_S{type_index}()", EXPR, None, 1)
        return
    low.flush()
    name = f"s{len(low.stack)}"
    # The values are evaluated after the allocation (which has no effects), in order; one that reads the
    # slot being written goes through a temporary.
    target = "_so" if any(re.search(rf"\b{name}\b", value) for value in values) else name
    stores = "".join(f"; {target}.f{i} = {value}" for i, value in enumerate(values))
    low.out.line(f"{target} = _S{type_index}(){stores}" + (f"; {name} = _so" if target == "_so" else ""))
    low.push_slot()


def _lower_struct_get(low, code, imm, pc, offset, blocks):
    type_index, field = imm
    (obj,) = low.take(1)
    low.catch_null_struct = True
    text = low.site(f"{low.val(obj)}.f{field}", offset)
    if code == 0xFB03:
        text = _signed(text, low.types[type_index].fields[field].storage)
    low.push(text, EXPR, None, obj[3] + 1)


def _lower_struct_set(low, code, imm, pc, offset, blocks):
    type_index, field = imm
    # Python evaluates the value before the object of ``obj.f = value``: a compound object goes first.
    if low.stack[-2][1] >= EXPR and low.stack[-1][1] >= EXPR:
        low.materialize(len(low.stack) - 2)
    obj, value = low.take(2)
    low.flush()
    low.catch_null_struct = True
    storage = low.types[type_index].fields[field].storage
    low.out.line(low.site(f"{low.val(obj)}.f{field} = {_stored(low.val(value), storage)}", offset))


# ------------------------------------------------------------ arrays


def _lower_array_new(low, code, imm, pc, offset, blocks):
    value, length = low.take(2)
    storage = low.types[imm].field.storage
    text = low.site(f"_array_new(_A{imm}, {_stored(low.val(value), storage)}, {low.val(length)})", offset)
    low.push(text, EXPR, None, max(value[3], length[3]) + 1)


def _lower_array_new_default(low, code, imm, pc, offset, blocks):
    (length,) = low.take(1)
    text = low.site(f"_array_new(_A{imm}, {_zero(low.types[imm].field.storage)}, {low.val(length)})", offset)
    low.push(text, EXPR, None, length[3] + 1)


def _lower_array_new_fixed(low, code, imm, pc, offset, blocks):
    type_index, count = imm
    storage = low.types[type_index].field.storage
    args = low.take(count)
    values = ", ".join(_stored(low.val(a), storage) for a in args)
    low.push(f"_A{type_index}(({values}{',' if count == 1 else ''}))", EXPR, None,
             max((a[3] for a in args), default=0) + 1)


def _lower_array_new_data(low, code, imm, pc, offset, blocks):
    type_index, data_index = imm
    source, length = low.take(2)
    storage = low.types[type_index].field.storage
    text = f"_array_new_data(_inst, _A{type_index}, {storage}, {data_index}, {low.val(source)}, {low.val(length)})"
    low.push(low.site(text, offset), EXPR, None, max(source[3], length[3]) + 1)


def _lower_array_new_elem(low, code, imm, pc, offset, blocks):
    type_index, elem_index = imm
    source, length = low.take(2)
    text = f"_array_new_elem(_inst, _A{type_index}, {elem_index}, {low.val(source)}, {low.val(length)})"
    low.push(low.site(text, offset), EXPR, None, max(source[3], length[3]) + 1)


def _lower_array_get(low, code, imm, pc, offset, blocks):
    low.catch_null_array = True
    if low.memory_indexes:
        array, index = _simple(low, 2)
        a, i = low.val(array), low.val(index)
        text = low.site(f"({a}[{i}] if {i} < len({a}) else _trap_oob_array())", offset)
    else:  # no memory access here: an IndexError can only be an array's
        array, index = low.take(2)
        low.catch_array_index = True
        text = low.site(f"{low.val(array)}[{low.val(index)}]", offset)
    if code == 0xFB0C:
        text = _signed(text, low.types[imm].field.storage)
    low.push(text, EXPR, None, 1)


def _lower_array_set(low, code, imm, pc, offset, blocks):
    array, index, value = _simple(low, 3)
    low.flush()
    a, i = low.val(array), low.val(index)
    low.catch_null_array = True
    value = _stored(low.val(value), low.types[imm].field.storage)
    if low.memory_indexes:
        low.out.open(low.site(f"if {i} >= len({a}):", offset))
        low.out.line("_trap_oob_array()")
        low.out.close()
        low.out.line(f"{a}[{i}] = {value}")
    else:  # no memory access here: an IndexError can only be an array's
        low.catch_array_index = True
        low.out.line(low.site(f"{a}[{i}] = {value}", offset))


def _lower_array_len(low, code, imm, pc, offset, blocks):
    (array,) = low.take(1)
    low.catch_null_array = True
    low.push(low.site(f"len({low.val(array)})", offset), EXPR, None, array[3] + 1)


def _lower_array_fill(low, code, imm, pc, offset, blocks):
    array, start, value, length = (low.val(e) for e in low.take(4))
    low.flush()
    value = _stored(value, low.types[imm].field.storage)
    low.out.line(low.site(f"_array_fill({array}, {start}, {value}, {length})", offset))


def _lower_array_copy(low, code, imm, pc, offset, blocks):
    args = ", ".join(low.val(e) for e in low.take(5))
    low.flush()
    low.out.line(low.site(f"_array_copy({args})", offset))


def _lower_array_init_data(low, code, imm, pc, offset, blocks):
    type_index, data_index = imm
    args = ", ".join(low.val(e) for e in low.take(4))
    low.flush()
    storage = low.types[type_index].field.storage
    low.out.line(low.site(f"_array_init_data(_inst, {storage}, {data_index}, {args})", offset))


def _lower_array_init_elem(low, code, imm, pc, offset, blocks):
    args = ", ".join(low.val(e) for e in low.take(4))
    low.flush()
    low.out.line(low.site(f"_array_init_elem(_inst, {imm[1]}, {args})", offset))


# ------------------------------------------------------------ i31 and conversions


def _lower_ref_i31(low, code, imm, pc, offset, blocks):
    (value,) = low.take(1)
    text = low.val(value)
    if text.isdigit():
        low.push(str(int(text) & 0x7FFFFFFF), CONST, None, 0)
        return
    low.push(f"({text} & 0x7FFFFFFF)", EXPR, None, value[3] + 1)


def _lower_i31_get(low, code, imm, pc, offset, blocks):
    (value,) = low.take(1)
    helper = "_i31_get_s" if code == 0xFB1D else "_i31_get_u"
    low.push(low.site(f"{helper}({low.val(value)})", offset), EXPR, None, value[3] + 1)


def _lower_convert(low, code, imm, pc, offset, blocks):
    (value,) = low.take(1)
    helper = "_any_convert_extern" if code == 0xFB1A else "_extern_convert_any"
    low.push(f"{helper}({low.val(value)})", EXPR, None, value[3] + 1)


# ------------------------------------------------------------ casts


def test_text(low, value: str, reftype) -> str:
    """A Python bool expression: whether ``value`` (a simple operand) matches reference type ``reftype``.

    Specialised on the heap type (see the module docstring); ``value`` is read more than once.
    """
    nullable, heap = ref_parts(reftype)
    if heap >= 0:
        deftype = low.def_types[heap]
        if deftype.kind == "func":
            if deftype.final:
                test = f"{value} is not None and {value}.def_type is _ty{heap}"
            else:
                chain = f"{value}.def_type.chain"
                test = f"{value} is not None and ({value}.def_type is _ty{heap} or {_chain_test(chain, deftype, heap)})"
        else:
            cls, base = (f"_S{heap}", "_StructRef") if deftype.kind == "struct" else (f"_A{heap}", "_ArrayRef")
            if deftype.final:
                test = f"type({value}) is {cls}"
            else:
                chain = f"{value}.rtt.chain"
                test = f"(type({value}) is {cls} or isinstance({value}, {base}) and {_chain_test(chain, deftype, heap)})"
    elif heap in (HT_ANY, HT_FUNC, HT_EXTERN, HT_EXN):
        test = f"{value} is not None"
    elif heap == HT_EQ:
        test = f"_is_eq({value})"
    elif heap == HT_I31:
        test = f"type({value}) is int"
    elif heap == HT_STRUCT:
        test = f"isinstance({value}, _StructRef)"
    elif heap == HT_ARRAY:
        test = f"isinstance({value}, _ArrayRef)"
    else:  # a bottom type (none, nofunc, noextern, noexn): only null
        return f"({value} is None)" if nullable else "False"
    if nullable and heap not in (HT_ANY, HT_FUNC, HT_EXTERN, HT_EXN):
        return f"({value} is None or {test})"
    if nullable:
        return "True"
    return f"({test})"


def _chain_test(chain: str, deftype, heap: int) -> str:
    depth = deftype.depth
    if depth == 0:
        return f"{chain}[0] is _ty{heap}"
    return f"len({chain}) > {depth} and {chain}[{depth}] is _ty{heap}"


def _lower_ref_test(low, code, imm, pc, offset, blocks):
    (value,) = _simple(low, 1)
    low.push(test_text(low, low.val(value), imm), COND, None, 1)


def _lower_ref_cast(low, code, imm, pc, offset, blocks):
    (value,) = _simple(low, 1)
    v = low.val(value)
    test = test_text(low, v, imm)
    if test == "True":
        low.push(v, value[1], value[2], 0)
        return
    low.push(low.site(f"({v} if {test} else _trap_cast())", offset), EXPR, None, 1)


def _lower_br_on_cast(low, code, imm, pc, offset, blocks):
    label, _source, target = imm
    low.out.comment(f"# wasm@0x{offset:x} {'br_on_cast' if code == 0xFB18 else 'br_on_cast_fail'} {label}")
    _keep_top_simple(low)
    low.flush()
    test = test_text(low, low.stack[-1][0], target)
    low.out.open(f"if {test}:" if code == 0xFB18 else f"if not {test}:")
    low.emit_branch(low.label_frame(label))
    low.out.close()


def _keep_top_simple(low) -> None:
    if low.stack[-1][1] >= EXPR:
        low.materialize(len(low.stack) - 1)


# ------------------------------------------------------------ typed function references


def _lower_ref_as_non_null(low, code, imm, pc, offset, blocks):
    (value,) = _simple(low, 1)
    v = low.val(value)
    low.push(low.site(f"({v} if {v} is not None else _trap_null())", offset), EXPR, None, 1)


def _lower_br_on_null(low, code, imm, pc, offset, blocks):
    low.out.comment(f"# wasm@0x{offset:x} br_on_null {imm}")
    _keep_top_simple(low)
    value = low.stack.pop()
    low.flush()
    low.out.open(f"if {value[0]} is None:")
    low.emit_branch(low.label_frame(imm))
    low.out.close()
    low.stack.append(value)


def _lower_br_on_non_null(low, code, imm, pc, offset, blocks):
    low.out.comment(f"# wasm@0x{offset:x} br_on_non_null {imm}")
    _keep_top_simple(low)
    low.flush()
    low.out.open(f"if {low.stack[-1][0]} is not None:")
    low.emit_branch(low.label_frame(imm))
    low.out.close()
    low.stack.pop()


def _lower_ref_eq(low, code, imm, pc, offset, blocks):
    # == is identity for structs, arrays, functions and None, and value equality for i31 ints.
    a, b = low.take(2)
    low.push(f"({low.val(a)} == {low.val(b)})", COND, None, max(a[3], b[3]) + 1)


def _callee(low) -> str:
    """Pop the function reference of a ``call_ref``: its ``call``, trapping on null (arguments forced first)."""
    _keep_top_simple(low)
    ref = low.stack.pop()[0]
    low.flush()
    if ref.startswith("_F"):  # ref.func: never null
        return f"{ref}.call"
    return f"({ref}.call if {ref} is not None else _trap_null_func())"


def _lower_call_ref(low, code, imm, pc, offset, blocks):
    ftype = low.types[imm]
    callee = _callee(low)
    args = low.take(len(ftype.params))
    text = f"{callee}(" + ", ".join(low.val(a) for a in args) + ")"
    _finish_call(low, low.site(text, offset), len(ftype.results))


def _lower_return_call_ref(low, code, imm, pc, offset, blocks):
    low.out.comment(f"# wasm@0x{offset:x} return_call_ref")
    callee = _callee(low)
    args = low.take(len(low.types[imm].params))
    _tail_call(low, low.site(callee, offset), args)


LOWERERS = {
    0x14: _lower_call_ref,
    0x15: _lower_return_call_ref,
    0xD3: _lower_ref_eq,
    0xD4: _lower_ref_as_non_null,
    0xD5: _lower_br_on_null,
    0xD6: _lower_br_on_non_null,
    0xFB00: _lower_struct_new,
    0xFB01: _lower_struct_new_default,
    0xFB02: _lower_struct_get,
    0xFB03: _lower_struct_get,
    0xFB04: _lower_struct_get,
    0xFB05: _lower_struct_set,
    0xFB06: _lower_array_new,
    0xFB07: _lower_array_new_default,
    0xFB08: _lower_array_new_fixed,
    0xFB09: _lower_array_new_data,
    0xFB0A: _lower_array_new_elem,
    0xFB0B: _lower_array_get,
    0xFB0C: _lower_array_get,
    0xFB0D: _lower_array_get,
    0xFB0E: _lower_array_set,
    0xFB0F: _lower_array_len,
    0xFB10: _lower_array_fill,
    0xFB11: _lower_array_copy,
    0xFB12: _lower_array_init_data,
    0xFB13: _lower_array_init_elem,
    0xFB14: _lower_ref_test,
    0xFB15: _lower_ref_test,
    0xFB16: _lower_ref_cast,
    0xFB17: _lower_ref_cast,
    0xFB18: _lower_br_on_cast,
    0xFB19: _lower_br_on_cast,
    0xFB1A: _lower_convert,
    0xFB1B: _lower_convert,
    0xFB1C: _lower_ref_i31,
    0xFB1D: _lower_i31_get,
    0xFB1E: _lower_i31_get,
}
