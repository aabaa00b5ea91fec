"""The benchmark scripts this repository's figures come from keep working: each runs at a tiny size (``--small``)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


TABLE = "| task | seconds | kernel | ratio |"


@pytest.mark.parametrize(("script", "written", "header"), [
    ("network.py", "network.md", TABLE), ("printing.py", "printing.md", TABLE),
    ("geocoding.py", "geocoding.md", "| table | rows | seconds | rows/s (wall) |"),
    ("review_run.py", "review.md", "| footprints | zone polygons | pairs |"),
    ("tables.py", "tables.md", "| task | gis s (wall) | pandas s (wall) | ratio (wall) | gis s (CPU) |"),
])
def test_bench_script_runs_small(script, written, header):
    record = ROOT / "bench" / written
    before = record.read_bytes() if record.exists() else None
    done = subprocess.run([sys.executable, str(ROOT / "bench" / script), "--small"], cwd=ROOT, capture_output=True,
                          text=True, encoding="utf-8", timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert header in done.stdout and "load average" in done.stdout
    assert (record.read_bytes() if record.exists() else None) == before  # --small writes nothing


def test_buffer_memory_bench_runs_small():
    done = subprocess.run([sys.executable, str(ROOT / "bench" / "buffer_memory.py"), "--small"], cwd=ROOT,
                          capture_output=True, text=True, encoding="utf-8", timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    rows = [line for line in done.stdout.splitlines() if line.startswith("| 2,000 |")]
    assert [row.split("|")[3].strip() for row in rows] == ["none", "ring"], done.stdout
    assert "peak RSS above input (MB)" in done.stdout and "load average" in done.stdout
    for row in rows:
        peak, result, ratio = (float(row.split("|")[i]) for i in (5, 6, 7))
        assert peak > 0 and result > 0 and ratio == pytest.approx(peak / result, rel=0.05, abs=0.01)
