"""Command-line maintenance of the disk cache: ``compile`` ahead of time, ``ls``, ``show``, ``prune``, ``verify``, ``clear``.

Run as ``python -m pywaz.cache COMMAND ...``. :func:`register` adds the same
commands to the ``pywaz`` CLI (``pywaz compile MODULE.wasm`` and
``pywaz cache {ls,show,prune,verify,clear}``).
Exit statuses follow :mod:`pywaz.cli.exitcodes` (each command's ``--help``
lists its own): 0 success, 1 ``verify``/``show`` found an invalid entry (or a
module compiled with an error), 2 usage errors (bad size, unknown engine or
compile mode, ambiguous key), 65 malformed or invalid module, 66 the module
file, the cache directory or the entry does not exist or cannot be read, 73
the cache directory is unsafe or unusable, or the entry could not be written.

Every maintenance action takes ``--json`` and then writes one JSON object
(times are Unix seconds, digests lowercase hex, sizes bytes)::

    ENTRY   = {"key", "module_sha256", "size", "created", "last_used",
               "pywaz_version", "python_version", "cache_tag", "engine",
               "functions", "compiled" (int, or null if unreadable), "path"}
    ls      -> {"cache_dir", "count", "total_bytes", "entries": [ENTRY, ...]}
    show    -> ENTRY + {"python_magic", "metadata_sha256", "payload_length", "code_length",
               "artifact_format", "flags", "sources_stored", "not_compiled"
               (int or null), "valid" (bool), "reason" (str or null)}
    verify  -> {"cache_dir", "checked", "valid", "removed",
               "invalid": [{"path", "key", "reason"}, ...]}
    prune   -> {"cache_dir", "max_bytes", "removed": [ENTRY, ...],
               "removed_bytes", "remaining_count", "remaining_bytes"}
    clear   -> {"cache_dir", "removed": [ENTRY, ...], "removed_bytes"}

Errors are one line on stderr (``pywaz cache: ...``), never JSON.
"""

from __future__ import annotations

import argparse
import os
import struct
import sys
import textwrap
import time

from ..cli import exitcodes
from ..cli.arguments import add_disable_argument, features_from, parse_size

COMPILE_HELP = "compile a module ahead of time into the disk cache"
COMPILE_DESCRIPTION = (
    "Compile every function of a module now and store the artifact in the disk cache, so later runs "
    "(`pywaz run`, or a Runtime with a CompilationCache on the same directory) load it instead of "
    "compiling. The entry's key includes the engine and the compile mode: a run finds it only with the "
    "same --engine and --compile-mode (pywaz run's defaults: tiered, lazy; the tiered engine uses the compiler's "
    "entries, so its runs start every function compiled). With the interpreter engine "
    "the entry holds the decoded and validated module."
)
COMPILE_MODE_HELP = (
    "store the entry that runs in this mode look up (default: lazy, as pywaz run); either way every "
    "function is compiled now"
)
CACHE_HELP = "inspect and maintain the disk cache"
CACHE_DIR_CODES = (
    (exitcodes.NO_INPUT, "the cache directory (or, for show, the entry) does not exist or cannot be read"),
    (exitcodes.CANT_CREATE, "the cache directory is unsafe (writable by others) or unusable"),
)
CACHE_CODES = (
    (exitcodes.OK, "success"),
    (exitcodes.USAGE, "usage error (bad size, ambiguous key prefix, ...)"),
    *CACHE_DIR_CODES,
)
CHECK_CODES = (
    (exitcodes.OK, "every entry checked is valid"),
    (exitcodes.FAILED, "an invalid entry was found"),
    (exitcodes.USAGE, "usage error (ambiguous key prefix, ...)"),
    *CACHE_DIR_CODES,
)
COMPILE_CODES = (
    (exitcodes.OK, "compiled and stored (or already cached)"),
    (exitcodes.FAILED, "another pywaz error while compiling"),
    (exitcodes.USAGE, "usage error (unknown engine or compile mode, an engine that cannot store artifacts)"),
    (exitcodes.DATA_ERROR, "the module is malformed or invalid"),
    (exitcodes.UNSUPPORTED, "the module needs a WebAssembly proposal that is off (--disable) or not implemented"),
    (exitcodes.NO_INPUT, "the module file cannot be read"),
    (exitcodes.CANT_CREATE, "the cache directory is unsafe or unusable, or the entry could not be written"),
)


def _parser(subparsers, name: str, codes, **kwargs):
    """A subcommand parser whose ``--help`` ends with its exit statuses."""
    return subparsers.add_parser(
        name, epilog=exitcodes.epilog(codes), formatter_class=argparse.RawDescriptionHelpFormatter, **kwargs
    )


def register(subparsers) -> None:
    """Add ``compile`` and ``cache ACTION`` subcommands to an argparse subparsers object."""
    add_compile_command(subparsers)
    add_cache_command(subparsers)


def add_cache_command(subparsers) -> None:
    """Add ``cache {ls,show,prune,verify,clear}`` to an argparse subparsers object."""
    cache = _parser(subparsers, "cache", CHECK_CODES, help=CACHE_HELP, description=CACHE_HELP)
    add_maintenance_commands(cache.add_subparsers(dest="action", metavar="ACTION", required=True))


def add_compile_command(subparsers) -> None:
    """Add ``compile MODULE.wasm`` to an argparse subparsers object."""
    description = textwrap.fill(COMPILE_DESCRIPTION, 100)  # the raw formatter keeps the epilog's table, not wrapping
    parser = _parser(subparsers, "compile", COMPILE_CODES, help=COMPILE_HELP, description=description)
    parser.add_argument("module", metavar="MODULE.wasm")
    _add_dir(parser)
    parser.add_argument("--engine", default="compiler", help="engine whose artifact to store (default: compiler)")
    parser.add_argument("--compile-mode", default=None, choices=("lazy", "eager"), help=COMPILE_MODE_HELP)
    parser.add_argument("--keep-sources", action="store_true", help="store generated source for inspection")
    parser.add_argument("--fuel", action="store_true",
                        help="compile fuel-metered code (what `pywaz run --fuel N` loads)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar even on a terminal")
    parser.add_argument("--workers", type=_positive_int, metavar="N", default=None,
                        help="processes compiling in parallel (default: one per CPU for large modules; 1: none)")
    add_disable_argument(parser)
    parser.set_defaults(handler=run_compile)


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive number of workers, not {text!r}")
    return value


def add_maintenance_commands(actions) -> None:
    """Add ``ls`` (alias ``list``), ``show``, ``prune``, ``verify`` and ``clear`` to an argparse subparsers object."""
    listing = _parser(actions, "ls", CACHE_CODES, aliases=["list"], help="list entries, least recently used first")
    _add_common(listing)
    listing.set_defaults(handler=run_list)
    show = _parser(actions, "show", CHECK_CODES, help="every header field of one entry and its compiled functions")
    show.add_argument("key", metavar="KEY", help="the entry's key, or a unique prefix of it")
    _add_common(show)
    show.set_defaults(handler=run_show)
    prune = _parser(actions, "prune", CACHE_CODES, help="delete least recently used entries down to a size")
    _add_common(prune)
    prune.add_argument("size", type=parse_size, metavar="SIZE", nargs="?", default=None, help="same as --max-bytes")
    prune.add_argument("--max-bytes", type=parse_size, metavar="N", default=None,
                       help="bytes to keep: a number with an optional K, M, G or T suffix (binary), e.g. 500M or 2G")
    prune.set_defaults(handler=run_prune)
    verify = _parser(actions, "verify", CHECK_CODES,
                     help="check every entry (digest, format, unmarshal), deleting invalid ones")
    _add_common(verify)
    verify.add_argument("--keep", action="store_true", help="report invalid entries without deleting them")
    verify.set_defaults(handler=run_verify)
    clear = _parser(actions, "clear", CACHE_CODES, help="delete every entry")
    _add_common(clear)
    clear.set_defaults(handler=run_clear)


def _add_common(parser) -> None:
    _add_dir(parser)
    parser.add_argument("--json", action="store_true", help="write JSON (shapes: see pywaz.cache.cli)")
    parser.add_argument(
        "--color",
        choices=("auto", "always", "never"),
        default="auto",
        help="colour the table (auto: only on a terminal, and never when NO_COLOR is set)",
    )


def _add_dir(parser) -> None:
    parser.add_argument("--cache-dir", metavar="DIR", default=None, help="cache root (default: the user cache dir)")


def _open_cache(args, **kwargs):
    from .compilation import CompilationCache
    from .store import default_cache_dir

    return CompilationCache(os.path.expanduser(args.cache_dir or default_cache_dir()), **kwargs)


class Progress:
    """A one-line bar on a terminal, silent otherwise: ``[####....] done/total``, the rate and the time left.

    The rate is of wasm code (MB/s) when the caller says how many bytes are
    done, else functions per second. The time left is extrapolated from the
    share of bytes (or functions) done so far, shown once a second has passed.
    """

    def __init__(self, label: str, total: int, stream, enabled: bool, clock=time.monotonic):
        self.label, self.total, self.stream = label, total, stream
        self.enabled = enabled and total > 0
        self._clock = clock
        self._last = 0.0
        self._start: float | None = None
        self._width = 0

    def update(self, done: int, done_bytes: int | None = None, total_bytes: int | None = None) -> None:
        if not self.enabled:
            return
        now = self._clock()
        if self._start is None:
            self._start = now
        if done < self.total and now - self._last < 0.1:
            return
        self._last = now
        self.stream.write("\r" + self.line(done, now - self._start, done_bytes, total_bytes))
        if done >= self.total:
            self.stream.write("\n")
        self.stream.flush()

    def line(self, done: int, elapsed: float, done_bytes: int | None = None, total_bytes: int | None = None) -> str:
        """The bar's text after ``elapsed`` seconds (padded to cover a longer previous line)."""
        width = 30
        filled = width * done // self.total
        text = f"{self.label} [{'#' * filled}{'.' * (width - filled)}] {done}/{self.total}"
        by_bytes = done_bytes is not None and bool(total_bytes)
        if elapsed > 0 and done:
            if by_bytes:
                text += f"  {done_bytes / elapsed / 1e6:.2f} MB/s"
            else:
                text += f"  {done / elapsed:.0f} functions/s"
        share = (done_bytes / total_bytes) if by_bytes else done / self.total
        if done >= self.total:
            text += f"  {_duration(elapsed)}"
        elif elapsed >= 1.0 and share > 0:
            text += f"  ETA {_duration(elapsed * (1 - share) / share)}"
        padded = text.ljust(self._width)
        self._width = len(text)
        return padded


def _duration(seconds: float) -> str:
    seconds = int(seconds + 0.5)
    hours, rest = divmod(seconds, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}"


def compile_ahead(data: bytes, cache, engine, options, progress=None, features=None, progress_bytes=None) -> dict:
    """Compile ``data`` with ``engine`` into ``cache``'s disk store; return what happened.

    Every function is compiled, whatever the mode, when the artifact exposes
    ``functions`` and ``function(i)`` (the compiler engine's lazy protocol);
    ``progress(done, total)`` is called as functions complete, after
    ``progress_bytes(done_bytes, total_bytes)`` (the wasm code compiled so far
    and in all, when the engine counts it). The compiler engine compiles in
    ``options.workers`` processes (:mod:`pywaz.compiler.parallel`). ``features``
    (a :class:`~pywaz.Features`, default pywaz's) must be the runtime's that
    will load the entry: they are part of its key.

    Raises:
        CacheError: the engine cannot serialise artifacts, or ``cache`` has no directory.
        DecodeError, ValidationError: the module is malformed or invalid.
    """
    from .._records import replace
    from ..decoder import decode_module
    from ..features import Features
    from ..validator import validate
    from .errors import CacheError
    from .key import compute_key, module_digest

    if cache.store is None:
        raise CacheError("ahead-of-time compilation needs a cache with a directory")
    serialize = getattr(engine, "serialize", None)
    deserialize = getattr(engine, "deserialize", None)
    if serialize is None or deserialize is None:
        raise CacheError(f"the {engine.name} engine cannot store its artifacts on disk (no serialize/deserialize)")
    digest = module_digest(data)
    features = Features.coerce(features).check()
    key = compute_key(digest, engine.name, features.enabled(), options)
    report = {"key": key, "functions": 0, "unsupported": 0, "compiled": False}

    def compile_every_function(artifact) -> int:
        """Force every function not compiled yet; return how many were compiled now."""
        functions = getattr(artifact, "functions", None)
        force = getattr(artifact, "function", None)
        if functions is None or not callable(force):
            return 0
        has_code = getattr(artifact, "has_code", None)
        total = len(functions)
        compile_all = getattr(artifact, "compile_all", None)
        if callable(compile_all) and has_code is not None:  # the compiler engine: all at once, over the cores
            before = sum(1 for i in range(total) if has_code(i))

            def counted(done, total, done_bytes, total_bytes):
                if progress_bytes is not None:
                    progress_bytes(done_bytes, total_bytes)
                if progress is not None:
                    progress(done, total)

            compile_all(workers=getattr(options, "workers", None), progress=counted)
            errors = getattr(artifact, "errors", ())
            report["unsupported"] = sum(1 for error in errors if error is not None)
            return sum(1 for i in range(total) if has_code(i)) - before
        compiled = 0
        for i in range(total):
            if has_code is not None and has_code(i):
                pass
            else:
                try:
                    force(i)
                    compiled += 1
                except Exception:  # noqa: BLE001 - an unsupported function stays lazy; its call raises the real error
                    report["unsupported"] += 1
            if progress is not None:
                progress(i + 1, total)
        return compiled

    def compile_fn():
        validated = validate(decode_module(data, features), features=features)
        mode = getattr(options, "compile_mode", None)
        if mode == "eager" and engine.name == "compiler":
            # Compiled below, under the progress bar; the artifact still records the eager mode.
            artifact = engine.compile(validated, replace(options, compile_mode="lazy"))
            artifact.compile_mode = mode
        else:
            artifact = engine.compile(validated, options)
        compile_every_function(artifact)
        report["compiled"] = True
        return artifact

    start = time.perf_counter()
    artifact = cache.get_or_compile(key, compile_fn, serialize, deserialize, engine=engine.name, module_sha256=digest)
    if not report["compiled"]:
        # A lazy entry written by a run holds only what that run called: complete it.
        provide = getattr(artifact, "provide_module_bytes", None)
        if callable(provide):
            provide(data)
        report["unsupported"] = 0
        if compile_every_function(artifact):
            report["completed"] = True
            cache.flush()
    report["seconds"] = time.perf_counter() - start
    functions = getattr(artifact, "functions", None)
    if functions is None:  # an engine that stores the module only (the interpreter): count its functions
        functions = getattr(getattr(artifact, "validated", None), "functions", None)
    report["functions"] = len(functions) if functions is not None else 0
    path = cache.store.path_for(key)
    report["path"] = path
    report["size"] = os.path.getsize(path) if os.path.exists(path) else None
    return report


def run_compile(args) -> int:
    """Handle ``compile``; returns the exit status."""
    from ..api import CompileOptions
    from ..errors import DecodeError, PywazError, ValidationError
    from ..features import ProposalError
    from ..vm.engines import create_engine
    from .errors import CacheError

    try:
        with open(args.module, "rb") as f:
            data = f.read()
    except OSError as exc:
        print(f"pywaz compile: cannot read {args.module}: {exc.strerror or exc}", file=sys.stderr)
        return exitcodes.NO_INPUT
    from ..text import WatError, is_text, wat2wasm

    if is_text(data):  # a .wat module: cached under the binary it assembles to, as `pywaz run` looks it up
        try:
            data = wat2wasm(data)
        except WatError as exc:
            print(f"pywaz compile: {args.module}:{exc.line}:{exc.column}: malformed module: {exc.message}",
                  file=sys.stderr)
            return exitcodes.DATA_ERROR
    try:
        engine = create_engine(args.engine)
    except (ValueError, PywazError) as exc:
        print(f"pywaz compile: --engine: {exc}", file=sys.stderr)
        return exitcodes.USAGE
    try:
        cache = _open_cache(args, keep_sources=args.keep_sources)
    except CacheError as exc:
        print(f"pywaz compile: {exc}", file=sys.stderr)
        return exitcodes.CANT_CREATE
    keep = bool(args.keep_sources)
    workers = getattr(args, "workers", None)
    if args.compile_mode is None:
        options = CompileOptions(keep_sources=keep, fuel=args.fuel, workers=workers)
    else:
        options = CompileOptions(compile_mode=args.compile_mode, keep_sources=keep, fuel=args.fuel, workers=workers)
    show = not args.no_progress and sys.stderr.isatty()
    bar = Progress("compiling", 0, sys.stderr, enabled=show)

    code_bytes = [None, None]

    def progress_bytes(done_bytes, total_bytes):
        code_bytes[:] = done_bytes, total_bytes

    def progress(done, total):
        bar.total = total
        bar.enabled = show and total > 0
        bar.update(done, *code_bytes)

    try:
        report = compile_ahead(data, cache, engine, options, progress, features_from(args), progress_bytes)
    except CacheError as exc:  # the engine cannot store its artifacts
        print(f"pywaz compile: --engine {args.engine}: {exc}", file=sys.stderr)
        return exitcodes.USAGE
    except ProposalError as exc:
        print(f"pywaz compile: {args.module}: unsupported module: {exc}", file=sys.stderr)
        return exitcodes.UNSUPPORTED
    except DecodeError as exc:
        print(f"pywaz compile: {args.module}: malformed module: {exc}", file=sys.stderr)
        return exitcodes.DATA_ERROR
    except ValidationError as exc:
        print(f"pywaz compile: {args.module}: invalid module: {exc}", file=sys.stderr)
        return exitcodes.DATA_ERROR
    except PywazError as exc:
        print(f"pywaz compile: {args.module}: {exc}", file=sys.stderr)
        return exitcodes.FAILED
    finally:
        cache.close()
    if report["size"] is None:
        print(f"pywaz compile: compiled {args.module} but could not write the cache entry", file=sys.stderr)
        return exitcodes.CANT_CREATE
    what = "compiled" if report["compiled"] else "completed" if report.get("completed") else "already cached"
    print(f"{what}: {args.module}")
    print(
        f"  functions: {report['functions']}"
        + (f" ({report['unsupported']} unsupported)" if report["unsupported"] else "")
    )
    print(f"  seconds:   {report['seconds']:.3f}")
    print(f"  entry:     {report['size']} bytes, {report['path']}")
    print(f"  key:       {report['key']}")
    return exitcodes.OK


# -- maintenance actions ------------------------------------------------------

_ENTRY_COLUMNS = ("KEY", "MODULE", "SIZE", "CREATED", "LAST USED", "PYWAZ", "PYTHON", "ENGINE", "COMPILED")


def _use_color(args) -> bool:
    if args.color == "always":
        return True
    if args.color == "never" or os.environ.get("NO_COLOR"):
        return False
    return sys.stdout.isatty()


def _style(text: str, code: str, color: bool) -> str:
    return f"\x1b[{code}m{text}\x1b[0m" if color else text


def _when(seconds: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(seconds))


def _compiled_count(path: str) -> int | None:
    """How many functions of the entry at ``path`` have code, reading only its header and payload fields.

    None when the entry cannot be read that far (``verify`` says why).
    """
    import msgpack

    from .entry import _FIELDS_LEN, _NO_CODE, PREAMBLE_SIZE, InvalidEntry, header_length
    from .files import open_regular
    from .storedcode import read_at

    try:
        fd, _ = open_regular(path)
        try:
            start = PREAMBLE_SIZE + header_length(read_at(fd, 0, PREAMBLE_SIZE))
            (length,) = _FIELDS_LEN.unpack(read_at(fd, start, _FIELDS_LEN.size))
            fields = msgpack.unpackb(read_at(fd, start + _FIELDS_LEN.size, length), raw=False)
        finally:
            os.close(fd)
        code = fields["code"]
        words = memoryview(code).cast("I") if len(code) % 4 == 0 else None
    except (OSError, InvalidEntry, struct.error):
        return None
    except Exception:  # noqa: BLE001 - msgpack and a non-map payload raise unrelated types on garbage
        return None
    if words is None:
        return None
    if sys.byteorder != "little":
        return sum(1 for w in words if int.from_bytes(w.to_bytes(4, "little"), "big") != _NO_CODE)
    return sum(1 for w in words if w != _NO_CODE)


def _entry_json(e, compiled) -> dict:
    return {
        "key": e.key,
        "module_sha256": e.module_sha256,
        "size": e.size,
        "created": e.created,
        "last_used": e.last_used,
        "pywaz_version": e.pywaz_version,
        "python_version": e.python_version,
        "cache_tag": e.cache_tag,
        "engine": e.engine,
        "functions": e.function_count,
        "compiled": compiled,
        "path": e.path,
    }


def _entry_row(e, compiled) -> tuple[str, ...]:
    done = "?" if compiled is None else str(compiled)
    return (
        e.key[:16],
        e.module_sha256[:12],
        str(e.size),
        _when(e.created),
        _when(e.last_used),
        e.pywaz_version,
        e.python_version,
        e.engine,
        f"{done}/{e.function_count}",
    )


def _print_table(header: tuple[str, ...], rows, color: bool, right: frozenset = frozenset({2})) -> None:
    """Aligned columns; ``right`` lists right-aligned column numbers."""
    rows = list(rows)
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]

    def line(cells):
        parts = [c.rjust(w) if i in right else c.ljust(w) for i, (c, w) in enumerate(zip(cells, widths))]
        return "  ".join(parts).rstrip()

    print(_style(line(header), "1", color))
    for row in rows:
        print(line(row))


def _print_json(value) -> None:
    import json

    print(json.dumps(value, indent=2, sort_keys=True))


def _opened_or_exit(args):
    """``(cache, None)`` for ``--cache-dir`` (or the default), or ``(None, exit status)`` after one error line."""
    from .errors import CacheError

    if args.cache_dir is not None and not os.path.isdir(os.path.expanduser(args.cache_dir)):
        print(f"pywaz cache: no cache directory at {args.cache_dir}", file=sys.stderr)
        return None, exitcodes.NO_INPUT
    try:
        return _open_cache(args), None
    except CacheError as exc:
        print(f"pywaz cache: {exc}", file=sys.stderr)
        return None, exitcodes.CANT_CREATE


def run_list(args) -> int:
    """Handle ``cache ls`` (alias ``list``)."""
    cache, status = _opened_or_exit(args)
    if cache is None:
        return status
    entries = [(e, _compiled_count(e.path)) for e in cache.entries()]
    total = sum(e.size for e, _ in entries)
    if args.json:
        _print_json(
            {
                "cache_dir": cache.directory,
                "count": len(entries),
                "total_bytes": total,
                "entries": [_entry_json(e, c) for e, c in entries],
            }
        )
        return 0
    if entries:
        _print_table(_ENTRY_COLUMNS, (_entry_row(e, c) for e, c in entries), _use_color(args))
    print(f"{len(entries)} entries, {total} bytes in {cache.directory}")
    return 0


def run_show(args) -> int:
    """Handle ``cache show KEY``: exit 1 if the entry is invalid, 66 for an unknown key, 2 for an ambiguous one."""
    from .entry import PREAMBLE_SIZE, InvalidEntry, decode_entry, decode_header, header_length
    from .files import read_regular

    cache, status = _opened_or_exit(args)
    if cache is None:
        return status
    prefix = args.key.strip().lower()
    matches = [e for e in cache.entries() if e.key.startswith(prefix)]
    if not matches:
        print(f"pywaz cache: no entry with key {args.key!r} in {cache.directory}", file=sys.stderr)
        return exitcodes.NO_INPUT
    if len({e.key for e in matches}) > 1:
        print(f"pywaz cache: key prefix {args.key!r} is ambiguous ({len(matches)} entries match)", file=sys.stderr)
        return exitcodes.USAGE
    e = matches[0]
    reason = compiled = None
    try:
        data = read_regular(e.path)
        header = decode_header(data[: PREAMBLE_SIZE + header_length(data[:PREAMBLE_SIZE])])
    except (OSError, InvalidEntry) as exc:  # replaced or removed since it was listed
        print(f"pywaz cache: cannot read {e.path}: {getattr(exc, 'strerror', None) or exc}", file=sys.stderr)
        return 2
    try:
        ours = os.path.dirname(os.path.dirname(e.path)) == cache.store.directory
        _, payload = decode_entry(data, e.key if ours else None)
        compiled = payload.compiled_count()
    except OSError as exc:
        print(f"pywaz cache: cannot read {e.path}: {exc.strerror or exc}", file=sys.stderr)
        return exitcodes.NO_INPUT
    except InvalidEntry as exc:
        reason = str(exc)
        compiled = _compiled_count(e.path)
    info = _entry_json(e, compiled)
    info.update(
        python_magic=header.python_magic.hex(),
        metadata_sha256=header.metadata_sha256.hex(),
        payload_length=header.payload_length,
        code_length=header.code_length,
        artifact_format=header.artifact_format,
        flags=header.flags,
        sources_stored=bool(header.flags & 1),
        not_compiled=None if compiled is None else e.function_count - compiled,
        valid=reason is None,
        reason=reason,
    )
    if args.json:
        _print_json(info)
        return exitcodes.OK if reason is None else exitcodes.FAILED
    color = _use_color(args)
    labels = {
        "key": "key",
        "path": "path",
        "module_sha256": "module sha256",
        "size": "size (bytes)",
        "created": "created",
        "last_used": "last used",
        "pywaz_version": "pywaz",
        "python_version": "Python",
        "cache_tag": "cache tag",
        "python_magic": "Python magic",
        "engine": "engine",
        "artifact_format": "artifact format",
        "flags": "flags",
        "sources_stored": "sources stored",
        "metadata_sha256": "metadata sha256",
        "payload_length": "payload bytes",
        "code_length": "code bytes",
        "functions": "functions",
        "compiled": "compiled",
        "not_compiled": "not compiled",
    }
    width = max(map(len, labels.values()))
    for name, label in labels.items():
        value = info[name]
        if name in ("created", "last_used"):
            value = f"{_when(value)} ({value:.0f})"
        elif value is None:
            value = "?"
        print(f"{_style(label.ljust(width), '1', color)}  {value}")
    status = _style("valid", "32", color) if reason is None else _style(f"INVALID: {reason}", "31", color)
    print(f"{_style('status'.ljust(width), '1', color)}  {status}")
    return exitcodes.OK if reason is None else exitcodes.FAILED


def _snapshot(cache) -> list:
    """``(EntryInfo, compiled count)`` for every entry, taken before a removal so the report can name them."""
    return [(e, _compiled_count(e.path)) for e in cache.entries()]


def _removal_report(cache, before, args, extra: dict) -> None:
    remaining = {e.path for e in cache.entries()}
    removed = [(e, c) for e, c in before if e.path not in remaining]
    removed_bytes = sum(e.size for e, _ in removed)
    if args.json:
        _print_json(
            {
                "cache_dir": cache.directory,
                "removed": [_entry_json(e, c) for e, c in removed],
                "removed_bytes": removed_bytes,
                **extra,
            }
        )
        return
    if removed:
        _print_table(_ENTRY_COLUMNS, (_entry_row(e, c) for e, c in removed), _use_color(args))
    print(f"removed {len(removed)} entries ({removed_bytes} bytes)")


def run_prune(args) -> int:
    """Handle ``cache prune --max-bytes N`` (or ``prune N``)."""
    limit = args.max_bytes if args.max_bytes is not None else args.size
    if limit is None or (args.max_bytes is not None and args.size is not None):
        print("pywaz cache: prune needs exactly one size: --max-bytes N (or a positional SIZE)", file=sys.stderr)
        return exitcodes.USAGE
    cache, status = _opened_or_exit(args)
    if cache is None:
        return status
    before = _snapshot(cache)
    cache.prune(limit)
    after = cache.entries()
    _removal_report(
        cache,
        before,
        args,
        {
            "max_bytes": limit,
            "remaining_count": len(after),
            "remaining_bytes": sum(e.size for e in after),
        },
    )
    return 0


def run_verify(args) -> int:
    """Handle ``cache verify``: exit 1 if any entry was invalid."""
    cache, status = _opened_or_exit(args)
    if cache is None:
        return status
    report = cache.verify(remove_invalid=not args.keep)
    if args.json:
        _print_json(
            {
                "cache_dir": cache.directory,
                "checked": report.checked,
                "valid": report.valid,
                "removed": report.removed,
                "invalid": [
                    {"path": path, "key": os.path.basename(path).removesuffix(".pwz"), "reason": reason}
                    for path, reason in report.invalid
                ],
            }
        )
        return exitcodes.FAILED if report.invalid else exitcodes.OK
    color = _use_color(args)
    for path, reason in report.invalid:
        print(f"{_style('invalid', '31', color)}: {path}: {reason}")
    print(f"{report.checked} checked, {report.valid} valid, {len(report.invalid)} invalid, {report.removed} removed")
    return exitcodes.FAILED if report.invalid else exitcodes.OK


def run_clear(args) -> int:
    """Handle ``cache clear``."""
    cache, status = _opened_or_exit(args)
    if cache is None:
        return status
    before = _snapshot(cache)
    cache.store.clear()
    _removal_report(cache, before, args, {})
    return 0


def main(argv: list[str] | None = None) -> int:
    """``python -m pywaz.cache``: the commands above without the rest of the pywaz CLI."""
    parser = argparse.ArgumentParser(prog="python -m pywaz.cache", description=__doc__.split("\n\n")[0])
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    add_compile_command(subparsers)
    add_maintenance_commands(subparsers)
    args = parser.parse_args(argv)
    from ..cli import call_handler

    return call_handler(f"python -m pywaz.cache {args.command}", args.handler, args)
