"""``lzgis`` in a pipeline: ``-o -`` writes the result to stdout, ``-`` reads a CSV from stdin, a closed pipe is quiet."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

LZGIS = [sys.executable, "-m", "gis"]


def run(args: list[str], *, stdin: bytes | None = None, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(LZGIS + args, input=stdin, capture_output=True, cwd=cwd, timeout=300)


def test_export_to_stdout_is_a_csv_pandas_reads_and_no_manifest(tmp_path):
    done = run(["export", "townships", "--format", "csv", "-o", "-"], cwd=tmp_path)
    assert done.returncode == 0, done.stderr.decode()
    table = pd.read_csv(io.BytesIO(done.stdout), dtype={"code": str})
    assert len(table) == 118 and table["code"].str.len().eq(12).all()
    assert not done.stdout.startswith(b"\xef\xbb\xbf")  # no byte-order mark in a pipe
    assert "no manifest.json" in done.stderr.decode()
    assert list(tmp_path.iterdir()) == []  # nothing written, no manifest anywhere here


def test_geojson_to_stdout(tmp_path):
    import json

    done = run(["-q", "export", "county_seats", "--format", "geojson", "-o", "-"], cwd=tmp_path)
    assert done.returncode == 0, done.stderr.decode()
    data = json.loads(done.stdout)
    assert data["type"] == "FeatureCollection" and len(data["features"]) == 10


@pytest.mark.parametrize("command", ["layers", "export townships --format csv -o -",
                                     "export townships --format geojson -o -"])
def test_a_closed_pipe_ends_quietly(command, tmp_path):
    line = f"{sys.executable} -m gis {command} | head -1"
    done = subprocess.run(["bash", "-o", "pipefail", "-c", line], capture_output=True, cwd=tmp_path, timeout=300)
    assert "internal error" not in done.stderr.decode() and "Traceback" not in done.stderr.decode()
    assert done.returncode in (0, 141), done.stderr.decode()
    assert len(done.stdout.splitlines()) == 1


def test_stdin_table_to_stdout_result(tmp_path):
    text = "名称,lon,lat\n柳州站,109.43,24.33\n鹿寨站,109.75,24.47\n".encode()
    done = run(["-q", "nearest", "-", "county_seats", "-o", "-"], stdin=text, cwd=tmp_path)
    assert done.returncode == 0, done.stderr.decode()
    table = pd.read_csv(io.BytesIO(done.stdout))
    assert table["origin_name"].tolist() == ["柳州站", "鹿寨站"]
    assert table["target_name"].tolist() == ["鱼峰区", "鹿寨县"]
    assert np.all(table["dist_m"] < 3000)


def test_stdout_refusals_name_the_fix(tmp_path):
    done = run(["geocode", "-", "-o", "-"], stdin="项目名称,建设地点\n柳州站,柳南区\n".encode(), cwd=tmp_path)
    assert done.returncode == 2 and "--report FILE" in done.stderr.decode()
    done = run(["export", "townships", "-o", "-", "--json"], cwd=tmp_path)
    assert done.returncode == 2 and "--json and -o -" in done.stderr.decode()
    done = run(["export", "townships", "-o", "-", "--format", "gpkg"], cwd=tmp_path)
    assert done.returncode == 2 and "CSV or GeoJSON" in done.stderr.decode()
    done = run(["nearest", "county_seats", "county_seats", "-o", "x.csv", "--format", "geojson"], cwd=tmp_path)
    assert done.returncode == 2 and "--format is for -o -" in done.stderr.decode()


def test_geocode_layer_to_stdout_with_its_report_in_a_file(tmp_path):
    done = run(["-q", "geocode", "-", "-o", "-", "--report", "r.csv"],
               stdin="项目名称,建设地点\n柳州站,柳南区\n".encode(), cwd=tmp_path)
    assert done.returncode == 0, done.stderr.decode()
    assert pd.read_csv(io.BytesIO(done.stdout))["项目名称"].tolist() == ["柳州站"]
    assert (tmp_path / "r.csv").exists() and (tmp_path / "manifest.json").exists()
