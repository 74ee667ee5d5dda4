"""Turning ``--func`` arguments (indices, names, glob patterns) into function indices.

Enters: a decoded module and the user's selectors. Leaves: function indices
in the order asked for, each once. A selector that matches nothing is an
:class:`~pywaz.inspect.disasm.UnknownFunctionError` naming it.
"""

from __future__ import annotations

import fnmatch

from ..ir import Module
from .disasm import UnknownFunctionError, num_imported_funcs
from .summary import function_names

_GLOB_CHARS = frozenset("*?[")


def select_functions(module: Module, selectors) -> list[int]:
    """Function indices for ``selectors`` (``"3"``, ``"fib"``, ``"run*"``), deduplicated, in order.

    A decimal selector is an index; anything else is a name from the name
    section or the exports; a selector containing ``*``, ``?`` or ``[`` is a
    glob over those names (case-sensitive); a function without a name is
    matched by its index as text, so ``'*'`` selects every function.

    Raises:
        UnknownFunctionError: a selector names no function (the message says which).
    """
    total = num_imported_funcs(module) + len(module.codes)
    names = function_names(module)
    by_name: dict[str, list[int]] = {}
    for index, name in sorted(names.items()):
        by_name.setdefault(name, []).append(index)
    for export in module.exports:  # an export name also selects, even when the name section names it otherwise
        if export.kind == 0 and export.index not in by_name.get(export.name, ()):
            by_name.setdefault(export.name, []).append(export.index)
    chosen: dict[int, None] = {}
    for selector in selectors:
        selector = str(selector)
        if selector.isdecimal():
            index = int(selector)
            if index >= total:
                raise UnknownFunctionError(
                    f"no function {index}: the module has {total} functions" + (f" (0..{total - 1})" if total else "")
                )
            chosen.setdefault(index)
            continue
        if _GLOB_CHARS & set(selector):
            matches = sorted(
                {i for name, indices in by_name.items() if fnmatch.fnmatchcase(name, selector) for i in indices}
                | {i for i in range(total) if i not in names and fnmatch.fnmatchcase(str(i), selector)}
            )
        else:
            matches = by_name.get(selector, [])
        if not matches:
            hint = " (the module has no functions)" if total == 0 else _hint(selector, by_name)
            raise UnknownFunctionError(f"no function matches {selector!r}{hint}")
        for index in matches:
            chosen.setdefault(index)
    return list(chosen)


def _hint(selector: str, by_name: dict) -> str:
    if not by_name:
        return " (the module has no function names; use an index)"
    close = fnmatch.filter(by_name, f"*{selector.strip('*?[]')}*")[:5] if selector.strip("*?[]") else []
    return f" (similar: {', '.join(close)})" if close else ""
