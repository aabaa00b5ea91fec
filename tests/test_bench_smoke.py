"""The benchmark scripts this repository's figures come from keep working: each runs at a tiny size (``--small``)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


TABLE = "| task | seconds | kernel | ratio |"


def run_bench(script: str, *args: str, timeout: int = 600) -> subprocess.CompletedProcess:
    """Run ``bench/<script> args`` from the repository root in this interpreter; its output as text."""
    return subprocess.run([sys.executable, str(ROOT / "bench" / script), *args], cwd=ROOT, capture_output=True,
                          text=True, encoding="utf-8", timeout=timeout)


@pytest.mark.parametrize(("script", "written", "header"), [
    ("network.py", "network.md", TABLE), ("printing.py", "printing.md", TABLE),
    ("geocoding.py", "geocoding.md", "| table | rows | seconds (wall) | seconds (CPU) | rows/s (wall) |"),
    ("review_run.py", "review.md", "| footprints | zone polygons | pairs |"),
    ("tables.py", "tables.md", "| task | gis s (wall) | pandas s (wall) | ratio (wall) | gis s (CPU) |"),
    ("cli_run.py", "cli_run.md", "| command | wall s (median) | CPU s (median) |"),
    ("maps.py", "maps.md", "| map | size (KiB) | layers | features |"),
])
def test_bench_script_runs_small(script, written, header):
    record = ROOT / "bench" / written
    before = record.read_bytes() if record.exists() else None
    done = run_bench(script, "--small", timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert header in done.stdout and "load average" in done.stdout
    assert (record.read_bytes() if record.exists() else None) == before  # --small writes nothing


def test_buffer_memory_bench_runs_small():
    done = run_bench("buffer_memory.py", "--small", timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    rows = [line for line in done.stdout.splitlines() if line.startswith("| 2,000 |")]
    assert [row.split("|")[3].strip() for row in rows] == ["none", "ring"], done.stdout
    assert "peak RSS above input (MB)" in done.stdout and "load average" in done.stdout
    for row in rows:
        peak, result, ratio = (float(row.split("|")[i]) for i in (5, 6, 7))
        assert peak > 0 and result > 0 and ratio == pytest.approx(peak / result, rel=0.05, abs=0.01)


def test_network_calibration_bench_prints_its_table_without_writing():
    record = ROOT / "bench" / "network.md"
    before = record.read_bytes()
    done = run_bench("network_calibration.py", "--print", timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "| place | model_min | published_min |" in done.stdout and "load average" in done.stdout
    assert "三江侗族自治县(古宜镇)" in done.stdout
    assert record.read_bytes() == before


def test_dask_bench_runs_small(tmp_path):
    out = tmp_path / "dask.md"
    done = run_bench("dask_run.py", "--sizes", "2e3", "--out", str(out))
    assert done.returncode == 0, done.stderr[-2000:]
    text = out.read_text(encoding="utf-8")
    assert "2,000" in text or "2000" in text, text[:2000]


def test_proximity_benches_run_small(tmp_path):
    """bench/run.py (--quick, to a temporary file) and bench/scale.py (--small, print only) keep working."""
    out = tmp_path / "results-quick.md"
    done = run_bench("run.py", "--quick", "--out", str(out))
    assert done.returncode == 0, done.stderr[-2000:]
    assert "| nearest | 10,000 |" in out.read_text(encoding="utf-8")
    record = ROOT / "bench" / "scale.md"
    before = record.read_bytes()
    done = run_bench("scale.py", "--small")
    assert done.returncode == 0, done.stderr[-2000:]
    assert "| nearest | 10,000 |" in done.stdout and "load average" in done.stdout
    assert record.read_bytes() == before
