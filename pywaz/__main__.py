"""``python -m pywaz`` runs the command line (same as the ``pywaz`` script)."""

import sys

from .cli import main

sys.exit(main())
