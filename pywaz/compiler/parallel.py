"""Eager compilation spread over worker processes.

Enters: an artifact's module, the defined functions to compile and a worker
count. Leaves: per function, its :class:`~.artifact.CompiledFunction` fields
with the code object marshalled (artifacts are marshalled code already, so a
function crosses the process boundary as the same bytes the cache stores), or
the error that function raised.

Lowering and ``compile()`` are pure Python and hold the GIL, so threads would
not help: each worker is a process compiling whole functions, fed one task (a
run of consecutive functions, about :data:`TASK_BYTES` of wasm) at a time, so
a giant function does not leave the other workers idle. Every function is
compiled by the same code as in process (:func:`.artifact.compile_marshalled`),
each in its own ``compile()``, so the result does not depend on how many
workers there were or which one compiled what.

How workers start, safely for a library embedded in someone else's program:

* ``fork`` (Linux only, and only while the process has a single thread, read
  from ``/proc/self/task``): the workers inherit the validated module, so
  nothing is copied. Forking a process with other live threads can copy a
  lock some thread held at that instant, so it is never done then.
* otherwise a fresh interpreter (``sys.executable``) runs
  :mod:`pywaz.compiler._worker` and receives the module information (the plain
  data the cache stores, :mod:`pywaz.cache.moduleinfo`) once and each task's
  validated function facts; the caller's ``__main__`` is not re-imported
  (unlike multiprocessing's ``spawn``), so a script without a
  ``__name__ == "__main__"`` guard is safe.

Workers ignore SIGINT: a Ctrl-C reaches the caller, whose cleanup kills and
reaps every worker (also on any other error). A worker that dies or cannot
start becomes a :class:`~.artifact.CompileFailure` naming the functions it
held; an exception inside a worker comes back as the same typed error the
in-process compile raises (``UnsupportedOpcode``, ``CompileFailure``).
"""

from __future__ import annotations

import os
import pickle
import signal
import subprocess
import sys
import tempfile
from collections import deque
from multiprocessing import connection as _connection

from .artifact import CompileFailure, callee_closure

#: Below this much wasm code (function bodies, bytes) to compile, an eager compile stays in process:
#: starting workers and moving results costs more than they save. Forking two workers and handing them
#: their first tasks costs about 30 ms, starting two fresh interpreters about 350 ms, and one core
#: compiles 0.3-0.5 MB of wasm code a second, so two workers gain from about 25 KB (forked) and 280 KB
#: (fresh); the thresholds leave a margin (bench/compile_throughput.py --break-even; compiler README).
PARALLEL_ABOVE = 64 * 1024
PARALLEL_FRESH_ABOVE = 384 * 1024

#: Wasm bytes per task: small enough to balance the load, large enough that messages are few.
TASK_BYTES = 64 * 1024


def worker_count(requested: int | None, code_bytes: int, functions: int, forked: bool | None = None) -> int:
    """How many worker processes to use for ``functions`` functions of ``code_bytes`` wasm bytes (1: in process).

    ``requested`` None means one per CPU, and small jobs stay in process
    (:data:`PARALLEL_ABOVE` when workers would be forked, :data:`PARALLEL_FRESH_ABOVE` otherwise;
    ``forked`` None: as :func:`fork_is_safe` says now).
    """
    if requested is None:
        requested = os.cpu_count() or 1
        if forked is None:
            forked = fork_is_safe()
        if code_bytes < (PARALLEL_ABOVE if forked else PARALLEL_FRESH_ABOVE):
            return 1
        if not forked and not can_start_fresh():  # asked for nothing in particular: compile here
            return 1
    return max(1, min(int(requested), functions))


def can_start_fresh() -> bool:
    """Whether a fresh interpreter can run a worker: ``sys.executable`` is a Python (not a frozen application)."""
    return bool(sys.executable) and os.path.exists(sys.executable) and not getattr(sys, "frozen", False)


def fork_is_safe() -> bool:
    """Whether forking now copies no other thread's half-held lock: Linux, and this process has one thread."""
    if sys.platform != "linux" or not hasattr(os, "fork"):
        return False
    try:
        return len(os.listdir("/proc/self/task")) == 1
    except OSError:
        return False


def tasks_of(indexes: list[int], sizes: list[int]) -> list[list[int]]:
    """``indexes`` cut into runs of consecutive functions of about :data:`TASK_BYTES` each, largest runs first."""
    tasks: list[list[int]] = []
    current: list[int] = []
    total = 0
    weights = []
    for index, size in zip(indexes, sizes):
        current.append(index)
        total += size
        if total >= TASK_BYTES:
            tasks.append(current)
            weights.append(total)
            current, total = [], 0
    if current:
        tasks.append(current)
        weights.append(total)
    order = sorted(range(len(tasks)), key=lambda k: -weights[k])  # big tasks first: no straggler at the end
    return [tasks[k] for k in order]


class _Worker:
    """One worker process and its two pipes (tasks in, results out)."""

    def __init__(self, tasks_out, results_in, process=None, popen=None, stderr=None):
        self.tasks_out = tasks_out
        self.results_in = results_in
        self.process = process
        self.popen = popen
        self.stderr = stderr
        self.task: list[int] | None = None

    def describe_exit(self) -> str:
        code = None
        if self.process is not None:
            self.process.join(1)
            code = self.process.exitcode
        elif self.popen is not None:
            try:
                code = self.popen.wait(1)
            except subprocess.TimeoutExpired:
                code = None
        text = "exited" if code is None or code >= 0 else f"was killed by signal {-code}"
        if code is not None and code > 0:
            text = f"exited with status {code}"
        tail = ""
        if self.stderr is not None:
            try:
                self.stderr.seek(0)
                lines = self.stderr.read().decode("utf-8", "replace").strip().splitlines()
                if lines:
                    tail = f": {lines[-1]}"
            except OSError:
                pass
        return text + tail

    def stop(self) -> None:
        """End the process (killing it if it does not finish at once) and release its pipes."""
        for conn in (self.tasks_out, self.results_in):
            try:
                conn.close()
            except OSError:
                pass
        if self.process is not None:
            self.process.join(0.5)
            if self.process.is_alive():
                self.process.kill()
                self.process.join()
            self.process.close()
        if self.popen is not None:
            try:
                self.popen.wait(0.5)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait()
        if self.stderr is not None:
            self.stderr.close()


def _start_forked(count: int, state, workers: list[_Worker]) -> None:
    """Fork ``count`` workers into ``workers`` (each appended as soon as it exists, so a failure leaks none).

    Raises:
        CompileFailure: the system refused a fork.
    """
    import multiprocessing

    from . import _worker

    context = multiprocessing.get_context("fork")
    for _ in range(count):
        task_reader, task_writer = context.Pipe(duplex=False)
        result_reader, result_writer = context.Pipe(duplex=False)
        process = context.Process(target=_worker.serve_forked, args=(task_reader, result_writer, state), daemon=True)
        try:
            process.start()
        except OSError as exc:
            for conn in (task_reader, task_writer, result_reader, result_writer):
                conn.close()
            raise CompileFailure(f"cannot start a compile worker (fork): {exc}") from exc
        finally:
            task_reader.close()
            result_writer.close()
        workers.append(_Worker(task_writer, result_reader, process=process))


_BOOT = (
    "import sys; sys.path[:0] = {path!r}; from pywaz.compiler import _worker; _worker.serve_fds({read}, {write})"
)


def _start_fresh(count: int, init, workers: list[_Worker]) -> None:
    """Start ``count`` fresh interpreters as workers into ``workers`` and send each ``init``.

    Raises:
        CompileFailure: there is no Python executable, or it could not be started.
    """
    if not can_start_fresh():
        raise CompileFailure("cannot start compile workers: sys.executable is not a Python interpreter")
    path = [entry for entry in sys.path if entry]
    for _ in range(count):
        task_read, task_write = os.pipe()
        result_read, result_write = os.pipe()
        stderr = tempfile.TemporaryFile()
        boot = _BOOT.format(path=path, read=task_read, write=result_write)
        try:
            popen = subprocess.Popen(
                [sys.executable, "-c", boot],
                pass_fds=(task_read, result_write),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=stderr,
                close_fds=True,
            )
        except OSError as exc:
            for fd in (task_write, result_read):
                os.close(fd)
            stderr.close()
            raise CompileFailure(f"cannot start a compile worker ({sys.executable}): {exc}") from exc
        finally:
            os.close(task_read)
            os.close(result_write)
        worker = _Worker(
            _connection.Connection(task_write, readable=False),
            _connection.Connection(result_read, writable=False),
            popen=popen,
            stderr=stderr,
        )
        workers.append(worker)
        try:
            worker.tasks_out.send(init)
        except OSError as exc:
            raise CompileFailure(_lost(worker, worker.describe_exit())) from exc


def compile_functions(module, indexes: list[int], sizes: list[int], count: int, fuel: bool, keep_sources: bool,
                      module_info, deliver, meanwhile=None) -> None:
    """Compile defined functions ``indexes`` of ``module`` in ``count`` worker processes.

    ``sizes`` are their body sizes (task cutting). ``module_info`` is
    :func:`~pywaz.cache.moduleinfo.encode_module_info` of ``module`` (a
    callable producing it, used only when workers cannot be forked).
    ``deliver(local_index, outcome)`` runs in this process as each function
    arrives: ``("code", name, blob, source, consts, flat)``, ``("unsupported",
    opcode, offset, func_index)`` or ``("failure", message)``. ``meanwhile()``,
    if given, runs here once the workers have their first tasks.

    Raises:
        CompileFailure: a worker could not start, died, or sent something unreadable.
    """
    tasks = deque(tasks_of(indexes, sizes))
    count = min(count, len(tasks))
    forked = fork_is_safe()
    recursion = sys.getrecursionlimit()
    workers: list[_Worker] = []
    try:
        if forked:
            _start_forked(count, (module, fuel, keep_sources, recursion), workers)
        else:
            _start_fresh(count, ("init", module_info(), fuel, keep_sources, recursion), workers)
        functions = None if forked else module.functions

        def assign(worker: _Worker) -> bool:
            if not tasks:
                worker.task = None
                return False
            task = tasks.popleft()
            worker.task = task
            if functions is None:
                infos = callees = None
            else:  # a fresh worker's module has no bodies: send what lowering these functions reads
                infos = [functions[i] for i in task]
                callees = callee_closure(functions, task, module.num_imported_funcs)
            try:
                worker.tasks_out.send((task, infos, callees))
            except (OSError, ValueError) as exc:
                raise CompileFailure(_lost(worker, f"could not be given work ({exc})")) from exc
            return True

        busy = {}
        for worker in workers:
            if assign(worker):
                busy[worker.results_in] = worker
        if meanwhile is not None:
            meanwhile()
        while busy:
            for conn in _connection.wait(list(busy)):
                worker = busy[conn]
                try:
                    results = conn.recv()
                except EOFError:
                    raise CompileFailure(_lost(worker, worker.describe_exit())) from None
                except (OSError, pickle.UnpicklingError) as exc:
                    raise CompileFailure(_lost(worker, f"sent an unreadable result ({exc})")) from exc
                if not isinstance(results, list):  # the worker failed before it could compile anything
                    raise CompileFailure(f"compile worker failed to start: {results}")
                for local_index, outcome in results:
                    deliver(local_index, outcome)
                if not assign(worker):
                    del busy[conn]
        for worker in workers:
            try:
                worker.tasks_out.send(None)  # done: the worker exits
            except (OSError, ValueError):
                pass
    finally:
        for worker in workers:
            worker.stop()


def _lost(worker: _Worker, what: str) -> str:
    task = worker.task or []
    held = f"functions {task[0]}..{task[-1]}" if len(task) > 1 else f"function {task[0]}" if task else "no work"
    return f"a compile worker {what} while compiling defined {held}"


def ignore_interrupts() -> None:
    """In a worker: leave Ctrl-C to the parent (which stops its workers)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
