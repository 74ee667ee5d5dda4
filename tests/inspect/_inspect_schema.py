"""A small JSON Schema checker for the subset ``pywaz/inspect/schema.json`` uses.

Supports ``type`` (string or list), ``enum``, ``const``, ``properties``,
``required``, ``additionalProperties: false``, ``items``, ``minimum``,
``maximum``, ``oneOf``, ``anyOf``, ``pattern`` and local ``$ref`` (``#/$defs/...``).
Any other keyword is refused, so the schema cannot silently grow past what
is checked here.
"""

from __future__ import annotations

import json
import re

from pywaz.inspect.schema import schema_text

_IGNORED = {"$schema", "$id", "title", "description", "$defs"}
_KNOWN = _IGNORED | {
    "type",
    "enum",
    "const",
    "properties",
    "required",
    "additionalProperties",
    "items",
    "minimum",
    "maximum",
    "oneOf",
    "anyOf",
    "$ref",
    "pattern",
}
_TYPES = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
}


class SchemaViolation(Exception):
    pass


def load_schema() -> dict:
    return json.loads(schema_text())


def check(instance, schema: dict, root: dict | None = None, path: str = "$") -> None:
    """Raise SchemaViolation (with a JSON path) unless ``instance`` matches ``schema``."""
    root = root if root is not None else schema
    unknown = set(schema) - _KNOWN
    if unknown:
        raise SchemaViolation(f"{path}: schema keyword(s) not supported by the test checker: {sorted(unknown)}")
    if "$ref" in schema:
        ref = schema["$ref"]
        if not ref.startswith("#/"):
            raise SchemaViolation(f"{path}: only local $ref supported, got {ref}")
        target = root
        for part in ref[2:].split("/"):
            target = target[part]
        check(instance, target, root, path)
    if "type" in schema:
        names = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        if not any(_TYPES[name](instance) for name in names):
            raise SchemaViolation(f"{path}: expected {names}, got {type(instance).__name__} {instance!r:.80}")
    if "pattern" in schema and isinstance(instance, str) and not re.search(schema["pattern"], instance):
        raise SchemaViolation(f"{path}: {instance!r} does not match {schema['pattern']!r}")
    if "enum" in schema and instance not in schema["enum"]:
        raise SchemaViolation(f"{path}: {instance!r} not in {schema['enum']}")
    if "const" in schema and instance != schema["const"]:
        raise SchemaViolation(f"{path}: {instance!r} != {schema['const']!r}")
    if _TYPES["number"](instance):
        if "minimum" in schema and instance < schema["minimum"]:
            raise SchemaViolation(f"{path}: {instance} < minimum {schema['minimum']}")
        if "maximum" in schema and instance > schema["maximum"]:
            raise SchemaViolation(f"{path}: {instance} > maximum {schema['maximum']}")
    if isinstance(instance, dict):
        for key in schema.get("required", ()):
            if key not in instance:
                raise SchemaViolation(f"{path}: missing required {key!r}")
        properties = schema.get("properties", {})
        for key, value in instance.items():
            if key in properties:
                check(value, properties[key], root, f"{path}.{key}")
            elif schema.get("additionalProperties", True) is False:
                raise SchemaViolation(f"{path}: unexpected property {key!r}")
    if isinstance(instance, list) and "items" in schema:
        for index, item in enumerate(instance):
            check(item, schema["items"], root, f"{path}[{index}]")
    if "oneOf" in schema:
        matched = sum(1 for option in schema["oneOf"] if _matches(instance, option, root, path))
        if matched != 1:
            raise SchemaViolation(f"{path}: matches {matched} of the oneOf options, expected exactly 1")
    if "anyOf" in schema and not any(_matches(instance, option, root, path) for option in schema["anyOf"]):
        raise SchemaViolation(f"{path}: matches none of the anyOf options")


def _matches(instance, schema, root, path) -> bool:
    try:
        check(instance, schema, root, path)
    except SchemaViolation:
        return False
    return True
