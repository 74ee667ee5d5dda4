"""A per-command time limit, so an engine bug that loops forever fails one command
instead of hanging the whole suite.

Uses ``SIGALRM`` (an interval timer), so it works only on Unix and in the main
thread; elsewhere it does nothing. Limits follow the VM's ``timeout=`` rules
(:func:`pywaz.vm.interrupt.check_timeout`): longer than a year or infinite
means no limit (the interval timer cannot represent much longer ones), and
so does 0 here. The timeout is a ``BaseException`` so that
engine code catching ``Exception`` (host-call wrappers, trap conversion) cannot
swallow it.
"""

from __future__ import annotations

import signal
import threading

from ..vm.interrupt import check_timeout


class CommandTimeout(BaseException):
    """A command ran longer than the watchdog allows."""


class Watchdog:
    """Arm before a command, disarm after; use as a context manager around a whole run."""

    def __init__(self, seconds: float | None):
        """``seconds`` per command; None or 0 for no limit.

        Raises:
            TypeError: not a number.
            ValueError: negative or NaN.
        """
        seconds = None if seconds == 0 else check_timeout(seconds)
        self.seconds = seconds
        self.enabled = (
            seconds is not None
            and hasattr(signal, "setitimer")
            and threading.current_thread() is threading.main_thread()
        )
        self._previous = None

    def _fire(self, signum, frame):
        raise CommandTimeout(f"timed out after {self.seconds:g} s (an engine loop that never ends?)")

    def __enter__(self) -> Watchdog:
        if self.enabled:
            self._previous = signal.signal(signal.SIGALRM, self._fire)
        return self

    def __exit__(self, *exc) -> None:
        if self.enabled:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, self._previous)

    def arm(self) -> None:
        if self.enabled:
            signal.setitimer(signal.ITIMER_REAL, self.seconds)

    def disarm(self) -> None:
        if self.enabled:
            signal.setitimer(signal.ITIMER_REAL, 0)
