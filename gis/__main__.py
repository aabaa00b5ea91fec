"""``python -m gis`` is the command line ``lzgis`` (e.g. ``python -m gis --version``)."""

from __future__ import annotations

import sys

from gis.cli import main

if __name__ == "__main__":
    sys.exit(main())
