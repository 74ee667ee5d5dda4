"""What instantiation needs of a module, as plain data, so a cache hit skips decoding and validating.

:func:`encode_module_info` turns a :class:`~pywaz.ir.ValidatedModule` into a
msgpack-able dict holding everything except function bodies: types, imports,
functions' type indices, tables, memories, globals with their initialisers,
exports, start, element and data segments, names, section sizes and the
validator's ``declared_func_refs``. :func:`decode_module_info` rebuilds the
same IR classes from it. In the rebuilt module, ``module.codes``,
``module.customs`` and ``validated.functions`` are :class:`LazyBodies` views:
their lengths are known at once, and the first access to an element decodes
and validates the module bytes given to :class:`ModuleBodies` (once, under a
lock). Only lazily compiled functions and inspection ever touch them.
"""

from __future__ import annotations

import gc
import hashlib
import sys
import threading
from array import array
from collections.abc import Sequence
from itertools import compress, pairwise, repeat
from operator import add, gt

from ..deftypes import canonicalize, types_from_data, types_to_data, valtype_from_data, valtype_to_data
from ..errors import PywazError
from ..ir import (
    EXTERN_FUNC,
    EXTERN_GLOBAL,
    EXTERN_MEMORY,
    EXTERN_TABLE,
    EXTERN_TAG,
    MODE_ACTIVE,
    MODE_PASSIVE,
    ConstExpr,
    DataSegment,
    ElementSegment,
    Export,
    Global,
    GlobalType,
    Import,
    Limits,
    MemoryType,
    Module,
    NameSection,
    TableType,
    ValidatedModule,
)

# 3: per-function body spans; 4: address types of tables and memories; 5: GC types (rec groups, sub types,
# struct/array types, reference value types, table initializers, GC constant expression immediates);
# 6: shared memories (threads).
MODULE_INFO_FORMAT = 6
_V128_CONST = 0xFD0C
_REF_NULL = 0xD0
_REF_FUNC = 0xD2
_REF_FUNC_OPS = (_REF_FUNC,)
_I32_CONST_OPS = (0x41,)
_U64_LIMIT = 1 << 64


class ModuleBodies:
    """The module bytes behind a rebuilt module: function bodies decoded and validated on first need.

    ``provide(data)`` attaches the bytes (checked against the size, and the
    digest when one was recorded); without them, bodies raise a clear error.
    (The cache key already binds an entry to its module's digest.)

    One function is decoded and validated on its own (:meth:`function`) when
    its span in the bytes and the module context are known: a disk hit whose
    first call needs a function compiled (or interpreted) then costs that
    function, not a decode and validation of the whole module. Everything
    else (iterating every body, custom sections) decodes the whole module once.
    """

    __slots__ = (
        "_context",
        "_context_parts",
        "_data",
        "_digest",
        "_functions",
        "_lock",
        "_size",
        "_spans",
        "_validated",
    )

    def __init__(self, digest: bytes | None, size: int | None = None):
        self._digest = digest
        self._size = size
        self._data: bytes | None = None
        self._validated: ValidatedModule | None = None
        self._lock = threading.Lock()
        self._spans = None  # (starts, ends) arrays of each body's bytes, when recorded
        self._context_parts = None  # the arguments of validator Context, set by decode_module_info
        self._context = None
        self._functions: dict = {}

    @property
    def available(self) -> bool:
        """Whether bodies can be produced (bytes attached, or already decoded)."""
        return self._validated is not None or self._data is not None

    def provide(self, data) -> None:
        """Attach the module's bytes.

        Raises:
            PywazError: ``data`` is not the module this information was made from.
        """
        data = bytes(data)
        if self._size is not None and len(data) != self._size:
            raise PywazError(
                f"the module bytes given do not match the cached module ({len(data)} bytes, expected {self._size})"
            )
        if self._digest is not None and hashlib.sha256(data).digest() != self._digest:
            raise PywazError("the module bytes given do not match the cached module (sha256 differs)")
        self._data = data

    def _no_bytes(self) -> PywazError:
        return PywazError(
            "this module was loaded from the cache without its wasm bytes, so functions not "
            "compiled yet (and function bodies) are unavailable; instantiate it from its bytes"
        )

    def validated(self) -> ValidatedModule:
        """The fully decoded and validated module.

        Raises:
            PywazError: no bytes were attached (the artifact was loaded without them).
        """
        found = self._validated
        if found is not None:
            return found
        with self._lock:
            if self._validated is None:
                if self._data is None:
                    raise self._no_bytes()
                from ..decoder import decode_module
                from ..validator import validate

                self._validated = validate(decode_module(self._data))
                self._data = None
                self._functions.clear()
            return self._validated

    def function(self, local_index: int):
        """Defined function ``local_index``'s :class:`~pywaz.ir.FunctionInfo`, decoding and validating it alone.

        Raises:
            PywazError: no bytes attached, or the bytes disagree with the recorded span.
        """
        validated = self._validated
        if validated is not None or self._spans is None or self._context_parts is None:
            return self.validated().functions[local_index]
        found = self._functions.get(local_index)
        if found is not None:
            return found
        with self._lock:
            if self._validated is not None:
                return self._validated.functions[local_index]
            found = self._functions.get(local_index)
            if found is None:
                if self._data is None:
                    raise self._no_bytes()
                found = self._functions[local_index] = self._decode_one(local_index)
            return found

    def _decode_one(self, local_index: int):
        from ..decoder.reader import Reader
        from ..decoder.sections import read_body
        from ..errors import DecodeError, ValidationError
        from ..validator._function import Context, validate_function

        starts, ends = self._spans
        func_types, num_imported = self._context_parts[1], self._context_parts[-1]
        if self._context is None:
            self._context = Context(*self._context_parts[:-1])
        try:
            body, _ = read_body(Reader(self._data, starts[local_index]), ends[local_index], {})
            func_index = num_imported + local_index
            return validate_function(func_index, func_types[func_index], body, self._context)
        except (DecodeError, ValidationError) as exc:
            # The entry is bound to these bytes' digest, which were valid when it was written.
            raise PywazError(f"cached module information does not match function {local_index}'s body: {exc}") from exc

    def body(self, local_index: int):
        """Defined function ``local_index``'s :class:`~pywaz.ir.FunctionBody` (see :meth:`function`)."""
        if self._validated is None and self._spans is not None and self._context_parts is not None:
            return self.function(local_index).body
        return self.validated().module.codes[local_index]


class LazyBodies(Sequence):
    """A sequence of known length whose items come from the module bytes on first access.

    ``one(bodies, index)``, if given, produces a single item without decoding
    the whole module; otherwise (and for iteration and slices) the fully
    decoded module is used.
    """

    __slots__ = ("_bodies", "_length", "_one", "_pick")

    def __init__(self, bodies: ModuleBodies, length: int, pick, one=None):
        self._bodies = bodies
        self._length = length
        self._pick = pick  # validated -> the real sequence
        self._one = one

    def __len__(self) -> int:
        return self._length

    def __getitem__(self, index):
        if self._one is not None and isinstance(index, int):
            if index < 0:
                index += self._length
            if not 0 <= index < self._length:
                raise IndexError("function index out of range")
            return self._one(self._bodies, index)
        return self._pick(self._bodies.validated())[index]

    def __iter__(self):
        if self._length == 0:
            return iter(())
        return iter(self._pick(self._bodies.validated()))

    def __repr__(self) -> str:
        return f"<LazyBodies of {self._length}>"


# -- encoding ---------------------------------------------------------------------


def _limits(limits: Limits) -> list:
    return [limits.min, limits.max]


def _imm(op: int, imm):
    if op == _V128_CONST:
        return int(imm).to_bytes(16, "little")
    if op == _REF_NULL:
        return valtype_to_data(imm)  # the nullable reference type it pushes
    if type(imm) is tuple and all(type(i) is int for i in imm):  # (type, count) of array.new_fixed
        return list(imm)
    if imm is None or isinstance(imm, bool) or (isinstance(imm, int) and 0 <= imm < _U64_LIMIT):
        return imm
    raise PywazError(f"constant expression immediate {imm!r} of opcode 0x{op:x} cannot be cached")


def _expr(expr: ConstExpr | None):
    if expr is None:
        return None
    return [list(expr.ops), [_imm(op, imm) for op, imm in zip(expr.ops, expr.imms)], expr.offset]


def _element_inits(inits):
    """Element initialisers; a segment of plain ``ref.func`` (the usual, often ~100k entries) as
    ``[function indices as u32 LE bytes, byte offsets as u32 LE bytes]`` so loading it creates few objects."""
    if inits and all(len(e.ops) == 1 and e.ops[0] == _REF_FUNC for e in inits):
        indices = array("I", [e.imms[0] for e in inits])
        offsets = array("I", [e.offset for e in inits])
        if sys.byteorder != "little":
            indices.byteswap()
            offsets.byteswap()
        return [indices.tobytes(), offsets.tobytes()]
    return [_expr(e) for e in inits]


def _u32s(values) -> bytes:
    packed = array("I", values)
    if sys.byteorder != "little":
        packed.byteswap()
    return packed.tobytes()


def _from_u32s(raw: bytes) -> array:
    values = array("I")
    values.frombytes(raw)
    if sys.byteorder != "little":
        values.byteswap()
    return values


_U32_LIMIT = 1 << 32
_ONE_LANE = b"\1\0\0\0\0\0\0\0"  # 1 in a 64-bit little-endian lane


def _memory_image(offsets: list, pieces: list):
    """``(start, bytes)``: memory ``[start, start + len(bytes))`` after writing ``pieces[k]`` at ``offsets[k]``
    into zeros, or None when the writes overlap, are sparse or reach past 4 GiB.

    Only disjoint writes qualify, so the image is the same whatever their order,
    and each piece is the image slice at its offset. Sparse means the rule of
    :func:`pywaz.vm.instantiate._zero_based_image`: span > 4 * bytes written + 64 KiB.
    """
    if not offsets:
        return None
    ends = list(map(add, offsets, map(len, pieces)))
    start, end = min(offsets), max(ends)
    if end - start > 4 * sum(map(len, pieces)) + 65536 or end >= _U32_LIMIT:
        return None
    written = sorted((offset, stop) for offset, stop in zip(offsets, ends) if stop > offset)
    # Sorted by start, non-empty ranges are pairwise disjoint when each starts at or after the previous end.
    if any(following[0] < previous[1] for previous, following in pairwise(written)):
        return None
    image = bytearray(end - start)
    for offset, piece in zip(offsets, pieces):
        image[offset - start : offset - start + len(piece)] = piece
    return start, bytes(image)


def _encode_datas(datas, memory_imported: bool):
    """Data segments. Toolchains emit many (Go: ~100k), so when every active one is offset by an
    ``i32.const`` they are stored column-wise: one bytes blob and a few u32 arrays, which unpack
    into a handful of objects instead of hundreds of thousands.

    Segment ``k`` is ``blob[starts[k]:ends[k]]``. When the module defines its
    memory and the active segments are disjoint and dense (:func:`_memory_image`),
    ``blob`` starts with the memory image ``[image_start, image_start + L)`` they
    produce, each active segment being its slice there, and ``image`` is
    ``[image_start, L]``: instantiation then writes the image in one piece.
    Passive segments (and, without an image, all segments) follow back to back.
    """
    simple = all(
        s.mode == MODE_PASSIVE or (s.offset_expr is not None and s.offset_expr.ops == _I32_CONST_OPS) for s in datas
    )
    if not simple or not datas:
        return [[s.mode, bytes(s.data), s.memory_index, _expr(s.offset_expr), s.offset] for s in datas]
    active = [s.mode != MODE_PASSIVE for s in datas]
    pieces = [bytes(s.data) for s in datas]
    memory = [s.memory_index for s in datas]
    consts = [s.offset_expr.imms[0] if a else 0 for s, a in zip(datas, active)]
    image = None
    if not memory_imported and not any(compress(memory, active)):
        image = _memory_image(list(compress(consts, active)), list(compress(pieces, active)))
    if image is None:
        parts, position = pieces, 0
        starts = []
        for piece in pieces:
            starts.append(position)
            position += len(piece)
    else:
        image_start, image_bytes = image
        parts, position = [image_bytes], len(image_bytes)
        starts = []
        for is_active, const, piece in zip(active, consts, pieces):
            if is_active:
                starts.append(const - image_start)
            else:
                starts.append(position)
                position += len(piece)
                parts.append(piece)
    return {
        "blob": b"".join(parts),
        "starts": _u32s(starts),
        "ends": _u32s(map(add, starts, map(len, pieces))),
        "active": bytes(active),
        "memory": _u32s(memory),
        "const": _u32s(consts),
        "expr_offset": _u32s(s.offset_expr.offset if a else 0 for s, a in zip(datas, active)),
        "offset": _u32s(s.offset for s in datas),
        "image": None if image is None else [image[0], len(image[1])],
    }


class CachedDataSegments(Sequence):
    """The data segments of a module loaded from the cache, kept in their column form.

    A sequence of :class:`DataSegment` for every reader; the objects (Go emits
    ~100k segments) are only built on first item access. Instantiation reads
    :attr:`data_columns` and :attr:`data_image` instead and never builds them.
    """

    __slots__ = ("_items", "data_columns", "data_image")

    def __init__(
        self,
        blob: bytes,
        starts: array,
        ends: array,
        active: bytes,
        memory: array,
        consts: array,
        expr_offsets: array,
        offsets: array,
        image: tuple | None = None,
    ):
        #: ``(blob, starts, ends, active, memory_indices, const_offsets, expr_byte_offsets, byte_offsets)``:
        #: segment ``i`` holds ``blob[starts[i]:ends[i]]`` and is active when ``active[i]``, then offset by
        #: ``i32.const const_offsets[i]``. Readers may rely on the first six entries.
        self.data_columns = (blob, starts, ends, active, memory, consts, expr_offsets, offsets)
        #: ``(image_start, image)`` or None. ``image`` (bytes-like) is what the module's own memory holds at
        #: ``[image_start, image_start + len(image))`` once every active segment is applied to zeros; each
        #: active segment is the slice of it at ``const_offsets[i] - image_start``, all targeting memory 0.
        self.data_image = image
        self._items = None

    def _materialise(self) -> tuple:
        items = self._items
        if items is None:
            blob, starts, ends, active, memory, consts, expr_offsets, offsets = self.data_columns
            # map() over the constructors: about three times faster than a loop for ~100k segments.
            datas = list(map(blob.__getitem__, map(slice, starts, ends)))
            exprs = list(map(ConstExpr, repeat(_I32_CONST_OPS), [(c,) for c in consts], expr_offsets))
            modes = [MODE_ACTIVE] * len(ends)
            if 0 in active:
                for i, is_active in enumerate(active):
                    if not is_active:
                        modes[i] = MODE_PASSIVE
                        exprs[i] = None
            items = self._items = tuple(map(DataSegment, modes, datas, memory, exprs, offsets))
        return items

    def __len__(self) -> int:
        return len(self.data_columns[2])

    def __getitem__(self, index):
        return self._materialise()[index]

    def __iter__(self):
        return iter(self._materialise())

    def __eq__(self, other):
        if isinstance(other, CachedDataSegments):
            other = other._materialise()
        if isinstance(other, tuple):
            return self._materialise() == other
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self._materialise())

    def __repr__(self) -> str:
        return f"<CachedDataSegments of {len(self)}>"


def _widen(raw: bytes) -> int:
    """u32 little-endian lanes as one integer of 64-bit lanes (the upper half of each lane zero)."""
    wide = bytearray(2 * len(raw))
    for byte in range(4):
        wide[byte::8] = raw[byte::4]
    return int.from_bytes(wide, "little")


def _bounds_hold(starts: bytes, ends: bytes, limit: int) -> bool:
    """Whether ``starts[k] <= ends[k] <= limit`` in every lane of two u32 little-endian columns of one length.

    Whole columns at once as big integers, since a map over ~100k lanes costs
    several milliseconds of a cache hit: with every lane widened to 64 bits,
    ``end + 2**32 - start`` and ``limit + 2**32 - end`` stay inside their lane
    (they lie in [1, 2**33)), and bit 32 of each is set exactly when its pair
    is in order.
    """
    count = len(starts) // 4
    ones = int.from_bytes(_ONE_LANE * count, "little")
    low, high = _widen(starts), _widen(ends)
    in_order = (high + (ones << 32) - low) & (ones * (limit + _U32_LIMIT) - high)
    return in_order.to_bytes(8 * count, "little")[4::8] == b"\1" * count


def _active_raw(raw: bytes, active: bytes) -> bytes:
    """The lanes of a u32 LE column that belong to active segments."""
    return _u32s(compress(_from_u32s(raw), active))


def _image_bounds(image, blob: bytes) -> tuple:
    """``(image_start, length)`` of a cached ``image`` field.

    Raises:
        PywazError: not two ints, or the image is not inside the blob.
    """
    if not isinstance(image, list) or len(image) != 2 or not all(type(value) is int for value in image):
        raise PywazError("cached data image is malformed")
    image_start, length = image
    # Below 2**32 at the end, so no active lane's start + image_start carries (see _check_image).
    if image_start < 0 or length < 0 or length > len(blob) or image_start + length >= _U32_LIMIT:
        raise PywazError("cached data image lies outside its bytes")
    return image_start, length


def _check_image(
    image_start: int, length: int, starts: bytes, ends: bytes, active: bytes, memory: bytes, consts: bytes
):
    """Check that every active segment is the image's slice at ``const - image_start``, in memory 0.

    ``starts[k] <= ends[k]`` is already known for every segment, and
    ``ends[k] <= length`` too when all are active.

    Raises:
        PywazError: an active segment lies elsewhere, past the image, or in another memory.
    """
    if 0 in active:
        starts, ends, memory, consts = (_active_raw(raw, active) for raw in (starts, ends, memory, consts))
        if not _bounds_hold(starts, ends, length):
            raise PywazError("cached data segment ends past its image")
    count = len(starts) // 4
    if not count:
        raise PywazError("cached data image without active segments")
    if memory != bytes(len(memory)):
        raise PywazError("cached data image for a memory other than 0")
    # start <= end <= length and image_start + length < 2**32, so start + image_start < 2**32 in every
    # lane: adding the columns as integers carries nothing between lanes, and equal sums mean equal lanes.
    shift = int.from_bytes(image_start.to_bytes(4, "little") * count, "little")
    if int.from_bytes(starts, "little") + shift != int.from_bytes(consts, "little"):
        raise PywazError("cached data segment is not at its offset in the image")


def _decode_datas(enc, memory_imported: bool = False) -> Sequence:
    if isinstance(enc, list):
        return tuple(
            DataSegment(mode, data, memory_index, _to_expr(offset_expr), offset)
            for mode, data, memory_index, offset_expr, offset in enc
        )
    names = ("blob", "starts", "ends", "active", "memory", "const", "expr_offset", "offset")
    if not isinstance(enc, dict) or not all(type(enc.get(name)) is bytes for name in names) or "image" not in enc:
        raise PywazError("cached data segments are malformed")
    blob, starts, ends, active, memory, consts, expr_offsets, offsets = (enc[name] for name in names)
    count = len(active)
    if any(len(raw) != 4 * count for raw in (starts, ends, memory, consts, expr_offsets, offsets)):
        raise PywazError("cached data segments are malformed")
    image = enc["image"]
    limit = min(len(blob), _U32_LIMIT - 1)
    if image is not None:
        if memory_imported:
            raise PywazError("cached data image for an imported memory")
        image_start, length = _image_bounds(image, blob)
        if 0 not in active:
            limit = length  # every segment lies in the image (which lies in the blob)
    if not _bounds_hold(starts, ends, limit):
        raise PywazError("cached data segments do not match their bytes (a start past its end, or an end outside)")
    if image is not None:
        _check_image(image_start, length, starts, ends, active, memory, consts)
        image = (image_start, blob if length == len(blob) else memoryview(blob)[:length])
    columns = [_from_u32s(raw) for raw in (starts, ends, memory, consts, expr_offsets, offsets)]
    return CachedDataSegments(blob, columns[0], columns[1], active, *columns[2:], image)


def _import_desc(imp: Import):
    desc = imp.desc
    if imp.kind == EXTERN_FUNC or imp.kind == EXTERN_TAG:
        return desc
    if imp.kind == EXTERN_TABLE:
        return [valtype_to_data(desc.elem_type), *_limits(desc.limits), desc.address_type]
    if imp.kind == EXTERN_MEMORY:
        return [*_limits(desc.limits), desc.address_type, desc.shared]
    return [valtype_to_data(desc.valtype), desc.mutable]


def encode_module_info(validated: ValidatedModule, module_sha256: bytes | None = None) -> dict:
    """Everything instantiation and inspection need of ``validated`` except function bodies, as plain data."""
    module = validated.module
    names = module.names
    return {
        "format": MODULE_INFO_FORMAT,
        "sha256": module_sha256,
        "types": types_to_data(module),
        "imports": [[i.module, i.name, i.kind, _import_desc(i), i.offset] for i in module.imports],
        "functions": list(module.functions),
        "tags": list(module.tags),
        "tables": [[valtype_to_data(t.elem_type), *_limits(t.limits), t.address_type, _expr(t.init)]
                   for t in module.tables],
        "memories": [[*_limits(m.limits), m.address_type, m.shared] for m in module.memories],
        "globals": [[valtype_to_data(g.type.valtype), g.type.mutable, _expr(g.init)] for g in module.globals_],
        "exports": [[e.name, e.kind, e.index, e.offset] for e in module.exports],
        "start": module.start,
        "elements": [
            [s.mode, valtype_to_data(s.elem_type), _element_inits(s.init), s.table_index, _expr(s.offset_expr),
             s.offset]
            for s in module.elements
        ],
        "datas": _encode_datas(module.datas, any(i.kind == EXTERN_MEMORY for i in module.imports)),
        "data_count": module.data_count,
        "codes": len(module.codes),
        "body_spans": [_u32s(body.offset for body in module.codes), _u32s(body.end for body in module.codes)],
        "customs": len(module.customs),
        "module_name": names.module_name,
        "function_names": [[i, n] for i, n in names.function_names.items()],
        "local_names": [[f, [[i, n] for i, n in locals_.items()]] for f, locals_ in names.local_names.items()],
        "section_sizes": [list(s) for s in module.section_sizes],
        "size": module.size,
        "declared_func_refs": sorted(validated.declared_func_refs),
    }


# -- decoding ---------------------------------------------------------------------


def _to_limits(pair) -> Limits:
    return Limits(pair[0], pair[1])


def _to_memory_type(enc) -> MemoryType:
    # [min, max, address type, shared]
    return MemoryType(_to_limits(enc), enc[2], bool(enc[3]))


def _to_expr(enc) -> ConstExpr | None:
    if enc is None:
        return None
    ops, imms, offset = enc
    imms = tuple(map(_imm_from_data, ops, imms))
    return ConstExpr(tuple(ops), imms, offset)


def _imm_from_data(op: int, imm):
    if op == _V128_CONST:
        return int.from_bytes(imm, "little")
    if op == _REF_NULL:
        return valtype_from_data(imm)
    if type(imm) is list:
        return tuple(imm)
    return imm


def _to_inits(enc) -> tuple:
    if isinstance(enc, list) and len(enc) == 2 and isinstance(enc[0], bytes):
        indices, offsets = array("I"), array("I")
        indices.frombytes(enc[0])
        offsets.frombytes(enc[1])
        if sys.byteorder != "little":
            indices.byteswap()
            offsets.byteswap()
        if len(indices) != len(offsets):
            raise PywazError("cached element segment is malformed")
        ops = _REF_FUNC_OPS
        return tuple(map(ConstExpr, [ops] * len(indices), [(i,) for i in indices], offsets))
    return tuple(_to_expr(e) for e in enc)


def _to_import(enc, types) -> Import:
    module_name, name, kind, desc, offset = enc
    if kind == EXTERN_FUNC or kind == EXTERN_TAG:
        if not 0 <= desc < len(types) or types[desc].kind != "func":
            raise PywazError(f"cached import {module_name!r} {name!r} names type {desc}, out of range")
    elif kind == EXTERN_TABLE:
        desc = TableType(valtype_from_data(desc[0]), Limits(desc[1], desc[2]), desc[3])
    elif kind == EXTERN_MEMORY:
        desc = _to_memory_type(desc)
    elif kind == EXTERN_GLOBAL:
        desc = GlobalType(valtype_from_data(desc[0]), bool(desc[1]))
    else:
        raise PywazError(f"cached import {module_name!r} {name!r} has unknown kind {kind!r}")
    return Import(module_name, name, kind, desc, offset)


def decode_module_info(info: dict, bodies: ModuleBodies | None = None) -> ValidatedModule:
    """Rebuild the :class:`ValidatedModule` that :func:`encode_module_info` described.

    Function bodies (``module.codes``, ``validated.functions``) and custom
    sections come from ``bodies`` on first access.

    Raises:
        PywazError: ``info`` is not module information of this format (any
            malformed field raises; the cache turns that into a miss).
    """
    if not isinstance(info, dict) or info.get("format") != MODULE_INFO_FORMAT:
        raise PywazError("not cached module information of this format")
    # Hundreds of thousands of small IR objects and no cycles among them: the
    # cyclic collector would only rescan them over and over (~30% of the time).
    paused = gc.isenabled()
    if paused:
        gc.disable()
    try:
        return _decode(info, bodies)
    finally:
        if paused:
            gc.enable()


def _decode(info: dict, bodies: ModuleBodies | None) -> ValidatedModule:
    if bodies is None:
        bodies = ModuleBodies(info.get("sha256"), info.get("size"))
    try:
        types, sub_types, rec_groups = types_from_data(info["types"])
        kinds = [t.kind for t in types]
    except (ValueError, AttributeError) as error:
        raise PywazError(f"cached types are malformed: {error}") from None
    imports = tuple(_to_import(i, types) for i in info["imports"])
    functions = tuple(info["functions"])
    tags = tuple(info.get("tags", ()))
    if not all(isinstance(t, int) and 0 <= t < len(types) and kinds[t] == "func" for t in tags):
        raise PywazError("cached tag types are out of range")
    if not all(isinstance(t, int) and 0 <= t < len(types) and kinds[t] == "func" for t in set(functions)):
        raise PywazError("cached function types are out of range")
    tables = tuple(TableType(valtype_from_data(t[0]), Limits(t[1], t[2]), t[3], _to_expr(t[4])) for t in info["tables"])
    memories = tuple(_to_memory_type(m) for m in info["memories"])
    globals_ = tuple(Global(GlobalType(valtype_from_data(g[0]), bool(g[1])), _to_expr(g[2])) for g in info["globals"])
    exports = tuple(Export(*e) for e in info["exports"])
    elements = tuple(
        ElementSegment(mode, valtype_from_data(elem_type), _to_inits(init), table_index, _to_expr(offset_expr), offset)
        for mode, elem_type, init, table_index, offset_expr, offset in info["elements"]
    )
    datas = _decode_datas(info["datas"], any(i.kind == EXTERN_MEMORY for i in imports))
    names = NameSection(
        info["module_name"],
        {i: n for i, n in info["function_names"]},
        {f: {i: n for i, n in locals_} for f, locals_ in info["local_names"]},
    )
    module = Module(
        types=types,
        sub_types=sub_types,
        rec_groups=rec_groups,
        imports=imports,
        functions=functions,
        tags=tags,
        tables=tables,
        memories=memories,
        globals_=globals_,
        exports=exports,
        start=info["start"],
        elements=elements,
        datas=datas,
        data_count=info["data_count"],
        codes=LazyBodies(bodies, info["codes"], lambda v: v.module.codes, ModuleBodies.body),
        customs=LazyBodies(bodies, info["customs"], lambda v: v.module.customs),
        names=names,
        section_sizes=tuple(tuple(s) for s in info["section_sizes"]),
        size=info["size"],
    )
    if len(module.codes) != len(functions):
        raise PywazError("cached module information has a different number of functions and bodies")
    func_types = []
    table_types, memory_types, global_types, tag_types = [], [], [], []
    for imp in imports:
        if imp.kind == EXTERN_FUNC:
            func_types.append(types[imp.desc])
        elif imp.kind == EXTERN_TAG:
            tag_types.append(types[imp.desc])
        elif imp.kind == EXTERN_TABLE:
            table_types.append(imp.desc)
        elif imp.kind == EXTERN_MEMORY:
            memory_types.append(imp.desc)
        else:
            global_types.append(imp.desc)
    func_types.extend(types[t] for t in functions)
    table_types.extend(tables)
    memory_types.extend(memories)
    global_types.extend(g.type for g in globals_)
    tag_types.extend(types[t] for t in tags)
    validated = ValidatedModule(
        module=module,
        func_types=tuple(func_types),
        table_types=tuple(table_types),
        memory_types=tuple(memory_types),
        global_types=tuple(global_types),
        functions=LazyBodies(bodies, len(functions), lambda v: v.functions, ModuleBodies.function),
        declared_func_refs=frozenset(info["declared_func_refs"]),
        tag_types=tuple(tag_types),
        def_types=canonicalize(module.types, module.sub_types, module.rec_groups),
    )
    spans = info.get("body_spans")
    if spans is not None:
        bodies._spans = _body_spans(spans, len(functions), module.size)
        data_count = module.data_count if module.data_count is not None else len(datas)
        bodies._context_parts = (
            types,
            validated.func_types,
            validated.table_types,
            validated.memory_types,
            validated.global_types,
            tuple(segment.elem_type for segment in elements),
            data_count,
            validated.declared_func_refs,
            validated.tag_types,
            validated.def_types,
            tuple(imp.desc for imp in module.imports if imp.kind == EXTERN_FUNC) + module.functions,
            validated.num_imported_funcs,
        )
    return validated


def _body_spans(spans, count: int, size: int) -> tuple[array, array]:
    """``(starts, ends)`` of each function body's bytes, checked against the module size.

    Raises:
        PywazError: malformed, of the wrong length, or outside the module.
    """
    if not isinstance(spans, list) or len(spans) != 2 or not all(isinstance(raw, bytes) for raw in spans):
        raise PywazError("cached function body spans are malformed")
    starts, ends = map(_from_u32s, spans)
    if len(starts) != count or len(ends) != count:
        raise PywazError("cached function body spans do not match the functions")
    if any(map(gt, starts, ends)) or (count and max(ends) > size):
        raise PywazError("cached function body spans lie outside the module")
    return starts, ends


def module_bodies_of(validated) -> ModuleBodies | None:
    """The :class:`ModuleBodies` behind a rebuilt module (None for a freshly validated one)."""
    functions = validated.functions
    return functions._bodies if isinstance(functions, LazyBodies) else None


__all__ = [
    "MODULE_INFO_FORMAT",
    "LazyBodies",
    "ModuleBodies",
    "decode_module_info",
    "encode_module_info",
    "module_bodies_of",
]
