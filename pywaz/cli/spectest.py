"""``pywaz spectest``: run the WebAssembly spec testsuite against pywaz.

Prints one line per file (``-v``: each failure below it), then exactly
``N passed, N failed, N skipped``.
Exit status: 0 when nothing failed, 1 when a command failed, 2 for usage
errors (unknown file name, testsuite directory that does not exist).
"""

from __future__ import annotations

import sys

HELP = "run the WebAssembly spec testsuite (wast2json data) against pywaz"


def register(subparsers) -> None:
    """Add the ``spectest`` subcommand."""
    parser = subparsers.add_parser("spectest", help=HELP, description=HELP)
    parser.add_argument("names", nargs="*", metavar="NAME", help="test files by base name or glob (i32, 'simd_*')")
    parser.add_argument("--engine", default="interpreter", help="execution engine (default: interpreter)")
    parser.add_argument("--compile-mode", default=None, help="compiler engine: eager or lazy")
    parser.add_argument("--suite", choices=("v3", "v2"), default="v3",
                        help="which testsuite: v3, WebAssembly 3.0 (default), or v2, WebAssembly 2.0; picks the "
                             "folder under the default location or a --testsuite folder that holds both")
    parser.add_argument("--testsuite", metavar="DIR", default=None, help="directory of <name>/<name>.json files")
    parser.add_argument("--json", metavar="FILE", default=None, help="write a JSON report to FILE")
    parser.add_argument("--timeout", type=float, default=None, metavar="SECONDS",
                        help="time limit per command, 0 for none (default: 60)")
    parser.add_argument("-v", "--verbose", action="store_true", help="print each failure under its file's line")
    parser.set_defaults(handler=run)


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
        EngineConfig,
        MISSING_MESSAGE,
        SuiteResult,
        TestsuiteNotFound,
        find_testsuite,
        list_files,
        run_suite,
        select_files,
    )

    try:
        testsuite = find_testsuite(args.testsuite, suite=args.suite)
    except TestsuiteNotFound as exc:
        print(f"pywaz spectest: {exc}", file=sys.stderr)
        return 2
    if testsuite is None:
        print(f"pywaz spectest: skipped: {MISSING_MESSAGE}", file=sys.stderr)
        return _finish(SuiteResult(args.engine, args.compile_mode, ""), args.json)
    files, unmatched = select_files(list_files(testsuite), args.names)
    if unmatched:
        print(f"pywaz spectest: no test file matches {', '.join(map(repr, unmatched))} in {testsuite}", file=sys.stderr)
        return 2
    if not files:
        print(f"pywaz spectest: no test files in {testsuite}. {MISSING_MESSAGE}", file=sys.stderr)
        return 2

    config = EngineConfig(args.engine, args.compile_mode)
    problem = check_engine(config)
    if problem is not None:
        print(f"pywaz spectest: {problem}", file=sys.stderr)
        return 2
    def show(result) -> None:
        print(result.summary_line(), flush=True)
        if args.verbose:
            for failure in result.failures:
                print(f"    line {failure.line} {failure.command}: {failure.message}")

    timeout = DEFAULT_TIMEOUT if args.timeout is None else (args.timeout or None)
    return _finish(run_suite(files, config, testsuite, on_file=show, timeout=timeout), args.json)


def _finish(suite, json_path) -> int:
    """Write the JSON report if asked, print the totals line, return the exit status."""
    from ..spectest import write_report

    status = 1 if suite.failed else 0
    if json_path:
        try:
            write_report(suite, json_path)
        except OSError as exc:
            print(f"pywaz spectest: cannot write {json_path}: {exc.strerror or exc}", file=sys.stderr)
            status = 2
    print(suite.totals_line())
    return status
