"""Command-line maintenance of the disk cache: ``compile`` ahead of time, ``list``, ``prune``, ``verify``, ``clear``.

Run as ``python -m pywaz.cache COMMAND ...``. :func:`register` adds the same
commands to the ``pywaz`` CLI (``pywaz compile MODULE.wasm`` and
``pywaz cache {list,prune,verify,clear}``) once that CLI lists them.
Exit status: 0 success, 1 the module did not compile or could not be stored,
2 usage errors (missing file, unsafe cache directory, unknown engine).
"""

from __future__ import annotations

import argparse
import os
import sys
import time

COMPILE_HELP = "compile a module ahead of time into the disk cache"
CACHE_HELP = "inspect and maintain the disk cache"


def register(subparsers) -> None:
    """Add ``compile`` and ``cache ACTION`` subcommands to an argparse subparsers object."""
    add_compile_command(subparsers)
    add_cache_command(subparsers)


def add_cache_command(subparsers) -> None:
    """Add ``cache {list,prune,verify,clear}`` to an argparse subparsers object."""
    cache = subparsers.add_parser("cache", help=CACHE_HELP, description=CACHE_HELP)
    add_maintenance_commands(cache.add_subparsers(dest="action", metavar="ACTION", required=True))


def add_compile_command(subparsers) -> None:
    """Add ``compile MODULE.wasm`` to an argparse subparsers object."""
    parser = subparsers.add_parser("compile", help=COMPILE_HELP, description=COMPILE_HELP)
    parser.add_argument("module", metavar="MODULE.wasm")
    _add_dir(parser)
    parser.add_argument("--engine", default="compiler", help="engine whose artifact to store (default: compiler)")
    parser.add_argument("--compile-mode", default=None, help="eager or lazy (default: the engine's default)")
    parser.add_argument("--keep-sources", action="store_true", help="store generated source for inspection")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar even on a terminal")
    parser.set_defaults(handler=run_compile)


def add_maintenance_commands(actions) -> None:
    """Add ``list``, ``prune``, ``verify`` and ``clear`` to an argparse subparsers object."""
    listing = actions.add_parser("list", help="list entries, least recently used first")
    _add_dir(listing)
    listing.set_defaults(handler=run_list)
    prune = actions.add_parser("prune", help="delete least recently used entries down to a size")
    _add_dir(prune)
    prune.add_argument("max_bytes", type=_size, metavar="SIZE", help="bytes to keep, e.g. 500M or 2G")
    prune.set_defaults(handler=run_prune)
    verify = actions.add_parser("verify", help="check every entry, deleting invalid ones")
    _add_dir(verify)
    verify.add_argument("--keep", action="store_true", help="report invalid entries without deleting them")
    verify.set_defaults(handler=run_verify)
    clear = actions.add_parser("clear", help="delete every entry")
    _add_dir(clear)
    clear.set_defaults(handler=run_clear)


def _add_dir(parser) -> None:
    parser.add_argument("--cache-dir", metavar="DIR", default=None, help="cache root (default: the user cache dir)")


def _size(text: str) -> int:
    units = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30}
    text = text.strip().upper().removesuffix("B")
    suffix = text[-1:] if text[-1:] in units else ""
    try:
        value = float(text[: len(text) - len(suffix)])
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a size: {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError("size must not be negative")
    return int(value * units[suffix])


def _open_cache(args, **kwargs):
    from .compilation import CompilationCache
    from .store import default_cache_dir

    return CompilationCache(os.path.expanduser(args.cache_dir or default_cache_dir()), **kwargs)


class Progress:
    """A one-line ``[####....] done/total`` bar on a terminal; silent otherwise."""

    def __init__(self, label: str, total: int, stream, enabled: bool):
        self.label, self.total, self.stream = label, total, stream
        self.enabled = enabled and total > 0
        self._last = 0.0

    def update(self, done: int) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if done < self.total and now - self._last < 0.1:
            return
        self._last = now
        width = 30
        filled = width * done // self.total
        self.stream.write(f"\r{self.label} [{'#' * filled}{'.' * (width - filled)}] {done}/{self.total}")
        if done >= self.total:
            self.stream.write("\n")
        self.stream.flush()


def compile_ahead(data: bytes, cache, engine, options, progress=None) -> dict:
    """Compile ``data`` with ``engine`` into ``cache``'s disk store; return what happened.

    Every function is compiled, whatever the mode, when the artifact exposes
    ``functions`` and ``function(i)`` (the compiler engine's lazy protocol);
    ``progress(done, total)`` is called as functions complete.

    Raises:
        CacheError: the engine cannot serialise artifacts, or ``cache`` has no directory.
        DecodeError, ValidationError: the module is malformed or invalid.
    """
    from ..decoder import decode_module
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
    key = compute_key(digest, engine.name, None, options)
    report = {"key": key, "functions": 0, "unsupported": 0, "compiled": False}

    def compile_every_function(artifact) -> int:
        """Force every function not compiled yet; return how many were compiled now."""
        functions = getattr(artifact, "functions", None)
        force = getattr(artifact, "function", None)
        if functions is None or not callable(force):
            return 0
        has_code = getattr(artifact, "has_code", None)
        total = len(functions)
        compiled = 0
        for i in range(total):
            if has_code is not None and has_code(i):
                pass
            else:
                try:
                    force(i)
                    compiled += 1
                except Exception:  # an unsupported function stays lazy; its call raises the real error
                    report["unsupported"] += 1
            if progress is not None:
                progress(i + 1, total)
        return compiled

    def compile_fn():
        validated = validate(decode_module(data))
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
    report["functions"] = len(functions) if functions is not None else 0
    path = cache.store.path_for(key)
    report["path"] = path
    report["size"] = os.path.getsize(path) if os.path.exists(path) else None
    return report


def run_compile(args) -> int:
    """Handle ``compile``; returns the exit status."""
    from ..api import CompileOptions
    from ..errors import PywazError
    from ..vm.engines import create_engine
    from .errors import CacheError

    try:
        with open(args.module, "rb") as f:
            data = f.read()
    except OSError as exc:
        print(f"pywaz compile: cannot read {args.module}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    try:
        engine = create_engine(args.engine)
        cache = _open_cache(args, keep_sources=args.keep_sources)
    except (ValueError, PywazError) as exc:
        print(f"pywaz compile: {exc}", file=sys.stderr)
        return 2
    options = CompileOptions() if args.compile_mode is None else CompileOptions(compile_mode=args.compile_mode)
    show = not args.no_progress and sys.stderr.isatty()
    bar = Progress("compiling", 0, sys.stderr, enabled=show)

    def progress(done, total):
        bar.total = total
        bar.enabled = show and total > 0
        bar.update(done)

    try:
        report = compile_ahead(data, cache, engine, options, progress)
    except CacheError as exc:
        print(f"pywaz compile: {exc}", file=sys.stderr)
        return 2
    except PywazError as exc:
        print(f"pywaz compile: {args.module}: {exc}", file=sys.stderr)
        return 1
    finally:
        cache.close()
    if report["size"] is None:
        print(f"pywaz compile: compiled {args.module} but could not write the cache entry", file=sys.stderr)
        return 1
    what = "compiled" if report["compiled"] else "completed" if report.get("completed") else "already cached"
    print(f"{what}: {args.module}")
    print(f"  functions: {report['functions']}" + (f" ({report['unsupported']} unsupported)" if report["unsupported"] else ""))
    print(f"  seconds:   {report['seconds']:.3f}")
    print(f"  entry:     {report['size']} bytes, {report['path']}")
    print(f"  key:       {report['key']}")
    return 0


def run_list(args) -> int:
    """Handle ``cache list``."""
    cache = _opened_or_exit(args)
    if cache is None:
        return 2
    entries = cache.entries()
    for e in entries:
        used = time.strftime("%Y-%m-%d %H:%M", time.localtime(e.last_used))
        print(
            f"{e.key[:16]}  {e.size:>10}  {used}  {e.engine:<12} {e.function_count:>6} funcs  "
            f"pywaz {e.pywaz_version} / Python {e.python_version}  module {e.module_sha256[:16]}"
        )
    print(f"{len(entries)} entries, {sum(e.size for e in entries)} bytes")
    return 0


def run_prune(args) -> int:
    """Handle ``cache prune SIZE``."""
    cache = _opened_or_exit(args)
    if cache is None:
        return 2
    print(f"removed {cache.prune(args.max_bytes)} entries")
    return 0


def run_verify(args) -> int:
    """Handle ``cache verify``: exit 1 if any entry was invalid."""
    cache = _opened_or_exit(args)
    if cache is None:
        return 2
    report = cache.verify(remove_invalid=not args.keep)
    for path, reason in report.invalid:
        print(f"invalid: {path}: {reason}")
    print(f"{report.checked} checked, {report.valid} valid, {len(report.invalid)} invalid, {report.removed} removed")
    return 1 if report.invalid else 0


def run_clear(args) -> int:
    """Handle ``cache clear``."""
    cache = _opened_or_exit(args)
    if cache is None:
        return 2
    print(f"removed {cache.store.clear()} entries")
    return 0


def _opened_or_exit(args):
    from .errors import CacheError

    try:
        return _open_cache(args)
    except CacheError as exc:
        print(f"pywaz cache: {exc}", file=sys.stderr)
        return None


def main(argv: list[str] | None = None) -> int:
    """``python -m pywaz.cache``: the commands above without the rest of the pywaz CLI."""
    parser = argparse.ArgumentParser(prog="python -m pywaz.cache", description=__doc__.split("\n\n")[0])
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    add_compile_command(subparsers)
    add_maintenance_commands(subparsers)
    args = parser.parse_args(argv)
    return int(args.handler(args) or 0)
