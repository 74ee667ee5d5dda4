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


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The top-level parser with every subcommand registered (or just ``only``, when it is one)."""
    parser = argparse.ArgumentParser(prog="pywaz", description="A WebAssembly runtime in pure Python.")
    parser.add_argument("--version", action="version", version=f"pywaz {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    names = (only,) if only in SUBCOMMANDS else SUBCOMMANDS
    for name in names:
        importlib.import_module(f"{__name__}.{name}").register(subparsers)
    return parser


def _requested_command(argv: list[str]) -> str | None:
    """The subcommand named on the command line (the first word that is not an option), if any."""
    for word in argv:
        if not word.startswith("-"):
            return word
    return None


def main(argv: list[str] | None = None) -> int:
    """Run the ``pywaz`` command line; returns the exit status (0 = success)."""
    # Only the requested subcommand's module is imported, so `pywaz run` does not
    # pay for the others' imports at start-up; `pywaz --help` still lists all.
    parser = build_parser(_requested_command(sys.argv[1:] if argv is None else argv))
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
