"""Module summaries: everything about a module except its code, as plain JSON-ready data.

Enters: wasm bytes, a path, a decoded :class:`~pywaz.ir.Module` or a
:class:`~pywaz.ir.ValidatedModule`. Leaves: a ``dict`` of lists, strings and
ints that ``json.dumps`` accepts as is, shaped by
``pywaz/inspect/schema.json`` (``$defs/summary``): section sizes, types,
imports and exports with full types, tables, memories, globals with their
initialisers, the start function, element and data segments, custom
sections, the functions with their names, and the 2.0 features in use.
"""

from __future__ import annotations

import os
from pathlib import Path

from ..errors import PywazError, ValidationError
from ..ir import (
    EXTERN_FUNC,
    EXTERN_GLOBAL,
    EXTERN_KIND_NAMES,
    EXTERN_MEMORY,
    EXTERN_TABLE,
    EXTERN_TAG,
    I32,
    I64,
    GlobalType,
    MemoryType,
    Module,
    TableType,
    ValidatedModule,
)
from .features import detect_features
from .wat import const_expr_text, functype_text, limits_text, signature_text, subtype_text, valtype_name

SECTION_NAMES = {
    0: "custom",
    1: "type",
    2: "import",
    3: "function",
    4: "table",
    5: "memory",
    6: "global",
    7: "export",
    8: "start",
    9: "element",
    10: "code",
    11: "data",
    12: "datacount",
    13: "tag",
}


class InspectInputError(PywazError):
    """The input to inspect could not be read (missing file, not bytes, ...)."""


def load(source) -> tuple[Module, ValidatedModule | None, str | None, int]:
    """Decode (and try to validate) ``source``; returns ``(module, validated, validation_error, size)``.

    ``source`` is bytes-like, a path, a Module or a ValidatedModule. A module
    that does not validate is still returned (``validated`` None), so it can
    be inspected; the reason is the third item.

    Raises:
        InspectInputError: a path that cannot be read, or an unsupported type.
        DecodeError: the bytes are malformed.
    """
    if isinstance(source, ValidatedModule):
        return source.module, source, None, source.module.size
    if isinstance(source, Module):
        return source, None, None, source.size
    if isinstance(source, (str, os.PathLike)):
        try:
            source = Path(source).read_bytes()
        except OSError as exc:
            raise InspectInputError(f"cannot read {os.fspath(source)}: {exc.strerror or exc}") from exc
    if not isinstance(source, (bytes, bytearray, memoryview)):
        raise InspectInputError(f"cannot inspect a {type(source).__name__}; give wasm bytes, a path or a module")
    from ..decoder import decode_module
    from ..validator import validate

    module = decode_module(source)
    try:
        return module, validate(module), None, module.size
    except ValidationError as exc:
        return module, None, str(exc), module.size


def summarize(source, *, validate: bool = True, functions: bool = True) -> dict:
    """A JSON-ready summary of a module (see ``pywaz/inspect/schema.json``, ``$defs/summary``).

    ``source`` is wasm bytes, a path, a Module or a ValidatedModule. With
    ``validate`` False, a Module is not validated and ``valid`` is None.
    With ``functions`` False the per-function list is left out (the counts
    stay).

    Raises:
        InspectInputError: ``source`` cannot be read.
        DecodeError: ``source`` is malformed.
    """
    if isinstance(source, Module) and not validate:
        module, validated, error = source, None, None
    elif isinstance(source, Module) and validate:
        from ..validator import validate as run_validation

        module, validated, error = source, None, None
        try:
            validated = run_validation(source)
        except ValidationError as exc:
            error = str(exc)
    else:
        module, validated, error, _ = load(source)
    return summary_of(module, validated, error, validated_checked=validate, functions=functions)


def function_names(module: Module) -> dict[int, str]:
    """Function index -> name: the name section's, else the first export's."""
    names = dict(module.names.function_names)
    for export in module.exports:
        if export.kind == EXTERN_FUNC:
            names.setdefault(export.index, export.name)
    return names


def summary_of(
    module: Module,
    validated: ValidatedModule | None,
    validation_error: str | None,
    *,
    validated_checked: bool = True,
    functions: bool = True,
) -> dict:
    """The summary ``dict`` of an already decoded module (see :func:`summarize`)."""
    names = function_names(module)
    name_of = names.get
    imports_by_kind = {kind: [imp for imp in module.imports if imp.kind == kind] for kind in EXTERN_KIND_NAMES}
    func_type_indices = [imp.desc for imp in imports_by_kind[EXTERN_FUNC]] + list(module.functions)
    table_types = [imp.desc for imp in imports_by_kind[EXTERN_TABLE]] + list(module.tables)
    memory_types = [imp.desc for imp in imports_by_kind[EXTERN_MEMORY]] + list(module.memories)
    global_types = [imp.desc for imp in imports_by_kind[EXTERN_GLOBAL]] + [g.type for g in module.globals_]

    def func_type_text(func_index: int) -> str:
        if 0 <= func_index < len(func_type_indices):
            return _type_ref(module, func_type_indices[func_index])
        return "?"

    tag_type_indices = [imp.desc for imp in module.imports if imp.kind == EXTERN_TAG] + list(module.tags)

    def extern_type(kind: int, index: int) -> str:
        if kind == EXTERN_FUNC:
            return func_type_text(index)
        if kind == EXTERN_TAG:
            return _type_ref(module, tag_type_indices[index]) if 0 <= index < len(tag_type_indices) else "?"
        spaces = {EXTERN_TABLE: table_types, EXTERN_MEMORY: memory_types, EXTERN_GLOBAL: global_types}[kind]
        return _desc_text(spaces[index]) if 0 <= index < len(spaces) else "?"

    summary: dict = {
        "size": module.size,
        "valid": (validated is not None) if validated_checked else None,
        "validation_error": validation_error,
        "module_name": module.names.module_name,
        "sections": _sections(module),
        "types": _types(module),
        "imports": [],
        "exports": [
            {"name": e.name, "kind": EXTERN_KIND_NAMES[e.kind], "index": e.index, "type": extern_type(e.kind, e.index)}
            for e in module.exports
        ],
        "tables": [],
        "memories": [],
        "globals": [],
        "start": None,
        "elements": [_element(index, segment, name_of) for index, segment in enumerate(module.elements)],
        "data": [_data(index, segment) for index, segment in enumerate(module.datas)],
        "data_count": module.data_count,
        "tags": [
            {"index": index, "type": _type_ref(module, type_index)} for index, type_index in enumerate(tag_type_indices)
        ],
        "customs": [{"name": c.name, "offset": c.offset, "size": len(c.data)} for c in module.customs],
        "functions": {},
        "features": [
            {"name": use.name, "evidence": use.evidence, "offset": use.offset} for use in detect_features(module)
        ],
    }
    counters = dict.fromkeys(EXTERN_KIND_NAMES, 0)
    for imp in module.imports:
        index = counters[imp.kind]
        counters[imp.kind] += 1
        summary["imports"].append(
            {
                "module": imp.module,
                "name": imp.name,
                "kind": EXTERN_KIND_NAMES[imp.kind],
                "index": index,
                "type": _type_ref(module, imp.desc) if imp.kind in (EXTERN_FUNC, EXTERN_TAG) else _desc_text(imp.desc),
            }
        )
    imported_tables = len(imports_by_kind[EXTERN_TABLE])
    for index, table in enumerate(table_types):
        summary["tables"].append(
            {
                "index": index,
                "imported": index < imported_tables,
                "elem_type": valtype_name(table.elem_type),
                "min": table.limits.min,
                "max": table.limits.max,
                "address_type": valtype_name(table.address_type),
            }
        )
    imported_memories = len(imports_by_kind[EXTERN_MEMORY])
    for index, memory in enumerate(memory_types):
        summary["memories"].append(
            {
                "index": index,
                "imported": index < imported_memories,
                "min": memory.limits.min,
                "max": memory.limits.max,
                "address_type": valtype_name(memory.address_type),
                "shared": memory.shared,
            }
        )
    imported_globals = len(imports_by_kind[EXTERN_GLOBAL])
    for index, global_type in enumerate(global_types):
        init = None if index < imported_globals else module.globals_[index - imported_globals].init
        summary["globals"].append(
            {
                "index": index,
                "imported": index < imported_globals,
                "type": valtype_name(global_type.valtype),
                "mutable": global_type.mutable,
                "init": const_expr_text(init, name_of) if init is not None else None,
            }
        )
    if module.start is not None:
        summary["start"] = {"index": module.start, "name": name_of(module.start)}
    summary["functions"] = _functions(module, names, func_type_indices, len(imports_by_kind[EXTERN_FUNC]), functions)
    return summary


def _types(module: Module) -> list[dict]:
    """The type section: a function type's signature; with GC also the kind, sub clause, rec group and fields."""
    if not module.sub_types and not module.rec_groups:
        return [
            {
                "index": index,
                "params": [valtype_name(t) for t in func_type.params],
                "results": [valtype_name(t) for t in func_type.results],
                "text": signature_text(func_type),
            }
            for index, func_type in enumerate(module.types)
        ]
    group_of = []
    for group, size in enumerate(module.rec_groups or (1,) * len(module.types)):
        group_of += [group] * size
    entries = []
    for index, composite in enumerate(module.types):
        sub = module.sub_types[index] if index < len(module.sub_types) else None
        group = group_of[index] if index < len(group_of) else index
        entry = {
            "index": index,
            "params": [valtype_name(t) for t in composite.params] if composite.kind == "func" else [],
            "results": [valtype_name(t) for t in composite.results] if composite.kind == "func" else [],
            "text": f"rec {group}: {subtype_text(composite, sub)}",
            "kind": composite.kind,
            "final": True if sub is None else sub.final,
            "supertypes": [] if sub is None else list(sub.supertypes),
            "rec_group": group,
        }
        if composite.kind != "func":
            fields = composite.fields if composite.kind == "struct" else (composite.field,)
            entry["fields"] = [{"type": valtype_name(f.storage), "mutable": f.mutable} for f in fields]
        entries.append(entry)
    return entries


def _sections(module: Module) -> list[dict]:
    customs = iter(module.customs)
    sections = []
    for section_id, offset, size in module.section_sizes:
        entry = {"id": section_id, "name": SECTION_NAMES.get(section_id, "?"), "offset": offset, "size": size}
        if section_id == 0:
            custom = next(customs, None)
            entry["custom_name"] = custom.name if custom is not None else None
        sections.append(entry)
    return sections


def _type_ref(module: Module, type_index: int) -> str:
    if 0 <= type_index < len(module.types) and module.types[type_index].kind == "func":
        return signature_text(module.types[type_index])
    return f"(type {type_index})"


def _desc_text(desc) -> str:
    """The wat-like type of a table, memory or global: ``1 10 funcref``, ``1``, ``i64 1``, ``(mut i32)``."""
    address = "i64 " if getattr(desc, "address_type", I32) == I64 else ""
    if isinstance(desc, TableType):
        return f"{address}{limits_text(desc.limits)} {valtype_name(desc.elem_type)}"
    if isinstance(desc, MemoryType):
        return address + limits_text(desc.limits) + (" shared" if desc.shared else "")
    if isinstance(desc, GlobalType):
        return f"(mut {valtype_name(desc.valtype)})" if desc.mutable else valtype_name(desc.valtype)
    return "?"


def _element(index: int, segment, name_of) -> dict:
    entry = {
        "index": index,
        "mode": segment.mode,
        "elem_type": valtype_name(segment.elem_type),
        "count": len(segment.init),
        "offset": segment.offset,
        "table": None,
        "offset_expr": None,
    }
    if segment.offset_expr is not None:
        entry["table"] = segment.table_index
        entry["offset_expr"] = const_expr_text(segment.offset_expr, name_of)
    return entry


def _data(index: int, segment) -> dict:
    entry = {
        "index": index,
        "mode": segment.mode,
        "size": len(segment.data),
        "offset": segment.offset,
        "memory": None,
        "offset_expr": None,
    }
    if segment.offset_expr is not None:
        entry["memory"] = segment.memory_index
        entry["offset_expr"] = const_expr_text(segment.offset_expr)
    return entry


def _functions(module: Module, names: dict, type_indices: list, imported: int, with_list: bool) -> dict:
    result = {
        "imported": imported,
        "defined": len(module.codes),
        "total": imported + len(module.codes),
        "named": len(module.names.function_names),
        "list": None,
    }
    if not with_list:
        return result
    entries = []
    for func_index, type_index in enumerate(type_indices):
        entry = {
            "index": func_index,
            "name": names.get(func_index),
            "type_index": type_index,
            "type": _type_ref(module, type_index),
            "imported": func_index < imported,
            "offset": None,
            "size": None,
            "locals": None,
            "instructions": None,
        }
        if func_index >= imported and func_index - imported < len(module.codes):
            body = module.codes[func_index - imported]
            entry["offset"] = body.offset
            entry["size"] = body.end - body.offset
            entry["locals"] = len(body.locals)
            entry["instructions"] = len(body.ops)
        entries.append(entry)
    result["list"] = entries
    return result


def functype_of(module: Module, type_index: int) -> str:
    """``(param ..) (result ..)`` of type ``type_index``, for listings headers."""
    if 0 <= type_index < len(module.types) and module.types[type_index].kind == "func":
        return functype_text(module.types[type_index])
    return ""
