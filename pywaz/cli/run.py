"""``pywaz run MODULE.wasm [ARGS...]``: run a WASI command, or call one export with ``--invoke``.

Input: a module file, WASI settings (``--dir``, ``--env``), an engine and a
cache choice. Output: the program's own stdout/stderr (the process's stdio is
wired straight through) and its exit code as this process's exit status; every
pywaz-side failure is one line on stderr and one of the documented exit codes
(:data:`EXIT_CODES`). By default the tiered engine runs the module (each
function interpreted until it is hot, then compiled) with a disk cache under
the user's cache directory, so a second run starts the functions compiled in
the first one as compiled code; the cache is flushed before exit so the
functions compiled during this run are stored too.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time

HELP = "run a WASI command (or call one export) with the process's stdio"

from .exitcodes import CANT_CREATE as EXIT_CACHE
from .exitcodes import DATA_ERROR as EXIT_BAD_MODULE
from .exitcodes import FAILED as EXIT_ERROR
from .exitcodes import INTERNAL as EXIT_INTERNAL
from .exitcodes import LINK_ERROR as EXIT_LINK
from .exitcodes import NO_INPUT as EXIT_NO_MODULE
from .exitcodes import TRAP as EXIT_TRAP
from .exitcodes import UNSUPPORTED as EXIT_UNSUPPORTED
from .exitcodes import USAGE as EXIT_USAGE

# (code, meaning) in the order `pywaz run --help` lists them.
EXIT_CODES = (
    (0, "the program finished (returned from _start, or proc_exit(0))"),
    ("N", "the program called proc_exit(N), 0 < N < 256 (a larger N exits 1 with a message)"),
    (EXIT_ERROR, ("any other pywaz error while running (e.g. an instruction the engine cannot run, a memory "
                  "larger than --max-memory)")),
    (EXIT_USAGE, ("usage error: bad option, --dir that is not a directory, bad --env, an --invoke argument "
                  "that does not fit its type")),
    (EXIT_BAD_MODULE, "the module is malformed or invalid"),
    (EXIT_UNSUPPORTED, "the module needs a WebAssembly proposal that is off (--disable) or not implemented"),
    (EXIT_NO_MODULE, "the module file cannot be read"),
    (EXIT_LINK, "link error: an import cannot be satisfied, or the entry point is not exported"),
    (EXIT_INTERNAL, "internal error in pywaz (please report it)"),
    (EXIT_CACHE, "the cache directory is unsafe or unusable (use --cache-dir or --no-cache)"),
    (EXIT_TRAP, ("the program trapped or used up its --fuel (128 + SIGABRT, as wasmtime); the wasm stack trace "
                 "is printed")),
)

F32_MAX = 3.4028234663852886e38  # the largest finite f32
PAGE_SIZE = 65536  # a wasm page (--max-memory counts whole pages)
MAX_PAGES = 65536  # a 32-bit memory's largest size in pages (4 GiB)
# Round-to-nearest sends a value to f32 infinity from halfway between F32_MAX and 2**128 up (IEEE 754 §4.3.1),
# so the printed f32 maximum, 3.4028235e+38, is still F32_MAX.
F32_OVERFLOW = (2 - 2**-24) * 2**127
DEFAULT_ENGINE = "tiered"
FALLBACK_ENGINE = "interpreter"


class RunFailure(Exception):
    """A failure reported as one stderr line (``message``) and exit status ``code``."""

    def __init__(self, code: int, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


def _epilog() -> str:
    lines = ["exit status:"]
    lines.extend(f"  {code!s:>4}  {meaning}" for code, meaning in EXIT_CODES)
    lines.append("")
    lines.append("Everything after MODULE.wasm goes to the program (or, with --invoke, is the export's")
    lines.append("arguments), even words that look like options. Programs' own exit codes may coincide with")
    lines.append("the codes above; the stderr line says which case happened.")
    return "\n".join(lines)


def register(subparsers) -> None:
    """Add the ``run`` subcommand."""
    parser = subparsers.add_parser(
        "run", help=HELP, description=HELP, epilog=_epilog(), formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--dir", action="append", default=[], metavar="HOST[::GUEST]",
                        help="preopen host directory HOST, seen by the guest as GUEST (default: HOST); repeatable")
    parser.add_argument("--env", action="append", default=[], metavar="NAME=VALUE",
                        help="set an environment variable for the guest (it sees no others); repeatable")
    parser.add_argument("--invoke", metavar="NAME", default=None,
                        help="call export NAME with ARGS parsed by its parameter types and print its results, "
                             "instead of running _start")
    parser.add_argument("--engine", default=None,
                        help=f"execution engine: tiered (interpreted until hot, then compiled), compiler or "
                             f"interpreter (default: {DEFAULT_ENGINE} if available)")
    parser.add_argument("--compile-mode", default=None, choices=("lazy", "eager"),
                        help="compiler engine: compile each function on first call (lazy, default) or all up "
                             "front; tiered engine: eager compiles all up front too")
    cache = parser.add_mutually_exclusive_group()
    cache.add_argument("--cache-dir", metavar="DIR", default=None,
                       help="disk cache root (default: $XDG_CACHE_HOME/pywaz or ~/.cache/pywaz)")
    cache.add_argument("--no-cache", action="store_true", help="do not read or write the disk cache")
    parser.add_argument("--fuel", metavar="N", default=None,
                        help="run with a budget of N fuel units (one per wasm function entry and per branch "
                             "back to a loop); running out traps with 'all fuel consumed by WebAssembly'")
    parser.add_argument("--max-memory", metavar="SIZE", default=None,
                        help="cap each linear memory at SIZE bytes (suffixes K, M, G or KiB, MiB, GiB: powers of "
                             "1024; whole 64 KiB pages): memory.grow past it returns -1")
    from .arguments import add_disable_argument

    add_disable_argument(parser)
    parser.add_argument("--stats", action="store_true",
                        help="after the run, print to stderr where the code came from and what was compiled")
    parser.add_argument("module", metavar="MODULE.wasm",
                        help="a wasm binary, or a WebAssembly text module (.wat), which is assembled first")
    parser.add_argument("args", nargs=argparse.REMAINDER, metavar="ARGS", help="the program's arguments")
    parser.set_defaults(handler=run)


# -- argument parsing -----------------------------------------------------------------


def parse_dir(text: str) -> tuple[str, str]:
    """``HOST[::GUEST]`` -> ``(guest_path, host_dir)``; GUEST defaults to HOST as written.

    Raises:
        RunFailure: HOST is empty or not a directory, or GUEST is empty.
    """
    host, sep, guest = text.partition("::")
    if not sep:
        guest = host
    if not host or not guest:
        raise RunFailure(EXIT_USAGE, f"--dir {text!r}: expected HOST or HOST::GUEST")
    if not os.path.isdir(host):
        raise RunFailure(EXIT_USAGE, f"--dir {text!r}: {host} is not a directory")
    return guest, host


def parse_env(text: str) -> tuple[str, str]:
    """``NAME=VALUE`` -> ``(name, value)``.

    Raises:
        RunFailure: no ``=`` or an empty name.
    """
    name, sep, value = text.partition("=")
    if not sep or not name:
        raise RunFailure(EXIT_USAGE, f"--env {text!r}: expected NAME=VALUE")
    return name, value


def parse_fuel(text: str | None) -> int | None:
    """``--fuel N`` -> N (None when not given).

    Raises:
        RunFailure: not a non-negative integer.
    """
    if text is None:
        return None
    try:
        fuel = int(text.replace("_", ""), 10)
    except ValueError:
        fuel = -1
    if fuel < 0:
        raise RunFailure(EXIT_USAGE, f"--fuel {text!r}: expected a non-negative integer")
    return fuel


# Size suffixes of --max-memory (case-insensitive): all powers of 1024, as memory limits usually are.
_SIZE_UNITS = {"": 1, "b": 1}
for _exponent, _letter in enumerate("kmg", start=1):
    for _suffix in (_letter, _letter + "b", _letter + "ib"):
        _SIZE_UNITS[_suffix] = 1 << (10 * _exponent)


def parse_size(text: str | None) -> int | None:
    """``--max-memory SIZE`` -> the limit in bytes (None when not given): ``65536``, ``64k``, ``64MiB``, ``1g``.

    Raises:
        RunFailure: not a non-negative integer with an optional known suffix.
    """
    if text is None:
        return None
    cleaned = text.strip().replace("_", "").lower()
    digits = len(cleaned) - len(cleaned.lstrip("0123456789"))
    unit = _SIZE_UNITS.get(cleaned[digits:].strip())
    if digits == 0 or unit is None:
        raise RunFailure(EXIT_USAGE, f"--max-memory {text!r}: expected bytes, optionally with a suffix "
                                     "K, M, G, KiB, MiB or GiB (e.g. 64MiB)")
    return int(cleaned[:digits]) * unit


def parse_value(valtype: int, text: str, position: int):
    """The Python value for command-line argument ``text`` of wasm type ``valtype``.

    Integers accept decimal or ``0x`` hex, a sign and ``_`` separators, in the
    signed or the unsigned range; floats accept decimal, ``0x`` hex floats
    (``0x1.8p3``), ``nan``, ``inf`` and ``-0``, but not a finite literal too
    large for the type; v128 takes one integer (``0x`` + 32 hex digits).

    Raises:
        RunFailure: the text is not a value of that type (or a reference type).
    """
    from ..deftypes import top_heap
    from ..ir import EXTERNREF, F32, F64, FUNCREF, HT_ANY, I32, I64, V128, ref_parts, valtype_name

    what = f"--invoke argument {position + 1} ({valtype_name(valtype)})"
    if valtype in (I32, I64, V128):
        try:
            value = _parse_integer(text)
        except ValueError:
            raise RunFailure(EXIT_USAGE, f"{what}: {text!r} is not an integer (decimal or 0x hex)") from None
        bits = {I32: 32, I64: 64, V128: 128}[valtype]
        if not -(1 << (bits - 1)) <= value < (1 << bits):
            raise RunFailure(EXIT_USAGE, f"{what}: {text} is out of range")
        return value & ((1 << bits) - 1) if valtype == V128 else value
    if valtype in (F32, F64):
        try:
            value = _parse_float(text)
        except ValueError:
            raise RunFailure(EXIT_USAGE, f"{what}: {text!r} is not a number (decimal, 0x hex float, nan or inf)") from None
        if valtype == F32 and math.isfinite(value) and abs(value) > F32_MAX:
            if abs(value) >= F32_OVERFLOW:
                raise RunFailure(EXIT_USAGE, f"{what}: {text} is out of range")
            value = math.copysign(F32_MAX, value)  # what rounding to f32 gives; struct refuses to pack it
        if math.isinf(value) and "inf" not in text.lower():
            raise RunFailure(EXIT_USAGE, f"{what}: {text} is out of range (write inf for infinity)")
        return value
    parts = ref_parts(valtype)
    if parts is not None:
        if text == "null":
            return None  # refused for a non-nullable type by the call's own check
        heap = parts[1]
        if valtype not in (FUNCREF, EXTERNREF) and not (type(heap) is int and heap >= 0) and top_heap(heap) == HT_ANY:
            try:
                return _parse_integer(text)  # an i31 (checked by the call)
            except ValueError:
                pass
            raise RunFailure(EXIT_USAGE, f"{what}: only 'null' or an integer (an i31) can be passed for it "
                                         "from the command line")
        raise RunFailure(EXIT_USAGE, f"{what}: only 'null' can be passed for a reference from the command line")
    raise RunFailure(EXIT_USAGE, f"{what}: unsupported parameter type")


def _parse_integer(text: str) -> int:
    """Decimal (leading zeros allowed) or ``0x`` hex, with an optional sign.

    Raises:
        ValueError: anything else.
    """
    hexadecimal = text.strip().lstrip("+-")[:2].lower() == "0x"
    return int(text, 16 if hexadecimal else 10)


def _parse_float(text: str) -> float:
    """What :func:`float` accepts, or a C-style hex float (``0x1p-3``); a literal beyond the f64 range is infinite.

    Raises:
        ValueError: neither.
    """
    unsigned = text.strip().lstrip("+-")
    if unsigned[:2].lower() != "0x":
        return float(text)
    try:
        return float.fromhex(text)
    except OverflowError:
        return -math.inf if text.strip().startswith("-") else math.inf


def format_value(valtype: int, value) -> str:
    """How ``--invoke`` prints one result (embedder view: integers signed)."""
    from ..ir import EXTERNREF, F32, FUNCREF, V128

    if valtype == V128:
        return f"0x{value:032x}"
    if valtype == F32:
        return _format_f32(value)
    if valtype in (FUNCREF, EXTERNREF):
        return "null" if value is None else ("funcref" if valtype == FUNCREF else repr(value))
    if value is None:  # the null of any other reference type
        return "null"
    return repr(value)


def _format_f32(value: float) -> str:
    """The shortest decimal that reads back as the same f32 (Python's repr is for f64)."""
    import struct

    if not math.isfinite(value):
        return repr(value)
    target = struct.pack("<f", value)
    for digits in range(1, 10):
        text = f"{value:.{digits}g}"
        candidate = float(text)
        if F32_MAX < abs(candidate) < F32_OVERFLOW:  # rounds to F32_MAX, but struct refuses to pack it
            candidate = math.copysign(F32_MAX, candidate)
        if abs(candidate) < F32_OVERFLOW and struct.pack("<f", candidate) == target:
            return text if any(c in text for c in ".en") else text + ".0"
    return repr(value)


# -- engine and cache ------------------------------------------------------------------


def choose_engine(name: str | None, data: bytes, disk_cache: bool):
    """The engine object for ``--engine`` (None: the tiered engine if importable, else the interpreter).

    Raises:
        RunFailure: unknown engine name, or the named engine is unavailable.
    """
    from ..errors import PywazError
    from ..vm.engines import create_engine

    try:
        engine = create_engine(name or DEFAULT_ENGINE)
    except ValueError as exc:
        raise RunFailure(EXIT_USAGE, f"--engine: {exc}") from None
    except PywazError as exc:
        if name is not None:
            raise RunFailure(EXIT_USAGE, f"--engine: {exc}") from None
        engine = create_engine(FALLBACK_ENGINE)
    return engine


def open_cache(args):
    """The CompilationCache for ``--cache-dir``/the default directory, or None with ``--no-cache``.

    Raises:
        RunFailure: the directory is unsafe (see pywaz/cache/README.md) or cannot be created.
    """
    if args.no_cache:
        return None
    from ..cache import CacheError, CompilationCache, default_cache_dir

    directory = os.path.expanduser(args.cache_dir) if args.cache_dir else default_cache_dir()
    try:
        return CompilationCache(directory)
    except CacheError as exc:
        raise RunFailure(EXIT_CACHE, f"cache directory {directory}: {exc}") from None
    except OSError as exc:
        raise RunFailure(EXIT_CACHE, f"cache directory {directory}: {exc.strerror or exc}") from None


# -- running -----------------------------------------------------------------------------


def _compiled_functions(compiled) -> int | None:
    """How many functions the module's artifact holds compiled (None: the engine does not say)."""
    count = getattr(compiled.artifact, "compiled_count", None)
    if callable(count):  # counts cached code not unmarshalled yet
        return count()
    functions = getattr(compiled.artifact, "functions", None)
    if functions is None:
        return None
    return sum(1 for f in functions if f is not None)


def wasm_frames(trap) -> list:
    """The trap's wasm frames (:class:`~pywaz.errors.TrapFrame`), innermost first: ``trap.frames`` if
    the runtime filled them, else the compiled wasm functions found in the Python traceback."""
    if trap.frames:
        return list(trap.frames)
    from ..compiler.artifact import trap_frames_of

    return trap_frames_of(trap)


def stack_lines(frames: list, head: int = 30, tail: int = 5) -> list[str]:
    """``  at NAME (MODULE @ 0xOFFSET)`` lines, repeated frames collapsed (runaway recursion:
    ``  ... 9,997 more frames of f``); a long stack that does not repeat keeps its innermost and
    outermost lines."""
    from ..errors import collapse_frames

    lines = [f"  {line}" for line in collapse_frames(frames)]
    if len(lines) <= head + tail + 1:
        return lines
    omitted = len(lines) - head - tail
    return [*lines[:head], f"  ... {omitted:,} more lines", *lines[-tail:]]


def _invoke(instance, name: str, texts: list[str]) -> None:
    """Call exported function ``name`` (checked by :func:`_check_entry_points`) and print its results."""
    function = instance.exports[name]
    functype = function.type
    params = functype.params
    if len(texts) != len(params):
        raise RunFailure(EXIT_USAGE, f"--invoke {name!r} takes {len(params)} argument(s) ({functype}), "
                                     f"got {len(texts)}")
    values = [parse_value(t, text, i) for i, (t, text) in enumerate(zip(params, texts))]
    result = function(*values)
    results = functype.results
    outputs = (result,) if len(results) == 1 else (result or ())
    for valtype, value in zip(results, outputs):
        print(format_value(valtype, value))
    sys.stdout.flush()


def execute(args, data: bytes, stats: dict) -> int:
    """Compile, link WASI, instantiate and run; return the program's exit status.

    Link errors are reported first, then a missing entry point, both before
    anything runs. A module need not export ``memory``: only a WASI call that
    takes a pointer needs it, and traps without it (as in wasmtime).

    Raises:
        RunFailure: a pywaz-side failure (exit code and message).
        Trap, DecodeError, ValidationError, LinkError, PywazError: mapped by :func:`run`.
    """
    from ..vm import Runtime
    from ..wasi import Wasi, WasiConfig
    from ..wasi.command import link
    from .arguments import features_from

    preopens = [parse_dir(text) for text in args.dir]
    env = [parse_env(text) for text in args.env]
    fuel = parse_fuel(args.fuel)
    max_memory = parse_size(args.max_memory)
    max_pages = None if max_memory is None else min(max_memory // PAGE_SIZE, MAX_PAGES)
    cache = open_cache(args)
    stats["disk_writes"] = 0
    try:
        engine = choose_engine(args.engine, data, cache is not None)
        runtime = Runtime(engine, compile_mode=args.compile_mode, cache=cache, fuel=fuel, max_memory_pages=max_pages,
                          features=features_from(args))
        try:
            start = time.perf_counter()
            compiled = runtime.compile_module(data, name=os.path.basename(args.module))  # names trap frames
            stats["load_seconds"] = time.perf_counter() - start
            stats["functions_at_load"] = _compiled_functions(compiled)
            stats["functions_total"] = len(getattr(compiled.artifact, "functions", ()) or ())
            stats.update(runtime.stats())
            # argv[0] is the module path as given, as wasmtime does.
            config = WasiConfig(args=(args.module, *args.args), env=tuple(env), preopens=tuple(preopens))
            with Wasi(config.with_inherited_stdio()) as wasi:
                link(wasi, runtime)  # closed with the runtime
                runtime.check_imports(compiled)
                _check_entry_points(compiled, args.invoke)
                _check_memory_limit(compiled, max_pages, args.max_memory)
                start = time.perf_counter()
                try:
                    return _run_instance(runtime, compiled, args)
                finally:
                    stats["run_seconds"] = time.perf_counter() - start
                    stats["functions_after_run"] = _compiled_functions(compiled)
        finally:
            runtime.close()
    finally:
        if cache is not None:
            cache.close()  # flushes: functions compiled lazily in this run reach the disk entry
            stats["disk_writes"] = cache.stats()["disk_writes"]


def _run_instance(runtime, compiled, args) -> int:
    """Instantiate (the start function runs with WASI), then run ``_start`` or ``--invoke``; the exit status."""
    from ..errors import ExitError

    try:
        instance = runtime.instantiate_module(compiled)
    except ExitError as exit_:  # proc_exit in the start function
        return exit_.code
    try:
        if args.invoke is None:
            instance.exports["_start"]()
        else:
            _invoke(instance, args.invoke, args.args)
    except ExitError as exit_:
        return exit_.code
    finally:
        instance.close()
    return 0


def _check_entry_points(compiled, invoke: str | None) -> None:
    """Refuse, before instantiating, a module without the export to run."""
    exports = {export.name: export.kind for export in compiled.exports}
    if invoke is not None:
        if invoke not in exports:
            raise RunFailure(EXIT_LINK, f"the module does not export {invoke!r}")
        if exports[invoke] != "func":
            raise RunFailure(EXIT_USAGE, f"--invoke {invoke!r}: the export is a {exports[invoke]}, not a function")
        return
    if exports.get("_start") != "func":
        raise RunFailure(EXIT_LINK, "the module does not export a function '_start' (not a WASI command; "
                                    "use --invoke NAME to call an export)")


def _check_memory_limit(compiled, max_pages: int | None, text: str | None) -> None:
    """Refuse, before instantiating, a module whose memory needs more than ``--max-memory`` allows."""
    if max_pages is None:
        return
    for memory_type in compiled.validated.module.memories:
        needed = memory_type.limits.min
        if needed > max_pages:
            allowed = f"{max_pages} page{'' if max_pages == 1 else 's'} of 64 KiB"
            raise RunFailure(EXIT_ERROR, f"the module's memory needs at least {needed} pages "
                                         f"({_format_bytes(needed * PAGE_SIZE)}), more than --max-memory {text} "
                                         f"allows ({allowed})")


def _format_bytes(size: int) -> str:
    for unit, scale in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if size >= scale:
            return f"{size / scale:.3g} {unit}"
    return f"{size} bytes"


def format_stats(stats: dict) -> str:
    """The ``--stats`` line: where the code came from and how many functions this run compiled."""
    if stats.get("disk_hits"):
        origin = "disk cache hit"
    elif stats.get("memory_hits"):
        origin = "memory cache hit"
    else:
        origin = "compiled"
    parts = [f"module {origin}"]
    at_load, after = stats.get("functions_at_load"), stats.get("functions_after_run")
    if at_load is not None and after is not None:
        # After a compile, functions present at load were compiled now (eager mode); after a hit, they came cached.
        cached = 0 if origin == "compiled" else at_load
        parts.append(f"functions compiled this run {after - cached} (cached {cached} of {stats['functions_total']})")
    if "load_seconds" in stats:
        parts.append(f"load {stats['load_seconds'] * 1000:.1f} ms")
    if "run_seconds" in stats:
        parts.append(f"run {stats['run_seconds'] * 1000:.1f} ms")
    if "disk_writes" in stats:
        parts.append(f"disk writes {stats['disk_writes']}")
    return "pywaz run: " + ", ".join(parts)


def run(args) -> int:
    """Handle ``pywaz run``; returns the exit status (the program's own, or a code from EXIT_CODES)."""
    stats: dict = {}
    try:
        try:
            with open(args.module, "rb") as handle:
                data = handle.read()
        except OSError as exc:
            raise RunFailure(EXIT_NO_MODULE, f"cannot read {args.module}: {exc.strerror or exc}") from None
        data = _assemble_if_text(data)
        code = execute(args, data, stats)
    except RunFailure as failure:
        return _fail(failure.code, failure.message)
    except Exception as exc:  # noqa: BLE001 -- anything unexpected is one line (exit 70), never a traceback
        return _report(exc, args.module)
    finally:
        if args.stats and "load_seconds" in stats:
            sys.stdout.flush()
            print(format_stats(stats), file=sys.stderr)
    if not 0 <= code <= 255:
        # A process status has 8 bits: 256 would read as success.
        return _fail(EXIT_ERROR, f"{args.module}: the program exited with status {code}, which does not fit "
                                 f"a process exit status (0-255); exiting with {EXIT_ERROR}")
    return code


def _assemble_if_text(data: bytes) -> bytes:
    """A text module (``.wat``) as its binary; a binary unchanged.

    Raises:
        WatError: malformed text (reported as a malformed module, with line:column).
    """
    from ..text import is_text, wat2wasm

    return wat2wasm(data) if is_text(data) else data


def _fail(code: int, message: str) -> int:
    sys.stdout.flush()
    print(f"pywaz run: {message}", file=sys.stderr)
    return code


def _report(exc: Exception, module: str) -> int:
    """Map an exception from :func:`execute` to its stderr report and exit code."""
    from ..errors import DecodeError, InstantiationError, LinkError, PywazError, Trap, ValidationError

    if isinstance(exc, Trap):
        sys.stdout.flush()
        print(f"pywaz run: {module}: wasm trap: {exc}", file=sys.stderr)
        for line in stack_lines(wasm_frames(exc)):
            print(line, file=sys.stderr)
        return EXIT_TRAP
    from ..features import ProposalError

    if isinstance(exc, ProposalError):
        return _fail(EXIT_UNSUPPORTED, f"{module}: unsupported module: {exc}")
    if isinstance(exc, DecodeError):
        line = getattr(exc, "line", None)
        if line:  # malformed text: point at the place, file:line:column
            return _fail(EXIT_BAD_MODULE, f"{module}:{line}:{exc.column}: malformed module: {exc.message}")
        return _fail(EXIT_BAD_MODULE, f"{module}: malformed module: {exc}")
    if isinstance(exc, ValidationError):
        return _fail(EXIT_BAD_MODULE, f"{module}: invalid module: {exc}")
    if isinstance(exc, (LinkError, InstantiationError)):
        return _fail(EXIT_LINK, f"{module}: link error: {exc}")
    if isinstance(exc, PywazError):
        return _fail(EXIT_ERROR, f"{module}: {type(exc).__name__}: {exc}")
    return _fail(EXIT_INTERNAL, f"{module}: internal error: {type(exc).__name__}: {exc}")
