"""``python -m pywaz.cli`` runs the command line (same as the ``pywaz`` script)."""

import sys

from . import main

sys.exit(main())
