"""The cache's user-facing error.

Cache *faults* (a bad entry, a failed write) are never user errors: they become
a miss plus a debug log. :class:`CacheError` is raised only for a
misconfiguration the user must fix, such as a cache directory that other users
can write (unmarshalling an entry is code execution, so such a directory is a
trust violation, not a fault to paper over).
"""

from __future__ import annotations

from ..errors import PywazError


class CacheError(PywazError):
    """The compilation cache cannot be used as configured (e.g. an unsafe directory)."""


class _CacheLogger:
    """``logging.getLogger("pywaz.cache")``, imported on first use.

    Cache faults are rare, and ``logging`` (with ``traceback``, ``tokenize`` and
    ``string``) is ~4 ms of a warm ``pywaz run``'s start-up.
    """

    __slots__ = ()

    def __getattr__(self, name):
        import logging

        return getattr(logging.getLogger("pywaz.cache"), name)


logger = _CacheLogger()
