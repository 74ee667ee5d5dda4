"""``pywaz inspect MODULE.wasm``: a module summary, or function listings with ``--func``.

Enters: a path and options. Leaves: text (aligned tables, listings) or, with
``--json``, one JSON document following the schema ``--schema`` prints, written
to stdout as it is produced. Any bad input is one ``pywaz inspect: error: ...``
line on stderr and an exit status from :data:`EXIT_CODES`. A module that
decodes but does not validate is still inspected (status 0), and says why.
"""

from __future__ import annotations

import argparse
import sys

from . import exitcodes

HELP = "summarize a module, or list functions as wasm text (and generated Python)"

EXIT_CODES = (
    (exitcodes.OK, "the module was inspected (an invalid one too: the output says why it does not validate)"),
    (exitcodes.USAGE, "usage error, or a --func that matches no function"),
    (exitcodes.DATA_ERROR, "the module is malformed (cannot be decoded)"),
    (exitcodes.UNSUPPORTED, "the module needs a WebAssembly proposal pywaz does not implement"),
    (exitcodes.NO_INPUT, "the module file cannot be read"),
)


def register(subparsers) -> None:
    """Add the ``inspect`` subcommand to the ``pywaz`` parser."""
    parser = subparsers.add_parser(
        "inspect",
        help=HELP,
        description=HELP,
        epilog=exitcodes.epilog(EXIT_CODES),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("module", metavar="MODULE.wasm", nargs="?",
                        help="the module to inspect: a wasm binary or a text module (.wat), assembled first")
    parser.add_argument(
        "--func",
        action="append",
        default=[],
        metavar="NAME_OR_INDEX",
        help="show this function (an index, a name, or a glob such as 'run*'); may be repeated",
    )
    parser.add_argument("--wasm", action="store_true", help="with --func: the wasm listing (the default view)")
    parser.add_argument("--python", action="store_true", help="with --func: the generated Python source")
    parser.add_argument("--dis", action="store_true", help="with --func: the CPython bytecode of the generated code")
    parser.add_argument("--json", action="store_true", help="write JSON (its schema: pywaz inspect --schema)")
    parser.add_argument("--schema", action="store_true", help="print the JSON Schema that --json output follows, and exit")
    parser.add_argument("--no-validate", action="store_true", help="skip validation (faster on huge modules)")
    parser.add_argument("--no-functions", action="store_true", help="summary: leave out the per-function table")
    parser.add_argument(
        "--color",
        choices=("auto", "always", "never"),
        default="auto",
        help="colour the text output (auto: only on a terminal, and never when NO_COLOR is set)",
    )
    parser.set_defaults(handler=run_inspect)


def _fail(status: int, message: str) -> int:
    print(f"pywaz inspect: error: {message}", file=sys.stderr)
    return status


def run_inspect(args, out=None) -> int:
    """Handle ``pywaz inspect``; returns the exit status."""
    from ..errors import DecodeError, PywazError
    from ..features import ProposalError
    from ..inspect import render
    from ..inspect.disasm import Namer
    from ..inspect.select import select_functions
    from ..inspect.summary import InspectInputError, summary_of
    from ..inspect.view import function_view

    out = out or sys.stdout
    if args.schema:
        from ..inspect.schema import schema_text

        out.write(schema_text())
        return exitcodes.OK
    path = args.module
    if path is None:
        return _fail(exitcodes.USAGE, "the following arguments are required: MODULE.wasm")
    try:
        data = open(path, "rb").read()  # noqa: SIM115 - read at once, closed by refcount
    except OSError as exc:
        return _fail(exitcodes.NO_INPUT, f"cannot read {path}: {exc.strerror or exc}")
    try:
        from ..decoder import decode_module
        from ..text import is_text, wat2wasm

        if is_text(data):
            data = wat2wasm(data)
        module = decode_module(data)
    except ProposalError as exc:
        return _fail(exitcodes.UNSUPPORTED, f"{path}: unsupported module: {exc}")
    except DecodeError as exc:
        line = getattr(exc, "line", None)
        if line:  # malformed text: point at the place, file:line:column
            return _fail(exitcodes.DATA_ERROR, f"{path}:{line}:{exc.column}: malformed module: {exc.message}")
        return _fail(exitcodes.DATA_ERROR, f"{path}: malformed module: {exc}")
    validated = error = None
    if not args.no_validate:
        from ..validator import validate

        try:
            validated = validate(module)
        except PywazError as exc:
            error = str(exc)
    try:
        selected = select_functions(module, args.func) if args.func else None
    except (InspectInputError, PywazError) as exc:
        return _fail(exitcodes.USAGE, f"{path}: --func: {exc}")

    if selected is None:
        summary = summary_of(
            module, validated, error, validated_checked=not args.no_validate, functions=not args.no_functions
        )
        if args.json:
            writer = render.JsonWriter(out, path)
            writer.summary(summary)
            writer.close()
        else:
            render.write_summary_text(out, path, summary, render.Style(render.use_colour(out, args.color)))
        return 0

    show_wasm = args.wasm or not (args.python or args.dis)
    want_python = args.python or args.dis
    if error is not None and not args.json:
        print(f"pywaz inspect: warning: {path} does not validate: {error}", file=sys.stderr)
    source = validated if validated is not None else module
    namer = Namer(module)
    writer = render.JsonWriter(out, path) if args.json else None
    style = render.Style(render.use_colour(out, args.color))
    for func_index in selected:
        view = function_view(source, func_index, python=want_python, stream=True, namer=namer)
        if writer is not None:
            writer.function_view(view, wasm=show_wasm, python=args.python, disassembly=args.dis)
        else:
            render.write_function_text(out, view, style, wasm=show_wasm, python=args.python, disassembly=args.dis)
    if writer is not None:
        writer.close()
    return 0
