"""``pywaz demo [MODULE.wasm]``: summarise a module and run WASI commands cold and from the cache (see :mod:`pywaz.demo`)."""

from __future__ import annotations

import argparse

from . import exitcodes

HELP = "summarise a module and run it (a WASI command) twice through `pywaz run`: cold, then from the cache"

EXIT_CODES = (
    (exitcodes.OK, "every step succeeded"),
    (exitcodes.FAILED, "a step failed (a program exited non-zero, or the second run was not a cache hit)"),
    (exitcodes.USAGE, "usage error"),
    (exitcodes.DATA_ERROR, "the module is malformed or invalid"),
    (exitcodes.NO_INPUT, "the module file cannot be read"),
)


def register(subparsers) -> None:
    """Add the ``demo`` subcommand."""
    parser = subparsers.add_parser(
        "demo",
        help=HELP,
        description=HELP,
        epilog=exitcodes.epilog(EXIT_CODES),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("wasm", nargs="?", metavar="MODULE.wasm",
                        help="the module (default: tests/programs/wasm/hello.wasm in a checkout, else a built-in one)")
    parser.set_defaults(handler=run)


def run(args) -> int:
    """Handle ``pywaz demo``; returns the exit status."""
    from ..demo import run_demo

    return run_demo(args.wasm)
