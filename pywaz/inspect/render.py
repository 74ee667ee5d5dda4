"""Writing summaries and function views: aligned text tables for people, JSON for machines.

Enters: a summary ``dict`` (:mod:`.summary`) and :class:`~.view.FunctionView`
objects. Leaves: text written to a stream as it is produced (a large listing
is never built into one string). Colour is used only when asked for; the
caller decides with :func:`use_colour` (a terminal, and ``NO_COLOR`` unset).
JSON output follows ``pywaz/inspect/schema.json``.
"""

from __future__ import annotations

import dis
import io
import json
import os

from ..ir import valtype_name
from .view import FunctionView
from .wat import functype_text, valtypes_text

SCHEMA_ID = "pywaz-inspect/1"
"""The ``format`` field of ``--json`` output; bumped on incompatible schema changes."""


def use_colour(stream, mode: str = "auto") -> bool:
    """Whether to colour output on ``stream``: ``always``/``never``, or ``auto`` (a tty and no NO_COLOR)."""
    if mode == "always":
        return True
    if mode == "never":
        return False
    if os.environ.get("NO_COLOR"):  # https://no-color.org: any non-empty value disables colour
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


class Style:
    """ANSI styling that degrades to plain text when colour is off."""

    def __init__(self, colour: bool):
        self.colour = colour

    def _wrap(self, code: str, text: str) -> str:
        return f"\x1b[{code}m{text}\x1b[0m" if self.colour else text

    def heading(self, text: str) -> str:
        return self._wrap("1", text)

    def dim(self, text: str) -> str:
        return self._wrap("2", text)

    def op(self, text: str) -> str:
        return self._wrap("36", text)


def write_table(out, title: str, headers: list[str], rows: list[list], style: Style) -> None:
    """A titled table with columns padded to their widest cell; nothing at all when ``rows`` is empty."""
    if not rows:
        return
    cells = [[("-" if cell is None else str(cell)) for cell in row] for row in rows]
    widths = [max(len(headers[i]), *(len(row[i]) for row in cells)) for i in range(len(headers))]
    out.write(f"\n{style.heading(f'{title} ({len(rows)})')}\n")
    out.write("  " + style.dim("  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip()) + "\n")
    for row in cells:
        out.write("  " + "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() + "\n")


def write_summary_text(out, path: str, summary: dict, style: Style) -> None:
    """The human-readable summary: a header, then one table per non-empty part of the module."""
    valid = summary["valid"]
    validity = {True: "valid", False: f"INVALID: {summary['validation_error']}", None: "not validated"}[valid]
    name = f" (module ${summary['module_name']})" if summary["module_name"] else ""
    out.write(f"{style.heading(path)}{name}: {summary['size']} bytes, {validity}\n")
    funcs = summary["functions"]
    out.write(
        f"functions: {funcs['total']} ({funcs['imported']} imported, {funcs['defined']} defined, "
        f"{funcs['named']} named)\n"
    )
    features = summary["features"]
    out.write("features: " + (", ".join(f["name"] for f in features) if features else "none beyond the MVP") + "\n")
    start = summary["start"]
    if start is not None:
        out.write(f"start: function {start['index']}" + (f" <{start['name']}>" if start["name"] else "") + "\n")

    write_table(
        out,
        "sections",
        ["id", "name", "offset", "size"],
        [
            [
                s["id"],
                s["name"] + (f" {s['custom_name']!r}" if s.get("custom_name") is not None else ""),
                f"0x{s['offset']:x}",
                s["size"],
            ]
            for s in summary["sections"]
        ],
        style,
    )
    write_table(out, "types", ["index", "type"], [[t["index"], t["text"]] for t in summary["types"]], style)
    write_table(
        out,
        "imports",
        ["kind", "index", "module", "name", "type"],
        [[i["kind"], i["index"], i["module"], i["name"], i["type"]] for i in summary["imports"]],
        style,
    )
    write_table(
        out,
        "exports",
        ["kind", "index", "name", "type"],
        [[e["kind"], e["index"], e["name"], e["type"]] for e in summary["exports"]],
        style,
    )
    write_table(
        out,
        "tables",
        ["index", "elem", "min", "max", "address", "imported"],
        [
            [t["index"], t["elem_type"], t["min"], t["max"], t["address_type"], "yes" if t["imported"] else ""]
            for t in summary["tables"]
        ],
        style,
    )
    # The "shared" column (threads proposal) appears only when some memory is shared.
    any_shared = any(m.get("shared") for m in summary["memories"])
    write_table(
        out,
        "memories",
        ["index", "min pages", "max pages", "address", *(["shared"] if any_shared else []), "imported"],
        [
            [m["index"], m["min"], m["max"], m["address_type"], *(["yes" if m["shared"] else ""] if any_shared else []),
             "yes" if m["imported"] else ""]
            for m in summary["memories"]
        ],
        style,
    )
    write_table(
        out,
        "globals",
        ["index", "type", "init"],
        [
            [
                g["index"],
                f"(mut {g['type']})" if g["mutable"] else g["type"],
                "(imported)" if g["imported"] else g["init"],
            ]
            for g in summary["globals"]
        ],
        style,
    )
    write_table(
        out,
        "element segments",
        ["index", "mode", "type", "count", "table", "offset expr"],
        [
            [e["index"], e["mode"], e["elem_type"], e["count"], e["table"], e["offset_expr"]]
            for e in summary["elements"]
        ],
        style,
    )
    write_table(
        out,
        "data segments",
        ["index", "mode", "bytes", "memory", "offset expr"],
        [[d["index"], d["mode"], d["size"], d["memory"], d["offset_expr"]] for d in summary["data"]],
        style,
    )
    write_table(
        out,
        "custom sections",
        ["name", "offset", "bytes"],
        [[repr(c["name"]), f"0x{c['offset']:x}", c["size"]] for c in summary["customs"]],
        style,
    )
    write_table(
        out,
        "features",
        ["feature", "first evidence", "offset"],
        [[f["name"], f["evidence"], None if f["offset"] is None else f"0x{f['offset']:x}"] for f in features],
        style,
    )
    if funcs["list"] is not None:
        write_table(
            out,
            "functions",
            ["index", "name", "type", "offset", "bytes", "instrs"],
            [
                [
                    f["index"],
                    f["name"],
                    f["type"],
                    "import" if f["imported"] else f"0x{f['offset']:x}",
                    f["size"],
                    f["instructions"],
                ]
                for f in funcs["list"]
            ],
            style,
        )


def _header(view: FunctionView) -> str:
    name = f" <{view.name}>" if view.name else ""
    signature = functype_text(view.type) if view.type is not None else "(type ?)"
    return f"func[{view.func_index}]{name}: {signature}".rstrip()


def _locals_text(local_types) -> str:
    groups: list[list] = []
    for valtype in local_types:
        if groups and groups[-1][0] == valtype:
            groups[-1][1] += 1
        else:
            groups.append([valtype, 1])
    return ", ".join(valtype_name(t) + (f" x{n}" if n > 1 else "") for t, n in groups)


def write_function_text(out, view: FunctionView, style: Style, *, wasm: bool, python: bool, disassembly: bool) -> None:
    """One function: header, locals, then the wasm listing and/or the Python views, streamed."""
    out.write(f"\n{style.heading(_header(view))}\n")
    if view.import_name is not None:
        out.write(f"  imported from {view.import_name}\n")
        if python or disassembly:
            out.write(f"  {view.python_unavailable}\n")
        return
    if view.locals:
        out.write(f"  locals: {_locals_text(view.locals)}\n")
    if wasm:
        colour = style.colour
        for line in view.wasm:
            if colour:
                out.write(f"{style.dim(f'0x{line.offset:06x}:')} {'  ' * line.depth}{_colour_op(line.text, style)}\n")
            else:
                out.write(line.render() + "\n")
    if (python or disassembly) and view.python_source is None:
        out.write(f"  {view.python_unavailable or 'python view not available yet'}\n")
        return
    if python:
        out.write(style.dim("# generated Python") + "\n")
        out.write(view.python_source if view.python_source.endswith("\n") else view.python_source + "\n")
    if disassembly:
        if view.code is None:
            out.write("  bytecode not available: no code object\n")
        else:
            out.write(style.dim("# CPython bytecode") + "\n")
            dis.dis(view.code, file=out)


def _colour_op(text: str, style: Style) -> str:
    mnemonic, sep, rest = text.partition(" ")
    return style.op(mnemonic) + sep + rest


def function_json(view: FunctionView, *, wasm: bool, python: bool, disassembly: bool) -> dict:
    """The JSON object of one function (``$defs/function`` in the schema)."""
    entry = {
        "index": view.func_index,
        "name": view.name,
        "type": None
        if view.type is None
        else {
            "params": valtypes_text(view.type.params).split(),
            "results": valtypes_text(view.type.results).split(),
        },
        "imported": view.import_name,
        "locals": valtypes_text(view.locals).split(),
        "wasm": None,
        "python_source": None,
        "dis": None,
        "python_unavailable": view.python_unavailable,
    }
    if wasm and view.import_name is None:
        entry["wasm"] = [{"offset": i.offset, "depth": i.depth, "text": i.text} for i in view.wasm]
    if python:
        entry["python_source"] = view.python_source
    if disassembly and view.code is not None:
        buffer = io.StringIO()
        dis.dis(view.code, file=buffer)
        entry["dis"] = buffer.getvalue()
    return entry


class JsonWriter:
    """Streams one ``--json`` document: ``{"format", "path", "summary"?, "functions"?: [...]}``.

    Each function is encoded and written as it comes, so listing every
    function of a large module never holds the whole document in memory.
    """

    def __init__(self, out, path: str):
        self.out = out
        self.count = 0
        self.in_functions = False
        out.write("{" + f'"format": {json.dumps(SCHEMA_ID)}, "path": {json.dumps(path)}')

    def summary(self, summary: dict) -> None:
        self.out.write(', "summary": ')
        json.dump(summary, self.out)

    def _next_item(self) -> None:
        if not self.in_functions:
            self.out.write(', "functions": [')
            self.in_functions = True
        self.out.write("\n  " if self.count == 0 else ",\n  ")
        self.count += 1

    def function(self, entry: dict) -> None:
        """Write one function object (as :func:`function_json` makes it)."""
        self._next_item()
        self.out.write(json.dumps(entry))

    def function_view(self, view: FunctionView, *, wasm: bool, python: bool, disassembly: bool) -> None:
        """Write one function, streaming its listing instruction by instruction (``view.wasm`` may be an iterator)."""
        entry = function_json(view, wasm=False, python=python, disassembly=disassembly)
        if not wasm or view.import_name is not None:
            self.function(entry)
            return
        del entry["wasm"]
        self._next_item()
        write = self.out.write
        write(json.dumps(entry)[:-1] + ', "wasm": [')
        separator = ""
        for line in view.wasm:
            write(f'{separator}{{"offset": {line.offset}, "depth": {line.depth}, "text": {json.dumps(line.text)}}}')
            separator = ", "
        write("]}")

    def close(self) -> None:
        if self.in_functions:
            self.out.write("\n]")
        self.out.write("}\n")
