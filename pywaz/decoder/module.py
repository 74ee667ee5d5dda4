"""Modules (binary format §5.5): header, section framing and order, cross-section checks.

Enters: the bytes of a ``.wasm`` file. Leaves: a :class:`pywaz.ir.Module`.
Every section of WebAssembly 2.0 is decoded, custom sections are kept (the
``name`` section is parsed when it is well formed), and every malformed input
raises :class:`pywaz.errors.DecodeError` with the reference interpreter's
wording and the byte offset. Nothing the spec calls *invalid* (an unknown
index, a too-large alignment, two memories) is rejected here.
"""

from __future__ import annotations

import gc

from ..errors import DecodeError
from ..features import DEFAULT as DEFAULT_FEATURES
from ..features import Features
from ..ir import EXTERN_FUNC, CustomSection, Module, NameSection
from . import proposals, sections
from .leb import UNEXPECTED_END
from .names import parse_name_section
from .reader import Reader

MAGIC = b"\x00asm"
VERSION = b"\x01\x00\x00\x00"

SECTION_CUSTOM = 0
SECTION_DATA_COUNT = 12
SECTION_TAG = 13  # exception handling
# Position of each known section id in the required order (datacount sits
# between element and code).
_SECTION_ORDER = {1: 1, 2: 2, 3: 3, 4: 4, 5: 5, 6: 6, 7: 7, 8: 8, 9: 9, 12: 10, 10: 11, 11: 12}


def decode_module(data: bytes | bytearray | memoryview, features: Features | None = None, *,
                  lazy_bodies: bool = True, fork: bool = True) -> Module:
    """Decode a WebAssembly binary module into the module IR.

    ``features`` (default: every proposal pywaz implements) decides which
    proposals' binary forms are accepted. With ``lazy_bodies`` (the default),
    a function body that a one-pass check over its bytes shows well formed and
    valid (:mod:`pywaz.validator._prevalidate`: core instructions on numeric
    types, what compilers emit) is kept as a
    :class:`~pywaz.decoder.lazybody.LazyFunctionBody`, whose instruction lists
    are decoded on first use, and :func:`~pywaz.validator.validate` does not walk
    it again. Every other body is decoded at once. Such bodies share a copy of
    the code section's bytes (not ``data`` itself). Errors are the same either way. ``fork`` lets
    that check run half of a large code section (2 MB or more) in a forked
    child process on Linux when this is the process's only thread (see
    :func:`~pywaz.validator._prevalidate.check_many`; ``PYWAZ_DECODE_FORK=0``
    in the environment turns it off for every call).

    Raises:
        ProposalError: the module uses a proposal ``features`` switches off
            (a ``DecodeError`` too) or one pywaz does not implement.
        DecodeError: the bytes are malformed (spec "assert_malformed"); ``message``
            uses the reference interpreter's wording and ``offset`` points at the
            offending byte.
    """
    if not isinstance(data, bytes):
        data = bytes(data)
    # Decoding allocates millions of containers and creates no reference cycles,
    # so the cyclic collector's generation-0 passes are pure overhead (~25%).
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        return _decode(data, DEFAULT_FEATURES if features is None else features, lazy_bodies, fork)
    finally:
        if gc_was_enabled:
            gc.enable()


def _fast_context(fields: dict):
    """The one-pass body check's context from the sections decoded so far, or None where it does not apply."""
    if fields.get("rec_groups") or fields.get("sub_types"):
        return None  # GC types: subtyping between function types is the full validator's business
    from ..validator._prevalidate import FastContext

    return FastContext.build(fields.get("types", ()), fields.get("imports", ()), fields.get("functions", ()),
                             fields.get("tables", ()), fields.get("memories", ()), fields.get("globals_", ()))


def _decode(data: bytes, features: Features, lazy_bodies: bool, fork: bool) -> Module:
    size = len(data)
    if size < 4:
        raise DecodeError("unexpected end", size)
    if data[:4] != MAGIC:
        raise DecodeError("magic header not detected", 0)
    if size < 8:
        raise DecodeError("unexpected end", size)
    if data[4:8] != VERSION:
        raise DecodeError("unknown binary version", 4)

    reader = Reader(data, 8, features)
    memargs: dict = {}
    fields: dict = {}
    customs = []
    names: NameSection | None = None
    section_sizes = []
    uses_data_index = False
    last_rank = 0

    while not reader.at_end():
        id_pos = reader.pos
        section_id = reader.byte()
        if section_id == SECTION_CUSTOM:
            rank = None
        else:
            rank = _SECTION_ORDER.get(section_id)
            if section_id == SECTION_TAG and features.exceptions:
                rank = 5.5  # between memory and global
            if rank is None:
                proposals.check(proposals.SECTIONS, section_id, id_pos, features, f"malformed section id {section_id}")
                raise DecodeError(f"malformed section id {section_id}", id_pos)
            if rank <= last_rank:
                raise DecodeError(
                    f"unexpected content after last section (section id {section_id} duplicated or out of order)",
                    id_pos,
                )
            last_rank = rank
        content_size = reader.length()
        start = reader.pos
        end = start + content_size
        section_sizes.append((section_id, start, content_size))

        if section_id == SECTION_CUSTOM:
            custom_name = reader.name()
            if reader.pos > end:
                raise DecodeError(UNEXPECTED_END + " (custom section name exceeds its section)", start)
            if end > size:  # the reference reads the payload and hits the end of the module
                raise DecodeError(UNEXPECTED_END + " (custom section extends past the module)", size)
            payload = data[reader.pos : end]
            customs.append(CustomSection(custom_name, reader.pos, payload))
            if custom_name == "name" and names is None:
                names = parse_name_section(payload)
            reader.pos = end
            continue

        if section_id == 1:
            fields["types"], fields["sub_types"], fields["rec_groups"] = sections.read_types(reader)
        elif section_id == 2:
            fields["imports"] = sections.read_imports(reader)
        elif section_id == 3:
            fields["functions"] = sections.read_functions(reader)
        elif section_id == 4:
            fields["tables"] = sections.read_tables(reader, memargs)
        elif section_id == 5:
            fields["memories"] = sections.read_memories(reader)
        elif section_id == 6:
            fields["globals_"] = sections.read_globals(reader, memargs)
        elif section_id == 7:
            fields["exports"] = sections.read_exports(reader)
        elif section_id == 8:
            fields["start"] = sections.read_start(reader)
        elif section_id == 9:
            fields["elements"] = sections.read_elements(reader, memargs)
        elif section_id == SECTION_TAG:
            fields["tags"] = sections.read_tags(reader)
        elif section_id == SECTION_DATA_COUNT:
            fields["data_count"] = sections.read_data_count(reader)
        elif section_id == 10:
            fast = _fast_context(fields) if lazy_bodies else None
            imported_funcs = sum(1 for import_ in fields.get("imports", ()) if import_.kind == EXTERN_FUNC)
            fields["codes"], uses_data_index = sections.read_codes(reader, memargs, fast, imported_funcs, fork)
        else:  # 11
            fields["datas"] = sections.read_datas(reader, memargs)
        if reader.pos != end:
            raise DecodeError(f"section size mismatch (section id {section_id})", start)

    if reader.deferred:
        raise reader.deferred[0]
    function_count = len(fields.get("functions", ()))
    code_count = len(fields.get("codes", ()))
    if function_count != code_count:
        raise DecodeError(
            f"function and code section have inconsistent lengths ({function_count} functions, {code_count} bodies)",
            size,
        )
    data_count = fields.get("data_count")
    data_segments = len(fields.get("datas", ()))
    if data_count is not None and data_count != data_segments:
        raise DecodeError(
            f"data count and data section have inconsistent lengths ({data_count} vs {data_segments})", size
        )
    # The spec makes a data count section mandatory when code uses a data index.
    # Without any data section every data index is out of range anyway, and
    # producers (wabt) then omit the count; leave that case to the validator,
    # which reports it as the spec suite expects ("unknown data segment").
    if data_count is None and uses_data_index and "datas" in fields:
        raise DecodeError("data count section required (memory.init or data.drop is used)", size)

    return Module(
        customs=tuple(customs),
        names=names if names is not None else NameSection(),
        section_sizes=tuple(section_sizes),
        size=size,
        **fields,
    )
