"""The ``pywaz`` command line: ``main()`` dispatches to one module per subcommand.

Each subcommand lives in ``pywaz/cli/<name>.py`` and provides
``register(subparsers)``, which adds its parser and sets ``handler`` (a
function taking the parsed arguments and returning the exit status) as the
parser default. Adding a subcommand is a new module plus one entry in
:data:`SUBCOMMANDS`. Modules are imported only to build the parser, and a
subcommand's heavy imports belong inside its handler. Exit statuses come from
:mod:`pywaz.cli.exitcodes`; :func:`call_handler` turns anything a handler did
not handle into one stderr line and a status from there, never a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from .. import __version__
from . import exitcodes

# Subcommand modules under pywaz.cli, in the order ``pywaz --help`` lists them.
SUBCOMMANDS = (
    "run",
    "compile",
    "cache",
    "spectest",
    "inspect",
    "demo",
)


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The top-level parser with every subcommand registered (or just ``only``, when it is one)."""
    parser = argparse.ArgumentParser(
        prog="pywaz",
        description="A WebAssembly runtime in pure Python.",
        epilog=exitcodes.epilog(exitcodes.MEANINGS, "`pywaz COMMAND --help` lists what each status means there."),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
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


def call_handler(prog: str, handler, args) -> int:
    """Run a subcommand's ``handler(args)`` and return its exit status.

    What the handler lets escape becomes one line on stderr: Ctrl-C exits
    130, a closed output pipe (``| head``) exits 1 quietly, a malformed or
    invalid module 65, one that needs a proposal that is off or not
    implemented 69, any other pywaz error 1, and anything else is a bug
    in pywaz: 70, with the exception's type and message.
    """
    from ..errors import DecodeError, PywazError, ValidationError
    from ..features import ProposalError

    try:
        return int(handler(args) or 0)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return exitcodes.INTERRUPTED
    except BrokenPipeError:
        # Output piped into e.g. `head`: exit quietly, as other tools do.
        sys.stderr.close()
        return exitcodes.FAILED
    except ProposalError as exc:
        print(f"{prog}: unsupported module: {exc}", file=sys.stderr)
        return exitcodes.UNSUPPORTED
    except (DecodeError, ValidationError) as exc:
        what = "malformed" if isinstance(exc, DecodeError) else "invalid"
        print(f"{prog}: {what} module: {exc}", file=sys.stderr)
        return exitcodes.DATA_ERROR
    except PywazError as exc:
        print(f"{prog}: error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return exitcodes.FAILED
    except Exception as exc:  # noqa: BLE001 - a bug in pywaz is one line and status 70, never a traceback
        print(f"{prog}: internal error (please report it): {type(exc).__name__}: {exc}", file=sys.stderr)
        return exitcodes.INTERNAL


def main(argv: list[str] | None = None) -> int:
    """Run the ``pywaz`` command line; returns the exit status (see :mod:`pywaz.cli.exitcodes`)."""
    # Only the requested subcommand's module is imported, so `pywaz run` does not
    # pay for the others' imports at start-up; `pywaz --help` still lists all.
    parser = build_parser(_requested_command(sys.argv[1:] if argv is None else argv))
    args = parser.parse_args(argv)
    handler = getattr(args, "handler", None)
    if handler is None:
        parser.print_help(sys.stderr)
        return exitcodes.USAGE
    return call_handler(f"pywaz {args.command}", handler, args)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
