"""Parsers for numeric command-line values, for argparse's ``type=``.

Each takes the text of one argument and returns the value, or raises
:class:`argparse.ArgumentTypeError` with a message that says what was wrong;
argparse prefixes the option's name (``argument --max-bytes: ...``) and exits
with the usage status, 2. Nothing here lets ``inf``, ``nan``, a negative
number or an overflow through as a value or as a traceback.
"""

from __future__ import annotations

import argparse
import decimal
import math

#: Binary multiples, as ``du -h`` and the cache's own messages use them.
SIZE_UNITS = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}
#: No file system holds more: larger sizes are a typo, and Python would happily build the int.
MAX_SIZE = 1 << 63


def parse_size(text: str) -> int:
    """A byte count: a non-negative number with an optional ``K``/``M``/``G``/``T`` suffix (``500M``, ``1.5G``).

    A trailing ``B`` or ``iB`` is allowed (``2GiB``). Fractions of a byte are dropped.

    Raises:
        argparse.ArgumentTypeError: not such a number, not finite, negative, or 2**63 bytes or more.
    """
    spelled = text.strip().upper()
    body = spelled.removesuffix("IB") if spelled.endswith("IB") else spelled.removesuffix("B")
    unit = body[-1:] if body[-1:] in SIZE_UNITS else ""
    number = body[: len(body) - len(unit)]
    try:
        value = decimal.Decimal(number)
    except decimal.InvalidOperation:
        value = None
    if value is None:
        raise argparse.ArgumentTypeError(f"{text!r} is not a size (write bytes, or a number with K, M, G or T)")
    if not value.is_finite():
        raise argparse.ArgumentTypeError(f"{text!r} is not a size: it must be a finite number of bytes")
    if value < 0:
        raise argparse.ArgumentTypeError(f"{text!r}: a size must not be negative")
    # Compared before multiplying: a Decimal such as 1e999999999999 would overflow the decimal context.
    if value >= MAX_SIZE or value * SIZE_UNITS[unit] >= MAX_SIZE:
        raise argparse.ArgumentTypeError(f"{text!r} is too large (the limit is 2**63 - 1 bytes)")
    return int(value * SIZE_UNITS[unit])


def parse_seconds(text: str) -> float:
    """A duration in seconds: a finite, non-negative number (``0.5``, ``30``).

    Raises:
        argparse.ArgumentTypeError: not a number, not finite, or negative.
    """
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"{text!r} is not a finite number of seconds")
    if value < 0:
        raise argparse.ArgumentTypeError(f"{text!r}: seconds must not be negative")
    return value


def parse_proposal(text: str) -> str:
    """A WebAssembly proposal's name, as ``--disable`` takes it (``relaxed-simd`` or ``relaxed_simd``).

    Returns the :class:`~pywaz.Features` field name.

    Raises:
        argparse.ArgumentTypeError: not a proposal pywaz knows.
    """
    from ..features import PROPOSAL_NAMES

    field = text.strip().lower().replace("-", "_")
    if field not in PROPOSAL_NAMES:
        known = ", ".join(sorted(name.replace("_", "-") for name in PROPOSAL_NAMES))
        raise argparse.ArgumentTypeError(f"unknown WebAssembly proposal {text!r} (known: {known})")
    return field


def add_disable_argument(parser) -> None:
    """Add ``--disable PROPOSAL`` (repeatable): switch a WebAssembly proposal off, as the runtime's features do."""
    parser.add_argument("--disable", action="append", default=[], type=parse_proposal, metavar="PROPOSAL",
                        help="switch a WebAssembly proposal off (repeatable; e.g. relaxed-simd, extended-const); "
                        "a module that needs it is then refused, naming it")


def features_from(args):
    """The :class:`~pywaz.Features` that ``--disable`` asks for (pywaz's defaults without it)."""
    from ..features import DEFAULT

    if not args.disable:
        return DEFAULT
    return DEFAULT.replace(**dict.fromkeys(args.disable, False))
