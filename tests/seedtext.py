"""Shared pieces of the re-extraction tests: where the seed texts are, and how rows and seed lines are read.

The seeds are found at ``$LZGIS_SHARED/seeds`` or ``../shared/seeds`` next to the repository; tests that need
them are marked :data:`needs_seeds` and skip (saying where they looked) when they are absent.
"""

from __future__ import annotations

import csv
import os
import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SOURCES = REPO / "layers" / "sources"
SEEDS = Path(os.environ.get("LZGIS_SHARED") or REPO.parent / "shared") / "seeds"
F000, F001 = "000_2e2a98b042eb9d21.txt", "001_0de2ed12fe4eddd8.txt"
F002, F004 = "002_cea03bdf2b5fe175.txt", "004_9db75a2811220992.txt"
#: Columns of the hand-transcribed point tables (layers/sources/*.csv).
POINT_HEADER = ["id", "name", "category", "type", "county", "place", "anchor", "status_zh", "role", "area_mu",
                "area_km2", "investment_yi", "period", "description", "source_file", "section", "source_line"]

needs_seeds = pytest.mark.skipif(not (SEEDS / F004).exists(), reason=f"seed texts not found at {SEEDS}")


def squash(text: str) -> str:
    """Text without any whitespace (the seeds break lines inside names)."""
    return re.sub(r"\s+", "", text)


def source_rows(name: str) -> list[dict[str, str]]:
    """The rows of one hand-transcribed table in layers/sources."""
    with open(SOURCES / name, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def seed_lines(name: str) -> list[str]:
    """The lines of one seed text (line n is item n - 1)."""
    return (SEEDS / name).read_text(encoding="utf-8").split("\n")
