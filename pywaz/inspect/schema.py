"""The JSON Schema that ``pywaz inspect --json`` output follows, shipped inside the package."""

from __future__ import annotations

import json
from importlib import resources


def schema_text() -> str:
    """The schema document (JSON Schema draft 2020-12) as text, exactly as shipped."""
    return resources.files(__package__).joinpath("schema.json").read_text(encoding="utf-8")


def schema() -> dict:
    """The schema document, parsed."""
    return json.loads(schema_text())
