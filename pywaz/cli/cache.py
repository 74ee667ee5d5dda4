"""``pywaz cache {ls,show,verify,prune,clear}``: maintain the disk cache (see :mod:`pywaz.cache.cli`)."""

from ..cache.cli import add_cache_command as register

__all__ = ["register"]
