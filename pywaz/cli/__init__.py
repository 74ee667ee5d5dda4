"""The ``pywaz`` command line: ``main()`` dispatches to one module per subcommand.

Each subcommand lives in ``pywaz/cli/<name>.py`` and provides
``register(subparsers)``, which adds its parser and sets ``handler`` (a
function taking the parsed arguments and returning the exit status) as the
parser default. Adding a subcommand is a new module plus one entry in
:data:`SUBCOMMANDS`. Modules are imported only to build the parser, and a
subcommand's heavy imports belong inside its handler.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from .. import __version__

# Subcommand modules under pywaz.cli, in the order ``pywaz --help`` lists them.
SUBCOMMANDS = (
    "run",
    "compile",
    "cache",
    "spectest",
    "inspect",
)


def build_parser() -> argparse.ArgumentParser:
    """The top-level parser with every subcommand registered."""
    parser = argparse.ArgumentParser(prog="pywaz", description="A WebAssembly runtime in pure Python.")
    parser.add_argument("--version", action="version", version=f"pywaz {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in SUBCOMMANDS:
        importlib.import_module(f"{__name__}.{name}").register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the ``pywaz`` command line; returns the exit status (0 = success)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    handler = getattr(args, "handler", None)
    if handler is None:
        parser.print_help(sys.stderr)
        return 2
    try:
        return int(handler(args) or 0)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # Output piped into e.g. `head`: exit quietly, as other tools do.
        sys.stderr.close()
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
