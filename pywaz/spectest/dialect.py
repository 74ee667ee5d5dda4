"""Which converter wrote a spec-test JSON file: wabt's ``wast2json`` or wasm-tools' ``json-from-wast``.

Input: the parsed JSON document of one converted ``.wast`` file. Output: a
:class:`Dialect`, which decides how integers are read (wabt writes unsigned
bit patterns, wasm-tools signed values) and which command spellings to
expect. The two formats are described side by side in the testsuite data's
``v3-json/README.md``; the detection rules are:

* wasm-tools puts ``module_type`` on every ``module`` and
  ``module_definition`` command, and only it writes the command types
  ``module_definition``, ``module_instance``, ``assert_malformed_custom`` and
  ``assert_invalid_custom``;
* wabt writes ``module`` commands without ``module_type``, module names with
  a leading ``$``, ``expected`` result types on ``assert_trap`` and
  ``assert_exception``, and its own ``instance`` command.

A file that shows evidence of both is rejected; a file with evidence of
neither (it has no module commands, so no values that depend on the
dialect) is read as wabt's.
"""

from __future__ import annotations

import enum


class Dialect(enum.Enum):
    """A JSON spec-test format; the value is the converter's name."""

    WABT = "wabt"
    WASM_TOOLS = "wasm-tools"

    @property
    def signed_integers(self) -> bool:
        """True when i32/i64 values and integer v128 lanes are written signed ("-1")."""
        return self is Dialect.WASM_TOOLS


_WASM_TOOLS_ONLY = frozenset({"module_definition", "module_instance", "assert_malformed_custom",
                              "assert_invalid_custom"})
_WABT_ONLY = frozenset({"instance"})


class DialectError(ValueError):
    """The document mixes the two formats, so its integers cannot be read safely."""


def _evidence(command: dict) -> tuple[str | None, str | None]:
    """(a reason to read the file as wasm-tools', a reason to read it as wabt's) for one command."""
    ctype = command.get("type")
    if ctype in _WASM_TOOLS_ONLY:
        return f"a {ctype} command", None
    if ctype in _WABT_ONLY:
        return None, f"an {ctype} command"
    wasm_tools = wabt = None
    if ctype == "module":
        if "module_type" in command:
            wasm_tools = "module_type on a module command"
        else:
            wabt = "a module command without module_type"
    if ctype in ("assert_trap", "assert_exception") and "action" in command and "expected" in command:
        wabt = f"result types on {ctype}"
    name = command.get("name")
    if isinstance(name, str) and name.startswith("$"):
        wabt = "a $-prefixed module name"
    return wasm_tools, wabt


def detect_dialect(document) -> Dialect:
    """The dialect of one parsed JSON document (see the module docstring for the rules).

    Raises:
        DialectError: one command looks like wasm-tools' format and another like wabt's.
    """
    commands = document.get("commands") if isinstance(document, dict) else None
    wasm_tools_reason = wabt_reason = None
    for command in commands if isinstance(commands, list) else ():
        if not isinstance(command, dict):
            continue
        for_wasm_tools, for_wabt = _evidence(command)
        wasm_tools_reason = wasm_tools_reason or for_wasm_tools
        wabt_reason = wabt_reason or for_wabt
        if wasm_tools_reason and wabt_reason:
            raise DialectError(
                f"the file mixes the wasm-tools JSON format ({wasm_tools_reason}) "
                f"and wabt's wast2json format ({wabt_reason})")
    return Dialect.WASM_TOOLS if wasm_tools_reason else Dialect.WABT
