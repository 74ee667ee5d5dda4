"""The loop of one compile worker process (see :mod:`.parallel`).

Enters: tasks ``(local indexes, function facts or None)`` on a pipe. Leaves:
per task, a list of ``(local index, outcome)`` (see
:func:`.parallel.compile_functions`) on another pipe. A ``None`` task or the
end of the pipe ends the loop.
"""

from __future__ import annotations

import gc
import os
import sys
import traceback


def _outcome(module, local_index: int, fuel: bool, keep_sources: bool, info, functions=None):
    from .artifact import CompileFailure, compile_marshalled, unsupported_opcode_class

    try:
        compiled, blob = compile_marshalled(module, local_index, fuel, keep_sources, info, functions)
    except unsupported_opcode_class() as exc:
        return ("unsupported", exc.opcode, exc.offset, exc.func_index)
    except CompileFailure as exc:
        return ("failure", str(exc))
    except RecursionError:
        return ("failure", f"function {local_index}: the compile ran out of recursion depth in a worker")
    except MemoryError:
        return ("failure", f"function {local_index}: out of memory compiling it in a worker")
    except Exception as exc:  # noqa: BLE001 - a pywaz bug: reported typed, with where it happened
        where = traceback.extract_tb(exc.__traceback__)[-1:]
        at = f" at {where[0].filename}:{where[0].lineno}" if where else ""
        return ("failure", f"function {local_index}: {type(exc).__name__}: {exc}{at}")
    return ("code", compiled.name, blob, compiled.source, compiled.consts, compiled.flat)


def _serve(tasks, results, module, fuel: bool, keep_sources: bool) -> None:
    while True:
        try:
            message = tasks.recv()
        except (EOFError, OSError):
            return
        if message is None:
            return
        indexes, infos, callees = message
        functions = None
        if infos is not None:
            from .artifact import FunctionsView

            known = dict(callees)
            known.update(zip(indexes, infos))
            functions = FunctionsView(len(module.func_types) - module.num_imported_funcs, known)
        out = []
        for k, local_index in enumerate(indexes):
            info = infos[k] if infos is not None else None
            out.append((local_index, _outcome(module, local_index, fuel, keep_sources, info, functions)))
        results.send(out)


def serve_forked(tasks, results, state) -> None:
    """Entry of a forked worker: ``state`` is (validated module, fuel, keep_sources, recursion limit)."""
    from .parallel import ignore_interrupts

    ignore_interrupts()
    # The inherited objects (the whole validated module) are never garbage here: keep the collector from
    # walking them, which would also copy every page they live on.
    gc.freeze()
    module, fuel, keep_sources, recursion = state
    sys.setrecursionlimit(recursion)
    _serve(tasks, results, module, fuel, keep_sources)


def serve_fds(read_fd: int, write_fd: int) -> None:
    """Entry of a worker started as a fresh interpreter: pipes on ``read_fd`` and ``write_fd``."""
    from multiprocessing.connection import Connection

    from .parallel import ignore_interrupts

    ignore_interrupts()
    tasks = Connection(read_fd, writable=False)
    results = Connection(write_fd, readable=False)
    try:
        init = tasks.recv()
        _, module_info, fuel, keep_sources, recursion = init
        from ..cache.moduleinfo import decode_module_info

        module = decode_module_info(module_info)
        sys.setrecursionlimit(recursion)
    except EOFError:
        return
    except Exception as exc:  # noqa: BLE001 - reported to the parent, which raises it typed
        results.send(f"{type(exc).__name__}: {exc}")
        return
    _serve(tasks, results, module, fuel, keep_sources)
    os._exit(0)  # nothing to flush or tear down: skip the interpreter's shutdown
