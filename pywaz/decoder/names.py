"""The ``name`` custom section (appendix §7.4): module, function and local names.

Enters: the section's payload bytes (after the section name). Leaves: a
:class:`pywaz.ir.NameSection`. Custom section contents are uninterpreted by
the spec, so a malformed name section must never make the module malformed:
:func:`parse_name_section` returns None and the caller ignores it.
"""

from __future__ import annotations

from ..errors import DecodeError
from ..ir import NameSection
from .reader import Reader

_MODULE_NAME = 0
_FUNCTION_NAMES = 1
_LOCAL_NAMES = 2


def _name_map(reader: Reader) -> dict[int, str]:
    names = {}
    for _ in range(reader.length()):
        index = reader.u32()
        names[index] = reader.name()
    return names


def parse_name_section(payload: bytes) -> NameSection | None:
    """Parse a name section payload, or return None if it is malformed in any way."""
    reader = Reader(bytes(payload))
    module_name = None
    function_names: dict[int, str] = {}
    local_names: dict[int, dict[int, str]] = {}
    last_id = -1
    try:
        while not reader.at_end():
            sub_id = reader.byte()
            size = reader.length()
            start = reader.pos
            end = start + size
            if end > reader.size or sub_id <= last_id:
                return None  # truncated, duplicated or out-of-order subsection
            last_id = sub_id
            if sub_id == _MODULE_NAME:
                module_name = reader.name()
            elif sub_id == _FUNCTION_NAMES:
                function_names = _name_map(reader)
            elif sub_id == _LOCAL_NAMES:
                for _ in range(reader.length()):
                    func_index = reader.u32()
                    local_names[func_index] = _name_map(reader)
            else:
                reader.pos = end  # later extensions (labels, types, ...) are skipped
            if reader.pos != end:
                return None
    except DecodeError:
        return None
    return NameSection(module_name, function_names, local_names)
