"""Function-body validation (spec §3.3 instructions, appendix "Validation Algorithm").

Enters: one :class:`~pywaz.ir.FunctionBody`, its :class:`~pywaz.ir.FuncType` and the
module context (:class:`Context`). Leaves: a :class:`~pywaz.ir.FunctionInfo`
(block table, max stack height) or a :class:`~pywaz.errors.ValidationError` with the
instruction's byte offset and the function index.

The algorithm is the spec appendix's: an operand stack of value types with
:data:`UNKNOWN` standing for values popped from the polymorphic stack of
unreachable code, and a control stack of frames. It is one flat loop over the
instruction list with an explicit control stack, so block nesting depth costs
no Python recursion. Instructions with a fixed signature go through one
table-driven path (with hand-written fast paths for the common shapes
``[] -> [t]``, ``[a] -> [r]``, ``[a b] -> [r]`` and ``[a b] -> []``); the rest
have special cases ordered roughly by how often real code uses them. Slow paths
(polymorphic stack, errors) live in helper functions so the loop stays small.
"""

from __future__ import annotations

# The hot loop tracks the stack maximum with `if len(stack) > max_height`, which is
# measurably faster than calling max() on every push.
# ruff: noqa: PLR1730
from ..errors import ValidationError
from ..deftypes import canonicalize, is_subtype
from ..ir import (
    EXNREF,
    EXTERNREF,
    FUNCREF,
    HT_EXN,
    I32,
    I64,
    BlockInfo,
    FunctionBody,
    FunctionInfo,
    FuncType,
    VALTYPE_NAMES,
    is_ref,
    ref_type,
    valtype_name,
)
from ..opcodes import OP_NAMES, OPS_BY_NAME
from ._references import _Invalid, typed_reference
from ._tables import (
    K_ATOMIC,
    K_BR,
    K_BR_IF,
    K_BR_TABLE,
    K_CALL,
    K_CALL_INDIRECT,
    K_DATA_DROP,
    K_DROP,
    K_ELEM_DROP,
    K_ELSE,
    K_GLOBAL_GET,
    K_GLOBAL_SET,
    K_IF,
    K_LANE,
    K_LOCAL_SET,
    K_LOCAL_TEE,
    K_LOOP,
    K_MEMARG,
    K_MEMARG_LANE,
    K_MEMIDX,
    K_MEMORY_COPY,
    K_MEMORY_INIT,
    K_REF_FUNC,
    K_REF_IS_NULL,
    K_REF_NULL,
    K_RETURN,
    K_RETURN_CALL,
    K_RETURN_CALL_INDIRECT,
    K_SELECT,
    K_THROW,
    K_THROW_REF,
    K_TRY_TABLE,
    K_TRY,
    K_CATCH,
    K_CATCH_ALL,
    K_DELEGATE,
    K_RETHROW,
    K_SELECT_T,
    K_SHUFFLE,
    K_TABLE_COPY,
    K_TABLE_FILL,
    K_TABLE_GET,
    K_TABLE_GROW,
    K_TABLE_INIT,
    K_TABLE_SET,
    K_TABLE_SIZE,
    K_UNREACHABLE,
    K_GC,
    KIND_BY_OP,
    LANES,
    NATURAL_ALIGN_BY_OP,
    NUM_OR_VEC,
    OP_LOCAL_GET,
    SHAPE_BINARY,
    SHAPE_CONSUME2,
    SHAPE_PUSH,
    SHAPE_UNARY,
    SIG,
    SIG64,
    SIMPLE_BY_OP,
    UNKNOWN,
    make_signature,
)

_OP_IF = OPS_BY_NAME["if"]
_OP_ELSE = OPS_BY_NAME["else"]
_OP_LOOP = OPS_BY_NAME["loop"]
_OP_TRY = OPS_BY_NAME["try"]  # legacy exception handling: a try frame, then one in its catch / catch_all
_OP_CATCH = OPS_BY_NAME["catch"]
_OP_CATCH_ALL = OPS_BY_NAME["catch_all"]
_FUNC_FRAME = -1  # frame opcode of the function's own outermost block

from ._tables import _F_OP, _F_PARAMS, _F_RESULTS, _F_HEIGHT, _F_UNREACHABLE, _F_START, _F_ELSE, _F_TYPE, _F_LABEL

_I32_ONLY = [I32]
_NOTHING_UNSET: frozenset = frozenset()
# Every one-byte value type: locals of these need no check (a RefType local may be non-nullable).
_NUMERIC_OR_SHORTHAND = frozenset(VALTYPE_NAMES)
_NOTHING_SET: tuple = ()
_NON_NULL_EXN = ref_type(False, HT_EXN)
_REF_TYPES = frozenset((FUNCREF, EXTERNREF, EXNREF, UNKNOWN))


class Context:
    """The module context C that function bodies are checked against (spec §3.1.1)."""

    __slots__ = (
        "_block_sigs",
        "_indirect_sigs",
        "data_count",
        "def_types",
        "func_type_indexes",
        "elem_types",
        "func_sigs",
        "func_types",
        "global_types",
        "memory_count",
        "memory64",
        "refs",
        "table_types",
        "tag_types",
        "types",
    )

    def __init__(self, types, func_types, table_types, memory_types, global_types, elem_types, data_count, refs,
                 tag_types=(), def_types=None, func_type_indexes=None):
        """``def_types``: the canonical type of each type index (computed from ``types`` if None);
        ``func_type_indexes``: each function's type index (None: ``ref.func`` then pushes funcref)."""
        self.tag_types = tag_types
        self.def_types = canonicalize(types) if def_types is None else def_types
        self.func_type_indexes = func_type_indexes
        self.types = types
        self.func_types = func_types
        self.func_sigs = [make_signature(t.params, t.results) for t in func_types]
        self.table_types = table_types
        self.memory_count = len(memory_types)
        # Per memory: True for a 64-bit one (memory64), whose instructions take SIG64's signatures.
        self.memory64 = [memory_type.address_type == I64 for memory_type in memory_types]
        self.global_types = global_types
        self.elem_types = elem_types
        self.data_count = data_count
        self.refs = refs
        self._indirect_sigs: dict[int, tuple] = {}
        self._block_sigs: dict[int, tuple] = {}

    def indirect_sig(self, type_index: int, address_type: int = I32) -> tuple:
        """The signature of ``call_indirect type_index``: the type's params plus the table's index type."""
        key = type_index if address_type == I32 else ~type_index
        sig = self._indirect_sigs.get(key)
        if sig is None:
            t = self.func_type_at(type_index)
            sig = self._indirect_sigs[key] = make_signature(t.params + (address_type,), t.results)
        return sig

    def func_type_at(self, type_index: int) -> FuncType:
        """The function type at ``type_index``. Raises: _Invalid if there is none or it is a struct/array type."""
        if type_index >= len(self.types):
            raise _Invalid(f"unknown type {type_index}")
        composite = self.types[type_index]
        if composite.kind != "func":
            raise _Invalid(f"type mismatch: type {type_index} is a {composite.kind} type, not a function type")
        return composite

    def check_type(self, valtype) -> None:
        """A value type names existing types only. Raises: _Invalid "unknown type"."""
        if type(valtype) is not int:
            heap = valtype.heap
            if type(heap) is int and heap >= len(self.types):
                raise _Invalid(f"unknown type {heap}")

    def block_sig(self, block_type: FuncType) -> tuple:
        """(params list, results list) of a block type, shared between blocks.

        Keyed by ``id``: hashing a FuncType hashes its tuples, and every block type
        object stays alive (in the module's immediates) while the cache exists.
        """
        sig = self._block_sigs.get(id(block_type))
        if sig is None:
            for valtype in block_type.results:
                self.check_type(valtype)
            sig = self._block_sigs[id(block_type)] = (list(block_type.params), list(block_type.results))
        return sig


def _block_info_setters():
    """Slot setters that build a BlockInfo without its frozen-dataclass ``__init__``.

    A frozen dataclass assigns each field through ``object.__setattr__``, which makes
    constructing one cost about as much as validating three ordinary instructions, and
    big modules have hundreds of thousands of blocks. Writing the slots directly builds
    the identical object. Used only if BlockInfo still has exactly these four slots and
    the result compares equal to the constructor's, so a change to the IR falls back
    to the constructor instead of producing half-initialised objects.
    """
    fields = ("type", "else_pc", "end_pc", "height")
    try:
        if getattr(BlockInfo, "__slots__", None) != fields:
            return False, (None,) * 4
        setters = tuple(getattr(BlockInfo, name).__set__ for name in fields)
        probe = object.__new__(BlockInfo)
        sample = (FuncType((I32,), ()), 3, 7, 2)
        for setter, value in zip(setters, sample):
            setter(probe, value)
        if probe != BlockInfo(*sample):
            return False, (None,) * 4
    except (AttributeError, TypeError):
        return False, (None,) * 4
    return True, setters


_FAST_BLOCK_INFO, _BLOCK_INFO_SETTERS = _block_info_setters()


def _type_names(types) -> str:
    return "[" + " ".join(valtype_name(t) if t != UNKNOWN else "_" for t in types) + "]"


def _mismatch(expected, actual) -> _Invalid:
    shown = actual[-len(expected) :] if expected else actual[-1:]
    more = "... " if len(actual) > len(shown) else ""
    text = _type_names(shown)
    return _Invalid(f"type mismatch: instruction requires {_type_names(expected)} but stack has [{more}{text[1:]}")


def _pop_expected(stack: list, height: int, unreachable: bool, context, expected: list) -> list:
    """Pop ``expected`` (top last) off ``stack``; return the popped types.

    Below ``height`` the stack is polymorphic when ``unreachable`` (each missing
    value is UNKNOWN) and an error otherwise. UNKNOWN matches any type; a
    reference type matches its supertypes (3.0 subtyping, through the module's
    canonical types in ``context``).
    """
    count = len(expected)
    popped = [UNKNOWN] * count
    for i in range(count - 1, -1, -1):
        want = expected[i]
        if len(stack) == height:
            if unreachable:
                continue
            raise _mismatch(expected, stack[height:] + popped[i + 1 :])
        got = stack.pop()
        if got != want and got != UNKNOWN and want != UNKNOWN and not is_subtype(got, want, context.def_types):
            raise _mismatch(expected, stack[height:] + [got] + popped[i + 1 :])
        popped[i] = got
    return popped


def _pop_any(stack: list, height: int, unreachable: bool, expected_text: str):
    if len(stack) > height:
        return stack.pop()
    if unreachable:
        return UNKNOWN
    raise _Invalid(f"type mismatch: instruction requires {expected_text} but stack has []")


def _select_untyped(stack: list, height: int, unreachable: bool, context) -> None:
    """``select`` without a type: both operands numeric or both vector (spec §3.3.4)."""
    _pop_expected(stack, height, unreachable, context, _I32_ONLY)
    first = _pop_any(stack, height, unreachable, "[t t i32]")
    second = _pop_any(stack, height, unreachable, "[t t i32]")
    if first not in NUM_OR_VEC or second not in NUM_OR_VEC:
        raise _Invalid("type mismatch: select without a type annotation needs numeric or vector operands")
    if first != second and first != UNKNOWN and second != UNKNOWN:
        raise _mismatch([second, second, I32], [second, first, I32])
    stack.append(second if first == UNKNOWN else first)


def _copy_signature(destination64: bool, source64: bool) -> tuple:
    """``memory.copy`` / ``table.copy`` between spaces of these widths: [d s n], n i64 only if both are."""
    destination = I64 if destination64 else I32
    source = I64 if source64 else I32
    length = I64 if destination64 and source64 else I32
    return make_signature((destination, source, length), ())


def _catch_clauses(clauses, ctrls: list, context) -> None:
    """A ``try_table``'s catch clauses: each label takes what its clause pushes (in the context outside it)."""
    for clause_kind, tag, label in clauses:
        if label >= len(ctrls):
            raise _Invalid(f"unknown label {label}")
        if clause_kind < 2:  # catch / catch_ref: the tag's payload
            if tag >= len(context.tag_types):
                raise _Invalid(f"unknown tag {tag}")
            pushed = list(context.tag_types[tag].params)
        else:
            pushed = []
        if clause_kind & 1:  # catch_ref / catch_all_ref: and the exception, never null (ref exn)
            pushed.append(_NON_NULL_EXN)
        wanted = ctrls[-1 - label][_F_LABEL]
        if len(pushed) != len(wanted) or not all(
                is_subtype(a, b, context.def_types) for a, b in zip(pushed, wanted)):
            raise _Invalid(
                f"type mismatch: catch clause pushes {_type_names(pushed)} "
                f"but label {label} takes {_type_names(wanted)}"
            )


def _tail_call(stack: list, height: int, unreachable: bool, kind: int, imm, results: list, context) -> None:
    """``return_call`` / ``return_call_indirect`` (tail calls): the callee returns what this function returns."""
    if kind == K_RETURN_CALL:
        if imm >= len(context.func_types):
            raise _Invalid(f"unknown function {imm}")
        callee = context.func_types[imm]
        params = list(callee.params)
    else:
        type_index, table_index = imm
        if table_index >= len(context.table_types):
            raise _Invalid(f"unknown table {table_index}")
        if type_index >= len(context.types):
            raise _Invalid(f"unknown type {type_index}")
        if not is_subtype(context.table_types[table_index].elem_type, FUNCREF, context.def_types):
            raise _Invalid(f"type mismatch: return_call_indirect needs a funcref table, table {table_index} is not")
        callee = context.func_type_at(type_index)
        params = list(callee.params) + [context.table_types[table_index].address_type]
    if len(callee.results) != len(results) or not all(
            is_subtype(a, b, context.def_types) for a, b in zip(callee.results, results)):
        raise _Invalid(
            f"type mismatch: tail call returns {_type_names(callee.results)} "
            f"but the function returns {_type_names(results)}"
        )
    _pop_expected(stack, height, unreachable, context, params)


def _non_defaultable_locals(func_type: FuncType, body: FunctionBody, context) -> set[int]:
    """The indexes of the declared locals without a default value (non-nullable references)."""
    first = len(func_type.params)
    found = set()
    for i, valtype in enumerate(body.locals):
        if type(valtype) is not int:
            try:
                context.check_type(valtype)
            except _Invalid as error:
                raise ValidationError(error.message, body.offset) from None
            if not valtype.nullable:
                found.add(first + i)
    return found


def _local_get(index: int, local_count: int, unset: set) -> None:
    if index >= local_count:
        raise _Invalid(f"unknown local {index}")
    if index in unset:
        raise _Invalid(f"uninitialized local {index}")


def _local_set(index: int, local_count: int, unset: set, set_log: list, depth: int) -> None:
    if index >= local_count:
        raise _Invalid(f"unknown local {index}")
    if index in unset:
        unset.discard(index)
        set_log.append((index, depth))


def _unset_locals(set_log: list, unset: set, depth: int) -> None:
    """At the end of (or ``else`` in) the block at control depth ``depth``: locals first set inside it are unset."""
    while set_log and set_log[-1][1] >= depth:
        unset.add(set_log.pop()[0])


def _offset_of(body: FunctionBody, pc: int) -> int:
    offsets = body.offsets
    return offsets[pc] if pc < len(offsets) else body.end


def validate_function(func_index: int, func_type: FuncType, body: FunctionBody, context: Context) -> FunctionInfo:
    """Validate one function body against ``func_type`` in ``context``.

    ``func_index`` is the function's index in the function index space (imports first).

    Raises:
        ValidationError: the body is not valid; ``offset`` is the failing instruction's.
    """
    ops = body.ops
    imms = body.imms
    local_types = tuple(func_type.params) + tuple(body.locals)
    local_count = len(local_types)
    # Locals from checked_from on take the slow path: those past the end, and (3.0) non-nullable ones,
    # which local.get may only read once set. set_log records (local, control depth) of each first set.
    checked_from = local_count
    unset = _NOTHING_UNSET  # shared and empty unless a local is non-nullable: nothing to allocate per function
    set_log: list = _NOTHING_SET
    if body.locals and not _NUMERIC_OR_SHORTHAND.issuperset(body.locals):  # a (ref ...) local: C-speed test for the rest
        unset = _non_defaultable_locals(func_type, body, context)
        if unset:
            checked_from = min(unset)
            set_log = []
    results = list(func_type.results)
    func_sigs = context.func_sigs
    func_count = len(func_sigs)
    global_types = context.global_types
    memory_count = context.memory_count
    memory64 = context.memory64
    simple_by_op = SIMPLE_BY_OP
    kind_by_op = KIND_BY_OP
    block_sigs_get = context._block_sigs.get
    last_pc = len(ops) - 1

    new_object = object.__new__
    set_type, set_else, set_end, set_height = _BLOCK_INFO_SETTERS
    stack: list[int] = []
    push = stack.append
    height = 0
    unreachable = False
    max_height = 0
    ctrls = [[_FUNC_FRAME, [], results, 0, False, -1, -1, func_type, results]]
    blocks: dict[int, BlockInfo] = {}
    pc = 0
    try:
        for pc, op in enumerate(ops):
            if op == OP_LOCAL_GET:
                index = imms[pc]
                if index >= checked_from:
                    _local_get(index, local_count, unset)
                push(local_types[index])
                if len(stack) > max_height:
                    max_height = len(stack)
                continue
            sig = simple_by_op[op]
            if sig is None:
                kind = kind_by_op[op]
                if kind <= K_LOCAL_TEE:
                    index = imms[pc]
                    if index >= checked_from:
                        _local_set(index, local_count, unset, set_log, len(ctrls))
                    want = local_types[index]
                    if len(stack) > height and stack[-1] == want:
                        if kind == K_LOCAL_SET:
                            stack.pop()
                    else:
                        _pop_expected(stack, height, unreachable, context, [want])
                        if kind == K_LOCAL_TEE:
                            push(want)
                            if len(stack) > max_height:
                                max_height = len(stack)
                    continue
                elif kind == K_MEMARG or kind == K_ATOMIC:
                    align, memory_offset, memory_index = imms[pc]
                    if memory_index >= memory_count:
                        raise _Invalid(f"unknown memory {memory_index}")
                    natural = NATURAL_ALIGN_BY_OP[op]
                    if align != natural and (align > natural or kind == K_ATOMIC):
                        # atomics (threads proposal) need exactly the natural alignment
                        raise _Invalid("atomic alignment must be natural" if kind == K_ATOMIC
                                       else "alignment must not be larger than natural")
                    if memory64[memory_index]:
                        sig = SIG64[op]
                    else:
                        if memory_offset > 0xFFFFFFFF:
                            raise _Invalid(f"offset out of range: {memory_offset} on a 32-bit memory")
                        sig = SIG[op]
                elif kind <= K_ELSE:
                    frame = ctrls[-1]
                    if kind == K_ELSE and frame[_F_OP] != _OP_IF:
                        raise _Invalid("else without a matching if")
                    if set_log:  # non-nullable locals set in this block are unset again after it
                        _unset_locals(set_log, unset, len(ctrls))
                    frame_results = frame[_F_RESULTS]
                    if len(stack) - height != len(frame_results) or (frame_results and stack[height:] != frame_results):
                        _pop_expected(stack, height, unreachable, context, frame_results)
                        if len(stack) != height:
                            raise _Invalid(
                                "type mismatch: block leaves extra values "
                                + _type_names(stack[height:])
                                + " on the stack, expected "
                                + _type_names(frame_results)
                            )
                        stack += frame_results
                    if kind == K_ELSE:
                        del stack[height:]
                        stack += frame[_F_PARAMS]
                        frame[_F_OP] = _OP_ELSE
                        frame[_F_ELSE] = pc
                        unreachable = False
                        continue
                    if frame[_F_OP] == _OP_IF and frame[_F_PARAMS] != frame_results:
                        raise _Invalid(
                            "type mismatch: if without else must have matching parameter and result types, "
                            f"but it has {_type_names(frame[_F_PARAMS])} -> {_type_names(frame_results)}"
                        )
                    ctrls.pop()
                    if not ctrls:
                        if pc != last_pc:
                            raise _Invalid("instructions after the end of the function body")
                        break
                    if _FAST_BLOCK_INFO:
                        info = new_object(BlockInfo)
                        set_type(info, frame[_F_TYPE])
                        set_else(info, frame[_F_ELSE])
                        set_end(info, pc)
                        set_height(info, frame[_F_HEIGHT])
                        blocks[frame[_F_START]] = info
                    else:
                        blocks[frame[_F_START]] = BlockInfo(frame[_F_TYPE], frame[_F_ELSE], pc, frame[_F_HEIGHT])
                    outer = ctrls[-1]
                    height = outer[_F_HEIGHT]
                    unreachable = outer[_F_UNREACHABLE]
                    if len(stack) > max_height:
                        max_height = len(stack)
                    continue
                elif kind == K_BR_IF:
                    if len(stack) > height and stack[-1] == I32:
                        stack.pop()
                    else:
                        _pop_expected(stack, height, unreachable, context, _I32_ONLY)
                    depth = imms[pc]
                    if depth >= len(ctrls):
                        raise _Invalid(f"unknown label {depth}")
                    label = ctrls[-1 - depth][_F_LABEL]
                    count = len(label)
                    if count and (len(stack) - count < height or stack[-count:] != label):
                        _pop_expected(stack, height, unreachable, context, label)
                        stack += label
                        if len(stack) > max_height:
                            max_height = len(stack)
                    continue
                elif kind <= K_IF:
                    block_type = imms[pc]
                    if type(block_type) is int:
                        block_type = context.func_type_at(block_type)
                    block_sig = block_sigs_get(id(block_type))
                    if block_sig is None:
                        block_sig = context.block_sig(block_type)
                    params, block_results = block_sig
                    if kind == K_IF:
                        if len(stack) > height and stack[-1] == I32:
                            stack.pop()
                        else:
                            _pop_expected(stack, height, unreachable, context, _I32_ONLY)
                    count = len(params)
                    if count and (len(stack) - count < height or stack[-count:] != params):
                        _pop_expected(stack, height, unreachable, context, params)
                        stack += params
                        if len(stack) > max_height:
                            max_height = len(stack)
                    ctrls[-1][_F_UNREACHABLE] = unreachable
                    height = len(stack) - count
                    unreachable = False
                    ctrls.append(
                        [
                            op,
                            params,
                            block_results,
                            height,
                            False,
                            pc,
                            -1,
                            block_type,
                            params if kind == K_LOOP else block_results,
                        ]
                    )
                    continue
                elif kind <= K_RETURN:
                    if kind == K_BR:
                        depth = imms[pc]
                        if depth >= len(ctrls):
                            raise _Invalid(f"unknown label {depth}")
                        label = ctrls[-1 - depth][_F_LABEL]
                    else:
                        label = results
                    count = len(label)
                    if count and (len(stack) - count < height or stack[-count:] != label):
                        _pop_expected(stack, height, unreachable, context, label)
                    del stack[height:]
                    unreachable = True
                    continue
                elif kind == K_CALL:
                    index = imms[pc]
                    if index >= func_count:
                        raise _Invalid(f"unknown function {index}")
                    sig = func_sigs[index]
                elif kind == K_GLOBAL_GET:
                    index = imms[pc]
                    if index >= len(global_types):
                        raise _Invalid(f"unknown global {index}")
                    push(global_types[index].valtype)
                    if len(stack) > max_height:
                        max_height = len(stack)
                    continue
                elif kind == K_GLOBAL_SET:
                    index = imms[pc]
                    if index >= len(global_types):
                        raise _Invalid(f"unknown global {index}")
                    global_type = global_types[index]
                    if not global_type.mutable:
                        raise _Invalid(f"global is immutable: global.set {index}")
                    want = global_type.valtype
                    if len(stack) > height and stack[-1] == want:
                        stack.pop()
                    else:
                        _pop_expected(stack, height, unreachable, context, [want])
                    continue
                elif kind == K_SELECT:
                    if len(stack) - 3 >= height and stack[-1] == I32:
                        operand = stack[-2]
                        if operand == stack[-3] and operand in NUM_OR_VEC and operand != UNKNOWN:
                            del stack[-2:]
                            continue
                    _select_untyped(stack, height, unreachable, context)
                    continue
                elif kind == K_DROP:
                    if len(stack) > height:
                        stack.pop()
                    elif not unreachable:
                        raise _Invalid("type mismatch: drop requires a value but the stack is empty")
                    continue
                elif kind == K_BR_TABLE:
                    _pop_expected(stack, height, unreachable, context, _I32_ONLY)
                    depths = imms[pc]
                    depth_count = len(ctrls)
                    default = depths[-1]
                    if default >= depth_count:
                        raise _Invalid(f"unknown label {default}")
                    default_label = ctrls[-1 - default][_F_LABEL]
                    arity = len(default_label)
                    for depth in depths[:-1]:
                        if depth >= depth_count:
                            raise _Invalid(f"unknown label {depth}")
                        label = ctrls[-1 - depth][_F_LABEL]
                        if len(label) != arity:
                            raise _Invalid(
                                f"type mismatch: br_table label {depth} has {len(label)} values "
                                f"but the default label {default} has {arity}"
                            )
                        if arity and (len(stack) - arity < height or stack[-arity:] != label):
                            stack += _pop_expected(stack, height, unreachable, context, label)
                            if len(stack) > max_height:
                                max_height = len(stack)
                    if arity and (len(stack) - arity < height or stack[-arity:] != default_label):
                        _pop_expected(stack, height, unreachable, context, default_label)
                    del stack[height:]
                    unreachable = True
                    continue
                elif kind == K_UNREACHABLE:
                    del stack[height:]
                    unreachable = True
                    continue
                elif kind == K_CALL_INDIRECT:
                    type_index, table_index = imms[pc]
                    if table_index >= len(context.table_types):
                        raise _Invalid(f"unknown table {table_index}")
                    if type_index >= len(context.types):
                        raise _Invalid(f"unknown type {type_index}")
                    table_type = context.table_types[table_index]
                    if table_type.elem_type != FUNCREF and not is_subtype(table_type.elem_type, FUNCREF,
                                                                           context.def_types):
                        raise _Invalid(
                            f"type mismatch: call_indirect needs a funcref table, table {table_index} is not"
                        )
                    sig = context.indirect_sig(type_index, table_type.address_type)
                elif kind == K_LANE:
                    if imms[pc] >= LANES[op]:
                        raise _Invalid(f"invalid lane index {imms[pc]}")
                    sig = SIG[op]
                elif kind == K_MEMARG_LANE:
                    align, memory_offset, memory_index, lane = imms[pc]
                    if memory_index >= memory_count:
                        raise _Invalid(f"unknown memory {memory_index}")
                    if align > NATURAL_ALIGN_BY_OP[op]:
                        raise _Invalid("alignment must not be larger than natural")
                    if lane >= LANES[op]:
                        raise _Invalid(f"invalid lane index {lane}")
                    if memory64[memory_index]:
                        sig = SIG64[op]
                    else:
                        if memory_offset > 0xFFFFFFFF:
                            raise _Invalid(f"offset out of range: {memory_offset} on a 32-bit memory")
                        sig = SIG[op]
                elif kind == K_SHUFFLE:
                    for lane in imms[pc]:
                        if lane >= 32:
                            raise _Invalid(f"invalid lane index {lane}")
                    sig = SIG[op]
                elif kind == K_SELECT_T:
                    types = imms[pc]
                    if len(types) != 1:
                        raise _Invalid(f"invalid result arity: select takes one type, got {len(types)}")
                    want = types[0]
                    context.check_type(want)
                    sig = make_signature((want, want, I32), (want,))
                elif kind == K_MEMIDX:
                    if imms[pc] >= memory_count:
                        raise _Invalid(f"unknown memory {imms[pc]}")
                    sig = SIG64[op] if memory64[imms[pc]] else SIG[op]
                elif kind == K_REF_NULL:
                    context.check_type(imms[pc])
                    push(imms[pc])
                    if len(stack) > max_height:
                        max_height = len(stack)
                    continue
                elif kind == K_REF_IS_NULL:
                    if len(stack) > height:
                        if stack[-1] not in _REF_TYPES and not is_ref(stack[-1]):
                            raise _mismatch([FUNCREF], stack[height:])
                        stack[-1] = I32
                    elif unreachable:
                        push(I32)
                    else:
                        raise _Invalid("type mismatch: ref.is_null requires a reference but the stack is empty")
                    if len(stack) > max_height:
                        max_height = len(stack)
                    continue
                elif kind == K_REF_FUNC:
                    index = imms[pc]
                    if index >= func_count:
                        raise _Invalid(f"unknown function {index}")
                    if index not in context.refs:
                        raise _Invalid(f"undeclared function reference {index}")
                    # 3.0: the function's own (non-null) type, a subtype of funcref.
                    indexes = context.func_type_indexes
                    push(FUNCREF if indexes is None else ref_type(False, indexes[index]))
                    if len(stack) > max_height:
                        max_height = len(stack)
                    continue
                elif kind == K_MEMORY_COPY:
                    for index in imms[pc]:
                        if index >= memory_count:
                            raise _Invalid(f"unknown memory {index}")
                    destination, source = imms[pc]
                    if memory64[destination] or memory64[source]:
                        sig = _copy_signature(memory64[destination], memory64[source])
                    else:
                        sig = SIG[op]
                elif kind == K_MEMORY_INIT:
                    data_index, memory_index = imms[pc]
                    if memory_index >= memory_count:
                        raise _Invalid(f"unknown memory {memory_index}")
                    if data_index >= context.data_count:
                        raise _Invalid(f"unknown data segment {data_index}")
                    sig = SIG64[op] if memory64[memory_index] else SIG[op]
                elif kind == K_DATA_DROP:
                    if imms[pc] >= context.data_count:
                        raise _Invalid(f"unknown data segment {imms[pc]}")
                    continue
                elif kind == K_ELEM_DROP:
                    if imms[pc] >= len(context.elem_types):
                        raise _Invalid(f"unknown elem segment {imms[pc]}")
                    continue
                elif kind == K_TABLE_INIT:
                    elem_index, table_index = imms[pc]
                    table_types = context.table_types
                    if table_index >= len(table_types):
                        raise _Invalid(f"unknown table {table_index}")
                    if elem_index >= len(context.elem_types):
                        raise _Invalid(f"unknown elem segment {elem_index}")
                    if not is_subtype(context.elem_types[elem_index], table_types[table_index].elem_type,
                                      context.def_types):
                        raise _Invalid(
                            f"type mismatch: elem segment {elem_index} does not match the type of table {table_index}"
                        )
                    if table_types[table_index].address_type == I64:
                        sig = make_signature((I64, I32, I32), ())
                    else:
                        sig = SIG[op]
                elif kind == K_TABLE_COPY:
                    table_types = context.table_types
                    for index in imms[pc]:
                        if index >= len(table_types):
                            raise _Invalid(f"unknown table {index}")
                    destination, source = imms[pc]
                    if not is_subtype(table_types[source].elem_type, table_types[destination].elem_type,
                                      context.def_types):
                        raise _Invalid(f"type mismatch: table.copy from table {source} to table {destination}")
                    sig = _copy_signature(table_types[destination].address_type == I64,
                                          table_types[source].address_type == I64)
                elif K_TABLE_GET <= kind <= K_TABLE_FILL:
                    index = imms[pc]
                    if index >= len(context.table_types):
                        raise _Invalid(f"unknown table {index}")
                    ref = context.table_types[index].elem_type
                    at = context.table_types[index].address_type
                    if kind == K_TABLE_GET:
                        sig = make_signature((at,), (ref,))
                    elif kind == K_TABLE_SET:
                        sig = make_signature((at, ref), ())
                    elif kind == K_TABLE_SIZE:
                        sig = make_signature((), (at,))
                    elif kind == K_TABLE_GROW:
                        sig = make_signature((ref, at), (at,))
                    else:
                        sig = make_signature((at, ref, at), ())
                elif kind == K_THROW or kind == K_THROW_REF:
                    if kind == K_THROW:
                        index = imms[pc]
                        if index >= len(context.tag_types):
                            raise _Invalid(f"unknown tag {index}")
                        _pop_expected(stack, height, unreachable, context, list(context.tag_types[index].params))
                    else:
                        _pop_expected(stack, height, unreachable, context, [EXNREF])
                    del stack[height:]
                    unreachable = True
                    continue
                elif kind == K_CATCH or kind == K_CATCH_ALL:  # legacy: a try's next handler
                    frame = ctrls[-1]
                    if frame[_F_OP] != _OP_TRY and frame[_F_OP] != _OP_CATCH:
                        raise _Invalid("catch without a matching try")
                    frame_results = frame[_F_RESULTS]
                    _pop_expected(stack, height, unreachable, context, frame_results)
                    if len(stack) != height:
                        raise _Invalid("type mismatch: block leaves extra values " + _type_names(stack[height:])
                                       + " on the stack, expected " + _type_names(frame_results))
                    if kind == K_CATCH:
                        if imms[pc] >= len(context.tag_types):
                            raise _Invalid(f"unknown tag {imms[pc]}")
                        stack += context.tag_types[imms[pc]].params
                        if len(stack) > max_height:
                            max_height = len(stack)
                    frame[_F_OP] = op
                    unreachable = False
                    if set_log:
                        _unset_locals(set_log, unset, len(ctrls))
                    continue
                elif kind == K_DELEGATE:  # legacy: ends a try without handlers
                    frame = ctrls[-1]
                    if frame[_F_OP] != _OP_TRY:
                        raise _Invalid("delegate without a matching try")
                    frame_results = frame[_F_RESULTS]
                    _pop_expected(stack, height, unreachable, context, frame_results)
                    if len(stack) != height:
                        raise _Invalid("type mismatch: block leaves extra values " + _type_names(stack[height:])
                                       + " on the stack, expected " + _type_names(frame_results))
                    stack += frame_results
                    if set_log:
                        _unset_locals(set_log, unset, len(ctrls))
                    ctrls.pop()
                    if imms[pc] >= len(ctrls):
                        raise _Invalid(f"unknown label {imms[pc]}")
                    blocks[frame[_F_START]] = BlockInfo(frame[_F_TYPE], frame[_F_ELSE], pc, frame[_F_HEIGHT])
                    outer = ctrls[-1]
                    height = outer[_F_HEIGHT]
                    unreachable = outer[_F_UNREACHABLE]
                    continue
                elif kind == K_RETHROW:
                    depth = imms[pc]
                    if depth >= len(ctrls):
                        raise _Invalid(f"unknown label {depth}")
                    if ctrls[-1 - depth][_F_OP] not in (_OP_CATCH, _OP_CATCH_ALL):
                        raise _Invalid("invalid rethrow label")
                    del stack[height:]
                    unreachable = True
                    continue
                elif kind == K_TRY_TABLE or kind == K_TRY:
                    if kind == K_TRY:
                        block_type, clauses = imms[pc], ()
                    else:
                        block_type, clauses = imms[pc]
                    if type(block_type) is int:
                        block_type = context.func_type_at(block_type)
                    _catch_clauses(clauses, ctrls, context)
                    params, block_results = context.block_sig(block_type)
                    count = len(params)
                    if count:
                        _pop_expected(stack, height, unreachable, context, params)
                        stack += params
                        if len(stack) > max_height:
                            max_height = len(stack)
                    ctrls[-1][_F_UNREACHABLE] = unreachable
                    height = len(stack) - count
                    unreachable = False
                    ctrls.append([op, params, block_results, height, False, pc, -1, block_type, block_results])
                    continue
                elif kind == K_RETURN_CALL or kind == K_RETURN_CALL_INDIRECT:
                    _tail_call(stack, height, unreachable, kind, imms[pc], results, context)
                    del stack[height:]
                    unreachable = True
                    continue
                elif kind <= K_GC:  # typed function references and GC
                    if typed_reference(op, kind, imms[pc], stack, height, unreachable, ctrls, context, results):
                        del stack[height:]
                        unreachable = True
                    elif len(stack) > max_height:
                        max_height = len(stack)
                    continue
                else:
                    raise _Invalid(f"unknown opcode 0x{op:x}")
            shape, first, second, result, params, pushed = sig
            if shape == SHAPE_UNARY:
                if len(stack) > height and stack[-1] == first:
                    stack[-1] = result
                    continue
            elif shape == SHAPE_BINARY:
                if len(stack) - 2 >= height and stack[-1] == second and stack[-2] == first:
                    del stack[-1]
                    stack[-1] = result
                    continue
            elif shape == SHAPE_PUSH:
                push(result)
                if len(stack) > max_height:
                    max_height = len(stack)
                continue
            elif shape == SHAPE_CONSUME2 and len(stack) - 2 >= height and stack[-1] == second and stack[-2] == first:
                del stack[-2:]
                continue
            count = len(params)
            if count and len(stack) - count >= height and stack[-count:] == params:
                stack[-count:] = pushed
            else:
                if count:
                    _pop_expected(stack, height, unreachable, context, params)
                stack += pushed
            if len(stack) > max_height:
                max_height = len(stack)
        else:
            pc = len(ops)  # blame the end of the body, past the last instruction
            raise _Invalid("function body does not end with end")
    except _Invalid as error:
        message = error.message
        if pc < len(ops) and message.startswith("type mismatch: instruction requires"):
            message = message.replace("instruction", OP_NAMES.get(ops[pc], "instruction"), 1)
        raise ValidationError(message, _offset_of(body, pc), func_index) from None
    except IndexError:
        # Only an opcode number outside the table can index past it; the decoder never
        # produces one, but a hand-built IR might.
        if 0 <= ops[pc] < len(SIMPLE_BY_OP):
            raise
        raise ValidationError(f"unknown opcode 0x{ops[pc]:x}", _offset_of(body, pc), func_index) from None
    return FunctionInfo(func_index, func_type, local_types, body, blocks, max_height)
