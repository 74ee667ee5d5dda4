"""``pywaz spectest``: run the WebAssembly spec testsuite against pywaz.

Prints one line per file (``-v``: each failure below it), then exactly
``N passed, N failed, N skipped``. Exit statuses: :data:`EXIT_CODES`; without
any test data the command fails (66) and says where it looked and how to get
the data, rather than passing zero tests.
"""

from __future__ import annotations

import argparse
import sys

from . import exitcodes
from .arguments import parse_seconds

HELP = "run the WebAssembly spec testsuite against pywaz (3.0 by default, 2.0 with --suite v2)"

EXIT_CODES = (
    (exitcodes.OK, "no command failed"),
    (exitcodes.FAILED, "a command failed"),
    (exitcodes.USAGE, "usage error: a NAME that matches no test file, an unknown engine, a bad --timeout"),
    (exitcodes.NO_INPUT, "no testsuite data: the directory is missing or holds no <name>/<name>.json files"),
    (exitcodes.CANT_CREATE, "the --json report cannot be written"),
)


def _epilog() -> str:
    from ..spectest.locate import DEFAULT_RELATIVE, ENV_VAR, TESTSUITE_REPO

    where = (
        f"testsuite data: --testsuite DIR, else ${ENV_VAR}, else {DEFAULT_RELATIVE.as_posix()} relative to the\n"
        f"current directory (and to a pywaz source checkout). Get it from {TESTSUITE_REPO},\n"
        "converted with wabt's wast2json or `wasm-tools json-from-wast` (one <name>/<name>.json per .wast)."
    )
    return exitcodes.epilog(EXIT_CODES, where)


def register(subparsers) -> None:
    """Add the ``spectest`` subcommand."""
    parser = subparsers.add_parser(
        "spectest",
        help=HELP,
        description=HELP,
        epilog=_epilog(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("names", nargs="*", metavar="NAME", help="test files by base name or glob (i32, 'simd_*')")
    parser.add_argument("--engine", default="tiered",
                        help="execution engine: tiered, interpreter or compiler (default: tiered)")
    parser.add_argument("--compile-mode", default=None, choices=("lazy", "eager"),
                        help="compiler engine: compile each function on first call (lazy, default) or all up front")
    parser.add_argument("--tier-thresholds", default="2,1", metavar="CALLS,LOOPS",
                        help="tiered engine: compile a function at its CALLS-th call, switch a running call to "
                             "compiled code at its LOOPS-th loop back-edge; 'default' for the engine's real "
                             "thresholds (default: 2,1, so functions switch tiers mid-script)")
    parser.add_argument("--suite", choices=("v3", "v2"), default="v3",
                        help="which testsuite: v3, WebAssembly 3.0 (default), or v2, WebAssembly 2.0; picks the "
                             "folder under the default location or a --testsuite folder that holds both")
    parser.add_argument("--testsuite", metavar="DIR", default=None, help="directory of <name>/<name>.json files")
    parser.add_argument("--json", metavar="FILE", default=None, help="write a JSON report to FILE")
    parser.add_argument("--timeout", type=parse_seconds, default=None, metavar="SECONDS",
                        help="time limit per command, 0 for none; more than a year is none too (default: 60)")
    parser.add_argument("-v", "--verbose", action="store_true", help="print each failure under its file's line")
    parser.set_defaults(handler=run)


def _tier_thresholds(text: str) -> tuple[int, int] | None:
    """``CALLS,LOOPS`` as two ints >= 1, or None for ``default``.

    Raises:
        ValueError: anything else.
    """
    if text == "default":
        return None
    try:
        calls, loops = (int(part) for part in text.split(","))
    except ValueError:
        raise ValueError(f"expected CALLS,LOOPS (two ints) or 'default', not {text!r}") from None
    if calls < 1 or loops < 1:
        raise ValueError(f"thresholds must be at least 1, not {text!r}")
    return calls, loops


def check_engine(config) -> str | None:
    """Why ``config`` cannot make a runtime (unknown engine, bad mode), or None.

    A pywaz without a Runtime yet is not a problem here: the harness then
    counts the commands that need one as skipped.
    """
    import pywaz

    runtime_class = getattr(pywaz, "Runtime", None)
    if runtime_class is None:
        return None
    try:
        if config.compile_mode is None:
            runtime = runtime_class(engine=config.engine)
        else:
            runtime = runtime_class(engine=config.engine, compile_mode=config.compile_mode)
    except NotImplementedError:
        return None
    except Exception as exc:
        return f"cannot create a runtime for engine {config.label!r}: {exc}"
    close = getattr(runtime, "close", None)
    if close is not None:
        close()
    return None


def run(args) -> int:
    """Handle ``pywaz spectest``; returns the exit status."""
    from ..spectest import (
        DEFAULT_TIMEOUT,
        MISSING_MESSAGE,
        EngineConfig,
        TestsuiteNotFound,
        find_testsuite,
        list_files,
        missing_message,
        run_suite,
        select_files,
    )

    try:
        testsuite = find_testsuite(args.testsuite, suite=args.suite)
    except TestsuiteNotFound as exc:
        print(f"pywaz spectest: {exc}", file=sys.stderr)
        return exitcodes.NO_INPUT
    if testsuite is None:
        print(f"pywaz spectest: {missing_message(suite=args.suite)}", file=sys.stderr)
        return exitcodes.NO_INPUT
    available = list_files(testsuite)
    if not available:
        print(f"pywaz spectest: no <name>/<name>.json test files in {testsuite}. {MISSING_MESSAGE}", file=sys.stderr)
        return exitcodes.NO_INPUT
    files, unmatched = select_files(available, args.names)
    if unmatched:
        print(f"pywaz spectest: no test file matches {', '.join(map(repr, unmatched))} in {testsuite}", file=sys.stderr)
        return exitcodes.USAGE

    try:
        thresholds = _tier_thresholds(args.tier_thresholds)
    except ValueError as exc:
        print(f"pywaz spectest: --tier-thresholds: {exc}", file=sys.stderr)
        return exitcodes.USAGE
    config = EngineConfig(args.engine, args.compile_mode, thresholds)
    problem = check_engine(config)
    if problem is not None:
        print(f"pywaz spectest: {problem}", file=sys.stderr)
        return exitcodes.USAGE
    def show(result) -> None:
        print(result.summary_line(), flush=True)
        if args.verbose:
            for failure in result.failures:
                print(f"    line {failure.line} {failure.command}: {failure.message}")

    timeout = DEFAULT_TIMEOUT if args.timeout is None else (args.timeout or None)
    return _finish(run_suite(files, config, testsuite, on_file=show, timeout=timeout, suite_name=args.suite), args.json)


def _finish(suite, json_path) -> int:
    """Write the JSON report if asked, print the totals line, return the exit status."""
    from ..spectest import write_report

    status = exitcodes.FAILED if suite.failed else exitcodes.OK
    if json_path:
        try:
            write_report(suite, json_path)
        except OSError as exc:
            print(f"pywaz spectest: cannot write {json_path}: {exc.strerror or exc}", file=sys.stderr)
            status = exitcodes.CANT_CREATE
    print(suite.totals_line())
    return status
