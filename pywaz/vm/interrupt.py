"""Interrupting long-running wasm: a deadline enforced by a watchdog thread.

Engine-agnostic by design: neither engine checks anything per instruction.
An entry point (an exported function called from Python, or an
instantiation running a start function) arms the watchdog with a deadline;
if the call is still running when it passes, the watchdog injects
:class:`Interrupted` into the calling thread with
``PyThreadState_SetAsyncExc``. The entry point turns it into
``Trap(TrapKind.INTERRUPTED)``. Normal calls cost one lock round-trip to arm
and one to disarm, and nothing when no deadline is set.

Caveats (documented in pywaz/vm/README.md):

* The exception is delivered at the thread's next check of the eval
  breaker (a backward jump or a call in Python code), so a long single C call
  -- a huge ``memory.fill``/``bytearray`` operation, a blocking read in a
  host function -- is interrupted only when it returns.
* :class:`Interrupted` derives from BaseException so host-function wrappers
  (which turn ``Exception`` into HOST_ERROR traps) let it through. Code that
  swallows it anyway -- a host function of the embedder catching
  BaseException, a ``weakref.finalize`` callback or ``__del__`` that happens
  to run at that moment (CPython only prints what those raise) -- does not
  stop the interruption: until the entry point disarms its deadline the
  watchdog injects the exception again every :data:`REFIRE_SECONDS`.
* The interrupted call leaves memories, tables and globals as they were at
  that point, like any trap.

Timeouts longer than :data:`MAX_TIMEOUT` (a year), ``math.inf`` included,
mean "no limit": nothing is armed. Platform timers cannot represent much
longer waits (``threading.TIMEOUT_MAX``, ``time_t``), and a deadline a year
away never fires in practice.
"""

from __future__ import annotations

import heapq
import itertools
import sys
import threading
import time


# Longer timeouts mean "no limit" (see the module docstring).
MAX_TIMEOUT = 365 * 24 * 3600.0

# The longest single wait of the watchdog thread; it re-checks its heap after
# each. Far below threading.TIMEOUT_MAX, so no deadline -- however it was
# armed -- can make Condition.wait overflow and kill the thread (which would
# leave every other thread's deadline unenforced).
_MAX_WAIT = 3600.0

# After a deadline fires, the exception is injected again this often until the
# entry point disarms it (see the module docstring): a swallowed injection
# delays the interruption instead of losing it.
REFIRE_SECONDS = 0.2


class Interrupted(BaseException):
    """Injected into a thread whose wasm call passed its deadline (private; becomes a Trap).

    ``frames`` collects the interpreter's wasm frames as it unwinds (compiled
    frames are read from the traceback), for the trap.
    """

    def __init__(self, *args):
        super().__init__(*args)
        self.frames: list = []


# PyThreadState_SetAsyncExc, bound on the first arm(): ctypes costs ~1.5 ms of
# start-up and only calls with a timeout need it. Deadlines fire only after an
# arm(), so every use below sees it bound.
_set_async_exc = None


def _bind_set_async_exc() -> None:
    global _set_async_exc
    import ctypes

    setter = ctypes.pythonapi.PyThreadState_SetAsyncExc
    # A pointer argument so that None passes NULL ("clear the pending exception").
    setter.argtypes = (ctypes.c_ulong, ctypes.c_void_p)
    setter.restype = ctypes.c_int
    _set_async_exc = setter


class Deadline:
    """One armed call: the thread to interrupt and whether the watchdog fired."""

    __slots__ = ("active", "fired", "thread_id", "when")

    def __init__(self, when: float, thread_id: int):
        self.when = when
        self.thread_id = thread_id
        self.active = False  # True from Watchdog.arm until it is disarmed
        self.fired = False


class Watchdog:
    """A daemon thread that interrupts calls whose deadline passed (one per process)."""

    def __init__(self):
        self._lock = threading.Condition()
        self._heap: list = []
        self._counter = itertools.count()
        self._thread: threading.Thread | None = None
        self._live = 0  # armed deadlines still active

    def arm(self, seconds: float, deadline: Deadline | None = None) -> Deadline:
        """Interrupt the current thread after ``seconds`` unless :meth:`disarm` comes first.

        ``deadline``: a fresh, not yet armed :class:`Deadline` of the current thread
        to arm (made beforehand, so a caller can always disarm what it armed).
        """
        if _set_async_exc is None:
            _bind_set_async_exc()
        if not seconds < MAX_TIMEOUT:  # also NaN, which would corrupt the heap's order
            seconds = MAX_TIMEOUT
        if deadline is None:
            deadline = Deadline(0.0, threading.get_ident())
        deadline.when = time.monotonic() + seconds
        with self._lock:
            heap = self._heap
            deadline.active = True
            self._live += 1
            heapq.heappush(heap, (deadline.when, next(self._counter), deadline))
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="pywaz-watchdog", daemon=True)
                self._thread.start()
            elif heap[0][2] is deadline:
                # Only an earlier wake-up needs the watchdog's attention; waking it
                # for every call would cost a thread switch each time.
                self._lock.notify()
        return deadline

    def disarm_surely(self, deadline: Deadline) -> None:
        """:meth:`disarm`, even when a re-injected :class:`Interrupted` lands while it runs."""
        while True:
            try:
                self.disarm(deadline)
                return
            except Interrupted:
                continue

    def disarm(self, deadline: Deadline) -> None:
        """Stop watching ``deadline``; clears an injected exception not yet delivered."""
        with self._lock:
            if deadline.active:
                deadline.active = False
                self._live -= 1
            if deadline.fired:
                # Fired after the call finished: withdraw the pending exception so it
                # cannot surface later in unrelated code.
                _set_async_exc(deadline.thread_id, None)
            heap = self._heap
            if len(heap) > 64 and len(heap) > 4 * self._live:
                # Disarmed entries wait in the heap until they reach its top; drop
                # them in bulk so many short calls with long timeouts stay cheap.
                self._heap = [entry for entry in heap if entry[2].active]
                heapq.heapify(self._heap)

    def _run(self) -> None:
        with self._lock:
            while True:
                heap = self._heap
                while heap and not heap[0][2].active:
                    heapq.heappop(heap)
                if not heap:
                    self._lock.wait()
                    continue
                now = time.monotonic()
                when, _, deadline = heap[0]
                if when > now:
                    self._lock.wait(min(when - now, _MAX_WAIT))
                    continue
                heapq.heappop(heap)
                deadline.fired = True
                _set_async_exc(deadline.thread_id, id(Interrupted))  # the class lives as long as this module
                # Armed again until disarmed: an injection something swallowed is repeated.
                deadline.when = now + REFIRE_SECONDS
                heapq.heappush(heap, (deadline.when, next(self._counter), deadline))


_WATCHDOG = Watchdog()


def check_timeout(timeout) -> float | None:
    """Validate a ``timeout``/``deadline`` value; return seconds, or None for no limit.

    None, ``math.inf`` and anything longer than :data:`MAX_TIMEOUT` mean no limit.

    Raises:
        TypeError: not a number.
        ValueError: zero, negative or NaN.
    """
    if timeout is None:
        return None
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)):
        raise TypeError(f"timeout must be a number of seconds or None, not {type(timeout).__name__}")
    if not timeout > 0:  # NaN fails every comparison
        raise ValueError(f"timeout must be a positive number of seconds, not {timeout!r}")
    if timeout > MAX_TIMEOUT:  # compared before float(): a huge int would overflow it
        return None
    return float(timeout)


_active = threading.local()


def run_with_deadline(seconds: float | None, call_depth, fn, *args):
    """``fn(*args)`` interrupted with ``Trap(INTERRUPTED)`` after ``seconds`` (None: no limit).

    ``seconds`` comes from :func:`check_timeout`; the watchdog clamps anything
    longer than :data:`MAX_TIMEOUT` (NaN included) to it all the same.

    Only the outermost guarded call on a thread arms the watchdog; nested
    entries (a host function calling back into wasm) run under it. After an
    interruption the runtime's per-thread call-depth counters are put back to
    their values at entry, since engine frames unwound by the exception may
    not have restored them.
    """
    if seconds is None or getattr(_active, "on", False):
        return fn(*args)
    from ..errors import Trap, TrapKind

    saved = None if call_depth is None else (call_depth.depth, call_depth.host_nesting)
    _active.on = True
    deadline = Deadline(0.0, threading.get_ident())
    try:
        try:
            # Armed inside the try: with a tiny timeout the exception may
            # arrive before arm() has even returned.
            _WATCHDOG.arm(seconds, deadline)
            return fn(*args)
        finally:
            _WATCHDOG.disarm_surely(deadline)
    except Interrupted as interrupted:
        if saved is not None:
            call_depth.depth, call_depth.host_nesting = saved
        trap = Trap(TrapKind.INTERRUPTED, f"deadline of {seconds:g} s passed")
        frames = interrupted.frames
        compiled = sys.modules.get("pywaz.compiler.artifact")
        if compiled is not None:
            frames = compiled.trap_frames_of(interrupted) or frames
        trap.set_frames(frames)
        raise trap from None
    finally:
        _active.on = False


__all__ = ["MAX_TIMEOUT", "REFIRE_SECONDS", "Interrupted", "check_timeout", "run_with_deadline"]
