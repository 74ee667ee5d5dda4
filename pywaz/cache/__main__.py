"""``python -m pywaz.cache``: see :mod:`pywaz.cache.cli`."""

import sys

from .cli import main

sys.exit(main())
