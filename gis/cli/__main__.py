"""``python -m gis.cli``: the ``lzgis`` command."""

from __future__ import annotations

import sys

from .main import main

if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
