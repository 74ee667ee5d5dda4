"""The exit statuses of every ``pywaz`` subcommand, in one place.

Modelled on BSD ``sysexits.h`` (as wasmtime and many Unix tools are): 0 for
success, 1 when the command ran but what it checked failed, 2 for usage
errors (argparse's own status), then the sysexits codes for bad input, a
missing input, an internal fault and an output that cannot be created.
``pywaz run`` adds a link error and a trap, and otherwise exits with the
program's own status. Subcommands import the constants from here and render
their ``--help`` epilog with :func:`epilog`, so the numbers and the
documentation cannot drift apart.
"""

from __future__ import annotations

OK = 0
#: The command ran but what it checks did not pass: spec tests failed, ``cache verify``/``cache show``
#: found an invalid entry, a demo step failed, or (``run``) another pywaz error while running.
FAILED = 1
#: Bad command line: unknown option, bad value, a name that matches nothing (argparse also exits 2).
USAGE = 2
#: EX_DATAERR: the module is malformed or invalid.
DATA_ERROR = 65
#: EX_NOINPUT: an input (module file, testsuite data, cache directory, cache entry) does not exist or
#: cannot be read.
NO_INPUT = 66
#: EX_UNAVAILABLE: the module needs a WebAssembly proposal that is switched off (``--disable``) or that
#: pywaz does not implement yet.
UNSUPPORTED = 69
#: ``run`` only: an import cannot be satisfied or the entry point is not exported.
LINK_ERROR = 67
#: EX_SOFTWARE: an internal error in pywaz (a bug: please report it).
INTERNAL = 70
#: EX_CANTCREAT: an output cannot be created: the cache directory is unsafe or unusable, an entry or a
#: report file cannot be written.
CANT_CREATE = 73
#: Interrupted by Ctrl-C (128 + SIGINT, as shells report it).
INTERRUPTED = 130
#: ``run`` only: the program trapped (128 + SIGABRT, as wasmtime).
TRAP = 134

#: Every status with its general meaning, in the order ``pywaz --help`` lists them.
MEANINGS: tuple[tuple[int | str, str], ...] = (
    (OK, "success"),
    (FAILED, "the command ran but its check failed (spec tests failed, invalid cache entries, ...)"),
    (USAGE, "usage error: bad option or value, a name or key that matches nothing"),
    (DATA_ERROR, "the module is malformed or invalid (EX_DATAERR)"),
    (NO_INPUT, "an input does not exist or cannot be read: module, testsuite data, cache (EX_NOINPUT)"),
    (LINK_ERROR, "run: link error (an import or the entry point is missing)"),
    (UNSUPPORTED, "the module needs a WebAssembly proposal that is switched off or not implemented (EX_UNAVAILABLE)"),
    (INTERNAL, "internal error in pywaz; please report it (EX_SOFTWARE)"),
    (CANT_CREATE, "an output cannot be created: unsafe or unusable cache directory, report file (EX_CANTCREAT)"),
    (INTERRUPTED, "interrupted (Ctrl-C)"),
    (TRAP, "run: the program trapped"),
    ("N", "run: the WASI program's own exit status"),
)


def epilog(codes, extra: str = "") -> str:
    """An ``exit status:`` block for a ``--help`` epilog: one ``CODE  MEANING`` line per ``(code, meaning)``.

    ``extra`` (already formatted text) follows after a blank line. Parsers that
    use it need ``formatter_class=argparse.RawDescriptionHelpFormatter``.
    """
    lines = ["exit status:"]
    lines.extend(f"  {code!s:>4}  {meaning}" for code, meaning in codes)
    if extra:
        lines.extend(("", extra))
    return "\n".join(lines)
